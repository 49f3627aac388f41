"""Kaplan-Meier medians of line lifetimes, checked by hand; the store of the lifetimes they are taken from."""

from array import array
from collections import Counter, defaultdict

from hypothesis import given
from hypothesis import strategies as st

from churnlab.mine import provenance
from churnlab.mine.provenance import Deaths, km_median


def test_half_die_at_once():
    # 4 lines: 2 die on day 10, 2 alive (censored) at day 20: S(10) = 1 - 2/4 = 0.5
    assert km_median({10: 2}, {20: 2}) == 10.0


def test_censoring_shrinks_the_risk_set():
    # S(5) = 3/4; 2 censored on day 10 leave 1 at risk; S(15) = 3/4 * (1 - 1/1) = 0
    assert km_median({5: 1, 15: 1}, {10: 2}) == 15.0


def test_median_not_reached_is_none():
    # S(3) = 1 - 1/3: more than half still alive at the end
    assert km_median({3: 1}, {30: 2}) is None
    assert km_median({}, {}) is None


@given(st.lists(st.tuples(st.integers(2000 * 4, 2030 * 4), st.integers(0, 3000), st.integers(1, 5)), max_size=60))
def test_deaths_store_counts_as_a_counter(adds):
    # the per-quarter arrays give back exactly what a Counter keyed by (quarter, days) holds
    deaths, reference = Deaths(), Counter()
    for quarter, days, n in adds:
        deaths.add(quarter, days, n)
        reference[(quarter, days)] += n
    assert dict(deaths.items()) == reference


def test_deaths_store_one_line_at_a_time():
    deaths = Deaths()
    deaths.add(8096, 2)
    deaths.add(8096, 2)
    deaths.add(8097, 0)
    assert sorted(deaths.items()) == [((8096, 2), 2), ((8097, 0), 1)]


# A merge's lines, as _merge_survival hands them over: (birth records, content hashes) runs per side (left,
# arrived, left excluded files, arrived in excluded files). Few births and contents, so lines repeat and cancel.
_runs = st.lists(st.tuples(st.integers(-8, 40), st.integers(0, 5)), max_size=30).map(
    lambda lines: (array("q", [r for r, _ in lines]), array("q", [h for _, h in lines])))


def _merge_lines_by_hand(runs) -> list[tuple[int, int, int]]:
    """The definition, line by line: a line is (birth without bit 1, content); per line, those that left and did
    not come back died, less those that moved into excluded files; summed per birth, for the births with lines
    arrived or dead."""
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for side, run in enumerate(runs):
        for recs, hashes in run:
            for rec, h in zip(recs, hashes):
                counts[(rec & ~2, h)][side] += 1
    per_birth: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (rec, _), (left, came, left_excluded, came_excluded) in counts.items():
        died = max(left - came, 0)
        per_birth[rec][0] += came - left
        per_birth[rec][1] += died - min(died, max(came_excluded - left_excluded, 0))
    return sorted((rec, net, died) for rec, (net, died) in per_birth.items() if net or died)


@given(st.tuples(*[st.lists(_runs, max_size=3)] * 4))
def test_merge_deaths_equal_their_definition(runs):
    """A merge's deaths and new live lines, counted vectorised, equal the line-by-line definition."""
    sizes = [sum(len(recs) for recs, _ in run) for run in runs]
    got = sorted(provenance._merge_lines(runs))
    if not sizes[0] + sizes[1]:  # nothing left and nothing arrived in counted files: nothing to count
        assert got == []
        return
    assert got == _merge_lines_by_hand(runs)
