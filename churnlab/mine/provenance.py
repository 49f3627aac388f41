"""Line provenance: live lines and their births, two-week churn, survival (research spec, sections 1-3).

One streaming ``git log -p -U0 --topo-order --reverse`` (:func:`churnlab.mine.lines.log_args`) replays
every commit's diff against its first parent onto the live lines of that parent, file by file, as git blame
does in reverse: each line is an integer *birth record* ``commit * 4 + flags`` (bit 0: meaningful; bit 1:
new code, counted in its commit's authoring-side denominator) plus a content hash, both held per file in
``array('q')`` (16 bytes a live line; slices, joins and comparisons of unchanged runs stay in C). Python work
happens per changed line only.

Merges follow git blame: a file identical to one in another parent takes all its births from there; else
lines unchanged against the first parent keep their births, and lines new against it take the births of the
lines they align with in the other parents (side-branch commits), the merge owning only what no parent has.
In the default mode merges come without patches: their tree diffs against the first parent come from a
second, cheap stream (:func:`merge_tree_args`) and merged files no parent has are read by blob id
(:meth:`Tracker._merge_trees`). With ``first_parent=True`` only the chain is read and merges own what they
bring, as ``git blame --first-parent``.

Churn is counted where a line is revised, in whichever branch (a side-branch commit that deletes a week-old
line churns it there); merges revise nothing of their own (conflict resolutions are not counted). Survival
counts the lines of the first-parent chain. Times are author times. Excluded files (binary, vendored,
generated, lock, and changes with minified content) are tracked, so the state stays equal to the tree, but
left out of line operations, churn and survival. Changes that the reverts stage labels as reverts are
counted here as the deletions/updates they are.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import subprocess
import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import datetime, timezone
from itertools import accumulate, compress, repeat
from operator import is_
from pathlib import Path

import numpy as np
import polars as pl

from .. import io
from ..schemas import CHURN_WINDOWS
from . import lines as L
from . import patches
from . import _accel
from ._accel import align as _align  # merge alignment: compiled when built, else churnlab.mine.align
from ._accel import common as _common
from ._accel import common_tail as _common_tail
from ._accel import credit as _credit
from .duplicates import NO_KEY, TreeWindows, duplicated_lines
from .normalize import _LOWER_KEYWORDS, line_key
from .spool import Spool

__all__ = ["EXCLUDED_PATHS", "MERGE_TREES", "PATCH_STREAM", "WINDOWS", "CommitIds", "Deaths", "MergeTrees", "Ragged",
           "ReadAhead", "Tracker", "churn_columns", "excluded_paths", "km_median", "line_provenance",
           "merge_tree_args", "start_merge_trees",
           "start_patch_stream", "start_stream"]

log = logging.getLogger(__name__)

WINDOWS = CHURN_WINDOWS  # churn windows in days (7, 14, 21, 30); 14 is the headline
_DAY = 86400
_UNKNOWN = -4  # a line whose birth is unknown (its file was binary or missing before)
_CHURNING = frozenset({L.DELETED, L.UPDATED, L.FIND_REPLACED})
_NO_MODE, _GITLINK = b"000000", b"160000"  # raw diff modes: path absent; submodule
_BINARY_PROBE = 8000  # git calls content binary when a NUL byte occurs in its first 8,000 bytes
_KEYS_KEPT = 100_000  # side-branch lines whose key hashes are remembered for merges (RememberedKeys)
_RENAME_CANDIDATES = 4  # a merge deleting at most this many files: any may be a new path's rename source
_DEPTH = 32  # chunks of the patch stream read ahead of the line stage
_FLUSH_ROWS = 5000  # output rows kept as Python lists before they become a frame
TRACKER_COLUMNS = ("sha", "parents", "author_time", "committer_time", "author_id", "on_first_parent")  # it reads
_OPS_COUNTS = (*L.LABELS, "duplicated_lines")  # the line_ops table's counts, after sha and path
_ROW = 4  # per-commit churn-table counters: meaningful, duplicated, authored, is_bulk
_NOT_NEW = ~2  # clears bit 1 of a birth record (new code: the churn table's, not survival's)
_REVISED = 2 * len(WINDOWS) + 1  # per-reviser counters: self by window, others by window, all revisions
_ALIGN_MIDDLES = _accel.COMPILED  # whether merges align a file's versions to key and recount less (_middle_keys)


def _quarter(epoch: int) -> int:
    d = datetime.fromtimestamp(epoch, timezone.utc)
    return d.year * 4 + (d.month - 1) // 3


@functools.lru_cache(maxsize=None)  # a few quarters, asked once per survival sample and lifetime
def _cohort_names(qid: int) -> tuple[str, str]:
    return str(qid // 4), f"{qid // 4}Q{qid % 4 + 1}"


class CommitIds:
    """Commit ids by index, and the index of an id, held as sorted fixed-width byte strings (not Python objects).

    About 50 bytes a commit, where a list of ids and a dictionary back cost about 250.
    """

    def __init__(self, shas: list[str] | pl.Series) -> None:
        ids = fixed_ids(shas)
        self._order = np.argsort(ids, kind="stable").astype(np.int32)  # index of the k-th smallest id
        self._sorted = ids[self._order]
        self._rank = np.empty(len(ids), dtype=np.int32)  # position of each index's id in the sorted ids
        self._rank[self._order] = np.arange(len(ids), dtype=np.int32)
        self._next = 0  # the index tried first by index()

    def __len__(self) -> int:
        return len(self._sorted)

    def __getitem__(self, i: int) -> str:
        return self._sorted[self._rank[i]].decode("ascii")

    def positions(self, shas: list[str] | pl.Series) -> np.ndarray:
        """The index of each of ``shas``, -1 for an id not held."""
        if not len(self._sorted):
            return np.full(len(shas), -1)
        keys = fixed_ids(shas)
        at = np.searchsorted(self._sorted, keys).clip(max=len(self._sorted) - 1)
        return np.where(self._sorted[at] == keys, self._order[at], -1)

    def index(self, sha: bytes) -> int | None:
        """The index of one id (ASCII hex), ``None`` if not held.

        The index after the last one found is tried first: the line stage asks for the commits in the order
        they are held, so a search is the exception.
        """
        guess = self._next
        if guess < len(self._rank) and self._sorted[self._rank[guess]] == sha:
            self._next = guess + 1
            return guess
        at = int(np.searchsorted(self._sorted, sha))
        if at < len(self._sorted) and self._sorted[at] == sha:
            found = int(self._order[at])
            self._next = found + 1
            return found
        return None

    def resolve(self, ref: str) -> str | None:
        """The one id that starts with ``ref`` (a full or abbreviated id, any case); ``None`` when none or
        several do (a ref outside the mined range, or ambiguous)."""
        key = ref.lower().encode()
        i = int(np.searchsorted(self._sorted, key))
        hits = self._sorted[i:i + 2]
        found = [h for h in hits if h.startswith(key)]
        return found[0].decode("ascii") if len(found) == 1 else None

    def sorted_where(self, chosen: np.ndarray) -> np.ndarray:
        """The indexes where ``chosen`` (a boolean per index) is true, in the order of their ids."""
        return self._order[chosen[self._order]]

    def column(self, rows: np.ndarray) -> pl.Series:
        """The ids of ``rows``, as a string column."""
        return pl.Series("sha", self._sorted[self._rank[rows]], dtype=pl.Binary).cast(pl.String)


def fixed_ids(shas: list[str] | pl.Series) -> np.ndarray:
    """Hex ids as a numpy array of fixed-width byte strings; from a column, without a Python object per id."""
    if not isinstance(shas, pl.Series) or not len(shas):
        return np.array(list(shas), dtype=bytes)
    widths = shas.str.len_bytes()
    width = widths.min()
    if shas.null_count() or not width or widths.max() != width:  # not all of one width: never for a column of ids
        return np.array(shas.to_list(), dtype=bytes)
    return np.frombuffer(shas.str.join("").item().encode(), dtype=f"S{width}")  # read-only, on the bytes


class Ragged:
    """Lists of integers held as two flat arrays (values, and where each list starts): ``ragged[i]`` is list
    ``i`` as an array."""

    def __init__(self, lists: Iterable[Iterable[int]]) -> None:
        self._values = array("q")
        self._starts = array("q", [0])
        for values in lists:
            self._values.extend(values)
            self._starts.append(len(self._values))

    @classmethod
    def from_flat(cls, values: np.ndarray, counts: np.ndarray) -> Ragged:
        """The lists of ``counts[i]`` values each, one after the other in ``values``."""
        ragged = cls(())
        ragged._values = array("q", values.astype(np.int64).tobytes())
        ragged._starts = array("q", np.concatenate([[0], np.cumsum(counts)]).astype(np.int64).tobytes())
        return ragged

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, i: int) -> array:
        return self._values[self._starts[i]:self._starts[i + 1]]

    def __iter__(self) -> Iterator[array]:
        return (self[i] for i in range(len(self)))


class Deaths:
    """Lines that left the chain, by birth quarter and days lived: per quarter, a flat array indexed by day.

    Its size follows the history's time span (8 bytes per quarter and day lived), not the number of deaths or
    commits; a ``Counter`` keyed by ``(quarter, days)`` costs about 200 bytes a key, tens of MB on a long history.
    """

    def __init__(self) -> None:
        self._by_quarter: dict[int, array] = {}

    def add(self, quarter: int, days: int, n: int = 1) -> None:
        row = self._by_quarter.get(quarter)
        if row is None:
            row = self._by_quarter[quarter] = array("q")
        if days >= len(row):
            row.frombytes(bytes(8 * (days + 1 - len(row))))
        row[days] += n

    def items(self) -> Iterator[tuple[tuple[int, int], int]]:
        """``((quarter, days), lines)`` for every pair with lines, as a ``Counter``'s items."""
        for quarter, row in self._by_quarter.items():
            counts = np.frombuffer(row, np.int64)
            days = np.flatnonzero(counts)  # the days with deaths, found in C
            lines = counts[days].tolist()
            del counts  # no view of the row is left while the caller runs
            yield from zip(zip(repeat(quarter), days.tolist()), lines)


