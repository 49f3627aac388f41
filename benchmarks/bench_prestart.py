"""Benchmark: the whole mine with the line stage's patch stream started before stage 1 (``Stage.prestart``,
the default) against the same mine with it started by the line stage itself, in one run.

A whole mine relays stage 1's patches to the line stage instead (``Stage.relay``, one diff pass); the early
stream serves incremental mines. So both variants here turn the relay off, to measure the early start itself.

    python benchmarks/bench_prestart.py PATH_TO_REPO [--repeat 5]

Each mine runs in its own fresh process, the two variants alternating so that both see the same load.
Reported per variant: wall time (median and range), CPU of the Python process (user + sys, threads included)
and of its git children, and the load average before and after, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
import dataclasses
import churnlab.mine as m
m.STAGES[:] = [dataclasses.replace(stage, relay=None) for stage in m.STAGES]
if sys.argv[2] == "late":
    for stage in m.STAGES:
        stage.prestart.clear()
started = time.perf_counter()
m.mine(sys.argv[1], name="bench", salt="benchmark-salt", incremental=False)
wall = time.perf_counter() - started
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps(dict(wall=wall, cpu=me.ru_utime + me.ru_stime, git_cpu=kids.ru_utime + kids.ru_stime)))
"""


def run(path: Path, variant: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), variant], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("repo", help="repository to mine (e.g. a clone of pallets/flask)")
    p.add_argument("--repeat", type=int, default=5, help="runs of each variant (default 5)")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error(f"--repeat must be at least 1, got {args.repeat}")
    repo = Path(args.repo).resolve()
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {"early": [], "late": []}
    for _ in range(args.repeat):
        for variant in runs:
            runs[variant].append(run(repo, variant))
    load_after = os.getloadavg()
    print("| variant | wall median (min-max) | Python CPU median | git CPU median |\n|---|---|---|---|")
    medians = {}
    for variant, rs in runs.items():
        walls = [r["wall"] for r in rs]
        medians[variant] = statistics.median(walls)
        cpu, git_cpu = (statistics.median(r[k] for r in rs) for k in ("cpu", "git_cpu"))
        print(f"| {variant} start of the patch stream | {medians[variant]:.2f} s ({min(walls):.2f}-{max(walls):.2f}) "
              f"| {cpu:.2f} s | {git_cpu:.2f} s |")
    print(f"\nearly / late wall: {medians['early'] / medians['late']:.2f}x over {args.repeat} runs each; load average "
          f"(1, 5, 15 min) before {', '.join(f'{x:.1f}' for x in load_before)}, "
          f"after {', '.join(f'{x:.1f}' for x in load_after)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
