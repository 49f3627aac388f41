"""Per-commit diff fingerprints, for finding reverts by content (spec section 4).

Interface (what :mod:`churnlab.mine.reverts` consumes, and what the line-provenance stage may put in
``ctx.extras["patch_fingerprints"]`` instead): a frame with columns

``sha`` (str), ``fingerprint`` (str, null for an empty diff), ``inverse_fingerprint`` (str, null likewise),
``lines_changed`` (int64: text lines added plus removed in the ``-U0`` patch, the line stage's stream: git
trims common tails keeping the context lines before diffing, so a ``-U3`` patch, like ``--numstat``, can
rarely pair lines differently; the fingerprints below do not depend on it).

Definition. A commit's diff against its first parent (rename detection as in the activity tables) is a set of
file changes. Each file change is the tuple::

    (old_path, new_path, old_mode, new_mode, old_blob, new_blob, removed, added)

where a path is ``""`` for the missing side of an addition or deletion, modes are ``""`` unless the mode
changes (``old mode``/``new mode``, ``new file mode``, ``deleted file mode``), blob ids are ``""`` except for
binary files (which have no lines), and ``removed``/``added`` are the *net* multisets of raw line bytes of
the ``-``/``+`` lines (without the marker and the newline; ``\\ No newline at end of file`` is ignored): a
line removed m times and added n times counts max(m - n, 0) times in ``removed`` and max(n - m, 0) times in
``added``. Net multisets depend only on the file contents before and after, never on which edit script the
diff algorithm chose (``a b -> b a`` may come out as "move a" one way and "move b" the other way), so a
revert made by ``git revert`` always matches. A text file change left with no net lines and no path or
mode change (lines only reordered) is dropped, and a commit with no file change left has null fingerprints:
it cannot be told apart from other reorderings of the same file. Then::

    record(f)      = b"\\0".join([old_path, new_path, old_mode, new_mode, old_blob, new_blob])
                     + b"\\0-" + sha256(b"".join(l + b"\\n" for l in sorted(removed))).hexdigest()
                     + b"\\0+" + sha256(b"".join(l + b"\\n" for l in sorted(added))).hexdigest()
    fingerprint    = sha256(b"\\n".join(sorted(record(f) for f in files))).hexdigest()
    inverse        = the same with every (old, new) pair swapped and removed/added swapped

so commit B is an exact inverse of commit A exactly when ``fingerprint(B) == inverse(A)``. Lines are
compared as multisets per file, not by position: a revert applied after unrelated edits moved the lines
still matches, as in ``git patch-id``. A rename is its own entry (old and new path), so the inverse of
``a -> b`` with edits is ``b -> a`` with the edits undone; renames are not split into a delete and an add.
Paths are git's, with the ``a/``/``b/`` prefixes removed and C-quoting undone, as UTF-8 bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import polars as pl

from ..git import Repository

__all__ = ["FINGERPRINT_SCHEMA", "fingerprint_frame", "parse_patches", "patch_log_args", "read_fingerprints"]

FINGERPRINT_SCHEMA = {"sha": pl.String, "fingerprint": pl.String, "inverse_fingerprint": pl.String,
                      "lines_changed": pl.Int64}

_COMMIT = re.compile(rb"^\x1e([0-9a-f]{40}(?:[0-9a-f]{24})?)$")
_INDEX = re.compile(rb"^index ([0-9a-f]+)\.\.([0-9a-f]+)(?: (\d+))?$")
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}


def patch_log_args(head: str, *, first_parent: bool = False, find_copies: bool = False) -> list[str]:
    """The one ``git log -p`` call behind the fingerprints (non-merge commits, full blob ids, no context)."""
    args = ["log", "--no-merges", "-p", "-U0", "--full-index", "--no-ext-diff", "--no-textconv", "--no-color",
            "--format=%x1e%H", "-C" if find_copies else "-M"]
    if first_parent:
        args.append("--first-parent")
    return [*args, head, "--"]


def _unquote(raw: bytes) -> bytes:
    """Undo git's C-quoting of a path (``"a\\tb"``); unquoted paths come back unchanged."""
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        if body[i:i + 1] == b"\\" and i + 1 < len(body):
            nxt = body[i + 1:i + 2]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if len(body[i + 1:i + 4]) == 3 and body[i + 1:i + 4].isdigit():
                out.append(int(body[i + 1:i + 4], 8) & 0xFF)
                i += 4
                continue
        out.append(body[i])
        i += 1
    return bytes(out)


