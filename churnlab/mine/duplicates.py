"""Duplicate blocks (research spec, section 2): added code repeating 5 lines of the commit or of the tree.

A *window* is a run of 5 consecutive meaningful lines (lines that are not meaningful are skipped, as the
labels skip them), identified by the hash of its 5 line keys. An added window is a duplicate when it also
occurs elsewhere among the commit's added windows, or in the tree at the parent in a place the commit leaves
in place. Every added line of such a window is a ``duplicated_lines`` line.

- *Keys, not raw lines*: lines compare by their key (:func:`churnlab.mine.normalize.line_key`: stripped,
  internal whitespace collapsed), as moves and copy-pastes are matched, on both sides. A block pasted at
  another indentation (into a class, a nested scope, a documentation code block) is a duplicate.
- *Candidates* are the added windows of each hunk over its meaningful added lines that are neither moved
  nor one side of a whitespace-only edit (a moved block is not a duplicate).
- *Tree at the parent*: :class:`TreeWindows`, the key hashes of every line of the text files of one tree and
  the multiset of windows of its included files (not vendored, generated or lock files), kept up to date from
  the commits' diffs, hunk by hunk: only the windows that meet a hunk are recounted. A window of the parent
  counts only if the commit does not delete all its lines: a block cut from one place and pasted into
  another (a move that the line labels did not pair) is not a duplicate. Deleted windows are taken per hunk,
  like the candidates.

One index follows the first-parent chain's head. It is exact for chain commits (and for every commit with
``first_parent=True``); a side-branch commit is compared with the chain's tree at the point where the stream
reads it (between the fork point and the merge), not with its own parent's tree. Files whose content is
unknown (binary, or text that was binary or missing before) hold no windows until they are created again.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain

from . import _accel
from . import lines as L
from .normalize import line_key

__all__ = ["BLOCK", "NO_KEY", "TreeWindows", "duplicated_lines", "key_hash", "windows"]

BLOCK = L.DUPLICATE_BLOCK_LINES  # 5 lines
NO_KEY = -1  # the key hash of a line that is not meaningful (hash() never returns -1)

Region = tuple[int, int, int, int]  # a changed range: old from, old to, new from, new to (0-based)


def key_hash(raw: bytes) -> int:
    """The hash of a line's key, or ``NO_KEY`` for a line that is not meaningful."""
    key = line_key(raw)
    return NO_KEY if key is None else hash(key)


def windows(keys: Sequence[int]) -> list[int]:
    """Hashes of every run of ``BLOCK`` consecutive items of ``keys`` (key hashes of meaningful lines)."""
    return _windows(keys, BLOCK)


def _windows_reference(keys: Sequence[int], size: int) -> list[int]:
    """``hash(tuple(run))`` of every run of ``size`` items: the pure-Python twin of the compiled kernel."""
    t = tuple(keys)
    return [hash(t[s:s + size]) for s in range(len(t) - size + 1)]


class _WindowCountsReference:
    """Window -> count, only counts other than 0 held (``get``, ``in``, ``len``, ``items``), moved by :meth:`add`.

    The pure-Python twin of the compiled type (windows are ``hash()`` values: 64-bit integers), whose entries are
    inline in one table: counting a window then reads no key or count object.
    """

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}

    def add(self, windows: Sequence[int], sign: int) -> None:
        """Move the count of each of ``windows`` (repeats counted) by ``sign``."""
        counts = self._counts
        for w in windows:
            n = counts.get(w, 0) + sign
            if n:
                counts[w] = n
            else:
                del counts[w]

    def get(self, window: int) -> int:
        return self._counts.get(window, 0)

    def __contains__(self, window: int) -> bool:
        return window in self._counts

    def __len__(self) -> int:
        return len(self._counts)

    def items(self) -> list[tuple[int, int]]:
        return list(self._counts.items())


WindowCounts = _accel.pick("WindowCounts", _WindowCountsReference)


