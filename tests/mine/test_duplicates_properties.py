"""Property: the duplicate-block index, kept hunk by hunk, equals the windows recomputed from the tree.

Random histories (commits on main and on feature branches merged back with --no-ff; files created, edited,
renamed, copied, deleted, some of them vendored; read with and without copy detection) are drawn from a small
vocabulary, so that 5-line windows repeat within and across files. After every first-parent commit the tracker's index
(:class:`churnlab.mine.duplicates.TreeWindows`) must hold exactly the windows of the checked-out tree: every run
of 5 consecutive meaningful lines (by key) of each text file that is not excluded, counted with multiplicity.
"""

from __future__ import annotations

import itertools
from collections import Counter

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from churnlab.mine import mine, provenance
from churnlab.mine.duplicates import NO_KEY, TreeWindows, key_hash, windows

SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# few distinct lines: windows repeat; blank and keyword lines are skipped by windows; the last two have the
# keys of the first two (lines compare by key)
VOCAB = ["alpha = load(1)", "beta = alpha + 2", "gamma(beta)", "delta = [gamma, beta]", "print(delta)",
         "", "else:", "    return None", "    alpha = load(1)", "beta  =  alpha + 2"]


def _edit(repo, data, prefix: str, counter) -> None:
    files = sorted(str(p.relative_to(repo.path)) for p in repo.path.rglob(f"{prefix}*")
                   if p.is_file() and ".git" not in p.parts)

    def fresh(n: int) -> list[str]:
        return [data.draw(st.sampled_from(VOCAB)) for _ in range(n)]

    action = data.draw(st.sampled_from(["create", "insert", "insert", "delete", "replace", "rename", "remove",
                                        "copy"]) if files else st.just("create"))
    if action == "create":
        folder = data.draw(st.sampled_from(["", "", "vendor/"]))
        repo.write(f"{folder}{prefix}{next(counter)}.py", fresh(data.draw(st.integers(1, 14))))
        return
    name = data.draw(st.sampled_from(files))
    text = repo.read(name)
    at = data.draw(st.integers(0, len(text)))
    span = data.draw(st.integers(1, 7))
    if action == "insert":
        text[at:at] = fresh(span)
    elif action == "delete":
        del text[at:at + span]
    elif action == "replace":
        text[at:at + span] = fresh(span)
    elif action == "rename":
        repo.remove(name)
        repo.write(f"{prefix}{next(counter)}.py", text)
        return
    elif action == "remove":
        repo.remove(name)
        return
    else:  # copy the file, both edited a little (git -C pairs a copy with a source changed in the commit)
        repo.write(f"{prefix}{next(counter)}.py", [*text[:at], *fresh(1), *text[at:]])
        text.append(data.draw(st.sampled_from(VOCAB)))
    repo.write(name, text)


def build(repo, data) -> None:
    counter = itertools.count()
    repo.write("m_base.py", VOCAB[:5])
    repo.commit(0)
    day = 0.0
    for feature in range(data.draw(st.integers(2, 8))):
        day += 1
        if data.draw(st.booleans()):
            for _ in range(data.draw(st.integers(1, 3))):
                _edit(repo, data, "m_", counter)
            repo.commit(day)
            continue
        repo.checkout("-b", f"feature{feature}")
        # a feature edits its own files, or main's (then main waits for the merge: no conflicts)
        prefix = data.draw(st.sampled_from([f"f{feature}_", "m_"]))
        for _ in range(data.draw(st.integers(1, 2))):
            _edit(repo, data, prefix, counter)
            day += 0.5
            repo.commit(day)
        repo.checkout("main")
        if prefix != "m_" and data.draw(st.booleans()):
            _edit(repo, data, "m_", counter)
            day += 0.5
            repo.commit(day)
        day += 0.5
        repo.merge(f"feature{feature}", day)


def tree_windows(repo, sha: str, excluded: set[str]) -> Counter:
    """The reference: windows of every included text file of ``sha``, read from git."""
    out: Counter = Counter()
    for name in repo.git("ls-tree", "-r", "--name-only", sha).split():
        if name in excluded:
            continue
        raw = [ln.encode() for ln in repo.git("show", f"{sha}:{name}").splitlines()]
        out.update(windows([k for k in map(key_hash, raw) if k != NO_KEY]))
    return out


def _check(repo, replay, *, first_parent: bool, find_copies: bool = False) -> int:
    """Feed the history as the line stage does; after every chain commit the index must hold the tree's windows."""
    result = mine(repo.path, name="prop", salt="property-salt", first_parent=first_parent, tables=["commits"])
    commits = result.tables["commits"]
    fc = result.tables["file_changes"]
    excluded = set(fc.filter(pl.col("is_vendored") | pl.col("is_generated") | pl.col("is_lock"))["path"])
    chain = set(commits.filter("on_first_parent")["sha"])
    checked = 0
    for sha, tracker in replay(repo.path / ".git", result.head, commits, excluded, first_parent=first_parent,
                               find_copies=find_copies):
        if sha in chain:
            assert tracker.trees.held() == dict(tree_windows(repo, sha, excluded)), sha
            checked += 1
    return checked


@SETTINGS
@given(data=st.data())
def test_index_equals_the_tree_after_every_chain_commit(tmp_path_factory, scenario_repo_class, replay, data):
    repo = scenario_repo_class(tmp_path_factory.mktemp("dup") / "repo")
    build(repo, data)
    assert _check(repo, replay, first_parent=False, find_copies=data.draw(st.booleans())) >= 3


