"""Line operations: parse the patch stream and label every changed line of a commit (research spec, section 2).

The stream is one ``git log -p -U0`` (see :func:`log_args`): no context lines, so a hunk is exactly the
removed lines followed by the added lines. Each commit starts with ``\\x1e<sha>`` on its own line. Paths are
taken from ``rename from``/``copy from`` lines or the ``diff --git`` header (C-unquoted when git quotes
them) and decoded as UTF-8 with undecodable bytes as ``\\xNN``, as in ``file_changes``.

Labels, tried in this order for each meaningful line (:func:`label_commit`):

``no_op``
    not meaningful (blank, punctuation, keywords), or one side of a whitespace-only edit (a line removed and
    added in one hunk, equal once all whitespace is removed).
``moved``
    a removed line whose key is added in another file or hunk of the same commit (and the added line), when
    both lie in runs of such lines with at least 20 alphanumeric characters (git's ``--color-moved=blocks``).
``copy_pasted``
    an added line whose key matches no removal and is added in at least two places (files or hunks).
    Optionally (:class:`RecentAdditions`, applied last) also an added line whose key the same author added as
    new code in another commit within the preceding N hours of author time (GitClear 2024's 24-hour rule).
``find_replaced``
    a removed/added pair of one hunk whose token substitution occurs at 3 or more places in the commit.
``updated``
    a removed/added pair of one hunk (paired by token similarity) differing by at most 3 tokens.
``added`` / ``deleted``
    everything else.

Both sides of a pair (moved, updated, find_replaced, no_op) are labelled, so the labels of a commit add up
to its numstat line counts.
"""

from __future__ import annotations

import functools
import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from difflib import SequenceMatcher
from itertools import chain, compress, count
from operator import itemgetter

from . import _accel
from .normalize import _LOWER_KEYWORDS, MINIFIED_LINE_CHARS, alnum_chars, line_key, tokens
from .patches import _fingerprints_of  # one fingerprint definition, shared with the revert stage

__all__ = ["LABELS", "CommitLabels", "FileDiff", "RecentAdditions", "is_minified", "label_commit", "log_args",
           "parse_record", "patch_fingerprints", "record_sha", "records"]

LABELS = ("added", "deleted", "updated", "moved", "copy_pasted", "find_replaced", "no_op")
ADDED, DELETED, UPDATED, MOVED, COPY_PASTED, FIND_REPLACED, NO_OP = range(7)

MOVED_BLOCK_ALNUM = 20  # git's --color-moved=blocks threshold
UPDATE_MAX_TOKENS = 3
FIND_REPLACE_MIN_PLACES = 3
DUPLICATE_BLOCK_LINES = 5
_PAIR_WINDOW = 2  # unequal hunks: compare each removed line with the added lines this near its position
_PAIR_MIN_RATIO = 0.5
_REALIGN_MAX_TOKENS = 16  # a middle of at most this many removed tokens is realigned (see _compare)

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_CONTENT = itemgetter(slice(1, None))  # a patch line without its "-"/"+" marker, sliced in C
_REMOVED, _ADDED = itemgetter(4), itemgetter(5)  # a hunk's removed and added lines
_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12, ord("r"): 13,
            ord('"'): 34, ord("\\"): 92}


def log_args(head: str, *, first_parent: bool = False, find_copies: bool = False) -> list[str]:
    """The patch stream behind line provenance: every commit once, parents first.

    Merges come without their patches (the tracker reads merges' trees instead, see
    :func:`churnlab.mine.provenance.merge_tree_args`), except with ``first_parent``, where a merge's diff
    against its first parent is what it brings to the chain.
    """
    merges = "first-parent" if first_parent else "off"
    args = ["log", "--topo-order", "--reverse", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv",
            "-C" if find_copies else "-M", f"--diff-merges={merges}",
            "--format=%x1e%H", "--no-abbrev", "--full-index"]  # full blob ids: binary files' fingerprints
    if first_parent:
        args.append("--first-parent")
    return [*args, head, "--"]


