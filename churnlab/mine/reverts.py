"""Reverts (spec section 4): which commit undid which, found by message and by content.

By message
    a ``This reverts commit <sha>`` line (full or abbreviated sha, resolved against the mined commits; one
    line per reverted commit, so a squashed revert of several commits gives several rows), or, when there is
    no such line, a subject ``Revert "<subject>"`` / ``Reapply "<subject>"`` (GitHub's ``(#123)`` suffix
    allowed; a title GitHub cut with ``…`` matches subjects that start with the kept part) resolved to the
    nearest earlier commit with that subject. Merge commits are skipped (a revert branch's merge repeats
    the revert's message) except in first-parent mining. A sha that matches no mined commit
    (or several) and a subject that matches none give a row with a null ``reverted_sha``: the reverted
    commit is outside the mined range.
By content
    a commit whose diff is the exact inverse of an earlier commit's diff (see :mod:`churnlab.mine.patches`
    for the fingerprint); the nearest earlier such commit is the one reverted.

A commit found both ways for the same target has method ``both``. A revert of a revert is a re-apply.

Two tables: ``reverts`` (one row per reverting commit and reverted commit) and ``revert_flags`` (one row per
non-merge commit: was it reverted within 30 / 90 days). The flags are right-censored like churn: a commit
authored less than 30 (90) days before the last author time in the mined range has a null flag, whether or
not a revert was seen, so that censored commits leave the rate's denominator instead of adding only
positives to it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import polars as pl

from . import patches
from .provenance import CommitIds
from .raw import with_raw
from .spool import whole

__all__ = ["find_reverts", "revert_flags", "reverts_stage"]

_SHA_LINE = re.compile(r"this reverts commit ([0-9a-f]{4,64})\b", re.IGNORECASE)
_SUBJECT = re.compile(r'^(Revert|Reapply) "(.*)"(?: \(#\d+\))?\s*$')
# GitHub cuts long pull-request titles: 'Revert "fix(editor): a long subj…' (no closing quote).
_TRUNCATED = re.compile(r'^(Revert|Reapply) "(.+?)(?:…|\.\.\.)(?: \(#\d+\))?$')
_REAPPLY_SUBJECT = re.compile(r'^(Reapply "|Revert "Revert ")')
_PR_SUFFIX = re.compile(r"\s*\(#\d+\)$")
WINDOWS = (30, 90)
_COMMIT_TYPES = {"sha": pl.String, "is_merge": pl.Boolean, "author_time": pl.Datetime("us", "UTC"),
                 "_message": pl.String, "lines_added": pl.Int64, "lines_deleted": pl.Int64}
METHODS = ("message", "inverse_diff", "both")


def _subject(message: str) -> str:
    return message.split("\n", 1)[0].strip()


def _bare(subject: str) -> str:
    """A subject without GitHub's squash-merge suffix `` (#123)``, which the original and its revert differ in."""
    return _PR_SUFFIX.sub("", subject)


def _message_refs(commits: pl.DataFrame, ids: CommitIds, include_messages: bool,
                  include_merges: bool) -> list[tuple[str, str | None, str | None]]:
    """``(reverting sha, reverted sha or None, reverted ref)`` for every revert named in a message.

    One pass in commit order. Messages are read from the frame as it goes (not all held as Python strings);
    what is kept of each commit is the hash of its subject, 8 bytes, for a later revert to find the nearest
    earlier commit its subject names (:class:`_Earlier`). Shas named are resolved in ``ids``, the commits'.
    """
    shas, messages = commits["sha"], commits["_message"]
    earlier = _Earlier(messages)
    rows: list[tuple[str, str | None, str | None]] = []
    for i, (sha, msg, merge) in enumerate(zip(shas, messages, commits["is_merge"])):
        # the merge of a revert branch repeats its message; the revert is the side commit
        if msg and (include_merges or not merge) and ("revert" in msg.lower() or "reapply" in msg.lower()):
            rows += _named(sha, msg, ids, earlier, shas, include_messages)
        earlier.add(msg)
    return rows