def _changed_windows_reference(before: Sequence[int], after: Sequence[int],
                               regions: list[Region]) -> tuple[list[int], list[int]]:
    """The windows ``(gone, come)`` when the key hashes ``before`` become ``after`` at ``regions`` (in order,
    within the files): those that meet a changed region, hunks this close to one another being one region.
    The pure-Python twin of the compiled kernel."""
    gone: list[int] = []
    come: list[int] = []
    i, n = 0, len(regions)
    while i < n:
        a0, a1, b0, b1 = regions[i]
        i += 1
        while i < n and _meaningful(before, a1, regions[i][0], BLOCK - 1) < BLOCK - 1:
            _, a1, _, b1 = regions[i]  # windows could span both: one region
            i += 1
        old_mid = [k for k in before[a0:a1] if k != NO_KEY]
        new_mid = [k for k in after[b0:b1] if k != NO_KEY]
        if old_mid == new_mid:
            continue
        # the context is unchanged lines, the same on both sides: up to BLOCK - 1 meaningful lines each way
        left = _context_before(before, a0)
        right = _context_after(before, a1)
        gone += _windows_reference(left + old_mid + right, BLOCK)
        come += _windows_reference(left + new_mid + right, BLOCK)
    return gone, come


_windows = _accel.pick("windows", _windows_reference)
_changed_windows = _accel.pick("changed_windows", _changed_windows_reference)


def _file_windows(keys: Sequence[int]) -> list[int]:
    return windows([k for k in keys if k != NO_KEY])


class TreeWindows:
    """The windows of one tree's included text files, as a multiset, moved on commit by commit.

    Parameters
    ----------
    excluded
        Whether a path is left out (vendored, generated, lock files). Its lines are kept (a rename may bring
        them in) but its windows are not counted.
    """

    def __init__(self, excluded: Callable[[bytes], bool]) -> None:
        self._counts = WindowCounts()  # window -> occurrences (other than 0)
        self.files: dict[bytes, array | None] = {}  # path -> key hash per line (None: content unknown)
        self._excluded = excluded

    def count(self, window: int) -> int:
        """How many times ``window`` occurs in the tree."""
        return self._counts.get(window)

    def may_hold(self, windows: Iterable[int]) -> Iterator[int]:
        """The windows among ``windows`` that occur in the tree (a count other than 0), sifted in C."""
        return filter(self._counts.__contains__, windows)

    def held(self) -> dict[int, int]:
        """Every window of the tree and its occurrences (a negative count would be a bookkeeping error)."""
        return dict(self._counts.items())

    def apply(self, files: list[L.FileDiff], keys: dict[int, list[list[str | None]]] | None = None) -> None:
        """Move the tree on by one commit's diff against it (``-U0``, as the line-provenance stream has it).

        ``keys``: the line keys of the added lines of some files, by file index then hunk, when already known
        (a labelled commit's :attr:`~churnlab.mine.lines.CommitLabels.keys_added`); other lines are keyed here.
        """
        # sources are the parent's files, whatever this commit does at their paths first (entries come by path)
        sources = {fd.old_path: self.files.get(fd.old_path) for fd in files if fd.old_path is not None}
        for fi, fd in enumerate(files):
            if fd.submodule:
                continue
            old, new = fd.old_path, fd.new_path
            # the source still lies at its path (not already replaced by another entry of this commit)
            in_place = old is not None and self.files.get(old) is sources[old]
            if fd.binary:
                if old is not None and not fd.copy and in_place:
                    self._remove(old)
                if new is not None:
                    self._put(new, None)
                continue
            before = array("q") if old is None else sources[old]
            spliced = _splice(before, fd.hunks, keys.get(fi) if keys else None) if before is not None else None
            after = spliced[0] if spliced is not None else None
            if (spliced is not None and in_place and new is not None and not fd.copy
                    and self._excluded(old) == self._excluded(new)):
                del self.files[old]  # the same file, changed in place: recount only near the hunks
                if new != old:
                    self._remove(new)
                self.files[new] = after
                if not self._excluded(new):
                    self._recount(before, after, spliced[1])  # type: ignore[arg-type]
                continue
            if old is not None and not fd.copy and in_place:
                self._remove(old)
            if new is not None:
                self._put(new, after)

    def replace(self, path: bytes, lines: list[bytes] | None) -> None:
        """Set a whole file of the tree from its raw lines (``None``: content unknown), e.g. read from git."""
        self.replace_keys(path, None if lines is None else array("q", map(key_hash, lines)))

    def replace_keys(self, path: bytes, keys: array | None) -> None:
        """Set a whole file of the tree from its lines' key hashes (:func:`key_hash`; ``None``: content unknown)."""
        self._put(path, keys)

    def splice_keys(self, path: bytes, head: int, tail: int, middle: list[int] | array,
                    unchanged: list[tuple[int, int, int]] | None = None) -> bool:
        """Replace the lines of ``path`` between its first ``head`` and last ``tail`` lines by ``middle``, given as
        key hashes (:func:`key_hash`).

        For a file whose versions are known as wholes (a merge's): only the lines between the common ends are
        keyed and only the windows near them recounted. ``False`` (nothing done) when the file is not held.

        ``unchanged``: blocks ``(i, j, size)``, in order, of lines of the old middle (from ``head``) whose key
        hashes the new middle has at ``j`` (a merge's alignment): only the windows near the lines between them
        are recounted. Without it the whole middle is one changed region.
        """
        before = self.files.get(path)
        if before is None or head + tail > len(before):
            return False
        after = before[:head] + array("q", middle) + before[len(before) - tail:]
        self.files[path] = after
        if not self._excluded(path):
            old_end, new_end = len(before) - tail, len(after) - tail
            if unchanged is None:
                regions = [(head, old_end, head, new_end)]
            else:
                regions = _gaps(unchanged, head, old_end - head, new_end - head)
            self._recount(before, after, regions)
        return True

    def remove(self, path: bytes) -> None:
        """A file leaves the tree."""
        self._remove(path)

    def _remove(self, path: bytes) -> None:
        keys = self.files.pop(path, None)
        if keys and not self._excluded(path):
            self._counts.add(_file_windows(keys), -1)

    def _put(self, path: bytes, keys: array | None) -> None:
        self._remove(path)
        self.files[path] = keys
        if keys and not self._excluded(path):
            self._counts.add(_file_windows(keys), 1)

    def _recount(self, before: array, after: array, regions: list[Region]) -> None:
        """Replace the windows that meet a changed region (:func:`_changed_windows_reference`)."""
        gone, come = _changed_windows(before, after, regions)
        self._counts.add(gone, -1)
        self._counts.add(come, 1)