def _strip_prefix(path: bytes, prefix: bytes) -> bytes:
    path = _unquote(path)
    if path == b"/dev/null":
        return b""
    return path[len(prefix):] if path.startswith(prefix) else path


@dataclass
class _File:
    old_path: bytes = b""
    new_path: bytes = b""
    old_mode: bytes = b""
    new_mode: bytes = b""
    old_blob: bytes = b""
    new_blob: bytes = b""
    binary: bool = False
    removed: list[bytes] = field(default_factory=list)
    added: list[bytes] = field(default_factory=list)

    def change(self) -> tuple:
        """The file change as :func:`_fingerprints_of` takes it."""
        return (self.old_path, self.new_path, self.old_mode, self.new_mode, self.old_blob, self.new_blob,
                self.binary, self.removed, self.added)


def _lines_digest(lines: list[bytes]) -> bytes:
    """sha256 hex digest of the sorted lines, each ended by a newline (one bulk join, not a call per line)."""
    if not lines:
        return _EMPTY_DIGEST
    h = hashlib.sha256(b"\n".join(sorted(lines)))
    h.update(b"\n")  # the last line's newline, without copying the joined lines again
    return h.hexdigest().encode()


_EMPTY_DIGEST = hashlib.sha256(b"").hexdigest().encode()


def _records(old_path: bytes, new_path: bytes, old_mode: bytes, new_mode: bytes, old_blob: bytes, new_blob: bytes,
             binary: bool, removed: list[bytes], added: list[bytes]) -> tuple[bytes, bytes] | None:
    """``(record, inverse record)`` of one file change, its lines cut to their net multisets (each side sorted
    and hashed once, for both); ``None`` when the change is nothing but a reordering of lines."""
    small, big = (removed, added) if len(removed) <= len(added) else (added, removed)
    both = set(small).intersection(big) if small else ()
    if both:  # lines on both sides: cut to the net counts (else already net; order does not matter, digests sort)
        r, a = Counter(removed), Counter(added)
        for line in both:
            n = r[line] - a[line]
            r[line], a[line] = max(n, 0), max(-n, 0)
        removed, added = list(r.elements()), list(a.elements())  # counts below 1 are left out
    if not removed and not added and old_path == new_path and old_mode == new_mode and not binary:
        return None
    ob, nb = (old_blob, new_blob) if binary else (b"", b"")
    rem, add = _lines_digest(removed), _lines_digest(added)
    fwd = b"\0".join([old_path, new_path, old_mode, new_mode, ob, nb])
    inv = b"\0".join([new_path, old_path, new_mode, old_mode, nb, ob])
    return fwd + b"\0-" + rem + b"\0+" + add, inv + b"\0-" + add + b"\0+" + rem


def _fingerprints_of(changes: Iterable[tuple]) -> tuple[str | None, str | None]:
    """``(fingerprint, inverse)`` of a commit's file changes (tuples in :func:`_records`' argument order)."""
    fwd_records, inv_records = [], []
    for change in changes:
        both = _records(*change)
        if both is not None:
            fwd_records.append(both[0])
            inv_records.append(both[1])
    if not fwd_records:
        return None, None
    fwd = hashlib.sha256(b"\n".join(sorted(fwd_records))).hexdigest()
    inv = hashlib.sha256(b"\n".join(sorted(inv_records))).hexdigest()
    return fwd, inv


def _fingerprints(files: list[_File]) -> tuple[str | None, str | None, int]:
    n_lines = sum(len(f.removed) + len(f.added) for f in files)
    return (*_fingerprints_of(f.change() for f in files), n_lines)


