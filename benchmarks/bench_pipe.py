"""Benchmark: reading a long ``git log -p`` while another Python thread is busy, through git's default pipe
(64 KiB on Linux) and through the 1 MiB pipe that :func:`churnlab.git.stream_git` asks for.

In a mine the line stage's thread is busy while stage 1's thread reads git's output; each read releases the
interpreter lock and may wait up to the switch interval (5 ms) to take it back, so small reads can make git
wait. Both ways run in this process, alternating, with a thread spinning beside them; the ratio is the figure.

Usage::

    python benchmarks/bench_pipe.py PATH_TO_REPO [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from churnlab import git


def read_all(repo: str, widen: bool) -> tuple[float, int]:
    saved = git._PIPE_BYTES
    if not widen:
        git._PIPE_BYTES = 64 << 10  # Linux's default pipe size
    try:
        started, size = time.perf_counter(), 0
        for chunk in git.stream_git(["log", "-p", "-U0", "HEAD"], git_dir=repo):
            size += len(chunk)
        return time.perf_counter() - started, size
    finally:
        git._PIPE_BYTES = saved


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    busy = threading.Event()

    def spin() -> None:
        while not busy.is_set():
            sum(range(1000))

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    times: dict[bool, list[float]] = {False: [], True: []}
    try:
        for _ in range(args.repeat):
            for widen in (False, True):
                seconds, size = read_all(args.repo, widen)
                times[widen].append(seconds)
    finally:
        busy.set()
        spinner.join()
    default, wide = statistics.median(times[False]), statistics.median(times[True])
    print(f"git log -p -U0 ({size / 1e6:.1f} MB) read beside a busy thread, median of {args.repeat}:")
    print(f"  64 KiB pipe  {default:.2f} s")
    print(f"  1 MiB pipe   {wide:.2f} s   ({default / wide:.2f}x faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
