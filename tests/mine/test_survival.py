"""Kaplan-Meier medians of line lifetimes, checked by hand; the store of the lifetimes they are taken from."""

from array import array
from collections import Counter

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


@given(st.tuples(*[st.lists(_runs, max_size=3)] * 4))
def test_merge_deaths_counted_small_equal_the_vectorised_count(runs):
    """The two ways of counting a merge's deaths (dictionary for small merges, numpy for large) agree."""
    sizes = [sum(len(recs) for recs, _ in run) for run in runs]
    if not sizes[0] + sizes[1]:
        return
    counted = sorted(provenance._merge_lines_counted(runs))
    assert counted == sorted(provenance._merge_lines_sorted(runs, sizes))
    # births are merged without bit 1 (new code): a record and its bit-1 twin are one birth
    assert all(rec & 2 == 0 for rec, _, _ in counted)
