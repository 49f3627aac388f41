"""Benchmark: the scratch folder a whole mine fills while it runs (the tables' parts, :mod:`churnlab.mine.spool`).

    python benchmarks/bench_scratch.py REPO [REPO ...]

Each repository is mined in this process with every table written to a temporary folder, twice: with the parts
lz4-compressed (the default) and uncompressed. The scratch folder is measured just before the tables are
written, where it is largest; the Parquet files written are measured after. Prints a markdown table.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import churnlab.mine as M
from bench_peaks import label, repositories
from churnlab.mine import spool


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def mine_measured(repo: Path) -> tuple[float, float, int]:
    """(scratch MB at its largest, Parquet MB written, commits) of one mine."""
    seen: list[float] = []
    write_all = M._write_all

    def measured(made, *args, **kw):
        scratch = next(rows.folder.parent for rows in made.values() if isinstance(rows, spool.Spool))
        seen.append(folder_mb(scratch))
        return write_all(made, *args, **kw)

    M._write_all = measured
    try:
        with tempfile.TemporaryDirectory(prefix="bench-scratch-") as out:
            result = M.mine(repo, out, name="bench", salt="benchmark-salt")
            return seen[0], folder_mb(Path(out)), result.scan("commits").select("sha").collect().height
    finally:
        M._write_all = write_all


def main() -> int:
    print("| repository | commits | scratch, lz4 | scratch, uncompressed | Parquet written |")
    print("|---|---|---|---|---|")
    for repo in repositories(__doc__):
        sizes = {}
        for compression in ("lz4", "uncompressed"):
            spool.COMPRESSION = compression
            sizes[compression], written, commits = mine_measured(repo)
        spool.COMPRESSION = "lz4"
        print(f"| {label(repo)} | {commits:,} | {sizes['lz4']:.0f} MB | {sizes['uncompressed']:.0f} MB | {written:.0f} MB |",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
