"""Run the line stage while stage 1 reads (:attr:`churnlab.mine.Stage.overlap`), with the same results.

Stage 1's time is mostly git's (``git log --numstat``); the line stage's is Python's. So :func:`churnlab.mine.mine`
starts the line stage in a thread before stage 1. In a whole mine stage 1 reads its ``git log`` with patches
and hands each commit's patch over (:class:`Relay`), so git diffs each commit once for both; the patches are
byte for byte the stream the stage would read for itself (``tests/mine/test_relay.py``), which it still does in
an incremental mine (stage 1 then reads only the new commits). The stage's other inputs it reads for itself:

- the commits (``sha``, ``parents``, ``author_time``, ``committer_time``, ``author_id``, ``on_first_parent``)
  from a light ``git log`` of the same commits in the same order (:func:`churnlab.mine.history.commit_list`),
  pseudonymised and flagged as stage 1 does them, after the stored commits in an incremental run;
- the excluded paths (vendored, generated, lock) told by path: the classification of a path is a function of the
  path and the head's ``.gitattributes`` (:func:`churnlab.mine.classify.classify`), plus the paths flagged in
  the stored rows of an incremental run.

When stage 1 is done, :meth:`Overlap.result` checks that the stage saw what stage 1 gives: the commit columns
equal, and every path the stage asked about excluded exactly when stage 1's ``file_changes`` flag it (a path
can differ, e.g. one that only a merge brings, which stage 1 lists no change for). If anything differs, the
stage runs again on stage 1's frames, as without the overlap; so the tables never depend on the overlap.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from .. import io
from . import history
from .classify import Attributes, classify
from .identity import pseudonymise
from .provenance import EXCLUDED_PATHS, EXCLUSION_COLUMNS, TRACKER_COLUMNS, ReadAhead, excluded_paths
from .spool import Spool, parts_of, same_rows

__all__ = ["COLUMNS", "Abandoned", "ExcludedByPath", "Overlap", "Relay"]

log = logging.getLogger(__name__)

COLUMNS = TRACKER_COLUMNS  # the commit columns the line stage reads


class Abandoned(Exception):
    """The overlapped stage was stopped: stage 1 failed, or the stage's result will not be used."""


class ExcludedByPath:
    """Set-like answer to ``path in excluded``, as stage 1 will flag the path; every answer is kept for checking."""

    def __init__(self, attributes: Attributes | None, known: set[str]) -> None:
        self._attributes = attributes
        self._known = known  # flagged in the stored rows of an incremental run
        self.answers: dict[str, bool] = {}

    def __contains__(self, path: str) -> bool:
        hit = self.answers.get(path)
        if hit is None:
            _, vendored, generated, lock = classify(path, self._attributes)
            hit = self.answers[path] = bool(path in self._known or vendored or generated or lock)
        return hit

    def agrees(self, excluded: set[str]) -> bool:
        return all((path in excluded) == hit for path, hit in self.answers.items())


_RELAY_BYTES = 32 << 20  # patch text waiting for the line stage at most (a larger single commit still passes)


class Relay:
    """Stage 1's patches handed to the overlapped stage as its patch stream: one git diff pass for both.

    Stage 1 reads ``git log`` with patches (:func:`churnlab.mine.history.log_args`) and gives each commit's
    patch to :meth:`put`, then calls :meth:`finish` (or :meth:`fail` with its error); the stage reads the
    records :func:`churnlab.mine.lines.records` would split from its own stream (:func:`churnlab.mine.lines.log_args`;
    :meth:`records`), or iterates the chunks of that stream, the same bytes. Stage 1 waits while
    :data:`_RELAY_BYTES` of patch text wait for the stage. :meth:`close` (the stage is done or gave up) drops the
    rest, so neither side ever waits for the other in vain.

    A patch is copied once, into its record: a commit vendoring a dependency has a patch of tens of MB, and each
    copy of it is held while the stage parses it.
    """

    def __init__(self, limit: int = _RELAY_BYTES) -> None:
        self._items: deque = deque()
        self._bytes = 0  # the records waiting, and the one the stage is reading (held)
        self._held = 0
        self._limit = limit
        self._closed = False
        self._ended = False
        self._turn = threading.Condition()

    def put(self, sha: bytes, patch: bytes | memoryview) -> None:
        # as "--format=%x1e%H" prints it, the record being what lies between two "\n\x1e" separators
        trailing = patch[-1:] == b"\n"
        size = len(sha) + (len(patch) + 2 - trailing if patch else 0)
        with self._turn:
            # the record the stage is reading counts: stage 1 does not copy a huge patch while another is read
            while (self._items or self._held) and self._bytes + size > self._limit and not self._closed:
                self._turn.wait()
            if self._closed:
                return
        if not patch:
            item = (sha, b"\n")
        else:
            item = (b"".join((sha, b"\n\n", patch[:-1] if trailing else patch)), b"\n" if trailing else b"")
        with self._turn:
            if self._closed:
                return
            self._items.append(item)
            self._bytes += size
            self._turn.notify_all()

    def finish(self) -> None:
        self._end(_DONE)

    def fail(self, error: BaseException) -> None:
        self._end(error)

    def _end(self, item) -> None:
        with self._turn:
            if not self._ended:
                self._ended = True
                self._items.append(item)
                self._turn.notify_all()

    def records(self) -> Iterator[bytes]:
        """The commits' records, as :func:`churnlab.mine.lines.records` splits them from the stream."""
        while True:
            try:
                record, _ = self._next()
            except StopIteration:
                return
            yield record

    def __iter__(self) -> Relay:
        return self

    def __next__(self) -> bytes:
        """The next chunk of the stream (one commit)."""
        record, end = self._next()
        return b"".join((b"\x1e", record, end))

    def _next(self) -> tuple[bytes, bytes]:
        with self._turn:
            self._bytes -= self._held  # the stage is done with the record it read last
            self._held = 0
            self._turn.notify_all()
            while not self._items and not self._closed:
                self._turn.wait()
            if self._closed:  # closed before stage 1 ended it: what the stage read is not the history
                raise Abandoned
            item = self._items.popleft()
            if isinstance(item, tuple):
                self._held = len(item[0])
                return item
        self.close()
        if item is _DONE:
            raise StopIteration
        raise item

    def close(self) -> None:
        with self._turn:
            self._closed = True
            self._items.clear()
            self._bytes = self._held = 0
            self._turn.notify_all()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_DONE = object()


