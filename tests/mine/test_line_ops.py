"""Scenario repositories with hand-computed line operations, churn and provenance (research spec, sections 1-3)."""

from __future__ import annotations

import os

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from churnlab.mine import lines, mine, normalize

ZERO = dict(added=0, deleted=0, updated=0, moved=0, copy_pasted=0, find_replaced=0, no_op=0)


def run(scenario, **kw):
    return mine(scenario.path, name="scenario", salt="scenario-salt", **kw)


def ops(result, sha: str) -> dict[str, dict[str, int]]:
    """Line operations of one commit: {path: {label: lines}} (duplicated_lines left out)."""
    df = result.tables["line_ops"].filter(pl.col("sha") == sha)
    return {row["path"]: {k: row[k] for k in ZERO} for row in df.iter_rows(named=True)}


def churn(result, sha: str) -> dict:
    rows = result.tables["churn"].filter(pl.col("sha") == sha).to_dicts()
    assert len(rows) == 1
    return rows[0]


def births(result) -> dict[str, int]:
    return dict(result.extras["live_births"].iter_rows())


BLOCK = ["def alpha(value):", "    total = compute_alpha(value)", "    return total * 2",
         "def beta(value):", "    return compute_beta(value) + 1"]


def test_block_moved_to_another_file(scenario):
    scenario.write("a.py", ["import os", *BLOCK[:3], "print(os.sep)"])
    scenario.write("b.py", ["import sys", "print(sys.argv)"])
    scenario.commit(0)
    scenario.write("a.py", ["import os", "print(os.sep)"])
    scenario.write("b.py", ["import sys", "print(sys.argv)", *BLOCK[:3]])
    sha = scenario.commit(1)
    result = run(scenario)
    # 3 lines leave a.py and arrive in b.py: both sides are labelled moved
    assert ops(result, sha) == {"a.py": {**ZERO, "moved": 3}, "b.py": {**ZERO, "moved": 3}}
    row = churn(result, sha)
    assert row["revised_lines"] == 0 and row["churn_self_w14"] == 0  # moves do not churn by default
    assert row["authored_lines"] == 0  # moved lines are not new code
    # with moves_churn the 3 moved lines of day 0 count as self-churn within a week
    assert churn(run(scenario, moves_churn=True), sha)["churn_self_w7"] == 3


def test_block_moved_within_a_file(scenario):
    tail = ["def gamma(value):", "    return compute_gamma(value) - 3", "GAMMA_LIMIT = gamma(10)",
            "def delta(value):", "    return compute_delta(value) / 4", "DELTA_LIMIT = delta(20)"]
    scenario.write("a.py", [*BLOCK[:3], *tail])
    scenario.commit(0)
    scenario.write("a.py", [*tail, *BLOCK[:3]])
    sha = scenario.commit(1)
    assert ops(run(scenario), sha) == {"a.py": {**ZERO, "moved": 6}}


def test_same_lines_pasted_into_three_files(scenario):
    scenario.write("README.md", ["project notes"])
    scenario.commit(0)
    for name in ("x.py", "y.py", "z.py"):
        scenario.write(name, BLOCK)
    sha = scenario.commit(1)
    result = run(scenario)
    assert ops(result, sha) == {n: {**ZERO, "copy_pasted": 5} for n in ("x.py", "y.py", "z.py")}
    row = churn(result, sha)
    assert row["has_duplicate_block"] and row["duplicated_lines"] == 15


def test_rename_applied_at_four_places_is_find_replace(scenario):
    before = ["first = old_name(1)", "import json", "second = old_name(2) + 5", "import math",
              "third = [old_name(3)]", "import time", "fourth = old_name(4) or None"]
    scenario.write("a.py", before)
    scenario.commit(0)
    scenario.write("a.py", [ln.replace("old_name", "new_name") for ln in before])
    sha = scenario.commit(1)
    # 4 removed + 4 added lines, one substitution old_name -> new_name at four places
    assert ops(run(scenario), sha) == {"a.py": {**ZERO, "find_replaced": 8}}


