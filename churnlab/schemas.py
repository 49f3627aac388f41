"""Every table churnlab writes, declared once: columns, Arrow dtypes, key, one-line docs, version.

``io.write_table`` validates against these declarations before writing and ``io.read_table`` after reading.
Bump a table's ``version`` whenever its columns or their meaning change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa

__all__ = ["Column", "TABLES", "Table", "get", "markdown"]

UTC_US = pa.timestamp("us", tz="UTC")
_POLARS = {pa.string(): pl.String, pa.int64(): pl.Int64, pa.int32(): pl.Int32, pa.int16(): pl.Int16,
           pa.bool_(): pl.Boolean, pa.float64(): pl.Float64, UTC_US: pl.Datetime("us", "UTC")}


def _polars_dtype(dtype: pa.DataType) -> pl.DataType:
    if pa.types.is_list(dtype):
        return pl.List(_polars_dtype(dtype.value_type))
    return _POLARS[dtype]


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pa.DataType
    doc: str
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    version: int
    key: tuple[str, ...]
    doc: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.dtype, nullable=c.nullable) for c in self.columns])

    def polars_schema(self) -> pl.Schema:
        """The columns as polars reads them back from a file (made without building Arrow data: an in-memory
        mine does not start pyarrow's table machinery, whose memory it would carry)."""
        return pl.Schema({c.name: _polars_dtype(c.dtype) for c in self.columns})

    def describe(self) -> str:
        """A markdown table of the columns, for docs and data cards."""
        rows = [f"| {c.name} | {c.dtype} | {'yes' if c.nullable else ''} | {c.doc} |" for c in self.columns]
        head = f"### `{self.name}` (v{self.version}, key: {', '.join(self.key)})\n\n{self.doc}\n\n"
        return head + "| column | type | null | meaning |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"


def _c(name: str, dtype: pa.DataType, doc: str, nullable: bool = False) -> Column:
    return Column(name, dtype, doc, nullable)


REPO = _c("repo", pa.string(), "repository key (owner/name for hosted repositories, else the folder name)")
SHA = _c("sha", pa.string(), "commit sha (40 hex)")

COMMITS = Table(
    "commits",
    1,
    ("repo", "sha"),
    "One row per commit reachable from the mined head. Merge commits are listed but not diffed: their "
    "line counts are null, because activity is credited to the commits the merge brings in.",
    (
        REPO,
        SHA,
        _c("parents", pa.list_(pa.string()), "parent shas, first parent first"),
        _c("is_merge", pa.bool_(), "more than one parent"),
        _c("on_first_parent", pa.bool_(), "on the first-parent chain of the mined head"),
        _c("author_id", pa.string(), "salted hash (16 hex) of the mailmap-normalised, lower-cased author email"),
        _c("committer_id", pa.string(), "same pseudonym for the committer"),
        _c("author_time", UTC_US, "author time, UTC"),
        _c("author_tz_offset_min", pa.int16(), "author's UTC offset in minutes"),
        _c("committer_time", UTC_US, "committer time, UTC"),
        _c("is_bot", pa.bool_(), "author matches a bot rule (suffix [bot], dependabot, renovate, agent identities, ...)"),
        _c("files_changed", pa.int32(), "files in the diff against the first parent (null for merges)", True),
        _c("lines_added", pa.int64(), "text lines added, as git log --numstat -U0 (null for merges)", True),
        _c("lines_deleted", pa.int64(), "text lines deleted, as git log --numstat -U0 (null for merges)", True),
        _c("author_name", pa.string(), "raw author name (only with include_identities)", True),
        _c("author_email", pa.string(), "raw mailmap-normalised author email (only with include_identities)", True),
        _c("message", pa.string(), "full commit message (only with include_messages)", True),
    ),
)

CHANGE_TYPES = ("add", "modify", "delete", "rename", "copy", "type_change")

FILE_CHANGES = Table(
    "file_changes",
    1,
    ("repo", "sha", "path"),
    "One row per file touched by a non-merge commit, diffed against its first parent with rename detection. "
    "Excluded files (binary, vendored, generated, lock) are flagged here and left out of line metrics.",
    (
        REPO,
        SHA,
        _c("path", pa.string(), "path after the change (before it, for deletions); undecodable bytes as \\xNN"),
        _c("old_path", pa.string(), "path before a rename or copy", True),
        _c("change_type", pa.string(), "one of " + ", ".join(CHANGE_TYPES)),
        _c("similarity", pa.int16(), "rename/copy similarity percentage", True),
        _c("file_mode", pa.string(), "git file mode after the change: 100644, 100755, 120000 symlink, 160000 submodule (null for deletions)", True),
        _c("old_blob", pa.string(), "blob id before the change (zeros for additions)"),
        _c("new_blob", pa.string(), "blob id after the change (zeros for deletions)"),
        _c("language", pa.string(), "language from the file name, null if unknown", True),
        _c("lines_added", pa.int64(), "lines added (null for binary or missing content)", True),
        _c("lines_deleted", pa.int64(), "lines deleted (null for binary or missing content)", True),
        _c("is_binary", pa.bool_(), "git sees binary content"),
        _c("is_vendored", pa.bool_(), "vendored path or linguist-vendored attribute"),
        _c("is_generated", pa.bool_(), "generated or minified path or linguist-generated attribute"),
        _c("is_lock", pa.bool_(), "dependency lock file"),
        _c("is_missing", pa.bool_(), "a blob of this change is missing from the repository (content not read)"),
    ),
)

# --- line provenance tables (line_ops, churn, survival) go here ---------------------------------------

CHURN_WINDOWS = (7, 14, 21, 30)

LINE_OPS = Table(
    "line_ops",
    1,
    ("repo", "sha", "path"),
    "One row per text file of a non-merge commit (merges too with first_parent), not excluded (binary, vendored, "
    "generated, lock, minified content), with its changed lines by GitClear operation. Both sides of a pair "
    "(moved, updated, find_replaced, whitespace edit) are counted, so a row's counts add up to its numstat lines.",
    (
        REPO,
        SHA,
        _c("path", pa.string(), "path after the change (before it, for deletions), as in file_changes"),
        _c("added", pa.int64(), "meaningful lines added (no other label)"),
        _c("deleted", pa.int64(), "meaningful lines deleted (no other label)"),
        _c("updated", pa.int64(), "lines of removed/added pairs in one hunk differing by at most 3 tokens"),
        _c("moved", pa.int64(), "lines removed and added elsewhere in the commit, in blocks of 20+ alphanumerics"),
        _c("copy_pasted", pa.int64(), "added lines matching no removal, added in 2+ places of the commit (with copy_paste_hours, "
           "also added by the same author in another commit within that many hours)"),
        _c("find_replaced", pa.int64(), "lines of pairs whose token substitution occurs at 3+ places of the commit"),
        _c("no_op", pa.int64(), "changed lines that are not meaningful (blank, punctuation, keywords) or whitespace-only edits"),
        _c("duplicated_lines", pa.int64(), "added lines in a run of 5+ meaningful lines (compared by key) repeated "
           "elsewhere in the commit or in the tree at the parent (only the commit with duplicate_blocks='commit')"),
    ),
)

CHURN = Table(
    "churn",
    1,
    ("repo", "sha"),
    "One row per commit with line operations: revision-side churn (the meaningful lines it deletes, updates or "
    "find-replaces that were born less than W days before, by the same or other authors) and authoring-side "
    "churn (of the new lines it wrote, how many were revised within W days). Times are author times.",
    (
        REPO,
        SHA,
        _c("is_bulk", pa.bool_(), "more than bulk_lines (default 5,000) meaningful changed lines"),
        _c("meaningful_lines", pa.int64(), "meaningful changed lines (added plus removed), the churn-rate denominator"),
        _c("has_duplicate_block", pa.bool_(), "adds a run of 5+ meaningful lines (compared by key) repeated "
           "elsewhere in the commit or in the tree at the parent (only the commit with duplicate_blocks='commit')"),
        _c("duplicated_lines", pa.int64(), "added lines in such runs"),
        _c("revised_lines", pa.int64(), "meaningful lines it deleted, updated or find-replaced (moved too with moves_churn)"),
        *(col for days in CHURN_WINDOWS for col in (
            _c(f"churn_self_w{days}", pa.int64(), f"revised lines the same author wrote within {days} days before"),
            _c(f"churn_others_w{days}", pa.int64(), f"revised lines other authors wrote within {days} days before"),
        )),
        _c("authored_lines", pa.int64(), "new meaningful lines it wrote (not moved, not no-op): the new-code churn denominator"),
        *(_c(f"authored_churned_w{days}", pa.int64(), f"of those, lines revised within {days} days")
          for days in CHURN_WINDOWS),
        *(_c(f"censored_w{days}", pa.bool_(), f"written less than {days} days before the last commit: leave out of new-code churn")
          for days in CHURN_WINDOWS),
    ),
)

SURVIVAL = Table(
    "survival",
    1,
    ("repo", "sample_time", "granularity", "cohort"),
    "Live lines of the first-parent chain (files not excluded) by birth cohort at sample times (every "
    "survival_sample_days, and the head), as in git-of-theseus, with the Kaplan-Meier median line lifetime of "
    "each cohort (censored at the last commit). Cohorts with no live lines at a sample are left out.",
    (
        REPO,
        _c("sample_time", UTC_US, "sample time (UTC): state after the last chain commit at or before it"),
        _c("granularity", pa.string(), "cohort unit: year or quarter"),
        _c("cohort", pa.string(), "birth cohort by author time, UTC: 2019 or 2019Q3"),
        _c("live_lines", pa.int64(), "live lines born in the cohort (all text lines, as git blame counts them)"),
        _c("live_meaningful_lines", pa.int64(), "of those, meaningful lines"),
        _c("median_lifetime_days", pa.float64(), "Kaplan-Meier median lifetime of the cohort's lines; null if over half still live", True),
    ),
)


# --- revert and AI-signal tables (reverts, signals, adoption) go here --------------------------------

REVERTS = Table(
    "reverts",
    1,
    ("repo", "reverting_sha", "reverted_ref"),
    "One row per reverting commit and commit it reverts, found by message (`This reverts commit <sha>`, "
    "`Revert \"...\"`) or by content (exact inverse diff). A null reverted_sha: the reverted commit is outside "
    "the mined range (unknown or ambiguous sha, or no commit with the reverted subject).",
    (
        REPO,
        _c("reverting_sha", pa.string(), "the commit that reverts"),
        _c("reverted_sha", pa.string(), "the commit reverted, resolved among the mined commits", True),
        _c("reverted_ref", pa.string(), "how the revert names its target: the resolved sha, else the sha text as "
           "written; null for an unresolved subject-only revert (its subject only with include_messages)", True),
        _c("method", pa.string(), "message, inverse_diff (exact inverse of the reverted commit's diff) or both"),
        _c("is_reapply", pa.bool_(), "the reverted commit is itself a revert (a revert of a revert re-applies)"),
        _c("reverting_time", UTC_US, "author time of the reverting commit, UTC"),
        _c("reverted_time", UTC_US, "author time of the reverted commit, UTC", True),
        _c("lag_days", pa.float64(), "reverting_time - reverted_time in days", True),
        _c("lines_reverted", pa.int64(), "text lines added plus deleted by the reverting commit (null for merges)", True),
    ),
)

REVERT_FLAGS = Table(
    "revert_flags",
    1,
    ("repo", "sha"),
    "One row per non-merge commit: is it a revert, was it reverted and how soon. The 30/90-day flags are "
    "right-censored: null for commits authored less than 30/90 days before the last author time mined.",
    (
        REPO,
        SHA,
        _c("author_time", UTC_US, "author time, UTC"),
        _c("is_revert", pa.bool_(), "this commit reverts a commit (any method)"),
        _c("is_reapply", pa.bool_(), "this commit reverts a revert"),
        _c("reverted", pa.bool_(), "a mined commit reverts this one (at any lag)"),
        _c("first_reverted_by", pa.string(), "the revert with the smallest lag", True),
        _c("revert_lag_days", pa.float64(), "days from this commit to that revert", True),
        _c("reverted_within_30d", pa.bool_(), "reverted within 30 days (null: censored)", True),
        _c("reverted_within_90d", pa.bool_(), "reverted within 90 days (null: censored)", True),
    ),
)

SIGNAL_KINDS = ("path", "trailer", "message", "identity")
MARKER_EVENTS = ("added", "modified", "deleted", "moved")

SIGNALS = Table(
    "signals",
    1,
    ("repo", "sha", "kind", "tool", "path"),
    "One row per commit and AI signal from the marker registry: a trailer, message or agent author identity "
    "naming a tool, or an event on a marker path (whole history, side branches included).",
    (
        REPO,
        SHA,
        _c("author_id", pa.string(), "pseudonymised author of the commit"),
        _c("author_time", UTC_US, "author time, UTC"),
        _c("kind", pa.string(), "one of " + ", ".join(SIGNAL_KINDS)),
        _c("tool", pa.string(), "tool named by the registry entry (generic: shared by many tools)"),
        _c("event", pa.string(), "for path signals: one of " + ", ".join(MARKER_EVENTS), True),
        _c("path", pa.string(), "for path signals: the path after the change (before it, for deletions)", True),
        _c("old_path", pa.string(), "for moves: the path before", True),
        _c("present_after", pa.bool_(), "for path signals: the marker exists after the event (false for "
           "deletions and moves to a non-marker path)", True),
        _c("pattern", pa.string(), "the registry pattern that matched"),
    ),
)

ADOPTION = Table(
    "adoption",
    1,
    ("repo", "level", "author_id"),
    "Adoption dates by rule: one row per repository (level repo, always present; null dates: no visible "
    "signal) and one per author with a signal (level author). Rules: first_config (marker path added, edited "
    "or moved in), first_trailer (commit attributed by trailer, message or agent identity), first_any "
    "(default). Treatment is absorbing; removals are recorded, not undone.",
    (
        REPO,
        _c("level", pa.string(), "repo or author"),
        _c("author_id", pa.string(), "pseudonymised author (null for the repository row)", True),
        _c("is_bot", pa.bool_(), "the author matches a bot rule (null for the repository row)", True),
        *(_c(f"{rule}_{part}", dtype, f"{what} under rule {rule}", True)
          for rule in ("first_config", "first_trailer", "first_any")
          for part, dtype, what in (("time", UTC_US, "adoption time (author time, UTC)"),
                                    ("sha", pa.string(), "the adopting commit"))),
        _c("tools", pa.list_(pa.string()), "tools seen in use signals, sorted"),
        _c("n_signal_commits", pa.int64(), "commits attributed by trailer, message or identity"),
        _c("n_config_events", pa.int64(), "marker path events that add, edit or move in a marker"),
        _c("last_signal_time", UTC_US, "author time of the last use signal", True),
        _c("markers_removed", pa.bool_(), "a marker was deleted or moved away after first_config", True),
        _c("last_removal_time", UTC_US, "author time of the last marker removal", True),
        _c("config_at_head", pa.bool_(), "a marker path exists at the mined head (repository row only)", True),
        _c("config_abandoned", pa.bool_(), "markers were added but none remain at head (repository row only)", True),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (COMMITS, FILE_CHANGES, LINE_OPS, CHURN, SURVIVAL, REVERTS,
                                                 REVERT_FLAGS, SIGNALS, ADOPTION)}


def markdown() -> str:
    """Every table's documentation as markdown (``docs/tables.md`` is this, regenerated by
    ``python -c "import churnlab.schemas as s; print(s.markdown(), end='')" > docs/tables.md``)."""
    head = ("# churnlab tables\n\nGenerated from `churnlab/schemas.py`, where every table is declared once. "
            "Dataset layout: `OUT/<table>/<repo key>.parquet`; provenance in each file's Parquet metadata.\n\n")
    return head + "\n".join(t.describe() for t in TABLES.values())


def get(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        from .errors import InputError

        raise InputError(f"unknown table {name!r}; known tables: {', '.join(sorted(TABLES))}") from None

# --- simulation truth tables (written by simulate.py; see its module docstring for the design) ------------

_SIM_TS = UTC_US

SIM_REPOS = Table(
    "sim_repos",
    1,
    ("repo",),
    "Truth of a simulated study: one row per repository, its adoption cohort and the effects it was given.",
    (
        REPO,
        _c("path", pa.string(), "folder of the repository when it was written"),
        _c("treated", pa.bool_(), "the repository adopts an AI tool during the window"),
        _c("cohort", pa.int32(), "adoption month (dense index from the study start); null = never treated", True),
        _c("adoption_start", _SIM_TS, "first instant of the adoption month, UTC", True),
        _c("tool", pa.string(), "AI tool of a treated repository (claude, cursor, copilot, agents)", True),
        _c("ai_signal", pa.string(), "visible signals of adoption: config+trailer, config, trailer, none", True),
        _c("marker_path", pa.string(), "marker file added at adoption (null if none was written)", True),
        _c("marker_sha", pa.string(), "commit adding the marker file", True),
        _c("first_trailer_sha", pa.string(), "first commit carrying an AI trailer", True),
        _c("first_signal_time", _SIM_TS, "author time of the first visible AI signal, UTC", True),
        _c("n_developers", pa.int32(), "human developers"),
        _c("has_bot", pa.bool_(), "a dependabot[bot] author updates package-lock.json"),
        _c("n_commits", pa.int64(), "commits written (linear history)"),
        _c("head_sha", pa.string(), "sha of refs/heads/main"),
        _c("base_churn", pa.float64(), "per-line 14-day churn probability without treatment"),
        _c("effect_churn", pa.float64(), "added to it from the adoption month on (0 for controls)"),
        _c("base_revert", pa.float64(), "per-commit 30-day revert probability without treatment"),
        _c("effect_revert", pa.float64(), "added to it from the adoption month on (0 for controls)"),
    ),
)

SIM_COMMITS = Table(
    "sim_commits",
    1,
    ("repo", "sha"),
    "Truth of a simulated study: one row per commit, its design probabilities and its realised fate.",
    (
        REPO,
        SHA,
        _c("seq", pa.int64(), "position in the linear history (0 = root)"),
        _c("kind", pa.string(), "root, feature, edit (revises churned lines), revert, marker, bot"),
        _c("author_name", pa.string(), "author name"),
        _c("author_email", pa.string(), "author email"),
        _c("is_bot", pa.bool_(), "author is dependabot[bot]"),
        _c("author_time", _SIM_TS, "author (= committer) time, UTC"),
        _c("author_tz_offset_min", pa.int16(), "author's UTC offset in minutes"),
        _c("period", pa.int32(), "UTC month index of author_time"),
        _c("post", pa.bool_(), "treated repository and period >= cohort"),
        _c("p_churn", pa.float64(), "probability that each line it adds is churned within 14 days"),
        _c("p_revert", pa.float64(), "probability that it is reverted within 30 days (0 for the root)"),
        _c("ai_trailer", pa.bool_(), "message carries the repository tool's AI trailer"),
        _c("subject", pa.string(), "first line of the message"),
        _c("lines_added", pa.int64(), "lines it adds in measured files (not the lock file)"),
        _c("lines_churned_14d", pa.int64(), "of those, lines deleted, modified or reverted within 14 days"),
        _c("reverts_sha", pa.string(), "for a revert: the commit it reverts", True),
        _c("reverted_by_sha", pa.string(), "the commit reverting it, if written", True),
        _c("revert_lag_days", pa.float64(), "days from it to its revert", True),
        _c("reverted_within_30d", pa.bool_(), "reverted less than 30 days after its author time"),
        _c("revert_censored", pa.bool_(), "authored within 30 days of the last commit (right-censored)"),
    ),
)

SIM_LINES = Table(
    "sim_lines",
    1,
    ("repo", "line_id"),
    "Truth of a simulated study: one row per line added in a measured file, its birth and its revision.",
    (
        REPO,
        _c("line_id", pa.int64(), "line identity within the repository"),
        _c("birth_sha", pa.string(), "commit that wrote the line"),
        _c("birth_time", _SIM_TS, "author time of that commit, UTC"),
        _c("text", pa.string(), "content of the line"),
        _c("planned", pa.string(), "design: edit (selected for churn), revert (its commit is reverted), null", True),
        _c("planned_time", _SIM_TS, "when the planned revision falls (may lie after the end of history)", True),
        _c("revised_sha", pa.string(), "commit that modified, deleted or reverted it, if any", True),
        _c("revised_time", _SIM_TS, "author time of that commit", True),
        _c("revision", pa.string(), "modified, deleted or reverted", True),
        _c("churned_14d", pa.bool_(), "revised less than 14 days after birth"),
        _c("censored_14d", pa.bool_(), "born within 14 days of the last commit (right-censored)"),
    ),
)

TABLES.update({t.name: t for t in (SIM_REPOS, SIM_COMMITS, SIM_LINES)})
