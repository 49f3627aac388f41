"""Mine a repository into Parquet tables.

``mine()`` opens the repository (cloning URLs into the cache), streams its history once through
:mod:`churnlab.mine.history`, pseudonymises identities, then runs the later stages (line provenance,
reverts, AI signals), each a function ``stage(ctx) -> {table name: frame}``; line provenance runs in a thread
beside stage 1, checked against it, on the patches of stage 1's own ``git log`` (:mod:`churnlab.mine.overlap`:
one diff pass for both). While the mine runs, stage 1's rows and the stages' tables wait on disk in parts
(:class:`churnlab.mine.spool.Spool`), so memory does not follow history; tables are written together once all
are made, from their parts: each file atomically, the ``commits`` table last, so an interrupted run leaves the
previous complete set.

Re-running on a mined repository makes stage 1 read only the commits that are new since the recorded head, as
long as the options and the salt are unchanged and the old head is an ancestor of the new one (otherwise it
mines everything again); the later stages replay the whole history, since their state is not stored.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from .. import __version__, io, schemas
from ..errors import ChurnlabError, InputError
from ..git import Repository, git_version, is_ancestor, open_repository
from . import _accel
from . import history
from .classify import Attributes, parse_gitattributes
from .identity import is_bot, pseudonymise, resolve_salt, salt_fingerprint
from .markers import load_markers
from .spool import Spool, give_back, parts_of, whole

__all__ = ["Context", "MineResult", "Options", "mine"]

log = logging.getLogger(__name__)

DUPLICATE_BLOCKS = ("tree", "commit")  # values of the duplicate_blocks option
_FINISH_COMMITS = 8192  # stage 1's chunks are typed, classified and pseudonymised this many commits at a time


@dataclass(frozen=True)
class Options:
    """Every option that changes what a table contains; all recorded in provenance."""

    first_parent: bool = False
    find_copies: bool = False
    include_identities: bool = False
    include_messages: bool = False
    markers: str | None = None  # marker registry file (None: the packaged one)
    markers_digest: str | None = None  # sha256 of the registry used, so editing it re-mines
    moves_churn: bool = False
    bulk_lines: int = 5000
    survival_sample_days: int = 30
    duplicate_blocks: str = "tree"  # where an added block's repeat is looked for: "tree" or "commit"
    copy_paste_hours: int = 0  # 0: copy/paste within one commit only; 24: GitClear 2024's same-author rule

    def __post_init__(self) -> None:
        if self.duplicate_blocks not in DUPLICATE_BLOCKS:
            raise InputError(f"duplicate_blocks must be one of {', '.join(map(repr, DUPLICATE_BLOCKS))}, "
                             f"got {self.duplicate_blocks!r}")
        for name in ("bulk_lines", "survival_sample_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{name} must be a positive integer, got {value!r}")
        hours = self.copy_paste_hours
        if isinstance(hours, bool) or not isinstance(hours, int) or hours < 0:
            raise InputError(f"copy_paste_hours must be 0 (off) or a positive number of hours such as 24, "
                             f"got {hours!r}")

    def recorded(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Context:
    """What a stage sees: the open repository, options, and the stage-1 rows (:attr:`commits`,
    :attr:`file_changes`; a mine keeps them on disk, :class:`churnlab.mine.spool.Spool`).

    ``commits`` keeps the raw identities and message in private columns (``_name``, ``_email``,
    ``_committer_email``, ``_message``) for stages that need them; they are dropped before writing unless
    the options ask for them. ``file_changes`` keeps the blob ids (``old_blob``, ``new_blob``).

    ``extras`` carries internal frames from one stage to later ones; they are never written. The line
    provenance stage puts two there. ``patch_fingerprints``: one row per non-merge commit with ``sha``,
    ``fingerprint`` and ``inverse_fingerprint`` (hashes of its per-file net removed and added lines, positions
    ignored; the inverse swaps the two sides, so ``Y.fingerprint == X.inverse_fingerprint`` means Y exactly
    undoes X) and ``lines_changed``, exactly as :func:`churnlab.mine.patches.read_fingerprints` gives them
    (made only when a stage that runs reads them, :meth:`read_later`). ``live_births``: live lines at the head
    (files not excluded) by birth commit (``sha``, ``live_lines``), what ``git blame`` is checked against.
    Before the stages run, ``extras`` also holds what :attr:`Stage.prestart` started (the line stage's
    ``patch_stream``); its stage pops it.
    """

    repo: Repository
    options: Options
    commit_rows: pl.DataFrame | Spool  # stage 1's rows, in memory or on disk (a mine spools them)
    file_rows: pl.DataFrame | Spool
    warnings: list[str] = field(default_factory=list)
    on_progress: Callable[[int], None] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    tables: frozenset[str] | None = None  # the tables this run produces (None: all, e.g. a stage run alone)
    scratch: Path | None = None  # where a stage may spool its tables (Spool) instead of holding them

    @property
    def commits(self) -> pl.DataFrame:
        """Stage 1's commits; read from disk at each use when spooled: hold the frame only while it is used."""
        return whole(self.commit_rows)

    @property
    def file_changes(self) -> pl.DataFrame:
        """Stage 1's file changes (as :attr:`commits`)."""
        return whole(self.file_rows)

    def commit_columns(self, *names: str) -> pl.DataFrame:
        """Only these columns of :attr:`commits` (read only them from disk)."""
        return whole(self.commit_rows, names)

    def file_columns(self, *names: str) -> pl.DataFrame:
        """Only these columns of :attr:`file_changes`."""
        return whole(self.file_rows, names)

    def wants(self, *tables: str) -> bool:
        """Whether this run produces any of ``tables``: a stage may skip the work only other tables need."""
        return self.tables is None or not self.tables.isdisjoint(tables)

    def read_later(self, key: str) -> bool:
        """Whether a stage that runs in this mine reads ``extras[key]`` (:attr:`Stage.reads`)."""
        return any(key in stage.reads and self.wants(*stage.tables) for stage in STAGES)