def test_rename_at_two_places_is_an_update(scenario):
    before = ["first = old_name(1)", "import json", "second = old_name(2) + 5"]
    scenario.write("a.py", before)
    scenario.commit(0)
    scenario.write("a.py", [ln.replace("old_name", "new_name") for ln in before])
    sha = scenario.commit(1)
    assert ops(run(scenario), sha) == {"a.py": {**ZERO, "updated": 4}}


def test_one_word_update(scenario):
    scenario.write("a.py", ["import sys", 'greeting = "hello world"', "print(greeting)"])
    scenario.commit(0, "alice")
    scenario.write("a.py", ["import sys", 'greeting = "hello there"', "print(greeting)"])
    sha = scenario.commit(3, "bob")
    result = run(scenario)
    assert ops(result, sha) == {"a.py": {**ZERO, "updated": 2}}
    row = churn(result, sha)
    # bob updates one line alice wrote 3 days before: others' churn in every window
    assert (row["revised_lines"], row["churn_others_w7"], row["churn_self_w7"]) == (1, 1, 0)


def test_lines_deleted_and_readded_within_14_days(scenario):
    body = [f"value_{i} = compute({i})" for i in range(10)]
    scenario.write("a.py", body)
    first = scenario.commit(0, "alice")
    scenario.write("a.py", body[:6])
    second = scenario.commit(10, "bob")
    scenario.write("a.py", body)
    third = scenario.commit(12, "alice")
    scenario.write("later.py", ["unrelated = True"])
    last = scenario.commit(60, "carol")
    result = run(scenario)
    assert ops(result, second) == {"a.py": {**ZERO, "deleted": 4}}
    assert ops(result, third) == {"a.py": {**ZERO, "added": 4}}
    row = churn(result, second)
    # 4 lines written 10 days before: outside the 7-day window, inside 14, 21, 30
    assert [row[f"churn_others_w{w}"] for w in (7, 14, 21, 30)] == [0, 4, 4, 4]
    first_row = churn(result, first)
    assert first_row["authored_lines"] == 10
    assert [first_row[f"authored_churned_w{w}"] for w in (7, 14, 21, 30)] == [0, 4, 4, 4]
    assert churn(result, third)["authored_lines"] == 4 and churn(result, third)["authored_churned_w30"] == 0
    # right-censoring: only the last commit is younger than the windows at the end of history
    assert not any(first_row[f"censored_w{w}"] for w in (7, 14, 21, 30))
    assert all(churn(result, last)[f"censored_w{w}"] for w in (7, 14, 21, 30))
    # the re-added lines are born again: 6 live lines of the first commit, 4 of the third
    assert births(result) == {first: 6, third: 4, last: 1}


def test_change_reverted_within_a_week(scenario):
    body = ["def area(width, height):", "    scale = 1", "    return width * height * scale",
            "def perimeter(width, height):", "    return 2 * (width + height)"]
    scenario.write("shapes.py", body)
    scenario.commit(0, "alice")
    changed = [body[0], "    scale = 2", body[2], body[3], "    return 3 * (width + height)"]
    scenario.write("shapes.py", changed)
    change = scenario.commit(20, "bob")
    revert = scenario.revert(change, 24, "carol")
    scenario.write("later.py", ["unrelated = True"])
    scenario.commit(90, "carol")
    result = run(scenario)
    assert ops(result, change) == {"shapes.py": {**ZERO, "updated": 4}}
    assert ops(result, revert) == {"shapes.py": {**ZERO, "updated": 4}}
    row = churn(result, change)
    # bob's updates revise alice's 20-day-old lines: only the 21- and 30-day windows
    assert [row[f"churn_others_w{w}"] for w in (7, 14, 21, 30)] == [0, 0, 2, 2]
    assert row["authored_lines"] == 2
    assert [row[f"authored_churned_w{w}"] for w in (7, 14, 21, 30)] == [2, 2, 2, 2]
    rev = churn(result, revert)
    assert [rev[f"churn_others_w{w}"] for w in (7, 14, 21, 30)] == [2, 2, 2, 2]
    fp = result.extras["patch_fingerprints"]
    by_sha = {r["sha"]: r for r in fp.iter_rows(named=True)}
    assert by_sha[revert]["fingerprint"] == by_sha[change]["inverse_fingerprint"]
    assert by_sha[change]["fingerprint"] == by_sha[revert]["inverse_fingerprint"]
    assert by_sha[revert]["fingerprint"] != by_sha[change]["fingerprint"]
    assert by_sha[change]["lines_changed"] == 4


