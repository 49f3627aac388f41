"""CPU time of parsing and labelling a repository's patch stream, against git producing it.

Reads the ``git log -p -U0`` stream of line provenance (:func:`churnlab.mine.lines.log_args`) into memory
once, then measures CPU time (``time.process_time``, so other load on the machine matters less) of
:func:`~churnlab.mine.lines.parse_record` over every commit and of
:func:`~churnlab.mine.lines.label_commit` over every commit's text files (merges too, against their first
parent: a little more than the mine labels), with cold caches. The
baseline in the same run is the wall time of ``git log -p -M`` on the repository (the whole mine's target is
within 2x of it).

Usage::

    python benchmarks/bench_label.py PATH_TO_REPO [--profile]

``--profile`` also prints the top functions of a cProfile run of the labelling.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import subprocess
import time

from churnlab.git import open_repository
from churnlab.mine import lines as L
from churnlab.mine import normalize


def _clear_caches() -> None:
    for fn in (normalize.line_key, normalize.tokens):
        clear = getattr(fn, "cache_clear", None)
        if clear is not None:
            clear()


def label_all(parsed: list) -> int:
    n = 0
    for files in parsed:
        include = [i for i, fd in enumerate(files) if not (fd.binary or fd.submodule or L.is_minified(fd))]
        L.label_commit(files, include)
        n += len(include)
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("repo")
    p.add_argument("--profile", action="store_true")
    args = p.parse_args(argv)
    repo = open_repository(args.repo)
    records = list(L.records(repo.stream(L.log_args(repo.head))))

    started = time.perf_counter()
    subprocess.run(["git", "--git-dir", args.repo, "log", "-p", "-M"], stdout=subprocess.DEVNULL, check=True)
    git_s = time.perf_counter() - started

    t0 = time.process_time()
    parsed = [L.parse_record(r)[1] for r in records]
    parse_s = time.process_time() - t0
    _clear_caches()
    t0 = time.process_time()
    n_files = label_all(parsed)
    label_s = time.process_time() - t0
    print(f"{len(records)} commits, {n_files} file diffs labelled")
    print("| step | CPU s | ratio to `git log -p -M` wall |\n|---|---|---|")
    print(f"| parse_record | {parse_s:.2f} | {parse_s / git_s:.2f}x |")
    print(f"| label_commit | {label_s:.2f} | {label_s / git_s:.2f}x |")
    print(f"| both | {parse_s + label_s:.2f} | {(parse_s + label_s) / git_s:.2f}x |")
    print(f"| `git log -p -M` (wall) | {git_s:.2f} | 1x |")
    if args.profile:
        _clear_caches()
        prof = cProfile.Profile()
        prof.enable()
        label_all([L.parse_record(r)[1] for r in records])
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