class RememberedKeys:
    """Key hashes of side-branch lines by content hash, kept for the merges that bring the lines (a line not
    found costs only a read of its merged blob, never a different result).

    Bounded in two generations of at most half of ``limit`` entries each: when a hunk's lines would not fit in
    the young one (where lines are added), it becomes the old one and the old one is dropped. The lines
    remembered last, those of the branches still open, survive a turn; forgetting everything at once made the
    merges after it read their blobs. A hunk longer than a generation is not remembered at all (its merge
    reads the blob): one huge side-branch commit cannot grow the dicts past the bound. A Python dict entry
    holds two int objects and a slot, about 100 bytes: 100,000 entries, about 10 MB.
    """

    def __init__(self, limit: int) -> None:
        self._young: dict[int, int] = {}
        self._old: dict[int, int] = {}
        self._half = limit // 2

    def remember(self, lines: list[bytes], keys: list[str | None]) -> None:
        """Remember the key hash of each of ``lines`` (its key, ``None`` when the line is not meaningful)."""
        if len(lines) > self._half:
            return
        if len(self._young) + len(lines) > self._half:
            self._old, self._young = self._young, {}
        young = self._young
        young.update(zip(map(hash, lines), map(hash, keys)))  # the pairs made in C
        if None in keys:  # then the lines that are not meaningful (a line's key is a function of it)
            for raw in compress(lines, map(is_, repeat(None), keys)):
                young[hash(raw)] = NO_KEY

    def get_many(self, hashes) -> list[int | None]:
        """The key hash remembered for each content hash (``None``: not remembered), the young one first."""
        keys = list(map(self._young.get, hashes))
        if self._old and None in keys:
            old = self._old.get
            keys = [old(h) if k is None else k for h, k in zip(hashes, keys)]
        return keys


