"""The AI-marker registry: what counts as a sign of an AI coding tool (spec section 5), kept as data.

The registry is a CSV file with one entry per line and the columns ``tool, kind, pattern, source``:

``tool``
    lower-case tool name (``claude``, ``cursor``, ``generic`` for files shared by many tools, ...).
``kind``
    ``path`` (a marker file or folder), ``trailer`` (a line of the commit message, such as
    ``Co-authored-by:``), ``message`` (anywhere in the commit message) or ``identity`` (the commit author,
    matched as ``Name <email>``).
``pattern``
    for ``path``: a gitignore-style glob (see :func:`glob_regex`); for the text kinds: a Python regular
    expression, matched case-insensitively (``^`` anchors a trailer line, or a line of the message).
``source``
    where the marker is documented (a URL or a short note).

The packaged copy, ``churnlab/data/ai_markers.csv``, is the same file as ``datasets/ai_markers.csv`` in the
repository. Users extend it without code changes: copy it, add lines, and pass ``markers=PATH``
(``--markers PATH`` on the command line).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import InputError

__all__ = ["KINDS", "Marker", "Registry", "glob_regex", "load_markers", "registry_digest"]

KINDS = ("path", "trailer", "message", "identity")
COLUMNS = ("tool", "kind", "pattern", "source")
_TOOL = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True)
class Marker:
    tool: str
    kind: str
    pattern: str
    source: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Registry:
    """Validated markers in file order, with one compiled regex each."""

    markers: tuple[Marker, ...]
    origin: str
    digest: str

    def of_kind(self, kind: str) -> tuple[Marker, ...]:
        return tuple(m for m in self.markers if m.kind == kind)

    def path_matches(self, path: str) -> list[Marker]:
        """Every path marker matching ``path``, first per tool."""
        found: dict[str, Marker] = {}
        for m in self.of_kind("path"):
            if m.tool not in found and m.regex.match(path):
                found[m.tool] = m
        return list(found.values())


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a gitignore-style marker glob into a regex over repository-relative paths.

    - a pattern with a ``/`` before its end is anchored at the repository root (``.github/prompts/*.prompt.md``);
      otherwise it matches at any depth (``CLAUDE.md`` matches ``docs/CLAUDE.md``); a leading ``**/``
      unanchors explicitly;
    - a trailing ``/`` names a folder: it matches every path inside that folder;
    - without one, the pattern matches a file of that name or everything inside a folder of that name
      (``.clinerules`` is a file or a folder);
    - ``*`` and ``?`` stay within one path segment, ``**`` crosses segments, ``[...]`` is a character class.
    """
    is_dir = pattern.endswith("/")
    body = pattern.rstrip("/")
    anchored = "/" in body and not body.startswith("**/")
    body = body.removeprefix("**/").lstrip("/")
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if body.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = body.find("]", i + 2)
            if end == -1:
                raise ValueError("unclosed '[' in glob")
            cls = body[i + 1:end]
            out.append("[" + ("^" + cls[1:] if cls.startswith("!") else cls).replace("\\", "\\\\") + "]")
            i = end + 1
            continue
        else:
            out.append(re.escape(ch))
        i += 1
    prefix = "" if anchored else "(?:.*/)?"
    tail = "/.+" if is_dir else "(?:/.+)?"
    return re.compile(f"^{prefix}{''.join(out)}{tail}$")


def _compile(kind: str, pattern: str) -> re.Pattern[str]:
    if kind == "path":
        if pattern.startswith("./") or "\\" in pattern:
            raise ValueError("use a repository-relative glob with '/' separators, such as .cursor/ or CLAUDE.md")
        return glob_regex(pattern)
    flags = re.IGNORECASE | (re.MULTILINE if kind == "message" else 0)
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None


def _read_text(path: str | Path | None) -> tuple[str, str]:
    if path is None:
        return resources.files("churnlab").joinpath("data", "ai_markers.csv").read_text("utf-8"), "packaged"
    p = Path(path)
    if not p.is_file():
        raise InputError(f"marker registry {p} does not exist; pass the path of a CSV file with columns "
                         f"{', '.join(COLUMNS)} (or omit markers= to use the packaged registry)")
    try:
        return p.read_text("utf-8"), str(p)
    except UnicodeDecodeError:
        raise InputError(f"marker registry {p} is not UTF-8 text; save it as UTF-8 CSV") from None


def registry_digest(path: str | Path | None = None) -> str:
    """sha256 (16 hex) of the registry text, recorded in provenance so a changed registry re-mines."""
    return hashlib.sha256(_read_text(path)[0].encode()).hexdigest()[:16]


def load_markers(path: str | Path | None = None) -> Registry:
    """Load and validate a marker registry (``None``: the packaged one).

    Raises
    ------
    InputError
        naming the file, the entry (its line number) and the field that is wrong, and how to fix it.
    """
    text, origin = _read_text(path)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"marker registry {origin}: missing column(s) {', '.join(missing)}; "
                         f"the first line must name the columns {', '.join(COLUMNS)}")
    markers: list[Marker] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in reader:
        line = reader.line_num
        entry = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(entry.values()):
            continue

        def bad(field: str, problem: str) -> InputError:
            return InputError(f"marker registry {origin}: entry on line {line}, field '{field}': {problem}")

        if None in row:
            raise bad("source", "the line has more fields than the header; quote values that contain commas")
        tool, kind, pattern, source = (entry.get(c, "") for c in COLUMNS)
        if not _TOOL.match(tool):
            raise bad("tool", f"{tool!r} is not a lower-case tool name (letters, digits, '-', '_', '.')")
        if kind not in KINDS:
            raise bad("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        if not pattern:
            raise bad("pattern", "is empty; give a glob for path markers or a regular expression for text markers")
        if not source:
            raise bad("source", "is empty; say where the marker is documented (a URL or a short note)")
        try:
            regex = _compile(kind, pattern)
        except ValueError as exc:
            raise bad("pattern", f"{pattern!r}: {exc}") from None
        key = (tool, kind, pattern)
        if key in seen:
            raise bad("pattern", f"{pattern!r} repeats the entry on line {seen[key]}; remove one of them")
        seen[key] = line
        markers.append(Marker(tool, kind, pattern, source, regex))
    if not markers:
        raise InputError(f"marker registry {origin} has no entries; add lines of {', '.join(COLUMNS)}")
    return Registry(tuple(markers), origin, hashlib.sha256(text.encode()).hexdigest()[:16])
