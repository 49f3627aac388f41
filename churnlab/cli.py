"""The command line: parses arguments, calls the library, prints. The only place that prints or exits.

Option names are the library's parameter names (``--first-parent`` is ``first_parent=``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from . import __version__
from .errors import ChurnlabError

__all__ = ["main"]


def _progress(desc: str):
    """A commits/s progress bar on an interactive terminal; nothing in CI or when output is redirected."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=" commits", file=sys.stderr, leave=False, mininterval=0.2)
    return bar.update, bar.close


def _mining_options(p: argparse.ArgumentParser) -> None:
    """Options of the mine() call, shared by `mine` and `study mine` (names are mine()'s parameters)."""
    p.add_argument("--rev", default="HEAD", help="head to mine from (default: HEAD)")
    p.add_argument("--first-parent", action="store_true", help="follow the first-parent chain only")
    p.add_argument("--find-copies", action="store_true", help="detect copies as well as renames (git -C)")
    p.add_argument("--include-identities", action="store_true", help="also write raw author names and emails")
    p.add_argument("--include-messages", action="store_true", help="also write commit messages")
    p.add_argument("--salt", help="pseudonymisation salt (default: $CHURNLAB_SALT or one kept in the cache)")
    p.add_argument("--full", action="store_true", help="mine everything again instead of only new commits")
    p.add_argument("--tables", help="comma-separated tables to produce (default: all); commits and file_changes always")
    p.add_argument("--markers", help="AI-marker registry CSV (default: the packaged ai_markers.csv)")
    p.add_argument("--moves-churn", action="store_true", help="count moved lines as churn (off by default)")
    p.add_argument("--bulk-lines", type=int, default=5000,
                   help="flag commits with more meaningful changed lines than this as bulk (default 5000)")
    p.add_argument("--survival-sample-days", type=int, default=30, help="days between survival samples (default 30)")
    p.add_argument("--duplicate-blocks", choices=("tree", "commit"), default="tree",
                   help="look for repeats of added 5-line blocks in the tree at the parent and the commit (default), "
                        "or in the commit only")
    p.add_argument("--copy-paste-hours", type=int, default=0,
                   help="also count as copy_pasted a line the same author added in another commit within this "
                        "many hours (24: GitClear 2024; default 0, off)")


def _mining_kwargs(args: argparse.Namespace) -> dict:
    return dict(rev=args.rev, first_parent=args.first_parent, find_copies=args.find_copies,
                include_identities=args.include_identities, include_messages=args.include_messages,
                salt=args.salt, incremental=not args.full, tables=args.tables.split(",") if args.tables else None,
                markers=args.markers, moves_churn=args.moves_churn, bulk_lines=args.bulk_lines,
                 survival_sample_days=args.survival_sample_days, duplicate_blocks=args.duplicate_blocks,
                 copy_paste_hours=args.copy_paste_hours)


def _cmd_mine(args: argparse.Namespace) -> int:
    from .mine import mine

    if args.name and len(args.source) > 1:
        raise ChurnlabError("--name applies to one repository; mine several repositories one --name at a time")
    for source in args.source:
        update, close = _progress(str(source))
        try:
            result = mine(source, args.out, name=args.name, on_progress=update, **_mining_kwargs(args))
        finally:
            close()
        print(result.summary())
        if args.out:
            print(f"  wrote {len(result.paths)} tables under {args.out}")
    return 0


def _print_headline(headline) -> None:
    import polars as pl

    with pl.Config(tbl_rows=50, tbl_cols=20, float_precision=4, tbl_hide_dataframe_shape=True,
                   tbl_hide_column_data_types=True, tbl_width_chars=160):
        print(headline)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    print("churnlab demo: a simulated AI-adoption study, end to end (no network)", flush=True)
    result = run_demo(args.out, n_repos=args.n_repos, workers=args.workers, seed=args.seed,
                      on_step=lambda msg: print(f"  {msg}", flush=True))
    print("\nHeadline: each estimator's overall effect and 95% interval beside the true effect")
    _print_headline(result.headline.select("outcome", "true_att", "estimator", "estimate", "ci_low", "ci_high",
                                           "covers_truth"))
    print(f"\nOpen {result.report} in a browser; figures: {result.report.parent}/*.png")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .analysis import analyse, write_analysis

    analysis = analyse(args.dataset, rule=args.rule, outcomes=args.outcomes.split(","))
    report = write_analysis(analysis, args.out, title=f"churnlab report: {args.dataset}")
    _print_headline(analysis.headline)
    print(f"wrote {report} and {len(analysis.figures)} figures")
    return 0


def _cmd_study_mine(args: argparse.Namespace) -> int:
    from .study import mine_study

    def show(record: dict) -> None:
        nonlocal finished
        finished += 1
        if record["state"] == "done":
            print(f"[{finished}] done {record['name']}: {record['commits']} commits in {record['seconds']:.1f} s, "
                  f"peak {record['peak_rss_mb']} MB", flush=True)
        else:
            print(f"[{finished}] FAILED {record['name']} (manifest line {record['line']}): {record['error']}", flush=True)

    finished = 0
    status = mine_study(args.manifest, args.out, workers=args.workers, executor=args.executor,
                        scheduler=args.scheduler, refresh=args.refresh, on_record=show, **_mining_kwargs(args))
    print(status.summary())
    return 0 if status.complete else 1


def _cmd_study_status(args: argparse.Namespace) -> int:
    from .study import study_status

    status = study_status(args.out)
    print(status.summary(max_failures=args.max_failures))
    return 0 if status.complete else 1