class Tracker:
    """Live lines of every commit still needed (by a child not yet read), plus the tables' counters.

    A commit's state maps path -> ``(records, hashes, blob)``: the birth record and the content hash of each
    line (two ``array('q')``), and the file's blob id (``None`` for a file whose content is unknown: binary or
    missing). A child that is its parent's last reader takes the parent's state over; otherwise it copies the
    path map (file arrays are never mutated, only replaced), so a linear history copies nothing and memory
    follows the open branches, not history.
    With ``tree_duplicates`` the chain head's tree is also kept as a window index for duplicate blocks
    (:class:`churnlab.mine.duplicates.TreeWindows`); without it blocks repeat within the commit only.
    With ``survival_only`` a commit's changed lines are neither labelled nor fingerprinted: only the survival
    table and the live births come out (give it ``tree_duplicates=False``, ``copy_paste_hours=0``).
    """

    def __init__(self, commits: pl.DataFrame, excluded_paths: set[str], *, first_parent: bool,
                 moves_churn: bool, bulk_lines: int, sample_days: int, merges: MergeTrees | None = None,
                 tree_duplicates: bool = True, copy_paste_hours: int = 0, survival_only: bool = False,
                 fingerprints: bool = True, scratch: Path | None = None) -> None:
        self.survival_only = survival_only  # births and deaths only: no labels, line operations, churn, fingerprints
        self.fingerprints = fingerprints and not survival_only  # the revert stage's input, made when it runs
        # per-commit columns as flat arrays of machine integers, not Python objects: memory per commit stays small
        # (made through numpy: no Python object per commit, even for a moment)
        self.shas = CommitIds(commits["sha"])
        self.time = _ints_array(commits["author_time"].dt.epoch("s"))
        self.ctime = _ints_array(commits["committer_time"].dt.epoch("s"))
        # equal ids, equal codes (0: no id)
        self.author = _ints_array(commits["author_id"].rank("dense").fill_null(0), "i")
        self.chain = bytearray(commits["on_first_parent"].fill_null(False).cast(pl.UInt8).to_numpy().tobytes())
        self.parents, self.readers = _linked(self.shas, commits["parents"], self.chain, first_parent)
        # merges by their own parents (kept in first-parent mode too): the fingerprints skip them, as --no-merges
        self.is_merge = bytearray((commits["parents"].list.len().fill_null(0).to_numpy() > 1).tobytes())
        self.qid = array("i", (_quarter(t) for t in self.time))
        self.first_parent = first_parent
        self.churning = _CHURNING | ({L.MOVED} if moves_churn else set())
        self.bulk_lines = bulk_lines
        self.recent = L.RecentAdditions(copy_paste_hours) if copy_paste_hours else None
        self.sample_step = sample_days * _DAY
        self._excluded_paths = excluded_paths
        self._excl_cache: dict[bytes, bool] = {}
        self.merges = merges  # merges' tree diffs, for a patch stream without merges' patches
        self.states: dict[int, dict[bytes, tuple[array, array, bytes] | None]] = {}
        self.files: dict[bytes, tuple[array, array, bytes] | None] = {}  # the chain head's state
        # duplicate blocks: the windows of the chain head's tree (churnlab.mine.duplicates), moved on in feed
        self.trees = TreeWindows(self.excluded) if tree_duplicates else None
        self._key_of = RememberedKeys(_KEYS_KEPT)  # key hashes of side-branch lines, for merges' files
        self.live: Counter[int] = Counter()  # quarter * 2 + meaningful -> live lines of the chain (included files)
        self.deaths = Deaths()  # (quarter, lifetime days) -> lines that left the chain
        self._dying = array("q")  # birth records of the lines the commit being applied removes (see _bury)
        self._revising = array("q")  # ... and of those it revises
        # outputs: row lists flushed into frames every _FLUSH_ROWS rows; per-commit counters in flat arrays
        n = len(self.shas)
        self.ops_rows: dict[str, list] = {k: [] for k in ("sha", "path", *_OPS_COUNTS)}
        # with ``scratch`` the flushed chunks go to disk (Spool), so they do not pile up as history grows
        self.ops_chunks: list[pl.DataFrame] | Spool = Spool(scratch, "line_ops") if scratch else []
        self.has_row = bytearray(n)  # commits with a churn row (the non-merges)
        # counters of lines as 32-bit integers (an overflow raises): 96 bytes a commit, where 64 bits took 192
        self.commit_rows = _counters(_ROW * n)  # per commit: meaningful, duplicated, authored, is_bulk
        self.revised = _counters(_REVISED * n)  # per reviser: self then others by window, then all
        self.authored_churned = _counters(len(WINDOWS) * n)  # per birth commit, by window
        self.prints: dict[str, list] = {"sha": [], "fingerprint": [], "inverse_fingerprint": [], "lines_changed": []}
        self.print_chunks: list[pl.DataFrame] | Spool = Spool(scratch, "fingerprints") if scratch else []
        self.samples: list[tuple[int, dict[int, int]]] = []
        self.next_sample: int | None = None
        self.clock = 0
        self.unknown_events = 0
        self.missing_merged = 0  # merged files whose content could not be read

    # ---- classification helpers -------------------------------------------------------------------------

    def excluded(self, path: bytes) -> bool:
        hit = self._excl_cache.get(path)
        if hit is None:
            hit = self._excl_cache[path] = path.decode("utf-8", "backslashreplace") in self._excluded_paths
        return hit

    def _included(self, fd: L.FileDiff) -> bool:
        return not (fd.binary or fd.submodule or self.excluded(fd.path) or L.is_minified(fd))

    # ---- the stream -----------------------------------------------------------------------------------

    def feed(self, record: bytes) -> None:
        """Read one commit of the stream (parents always come first: ``--topo-order --reverse``)."""
        c = self.shas.index(L.record_sha(record))
        if c is None:
            return
        # a huge record: the hunks of files left out of the metrics are parsed one file at a time, when read
        sha, files = (L.parse_record(record) if len(record) < L.LAZY_RECORD_BYTES
                      else L.parse_record_lazily(record, self.excluded))
        chain = self.chain[c]
        parents = self.parents[c]
        merge = len(parents) > 1
        if chain:
            self._sample_until(self.ctime[c])
        labels = None
        if not merge and not self.survival_only:
            include = [i for i, fd in enumerate(files) if self._included(fd)]
            labels = L.label_commit(files, include)
            labels.duplicated = duplicated_lines(include, labels, self.trees)  # the tree is still the parent's
            if not chain and self.trees is not None and self.merges is not None:
                self._remember_keys(files, include, labels)
            if self.recent is not None:
                self.recent.relabel(labels, include, self.author[c], self.time[c])
            self._record_ops(c, files, include, labels)
        if not self.is_merge[c] and self.fingerprints:
            fwd, inv, changed = L.patch_fingerprints(files)
            for k, v in zip(self.prints, (sha, fwd, inv, changed)):
                self.prints[k].append(v)
            if len(self.prints["sha"]) >= _FLUSH_ROWS:
                self._flush_prints()
        state = self._take(c)
        if self.is_merge[c] and not self.first_parent:  # no patch: the merge is read from its tree
            self._merge_trees(c, state, [self.states.get(p) or {} for p in parents[1:]], chain)
        else:
            self._apply(c, state, files, labels, chain)
        for p in parents[1:]:
            self._release(p)
        if chain:
            self.files = state
            if self.trees is not None:
                self.trees.apply(files, labels and labels.keys_added)
        if self.readers[c] or chain:
            self.states[c] = state
        if chain:  # the chain head's state stays in self.files; older chain states go once read
            for p in parents[:1]:
                if not self.readers[p]:
                    self.states.pop(p, None)

    def _take(self, c: int) -> dict:
        """The first parent's state, taken over by its last reader, else copied."""
        if not self.parents[c]:
            return {}
        p = self.parents[c][0]
        base = self.states.get(p, {})
        self.readers[p] -= 1
        if self.readers[p] <= 0:
            self.states.pop(p, None)
            return base
        return dict(base)

    def _release(self, p: int) -> None:
        self.readers[p] -= 1
        if self.readers[p] <= 0:
            self.states.pop(p, None)

    def _record_ops(self, c: int, files: list[L.FileDiff], include: list[int], labels: L.CommitLabels) -> None:
        authored = 0
        by_path: dict[str, list[int]] = {}  # a type change lists one path twice (deleted, then added): one row per path
        for fi in include:
            counts = (*labels.counts(fi), labels.duplicated.get(fi, 0))
            path = files[fi].path.decode("utf-8", "backslashreplace")
            row = by_path.get(path)
            if row is None:
                by_path[path] = list(counts)
            else:
                for k, n in enumerate(counts):
                    row[k] += n
            for alab in labels.added[fi]:  # lines that are not meaningful are labelled no_op
                authored += len(alab) - alab.count(L.MOVED) - alab.count(L.NO_OP)
        rows = self.ops_rows
        sha = self.shas[c] if include else None
        for path in sorted(by_path):  # a commit's rows by path; the commits in the stream's order
            rows["sha"].append(sha)
            rows["path"].append(path)
            for name, n in zip(_OPS_COUNTS, by_path[path]):
                rows[name].append(n)
        self.has_row[c] = 1
        self.commit_rows[_ROW * c: _ROW * (c + 1)] = array("i", (
            labels.meaningful, sum(labels.duplicated.values()), authored, labels.meaningful > self.bulk_lines))
        if len(rows["sha"]) >= _FLUSH_ROWS:
            self._flush_ops()

    def _flush_ops(self) -> None:
        if self.ops_rows["sha"]:
            self.ops_chunks.append(_ops_chunk(self.ops_rows))
            for values in self.ops_rows.values():
                values.clear()

    def _flush_prints(self) -> None:
        if self.prints["sha"]:
            self.print_chunks.append(patches.fingerprint_frame(self.prints))
            for values in self.prints.values():
                values.clear()

    # ---- applying a diff ---------------------------------------------------------------------------------

    def _apply(self, c: int, state: dict, files: list[L.FileDiff], labels: L.CommitLabels | None,
               chain: bool) -> None:
        """Apply one commit's diff (against its first parent) to ``state``: births, deaths, revisions."""
        t = self.time[c]
        # Copy and rename sources are the parent's files, whatever this commit does at their paths first (git
        # lists entries by path: a source may be modified, or its path reused, before the copy is read).
        sources = {fd.old_path: state.get(fd.old_path) for fd in files if fd.old_path is not None}
        for fi, fd in enumerate(files):
            if fd.submodule:
                continue
            old, new = fd.old_path, fd.new_path
            if fd.binary:
                if old is not None and not fd.copy:
                    self._leave(_take_source(state, old, sources), old, t, chain)
                if new is not None:
                    self._leave(state.pop(new, None), new, t, chain)
                    state[new] = None
                continue
            if old is None:
                cur = (array("q"), array("q"))
            elif fd.copy:
                cur = sources[old]
            else:
                cur = _take_source(state, old, sources)
            out_path = new if new is not None else old
            if chain and cur is not None and old is not None:
                if fd.copy and not self.excluded(out_path):
                    self._count(cur[0], 1)
                elif not fd.copy and self.excluded(old) != self.excluded(out_path):
                    self._count(cur[0], 1 if self.excluded(old) else -1)
            result = self._hunks(c, t, fd, fi, cur, labels, out_path, chain)
            if new is None:
                self._leave(result, out_path, t, chain)
            elif result is None:
                state[new] = None
            else:  # pure renames and mode changes have no index line: the blob is the old one
                state[new] = (result[0], result[1], fd.new_blob or (cur[2] if cur else b""))
        self._bury(c, t)

    def _hunks(self, c: int, t: int, fd: L.FileDiff, fi: int, cur: tuple[array, array] | None,
               labels: L.CommitLabels | None, path: bytes, chain: bool):
        if cur is None:  # content unknown before (binary or missing): positions only
            if not fd.hunks:
                return None
            cur = (array("q"), array("q"))
            self.unknown_events += 1
        recs, hashes = cur[0], cur[1]
        counted = chain and not self.excluded(path)
        metrics = labels is not None and fi in labels.added  # no labels: survival only
        args = (recs, hashes, fd.hunks, c * 4,
                (labels.removed[fi], labels.added[fi], labels.keys_added[fi]) if metrics else None,
                line_key, self.churning, self._dying if counted else None, self._revising, _LOWER_KEYWORDS)
        spliced = _splice_hunks(*args)
        if spliced is NotImplemented:  # hunks out of order: left to the reference
            spliced = _splice_hunks_reference(*args)
        out_r, out_h, born_lines, born_meaningful, padded = spliced
        self.unknown_events += padded
        if counted and born_lines:  # every line born here is this commit's: one quarter, counted by its meaningful bit
            at = self.qid[c] * 2
            self.live[at + 1] += born_meaningful
            self.live[at] += born_lines - born_meaningful
        return out_r, out_h

    # ---- merges without patches (default mode) ---------------------------------------------------------

    def _merge_trees(self, m: int, state: dict, others: list[dict], chain: bool) -> None:
        """Apply a merge from its tree diff against the first parent (no patch), as git blame credits it.

        Paths the merge deletes leave ``state``; a merged blob equal to another parent's takes that parent's
        file whole; other merged files are read and credited by :meth:`_merged_file`. On the chain, lines
        leaving and arriving are compared over the whole merge, so a line that only moved between paths (a
        side-branch rename, which ``--no-renames`` shows as delete and add) neither dies nor is born.
        """
        assert self.merges is not None, "the default mode reads merges from their trees: give the tracker merges="
        left: list[tuple[bytes, tuple | None]] = []
        arrived: list[tuple[bytes, tuple | None]] = []
        deleted: dict[bytes, tuple] = {}  # first parent's files this merge removes: rename sources
        todo = []
        changes = self.merges.changes(self.shas[m])
        for old_mode, new_mode, old_blob, new_blob, path in changes:
            old = state.pop(path, None)
            if old is not None:
                left.append((path, old))
            if new_mode == _NO_MODE or new_mode == _GITLINK:
                if old is not None:
                    deleted[path] = old
            elif old_blob == new_blob and old_mode != _NO_MODE:  # mode change only
                state[path] = old
                arrived.append((path, old))
            else:
                todo.append((path, new_blob, old))
        whole = {path: _same_blob(others, path, blob) for path, blob, _ in todo}
        tree = self.trees if chain else None  # the duplicate-block index needs the text of every changed file
        # a file taken whole from a side branch mostly brings lines that branch's commits added: their key hashes
        # are remembered, so the index moves on without reading the blob
        keyed = {} if tree is None else {path: self._known_middle(tree, path, old, whole[path])
                                         for path, blob, old in todo if whole[path] is not None}
        unread = list(dict.fromkeys(blob.decode("ascii") for path, blob, _ in todo
                                    if whole[path] is None or (tree is not None and keyed.get(path) is None)))
        contents = dict(zip(unread, self.merges.blobs.read_many(unread))) if unread else {}
        if tree is not None:
            for old_mode, new_mode, old_blob, new_blob, path in changes:
                if new_mode == _NO_MODE or new_mode == _GITLINK:
                    tree.remove(path)
        for path, blob, old in todo:
            new = whole[path]
            content = lines = None
            if new is None or (tree is not None and keyed.get(path) is None):
                content = contents[blob.decode("ascii")]
                lines = _blob_lines(content)
            if new is None:
                if content is None:
                    self.missing_merged += 1
                new = self._merged_file(m, blob, lines, old, [other.get(path) for other in others],
                                        _rename_sources(path, deleted) if old is None and deleted else [])
            state[path] = new
            arrived.append((path, new))
            if tree is not None:
                if keyed.get(path) is not None:
                    tree.splice_keys(path, *keyed[path])
                else:
                    _move_tree(tree, path, old, new, lines)
        if chain:
            self._merge_survival(m, left, arrived)

    def _remember_keys(self, files: list[L.FileDiff], include: list[int], labels: L.CommitLabels) -> None:
        """Key hashes of a side-branch commit's added lines, by content hash, for the merge that brings them."""
        for fi in include:
            for h, akeys in zip(files[fi].hunks, labels.keys_added[fi]):
                self._key_of.remember(h[5], akeys)

    def _known_middle(self, tree: TreeWindows, path: bytes, old: tuple | None,
                      new: tuple | None) -> tuple[int, int, array, list] | None:
        """``(head, tail, key hashes, unchanged blocks)`` of the lines of ``new`` between the common ends with
        ``old`` (:func:`_middle_keys`), when the index holds ``old`` and every middle line's key hash is known (a
        line of ``old`` it aligns with, a side-branch line remembered, or a line of ``old`` with its content);
        else ``None`` (the blob is read)."""
        if old is None or new is None or len(tree.files.get(path) or ()) != len(old[1]) or not old[1]:
            return None
        a, b, old_keys = old[1], new[1], tree.files[path]
        remembered = self._key_of.get_many
        held: dict[int, int] | None = None

        def lookup(lo: int, hi: int, a_lo: int, a_hi: int) -> list[int] | None:
            nonlocal held
            lines = b[lo:hi]
            keys = remembered(lines)
            if None in keys:
                # lines the old version has elsewhere in the middle (moved) keep their keys
                if held is None:
                    held = dict(zip(a[a_lo:a_hi], old_keys[a_lo:a_hi]))
                keys = [k if k is not None else held.get(h) for h, k in zip(lines, keys)]
                if None in keys:
                    return None
            return keys  # type: ignore[return-value]

        return _middle_keys(a, b, old_keys, lookup)

    def _merged_file(self, m: int, blob: bytes, lines: _BlobLines | None, old: tuple | None, theirs: list,
                     renamed: list) -> tuple[array, array, bytes] | None:
        """Births of a merged file no parent has: first-parent lines kept, the rest credited, as git blame does.

        ``theirs``: the other parents' files at the path; ``renamed``: first-parent files the merge deletes that
        may be this path's rename source (when the path is new against the first parent); ``lines``: the merged
        blob's (:func:`_blob_lines`; ``None``: missing or binary).
        """
        if lines is None:
            return None
        hashes = lines.hashes
        own = m * 4
        recs = array("q", [own]) * len(lines)
        if old is not None:  # lines unchanged against the first parent keep their births
            o_recs = old[0]
            for i, j, size in _align(old[1], hashes):
                recs[j:j + size] = o_recs[i:i + size]
        at = np.frombuffer(recs, np.int64)  # a view: credit's writes show through
        born_at = np.flatnonzero(at == own).tolist()
        for src in (*renamed, *theirs):  # the first parent that has a line gives its birth, as git blame does
            if not born_at:
                break
            if src is not None:
                _credit(recs, hashes, born_at, src)
                born = np.array(born_at, np.int64)
                born_at = born[at[born] == own].tolist()
        del at  # the array may be written again only once no view of it is left
        for lo, hi in _runs(born_at):  # the merge's own lines: new code where meaningful
            for j, k in zip(range(lo, hi), lines.key_hashes(lo, hi)):
                if k != NO_KEY:
                    recs[j] = own + 3
        return recs, hashes, blob

    def _merge_survival(self, m: int, left: list, arrived: list) -> None:
        """Deaths and new live lines of a merge on the chain: the lines that left minus those that arrived.

        A line is its birth record and content hash: a line that only moved between paths neither dies nor is
        born, and another line of its commit never stands in for it. Bit 1 of the record (new code) is the
        churn table's and left out, so survival is the same whether or not the lines were labelled.
        """
        runs: tuple[list, list, list, list] = ([], [], [], [])  # (records, hashes): left, arrived; in excluded files
        before = {path: cur for path, cur in left if cur}
        for path, cur in arrived:
            if not cur:
                continue
            old = before.pop(path, None)
            at = 2 if self.excluded(path) else 0
            if old is None:
                runs[at + 1].append((cur[0], cur[1]))
                continue
            # the lines both keep at the common ends (same records, same contents) cancel out: count the middle
            a, b, ha, hb = old[0], cur[0], old[1], cur[1]
            n = min(len(a), len(b))
            k = _common(ha, 0, hb, 0, _common(a, 0, b, 0, n))  # rarely shorter: the same births, other contents
            e = _common_tail(a, len(a), b, len(b), n - k)
            if e:
                e = _common_tail(ha, len(a), hb, len(b), e)
            runs[at].append((a[k:len(a) - e], ha[k:len(a) - e]))
            runs[at + 1].append((b[k:len(b) - e], hb[k:len(b) - e]))
        for path, cur in before.items():
            runs[2 if self.excluded(path) else 0].append((cur[0], cur[1]))
        live, qid, t = self.live, self.qid, self.time[m]
        for rec, arrived_net, died in _merge_lines(runs):  # the births whose lines arrived or died
            if rec < 0:
                continue
            b = rec >> 2
            live[qid[b] * 2 + (rec & 1)] += arrived_net
            if died:
                self.deaths.add(qid[b], max(t - self.time[b], 0) // _DAY, died)

    def _revise(self, reviser: int, rec: int, t: int, n: int = 1) -> None:
        """``n`` meaningful lines born as ``rec`` are deleted/updated by ``reviser`` at time ``t``."""
        b = rec >> 2
        age = t - self.time[b]
        counts, at = self.revised, _REVISED * reviser
        counts[at + _REVISED - 1] += n
        at += 0 if self.author[b] == self.author[reviser] else len(WINDOWS)
        for w, days in enumerate(WINDOWS):
            if age <= days * _DAY:
                counts[at + w] += n
                if rec & 2:
                    self.authored_churned[len(WINDOWS) * b + w] += n

    def _die(self, rec: int, t: int, n: int = 1) -> None:
        b = rec >> 2
        self.live[self.qid[b] * 2 + (rec & 1)] -= n
        self.deaths.add(self.qid[b], max(t - self.time[b], 0) // _DAY, n)

    def _bury(self, c: int, t: int) -> None:
        """Count what commit ``c`` (at time ``t``) did to the lines it removed, once per birth record (lines
        removed together mostly share their births): the deaths of those of the chain's included files
        (:attr:`_dying`), and the revisions of the labelled lines whose label churns (:attr:`_revising`) among
        those born meaningful (an unknown birth is negative)."""
        if self._dying:
            for rec, n in Counter(self._dying).items():
                if rec >= 0:
                    self._die(rec, t, n)
            del self._dying[:]
        if self._revising:
            for rec, n in Counter(self._revising).items():
                if rec >= 0 and rec & 1:
                    self._revise(c, rec, t, n)
            del self._revising[:]

    def _count(self, recs: list[int], sign: int) -> None:
        for rec in recs:
            if rec >= 0:
                self.live[self.qid[rec >> 2] * 2 + (rec & 1)] += sign

    def _leave(self, cur, path: bytes, t: int, chain: bool) -> None:
        """A whole file leaves the state (deleted, or become binary); its lines die at :meth:`_bury`."""
        if not cur or not chain or self.excluded(path):
            return
        self._dying.extend(cur[0])

    # ---- survival -------------------------------------------------------------------------------------

    def _sample_until(self, t: int) -> None:
        self.clock = max(self.clock, t)
        if self.next_sample is None:
            self.next_sample = (t // _DAY + 1) * _DAY
            return
        while self.next_sample <= self.clock:
            self.samples.append((self.next_sample, {k: v for k, v in self.live.items() if v}))
            self.next_sample += self.sample_step

    def finish(self) -> None:
        """Take the last sample at the head (latest chain time); drop what only the replay needed."""
        if self.next_sample is not None:
            self._sample_until(self.clock)
            if not self.samples or self.samples[-1][0] != self.clock:
                self.samples.append((self.clock, {k: v for k, v in self.live.items() if v}))
        self.states.clear()
        # the duplicate-block index and remembered key hashes: freed before the tables are built
        self.trees, self._key_of, self.recent = None, RememberedKeys(0), None
        self._flush_ops()
        self._flush_prints()

    def line_counts(self) -> dict[bytes, int]:
        """Lines per text file at the chain head (for checks against the checked-out tree)."""
        return {p: len(v[0]) for p, v in self.files.items() if v is not None}

    def live_births(self) -> Counter[int]:
        """Live lines at the head of included files, by birth commit (for validation against git blame)."""
        per_commit: Counter[int] = Counter()
        for path, cur in self.files.items():
            if cur and not self.excluded(path):
                per_commit.update(rec >> 2 for rec in cur[0] if rec >= 0)
        return per_commit

    def censored(self, end: int, births: Counter[int]) -> Counter[tuple[int, int]]:
        """Live lines at the end (``births``: :meth:`live_births`), as (quarter, days lived) -> lines: censored
        observations."""
        out: Counter[tuple[int, int]] = Counter()
        for b, n in births.items():
            out[(self.qid[b], max(end - self.time[b], 0) // _DAY)] += n
        return out


def _splice_hunks_reference(recs: array, hashes: array, hunks: list, base: int, labels: tuple | None,
                            key: Callable[[bytes], str | None], churning: frozenset[int], dying: array | None,
                            revising: array, keywords: frozenset[bytes]) -> tuple[array, array, int, int, int]:
    """One file's line state after its ``-U0`` hunks: ``(records, hashes, lines born, of which meaningful, hunks
    reaching past the end)``.

    ``recs``/``hashes``: the state before; ``base``: the commit's birth record (commit * 4). ``labels``: the
    file's removed labels, added labels and added keys, per hunk (``None``: not labelled). A line born here is
    ``base + 3`` (new code), ``base + 1`` (meaningful but moved or re-spaced) or ``base`` (no-op); unlabelled,
    ``base + 1`` when ``key(line)`` is not None. A hunk reaching past the end pads the state with unknown births
    and zero hashes. ``dying`` (unless None) gets the births of the removed lines, ``revising`` those of the
    removed lines (labelled) whose label is in ``churning``. The pure-Python twin of the compiled kernel, which
    leaves hunks out of order (or starting before line 1) to this definition, and keys an unlabelled ASCII line
    itself, as ``key`` does (``ascii_key(line, keywords)``, ``keywords`` the lower-case keywords; see
    :func:`churnlab.mine.lines._first_labels_reference`), calling ``key`` for the other lines only.
    """
    out_r, out_h = array("q"), array("q")
    pos = born_lines = born_meaningful = padded = 0
    for hi, (o_start, o_count, _n_start, n_count, _removed, added) in enumerate(hunks):
        start = o_start - 1 if o_count else o_start
        if start + o_count > len(recs):
            pad = start + o_count - len(recs)
            recs, hashes = recs + array("q", [_UNKNOWN]) * pad, hashes + array("q", bytes(8 * pad))
            padded += 1
        out_r.extend(recs[pos:start])
        out_h.extend(hashes[pos:start])
        pos = start + o_count
        if o_count:
            if dying is not None:
                dying.extend(recs[start:pos])
            if labels is not None:
                revising.extend(compress(recs[start:pos], map(churning.__contains__, labels[0][hi])))
        if not n_count:
            continue
        if labels is not None:
            alab, akeys = labels[1][hi], labels[2][hi]
            if L.MOVED not in alab and L.NO_OP not in alab:  # all new code (a line without a key is a no-op)
                born = [base + 3] * len(alab)
                meaningful = len(alab)
            else:
                born = [(base + 1 + (0 if lab == L.MOVED or lab == L.NO_OP else 2)) if k is not None else base
                        for k, lab in zip(akeys, alab)]
                meaningful = len(akeys) - akeys.count(None)
        else:
            akeys = list(map(key, added))
            born = [base if k is None else base + 1 for k in akeys]
            meaningful = len(akeys) - akeys.count(None)
        born_lines += len(born)
        born_meaningful += meaningful
        out_r.extend(born)
        out_h.extend(map(hash, added))
    out_r.extend(recs[pos:])
    out_h.extend(hashes[pos:])
    return out_r, out_h, born_lines, born_meaningful, padded


_splice_hunks = _accel.pick("splice_hunks", _splice_hunks_reference)


def _merge_lines_reference(runs: tuple[list, list, list, list]) -> list[tuple[int, int, int]]:
    """``(birth record without bit 1, lines arrived minus left, lines dead)`` of a merge on the chain, by birth
    (in order), for the births with lines arrived or dead (most births' lines all stayed: no entry): the
    pure-Python twin of the compiled kernel, which hashes where this sorts.

    ``runs``: ``(records, hashes)`` that left, arrived, left excluded files, arrived in excluded files. A line is
    its birth and content hash: the lines that left and did not arrive died, except those that moved into an
    excluded file (out of survival, not dead). Vectorised: lines sorted by (birth, content), counted per side.
    """
    sizes = [sum(len(recs) for recs, _ in run) for run in runs]
    if not sizes[0] + sizes[1]:
        return []
    total = sum(sizes)
    recs = np.concatenate([_int64s(recs) for run in runs for recs, _ in run]) & _NOT_NEW
    hashes = np.concatenate([_int64s(hashes) for run in runs for _, hashes in run])
    side = np.repeat(np.arange(4), sizes)
    order = np.lexsort((hashes, recs))
    recs, hashes, side = recs[order], hashes[order], side[order]
    first = np.empty(total, dtype=bool)  # the first of each line (birth, content)
    first[0] = True
    first[1:] = (recs[1:] != recs[:-1]) | (hashes[1:] != hashes[:-1])
    line = np.cumsum(first) - 1
    counts = np.bincount(line * 4 + side, minlength=4 * (int(line[-1]) + 1)).reshape(-1, 4)
    died = np.maximum(counts[:, 0] - counts[:, 1], 0)
    died -= np.minimum(died, np.maximum(counts[:, 3] - counts[:, 2], 0))
    births = recs[first]
    starts = np.flatnonzero(np.concatenate(([True], births[1:] != births[:-1])))  # lines are sorted by birth
    net, dead = np.add.reduceat(counts[:, 1] - counts[:, 0], starts), np.add.reduceat(died, starts)
    changed = (net != 0) | (dead != 0)
    return list(zip(births[starts][changed].tolist(), net[changed].tolist(), dead[changed].tolist()))


_merge_lines = _accel.pick("merge_lines", _merge_lines_reference)


def _ints_array(column: pl.Series, typecode: str = "q") -> array:
    """A column of integers as an ``array`` of ``typecode`` (nulls as 0)."""
    dtype = np.dtype(typecode)
    return array(typecode, column.fill_null(0).to_numpy().astype(dtype, casting="same_kind").tobytes())


def _counters(n: int) -> array:
    """``n`` 32-bit counters at zero."""
    return array("i", bytes(array("i").itemsize * n))


def _linked(shas: CommitIds, parents: pl.Series, chain: bytearray, first_parent: bool) -> tuple[Ragged, array]:
    """Each commit's parents that are commits here (by index), and each commit's readers: the children (in the
    stream) that read it. In first-parent mode a chain commit reads its first parent that is a commit here,
    and commits off the chain read none (they are not in the stream)."""
    n = len(shas)
    counts = parents.list.len().fill_null(0).to_numpy().astype(np.int64)
    at = shas.positions(parents.explode().drop_nulls())  # -1: not a commit here
    owner = np.repeat(np.arange(n, dtype=np.int64), counts)
    keep = at >= 0
    values, owner = at[keep].astype(np.int64), owner[keep]
    if first_parent:
        first = np.ones(len(owner), dtype=bool)
        first[1:] = owner[1:] != owner[:-1]
        on_chain = np.frombuffer(bytes(chain), dtype=np.uint8).astype(bool)
        keep = first & on_chain[owner]
        values, owner = values[keep], owner[keep]
    readers = np.zeros(n, dtype=np.int64)
    pairs = np.unique(owner * max(n, 1) + values)  # a parent listed twice is read once by that child
    np.add.at(readers, pairs % max(n, 1), 1)
    return Ragged.from_flat(values, np.bincount(owner, minlength=n)), array("i", readers.astype(np.intc).tobytes())


def _int64s(values) -> np.ndarray:
    """The line state's ``array('q')`` seen as numpy, without a copy (a list, e.g. in tests, is converted)."""
    return np.frombuffer(values, np.int64) if isinstance(values, array) else np.asarray(values, np.int64)


def _runs(ascending: list[int]) -> list[list[int]]:
    """The runs of consecutive integers of an ascending list, as ``[first, last + 1]``."""
    runs: list[list[int]] = []
    for j in ascending:
        if runs and runs[-1][1] == j:
            runs[-1][1] = j + 1
        else:
            runs.append([j, j + 1])
    return runs


def _same_blob(others: list[dict], path: bytes, blob: bytes) -> tuple | None:
    """Another parent's file at ``path`` with exactly this blob: the merge takes it whole (git blame's rule)."""
    for other in others:
        cur = other.get(path)
        if cur is not None and cur[2] == blob:
            return cur
    return None


def _rename_sources(path: bytes, deleted: dict[bytes, tuple]) -> list[tuple]:
    """First-parent files a merge deletes that may be ``path`` renamed: same file name, else any of a few."""
    name = path.rsplit(b"/", 1)[-1]
    same = [cur for p, cur in deleted.items() if p.rsplit(b"/", 1)[-1] == name]
    if same:
        return same
    return list(deleted.values()) if len(deleted) <= _RENAME_CANDIDATES else []


def _take_source(state: dict, old: bytes, sources: dict):
    """A renamed or deleted file's parent version, removed from ``state`` unless its path was reused already."""
    src = sources[old]
    if state.get(old) is src:
        state.pop(old, None)
    return src


def merge_tree_args(head: str) -> list[str]:
    """Every merge's tree diff against its first parent (raw, no content), in the patch stream's order."""
    return ["log", "--merges", "--topo-order", "--reverse", "--raw", "--no-renames", "--diff-merges=first-parent",
            "--no-abbrev", "-z", "--format=%x1e%H", head, "--"]


class MergeTrees:
    """The merges' tree diffs (read in step with the patch stream) and a reader of merged blobs.

    ``changes(sha)`` gives a merge's ``(old_mode, new_mode, old_blob, new_blob, path)`` against its first
    parent. Both streams are in ``--topo-order --reverse``, so records are read as asked; any read past
    wait in a small dictionary.
    """

    def __init__(self, chunks: Iterator[bytes], blobs) -> None:
        self._chunks = chunks
        self._records = _raw_records(chunks)
        self._ahead: dict[str, list] = {}
        self.blobs = blobs

    def changes(self, sha: str) -> list[tuple[bytes, bytes, bytes, bytes, bytes]]:
        hit = self._ahead.pop(sha, None)
        if hit is not None:
            return hit
        for s, changes in self._records:
            if s == sha:
                return changes
            self._ahead[s] = changes
        return []

    def __enter__(self) -> MergeTrees:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._records.close()
        closer = getattr(self._chunks, "close", None)
        if closer is not None:  # stops the read-ahead thread and git
            closer()
        self.blobs.close()


def _move_tree(tree: TreeWindows, path: bytes, old: tuple | None, new: tuple | None,
               lines: _BlobLines | None) -> None:
    """Move the duplicate-block index on by one file of a chain merge (``lines``: its merged blob's, ``None``:
    missing or binary): only what lies between common ends, and only new lines are keyed."""
    if (old is not None and new is not None and lines is not None and len(lines) == len(new[1])
            and len(tree.files.get(path) or ()) == len(old[1])):
        spliced = _middle_keys(old[1], new[1], tree.files[path], lambda lo, hi, _a_lo, _a_hi: lines.key_hashes(lo, hi))
        if spliced is not None and tree.splice_keys(path, *spliced):
            return
    tree.replace_keys(path, None if lines is None else array("q", lines.key_hashes(0, len(lines))))


def _middle_keys(a: array, b: array, old_keys: array,
                 lookup: Callable[[int, int, int, int], list[int] | None]) -> tuple[int, int, array, list] | None:
    """Key hashes of a file's new version between its common ends with the old one, aligned (the tree index's
    splice, :meth:`churnlab.mine.duplicates.TreeWindows.splice_keys`).

    ``a``, ``b``: the old and new versions' content hashes; ``old_keys``: the old version's key hashes. A line
    of the new middle aligned with one of the old (:func:`churnlab.mine.align.align`) has its content, so its
    key; the others are asked of ``lookup(lo, hi, a_lo, a_hi)`` (their range ``b[lo:hi]``, and the old middle
    ``a[a_lo:a_hi]``), ``None`` when it does not know them all. Returns ``(head, tail, middle key hashes,
    aligned blocks of the middles)``, or ``None``. Without the compiled kernels the middles are not aligned (the
    reference alignment costs more than it saves): every middle line is asked, and the blocks are ``None``.
    """
    n = min(len(a), len(b))
    head = _common(a, 0, b, 0, n)
    tail = _common_tail(a, len(a), b, len(b), n - head)
    a_end, b_end = len(a) - tail, len(b) - tail
    if not _ALIGN_MIDDLES:  # every middle line asked, the middle one changed region
        middle = lookup(head, b_end, head, a_end)
        return None if middle is None else (head, tail, array("q", middle), None)
    blocks = _align(a[head:a_end], b[head:b_end]) if head < a_end and head < b_end else []
    keys = array("q")
    j0 = 0
    for i, j, size in (*blocks, (a_end - head, b_end - head, 0)):
        if j > j0:
            got = lookup(head + j0, head + j, head, a_end)
            if got is None:
                return None
            keys.extend(got)
        keys += old_keys[head + i:head + i + size]
        j0 = j + size
    return head, tail, keys, blocks


def _blob_lines(content: bytes | None) -> _BlobLines | None:
    """A blob's lines as the patch stream gives them (no trailing empty line); ``None`` if missing or binary."""
    if content is None or content.find(b"\0", 0, _BINARY_PROBE) >= 0:  # git's binary test
        return None
    return _BlobLines(content)


class _BlobLines:
    """A text blob's lines: the content hash of each (``hashes``, as ``hash()`` of the line), and each line's
    bytes cut out only when asked (``lines[j]``, :meth:`between`): a merge keys or reads few of them."""

    __slots__ = ("_content", "_starts", "hashes")

    def __init__(self, content: bytes) -> None:
        hashes, starts = _line_hashes(content)
        self._content = content
        self.hashes = array("q")
        self.hashes.frombytes(hashes)
        self._starts = array("q")  # where each line starts, and one more (its end, past its newline)
        self._starts.frombytes(starts)

    def __len__(self) -> int:
        return len(self.hashes)

    def __getitem__(self, j: int) -> bytes:
        return self._content[self._starts[j]:self._starts[j + 1] - 1]

    def between(self, lo: int, hi: int) -> list[bytes]:
        """Lines ``lo`` to ``hi`` (excluded)."""
        content, starts = self._content, self._starts
        return [content[x:y - 1] for x, y in zip(starts[lo:hi], starts[lo + 1:hi + 1])]

    def key_hashes(self, lo: int, hi: int) -> list[int]:
        """:func:`~churnlab.mine.duplicates.key_hash` of lines ``lo`` to ``hi`` (excluded), without a bytes
        object per line (:func:`_key_hashes_reference`)."""
        if lo >= hi:
            return []
        return _key_hashes(self._content, self._starts[lo], self._starts[hi], line_key, _LOWER_KEYWORDS)


def _line_hashes_reference(content: bytes) -> tuple[bytes, bytes]:
    """``hash()`` of every line of a blob (split at newlines, no trailing empty line) and where each line starts
    (plus where a next one would), as the bytes of two int64 arrays: the pure-Python twin of the compiled kernel,
    which makes no bytes object per line."""
    lines = content.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    starts = array("q", accumulate(map((1).__add__, map(len, lines)), initial=0))  # each line and its newline
    return array("q", map(hash, lines)).tobytes(), starts.tobytes()


_line_hashes = _accel.pick("line_hashes", _line_hashes_reference)


def _key_hashes_reference(content: bytes, start: int, end: int, key: Callable[[bytes], str | None],
                          keywords: frozenset[bytes]) -> list[int]:
    """The key hash of each line of ``content[start:end]`` (offsets, not negative; split at newlines, no trailing
    empty line): ``NO_KEY`` when ``key(line)`` is None, else its ``hash()``, as
    :func:`~churnlab.mine.duplicates.key_hash`.

    The pure-Python twin of the compiled kernel. ``keywords`` are the lower-case keywords with which ``key``
    (:func:`~churnlab.mine.normalize.line_key`) keys an ASCII line: the kernel keys those lines itself, and
    cuts out and keys by ``key`` the other lines only.
    """
    lines = content[start:end].split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [NO_KEY if k is None else hash(k) for k in map(key, lines)]


_key_hashes = _accel.pick("key_hashes", _key_hashes_reference)


def start_merge_trees(repo, options) -> contextlib.AbstractContextManager:
    """The merges' tree diffs (one ``git log --raw``, started now) and merged-blob reader, for the default mode.

    Started before stage 1 by :func:`churnlab.mine.mine`, with the patch stream; in first-parent mode merges
    keep their patches and there is nothing to start.
    """
    if options.first_parent:
        return contextlib.nullcontext(None)
    return MergeTrees(start_stream(repo, merge_tree_args(repo.head)), repo.blobs())


def _raw_records(chunks: Iterable[bytes]) -> Generator[tuple[str, list], None, None]:
    """Parse a ``-z --raw`` stream made with :func:`merge_tree_args` into ``(sha, changes)`` per merge."""
    pending = b""
    sha: str | None = None
    changes: list = []
    meta = None
    for chunk in chunks:
        tokens = (pending + chunk).split(b"\0")
        pending = tokens.pop()
        for tok in tokens:
            if meta is not None:  # the path after a ":modes blobs status" token
                changes.append((*meta, tok))
                meta = None
                continue
            tok = tok.lstrip(b"\n")
            if tok.startswith(b"\x1e"):
                if sha is not None:
                    yield sha, changes
                sha, changes = tok[1:].decode("ascii"), []
            elif tok.startswith(b":"):
                meta = tuple(tok[1:].split(b" ")[:4])
    tail = pending.lstrip(b"\n")
    if tail.startswith(b"\x1e"):  # a last merge with no changes
        if sha is not None:
            yield sha, changes
        sha, changes = tail[1:].decode("ascii"), []
    if sha is not None:
        yield sha, changes


def km_median(events: dict[int, int], censored: dict[int, int]) -> float | None:
    """Kaplan-Meier median of durations (days): ``events``/``censored`` map duration -> count."""
    at_risk = sum(events.values()) + sum(censored.values())
    surv = 1.0
    for d in sorted(set(events) | set(censored)):
        e = events.get(d, 0)
        if e and at_risk:
            surv *= 1 - e / at_risk
            if surv <= 0.5:
                return float(d)
        at_risk -= e + censored.get(d, 0)
    return None


def line_provenance(ctx) -> dict[str, pl.DataFrame]:
    """Pipeline stage: the ``line_ops``, ``churn`` and ``survival`` tables, and patch fingerprints in extras
    (made only when a later stage that runs reads them: the revert stage).

    When the run wants neither ``line_ops`` nor ``churn`` and no later stage reads the fingerprints, only
    the ``survival`` table (and the live births) are made, from births and deaths alone: the same survival
    rows, without labelling a line (what git-of-theseus computes, compared like for like).
    """
    opts = ctx.options
    excluded = ctx.extras.pop(EXCLUDED_PATHS, None)  # told by path while stage 1 reads (mine()'s overlap)
    if excluded is None:
        excluded = excluded_paths(ctx.file_columns(*EXCLUSION_COLUMNS))
    fingerprints = ctx.read_later("patch_fingerprints")
    survival_only = not ctx.wants("line_ops", "churn") and not fingerprints
    tracker = Tracker(ctx.commit_columns(*TRACKER_COLUMNS), excluded, first_parent=opts.first_parent,
                      moves_churn=opts.moves_churn, bulk_lines=opts.bulk_lines, sample_days=opts.survival_sample_days,
                      tree_duplicates=opts.duplicate_blocks == "tree" and not survival_only,
                      copy_paste_hours=0 if survival_only else opts.copy_paste_hours, survival_only=survival_only,
                      fingerprints=fingerprints, scratch=ctx.scratch)
    repo = ctx.repo
    early = ctx.extras.pop(PATCH_STREAM, None)  # started with stage 1, when mine() could
    early_merges = ctx.extras.pop(MERGE_TREES, None)
    if repo.head is not None:
        with contextlib.ExitStack() as stack:
            # default mode: merges come without patches, from their trees (first-parent mode: merges own their diff)
            tracker.merges = stack.enter_context(early_merges or start_merge_trees(repo, opts))
            stream = stack.enter_context(early or start_patch_stream(repo, opts))
            for record in stream.records():
                tracker.feed(record)
    else:
        for started in (early, early_merges):
            if started is not None:
                started.close()
    tracker.finish()
    if tracker.unknown_events:
        ctx.warnings.append(f"{tracker.unknown_events} text changes to files whose earlier content was binary or "
                            "missing: their lines' births are unknown and left out of survival")
    if tracker.missing_merged:
        ctx.warnings.append(f"{tracker.missing_merged} merged files whose content is missing from the repository: "
                            "their lines' births are unknown and left out of survival")
    births = tracker.live_births()
    ctx.extras["live_births"] = pl.DataFrame(
        {"sha": [tracker.shas[b] for b in sorted(births)], "live_lines": [births[b] for b in sorted(births)]},
        schema={"sha": pl.String, "live_lines": pl.Int64})
    if survival_only:
        return {"survival": _survival_frame(tracker, repo.name, births)}
    # The revert stage's input (churnlab.mine.patches' definition and rows), so it needs no git log of its own.
    if fingerprints:
        ctx.extras["patch_fingerprints"] = _gathered(tracker.print_chunks, patches.fingerprint_frame(tracker.prints))
    return {"line_ops": _ops_frame(tracker, repo.name), "churn": _churn_frame(tracker, repo.name, ctx.scratch),
            "survival": _survival_frame(tracker, repo.name, births)}


EXCLUSION_COLUMNS = ("path", "is_vendored", "is_generated", "is_lock")  # what excluded_paths reads


def excluded_paths(file_changes: pl.DataFrame) -> set[str]:
    """Paths whose changes the line stage leaves out of its counts: vendored, generated or lock files
    (``file_changes`` needs :data:`EXCLUSION_COLUMNS`)."""
    flagged = file_changes.filter(pl.col("is_vendored") | pl.col("is_generated") | pl.col("is_lock"))
    return set(flagged["path"].to_list())


class ReadAhead:
    """Drain ``chunks`` in a thread from the moment it is made, so git never waits on a full pipe while
    Python works (on a record, or on stage 1 when started early: :func:`start_patch_stream`).

    At most ``depth`` chunks (1 MiB each) wait in memory: started before stage 1, git fills them while stage 1
    works (32 MiB: most or all of a mid-size repository's patches, e.g. flask's 27 MB). An error in git reaches
    the consumer. Iterate it once; ``close()`` (or leaving a ``with`` block) stops the thread and closes the
    stream, and ``kill`` (when given) stops a git process still working, so no thread or process outlives it.
    """

    def __init__(self, chunks: Iterator[bytes], depth: int = _DEPTH, *, kill: Callable[[], None] | None = None) -> None:
        self._chunks = chunks
        self._kill = kill
        self._buffer: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._pump, name="churnlab-patch-stream", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _pump(self) -> None:
        try:
            for chunk in self._chunks:
                if not self._put(chunk):
                    break
            item = _DONE
        except BaseException as exc:  # handed to the consumer, raised there
            item = exc
        finally:
            closer = getattr(self._chunks, "close", None)
            if closer is not None:
                closer()
        self._put(item)

    def __iter__(self) -> ReadAhead:
        return self

    def records(self) -> Iterator[bytes]:
        """The commits' records (:func:`churnlab.mine.lines.records`), as :meth:`Relay.records` gives them."""
        return L.records(self)

    def __next__(self) -> bytes:
        if self._finished:
            raise StopIteration
        item = self._buffer.get()
        if item is _DONE:
            self.close()
            raise StopIteration
        if isinstance(item, BaseException):
            self.close()
            raise item
        return item

    def close(self) -> None:
        self._finished = True
        self._stop.set()
        if self._kill is not None:
            self._kill()
        self._thread.join()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_DONE = object()


class _Process:
    """The git process behind a stream, to stop from the consumer's thread (it starts in the reader's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._stopped = False

    def started(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._proc = proc
            if self._stopped:
                proc.kill()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()


def start_stream(repo, args: list[str]) -> ReadAhead:
    """Start ``git <args>`` on ``repo`` and its read-ahead thread now; close it when done (or use ``with``)."""
    proc = _Process()
    return ReadAhead(repo.stream(args, on_start=proc.started), kill=proc.stop)


PATCH_STREAM = "patch_stream"  # the keys of the early-started streams in Context.extras
MERGE_TREES = "merge_trees"
EXCLUDED_PATHS = "excluded_paths"  # a set-like of excluded paths, given when file_changes is not read yet


def start_patch_stream(repo, options) -> ReadAhead:
    """The line stage's patch stream (:func:`churnlab.mine.lines.log_args`), started before stage 1 by
    :func:`churnlab.mine.mine` so that git produces it while stage 1's Python works."""
    return start_stream(repo, L.log_args(repo.head, first_parent=options.first_parent,
                                         find_copies=options.find_copies))


def _ops_frame(tr: Tracker, repo: str) -> pl.DataFrame | Spool:
    """The line_ops table: one row per commit and path already (:meth:`Tracker._record_ops`), commits in the
    stream's order (the ``commits`` table's), a commit's paths sorted."""
    return _gathered(tr.ops_chunks, _ops_chunk(tr.ops_rows), repo)


def _ops_chunk(rows: dict[str, list]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"sha": pl.String, "path": pl.String, **{n: pl.Int64 for n in _OPS_COUNTS}})


def _gathered(chunks: list[pl.DataFrame] | Spool, last: pl.DataFrame, repo: str | None = None) -> pl.DataFrame | Spool:
    """The flushed chunks and the last rows: the spool they went to (its rows get ``repo`` when written), or
    one frame, with ``repo`` if given (the chunks are consumed)."""
    if isinstance(chunks, Spool):
        chunks.append(last)  # even empty: the spool then has the columns
        return chunks
    frame = pl.concat([*chunks, last]) if chunks else last
    chunks.clear()
    return frame if repo is None else frame.with_columns(repo=pl.lit(repo))


def _churn_frame(tr: Tracker, repo: str, scratch: Path | None = None) -> pl.DataFrame | Spool:
    """The churn table in sha order, from the tracker's flat per-commit arrays (no Python object per cell),
    :data:`churnlab.io.PART_ROWS` rows at a time; into a spool under ``scratch``, if given."""
    rows = tr.shas.sorted_where(np.frombuffer(tr.has_row, dtype=bool))  # the commits with a row, sorted by sha
    end = max(tr.time) if tr.time else 0
    step = io.PART_ROWS
    parts = (_churn_part(tr, rows[at:at + step], end) for at in range(0, max(len(rows), 1), step))
    if scratch is not None:
        spool = Spool(scratch, "churn")
        for part in parts:
            spool.append(part)
        return spool
    return pl.concat(list(parts)).with_columns(repo=pl.lit(repo))


def _churn_part(tr: Tracker, rows: np.ndarray, end: int) -> pl.DataFrame:
    """The churn rows of the commits ``rows``, in that order (``end``: the last commit's author time)."""
    k = len(WINDOWS)

    def per_commit(values: array, width: int) -> np.ndarray:
        return np.frombuffer(values, dtype=np.dtype(values.typecode)).reshape(-1, width)[rows].astype(np.int64)

    meaningful, duplicated, authored, bulk = per_commit(tr.commit_rows, _ROW).T
    rev = per_commit(tr.revised, _REVISED)
    churned = per_commit(tr.authored_churned, k)
    age = end - per_commit(tr.time, 1)[:, 0]  # seconds from the commit to the end
    cols: dict[str, object] = {
        "sha": tr.shas.column(rows), "is_bulk": bulk.astype(bool), "meaningful_lines": meaningful,
        "has_duplicate_block": duplicated > 0, "duplicated_lines": duplicated, "revised_lines": rev[:, -1]}
    for w, days in enumerate(WINDOWS):
        cols[f"churn_self_w{days}"] = rev[:, w]
        cols[f"churn_others_w{days}"] = rev[:, k + w]
    cols["authored_lines"] = authored
    for w, days in enumerate(WINDOWS):
        # a line deleted in two branches is revised twice: never more than the lines written
        cols[f"authored_churned_w{days}"] = np.minimum(churned[:, w], authored)
        cols[f"censored_w{days}"] = age < days * _DAY
    names = churn_columns()
    schema = {n: (pl.String if n == "sha" else pl.Boolean if n.startswith(("is_", "has_", "censored")) else pl.Int64)
              for n in names}
    return pl.DataFrame({n: cols[n] for n in names}, schema=schema)


def churn_columns() -> list[str]:
    """Column names of the churn table after ``repo`` (shared with the schema declaration)."""
    names = ["sha", "is_bulk", "meaningful_lines", "has_duplicate_block", "duplicated_lines", "revised_lines"]
    for days in WINDOWS:
        names += [f"churn_self_w{days}", f"churn_others_w{days}"]
    names.append("authored_lines")
    names += [f"authored_churned_w{days}" for days in WINDOWS]
    names += [f"censored_w{days}" for days in WINDOWS]
    return names


def _survival_frame(tr: Tracker, repo: str, births: Counter[int]) -> pl.DataFrame:
    """The survival table: live lines by cohort at each sample, and each cohort's median lifetime (``births``:
    the live lines at the head by birth commit, the censored lifetimes)."""
    end = tr.clock
    events: dict[str, dict[int, int]] = defaultdict(dict)
    cens: dict[str, dict[int, int]] = defaultdict(dict)
    for target, source in ((events, tr.deaths), (cens, tr.censored(end, births))):
        for (q, days), n in source.items():
            for name in _cohort_names(q):
                bucket = target[name]
                bucket[days] = bucket.get(days, 0) + n
    medians = {name: km_median(events.get(name, {}), cens.get(name, {})) for name in set(events) | set(cens)}
    cols: dict[str, list] = defaultdict(list)
    for t, live in tr.samples:
        agg: dict[tuple[str, str], list[int]] = {}
        for code, n in live.items():
            q, meaningful = divmod(code, 2)
            for gran, name in zip(("year", "quarter"), _cohort_names(q)):
                row = agg.setdefault((gran, name), [0, 0])
                row[0] += n
                row[1] += n if meaningful else 0
        for (gran, name), (n, m) in sorted(agg.items()):
            if n <= 0:
                continue
            cols["sample_time"].append(t * 1_000_000)
            cols["granularity"].append(gran)
            cols["cohort"].append(name)
            cols["live_lines"].append(n)
            cols["live_meaningful_lines"].append(m)
            cols["median_lifetime_days"].append(medians.get(name))
    df = pl.DataFrame({k: cols[k] for k in ("sample_time", "granularity", "cohort", "live_lines",
                                             "live_meaningful_lines", "median_lifetime_days")},
                      schema={"sample_time": pl.Int64, "granularity": pl.String, "cohort": pl.String,
                              "live_lines": pl.Int64, "live_meaningful_lines": pl.Int64,
                              "median_lifetime_days": pl.Float64})
    df = df.with_columns(sample_time=pl.col("sample_time").cast(pl.Datetime("us", "UTC")), repo=pl.lit(repo))
    return df.sort("sample_time", "granularity", "cohort")
