"""Benchmark: CPU of the line stage's thread in a whole mine, against a baseline checkout, alternating.

    python benchmarks/bench_line_thread.py PATH_TO_REPO --baseline PATH_TO_OTHER_CHECKOUT [--runs 5] [--every-table]

Each run is a child process whose ``PYTHONPATH`` is a checkout of churnlab (this one, or the baseline: e.g. a
worktree of the commit before a change, extension built). The child mines the repository as the issue's whole
mine does (``tables=["line_ops", "churn", "survival"]``, so stage 1 runs too, beside the line stage) and times
the thread that runs the line stage (``time.thread_time`` around the overlapped stage: parsing, labelling,
merges and the three frames), the process (``time.process_time``), the mine's wall time and the process's peak
memory (VmHWM); ``--every-table`` mines every table instead (reverts and signals too). Runs alternate between the
checkouts. Printed: per side the best and the median run (the highest peak), and the ratios new / baseline.
The child digests the three tables (rows sorted by key), and the benchmark stops if a digest differs between runs.

Thread CPU is less disturbed than wall time by other load on the machine, not immune to it (caches, the other
thread's interpreter-lock handovers): compare best and median within one run of this command.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from _timing import alternate, run_in_checkout

CHILD = """
import hashlib, json, sys, time
import churnlab.mine as M
import polars as pl
from churnlab import schemas
from churnlab.mine import overlap

spent = {}
run = overlap.Overlap._run

def timed(self, *args):
    started = time.thread_time()
    try:
        return run(self, *args)
    finally:
        spent["line"] = time.thread_time() - started

overlap.Overlap._run = timed
cpu, wall = time.process_time(), time.perf_counter()
result = M.mine(sys.argv[1], None, name="bench/line-thread", salt="benchmark-salt", incremental=False,
                tables=None if sys.argv[2] == "all" else ["line_ops", "churn", "survival"])
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
peak = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM")) / 1024


def normal(name):
    # a table in its declared columns and types, rows by key (line_ops' row order changed once, from sha order
    # to the commits' order; returned tables took their declared types at the same time)
    spec = schemas.get(name)
    declared = pl.from_arrow(spec.arrow_schema().empty_table()).schema
    return result.tables[name].select(spec.names).cast(dict(declared)).sort(spec.key)


frames = [normal(name) for name in ("line_ops", "churn", "survival")]
digest = hashlib.sha256(repr([f.hash_rows(seed=1).to_list() for f in frames]).encode()).hexdigest()
print(json.dumps({"line": spent.get("line", 0.0), "process": cpu, "wall": wall, "peak": peak, "digest": digest,
                  "module": M.__file__}))
"""


def run_child(repo: str, checkout: Path, *, every_table: bool = False) -> dict:
    return run_in_checkout(CHILD, [str(Path(repo).resolve()), "all" if every_table else "lines"], checkout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--baseline", required=True, help="a checkout of churnlab to compare with (its root folder)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--every-table", action="store_true", help="mine every table (reverts and signals too)")
    args = ap.parse_args(argv)
    sides = {"baseline": Path(args.baseline).resolve(), "new": Path(__file__).resolve().parent.parent}
    runs = alternate(sides, args.runs, lambda checkout: run_child(args.repo, checkout, every_table=args.every_table),
                     "the line stage's tables")
    print(f"{args.runs} runs a side, alternating; tables identical\n")
    print("| side | line-stage thread CPU s, best | median | process CPU s, best | median | wall s, best | median "
          "| peak MB, highest |")
    print("|---|---|---|---|---|---|---|---|")
    summary = {}
    for side in sides:
        line, process, wall = ([r[k] for r in runs[side]] for k in ("line", "process", "wall"))
        summary[side] = (min(line), statistics.median(line), min(process), statistics.median(process), min(wall),
                         statistics.median(wall), max(r["peak"] for r in runs[side]))
        print(f"| {side} | " + " | ".join(f"{x:.3f}" for x in summary[side][:-1]) + f" | {summary[side][-1]:.0f} |")
    new, old = summary["new"], summary["baseline"]
    print(f"\nnew / baseline: line-stage thread best {new[0] / old[0]:.2f}, median {new[1] / old[1]:.2f}; "
          f"process best {new[2] / old[2]:.2f}, median {new[3] / old[3]:.2f}; wall best {new[4] / old[4]:.2f}, "
          f"median {new[5] / old[5]:.2f}; peak {new[6] / old[6]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
