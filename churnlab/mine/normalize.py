"""Meaningful-line rules (research spec, section 1).

A changed line is *meaningful* when, after stripping leading and trailing whitespace, it has an alphanumeric
character and is not made only of language keywords (``}``, ``end``, ``else:``, ``});``, ``return None``...).
Everything else is a no-op line: blank lines, punctuation, keyword-only lines, and the two sides of a
whitespace-only edit.

Lines are matched (moves, copies, whitespace edits) on a *key*: the stripped line with internal runs of
whitespace collapsed to one space. Keys are cached, because the same lines recur across a history.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from . import _accel

__all__ = ["CACHED_LENGTH", "KEYWORDS", "MINIFIED_LINE_CHARS", "alnum_chars", "line_key", "tokens"]

# Structural keywords and literals of common languages. A line made only of these (and punctuation) carries no
# logic of its own: `else:`, `end`, `} else {`, `return None`, `break;`, `fi`, `#endif`, `pass`.
KEYWORDS = frozenset("""
    abstract and as async await begin break case catch class const continue def default defer del do done elif
    else end endif endfor endforeach endfunction endwhile ensure esac except export extends false fi final finally
    fn for foreach from func function go goto if import in is let loop match mod module namespace new nil none not
    null or override package pass private protected pub public raise rescue return select self static struct super
    switch then this throw throws true try type undefined unless until use var void when where while with yield
    None True False NULL nullptr elsif elseif endcase endmodule then begin endsub endclass
""".split())

# A line this long marks minified or generated content (spec section 1, content heuristic).
MINIFIED_LINE_CHARS = 1000

_WORD = re.compile(r"\w+", re.UNICODE)
_ALNUM = re.compile(r"[^\W_]", re.UNICODE)
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
# ASCII fast path: the start of a word that is not a keyword (bytes patterns are ASCII-only, and a word is a
# keyword exactly when its lower case is one, so IGNORECASE against the lower-case keywords is the same test)
_LOWER_KEYWORDS = frozenset(k.lower().encode() for k in KEYWORDS)
_ASCII_OTHER_WORD = re.compile(rb"\b(?!(?:" + b"|".join(sorted(_LOWER_KEYWORDS)) + rb")\b)\w", re.IGNORECASE)
_ASCII_ALNUM = re.compile(rb"[A-Za-z0-9]")
_ASCII_ALNUM_BYTES = bytes(c for c in range(128) if chr(c).isalnum())  # what [^\W_] matches among ASCII


# Lines and keys longer than this are not cached: a cache bounded in entries is not bounded in bytes when its
# entries are minified lines of 100 KB (on charmbracelet/crush they held 72 MB), and such lines seldom recur.
CACHED_LENGTH = 256


def _cached(maxsize: int) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """An LRU cache of ``maxsize`` entries for a function of one line or key, bypassed for values longer than
    :data:`CACHED_LENGTH` (``cache_clear`` and ``cache_info`` as ``functools.lru_cache`` has them)."""
    def decorate(fn):
        cached = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def call(value):
            return fn(value) if len(value) > CACHED_LENGTH else cached(value)

        call.cache_clear, call.cache_info = cached.cache_clear, cached.cache_info
        return call
    return decorate


# Caches sized for the lines of nearby commits (a line's removal usually follows its addition closely): on
# flask 1 << 17 and 1 << 16 entries save about 10k misses of 190k, or 0.03 s, for about 20 MB more memory.
@_cached(maxsize=1 << 15)
def line_key(raw: bytes) -> str | None:
    """The matching key of a meaningful line, or ``None`` for a no-op line (blank, punctuation, keywords).

    The key is the line with leading and trailing ASCII whitespace stripped and inner runs of it collapsed to
    one space, decoded as UTF-8 (undecodable bytes replaced). It is meaningful when it has an alphanumeric
    character and a word that is not a keyword.
    """
    key = _ascii_key(raw, _LOWER_KEYWORDS)  # most lines: compiled, or two regex searches
    if key is not NotImplemented:
        return key
    text = b" ".join(raw.split()).decode("utf-8", "replace")
    has_alnum = other_word = False
    for word in _WORD.findall(text):  # alphanumerics are the word characters other than "_"
        if not other_word and word not in KEYWORDS and word.lower() not in KEYWORDS:
            other_word = True
        if not has_alnum and word.strip("_"):
            has_alnum = True
        if other_word and has_alnum:
            return text
    return None


def _ascii_key_reference(raw: bytes, keywords: frozenset[bytes]) -> str | None:
    """:func:`line_key` of an ASCII line, ``NotImplemented`` for other lines (the pure-Python twin of the
    compiled kernel; ``keywords``, the lower-case keywords, are built into the regular expression here)."""
    # bytes.split() splits on runs of ASCII whitespace and drops them at both ends: strip and collapse at once
    joined = b" ".join(raw.split())
    if not joined.isascii():
        return NotImplemented
    if _ASCII_ALNUM.search(joined) and _ASCII_OTHER_WORD.search(joined):  # two searches in C, no loop over words
        return joined.decode("ascii")
    return None


_ascii_key = _accel.pick("ascii_key", _ascii_key_reference)


@_cached(maxsize=1 << 14)
def tokens(key: str) -> tuple[str, ...]:
    """Word and punctuation tokens of a line key (for update and find/replace detection)."""
    return tuple(_TOKEN.findall(key))


@_cached(maxsize=1 << 16)
def alnum_chars(key: str) -> int:
    """How many alphanumeric characters a key has (git's moved-block threshold counts these)."""
    if key.isascii():  # the same count, without a string per character: delete the alphanumerics, in C
        raw = key.encode("ascii")
        return len(raw) - len(raw.translate(None, _ASCII_ALNUM_BYTES))
    return len(_ALNUM.findall(key))
