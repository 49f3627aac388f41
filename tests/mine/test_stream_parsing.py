"""Reading git's streams: records split the same however the stream is chunked, and a patch's hunk headers
counted as git counts its lines.

Both splitters (stage 1's ``history._records`` and the line stage's ``lines.records``) keep a commit that spans
many chunks in parts and join it once; the references below split the whole stream at once, as the splitters
did before (``(pending + chunk).split(...)`` per chunk, which copied a commit once per chunk it spanned).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from churnlab.mine import history, lines


def _line_records_reference(stream: bytes) -> list[bytes]:
    parts = stream.split(b"\n\x1e")
    pending = parts.pop()
    return [p.removeprefix(b"\x1e") for p in parts if p] + ([pending.removeprefix(b"\x1e")] if pending.strip() else [])


def _history_records_reference(stream: bytes) -> list[bytes]:
    out: list[bytes] = []
    record: list[bytes] = []
    pieces = stream.split(b"\x1e")
    pending = pieces.pop()
    for piece in pieces:
        if history._HEADER.match(piece) and record:
            out.append(b"\x1e".join(record))
            record = []
        if piece or record:
            record.append(piece)
    if pending:
        if history._HEADER.match(pending) and record:
            out.append(b"\x1e".join(record))
            record = []
        record.append(pending)
    if record and record != [b""]:
        out.append(b"\x1e".join(record))
    return out


def _chunked(stream: bytes, cuts: list[int]) -> list[bytes]:
    at = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    return [stream[a:b] for a, b in zip(at, at[1:])]


SHA = b"0123456789abcdef0123456789abcdef01234567"
# bytes that make records and separators, often enough to straddle chunk boundaries
_piece = st.sampled_from([b"a", b"\n", b"\x1e", b"\x1e" + SHA + b"\x1f", b"\n\x1e", b"diff\n", b" "])
streams = st.lists(_piece, max_size=40).map(b"".join)
cuts = st.lists(st.integers(min_value=0, max_value=400), max_size=12)


@settings(max_examples=300, deadline=None)
@given(streams, cuts)
def test_line_records_do_not_depend_on_chunking(stream, at):
    assert list(lines.records(_chunked(stream, at))) == _line_records_reference(stream)


@settings(max_examples=300, deadline=None)
@given(streams, cuts)
def test_history_records_do_not_depend_on_chunking(stream, at):
    assert list(history._records(_chunked(stream, at))) == _history_records_reference(stream)


def test_a_relayed_commit_is_one_chunk_and_one_record():
    """As the relay frames them: each chunk a whole commit, ``\\x1e<sha>\\n\\n<patch>``."""
    chunks = [b"\x1e" + SHA + b"\n\ndiff --git a/x b/x\n+1\n", b"\x1e" + SHA + b"\n", b"\x1e" + SHA + b"\n\n+2\n"]
    assert list(lines.records(chunks)) == [SHA + b"\n\ndiff --git a/x b/x\n+1", SHA, SHA + b"\n\n+2\n"]


def test_a_commit_spanning_many_chunks_is_one_record():
    body = b"\x1e" + SHA + b"\x1f" + b"x" * 10_000
    stream = body + body
    assert list(history._records(_chunked(stream, list(range(0, len(stream), 7))))) == [body[1:], body[1:]]
    assert list(lines.records(_chunked(b"\n".join([body, body]), list(range(0, 30_000, 13))))) == [body[1:]] * 2


def test_patch_sections_by_hand():
    patch = (b"diff --git a/a.py b/a.py\nindex 1..2 100644\n--- a/a.py\n+++ b/a.py\n"
             b"@@ -3 +3,2 @@ def f():\n-x\n+y\n+z\n@@ -10,0 +12 @@\n+w\n"
             b"diff --git a/b.png b/b.png\nindex 3..4 100644\nBinary files a/b.png and b/b.png differ\n"
             b"diff --git a/c b/c\nnew file mode 100644\nindex 0..5\n--- /dev/null\n+++ b/c\n@@ -0,0 +1,2 @@\n+@@ -\n+k\n")
    assert history._patch_sections(patch) == [(3, 1, False), (0, 0, True), (2, 0, False)]
    assert history._patch_sections(b"") == []


_hunk = st.tuples(st.integers(0, 4), st.integers(0, 4)).filter(lambda h: h != (0, 0))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(_hunk, max_size=4)), min_size=1, max_size=5))
def test_patch_sections_count_the_lines_of_each_hunk(files):
    """``None``: a binary file; else a text file's hunks as (deleted, added) lines, written as git writes their
    headers (a count of 1 left out) over content lines that may look like headers."""
    patch, expected = [], []
    for k, hunks in enumerate(files):
        patch.append(b"diff --git a/f%d b/f%d\nindex 1..2 100644\n" % (k, k))
        if hunks is None:
            patch.append(b"Binary files a/f%d and b/f%d differ\n" % (k, k))
            expected.append((0, 0, True))
            continue
        patch.append(b"--- a/f%d\n+++ b/f%d\n" % (k, k))
        for d, a in hunks:
            def count(n: int) -> bytes:
                return b"" if n == 1 else b",%d" % n
            patch.append(b"@@ -7%s +9%s @@ ctx\n" % (count(d), count(a)))
            patch.append(b"-@@ -1 +1 @@\n" * d + b"+diff --git x\n" * a)
        expected.append((sum(a for _, a in hunks), sum(d for d, _ in hunks), False))
    assert history._patch_sections(b"".join(patch).rstrip(b"\n")) == expected
