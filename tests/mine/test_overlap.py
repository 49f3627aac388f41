"""The line stage runs in a thread while stage 1 reads (``Stage.overlap``, :mod:`churnlab.mine.overlap`).

What must hold: it really starts before stage 1 ends; every table is the same as when the stages run one after
the other (the inputs it reads for itself are checked against stage 1's, and it runs again when they differ);
an error on either side surfaces as it would without the overlap, with no thread or git process left and
nothing written.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import subprocess
import threading
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_early_stream import git_children
from test_provenance_properties import SETTINGS, build

from churnlab.errors import GitError
from churnlab.mine import STAGES, history, mine, provenance
from tests.test_mine_history import _drop_object

SALT = "scenario-salt"
WAIT = 10  # seconds a hook waits for the other side before giving up (only reached when the overlap is absent)


def leftovers() -> list:
    threads = [t.name for t in threading.enumerate() if t.name in ("churnlab-patch-stream", "churnlab-overlap")]
    return threads + git_children()


def run(repo, **kw):
    return mine(repo.path, name="scenario", salt=SALT, **kw)


def run_sequentially(repo, **kw):
    """Mine with the line stage after stage 1, as without the overlap."""
    at = next(i for i, s in enumerate(STAGES) if s.name == "lines")
    lines = STAGES[at]
    STAGES[at] = dataclasses.replace(lines, overlap=False)
    try:
        return run(repo, **kw)
    finally:
        STAGES[at] = lines


@pytest.fixture
def sequential():
    return run_sequentially


def assert_same_tables(a, b) -> None:
    assert a.tables.keys() == b.tables.keys()
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name
    # a mine that wrote its tables keeps no spooled extras (the fingerprints): in-memory mines compare them
    for r in (a, b):
        assert ("patch_fingerprints" in r.extras) == (not r.paths)
    for name in ("live_births",) if a.paths or b.paths else ("patch_fingerprints", "live_births"):
        assert a.extras[name].equals(b.extras[name]), name
    assert a.provenance["warnings"] == b.provenance["warnings"]


@pytest.fixture
def stage_threads():
    """The thread each run of the line stage ran in (the overlap's, or the main thread after stage 1)."""
    names: list[str] = []
    at = next(i for i, s in enumerate(STAGES) if s.name == "lines")
    stage = STAGES[at]

    def spy(ctx):
        names.append(threading.current_thread().name)
        return stage.run(ctx)

    STAGES[at] = dataclasses.replace(stage, run=spy)
    try:
        yield names
    finally:
        STAGES[at] = stage


@pytest.fixture
def events(monkeypatch):
    """Hooks on both sides: ``fed`` is set at the line stage's first commit; ``log`` records the order."""
    log: list[str] = []
    fed = threading.Event()
    feed, read_history = provenance.Tracker.feed, history.read_history

    def spy_feed(self, record):
        if not fed.is_set():
            log.append("line stage fed a commit")
            fed.set()
        return feed(self, record)

    def spy_read(*args, **kw):
        log.append("stage 1 started")
        hist = read_history(*args, **kw)
        fed.wait(WAIT)  # give the line stage time to start, if it runs beside stage 1
        log.append("stage 1 read the history")
        return hist

    monkeypatch.setattr(provenance.Tracker, "feed", spy_feed)
    monkeypatch.setattr(history, "read_history", spy_read)
    return log, fed


class TestSameTables:
    @pytest.mark.parametrize("options", [{}, {"first_parent": True}, {"copy_paste_hours": 24},
                                         {"duplicate_blocks": "commit", "moves_churn": True}])
    def test_a_branchy_history(self, branchy, sequential, options, caplog):
        with caplog.at_level(logging.INFO, logger="churnlab.mine.overlap"):
            overlapped = run(branchy, **options)
        assert "running it again" not in caplog.text  # the overlap's own inputs were stage 1's
        assert overlapped.tables["line_ops"]["added"].sum() > 0
        assert_same_tables(overlapped, sequential(branchy, **options))

    def test_an_incremental_mine(self, branchy, sequential, tmp_path):
        run(branchy, out=tmp_path / "data")
        shutil.copytree(tmp_path / "data", tmp_path / "copy")
        branchy.write("app.py", ["def run():", "    return compute(5)", "later = 1"])
        branchy.commit(30, "bob")
        again = run(branchy, out=tmp_path / "data")
        alone = sequential(branchy, out=tmp_path / "copy")
        assert again.new_commits == alone.new_commits == 1
        assert_same_tables(again, alone)
        assert_same_tables(again, sequential(branchy))  # and as a full mine

    def test_a_vendored_file_only_a_merge_brings_makes_it_run_again(self, scenario, sequential, caplog):
        # stage 1 lists no change for a merge, so vendor/ never shows in file_changes: the line stage counts it
        scenario.write("app.py", ["one = 1"])
        scenario.commit(0)
        scenario.checkout("-b", "side")
        scenario.write("side.py", ["two = 2"])
        scenario.commit(1)
        scenario.checkout("main")
        scenario.write("app.py", ["one = 1", "three = 3"])
        scenario.commit(2)
        scenario.git("merge", "--no-ff", "--no-commit", "side")
        scenario.write("vendor/lib.py", ["four = 4", "five = 5"])
        scenario.commit(3)
        with caplog.at_level(logging.INFO, logger="churnlab.mine.overlap"):
            overlapped = run(scenario)
        assert "other inputs than stage 1 gives; running it again" in caplog.text
        assert "vendor/lib.py" not in overlapped.tables["file_changes"]["path"].to_list()
        assert_same_tables(overlapped, sequential(scenario))

    def test_a_commit_list_that_differs_makes_it_run_again(self, branchy, sequential, monkeypatch, caplog):
        commit_list = history.commit_list

        def later_by_a_second(*args, **kw):
            frame = commit_list(*args, **kw)
            return frame.with_columns(author_time=pl.col("author_time") + pl.duration(seconds=1))

        monkeypatch.setattr(history, "commit_list", later_by_a_second)
        with caplog.at_level(logging.INFO, logger="churnlab.mine.overlap"):
            overlapped = run(branchy)
        assert "running it again" in caplog.text
        assert_same_tables(overlapped, sequential(branchy))

    def test_a_missing_blob_found_by_stage_1(self, scenario, sequential, stage_threads):
        """Stage 1 fails on it and starts again through a shadow git dir, the line stage beside it again."""
        scenario.write("a.py", ["one = 1"])
        scenario.write("big.py", ["x = 1", "y = 2"])
        scenario.commit(0)
        scenario.write("big.py", ["x = 1", "y = 2", "z = 3"])
        scenario.commit(1)
        _drop_object(scenario, scenario.git("rev-parse", "HEAD:big.py").strip())
        overlapped = run(scenario)
        assert overlapped.provenance["missing_objects"] and not leftovers()
        assert stage_threads and set(stage_threads) == {"churnlab-overlap"}  # never after stage 1, in its thread
        assert_same_tables(overlapped, sequential(scenario))

    def test_a_partial_clone(self, branchy, sequential, stage_threads, tmp_path):
        """Blobs left out by ``--filter``: read through a shadow git dir made first (git never fetches them from
        the promisor remote), with the line stage beside stage 1."""
        branchy.git("config", "uploadpack.allowFilter", "true")
        partial = tmp_path / "partial.git"
        branchy.git("clone", "--quiet", "--bare", "--filter=blob:limit=20", f"file://{branchy.path}", str(partial))
        promised = branchy.git("rev-list", "--objects", "--all", "--filter=blob:limit=20", "--filter-print-omitted")
        omitted = sorted(line[1:] for line in promised.split() if line.startswith("~"))
        repo = type(branchy).__new__(type(branchy))
        repo.path = partial
        overlapped = run(repo)
        assert overlapped.provenance["partial_clone"] and omitted
        assert overlapped.provenance["missing_objects"] == omitted and not leftovers()
        assert set(stage_threads) == {"churnlab-overlap"}
        assert_same_tables(overlapped, sequential(repo))
        objects = subprocess.run(["git", "--git-dir", str(partial), "cat-file", "--batch-all-objects",
                                  "--batch-check=%(objectname)"], capture_output=True, text=True, check=True)
        assert not set(omitted) & set(objects.stdout.split())  # nothing was fetched

    def test_a_shallow_clone(self, branchy, sequential, tmp_path):
        shallow = tmp_path / "shallow"
        branchy.git("clone", "--quiet", "--depth", "2", f"file://{branchy.path}", str(shallow))
        repo = type(branchy).__new__(type(branchy))
        repo.path = shallow
        overlapped = run(repo)
        assert overlapped.provenance["shallow"]
        assert_same_tables(overlapped, sequential(repo))

    def test_an_empty_repository(self, scenario):
        assert run(scenario).tables["line_ops"].height == 0 and not leftovers()


@settings(SETTINGS, max_examples=8)
@given(data=st.data(), first_parent=st.booleans())
def test_random_histories_give_the_same_tables(tmp_path_factory, scenario_repo_class, data, first_parent):
    repo = scenario_repo_class(tmp_path_factory.mktemp("overlap") / "repo")
    build(repo, data, unique=False)
    assert_same_tables(run(repo, first_parent=first_parent), run_sequentially(repo, first_parent=first_parent))


def test_the_line_stage_starts_before_stage_1_ends(branchy, events):
    log, _ = events
    run(branchy)
    # without the overlap: stage 1 started, stage 1 read the history (after waiting in vain), line stage fed
    assert log.index("line stage fed a commit") < log.index("stage 1 read the history")


def relaying(then):
    """A ``history.read_history`` that relays the first two commits' patches (the line stage is fed the first
    once the second arrives), then calls ``then()``: it may wait for the line stage, or raise."""
    read_history = history.read_history

    def read(*args, **kw):
        on_patch, relayed = kw.get("on_patch"), []
        if on_patch is None:  # read again after a missing-object error: nothing relayed
            then()
            return read_history(*args, **kw)

        def relay(sha, patch):
            on_patch(sha, patch)
            relayed.append(sha)
            if len(relayed) == 2:
                then()

        return read_history(*args, **{**kw, "on_patch": relay})

    return read


class TestFailures:
    def test_stage_1_failing_while_the_line_stage_runs(self, branchy, monkeypatch, tmp_path, events):
        _, fed = events

        def broken():
            assert fed.wait(WAIT)  # the line stage is running
            raise GitError("git log failed: bad object")

        monkeypatch.setattr(history, "read_history", relaying(broken))
        with pytest.raises(GitError, match="bad object"):
            run(branchy, out=tmp_path / "data")
        assert leftovers() == [] and not list((tmp_path / "data").rglob("*.parquet"))

    def test_the_line_stage_failing_while_stage_1_runs(self, branchy, monkeypatch, tmp_path):
        failed = threading.Event()

        def broken(self, record):
            failed.set()
            raise GitError("git log failed: the patch stream broke")

        monkeypatch.setattr(provenance.Tracker, "feed", broken)
        monkeypatch.setattr(history, "read_history", relaying(lambda: failed.wait(WAIT)))
        with pytest.raises(GitError, match="patch stream broke"):
            run(branchy, out=tmp_path / "data")
        assert failed.is_set()
        assert leftovers() == [] and not list((tmp_path / "data").rglob("*.parquet"))

    def test_both_failing_raises_stage_1s_error_as_without_the_overlap(self, branchy, monkeypatch):
        failed = threading.Event()

        def broken_feed(self, record):
            failed.set()
            raise ValueError("cannot parse")

        def broken_stage_1():
            assert failed.wait(WAIT)
            raise GitError("git log failed: bad object")

        monkeypatch.setattr(provenance.Tracker, "feed", broken_feed)
        monkeypatch.setattr(history, "read_history", relaying(broken_stage_1))
        with pytest.raises(GitError, match="bad object"):
            run(branchy)
        assert leftovers() == []

    def test_an_interrupt_in_stage_1_stops_the_line_stage(self, branchy, events):
        _, fed = events
        calls = []

        def interrupt(_):
            calls.append(1)
            if len(calls) == 2:  # the line stage is fed the first commit once the second is relayed
                assert fed.wait(WAIT)
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run(branchy, on_progress=interrupt)
        assert leftovers() == []

    def test_the_commit_list_failing_makes_it_run_again(self, branchy, sequential, monkeypatch):
        # the early streams were handed to the thread, which never used them: they are closed all the same
        def broken(*args, **kw):
            raise GitError("git log failed: no list")

        monkeypatch.setattr(history, "commit_list", broken)
        overlapped = run(branchy)  # the stage runs again on stage 1's frames
        assert leftovers() == []
        monkeypatch.undo()
        assert_same_tables(overlapped, sequential(branchy))


@pytest.fixture(autouse=True)
def _nothing_left_before():
    assert leftovers() == []
    yield


def test_git_children_sees_this_process(tmp_path: Path):
    # the leak checks above are only meaningful if a running git shows up
    import subprocess
    with subprocess.Popen(["git", "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as proc:
        assert proc.pid in git_children()
        proc.stdin.close()