def test_whitespace_only_edits_are_no_ops(scenario):
    scenario.write("a.py", ["def f(x):", "  y=x+1", "  return y", "total=f(2)"])
    scenario.commit(0)
    scenario.write("a.py", ["def f(x):", "    y = x + 1", "    return y", "total = f(2)   "])
    sha = scenario.commit(1, "bob")
    result = run(scenario)
    # `y=x+1` -> `y = x + 1` and `total=f(2)` -> `total = f(2)` differ only in spaces: 3 pairs, 6 no-op lines
    assert ops(result, sha) == {"a.py": {**ZERO, "no_op": 6}}
    row = churn(result, sha)
    assert row["meaningful_lines"] == 6 and row["revised_lines"] == 0 and row["authored_lines"] == 0


def test_keyword_only_lines_are_no_ops(scenario):
    scenario.write("a.py", ["x = 1"])
    scenario.commit(0)
    scenario.write("a.py", ["x = 1", "if x:", "    value = compute(x)", "else:", "    pass", "", "    return None",
                            "}", "});", "end"])
    sha = scenario.commit(1)
    result = run(scenario)
    # `if x:` and `value = compute(x)` are meaningful; else:, pass, blank, return None, }, });, end are not
    assert ops(result, sha) == {"a.py": {**ZERO, "added": 2, "no_op": 7}}
    assert churn(result, sha)["meaningful_lines"] == 2


def test_bulk_commit(scenario):
    scenario.write("small.py", [f"small_{i} = {i}" for i in range(10)])
    small = scenario.commit(0)
    scenario.write("big.py", [f"big_{i} = {i}" for i in range(5001)])
    big = scenario.commit(1)
    result = run(scenario)
    assert not churn(result, small)["is_bulk"]
    assert churn(result, big)["is_bulk"] and churn(result, big)["meaningful_lines"] == 5001
    assert churn(run(scenario, bulk_lines=9), small)["is_bulk"]


def test_merge_brings_side_branch_lines(scenario):
    scenario.write("a.py", ["import os", "print(os.sep)", "value = 1"])
    base = scenario.commit(0, "alice")
    scenario.checkout("-b", "feature")
    scenario.write("a.py", ["import os", "print(os.sep)", "value = 1", "extra = value + 1", "more = extra * 2"])
    side_a = scenario.commit(2, "bob")
    scenario.write("b.py", ["def helper():", "    return 42", "HELPER = helper()"])
    side_b = scenario.commit(3, "bob")
    scenario.checkout("main")
    scenario.write("m.py", ["main_only = True"])
    main_c = scenario.commit(4, "alice")
    merge = scenario.merge("feature", 5, "alice")
    scenario.write("a.py", ["import os", "print(os.sep)", "value = 1", "more = extra * 2"])
    fix = scenario.commit(8, "alice")
    result = run(scenario)
    # default: lines are credited to the side commits that wrote them; the merge owns none
    assert births(result) == {base: 3, side_a: 1, side_b: 3, main_c: 1}
    assert merge not in set(result.tables["churn"]["sha"])  # merges have no line operations
    row = churn(result, fix)
    # alice deletes one of bob's lines 6 days after he wrote it
    assert (row["revised_lines"], row["churn_others_w7"], row["churn_self_w7"]) == (1, 1, 0)
    assert churn(result, side_a)["authored_churned_w7"] == 1
    # first-parent: the merge owns everything it brings, as git blame --first-parent
    fp = run(scenario, first_parent=True)
    assert births(fp) == {base: 3, merge: 4, main_c: 1}