@settings(SETTINGS, max_examples=6)
@given(data=st.data())
def test_index_equals_the_tree_whichever_way_merges_key_their_files(tmp_path_factory, scenario_repo_class, replay,
                                                                    data, monkeypatch):
    # merges key the lines between a file's common ends after aligning its versions (with the compiled kernels) or
    # all of them (without): the other way than the one in use here gives the same index
    monkeypatch.setattr(provenance, "_ALIGN_MIDDLES", not provenance._ALIGN_MIDDLES)
    repo = scenario_repo_class(tmp_path_factory.mktemp("dup") / "repo")
    build(repo, data)
    assert _check(repo, replay, first_parent=False) >= 3


@settings(SETTINGS, max_examples=6)
@given(data=st.data())
def test_merges_that_forget_side_branch_keys_give_the_same_index_and_tables(tmp_path_factory, scenario_repo_class,
                                                                           replay, data, monkeypatch):
    # side-branch lines' key hashes are remembered for the merge that brings them, in bounded generations: with
    # room for one line, merges read their blobs instead, and the index and every table stay the same
    repo = scenario_repo_class(tmp_path_factory.mktemp("dup") / "repo")
    build(repo, data)
    kept = mine(repo.path, name="prop", salt="property-salt")
    monkeypatch.setattr(provenance, "_KEYS_KEPT", 2)
    assert _check(repo, replay, first_parent=False) >= 3
    forgot = mine(repo.path, name="prop", salt="property-salt")
    for table, frame in kept.tables.items():
        assert forgot.tables[table].equals(frame), table


def test_remembered_keys_live_two_generations():
    keys = provenance.RememberedKeys(6)  # generations of at most three entries
    a, b, c, d, e = (f"line {i}".encode() for i in range(5))
    keys.remember([a, b], ["a", None])  # a line that is not meaningful has NO_KEY
    assert keys.get_many([hash(a), hash(b), hash(c)]) == [hash("a"), NO_KEY, None]
    keys.remember([c, a], ["c", "a2"])  # would not fit: the young generation turns old first; the new key wins
    assert keys.get_many([hash(a), hash(b), hash(c)]) == [hash("a2"), NO_KEY, hash("c")]
    keys.remember([d], ["d"])  # fits: three entries
    keys.remember([e], ["e"])  # does not: the generation of a and b is dropped
    assert keys.get_many(list(map(hash, (a, b, c, d, e)))) == [hash("a2"), None, hash("c"), hash("d"), hash("e")]
    keys.remember([a, b, c, d], ["a", "b", "c", "d"])  # longer than a generation: not remembered
    assert keys.get_many([hash(b), hash(e)]) == [None, hash("e")]
    assert all(len(g) <= 3 for g in (keys._young, keys._old))


def test_index_equals_the_tree_in_first_parent_mode(tmp_path, scenario_repo_class, replay):
    # one fixed history of the same kind, read with --first-parent (merges against their first parent)
    repo = scenario_repo_class(tmp_path / "repo")
    repo.write("m_a.py", [*VOCAB[:5], "", *VOCAB[:5]])
    repo.commit(0)
    repo.checkout("-b", "feature")
    repo.write("f_b.py", [*VOCAB[2:5], *VOCAB[:5]])
    repo.write("m_a.py", [*VOCAB[:5], "", "gamma(beta)", *VOCAB[:5]])
    repo.commit(1)
    repo.checkout("main")
    repo.write("vendor/m_v.py", VOCAB[:5])
    repo.write("m_c.py", VOCAB[:5])
    repo.commit(2)
    repo.merge("feature", 3)
    repo.remove("m_c.py")
    repo.commit(4)
    assert _check(repo, replay, first_parent=True) == 4


@pytest.mark.parametrize("align_middles", [True, False])
def test_merges_splice_the_index_between_their_edits(tmp_path, scenario_repo_class, replay, monkeypatch,
                                                     align_middles):
    # a side branch edits two files in two places each, far apart; main edits one of them too: the merge takes
    # m_a.py whole from the side (its keys remembered) and git merges m_c.py (a blob read). Aligned, each splice
    # recounts only near the edits; not aligned, the whole middle: the same index as the tree's, either way
    monkeypatch.setattr(provenance, "_ALIGN_MIDDLES", align_middles)
    splices = []
    splice_keys = TreeWindows.splice_keys

    def spy(self, path, head, tail, middle, unchanged=None):
        splices.append((path, unchanged))
        return splice_keys(self, path, head, tail, middle, unchanged)

    monkeypatch.setattr(TreeWindows, "splice_keys", spy)
    lines = [f"value_{i} = load({i % 7})" if i % 9 else "" for i in range(40)]
    repo = scenario_repo_class(tmp_path / "repo")
    repo.write("m_a.py", lines)
    repo.write("m_c.py", [*lines[:20], *lines[:20]])  # windows repeat within the file
    repo.commit(0)
    repo.checkout("-b", "feature")
    repo.write("m_a.py", [*lines[:5], "side = 1", *lines[6:30], "side = 2", "side = 3", *lines[30:]])
    repo.write("m_c.py", [*lines[:10], *VOCAB[:5], *lines[10:20], *lines[:18], "side = 4"])
    repo.commit(1)
    repo.checkout("main")
    repo.write("m_c.py", ["main = 1", *lines[1:20], *lines[:20]])
    repo.commit(2)
    repo.merge("feature", 3)
    assert _check(repo, replay, first_parent=False) == 3
    merged = {path: unchanged for path, unchanged in splices}
    assert set(merged) == {b"m_a.py", b"m_c.py"}
    if align_middles:  # the unchanged lines between the side's two edits: one block each, two regions
        assert len(merged[b"m_a.py"]) == 1 and len(merged[b"m_c.py"]) == 1
    else:
        assert merged == {b"m_a.py": None, b"m_c.py": None}
