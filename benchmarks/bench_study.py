"""Study throughput: one worker against two, the Dask executor against the local pool, on real repositories.

Usage::

    python benchmarks/bench_study.py REPO [REPO ...] [--workers 2] [--repeat 1] [--skip-dask] [--one-core] [--quick]

Each REPO is a local checkout or bare repository (20 or more for a meaningful figure; ``--subset N`` or
``--quick`` mine only the first N, for checking the script). The manifest is written at run time into a
temporary folder from these paths; a repository's name is its folder name, or the parent's folder name when
the folder is called ``repo`` (``owner+name/repo`` becomes ``owner/name``).

Steps, all in one run so the ratios compare like with like:

1. the machine's capacity: a CPU-bound loop in one process, then in ``--workers`` processes at once; the ratio
   of their throughputs is what ``--workers`` processes can reach on this machine right now (less than
   ``--workers`` when other jobs share the cores);
2. baseline: raw ``git log --numstat -M`` over every repository, one after another (also warms the page cache);
3. ``churnlab study mine`` with the local pool, 1 worker, then ``--workers`` workers;
4. the same study on a Dask ``LocalCluster`` (loopback, ``--workers`` worker processes);
5. with ``--one-core``, 1 worker again, held to one core (CPU affinity): one worker's git process runs beside
   its Python, so unpinned it keeps more than one core busy and ``--workers`` workers on as many cores cannot
   reach ``--workers`` times its throughput; against the pinned run they can;
6. checks that every run wrote the same tables, row for row; the capacity measured again.

For each configuration it prints the wall time, commits per second, the speed-up over one worker next to the
capacity, and where the CPU went: CPU seconds of the workers while mining (Python and its threads), of their
git processes, of the whole worker processes (with start-up and imports: local pool only), and of this
process; "cores busy" is all of it over the wall time. It also prints the longest repository, since no
schedule finishes before it does (the makespan bound), and peak memory per worker (the kernel's high-water
mark of each worker process while it mined each repository).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from polars.testing import assert_frame_equal

from churnlab import io, schemas
from churnlab.study import mine_study

SALT = "bench-study-salt"


def repo_name(path: Path) -> str:
    path = path.resolve()
    folder = path.name.removesuffix(".git")
    return path.parent.name.replace("+", "/") if folder in ("repo", "") else folder


def write_manifest(paths: list[Path], folder: Path) -> Path:
    manifest = folder / "manifest.csv"
    lines = ["repo,name,role,adoption,notes"] + [f"{p.resolve()},{repo_name(p)},other,," for p in paths]
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


# --- the machine's capacity ----------------------------------------------------------------------------------

def _spin(n: int) -> float:
    """Pure-Python CPU work (no I/O, little memory); returns its own wall time."""
    started = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i % 7
    return time.perf_counter() - started


def capacity(processes: int, n: int = 15_000_000) -> float:
    """Throughput of ``processes`` processes running the same loop at once, over one process's throughput."""
    with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn")) as pool:
        list(pool.map(_spin, [1000] * processes))  # start every process before timing
        started = time.perf_counter()
        pool.submit(_spin, n).result()
        one = time.perf_counter() - started
        started = time.perf_counter()
        list(pool.map(_spin, [n] * processes))
        many = time.perf_counter() - started
    return processes * one / many


# --- runs ----------------------------------------------------------------------------------------------------