def _splice(before: array, hunks: list, keys: list[list[str | None]] | None = None
            ) -> tuple[array, list[Region]] | None:
    """The file after the hunks, and the changed regions; ``None`` when the hunks do not fit ``before``.

    ``keys``: the added lines' keys per hunk, when known (else each line is keyed here).
    """
    out = array("q")
    regions: list[Region] = []
    pos = 0
    for hi, (o_start, o_count, _n_start, _n_count, _removed, added) in enumerate(hunks):
        a0 = o_start - 1 if o_count else o_start
        if a0 < pos or a0 + o_count > len(before):
            return None
        out.extend(before[pos:a0])
        b0 = len(out)
        if keys is None:
            out.extend(map(key_hash, added))
        elif None in keys[hi]:  # key_hash of each line, its key known
            out.extend([NO_KEY if k is None else hash(k) for k in keys[hi]])
        else:
            out.extend(map(hash, keys[hi]))
        regions.append((a0, a0 + o_count, b0, len(out)))
        pos = a0 + o_count
    out.extend(before[pos:])
    return out, regions


def _gaps(blocks: list[tuple[int, int, int]], at: int, old_n: int, new_n: int) -> list[Region]:
    """The changed regions between matched ``blocks`` of two middles of ``old_n`` and ``new_n`` lines, which both
    start at line ``at`` of their file."""
    regions: list[Region] = []
    i0 = j0 = 0
    for i, j, size in (*blocks, (old_n, new_n, 0)):
        if i > i0 or j > j0:
            regions.append((at + i0, at + i, at + j0, at + j))
        i0, j0 = i + size, j + size
    return regions


