"""Where the CPU time of the survival table goes: the survival table alone against the whole mine, and both
function by function (what is worth compiling).

Each mine runs in a fresh process, survival sampled weekly (as git-of-theseus does). CPU time is
``time.process_time()`` of the mine (all its threads) and, separately, of its git children; on a shared machine
it is steadier than wall time. The breakdown wraps a few functions with ``thread_time`` (the CPU of the thread
that calls them: stage 1 and the line stage run in two threads at once; no profiler, so pure-Python code is not
inflated; nested functions are counted in their callers too), and runs each git stream alone for git's share.

Usage::

    python benchmarks/bench_survival.py PATH_TO_REPO [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from _timing import calls, spent, wrap
import churnlab.mine as M
import churnlab.mine.lines as L
import churnlab.mine.provenance as P
path, tables, breakdown = sys.argv[1], sys.argv[2], sys.argv[3] == "1"

order = []
if breakdown:
    for owner, name, label in (
            (M, "_read", "stage 1: commits, file changes (git log --raw -p, parsed and relayed)"),
            (P.Tracker, "feed", "line stage: Tracker.feed, all commits"),
            (L, "parse_record", "  parse_record (patch text to hunks)"),
            (P.Tracker, "_hunks", "  _hunks (births, deaths; line_key per added line)"),
            (P, "line_key", "    line_key"),
            (P.Tracker, "_merge_trees", "  _merge_trees (merges from their trees)"),
            (P.Tracker, "_merged_file", "    _merged_file (3-way merged files: align and credit)"),
            (P, "_align", "      _align (patience alignment, _common, _common_tail)"),
            (P.Tracker, "_merge_survival", "    _merge_survival (chain merges' deaths)"),
            (P, "_survival_frame", "survival table (frame)")):
        wrap(owner, name, label)
        order.append(label)
started, cpu = time.perf_counter(), time.process_time()
M.mine(path, name="bench", salt="benchmark-salt", survival_sample_days=7,
       tables=None if tables == "all" else tables.split(","))
git = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps(dict(wall=time.perf_counter() - started, cpu=time.process_time() - cpu,
                      git_cpu=git.ru_utime + git.ru_stime, parts=[[k, spent[k], calls[k]] for k in order])))
"""


def run(repo: Path, tables: str, *, breakdown: bool = False) -> dict:
    here = Path(__file__).resolve().parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(here.parent), str(here)]))
    out = subprocess.run([sys.executable, "-c", CHILD, str(repo), tables, "1" if breakdown else "0"],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def git_streams(repo: Path) -> list[tuple[str, float]]:
    """CPU seconds of each git stream of the survival-only mine, run alone."""
    import resource

    from churnlab.git import open_repository
    from churnlab.mine import history
    from churnlab.mine import lines as L
    from churnlab.mine.provenance import merge_tree_args

    r = open_repository(repo)
    out = []
    for label, args in (("the mine's one diff pass: git log --raw -p -U0 -M (stage 1, relayed to the line stage)",
                         history.log_args(r.head, patches=True)),
                        ("stage 1 alone: git log --raw --numstat -U0 -M", history.log_args(r.head)),
                        ("line stage alone (incremental mines): git log -p -U0 -M", L.log_args(r.head)),
                        ("line stage: merges' tree diffs", merge_tree_args(r.head)),
                        ("the baseline: git log -p -M", ["log", "-p", "-M", r.head]),
                        # before the one pass, stage 1 read this and the line stage its own git log -p
                        ("stage 1 before the one pass: git log --raw --numstat -M",
                         ["log", "--topo-order", "--reverse", "--no-abbrev", "-z", "--raw", "--numstat", "-M",
                          r.head])):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(["git", f"--git-dir={r.git_dir}", *args], stdout=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.append((label, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("repo", help="repository (e.g. a clone of pallets/flask)")
    p.add_argument("--runs", type=int, default=3, help="runs of each mine, alternating (median reported)")
    args = p.parse_args(argv)
    repo = Path(args.repo).resolve()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    runs: dict[str, list[dict]] = {"survival": [], "all": []}
    for _ in range(args.runs):
        for tables in runs:
            runs[tables].append(run(repo, tables))
    med = {t: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "git_cpu")} for t, rs in runs.items()}
    print("| measure (median of %d runs, weekly samples) | survival table alone | whole mine | ratio |" % args.runs)
    print("|---|---|---|---|")
    for key, label in (("cpu", "CPU, the mine's process"), ("git_cpu", "CPU, its git children"),
                       ("wall", "wall")):
        a, w = med["survival"][key], med["all"][key]
        print(f"| {label} | {a:.2f} s | {w:.2f} s | {w / a:.2f}x |")
    a = med["survival"]["cpu"] + med["survival"]["git_cpu"]
    w = med["all"]["cpu"] + med["all"]["git_cpu"]
    print(f"| CPU, process + git | {a:.2f} s | {w:.2f} s | {w / a:.2f}x |")

    for tables, title in (("survival", "Survival table alone"), ("all", "Whole mine")):
        parts = run(repo, tables, breakdown=True)
        print(f"\n{title}, one run with timers: {parts['cpu']:.2f} s CPU in the process (the timers' own cost"
              " included: it inflates the parts called most, line_key above all),"
              f" {parts['git_cpu']:.2f} s in git\n")
        print("| part (CPU, nested parts counted in their callers too) | seconds | share of the process | calls |")
        print("|---|---|---|---|")
        for label, seconds, n in parts["parts"]:
            print(f"| {label} | {seconds:.2f} | {seconds / parts['cpu']:.0%} | {n} |")
    for label, seconds in git_streams(repo):
        print(f"| git alone, {label} | {seconds:.2f} | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
