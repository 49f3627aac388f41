"""Benchmark: what the duplicate-block index of the tree at the parent costs, against the same run without it.

    python benchmarks/bench_duplicates.py PATH_TO_REPO [--repeat 3]

The patch stream of line provenance is read once into memory; then the line-provenance replay
(:class:`churnlab.mine.provenance.Tracker`) runs over it ``--repeat`` times with the tree index and without it
(duplicate blocks within the commit only), alternating, in this process. Reported: CPU time (``process_time``,
which the other engineers' load on a shared machine disturbs less than wall time) of each, the difference, and
that difference as a share of the whole mine's CPU time (``mine()`` with every table, measured once in this
process before the replays, git's own CPU time excluded); the windows held at the head and their approximate
memory; duplicate-block commits and lines with and without the tree.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import polars as pl

from churnlab.mine import lines as L
from churnlab.mine import mine
from churnlab.mine.provenance import Tracker


def replay(records: list[bytes], commits: pl.DataFrame, excluded: set[str], tree: bool) -> tuple[float, Tracker]:
    tracker = Tracker(commits, excluded, first_parent=False, moves_churn=False, bulk_lines=5000, sample_days=30,
                      tree_duplicates=tree)
    t0 = time.process_time()
    for record in records:
        tracker.feed(record)
    tracker.finish()
    return time.process_time() - t0, tracker


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    t0 = time.process_time()
    result = mine(args.repo, name="bench/duplicates", salt="benchmark-salt", incremental=False)
    whole = time.process_time() - t0
    commits = result.tables["commits"]
    fc = result.tables["file_changes"]
    excluded = set(fc.filter(pl.col("is_vendored") | pl.col("is_generated") | pl.col("is_lock"))["path"])
    from churnlab.git import open_repository
    repo = open_repository(args.repo, name="bench/duplicates")
    records = list(L.records(repo.stream(L.log_args(result.head))))

    times: dict[bool, list[float]] = {False: [], True: []}
    trackers: dict[bool, Tracker] = {}
    for _ in range(args.repeat):
        for tree in (False, True):
            seconds, trackers[tree] = replay(records, commits, excluded, tree)
            times[tree].append(seconds)
    without, with_tree = statistics.median(times[False]), statistics.median(times[True])
    index = trackers[True].trees
    assert index is not None
    # a dict slot (hash, key, value pointers) plus a 32-byte int key per window; counts are small cached ints
    held = index.held()
    index_mb = (sys.getsizeof(held) + 32 * len(held)) / 2**20

    def dup(tr: Tracker) -> tuple[int, int]:
        rows = tr.commit_rows.values()
        return sum(1 for r in rows if r[1]), sum(r[1] for r in rows)

    print(f"| measure | value |\n|---|---|\n"
          f"| commits (non-merge) | {commits.height} ({len(trackers[True].commit_rows)}) |\n"
          f"| whole mine, CPU s (git excluded) | {whole:.2f} |\n"
          f"| provenance replay without tree index, CPU s (median of {args.repeat}) | {without:.2f} |\n"
          f"| provenance replay with tree index, CPU s | {with_tree:.2f} |\n"
          f"| tree index cost, CPU s | {with_tree - without:+.2f} |\n"
          f"| tree index cost / replay | {(with_tree - without) / without:+.1%} |\n"
          f"| tree index cost / whole mine | {(with_tree - without) / whole:+.1%} |\n"
          f"| windows at the head | {len(held)} (~{index_mb:.1f} MB) |\n"
          f"| lines held by the index at the head | {sum(len(k) for k in index.files.values() if k)} |\n"
          f"| duplicate-block commits, lines: commit only | {dup(trackers[False])} |\n"
          f"| duplicate-block commits, lines: with tree | {dup(trackers[True])} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
