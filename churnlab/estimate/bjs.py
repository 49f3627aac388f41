"""Borusyak, Jaravel and Spiess (2024) imputation estimator with its conservative standard errors.

1. Fit ``Y(0) = a_i + l_t + X b`` by OLS on untreated observations (never treated and not yet treated).
2. Impute ``Y(0)`` for treated observations; ``tau_it = Y_it - Yhat_it(0)``.
3. Average ``tau_it`` with estimand weights ``w`` (static: every treated observation equally; event time
   ``h``: every treated observation ``h`` periods after adoption equally).

Standard errors follow Theorem 3 of the paper (as R ``didimputation``): the implied weights of untreated
observations ``v_0 = -Z_0 (Z_0'Z_0)^{-1} Z_1' w_1``, treated residuals ``tau_it - taubar`` from the auxiliary
model (``v^2``-weighted averages within cohort x event time by default), and
``Var = sum_clusters (sum_it v_it e_it)^2``. The normal equations are solved with the unit effects
eliminated (a Schur complement of size periods + covariates), so memory is linear in the number of
observations: no units x units matrix is ever formed.

Pre-trends are tested as in BJS (Test 1) and ``didimputation``: a regression of the outcome on lead
indicators and the first-stage terms among untreated observations, with a joint Wald test.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from churnlab.errors import DataError, InputError
from churnlab.estimate._checks import Panel, check_choice, prepare
from churnlab.estimate._result import Result, make_rows

__all__ = ["imputation", "fe_projector"]

log = logging.getLogger(__name__)


def _groupsum(codes: np.ndarray, n_groups: int, r: np.ndarray) -> np.ndarray:
    """Sum the rows of ``r`` (n x m) by integer group code, via one sparse product (much faster than np.add.at)."""
    from scipy import sparse

    m = sparse.csr_matrix((np.ones(codes.size), (codes, np.arange(codes.size))), shape=(n_groups, codes.size))
    return np.asarray(m @ r)


class fe_projector:
    """Least squares with unit and period fixed effects and covariates on a set of observations.

    Solves the normal equations with the unit block eliminated (Schur complement), exposing ``solve`` for
    arbitrary right-hand sides ``Z'r`` so that both the first stage and the BJS weights ``v_0`` use it.
    """

    def __init__(self, u: np.ndarray, t: np.ndarray, X: np.ndarray, n_units: int, n_periods: int):
        self.u, self.t, self.N, self.T = u, t, n_units, n_periods
        self.mu = X.mean(0) if X.shape[1] else np.zeros(0)
        sd = X.std(0) if X.shape[1] else np.zeros(0)
        self.sd = np.where(sd > 0, sd, 1.0)
        self.X = (X - self.mu) / self.sd
        K = X.shape[1]
        self.K = K
        self.n_u = np.bincount(u, minlength=n_units).astype(float)
        self.n_t = np.bincount(t, minlength=n_periods).astype(float)
        p = n_periods - 1 + K
        RR = np.zeros((p, p))
        RR[: n_periods - 1, : n_periods - 1] = np.diag(self.n_t[1:])
        if K:
            tx = _groupsum(t, n_periods, self.X)
            RR[: n_periods - 1, n_periods - 1 :] = tx[1:]
            RR[n_periods - 1 :, : n_periods - 1] = tx[1:].T
            RR[n_periods - 1 :, n_periods - 1 :] = self.X.T @ self.X
        UR = np.zeros((n_units, p))
        ut = np.bincount(u * n_periods + t, minlength=n_units * n_periods).reshape(n_units, n_periods)
        UR[:, : n_periods - 1] = ut[:, 1:]
        if K:
            ux = _groupsum(u, n_units, self.X)
            UR[:, n_periods - 1 :] = ux
        self.UR = UR
        inv_nu = np.where(self.n_u > 0, 1 / np.where(self.n_u > 0, self.n_u, 1), 0.0)
        self.inv_nu = inv_nu
        self.S = RR - UR.T @ (UR * inv_nu[:, None])
        self.S_pinv = np.linalg.pinv(self.S, rcond=1e-12, hermitian=True)

    def rhs(self, u: np.ndarray, t: np.ndarray, X: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``Z'r`` for observations (u, t, X) and columns r (n x m), split into unit and other blocks."""
        ru = _groupsum(u, self.N, r)
        rt = _groupsum(t, self.T, r)
        Xs = (X - self.mu) / self.sd
        return ru, np.vstack([rt[1:], Xs.T @ r])

    def solve(self, ru: np.ndarray, rr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        theta = self.S_pinv @ (rr - self.UR.T @ (ru * self.inv_nu[:, None]))
        alpha = (ru - self.UR @ theta) * self.inv_nu[:, None]
        return alpha, theta

    def predict(self, alpha: np.ndarray, theta: np.ndarray, u: np.ndarray, t: np.ndarray, X: np.ndarray) -> np.ndarray:
        gamma = np.vstack([np.zeros((1, theta.shape[1])), theta[: self.T - 1]])
        out = alpha[u] + gamma[t]
        if self.K:
            out = out + ((X - self.mu) / self.sd) @ theta[self.T - 1 :]
        return out


def _lead_regression(panel: Panel, untreated: np.ndarray, leads: list[int], cluster_name: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Coefficients and cluster-robust covariance of lead indicators among untreated observations (pyfixest)."""
    import pyfixest as pf

    e = panel.time - panel.cohort
    cols = {}
    for h in leads:
        cols[f"lead_{abs(h)}"] = ((e == h) & untreated).astype(float)[untreated]
    import pandas as pd

    df = pd.DataFrame(
        {"y": panel.y[untreated], "unit": panel.unit[untreated], "time": panel.time[untreated],
         "cl": panel.cluster[untreated], **cols,
         **{f"x{k}": panel.X[untreated, k] for k in range(panel.X.shape[1])}}
    )
    keep = [c for c in cols if df[c].sum() > 0]
    if not keep:
        raise DataError(f"no untreated observations at event times {leads}; choose pretrends within the data")
    rhs = " + ".join(keep + [f"x{k}" for k in range(panel.X.shape[1])])
    fit = pf.feols(f"y ~ {rhs} | unit + time", data=df, vcov={"CRV1": "cl"}, fixef_rm="none")
    coef = fit.coef()
    V = fit._vcov
    idx = [list(coef.index).index(c) for c in keep]
    used = [leads[list(cols).index(c)] for c in keep]
    return np.asarray(coef.values)[idx], np.asarray(V)[np.ix_(idx, idx)], used  # type: ignore[return-value]


def imputation(
    data: Any,
    *,
    y: str,
    unit: str = "unit",
    time: str = "period",
    cohort: str = "cohort",
    covariates: Sequence[str] = (),
    horizon: Sequence[int] | bool | None = True,
    pretrends: Sequence[int] | bool | None = None,
    cluster: str | None = None,
    aux_partition: Literal["cohort_horizon", "cohort", "horizon"] = "cohort_horizon",
    se_convention: Literal["bjs", "didimputation"] = "bjs",
    alpha: float = 0.05,
    drop_missing: bool = False,
    allow_duplicates: bool = False,
    time_coding: Literal["dense", "raw"] = "dense",
) -> Result:
    """Borusyak-Jaravel-Spiess imputation estimator.

    Parameters
    ----------
    data : polars or pandas DataFrame
        Long panel (may be unbalanced), one row per unit and period.
    y, unit, time, cohort : str
        Outcome, unit id, integer period, adoption period (null = never treated).
    covariates : sequence of str
        Time-varying covariates of the first stage (``y ~ covariates | unit + period``).
    horizon : sequence of int, True or None
        Event times (>= 0) to report; ``True`` every event time in the data; ``None`` only the static effect.
    pretrends : sequence of int, True or None
        Negative event times for the lead regression (e.g. ``range(-6, -1)``); ``True`` every one.
    cluster : str, optional
        Cluster column (default: the unit).
    aux_partition : {"cohort_horizon", "cohort", "horizon"}
        Cells of the auxiliary model that centres treated residuals.
    se_convention : {"bjs", "didimputation"}
        ``"bjs"`` sums over every cluster (Theorem 3). ``"didimputation"`` reproduces R didimputation 0.3, which
        leaves never-treated units out of the variance sum (smaller standard errors).
    alpha : float
        1 - confidence level.
    drop_missing : bool
        Drop rows with a missing outcome or covariate (as R's fixest does) instead of raising.
    allow_duplicates : bool
        Allow duplicated unit-period rows (only to reproduce a study that had them).
    time_coding : {"dense", "raw"}
        ``"raw"`` accepts YYYYMM periods and does event-time arithmetic on them (to reproduce such a study).

    Returns
    -------
    Result
        ``overall`` row ``ATT``; ``event`` rows ``e=h`` (post from imputation, pre from the lead regression);
        a ``test`` row ``pretrend_wald`` when ``pretrends`` is given. ``vcov["event"]`` covers the post rows.
    """
    check_choice("aux_partition", aux_partition, ("cohort_horizon", "cohort", "horizon"))
    check_choice("se_convention", se_convention, ("bjs", "didimputation"))
    panel = prepare(data, y=y, unit=unit, time=time, cohort=cohort, covariates=covariates, cluster=cluster,
                    time_coding=time_coding, drop_missing=drop_missing, allow_duplicates=allow_duplicates)
    options = dict(y=y, covariates=list(covariates), horizon=horizon if not isinstance(horizon, range) else list(horizon),
                   pretrends=pretrends if not isinstance(pretrends, range) else list(pretrends),
                   cluster=cluster or unit, aux_partition=aux_partition, se_convention=se_convention, alpha=alpha,
                   time_coding=time_coding, dropped=panel.dropped)
    D = panel.treated
    if not D.any():
        raise DataError("no treated observations (period >= cohort); check the cohort column")
    if D.all():
        raise DataError("every observation is treated; imputation needs untreated observations")
    tcode = np.searchsorted(panel.periods, panel.time)
    u0 = D == 0
    has_u = np.bincount(panel.unit[u0], minlength=panel.n_units) > 0
    has_t = np.bincount(tcode[u0], minlength=panel.periods.size) > 0
    imputable = ~D | (has_u[panel.unit] & has_t[tcode])
    n_lost = int((~imputable).sum())
    if n_lost:
        log.info("%d treated observations have no untreated observation of their unit or period; dropped", n_lost)
        options["dropped"] = dict(panel.dropped, not_imputable=n_lost)
    # re-index units and periods over the untreated sample
    umap = np.cumsum(has_u) - 1
    tmap = np.cumsum(has_t) - 1
    keep = imputable
    uu, tt, XX, yy, DD = umap[panel.unit[keep]], tmap[tcode[keep]], panel.X[keep], panel.y[keep], D[keep]
    e = (panel.time - panel.cohort)[keep]
    coh = panel.cohort[keep]
    clu = panel.cluster[keep]
    proj = fe_projector(uu[~DD], tt[~DD], XX[~DD], int(has_u.sum()), int(has_t.sum()))
    ru, rr = proj.rhs(uu[~DD], tt[~DD], XX[~DD], yy[~DD][:, None])
    a, th = proj.solve(ru, rr)
    yhat = proj.predict(a, th, uu, tt, XX)[:, 0]
    resid = yy - yhat  # tau for treated, first-stage residual for untreated
    # estimand weights
    tr = np.where(DD)[0]
    names, wcols, evt = ["ATT"], [np.full(tr.size, 1.0 / tr.size)], [None]
    et = e[tr].astype(np.int64)
    if horizon is not None and horizon is not False:
        hs = np.unique(et) if horizon is True else np.array(sorted({int(h) for h in horizon if h >= 0}))
        for h in hs:
            m = et == h
            if m.any():
                names.append(f"e={h}")
                wcols.append(m / m.sum())
                evt.append(int(h))
            else:
                log.info("no treated observations at event time %d", h)
    W1 = np.column_stack(wcols)
    est = W1.T @ resid[tr]
    # BJS weights of untreated observations
    un = np.where(~DD)[0]
    ru, rr = proj.rhs(uu[tr], tt[tr], XX[tr], W1)
    aw, thw = proj.solve(ru, rr)
    V = np.zeros((keep.sum(), W1.shape[1]))
    V[un] = -proj.predict(aw, thw, uu[un], tt[un], XX[un])
    V[tr] = W1
    # auxiliary model: centre treated residuals within cells
    if aux_partition == "cohort_horizon":
        key = np.unique(np.column_stack([coh[tr], et]), axis=0, return_inverse=True)[1].ravel()
    elif aux_partition == "cohort":
        key = np.unique(coh[tr], return_inverse=True)[1]
    else:
        key = np.unique(et, return_inverse=True)[1]
    nk = key.max() + 1
    eps = np.repeat(resid[:, None], W1.shape[1], axis=1)
    v2 = W1**2
    num = _groupsum(key, nk, v2 * resid[tr][:, None])
    den = _groupsum(key, nk, v2)
    taubar = np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)
    eps[tr] = resid[tr][:, None] - taubar[key]
    contrib = V * eps
    if se_convention == "didimputation":
        contrib[np.isnan(coh)] = 0.0
    ncl = int(clu.max()) + 1
    S = _groupsum(clu, ncl, contrib)
    vcov_all = S.T @ S
    se = np.sqrt(np.diag(vcov_all))
    n_units = int(np.unique(panel.unit[keep]).size)
    n_treated = int(np.unique(panel.unit[keep][DD]).size)
    common = dict(options=options, n_obs=int(keep.sum()), n_units=n_units, n_treated=n_treated,
                  control_group="not_yet_and_never", alpha=alpha)
    frames = [make_rows("imputation", "overall", names[:1], est[:1], se[:1], **common)]
    vcov: dict[str, np.ndarray] = {}
    pre_rows = None
    if pretrends is not None and pretrends is not False:
        ev_all = (panel.time - panel.cohort)
        cand = np.unique(ev_all[~np.isnan(ev_all) & ~D]).astype(int)
        leads = sorted(int(h) for h in (cand if pretrends is True else pretrends) if h < 0)
        bad = [h for h in leads if h not in set(cand.tolist())]
        if bad:
            raise InputError(f"pretrends {bad} not found among untreated event times {cand.tolist()}")
        sub = Panel(unit=panel.unit[keep], time=panel.time[keep], cohort=coh, y=yy, X=XX, cluster=clu,
                    unit_labels=panel.unit_labels, periods=panel.periods, covariates=panel.covariates)
        b, Vb, used = _lead_regression(sub, ~DD, leads, "cluster")
        pre_rows = make_rows("imputation", "event", [f"e={h}" for h in used], b, np.sqrt(np.diag(Vb)),
                             event_time=list(used), **common)
        stat = float(b @ np.linalg.solve(Vb, b))
        frames.append(pre_rows)
        vcov["pretrend"] = Vb
        frames.append(make_rows("imputation", "test", ["pretrend_wald"], np.array([stat]), np.array([np.nan]),
                                p_value=np.array([stats.chi2.sf(stat, len(used))]), **common))
    if len(names) > 1:
        frames.insert(1 if pre_rows is None else 1, make_rows("imputation", "event", names[1:], est[1:], se[1:],
                                                               event_time=evt[1:], **common))
        vcov["event"] = vcov_all[1:, 1:]
    table = pl.concat(frames)
    order = table.with_row_index("_i").sort(
        pl.col("kind").replace_strict({"overall": 0, "event": 1, "test": 2}, default=3), "event_time", "_i", nulls_last=True
    ).drop("_i")
    tau = pl.DataFrame({"unit": [panel.unit_labels[i] for i in panel.unit[keep][tr]], "period": panel.time[keep][tr],
                        "cohort": coh[tr], "event_time": et, "tau": resid[tr]})
    beta = {c: float(th[proj.T - 1 + k, 0] / proj.sd[k]) for k, c in enumerate(covariates)}
    return Result("imputation", order, options, vcov=vcov, extra={"tau": tau, "first_stage": beta})
