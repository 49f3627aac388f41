"""Callaway-Sant'Anna: every ATT(g,t), every aggregation and every analytic standard error against csdid.

csdid is the Python port of R ``did`` (est_method="dr"; with no covariates it is the unconditional estimator).
Tolerance: 1e-8 absolute on estimates and standard errors.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

from churnlab.estimate.did import callaway_santanna

csdid_att_gt = pytest.importorskip("csdid.att_gt")

TOL = 1e-8
AGG = {"simple": ("overall", "ATT"), "dynamic": ("event", "ATT_event"), "group": ("group", "ATT_group"),
       "calendar": ("calendar", "ATT_calendar")}


def _csdid(pdf, control_group, base_period, covariates):
    m = csdid_att_gt.ATTgt(yname="y", tname="period", idname="unit", gname="g", data=pdf,
                           control_group="nevertreated" if control_group == "never" else "notyettreated",
                           xformla="y~" + "+".join(covariates) if covariates else None)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        m.fit(est_method="dr", base_period=base_period, bstrap=False)
        aggs = {k: dict(m.aggte(typec=k, bstrap=False, cband=False).atte) for k in AGG}
    return m.results, aggs


@pytest.mark.parametrize(
    ("control_group", "base_period", "covariates"),
    [("never", "varying", ()), ("not_yet", "varying", ()), ("never", "universal", ()),
     ("not_yet", "universal", ()), ("never", "varying", ("x",)), ("not_yet", "varying", ("x",))],
)
def test_att_gt_and_aggregations_match_csdid(panel, panel_pd, control_group, base_period, covariates):
    res = callaway_santanna(panel, y="y", covariates=covariates, control_group=control_group,
                            base_period=base_period, bootstrap=0)
    ref, aggs = _csdid(panel_pd.copy(), control_group, base_period, covariates)
    gt = res.rows("gt")
    assert gt.height == len(ref["att"])
    np.testing.assert_allclose(gt["estimate"].to_numpy(), np.asarray(ref["att"], float), atol=TOL, rtol=0)
    se_ref = np.asarray(ref["se"], float)
    ok = np.isfinite(se_ref) & (se_ref > 0)
    np.testing.assert_allclose(gt["se"].to_numpy()[ok], se_ref[ok], atol=TOL, rtol=0)
    for typ, (kind, term) in AGG.items():
        a = aggs[typ]
        assert abs(res.estimate(term) - a["overall_att"]) < TOL
        row = res.to_frame().filter(res.to_frame()["term"] == term)
        assert abs(row["se"][0] - a["overall_se"]) < TOL
        if typ != "simple":
            rows = res.rows(kind)
            np.testing.assert_allclose(rows["estimate"].to_numpy(), np.asarray(a["att_egt"], float), atol=TOL, rtol=0)
            se_e = np.asarray(a["se_egt"], float).ravel()
            ok = np.isfinite(se_e)
            np.testing.assert_allclose(rows["se"].to_numpy()[ok], se_e[ok], atol=TOL, rtol=0)
