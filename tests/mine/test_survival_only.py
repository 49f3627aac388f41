"""The survival-only path: ``mine(tables=["survival"])`` replays births and deaths without labelling a line,
and its survival table and live births equal the whole mine's, row for row.

Scenario repositories cover what survival must get right: merges bringing side-branch lines, renames, binary
files, vendored and lock files (tracked but left out), whitespace-only edits (labelled no_op, so their births
differ from new code's in the whole mine), and a merge resolution that brings back a line the first parent
deleted. A random-history property (the line-provenance generator) checks the same equality.
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_provenance_properties import SETTINGS, build  # the random-history generator (same folder)

import churnlab.mine as mine_module
from churnlab.mine import Stage, mine
from churnlab.mine import lines as L
from churnlab.mine import provenance as P


def _both(path, **kw):
    whole = mine(path, name="demo", salt="survival-salt", **kw)
    only = mine(path, name="demo", salt="survival-salt", tables=["survival"], **kw)
    return whole, only


def _assert_same_survival(whole, only) -> None:
    assert set(only.tables) == {"commits", "file_changes", "survival"}
    assert only.tables["survival"].equals(whole.tables["survival"])
    assert only.extras["live_births"].equals(whole.extras["live_births"])


def _survival_scenario(scenario) -> None:
    """Merges, a rename on each side, binary, vendored and lock files, whitespace-only edits, deletions."""
    scenario.write("app.py", [f"value_{i} = compute({i})" for i in range(8)])
    scenario.write("vendor/lib.py", ["def helper():", "    return 1"])
    scenario.write("package-lock.json", ['{"lockfileVersion": 3}'])
    (scenario.path / "logo.png").write_bytes(b"\x89PNG\0\0binary")
    scenario.commit(0)
    # whitespace-only edits next to new code in one hunk
    scenario.write("app.py", ["value_0 = compute( 0 )", "value_1 = compute( 1 )", "fresh = load()",
                              *[f"value_{i} = compute({i})" for i in range(2, 8)]])
    scenario.commit(3, "bob")
    scenario.checkout("-b", "feature")
    scenario.write("feature.py", ["def feature():", "    return compute(7)", "    # done"])
    scenario.write("vendor/lib.py", ["def helper():", "    return 2", "def more():", "    return 3"])
    scenario.commit(5, "carol")
    scenario.move("app.py", "core.py")
    scenario.write("core.py", [*scenario.read("core.py"), "side = branch_work()"])
    (scenario.path / "logo.png").write_bytes(b"\x89PNG\0\0other binary")
    scenario.commit(7, "carol")
    scenario.checkout("main")
    scenario.write("notes.py", ["NOTE = 'main moves on'"])
    scenario.write("package-lock.json", ['{"lockfileVersion": 3, "packages": {}}'])
    scenario.commit(8)
    scenario.merge("feature", 10)
    text = scenario.read("core.py")
    scenario.write("core.py", [text[0], *text[3:], "late = added()"])
    scenario.move("feature.py", "src_feature.py")
    scenario.commit(40, "bob")
    scenario.remove("notes.py")
    scenario.write("core.py", [ln.replace("compute", "calculate") for ln in scenario.read("core.py")])
    scenario.commit(200)


def test_survival_alone_equals_the_whole_mines_survival(scenario):
    _survival_scenario(scenario)
    whole, only = _both(scenario.path)
    _assert_same_survival(whole, only)
    assert whole.tables["survival"].height > 0 and whole.tables["survival"]["live_lines"].sum() > 0


def test_survival_alone_equals_the_whole_mine_in_first_parent_mode(scenario):
    _survival_scenario(scenario)
    _assert_same_survival(*_both(scenario.path, first_parent=True))


def test_survival_alone_equals_the_whole_mine_with_weekly_samples_and_copy_paste_window(scenario):
    _survival_scenario(scenario)
    whole, only = _both(scenario.path, survival_sample_days=7, copy_paste_hours=24, duplicate_blocks="tree")
    _assert_same_survival(whole, only)


def _resolution_brings_back_a_deleted_line(scenario) -> None:
    """Commit X re-spaces ``total`` (no_op in the whole mine) and adds ``result`` (new code); main deletes
    ``result`` (day 3), the side branch deletes ``total`` (day 4); the merge (day 5) keeps the side's file:
    ``total`` dies there, 4 days old, and ``result`` is back (git blame gives it to X again)."""
    scenario.write("calc.py", ["import os", "total = price * count"])
    scenario.commit(0)
    scenario.write("calc.py", ["import os", "total = price*count", "result = compute(total)"])
    scenario.commit(1, "bob")
    scenario.checkout("-b", "side")
    scenario.checkout("main")
    scenario.write("calc.py", ["import os", "total = price*count"])
    scenario.commit(3)
    scenario.checkout("side")
    scenario.write("calc.py", ["import os", "result = compute(total)"])
    scenario.commit(4, "carol")
    scenario.checkout("main")
    side = scenario.git("rev-parse", "side").strip()
    scenario.git("merge", "--no-commit", "--no-ff", "-s", "ours", side)
    scenario.git("checkout", side, "--", "calc.py")  # the resolution: the side branch's file
    scenario.commit(5, message="merge side")


def test_merge_resolution_bringing_back_a_deleted_line_counts_the_other_lines_death(scenario):
    _resolution_brings_back_a_deleted_line(scenario)
    whole, only = _both(scenario.path)
    _assert_same_survival(whole, only)
    # lines of 2024 (all in 2024Q1): import os (day 0), total (day 1, died day 5), result (day 1, died day 3,
    # back at the merge and live at the end). Events: day 2 (result), day 4 (total); censored: import os at
    # 5 days, result at 4 days. At risk 4: S(2) = 3/4; S(4) = 3/4 * (1 - 1/3) = 1/2: the median is 4 days.
    head = whole.tables["survival"].filter(pl.col("sample_time") == pl.col("sample_time").max())
    assert head.filter(pl.col("granularity") == "year").select("live_lines", "median_lifetime_days").row(0) == (2, 4.0)


def test_survival_alone_does_no_labelling_nor_fingerprints(scenario, monkeypatch):
    _survival_scenario(scenario)

    def fail(*args, **kwargs):
        raise AssertionError("work the survival table does not need")

    for module, name in ((L, "label_commit"), (L, "patch_fingerprints"), (P, "duplicated_lines"), (P, "TreeWindows")):
        monkeypatch.setattr(module, name, fail)
    for name in ("_record_ops", "_remember_keys"):
        monkeypatch.setattr(P.Tracker, name, fail)
    monkeypatch.setattr(L.RecentAdditions, "__init__", fail)
    only = mine(scenario.path, name="demo", salt="survival-salt", tables=["survival"], copy_paste_hours=24)
    assert set(only.tables) == {"commits", "file_changes", "survival"}
    assert "patch_fingerprints" not in only.extras and only.tables["survival"].height > 0


def test_only_the_line_stage_runs_for_survival(scenario, monkeypatch):
    _survival_scenario(scenario)
    ran = []
    stages = [Stage(s.name, s.tables, lambda ctx, s=s: ran.append(s.name) or s.run(ctx), s.prestart, s.reads)
              for s in mine_module.STAGES]
    monkeypatch.setattr(mine_module, "STAGES", stages)
    mine(scenario.path, name="demo", salt="survival-salt", tables=["survival"])
    assert ran == ["lines"]


@pytest.mark.parametrize("tables", [["survival", "churn"], ["survival", "reverts"], None])
def test_other_wanted_tables_keep_the_whole_line_stage(scenario, monkeypatch, tables):
    _survival_scenario(scenario)
    calls = []
    label = L.label_commit
    monkeypatch.setattr(L, "label_commit", lambda *a: calls.append(1) or label(*a))
    result = mine(scenario.path, name="demo", salt="survival-salt", tables=tables)
    assert calls
    if tables != ["survival", "churn"]:  # the revert stage reads the line stage's fingerprints
        assert "patch_fingerprints" in result.extras


@SETTINGS
@given(data=st.data())
def test_survival_alone_equals_the_whole_mine_on_random_histories(tmp_path_factory, scenario_repo_class, data):
    repo = scenario_repo_class(tmp_path_factory.mktemp("prop") / "repo")
    build(repo, data, unique=False)
    _assert_same_survival(*_both(repo.path, survival_sample_days=7))
