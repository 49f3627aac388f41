"""Parity of the commit tables with git and PyDriller on real repositories.

    python scripts/parity_mine.py REPO[=NAME] [REPO[=NAME] ...] [--pydriller]

REPO is a local checkout or bare repository (NAME, e.g. ``pallets/flask``, names it in the table) (clone public ones first, e.g.
``git clone --bare https://github.com/pallets/flask``). For each, churnlab's per-commit lines added/deleted are
compared with ``git log --numstat -U0 -M``, the zero-context diff they are defined by (same rename and merge
policy: merges not diffed), and with plain ``git log --numstat -M`` (3 lines of context), which pairs a line or
two otherwise in a few commits (the column counts them and their net difference); with ``--pydriller`` the
totals are compared with PyDriller's ``modified_files``. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from churnlab.git import numstat_by_commit, open_repository
from churnlab.mine import mine


def _pydriller_totals(path: str) -> tuple[int, int, int]:
    from pydriller import Repository

    n = added = deleted = 0
    for commit in Repository(path).traverse_commits():
        n += 1
        for mf in commit.modified_files:
            added += mf.added_lines
            deleted += mf.deleted_lines
    return n, added, deleted


def check(source: str, name: str | None, use_pydriller: bool) -> tuple[str, bool]:
    """The table row of one repository, and whether it matches its definition (``git log --numstat -U0``)."""
    with tempfile.TemporaryDirectory() as tmp:
        # A plain bare clone: every tool can open it, whatever form the source has.
        repo = f"{tmp}/repo.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", source, repo], check=True)
        name = name or open_repository(source).name
        res = mine(repo, name=name, salt="parity-check-salt", tables=("commits", "file_changes"))
        commits = res.tables["commits"]
        ours = {s: (a or 0, d or 0) for s, a, d in commits.select("sha", "lines_added", "lines_deleted").rows()}
        ref = numstat_by_commit(repo, res.head)
        diff = [s for s in ref if ours.get(s) != ref[s]] + [s for s in ours if s not in ref]
        plain = numstat_by_commit(repo, res.head, zero_context=False)
        other = [s for s in plain if ours.get(s) != plain[s]]
        net = sum((ours[s][0] - ours[s][1]) - (plain[s][0] - plain[s][1]) for s in other if s in ours)
        fc = res.tables["file_changes"]
        totals = (commits.height, int(fc["lines_added"].sum() or 0), int(fc["lines_deleted"].sum() or 0))
        cells = [name, str(res.head)[:12], f"{commits.height:,}", f"{totals[1]:,} / {totals[2]:,}",
                 "all equal" if not diff else f"{len(diff)} differ (e.g. {diff[0][:12]})",
                 "all equal" if not other else
                 f"{len(other)} differ by {sum(abs(ours[s][0] - plain[s][0]) for s in other)} lines each way, net {net}"]
        if use_pydriller:  # PyDriller's counts are plain numstat's (3 lines of context)
            pyd = _pydriller_totals(repo)
            cells.append("equal" if pyd == totals else f"PyDriller {pyd} vs churnlab {totals}")
        missing = len(res.provenance["missing_objects"])
        cells.append(str(missing))
        return "| " + " | ".join(cells) + " |", not diff


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repos", nargs="+")
    ap.add_argument("--pydriller", action="store_true", help="also compare totals with PyDriller (slow)")
    args = ap.parse_args()
    head = ["repository", "head", "commits", "lines added / deleted", "per-commit vs git log --numstat -U0",
            "vs plain git log --numstat"]
    head += ["totals vs PyDriller"] if args.pydriller else []
    head += ["missing objects"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    ok = True
    for spec in args.repos:
        repo, _, name = spec.partition("=")
        row, exact = check(str(Path(repo)), name or None, args.pydriller)
        ok &= exact
        print(row, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
