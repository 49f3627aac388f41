"""Generation speed of churnlab.simulate, beside the cost of reading the result back with one `git log -p`.

    python benchmarks/simulate_speed.py [--out DIR] [--scale 50000]

Prints wall and CPU seconds (this process plus its git children). CPU time is the figure to compare on a
shared machine; wall time depends on what else runs.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from churnlab.simulate import simulate_scale_repo, simulate_study


def cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def timed(label: str, fn):
    w, c = time.perf_counter(), cpu()
    out = fn()
    print(f"{label:<46} wall {time.perf_counter() - w:7.2f} s   cpu {cpu() - c:7.2f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    ap.add_argument("--scale", type=int, default=50_000)
    args = ap.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="churnlab-bench-"))
    truth = timed("simulate_study (40 repos x 24 months)", lambda: simulate_study(out / "study", seed=0))
    print(f"  {truth.commits.height:,} commits, {truth.lines.height:,} lines")
    repo = out / "study" / "repo_000"
    timed("  baseline: git log -p on repo_000", lambda: subprocess.run(
        ["git", "-C", str(repo), "log", "-p"], capture_output=True, check=True))
    if args.scale:
        truth = timed(f"simulate_scale_repo (n_commits={args.scale:,})",
                      lambda: simulate_scale_repo(out / "scale", n_commits=args.scale))
        print(f"  {truth.repos['n_commits'][0]:,} commits, {truth.lines.height:,} lines")
        timed("  baseline: git log -p on it", lambda: subprocess.run(
            ["git", "-C", str(out / "scale"), "log", "-p"], capture_output=True, check=True))
        timed("simulate_scale_repo (2,000 commits, 100k-line lock file)",
              lambda: simulate_scale_repo(out / "big", n_commits=2000, big_file_lines=100_000))
    print(f"output in {out}")


if __name__ == "__main__":
    main()
