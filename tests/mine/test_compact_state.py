"""The line tracker's per-commit state held in flat arrays, checked against the lists and dictionaries it
replaces."""

import hashlib

import numpy as np
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from churnlab.mine.provenance import CommitIds, Ragged, Tracker


def _sha(k: int) -> str:
    return hashlib.sha1(str(k).encode()).hexdigest()


@given(st.lists(st.integers(0, 500), unique=True, max_size=40), st.lists(st.integers(0, 500), max_size=20))
def test_commit_ids_index_as_a_dictionary(held, asked):
    shas = [_sha(k) for k in held]
    ids = CommitIds(shas)
    reference = {s: i for i, s in enumerate(shas)}
    assert len(ids) == len(shas) and [ids[i] for i in range(len(ids))] == shas
    queries = [_sha(k) for k in asked]
    assert [ids.index(q.encode()) for q in queries] == [reference.get(q) for q in queries]
    assert ids.positions(queries).tolist() == [reference.get(q, -1) for q in queries]
    assert ids.column(np.arange(len(shas))).to_list() == shas
    chosen = np.array([k % 3 != 0 for k in held], dtype=bool)  # every index whose value is not a multiple of 3
    assert ids.sorted_where(chosen).tolist() == sorted((i for i in range(len(shas)) if chosen[i]), key=shas.__getitem__)


def test_commit_ids_empty():
    ids = CommitIds([])
    assert len(ids) == 0 and ids.index(_sha(1).encode()) is None
    assert ids.positions([_sha(1)]).tolist() == [-1]


@given(st.lists(st.lists(st.integers(0, 10**6), max_size=5), max_size=30))
def test_ragged_as_lists(lists):
    ragged = Ragged(lists)
    assert len(ragged) == len(lists)
    assert [list(r) for r in ragged] == lists
    assert all(list(ragged[i][1:]) == lists[i][1:] and bool(ragged[i]) == bool(lists[i]) for i in range(len(lists)))


@st.composite
def _commit_lists(draw):
    """Commits with parents among the earlier ones or outside the list (a shallow boundary, an excluded range),
    merges and octopus merges, some on the first-parent chain."""
    n = draw(st.integers(0, 25))
    shas = [_sha(k) for k in range(n)]
    outside = [_sha(-k) for k in range(1, 4)]
    parents = [draw(st.lists(st.sampled_from(shas[:i] + outside), max_size=3)) for i in range(n)]
    chain = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    t = pl.Series([0] * n, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
    return pl.DataFrame({"sha": shas, "parents": parents, "author_time": t, "committer_time": t,
                         "author_id": ["a"] * n, "on_first_parent": chain},
                        schema_overrides={"sha": pl.String, "parents": pl.List(pl.String), "author_id": pl.String})


@given(_commit_lists(), st.booleans())
def test_tracker_parents_and_readers_as_lists(commits, first_parent):
    tracker = Tracker(commits, set(), first_parent=first_parent, moves_churn=False, bulk_lines=5000,
                      sample_days=30, tree_duplicates=False)
    index = {s: i for i, s in enumerate(commits["sha"])}
    chain = commits["on_first_parent"].to_list()
    parents = commits["parents"].to_list()
    linked = [[index[p] for p in ps if p in index] for ps in parents]  # parents that are commits here
    if first_parent:  # a chain commit reads its first parent that is a commit here; others are not read
        linked = [ps[:1] if chain[i] else [] for i, ps in enumerate(linked)]
    readers = [sum(c in set(ps) for ps in linked) for c in range(len(linked))]
    assert [list(ps) for ps in tracker.parents] == linked
    assert list(tracker.readers) == readers
    assert list(tracker.is_merge) == [len(ps) > 1 for ps in parents]
