"""TWFE (static and dynamic) against statsmodels OLS with unit and period dummies, and against pyfixest directly."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from churnlab.estimate.fixed_effects import event_study_twfe, twfe


@pytest.fixture(scope="module")
def small(panel):
    return panel.filter(panel["unit"] < 60)


def _sm_fit(pdf, cols):
    sm = pytest.importorskip("statsmodels.api")
    X = pd.concat([pdf[cols], pd.get_dummies(pdf["unit"], prefix="u", drop_first=True, dtype=float),
                   pd.get_dummies(pdf["period"], prefix="t", drop_first=True, dtype=float)], axis=1)
    return sm.OLS(pdf["y"].to_numpy(), np.column_stack([np.ones(len(X)), X.to_numpy()])).fit()


def test_static_twfe_matches_statsmodels(small):
    pdf = small.to_pandas()
    pdf["D"] = pdf["treat"].astype(float)
    ref = _sm_fit(pdf, ["D"])
    res = twfe(small, y="y", vcov="iid")
    assert abs(res.estimate("ATT") - ref.params[1]) < 1e-8
    assert abs(res.overall["se"] - ref.bse[1]) < 1e-8


def test_event_study_twfe_matches_statsmodels(small):
    pdf = small.to_pandas()
    e = pdf["period"] - pdf["cohort"]
    evs = sorted(int(h) for h in e.dropna().unique() if h != -1)
    cols = []
    for h in evs:
        pdf[f"e{h}"] = (e == h).astype(float)
        cols.append(f"e{h}")
    ref = _sm_fit(pdf, cols)
    res = event_study_twfe(small, y="y", vcov="iid")
    ev = res.rows("event")
    assert ev["event_time"].to_list() == evs
    np.testing.assert_allclose(ev["estimate"].to_numpy(), ref.params[1 : 1 + len(cols)], atol=1e-8, rtol=0)
    np.testing.assert_allclose(ev["se"].to_numpy(), ref.bse[1 : 1 + len(cols)], atol=1e-8, rtol=0)


def test_static_twfe_matches_pyfixest_event_study_twfe(panel_pd, panel):
    pf = pytest.importorskip("pyfixest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.event_study(panel_pd, yname="y", idname="unit", tname="period", gname="g", estimator="twfe")
    res = twfe(panel, y="y")
    assert abs(res.estimate("ATT") - fit.coef().iloc[0]) < 1e-10
    assert abs(res.overall["se"] - fit.se().iloc[0]) < 1e-10
