"""Simulated unit x period panels with staggered adoption and a known effect (tests, Monte Carlo, power).

``y_it = a_i + l_t + b x_i t / T + tau_it D_it + e_it`` with ``tau_it = effect + slope * (t - g_i)`` (plus an
optional cohort-specific shift) for treated unit-periods. With ``counts=True`` the outcome is Poisson with mean
``exp(a_i + l_t + log(1 + rate_effect) D_it)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from churnlab.errors import InputError

__all__ = ["simulate_panel"]


def simulate_panel(
    n_units: int = 500,
    n_periods: int = 20,
    *,
    cohorts: Sequence[int] | None = None,
    never_share: float = 0.3,
    effect: float = 1.0,
    slope: float = 0.0,
    cohort_shift: float = 0.0,
    covariate_trend: float = 0.0,
    noise: float = 1.0,
    serial: float = 0.0,
    n_clusters: int | None = None,
    counts: bool = False,
    rate_effect: float = 0.2,
    seed: int = 0,
) -> pl.DataFrame:
    """Simulate a balanced panel with staggered, absorbing adoption.

    Parameters
    ----------
    n_units, n_periods : int
        Panel size. Periods are a dense index ``0..n_periods-1``.
    cohorts : sequence of int, optional
        Adoption periods to draw from (default: every third period from 3 to ``n_periods - 2``).
    never_share : float
        Share of never-treated units (cohort null).
    effect, slope, cohort_shift : float
        Effect at adoption, its growth per period since adoption, and a shift per cohort rank.
    covariate_trend : float
        Trend loading on the time-invariant covariate ``x`` (parallel trends hold only conditional on ``x``
        when non-zero and ``x`` differs by cohort).
    noise, serial : float
        Standard deviation and AR(1) coefficient of the error.
    n_clusters : int, optional
        Number of clusters (units are assigned at random); default: one cluster per unit.
    counts : bool
        Poisson counts with a multiplicative effect ``rate_effect`` instead of a linear outcome.
    seed : int
        Seed of numpy's default generator.

    Returns
    -------
    polars.DataFrame
        Columns ``unit, period, cohort, treat, rel_time, x, cluster, y, true_effect``.
    """
    if n_units < 2 or n_periods < 3:
        raise InputError("n_units must be >= 2 and n_periods >= 3")
    if not 0 <= never_share <= 1:
        raise InputError("never_share must be in [0, 1]")
    rng = np.random.default_rng(seed)
    if cohorts is None:
        cohorts = list(range(3, max(n_periods - 1, 4), 3))
    cohorts = np.asarray(sorted(cohorts), dtype=float)
    never = rng.random(n_units) < never_share
    g = np.where(never, np.nan, rng.choice(cohorts, size=n_units))
    rank = np.where(never, 0, np.searchsorted(cohorts, np.nan_to_num(g)))
    x = rng.normal(size=n_units) + 0.5 * np.nan_to_num(rank / max(len(cohorts), 1))
    a = rng.normal(size=n_units) + 0.3 * rank
    lam = np.cumsum(rng.normal(0.1, 0.2, size=n_periods))
    t = np.arange(n_periods)
    e = t[None, :] - g[:, None]
    treat = (~np.isnan(e)) & (e >= 0)
    tau = np.where(treat, effect + slope * np.nan_to_num(e) + cohort_shift * rank[:, None], 0.0)
    if counts:
        mu = np.exp(0.5 * a[:, None] + 0.3 * lam[None, :] + 1.0 + np.log1p(rate_effect) * treat)
        y = rng.poisson(mu).astype(float)
        tau = np.where(treat, rate_effect, 0.0)
    else:
        eps = rng.normal(scale=noise, size=(n_units, n_periods))
        if serial:
            for k in range(1, n_periods):
                eps[:, k] += serial * eps[:, k - 1]
        y = a[:, None] + lam[None, :] + covariate_trend * x[:, None] * t[None, :] / n_periods + tau + eps
    cl = rng.integers(0, n_clusters, size=n_units) if n_clusters else np.arange(n_units)
    rep = lambda v: np.repeat(v, n_periods)  # noqa: E731
    return pl.DataFrame(
        {
            "unit": rep(np.arange(n_units)),
            "period": np.tile(t, n_units),
            "cohort": pl.Series(rep(g), dtype=pl.Float64).fill_nan(None).cast(pl.Int64),
            "treat": treat.ravel().astype(np.int64),
            "rel_time": pl.Series(e.ravel(), dtype=pl.Float64).fill_nan(None).cast(pl.Int64),
            "x": rep(x),
            "cluster": rep(cl),
            "y": y.ravel(),
            "true_effect": tau.ravel(),
        }
    )
