"""The optimised meaningful-line rules equal a plain reference implementation of spec section 1.

The references below are the straightforward definitions (strip, collapse whitespace, decode, search for an
alphanumeric, compare every word with the keywords); the module's versions take shortcuts (one bytes split,
ASCII fast paths) that must never change a key, a no-op decision or a token.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from churnlab.mine.lines import _may_share_an_end
from churnlab.mine.normalize import KEYWORDS, alnum_chars, line_key, tokens

SETTINGS = settings(max_examples=400, deadline=None, derandomize=True)

_SPACE = re.compile(rb"\s+")


def reference_key(raw: bytes) -> str | None:
    stripped = raw.strip()
    if not stripped:
        return None
    text = _SPACE.sub(b" ", stripped).decode("utf-8", "replace")
    if not re.search(r"[^\W_]", text):
        return None
    words = re.findall(r"\w+", text)
    if all(w in KEYWORDS or w.lower() in KEYWORDS for w in words):
        return None
    return text


def reference_tokens(key: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+|[^\w\s]", key))


# Pieces real lines are made of, plus the awkward ones: tabs, CR, NUL, vertical tab, form feed, non-ASCII
# letters and digits, characters whose lower case is an ASCII keyword (Kelvin sign, dotted capital I),
# underscores, and bytes that are not valid UTF-8.
_WORDS = sorted(KEYWORDS) + ["x", "value_1", "__", "_", "foo", "IF", "Else", "NONE", "None", "nullptr", "ß",
                             "é", "日本", "٣", "\u212a", "İf", "brea\u212a", "Ⅻ", "x²"]
_PIECES = st.one_of(
    st.sampled_from(_WORDS).map(str.encode),
    st.sampled_from([b" ", b"  ", b"\t", b"\r", b"\x00", b"\x0b", b"\x0c", b"\x1c", b"\xa0", b"(", b")", b":",
                     b";", b"{", b"}", b"=", b".", b"#", b"'", b'"', b"\xff", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80"]),
    st.text(max_size=4).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=4),
)
LINES = st.lists(_PIECES, max_size=12).map(b"".join)


@SETTINGS
@given(LINES)
def test_line_key_equals_the_reference(raw: bytes) -> None:
    assert line_key.__wrapped__(raw) == reference_key(raw)
    assert line_key(raw) == reference_key(raw)


@SETTINGS
@given(LINES)
def test_tokens_and_alnum_chars_equal_the_reference(raw: bytes) -> None:
    key = raw.decode("utf-8", "replace")
    assert tokens(key) == reference_tokens(key)
    assert alnum_chars(key) == len(re.findall(r"[^\W_]", key))


def test_hand_picked_lines() -> None:
    """Each fast-path branch on lines whose answer is known by hand."""
    assert line_key(b"  return  x\t+ 1\r") == "return x + 1"
    assert line_key(b"} else {") is None  # keywords and punctuation only
    assert line_key(b"__ if") == "__ if"  # "__" is not a keyword, "if" brings the alphanumerics
    assert line_key(b"__ = ___") is None  # words, but no alphanumeric character
    assert line_key(b"NONE") is None  # keywords match whatever their case
    assert line_key("BREA\u212a".encode()) is None  # Kelvin sign: lower() makes it "break"
    assert line_key("x = 'é'".encode()) == "x = 'é'"
    assert line_key(b"x\x00y") == "x\x00y"  # NUL is not whitespace
    assert line_key(b"caf\xe9") == "caf\ufffd"  # invalid UTF-8 is replaced


@SETTINGS
@given(LINES, LINES)
def test_pairing_shortcut_never_skips_a_pair_sharing_an_end_token(raw_a: bytes, raw_b: bytes) -> None:
    """lines._may_share_an_end, tested on characters, is False only when both end tokens differ."""
    a, b = line_key(raw_a), line_key(raw_b)
    if a is None or b is None:
        return
    ta, tb = tokens(a), tokens(b)
    if not _may_share_an_end(a, b):
        assert ta[0] != tb[0] and ta[-1] != tb[-1]
    assert _may_share_an_end(a, a)


def test_pairing_shortcut_on_unicode_whitespace() -> None:
    # NBSP and U+001C are whitespace to tokens() but survive line_key's ASCII strip
    assert _may_share_an_end("\xa0value = 1", "value = 2") and _may_share_an_end("x = 1\x1c", "y = 1")
    assert not _may_share_an_end("value = 1", "other = 2")


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=1, max_size=40), st.integers(min_value=1, max_value=3))
def test_long_lines_are_keyed_but_never_cached(word, times):
    """A cache of long lines would hold megabytes; their keys (and tokens) are the uncached functions' all the
    same, and short lines are cached."""
    from churnlab.mine.normalize import CACHED_LENGTH

    long = b"value = " + word + b" x" * (CACHED_LENGTH // 2 * times)
    short = b"value = " + word
    line_key.cache_clear()
    tokens.cache_clear()
    key = line_key(long)
    assert key == line_key.__wrapped__(long) and line_key.cache_info().currsize == 0
    assert tokens(key) == tokens.__wrapped__(key) and tokens.cache_info().currsize == 0
    assert line_key(short) == line_key.__wrapped__(short) and line_key.cache_info().currsize == 1
