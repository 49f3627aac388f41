"""Benchmark: the compiled kernels (``churnlab.mine._kernels``) against their pure-Python reference.

    python benchmarks/bench_kernels.py PATH_TO_REPO [--repeat 3] [--kernels-only]

1. Kernels: the calls one mine of the repository makes to each kernel (e.g. the merge alignments of its
   merged files, with their real line hashes; the line keys not found in the cache) are recorded, then
   replayed through the reference and the compiled kernel; CPU time (``process_time``) of each, and the
   ratio. Results are checked equal call by call. (``pair_ascii``'s calls include the hunks with a non-ASCII
   key, for which both return ``NotImplemented`` and the miner pairs the lines in Python.)
2. Whole mine (unless ``--kernels-only``): ``churnlab.mine.mine`` in a child process, with and without
   ``CHURNLAB_PURE_PYTHON=1``, alternating, ``--repeat`` times each. Reported: the child's own CPU time (git's
   excluded), medians and their ratio; every table of every run must equal the first run's (``DataFrame.equals``).

CPU time is less disturbed by other load than wall time; the wall-time target (against ``git log -p -M``) is
measured by benchmarks/bench_lines.py.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from churnlab.mine import _accel, lines, mine, normalize

SITES = _accel.call_sites()  # (module, attribute, kernel name, pure-Python reference)

CHILD = """
import json, sys, time
from churnlab.mine import _accel, mine
t0 = time.process_time()
result = mine(sys.argv[1], name="bench/kernels", salt="benchmark-salt", incremental=False)
seconds = time.process_time() - t0
for name, frame in {**result.tables, **result.extras}.items():
    if hasattr(frame, "write_ipc"):
        frame.write_ipc(f"{sys.argv[2]}/{name}.arrow")
print(json.dumps({"cpu": seconds, "compiled": _accel.COMPILED}))
"""


def record_calls(repo: str) -> dict[str, list[tuple]]:
    """The arguments of every kernel call one mine of ``repo`` makes (through the references)."""
    calls: dict[str, list[tuple]] = {name: [] for _, _, name, _ in SITES}
    saved = [(module, attr, getattr(module, attr)) for module, attr, _, _ in SITES]

    def recorder(name, reference):
        def call(*args):
            if name == "credit":  # the first argument is changed in place: keep the input
                calls[name].append((copy.copy(args[0]), *args[1:]))  # a list or array('q')
            else:
                calls[name].append(args)
            return reference(*args)
        return call

    try:
        for module, attr, name, reference in SITES:
            setattr(module, attr, recorder(name, reference))
        normalize.line_key.cache_clear()
        mine(repo, name="bench/kernels", salt="benchmark-salt", incremental=False)
    finally:
        for module, attr, fn in saved:
            setattr(module, attr, fn)
    return calls


def replay(fn, name: str, calls: list[tuple]) -> tuple[float, list]:
    out = []
    normalize.tokens.cache_clear()  # the pairing reference's caches start cold, as in a mine
    lines._realign.cache_clear()
    gc.collect()
    gc.disable()  # the recorded calls are many objects: collections would scan them (the mine collects rarely)
    t0 = time.process_time()
    if name == "credit":  # results: the changed births
        for recs, *rest in calls:
            recs = copy.copy(recs)  # the tracker's line state: a list or array('q'), kept as it is
            fn(recs, *rest)
            out.append(recs)
    else:
        out = [fn(*args) for args in calls]
    seconds = time.process_time() - t0
    gc.enable()
    return seconds, out


def _comparable(name: str, results: list) -> list:
    """Results as values: parsed records' file diffs (objects without equality) as tuples of their fields."""
    if name != "parse_record":
        return results
    return [r if r is NotImplemented else (r[0], [tuple(getattr(fd, f) for f in lines.FileDiff.__slots__) for fd in r[1]])
            for r in results]


def bench_kernels(repo: str) -> list[str]:
    compiled = _accel.compiled_kernels()
    if compiled is None:
        raise SystemExit("churnlab.mine._kernels is not built (or CHURNLAB_PURE_PYTHON=1): nothing to compare")
    calls = record_calls(repo)
    rows = []
    for _, _, name, reference in SITES:
        if isinstance(reference, type):  # a type (WindowCounts): its methods' calls are not recorded
            continue
        py_s, want = replay(reference, name, calls[name])
        c_s, got = replay(getattr(compiled, name), name, calls[name])
        if _comparable(name, got) != _comparable(name, want):
            raise SystemExit(f"{name}: compiled and reference results differ")
        rows.append(f"| `{name}` | {len(calls[name])} | {py_s:.3f} | {c_s:.3f} | {py_s / c_s if c_s else float('inf'):.1f}x |")
    lines = sum(len(args[1]) for args in calls["align"])
    return ["| kernel | calls | reference CPU s | compiled CPU s | speed-up |", "|---|---|---|---|---|", *rows,
            f"\n`align` calls cover {lines} lines of merged files."]


def mine_child(repo: str, pure: bool, out: Path) -> float:
    env = {**os.environ, "CHURNLAB_PURE_PYTHON": "1" if pure else "0"}
    proc = subprocess.run([sys.executable, "-c", CHILD, repo, str(out)], env=env, capture_output=True, text=True,
                          check=True)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    if report["compiled"] == pure:
        raise SystemExit(f"the child ran {'compiled' if report['compiled'] else 'pure-Python'} kernels, not "
                         f"{'pure-Python' if pure else 'compiled'} ones: is the extension built?")
    return report["cpu"]


def bench_mine(repo: str, repeat: int) -> list[str]:
    times: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix="bench-kernels-") as tmp:
        first: dict[str, pl.DataFrame] | None = None
        for r in range(repeat):
            for pure in (True, False):
                out = Path(tmp) / f"{r}-{pure}"
                out.mkdir()
                times[pure].append(mine_child(repo, pure, out))
                frames = {p.stem: pl.read_ipc(p) for p in sorted(out.glob("*.arrow"))}
                if first is None:
                    first = frames
                elif frames.keys() != first.keys() or not all(frames[k].equals(first[k]) for k in first):
                    raise SystemExit(f"run {r} ({'pure' if pure else 'compiled'}): tables differ from the first run")
    pure_s, compiled_s = statistics.median(times[True]), statistics.median(times[False])
    return ["| whole mine | CPU s, median | runs |", "|---|---|---|",
            f"| `CHURNLAB_PURE_PYTHON=1` | {pure_s:.2f} | {', '.join(f'{t:.1f}' for t in times[True])} |",
            f"| compiled kernels | {compiled_s:.2f} | {', '.join(f'{t:.1f}' for t in times[False])} |",
            f"\nCPU ratio compiled / pure: {compiled_s / pure_s:.3f} ({compiled_s - pure_s:+.2f} s); "
            f"tables of all {2 * repeat} runs identical."]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--kernels-only", action="store_true")
    args = ap.parse_args(argv)
    print(f"compiled kernels in use: {_accel.COMPILED}\n")
    print("\n".join(bench_kernels(args.repo)))
    if not args.kernels_only:
        print()
        print("\n".join(bench_mine(args.repo, args.repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
