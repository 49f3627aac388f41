"""HonestDiD-style sensitivity of event-study conclusions to violations of parallel trends.

Rambachan and Roth (2023) bound the post-period bias ``delta`` by what the pre-period shows:

* relative magnitudes ``Delta^RM(Mbar)``: each post-period change in the bias is at most ``Mbar`` times the
  largest pre-period change, so ``|delta_e| <= (e + 1) Mbar max_s |b_s - b_(s-1)|``;
* smoothness ``Delta^SD(M)``: the bias's slope changes by at most ``M`` per period, so ``delta_e`` lies within
  ``M (e+1)(e+2)/2`` of the linear extrapolation of the last pre-period slope.

For a target ``theta = l' tau_post`` (the average post effect, or one event time) this returns the bounds of the
identified set (plug-in pre-period estimates) widened by the normal critical value times the standard error of
``l' b_post``. This is a conservative-in-spirit projection, *not* the HonestDiD package's ARP/FLCI confidence
sets (which account for the estimation error of the pre-period bound); read it as a sensitivity display.
Pre-period estimates must be relative to event time -1 (TWFE/Sun-Abraham event studies, or
Callaway-Sant'Anna with ``base_period="universal"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

from churnlab.errors import InputError
from churnlab.estimate._checks import check_choice
from churnlab.estimate._result import Result, make_rows

__all__ = ["honest_sensitivity"]


def honest_sensitivity(
    result: Result,
    *,
    method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
    M: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0),
    target: Literal["average"] | int = "average",
    alpha: float = 0.05,
) -> Result:
    """Robust bounds for the average post-period effect (or one event time) over a grid of ``M``.

    Returns
    -------
    Result
        ``overall`` rows ``M=<value>``: ``estimate`` the centre of the identified set, ``ci_low``/``ci_high``
        the robust bounds, ``se`` the standard error of the original target.
    """
    check_choice("method", method, ("relative_magnitude", "smoothness"))
    ev = result.rows("event").sort("event_time")
    et = ev["event_time"].to_numpy()
    b = ev["estimate"].to_numpy()
    post = et >= 0
    pre = et < 0
    if not pre.any() or not post.any():
        raise InputError("need pre- and post-period event-time estimates (estimate an event study with leads)")
    V = result.vcov.get("event")
    if V is None or V.shape[0] != ev.height:
        se_post = ev["se"].to_numpy()[post]
        Vp = np.diag(se_post**2)
    else:
        order = np.argsort(result.rows("event")["event_time"].to_numpy(), kind="stable")
        Vp = V[np.ix_(order, order)][np.ix_(post, post)]
    ep = et[post]
    if target == "average":
        l = np.full(post.sum(), 1 / post.sum())
    else:
        if target not in set(ep.tolist()):
            raise InputError(f"target event time {target} not among post-period event times {ep.tolist()}")
        l = (ep == target).astype(float)
    theta = float(l @ b[post])
    se = float(np.sqrt(l @ Vp @ l))
    # pre-period path normalised to 0 at e = -1
    pre_e = np.append(et[pre], -1) if -1 not in set(et[pre].tolist()) else et[pre]
    pre_b = np.append(b[pre], 0.0) if -1 not in set(et[pre].tolist()) else b[pre]
    o = np.argsort(pre_e)
    pre_e, pre_b = pre_e[o], pre_b[o]
    z = stats.norm.ppf(1 - alpha / 2)
    rows_c, rows_lo, rows_hi = [], [], []
    for m in M:
        if method == "relative_magnitude":
            maxchg = np.max(np.abs(np.diff(pre_b))) if pre_b.size > 1 else 0.0
            half = float(l @ ((ep + 1) * m * maxchg))
            centre = theta
        else:
            slope = pre_b[-1] - pre_b[-2] if pre_b.size > 1 else 0.0
            trend = (ep + 1) * slope
            centre = theta - float(l @ trend)
            half = float(l @ (m * (ep + 1) * (ep + 2) / 2))
        rows_c.append(centre)
        rows_lo.append(centre - half - z * se)
        rows_hi.append(centre + half + z * se)
    options = dict(result.options, honest_method=method, M=list(M), target=target)
    r0 = ev.row(0, named=True)
    tab = make_rows(f"honest({result.estimator})", "overall", [f"M={m:g}" for m in M], np.array(rows_c),
                    np.full(len(M), se), options=options, n_obs=r0["n_obs"], n_units=r0["n_units"],
                    n_treated=r0["n_treated"], control_group=r0["control_group"], alpha=alpha)
    tab = tab.with_columns(ci_low=pl.Series(rows_lo), ci_high=pl.Series(rows_hi), p_value=pl.lit(None, pl.Float64))
    return Result(f"honest({result.estimator})", tab, options)