class FileDiff:
    """One file of a commit's patch. ``hunks`` are ``(old_start, old_count, new_start, new_count, removed, added)``.

    ``old_mode``/``new_mode`` are ``b""`` unless the patch shows them (new, deleted or mode-changed files).
    """

    __slots__ = ("old_path", "new_path", "binary", "submodule", "hunks", "old_blob", "new_blob", "copy",
                 "old_mode", "new_mode")

    def __init__(self) -> None:
        self.old_path: bytes | None = None
        self.new_path: bytes | None = None
        self.binary = False
        self.submodule = False
        self.copy = False
        self.hunks: list[tuple[int, int, int, int, list[bytes], list[bytes]]] = []
        self.old_blob = self.new_blob = b""
        self.old_mode = self.new_mode = b""

    @property
    def path(self) -> bytes:
        return self.new_path if self.new_path is not None else self.old_path  # type: ignore[return-value]


def records(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Split the stream into one record per commit (without the leading ``\\x1e``)."""
    # the record being read, in parts: joined once complete, so a commit spanning many chunks (or one whole
    # chunk, as the relay gives them) is copied once, not once per chunk
    tail: list[bytes] = []
    drop = 0  # 1 when tail starts with the \x1e of a separator that spanned two chunks
    for chunk in chunks:
        if not chunk:
            continue
        if tail and chunk[:1] == b"\x1e" and tail[-1][-1:] == b"\n":
            yield from _record(tail, drop, cut=1)
            tail, drop = [], 1
        parts = chunk.split(b"\n\x1e")
        tail.append(parts[0])
        if len(parts) == 1:
            continue
        yield from _record(tail, drop)
        tail, drop = [parts.pop()], 0
        for part in parts[1:]:
            yield from _record([part], 0)
    yield from _record(tail, drop, last=True)


def _record(parts: list[bytes], drop: int, *, cut: int = 0, last: bool = False) -> Iterator[bytes]:
    """The record in ``parts`` but its first ``drop`` and last ``cut`` bytes, joined in one copy and without its
    leading ``\\x1e``, if it has any bytes (the ``last`` one of the stream: any but whitespace).

    ``parts`` (the caller's list) is emptied, and the joined bytes let go once trimmed: a commit vendoring a
    dependency has a record of tens of MB, and only the record itself is held while it is read.
    """
    whole = parts[0] if len(parts) == 1 else b"".join(parts)
    parts.clear()
    start = drop + (whole[drop:drop + 1] == b"\x1e")
    end = len(whole) - cut
    if not (_CONTENT_BYTE.search(whole, drop) if last else end > drop):
        return
    if start or end < len(whole):
        whole = whole[start:end]
    yield whole


_CONTENT_BYTE = re.compile(rb"\S")


def _unquote(path: bytes) -> bytes:
    """Undo git's C-style quoting of a path (``"a\\tb"``); unquoted paths are returned as they are."""
    if not path.startswith(b'"'):
        return path
    out = bytearray()
    i, n = 1, len(path) - 1
    while i < n:
        ch = path[i]
        if ch == 92 and i + 1 < n:  # backslash
            nxt = path[i + 1]
            if 48 <= nxt <= 55:  # octal byte
                out.append(int(path[i + 1:i + 4], 8))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return bytes(out)


def _header_paths(line: bytes) -> tuple[bytes, bytes]:
    """The two paths of ``diff --git a/X b/Y`` (only trusted when X == Y or the paths are quoted)."""
    rest = line[len(b"diff --git "):]
    if rest.startswith(b'"'):
        end = rest.index(b'" ', 1) + 1 if b'" ' in rest else len(rest)
        first, second = rest[:end], rest[end + 1:]
        return _unquote(first)[2:], _unquote(second)[2:]
    half = (len(rest) - 1) // 2
    return rest[2:half], rest[half + 3:]


def record_sha(record: bytes) -> bytes:
    """The commit id that starts a record of the stream: 40 hex digits, or 64 in a SHA-256 repository."""
    end = record.find(b"\n")
    return (record if end < 0 else record[:end]).strip()


def parse_record(record: bytes) -> tuple[str, list[FileDiff]]:
    """Parse one commit of the stream into its sha and file diffs (:func:`_parse_record_reference`)."""
    parsed = _parse_record(record, FileDiff)
    if parsed is NotImplemented:  # the compiled kernel leaves quoted paths to the reference
        return _parse_record_reference(record, FileDiff)
    return parsed


def _parse_record_reference(record: bytes, new_file: Callable[[], FileDiff]) -> tuple[str, list[FileDiff]]:
    """Parse one commit of the stream into its sha and file diffs (made by ``new_file``).

    The pure-Python twin of the compiled kernel, which returns ``NotImplemented`` for a record with a quoted
    path (or a line number of 64 digits or more) and leaves it to this definition.
    """
    lines = record.split(b"\n")
    sha = lines[0].strip().decode()
    files: list[FileDiff] = []
    fd: FileDiff | None = None
    i, n = 1, len(lines)
    while i < n:
        ln = lines[i]
        i += 1
        c = ln[:1]
        if c == b"@" and fd is not None:
            m = _HUNK.match(ln)
            if m is None:
                continue
            o_start, o_count, n_start, n_count = m.groups()
            oc = 1 if o_count is None else int(o_count)
            nc = 1 if n_count is None else int(n_count)
            removed = list(map(_CONTENT, lines[i:i + oc])) if oc else []
            i += oc
            if i < n and lines[i][:1] == b"\\":
                i += 1
            added = list(map(_CONTENT, lines[i:i + nc])) if nc else []
            i += nc
            if i < n and lines[i][:1] == b"\\":
                i += 1
            fd.hunks.append((int(o_start), oc, int(n_start), nc, removed, added))
        elif c == b"-" or c == b"+" or c == b"s":  # ---/+++ paths, similarity index: nothing to read
            continue
        elif ln.startswith(b"diff --git "):
            fd = new_file()
            files.append(fd)
            fd.old_path, fd.new_path = _header_paths(ln)
        elif fd is None:
            continue
        elif ln.startswith(b"new file mode "):
            fd.old_path, fd.new_mode = None, ln[14:]
            fd.submodule |= ln.endswith(b"160000")
        elif ln.startswith(b"deleted file mode "):
            fd.new_path, fd.old_mode = None, ln[18:]
            fd.submodule |= ln.endswith(b"160000")
        elif ln.startswith(b"index "):
            blobs = ln[6:].split(b" ", 1)
            fd.old_blob, _, fd.new_blob = blobs[0].partition(b"..")
            fd.submodule |= ln.endswith(b" 160000")
        elif ln.startswith((b"rename from ", b"copy from ")):
            fd.old_path = _unquote(ln.split(b" from ", 1)[1])
            fd.copy = ln.startswith(b"copy")
        elif ln.startswith((b"rename to ", b"copy to ")):
            fd.new_path = _unquote(ln.split(b" to ", 1)[1])
        elif ln.startswith(b"Binary files "):
            fd.binary = True
        elif ln.startswith(b"old mode "):
            fd.old_mode = ln[9:]
            fd.submodule |= ln.endswith(b"160000")
        elif ln.startswith(b"new mode "):
            fd.new_mode = ln[9:]
            fd.submodule |= ln.endswith(b"160000")
    return sha, files


_parse_record = _accel.pick("parse_record", _parse_record_reference)

# A record this large (a commit vendoring a dependency, a regenerated data set) is parsed file by file
# (:func:`parse_record_lazily`): its lines held as Python objects at once cost about twice the patch
# (``benchmarks/bench_lines.py --memory-only``: a commit vendoring 1,000,000 lines, against it parsed whole).
LAZY_RECORD_BYTES = 8 << 20


class _LazyFileDiff(FileDiff):
    """A file diff whose hunks are parsed from its section of the record each time they are read, never held."""

    __slots__ = ("_record", "_sha", "_start", "_stop")

    @classmethod
    def of(cls, head: FileDiff, record: bytes, sha: bytes, start: int, stop: int) -> _LazyFileDiff:
        lazy = cls.__new__(cls)  # FileDiff.__init__ would set hunks, read-only here
        for name in FileDiff.__slots__:
            if name != "hunks":
                setattr(lazy, name, getattr(head, name))
        lazy._record, lazy._sha, lazy._start, lazy._stop = record, sha, start, stop
        return lazy

    @property
    def hunks(self) -> list[tuple[int, int, int, int, list[bytes], list[bytes]]]:  # type: ignore[override]
        return _parse_section(self._record, self._sha, self._start, self._stop).hunks


def _parse_section(record: bytes, sha: bytes, start: int, stop: int) -> FileDiff:
    """The file diff of ``record[start:stop]``, one ``diff --git`` section (or its header lines alone)."""
    _, files = parse_record(b"".join((sha, b"\n\n", memoryview(record)[start:stop])))
    return files[0]


def parse_record_lazily(record: bytes, lazy: Callable[[bytes], bool]) -> tuple[str, list[FileDiff]]:
    """:func:`parse_record` section by section, the hunks of the files left out of the line metrics (a path that
    ``lazy`` accepts, or minified content: :func:`is_minified`) parsed only when read, and again at each read:
    their lines are read one file at a time, to be hashed or fingerprinted, so the commit's lines never exist
    at once."""
    sha = record_sha(record)
    starts = []  # every "diff --git " line starts a section: no content line can (see _patch_sections)
    at = record.find(b"\ndiff --git ")
    while at >= 0:
        starts.append(at + 1)
        at = record.find(b"\ndiff --git ", at + 1)
    files = []
    for k, start in enumerate(starts):
        stop = starts[k + 1] - 1 if k + 1 < len(starts) else len(record)
        hunk = record.find(b"\n@@ -", start, stop)
        if hunk < 0:
            files.append(_parse_section(record, sha, start, stop))
            continue
        head = _parse_section(record, sha, start, hunk)
        if not lazy(head.path):
            whole = _parse_section(record, sha, start, stop)
            if not is_minified(whole):  # (a minified file is left out of the metrics by its content)
                files.append(whole)
                continue
        files.append(_LazyFileDiff.of(head, record, sha, start, stop))
    return sha.decode(), files


def patch_fingerprints(files: list[FileDiff]) -> tuple[str | None, str | None, int]:
    """``(fingerprint, inverse, lines changed)`` of a commit, as :mod:`churnlab.mine.patches` defines them.

    The definition lives there: the file diffs are handed over as its file changes. ``-U0`` hunks hold the
    same removed and added lines as the ``-U3`` patch it reads (context does not change git's edit script).
    """
    n_lines = 0

    def changes() -> Iterator[tuple]:  # one file's lines at a time (a lazily parsed file's are not held)
        nonlocal n_lines
        for fd in files:
            hunks = fd.hunks
            if len(hunks) == 1:  # the lists are only read
                removed, added = hunks[0][4], hunks[0][5]
            else:
                removed = list(chain.from_iterable(map(_REMOVED, hunks)))
                added = list(chain.from_iterable(map(_ADDED, hunks)))
            n_lines += len(removed) + len(added)
            yield (fd.old_path or b"", fd.new_path or b"", fd.old_mode, fd.new_mode, fd.old_blob, fd.new_blob,
                   fd.binary, removed, added)

    fwd, inv = _fingerprints_of(changes())
    return fwd, inv, n_lines


def is_minified(fd: FileDiff) -> bool:
    """Content heuristic for minified or generated text: an added line of 1,000 characters or more."""
    return max(map(len, chain.from_iterable(map(_ADDED, fd.hunks))), default=0) >= MINIFIED_LINE_CHARS


class CommitLabels:
    """Labels of one commit: per file, per hunk, a label for each removed and each added line."""

    __slots__ = ("removed", "added", "keys_removed", "keys_added", "duplicated", "meaningful")

    def __init__(self) -> None:
        self.removed: dict[int, list[list[int]]] = {}
        self.added: dict[int, list[list[int]]] = {}
        self.keys_removed: dict[int, list[list[str | None]]] = {}
        self.keys_added: dict[int, list[list[str | None]]] = {}
        self.duplicated: dict[int, int] = {}  # filled by churnlab.mine.duplicates
        self.meaningful = 0

    def counts(self, fi: int) -> list[int]:
        """Lines per label (``LABELS`` order) of file ``fi``."""
        out = [0] * len(LABELS)
        for labels in chain(self.removed.get(fi, ()), self.added.get(fi, ())):
            if labels and labels.count(labels[0]) == len(labels):  # most hunks' lines share one label: counted in C
                out[labels[0]] += len(labels)
                continue
            for lab in labels:
                out[lab] += 1
        return out


def label_commit(files: list[FileDiff], include: list[int]) -> CommitLabels:
    """Label every changed line of the files ``include`` (indices into ``files``) of one commit.

    A removed line starts as ``deleted`` and an added line as ``added`` (no rule gives these two: they are
    what a line keeps when no rule below labels it), a no-op line as ``no_op``.
    """
    out = CommitLabels()
    meaningful = 0
    free_removed: set[str] = set()  # keys of lines not yet labelled
    free_added: list[str] = []
    for fi in include:
        rl, al, rk, ak, n, free_r, free_a = _first_labels(files[fi].hunks, line_key, _LOWER_KEYWORDS)
        out.removed[fi], out.added[fi], out.keys_removed[fi], out.keys_added[fi] = rl, al, rk, ak
        meaningful += n
        free_removed.update(free_r)
        free_added += free_a
    out.meaningful = meaningful
    # Moves need a key both removed and added, copies a key added twice: only such keys need their places.
    added = set(free_added)
    wanted = free_removed.intersection(added)
    if len(added) < len(free_added):  # some key is added twice (most commits add each key once: no count)
        wanted.update(k for k, n in Counter(free_added).items() if n > 1)
    if wanted:
        rem_at, add_at = _places(out, include, wanted)
        _moves(out, rem_at, add_at)
        _copies(out, rem_at, add_at)
    _pairs(out, include)
    return out


def _first_labels_reference(hunks: list, key: Callable[[bytes], str | None], keywords: frozenset[bytes]) -> tuple:
    """The first labelling pass over one file's hunks: ``(removed labels, added labels, removed keys, added keys,
    meaningful lines, free removed keys, free added keys)``, the first four as one list per hunk.

    A line's key is ``key(line)``. A removed line starts as ``deleted``, an added one as ``added``, a line
    that is not meaningful (key ``None``) as ``no_op``, and so do both sides of a whitespace-only edit
    (:func:`_whitespace_edits`). The free keys are those of the lines still ``deleted``/``added``, in order.
    The pure-Python twin of the compiled kernel. ``keywords`` are the lower-case keywords with which ``key``
    (:func:`normalize.line_key`) keys an ASCII line, as ``ascii_key(line, keywords)``: the kernel keys those
    lines itself (no call, no cache lookup) and calls ``key`` for the other lines only, in order.
    """
    rl, al, rk, ak = [], [], [], []
    meaningful = 0
    free_r: list[str] = []
    free_a: list[str] = []
    for h in hunks:
        rkeys = list(map(key, h[4]))
        akeys = list(map(key, h[5]))
        r_none, a_none = rkeys.count(None), akeys.count(None)
        rlab = [NO_OP if k is None else DELETED for k in rkeys] if r_none else [DELETED] * len(rkeys)
        alab = [NO_OP if k is None else ADDED for k in akeys] if a_none else [ADDED] * len(akeys)
        meaningful += len(rkeys) - r_none + len(akeys) - a_none
        if rkeys and akeys and _whitespace_edits(rkeys, akeys, rlab, alab) or r_none or a_none:
            free_r += [k for k, lab in zip(rkeys, rlab) if lab == DELETED]
            free_a += [k for k, lab in zip(akeys, alab) if lab == ADDED]
        else:  # every line meaningful and none of a whitespace edit
            free_r += rkeys
            free_a += akeys
        rl.append(rlab)
        al.append(alab)
        rk.append(rkeys)
        ak.append(akeys)
    return rl, al, rk, ak, meaningful, free_r, free_a


_first_labels = _accel.pick("first_labels", _first_labels_reference)


def _places(out: CommitLabels, include: list[int], wanted: set[str]) -> tuple[dict, dict]:
    """``key -> [(file, hunk, line)]`` of the unlabelled removed and added lines whose key is ``wanted``."""
    rem_at: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    add_at: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for fi in include:
        for at, labels, keys, free in ((rem_at, out.removed[fi], out.keys_removed[fi], DELETED),
                                       (add_at, out.added[fi], out.keys_added[fi], ADDED)):
            for hi, (hkeys, hlab) in enumerate(zip(keys, labels)):
                if wanted.isdisjoint(hkeys):
                    continue
                for j in compress(count(), map(wanted.__contains__, hkeys)):  # the wanted lines, found in C
                    if hlab[j] == free:
                        at[hkeys[j]].append((fi, hi, j))
    return rem_at, add_at


def _whitespace_edits(rkeys: list, akeys: list, rlab: list[int], alab: list[int]) -> bool:
    """Within one hunk, a key both removed and added is a whitespace-only edit: no_op on both sides.

    Returns whether any line was labelled.
    """
    rbare = [None if k is None else k.replace(" ", "") for k in rkeys]
    abare = [None if k is None else k.replace(" ", "") for k in akeys]
    common = set(rbare).intersection(abare)
    common.discard(None)
    if not common:  # the usual case: no line of the hunk is only re-spaced
        return False
    removed: dict[str, list[int]] = defaultdict(list)
    for j, k in enumerate(rbare):
        if k in common:
            removed[k].append(j)
    for j, k in enumerate(abare):
        if k in common:
            spots = removed.get(k)
            if spots:
                rlab[spots.pop(0)] = NO_OP
                alab[j] = NO_OP
    return True


def _moves(out: CommitLabels, rem_at: dict, add_at: dict) -> None:
    """Pair removed and added lines with the same key in different places; keep pairs inside 20-char blocks."""
    pairs = []
    for k, rems in rem_at.items():
        adds = add_at.get(k)
        if adds:
            pairs.extend(zip(rems, adds))
    if not pairs:
        return
    cand_r = {r for r, _ in pairs}
    cand_a = {a for _, a in pairs}
    ok_r = _blocks(cand_r, out.keys_removed)
    ok_a = _blocks(cand_a, out.keys_added)
    for r, a in pairs:
        if r in ok_r and a in ok_a:
            out.removed[r[0]][r[1]][r[2]] = MOVED
            out.added[a[0]][a[1]][a[2]] = MOVED


def _blocks(cands: set[tuple[int, int, int]], keys: dict) -> set[tuple[int, int, int]]:
    """Candidates that lie in a run (no-op lines do not break it) of at least 20 alphanumeric characters."""
    ok: set[tuple[int, int, int]] = set()
    per_hunk: dict[tuple[int, int], set[int]] = defaultdict(set)
    for fi, hi, j in cands:
        per_hunk[(fi, hi)].add(j)
    for (fi, hi), lines in per_hunk.items():
        hkeys = keys[fi][hi]
        run: list[int] = []
        chars = 0
        # lines before the first candidate or after the last can only end a run: they are not read
        for j in range(min(lines), max(lines) + 1):
            k = hkeys[j]
            if k is None:
                continue
            if j in lines:
                run.append(j)
                chars += alnum_chars(k)
                continue
            if chars >= MOVED_BLOCK_ALNUM:
                ok.update((fi, hi, x) for x in run)
            run, chars = [], 0
        if chars >= MOVED_BLOCK_ALNUM:
            ok.update((fi, hi, x) for x in run)
    return ok


def _copies(out: CommitLabels, rem_at: dict, add_at: dict) -> None:
    """Added lines, matching no removal, whose key is added in two or more places (files or hunks)."""
    for k, adds in add_at.items():
        if len(adds) < 2 or k in rem_at:
            continue
        free = [a for a in adds if out.added[a[0]][a[1]][a[2]] == ADDED]
        if len(free) >= 2 and len({(f, h) for f, h, _ in free}) >= 2:
            for f, h, j in free:
                out.added[f][h][j] = COPY_PASTED


def _pairs(out: CommitLabels, include: list[int]) -> None:
    """Pair the remaining removed and added lines of each hunk; label find/replace and update pairs."""
    found = []  # (removed labels, added labels of the hunk, removed j, added j, substitution, tokens changed)
    for fi in include:
        for rlab, alab, rkeys, akeys in zip(out.removed[fi], out.added[fi], out.keys_removed[fi],
                                            out.keys_added[fi]):
            if DELETED not in rlab or ADDED not in alab:  # these are the lines not yet labelled
                continue
            rj = _free(rlab, DELETED)
            aj = _free(alab, ADDED)
            pairs = _pair_ascii(rj, aj, rkeys, akeys)
            if pairs is NotImplemented:  # a key is not ASCII: Unicode tokens, in Python
                pairs = _pair_hunk(rj, aj, rkeys, akeys)
            for j, k, subst, ntok in pairs:
                found.append((rlab, alab, j, k, subst, ntok))
    # a substitution's places, counted only when it can have enough (most commits have fewer pairs)
    places = Counter(map(itemgetter(4), found)) if len(found) >= FIND_REPLACE_MIN_PLACES else {}
    for rlab, alab, j, k, subst, ntok in found:
        # a find/replace substitutes text for text: pure insertions or deletions of tokens are updates
        if places.get(subst, 0) >= FIND_REPLACE_MIN_PLACES and subst and all(old and new for old, new in subst):
            lab = FIND_REPLACED
        elif ntok <= UPDATE_MAX_TOKENS:
            lab = UPDATED
        else:
            continue
        rlab[j] = lab
        alab[k] = lab


def _free(labels: list[int], free: int) -> list[int]:
    """The positions of ``labels`` holding ``free`` (a line not labelled yet), in a C loop."""
    if labels.count(free) == len(labels):
        return list(range(len(labels)))
    return list(compress(count(), map(free.__eq__, labels)))


def _pair_hunk(rj: list[int], aj: list[int], rkeys: list, akeys: list):
    """Similar removed/added lines of one hunk, in order: yields (removed j, added j, substitution, tokens).

    Equal counts pair by position; otherwise each removed line looks at the added lines near its proportional
    position (a window of 5), so the cost stays linear in the hunk. A pair whose first tokens differ and whose
    last tokens differ has similarity 0 (see :func:`_compare`) and is skipped, most of them before tokenising.
    """
    n_r, n_a = len(rj), len(aj)
    if n_r == n_a:  # each removed line is compared with the added line at its position only
        for j, k in zip(rj, aj):
            rk, ak = rkeys[j], akeys[k]
            if not _may_share_an_end(rk, ak):
                continue
            rt, at = tokens(rk), tokens(ak)
            if at[0] != rt[0] and at[-1] != rt[-1]:
                continue
            found = _compare(rt, at)
            if found[0] >= _PAIR_MIN_RATIO:
                yield j, k, found[1], found[2]
        return
    last = -1
    for idx, j in enumerate(rj):
        centre = idx * n_a // n_r
        rk = rkeys[j]
        rt = None
        best = None
        for pos in range(max(0, centre - _PAIR_WINDOW), min(n_a, centre + _PAIR_WINDOW + 1)):
            k = aj[pos]
            if k <= last:
                continue
            ak = akeys[k]
            if not _may_share_an_end(rk, ak):
                continue
            if rt is None:
                rt = tokens(rk)
            at = tokens(ak)
            if at[0] != rt[0] and at[-1] != rt[-1]:
                continue
            found = _compare(rt, at)
            if found[0] >= _PAIR_MIN_RATIO and (best is None or found[0] > best[0][0]):
                best = (found, k)
        if best is None:
            continue
        (_, subst, ntok), k = best
        last = k
        yield j, k, subst, ntok


def _pair_ascii_reference(rj: list[int], aj: list[int], rkeys: list, akeys: list) -> list:
    """``list(_pair_hunk(rj, aj, rkeys, akeys))``, or ``NotImplemented`` when a key of those lines is not ASCII.

    The pure-Python twin of the compiled kernel, which tokenises ASCII keys only (what ``\\w`` and ``\\s`` are
    among other characters is left to the Unicode rules of :func:`normalize.tokens`).
    """
    if not (all(rkeys[j].isascii() for j in rj) and all(akeys[k].isascii() for k in aj)):
        return NotImplemented
    return list(_pair_hunk(rj, aj, rkeys, akeys))


_pair_ascii = _accel.pick("pair_ascii", _pair_ascii_reference)


def _may_share_an_end(a: str, b: str) -> bool:
    """False only if the keys' first tokens differ and their last tokens differ (tested on characters).

    A key's first token starts at its first character unless that is (Unicode) whitespace, and likewise its
    last token ends at its last character; keys are never empty.
    """
    return (a[0] == b[0] or a[-1] == b[-1] or a[0].isspace() or b[0].isspace() or a[-1].isspace()
            or b[-1].isspace())


def _compare(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, tuple, int]:
    """``(similarity, substitution, tokens changed)`` of two token sequences.

    Common prefix and suffix first; a short differing middle is aligned again (two small edits in one line).
    """
    la, lb = len(a), len(b)
    n = la if la < lb else lb
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    q = 0
    while q < n - p and a[la - 1 - q] == b[lb - 1 - q]:
        q += 1
    if not p and not q:  # neither end in common: not an edit of the same line
        return 0.0, (), max(la, lb)
    am, bm = a[p:la - q], b[p:lb - q]
    lam, lbm = la - q - p, lb - q - p
    common = p + q
    total = la + lb
    # Realign the middle only where it can matter: the pair could still reach the pairing threshold and be
    # an update (within 3 tokens), yet prefix and suffix alone leave more than 3 tokens changed.
    if (lam and lbm and max(lam, lbm) > UPDATE_MAX_TOKENS and abs(lam - lbm) <= UPDATE_MAX_TOKENS
            and lam <= _REALIGN_MAX_TOKENS and 2 * (common + min(lam, lbm)) >= _PAIR_MIN_RATIO * total):
        equal, subst, ntok = _realign(am, bm)
        return 2 * (common + equal) / total, subst, ntok
    subst_t = ((am, bm),) if lam or lbm else ()
    return 2 * common / (total or 1), subst_t, max(lam, lbm)


@functools.lru_cache(maxsize=1 << 12)
def _realign(am: tuple[str, ...], bm: tuple[str, ...]) -> tuple[int, tuple, int]:
    """``(tokens equal, substitution, tokens changed)`` of two short middles (cached: a find/replace repeats)."""
    equal, subst, ntok = 0, [], 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, am, bm, autojunk=False).get_opcodes():
        if tag == "equal":
            equal += i2 - i1
        else:
            subst.append((am[i1:i2], bm[j1:j2]))
            ntok += max(i2 - i1, j2 - j1)
    return equal, tuple(subst), ntok


class RecentAdditions:
    """Cross-commit copy/paste: keys of the new lines each author added in the last ``hours`` of author time.

    :meth:`relabel` turns an added line (still labelled ``added``) into ``copy_pasted`` when the same author
    added its key as new code (meaningful, not moved) in a commit read earlier whose author time is at most
    ``hours`` before this commit's (``0 <= t - t_earlier <= hours * 3600``), then remembers this commit's new
    lines. Commits are read parents first, so for a history whose author times follow it the rule is exact;
    an earlier-read commit with a later author time (rebased or back-dated) is not "preceding". For each
    author and key only the latest addition is kept, and memory is bounded by the window: additions more
    than ``hours`` older than the newest author time read so far are dropped.
    """

    def __init__(self, hours: int) -> None:
        self.window = hours * 3600
        self.latest: dict[str, dict[str, int]] = {}  # author -> key -> author time of its latest addition
        self._expiry: list[tuple[int, str, str]] = []  # min-heap of (time, author, key), for dropping
        self._newest: int | None = None

    def relabel(self, labels: CommitLabels, include: list[int], author: str, t: int) -> None:
        """Relabel ``labels`` (one commit by ``author`` at author time ``t``, epoch seconds) and remember it."""
        seen = self.latest.get(author)
        if seen:
            lo = t - self.window
            for fi in include:
                for alab, akeys in zip(labels.added[fi], labels.keys_added[fi]):
                    if ADDED not in alab:
                        continue
                    for j, lab in enumerate(alab):
                        if lab == ADDED:
                            t0 = seen.get(akeys[j])  # type: ignore[arg-type]  # added lines have keys
                            if t0 is not None and lo <= t0 <= t:
                                alab[j] = COPY_PASTED
        new = {k for fi in include for alab, akeys in zip(labels.added[fi], labels.keys_added[fi])
               for k, lab in zip(akeys, alab) if lab != MOVED and lab != NO_OP}
        if new:
            mine = self.latest.setdefault(author, {})
            for k in new:
                if mine.get(k, t - 1) < t:
                    mine[k] = t
                    heapq.heappush(self._expiry, (t, author, k))
        self._newest = t if self._newest is None else max(self._newest, t)
        self._drop(self._newest - self.window)

    def _drop(self, cutoff: int) -> None:
        heap = self._expiry
        while heap and heap[0][0] < cutoff:
            t0, author, key = heapq.heappop(heap)
            mine = self.latest.get(author)
            if mine is not None and mine.get(key) == t0:  # else a later addition replaced it
                del mine[key]
                if not mine:
                    del self.latest[author]