class _Stoppable:
    """A started stream that raises :class:`Abandoned` at its next chunk once ``stop`` is set."""

    def __init__(self, stream: ReadAhead | Relay, stop: threading.Event) -> None:
        self._stream = stream
        self._stop = stop

    def __iter__(self) -> _Stoppable:
        return self

    def __next__(self) -> bytes:
        if self._stop.is_set():
            raise Abandoned
        return next(self._stream)

    def records(self) -> Iterator[bytes]:
        for record in self._stream.records():
            if self._stop.is_set():
                raise Abandoned
            yield record

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> _Stoppable:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Overlap:
    """One stage running in a thread from now on, on its own commit list and path-told exclusions.

    ``extras`` are the stage's early-started work (:attr:`Stage.prestart`), now the thread's. Call
    :meth:`cancel` on every way out (it stops the stage at its next chunk and waits for the thread) before the
    early work is closed, and :meth:`result` once stage 1's frames are in the context.
    """

    def __init__(self, stage, repo, options, previous: dict | None, salt: str, extras: dict[str, Any],
                 tables: frozenset[str] | None = None, scratch: Path | None = None) -> None:
        self.stage = stage
        self._scratch = scratch  # where the stage's commit list and tables wait (None: in memory)
        self._tables = tables  # the run's wanted tables (Context.tables)
        self._stop = threading.Event()
        self._extras = {k: _Stoppable(v, self._stop) if isinstance(v, (ReadAhead, Relay)) else v
                        for k, v in extras.items()}
        self._ctx = None  # the context the stage ran on
        self._excluded: ExcludedByPath | None = None
        self._frames: dict[str, pl.DataFrame] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(repo, options, previous, salt),
                                        name="churnlab-overlap", daemon=True)
        self._thread.start()

    def _run(self, repo, options, previous: dict | None, salt: str) -> None:
        try:
            ctx = self._context(repo, options, previous, salt)
            if self._stop.is_set():
                raise Abandoned
            self._ctx = ctx
            self._frames = self.stage.run(ctx)
        except BaseException as exc:  # raised in the calling thread by result(), when it stands
            self._error = exc
        finally:  # the stage closes what it used; this closes what it never reached (a second close does nothing)
            for started in self._extras.values():
                if started is not None:  # nothing was started (merges' trees in first-parent mode)
                    started.close()

    def _context(self, repo, options, previous: dict | None, salt: str):
        from . import Context, _attributes, _first_parent_flags  # the package imports this module

        commits = history.commit_list(repo, exclude=[previous["head"]] if previous else [],
                                      first_parent=options.first_parent)
        ids = {e: pseudonymise(e, salt) for e in commits["_email"].unique().to_list()}
        commits = commits.with_columns(author_id=pl.col("_email").replace_strict(ids, return_dtype=pl.String))
        known: set[str] = set()
        if previous:
            commits = pl.concat([previous["commits"], commits], how="diagonal_relaxed")
            known = excluded_paths(previous["file_changes"])
        commits = _first_parent_flags(commits, repo.head).select(COLUMNS)
        if self._scratch is not None:  # read by the stage once, and by result() to check: not held meanwhile
            commits = Spool.of(commits, self._scratch, "line-commits", io.PART_ROWS)
        self._excluded = ExcludedByPath(_attributes(repo), known)
        extras = {**self._extras, EXCLUDED_PATHS: self._excluded}
        return Context(repo, options, commits, pl.DataFrame(), extras=extras, tables=self._tables,
                       scratch=self._scratch)

    def cancel(self) -> None:
        """Stop the stage (if still running) and wait for its thread; its result is not used."""
        self._stop.set()
        self._thread.join()

    def result(self, ctx) -> dict[str, pl.DataFrame] | None:
        """The stage's frames once it is done, with its warnings and extras moved into ``ctx`` (stage 1's);
        ``None`` when it did not see what stage 1 gives (run it again on ``ctx``). Its error is raised here."""
        self._thread.join()
        if self._ctx is None or not self._saw(ctx):
            if self._error is not None and not isinstance(self._error, Abandoned):
                log.info("%s: the %s stage failed beside stage 1 (%s); running it again", ctx.repo.name,
                         self.stage.name, self._error)
            else:
                log.info("%s: the %s stage read other inputs than stage 1 gives; running it again",
                         ctx.repo.name, self.stage.name)
            return None
        if self._error is not None:
            raise self._error
        ctx.warnings.extend(self._ctx.warnings)
        ctx.extras.update(self._ctx.extras)
        frames, self._frames, self._ctx = self._frames, None, None  # its commit list goes before later stages run
        return frames

    def _saw(self, ctx) -> bool:
        """Whether the stage's inputs were stage 1's: the commit columns, and every exclusion it asked about."""
        if not same_rows(parts_of(self._ctx.commit_rows), parts_of(ctx.commit_rows, COLUMNS)):
            return False
        return self._excluded is not None and self._excluded.agrees(excluded_paths(ctx.file_columns(*EXCLUSION_COLUMNS)))
