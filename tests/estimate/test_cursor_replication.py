"""The Cursor study (He et al., MSR 2026) reproduced from its released panel; numbers pinned to 3 decimals.

With the study's own semantics (duplicated repositories counted twice, R didimputation 0.3 variance) the
published figures come out exactly: warnings +29.7%, cognitive complexity +40.7%, lines added +281% in the
adoption month and +48% the month after (YYYYMM coding; +49% with a dense month index), commits not significant.
churnlab's defaults (one copy of each duplicated repository, BJS Theorem-3 variance) are pinned too.
"""

from __future__ import annotations

import polars as pl
import pytest

from churnlab.errors import DataError, ManyZerosWarning
from churnlab.estimate.bjs import imputation
from churnlab.estimate.replicate import cursor_study, cursor_study_panel, cursor_study_table

pytestmark = pytest.mark.usefixtures("cursor_data")

OUT = ["commits", "lines_added", "static_analysis_warnings", "cognitive_complexity"]


def _pct(res, outcome, coding, term):
    row = res.filter((pl.col("outcome") == outcome) & (pl.col("coding") == coding) & (pl.col("term") == term))
    assert row.height == 1
    return row.row(0, named=True)


@pytest.fixture(scope="module")
def study():
    return cursor_study(outcomes=OUT, duplicates="keep", se_convention="didimputation")


@pytest.fixture(scope="module")
def default():
    return cursor_study(outcomes=OUT)


def test_published_numbers_with_study_semantics(study):
    assert round(_pct(study, "static_analysis_warnings", "yyyymm", "ATT")["pct"], 3) == 0.297
    assert round(_pct(study, "cognitive_complexity", "yyyymm", "ATT")["pct"], 3) == 0.407
    assert round(_pct(study, "lines_added", "yyyymm", "e=0")["pct"], 3) == 2.813
    assert round(_pct(study, "lines_added", "yyyymm", "e=1")["pct"], 3) == 0.484
    assert round(_pct(study, "lines_added", "dense", "e=1")["pct"], 3) == 0.493
    commits = _pct(study, "commits", "yyyymm", "ATT")
    assert round(commits["pct"], 3) == 0.034 and commits["p_value"] > 0.1
    # static effects and the adoption month do not depend on the period coding; later months do
    for o in OUT:
        assert _pct(study, o, "dense", "ATT")["estimate"] == _pct(study, o, "yyyymm", "ATT")["estimate"]
        assert _pct(study, o, "dense", "e=0")["estimate"] == _pct(study, o, "yyyymm", "e=0")["estimate"]
        assert _pct(study, o, "dense", "e=1")["estimate"] != _pct(study, o, "yyyymm", "e=1")["estimate"]


def test_sample_sizes(study):
    row = _pct(study, "static_analysis_warnings", "dense", "ATT")
    assert (row["n_obs"], row["n_units"], row["n_treated"]) == (17387, 1543, 495)


def test_churnlab_defaults_pinned(default):
    assert round(_pct(default, "static_analysis_warnings", "dense", "ATT")["pct"], 3) == 0.294
    assert round(_pct(default, "cognitive_complexity", "dense", "ATT")["pct"], 3) == 0.402
    assert round(_pct(default, "lines_added", "dense", "e=0")["pct"], 3) == 2.795
    assert round(_pct(default, "lines_added", "dense", "e=1")["pct"], 3) == 0.487
    assert round(_pct(default, "commits", "dense", "ATT")["se"], 3) == 0.042
    assert _pct(default, "commits", "dense", "ATT")["p_value"] > 0.1


def test_table_renders(study):
    md = cursor_study_table(study)
    assert "| lines_added | e=0 | +281.3% | +281.3% |" in md
    assert r"\begin{tabular}" in cursor_study_table(study, fmt="latex")


def test_duplicated_repositories_are_named():
    from churnlab.datasets import load_cursor_study

    raw = load_cursor_study(download=False)
    with pytest.raises(DataError, match=r"3 unit\(s\) have duplicated.*102 rows.*cameronapak/freedom-stack"):
        with pytest.warns(ManyZerosWarning):
            df = cursor_study_panel(raw, duplicates="keep", outcomes=["commits"])
        imputation(df, y="log_commits", unit="unit", time="period", cohort="cohort", drop_missing=True)


def test_yyyymm_time_is_detected():
    with pytest.warns(ManyZerosWarning, match="commits"):
        df = cursor_study_panel(outcomes=["commits"])
    with pytest.raises(DataError, match="YYYYMM"):
        imputation(df, y="log_commits", unit="unit", time="time_yyyymm", cohort="cohort_yyyymm", drop_missing=True)
