"""Benchmark: CPU of the line stage's per-commit Python (``Tracker.feed`` without merges), against a baseline.

    python benchmarks/bench_feed.py PATH_TO_REPO --baseline PATH_TO_OTHER_CHECKOUT [--runs 3]

Each run is a child process whose ``PYTHONPATH`` is a checkout of churnlab (this one, or the baseline: e.g. a
worktree of the commit before a change). The child mines the repository once, to get the commit list and
excluded paths the line stage is given, reads the line stage's patch stream into memory, then replays it through
a fresh ``Tracker`` (merges read from their trees, as in a mine): thread CPU (``time.thread_time``) of ``feed``
and of the merges in it (``_merge_trees``); the non-merge path is the difference. Runs alternate between the two
checkouts. Printed: per side the best and the median run, and the ratios new / baseline. Merges' CPU is the same
code on both sides, so its ratio shows how much other load on the machine moved the figures; the non-merge CPU
divided by the merges' CPU of the same run is a second, load-normalised comparison.

Both sides must give the same line-stage output: the child digests the tracker's ``line_ops``, ``churn`` and
``survival`` frames and its patch fingerprints, and the benchmark stops if a digest differs between runs.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from _timing import alternate, run_in_checkout

CHILD = """
import gc, hashlib, json, sys, time
import churnlab.mine as M
from churnlab.git import open_repository
from churnlab.mine import lines as L, normalize, patches, provenance as P

given = {}
init = P.Tracker.__init__

def capture(self, commits, excluded, **kw):
    given.update(commits=commits, excluded=excluded, kw=kw)
    init(self, commits, excluded, **kw)

P.Tracker.__init__ = capture
M.mine(sys.argv[1], None, name="bench/feed", salt="benchmark-salt", incremental=False)
P.Tracker.__init__ = init
repo = open_repository(sys.argv[1])
records = list(L.records(repo.stream(L.log_args(repo.head))))
merges_s = [0.0]
merge_trees = P.Tracker._merge_trees

def timed(self, *args):
    t = time.thread_time()
    merge_trees(self, *args)
    merges_s[0] += time.thread_time() - t

P.Tracker._merge_trees = timed
for cached in (normalize.line_key, normalize.tokens, normalize.alnum_chars):
    cached.cache_clear()
gc.collect()
tracker = P.Tracker(given["commits"], given["excluded"], **given["kw"])
with P.MergeTrees(P.start_stream(repo, P.merge_tree_args(repo.head)), repo.blobs()) as merges:
    tracker.merges = merges
    t = time.thread_time()
    for record in records:
        tracker.feed(record)
    feed_s = time.thread_time() - t
tracker.finish()
frames = [P._ops_frame(tracker, "x"), P._churn_frame(tracker, "x"),
          P._survival_frame(tracker, "x", tracker.live_births()),
          P._concat(tracker.print_chunks, patches.fingerprint_frame(tracker.prints)).sort("sha")]
digest = hashlib.sha256(repr([f.hash_rows(seed=1).to_list() for f in frames]).encode()).hexdigest()
print(json.dumps({"feed": feed_s, "merges": merges_s[0], "digest": digest, "commits": len(records),
                  "module": M.__file__}))
"""


def run_child(repo: str, checkout: Path) -> dict:
    return run_in_checkout(CHILD, [str(Path(repo).resolve())], checkout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--baseline", required=True, help="a checkout of churnlab to compare with (its root folder)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    sides = {"baseline": Path(args.baseline).resolve(), "new": Path(__file__).resolve().parent.parent}
    runs = alternate(sides, args.runs, lambda checkout: run_child(args.repo, checkout), "the line stage's outputs")
    for got in (r for side in runs.values() for r in side):
        got["non_merge"] = got["feed"] - got["merges"]
    print(f"{runs['new'][0]['commits']} commits; {args.runs} runs a side, alternating; outputs identical\n")
    print("| side | non-merge feed CPU s, best | median | merges CPU s, median | non-merge / merges, median |")
    print("|---|---|---|---|---|")
    summary = {}
    for side in sides:
        non_merge = [r["non_merge"] for r in runs[side]]
        merges = [r["merges"] for r in runs[side]]
        per_merge = [r["non_merge"] / r["merges"] for r in runs[side]]
        summary[side] = (min(non_merge), statistics.median(non_merge), statistics.median(merges),
                         statistics.median(per_merge))
        print(f"| {side} | {summary[side][0]:.3f} | {summary[side][1]:.3f} | {summary[side][2]:.3f} | "
              f"{summary[side][3]:.3f} |")
    new, old = summary["new"], summary["baseline"]
    print(f"\nnew / baseline: non-merge best {new[0] / old[0]:.2f}, median {new[1] / old[1]:.2f}; "
          f"merges (same code) {new[2] / old[2]:.2f}; non-merge per merge CPU {new[3] / old[3]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
