"""Power by simulation: properties of the curves, exact common-random-number identities, MDE arithmetic."""

from __future__ import annotations

import math

import polars as pl
import pytest

from churnlab.errors import InputError
from churnlab.power import minimum_detectable_effect, power_curve


def _power(curve: pl.DataFrame, estimator: str, n: int, effect: float) -> float:
    row = curve.filter((pl.col("estimator") == estimator) & (pl.col("n_units") == n) & (pl.col("effect") == effect))
    assert row.height == 1
    return row["power"][0]


@pytest.fixture(scope="module")
def curve() -> pl.DataFrame:
    return power_curve(effects=[0.0, 0.15, 0.3], n_units=[80, 240], n_reps=60, seed=3)


@pytest.mark.parametrize("estimator", ["imputation", "callaway_santanna"])
def test_power_rises_with_effect_size(curve, estimator):
    for n in (80, 240):
        p0, p1, p2 = (_power(curve, estimator, n, e) for e in (0.0, 0.15, 0.3))
        assert p0 < p1 < p2


@pytest.mark.parametrize("estimator", ["imputation", "callaway_santanna"])
def test_power_rises_with_sample_size(curve, estimator):
    for e in (0.15, 0.3):
        assert _power(curve, estimator, 80, e) < _power(curve, estimator, 240, e)


def test_size_at_zero_effect_is_nominal_within_monte_carlo_error():
    reps = 200
    size = power_curve(effects=[0.0], n_units=[100], n_reps=reps, seed=11)
    mc = 3 * math.sqrt(0.05 * 0.95 / reps)  # 3 Monte Carlo standard errors = 0.046
    for row in size.iter_rows(named=True):
        assert row["n_reps"] == reps and row["n_failed"] == 0
        assert abs(row["power"] - 0.05) <= mc, row
        assert abs(row["coverage"] - 0.95) <= mc, row


def test_common_random_numbers_shift_estimates_by_exactly_the_effect(curve):
    # every effect size reuses the replicate's draw and both estimators are linear in y, so with a constant
    # effect the mean estimate moves by exactly the effect and the standard errors do not move at all
    for (est, n), g in curve.group_by("estimator", "n_units"):
        g = g.sort("effect")
        assert g["mean_estimate"].to_numpy() - g["mean_estimate"][0] == pytest.approx([0.0, 0.15, 0.3], abs=1e-9)
        assert g["mean_se"].to_numpy() == pytest.approx([g["mean_se"][0]] * 3, rel=1e-9)
        assert g["bias"].to_numpy() == pytest.approx([g["bias"][0]] * 3, abs=1e-9)


def test_deterministic_for_a_seed_and_different_across_seeds():
    kw = dict(effects=[0.2], n_units=[60], n_reps=8, estimators=["imputation"])
    a, b, c = power_curve(seed=5, **kw), power_curve(seed=5, **kw), power_curve(seed=6, **kw)
    assert a.equals(b)
    assert a["mean_estimate"][0] != c["mean_estimate"][0]


def test_failed_replicates_are_counted_not_fatal():
    # 10 units, 95% ever treated: most draws have no never-treated unit, which Callaway-Sant'Anna needs
    out = power_curve(effects=[0.5], n_units=[10], treated_share=[0.95], n_reps=10,
                      estimators=["callaway_santanna"], seed=0)
    row = out.row(0, named=True)
    assert row["n_failed"] > 0 and row["n_reps"] + row["n_failed"] == 10


def test_mde_interpolates_between_grid_points():
    curve = pl.DataFrame({
        "estimator": ["imputation"] * 3 + ["callaway_santanna"] * 3, "n_units": [200] * 6,
        "treated_share": [0.5] * 6, "effect": [0.0, 0.1, 0.2] * 2, "power": [0.05, 0.5, 0.9, 0.05, 0.2, 0.6],
        "mean_se": [0.04] * 3 + [0.1] * 3, "alpha": [0.05] * 6,
    })
    mde = minimum_detectable_effect(curve).sort("estimator")
    cs, imp = mde.row(0, named=True), mde.row(1, named=True)
    assert imp["mde"] == pytest.approx(0.1 + (0.8 - 0.5) / (0.9 - 0.5) * 0.1)  # 0.175
    assert imp["mde_analytic"] == pytest.approx((1.959964 + 0.841621) * 0.04, abs=1e-6)
    assert cs["mde"] is None and cs["max_power"] == 0.6  # never reaches 80% on this grid
    assert minimum_detectable_effect(curve, power=0.5).sort("estimator")["mde"][1] == pytest.approx(0.1)


def test_simulated_mde_close_to_normal_approximation(curve):
    mde = minimum_detectable_effect(curve, power=0.5)
    for row in mde.filter(pl.col("mde").is_not_null()).iter_rows(named=True):
        # at 50% power the normal approximation is 1.96 SE; the grid is coarse (0.15 apart)
        assert abs(row["mde"] - row["mde_analytic"]) < 0.15


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(estimators=["twfe"]), "twfe.*choose from"),
        (dict(treated_share=[1.0]), "strictly between 0 and 1"),
        (dict(n_units=[5]), "n_units value 5"),
        (dict(n_reps=0), "positive integer"),
        (dict(dgp={"effect": 2.0}), r"dgp options \['effect'\].*noise"),
        (dict(alpha=1.5), "alpha"),
    ],
)
def test_bad_input_names_the_problem(kwargs, match):
    with pytest.raises(InputError, match=match):
        power_curve(**kwargs)


def test_mde_rejects_a_frame_that_is_not_a_curve():
    with pytest.raises(InputError, match="lacks columns.*power_curve"):
        minimum_detectable_effect(pl.DataFrame({"effect": [0.1]}))
