"""Build datasets/manifests/cursor_study.csv from the Cursor study's released data.

Usage::

    python scripts/make_cursor_manifest.py DATA_DIR [--out datasets/manifests/cursor_study.csv]

DATA_DIR holds the study's ``repo_metrics.csv``, ``ts_repos_monthly.csv``, ``ts_repos_control_monthly.csv``
and ``panel_event_monthly.csv`` (hehao98/CursorStudy, commit 889c09a, folder ``data/``).

Roles: a repository is ``treated`` if it is in the treated sources (``ts_repos_monthly.csv`` or
``repo_metrics.csv``), else ``control``. Three repositories are in both the treated and the control time
series; they have a Cursor adoption time in ``repo_metrics.csv``, so they are listed once, as treated, with a
note. ``adoption`` is ``cursor_adoption_time`` from ``repo_metrics.csv`` (UTC assumed: the file gives no zone).
``notes`` lists the files that name the repository and the panel's adoption month (``event``).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import polars as pl

SOURCES = {
    "repo_metrics": "repo_metrics.csv",
    "ts_treated": "ts_repos_monthly.csv",
    "ts_control": "ts_repos_control_monthly.csv",
    "panel": "panel_event_monthly.csv",
}


def build(data: Path) -> pl.DataFrame:
    read = {k: pl.read_csv(data / f, infer_schema_length=0) for k, f in SOURCES.items()}
    names = {k: set(df["repo_name"]) for k, df in read.items()}
    adoption = dict(read["repo_metrics"].select("repo_name", "cursor_adoption_time").iter_rows())
    event = dict(read["panel"].filter(pl.col("event").is_not_null()).group_by("repo_name")
                 .agg(pl.col("event").first()).iter_rows())
    rows = []
    for repo in sorted(set().union(*names.values())):
        treated = repo in names["ts_treated"] or repo in names["repo_metrics"]
        notes = ["in " + "+".join(k for k in SOURCES if repo in names[k])]
        if treated and repo in names["ts_control"]:
            notes.append("also in the control time series (a duplicate in the released data); treated here "
                         "because repo_metrics.csv gives its Cursor adoption")
        if treated and not adoption.get(repo):
            notes.append("no cursor_adoption_time in repo_metrics.csv")
        if repo in event:
            notes.append(f"panel event {event[repo]}")
        when = adoption.get(repo) if treated else None
        rows.append(dict(repo=f"https://github.com/{repo}", name=repo, role="treated" if treated else "control",
                         adoption=f"{when}Z" if when else "", notes="; ".join(notes)))
    return pl.DataFrame(rows).sort("role", "name", descending=[True, False])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="folder with the study's released CSV files")
    parser.add_argument("--out", type=Path, default=Path("datasets/manifests/cursor_study.csv"))
    args = parser.parse_args()
    frame = build(args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["repo", "name", "role", "adoption", "notes"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(frame.iter_rows(named=True))
    counts = frame.group_by("role").len().sort("role").iter_rows()
    print(f"wrote {args.out}: {frame.height} repositories ({', '.join(f'{n} {r}' for r, n in counts)})")


if __name__ == "__main__":
    main()