@dataclass(frozen=True)
class Stage:
    """A pipeline stage after stage 1: the tables it produces and the function that makes them.

    ``prestart`` maps a ``Context.extras`` key to a function ``start(repo, options)`` that starts work the
    stage will need (a git stream) before stage 1 runs, so git works while stage 1's Python does. It returns
    a context manager that :func:`mine` always exits (the stage failed, was not reached, or finished). The
    stage pops its key from ``ctx.extras``, and starts the work itself when the key is absent (nothing was
    started: an empty or partial repository, or a stage run on its own).

    ``overlap``: when it is the first wanted stage, it runs in a thread while stage 1 reads, on a commit list of
    its own and on excluded paths told by path (:mod:`churnlab.mine.overlap`: it may read only the commit
    columns :data:`churnlab.mine.overlap.COLUMNS` and the ``excluded_paths`` extra, not ``file_changes``); it
    runs again on stage 1's frames if they turn out to differ from what it read.
    ``reads`` names the ``Context.extras`` keys the stage uses when an earlier stage left them, so that the
    earlier stage makes them only when a stage that runs reads them (:meth:`Context.read_later`).
    ``relay``: the ``prestart`` key of a patch stream that stage 1 can give instead, when the stage overlaps and
    the mine reads the whole history (not incremental): stage 1 then reads its ``git log`` with patches and hands
    them over (:class:`churnlab.mine.overlap.Relay`), so git diffs each commit once for both.
    """

    name: str
    tables: tuple[str, ...]
    run: Callable[[Context], dict[str, pl.DataFrame]]
    prestart: dict[str, Callable[[Repository, Options], contextlib.AbstractContextManager]] = field(
        default_factory=dict)
    overlap: bool = False
    reads: tuple[str, ...] = ()
    relay: str | None = None


BASE_TABLES = ("commits", "file_changes")
# Later pipeline stages, in order. Each returns frames that match their declared schemas.
STAGES: list[Stage] = []


def all_tables() -> tuple[str, ...]:
    return BASE_TABLES + tuple(t for stage in STAGES for t in stage.tables)


