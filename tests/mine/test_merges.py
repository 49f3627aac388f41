"""Merges in default mode, read from their trees (no patch): births as git blame gives them, survival, bad objects.

Each scenario's expected births are counted by hand and checked against ``git blame`` too.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter

from churnlab.git import BlobReader
from churnlab.mine import mine, provenance


def run(scenario, **kw):
    return mine(scenario.path, name="scenario", salt="scenario-salt", **kw)


def births(result) -> dict[str, int]:
    return dict(result.extras["live_births"].iter_rows())


def blame(scenario) -> dict[str, int]:
    out: Counter = Counter()
    for name in scenario.git("ls-files").split():
        for line in scenario.git("blame", "--porcelain", "HEAD", "--", name).splitlines():
            head = line.split(" ")
            if len(head[0]) == 40 and len(head) >= 3 and not line.startswith("\t"):
                out[head[0]] += 1
    return dict(out)


BASE = ["alpha = compute(1)", "beta = compute(2)", "gamma = compute(3)", "delta = compute(4)",
        "epsilon = compute(5)", "zeta = compute(6)"]


def three_way_merge(scenario) -> tuple[str, str, str, str]:
    """Both sides edit a.py in different places; git merges the file (a blob no parent has)."""
    scenario.write("a.py", BASE)
    base = scenario.commit(0, "alice")
    scenario.checkout("-b", "feature")
    scenario.write("a.py", [BASE[0], "beta = compute(20)", *BASE[2:]])
    side = scenario.commit(1, "bob")
    scenario.checkout("main")
    scenario.write("a.py", [*BASE[:4], "epsilon = compute(50)", BASE[5]])
    main_c = scenario.commit(2, "carol")
    merge = scenario.merge("feature", 3)
    assert scenario.read("a.py")[1:5] == ["beta = compute(20)", *BASE[2:4], "epsilon = compute(50)"]
    return base, side, main_c, merge


def test_three_way_merge_credits_each_side(scenario):
    base, side, main_c, merge = three_way_merge(scenario)
    result = run(scenario)
    # bob's line 2 and carol's line 5 keep their commits; the merge owns nothing
    assert births(result) == {base: 4, side: 1, main_c: 1} == blame(scenario)
    assert merge not in set(result.tables["churn"]["sha"])


def test_conflict_resolved_by_hand_is_owned_by_the_merge(scenario):
    scenario.write("a.py", BASE[:3])
    base = scenario.commit(0, "alice")
    scenario.checkout("-b", "feature")
    scenario.write("a.py", [BASE[0], "beta = compute(20)", BASE[2]])
    scenario.commit(1, "bob")
    scenario.checkout("main")
    scenario.write("a.py", [BASE[0], "beta = compute(200)", BASE[2]])
    scenario.commit(2, "carol")
    conflicted = subprocess.run(["git", "merge", "--no-ff", "feature"], cwd=scenario.path, capture_output=True)
    assert conflicted.returncode != 0
    scenario.write("a.py", [BASE[0], "beta = compute(2000)", BASE[2]])
    merge = scenario.commit(3, "alice")
    result = run(scenario)
    # only the resolution line is the merge's; the conflict resolution is not counted as churn
    assert births(result) == {base: 2, merge: 1} == blame(scenario)
    assert merge not in set(result.tables["churn"]["sha"])


def test_side_branch_rename_merged_moves_lines_without_deaths(scenario, replay):
    scenario.write("a.py", BASE[:3])
    base = scenario.commit(0, "alice")
    scenario.checkout("-b", "feature")
    scenario.move("a.py", "b.py")
    scenario.write("b.py", BASE[:2])  # renamed, and one line deleted
    scenario.commit(1, "bob")
    scenario.checkout("main")
    scenario.write("c.py", ["other = compute(7)"])
    other = scenario.commit(1.5, "alice")
    merge = scenario.merge("feature", 2)
    scenario.write("c.py", ["other = compute(7)", "later = compute(8)"])
    later = scenario.commit(100, "alice")
    result = run(scenario)
    assert births(result) == {base: 2, other: 1, later: 1} == blame(scenario)
    # a.py's lines reach the chain as b.py with their births: only the deleted line dies, at the merge (day 2)
    *_, (_, tracker) = replay(scenario.path / ".git", result.head, result.tables["commits"])
    assert dict(tracker.deaths.items()) == {(2024 * 4, 2): 1}
    q1, q2 = 2024 * 4, 2024 * 4 + 1  # live lines by quarter * 2 + meaningful: 3 of 2024Q1, 1 of 2024Q2 (day 100)
    assert +tracker.live == Counter({q1 * 2 + 1: 3, q2 * 2 + 1: 1})
    assert merge in result.tables["commits"]["sha"].to_list()


def test_renamed_on_one_side_and_edited_on_the_other(scenario):
    scenario.write("a.py", BASE)
    base = scenario.commit(0, "alice")
    scenario.checkout("-b", "feature")
    scenario.move("a.py", "b.py")
    scenario.commit(1, "bob")
    scenario.checkout("main")
    scenario.write("a.py", [*BASE[:4], "epsilon = compute(50)", BASE[5]])
    main_c = scenario.commit(2, "carol")
    scenario.merge("feature", 3)
    assert scenario.read("b.py")[4] == "epsilon = compute(50)"
    # b.py is new against main: its lines are found in the a.py the merge deletes there
    assert births(run(scenario)) == {base: 5, main_c: 1} == blame(scenario)


def test_merged_blob_missing_from_the_object_store(scenario):
    scenario.write("b.py", ["kept = True"])
    base, *_ = three_way_merge(scenario)
    merged = scenario.git("rev-parse", "HEAD:a.py").strip()
    _drop_object(scenario, merged)
    result = run(scenario)
    # a.py's content at the head is unknown: its lines are left out; b.py's line stays
    assert births(result) == {base: 1}
    assert any("merged files whose content is missing" in w for w in result.provenance["warnings"])


def test_blob_reader_reads_blobs_and_reports_missing_ones(scenario):
    scenario.write("a.py", ["x = 1"])
    scenario.commit(0)
    blob = scenario.git("rev-parse", "HEAD:a.py").strip()
    with BlobReader(scenario.path / ".git") as reader:
        assert reader.read(blob) == b"x = 1\n"
        assert reader.read("0" * 39 + "1") is None
        assert reader.read(scenario.head()) is None  # a commit, not a blob
        assert reader.read(blob) == b"x = 1\n"  # the process survives those answers


def _drop_object(scenario, blob: str) -> None:
    """Rewrite the repository's objects without ``blob`` (as snapshots that leave out large files are)."""
    objects = scenario.path / ".git" / "objects"
    keep = [o for o in scenario.git("cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split()
            if o != blob]
    for f in (objects / "pack").iterdir():
        f.unlink()
    subprocess.run(["git", "pack-objects", "-q", str(objects / "pack" / "pack")], cwd=scenario.path,
                   input="\n".join(keep).encode(), check=True, capture_output=True)
    for d in objects.iterdir():
        if len(d.name) == 2:
            shutil.rmtree(d)


def test_copy_of_a_file_the_same_commit_edits_starts_from_the_parents_version(scenario):
    # git -C lists a.py (edited) before b.py (copied from a.py): the copy must start from a.py as it was
    scenario.write("a.py", BASE)
    base = scenario.commit(0, "alice")
    scenario.write("a.py", [*BASE, "eta = compute(7)"])
    scenario.write("b.py", [*BASE, "theta = compute(8)"])
    edit = scenario.commit(1, "bob")
    assert "C" in scenario.git("show", "-C", "--name-status", "--format=", edit)  # git pairs b.py as a copy
    result = run(scenario, find_copies=True)
    # a.py: 6 lines of alice + 1 of bob; b.py: the same 6 of alice + 1 of bob (blame -C would credit alice too)
    assert births(result) == {base: 12, edit: 2}
    assert sum(births(result).values()) == len(scenario.read("a.py")) + len(scenario.read("b.py"))


def test_runs_of_consecutive_lines():
    # a merge's own lines are keyed run by run (_merged_file)
    assert provenance._runs([1, 2, 3, 7, 9, 10]) == [[1, 4], [7, 8], [9, 11]]
    assert provenance._runs([0]) == [[0, 1]] and provenance._runs([]) == []
