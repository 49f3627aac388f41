"""Inference helpers shared by the estimators: joint pre-trend Wald test, placebo adoption dates, and a wild
cluster (score) bootstrap for few clusters."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from churnlab.errors import DataError, InputError
from churnlab.estimate._checks import check_choice, prepare, to_polars
from churnlab.estimate._result import Result, make_rows

__all__ = ["placebo", "pretrend_test", "wild_cluster_bootstrap"]

log = logging.getLogger(__name__)


def pretrend_test(result: Result, *, max_e: int = -2, min_e: int | None = None) -> Result:
    """Joint Wald test that the pre-period event-time effects are zero.

    Uses the covariance of the result's event rows (``result.vcov["event"]``, or ``["pretrend"]`` for the
    imputation lead regression). ``chi2 = b' V^{-1} b`` with as many degrees of freedom as leads tested.

    Parameters
    ----------
    result : Result
        An event-study result (TWFE, Sun-Abraham, Callaway-Sant'Anna event aggregation, imputation with leads).
    max_e, min_e : int
        Leads tested: event times in ``[min_e, max_e]`` (default every event time up to -2, the reference
        -1 excluded).
    """
    ev = result.rows("event")
    if ev.height == 0:
        raise InputError(f"{result.estimator} result has no event-time rows; estimate an event study first")
    if "pretrend" in result.vcov:
        pre = ev.filter(pl.col("event_time") < 0)
        V = result.vcov["pretrend"]
        idx = np.arange(pre.height)
    else:
        if "event" not in result.vcov:
            raise InputError(f"{result.estimator} result carries no event-time covariance")
        V = result.vcov["event"]
        if V.shape[0] != ev.height:
            post_only = ev.filter(pl.col("event_time") >= 0)
            if V.shape[0] != post_only.height:
                raise InputError("event covariance does not match the event rows")
            raise InputError("the result has no pre-period effects with a covariance to test")
        idx = np.arange(ev.height)
        pre = ev
    et = pre["event_time"].to_numpy()
    sel = (et <= max_e) & (et >= (min_e if min_e is not None else et.min()))
    sel &= ~np.isnan(pre["se"].fill_null(np.nan).to_numpy())
    if not sel.any():
        raise InputError(f"no leads with event time in [{min_e}, {max_e}] to test")
    b = pre["estimate"].to_numpy()[sel]
    Vs = V[np.ix_(idx[sel], idx[sel])]
    stat = float(b @ np.linalg.lstsq(Vs, b, rcond=None)[0])
    k = int(sel.sum())
    row = ev.row(0, named=True)
    options = dict(result.options, tested_event_times=[int(x) for x in et[sel]])
    out = make_rows(result.estimator, "test", ["pretrend_wald"], np.array([stat]), np.array([np.nan]),
                    p_value=np.array([stats.chi2.sf(stat, k)]), options=options, n_obs=row["n_obs"],
                    n_units=row["n_units"], n_treated=row["n_treated"], control_group=row["control_group"])
    return Result(result.estimator, out, options, extra={"df": k})


def placebo(
    estimator: Callable[..., Result],
    data: Any,
    *,
    shift: int = 3,
    y: str,
    unit: str = "unit",
    time: str = "period",
    cohort: str = "cohort",
    **kwargs: Any,
) -> Result:
    """Placebo adoption dates: pretend every cohort adopted ``shift`` periods early, on pre-treatment data only.

    Treated observations (period >= true cohort) are dropped; the fake cohort is ``cohort - shift``; units
    whose fake adoption falls on or before the first period are dropped. A valid design gives an effect near
    zero. The estimator's other options pass through ``kwargs``.
    """
    if shift < 1:
        raise InputError("shift must be a positive number of periods")
    df = to_polars(data)
    first = df[time].min()
    df = df.filter(pl.col(cohort).is_null() | (pl.col(time) < pl.col(cohort)))
    df = df.with_columns((pl.col(cohort) - shift).alias(cohort))
    df = df.filter(pl.col(cohort).is_null() | (pl.col(cohort) > first))
    if df.filter(pl.col(cohort).is_not_null() & (pl.col(time) >= pl.col(cohort))).height == 0:
        raise DataError(f"no placebo-treated observations with shift={shift}; use a smaller shift")
    res = estimator(df, y=y, unit=unit, time=time, cohort=cohort, **kwargs)
    options = dict(res.options, placebo_shift=shift)
    table = res.table.with_columns(estimator=pl.lit(f"placebo({res.estimator})"))
    return Result(f"placebo({res.estimator})", table, options, vcov=res.vcov, extra=res.extra)


def _webb(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    vals = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
    return vals[rng.integers(0, 6, size=size)]


def wild_cluster_bootstrap(
    data: Any,
    *,
    y: str,
    unit: str = "unit",
    time: str = "period",
    cohort: str = "cohort",
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    weights: Literal["rademacher", "webb"] = "webb",
    n_boot: int = 9999,
    seed: int = 0,
    alpha: float = 0.05,
    time_coding: Literal["dense", "raw"] = "dense",
) -> Result:
    """Wild cluster bootstrap test of ``H0: b = 0`` for static TWFE, for few clusters.

    The restricted score bootstrap (Kline and Santos 2012; "WCR-score"): after partialling out the fixed effects
    and covariates, the cluster scores of the restricted residuals ``s_c = sum_{i in c} D~_i u~_i`` are
    multiplied by Rademacher or Webb weights. With Rademacher weights and at most 12 clusters every sign pattern is
    enumerated (exact). The p-value compares the studentised score with its bootstrap distribution.
    """
    from churnlab.estimate.bjs import fe_projector

    check_choice("weights", weights, ("rademacher", "webb"))
    panel = prepare(data, y=y, unit=unit, time=time, cohort=cohort, covariates=covariates, cluster=cluster,
                    time_coding=time_coding)
    tcode = np.searchsorted(panel.periods, panel.time)
    proj = fe_projector(panel.unit, tcode, panel.X, panel.n_units, panel.periods.size)
    D = panel.treated.astype(float)
    R = np.column_stack([panel.y, D])
    ru, rr = proj.rhs(panel.unit, tcode, panel.X, R)
    a, th = proj.solve(ru, rr)
    res = R - proj.predict(a, th, panel.unit, tcode, panel.X)
    yt, Dt = res[:, 0], res[:, 1]
    if np.allclose(Dt, 0):
        raise DataError("treatment is collinear with the fixed effects; nothing to test")
    beta = float(Dt @ yt / (Dt @ Dt))
    G = int(panel.cluster.max()) + 1
    if G < 2:
        raise DataError("one cluster only; the wild cluster bootstrap needs at least 2")
    s = np.bincount(panel.cluster, weights=Dt * yt, minlength=G)  # restricted residual = yt under b = 0
    t_obs = s.sum() / np.sqrt((s**2).sum())
    rng = np.random.default_rng(seed)
    if weights == "rademacher" and G <= 12:
        V = np.array(list(itertools.product([-1.0, 1.0], repeat=G)))
        exact = True
    else:
        V = rng.choice([-1.0, 1.0], size=(n_boot, G)) if weights == "rademacher" else _webb(rng, (n_boot, G))
        exact = False
    sb = V * s
    t_b = sb.sum(1) / np.sqrt((sb**2).sum(1))
    p = float(np.mean(np.abs(t_b) >= abs(t_obs) - 1e-12))
    # CRV1 standard error of the unrestricted fit, for reference
    u = yt - beta * Dt
    sc = np.bincount(panel.cluster, weights=Dt * u, minlength=G)
    n, k = len(u), 1 + panel.X.shape[1]
    se = float(np.sqrt((sc**2).sum() * G / (G - 1) * (n - 1) / (n - k)) / (Dt @ Dt))
    options = dict(y=y, covariates=list(covariates), cluster=cluster or unit, weights=weights,
                   n_boot=len(V), exact=exact, seed=seed, n_clusters=G)
    row = make_rows("wild_cluster_bootstrap", "overall", ["ATT"], np.array([beta]), np.array([se]),
                    p_value=np.array([p]), options=options, n_obs=n, n_units=panel.n_units,
                    n_treated=int(np.unique(panel.unit[~np.isnan(panel.cohort)]).size),
                    control_group="implicit (TWFE)", alpha=alpha, df=G - 1)
    return Result("wild_cluster_bootstrap", row, options, extra={"t_obs": t_obs, "t_boot": t_b})
