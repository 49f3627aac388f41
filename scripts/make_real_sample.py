"""Cut a mined study down to the committed real-data sample (``datasets/real_sample``).

    churnlab study mine datasets/real_sample/manifest.csv --out build/real_sample_full --workers 2 --salt "$SALT"
    python scripts/make_real_sample.py build/real_sample_full --manifest datasets/real_sample/manifest.csv \
        --out datasets/real_sample

The miner runs on each repository's whole history (line births, churn, reverts and adoption dates need it);
this script keeps what the notebooks read, restricted to commits authored on or after ``--since``:

* ``commits``, ``churn``, ``revert_flags``, ``line_ops``: rows of commits authored in the window;
* ``reverts``: rows whose reverting commit is in the window;
* ``signals``: rows in the window; ``adoption``: every row (dates come from the whole history);
* ``survival``: yearly cohorts sampled in the window (quarterly cohorts left out);
* ``file_changes`` is dropped (paths and blob ids of every file: the largest table, read by no notebook).

Every file keeps its table schema and its mining provenance, with the cut recorded under ``sample`` and the
repository's public URL. The script refuses a dataset holding author names, emails or messages. Row counts and
sizes are printed for the data card. It writes only the tables it keeps; delete the output folder first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import polars as pl

from churnlab import io
from churnlab.errors import ChurnlabError, DataError
from churnlab.study import read_manifest

KEPT = ("commits", "churn", "revert_flags", "reverts", "signals", "adoption", "survival", "line_ops")
PRIVATE = ("author_name", "author_email", "message")


def cut(table: str, df: pl.DataFrame, shas: pl.Series, since: dt.datetime) -> pl.DataFrame:
    """The rows of one repository's ``table`` that belong to the window."""
    if table in ("commits", "revert_flags", "signals"):
        return df.filter(pl.col("author_time") >= since)
    if table in ("churn", "line_ops"):
        return df.filter(pl.col("sha").is_in(shas.implode()))
    if table == "reverts":
        return df.filter(pl.col("reverting_time") >= since)
    if table == "survival":
        return df.filter(pl.col("granularity") == "year", pl.col("sample_time") >= since)
    return df  # adoption


def make_sample(mined: Path, out: Path, since: dt.datetime, names: list[str]) -> pl.DataFrame:
    rows = []
    for name in names:
        path = io.table_path(mined, "commits", name)
        if not path.is_file():
            raise DataError(f"{name} is in the manifest but not mined under {mined}; run churnlab study mine again")
        commits = io.read_table(path, "commits")
        leaked = [c for c in PRIVATE if commits[c].null_count() != commits.height]
        if leaked:
            raise DataError(f"{path} holds {leaked}; mine without --include-identities/--include-messages")
        shas = commits.filter(pl.col("author_time") >= since)["sha"]
        for table in KEPT:
            source = path.parent.parent / table / path.name
            df = io.read_table(source, table)
            prov = io.read_provenance(source)
            repo = prov["repo"]
            prov = {k: v for k, v in prov.items() if k not in ("table", "schema_version")}
            prov["url"] = f"https://github.com/{repo}"
            prov["sample"] = dict(since=since.isoformat(), rows_mined=df.height,
                                  script="scripts/make_real_sample.py", quarterly_survival=False)
            kept = cut(table, df, shas, since)
            target = io.write_table(kept, table, io.table_path(out, table, repo), prov, compact=True)
            rows.append(dict(repo=repo, table=table, rows_mined=df.height, rows=kept.height,
                             bytes=target.stat().st_size))
    return pl.DataFrame(rows)


def card_table(out: Path, manifest: Path) -> str:
    """The data card's repository table (markdown): URL, role, head, window, rows, adoption dates."""
    roles = dict((r.name, r.role) for r in read_manifest(manifest))
    lines = ["| repository | role | head | commits in sample (mined) | first / last author date in sample | "
             "first_any / first_config |", "|---|---|---|---|---|---|"]
    for name in roles:
        path = io.table_path(out, "commits", name)
        prov = io.read_provenance(path)
        c = io.read_table(path)
        a = io.read_table(io.table_path(out, "adoption", name)).filter(pl.col("level") == "repo").row(0, named=True)
        day = lambda t: t.date().isoformat() if t is not None else "none"  # noqa: E731
        lines.append(f"| [{name}]({prov['url']}) | {roles[name]} | `{prov['head']}` | {c.height:,} "
                     f"({prov['sample']['rows_mined']:,}) | {day(c['author_time'].min())} / {day(c['author_time'].max())} "
                     f"| {day(a['first_any_time'])} / {day(a['first_config_time'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mined", type=Path, help="dataset folder written by churnlab study mine")
    p.add_argument("--manifest", type=Path, required=True, help="the sample's manifest: the repositories kept")
    p.add_argument("--out", type=Path, required=True, help="sample folder to write (e.g. datasets/real_sample)")
    p.add_argument("--since", default="2020-01-01", help="first author date kept, UTC (default 2020-01-01)")
    args = p.parse_args(argv)
    written = [t for t in KEPT if any((args.out / t).glob("*.parquet"))]
    if written:
        print(f"make_real_sample: {args.out} already holds tables {written}; delete them first", file=sys.stderr)
        return 2
    since = dt.datetime.fromisoformat(args.since).replace(tzinfo=dt.timezone.utc)
    try:
        names = [row.name for row in read_manifest(args.manifest)]
        report = make_sample(args.mined, args.out, since, names)
    except ChurnlabError as exc:
        print(f"make_real_sample: {exc}", file=sys.stderr)
        return 1
    with pl.Config(tbl_rows=100, tbl_cols=10):
        print(report.group_by("table").agg(pl.col("rows_mined", "rows", "bytes").sum()).sort("bytes", descending=True))
        print(report.group_by("repo").agg(commits=pl.col("rows").filter(pl.col("table") == "commits").sum(),
                                          bytes=pl.col("bytes").sum()).sort("repo"))
    print(f"total {report['bytes'].sum() / 1e6:.2f} MB in {args.out}")
    print(card_table(args.out, args.manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