class _Earlier:
    """The commits read so far by subject (GitHub's `` (#123)`` suffix left out): the hash of each one's, and the
    messages to check a hash's match against."""

    def __init__(self, messages: pl.Series) -> None:
        self._messages = messages
        self._hashes = np.zeros(len(messages), dtype=np.int64)
        self._n = 0

    def add(self, message: str | None) -> None:
        self._hashes[self._n] = hash(_bare(_subject(message or "")))
        self._n += 1

    def _subject_of(self, j: int) -> str:
        return _bare(_subject(self._messages[j] or ""))

    def latest(self, subject: str) -> int | None:
        """The last commit so far whose subject is ``subject``."""
        for j in np.flatnonzero(self._hashes[:self._n] == hash(subject))[::-1]:
            if self._subject_of(int(j)) == subject:  # not another subject of the same hash
                return int(j)
        return None

    def latest_starting(self, prefix: str) -> int | None:
        """The last commit so far whose subject starts with ``prefix`` (a subject GitHub cut short)."""
        seen = self._messages.head(self._n).str.contains(prefix, literal=True)  # every such message, and others
        for j in np.flatnonzero(seen.fill_null(False).to_numpy())[::-1]:
            if self._subject_of(int(j)).startswith(prefix):
                return int(j)
        return None


def _named(sha: str, msg: str, ids: CommitIds, earlier: _Earlier, shas: pl.Series,
           include_messages: bool) -> list[tuple[str, str | None, str | None]]:
    """The rows of one revert message: the shas it names, else the earlier commit its subject names."""
    refs = list(dict.fromkeys(r.lower() for r in _SHA_LINE.findall(msg)))
    if refs:
        targets = ((ref, ids.resolve(ref)) for ref in refs)
        return [(sha, target, target or ref) for ref, target in targets if target != sha]
    m = _SUBJECT.match(_subject(msg)) or _TRUNCATED.match(_subject(msg))
    if not m:
        return []
    wanted = _bare(m.group(2) if m.group(1) == "Revert" else f'Revert "{m.group(2)}"')
    # a truncated subject: the nearest earlier commit whose subject starts with the kept part
    j = earlier.latest(wanted) if m.re is _SUBJECT else earlier.latest_starting(wanted)
    if j is not None:
        target = shas[j]
        return [(sha, target, target)]
    return [(sha, None, _subject(msg) if include_messages else None)]


def _content_refs(commits: pl.DataFrame, ids: CommitIds, fingerprints: pl.DataFrame) -> list[tuple[str, str]]:
    """``(reverting sha, reverted sha)`` where the diff is the exact inverse of an earlier commit's diff.

    A join in polars on 64-bit hashes of the fingerprints and positions found in the sorted ids (no Python
    object per commit, no join of strings), the few pairs found then checked on the fingerprints themselves.
    """
    fp = fingerprints.filter(pl.col("fingerprint").is_not_null())
    at = ids.positions(fp["sha"])  # parents before children; -1: not a mined commit
    keys = pl.DataFrame({"row": np.arange(fp.height, dtype=np.int64), "at": at,
                         "f": fp["fingerprint"].hash(), "g": fp["inverse_fingerprint"].hash()}).filter(pl.col("at") >= 0)
    pairs = (keys.select("row", "at", "f")
             .join(keys.select(undone="row", reverted_at="at", f="g"), on="f")
             .filter(pl.col("reverted_at") < pl.col("at")))
    exact = (fp["fingerprint"].gather(pairs["row"]) == fp["inverse_fingerprint"].gather(pairs["undone"])).to_numpy()
    nearest = (pairs.filter(pl.Series(exact, dtype=pl.Boolean)).group_by("at")
               .agg(pl.col("reverted_at").max()).sort("at"))  # the nearest earlier one
    shas = commits["sha"]
    return list(zip(shas.gather(nearest["at"]).to_list(), shas.gather(nearest["reverted_at"]).to_list()))