class WrittenTables(Mapping[str, pl.DataFrame]):
    """The tables a mine wrote, each read from its file when asked for (a mine does not hold them)."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self._paths = paths

    def __getitem__(self, table: str) -> pl.DataFrame:
        return io.read_table(self._paths[table], table)

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


@dataclass
class MineResult:
    repo: str
    head: str | None
    tables: Mapping[str, pl.DataFrame]  # frames; with ``out``, read from the written files when asked for
    paths: dict[str, Path]
    provenance: dict[str, Any]
    new_commits: int
    seconds: float
    extras: dict[str, Any] = field(default_factory=dict)  # the stages' internal frames (Context.extras)

    def scan(self, table: str) -> pl.LazyFrame:
        """One table, lazily (from its file when the mine wrote it)."""
        if table in self.paths:
            return pl.scan_parquet(self.paths[table])
        return self.tables[table].lazy()

    def summary(self) -> str:
        c = self.scan("commits").select(
            n=pl.len(), authors=pl.col("author_id").n_unique(), merges=pl.col("is_merge").sum(),
            bots=pl.col("is_bot").sum()).collect().row(0, named=True)
        f = self.scan("file_changes").select(
            n=pl.len(), added=pl.col("lines_added").sum(), deleted=pl.col("lines_deleted").sum()
        ).collect().row(0, named=True)
        lines = [
            f"{self.repo}: {c['n']} commits ({self.new_commits} newly mined) in {self.seconds:.2f} s, head {str(self.head)[:12]}",
            f"  authors {c['authors']}, merges {int(c['merges'] or 0)}, bot commits {int(c['bots'] or 0)}",
            f"  file changes {f['n']}, lines added {int(f['added'] or 0)}, deleted {int(f['deleted'] or 0)}",
        ]
        for name in self.tables:
            if name not in ("commits", "file_changes"):
                lines.append(f"  {name}: {self.scan(name).select(pl.len()).collect().item()} rows")
        for w in self.provenance.get("warnings", []):
            lines.append(f"  warning: {w}")
        return "\n".join(lines)


def mine(source: str | os.PathLike, out: str | os.PathLike | None = None, *, name: str | None = None,
         rev: str = "HEAD", first_parent: bool = False, find_copies: bool = False,
         include_identities: bool = False, include_messages: bool = False, salt: str | None = None,
         cache: str | os.PathLike | None = None, incremental: bool = True,
         tables: Sequence[str] | None = None, markers: str | os.PathLike | None = None,
         moves_churn: bool = False, bulk_lines: int = 5000, survival_sample_days: int = 30,
         duplicate_blocks: Literal["tree", "commit"] = "tree",
         copy_paste_hours: int = 0,
         on_progress: Callable[[int], None] | None = None) -> MineResult:
    """Mine one repository into the ``commits`` and ``file_changes`` tables (and later stages' tables).

    Parameters
    ----------
    source
        A local checkout, a bare repository, or a URL (https, ssh, git, file) cloned into the cache.
    out
        Dataset folder; tables go to ``out/<table>/<repo key>.parquet``. ``None``: return frames only.
    name
        Repository name recorded in every row (default: owner/name from the URL or origin remote).
    rev
        Head to mine from (default ``HEAD``, the default branch).
    first_parent
        Follow only the first-parent chain; merges are then diffed against their first parent.
    include_identities, include_messages
        Write raw author names/emails and commit messages (off by default: privacy).
    salt
        Pseudonymisation salt (default: ``$CHURNLAB_SALT`` or one kept in the cache folder).
    incremental
        Mine only commits new since the head recorded in ``out`` (when the options match). Line provenance
        always reads the whole history again (its live-line state is not stored).
    tables
        Tables to produce (default: all). ``commits`` and ``file_changes`` are always read; a later stage
        runs only when one of its tables is wanted. With ``survival`` the only line table wanted (and no
        ``reverts`` tables), the line stage replays births and deaths alone: no labels, no churn.
    markers
        AI-marker registry CSV for the signals tables (default: the packaged ``ai_markers.csv``).
    moves_churn
        Count moved lines as churn when they are younger than the window (off by default, as GitClear).
    bulk_lines
        Commits with more meaningful changed lines than this are flagged ``is_bulk`` (default 5,000).
    survival_sample_days
        Days between survival samples (default 30; the head is always sampled).
    duplicate_blocks
        Where a run of 5 added lines is looked for to flag a duplicate block: ``"tree"`` (default, the
        research spec) in the same commit or in the tree at the parent; ``"commit"`` in the same commit only
        (less CPU time: ``benchmarks/bench_duplicates.py`` measures the difference).
    copy_paste_hours
        Also label ``copy_pasted`` an added line whose content the same author added in another commit within
        the preceding this many hours of author time (24: GitClear 2024's rule; default 0, off).

    Examples
    --------
    >>> result = mine(".", "data/")            # doctest: +SKIP
    >>> result.tables["commits"].height        # doctest: +SKIP
    """
    started = time.perf_counter()
    wanted = _wanted_tables(tables)
    registry = load_markers(markers)  # a bad registry fails before anything is mined or written
    options = Options(first_parent=first_parent, find_copies=find_copies,
                      include_identities=include_identities, include_messages=include_messages,
                      markers=None if markers is None else os.fspath(markers), markers_digest=registry.digest,
                      moves_churn=moves_churn, bulk_lines=bulk_lines, survival_sample_days=survival_sample_days,
                      duplicate_blocks=duplicate_blocks, copy_paste_hours=copy_paste_hours)
    if out is not None:
        _check_writable(Path(out))
    repo = open_repository(source, name=name, rev=rev, cache=cache)
    salt_value = resolve_salt(salt, cache=cache)
    base = dict(
        churnlab_version=__version__, repo=repo.name, url=repo.url, rev=rev, git_version=git_version(),
        options=options.recorded(), salt_fingerprint=salt_fingerprint(salt_value),
    )
    previous = _previous(out, repo, base) if (out is not None and incremental and repo.head) else None
    with tempfile.TemporaryDirectory(prefix="churnlab-") as scratch, contextlib.ExitStack() as early, \
            _few_collections():
        # on missing objects, what runs beside stage 1 (it reads the repository's own git dir) stops and starts again
        start = functools.partial(_start, repo, options, wanted, previous, salt_value, early, on_progress,
                                  Path(scratch))
        ahead, extras, (commits, files, new) = _shadowed(repo, Path(scratch), start, before_retry=early.close)
        give_back()
        ctx = Context(repo, options, commits, files, on_progress=on_progress, extras=extras,
                      tables=frozenset(wanted), scratch=Path(scratch))
        if repo.is_shallow:
            ctx.warnings.append("shallow clone: history is truncated at the shallow boundary")
        if repo.missing:
            ctx.warnings.append(f"{len(repo.missing)} missing objects: their file changes are flagged is_missing")
        # with ``out`` every table waits on disk until all are made (nothing is written if a stage fails)
        made: dict[str, pl.DataFrame | Spool] = {"commits": commits, "file_changes": files}
        for stage in STAGES:
            if set(stage.tables) & wanted:
                done = ahead.result(ctx) if ahead is not None and ahead.stage is stage else None
                done = done if done is not None else stage.run(ctx)
                for table in list(done):  # each frame let go of once on disk
                    rows = done.pop(table)
                    made[table] = _spooled(rows, Path(scratch), table) if out is not None else rows
                done = rows = None
                give_back()
        made = {t: rows for t, rows in made.items() if t in wanted}
        provenance = dict(
            base, head=repo.head, mined_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            shallow=repo.is_shallow, partial_clone=repo.is_partial, missing_objects=sorted(repo.missing),
            warnings=ctx.warnings, incremental_from=previous["head"] if previous else None,
            compiled_kernels=_accel.COMPILED,  # identical results either way; recorded for timing comparisons
        )
        for w in ctx.warnings:
            log.warning("%s: %s", repo.name, w)
        if out is not None:
            paths = _write_all(made, out, repo.name, provenance)
            tables: Mapping[str, pl.DataFrame] = WrittenTables(paths)
            extras = {k: v for k, v in ctx.extras.items() if not isinstance(v, Spool)}  # not held once written
        else:
            paths, tables = {}, {t: _returned(t, rows, repo.name) for t, rows in made.items()}
            extras = {k: whole(v) if isinstance(v, Spool) else v for k, v in ctx.extras.items()}
    return MineResult(repo.name, repo.head, tables, paths, provenance, new, time.perf_counter() - started,
                      extras)


def _wanted_tables(tables: Sequence[str] | None) -> set[str]:
    known = all_tables()
    if tables is None:
        return set(known)
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise InputError(f"unknown table(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return set(tables) | set(BASE_TABLES)


@contextlib.contextmanager
def _few_collections(young: int = 50_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while mining (restored after).

    The line stage allocates millions of short lists and few reference cycles; at Python's default threshold
    (700) the collector runs hundreds of times on a mid-size history for nothing
    (``benchmarks/bench_label.py REPO --mine`` prints its count and time).
    """
    before = gc.get_threshold()
    gc.set_threshold(young, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _start(repo: Repository, options: Options, wanted: set[str], previous: dict | None, salt: str,
           stack: contextlib.ExitStack, on_progress, scratch: Path) -> tuple[Overlap | None, dict[str, Any], tuple]:
    """Start what runs beside stage 1 (early streams, the overlapped stage, the patch relay; ``stack`` stops them
    whatever happens), then run stage 1: ``(overlap, extras, (commits, file_changes, new commits))``."""
    relayed = _relayed(repo, wanted, previous)
    extras = _prestart(repo, options, wanted, stack, skip=relayed)
    relay = Relay() if relayed else None
    if relayed:
        extras[relayed] = relay
    ahead = _overlap(repo, options, wanted, previous, salt, extras, stack, scratch)
    if relay is not None:
        stack.callback(relay.close)  # before the overlap is cancelled: a stage waiting for patches stops
    return ahead, extras, _read_once(repo, options, previous, salt, on_progress, scratch, relay)


def _objects_missing(repo: Repository, exc: ChurnlabError) -> bool:
    """Whether stage 1 failed on objects missing from the repository, not yet read through a shadow dir."""
    return repo.head is not None and repo.read_dir == repo.git_dir and _is_missing_object(str(exc))


def _prestart(repo: Repository, options: Options, wanted: set[str], stack: contextlib.ExitStack,
              skip: str | None = None) -> dict[str, Any]:
    """Start the wanted stages' early work (:attr:`Stage.prestart`) but ``skip``; ``stack`` closes it whatever
    happens."""
    if repo.head is None:  # nothing to read
        return {}
    started: dict[str, Any] = {}
    for stage in STAGES:
        if set(stage.tables) & wanted:
            for key, start in stage.prestart.items():
                if key != skip:
                    started[key] = stack.enter_context(start(repo, options))
    return started


def _first_stage(wanted: set[str]) -> Stage | None:
    return next((s for s in STAGES if set(s.tables) & wanted), None)


def _relayed(repo: Repository, wanted: set[str], previous: dict | None) -> str | None:
    """The ``prestart`` key that stage 1 relays in this mine (:attr:`Stage.relay`), if any: the first wanted
    stage overlaps and reads every commit's patch, and stage 1 reads every commit too (not incremental), with
    no object missing (through the shadow git dir, a change between two missing blobs has no patch to count)."""
    first = _first_stage(wanted)
    if first is None or not first.overlap or previous is not None or repo.head is None or repo.missing:
        return None
    return first.relay


def _overlap(repo: Repository, options: Options, wanted: set[str], previous: dict | None, salt: str,
             extras: dict[str, Any], stack: contextlib.ExitStack, scratch: Path | None = None) -> Overlap | None:
    """Start the first wanted stage now in a thread, beside stage 1, if it can (:attr:`Stage.overlap`).

    It takes its early work out of ``extras``; ``stack`` stops it on every way out, before that work is closed.
    """
    first = _first_stage(wanted)
    if first is None or not first.overlap or repo.head is None:
        return None
    ahead = Overlap(first, repo, options, previous, salt, {k: extras.pop(k) for k in first.prestart if k in extras},
                    frozenset(wanted), scratch)
    stack.callback(ahead.cancel)
    return ahead


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as exc:
        raise InputError(f"cannot write to output folder {out}: {exc.strerror}; choose a writable --out") from None


def _read(repo: Repository, options: Options, previous: dict | None, scratch: Path, salt: str,
          on_progress) -> tuple[Spool, Spool, int]:
    """Stage 1 alone (nothing beside it), through a shadow git dir when objects are missing."""
    return _shadowed(repo, scratch, lambda: _read_once(repo, options, previous, salt, on_progress, scratch))


def _shadowed(repo: Repository, scratch: Path, run: Callable[[], Any], *,
              before_retry: Callable[[], Any] = lambda: None) -> Any:
    """``run()`` (stage 1 and what it starts) through a shadow git dir that stands in for missing objects: made
    first for a partial clone, so git never fetches blobs from its promisor remote; made, after
    ``before_retry()``, when ``run`` fails on missing objects, then ``run`` again (:meth:`Repository.use_shadow`)."""
    if repo.head is not None and repo.is_partial:
        repo.use_shadow(scratch)
    try:
        return run()
    except ChurnlabError as exc:
        if not _objects_missing(repo, exc):
            raise
    before_retry()
    repo.use_shadow(scratch)
    return run()


def _read_once(repo: Repository, options: Options, previous: dict | None, salt: str, on_progress, scratch: Path,
               relay: Relay | None = None) -> tuple[Spool, Spool, int]:
    """Stage 1 into two spools under ``scratch`` (``commits``, ``file_changes``, the number of new commits),
    chunk by chunk, so its memory does not follow history. Patches go to ``relay``, if given (ended either way:
    finished, or failed with stage 1's error)."""
    raw = Spool(scratch, "raw-commits"), Spool(scratch, "raw-files")
    if repo.head is None:
        hist = history.History()
    else:
        exclude = [previous["head"]] if previous else []
        hist = _history(repo, options, exclude, on_progress, relay, spill=lambda c, f: (raw[0].append(c),
                                                                                        raw[1].append(f)))
        hist.flush()
    on_chain = _first_parent_rows(_first_parents(previous, raw[0]), repo.head)
    # finished in batches of chunks: a few polars calls per batch rather than per chunk of 2,000 commits
    batches = _batched(zip(raw[0].parts(), raw[1].parts()), _FINISH_COMMITS)
    parts = history.finished_parts(hist, batches, _attributes(repo), repo.missing)
    commits, files = Spool(scratch, "commits"), Spool(scratch, "file_changes")
    stored, at = previous, 0

    def flagged(rows: pl.DataFrame) -> pl.DataFrame:
        nonlocal at
        at += rows.height
        return rows.with_columns(on_first_parent=pl.Series(on_chain[at - rows.height:at], dtype=pl.Boolean))

    for c, f in parts:
        c = _identities(c, salt, options)
        if stored:  # the stored rows first, with the columns of the new ones (private ones null)
            commits.append(flagged(_like(stored["commits"], c)))
            files.append(_like(stored["file_changes"], f))
            stored = None
        commits.append(flagged(c))
        files.append(f)
    return commits, files, raw[0].height


def _batched(pairs: Iterator[tuple[pl.DataFrame, pl.DataFrame]],
             commits: int) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """Consecutive chunks of (commits, file changes) joined until they hold at least ``commits`` commits."""
    held: list[tuple[pl.DataFrame, pl.DataFrame]] = []
    for pair in pairs:
        held.append(pair)
        if sum(c.height for c, _ in held) >= commits:
            yield pl.concat([c for c, _ in held]), pl.concat([f for _, f in held])
            held = []
    if held:
        yield pl.concat([c for c, _ in held]), pl.concat([f for _, f in held])


def _like(stored: pl.DataFrame, fresh: pl.DataFrame) -> pl.DataFrame:
    """Stored rows with the columns of freshly mined ones, in their order (columns not stored are null)."""
    return pl.concat([fresh.clear(), stored], how="diagonal_relaxed").select(fresh.columns)


def _history(repo: Repository, options: Options, exclude: list[str], on_progress,
             relay: Relay | None, spill=None) -> history.History:
    kw = dict(exclude=exclude, first_parent=options.first_parent, find_copies=options.find_copies,
              on_commit=on_progress, spill=spill)
    if relay is None:
        return history.read_history(repo, **kw)
    try:
        hist = history.read_history(repo, **kw, on_patch=relay.put)
    except BaseException as exc:
        relay.fail(exc)
        raise
    relay.finish()
    return hist


def _is_missing_object(message: str) -> bool:
    return any(s in message for s in ("unable to read", "missing blob", "missing tree", "bad object",
                                      "is missing", "could not read"))


def _attributes(repo: Repository) -> Attributes | None:
    if repo.head is None:
        return None
    names = repo.git(["ls-tree", "-r", "-z", "--name-only", repo.head]).split(b"\0")
    wanted = [n for n in names if n == b".gitattributes" or n.endswith(b"/.gitattributes")]
    if not wanted:
        return None
    out = repo.git(["cat-file", "--batch"], input=b"".join(repo.head.encode() + b":" + n + b"\n" for n in wanted))
    files, pos = {}, 0
    for n in wanted:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        if header[-1] == b"missing":
            pos = header_end + 1
            continue
        size = int(header[2])
        files[n.decode("utf-8", "backslashreplace")] = out[header_end + 1: header_end + 1 + size].decode("utf-8", "replace")
        pos = header_end + 1 + size + 1
    return parse_gitattributes(files)


def _first_parent_flags(commits: pl.DataFrame, head: str | None) -> pl.DataFrame:
    firsts = commits.select("sha", first=pl.col("parents").list.first())
    return commits.with_columns(on_first_parent=pl.Series(_first_parent_rows(firsts, head)))


def _first_parents(previous: dict | None, raw_commits: Spool) -> pl.DataFrame:
    """``sha`` and ``first`` parent of the stored commits, then of the new ones (raw: parents as one string)."""
    firsts = [previous["commits"].select("sha", first=pl.col("parents").list.first())] if previous else []
    if raw_commits.height:
        firsts.append(raw_commits.frame(["sha", "parents"]).select(
            "sha", first=pl.when(pl.col("parents") != "").then(pl.col("parents").str.splitn(" ", 2).struct[0])))
    return pl.concat(firsts) if firsts else pl.DataFrame(schema={"sha": pl.String, "first": pl.String})


def _first_parent_rows(firsts: pl.DataFrame, head: str | None) -> np.ndarray:
    """Whether each commit (rows of ``sha`` and ``first`` parent) is on the first-parent chain from ``head``."""
    # row numbers found in the sorted ids (provenance.CommitIds), not a join of strings: about 60 bytes a commit
    ids = CommitIds(firsts["sha"])
    known = firsts["first"].is_not_null()
    first = np.full(firsts.height, -1, dtype=np.int64)
    first[known.to_numpy()] = ids.positions(firsts["first"].filter(known))
    first = first.tolist()  # the walk reads one at a time: Python ints, for the moment of the walk
    on = bytearray(firsts.height)
    at = ids.index(head.encode()) if head is not None else None
    row = -1 if at is None else at
    while row >= 0 and not on[row]:
        on[row] = 1
        row = first[row]
    return np.frombuffer(on, dtype=bool)


def _identities(commits: pl.DataFrame, salt: str, options: Options) -> pl.DataFrame:
    """Pseudonyms and bot flags; raw names, emails and messages only where the options ask for them."""
    emails = set(commits["_email"].unique().to_list()) | set(commits["_committer_email"].unique().to_list())
    ids = {e: pseudonymise(e, salt) for e in emails}
    # is_bot once per identity, not once per commit (git's name and email fields hold no NUL)
    person = pl.concat_str("_name", "_email", separator="\0")
    people = commits.select("_name", "_email").unique()
    bots = {f"{n}\0{e}": is_bot(n, e) for n, e in people.iter_rows()}

    def raw(col: str, wanted: bool) -> pl.Expr:
        return pl.col(col) if wanted else pl.lit(None, dtype=pl.String)

    return commits.with_columns(
        author_id=pl.col("_email").replace_strict(ids, return_dtype=pl.String),
        committer_id=pl.col("_committer_email").replace_strict(ids, return_dtype=pl.String),
        is_bot=person.replace_strict(bots, return_dtype=pl.Boolean) if bots else pl.lit(None, dtype=pl.Boolean),
        author_name=raw("_name", options.include_identities),
        author_email=raw("_email", options.include_identities),
        message=raw("_message", options.include_messages),
    )


def _public(table: str, rows: pl.DataFrame, repo: str) -> pl.DataFrame:
    """A table's rows as written: stage 1's without their private columns, and every table with ``repo``."""
    if table == "commits":
        return rows.with_columns(repo=pl.lit(repo)).select(schemas.COMMITS.names)
    if table == "file_changes":
        return rows.with_columns(repo=pl.lit(repo)).select(schemas.FILE_CHANGES.names)
    return rows.with_columns(repo=pl.lit(repo))  # spooled rows have none


def _returned(table: str, rows: pl.DataFrame | Spool, repo: str) -> pl.DataFrame:
    """A table as :func:`mine` returns it without writing it: as it would read back from its file (every spool
    of a mine has at least one part)."""
    return pl.concat([io.conform(_public(table, part, repo), table) for part in parts_of(rows)], rechunk=False)


def _spooled(frame: pl.DataFrame | Spool, scratch: Path, table: str) -> Spool:
    """A stage's table on disk until every table is made, in parts of :data:`churnlab.io.PART_ROWS` rows."""
    return frame if isinstance(frame, Spool) else Spool.of(frame, scratch, table, io.PART_ROWS)


def _previous(out: str | os.PathLike, repo: Repository, base: dict) -> dict | None:
    """The stored tables of this repository, if an incremental run can extend them."""
    paths = {t: io.table_path(out, t, repo.name) for t in ("commits", "file_changes")}
    if not all(p.is_file() for p in paths.values()):
        return None
    try:
        provs = {t: io.read_provenance(p) for t, p in paths.items()}
    except ChurnlabError:
        return None
    prov = provs["commits"]
    same = all(prov.get(k) == base[k] for k in ("options", "salt_fingerprint", "churnlab_version", "rev"))
    heads = {p.get("head") for p in provs.values()}
    if not same or len(heads) != 1 or prov.get("head") is None:
        log.info("%s: options, salt or version changed since the last run; mining everything again", repo.name)
        return None
    old = prov["head"]
    if not is_ancestor(repo.git_dir, old, repo.head):
        log.info("%s: the recorded head %s is not an ancestor of %s; mining everything again", repo.name, old[:12], repo.head[:12])
        return None
    tables = {t: io.read_table(p, t) for t, p in paths.items()}
    # Stored rows go back through the same pipeline: private columns come back as nulls.
    commits = tables["commits"].drop("repo", "on_first_parent")
    files = tables["file_changes"].drop("repo")
    return {"head": old, "commits": commits, "file_changes": files}


def _write_all(made: dict[str, pl.DataFrame | Spool], out, repo: str, provenance: dict) -> dict[str, Path]:
    """Each table written from its parts (never whole in memory); commits last: it carries the head that the
    next incremental run trusts."""
    def parts(table: str) -> Callable[[], Iterator[pl.DataFrame]]:
        return lambda: (_public(table, part, repo) for part in parts_of(made[table]))

    order = sorted(made, key=lambda t: t == "commits")
    return {t: io.write_parts(parts(t), t, io.table_path(out, t, repo), provenance) for t in order}


# The later stages, in order: line provenance first, since it leaves the patch fingerprints that the
# revert stage uses (the revert stage streams its own when run alone). Stages import Context lazily.
from .provenance import (MERGE_TREES, PATCH_STREAM, CommitIds, line_provenance, start_merge_trees,  # noqa: E402
                         start_patch_stream)
from .overlap import Overlap, Relay  # noqa: E402
from .reverts import reverts_stage  # noqa: E402
from .signals import signals_stage  # noqa: E402

STAGES += [Stage("lines", ("line_ops", "churn", "survival"), line_provenance,
                 prestart={PATCH_STREAM: start_patch_stream, MERGE_TREES: start_merge_trees}, overlap=True,
                 relay=PATCH_STREAM),
           Stage("reverts", ("reverts", "revert_flags"), reverts_stage, reads=("patch_fingerprints",)),
           Stage("signals", ("signals", "adoption"), signals_stage)]
