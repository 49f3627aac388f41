"""Two-way fixed-effects regressions (pyfixest as the engine): static, dynamic event study, and PPML.

Under staggered adoption with heterogeneous effects these are *diagnostics* (negative weights, contaminated
leads): the result's options carry ``"label": "diagnostic under staggered adoption"``. Use
:func:`churnlab.estimate.imputation` or :func:`churnlab.estimate.callaway_santanna` for causal estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl

from churnlab.errors import DataError, InputError
from churnlab.estimate._checks import Panel, check_choice, prepare
from churnlab.estimate._result import Result, make_rows

__all__ = ["event_study_twfe", "ppml", "twfe"]

Vcov = Literal["cluster", "iid", "hetero"]
_LABEL = "diagnostic under staggered adoption"


def _frame(panel: Panel) -> pd.DataFrame:
    df = pd.DataFrame({"y": panel.y, "unit": panel.unit, "time": panel.time, "cl": panel.cluster})
    for k in range(panel.X.shape[1]):
        df[f"x{k}"] = panel.X[:, k]
    return df


def _vcov_arg(vcov: str) -> Any:
    check_choice("vcov", vcov, ("cluster", "iid", "hetero"))
    return {"CRV1": "cl"} if vcov == "cluster" else vcov


def _fit(df: pd.DataFrame, rhs: list[str], vcov: str, method: Literal["ols", "poisson"] = "ols"):
    import pyfixest as pf

    fml = f"y ~ {' + '.join(rhs)} | unit + time"
    if method == "ols":
        return pf.feols(fml, data=df, vcov=_vcov_arg(vcov))
    return pf.fepois(fml, data=df, vcov=_vcov_arg(vcov))


def _coef_rows(fit, names: dict[str, str], panel: Panel, estimator: str, kind: str, options: dict, alpha: float,
               event_time: list[int] | None = None) -> pl.DataFrame:
    coef = fit.coef()
    se = fit.se()
    missing = [c for c in names if c not in coef.index]
    if missing:
        raise DataError(f"{estimator}: terms {missing} were dropped as collinear; check the treatment timing")
    keys = list(names)
    n_treated = int(np.unique(panel.unit[~np.isnan(panel.cohort)]).size)
    return make_rows(estimator, kind, [names[k] for k in keys], coef[keys].to_numpy(), se[keys].to_numpy(),
                     event_time=event_time, options=options, n_obs=int(fit._N), n_units=panel.n_units,
                     n_treated=n_treated, control_group="implicit (TWFE)", alpha=alpha)


def twfe(
    data: Any,
    *,
    y: str,
    unit: str = "unit",
    time: str = "period",
    cohort: str | None = "cohort",
    treatment: str | None = None,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    vcov: Vcov = "cluster",
    alpha: float = 0.05,
    time_coding: Literal["dense", "raw"] = "dense",
) -> Result:
    """Static TWFE: ``y ~ D + X | unit + period`` with ``D = 1[period >= cohort]``.

    Parameters
    ----------
    data : polars or pandas DataFrame
        Long panel.
    y, unit, time : str
        Outcome, unit and integer period columns.
    cohort, treatment : str
        Adoption period (null = never) or an absorbing 0/1 treatment column (pass ``cohort=None``).
    covariates : sequence of str
        Controls.
    cluster : str, optional
        Cluster column (default: the unit).
    vcov : {"cluster", "iid", "hetero"}
        Variance estimator (CRV1 as fixest, iid, HC1).
    """
    if treatment is not None:
        cohort = None
    panel = prepare(data, y=y, unit=unit, time=time, cohort=cohort, treatment=treatment, covariates=covariates,
                    cluster=cluster, time_coding=time_coding)
    df = _frame(panel)
    df["D"] = panel.treated.astype(float)
    xs = [f"x{k}" for k in range(panel.X.shape[1])]
    fit = _fit(df, ["D", *xs], vcov)
    options = dict(y=y, covariates=list(covariates), vcov=vcov, cluster=cluster or unit, label=_LABEL)
    rows = [_coef_rows(fit, {"D": "ATT"}, panel, "twfe_static", "overall", options, alpha)]
    if xs:
        rows.append(_coef_rows(fit, dict(zip(xs, covariates, strict=True)), panel, "twfe_static", "coef", options, alpha))
    return Result("twfe_static", pl.concat(rows), options, vcov={"overall": np.asarray(fit._vcov)[:1, :1]})


def _event_dummies(panel: Panel, ref: Sequence[int], window: tuple[int, int] | None, bin_endpoints: bool) -> tuple[dict[str, np.ndarray], list[int]]:
    e = panel.time - panel.cohort
    ev = np.unique(e[~np.isnan(e)]).astype(int)
    if window is not None:
        lo, hi = window
        if bin_endpoints:
            e = np.where(e < lo, lo, np.where(e > hi, hi, e))
        ev = ev[(ev >= lo) & (ev <= hi)]
    cols, used = {}, []
    for h in ev:
        if h in ref:
            continue
        name = f"e_m{-h}" if h < 0 else f"e_p{h}"
        cols[name] = (e == h).astype(float)
        used.append(int(h))
    return cols, used


def event_study_twfe(
    data: Any,
    *,
    y: str,
    unit: str = "unit",
    time: str = "period",
    cohort: str = "cohort",
    covariates: Sequence[str] = (),
    ref: Sequence[int] = (-1,),
    window: tuple[int, int] | None = None,
    bin_endpoints: bool = True,
    cluster: str | None = None,
    vcov: Vcov = "cluster",
    alpha: float = 0.05,
    time_coding: Literal["dense", "raw"] = "dense",
) -> Result:
    """Dynamic TWFE event study: ``y ~ sum_h 1[period - cohort = h] + X | unit + period``.

    Parameters
    ----------
    ref : sequence of int
        Omitted event times (default -1). Without never-treated units, omit two (e.g. ``(-1, -5)``).
    window : (int, int), optional
        Event-time window; with ``bin_endpoints`` the end points absorb event times beyond them,
        otherwise event times outside the window are pooled with the reference.
    Other parameters as :func:`twfe`.
    """
    panel = prepare(data, y=y, unit=unit, time=time, cohort=cohort, covariates=covariates, cluster=cluster,
                    time_coding=time_coding)
    df = _frame(panel)
    cols, used = _event_dummies(panel, tuple(ref), window, bin_endpoints)
    if not cols:
        raise DataError("no event times to estimate; check cohort and window")
    for k, v in cols.items():
        df[k] = v
    xs = [f"x{k}" for k in range(panel.X.shape[1])]
    fit = _fit(df, [*cols, *xs], vcov)
    options = dict(y=y, covariates=list(covariates), ref=list(ref), window=window, bin_endpoints=bin_endpoints,
                   vcov=vcov, cluster=cluster or unit, label=_LABEL)
    names = {k: f"e={h}" for k, h in zip(cols, used, strict=True)}
    rows = _coef_rows(fit, names, panel, "twfe_event", "event", options, alpha, event_time=used)
    V = np.asarray(fit._vcov)[: len(cols), : len(cols)]
    return Result("twfe_event", rows, options, vcov={"event": V})


def ppml(
    data: Any,
    *,
    y: str,
    unit: str = "unit",
    time: str = "period",
    cohort: str = "cohort",
    covariates: Sequence[str] = (),
    dynamic: bool = False,
    ref: Sequence[int] = (-1,),
    window: tuple[int, int] | None = None,
    cluster: str | None = None,
    vcov: Vcov = "cluster",
    alpha: float = 0.05,
    time_coding: Literal["dense", "raw"] = "dense",
) -> Result:
    """Poisson pseudo-maximum likelihood with unit and period fixed effects (``pyfixest.fepois``) for counts.

    ``exp(b) - 1`` is the proportional effect; zeros are fine (no log transform). Static by default;
    ``dynamic=True`` estimates event-time coefficients like :func:`event_study_twfe`.
    """
    panel = prepare(data, y=y, unit=unit, time=time, cohort=cohort, covariates=covariates, cluster=cluster,
                    time_coding=time_coding)
    if (panel.y < 0).any():
        raise DataError(f"PPML needs a non-negative outcome; {y!r} has negative values")
    df = _frame(panel)
    xs = [f"x{k}" for k in range(panel.X.shape[1])]
    options = dict(y=y, covariates=list(covariates), dynamic=dynamic, vcov=vcov, cluster=cluster or unit, label=_LABEL)
    if dynamic:
        cols, used = _event_dummies(panel, tuple(ref), window, True)
        for k, v in cols.items():
            df[k] = v
        fit = _fit(df, [*cols, *xs], vcov, "poisson")
        names = {k: f"e={h}" for k, h in zip(cols, used, strict=True)}
        rows = _coef_rows(fit, names, panel, "ppml", "event", options, alpha, event_time=used)
    else:
        df["D"] = panel.treated.astype(float)
        fit = _fit(df, ["D", *xs], vcov, "poisson")
        rows = _coef_rows(fit, {"D": "ATT"}, panel, "ppml", "overall", options, alpha)
    if rows.height == 0:
        raise InputError("nothing estimated")
    return Result("ppml", rows, options, vcov={"event" if dynamic else "overall": np.asarray(fit._vcov)[: rows.height, : rows.height]})
