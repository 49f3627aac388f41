"""Benchmark: mining commits + file_changes against raw `git log --numstat -M` and PyDriller, in one run.

    python benchmarks/bench_mine.py PATH_TO_REPO [--name owner/name] [--repeat 3] [--no-pydriller]

Each contender runs in its own fresh process so peak memory (max RSS) is its own. Reported:
wall time (median of --repeat), peak RSS, and ratios against `git log --numstat -M` (the physical limit:
one streaming git process) and PyDriller's `modified_files` loop. churnlab is timed twice: the ``mine()`` call
(after its imports, as PyDriller's loop is timed after its imports), and the whole `churnlab mine` command
including interpreter start-up and imports.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

_MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    {imports}
    t0 = time.perf_counter()
    {body}
    elapsed = time.perf_counter() - t0
    print(json.dumps({{"seconds": elapsed, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                       "check": check}}))
    """
)

_CHURNLAB_IMPORTS = "from churnlab.mine import mine"
_CHURNLAB = """
r = mine(sys.argv[1], sys.argv[2], name=sys.argv[3], salt="benchmark-salt", incremental=False,
         tables=("commits", "file_changes"))
f = r.tables["file_changes"]
check = [r.tables["commits"].height, int(f["lines_added"].sum() or 0), int(f["lines_deleted"].sum() or 0)]
"""

_PYDRILLER_IMPORTS = "from pydriller import Repository"
_PYDRILLER = """
n = a = d = 0
for c in Repository(sys.argv[1]).traverse_commits():
    n += 1
    for m in c.modified_files:
        a += m.added_lines; d += m.deleted_lines
check = [n, a, d]
"""


def _python(imports: str, body: str, *args: str) -> dict:
    """Run ``body`` in a fresh interpreter, timed after ``imports`` (start-up is in the whole-command row)."""
    out = subprocess.run([sys.executable, "-c", _MEASURE.format(imports=imports, body=body.strip()), *args],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command, measured from outside."""
    wrapper = ("import resource, subprocess, sys, time; t=time.perf_counter(); "
               "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
               "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024)")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, check=True)
    secs, rss = out.stdout.split()
    return float(secs), float(rss)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--name", default="benchmark/repo")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-pydriller", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # A plain bare clone that every contender can open (PyDriller cannot read config-less snapshots).
        repo = f"{tmp}/repo.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", args.repo, repo], check=True)
        _bench(args, repo)


def _bench(args: argparse.Namespace, repo: str) -> None:
    rows: dict[str, tuple[float, float]] = {}
    git = [_timed(["git", f"--git-dir={repo}", "log", "--numstat", "-M", "HEAD"]) for _ in range(args.repeat)]
    rows["git log --numstat -M"] = (statistics.median(g[0] for g in git), max(g[1] for g in git))
    with tempfile.TemporaryDirectory() as out:
        lib = [_python(_CHURNLAB_IMPORTS, _CHURNLAB, repo, out, args.name) for _ in range(args.repeat)]
        rows["churnlab mine() call"] = (statistics.median(r["seconds"] for r in lib), max(r["maxrss_mb"] for r in lib))
        cmd = [sys.executable, "-m", "churnlab", "mine", repo, "--out", out, "--name", args.name, "--full",
               "--tables", "commits,file_changes", "--salt", "benchmark-salt"]
        cli = [_timed(cmd) for _ in range(args.repeat)]
        rows["churnlab mine (whole command)"] = (statistics.median(c[0] for c in cli), max(c[1] for c in cli))
    check = lib[0]["check"]
    if not args.no_pydriller:
        pyd = _python(_PYDRILLER_IMPORTS, _PYDRILLER, repo)
        rows["PyDriller modified_files"] = (pyd["seconds"], pyd["maxrss_mb"])
        if pyd["check"] != check:
            print(f"WARNING: totals differ: churnlab {check} vs PyDriller {pyd['check']}")

    base = rows["git log --numstat -M"][0]
    print(f"repository {args.name}: {check[0]} commits, {check[1]} lines added, {check[2]} deleted")
    print(f"{'contender':34} {'seconds':>9} {'peak MB':>9} {'x git log':>10}")
    for label, (secs, rss) in rows.items():
        print(f"{label:34} {secs:9.2f} {rss:9.0f} {secs / base:10.2f}")
    if "PyDriller modified_files" in rows:
        pyd_s = rows["PyDriller modified_files"][0]
        for label in ("churnlab mine() call", "churnlab mine (whole command)"):
            print(f"PyDriller / {label}: {pyd_s / rows[label][0]:.1f}x")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - t:.0f} s)")
