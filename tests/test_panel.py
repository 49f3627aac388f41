"""Panel builder: balanced grid, zero-fill, totals survive, dense index, cohorts, ratios, YYYYMM handling."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from churnlab.errors import DataError, InputError
from churnlab.panel import build_panel, prepare_panel


def _commits(rows):
    return pl.DataFrame(
        rows,
        schema={"repo": pl.String, "sha": pl.String, "author_id": pl.String,
                "author_time": pl.Datetime("us", "UTC"), "is_merge": pl.Boolean, "is_bot": pl.Boolean,
                "lines_added": pl.Int64, "lines_deleted": pl.Int64, "is_reverted_30d": pl.Boolean},
        orient="row",
    )


def T(y, m, d=1):
    return dt.datetime(y, m, d, 12, tzinfo=dt.UTC)


EVENTS = _commits([
    ("a/x", "1", "u1", T(2024, 11, 3), False, False, 10, 1, False),
    ("a/x", "2", "u2", T(2024, 11, 20), False, False, 5, 0, True),
    ("a/x", "3", "u1", T(2025, 1, 2), False, True, 100, 0, False),  # bot
    ("a/x", "4", "u1", T(2025, 1, 5), True, False, None, None, False),  # merge
    ("b/y", "5", "u3", T(2025, 2, 1), False, False, 7, 7, False),
])
ADOPT = pl.DataFrame({"repo": ["a/x"], "adopted_at": [dt.date(2025, 1, 15)]})


def test_repo_month_panel_is_balanced_zero_filled_with_dense_index():
    p = build_panel(EVENTS, ADOPT, sums=["is_reverted_30d"], ratios={"revert_rate": ("is_reverted_30d", "commits")})
    df = p.data
    assert df.height == 2 * 4  # 2 repos x Nov..Feb
    assert df["period"].to_list() == [0, 1, 2, 3] * 2
    assert df["period_start"].to_list()[:4] == [dt.date(2024, 11, 1), dt.date(2024, 12, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1)]
    x = df.filter(pl.col("repo") == "a/x")
    assert x["commits"].to_list() == [2, 0, 0, 0]  # bot and merge excluded
    assert x["bot_share"].to_list() == [0.0, None, 1.0, None]
    assert x["revert_rate"].to_list() == [0.5, None, None, None]
    assert x["cohort"].unique().to_list() == [2]
    assert x["rel_time"].to_list() == [-2, -1, 0, 1]
    assert df.filter(pl.col("repo") == "b/y")["cohort"].null_count() == 4
    assert p.options["n_periods"] == 4


def test_weekly_author_units():
    p = build_panel(EVENTS, None, unit="author", period="week")
    df = p.data
    n_weeks = df["period"].n_unique()
    assert df.height == df["author_id"].n_unique() * n_weeks
    assert df["period"].min() == 0 and df["period"].max() == n_weeks - 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["r1", "r2", "r3"]), st.integers(0, 400), st.integers(0, 50)), min_size=1, max_size=40))
def test_totals_survive_and_grid_is_full(rows):
    ev = _commits([(r, str(i), f"u{i % 3}", T(2024, 1) + dt.timedelta(days=d), False, False, a, 0, False)
                   for i, (r, d, a) in enumerate(rows)])
    df = build_panel(ev).data
    assert df.height == df["repo"].n_unique() * df["period"].n_unique()
    assert df["lines_added"].sum() == sum(a for _, _, a in rows)
    assert df["commits"].sum() == len(rows)


def test_bad_inputs():
    with pytest.raises(InputError, match="unit="):
        build_panel(EVENTS, unit="team")
    with pytest.raises(InputError, match="lack columns"):
        build_panel(EVENTS.drop("is_bot"))
    with pytest.raises(DataError, match="adoption"):
        build_panel(EVENTS, pl.concat([ADOPT, ADOPT]))


def test_prepare_panel_converts_yyyymm_and_strings():
    raw = pl.DataFrame({"id": ["a"] * 3 + ["b"] * 3, "t": [202411, 202412, 202501] * 2,
                        "g": [202412] * 3 + [None] * 3, "y": [1.0] * 6})
    p = prepare_panel(raw, unit="id", time="t", cohort="g").data
    assert p["period"].to_list() == [0, 1, 2, 0, 1, 2]
    assert p["cohort"].to_list() == [1, 1, 1, None, None, None]
    assert p["rel_time"].to_list()[:3] == [-1, 0, 1]
    s = raw.with_columns(t=pl.col("t").cast(pl.String).str.slice(0, 4) + "-" + pl.col("t").cast(pl.String).str.slice(4))
    s = s.with_columns(g=pl.col("g").cast(pl.String).str.slice(0, 4) + "-" + pl.col("g").cast(pl.String).str.slice(4))
    assert prepare_panel(s, unit="id", time="t", cohort="g").data["cohort"].to_list() == p["cohort"].to_list()


def test_prepare_panel_rejects_duplicates_and_reversals():
    raw = pl.DataFrame({"id": ["a", "a", "a"], "t": [1, 2, 2], "d": [0, 1, 1]})
    with pytest.raises(DataError, match="duplicated"):
        prepare_panel(raw, unit="id", time="t", treatment="d")
    raw = pl.DataFrame({"id": ["a", "a", "a"], "t": [1, 2, 3], "d": [0, 1, 0]})
    with pytest.raises(DataError, match="switches off"):
        prepare_panel(raw, unit="id", time="t", treatment="d")


def test_balance_panel_keeps_units_observed_in_every_period():
    from churnlab.panel import balance_panel

    df = pl.DataFrame({
        "unit": ["a"] * 4 + ["b"] * 3 + ["c"] * 4,
        "period": [0, 1, 2, 3, 0, 1, 3, 0, 1, 2, 3],
        "y": [1.0, 2.0, 3.0, 4.0, 1.0, 1.0, 1.0, 5.0, None, 5.0, 5.0],
    })
    assert balance_panel(df)["unit"].unique(maintain_order=True).to_list() == ["a", "c"]  # b misses period 2
    assert balance_panel(df, columns=["y"])["unit"].unique(maintain_order=True).to_list() == ["a"]  # c has a null y in period 1
    win = balance_panel(df, columns=["y"], start=2, end=3)  # inside periods 2..3 b still misses 2, c is complete
    assert win.select("unit", "period").rows() == [("a", 2), ("a", 3), ("c", 2), ("c", 3)]
    with pytest.raises(InputError, match=r"columns \['z'\] not found"):
        balance_panel(df, columns=["z"])
    with pytest.raises(InputError, match="end=1 is before start=2"):
        balance_panel(df, start=2, end=1)


def test_from_first_activity_trims_the_months_before_a_unit_existed():
    full = build_panel(EVENTS, ADOPT).data
    p = build_panel(EVENTS, ADOPT, from_first_activity=True)
    df = p.data
    # a/x commits from November (all four months kept); b/y only in February, its Nov-Jan rows are gone
    assert df.filter(pl.col("repo") == "a/x")["period"].to_list() == [0, 1, 2, 3]
    y = df.filter(pl.col("repo") == "b/y")
    assert y["period"].to_list() == [3]
    assert y["commits"].to_list() == [1]
    # the rows kept are the balanced panel's rows, unchanged, and totals survive
    assert df.equals(full.join(df.select("unit", "period"), on=["unit", "period"], how="semi"))
    assert df["commits"].sum() == full["commits"].sum()
    assert p.options["from_first_activity"] is True and p.options["n_units"] == 2


def test_from_first_activity_starts_an_author_at_their_first_human_commit():
    df = build_panel(EVENTS, None, unit="author", from_first_activity=True).data
    first = {u: g["period"].min() for (u,), g in df.group_by("author_id")}
    assert first == {"u1": 0, "u2": 0, "u3": 3}


def test_from_first_activity_leaves_out_units_known_only_from_adoption():
    adopt = pl.concat([ADOPT, pl.DataFrame({"repo": ["c/z"], "adopted_at": [dt.date(2025, 1, 1)]})])
    assert "c/z" in build_panel(EVENTS, adopt).data["repo"].to_list()
    assert "c/z" not in build_panel(EVENTS, adopt, from_first_activity=True).data["repo"].to_list()