def _cmd_validate(args: argparse.Namespace) -> int:
    from .study import validate_dataset

    problems = validate_dataset(args.out)
    for problem in problems:
        print(f"invalid: {problem}")
    print(f"{args.out}: " + ("ok" if not problems else f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"))
    return 1 if problems else 0


def _cmd_signals(args: argparse.Namespace) -> int:
    from .mine.signals import scan

    result = scan(args.source, name=args.name, markers=args.markers, rev=args.rev, first_parent=args.first_parent,
                  salt=args.salt)
    print(result.summary())
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="churnlab", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"churnlab {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = p.add_subparsers(dest="command", required=True)

    m = sub.add_parser("mine", help="mine repositories (paths or URLs) into Parquet tables")
    m.add_argument("source", nargs="+", help="local checkout, bare repository or URL")
    m.add_argument("--out", required=True, help="dataset folder (tables go to OUT/<table>/<repo>.parquet)")
    m.add_argument("--name", help="repository name to record (default: from the URL or origin remote)")
    _mining_options(m)
    m.set_defaults(func=_cmd_mine)

    st = sub.add_parser("study", help="mine many repositories listed in a manifest; resumable")
    st_sub = st.add_subparsers(dest="study_command", required=True)
    sm = st_sub.add_parser("mine", help="mine every repository of a manifest (re-run to retry failures)")
    sm.add_argument("manifest", help="CSV with columns repo,name,role,adoption,notes")
    sm.add_argument("--out", required=True, help="dataset folder or fsspec URL (memory://, s3://, ...)")
    sm.add_argument("--workers", type=int, default=1, help="worker processes of the local pool (default: 1)")
    sm.add_argument("--executor", default="local", choices=["local", "serial", "dask"],
                    help="local process pool (default), serial (in this process), or a Dask cluster")
    sm.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (with --executor dask)")
    _mining_options(sm)
    sm.add_argument("--refresh", action="store_true", help="mine every repository again, not only failed and missing ones")
    sm.set_defaults(func=_cmd_study_mine)
    ss = st_sub.add_parser("status", help="progress and failures of a study")
    ss.add_argument("out", help="the study's dataset folder")
    ss.add_argument("--max-failures", type=int, default=20, help="failures to list (default: 20)")
    ss.set_defaults(func=_cmd_study_status)

    v = sub.add_parser("validate", help="check every table of a dataset: schemas and provenance across repositories")
    v.add_argument("out", help="dataset folder or fsspec URL")
    v.set_defaults(func=_cmd_validate)

    s = sub.add_parser("signals", help="print the AI-adoption summary of one repository (mined in memory)")
    s.add_argument("source", help="local checkout, bare repository or URL")
    s.add_argument("--name", help="repository name to show (default: from the URL or origin remote)")
    s.add_argument("--markers", help="AI-marker registry CSV (default: the packaged ai_markers.csv)")
    s.add_argument("--rev", default="HEAD", help="head to read from (default: HEAD)")
    s.add_argument("--first-parent", action="store_true", help="follow the first-parent chain only")
    s.add_argument("--salt", help="pseudonymisation salt (default: $CHURNLAB_SALT or one kept in the cache)")
    s.set_defaults(func=_cmd_signals)

    d = sub.add_parser("demo", help="the embedded default study: simulate, mine, estimate, report (no network)")
    d.add_argument("--out", default="reports/demo", help="output folder (default: reports/demo)")
    d.add_argument("--n-repos", type=int, default=40, help="simulated repositories (default: 40)")
    d.add_argument("--workers", type=int, default=2, help="mining processes (default: 2)")
    d.add_argument("--seed", type=int, default=2026, help="simulation seed (default: 2026)")
    d.set_defaults(func=_cmd_demo)

    r = sub.add_parser("report", help="panel, estimators, figures and an HTML report for a mined dataset")
    r.add_argument("dataset", help="dataset folder written by churnlab mine / study mine")
    r.add_argument("--out", default="reports/report", help="report folder (default: reports/report)")
    r.add_argument("--rule", default="first_any", choices=["first_any", "first_config", "first_trailer"],
                   help="adoption rule (default: first_any)")
    r.add_argument("--outcomes", default="new_code_churn,revert_rate", help="comma-separated panel outcomes")
    r.set_defaults(func=_cmd_report)
    return p


# polars' allocator (jemalloc, as polars configures it when it loads) keeps freed pages for half a second to a
# second; a mine frees and makes per-commit columns stage after stage, so its peak would carry the leftovers of
# the stages just before (tens of MB on a long history). The command line owns its process: it asks for freed
# pages to go back at once, at no measurable cost in time (docs/line-provenance.md, "Memory"), unless the
# variable is set already. Read when polars loads: a library call (churnlab.mine in a notebook) leaves the
# process's allocator alone.
ALLOCATOR = ("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")


def main(argv: Sequence[str] | None = None) -> int:
    if "polars" not in sys.modules:
        os.environ.setdefault(*ALLOCATOR)
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="churnlab: %(levelname)s: %(message)s", stream=sys.stderr)
    try:
        return args.func(args)
    except ChurnlabError as exc:
        print(f"churnlab: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`: not an error
        return 0
    except OSError as exc:  # disk full, permissions, a vanished file: the system's words, no traceback
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"churnlab: error: {exc.strerror or exc}{where}; check the path and free space, then run again",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("churnlab: interrupted; tables already written are intact", file=sys.stderr)
        return 130
