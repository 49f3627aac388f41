"""analysis: survival totals across repositories sampled at different times; pre-period groups."""

from __future__ import annotations

import datetime as dt

import polars as pl

from churnlab import io
from churnlab.analysis import survival_totals
from tests.test_panel_dataset import _frame


def D(y, m, d):
    return dt.datetime(y, m, d, tzinfo=dt.UTC)


def test_survival_totals_align_months_and_carry_heads_forward(tmp_path):
    rows = {
        "a/x": [(D(2020, 1, 5), "2019", 50), (D(2020, 1, 5), "2018", 3),
                (D(2020, 1, 20), "2019", 100), (D(2020, 1, 20), "2018", 3),  # the month's last sample counts
                (D(2020, 3, 2), "2019", 90), (D(2020, 3, 2), "2020", 10)],  # head: the 2018 lines are gone
        "b/y": [(D(2020, 2, 10), "2020", 5), (D(2020, 4, 15), "2020", 7)],
    }
    for repo, samples in rows.items():
        frame = _frame("survival", [dict(repo=repo, sample_time=t, granularity="year", cohort=c, live_lines=n,
                                         live_meaningful_lines=n) for t, c, n in samples]
                       + [dict(repo=repo, sample_time=samples[0][0], granularity="quarter", cohort="2019Q1",
                               live_lines=1000, live_meaningful_lines=1000)])
        io.write_table(frame, "survival", io.table_path(tmp_path, "survival", repo), {"repo": repo})
    got = survival_totals(tmp_path)
    assert got.rows() == [
        (D(2020, 1, 1), "2018", 3), (D(2020, 1, 1), "2019", 100),
        (D(2020, 2, 1), "2018", 3), (D(2020, 2, 1), "2019", 100), (D(2020, 2, 1), "2020", 5),  # a/x carried
        (D(2020, 3, 1), "2019", 90), (D(2020, 3, 1), "2020", 15),  # b/y carried
        (D(2020, 4, 1), "2019", 90), (D(2020, 4, 1), "2020", 17),  # a/x's head carried
    ]
    # quarter cohorts: a/x sampled in January only, b/y in February only (the range is January..February)
    assert survival_totals(tmp_path, granularity="quarter")["lines"].to_list() == [1000, 2000]