def git_log_baseline(paths: list[Path]) -> float:
    started = time.perf_counter()
    for p in paths:
        subprocess.run(["git", f"--git-dir={p.resolve()}", "log", "--numstat", "-M", "HEAD"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def _cpu(who: int) -> float:
    use = resource.getrusage(who)
    return use.ru_utime + use.ru_stime


def timed_study(manifest: Path, out: Path, repeat: int, *, cores: set[int] | None = None, **kw) -> dict:
    """The least disturbed of ``repeat`` runs from scratch (the machine may be shared), with its CPU accounting.

    ``processes_cpu``: CPU of the worker processes (and their git children) that ended during the run, start-up
    included: local pool workers end with the run, Dask workers outlive it (``None`` then).
    """
    best = None
    allowed = os.sched_getaffinity(0) if cores else None
    if cores:
        os.sched_setaffinity(0, cores)  # the spawned workers and their git processes inherit it
    try:
        for k in range(repeat):
            target = out if k == repeat - 1 else out.with_name(f"{out.name}-{k}")
            own, children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            status = mine_study(manifest, target, salt=SALT, **kw)
            run = dict(seconds=time.perf_counter() - started, status=status, cores=len(os.sched_getaffinity(0)),
                       parent_cpu=_cpu(resource.RUSAGE_SELF) - own,
                       processes_cpu=(_cpu(resource.RUSAGE_CHILDREN) - children) if kw.get("executor") != "dask"
                       else None)
            if best is None or run["seconds"] < best["seconds"]:
                best = run
    finally:
        if allowed:
            os.sched_setaffinity(0, allowed)
    return best


def same_tables(a, b) -> bool:
    for table in schemas.TABLES:
        names_a = [os.fspath(f).rsplit("/", 1)[-1] for f in io.table_files(a, table)]
        names_b = [os.fspath(f).rsplit("/", 1)[-1] for f in io.table_files(b, table)]
        if names_a != names_b:
            return False
        for n in names_a:
            assert_frame_equal(io.read_table(f"{a}/{table}/{n}", table), io.read_table(f"{b}/{table}/{n}", table))
    return True


def report(label: str, run: dict, commits: int, workers: int, one: dict | None = None,
           cap: float | None = None) -> None:
    seconds, status = run["seconds"], run["status"]
    done = status.repos.filter(status.repos["state"] == "done")
    speed = ""
    if one is not None:
        ratio = one["seconds"] / seconds
        speed = f"; {ratio:.2f}x 1 worker (capacity {cap:.2f}x: {ratio / cap:.0%} of it)"
    print(f"{label:<28} {seconds:7.1f} s  {commits / seconds:6.0f} commits/s{speed}; "
          f"{done.height}/{status.repos.height} done")
    mining, git = done["cpu_seconds"].sum(), done["git_cpu_seconds"].sum()
    total = run["processes_cpu"] if run["processes_cpu"] is not None else mining + git
    startup = f", worker processes in all {total:.1f} (start-up, imports, idle polling: {total - mining - git:.1f})" \
        if run["processes_cpu"] is not None else ""
    print(f"  CPU s: mining {mining:.1f} + git {git:.1f}{startup}; this process {run['parent_cpu']:.1f}; "
          f"cores busy {(total + run['parent_cpu']) / seconds:.2f} of {run['cores']}")
    longest = done.sort("seconds", descending=True).row(0, named=True)
    bound = max(longest["seconds"], done["seconds"].sum() / workers)
    print(f"  repository seconds: sum {done['seconds'].sum():.1f}, longest {longest['seconds']:.1f} "
          f"({longest['name']}, {longest['cpu_seconds'] + longest['git_cpu_seconds']:.1f} CPU s); "
          f"no schedule on {workers} worker(s) ends before {bound:.1f} s")
    print(f"  peak RSS per worker max {done['peak_rss_mb'].max():.0f} MB, median {done['peak_rss_mb'].median():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs per configuration; the fastest is reported")
    parser.add_argument("--one-core", action="store_true",
                        help="also run 1 worker held to one core: the per-core baseline (2 workers on 2 cores "
                             "against 1 worker on 1 core), since one worker's git runs beside its Python")
    parser.add_argument("--subset", type=int, default=None, help="mine only the first N repositories")
    parser.add_argument("--quick", action="store_true", help="a check of the script: --subset 4, no Dask")
    args = parser.parse_args()
    if args.quick:
        args.subset, args.skip_dask = args.subset or 4, True
    repos = args.repos[:args.subset] if args.subset else args.repos
    with tempfile.TemporaryDirectory(prefix="bench-study-") as tmp:
        folder = Path(tmp)
        manifest = write_manifest(repos, folder)
        print(f"{len(repos)} repositories; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
              f"python {sys.version.split()[0]}")
        cap = capacity(args.workers)
        print(f"capacity: {args.workers} CPU-bound processes reach {cap:.2f}x one process (ideal {args.workers})")
        base = git_log_baseline(repos)
        one = timed_study(manifest, folder / "one", args.repeat, workers=1)
        commits = int(one["status"].repos["commits"].sum())
        print(f"{commits} commits in all; smallest repository {int(one['status'].repos['commits'].min())}, "
              f"largest {int(one['status'].repos['commits'].max())}")
        print(f"{'git log --numstat -M (serial)':<28} {base:7.1f} s  {commits / base:6.0f} commits/s  (baseline)")
        report("study mine, 1 worker", one, commits, 1)
        many = timed_study(manifest, folder / "many", args.repeat, workers=args.workers)
        report(f"study mine, {args.workers} workers", many, commits, args.workers, one, cap)
        print(f"  {args.workers} workers wrote the same tables as 1 worker: {same_tables(folder / 'one', folder / 'many')}")
        if args.one_core:
            pinned = timed_study(manifest, folder / "pinned", args.repeat, cores={min(os.sched_getaffinity(0))},
                                 workers=1)
            report("study mine, 1 worker, 1 core", pinned, commits, 1)
            print(f"  {args.workers} workers on {os.cpu_count()} cores: {pinned['seconds'] / many['seconds']:.2f}x "
                  f"1 worker on 1 core")
        if not args.skip_dask:
            from distributed import LocalCluster

            with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None) as cluster:
                dask = timed_study(manifest, folder / "dask", args.repeat, executor="dask",
                                   scheduler=cluster.scheduler_address)
            report(f"dask LocalCluster, {args.workers} procs", dask, commits, args.workers, one, cap)
            print(f"  dask wrote the same tables as the local pool: {same_tables(folder / 'one', folder / 'dask')}")
        print(f"capacity again: {capacity(args.workers):.2f}x; load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
