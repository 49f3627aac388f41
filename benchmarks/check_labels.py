"""Before/after equality check for line labelling: tables and per-line labels must not change.

Mines each repository in memory and keeps, per repository, the ``line_ops`` and ``churn`` tables plus one
digest per commit of everything :func:`churnlab.mine.lines.parse_record` and
:func:`churnlab.mine.lines.label_commit` returned (paths, blobs, modes, hunks, and every line's label and key,
duplicated and meaningful counts). Save a baseline with the old code, then compare with the new::

    python benchmarks/check_labels.py save BASELINE_DIR REPO [REPO ...]
    python benchmarks/check_labels.py compare BASELINE_DIR REPO [REPO ...]

``compare`` prints the first differing commits and exits non-zero on any difference. Repositories are given
as paths (bare or not); nothing is written to them.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
from pathlib import Path

import polars as pl

import churnlab.mine as m
from churnlab.mine import lines as L


def _digest_record(files: list, labels) -> str:
    h = hashlib.sha256()
    for fd in files:
        h.update(repr((fd.old_path, fd.new_path, fd.binary, fd.submodule, fd.copy, fd.old_blob, fd.new_blob,
                       fd.old_mode, fd.new_mode, [tuple(x) for x in fd.hunks])).encode())
    if labels is not None:
        h.update(repr((labels.removed, labels.added, labels.keys_removed, labels.keys_added,
                       sorted(labels.duplicated.items()), labels.meaningful)).encode())
    return h.hexdigest()


def run(path: str) -> dict:
    """Mine ``path``; return its tables and per-commit digests of the parse and the labels."""
    digests: dict[str, str] = {}
    parsed: dict[int, tuple[str, list]] = {}
    real_parse, real_label = L.parse_record, L.label_commit

    def parse(record: bytes):
        sha, files = real_parse(record)
        parsed[id(files)] = (sha, files)
        digests[sha] = _digest_record(files, None)
        return sha, files

    def label(files, include):
        out = real_label(files, include)
        sha = parsed.pop(id(files))[0]
        digests[sha] = _digest_record(files, out) + repr(include)
        return out

    L.parse_record, L.label_commit = parse, label
    try:
        result = m.mine(path, name="check", salt="check-salt")
    finally:
        L.parse_record, L.label_commit = real_parse, real_label
    return {"line_ops": result.tables["line_ops"], "churn": result.tables["churn"], "digests": digests}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["save", "compare"])
    p.add_argument("baseline", help="folder for the baseline files")
    p.add_argument("repos", nargs="+")
    args = p.parse_args(argv)
    folder = Path(args.baseline)
    folder.mkdir(parents=True, exist_ok=True)
    failed = False
    for repo in args.repos:
        key = hashlib.sha256(str(Path(repo).resolve()).encode()).hexdigest()[:12]
        now = run(repo)
        target = folder / f"{key}.pickle"
        if args.mode == "save":
            target.write_bytes(pickle.dumps(now))
            print(f"{repo}: saved {len(now['digests'])} commits, {now['line_ops'].height} line_ops rows")
            continue
        before = pickle.loads(target.read_bytes())
        problems = []
        for table in ("line_ops", "churn"):
            if not before[table].equals(now[table]):
                problems.append(f"table {table} differs")
        bad = [s for s in before["digests"] if before["digests"][s] != now["digests"].get(s)]
        if bad or set(before["digests"]) != set(now["digests"]):
            problems.append(f"{len(bad)} commits' labels differ, e.g. {bad[:5]}")
        failed |= bool(problems)
        print(f"{repo}: {'; '.join(problems) if problems else 'identical'} "
              f"({len(now['digests'])} commits, {now['line_ops'].height} line_ops rows)")
    return 1 if failed else 0


if __name__ == "__main__":
    pl.Config.set_tbl_rows(5)
    sys.exit(main())
