"""Benchmark: the CPU time of the line stage's merges (default mode, merges read from their trees), part by part.

    python benchmarks/bench_merges.py PATH_TO_REPO [--runs 3] [--baseline-src DIR]

Whole mines in fresh child processes, alternating, ``--runs`` times each: with the compiled kernels, with
``CHURNLAB_PURE_PYTHON=1`` (their pure-Python references), and, given ``--baseline-src``, with the churnlab
source tree in DIR (e.g. a checkout of main with its extension built: ``python setup.py build_ext --inplace``),
so that a change is measured against its baseline in the same run. Functions are wrapped with
``time.thread_time`` (the line stage's own thread: git and the other threads are left out; a part nested in
another is counted in both; a part that a source tree does not have shows as -). Reported: medians of the
mine's process CPU, of ``Tracker.feed`` and of ``Tracker._merge_trees`` and its parts. Every run's tables must
equal the first run's (``DataFrame.equals``).

CPU time is less disturbed than wall time by other load on the machine, not immune to it: compare within a run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

PARTS = [  # (module, owner or "", function, label); module-level functions are looked up at call time
    ("provenance", "Tracker", "feed", "Tracker.feed (every commit)"),
    ("provenance", "Tracker", "_merge_trees", "Tracker._merge_trees (merges)"),
    ("provenance", "Tracker", "_known_middle", "  _known_middle (keys of files taken whole)"),
    ("provenance", "Tracker", "_merged_file", "  _merged_file (3-way merged files)"),
    ("provenance", "", "_blob_lines", "  _blob_lines (merged blobs split, hashed)"),
    ("provenance", "", "_move_tree", "  _move_tree (index moved by read blobs)"),
    ("duplicates", "TreeWindows", "splice_keys", "  TreeWindows.splice_keys (index spliced)"),
    ("provenance", "Tracker", "_merge_survival", "  _merge_survival (chain merges' deaths)"),
    ("provenance", "", "_merge_lines", "    _merge_lines"),
    ("git", "BlobReader", "read_many", "  BlobReader.read_many (blobs read)"),
]

CHILD = r"""
import importlib, json, sys, time
from _timing import spent, wrap
from churnlab.mine import _accel, mine
repo, out, parts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])

found = []
for module, owner, name, label in parts:
    mod = importlib.import_module("churnlab." + ("git" if module == "git" else "mine." + module))
    target = getattr(mod, owner, None) if owner else mod
    if target is not None and hasattr(target, name):
        wrap(target, name, label)
        found.append(label)
started = time.process_time()
result = mine(repo, name="bench/merges", salt="benchmark-salt", incremental=False)
cpu = time.process_time() - started
for table, frame in {**result.tables, **result.extras}.items():
    if hasattr(frame, "write_ipc"):
        frame.write_ipc(f"{out}/{table}.arrow")
print(json.dumps({"cpu": cpu, "compiled": _accel.COMPILED, "parts": {k: spent[k] for k in found}}))
"""


def run(repo: str, src: Path, pure: bool, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(Path(__file__).resolve().parent)]),
           "CHURNLAB_PURE_PYTHON": "1" if pure else "0"}
    parts = json.dumps([list(p) for p in PARTS])
    proc = subprocess.run([sys.executable, "-c", CHILD, repo, str(out), parts], env=env, capture_output=True,
                          text=True, check=True, cwd=out)  # not the current directory: it would come first
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    if not pure and not report["compiled"]:
        raise SystemExit(f"{src}: the compiled kernels are not in use: build them (setup.py build_ext --inplace)")
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-src", type=Path, help="another churnlab source tree to compare with")
    args = ap.parse_args(argv)
    here = Path(__file__).resolve().parents[1]
    setups = {"compiled": (here, False), "pure-Python references": (here, True)}
    if args.baseline_src is not None:
        setups = {"baseline, compiled": (args.baseline_src.resolve(), False), **setups}
    reports: dict[str, list[dict]] = {name: [] for name in setups}
    with tempfile.TemporaryDirectory(prefix="bench-merges-") as tmp:
        first: dict[str, pl.DataFrame] | None = None
        for r in range(args.runs):
            for name, (src, pure) in setups.items():
                out = Path(tmp) / f"{r}-{len(reports[name])}-{name.split(',')[0].split()[0]}"
                out.mkdir()
                reports[name].append(run(str(Path(args.repo).resolve()), src, pure, out))
                frames = {p.stem: pl.read_ipc(p) for p in sorted(out.glob("*.arrow"))}
                if first is None:
                    first = frames
                elif frames.keys() != first.keys() or not all(frames[k].equals(first[k]) for k in first):
                    raise SystemExit(f"run {r} ({name}): tables differ from the first run")
    names = list(setups)

    def median(name: str, label: str | None) -> str:
        values = [rep["cpu"] if label is None else rep["parts"].get(label) for rep in reports[name]]
        return "-" if None in values else f"{statistics.median(values):.3f}"

    print(f"CPU seconds, medians of {args.runs} runs each (alternating); tables of every run identical\n")
    print("| part | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    print("| the mine's process (all threads) | " + " | ".join(median(n, None) for n in names) + " |")
    for *_, label in PARTS:
        print(f"| {label} | " + " | ".join(median(n, label) for n in names) + " |")
    if args.baseline_src is not None:
        merges = [statistics.median(rep["parts"][PARTS[1][3]] for rep in reports[n]) for n in names[:2]]
        print(f"\n_merge_trees, compiled / baseline: {merges[1] / merges[0]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
