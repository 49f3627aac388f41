"""Raw commit metadata (author name and email, message) for stages that read it.

An incremental run reloads the stored ``commits`` rows, whose private columns (``_name``, ``_email``,
``_message``) come back as nulls. Stages that need them call :func:`with_raw`, which fills the gaps from one
streaming ``git log`` (no diffs, so it is cheap) and leaves complete frames untouched.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from .history import _decode, _records

__all__ = ["with_raw"]

_FORMAT = "%x1e%H%x1f%aN%x1f%aE%x1f%B%x1f"


def with_raw(ctx, columns: Iterable[str] | None = None) -> pl.DataFrame:
    """``ctx.commits`` (only ``columns``, if given: they must include ``sha`` and ``_message``) with ``_name``,
    ``_email`` and ``_message`` filled for every commit (those of them that it has)."""
    commits = ctx.commits if columns is None else ctx.commit_columns(*columns)
    if commits.height == 0 or commits["_message"].null_count() == 0:
        return commits
    repo = ctx.repo
    args = [*repo.mailmap_args(), "log", "--no-abbrev", "-z", f"--format={_FORMAT}", repo.head, "--"]
    if ctx.options.first_parent:
        args.insert(args.index("log") + 1, "--first-parent")
    found: dict[str, tuple[str, str, str]] = {}
    for record in _records(repo.stream(args)):
        sha, name, email, body = record.rstrip(b"\0\n").split(b"\x1f", 3)
        found[sha.decode()] = (_decode(name), _decode(email), _decode(body.rstrip(b"\x1f").rstrip(b"\n")))
    shas = commits["sha"].to_list()
    fill = {col: [found.get(s, (None, None, None))[i] for s in shas] for i, col in enumerate(("_name", "_email", "_message"))}
    return commits.with_columns(
        [pl.coalesce(pl.col(c), pl.Series(c, v, dtype=pl.String)).alias(c) for c, v in fill.items()
         if c in commits.columns])
