"""The 24-hour same-author copy/paste option (research spec section 2, GitClear 2024), counts by hand."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

from churnlab.errors import InputError
from churnlab.mine import Options, mine
from churnlab.mine.lines import ADDED, COPY_PASTED, MOVED, CommitLabels, RecentAdditions

HOUR = 1 / 24  # scenario.commit takes days
ZERO = dict(added=0, deleted=0, updated=0, moved=0, copy_pasted=0, find_replaced=0, no_op=0)
BLOCK = ["def alpha(value):", "    total = compute_alpha(value)", "    return total * 2",
         "def beta(value):", "    return compute_beta(value) + 1"]  # 5 meaningful lines


def run(scenario, **kw):
    return mine(scenario.path, name="scenario", salt="scenario-salt", **kw)


def ops(result, sha: str) -> dict[str, dict[str, int]]:
    """Line operations of one commit: {path: {label: lines}}."""
    df = result.tables["line_ops"].filter(pl.col("sha") == sha)
    return {row["path"]: {k: row[k] for k in ZERO} for row in df.iter_rows(named=True)}


@pytest.fixture
def pasted_over_two_days(scenario):
    """Alice adds BLOCK at hour 24 and pastes parts of it at hours 34 and 49; Bob pastes at hour 36.

    Alice's latest additions: BLOCK[0:3] at hour 34 (commit b), BLOCK[3:5] at hour 24 (commit a).
    """
    scenario.write("README.md", ["project notes"])
    scenario.commit(0, "alice")
    shas = {}
    scenario.write("helpers.py", BLOCK)
    shas["a"] = scenario.commit(24 * HOUR, "alice")
    scenario.write("x.py", [*BLOCK[0:3], "x_only = compute_x(1)"])
    shas["b"] = scenario.commit(34 * HOUR, "alice")  # 10 h after a: 3 lines of a again, 1 new
    scenario.write("y.py", BLOCK[3:5])
    shas["c"] = scenario.commit(36 * HOUR, "bob")  # another author: nothing of Alice's counts
    scenario.write("z.py", [BLOCK[0], *BLOCK[3:5]])
    shas["d"] = scenario.commit(49 * HOUR, "alice")  # BLOCK[0]: 15 h after b; BLOCK[3:5]: 25 h after a
    return scenario, shas


def test_same_author_within_the_window_is_copy_pasted(pasted_over_two_days):
    scenario, shas = pasted_over_two_days
    result = run(scenario, copy_paste_hours=24)
    assert ops(result, shas["a"]) == {"helpers.py": {**ZERO, "added": 5}}  # nothing earlier to copy from
    assert ops(result, shas["b"]) == {"x.py": {**ZERO, "copy_pasted": 3, "added": 1}}
    assert ops(result, shas["c"]) == {"y.py": {**ZERO, "added": 2}}  # Bob: Alice's lines are not his
    # BLOCK[0] was last added by Alice 15 h before; BLOCK[3:5] 25 h before, outside the 24 h window
    assert ops(result, shas["d"]) == {"z.py": {**ZERO, "copy_pasted": 1, "added": 2}}
    # pasted lines are still new code: the authoring-side denominator is unchanged
    churn = result.tables["churn"].filter(pl.col("sha") == shas["b"])
    assert churn["authored_lines"].to_list() == [4]


def test_option_off_labels_them_added(pasted_over_two_days):
    scenario, shas = pasted_over_two_days
    result = run(scenario)
    assert ops(result, shas["b"]) == {"x.py": {**ZERO, "added": 4}}
    assert ops(result, shas["d"]) == {"z.py": {**ZERO, "added": 3}}


def test_a_window_of_26_hours_reaches_the_25_hour_old_lines(pasted_over_two_days):
    scenario, shas = pasted_over_two_days
    assert ops(run(scenario, copy_paste_hours=26), shas["d"]) == {"z.py": {**ZERO, "copy_pasted": 3}}


def test_labels_still_add_up_to_numstat(pasted_over_two_days):
    scenario, _ = pasted_over_two_days
    result = run(scenario, copy_paste_hours=24)
    labels = ["added", "deleted", "updated", "moved", "copy_pasted", "find_replaced", "no_op"]
    line_ops = result.tables["line_ops"].with_columns(total=pl.sum_horizontal(labels)).select("sha", "path", "total")
    numstat = result.tables["file_changes"].select(
        "sha", "path", total=pl.col("lines_added") + pl.col("lines_deleted"))
    joined = line_ops.join(numstat, on=["sha", "path"], how="full", coalesce=True, suffix="_numstat")
    assert joined.height == 5 and joined["total"].to_list() == joined["total_numstat"].to_list()


def test_option_is_validated_and_recorded(scenario):
    with pytest.raises(InputError, match="copy_paste_hours must be 0 .* got -1"):
        Options(copy_paste_hours=-1)
    with pytest.raises(InputError, match="copy_paste_hours"):
        Options(copy_paste_hours=True)
    assert Options(copy_paste_hours=24).recorded()["copy_paste_hours"] == 24
    scenario.write("a.py", ["value = 1"])
    scenario.commit(0)
    assert run(scenario, copy_paste_hours=24).provenance["options"]["copy_paste_hours"] == 24


def test_cli_flag_reaches_the_option(scenario, tmp_path):
    scenario.write("a.py", ["value = 1"])
    scenario.commit(0)
    proc = subprocess.run([sys.executable, "-m", "churnlab", "mine", str(scenario.path), "--copy-paste-hours", "-3",
                           "--salt", "s", "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode != 0 and "copy_paste_hours must be 0" in proc.stderr and "Traceback" not in proc.stderr


def _one_file(keys: list[str], labels: list[int]) -> CommitLabels:
    out = CommitLabels()
    out.added[0], out.keys_added[0] = [list(labels)], [list(keys)]
    out.removed[0], out.keys_removed[0] = [[]], [[]]
    return out


def test_memory_keeps_only_the_window():
    recent = RecentAdditions(24)
    recent.relabel(_one_file(["a = 1", "b = 2"], [ADDED, MOVED]), [0], "alice", 0)
    assert recent.latest == {"alice": {"a = 1": 0}}  # moved lines are not new code
    recent.relabel(_one_file(["c = 3"], [ADDED]), [0], "bob", 20 * 3600)
    later = _one_file(["a = 1"], [ADDED])
    recent.relabel(later, [0], "alice", 24 * 3600)  # exactly 24 h: inside the window
    assert later.added[0] == [[COPY_PASTED]]
    # hour 45: what was added before hour 21 is dropped (Bob's line of hour 20, Alice's first "a = 1")
    recent.relabel(_one_file(["d = 4"], [ADDED]), [0], "carol", 45 * 3600)
    assert recent.latest == {"alice": {"a = 1": 24 * 3600}, "carol": {"d = 4": 45 * 3600}}
    recent.relabel(_one_file(["e = 5"], [ADDED]), [0], "carol", 70 * 3600)  # hour 70: only hour 46 on is kept
    assert recent.latest == {"carol": {"e = 5": 70 * 3600}}
    assert len(recent._expiry) == 1
