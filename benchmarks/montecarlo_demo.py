"""Monte Carlo of the demo design: bias, standard-error calibration and 95% coverage of each estimator.

    python benchmarks/montecarlo_demo.py --reps 30 [--n-repos 40] [--months 24]

Each replication simulates a study with the demo's design (churnlab.demo.DEMO_COHORTS) and estimates the two
outcomes from the simulation's own repository x month cells (``StudyTruth.cells()``): the panel that mining
those repositories produces is equal to these cells cell for cell (``tests/test_analysis.py`` checks it), so
mining is skipped to make many replications affordable. Not run in CI.
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np
import polars as pl

from churnlab.demo import DEMO_COHORTS
from churnlab.errors import DataError
from churnlab.estimate.compare import compare_estimators
from churnlab.analysis import balanced_subpanel
from churnlab.simulate import simulate_study

OUTCOMES = {"churn_rate_14d": "effect_churn", "revert_rate_30d": "effect_revert"}


def one(seed: int, n_repos: int, months: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        truth = simulate_study(f"{tmp}/s", n_repos=n_repos, months=months, commits_per_dev_month=3.0,
                               adoption_months=DEMO_COHORTS, bare=True, seed=seed)
    cells = truth.cells().with_columns(unit=pl.col("repo"), cohort=pl.col("cohort").cast(pl.Int64),
                                       period=pl.col("period").cast(pl.Int64))
    rows = []
    for y, param in OUTCOMES.items():
        true = truth.params[param]
        obs = cells.filter(pl.col(y).is_not_null())
        bal = balanced_subpanel(obs, y)  # the same sample churnlab.analysis gives Callaway-Sant'Anna
        res = {}
        for name, sample in (("imputation", obs), ("sun_abraham", obs), ("callaway_santanna", bal)):
            try:
                res.update(compare_estimators(sample, y=y, estimators=[name], bootstrap=199, seed=seed))
            except DataError:  # not identified in this draw (e.g. a cohort with no untreated comparison)
                rows.append(dict(seed=seed, outcome=y, estimator=name, truth=true, estimate=None, se=None, covers=None))
        for name, r in res.items():
            o = r.to_frame().filter(pl.col("kind") == "overall").row(0, named=True)
            rows.append(dict(seed=seed, outcome=y, estimator=name, truth=true, estimate=o["estimate"], se=o["se"],
                             covers=o["ci_low"] <= true <= o["ci_high"]))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--n-repos", type=int, default=40)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--first-seed", type=int, default=0)
    args = ap.parse_args()
    rows = [r for s in range(args.first_seed, args.first_seed + args.reps) for r in one(s, args.n_repos, args.months)]
    df = pl.DataFrame(rows)
    summary = df.group_by("outcome", "estimator").agg(
        reps=pl.col("estimate").count(), not_identified=pl.col("estimate").null_count(), truth=pl.col("truth").first(), bias=(pl.col("estimate") - pl.col("truth")).mean(),
        sd=pl.col("estimate").std(), mean_se=pl.col("se").mean(), coverage=pl.col("covers").mean(),
        mc_se_coverage=(pl.col("covers").mean() * (1 - pl.col("covers").mean()) / pl.len()).sqrt(),
    ).sort("outcome", "estimator")
    with pl.Config(tbl_rows=20, tbl_cols=12, float_precision=4, tbl_width_chars=160):
        print(f"{args.reps} replications, {args.n_repos} repositories x {args.months} months, cohorts {DEMO_COHORTS}")
        print(summary)
    print(f"(bias Monte Carlo standard error is about sd / sqrt(reps) = sd / {np.sqrt(args.reps):.1f})")


if __name__ == "__main__":
    main()
