"""The read-ahead thread between git and the line stage: order, errors and early stops."""

import threading

import pytest

from churnlab.errors import GitError
from churnlab.mine.provenance import ReadAhead


def test_chunks_arrive_in_order():
    assert list(ReadAhead(iter([b"a", b"b", b"c"]), depth=1)) == [b"a", b"b", b"c"]


def test_a_git_failure_reaches_the_consumer():
    def failing():
        yield b"a"
        raise GitError("git log failed: bad object")

    with pytest.raises(GitError, match="bad object"):
        list(ReadAhead(failing()))


def test_stopping_early_closes_the_stream():
    closed = []

    def endless():
        try:
            while True:
                yield b"x"
        finally:
            closed.append(True)

    reader = ReadAhead(endless(), depth=2)
    assert next(reader) == b"x"
    reader.close()
    assert closed == [True]


def test_closing_stops_a_producer_that_has_not_produced_yet():
    # like git walking a long history before its first output: close() must not wait for it
    from churnlab.mine.provenance import ReadAhead

    release = threading.Event()

    def slow():
        release.wait(timeout=30)
        yield b"late"

    reader = ReadAhead(slow(), kill=release.set)
    reader.close()
    assert release.is_set() and not reader._thread.is_alive()


def test_a_git_process_stopped_before_it_started_is_killed_when_it_starts():
    from churnlab.mine.provenance import _Process

    class FakeGit:
        killed = False

        def poll(self):
            return None

        def kill(self):
            self.killed = True

    proc, git = _Process(), FakeGit()
    proc.stop()
    proc.started(git)
    assert git.killed