def _meaningful(keys: Sequence[int], lo: int, hi: int, limit: int) -> int:
    """Meaningful lines in ``keys[lo:hi]``, counted up to ``limit``."""
    n = 0
    for i in range(lo, hi):
        if keys[i] != NO_KEY:
            n += 1
            if n >= limit:
                break
    return n


def _context_before(keys: Sequence[int], at: int) -> list[int]:
    """Key hashes of the last ``BLOCK - 1`` meaningful lines before ``keys[at]``."""
    lo = at - 3 * BLOCK
    out = [k for k in keys[max(lo, 0):at] if k != NO_KEY]  # usually enough, in one C-speed pass
    if len(out) < BLOCK - 1 and lo > 0:
        out = [k for k in keys[:at] if k != NO_KEY]
    return out[-(BLOCK - 1):]


def _context_after(keys: Sequence[int], at: int) -> list[int]:
    """Key hashes of the first ``BLOCK - 1`` meaningful lines from ``keys[at]`` on."""
    hi = at + 3 * BLOCK
    out = [k for k in keys[at:hi] if k != NO_KEY]
    if len(out) < BLOCK - 1 and hi < len(keys):
        out = [k for k in keys[at:] if k != NO_KEY]
    return out[:BLOCK - 1]


def duplicated_lines(include: list[int], labels: L.CommitLabels, tree: TreeWindows | None) -> dict[int, int]:
    """Added lines in duplicate blocks, per file of one commit (``include``: the labelled files' indices).

    ``tree`` is the index of the tree at the parent, read before the commit is applied (``None``: repeats
    within the commit only).
    """
    runs = []  # (file, hunk, positions of the candidate lines, their windows)
    for fi in include:
        for hi, (akeys, alab) in enumerate(zip(labels.keys_added[fi], labels.added[fi])):
            if len(akeys) < BLOCK:
                continue
            if L.MOVED not in alab and L.NO_OP not in alab:  # every line a candidate (no key: a no-op line)
                seq = range(len(akeys))
                wins = windows(list(map(hash, akeys)))
            else:
                seq = [j for j, (k, lab) in enumerate(zip(akeys, alab))
                       if k is not None and lab != L.MOVED and lab != L.NO_OP]
                if len(seq) < BLOCK:
                    continue
                wins = windows([hash(akeys[j]) for j in seq])
            runs.append((fi, hi, seq, wins))
    if not runs:
        return {}
    added = list(chain.from_iterable(run[3] for run in runs))
    local = set(added)
    # windows the commit repeats (counted only when some window repeats: most commits repeat none)
    repeated = {w for w, n in Counter(added).items() if n > 1} if len(local) < len(added) else set()
    # A window makes a block only if the commit repeats it or the tree holds it (a positive count needs an
    # addition): most windows are neither, so they are sifted out at C speed before the loop below.
    hot = set(repeated)
    if tree is not None:
        hot.update(tree.may_hold(local))
    deleted: Counter[int] | None = None
    dup: dict[int, set[tuple[int, int]]] = {}
    for fi, hi, seq, wins in runs:
        if hot.isdisjoint(wins):
            continue
        for s, w in enumerate(wins):
            if w not in hot:
                continue
            if w not in repeated:
                in_tree = tree.count(w) if tree is not None else 0
                if not in_tree:
                    continue
                if deleted is None:
                    deleted = _deleted_windows(include, labels)
                if in_tree <= deleted[w]:
                    continue
            dup.setdefault(fi, set()).update((hi, j) for j in seq[s:s + BLOCK])
    return {fi: len(v) for fi, v in dup.items()}


def _deleted_windows(include: list[int], labels: L.CommitLabels) -> Counter[int]:
    """Windows whose lines the commit all removes (per hunk, over the removed meaningful lines)."""
    out: Counter[int] = Counter()
    for fi in include:
        for rkeys in labels.keys_removed[fi]:
            if len(rkeys) >= BLOCK:
                out.update(windows([hash(k) for k in rkeys if k is not None]))
    return out