def test_side_branch_churn_before_the_merge(scenario):
    scenario.write("a.py", ["import os"])
    scenario.commit(0, "alice")
    scenario.checkout("-b", "feature")
    scenario.write("a.py", ["import os", "first_try = compute(1)", "second_try = compute(2)"])
    draft = scenario.commit(1, "bob")
    scenario.write("a.py", ["import os", "second_try = compute(2)"])
    fixup = scenario.commit(2, "bob")
    scenario.checkout("main")
    scenario.merge("feature", 3, "alice")
    result = run(scenario)
    # bob deletes his own day-old line inside the branch: self-churn, seen although it never reached main
    row = churn(result, fixup)
    assert (row["revised_lines"], row["churn_self_w7"], row["churn_others_w7"]) == (1, 1, 0)
    assert churn(result, draft)["authored_churned_w7"] == 1
    assert births(result)[draft] == 1


@pytest.mark.parametrize("name", ["vendor/lib.py", "package-lock.json", "static/app.min.js"])
def test_excluded_files_have_no_line_metrics(scenario, name):
    scenario.write("a.py", ["x = 1"])
    scenario.commit(0)
    scenario.write(name, ["excluded_value = 1", "other_value = 2"])
    sha = scenario.commit(1)
    result = run(scenario)
    assert ops(result, sha) == {}
    assert sum(births(result).values()) == 1  # survival leaves excluded files out too


def test_minified_content_is_left_out(scenario):
    scenario.write("a.py", ["x = 1"])
    scenario.commit(0)
    scenario.write("bundle.js", ["var a=" + "1+" * 600 + "1;", "var b = 2;"])
    sha = scenario.commit(1)
    assert ops(run(scenario), sha) == {}


def test_odd_paths_binary_and_non_utf8_content(scenario):
    names = ["with space.py", "caf\u00e9.py", 'quote"d.py', "tab\there.py"]
    for i, name in enumerate(names):
        scenario.write(name, [f"first_value = {i}"])
    (scenario.path / "latin1.txt").write_bytes(b"caf\xe9 = 1\nna\xefve = 2\n")
    (scenario.path / "image.bin").write_bytes(bytes(range(256)) * 4)
    scenario.commit(0)
    for i, name in enumerate(names):  # a different substitution in each file: updates, not a find/replace
        scenario.write(name, [f"first_value = {i + 10}"])
    (scenario.path / "latin1.txt").write_bytes(b"caf\xe9 = 3\nna\xefve = 2\n")
    (scenario.path / "image.bin").write_bytes(bytes(range(255, -1, -1)) * 4)
    sha = scenario.commit(1)
    result = run(scenario)
    # line_ops paths are file_changes paths; each text file has one updated pair; the binary file has no row
    changes = result.tables["file_changes"].filter(pl.col("sha") == sha, ~pl.col("is_binary"))
    assert set(ops(result, sha)) == set(changes["path"]) and len(changes) == 5
    assert all(counts == {**ZERO, "updated": 2} for counts in ops(result, sha).values())
    assert sum(births(result).values()) == 6  # 4 one-line files and 2 latin-1 lines; the binary file has none


def test_options_are_validated(scenario):
    from churnlab.errors import InputError

    with pytest.raises(InputError, match="bulk_lines must be a positive integer"):
        run(scenario, bulk_lines=0)
    with pytest.raises(InputError, match="survival_sample_days"):
        run(scenario, survival_sample_days=-1)


def test_merged_file_identical_to_the_side_branch_takes_all_its_births(scenario):
    scenario.write("a.py", ["first = 1", "second = 2", "third = 3"])
    base = scenario.commit(0, "alice")
    scenario.checkout("-b", "feature")
    scenario.write("a.py", ["first = 1", "third = 3"])
    scenario.commit(1, "bob")
    scenario.write("a.py", ["first = 1", "second = 2", "third = 3", "fourth = 4"])
    readd = scenario.commit(2, "bob")
    scenario.checkout("main")
    scenario.write("b.py", ["other = True"])
    other = scenario.commit(3, "alice")
    scenario.merge("feature", 4)
    # `second = 2` is unchanged against main, but a.py is identical to the branch's: git blame passes the whole
    # file to the branch, where bob wrote `second = 2` again on day 2
    assert births(run(scenario)) == {base: 2, readd: 2, other: 1}


