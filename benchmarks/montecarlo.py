"""Monte Carlo: bias, RMSE and 95% coverage of each estimator's overall effect on simulated staggered panels.

Run (not in CI; minutes):  PYTHONPATH=. python benchmarks/montecarlo.py --reps 200 --units 500 --periods 12

The data-generating process is :func:`churnlab.estimate.dgp.simulate_panel` with effects growing after adoption
(``effect + slope * event time``). Each estimator's target differs, so each is compared with its own truth:
the ATT over all treated observations (imputation, static TWFE, PPML-free linear outcome), the mean of post
event-time effects (Callaway-Sant'Anna ``ATT_event`` average, Sun-Abraham weights by treated observations).
Static TWFE is expected to be biased (negative weights under growing effects).
"""

from __future__ import annotations

import argparse
import sys
import warnings

import polars as pl


def one(seed: int, units: int, periods: int, slope: float) -> list[dict]:
    from churnlab.estimate.did import callaway_santanna
    from churnlab.estimate.dgp import simulate_panel
    from churnlab.estimate.bjs import imputation
    from churnlab.estimate.sunab import sun_abraham
    from churnlab.estimate.fixed_effects import twfe

    df = simulate_panel(units, periods, seed=seed, slope=slope, serial=0.3)
    tr = df.filter(pl.col("treat") == 1)
    truth_obs = tr["true_effect"].mean()
    truth_cs = tr.group_by("rel_time").agg(pl.col("true_effect").mean())["true_effect"].mean()
    out = []

    def rec(name, res, term, truth):
        r = res.to_frame().filter(pl.col("term") == term).row(0, named=True)
        out.append(dict(estimator=name, seed=seed, estimate=r["estimate"], truth=truth,
                        covered=r["ci_low"] <= truth <= r["ci_high"]))

    rec("imputation", imputation(df, y="y", horizon=None), "ATT", truth_obs)
    rec("callaway_santanna", callaway_santanna(df, y="y", bootstrap=0, aggregations=("event",)), "ATT_event", truth_cs)
    rec("sun_abraham", sun_abraham(df, y="y"), "ATT", truth_obs)
    rec("twfe_static", twfe(df, y="y"), "ATT", truth_obs)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--periods", type=int, default=12)
    ap.add_argument("--slope", type=float, default=0.2)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    rows = [r for s in range(args.reps) for r in one(s, args.units, args.periods, args.slope)]
    df = pl.DataFrame(rows).with_columns(err=pl.col("estimate") - pl.col("truth"))
    summary = df.group_by("estimator").agg(
        reps=pl.len(), bias=pl.col("err").mean(), rmse=(pl.col("err") ** 2).mean().sqrt(),
        coverage=pl.col("covered").mean(),
    ).sort("estimator")
    with pl.Config(tbl_rows=20, float_precision=4):
        print(f"Monte Carlo: {args.reps} reps, {args.units} units x {args.periods} periods, slope {args.slope}")
        print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
