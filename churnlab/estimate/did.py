"""Callaway and Sant'Anna (2021) group-time average treatment effects and their aggregations.

Follows R ``did`` 2.x (and its Python port ``csdid``) cell by cell: the same base periods (varying or
universal, with anticipation), the same never-treated / not-yet-treated comparison groups, the same
doubly-robust 2x2 estimator (Sant'Anna and Zhao 2020, ``drdid_panel``) with covariates from the earlier of the
two periods, the same influence functions and aggregation weights (including the estimated-weight term), and a
clustered multiplier bootstrap with uniform (sup-t) bands. The unconditional estimator is vectorised over all
(g, t) cells at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from churnlab.errors import DataError, InputError
from churnlab.estimate._checks import check_choice, prepare, require_never_treated
from churnlab.estimate._result import Result, make_rows

__all__ = ["callaway_santanna", "multiplier_bootstrap"]

log = logging.getLogger(__name__)

Aggregation = Literal["simple", "group", "calendar", "event"]
_AGGS = ("simple", "group", "calendar", "event")


def multiplier_bootstrap(
    inf: np.ndarray, cluster: np.ndarray, *, n_boot: int, alpha: float, seed: int
) -> tuple[np.ndarray, float]:
    """Clustered multiplier bootstrap (Mammen weights) of influence functions.

    Parameters
    ----------
    inf : (n, k) array
        Influence functions of k estimates over n units, scaled so that ``se = sqrt(sum(inf**2)) / n``.
    cluster : (n,) int array
        Cluster code of each unit.

    Returns
    -------
    se : (k,) array
        Bootstrap standard errors (interquartile range / 1.349, as R ``did``).
    crit : float
        Critical value of the uniform band: the (1 - alpha) quantile of ``max_k |b_k / se_k|``.
    """
    n = inf.shape[0]
    ncl = int(cluster.max()) + 1

    from churnlab.estimate.bjs import _groupsum

    sums = _groupsum(cluster, ncl, np.nan_to_num(inf))
    rng = np.random.default_rng(seed)
    s5 = np.sqrt(5.0)
    p = (s5 + 1) / (2 * s5)
    v = np.where(rng.random((n_boot, ncl)) < p, (1 - s5) / 2, (1 + s5) / 2)
    draws = v @ sums / n
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0, method="inverted_cdf")
    from scipy.stats import norm

    se = (q75 - q25) / (norm.ppf(0.75) - norm.ppf(0.25))
    ok = se > np.sqrt(np.finfo(float).eps) * 10
    if not ok.any():
        return np.where(ok, se, np.nan), float(norm.ppf(1 - alpha / 2))
    tmax = np.max(np.abs(draws[:, ok] / se[ok]), axis=1)
    crit = float(np.quantile(tmax, 1 - alpha, method="inverted_cdf"))
    crit = max(crit, float(norm.ppf(1 - alpha / 2)))
    return np.where(ok, se, np.nan), crit


def _logit(X: np.ndarray, d: np.ndarray, tol: float = 1e-12, max_iter: int = 100) -> np.ndarray:
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        eta = X @ beta
        p = 1 / (1 + np.exp(-eta))
        w = p * (1 - p)
        grad = X.T @ (d - p)
        H = X.T @ (X * w[:, None])
        step = np.linalg.solve(H, grad)
        beta += step
        if np.max(np.abs(step)) < tol:
            break
    return 1 / (1 + np.exp(-(X @ beta)))


def _drdid_panel(dy: np.ndarray, D: np.ndarray, X: np.ndarray, trim_level: float = 0.995) -> tuple[float, np.ndarray]:
    """Doubly-robust DiD for panel data (Sant'Anna and Zhao 2020; DRDID::drdid_panel, unit weights)."""
    n = len(D)
    Xi = np.column_stack([np.ones(n), X])
    ps = np.minimum(_logit(Xi, D), 1 - 1e-6)
    trim = np.ones(n, dtype=bool)
    c = D == 0
    trim[c] = ps[c] < trim_level
    beta = np.linalg.lstsq(Xi[c], dy[c], rcond=None)[0]
    out = Xi @ beta
    w_t = trim * D
    w_c = trim * ps * (1 - D) / (1 - ps)
    r = dy - out
    eta_t = np.mean(w_t * r) / np.mean(w_t)
    eta_c = np.mean(w_c * r) / np.mean(w_c)
    wx = (1 - D)[:, None] * Xi
    XpX_inv = np.linalg.inv(wx.T @ Xi / n)
    lin_ols = (wx * r[:, None]) @ XpX_inv
    score = (D - ps)[:, None] * Xi
    H = np.linalg.inv(Xi.T @ (Xi * (ps * (1 - ps))[:, None])) * n
    lin_ps = score @ H
    inf_t = (w_t * r - w_t * eta_t - lin_ols @ np.mean(w_t[:, None] * Xi, axis=0)) / np.mean(w_t)
    M2 = np.mean((w_c * (r - eta_c))[:, None] * Xi, axis=0)
    M3 = np.mean(w_c[:, None] * Xi, axis=0)
    inf_c = (w_c * r - w_c * eta_c + lin_ps @ M2 - lin_ols @ M3) / np.mean(w_c)
    return float(eta_t - eta_c), inf_t - inf_c


def _wif(G: np.ndarray, cell_g: np.ndarray, pg: np.ndarray) -> np.ndarray:
    """Influence of the estimated group-share weights (R did ``wif``), n x k."""
    ind = (G[:, None] == cell_g[None, :]).astype(float) - pg[None, :]
    s = pg.sum()
    return ind / s - np.outer(ind.sum(axis=1), pg / s**2)


def callaway_santanna(
    data: Any,
    *,
    y: str,
    unit: str = "unit",
    time: str = "period",
    cohort: str = "cohort",
    covariates: Sequence[str] = (),
    control_group: Literal["never", "not_yet"] = "never",
    base_period: Literal["varying", "universal"] = "varying",
    anticipation: int = 0,
    aggregations: Sequence[Aggregation] = _AGGS,
    cluster: str | None = None,
    bootstrap: int = 999,
    cband: bool = True,
    alpha: float = 0.05,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    seed: int = 0,
    time_coding: Literal["dense", "raw"] = "dense",
) -> Result:
    """Callaway-Sant'Anna ATT(g, t) with simple, group, calendar and event-time aggregations.

    Parameters
    ----------
    data : polars or pandas DataFrame
        Balanced long panel, one row per unit and period.
    y, unit, time, cohort : str
        Outcome, unit id, integer period and adoption-period column (null = never treated).
    covariates : sequence of str
        Covariates for the doubly-robust estimator (taken at the earlier of the two periods of each cell).
        Empty: the unconditional estimator.
    control_group : {"never", "not_yet"}
        Never-treated units, or never- plus not-yet-treated units.
    base_period : {"varying", "universal"}
        Pre-period cells compare with the previous period (varying) or with the last pre-treatment period.
    anticipation : int
        Periods of anticipation.
    aggregations : sequence of {"simple", "group", "calendar", "event"}
        Aggregations to report.
    cluster : str, optional
        Cluster column, constant within unit (default: the unit).
    bootstrap : int
        Multiplier-bootstrap draws; 0 gives analytic (influence-function) standard errors and no bands.
    cband : bool
        Report uniform confidence bands (``cband_low``, ``cband_high``) from the bootstrap.
    alpha : float
        1 - confidence level.
    min_e, max_e : float
        Event-time window of the simple, group and event aggregations.
    seed : int
        Bootstrap seed.
    time_coding : {"dense", "raw"}
        See :func:`churnlab.estimate._checks.prepare`.

    Returns
    -------
    Result
        Rows of kind ``gt`` (every ATT(g,t)), ``overall`` (``ATT`` = simple, ``ATT_event``, ``ATT_group``,
        ``ATT_calendar``), ``event``, ``group`` and ``calendar``.
    """
    check_choice("control_group", control_group, ("never", "not_yet"))
    check_choice("base_period", base_period, ("varying", "universal"))
    for a in aggregations:
        check_choice("aggregations", a, _AGGS)
    if anticipation < 0 or int(anticipation) != anticipation:
        raise InputError(f"anticipation={anticipation!r} must be a non-negative integer")
    if bootstrap < 0:
        raise InputError("bootstrap must be >= 0 (0 = analytic standard errors)")
    panel = prepare(data, y=y, unit=unit, time=time, cohort=cohort, covariates=covariates, cluster=cluster,
                    balanced=True, time_coding=time_coding)
    if control_group == "never":
        require_never_treated(panel, "callaway_santanna(control_group='never')")
    options = dict(y=y, covariates=list(covariates), control_group=control_group, base_period=base_period,
                   anticipation=anticipation, bootstrap=bootstrap, alpha=alpha, cluster=cluster or unit,
                   min_e=min_e, max_e=max_e, seed=seed, time_coding=time_coding,
                   est_method="dr" if covariates else "unconditional")
    tlist = panel.periods.astype(float)
    Y = panel.wide(panel.y)
    Xw = panel.X.reshape(panel.n_units, tlist.size, -1)
    G = panel.unit_cohort()
    clu = panel.cluster.reshape(panel.n_units, tlist.size)[:, 0]
    if (panel.cluster.reshape(panel.n_units, tlist.size) != clu[:, None]).any():
        raise DataError(f"cluster {cluster!r} varies within units; clusters must contain whole units")
    keep = ~(G <= tlist[0] + anticipation)
    if (~keep).sum():
        log.info("dropped %d units already treated in the first period", (~keep).sum())
    G = np.where(G > tlist[-1] + anticipation, np.nan, G)
    if control_group == "not_yet" and not np.isnan(G[keep]).any():
        gmax = np.nanmax(G[keep])
        tkeep = tlist < gmax - anticipation
        tlist, Y, Xw = tlist[tkeep], Y[:, tkeep], Xw[:, tkeep]
        G = np.where(G == gmax, np.nan, G)
        log.info("no never-treated units: dropped periods >= %s and used the last cohort as controls", gmax)
    Y, Xw, G, clu = Y[keep], Xw[keep], G[keep], clu[keep]
    clu = np.unique(clu, return_inverse=True)[1]
    n, T = Y.shape
    glist = np.unique(G[~np.isnan(G)])
    if glist.size == 0:
        raise DataError("no treated cohorts with a pre-treatment period; nothing to estimate")
    # --- plan cells (csdid plan_cell)
    tfac = 0 if base_period == "universal" else 1
    cells_g, cells_t, cells_b = [], [], []
    for g in glist:
        pre_idx = np.where(tlist + anticipation < g)[0]
        last_pre = int(pre_idx[-1])
        for t_i in range(T - tfac):
            tn = t_i + tfac
            pret = t_i
            if base_period == "universal" or g - anticipation <= tlist[tn]:
                pret = last_pre
            if base_period == "universal" and pret == tn:
                cells_g.append(g), cells_t.append(tn), cells_b.append(-1)
                continue
            cells_g.append(g), cells_t.append(tn), cells_b.append(pret)
    cg = np.array(cells_g)
    ct = np.array(cells_t)
    cb = np.array(cells_b)
    base0 = cb < 0
    cbi = np.where(base0, ct, cb)
    C = cg.size
    tt, tb = tlist[ct], tlist[cbi]
    never = np.isnan(G)
    Tm = G[:, None] == cg[None, :]
    if control_group == "never":
        Cm = np.repeat(never[:, None], C, axis=1)
    else:
        thr = np.maximum(tt, tb) + anticipation
        Gf = np.where(never, np.inf, G)
        Cm = never[:, None] | ((Gf[:, None] > thr[None, :]) & ~Tm)
    dY = Y[:, ct] - Y[:, cbi]
    nt = Tm.sum(0)
    nc = Cm.sum(0)
    att = np.full(C, np.nan)
    inf = np.zeros((n, C))
    ok = (nt > 0) & (nc > 0) & ~base0
    if not covariates:
        with np.errstate(invalid="ignore", divide="ignore"):
            mt = (dY * Tm).sum(0) / nt
            mc = (dY * Cm).sum(0) / nc
            att = np.where(ok, mt - mc, np.nan)
            inf = n * (Tm * (dY - mt) / np.where(nt > 0, nt, 1) - Cm * (dY - mc) / np.where(nc > 0, nc, 1))
        inf[:, ~ok] = 0.0
    else:
        for k in np.where(ok)[0]:
            sel = Tm[:, k] | Cm[:, k]
            Xk = Xw[sel, min(ct[k], cbi[k]), :]
            a, f = _drdid_panel(dY[sel, k], Tm[sel, k].astype(float), Xk)
            att[k] = a
            inf[sel, k] = n / sel.sum() * f
    att[base0] = 0.0
    if (~ok & ~base0).any():
        log.warning("%d group-time cells have no treated or no control units; they are left out", int((~ok & ~base0).sum()))
    valid = ok | base0
    # --- standard errors
    def analytic(IF: np.ndarray) -> np.ndarray:
        ncl = int(clu.max()) + 1
        if ncl == n:
            return np.sqrt((IF**2).sum(0)) / n
        s = np.zeros((ncl, IF.shape[1]))
        np.add.at(s, clu, IF)
        return np.sqrt((s**2).sum(0)) / n

    boot_i = [0]

    def inference(IF: np.ndarray) -> tuple[np.ndarray, float | None]:
        if bootstrap > 0:
            boot_i[0] += 1
            se, crit = multiplier_bootstrap(IF, clu, n_boot=bootstrap, alpha=alpha, seed=seed + boot_i[0])
            return se, (crit if cband else None)
        return analytic(IF), None

    n_treated = int((~np.isnan(G)).sum())
    common = dict(options=options, n_obs=n * T, n_units=n, n_treated=n_treated,
                  control_group=control_group, alpha=alpha)
    est = "callaway_santanna"
    frames: list[pl.DataFrame] = []
    vcov: dict[str, np.ndarray] = {}
    tint = lambda v: int(round(v))  # noqa: E731
    idx = np.where(valid)[0]
    se_gt, crit_gt = inference(inf[:, idx])
    if base0.any():
        se_gt = np.where(base0[idx], np.nan, se_gt)
    frames.append(make_rows(est, "gt", [f"ATT(g={tint(cg[k])},t={tint(tt[k])})" for k in idx], att[idx], se_gt,
                            cohort=[tint(cg[k]) for k in idx], period=[tint(tt[k]) for k in idx],
                            event_time=[tint(tt[k] - cg[k]) for k in idx], crit=crit_gt, **common))
    pg_g = np.array([np.mean(G == g) for g in glist])
    pg = np.array([np.mean(G == g) for g in cg])
    etime = tt - cg
    in_window = valid & (cg <= tt) & (etime >= min_e) & (etime <= max_e)
    overall: list[tuple[str, float, np.ndarray]] = []
    attz = np.nan_to_num(att)

    def agg(which: np.ndarray, with_wif: bool = True) -> tuple[float, np.ndarray]:
        w = pg[which] / pg[which].sum()
        a = float(np.sum(att[which] * w))
        IF = inf[:, which] @ w
        if with_wif:
            IF = IF + _wif(G, cg[which], pg[which]) @ attz[which]
        return a, IF

    if "simple" in aggregations:
        keepers = np.where(in_window)[0]
        if keepers.size == 0:
            raise DataError("no post-treatment group-time effects in the event-time window; widen min_e/max_e")
        a, IF = agg(keepers)
        overall.append(("ATT", a, IF))
    if "event" in aggregations:
        es = np.unique(etime[valid])
        es = es[(es >= min_e) & (es <= max_e)]
        atts, IFs = [], []
        for e in es:
            a, IF = agg(np.where(valid & (etime == e))[0])
            atts.append(a), IFs.append(IF)
        atts_a, IFm = np.array(atts), np.column_stack(IFs)
        se, crit = inference(IFm)
        vcov["event"] = IFm.T @ IFm / n**2
        frames.append(make_rows(est, "event", [f"e={tint(e)}" for e in es], atts_a, se,
                                event_time=[tint(e) for e in es], crit=crit, **common))
        pos = es >= 0
        if pos.any():
            overall.append(("ATT_event", float(atts_a[pos].mean()), IFm[:, pos].mean(1)))
    if "group" in aggregations:
        atts, IFs = [], []
        for g in glist:
            which = np.where((cg == g) & in_window)[0]
            if which.size == 0:
                raise DataError(f"cohort {g} has no effects in the event-time window; widen min_e/max_e")
            atts.append(float(att[which].mean())), IFs.append(inf[:, which].mean(1))
        atts_a, IFm = np.array(atts), np.column_stack(IFs)
        se, crit = inference(IFm)
        frames.append(make_rows(est, "group", [f"g={tint(g)}" for g in glist], atts_a, se,
                                cohort=[tint(g) for g in glist], crit=crit, **common))
        w = pg_g / pg_g.sum()
        IF = IFm @ w + _wif(G, glist, pg_g) @ atts_a
        overall.append(("ATT_group", float(atts_a @ w), IF))
    if "calendar" in aggregations:
        tcal = np.unique(tt[valid & (cg <= tt)])
        tcal = tcal[tcal >= cg.min()]
        atts, IFs = [], []
        for t1 in tcal:
            a, IF = agg(np.where(valid & (tt == t1) & (cg <= tt))[0])
            atts.append(a), IFs.append(IF)
        atts_a, IFm = np.array(atts), np.column_stack(IFs)
        se, crit = inference(IFm)
        frames.append(make_rows(est, "calendar", [f"t={tint(t)}" for t in tcal], atts_a, se,
                                period=[tint(t) for t in tcal], crit=crit, **common))
        overall.append(("ATT_calendar", float(atts_a.mean()), IFm.mean(1)))
    if overall:
        IFo = np.column_stack([o[2] for o in overall])
        se = analytic(IFo) if bootstrap == 0 else inference(IFo)[0]
        frames.insert(0, make_rows(est, "overall", [o[0] for o in overall], np.array([o[1] for o in overall]), se,
                                   **common))
    gt = pl.DataFrame({"cohort": cg, "period": tt, "base": np.where(base0, tt, tb), "att": att,
                       "n_treated": nt, "n_control": nc})
    return Result(est, pl.concat(frames), options, vcov=vcov, extra={"gt": gt, "influence": inf})
