"""Duplicate blocks in scenario repositories, with hand-computed counts (research spec, section 2).

A duplicate block is a run of 5 consecutive added meaningful lines identical (by key: stripped, inner
whitespace collapsed) to 5 consecutive lines elsewhere in the same commit or in the tree at the parent.
``duplicated_lines`` counts the added lines in such runs.
"""

from __future__ import annotations

import polars as pl
import pytest

from churnlab.errors import InputError
from churnlab.mine import mine
from churnlab.mine.duplicates import NO_KEY, TreeWindows, key_hash, windows

# Five meaningful lines of more than 20 alphanumeric characters in all (a moved copy is labelled moved).
BLOCK = ["def alpha(value):", "    total = compute_alpha(value)", "    total += offset_alpha(value)",
         "    log_alpha(total)", "    return scale_alpha(total)"]
# Five meaningful lines of fewer than 20 alphanumeric characters in all (a moved copy is not labelled moved).
SHORT = ["a = 1", "b = 2", "c = 3", "d = 4", "e = 5"]
OTHER = [f"other_{i} = make_other({i})" for i in range(8)]


def run(scenario, **kw):
    return mine(scenario.path, name="scenario", salt="scenario-salt", **kw)


def dup(result, sha: str) -> tuple[bool, int]:
    rows = result.tables["churn"].filter(pl.col("sha") == sha).to_dicts()
    assert len(rows) == 1
    return rows[0]["has_duplicate_block"], rows[0]["duplicated_lines"]


def dup_by_path(result, sha: str) -> dict[str, int]:
    df = result.tables["line_ops"].filter(pl.col("sha") == sha)
    return dict(df.select("path", "duplicated_lines").iter_rows())


def test_block_copied_from_an_existing_file(scenario):
    scenario.write("a.py", ["import os", *BLOCK, "print(os.sep)"])
    scenario.commit(0)
    scenario.write("b.py", ["import sys", *BLOCK, "print(sys.argv)"])
    sha = scenario.commit(1)
    result = run(scenario)
    assert dup(result, sha) == (True, 5)
    assert dup_by_path(result, sha) == {"b.py": 5}
    # the cheaper option looks within the commit only: nothing repeats there
    assert dup(run(scenario, duplicate_blocks="commit"), sha) == (False, 0)


def test_six_lines_copied_count_six(scenario):
    # two overlapping windows of 5 (lines 1-5 and 2-6): all 6 lines are duplicated
    scenario.write("a.py", ["import os", *BLOCK, "print(os.sep)", "import json"])
    scenario.commit(0)
    scenario.write("b.py", [*BLOCK, "print(os.sep)", "unrelated_line = 42"])
    sha = scenario.commit(1)
    assert dup(run(scenario), sha) == (True, 6)


def test_block_copied_within_its_own_file(scenario):
    scenario.write("a.py", [*BLOCK, *OTHER])
    scenario.commit(0)
    scenario.write("a.py", [*BLOCK, *OTHER, *BLOCK])
    sha = scenario.commit(1)
    assert dup(run(scenario), sha) == (True, 5)


def test_four_lines_copied_are_not_a_block(scenario):
    scenario.write("a.py", ["import os", *BLOCK, "print(os.sep)"])
    scenario.commit(0)
    scenario.write("b.py", ["import sys", *BLOCK[:4], "print(sys.argv)"])
    sha = scenario.commit(1)
    assert dup(run(scenario), sha) == (False, 0)


def test_blank_and_keyword_lines_do_not_break_a_block(scenario):
    # windows run over meaningful lines: the blank and `else:` lines are skipped on both sides
    scenario.write("a.py", [BLOCK[0], "", BLOCK[1], BLOCK[2], "else:", BLOCK[3], BLOCK[4]])
    scenario.commit(0)
    scenario.write("b.py", ["import sys", *BLOCK])
    sha = scenario.commit(1)
    assert dup(run(scenario), sha) == (True, 5)


def test_reindented_copy_is_a_duplicate(scenario):
    # lines compare by key (stripped, inner whitespace collapsed), as moves and copy-pastes do
    scenario.write("a.py", BLOCK)
    scenario.commit(0)
    scenario.write("b.py", ["class Holder:", *("    " + ln.replace(" = ", "  =  ") for ln in BLOCK)])
    sha = scenario.commit(1)
    assert dup(run(scenario), sha) == (True, 5)


def test_block_moved_out_of_a_deleted_file(scenario):
    # a.py is deleted and its block lands in b.py (too different from a.py to be a rename): a move
    scenario.write("a.py", [*BLOCK, *OTHER])
    scenario.commit(0)
    scenario.remove("a.py")
    scenario.write("b.py", ["import sys", *BLOCK, "print(sys.argv)", "print(sys.path)"])
    sha = scenario.commit(1)
    result = run(scenario)
    assert result.tables["line_ops"].filter(pl.col("sha") == sha, pl.col("path") == "b.py")["moved"].item() == 5
    assert dup(result, sha) == (False, 0)


def test_short_block_moved_out_of_a_deleted_file(scenario):
    # too short to be labelled moved (under 20 alphanumeric characters): added lines, yet their only source
    # in the parent tree is deleted by the same commit, so they duplicate nothing
    scenario.write("a.py", [*SHORT, *OTHER])
    scenario.commit(0)
    scenario.remove("a.py")
    scenario.write("b.py", ["import sys", *SHORT, "print(sys.argv)", "print(sys.path)"])
    sha = scenario.commit(1)
    result = run(scenario)
    assert result.tables["line_ops"].filter(pl.col("sha") == sha, pl.col("path") == "b.py")["added"].item() == 8
    assert dup(result, sha) == (False, 0)


