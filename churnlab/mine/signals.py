"""AI-adoption signals from git history alone (spec section 5).

Every marker comes from the registry (:mod:`churnlab.mine.markers`). Two tables:

``signals``
    one row per commit and signal: a trailer line, a message text or the author identity that names an AI
    tool (kinds ``trailer``, ``message``, ``identity``), or an event on a marker path (kind ``path``:
    ``added``, ``modified``, ``deleted``, ``moved``). Path events come from the whole history (every
    non-merge commit, side branches included), so markers that were added and later deleted or moved count.
``adoption``
    one row per repository (``level = "repo"``, always present: a repository without signals has null
    dates) and one per author with at least one signal (``level = "author"``), with the adoption date under
    each rule:

    - ``first_config``: the first commit that adds, edits or moves in a marker path;
    - ``first_trailer``: the first commit attributed to an AI tool by the commit itself (a trailer, a
      message text such as ``Generated with [Claude Code]``, or an agent author identity);
    - ``first_any`` (the default treatment): the earlier of the two.

    Dates are author times; "first" is the earliest author time (ties: smallest sha). Treatment is
    absorbing: later removals do not undo it, they are recorded (``markers_removed``, ``config_at_head``,
    ``config_abandoned``, ``last_signal_time``).

Invisible adoption exists (squash merges drop trailers, some agents leave no trace), so "no signal" means
"no visible signal", not "no AI use".
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .markers import Registry, load_markers
from .raw import with_raw

__all__ = ["SignalsResult", "adoption_table", "commit_signals", "path_signals", "scan", "signals_stage"]

log = logging.getLogger(__name__)

COMMIT_KINDS = ("trailer", "message", "identity")
EVENTS = {"add": "added", "copy": "added", "modify": "modified", "type_change": "modified",
          "delete": "deleted", "rename": "moved"}
RULES = ("first_config", "first_trailer", "first_any")

_COMMIT_TYPES = {"sha": pl.String, "author_id": pl.String, "author_time": pl.Datetime("us", "UTC"),
                 "is_bot": pl.Boolean, "_name": pl.String, "_email": pl.String, "_message": pl.String}
_FILE_COLUMNS = ("sha", "path", "old_path", "change_type")
_SIGNAL_SCHEMA = {"sha": pl.String, "kind": pl.String, "tool": pl.String, "event": pl.String,
                  "path": pl.String, "old_path": pl.String, "present_after": pl.Boolean, "pattern": pl.String}


def commit_signals(commits: pl.DataFrame, registry: Registry) -> pl.DataFrame:
    """Trailer, message and identity signals: one row per commit, kind and tool (first matching pattern)."""
    trailers, messages, identities = (registry.of_kind(k) for k in COMMIT_KINDS)
    rows = []
    for sha, name, email, msg in commits.select("sha", "_name", "_email", "_message").iter_rows():
        msg = msg or ""
        found: dict[tuple[str, str], str] = {}
        lines = [ln.strip() for ln in msg.splitlines()] if trailers else []
        for m in trailers:
            if ("trailer", m.tool) not in found and any(m.regex.search(ln) for ln in lines):
                found["trailer", m.tool] = m.pattern
        for m in messages:
            if ("message", m.tool) not in found and m.regex.search(msg):
                found["message", m.tool] = m.pattern
        who = f"{name or ''} <{email or ''}>"
        for m in identities:
            if ("identity", m.tool) not in found and m.regex.search(who):
                found["identity", m.tool] = m.pattern
        rows.extend((sha, kind, tool, None, None, None, None, pattern) for (kind, tool), pattern in found.items())
    return pl.DataFrame(rows, schema=_SIGNAL_SCHEMA, orient="row")


def path_signals(files: pl.DataFrame, registry: Registry) -> pl.DataFrame:
    """Events on marker paths: one row per file change and tool whose marker the old or new path matches."""
    cache: dict[str, dict[str, str]] = {}

    def tools(path: str | None) -> dict[str, str]:
        if path is None:
            return {}
        if path not in cache:
            cache[path] = {m.tool: m.pattern for m in registry.path_matches(path)}
        return cache[path]

    rows = []
    for sha, path, old_path, change in files.select("sha", "path", "old_path", "change_type").iter_rows():
        event = EVENTS.get(change, "modified")
        new_tools = {} if event == "deleted" else tools(path)
        old_tools = tools(path if event == "deleted" else old_path if event == "moved" else None)
        for tool in sorted(set(new_tools) | set(old_tools)):
            present = tool in new_tools
            pattern = new_tools.get(tool) or old_tools[tool]
            rows.append((sha, "path", tool, event, path, old_path if event == "moved" else None, present, pattern))
    return pl.DataFrame(rows, schema=_SIGNAL_SCHEMA, orient="row")


def _first(frame: pl.DataFrame, by: list[str], prefix: str) -> pl.DataFrame:
    """Earliest (author time, sha) per group, as ``<prefix>_time`` and ``<prefix>_sha``."""
    return (frame.sort("author_time", "sha").group_by(by, maintain_order=True)
            .agg(pl.col("author_time").first().alias(f"{prefix}_time"), pl.col("sha").first().alias(f"{prefix}_sha")))


def adoption_table(signals: pl.DataFrame, commits: pl.DataFrame, *, config_at_head: bool | None) -> pl.DataFrame:
    """Adoption dates by rule, tools and removals: one repository row, then one row per signalled author.

    ``signals`` needs ``sha, author_id, author_time, kind, tool, present_after``; ``commits`` needs
    ``author_id`` and ``is_bot``.
    """
    s = signals.with_columns(
        is_config=(pl.col("kind") == "path") & pl.col("present_after").fill_null(False),
        is_removal=(pl.col("kind") == "path") & ~pl.col("present_after").fill_null(True),
        is_commit_level=pl.col("kind").is_in(COMMIT_KINDS),
    ).with_columns(is_use=pl.col("is_config") | pl.col("is_commit_level"))
    levels = []
    for level, by in (("repo", []), ("author", ["author_id"])):
        grouped = s.with_columns(_unit=pl.lit(0)) if not by else s
        keys = by or ["_unit"]
        base = (grouped.filter(pl.col("is_use")).group_by(keys)
                .agg(pl.col("tool").unique().sort().alias("tools"),
                     pl.col("sha").filter(pl.col("is_commit_level")).n_unique().cast(pl.Int64).alias("n_signal_commits"),
                     pl.col("is_config").sum().cast(pl.Int64).alias("n_config_events"),
                     pl.col("author_time").max().alias("last_signal_time")))
        if not by:  # the repository row exists even without signals
            base = pl.DataFrame({"_unit": [0]}).join(base, on="_unit", how="left")
        for prefix, flag in (("first_config", "is_config"), ("first_trailer", "is_commit_level"), ("first_any", "is_use")):
            base = base.join(_first(grouped.filter(pl.col(flag)), keys, prefix), on=keys, how="left")
        removals = (grouped.filter(pl.col("is_removal")).group_by(keys)
                    .agg(pl.col("author_time").max().alias("last_removal_time")))
        base = base.join(removals, on=keys, how="left").with_columns(
            markers_removed=pl.col("last_removal_time").is_not_null()
            & pl.col("first_config_time").is_not_null()
            & (pl.col("last_removal_time") >= pl.col("first_config_time")),
            level=pl.lit(level),
        )
        if by:
            bots = commits.group_by("author_id").agg(pl.col("is_bot").any())
            base = base.join(bots, on="author_id", how="left").with_columns(
                config_at_head=pl.lit(None, pl.Boolean), config_abandoned=pl.lit(None, pl.Boolean))
        else:
            base = base.with_columns(
                author_id=pl.lit(None, pl.String), is_bot=pl.lit(None, pl.Boolean),
                config_at_head=pl.lit(config_at_head, pl.Boolean),
            ).with_columns(config_abandoned=pl.col("first_config_time").is_not_null() & ~pl.col("config_at_head"))
        levels.append(base.with_columns(
            tools=pl.col("tools").fill_null([]),
            n_signal_commits=pl.col("n_signal_commits").fill_null(0),
            n_config_events=pl.col("n_config_events").fill_null(0)))
    cols = ["level", "author_id", "is_bot", *(f"{r}_{x}" for r in RULES for x in ("time", "sha")), "tools",
            "n_signal_commits", "n_config_events", "last_signal_time", "markers_removed", "last_removal_time",
            "config_at_head", "config_abandoned"]
    return (pl.concat([lv.select(cols) for lv in levels], how="vertical_relaxed")
            .sort(pl.col("level") != "repo", "author_id", nulls_last=False))


def _head_markers(ctx, registry: Registry) -> list[str]:
    if ctx.repo.head is None:
        return []
    names = ctx.repo.git(["ls-tree", "-r", "-z", "--name-only", ctx.repo.head]).split(b"\0")
    paths = (n.decode("utf-8", "backslashreplace") for n in names if n)
    return sorted(p for p in paths if registry.path_matches(p))


def _registry(ctx) -> Registry:
    if "marker_registry" not in ctx.extras:
        ctx.extras["marker_registry"] = load_markers(getattr(ctx.options, "markers", None))
    return ctx.extras["marker_registry"]


def signals_stage(ctx) -> dict[str, pl.DataFrame]:
    """Pipeline stage: the ``signals`` and ``adoption`` tables."""
    registry = _registry(ctx)
    # only the columns it reads (an empty history has untyped columns)
    commits = with_raw(ctx, _COMMIT_TYPES).cast(_COMMIT_TYPES, strict=False)
    files = ctx.file_columns(*_FILE_COLUMNS).cast({c: pl.String for c in _FILE_COLUMNS}, strict=False)
    found = pl.concat([commit_signals(commits, registry), path_signals(files, registry)])
    found = (found.join(commits.select("sha", "author_id", "author_time"), on="sha", how="left")
             .sort("author_time", "sha", "kind", "tool", "path", nulls_last=True))
    head = _head_markers(ctx, registry)
    ctx.extras["head_markers"] = head
    adoption = adoption_table(found, commits, config_at_head=bool(head))
    repo = pl.lit(ctx.repo.name)
    return {"signals": found.with_columns(repo=repo), "adoption": adoption.with_columns(repo=repo)}


@dataclass
class SignalsResult:
    """What :func:`scan` found in one repository; ``summary()`` is the text ``churnlab signals`` prints."""

    repo: str
    commits: int
    signals: pl.DataFrame
    adoption: pl.DataFrame
    head_markers: list[str]

    def summary(self) -> str:
        repo_row = self.adoption.filter(pl.col("level") == "repo").row(0, named=True)
        commit_level = self.signals.filter(pl.col("kind").is_in(COMMIT_KINDS))
        n_ai = commit_level["sha"].n_unique()
        share = f" ({100 * n_ai / self.commits:.1f}%)" if self.commits else ""
        out = [f"{self.repo}: {self.commits} commits, {n_ai} AI-signalled{share}, "
               f"{self.signals.filter(pl.col('kind') == 'path').height} marker-file events"]
        if not self.signals.height:
            out.append("  no visible AI signal (squash merges and some agents leave none: this is not proof of no use)")
            return "\n".join(out)
        out.append("  adoption date by rule:")
        for rule in RULES:
            t, sha = repo_row[f"{rule}_time"], repo_row[f"{rule}_sha"]
            when = f"{t:%Y-%m-%d} ({sha[:10]}{self._what(sha)})" if t is not None else "none"
            out.append(f"    {rule:<14}{when}{'   <- default' if rule == 'first_any' else ''}")
        out.append("  tools:")
        per_tool = (self.signals.group_by("tool", "kind").agg(pl.col("sha").n_unique().alias("n"))
                    .sort("tool", "kind"))
        for tool in per_tool["tool"].unique().sort().to_list():
            part = per_tool.filter(pl.col("tool") == tool)
            first = self.signals.filter(pl.col("tool") == tool)["author_time"].min()
            kinds = ", ".join(f"{k} {n}" for k, n in zip(part["kind"], part["n"]))
            out.append(f"    {tool:<16}first {first:%Y-%m-%d}; commits by kind: {kinds}")
        removed = repo_row["last_removal_time"]
        out.append(f"  marker files at head: {', '.join(self.head_markers[:8]) or 'none'}"
                   + (f" (+{len(self.head_markers) - 8} more)" if len(self.head_markers) > 8 else ""))
        out.append(f"  markers removed later: {'yes, last on ' + format(removed, '%Y-%m-%d') if repo_row['markers_removed'] else 'no'}"
                   + ("; all marker files gone at head (abandoned config)" if repo_row["config_abandoned"] else ""))
        authors = self.adoption.filter(pl.col("level") == "author")
        out.append(f"  authors with signals: {authors.height} ({int(authors['is_bot'].sum() or 0)} bots); "
                   f"last signal {repo_row['last_signal_time']:%Y-%m-%d}")
        return "\n".join(out)

    def _what(self, sha: str) -> str:
        rows = self.signals.filter(pl.col("sha") == sha).sort("kind", "tool")
        parts = [f"{r['tool']}: {r['path']} {r['event']}" if r["kind"] == "path" else f"{r['tool']} {r['kind']}"
                 for r in rows.iter_rows(named=True)]
        more = f"; +{len(parts) - 2} more" if len(parts) > 2 else ""
        return ", " + "; ".join(parts[:2]) + more if parts else ""


def scan(source: str | os.PathLike, *, name: str | None = None, markers: str | os.PathLike | None = None,
         rev: str = "HEAD", first_parent: bool = False, salt: str | None = None,
         cache: str | os.PathLike | None = None) -> SignalsResult:
    """Mine only what the signals need (the commit history, no line provenance), in memory.

    Parameters
    ----------
    source
        A local checkout, a bare repository or a URL.
    name
        Repository name to record (default: from the URL or origin remote).
    markers
        A marker registry CSV (default: the packaged ``ai_markers.csv``).

    Examples
    --------
    >>> print(scan(".").summary())     # doctest: +SKIP
    """
    from . import Context, Options, _read  # the orchestrator imports this module to register the stage
    from ..git import open_repository
    from .identity import resolve_salt

    registry = load_markers(markers)
    repo = open_repository(source, name=name, rev=rev, cache=cache)
    options = Options(first_parent=first_parent)
    with tempfile.TemporaryDirectory(prefix="churnlab-") as scratch:
        commits, files, _ = _read(repo, options, None, Path(scratch), resolve_salt(salt, cache=cache), None)
        ctx = Context(repo, options, commits, files)
        ctx.extras["marker_registry"] = registry
        tables = signals_stage(ctx)
    return SignalsResult(repo.name, commits.height, tables["signals"], tables["adoption"], ctx.extras["head_markers"])
