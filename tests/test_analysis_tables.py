"""analysis: survival totals across repositories sampled at different times; pre-period groups."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

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


def _panel(rows):
    return pl.DataFrame(rows, schema={"unit": pl.String, "period": pl.Int64, "cohort": pl.Int64, "y": pl.Float64},
                        orient="row")


def test_pre_period_groups_rank_the_pre_window():
    from churnlab.analysis import pre_period_groups

    series = {  # unit: (cohort, y in periods 0..5)
        "A": (3, [1, 2, 3, 9, 9, 9]),  # pre-window (2 periods) = periods 1, 2: mean 2.5
        "B": (4, [0, 0, 1, 1, 9, 9]),  # 1.0
        "C": (2, [5, 5, 9, 9, 9, 9]),  # 5.0
        "D": (1, [7, 7, 7, 7, 7, 7]),  # adopts in period 1: its 2-period pre-window starts before the panel
        "E": (None, [4, 4, 4, 4, 4, 4]),  # never treated
        "F": (5, [3, 3, 3, 0, 0, 9]),  # 0.0
    }
    panel = _panel([(u, t, c, v) for u, (c, ys) in series.items() for t, v in enumerate(ys)])
    g = pre_period_groups(panel, outcome="y", pre_periods=2, n_groups=2)
    assert g.select("unit", "pre_mean", "group").rows() == [
        ("A", 2.5, 2), ("B", 1.0, 1), ("C", 5.0, 2), ("D", None, None), ("E", None, None), ("F", 0.0, 1)]
    terciles = pre_period_groups(panel, outcome="y", pre_periods=2, n_groups=3)
    assert dict(terciles.select("unit", "group").drop_nulls().rows()) == {"F": 1, "B": 1, "A": 2, "C": 3}


def test_effects_by_group_recover_each_groups_effect():
    from churnlab.analysis import effects_by_group

    # y = unit effect + period effect + a treatment effect of 1 (group 1) or 3 (group 2), plus a small
    # deterministic wobble in the never-treated units that the period effects absorb exactly
    rows = []
    cohorts = {"t1": 3, "t2": 4, "t3": 3, "t4": 5, "c1": None, "c2": None, "c3": None}
    effect = {"t1": 1.0, "t2": 1.0, "t3": 3.0, "t4": 3.0}
    for k, (u, c) in enumerate(cohorts.items()):
        for t in range(8):
            y = 10 * k + 0.5 * t * t + (effect.get(u, 0.0) if c is not None and t >= c else 0.0)
            rows.append((u, t, c, y + (0.01 * ((k * 7 + t * 3) % 5) if c is None else 0.0)))
    panel = _panel(rows)
    groups = pl.DataFrame({"unit": ["t1", "t2", "t3", "t4"], "group": [1, 1, 2, 2]})
    out = effects_by_group(panel, groups, y="y", window=(-2, 2))
    att = {g: v for g, v in out.filter(pl.col("term") == "ATT").select("group", "estimate").rows()}
    assert set(att) == {0, 1, 2}
    # the wobble is not a sum of unit and period effects: estimates are close to the truth, not equal to it
    assert att[1] == pytest.approx(1.0, abs=1e-3) and att[2] == pytest.approx(3.0, abs=1e-3)
    # all ranked units: group 1 has 5 + 4 treated observations, group 2 has 5 + 3
    assert att[0] == pytest.approx((1.0 * 9 + 3.0 * 8) / 17, abs=1e-3)
    base = out.filter(pl.col("term") == "ATT").select("group", "baseline").rows()
    # group 1 baseline: t1 (k=0) at periods 1, 2 and t2 (k=1) at periods 2, 3
    assert dict(base)[1] == (0.5 + 2 + 12 + 14.5) / 4
