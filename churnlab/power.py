"""Power and minimum detectable effect of a planned staggered-adoption study, by simulation.

For every design (number of units, expected treated share) and effect size, :func:`power_curve` draws
``n_reps`` panels from :func:`churnlab.estimate.dgp.simulate_panel`, fits each estimator and counts how
often the overall ATT is significantly different from zero (two-sided, level ``alpha``). The rejection
rate at effect 0 is the test's actual size; at a positive effect it is the power.

Design choices that make the curves cheap and smooth:

* **common random numbers** - for a given design and replicate the same seed is used at every effect size
  and for every estimator, so curves differ by the effect, not by the noise;
* **analytic standard errors** - Callaway-Sant'Anna is fitted with influence-function SEs
  (``bootstrap=0``); the multiplier bootstrap gives the same SEs asymptotically at many times the cost.

:func:`minimum_detectable_effect` reads the smallest effect reaching the target power off a curve (linear
interpolation between grid points) and, as a cross-check, the textbook approximation
``(z_(1-alpha/2) + z_power) x SE``.

Effects are in the outcome's units; with the default ``noise=1`` that is standard deviations of the
idiosyncratic error. To plan a real study, set ``noise`` (and ``serial``) in ``dgp`` to the residual standard
deviation (and autocorrelation) of the outcome in pilot data after removing unit and period means.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from churnlab.errors import ChurnlabError, InputError

__all__ = ["ESTIMATORS", "minimum_detectable_effect", "power_curve"]

log = logging.getLogger(__name__)

#: Estimators :func:`power_curve` can evaluate.
ESTIMATORS = ("imputation", "callaway_santanna")

#: simulate_panel options the caller may not set through ``dgp`` (they are power_curve's own axes).
_RESERVED = {"n_units", "n_periods", "never_share", "effect", "seed", "counts", "rate_effect"}

CURVE_COLUMNS = [
    "estimator", "n_units", "treated_share", "effect", "n_reps", "n_failed", "rejections", "power", "power_se",
    "mean_estimate", "bias", "mean_se", "coverage", "alpha",
]


def _check_grid(name: str, values: Sequence[float], lo: float, hi: float | None, integer: bool = False) -> list:
    values = [values] if np.isscalar(values) else list(values)
    if not values:
        raise InputError(f"{name} is empty; give at least one value")
    for v in values:
        bad = (integer and int(v) != v) or v < lo or (hi is not None and v > hi)
        if bad:
            rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
            raise InputError(f"{name} value {v!r} is out of range; use {'integers ' if integer else ''}{rng}")
    return sorted(set(int(v) if integer else float(v) for v in values))


def _check_dgp(dgp: Mapping[str, Any] | None) -> dict[str, Any]:
    from churnlab.estimate.dgp import simulate_panel

    dgp = dict(dgp or {})
    allowed = set(inspect.signature(simulate_panel).parameters) - _RESERVED
    unknown = sorted(set(dgp) - allowed)
    if unknown:
        raise InputError(f"dgp options {unknown} are not allowed; choose from {sorted(allowed)}")
    return dgp


def _seed(seed: int, n_units: int, share: float, rep: int) -> int:
    """One seed per design and replicate, shared by every effect size and estimator (common random numbers)."""
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(n_units, int(round(share * 1_000_000)), rep))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def _fit(name: str, df: pl.DataFrame, cluster: str | None) -> tuple[float, float, float]:
    """Overall ATT, its standard error and p-value from one estimator."""
    if name == "imputation":
        from churnlab.estimate.bjs import imputation

        row = imputation(df, y="y", horizon=None, cluster=cluster).overall
    else:
        from churnlab.estimate.did import callaway_santanna

        row = callaway_santanna(df, y="y", bootstrap=0, aggregations=("simple",), cluster=cluster).overall
    return row["estimate"], row["se"], row["p_value"]


def power_curve(
    *,
    effects: Sequence[float] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3),
    n_units: Sequence[int] | int = (200,),
    treated_share: Sequence[float] | float = (0.5,),
    estimators: Sequence[str] = ESTIMATORS,
    n_periods: int = 12,
    n_reps: int = 200,
    alpha: float = 0.05,
    dgp: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> pl.DataFrame:
    """Simulated rejection rates of ``H0: ATT = 0`` over a grid of designs and effect sizes.

    Parameters
    ----------
    effects : sequence of float
        True effects at adoption (``simulate_panel(effect=...)``), in outcome units. Include 0 to read off
        the actual size of each test.
    n_units : int or sequence of int
        Numbers of units (repositories) in the planned panel.
    treated_share : float or sequence of float
        Expected share of units that ever adopt (the rest are never treated), in (0, 1).
    estimators : sequence of {"imputation", "callaway_santanna"}
        Borusyak-Jaravel-Spiess imputation and Callaway-Sant'Anna (never-treated controls, varying base
        period, unconditional, simple aggregation).
    n_periods : int
        Periods (e.g. months) per unit; adoption cohorts as in ``simulate_panel``.
    n_reps : int
        Monte Carlo replicates per design; the Monte Carlo standard error of a power ``p`` is
        ``sqrt(p (1 - p) / n_reps)`` (0.028 at p = 0.8, n_reps = 200).
    alpha : float
        Level of the two-sided test.
    dgp : mapping, optional
        Further ``simulate_panel`` options: ``noise``, ``serial``, ``slope``, ``cohorts``, ``cohort_shift``,
        ``covariate_trend``, ``n_clusters`` (then standard errors are clustered on ``cluster``).
    seed : int
        Master seed; results are identical for identical arguments.

    Returns
    -------
    polars.DataFrame
        One row per estimator, ``n_units``, ``treated_share`` and ``effect`` with ``n_reps``, ``n_failed``
        (replicates the estimator could not fit, e.g. no never-treated unit drawn; left out of every rate),
        ``rejections``, ``power``, ``power_se`` (Monte Carlo), ``mean_estimate``, ``bias`` (mean of estimate
        minus the replicate's true ATT over treated observations), ``mean_se``, ``coverage`` of the
        ``1 - alpha`` interval, and ``alpha``. Sorted by estimator, design and effect.

    Examples
    --------
    >>> curve = power_curve(effects=[0.0, 0.3], n_units=[100], n_reps=5, estimators=["imputation"])
    >>> curve.select("effect", "n_reps").rows()
    [(0.0, 5), (0.3, 5)]
    """
    from churnlab.estimate.dgp import simulate_panel

    effects = _check_grid("effects", effects, -np.inf, None)
    sizes = _check_grid("n_units", n_units, 10, None, integer=True)
    shares = _check_grid("treated_share", treated_share, 0.0, 1.0)
    if any(s in (0.0, 1.0) for s in shares):
        raise InputError("treated_share must be strictly between 0 and 1 (some treated, some never-treated units)")
    estimators = list(dict.fromkeys(estimators))
    for e in estimators:
        if e not in ESTIMATORS:
            raise InputError(f"estimator {e!r} is not supported; choose from {list(ESTIMATORS)}")
    if n_reps < 1 or int(n_reps) != n_reps:
        raise InputError(f"n_reps={n_reps!r} must be a positive integer")
    if not 0 < alpha < 1:
        raise InputError(f"alpha={alpha!r} must be in (0, 1)")
    if n_periods < 5:
        raise InputError(f"n_periods={n_periods!r} is too short for staggered adoption; use at least 5")
    dgp = _check_dgp(dgp)
    cluster = "cluster" if dgp.get("n_clusters") else None
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for n in sizes:
        for share in shares:
            log.info("power: %d units, treated share %.2f, %d effects x %d replicates", n, share, len(effects), n_reps)
            acc = {(e, eff): [] for e in estimators for eff in effects}
            failed = {(e, eff): 0 for e in estimators for eff in effects}
            for rep in range(n_reps):
                s = _seed(seed, n, share, rep)
                for eff in effects:
                    df = simulate_panel(n, n_periods, never_share=1 - share, effect=eff, seed=s, **dgp)
                    truth = float(df.filter(pl.col("treat") == 1)["true_effect"].mean() or 0.0)
                    for e in estimators:
                        try:
                            est, se, p = _fit(e, df, cluster)
                        except ChurnlabError as exc:  # e.g. no never-treated unit drawn in a tiny panel
                            log.debug("power: %s failed on replicate %d: %s", e, rep, exc)
                            failed[(e, eff)] += 1
                            continue
                        if se is None or p is None or not np.isfinite(se):
                            failed[(e, eff)] += 1
                            continue
                        acc[(e, eff)].append((est, se, p, truth))
            for (e, eff), vals in acc.items():
                a = np.array(vals, dtype=float).reshape(-1, 4)
                k = a.shape[0]
                rej = int((a[:, 2] < alpha).sum())
                pw = rej / k if k else float("nan")
                cover = np.abs(a[:, 0] - a[:, 3]) <= z * a[:, 1]
                rows.append(dict(
                    estimator=e, n_units=n, treated_share=share, effect=eff, n_reps=k, n_failed=failed[(e, eff)],
                    rejections=rej, power=pw, power_se=float(np.sqrt(pw * (1 - pw) / k)) if k else float("nan"),
                    mean_estimate=float(a[:, 0].mean()) if k else float("nan"),
                    bias=float((a[:, 0] - a[:, 3]).mean()) if k else float("nan"),
                    mean_se=float(a[:, 1].mean()) if k else float("nan"),
                    coverage=float(cover.mean()) if k else float("nan"), alpha=alpha,
                ))
    schema = {c: pl.Float64 for c in CURVE_COLUMNS}
    schema.update(estimator=pl.String, n_units=pl.Int64, n_reps=pl.Int64, n_failed=pl.Int64, rejections=pl.Int64)
    out = pl.DataFrame(rows, schema=schema).select(CURVE_COLUMNS)
    return out.with_columns(pl.col(pl.Float64).fill_nan(None)).sort("estimator", "n_units", "treated_share", "effect")


def minimum_detectable_effect(
    curve: pl.DataFrame,
    *,
    power: float = 0.8,
) -> pl.DataFrame:
    """The smallest effect reaching ``power`` on each simulated curve of :func:`power_curve`.

    Parameters
    ----------
    curve : polars.DataFrame
        The output of :func:`power_curve` (columns ``estimator``, ``n_units``, ``treated_share``, ``effect``,
        ``power``, ``mean_se``, ``alpha``).
    power : float
        Target power, in (0, 1).

    Returns
    -------
    polars.DataFrame
        One row per estimator and design: ``mde`` - linear interpolation between the last grid effect below
        ``power`` and the first at or above it (null when the grid never reaches ``power``: extend
        ``effects``); ``mde_analytic`` = ``(z_(1-alpha/2) + z_power)`` times the mean standard error over the
        grid (the normal approximation, a cross-check); ``max_power`` on the grid; ``power`` the target.

    Examples
    --------
    >>> curve = pl.DataFrame({"estimator": ["imputation"] * 3, "n_units": [200] * 3, "treated_share": [0.5] * 3,
    ...                       "effect": [0.0, 0.1, 0.2], "power": [0.05, 0.5, 0.9], "mean_se": [0.04] * 3,
    ...                       "alpha": [0.05] * 3})
    >>> round(minimum_detectable_effect(curve)["mde"][0], 6)
    0.175
    """
    if not 0 < power < 1:
        raise InputError(f"power={power!r} must be in (0, 1)")
    need = ["estimator", "n_units", "treated_share", "effect", "power", "mean_se", "alpha"]
    missing = [c for c in need if c not in curve.columns]
    if missing:
        raise InputError(f"curve lacks columns {missing}; pass the output of power_curve()")
    keys = ["estimator", "n_units", "treated_share"]
    rows = []
    for key, g in curve.sort("effect").group_by(keys, maintain_order=True):
        g = g.filter((pl.col("effect") >= 0) & pl.col("power").is_not_null())
        eff, pw = g["effect"].to_numpy(), g["power"].to_numpy()
        mde = None
        hit = np.flatnonzero(pw >= power)
        if hit.size:
            i = int(hit[0])
            if i == 0 or pw[i] == pw[i - 1]:
                mde = float(eff[i])
            else:
                mde = float(eff[i - 1] + (power - pw[i - 1]) * (eff[i] - eff[i - 1]) / (pw[i] - pw[i - 1]))
        alpha = float(g["alpha"][0]) if g.height else float("nan")
        se = g["mean_se"].mean() if g.height else None
        analytic = None if se is None else float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se)
        rows.append(dict(zip(keys, key), mde=mde, mde_analytic=analytic,
                         max_power=float(pw.max()) if pw.size else None, power=power))
    schema = {"estimator": pl.String, "n_units": pl.Int64, "treated_share": pl.Float64, "mde": pl.Float64,
              "mde_analytic": pl.Float64, "max_power": pl.Float64, "power": pl.Float64}
    return pl.DataFrame(rows, schema=schema).sort(keys)