def test_short_block_copied_from_a_kept_file(scenario):
    # the same lines, but a.py stays: a duplicate of 5 lines (the control for the test above)
    scenario.write("a.py", [*SHORT, *OTHER])
    scenario.commit(0)
    scenario.write("b.py", ["import sys", *SHORT, "print(sys.argv)", "print(sys.path)"])
    sha = scenario.commit(1)
    assert dup(run(scenario), sha) == (True, 5)


def test_source_deleted_in_an_earlier_commit(scenario):
    scenario.write("a.py", [*BLOCK, *OTHER])
    scenario.write("c.py", ["import os", *SHORT, "print(os.sep)"])
    scenario.commit(0)
    scenario.remove("a.py")  # a whole file goes
    scenario.write("c.py", ["import os", "print(os.sep)"])  # a hunk inside a file goes
    scenario.commit(1)
    scenario.write("b.py", [*BLOCK, "print(sys.argv)", *SHORT])
    sha = scenario.commit(2)
    assert dup(run(scenario), sha) == (False, 0)


def test_block_that_stays_in_place_is_not_added(scenario):
    scenario.write("a.py", ["import os", *BLOCK, "print(os.sep)"])
    scenario.commit(0)
    scenario.write("a.py", ["import os", "import sys", *BLOCK, "print(sys.argv)"])  # edits around the block
    sha = scenario.commit(1)
    assert dup(run(scenario), sha) == (False, 0)


def test_block_repeated_within_the_commit(scenario):
    # unchanged rule: two pasted copies in one commit, nothing in the parent tree
    scenario.write("README.md", ["project notes"])
    scenario.commit(0)
    scenario.write("x.py", BLOCK)
    scenario.write("y.py", ["import sys", *BLOCK])
    sha = scenario.commit(1)
    result = run(scenario)
    assert dup(result, sha) == (True, 10)
    assert dup_by_path(result, sha) == {"x.py": 5, "y.py": 5}


def test_block_in_a_vendored_file_is_not_a_source(scenario):
    scenario.write("vendor/lib.py", BLOCK)
    scenario.commit(0)
    scenario.write("app.py", ["import lib", *BLOCK])
    sha = scenario.commit(1)
    assert dup(run(scenario), sha) == (False, 0)


def test_renamed_file_keeps_its_blocks(scenario):
    # a.py is renamed (with an edit); its block stays a source for the next commit
    scenario.write("a.py", [*BLOCK, *OTHER])
    scenario.commit(0)
    scenario.remove("a.py")
    scenario.write("moved/a.py", [*BLOCK, *OTHER[:7], "other_7 = make_other(70)"])
    scenario.commit(1)
    scenario.write("b.py", ["import sys", *BLOCK])
    sha = scenario.commit(2)
    assert dup(run(scenario), sha) == (True, 5)


def test_side_branch_commit_sees_the_chain_tree(scenario):
    # documented approximation: a side-branch commit is compared with the chain's tree when it is read
    scenario.write("a.py", ["import os"])
    scenario.commit(0)
    scenario.checkout("-b", "feature")
    scenario.write("f.py", ["import sys"])
    scenario.commit(1)
    scenario.checkout("main")
    scenario.write("a.py", ["import os", *BLOCK])
    scenario.commit(2)
    scenario.checkout("feature")
    scenario.write("f.py", ["import sys", *BLOCK])
    side = scenario.commit(3)
    scenario.checkout("main")
    merge = scenario.merge("feature", 4)
    # the stream reads main's commit 2 before the feature's commit 3: the block of a.py, which the feature's
    # own parent does not have, is found in the chain's tree
    assert dup(run(scenario), side) == (True, 5)
    # first-parent mode is exact: the merge, diffed against main, adds f.py's copy of a.py's block
    assert dup(run(scenario, first_parent=True), merge) == (True, 5)


def test_option_is_validated(scenario):
    scenario.write("a.py", ["import os"])
    scenario.commit(0)
    with pytest.raises(InputError, match="duplicate_blocks must be one of 'tree', 'commit', got 'parent'"):
        run(scenario, duplicate_blocks="parent")


def test_whole_files_set_and_removed_by_hand():
    # the entry points for files taken whole (e.g. a merge's file read from git): 7 meaningful lines of a.py
    # give 3 windows, b.py repeats the first one, and vendored files count nothing
    index = TreeWindows(lambda path: path.startswith(b"vendor/"))
    raw = [ln.encode() for ln in [*BLOCK, "", "extra_one = 1", "extra_two = 2"]]
    index.replace(b"a.py", raw)
    index.replace(b"b.py", raw[:5])
    index.replace(b"vendor/c.py", raw)
    index.replace(b"d.bin", None)
    first = windows([key_hash(x) for x in raw[:5]])[0]
    assert index.count(first) == 2 and sum(index.held().values()) == 4 and len(index.held()) == 3
    index.remove(b"a.py")
    assert index.held() == {first: 1}


def test_may_hold_sifts_the_windows_never_added():
    # a.py's 3 windows are added; the windows of a vendored file are never added (it counts nothing)
    index = TreeWindows(lambda path: path.startswith(b"vendor/"))
    raw = [ln.encode() for ln in [*BLOCK, "", "extra_one = 1", "extra_two = 2"]]
    index.replace(b"a.py", raw)
    index.replace(b"vendor/c.py", [b"vendored_" + x for x in raw])
    held = windows([key_hash(x) for x in raw if key_hash(x) != NO_KEY])
    vendored = windows([key_hash(b"vendored_" + x) for x in raw])
    assert len(held) == 3 and list(index.may_hold([*vendored, *held])) == held
