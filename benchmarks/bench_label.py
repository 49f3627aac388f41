"""CPU time of parsing and labelling a repository's patch stream, against git producing it.

Reads the ``git log -p -U0`` stream of line provenance (:func:`churnlab.mine.lines.log_args`) into memory
once, then measures CPU time (``time.process_time``, so other load on the machine matters less) of
:func:`~churnlab.mine.lines.parse_record`, :func:`~churnlab.mine.lines.label_commit` (of the text files) and
:func:`~churnlab.mine.lines.patch_fingerprints`, commit by commit with cold caches (merges come without
patches in the default mode, as the mine reads them). The baseline in the same run is the wall time of ``git log -p -M`` on the repository (the whole mine's target is
within 2x of it).

Usage::

    python benchmarks/bench_label.py PATH_TO_REPO [--profile] [--mine]

``--profile`` also prints the top functions of a cProfile run (CPU time) of parsing and labelling. ``--mine``
also measures the whole in-memory mine: its CPU time in this process (git's own CPU, in child processes, is
not included) and the time the cyclic garbage collector took in it, and a cProfile run (CPU-time clock) with the cumulative time of ``label_commit`` and
``parse_record`` in it. To compare with an older version, run the same command with ``PYTHONPATH`` pointing
at a checkout of it.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import subprocess
import time

import churnlab.mine as churnlab_mine
from churnlab.git import open_repository
from churnlab.mine import lines as L
from churnlab.mine import normalize


def _clear_caches() -> None:
    for fn in (normalize.line_key, normalize.tokens, normalize.alnum_chars, getattr(L, "_realign", None)):
        clear = getattr(fn, "cache_clear", None)
        if clear is not None:
            clear()


def _include(files: list) -> list[int]:
    return [i for i, fd in enumerate(files) if not (fd.binary or fd.submodule or L.is_minified(fd))]


def measure(records: list[bytes]) -> tuple[float, float, float, int]:
    """CPU seconds of parsing, labelling and fingerprinting, commit by commit as the mine does (nothing kept)."""
    clock = time.process_time
    parse_s = label_s = print_s = 0.0
    n = 0
    for record in records:
        t0 = clock()
        files = L.parse_record(record)[1]
        t1 = clock()
        include = _include(files)
        L.label_commit(files, include)
        t2 = clock()
        L.patch_fingerprints(files)
        t3 = clock()
        parse_s, label_s, print_s, n = parse_s + t1 - t0, label_s + t2 - t1, print_s + t3 - t2, n + len(include)
    return parse_s, label_s, print_s, n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("repo")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--mine", action="store_true", help="also time the whole mine (CPU) and profile it")
    args = p.parse_args(argv)
    repo = open_repository(args.repo)
    records = list(L.records(repo.stream(L.log_args(repo.head))))

    started = time.perf_counter()
    subprocess.run(["git", "--git-dir", args.repo, "log", "-p", "-M"], stdout=subprocess.DEVNULL, check=True)
    git_s = time.perf_counter() - started

    _clear_caches()
    parse_s, label_s, print_s, n_files = measure(records)
    print(f"{len(records)} commits, {n_files} file diffs labelled")
    print("| step | CPU s | ratio to `git log -p -M` wall |\n|---|---|---|")
    for name, sec in (("parse_record", parse_s), ("label_commit (with is_minified)", label_s),
                      ("patch_fingerprints", print_s), ("all three", parse_s + label_s + print_s)):
        print(f"| {name} | {sec:.2f} | {sec / git_s:.2f}x |")
    print(f"| `git log -p -M` (wall) | {git_s:.2f} | 1x |")
    if args.profile:
        _clear_caches()
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for record in records:
            files = L.parse_record(record)[1]
            L.label_commit(files, _include(files))
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    if args.mine:
        mine_whole(args.repo)
    return 0


def mine_whole(path: str) -> None:
    """CPU seconds of the whole in-memory mine, then its cProfile (CPU clock) for the labelling functions."""
    _clear_caches()
    collections = [0, 0.0]  # how many, seconds

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            collections[1] -= time.perf_counter()
        else:
            collections[0] += 1
            collections[1] += time.perf_counter()

    gc.callbacks.append(on_gc)
    t0 = time.process_time()
    churnlab_mine.mine(path, name="bench", salt="benchmark-salt")
    cpu = time.process_time() - t0
    gc.callbacks.remove(on_gc)
    print(f"\ngarbage collector during the mine: {collections[0]} collections, {collections[1]:.2f} s")
    _clear_caches()
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    churnlab_mine.mine(path, name="bench", salt="benchmark-salt")
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    cum = {name: 0.0 for name in ("mine", "label_commit", "parse_record", "patch_fingerprints")}
    for (_, _, name), (_, _, _, ct, _) in stats.items():
        if name in cum:
            cum[name] += ct
    print(f"\nwhole mine: {cpu:.2f} s CPU in this process; under cProfile (CPU clock) {cum['mine']:.2f} s, of "
          f"which label_commit {cum['label_commit']:.2f} s, parse_record {cum['parse_record']:.2f} s, "
          f"patch_fingerprints {cum['patch_fingerprints']:.2f} s")


if __name__ == "__main__":
    raise SystemExit(main())
