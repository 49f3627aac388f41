"""Duplicate blocks (research spec, section 2): added code repeating 5 lines of the commit or of the tree.

A *window* is a run of 5 consecutive meaningful lines (lines that are not meaningful are skipped, as the
labels skip them), identified by the hash of its 5 raw-line hashes. An added window is a duplicate when it
also occurs elsewhere among the commit's added windows, or in the tree at the parent in a place the commit
leaves in place. Every added line of such a window is a ``duplicated_lines`` line.

- *Raw content, not keys.* Windows compare the lines byte for byte, on both sides (the spec's "identical");
  a block pasted at another indentation is not a duplicate. Raw hashes are what the line-provenance state
  already holds for every live line, so the tree side needs no per-line storage of its own and follows any
  way the state is built (hunks, or files taken whole from a merge's parent).
- *Candidates* are the added windows of each hunk over its meaningful added lines that are neither moved
  nor one side of a whitespace-only edit (a moved block is not a duplicate).
- *Tree at the parent*: :class:`TreeWindows`, a multiset of the windows of the included text files
  (not binary, vendored, generated or lock files) of one tree, kept up to date hunk by hunk. A window of the
  parent counts only if the commit does not delete all its lines: a block cut from one place and pasted into
  another (a move that the line labels did not pair) is not a duplicate. Deleted windows are taken per hunk,
  like the candidates.

One index follows the first-parent chain's head. It is exact for chain commits (and for every commit with
``first_parent=True``); a side-branch commit is compared with the chain's tree at the point where the stream
reads it (between the fork point and the merge), not with its own parent's tree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from . import lines as L

__all__ = ["BLOCK", "TreeWindows", "duplicated_lines", "file_windows", "windows"]

BLOCK = L.DUPLICATE_BLOCK_LINES  # 5 lines

State = tuple[list[int], list[int]]  # a file of the provenance state: (birth records, raw-line hashes)


def windows(hashes: Sequence[int]) -> list[int]:
    """Hashes of every run of ``BLOCK`` consecutive items of ``hashes`` (raw-line hashes of meaningful lines)."""
    t = tuple(hashes)
    return [hash(t[s:s + BLOCK]) for s in range(len(t) - BLOCK + 1)]


def file_windows(lines: State) -> list[int]:
    """Windows of one file of the state: its meaningful lines are those whose birth record has bit 0 set."""
    recs, hashes = lines
    return windows([h for r, h in zip(recs, hashes) if r & 1])


class TreeWindows:
    """The windows of one tree's included text files, as a multiset, updated as the tree changes.

    Parameters
    ----------
    excluded
        Whether a path is left out (vendored, generated, lock files).
    """

    def __init__(self, excluded: Callable[[bytes], bool]) -> None:
        self.counts: Counter[int] = Counter()
        self._excluded = excluded

    def count(self, window: int) -> int:
        """How many times ``window`` occurs in the tree."""
        return self.counts.get(window, 0)

    def change(self, old_path: bytes | None, before: State | None, new_path: bytes | None, after: State | None,
               hunks: list | None = None) -> None:
        """A file of the tree changes from ``before`` at ``old_path`` to ``after`` at ``new_path``.

        ``None`` for a path or a state: no such file (added, deleted), or its content is unknown (binary,
        missing). With the diff's ``hunks`` (``(old_start, old_count, new_start, new_count, ...)``, ``-U0``)
        only the windows near them are recounted; without them (or when they do not fit ``before``) the whole
        file is.
        """
        old_in = before is not None and old_path is not None and not self._excluded(old_path)
        new_in = after is not None and new_path is not None and not self._excluded(new_path)
        if old_in and new_in and hunks is not None and self._patch(before, after, hunks):  # type: ignore[arg-type]
            return
        gone = file_windows(before) if old_in else []  # type: ignore[arg-type]
        if gone:
            self.counts.subtract(gone)
        if new_in:
            self.counts.update(file_windows(after))  # type: ignore[arg-type]
        self._prune(gone)

    def _patch(self, before: State, after: State, hunks: list) -> bool:
        """Recount the windows that meet a hunk; ``False`` (nothing done) when the hunks do not fit the file."""
        recs, hashes = before
        new_recs, new_hashes = after
        regions = []  # (old from, old to, new from, new to), 0-based
        shift = 0
        for o_start, o_count, _n_start, n_count, *_ in hunks:
            a0 = o_start - 1 if o_count else o_start
            regions.append((a0, a0 + o_count, a0 + shift, a0 + shift + n_count))
            shift += n_count - o_count
        if len(recs) + shift != len(new_recs) or (regions and regions[-1][1] > len(recs)):
            return False
        # Hunks closer than BLOCK - 1 meaningful lines share windows: recount them as one region.
        groups: list[tuple[int, int, int, int]] = []
        for reg in regions:
            if groups and _meaningful(recs, groups[-1][1], reg[0], BLOCK - 1) < BLOCK - 1:
                groups[-1] = (groups[-1][0], reg[1], groups[-1][2], reg[3])
            else:
                groups.append(reg)
        gone: list[int] = []
        come: list[int] = []
        for a0, a1, b0, b1 in groups:
            old_mid = [h for r, h in zip(recs[a0:a1], hashes[a0:a1]) if r & 1]
            new_mid = [h for r, h in zip(new_recs[b0:b1], new_hashes[b0:b1]) if r & 1]
            if old_mid == new_mid:
                continue
            # the context is unchanged lines, the same on both sides: up to BLOCK - 1 meaningful lines each way
            left = _context(recs, hashes, range(a0 - 1, -1, -1))[::-1]
            right = _context(recs, hashes, range(a1, len(recs)))
            gone += windows(left + old_mid + right)
            come += windows(left + new_mid + right)
        if gone or come:
            self.counts.subtract(gone)
            self.counts.update(come)
            self._prune(gone)
        return True

    def _prune(self, keys: list[int]) -> None:
        """Drop the windows among ``keys`` counted down to zero, so memory follows the tree."""
        counts = self.counts
        for k in keys:
            if counts.get(k, 1) <= 0:
                del counts[k]


def _meaningful(recs: list[int], lo: int, hi: int, limit: int) -> int:
    """Meaningful lines in ``recs[lo:hi]``, counted up to ``limit``."""
    n = 0
    for i in range(lo, hi):
        if recs[i] & 1:
            n += 1
            if n >= limit:
                break
    return n


def _context(recs: list[int], hashes: list[int], positions: range) -> list[int]:
    """Hashes of the first ``BLOCK - 1`` meaningful lines met at ``positions``."""
    out: list[int] = []
    for i in positions:
        if recs[i] & 1:
            out.append(hashes[i])
            if len(out) == BLOCK - 1:
                break
    return out


def duplicated_lines(files: list[L.FileDiff], include: list[int], labels: L.CommitLabels,
                     tree: TreeWindows | None) -> dict[int, int]:
    """Added lines in duplicate blocks, per file (index into ``files``) of one commit.

    ``tree`` is the index of the tree at the parent, read before the commit is applied (``None``: repeats
    within the commit only).
    """
    runs = []  # (file, hunk, positions of the candidate lines, their windows)
    local: Counter[int] = Counter()
    for fi in include:
        hunks = files[fi].hunks
        for hi, (akeys, alab) in enumerate(zip(labels.keys_added[fi], labels.added[fi])):
            if len(akeys) < BLOCK:
                continue
            seq = [j for j, (k, lab) in enumerate(zip(akeys, alab)) if k is not None and lab != L.MOVED and lab != L.NO_OP]
            if len(seq) < BLOCK:
                continue
            added = hunks[hi][5]
            wins = windows([hash(added[j]) for j in seq])
            runs.append((fi, hi, seq, wins))
            local.update(wins)
    if not runs:
        return {}
    deleted: Counter[int] | None = None
    dup: dict[int, set[tuple[int, int]]] = {}
    for fi, hi, seq, wins in runs:
        for s, w in enumerate(wins):
            if local[w] < 2:
                in_tree = tree.count(w) if tree is not None else 0
                if not in_tree:
                    continue
                if deleted is None:
                    deleted = _deleted_windows(files, include, labels)
                if in_tree <= deleted[w]:
                    continue
            dup.setdefault(fi, set()).update((hi, j) for j in seq[s:s + BLOCK])
    return {fi: len(v) for fi, v in dup.items()}


def _deleted_windows(files: list[L.FileDiff], include: list[int], labels: L.CommitLabels) -> Counter[int]:
    """Windows whose lines the commit all removes (per hunk, over the removed meaningful lines)."""
    out: Counter[int] = Counter()
    for fi in include:
        hunks = files[fi].hunks
        for hi, rkeys in enumerate(labels.keys_removed[fi]):
            if len(rkeys) >= BLOCK:
                removed = hunks[hi][4]
                out.update(windows([hash(removed[j]) for j, k in enumerate(rkeys) if k is not None]))
    return out
