"""Benchmark: how many side-branch lines the line stage remembers for merges, against what it costs.

    python benchmarks/bench_remembered_keys.py PATH_TO_REPO [--kept 20000,100000,500000]

For each bound (``churnlab.mine.provenance._KEYS_KEPT``: the entries of :class:`~churnlab.mine.provenance.
RememberedKeys`, two generations of half as many), a child process mines every table of the repository and
reports the merged files that had to be read because a line's key hash was not remembered (the calls of
``Tracker._known_middle`` that return ``None``, of all its calls), the peak memory (VmHWM) and the wall time.
The tables do not depend on the bound (a miss costs a blob read): the child digests them, and the benchmark
stops if a digest differs. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = """
import hashlib, json, sys, time
import churnlab.mine as M
from churnlab.mine import provenance

provenance._KEYS_KEPT = int(sys.argv[2])
counts = {"calls": 0, "misses": 0}
known_middle = provenance.Tracker._known_middle

def counted(self, *args):
    got = known_middle(self, *args)
    counts["calls"] += 1
    counts["misses"] += got is None
    return got

provenance.Tracker._known_middle = counted
started = time.perf_counter()
result = M.mine(sys.argv[1], name="bench", salt="benchmark-salt")
seconds = time.perf_counter() - started
# row hashes, not the frames' bytes: their chunks (and so an IPC image) may differ with equal data
digest = hashlib.sha256(repr([result.tables[t].hash_rows(seed=1).to_list() for t in sorted(result.tables)]).encode())
peak = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM")) / 1024
print(json.dumps(dict(counts, seconds=seconds, peak_mb=peak, digest=digest.hexdigest())))
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("repo", help="repository to mine (a clone with many merges shows the most)")
    p.add_argument("--kept", default="20000,100000,500000", help="bounds to compare, comma-separated")
    args = p.parse_args()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    print("| entries kept | merged files read for want of a key, of those looked up | peak | wall |")
    print("|---|---|---|---|")
    digest = None
    for kept in (int(k) for k in args.kept.split(",")):
        out = subprocess.run([sys.executable, "-c", CHILD, args.repo, str(kept)], env=env, capture_output=True,
                             text=True, check=True)
        got = json.loads(out.stdout.strip().splitlines()[-1])
        if digest not in (None, got["digest"]):
            raise SystemExit(f"the tables differ with {kept:,} entries kept")
        digest = got["digest"]
        print(f"| {kept:,} | {got['misses']:,} of {got['calls']:,} | {got['peak_mb']:.0f} MB | {got['seconds']:.1f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