def find_reverts(commits: pl.DataFrame, fingerprints: pl.DataFrame, *, include_messages: bool = False,
                 include_merges: bool = False) -> pl.DataFrame:
    """The ``reverts`` rows (without ``repo``) from commits in topological order and their fingerprints.

    ``commits`` needs ``sha``, ``is_merge``, ``author_time``, ``_message``, ``lines_added``, ``lines_deleted``,
    parents before children; ``fingerprints`` follows the interface of :mod:`churnlab.mine.patches`.
    Merge commits are not reverts by message unless ``include_merges`` (first-parent mining, where the merge
    is the only commit that carries the change).
    """
    ids = CommitIds(commits["sha"])  # sorted fixed-width ids: shas named resolved, fingerprints placed
    by_message = _message_refs(commits, ids, include_messages, include_merges)
    by_content = dict(_content_refs(commits, ids, fingerprints))
    resolved = {sha for sha, target, _ in by_message if target is not None}
    rows: dict[tuple[str, str | None], list] = {}
    for sha, target, ref in by_message:
        content = by_content.get(sha)
        if target is None and content is not None and sha not in resolved:
            # The message names a commit outside the range (often a rebased or squashed original) and the
            # diff undoes a mined commit exactly: that commit is the one reverted.
            target = ref = content
        method = "both" if target is not None and by_content.get(sha) == target else "message"
        rows.setdefault((sha, ref), [sha, target, ref, method])
    for sha, target in sorted(by_content.items()):
        rows.setdefault((sha, target), [sha, target, target, "inverse_diff"])
    frame = pl.DataFrame(list(rows.values()), schema={"reverting_sha": pl.String, "reverted_sha": pl.String,
                                                      "reverted_ref": pl.String, "method": pl.String}, orient="row")
    info = commits.select(
        pl.col("sha"), pl.col("author_time"), pl.col("_message"),
        (pl.col("lines_added") + pl.col("lines_deleted")).alias("lines"))
    reverting = set(frame["reverting_sha"].to_list())
    frame = (
        frame.join(info.rename({"sha": "reverting_sha", "author_time": "reverting_time"}), on="reverting_sha", how="left")
        .join(info.select(pl.col("sha").alias("reverted_sha"), pl.col("author_time").alias("reverted_time")),
              on="reverted_sha", how="left")
    )
    return frame.with_columns(
        lag_days=(pl.col("reverting_time") - pl.col("reverted_time")).dt.total_seconds() / 86400.0,
        lines_reverted=pl.col("lines"),
        is_reapply=pl.when(pl.col("reverted_sha").is_not_null())
        .then(pl.col("reverted_sha").is_in(list(reverting)))
        .otherwise(pl.col("_message").str.contains(_REAPPLY_SUBJECT.pattern).fill_null(False)),
    ).select("reverting_sha", "reverted_sha", "reverted_ref", "method", "is_reapply", "reverting_time",
             "reverted_time", "lag_days", "lines_reverted").sort("reverting_sha", "reverted_ref", nulls_last=True)


def revert_flags(commits: pl.DataFrame, reverts: pl.DataFrame) -> pl.DataFrame:
    """One row per non-merge commit: is it a revert, was it reverted, and within 30 / 90 days (censored)."""
    end = commits["author_time"].max()
    first = (reverts.filter(pl.col("reverted_sha").is_not_null())
             .sort("lag_days", "reverting_sha")
             .group_by("reverted_sha", maintain_order=True)
             .agg(pl.col("reverting_sha").first().alias("first_reverted_by"), pl.col("lag_days").first().alias("revert_lag_days"))
             .rename({"reverted_sha": "sha"}))
    kinds = reverts.group_by("reverting_sha").agg(pl.col("is_reapply").any()).rename({"reverting_sha": "sha"})
    out = (commits.filter(~pl.col("is_merge")).select("sha", "author_time")
           .join(first, on="sha", how="left").join(kinds, on="sha", how="left"))
    flags = {}
    for days in WINDOWS:
        observed = pl.col("author_time") <= (end - timedelta(days=days)) if end is not None else pl.lit(False)
        flags[f"reverted_within_{days}d"] = (
            pl.when(observed).then(pl.col("revert_lag_days").is_not_null() & (pl.col("revert_lag_days") <= days))
            .otherwise(None))
    return out.with_columns(
        is_revert=pl.col("is_reapply").is_not_null(),
        is_reapply=pl.col("is_reapply").fill_null(False),
        reverted=pl.col("first_reverted_by").is_not_null(),
        **flags,
    ).select("sha", "author_time", "is_revert", "is_reapply", "reverted", "first_reverted_by", "revert_lag_days",
             *flags).sort("sha")


def _fingerprints(ctx) -> pl.DataFrame:
    """The line stage's fingerprints when it left them in ``ctx.extras``, else one ``git log -p`` pass."""
    given = ctx.extras.get("patch_fingerprints")
    if given is not None:  # a frame, or spooled (Spool) by a mine
        return whole(given, list(patches.FINGERPRINT_SCHEMA)).cast(patches.FINGERPRINT_SCHEMA)
    frame = patches.read_fingerprints(ctx.repo, first_parent=ctx.options.first_parent,
                                      find_copies=ctx.options.find_copies)
    ctx.extras["patch_fingerprints"] = frame
    return frame


def reverts_stage(ctx) -> dict[str, pl.DataFrame]:
    """Pipeline stage: the ``reverts`` and ``revert_flags`` tables."""
    # only the columns it reads (an empty history has untyped columns)
    commits = with_raw(ctx, _COMMIT_TYPES).cast(_COMMIT_TYPES, strict=False)
    found = find_reverts(commits, _fingerprints(ctx), include_messages=ctx.options.include_messages,
                         include_merges=ctx.options.first_parent)
    flags = revert_flags(commits, found)
    repo = pl.lit(ctx.repo.name)
    return {"reverts": found.with_columns(repo=repo), "revert_flags": flags.with_columns(repo=repo)}
