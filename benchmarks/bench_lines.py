"""Benchmark of line provenance: speed against git itself and git-of-theseus, and memory bounds.

Measured in one run, each as a ratio to a baseline from the same run:

1. the whole mine (commits, file changes, line operations, churn, survival) of a repository against
   ``git log -p -M`` on it (target: within 2x), and the mine of every table (reverts and signals too), each
   mine paired with a git run just before it, five pairs (``--pairs``), the median of their ratios (the host's
   speed drifts);
2. the survival table, survival sampled weekly as git-of-theseus does, against ``git-of-theseus-analyze`` on the
   same repository (target: at least 50x faster; install with ``pip install git-of-theseus``, part of the
   ``test`` extra; ``--no-theseus`` skips it), made two ways: like for like, the survival table alone
   (``mine(tables=["survival"])``: births and deaths, no labels, churn or fingerprints), and as part of the
   whole mine. Both in wall time and in CPU time (the process and its git children, interpreter start
   included, for git-of-theseus too: on a busy machine CPU time is the steadier figure), with the CPU time of
   the survival table alone against the whole mine's;
3. peak memory (RSS of a child process doing only the mine) on the repository, on a synthetic repository with
   a 100,000-line generated file edited 300 times, and on synthetic linear-with-merges histories of 10,000 and
   50,000 commits built with ``git fast-import`` (target: under 500 MB, and not growing with history); on
   those two and on one of 100,000 commits also with the tables written to Parquet (``mine(out=...)``), and
   the peak of the command ``churnlab mine --out`` itself, beside the peak of ``git log -p -M`` on them.

Usage::

    python benchmarks/bench_lines.py PATH_TO_REPO [--no-theseus] [--memory-only | --speed-only] [--work DIR]
                                                  [--pairs N] [--rounds N]

``--memory-only`` runs part 3 alone (the whole mine and stage 1 alone on each case, once each);
``--speed-only`` parts 1 and 2 alone.

Heavy: run it once, on an otherwise idle machine if you can. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

CHILD = """
import ctypes, gc, json, sys, tempfile, time
import churnlab.mine as m
import polars as pl
from churnlab.mine import lines
path, sample_days, stage1_only = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
tables = None if sys.argv[4] == "all" else sys.argv[4].split(",")
if stage1_only:
    m.STAGES.clear()
if sys.argv[5] == "eager":  # every record parsed at once, as before huge ones were parsed file by file
    lines.LAZY_RECORD_BYTES = 1 << 62
out = tempfile.mkdtemp(prefix="bench-lines-") if sys.argv[7] == "write" else None  # as the CLI: tables written
started = time.perf_counter()
result = m.mine(path, out, name="bench", salt="benchmark-salt", survival_sample_days=sample_days, tables=tables)
seconds = time.perf_counter() - started


def status(field):
    return next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith(field)) / 1024


# VmHWM, not ru_maxrss: the latter keeps the parent's high-water mark across fork and exec
peak, commits = status("VmHWM"), result.tables["commits"].height
# what the call hands back (the tables and the stages' internal frames), as Arrow buffers
frames = [*result.tables.values(), *(v for v in result.extras.values() if isinstance(v, pl.DataFrame))]
returned = sum(f.estimated_size() for f in frames) / 2**20
before_drop = status("VmRSS")
del result, frames
gc.collect()
after = status("VmRSS")
if sys.argv[6] == "trim":  # glibc gives back its free pages too (the working state the mine leaves behind)
    ctypes.CDLL("libc.so.6").malloc_trim(0)
print(json.dumps(dict(seconds=seconds, peak_mb=peak, commits=commits, returned_mb=returned,
                      held_mb=before_drop - after, after_mb=after, trimmed_mb=status("VmRSS"))))
"""

ISSUE_TABLES = ("commits", "file_changes", "line_ops", "churn", "survival")


def mine_in_child(path: Path, *, sample_days: int = 30, stage1_only: bool = False,
                  tables: list[str] | None = None, eager: bool = False, returning: bool = False,
                  written: bool = False) -> dict:
    """Mine in a fresh process so that its peak RSS is the mine's alone (Linux: reads /proc/self/status).

    ``cpu``: CPU seconds of the process and its git children, interpreter start included. ``eager``: parse
    every record whole (:data:`churnlab.mine.lines.LAZY_RECORD_BYTES` out of reach). ``returning``: the
    allocators give freed pages back at once (polars' jemalloc told by its environment variable, glibc's
    ``malloc_trim`` once the result is dropped), so that ``held_mb`` (what dropping the result frees) and
    ``trimmed_mb`` (what the process keeps after) tell the result from the working state; a diagnostic, since
    the settings are process-wide and a library leaves them alone. ``written``: the tables are written to
    Parquet files too (``mine(out=...)``, as the command line does), in a temporary folder removed after."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    if returning:
        env["_RJEM_MALLOC_CONF"] = "dirty_decay_ms:0,muzzy_decay_ms:0"
    args = [sys.executable, "-c", CHILD, str(path), str(sample_days), "1" if stage1_only else "0",
            ",".join(tables) if tables else "all", "eager" if eager else "lazy", "trim" if returning else "-",
            "write" if written else "-"]
    with tempfile.TemporaryDirectory(prefix="bench-lines-") as tmp, _cpu() as cpu:
        out = subprocess.run(args, capture_output=True, text=True, env=dict(env, TMPDIR=tmp), check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]), cpu=cpu[0])


PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)  # KiB on Linux
"""


def git_peak_mb(path: Path) -> float:
    """Peak RSS of ``git log -p -M`` on ``path`` (measured by a fresh interpreter, which waits for it alone)."""
    cmd = [sys.executable, "-c", PEAK, "git", "-C", str(path), "log", "-p", "-M", "--no-color"]
    return float(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


CLI = """
import json, sys, time
from churnlab.cli import main  # loads nothing of polars: main() sets the command line's allocator first
started = time.perf_counter()
if main(["mine", *sys.argv[1:]]):
    raise SystemExit("churnlab mine failed")
peak = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM")) / 1024
print(json.dumps(dict(peak_mb=peak, seconds=time.perf_counter() - started)))
"""


def cli_in_child(path: Path) -> dict:
    """``churnlab mine PATH --out DIR`` (every table, written), the command a user runs, in a fresh process:
    its peak RSS (VmHWM of its own process; a child's ``ru_maxrss`` would report git's when git's is larger)
    and wall time."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    env.pop("_RJEM_MALLOC_CONF", None)  # as a user's shell has it (the command line sets its own)
    with tempfile.TemporaryDirectory(prefix="bench-lines-") as out:
        args = [sys.executable, "-c", CLI, str(path), "--out", out, "--name", "bench", "--salt", "benchmark-salt"]
        run = subprocess.run(args, capture_output=True, text=True, check=True, env=dict(env, TMPDIR=out))
    return json.loads(run.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def _cpu() -> Iterator[list[float]]:
    """CPU seconds (user + system) of the child processes waited for in the block, their own children too."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = [0.0]
    yield spent
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent[0] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def time_git_log_patch(path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["git", "-C", str(path), "log", "-p", "-M"], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def time_theseus(path: Path, work: Path) -> tuple[float, float] | None:
    """Wall and CPU seconds of ``git-of-theseus-analyze`` (its git children included) on a clone of ``path``."""
    exe = shutil.which("git-of-theseus-analyze") or str(Path(sys.executable).parent / "git-of-theseus-analyze")
    if not Path(exe).exists():
        print("git-of-theseus is not installed: pip install git-of-theseus (skipping)", file=sys.stderr)
        return None
    clone = work / "theseus-clone"
    if not clone.exists():  # theseus wants a work tree
        subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(path), str(clone)], check=True)
    out = work / "theseus-out"
    started = time.perf_counter()
    with _cpu() as cpu:
        subprocess.run([exe, "--outdir", str(out), str(clone)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, cpu[0]


def fast_import(dest: Path, stream: Iterable[bytes]) -> Path:
    """Build a bare repository from a fast-import stream, fed piece by piece (never whole in memory)."""
    subprocess.run(["git", "init", "--quiet", "--bare", str(dest)], check=True)
    subprocess.run(["git", f"--git-dir={dest}", "symbolic-ref", "HEAD", "refs/heads/main"], check=True)
    proc = subprocess.Popen(["git", f"--git-dir={dest}", "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for piece in stream:
        proc.stdin.write(piece)
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    return dest


def _data(text: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(text), text)


def synthetic_history(n_commits: int, *, seed: int = 7) -> Iterator[bytes]:
    """A fast-import stream: 20 files edited a few lines at a time; every 25th commit merges a 2-commit branch."""
    rng = random.Random(seed)
    files = {f"src/module_{i}.py": [f"value_{i}_{k} = compute({k})" for k in range(150)] for i in range(20)}
    out = []
    mark = 0
    when = 1_500_000_000
    main_mark = None

    def commit(ref: str, parents: list[int], changed: dict[str, list[str]]) -> int:
        nonlocal mark, when
        mark += 1
        when += 3600
        msg = b"change"
        out.append(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
        out.append(b"author A <a@example.com> %d +0000\ncommitter A <a@example.com> %d +0000\n" % (when, when))
        out.append(_data(msg))
        if parents:
            out.append(b"from :%d\n" % parents[0])
            for p in parents[1:]:
                out.append(b"merge :%d\n" % p)
        for path, lines in changed.items():
            out.append(b"M 100644 inline %s\n" % path.encode())
            out.append(_data("".join(f"{ln}\n" for ln in lines).encode()))
        return mark

    def edit() -> dict[str, list[str]]:
        path = rng.choice(sorted(files))
        lines = files[path]
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(lines))
            if rng.random() < 0.5:
                lines[at] = f"edited_{mark}_{at} = compute({rng.randint(0, 99)})"
            elif rng.random() < 0.5 or len(lines) < 100:
                lines.insert(at, f"inserted_{mark}_{at} = helper({at})")
            else:
                del lines[at]
        return {path: list(lines)}

    main_mark = commit("refs/heads/main", [], {p: list(v) for p, v in files.items()})
    made = 1
    while made < n_commits:
        if made % 25 == 0 and made + 3 <= n_commits:
            side = commit("refs/heads/side", [main_mark], edit())
            side = commit("refs/heads/side", [side], edit())
            main_mark = commit("refs/heads/main", [main_mark], edit())
            main_mark = commit("refs/heads/main", [main_mark, side], {p: list(v) for p, v in files.items()})
            made += 4
        else:
            main_mark = commit("refs/heads/main", [main_mark], edit())
            made += 1
        yield b"".join(out)
        out.clear()


def big_generated_file(n_lines: int = 100_000, n_edits: int = 300, *, seed: int = 11) -> Iterator[bytes]:
    rng = random.Random(seed)
    lines = [f"ROW_{k} = {rng.randint(0, 10**9)}" for k in range(n_lines)]
    out = []
    for mark in range(1, n_edits + 1):
        for _ in range(5):
            lines[rng.randrange(n_lines)] = f"ROW_EDIT_{mark} = {rng.randint(0, 10**9)}"
        when = 1_500_000_000 + mark * 86400
        out.append(b"commit refs/heads/main\nmark :%d\n" % mark)
        out.append(b"author A <a@example.com> %d +0000\ncommitter A <a@example.com> %d +0000\n" % (when, when))
        out.append(_data(b"edit"))
        if mark > 1:
            out.append(b"from :%d\n" % (mark - 1))
        out.append(b"M 100644 inline data/table_generated.py\n")
        out.append(_data("".join(f"{ln}\n" for ln in lines).encode()))
        out.append(b"M 100644 inline src/app.py\n")
        out.append(_data(f"VERSION = {mark}\n".encode()))
        yield b"".join(out)
        out.clear()


def vendoring(n_files: int = 1000, n_lines: int = 1000) -> Iterator[bytes]:
    """A commit vendoring ``n_files`` x ``n_lines`` lines (about 40 MB of patch) into ``vendor/``, an edit of
    the code, then a commit removing them all, as Go projects do."""
    def commit(mark: int, message: bytes, changes: list[bytes]) -> bytes:
        when = 1_500_000_000 + mark * 86400
        head = [b"commit refs/heads/main\nmark :%d\n" % mark,
                b"author A <a@example.com> %d +0000\ncommitter A <a@example.com> %d +0000\n" % (when, when),
                _data(message)]
        return b"".join(head + ([b"from :%d\n" % (mark - 1)] if mark > 1 else []) + changes)

    yield commit(1, b"code", [b"M 100644 inline src/app.go\n", _data(b"package app\n")])
    yield commit(2, b"vendor", [
        b"M 100644 inline vendor/mod%d/lib.go\n%s" % (k, _data("".join(
            f"func Lib{k}_{i}(x int) int {{ return x * {i} }}\n" for i in range(n_lines)).encode()))
        for k in range(n_files)])
    yield commit(3, b"edit", [b"M 100644 inline src/app.go\n", _data(b"package app\n\nvar V = 1\n")])
    yield commit(4, b"unvendor", [b"D vendor\n"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("repo", help="repository to benchmark (e.g. a clone of pallets/flask)")
    p.add_argument("--no-theseus", action="store_true", help="skip the git-of-theseus comparison")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--memory-only", action="store_true", help="only the peak-memory cases (part 3)")
    only.add_argument("--speed-only", action="store_true", help="only the speed comparisons (parts 1 and 2)")
    p.add_argument("--work", help="scratch folder (default: a temporary one)")
    p.add_argument("--pairs", type=int, default=5, help="(git log -p -M, mine) pairs per speed ratio (default 5)")
    p.add_argument("--rounds", type=int, default=1, help="rounds of the git-of-theseus comparison (default 1)")
    args = p.parse_args(argv)
    repo = Path(args.repo).resolve()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench-lines-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    if not args.memory_only:
        rows += speed_rows(repo, work, theseus=not args.no_theseus, pairs=args.pairs, rounds=args.rounds)
    if not args.speed_only:
        rows += memory_rows(repo, work, with_repo=args.memory_only)  # the speed part measures the repository
    print("| measure | churnlab | baseline | ratio | target |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def speed_rows(repo: Path, work: Path, *, theseus: bool, pairs: int = 5, rounds: int = 1) -> list[tuple[str, ...]]:
    rows = []
    # the issue's whole mine: these five tables (the revert stage, which reads the line stage's patch
    # fingerprints, and the signals stage are not part of it); and every table, for comparison. Each mine is
    # paired with a `git log -p -M` run just before it: the host's speed drifts from minute to minute (git alone
    # took 1.0-1.7 s on flask within an hour), so the ratio reported is the median of the pairs' ratios.
    issue = [(time_git_log_patch(repo), mine_in_child(repo, tables=list(ISSUE_TABLES))) for _ in range(pairs)]
    every = [(time_git_log_patch(repo), mine_in_child(repo)) for _ in range(pairs)]
    stage1 = min((mine_in_child(repo, stage1_only=True) for _ in range(3)), key=lambda r: r["seconds"])
    for label, measured, target in (
            ("whole mine (commits, file changes, line ops, churn, survival) vs `git log -p -M`", issue, "<= 2x"),
            ("every table (adds reverts, revert flags, signals, adoption) vs `git log -p -M`", every, "")):
        rows.append(_paired_row(label, measured, target))
    git_s = min(g for g, _ in issue + every)
    rows.append(("  of which stage 1 (commits, file changes), best vs git's best", f"{stage1['seconds']:.2f} s",
                 f"{git_s:.2f} s", f"{stage1['seconds'] / git_s:.2f}x", ""))
    rows.append(("peak memory, whole mine", f"{max(m['peak_mb'] for _, m in every):.0f} MB",
                 f"stage 1 alone {stage1['peak_mb']:.0f} MB", "", "< 500 MB"))

    # survival sampled weekly, as git-of-theseus does: the survival table alone, and the whole mine, run half
    # before git-of-theseus and half after, the median of each set against it; ``rounds`` times
    for _ in range(rounds):
        rows += _survival_rows(repo, work, theseus=theseus)
    return rows


def _survival_rows(repo: Path, work: Path, *, theseus: bool) -> list[tuple[str, ...]]:
    def runs(n: int) -> dict[str, list[dict]]:
        return {"alone": [mine_in_child(repo, sample_days=7, tables=["survival"]) for _ in range(n)],
                "whole": [mine_in_child(repo, sample_days=7) for _ in range(n)]}

    before = runs(2)
    measured = time_theseus(repo, work) if theseus else None
    after = runs(2)
    mid = {name: (statistics.median(r["seconds"] for r in before[name] + after[name]),
                  statistics.median(r["cpu"] for r in before[name] + after[name])) for name in before}
    rows = [("CPU, survival table alone vs whole mine (weekly samples, process + git; medians)",
             f"{mid['alone'][1]:.2f} s", f"whole mine {mid['whole'][1]:.2f} s",
             f"{mid['whole'][1] / mid['alone'][1]:.1f}x less", "")]
    if measured is not None:
        theseus_s, theseus_cpu = measured
        for label, name in (('survival table alone (`tables=["survival"]`, weekly samples)', "alone"),
                            ("survival in the whole mine (weekly samples)", "whole")):
            seconds, cpu = mid[name]
            rows.append((f"{label} vs git-of-theseus analyze, wall (median of 4 runs)", f"{seconds:.2f} s",
                         f"{theseus_s:.1f} s", f"{theseus_s / seconds:.0f}x faster", ">= 50x"))
            rows.append((f"{label} vs git-of-theseus analyze, CPU", f"{cpu:.2f} s", f"{theseus_cpu:.1f} s",
                         f"{theseus_cpu / cpu:.0f}x less", ""))
    return rows


def _paired_row(label: str, pairs: list[tuple[float, dict]], target: str) -> tuple[str, ...]:
    """A row for mines each paired with a git run: their medians and the median (and range) of the ratios."""
    ratios = sorted(m["seconds"] / g for g, m in pairs)
    return (label, f"{statistics.median(m['seconds'] for _, m in pairs):.2f} s",
            f"{statistics.median(g for g, _ in pairs):.2f} s",
            f"{statistics.median(ratios):.2f}x the time (median of {len(pairs)} pairs; {ratios[0]:.2f}-{ratios[-1]:.2f}x)",
            target)


def memory_rows(repo: Path, work: Path, *, with_repo: bool) -> list[tuple[str, ...]]:
    rows = []
    # memory: the whole mine, and stage 1 alone (commits, file changes) as the baseline it builds on
    big = work / "big-generated.git"
    if not big.exists():
        fast_import(big, big_generated_file())
    cases = [("the repository", repo)] if with_repo else []
    cases.append(("100k-line generated file x 300 commits", big))
    for n in (10_000, 50_000):
        path = work / f"synthetic-{n}.git"
        if not path.exists():
            fast_import(path, synthetic_history(n))
        cases.append((f"synthetic {n:,}-commit history", path))
    runs = {}
    for label, path in cases:
        r = runs[label] = mine_in_child(path)
        base = mine_in_child(path, stage1_only=True)
        rows.append((f"peak memory, {label}", f"{r['peak_mb']:.0f} MB ({r['seconds']:.1f} s)",
                     f"stage 1 alone {base['peak_mb']:.0f} MB ({base['seconds']:.1f} s)",
                     f"+{r['peak_mb'] - base['peak_mb']:.0f} MB", "< 500 MB, flat in commits"))
        rows.append(("  returned tables; process memory once they are dropped", f"{r['returned_mb']:.0f} MB",
                     f"{r['after_mb']:.0f} MB", "", ""))
    # a huge commit: its vendored files parsed one at a time, against the whole record parsed at once
    vendored = work / "vendoring.git"
    if not vendored.exists():
        fast_import(vendored, vendoring())
    lazy, eager = mine_in_child(vendored), mine_in_child(vendored, eager=True)
    rows.append(("peak memory, a commit vendoring 1,000,000 lines, then removing them",
                 f"{lazy['peak_mb']:.0f} MB ({lazy['seconds']:.1f} s)",
                 f"parsed whole {eager['peak_mb']:.0f} MB ({eager['seconds']:.1f} s)",
                 f"{lazy['peak_mb'] / eager['peak_mb']:.2f}x", "< 500 MB"))
    sizes = (10_000, 50_000)
    small, large = (runs[f"synthetic {n:,}-commit history"] for n in sizes)
    rows.append(("growth from 10,000 to 50,000 commits: peak; returned tables",
                 f"+{large['peak_mb'] - small['peak_mb']:.0f} MB",
                 f"+{large['returned_mb'] - small['returned_mb']:.0f} MB", "", "flat"))
    # as the command line mines (the tables written, spooled to disk while the mine runs), on 10,000 / 50,000 /
    # 100,000 commits: the mine(out=...) call, the command itself, and git's own peak on the same histories
    long = (*sizes, 100_000)
    path = work / "synthetic-100000.git"
    if not path.exists():
        fast_import(path, synthetic_history(100_000))
    written = {n: mine_in_child(work / f"synthetic-{n}.git", written=True) for n in long}
    cli = {n: cli_in_child(work / f"synthetic-{n}.git")["peak_mb"] for n in long}
    git = {n: git_peak_mb(work / f"synthetic-{n}.git") for n in long}

    def grown(peaks: dict[int, float]) -> str:
        return f"+{peaks[long[1]] - peaks[long[0]]:.0f} / +{peaks[long[2]] - peaks[long[0]]:.0f} MB"

    def peaks(of: dict[int, float]) -> str:
        return " / ".join(f"{of[n]:.0f}" for n in long) + " MB"

    rows.append(("  tables written (mine(out=...)): peak; growth from 10,000 commits",
                 peaks({n: r["peak_mb"] for n, r in written.items()}),
                 grown({n: r["peak_mb"] for n, r in written.items()}), "", "10,000 / 50,000 / 100,000 commits"))
    rows.append(("  `churnlab mine --out`: peak; growth; git log -p -M's own peak, growth", peaks(cli), grown(cli),
                 f"git {peaks(git)}, {grown(git)}", "flat"))
    # where the growth is: the result the call holds, or the working state (allocators returning freed pages)
    held = {n: mine_in_child(work / f"synthetic-{n}.git", returning=True) for n in (10_000, 50_000)}
    rows.append(("  allocators returning freed pages: peak; freed by dropping the result; kept after",
                 " / ".join(f"{held[n]['peak_mb']:.0f}" for n in held) + " MB",
                 " / ".join(f"{held[n]['held_mb']:.0f}" for n in held) + " MB",
                 " / ".join(f"{held[n]['trimmed_mb']:.0f}" for n in held) + " MB", "10,000 / 50,000 commits"))
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
