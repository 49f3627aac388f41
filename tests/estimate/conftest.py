"""Small simulated panels shared by the estimator tests (seeded; hand-checkable sizes)."""

from __future__ import annotations

import polars as pl
import pytest

from churnlab.estimate.dgp import simulate_panel


@pytest.fixture(scope="session")
def panel() -> pl.DataFrame:
    """300 units x 10 periods, cohorts 3/6/9, effects growing 0.2 per period, covariate-driven trends."""
    return simulate_panel(300, 10, seed=1, slope=0.2, covariate_trend=1.0)


@pytest.fixture(scope="session")
def panel_pd(panel):
    pdf = panel.to_pandas()
    pdf["g"] = pdf["cohort"].fillna(0).astype(int)
    return pdf
