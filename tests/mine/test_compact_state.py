"""The line tracker's per-commit state held in flat arrays, checked against the lists and dictionaries it
replaces."""

import hashlib

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from churnlab.mine.provenance import CommitIds, Ragged


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
