"""Benchmark: peak memory of the whole mine on real histories, as the command line runs it (tables written).

    python benchmarks/bench_peaks.py REPO [REPO ...]

Each repository is mined by ``churnlab mine REPO --out DIR`` in a fresh child process (every table, written
to Parquet in a temporary folder: ``bench_lines.cli_in_child``), which reports its peak RSS (VmHWM) and wall
time. Prints a markdown table with the commits and the lines at the head (``git grep -c ''``: text files git can
read) of each repository, for the target of issue 3: under 500 MB.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from bench_lines import cli_in_child


def head_lines(repo: Path) -> int:
    """Lines of the head's text files (binary files and objects missing from the copy are not counted)."""
    out = subprocess.run(["git", "-C", str(repo), "grep", "-I", "-c", "", "HEAD", "--"], capture_output=True,
                         text=True, errors="replace").stdout
    return sum(int(line.rsplit(":", 1)[1]) for line in out.splitlines() if line.rsplit(":", 1)[-1].isdigit())


def repositories(doc: str) -> list[Path]:
    """The repositories named on the command line (clones, bare or not) of a script documented by ``doc``."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("repos", nargs="+", type=Path, help="repositories (clones, bare or not)")
    return p.parse_args().repos


def label(repo: Path) -> str:
    """A repository's name for a table: its folder, not a whole path."""
    return repo.parent.name if repo.name in ("repo", ".git") else repo.name


def main() -> int:
    print("| repository | commits | lines at head | peak | wall |")
    print("|---|---|---|---|---|")
    for repo in repositories(__doc__):
        got = cli_in_child(repo)
        commits = int(subprocess.run(["git", "-C", str(repo), "rev-list", "--count", "HEAD"], capture_output=True,
                                     text=True, check=True).stdout)
        print(f"| {label(repo)} | {commits:,} | {head_lines(repo):,} | {got['peak_mb']:.0f} MB | "
              f"{got['seconds']:.1f} s |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
