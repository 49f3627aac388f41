"""Borusyak-Jaravel-Spiess imputation against diff-diff's ImputationDiD (which targets R didimputation parity).

Point estimates and Theorem-3 standard errors (auxiliary model by cohort x event time, clustered by unit),
static and every event time, on a balanced and an unbalanced panel, with and without a time-varying covariate.
Point estimates are also checked against pyfixest's two-stage did2s (numerically the same estimator).
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from churnlab.estimate.bjs import imputation

diff_diff = pytest.importorskip("diff_diff")
TOL = 1e-8


def _unbalanced(panel):
    return panel.filter(~((pl.col("unit") % 7 == 0) & (pl.col("period") < 2)))


@pytest.mark.parametrize("unbalanced", [False, True])
@pytest.mark.parametrize("covariate", [False, True])
def test_matches_diff_diff(panel, unbalanced, covariate):
    df = _unbalanced(panel) if unbalanced else panel
    df = df.with_columns(xt=pl.col("x") * pl.col("period"))
    covs = ["xt"] if covariate else []
    res = imputation(df, y="y", covariates=covs, horizon=True)
    pdf = df.to_pandas()
    pdf["g"] = pdf["cohort"].fillna(0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = diff_diff.ImputationDiD().fit(pdf, outcome="y", unit="unit", time="period", first_treat="g",
                                           covariates=covs or None)
        es = ref.aggregate("event_study").to_dataframe()
    assert abs(res.estimate("ATT") - ref.overall_att) < TOL
    assert abs(res.overall["se"] - ref.overall_se) < TOL
    es = es[~es["is_reference"]].sort_values("event_time")
    ev = res.rows("event").sort("event_time")
    np.testing.assert_array_equal(ev["event_time"].to_numpy(), es["event_time"].to_numpy())
    np.testing.assert_allclose(ev["estimate"].to_numpy(), es["att"].to_numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(ev["se"].to_numpy(), es["se"].to_numpy(), atol=TOL, rtol=0)


def test_point_estimates_match_pyfixest_did2s(panel):
    pf = pytest.importorskip("pyfixest")
    pdf = panel.to_pandas()
    pdf["g"] = pdf["cohort"].fillna(0).astype(int)
    pdf["treat"] = ((pdf["g"] > 0) & (pdf["period"] >= pdf["g"])).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.did2s(pdf, yname="y", first_stage="~ 0 | unit + period", second_stage="~ treat",
                       treatment="treat", cluster="unit")
    res = imputation(panel, y="y", horizon=None)
    assert abs(res.estimate("ATT") - float(fit.coef()["treat"])) < 1e-6


def test_didimputation_convention_drops_never_treated_from_variance(panel):
    bjs = imputation(panel, y="y", horizon=None)
    legacy = imputation(panel, y="y", horizon=None, se_convention="didimputation")
    assert bjs.estimate("ATT") == legacy.estimate("ATT")
    assert legacy.overall["se"] < bjs.overall["se"]
