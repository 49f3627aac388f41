"""Benchmark of the overlap: the whole mine with the line stage running beside stage 1, against the same mine
with the two one after the other (``Stage.overlap`` off), in the same run; and their tables, frame by frame.

Each mine runs in a fresh child process, the two ways alternating so that the load of a shared machine falls on
both alike. For each it reports wall time, CPU time of the Python process (all its threads) and of its git
children, peak RSS, and whether the overlapped line stage had to run again (its own inputs differed from
stage 1's: :mod:`churnlab.mine.overlap`). The first mine of each way writes every table and the line stage's
internal frames; they are compared with ``DataFrame.equals``.

Usage::

    python benchmarks/bench_overlap.py PATH_TO_REPO [--runs N] [--work DIR]

Prints a markdown table of every run, then the medians and their ratio (overlap / sequential).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import dataclasses, json, logging, resource, sys, time
from pathlib import Path
import churnlab.mine as m
path, overlap, out = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
at = next(i for i, s in enumerate(m.STAGES) if s.name == "lines")
m.STAGES[at] = dataclasses.replace(m.STAGES[at], overlap=overlap)
again = []
class Spy(logging.Handler):
    def emit(self, record):
        if "running it again" in record.getMessage():
            again.append(record.getMessage())
logging.getLogger("churnlab.mine.overlap").addHandler(Spy())
logging.getLogger("churnlab.mine.overlap").setLevel(logging.INFO)
started = time.perf_counter()
result = m.mine(path, name="bench", salt="benchmark-salt")
wall = time.perf_counter() - started
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
hwm = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM"))
if out:
    for name, frame in [*result.tables.items(), *((k, result.extras[k]) for k in ("patch_fingerprints", "live_births"))]:
        frame.write_parquet(Path(out) / f"{name}.parquet")
print(json.dumps(dict(wall=wall, cpu=me.ru_utime + me.ru_stime, git_cpu=kids.ru_utime + kids.ru_stime,
                      peak_mb=hwm / 1024, ran_again=bool(again), commits=result.tables["commits"].height)))
"""

WAYS = {"overlap": True, "sequential": False}


def mine_in_child(repo: Path, overlap: bool, out: Path | None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(repo), "1" if overlap else "0", str(out or "")],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def same_tables(a: Path, b: Path) -> list[str]:
    """Names of the frames that differ between the two folders (missing on one side counts as differing)."""
    import polars as pl

    names = sorted({p.name for p in a.glob("*.parquet")} | {p.name for p in b.glob("*.parquet")})
    differ = []
    for name in names:
        if not ((a / name).is_file() and (b / name).is_file()
                and pl.read_parquet(a / name).equals(pl.read_parquet(b / name))):
            differ.append(name.removesuffix(".parquet"))
    return differ if names else ["(no tables written)"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("repo", help="repository to benchmark (e.g. a clone of pallets/flask)")
    p.add_argument("--runs", type=int, default=3, help="mines of each way (default 3)")
    p.add_argument("--work", help="scratch folder for the tables (default: a temporary one)")
    args = p.parse_args(argv)
    repo = Path(args.repo).resolve()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench-overlap-"))
    results: dict[str, list[dict]] = {way: [] for way in WAYS}
    print("| run | way | wall s | CPU s (Python) | CPU s (git) | peak MB | ran again |\n|---|---|---|---|---|---|---|")
    for run in range(args.runs):
        for way, overlap in WAYS.items():
            out = None
            if run == 0:
                out = work / way
                out.mkdir(parents=True, exist_ok=True)
            r = mine_in_child(repo, overlap, out)
            results[way].append(r)
            print(f"| {run + 1} | {way} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['git_cpu']:.2f} | {r['peak_mb']:.0f} "
                  f"| {'yes' if r['ran_again'] else 'no'} |", flush=True)
    med = {way: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "git_cpu", "peak_mb")}
           for way, rs in results.items()}
    o, s = med["overlap"], med["sequential"]
    print(f"\nmedians: overlap wall {o['wall']:.2f} s, CPU {o['cpu']:.2f} + git {o['git_cpu']:.2f} s, "
          f"{o['peak_mb']:.0f} MB; sequential wall {s['wall']:.2f} s, CPU {s['cpu']:.2f} + git {s['git_cpu']:.2f} s, "
          f"{s['peak_mb']:.0f} MB")
    print(f"ratio overlap / sequential: wall {o['wall'] / s['wall']:.2f}x, "
          f"CPU (Python + git) {(o['cpu'] + o['git_cpu']) / (s['cpu'] + s['git_cpu']):.2f}x")
    differ = same_tables(work / "overlap", work / "sequential")
    print(f"tables ({results['overlap'][0]['commits']} commits): "
          + ("all identical" if not differ else f"DIFFER: {', '.join(differ)}"))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