def test_tables_are_written_and_read_back(scenario, tmp_path):
    from churnlab import io

    scenario.write("a.py", ["x = 1", "y = 2"])
    scenario.commit(0)
    scenario.write("a.py", ["x = 1", "y = 3"])
    scenario.commit(40)
    result = mine(scenario.path, tmp_path / "out", name="scenario", salt="scenario-salt")
    for table in ("line_ops", "churn", "survival"):
        assert io.read_table(result.paths[table], table).height == result.tables[table].height > 0
    survival = result.tables["survival"]
    # samples every 30 days from the day after the first commit (days 1 and 31), then the head (day 40)
    years = survival.filter(pl.col("granularity") == "year")
    days = [(t.timestamp() - 1704067200) / 86400 for t in years["sample_time"]]
    assert days == [1, 31, 40] and years["live_lines"].to_list() == [2, 2, 2]
    assert set(survival["cohort"]) == {"2024", "2024Q1"}
    assert io.read_provenance(result.paths["churn"])["options"]["bulk_lines"] == 5000


def test_rows_flushed_every_row_give_the_same_tables(scenario, monkeypatch):
    # line operations and fingerprints become frames in chunks (memory): one row per chunk changes nothing
    scenario.write("a.py", ["x = compute(1)", "y = compute(2)"])
    scenario.write("b.py", ["z = compute(3)"])
    scenario.commit(0)
    scenario.write("a.py", ["x = compute(1)", "y = compute(20)"])
    scenario.remove("b.py")
    scenario.commit(3, author="bob")
    scenario.write("a.py", ["x = compute(10)", "y = compute(20)"])
    scenario.commit(5)
    whole = run(scenario)
    monkeypatch.setattr("churnlab.mine.provenance._FLUSH_ROWS", 1)
    chunked = run(scenario)
    assert whole.tables["line_ops"].height == 5 and whole.tables["churn"].height == 3  # a+b, a+b, a
    for table in ("line_ops", "churn", "survival"):
        assert chunked.tables[table].equals(whole.tables[table]), table
    assert chunked.extras["patch_fingerprints"].equals(whole.extras["patch_fingerprints"])


def test_type_change_is_one_row_per_path(scenario):
    # a file replaced by a symlink: git lists the path twice (its text deleted, the link's target added)
    scenario.write("a.py", ["x = compute(1)"])
    scenario.write("link.py", ["first = compute(2)", "second = compute(3)"])
    scenario.commit(0)
    scenario.remove("link.py")
    os.symlink("a.py", scenario.path / "link.py")
    sha = scenario.commit(1)
    result = run(scenario)
    rows = result.tables["line_ops"].filter(pl.col("sha") == sha)
    assert rows["path"].to_list() == ["link.py"]
    # both halves in the one row: 2 lines deleted, the target "a.py" (no newline) added as one line
    assert ops(result, sha) == {"link.py": {**ZERO, "deleted": 2, "added": 1}}


def _blocks_by_hand(cands, keys):
    """Moved-block candidates by their definition: every line of the hunk read, runs of candidates (no-op lines
    do not break them) kept when they reach 20 alphanumeric characters."""
    ok = set()
    for fi, hi in {(f, h) for f, h, _ in cands}:
        run, chars = [], 0
        for j, k in enumerate(keys[fi][hi]):
            if k is None:
                continue
            if (fi, hi, j) in cands:
                run.append((fi, hi, j))
                chars += normalize.alnum_chars(k)
                continue
            if chars >= lines.MOVED_BLOCK_ALNUM:
                ok.update(run)
            run, chars = [], 0
        if chars >= lines.MOVED_BLOCK_ALNUM:
            ok.update(run)
    return ok


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.tuples(st.sampled_from([None, "ab", "abcdefghij", "x = compute(value)", "é"]),
                                   st.booleans()), max_size=12), min_size=1, max_size=4))
def test_moved_blocks_equal_their_definition(hunks):
    keys = {0: [[k for k, _ in h] for h in hunks]}
    cands = {(0, hi, j) for hi, h in enumerate(hunks) for j, (k, cand) in enumerate(h) if cand and k is not None}
    assert lines._blocks(cands, keys) == _blocks_by_hand(cands, keys)