def _diff_git_path(line: bytes) -> bytes:
    """The path of a ``diff --git a/P b/P`` header when old and new path are equal (the only case used)."""
    rest = line[len(b"diff --git "):]
    if rest.startswith(b'"'):
        end = rest.index(b'" ', 1) + 1 if b'" ' in rest[1:] else len(rest)
        return _strip_prefix(rest[:end], b"a/")
    half = (len(rest) - 1) // 2  # "a/P b/P": both halves have the same length
    return _strip_prefix(rest[:half], b"a/")


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        parts = (pending + chunk).split(b"\n")
        pending = parts.pop()
        yield from parts
    if pending:
        yield pending


def parse_patches(chunks: Iterable[bytes]) -> dict[str, list]:
    """Parse a ``git log -p`` stream made with :func:`patch_log_args` into fingerprint columns."""
    cols: dict[str, list] = {k: [] for k in FINGERPRINT_SCHEMA}
    sha: bytes | None = None
    files: list[_File] = []
    cur: _File | None = None
    in_hunk = False

    def flush() -> None:
        if sha is not None:
            fwd, inv, n = _fingerprints(files)
            cols["sha"].append(sha.decode())
            cols["fingerprint"].append(fwd)
            cols["inverse_fingerprint"].append(inv)
            cols["lines_changed"].append(n)

    for line in _lines(chunks):
        if in_hunk and line[:1] in (b"+", b"-", b" ", b"\\"):
            # Hunk bodies come first: a '+' line whose text starts with '++ ' is content, not a header.
            if line[:1] == b"+":
                cur.added.append(line[1:])
            elif line[:1] == b"-":
                cur.removed.append(line[1:])
            continue
        in_hunk = False
        m = _COMMIT.match(line)
        if m:
            flush()
            sha, files, cur = m.group(1), [], None
            continue
        if line.startswith(b"diff --git "):
            cur = _File()
            files.append(cur)
            path = _diff_git_path(line)
            cur.old_path = cur.new_path = path
        elif cur is None:
            continue
        elif line.startswith(b"@@"):
            in_hunk = True
        elif line.startswith(b"--- "):
            cur.old_path = _strip_prefix(line[4:].rstrip(b"\t"), b"a/")
        elif line.startswith(b"+++ "):
            cur.new_path = _strip_prefix(line[4:].rstrip(b"\t"), b"b/")
        elif line.startswith((b"rename from ", b"copy from ")):
            cur.old_path = _unquote(line.split(b" ", 2)[2])
        elif line.startswith((b"rename to ", b"copy to ")):
            cur.new_path = _unquote(line.split(b" ", 2)[2])
        elif line.startswith(b"new file mode "):
            cur.old_path, cur.new_mode = b"", line[14:]
        elif line.startswith(b"deleted file mode "):
            cur.new_path, cur.old_mode = b"", line[18:]
        elif line.startswith(b"old mode "):
            cur.old_mode = line[9:]
        elif line.startswith(b"new mode "):
            cur.new_mode = line[9:]
        elif line.startswith(b"index "):
            im = _INDEX.match(line)
            if im:
                cur.old_blob, cur.new_blob = im.group(1), im.group(2)
        elif line.startswith(b"Binary files ") or line == b"GIT binary patch":
            cur.binary = True
    flush()
    return cols


def fingerprint_frame(cols: dict[str, list]) -> pl.DataFrame:
    return pl.DataFrame(cols, schema=FINGERPRINT_SCHEMA)


def read_fingerprints(repo: Repository, *, first_parent: bool = False, find_copies: bool = False) -> pl.DataFrame:
    """Fingerprints of every non-merge commit reachable from ``repo.head``, from one streaming ``git log -p``."""
    if repo.head is None:
        return fingerprint_frame({k: [] for k in FINGERPRINT_SCHEMA})
    args = patch_log_args(repo.head, first_parent=first_parent, find_copies=find_copies)
    return fingerprint_frame(parse_patches(repo.stream(args)))
