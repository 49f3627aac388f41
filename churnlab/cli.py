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


def _cmd_mine(args: argparse.Namespace) -> int:
    from .mine import mine

    if args.name and len(args.source) > 1:
        raise ChurnlabError("--name applies to one repository; mine several repositories one --name at a time")
    for source in args.source:
        update, close = _progress(str(source))
        try:
            result = mine(source, args.out, name=args.name, rev=args.rev, first_parent=args.first_parent,
                          find_copies=args.find_copies, include_identities=args.include_identities,
                          include_messages=args.include_messages, salt=args.salt, incremental=not args.full,
                          moves_churn=args.moves_churn, bulk_lines=args.bulk_lines,
                          survival_sample_days=args.survival_sample_days, on_progress=update)
        finally:
            close()
        print(result.summary())
        if args.out:
            print(f"  wrote {len(result.paths)} tables under {args.out}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .mine import mine

    out = os.path.join(args.out, "self")
    print("churnlab demo: mining this project's own history (no network)")
    result = mine(args.source, out, name="churnlab")
    print(result.summary())
    print(f"tables written under {out}/")
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
    m.add_argument("--rev", default="HEAD", help="head to mine from (default: HEAD)")
    m.add_argument("--first-parent", action="store_true", help="follow the first-parent chain only")
    m.add_argument("--find-copies", action="store_true", help="detect copies as well as renames (git -C)")
    m.add_argument("--include-identities", action="store_true", help="also write raw author names and emails")
    m.add_argument("--include-messages", action="store_true", help="also write commit messages")
    m.add_argument("--salt", help="pseudonymisation salt (default: $CHURNLAB_SALT or one kept in the cache)")
    m.add_argument("--full", action="store_true", help="mine everything again instead of only new commits")
    m.add_argument("--moves-churn", action="store_true", help="count moved lines as churn (off by default)")
    m.add_argument("--bulk-lines", type=int, default=5000,
                   help="flag commits with more meaningful changed lines than this as bulk (default 5000)")
    m.add_argument("--survival-sample-days", type=int, default=30,
                   help="days between survival samples (default 30)")
    m.set_defaults(func=_cmd_mine)

    d = sub.add_parser("demo", help="the embedded default job (no network)")
    d.add_argument("--out", default="reports", help="output folder (default: reports)")
    d.add_argument("--source", default=".", help=argparse.SUPPRESS)
    d.set_defaults(func=_cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="churnlab: %(levelname)s: %(message)s", stream=sys.stderr)
    try:
        return args.func(args)
    except ChurnlabError as exc:
        print(f"churnlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("churnlab: interrupted; tables already written are intact", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
