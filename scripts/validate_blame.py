"""Check churnlab's live lines at the head against git blame on a real repository.

For every text file at the head that churnlab does not exclude (binary, vendored, generated, lock), run
``git blame --porcelain`` (plain, and ``--first-parent``), count lines by the author year of the blamed commit,
and compare with churnlab's live lines by birth year (``MineResult.extras["live_births"]``, the head sample
of the ``survival`` table). First-parent mode should agree exactly; the default mode credits merged lines by
path and content and should be within 2% per cohort.

Usage::

    python scripts/validate_blame.py PATH_TO_REPO [--name owner/name] [--json results.json]

The script runs git blame once per file (it is the reference, not the tool under test).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone

import polars as pl

from churnlab.mine import mine

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", "-c", "core.quotepath=false", *args],
                          capture_output=True, check=True).stdout


def git_dir_of(path: str) -> str:
    out = subprocess.run(["git", "-C", path, "rev-parse", "--absolute-git-dir"], capture_output=True)
    return out.stdout.decode().strip() if out.returncode == 0 else path


def text_files(git_dir: str, head: str, excluded: set[str]) -> list[str]:
    """Files at the head with text content that churnlab does not exclude."""
    out = git(git_dir, "diff", "--numstat", "-z", "--no-renames", EMPTY_TREE, head)
    files = []
    for rec in out.split(b"\0"):
        if not rec:
            continue
        added, _, path = rec.split(b"\t", 2)
        name = path.decode("utf-8", "backslashreplace")
        if added != b"-" and name not in excluded:
            files.append(name)
    return sorted(files)


def blame_years(git_dir: str, head: str, files: list[str], *, first_parent: bool) -> Counter:
    years: Counter = Counter()
    times: dict[str, int] = {}
    for name in files:
        args = ["blame", "--porcelain", *(["--first-parent"] if first_parent else []), head, "--", name]
        proc = subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True)
        if proc.returncode != 0:  # e.g. a blob missing from a pruned snapshot
            print(f"  skipped {name}: {proc.stderr.decode(errors='replace').strip()[:80]}", file=sys.stderr)
            continue
        current = None
        for line in proc.stdout.split(b"\n"):
            if line.startswith(b"\t"):
                years[current] += 1
                continue
            head_fields = line.split(b" ")
            if len(head_fields[0]) == 40 and len(head_fields) >= 3:
                sha = head_fields[0].decode()
                current = times.get(sha, sha)
            elif line.startswith(b"author-time "):
                year = datetime.fromtimestamp(int(line.split()[1]), timezone.utc).year
                times[sha] = year
                current = year
    return years


def churnlab_years(result) -> Counter:
    births = result.extras["live_births"].join(result.tables["commits"].select("sha", "author_time"), on="sha")
    by_year = births.group_by(pl.col("author_time").dt.year().alias("year")).agg(pl.col("live_lines").sum())
    return Counter(dict(by_year.iter_rows()))


def compare(ours: Counter, blame: Counter) -> list[dict]:
    rows = []
    for year in sorted(set(ours) | set(blame)):
        a, b = ours.get(year, 0), blame.get(year, 0)
        rows.append(dict(year=year, blame=b, churnlab=a, diff=a - b, pct=round(100 * (a - b) / b, 2) if b else None))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("repo", help="path to a local clone or bare repository")
    p.add_argument("--name", help="repository name to record")
    p.add_argument("--json", help="write the comparison here")
    args = p.parse_args(argv)
    git_dir = git_dir_of(args.repo)
    report = {}
    for mode, first_parent in (("first_parent", True), ("default", False)):
        started = time.perf_counter()
        result = mine(args.repo, name=args.name, first_parent=first_parent, salt="validate-blame-salt")
        mined = time.perf_counter() - started
        fc = result.tables["file_changes"]
        excluded = set(fc.filter(pl.col("is_vendored") | pl.col("is_generated") | pl.col("is_lock"))["path"])
        files = text_files(git_dir, result.head, excluded)
        started = time.perf_counter()
        blame = blame_years(git_dir, result.head, files, first_parent=first_parent)
        blamed = time.perf_counter() - started
        rows = compare(churnlab_years(result), blame)
        worst = max((abs(r["pct"]) for r in rows if r["pct"] is not None), default=0.0)
        total_ours, total_blame = sum(r["churnlab"] for r in rows), sum(r["blame"] for r in rows)
        report[mode] = dict(rows=rows, files=len(files), worst_pct=worst, lines_churnlab=total_ours,
                            lines_blame=total_blame, mine_seconds=round(mined, 2), blame_seconds=round(blamed, 2))
        print(f"\n{result.repo} ({mode}): {len(files)} files, {total_blame} lines blamed, {total_ours} tracked; "
              f"worst cohort difference {worst}%  (mine {mined:.1f} s, blame {blamed:.1f} s)")
        print("| year | git blame | churnlab | diff | % |\n|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['year']} | {r['blame']} | {r['churnlab']} | {r['diff']} | {r['pct']} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
