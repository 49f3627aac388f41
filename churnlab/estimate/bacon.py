"""Goodman-Bacon (2021) decomposition of the static TWFE coefficient into 2x2 comparisons.

For a balanced panel without covariates the TWFE coefficient equals the weighted sum of the 2x2 DiD estimates
of (i) each timing group against never-treated units, (ii) earlier- against later-treated groups before the
later group adopts, and (iii) later- against earlier-treated groups after the earlier group adopted (the
"forbidden" comparison). Weights follow Goodman-Bacon (2021, Theorem 1) and sum to one.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np
import polars as pl

from churnlab.errors import DataError
from churnlab.estimate._checks import prepare
from churnlab.estimate._result import Result, make_rows

__all__ = ["bacon_decomposition"]

log = logging.getLogger(__name__)


def bacon_decomposition(
    data: Any,
    *,
    y: str,
    unit: str = "unit",
    time: str = "period",
    cohort: str = "cohort",
    time_coding: Literal["dense", "raw"] = "dense",
) -> Result:
    """Goodman-Bacon decomposition of ``y ~ D | unit + period`` on a balanced panel.

    Returns
    -------
    Result
        ``overall`` row ``TWFE`` (the weighted sum); ``extra["comparisons"]``: one row per 2x2 comparison
        with ``type`` (``treated_vs_never``, ``earlier_vs_later``, ``later_vs_earlier``), ``treated``,
        ``control``, ``estimate`` and ``weight``; ``extra["by_type"]`` the weight and weighted average by type.
    """
    panel = prepare(data, y=y, unit=unit, time=time, cohort=cohort, balanced=True, time_coding=time_coding)
    T = panel.periods.size
    Y = panel.wide(panel.y)
    G = panel.unit_cohort()
    tl = panel.periods
    G = np.where(G > tl[-1], np.nan, G)
    keep = ~(G <= tl[0])
    if (~keep).any():
        log.info("dropped %d units treated from the first period (always treated)", (~keep).sum())
    Y, G = Y[keep], G[keep]
    n = Y.shape[0]
    groups = np.unique(G[~np.isnan(G)])
    if groups.size == 0:
        raise DataError("no treated timing groups")
    gidx = {g: int(np.searchsorted(tl, g)) for g in groups}
    share = {g: np.mean(G == g) for g in groups}
    dbar = {g: (T - gidx[g]) / T for g in groups}
    mean = {g: Y[G == g].mean(0) for g in groups}
    never = np.isnan(G)
    rows = []

    def did(a, b, pre, post):
        return (a[post].mean() - a[pre].mean()) - (b[post].mean() - b[pre].mean())

    if never.any():
        nu, mu = never.mean(), Y[never].mean(0)
        for g in groups:
            k = gidx[g]
            nkU = share[g] / (share[g] + nu)
            w = (share[g] + nu) ** 2 * nkU * (1 - nkU) * dbar[g] * (1 - dbar[g])
            rows.append(("treated_vs_never", g, None, did(mean[g], mu, slice(0, k), slice(k, T)), w))
    for i, k_ in enumerate(groups):
        for l_ in groups[i + 1:]:
            k, l = gidx[k_], gidx[l_]
            nk, nl, Dk, Dl = share[k_], share[l_], dbar[k_], dbar[l_]
            nkl = nk / (nk + nl)
            w_early = ((nk + nl) * (1 - Dl)) ** 2 * nkl * (1 - nkl) * ((Dk - Dl) / (1 - Dl)) * ((1 - Dk) / (1 - Dl))
            rows.append(("earlier_vs_later", k_, l_, did(mean[k_], mean[l_], slice(0, k), slice(k, l)), w_early))
            w_late = ((nk + nl) * Dk) ** 2 * nkl * (1 - nkl) * (Dl / Dk) * ((Dk - Dl) / Dk)
            rows.append(("later_vs_earlier", l_, k_, did(mean[l_], mean[k_], slice(k, l), slice(l, T)), w_late))
    comp = pl.DataFrame(rows, schema={"type": pl.String, "treated": pl.Float64, "control": pl.Float64,
                                      "estimate": pl.Float64, "weight": pl.Float64}, orient="row")
    comp = comp.with_columns(pl.col("weight") / pl.col("weight").sum())
    total = float((comp["estimate"] * comp["weight"]).sum())
    by_type = comp.group_by("type").agg(
        weight=pl.col("weight").sum(), estimate=(pl.col("estimate") * pl.col("weight")).sum() / pl.col("weight").sum()
    ).sort("type")
    options = dict(y=y)
    row = make_rows("bacon", "overall", ["TWFE"], np.array([total]), np.array([np.nan]), options=options,
                    n_obs=n * T, n_units=n, n_treated=int((~never).sum()), control_group="mixed (TWFE)")
    return Result("bacon", row, options, extra={"comparisons": comp, "by_type": by_type})
