"""Known-effect recovery on simulated panels, inference helpers, and HonestDiD-style bounds."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from churnlab.estimate.did import callaway_santanna
from churnlab.estimate.dgp import simulate_panel
from churnlab.estimate.honest import honest_sensitivity
from churnlab.estimate.bjs import imputation
from churnlab.estimate.inference import placebo, pretrend_test, wild_cluster_bootstrap
from churnlab.estimate.sunab import sun_abraham
from churnlab.estimate.fixed_effects import event_study_twfe, ppml, twfe


@pytest.fixture(scope="module")
def big():
    """2,000 units, dynamic effects 1 + 0.2 e; the true ATT over treated observations is known."""
    return simulate_panel(2000, 12, seed=7, slope=0.2)


def _truth(df, e=None):
    t = df.filter(pl.col("treat") == 1)
    if e is not None:
        t = t.filter(pl.col("rel_time") == e)
    return t["true_effect"].mean()


@pytest.mark.parametrize("est", ["imputation", "cs", "sunab"])
def test_recovers_dynamic_effects(big, est):
    if est == "imputation":
        res = imputation(big, y="y", horizon=range(0, 4))
    elif est == "cs":
        res = callaway_santanna(big, y="y", bootstrap=0)
    else:
        res = sun_abraham(big, y="y")
    for e in range(0, 4):
        row = res.rows("event").filter(pl.col("event_time") == e).row(0, named=True)
        assert abs(row["estimate"] - (1 + 0.2 * e)) < 4 * row["se"]


def test_imputation_recovers_static_att_and_twfe_does_not_target_it(big):
    truth = _truth(big)
    imp = imputation(big, y="y", horizon=None)
    assert abs(imp.estimate("ATT") - truth) < 4 * imp.overall["se"]
    tw = twfe(big, y="y")
    assert tw.estimate("ATT") < truth - 4 * tw.overall["se"]  # static TWFE is biased down with growing effects


def test_cs_bootstrap_bands_are_wider_than_pointwise(big):
    res = callaway_santanna(big, y="y", bootstrap=499, aggregations=("event",), seed=3)
    ev = res.rows("event")
    assert (ev["cband_high"] - ev["cband_low"] >= ev["ci_high"] - ev["ci_low"] - 1e-12).all()
    assert res.options["bootstrap"] == 499


def test_ppml_recovers_rate_effect():
    df = simulate_panel(1500, 10, counts=True, rate_effect=0.25, seed=3)
    res = ppml(df, y="y")
    assert abs(np.expm1(res.estimate("ATT")) - 0.25) < 4 * res.overall["se"] * 1.25


def test_pretrend_wald_and_placebo(big):
    es = event_study_twfe(big, y="y")
    w = pretrend_test(es)
    assert w.rows("test")["p_value"][0] > 0.01
    imp = imputation(big, y="y", horizon=range(0, 3), pretrends=range(-4, -1))
    assert pretrend_test(imp).rows("test")["p_value"][0] > 0.01
    pl_res = placebo(imputation, big, shift=2, y="y", horizon=None)
    assert abs(pl_res.estimate("ATT")) < 4 * pl_res.overall["se"]
    assert pl_res.options["placebo_shift"] == 2


def test_pretrend_wald_detects_violation():
    df = simulate_panel(1000, 12, seed=2, covariate_trend=3.0)  # trends differ by cohort through x
    assert pretrend_test(event_study_twfe(df, y="y")).rows("test")["p_value"][0] < 0.01


def test_wild_cluster_bootstrap_few_clusters():
    df = simulate_panel(400, 10, seed=4, n_clusters=10, effect=1.0)
    res = wild_cluster_bootstrap(df, y="y", cluster="cluster", weights="rademacher")
    assert res.options["exact"] and res.options["n_boot"] == 2**10
    assert res.overall["p_value"] < 0.01
    null = wild_cluster_bootstrap(simulate_panel(400, 10, seed=5, n_clusters=8, effect=0.0), y="y",
                                  cluster="cluster", n_boot=999)
    assert 0.0 < null.overall["p_value"] <= 1.0
    assert abs(null.estimate("ATT") - twfe(simulate_panel(400, 10, seed=5, n_clusters=8, effect=0.0), y="y").estimate("ATT")) < 1e-8


def test_honest_bounds_widen_with_M(big):
    es = event_study_twfe(big, y="y", window=(-5, 5))
    for method in ("relative_magnitude", "smoothness"):
        h = honest_sensitivity(es, method=method, M=(0, 0.5, 1))
        width = (h.to_frame()["ci_high"] - h.to_frame()["ci_low"]).to_numpy()
        assert np.all(np.diff(width) >= 0)
    h0 = honest_sensitivity(es, method="relative_magnitude", M=(0,), target=0)
    row = es.rows("event").filter(pl.col("event_time") == 0).row(0, named=True)
    assert abs(h0.to_frame()["ci_low"][0] - row["ci_low"]) < 1e-10
