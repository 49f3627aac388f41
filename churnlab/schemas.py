"""Every table churnlab writes, declared once: columns, Arrow dtypes, key, one-line docs, version.

``io.write_table`` validates against these declarations before writing and ``io.read_table`` after reading.
Bump a table's ``version`` whenever its columns or their meaning change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

__all__ = ["Column", "TABLES", "Table", "get"]

UTC_US = pa.timestamp("us", tz="UTC")


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
        _c("lines_added", pa.int64(), "text lines added, as git numstat (null for merges)", True),
        _c("lines_deleted", pa.int64(), "text lines deleted, as git numstat (null for merges)", True),
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
        _c("copy_pasted", pa.int64(), "added lines matching no removal, added in 2+ places of the commit"),
        _c("find_replaced", pa.int64(), "lines of pairs whose token substitution occurs at 3+ places of the commit"),
        _c("no_op", pa.int64(), "changed lines that are not meaningful (blank, punctuation, keywords) or whitespace-only edits"),
        _c("duplicated_lines", pa.int64(), "added lines in a run of 5+ meaningful lines repeated elsewhere in the commit"),
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
        _c("has_duplicate_block", pa.bool_(), "adds a run of 5+ meaningful lines repeated elsewhere in the commit"),
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

TABLES: dict[str, Table] = {t.name: t for t in (COMMITS, FILE_CHANGES, LINE_OPS, CHURN, SURVIVAL)}


def get(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        from .errors import InputError

        raise InputError(f"unknown table {name!r}; known tables: {', '.join(sorted(TABLES))}") from None
