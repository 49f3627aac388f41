"""The read-ahead thread between git and the line stage: order, errors and early stops."""

import pytest

from churnlab.errors import GitError
from churnlab.mine.provenance import _read_ahead


def test_chunks_arrive_in_order():
    assert list(_read_ahead(iter([b"a", b"b", b"c"]), depth=1)) == [b"a", b"b", b"c"]


def test_a_git_failure_reaches_the_consumer():
    def failing():
        yield b"a"
        raise GitError("git log failed: bad object")

    with pytest.raises(GitError, match="bad object"):
        list(_read_ahead(failing()))


def test_stopping_early_closes_the_stream():
    closed = []

    def endless():
        try:
            while True:
                yield b"x"
        finally:
            closed.append(True)

    reader = _read_ahead(endless(), depth=2)
    assert next(reader) == b"x"
    reader.close()
    assert closed == [True]
