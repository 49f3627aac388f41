"""Stage 1: the commit history, read from one streaming ``git log``, into the ``commits`` and ``file_changes``
tables (before pseudonymisation; see :mod:`churnlab.mine`).

The stream is ``git -c diff.context=0 log -z --raw --numstat -M`` (stage 1 alone) or ``... --raw -p -M`` (a
whole mine: the patches are the line stage's too), with a header of NUL-free fields per commit::

    \\x1e<sha>\\x1f<parents>\\x1f<name>\\x1f<email>\\x1f<author date>\\x1f<committer email>\\x1f<committer date>\\x1f<body>\\x1f\\0
    :<old mode> <new mode> <old sha> <new sha> <status>\\0<path>\\0[<new path>\\0]     (one per file, --raw)
    <added>\\t<deleted>\\t<path>\\0  or  <added>\\t<deleted>\\t\\0<old path>\\0<new path>\\0   (one per file, --numstat)
    \\0diff --git a/<path> b/<path>\\n...                             (or the zero-context patch, with -p)

The raw records give the change type, modes and blob ids; the numstat records, in the same order, the line
counts of the zero-context diff (:func:`log_args`), or else the patch's hunk headers do (:func:`_parse_diff`).
Paths are raw bytes (``-z``): never C-quoted, decoded as UTF-8 with undecodable bytes written as ``\\xNN``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import polars as pl

from ..errors import DataError
from ..git import NUMSTAT_FORMAT, Repository, parse_numstat
from .classify import Attributes, classify

__all__ = ["History", "commit_list", "log_args", "parse_log", "read_history"]

_FORMAT = "%x1e%H%x1f%P%x1f%aN%x1f%aE%x1f%ad%x1f%cE%x1f%cd%x1f%B%x1f"
_HEADER = re.compile(rb"^[0-9a-f]{40}(?:[0-9a-f]{24})?\x1f")
_CHANGE = {"A": "add", "M": "modify", "D": "delete", "R": "rename", "C": "copy", "T": "type_change"}


def log_args(head: str, *, exclude: Iterable[str] = (), first_parent: bool = False, find_copies: bool = False,
             patches: bool = False) -> list[str]:
    """The one ``git log`` call behind the activity tables (also used by the parity checks), its ``-c`` options
    first.

    Line counts are those of git's zero-context diff, the one git blame and the line stage's ``-U0`` patches use:
    ``diff.context=0`` makes numstat trim a long common tail before diffing, as ``-U0`` does, without asking for
    the patch (plain ``git log --numstat`` pairs a line or two otherwise in about 0.2% of commits, net lines
    equal). With ``patches`` the records carry each commit's zero-context patch instead of numstat records, as
    the line stage reads it (:func:`churnlab.mine.lines.log_args`), so one diff pass serves stage 1 and the line
    stage (:class:`churnlab.mine.overlap.Relay`): the counts are read from the patch's hunk headers (numstat
    runs the same diff; :func:`_patch_sections`).
    """
    args = ["-c", "diff.context=0", "log", "--topo-order", "--reverse", "--no-abbrev", "-z", "--raw",
            *(["-p", "--full-index", "--no-color"] if patches else ["--numstat"]),
            "--no-ext-diff", "--no-textconv", "--date=raw", f"--format={_FORMAT}", "-C" if find_copies else "-M"]
    # merges are not diffed in the default mode (the line stage reads them from their trees)
    args += ["--first-parent", "--diff-merges=first-parent"] if first_parent else ["--diff-merges=off"]
    return [*args, head, *(f"^{sha}" for sha in exclude), "--"]


_LIST_FORMAT = "%x1e%H%x1f%P%x1f%aE%x1f%ad%x1f%cd"  # the fields of _FORMAT that the line stage needs


def commit_list_args(head: str, *, exclude: Iterable[str] = (), first_parent: bool = False) -> list[str]:
    """The commits of :func:`log_args`, in its order, without diffs or messages (a few ms of git per 1,000)."""
    args = ["log", "--topo-order", "--reverse", "--no-abbrev", "-z", "--date=raw", f"--format={_LIST_FORMAT}"]
    if first_parent:
        args.append("--first-parent")
    return [*args, head, *(f"^{sha}" for sha in exclude), "--"]


def commit_list(repo: Repository, *, exclude: Iterable[str] = (), first_parent: bool = False) -> pl.DataFrame:
    """The commits stage 1 reads, with the columns it gives them: ``sha``, ``parents``, ``_email``,
    ``author_time``, ``committer_time`` (no pseudonyms yet), read by a light ``git log`` of their own."""
    cols: dict[str, list] = {k: [] for k in ("sha", "parents", "_email", "author_epoch", "committer_epoch")}
    parts: list[pl.DataFrame] = []  # the lists become frames every _FLUSH_COMMITS commits: no pile of objects

    def flush() -> None:
        parts.append(pl.DataFrame(cols, schema={"sha": pl.String, "parents": pl.String, "_email": pl.String,
                                                "author_epoch": pl.Int64, "committer_epoch": pl.Int64}))
        for values in cols.values():
            values.clear()

    args = commit_list_args(repo.head, exclude=exclude, first_parent=first_parent)
    pending = b""
    for chunk in repo.stream([*repo.mailmap_args(), *args]):
        records = (pending + chunk).split(b"\x1e")
        pending = records.pop()
        for record in records:
            _list_record(record, cols)
        if len(cols["sha"]) >= _FLUSH_COMMITS:
            flush()
    _list_record(pending, cols)
    flush()
    return _typed_commits(pl.concat(parts))


def _list_record(record: bytes, cols: dict[str, list]) -> None:
    record = record.strip(b"\0\n")
    if not record:
        return
    sha, parents, email, adate, cdate = record.split(b"\x1f")
    cols["sha"].append(sha.decode())
    cols["parents"].append(parents.decode())
    cols["_email"].append(_decode(email))
    cols["author_epoch"].append(int(adate.split()[0]))
    cols["committer_epoch"].append(int(cdate.split()[0]))


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def _tz_minutes(tz: bytes) -> int:
    sign = -1 if tz[:1] == b"-" else 1
    return sign * (int(tz[1:3]) * 60 + int(tz[3:5]))


_FLUSH_COMMITS = 2000  # column lists become Arrow-backed frames this often, so Python objects never pile up
_FLUSH_FILES = 20_000  # (or after this many file changes: one commit can touch many files)


@dataclass
class History:
    """Column lists for the two tables, filled by :func:`parse_log`, and the frames already flushed from them.

    The lists hold about :data:`_FLUSH_COMMITS` commits at most: :meth:`flush` moves them into typed frames
    (strings in Arrow buffers, not Python objects), so memory follows the frames, not millions of objects.
    With ``spill``, each chunk of frames goes to ``spill(commits, files)`` instead (a mine writes them to disk,
    :class:`churnlab.mine.spool.Spool`), so the chunks do not pile up in memory either.
    """

    commits: dict[str, list] = field(default_factory=lambda: {k: [] for k in (
        "sha", "parents", "_name", "_email", "author_epoch", "author_tz_offset_min", "_committer_email",
        "committer_epoch", "_message", "files_changed", "lines_added", "lines_deleted")})
    files: dict[str, list] = field(default_factory=lambda: {k: [] for k in (
        "sha", "path", "old_path", "change_type", "similarity", "file_mode", "old_blob", "new_blob",
        "lines_added", "lines_deleted", "is_binary")})
    chunks: list[tuple[pl.DataFrame, pl.DataFrame]] = field(default_factory=list)
    # read with patches: commits whose counts a patch cannot tell (see _parse_diff), then git's numstat of them
    unsure: list[str] = field(default_factory=list)
    numstat: dict[str, list[tuple[str, int | None, int | None]]] = field(default_factory=dict)
    spill: Callable[[pl.DataFrame, pl.DataFrame], None] | None = None

    def full(self) -> bool:
        return len(self.commits["sha"]) >= _FLUSH_COMMITS or len(self.files["sha"]) >= _FLUSH_FILES

    def flush(self) -> None:
        """Move the column lists into a chunk of frames (nothing to do when they are empty)."""
        if not self.commits["sha"]:
            return
        chunk = (_commit_frame(self.commits), _file_frame(self.files, typed=True))
        if self.spill is None:
            self.chunks.append(chunk)
        else:
            self.spill(*chunk)
        for cols in (self.commits, self.files):
            for values in cols.values():
                values.clear()


def _commit_frame(cols: dict[str, list]) -> pl.DataFrame:
    return pl.DataFrame(cols, schema_overrides={
        "parents": pl.String, "files_changed": pl.Int32, "lines_added": pl.Int64,
        "lines_deleted": pl.Int64, "author_tz_offset_min": pl.Int16})


def _file_frame(cols: dict[str, list], *, typed: bool) -> pl.DataFrame:
    types = {"old_path": pl.String, "similarity": pl.Int16, "file_mode": pl.String, "lines_added": pl.Int64,
             "lines_deleted": pl.Int64, "is_binary": pl.Boolean}
    if typed:  # a chunk of commits without file changes (merges only) still concatenates
        types |= {k: pl.String for k in ("sha", "path", "change_type", "old_blob", "new_blob")}
    return pl.DataFrame(cols, schema_overrides=types)


def _raw_frames(hist: History) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The whole history as two contiguous frames, from the chunks kept in memory (``hist`` made without
    ``spill``), with numstat's counts where the patch could not tell them."""
    hist.flush()
    if not hist.chunks:  # empty history: as the empty column lists give it
        return _commit_frame(hist.commits), _file_frame(hist.files, typed=False)
    commits = pl.concat([c for c, _ in hist.chunks], rechunk=True)
    files = pl.concat([f for _, f in hist.chunks], rechunk=True)
    hist.chunks.clear()
    if hist.numstat:
        commits, files = _with_numstat(commits, files, hist.numstat)
    return commits, files


