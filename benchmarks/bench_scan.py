"""Scanning a study of thousands of repositories: one file per repository against one file for all.

Usage::

    python benchmarks/bench_scan.py [--repos 2000] [--commits 200]

Writes a synthetic ``commits`` table for ``--repos`` repositories (``--commits`` rows each) through
``churnlab.io.write_table``, one file per repository as a study does, and the same rows as one file (the
baseline). It then times three queries through ``churnlab.io.scan_table`` against the same queries on the
single file: a count, a per-repository aggregate, and a filter on one repository (which only has to read one
file's rows). It prints the times and their ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import polars as pl

from churnlab import io, schemas


def synthetic_commits(repo: str, n: int, rng: np.random.Generator) -> pl.DataFrame:
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    added = rng.integers(0, 200, n)
    return pl.DataFrame({
        "repo": [repo] * n,
        "sha": [f"{k:040x}" for k in range(n)],  # the key is (repo, sha)
        "parents": [[] for _ in range(n)],
        "is_merge": [False] * n,
        "on_first_parent": [True] * n,
        "author_id": [f"{k % 7:016x}" for k in range(n)],
        "committer_id": [f"{k % 7:016x}" for k in range(n)],
        "author_time": [start] * n,
        "author_tz_offset_min": [0] * n,
        "committer_time": [start] * n,
        "is_bot": [False] * n,
        "files_changed": [1] * n,
        "lines_added": added,
        "lines_deleted": rng.integers(0, 100, n),
        "author_name": [None] * n,
        "author_email": [None] * n,
        "message": [None] * n,
    }, schema_overrides={"parents": pl.List(pl.String), "author_name": pl.String, "author_email": pl.String,
                         "message": pl.String})


def timed(query) -> tuple[float, object]:
    started = time.perf_counter()
    result = query()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--commits", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        out, single = Path(tmp) / "study", Path(tmp) / "single.parquet"
        frames = []
        started = time.perf_counter()
        for k in range(args.repos):
            frame = synthetic_commits(f"org/repo{k:05d}", args.commits, rng)
            io.write_table(frame, "commits", io.table_path(out, "commits", f"org/repo{k:05d}"), {"repo": f"org/repo{k:05d}"})
            frames.append(frame)
        write_s = time.perf_counter() - started
        pl.concat(frames).write_parquet(single)
        print(f"{args.repos} repositories x {args.commits} commits written in {write_s:.1f} s "
              f"({write_s / args.repos * 1000:.1f} ms per file)")
        schema = pl.Schema(pl.from_arrow(schemas.COMMITS.arrow_schema().empty_table()).schema)
        queries = {
            "count rows": lambda lf: lf.select(pl.len()).collect().item(),
            "lines added per repository": lambda lf: lf.group_by("repo").agg(pl.col("lines_added").sum()).collect().height,
            "one repository's commits": lambda lf: lf.filter(pl.col("repo") == "org/repo01234").select(pl.len()).collect().item(),
        }
        for label, query in queries.items():
            scan_s, a = timed(lambda: query(io.scan_table(out, "commits")))
            one_s, b = timed(lambda: query(pl.scan_parquet(single, schema=schema)))
            assert a == b, (label, a, b)
            print(f"{label:<28} scan_table over {args.repos} files {scan_s:6.2f} s; one file {one_s:6.2f} s; "
                  f"ratio {scan_s / one_s:5.1f}x; result {a}")


if __name__ == "__main__":
    main()
