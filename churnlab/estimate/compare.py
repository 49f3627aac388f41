"""Several staggered-DiD estimators on one panel, side by side, with one event-time window.

:func:`compare_estimators` fits the estimators a paper reports together (Borusyak-Jaravel-Spiess imputation,
Callaway-Sant'Anna, Sun-Abraham, static and dynamic TWFE) with settings that make their event studies
comparable; :func:`stack_results` turns them into one tidy table for :func:`churnlab.plot.event_study`.

Settings chosen for comparability (all are options of the underlying estimators):

* event studies are reported for ``window`` (default -6..6); the reference period is -1 for Sun-Abraham,
  TWFE and Callaway-Sant'Anna (``base_period="universal"``, so pre-period estimates are relative to -1 as
  HonestDiD-style sensitivity needs); imputation's pre-period rows come from its lead regression on untreated
  observations (Borusyak et al. 2024, test of Section 4.4), which is a different construction;
* Callaway-Sant'Anna uses never-treated controls and averages only event times inside ``window`` in its
  overall ``ATT``; imputation and Sun-Abraham average every treated observation;
* static TWFE is included as the diagnostic that staggered adoption can bias (see the Bacon decomposition).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from churnlab.errors import InputError
from churnlab.estimate._result import Result

__all__ = ["COMPARED", "compare_estimators", "stack_results"]

#: Estimators :func:`compare_estimators` knows, in reporting order.
COMPARED = ("imputation", "callaway_santanna", "sun_abraham", "twfe")


def compare_estimators(
    data: Any,
    *,
    y: str,
    unit: str = "unit",
    time: str = "period",
    cohort: str = "cohort",
    estimators: Sequence[str] = COMPARED,
    window: tuple[int, int] = (-6, 6),
    covariates: Sequence[str] = (),
    bootstrap: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, Result]:
    """Fit several estimators on the same panel.

    Parameters
    ----------
    data : polars or pandas DataFrame
        Long panel; Callaway-Sant'Anna needs it balanced (see :func:`churnlab.panel.balance_panel`).
    y, unit, time, cohort : str
        Outcome, unit, integer period and adoption period (null = never treated) columns.
    estimators : sequence of {"imputation", "callaway_santanna", "sun_abraham", "twfe"}
        Which to fit; ``"twfe"`` fits the static regression and the binned event study.
    window : (int, int)
        First (negative) and last event time reported.
    covariates : sequence of str
        Time-varying covariates (first stage of imputation, regressors of Sun-Abraham/TWFE, doubly-robust
        Callaway-Sant'Anna).
    bootstrap, seed : int
        Callaway-Sant'Anna multiplier-bootstrap draws (0: analytic standard errors) and seed.
    alpha : float
        1 - confidence level.

    Returns
    -------
    dict of str to Result
        Keyed by estimator name (``"twfe"`` and ``"twfe_event"`` for the two TWFE fits), in ``COMPARED`` order.
    """
    from churnlab.estimate.did import callaway_santanna
    from churnlab.estimate.bjs import imputation
    from churnlab.estimate.sunab import sun_abraham
    from churnlab.estimate.fixed_effects import event_study_twfe, twfe

    unknown = [e for e in estimators if e not in COMPARED]
    if unknown:
        raise InputError(f"estimators {unknown} are not supported; choose from {list(COMPARED)}")
    lo, hi = window
    if not (lo <= -2 and hi >= 0):
        raise InputError(f"window={window!r} must span at least -2..0 (e.g. (-6, 6))")
    common = dict(y=y, unit=unit, time=time, cohort=cohort, covariates=covariates, alpha=alpha)
    out: dict[str, Result] = {}
    for name in [e for e in COMPARED if e in estimators]:
        if name == "imputation":
            out[name] = imputation(data, horizon=range(0, hi + 1), pretrends=range(lo, -1), **common)
        elif name == "callaway_santanna":
            out[name] = callaway_santanna(data, base_period="universal", min_e=lo, max_e=hi, bootstrap=bootstrap,
                                          seed=seed, **common)
        elif name == "sun_abraham":
            out[name] = sun_abraham(data, **common)
        else:
            out["twfe"] = twfe(data, **common)
            out["twfe_event"] = event_study_twfe(data, window=window, **common)
    return out


def stack_results(
    results: Mapping[str, Result] | Sequence[Result],
    *,
    kinds: Sequence[str] = ("overall", "event"),
    window: tuple[int, int] | None = None,
) -> pl.DataFrame:
    """One tidy table of several results (rows of ``kinds``; event rows inside ``window`` when given).

    Each row keeps its ``estimator`` column, so the table feeds :func:`churnlab.plot.event_study` directly.
    """
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    if not items:
        raise InputError("no results to stack")
    tab = pl.concat([r.to_frame() for r in items], how="vertical_relaxed").filter(pl.col("kind").is_in(list(kinds)))
    if window is not None:
        tab = tab.filter((pl.col("kind") != "event") | pl.col("event_time").is_between(*window))
    return tab
