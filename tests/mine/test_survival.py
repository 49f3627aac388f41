"""Kaplan-Meier medians of line lifetimes, checked by hand."""

from churnlab.mine.provenance import km_median


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
