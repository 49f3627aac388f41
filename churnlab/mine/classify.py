"""File classification by path and attributes: language, vendored, generated, minified, lock files.

Path rules follow GitHub linguist's spirit (vendor folders, lock files, generated suffixes). The repository's
own ``.gitattributes`` (``linguist-generated``, ``linguist-vendored``, also ``-diff``/``binary`` are left to
git) at the mined head override the rules, as on GitHub.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
from dataclasses import dataclass, field

__all__ = ["Attributes", "classify", "language_of", "parse_gitattributes"]

_LANGUAGES = {
    ".py": "Python", ".pyi": "Python", ".ipynb": "Jupyter Notebook", ".js": "JavaScript", ".mjs": "JavaScript",
    ".cjs": "JavaScript", ".jsx": "JavaScript", ".ts": "TypeScript", ".tsx": "TypeScript", ".mts": "TypeScript",
    ".go": "Go", ".rs": "Rust", ".java": "Java", ".kt": "Kotlin", ".kts": "Kotlin", ".scala": "Scala",
    ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".cxx": "C++", ".hpp": "C++", ".hh": "C++",
    ".cs": "C#", ".fs": "F#", ".swift": "Swift", ".m": "Objective-C", ".mm": "Objective-C", ".rb": "Ruby",
    ".php": "PHP", ".pl": "Perl", ".pm": "Perl", ".r": "R", ".jl": "Julia", ".lua": "Lua", ".dart": "Dart",
    ".ex": "Elixir", ".exs": "Elixir", ".erl": "Erlang", ".hs": "Haskell", ".ml": "OCaml", ".clj": "Clojure",
    ".sh": "Shell", ".bash": "Shell", ".zsh": "Shell", ".ps1": "PowerShell", ".sql": "SQL", ".vue": "Vue",
    ".svelte": "Svelte", ".html": "HTML", ".htm": "HTML", ".css": "CSS", ".scss": "SCSS", ".sass": "Sass",
    ".less": "Less", ".md": "Markdown", ".rst": "reStructuredText", ".txt": "Text", ".json": "JSON",
    ".yml": "YAML", ".yaml": "YAML", ".toml": "TOML", ".xml": "XML", ".ini": "INI", ".cfg": "INI",
    ".proto": "Protocol Buffer", ".tf": "HCL", ".zig": "Zig", ".nim": "Nim", ".sol": "Solidity",
    ".mdc": "Markdown", ".cmake": "CMake",
}
_FILENAMES = {"makefile": "Makefile", "dockerfile": "Dockerfile", "cmakelists.txt": "CMake",
              "gemfile": "Ruby", "rakefile": "Ruby", "justfile": "Just"}

_LOCK_FILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock",
    "poetry.lock", "pipfile.lock", "pdm.lock", "uv.lock", "cargo.lock", "go.sum", "gemfile.lock",
    "composer.lock", "podfile.lock", "mix.lock", "pubspec.lock", "packages.lock.json", "flake.lock",
    "gradle.lockfile", "conda-lock.yml", "deno.lock", "package.resolved", "cartfile.resolved",
})
_VENDORED = re.compile(
    r"(^|/)(vendor|vendors|third[_-]?party|node_modules|bower_components|external|extern|deps|_vendor)/"
    r"|(^|/)\.yarn/(releases|plugins|sdks|cache)/|(^|/)site-packages/|(^|/)Pods/|(^|/)Carthage/",
    re.IGNORECASE,
)
_GENERATED = re.compile(
    r"\.min\.(js|css)$|[.-]bundle\.js$|\.map$|_pb2(_grpc)?\.pyi?$|\.pb\.(go|cc|h)$|\.pb\.gw\.go$|_generated\.\w+$"
    r"|\.generated\.\w+$|\.g\.dart$|\.designer\.cs$|_string\.go$|(^|/)zz_generated[^/]*$"
    r"|(^|/)(dist|build|out|target|__generated__|generated|gen)/|(^|/)\.next/|(^|/)coverage/"
    r"|\.snap$|(^|/)__snapshots__/|\.ipynb_checkpoints/",
    re.IGNORECASE,
)


def language_of(path: str) -> str | None:
    base = posixpath.basename(path).lower()
    if base in _FILENAMES:
        return _FILENAMES[base]
    return _LANGUAGES.get(posixpath.splitext(base)[1])


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    attrs: dict[str, bool]


@dataclass
class Attributes:
    """``linguist-generated`` / ``linguist-vendored`` rules read from the repository's .gitattributes files."""

    rules: list[_Rule] = field(default_factory=list)

    def lookup(self, path: str) -> dict[str, bool]:
        found: dict[str, bool] = {}
        for rule in self.rules:  # later rules win, as in git
            if rule.regex.match(path):
                found.update(rule.attrs)
        return found


def _glob_regex(pattern: str, base: str) -> re.Pattern[str]:
    """Translate a gitattributes pattern, relative to the folder ``base``, into a regex on full paths."""
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.lstrip("/")
    prefix = re.escape(base + "/") if base else ""
    parts = []
    for i, piece in enumerate(pattern.split("**")):
        if i:
            parts.append(".*")
        parts.append(fnmatch.translate(piece).removeprefix("(?s:").removesuffix(")\\Z").replace(".*", "[^/]*"))
    body = "".join(parts).replace(".*/", "(?:.*/)?")
    if not anchored:
        return re.compile(f"{prefix}(?:.*/)?{body}(?:/.*)?$")
    return re.compile(f"{prefix}{body}(?:/.*)?$")


def parse_gitattributes(files: dict[str, str]) -> Attributes:
    """Parse ``{path of .gitattributes: text}`` into ordered rules (shallow files first)."""
    rules: list[_Rule] = []
    for path in sorted(files, key=lambda p: (p.count("/"), p)):
        base = posixpath.dirname(path)
        for line in files[path].splitlines():
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            attrs: dict[str, bool] = {}
            for attr in fields[1:]:
                key, _, value = attr.lstrip("-!").partition("=")
                if key in ("linguist-generated", "linguist-vendored"):
                    attrs[key] = not attr.startswith(("-", "!")) and value.lower() not in ("false", "0")
            if attrs:
                rules.append(_Rule(_glob_regex(fields[0], base), attrs))
    return Attributes(rules)


@functools.lru_cache(maxsize=1 << 16)
def _path_flags(path: str) -> tuple[str | None, bool, bool, bool]:
    base = posixpath.basename(path).lower()
    return language_of(path), bool(_VENDORED.search(path)), bool(_GENERATED.search(path)), base in _LOCK_FILES


def classify(path: str, attributes: Attributes | None = None) -> tuple[str | None, bool, bool, bool]:
    """``(language, is_vendored, is_generated, is_lock)`` for a path, attributes overriding path rules."""
    language, vendored, generated, lock = _path_flags(path)
    if attributes is not None and attributes.rules:
        found = attributes.lookup(path)
        vendored = found.get("linguist-vendored", vendored)
        generated = found.get("linguist-generated", generated)
    return language, vendored, generated, lock
