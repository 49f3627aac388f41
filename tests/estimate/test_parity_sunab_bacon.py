"""Sun-Abraham and Goodman-Bacon against diff-diff; the saturated regression against pyfixest's."""

from __future__ import annotations

import warnings

import polars as pl
import pytest

from churnlab.estimate.bacon import bacon_decomposition
from churnlab.estimate.sunab import sun_abraham
from churnlab.estimate.fixed_effects import twfe

diff_diff = pytest.importorskip("diff_diff")


def test_sun_abraham_matches_diff_diff(panel, panel_pd):
    res = sun_abraham(panel, y="y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = diff_diff.SunAbraham().fit(panel_pd, outcome="y", unit="unit", time="period", first_treat="g")
    assert abs(res.estimate("ATT") - ref.overall_att) < 1e-10
    assert abs(res.overall["se"] - ref.overall_se) < 1e-10
    ev = res.rows("event")
    for e, v in ref.event_study_effects.items():
        row = ev.filter(pl.col("event_time") == e)
        assert abs(row["estimate"][0] - v["effect"]) < 1e-10
        assert abs(row["se"][0] - v["se"]) < 1e-10


def test_saturated_coefficients_match_pyfixest(panel, panel_pd):
    pf = pytest.importorskip("pyfixest")
    res = sun_abraham(panel, y="y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.event_study(panel_pd, yname="y", idname="unit", tname="period", gname="g", estimator="saturated")
    coef = fit.coef()
    gt = res.rows("gt")
    assert len(coef) == gt.height
    for r in gt.iter_rows(named=True):
        name = [c for c in coef.index if c.endswith(f"::{r['cohort']}") and f"::{float(r['event_time'])}:" in c]
        assert len(name) == 1
        assert abs(coef[name[0]] - r["estimate"]) < 1e-10


def test_bacon_weights_sum_to_one_and_reproduce_twfe(panel):
    res = bacon_decomposition(panel, y="y")
    comp = res.extra["comparisons"]
    assert abs(comp["weight"].sum() - 1) < 1e-12
    assert abs(res.estimate("TWFE") - twfe(panel, y="y").estimate("ATT")) < 1e-10


def test_bacon_matches_diff_diff(panel, panel_pd):
    res = bacon_decomposition(panel, y="y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = diff_diff.BaconDecomposition().fit(panel_pd, outcome="y", unit="unit", time="period", first_treat="g")
    assert abs(res.estimate("TWFE") - ref.twfe_estimate) < 1e-10
    by = {r["type"]: r for r in res.extra["by_type"].iter_rows(named=True)}
    for typ in ("treated_vs_never", "earlier_vs_later", "later_vs_earlier"):
        assert abs(by[typ]["weight"] - getattr(ref, f"total_weight_{typ}")) < 1e-10
        assert abs(by[typ]["estimate"] - getattr(ref, f"weighted_avg_{typ}")) < 1e-10
