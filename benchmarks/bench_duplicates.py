"""Benchmark: what the duplicate-block index of the tree at the parent costs, against the same mine without it.

    python benchmarks/bench_duplicates.py PATH_TO_REPO [--repeat 3]

Runs the whole mine (``churnlab.mine.mine``, every table, the production path) ``--repeat`` times with
``duplicate_blocks="tree"`` (the default: repeats in the commit or in the tree at the parent) and with
``"commit"`` (repeats within the commit only), alternating, in this process. Reported: CPU time
(``process_time``: this process only, git's own CPU excluded; less disturbed by other load than wall time) of
each, the median difference and its share, the peak memory of the process so far, and the duplicate-block
commits and lines each rule finds.
"""

from __future__ import annotations

import argparse
import statistics
import time

import polars as pl

from churnlab.mine import mine


def one(repo: str, rule: str) -> tuple[float, pl.DataFrame]:
    t0 = time.process_time()
    result = mine(repo, name="bench/duplicates", salt="benchmark-salt", incremental=False, duplicate_blocks=rule)
    return time.process_time() - t0, result.tables["churn"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    times: dict[str, list[float]] = {"commit": [], "tree": []}
    churn: dict[str, pl.DataFrame] = {}
    for _ in range(args.repeat):
        for rule in times:
            seconds, churn[rule] = one(args.repo, rule)
            times[rule].append(seconds)
    commit_only, tree = statistics.median(times["commit"]), statistics.median(times["tree"])
    peak = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM")) / 1024

    def dup(df: pl.DataFrame) -> str:
        return f"{int(df['has_duplicate_block'].sum())} commits, {int(df['duplicated_lines'].sum())} lines"

    print(f"| measure | value |\n|---|---|\n"
          f"| whole mine, `duplicate_blocks=\"commit\"`, CPU s (median of {args.repeat}) | {commit_only:.2f} |\n"
          f"| whole mine, `duplicate_blocks=\"tree\"`, CPU s | {tree:.2f} |\n"
          f"| tree index cost, CPU s | {tree - commit_only:+.2f} ({(tree - commit_only) / commit_only:+.0%}) |\n"
          f"| peak memory of this process (both rules) | {peak:.0f} MB |\n"
          f"| duplicate blocks, commit only | {dup(churn['commit'])} |\n"
          f"| duplicate blocks, commit and tree | {dup(churn['tree'])} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
