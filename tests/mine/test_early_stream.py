"""The line stage's patch stream starts before stage 1 (``Stage.prestart``): used when it can be, and closed
on every path, with no git process or reader thread left behind.

A whole mine relays stage 1's patches instead (``Stage.relay``, ``tests/mine/test_relay.py``); the early stream
serves incremental mines and the missing-object fallback, so these tests turn the relay off.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

import pytest

from churnlab.errors import GitError
from churnlab.mine import STAGES, mine
from churnlab.mine import provenance
from churnlab.mine.provenance import PATCH_STREAM


def git_children() -> list[int]:
    """Child processes of this one that are git (zombies included: an unreaped git counts as leaked)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            name, ppid = fields[0].split("(", 1)[1], int(fields[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and name == "git":
            pids.append(int(stat.parent.name))
    return pids


def reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "churnlab-patch-stream"]


def assert_nothing_left() -> None:
    assert git_children() == [] and reader_threads() == []


@pytest.fixture
def no_relay():
    """The line stage as without the relay: its own patch stream, started early."""
    at = next(i for i, s in enumerate(STAGES) if s.name == "lines")
    lines = STAGES[at]
    STAGES[at] = dataclasses.replace(lines, relay=None)
    yield
    STAGES[at] = lines


@pytest.fixture
def started(monkeypatch, no_relay):
    """Records each early-started stream (the real one, spied on)."""
    streams = []
    lines = next(s for s in STAGES if s.name == "lines")

    def spy(repo, options):
        streams.append(provenance.start_patch_stream(repo, options))
        return streams[-1]

    monkeypatch.setitem(lines.prestart, PATCH_STREAM, spy)
    return streams


@pytest.fixture
def two_commits(scenario):
    scenario.write("a.py", ["x = 1", "y = 2"])
    scenario.commit(0)
    scenario.write("a.py", ["x = 1", "y = 3", "z = 4"])
    scenario.commit(1)
    return scenario


def run(repo, **kw):
    return mine(repo.path, name="scenario", salt="scenario-salt", **kw)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")
class TestEarlyStream:
    def test_the_line_stage_reads_the_early_stream_and_gets_the_same_tables(self, two_commits, started, monkeypatch):
        early = run(two_commits)
        assert len(started) == 1 and PATCH_STREAM not in early.extras
        assert_nothing_left()
        monkeypatch.delitem(next(s for s in STAGES if s.name == "lines").prestart, PATCH_STREAM)
        late = run(two_commits)
        ops = early.tables["line_ops"]
        assert (ops["added"].sum(), ops["updated"].sum()) == (3, 2)  # 2 + 1 added; y = 2 -> 3 both sides
        for table in ("line_ops", "churn", "survival"):
            assert early.tables[table].equals(late.tables[table]), table

    def test_stage_1_failing_closes_the_early_stream(self, two_commits, started, monkeypatch):
        def broken(*args, **kw):
            assert len(started) == 1  # the patch stream was started before stage 1
            raise GitError("git log failed: out of memory")

        monkeypatch.setattr("churnlab.mine.history.read_history", broken)
        with pytest.raises(GitError, match="out of memory"):
            run(two_commits)
        assert_nothing_left()

    def test_stage_1_failing_on_missing_objects_starts_again_once(self, two_commits, started, monkeypatch):
        """Through a shadow git dir, with what runs beside stage 1 started again; a second failure stands."""
        dirs = []

        def broken(repo, **kw):
            dirs.append(repo.read_dir)
            raise GitError("git log failed: bad object")

        monkeypatch.setattr("churnlab.mine.history.read_history", broken)
        with pytest.raises(GitError, match="bad object"):
            run(two_commits)
        assert len(started) == 2 and len(dirs) == 2 and dirs[0] != dirs[1]
        assert_nothing_left()

    def test_an_interrupt_during_stage_1_closes_the_early_stream(self, two_commits, started):
        def interrupt(_):
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run(two_commits, on_progress=interrupt)
        assert len(started) == 1
        assert_nothing_left()

    def test_the_line_stage_failing_closes_the_stream(self, two_commits, started, monkeypatch):
        def broken(self, record):
            raise ValueError("cannot parse")

        monkeypatch.setattr(provenance.Tracker, "feed", broken)
        with pytest.raises(ValueError, match="cannot parse"):
            run(two_commits)
        assert len(started) == 1
        assert_nothing_left()

    def test_an_empty_repository_starts_nothing(self, scenario, started):
        result = run(scenario)
        assert started == [] and result.tables["line_ops"].height == 0
        assert_nothing_left()

    def test_no_line_tables_wanted_starts_nothing(self, two_commits, started):
        run(two_commits, tables=["commits", "reverts"])
        assert started == []
        assert_nothing_left()

    def test_an_incremental_mine_with_nothing_new_closes_the_stream(self, two_commits, started, tmp_path):
        first = run(two_commits, out=tmp_path / "data")
        again = run(two_commits, out=tmp_path / "data")
        assert again.new_commits == 0 and len(started) == 2
        assert again.tables["line_ops"].equals(first.tables["line_ops"])
        assert_nothing_left()


def test_the_collector_threshold_is_restored_after_a_mine(tmp_path, scenario_repo_class):
    import gc

    repo = scenario_repo_class(tmp_path / "repo")
    repo.write("a.py", ["alpha = compute(1)"])
    repo.commit(0)
    before = gc.get_threshold()
    mine(repo.path, name="gc", salt="scenario-salt")
    assert gc.get_threshold() == before