def _with_numstat(commits: pl.DataFrame, files: pl.DataFrame,
                  numstat: dict[str, list[tuple[str, int | None, int | None]]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The counts of these commits' file changes (and their totals) as git's numstat gives them, matched to the
    file changes by their order within the commit."""
    rows = [(sha, k, path, a, d) for sha, per in numstat.items() for k, (path, a, d) in enumerate(per)]
    fix = pl.DataFrame(rows, schema={"sha": pl.String, "_k": pl.Int64, "_path": pl.String, "_a": pl.Int64,
                                     "_d": pl.Int64}, orient="row")
    files = files.with_columns(_k=pl.int_range(pl.len(), dtype=pl.Int64).over("sha")).join(
        fix, on=["sha", "_k"], how="left", maintain_order="left")
    fixed = pl.col("_path").is_not_null()
    matched = files.filter(fixed)
    if matched.height != fix.height or not matched["_path"].equals(matched["path"], check_names=False):
        raise DataError("git's numstat lists other file changes than its raw records for "
                        f"{len(numstat)} commits (e.g. {next(iter(numstat))}); please report it")
    files = files.with_columns(
        lines_added=pl.when(fixed).then(pl.col("_a")).otherwise(pl.col("lines_added")),
        lines_deleted=pl.when(fixed).then(pl.col("_d")).otherwise(pl.col("lines_deleted")),
        is_binary=pl.when(fixed).then(pl.col("_a").is_null()).otherwise(pl.col("is_binary")),
    ).drop("_k", "_path", "_a", "_d")
    totals = files.filter(pl.col("sha").is_in(list(numstat))).group_by("sha").agg(
        _ta=pl.col("lines_added").sum(), _td=pl.col("lines_deleted").sum())
    commits = commits.join(totals, on="sha", how="left", maintain_order="left").with_columns(
        lines_added=pl.coalesce("_ta", "lines_added"), lines_deleted=pl.coalesce("_td", "lines_deleted"),
    ).drop("_ta", "_td")
    return commits, files


def _records(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Split the stream into one bytes record per commit.

    A record is complete only once the next header has started, so the last piece of a chunk is kept
    pending; a \x1e inside a commit message is not followed by a header and is glued back.
    """
    # the piece after the last \x1e so far, in parts: joined once complete, so a commit spanning many chunks is
    # copied once, not once per chunk (a 75 MB patch was copied 75 times)
    tail: list[bytes] = []
    record: list[bytes] = []
    for chunk in chunks:
        pieces = chunk.split(b"\x1e")
        if len(pieces) == 1:
            tail.append(chunk)
            continue
        tail.append(pieces[0])
        pieces[0] = b"".join(tail)
        tail = [pieces.pop()]
        for piece in pieces:
            if _HEADER.match(piece) and record:
                yield b"\x1e".join(record)
                record = []
            if piece or record:
                record.append(piece)
    pending = b"".join(tail)
    if pending:
        if _HEADER.match(pending) and record:
            yield b"\x1e".join(record)
            record = []
        record.append(pending)
    if record and record != [b""]:
        yield b"\x1e".join(record)


def parse_log(chunks: Iterable[bytes], *, on_commit=None, on_patch=None, spill=None) -> History:
    """Parse a ``git log`` stream made with :func:`log_args` into column lists.

    ``on_patch(sha, patch)`` receives each commit's id and patch text (empty without ``patches``, or for a
    commit without a diff; a ``memoryview`` of the record otherwise, valid during the call), in the stream's
    order. ``spill``: see :class:`History`.
    """
    hist = History(spill=spill)
    for record in _records(chunks):
        sha, patch = _parse_record(record, hist, patches=on_patch is not None)
        if on_patch is not None:
            on_patch(sha, patch)
        if hist.full():
            hist.flush()
        if on_commit is not None:
            on_commit(1)
    return hist


def _parse_record(record: bytes, hist: History, *, patches: bool = False) -> tuple[bytes, bytes | memoryview]:
    """Append one commit to the column lists; return its id and its patch text (``b""`` when there is none; a
    view of ``record`` otherwise).

    ``patches``: the record has the commit's patch instead of numstat records (:func:`log_args`).
    """
    end = record.index(b"\x1f\x00")
    sha, parents, name, email, adate, cemail, cdate, body = record[:end].split(b"\x1f", 7)
    c = hist.commits
    sha_s = sha.decode()
    c["sha"].append(sha_s)
    c["parents"].append(parents.decode())  # split into a list column later, in one vectorised step
    c["_name"].append(_decode(name))
    c["_email"].append(_decode(email))
    a_epoch, a_tz = adate.split()
    c["author_epoch"].append(int(a_epoch))
    c["author_tz_offset_min"].append(_tz_minutes(a_tz))
    c["_committer_email"].append(_decode(cemail))
    c["committer_epoch"].append(int(cdate.split()[0]))
    c["_message"].append(_decode(body.rstrip(b"\n")))
    # The raw and numstat records end at the record's first empty NUL-separated field (no path is empty), where
    # a patch begins when the stream has them: so the first "\0\0" ends them, whatever the patch holds.
    cut = record.find(b"\x00\x00", end + 2)
    # the patch as a view, not a copy: a commit vendoring a dependency has a patch of tens of MB
    meta, patch = (record[end + 2:], b"") if cut < 0 else (record[end + 2:cut], memoryview(record)[cut + 2:])
    sections = (_patch_sections(record, cut + 2) if cut >= 0 else []) if patches else None
    n_files, added, deleted, unsure = _parse_diff(meta.lstrip(b"\n").split(b"\x00"), sha_s, hist.files, sections)
    if unsure:
        hist.unsure.append(sha_s)
    is_diffed = n_files > 0 or b" " not in parents
    c["files_changed"].append(n_files if is_diffed else None)
    c["lines_added"].append(added if is_diffed else None)
    c["lines_deleted"].append(deleted if is_diffed else None)
    return sha, patch


# the empty blob (SHA-1, SHA-256): a file without lines, text to numstat
_EMPTY = {b"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
          b"473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"}


def _parse_diff(tokens: list[bytes], sha: str, f: dict[str, list],
                sections: list[tuple[int, int, bool]] | None = None) -> tuple[int, int, int, bool]:
    """Consume raw records, then numstat records or, given ``sections`` (:func:`_patch_sections`), the patch's
    counts, of one commit; return (files, added, deleted, unsure).

    ``unsure``: a file change whose counts the patch cannot tell as numstat does: a type change (numstat diffs
    the old file against the new link or submodule directly, the patch deletes one and creates the other), or
    unchanged content (a pure rename or copy, a mode change: the patch shows no diff, so not whether numstat
    calls the file binary). Its counts are then numstat's (:func:`_numstat_of`).
    """
    raws: list[tuple[bytes, bytes, bytes, bytes, bytes | None, bytes]] = []
    i, n = 0, len(tokens)
    while i < n and tokens[i].startswith(b":"):
        meta = tokens[i][1:].split(b" ")
        if len(meta) != 5:  # a numstat path that starts with ':' cannot get here: raws come first
            break
        _, mode, old_blob, new_blob, status = meta
        if status[:1] in (b"R", b"C"):  # rename/copy: old path, then new path
            raws.append((mode, old_blob, new_blob, status, tokens[i + 1], tokens[i + 2]))
            i += 3
        else:
            raws.append((mode, old_blob, new_blob, status, None, tokens[i + 1]))
            i += 2
    total_a = total_d = 0
    unsure = False
    at = 0  # the next patch section
    for mode, old_blob, new_blob, status, old_path, path in raws:
        if sections is None:
            stat = tokens[i]
            i += 1
            a, d, rest = stat.split(b"\t", 2)
            if not rest:  # rename/copy: old and new path follow
                i += 2
            binary = a == b"-"
            added = None if binary else int(a)
            deleted = None if binary else int(d)
        else:
            added, deleted, binary = sections[at] if at < len(sections) else (0, 0, False)
            at += 1
            if status == b"T":  # two sections: the old file's deletion, the new one's creation
                at += 1
                unsure = True
            elif old_blob == new_blob and not added and not deleted and not binary and new_blob not in _EMPTY:
                unsure = True
            if binary:
                added = deleted = None
        kind = _CHANGE.get(status[:1].decode(), "modify")
        f["sha"].append(sha)
        f["path"].append(_decode(path))
        f["old_path"].append(_decode(old_path) if old_path is not None else None)
        f["change_type"].append(kind)
        f["similarity"].append(int(status[1:]) if len(status) > 1 else None)
        f["file_mode"].append(mode.decode() if kind != "delete" else None)
        f["old_blob"].append(old_blob.decode())
        f["new_blob"].append(new_blob.decode())
        f["lines_added"].append(added)
        f["lines_deleted"].append(deleted)
        f["is_binary"].append(binary)
        total_a += added or 0
        total_d += deleted or 0
    if sections is not None and at != len(sections):
        raise DataError(f"commit {sha}: {len(sections)} patch sections for {len(raws)} file changes; the patch "
                        "does not match git's raw records (please report it)")
    return len(raws), total_a, total_d, unsure


def _patch_sections(patch: bytes, start: int = 0) -> list[tuple[int, int, bool]]:
    """``(added, deleted, binary)`` per file section of a zero-context patch (``patch[start:]``), in order.

    Every content line starts with ``+``, ``-``, `` `` or ``\\``, so a line starting ``diff --git `` starts a
    section and one starting ``@@ -`` a hunk, whose header gives its counts (``-a,b +c,d``; a count left out is
    1), as numstat counts the same diff. A binary file's section says so in a header line, before any hunk.
    """
    if start >= len(patch):
        return []
    out = []  # sections found by position, never split: a huge patch is not copied
    while start >= 0:
        end = patch.find(b"\ndiff --git ", start)
        stop = len(patch) if end < 0 else end
        hunk = patch.find(b"\n@@ -", start, stop)
        added = deleted = 0
        binary = patch.find(b"\nBinary files ", start, stop if hunk < 0 else hunk) >= 0
        while hunk >= 0:
            header = patch[hunk + 5:patch.index(b" @@", hunk + 5, stop)]
            old, new = header.split(b" +")
            deleted += int(old.partition(b",")[2] or 1)
            added += int(new.partition(b",")[2] or 1)
            hunk = patch.find(b"\n@@ -", hunk + 5, stop)
        out.append((added, deleted, binary))
        start = end if end < 0 else end + 1
    return out


def read_history(repo: Repository, *, exclude: Iterable[str] = (), first_parent: bool = False,
                 find_copies: bool = False, on_commit=None, on_patch=None, spill=None) -> History:
    """Stream the history of ``repo.head`` (minus the commits reachable from ``exclude``); with ``on_patch``,
    patches too, handed over commit by commit; chunks to ``spill``, if given (:func:`parse_log`)."""
    args = log_args(repo.head, exclude=exclude, first_parent=first_parent, find_copies=find_copies,
                    patches=on_patch is not None)
    stream = repo.stream([*repo.mailmap_args(), *args])
    try:
        hist = parse_log(stream, on_commit=on_commit, on_patch=on_patch, spill=spill)
    finally:  # a failure in a callback stops git now, not when the traceback is let go
        stream.close()
    if hist.unsure:
        hist.numstat = _numstat_of(repo, hist.unsure, first_parent=first_parent, find_copies=find_copies)
    return hist


def _numstat_of(repo: Repository, shas: list[str], *, first_parent: bool,
                find_copies: bool) -> dict[str, list[tuple[str, int | None, int | None]]]:
    """git's numstat of a few commits, as :func:`log_args` diffs them: ``(path, added, deleted)`` per file
    change in the raw records' order (``None`` counts: binary)."""
    merges = ["--diff-merges=first-parent"] if first_parent else ["--diff-merges=off"]
    out = repo.git(["-c", "diff.context=0", "log", "--no-walk=unsorted", "--stdin", "-z", "--numstat",
                    "--no-ext-diff", "--no-textconv", NUMSTAT_FORMAT, "-C" if find_copies else "-M", *merges],
                   input="".join(f"{sha}\n" for sha in shas).encode())
    return {sha: [(_decode(path), a, d) for path, a, d in rows] for sha, rows in parse_numstat(out).items()}


def _typed_commits(commits: pl.DataFrame) -> pl.DataFrame:
    """Parents as a list, epochs as UTC times, and ``is_merge`` (for :func:`finish_part` and :func:`commit_list`)."""
    return commits.with_columns(
        parents=pl.when(pl.col("parents") == "").then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(pl.col("parents").str.split(" ")),
        author_time=pl.from_epoch("author_epoch", time_unit="s").dt.replace_time_zone("UTC").dt.cast_time_unit("us"),
        committer_time=pl.from_epoch("committer_epoch", time_unit="s").dt.replace_time_zone("UTC").dt.cast_time_unit("us"),
    ).drop("author_epoch", "committer_epoch").with_columns(is_merge=pl.col("parents").list.len() > 1)


def finished_parts(hist: History, raw: Iterable[tuple[pl.DataFrame, pl.DataFrame]], attributes: Attributes | None,
                   missing: frozenset[str]) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """The two frames of each chunk typed, with file classification (no pseudonyms yet), chunk by chunk so that
    memory does not follow history: the chunks that ``hist`` spilled (all of them: flush it first), read back in
    order as ``raw``; an empty history gives one chunk of its empty (untyped) lists."""
    paths = PathFlags(attributes)
    empty = True
    for commits, files in raw:
        empty = False
        yield finish_part(commits, files, hist.numstat, paths, missing)
    if empty:
        yield finish_part(_commit_frame(hist.commits), _file_frame(hist.files, typed=False), {}, paths, missing)


class PathFlags:
    """:func:`churnlab.mine.classify.classify` of each distinct path once (paths repeat from commit to commit)."""

    def __init__(self, attributes: Attributes | None) -> None:
        self._attributes = attributes
        self._flags: dict[str, tuple] = {}

    def of(self, paths: pl.Series) -> dict[str, tuple]:
        """The flags of these paths (each distinct one)."""
        out = {}
        for p in paths.unique(maintain_order=True).to_list():
            fl = self._flags.get(p)
            if fl is None:
                fl = self._flags[p] = classify(p, self._attributes)
            out[p] = fl
        return out


def finish_part(commits: pl.DataFrame, files: pl.DataFrame, numstat: dict[str, list], paths: PathFlags,
                missing: frozenset[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw frames of whole commits typed and classified, with git's numstat counts for the commits in
    ``numstat`` (:func:`_with_numstat`)."""
    if numstat and commits.height:
        here = commits.filter(pl.col("sha").is_in(list(numstat)))["sha"].to_list()
        if here:
            commits, files = _with_numstat(commits, files, {s: numstat[s] for s in here})
    commits = _typed_commits(commits)
    flags = paths.of(files["path"]) if files.height else {}

    def flag(k: int, dtype: pl.DataType) -> pl.Expr:
        if not flags:  # no rows (the path column may be untyped)
            return pl.lit(None, dtype=dtype)
        return pl.col("path").replace_strict({p: fl[k] for p, fl in flags.items()}, return_dtype=dtype)

    files = files.with_columns(
        language=flag(0, pl.String),
        is_vendored=flag(1, pl.Boolean),
        is_generated=flag(2, pl.Boolean),
        is_lock=flag(3, pl.Boolean),
        is_missing=pl.col("old_blob").is_in(list(missing)) | pl.col("new_blob").is_in(list(missing)),
    )
    return commits, files
