"""Compare churnlab's reverts with direct ``git log`` searches on real repositories.

For each repository: reverting commits found by message against ``git log --no-merges -i --grep "This reverts
commit"`` plus ``git log --no-merges --grep '^(Revert|Reapply) "'`` (merges are left out on both sides: the merge
of a revert branch repeats the revert's message; git's --grep matches any line, not only the subject), the split by method,
how many targets are outside the mined range, and the 30/90-day revert rates with the censored share.

Usage::

    python scripts/validate_reverts.py PATH[=owner/name] ...
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import polars as pl

from churnlab.git import open_repository
from churnlab.mine import mine


def _grep(git_dir: str, *args: str) -> set[str]:
    out = subprocess.run(["git", f"--git-dir={git_dir}", "log", "--no-merges", "--format=%H", *args, "HEAD"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repos", nargs="+", help="PATH[=owner/name] of a local or bare repository")
    args = ap.parse_args(argv)
    print("| repository | non-merge commits | reverting commits: message (churnlab / git log) | both | message only | "
          "inverse diff only | target outside range | re-applies | reverted within 30 d | within 90 d | censored 30 d |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for spec in args.repos:
        path, _, name = spec.partition("=")
        started = time.perf_counter()
        res = mine(path, None, name=name or None)
        r, f = res.tables["reverts"], res.tables["revert_flags"]
        git_dir = str(open_repository(path).git_dir)
        by_git = _grep(git_dir, "-i", "--grep=this reverts commit") | _grep(git_dir, "-E", '--grep=^(Revert|Reapply) "')
        ours = set(r.filter(pl.col("method") != "inverse_diff")["reverting_sha"])
        n = r.group_by("method").len().to_dict(as_series=False)
        count = dict(zip(n["method"], n["len"]))
        rate30 = f["reverted_within_30d"].mean()
        rate90 = f["reverted_within_90d"].mean()
        print(f"| {res.repo} | {f.height:,} | {len(ours):,} / {len(by_git):,} | {count.get('both', 0)} | "
              f"{count.get('message', 0)} | {count.get('inverse_diff', 0)} | "
              f"{r['reverted_sha'].null_count()} | {int(r['is_reapply'].sum())} | {100 * (rate30 or 0):.2f}% | "
              f"{100 * (rate90 or 0):.2f}% | {100 * f['reverted_within_30d'].null_count() / max(f.height, 1):.1f}% |")
        extra, missing = sorted(ours - by_git), sorted(by_git - ours)
        if extra or missing:
            print(f"{res.repo}: only churnlab {[s[:10] for s in extra[:5]]}, only git log {[s[:10] for s in missing[:5]]}",
                  file=sys.stderr)
        print(f"{res.repo}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
