"""Sun and Abraham (2021) interaction-weighted event study (the saturated cohort x event-time regression).

``y ~ sum_{g, e != ref} 1[cohort = g] 1[period - g = e] + X | unit + period`` with never-treated (or the
last-treated cohort) as the control group, then event-time effects as cohort-share-weighted averages of the
cohort-specific coefficients; variances ``w' V w`` from the clustered (CRV1) covariance, as fixest ``sunab``
and diff-diff ``SunAbraham``. The overall ATT weights post-period cells by their number of treated observations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl

from churnlab.errors import DataError
from churnlab.estimate._checks import check_choice, prepare, require_never_treated
from churnlab.estimate._result import Result, make_rows
from churnlab.estimate.fixed_effects import _frame, _vcov_arg

__all__ = ["sun_abraham"]


def sun_abraham(
    data: Any,
    *,
    y: str,
    unit: str = "unit",
    time: str = "period",
    cohort: str = "cohort",
    covariates: Sequence[str] = (),
    control_group: Literal["never", "last"] = "never",
    ref: int = -1,
    cluster: str | None = None,
    alpha: float = 0.05,
    time_coding: Literal["dense", "raw"] = "dense",
) -> Result:
    """Sun-Abraham interaction-weighted estimator.

    Parameters
    ----------
    control_group : {"never", "last"}
        Never-treated units, or the last-treated cohort (periods from its adoption on are dropped).
    ref : int
        Reference event time (omitted for every cohort).
    Other parameters as :func:`churnlab.estimate.fixed_effects`.

    Returns
    -------
    Result
        ``overall`` row ``ATT``, ``event`` rows ``e=h``, and ``gt`` rows with each cohort x event-time
        coefficient; ``vcov["event"]`` for the event rows.
    """
    import pyfixest as pf

    check_choice("control_group", control_group, ("never", "last"))
    panel = prepare(data, y=y, unit=unit, time=time, cohort=cohort, covariates=covariates, cluster=cluster,
                    time_coding=time_coding)
    df = _frame(panel)
    df["g"] = panel.cohort
    if control_group == "never":
        require_never_treated(panel, "sun_abraham(control_group='never')")
    else:
        glast = np.nanmax(panel.cohort)
        df = df[df["time"] < glast].copy()
        df.loc[df["g"] == glast, "g"] = np.nan
    e = df["time"] - df["g"]
    cells = sorted({(float(g), int(h)) for g, h in zip(df["g"], e, strict=True) if not np.isnan(g) and h != ref})
    if not cells:
        raise DataError("no cohort x event-time cells to estimate")
    dummies = {f"c{int(g)}_{'m' if h < 0 else 'p'}{abs(h)}": ((df["g"] == g) & (e == h)).astype(float)
               for g, h in cells}
    names = list(dummies)
    df = pd.concat([df, pd.DataFrame(dummies, index=df.index)], axis=1)  # one concat: no fragmented frame
    xs = [f"x{k}" for k in range(panel.X.shape[1])]
    fit = pf.feols(f"y ~ {' + '.join(names + xs)} | unit + time", data=df, vcov=_vcov_arg("cluster"))
    coef = fit.coef()
    if any(n not in coef.index for n in names):
        raise DataError("some cohort x event-time terms are collinear (no untreated comparison); use control_group='last'")
    b = coef[names].to_numpy()
    V = np.asarray(fit._vcov)[: len(names), : len(names)]
    counts = np.array([((df["g"] == g) & (e == h)).sum() for g, h in cells], dtype=float)
    ev = np.array([h for _, h in cells])
    es = np.unique(ev)
    Wm = np.zeros((es.size, len(cells)))
    for i, h in enumerate(es):
        m = ev == h
        Wm[i, m] = counts[m] / counts[m].sum()
    est_e = Wm @ b
    V_e = Wm @ V @ Wm.T
    post = ev >= 0
    w_all = np.where(post, counts, 0.0)
    w_all /= w_all.sum()
    att = float(w_all @ b)
    se_att = float(np.sqrt(w_all @ V @ w_all))
    n_treated = int(np.unique(panel.unit[~np.isnan(panel.cohort)]).size)
    options = dict(y=y, covariates=list(covariates), control_group=control_group, ref=ref, cluster=cluster or unit)
    common = dict(options=options, n_obs=int(fit._N), n_units=panel.n_units, n_treated=n_treated,
                  control_group=control_group, alpha=alpha)
    rows = [
        make_rows("sun_abraham", "overall", ["ATT"], np.array([att]), np.array([se_att]), **common),
        make_rows("sun_abraham", "event", [f"e={h}" for h in es], est_e, np.sqrt(np.diag(V_e)),
                  event_time=[int(h) for h in es], **common),
        make_rows("sun_abraham", "gt", [f"delta(g={int(g)},e={h})" for g, h in cells], b, np.sqrt(np.diag(V)),
                  cohort=[int(g) for g, _ in cells], event_time=[int(h) for _, h in cells],
                  period=[int(g + h) for g, h in cells], **common),
    ]
    return Result("sun_abraham", pl.concat(rows), options, vcov={"event": V_e, "gt": V},
                  extra={"weights": Wm, "cells": cells})
