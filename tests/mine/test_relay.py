"""One git diff pass for stage 1 and the line stage (:class:`churnlab.mine.overlap.Relay`).

What must hold: the patches stage 1 relays are, byte for byte, the line stage's own patch stream, on a history
with everything that makes diffs odd; stage 1's rows are the same with or without patches in its stream; a
whole mine starts no patch stream of its own (an incremental one still does); and the relay never leaves one
side waiting: back-pressure, an error, or the stage giving up.
"""

from __future__ import annotations

import os
import threading

import polars as pl
import pytest

from churnlab.errors import DataError, GitError
from churnlab.git import numstat_by_commit, open_repository
from churnlab.mine import STAGES, history, lines, mine, provenance
from churnlab.mine.overlap import Abandoned, Relay
from churnlab.mine.provenance import PATCH_STREAM

from tests.gitrepo import GitRepo


@pytest.fixture(scope="module")
def odd_history(tmp_path_factory):
    """Renames (with edits, and pure ones of text and binary files), binary content (and a NUL after git's
    8,000-byte probe), odd and non-UTF-8 names, type changes (text and binary files to symlinks, one keeping a
    line), mode changes (text and binary), an empty file, a submodule, CRLF lines, an empty commit and merges."""
    base = tmp_path_factory.mktemp("relay")
    sub = GitRepo(base / "sub")
    sub.write("s.txt", "s\n")
    sub.commit("sub")
    r = GitRepo(base / "repo")
    r.write("app.py", "".join(f"line {i}\n" for i in range(30)))
    r.write("blob.bin", b"\0binary\1")
    r.write("other.bin", b"\0other")
    r.write("img.bin", b"\0img")
    r.write("tlink", "x\ny\nlate_nul.txt")  # its last line is the link's target below, both without a newline
    r.write("late_nul.txt", "text\n" * 2000 + "\0tail\n")
    r.write("empty.txt", "")
    r.commit("base")
    (r.path / "a b").mkdir()
    r.git("mv", "app.py", "a b/app -> x.py")
    r.write("a b/app -> x.py", "".join(f"line {i}\n" for i in range(29)) + "changed\n")
    r.write(b"caf\xe9\tname\n.txt", "caf\n")
    r.write('quote"s.py', "q = 1\r\nr = 2\r\n")
    r.commit("rename, odd names", t=60)
    r.git("checkout", "--quiet", "-b", "side")
    r.write("side.py", "side = 1\n")
    r.write("blob.bin", b"\0binary\2")
    r.commit("side", t=120)
    r.git("checkout", "--quiet", "main")
    os.remove(r.path / "empty.txt")
    os.symlink("late_nul.txt", r.path / "empty.txt")  # type changes: files to symlinks
    os.remove(r.path / "other.bin")
    os.symlink("blob.bin", r.path / "other.bin")
    os.chmod(r.path / 'quote"s.py', 0o755)
    r.git("-c", "protocol.file.allow=always", "submodule", "--quiet", "add", str(sub.path), "vendor/sub")
    r.commit("type and mode change, submodule", t=180)
    r.merge("side", t=240)
    # content unchanged: the patch shows no diff, numstat still tells binary from text
    r.git("mv", "blob.bin", "moved.bin")
    r.git("mv", 'quote"s.py', "q2.py")
    os.chmod(r.path / "img.bin", 0o755)
    os.remove(r.path / "tlink")
    os.symlink("late_nul.txt", r.path / "tlink")  # numstat diffs the two contents: 2 lines deleted, none added
    r.commit("pure renames, a binary mode change, a type change keeping a line", t=270)
    r.commit("nothing", t=300, allow_empty=True)
    return r


def relayed(repo, **kw) -> tuple[list[bytes], history.History]:
    """The line stage's records as stage 1 relays them, and stage 1's column lists."""
    relay = Relay()
    hist = history.read_history(repo, on_patch=relay.put, **kw)
    relay.finish()
    return list(lines.records(relay)), hist


@pytest.mark.parametrize("first_parent", [False, True])
def test_the_relayed_patches_are_the_line_stages_own_stream(odd_history, first_parent):
    repo = open_repository(odd_history.path, name="odd")
    records, _ = relayed(repo, first_parent=first_parent)
    own = list(lines.records(repo.stream(lines.log_args(repo.head, first_parent=first_parent))))
    assert len(own) == (7 if not first_parent else 6) and records == own
    # as the line stage reads them: record by record (the relay cannot know which record is the stream's last,
    # which keeps git's final newline)
    relay = Relay()
    history.read_history(repo, on_patch=relay.put, first_parent=first_parent)
    relay.finish()
    assert list(relay.records()) == [*own[:-1], own[-1].removesuffix(b"\n")]


@pytest.mark.parametrize("first_parent", [False, True])
def test_stage_1_counts_lines_as_git_log_numstat_U0_with_or_without_patches(odd_history, first_parent):
    repo = open_repository(odd_history.path, name="odd")
    _, hist = relayed(repo, first_parent=first_parent)
    commits, files = history._raw_frames(hist)
    got = {sha: (a or 0, d or 0) for sha, a, d in commits.select("sha", "lines_added", "lines_deleted").rows()}
    assert got == numstat_by_commit(repo.git_dir, repo.head, first_parent=first_parent)
    # without patches (stage 1 alone: diff.context=0 gives the same counts without asking for the patch)
    alone = history._raw_frames(history.read_history(repo, first_parent=first_parent))
    assert alone[0].equals(commits) and alone[1].equals(files)
    # git's binary rule (a NUL in the first 8,000 bytes): late_nul.txt is text; a binary file's type change is
    # binary as a whole, though its symlink half has a line (in first-parent mode the merge brings the modify)
    binary = files.filter(pl.col("is_binary")).select("path", "change_type").rows()
    assert binary == [("blob.bin", "add"), ("img.bin", "add"), ("other.bin", "add"), ("other.bin", "type_change"),
                      ("blob.bin", "modify"), ("img.bin", "modify"), ("moved.bin", "rename")]
    tlink = files.filter(pl.col("path") == "tlink").select("change_type", "lines_added", "lines_deleted").rows()
    assert tlink == [("add", 3, 0), ("type_change", 0, 2)]


@pytest.fixture
def own_streams(monkeypatch):
    """Patch streams the line stage starts for itself (spied on)."""
    started = []
    stage = next(s for s in STAGES if s.name == "lines")
    start = provenance.start_patch_stream

    def spy(repo, options):
        started.append(start(repo, options))
        return started[-1]

    monkeypatch.setitem(stage.prestart, PATCH_STREAM, spy)
    monkeypatch.setattr(provenance, "start_patch_stream", spy)
    return started


def test_a_whole_mine_diffs_once_and_an_incremental_one_streams_patches_itself(odd_history, own_streams, tmp_path):
    first = mine(odd_history.path, tmp_path / "data", name="odd", salt="relay-salt-1")
    assert own_streams == [] and first.tables["line_ops"]["added"].sum() > 0
    again = mine(odd_history.path, tmp_path / "data", name="odd", salt="relay-salt-1")
    assert again.provenance["incremental_from"] == first.head and len(own_streams) == 1
    for table in ("line_ops", "churn", "survival"):
        assert again.tables[table].equals(first.tables[table]), table


class TestRelay:
    def test_chunks_come_in_order_as_the_stream_prints_them(self):
        relay = Relay()
        relay.put(b"a" * 40, b"diff --git a/x b/x\n")
        relay.put(b"b" * 40, b"")  # a merge: no patch
        relay.finish()
        assert list(relay) == [b"\x1e" + b"a" * 40 + b"\n\ndiff --git a/x b/x\n", b"\x1e" + b"b" * 40 + b"\n"]

    def test_stage_1_waits_while_the_limit_is_reached(self):
        relay = Relay(limit=100)
        relay.put(b"a" * 40, b"x" * 200)  # one chunk larger than the limit passes when nothing waits
        second = threading.Thread(target=relay.put, args=(b"b" * 40, b"y"), daemon=True)
        second.start()
        second.join(0.2)
        assert second.is_alive()  # waiting for room
        assert next(relay).startswith(b"\x1e" + b"a" * 40)
        second.join(0.2)
        assert second.is_alive()  # the record the stage reads still counts: a huge patch is not copied meanwhile
        assert next(relay).startswith(b"\x1e" + b"b" * 40)  # asking for the next one makes room
        second.join(5)
        assert not second.is_alive()

    def test_the_records_are_the_streams_records(self):
        relay = Relay()
        relay.put(b"a" * 40, memoryview(b"diff --git a/x b/x\n+1\n"))
        relay.put(b"b" * 40, b"")  # a merge: no patch
        relay.put(b"c" * 40, b"diff --git a/y b/y\n+2\n")
        relay.finish()
        stream = b"".join([b"\x1e" + b"a" * 40 + b"\n\ndiff --git a/x b/x\n+1\n", b"\x1e" + b"b" * 40 + b"\n",
                           b"\x1e" + b"c" * 40 + b"\n\ndiff --git a/y b/y\n+2"])  # git's last newline aside
        assert list(relay.records()) == list(lines.records([stream]))

    def test_the_stage_giving_up_frees_stage_1(self):
        relay = Relay(limit=10)
        relay.put(b"a" * 40, b"x")
        blocked = threading.Thread(target=relay.put, args=(b"b" * 40, b"y"))
        blocked.start()
        relay.close()
        blocked.join(5)
        assert not blocked.is_alive()
        relay.put(b"c" * 40, b"z")  # dropped, without waiting

    def test_stage_1s_error_reaches_the_stage(self):
        relay = Relay()
        relay.put(b"a" * 40, b"")
        relay.fail(GitError("git log failed: bad object"))
        assert next(relay)
        with pytest.raises(GitError, match="bad object"):
            next(relay)

    def test_a_relay_closed_before_it_ended_abandons_the_stage(self):
        relay = Relay()
        waiting = []

        def read():
            try:
                next(relay)
            except Abandoned:
                waiting.append("abandoned")

        reader = threading.Thread(target=read)
        reader.start()
        relay.close()
        reader.join(5)
        assert waiting == ["abandoned"]


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_GETPIPE_SZ"), reason="Linux pipes only")
def test_git_writes_into_a_1_mib_pipe_where_the_system_allows(odd_history):
    import fcntl
    from pathlib import Path

    from churnlab.git import stream_git

    sizes = []
    chunks = stream_git(["log", "-p"], git_dir=odd_history.path / ".git",
                        on_start=lambda proc: sizes.append(fcntl.fcntl(proc.stdout.fileno(), fcntl.F_GETPIPE_SZ)))
    assert b"".join(chunks).startswith(b"commit ")
    limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    # above the system's limit an unprivileged process keeps the default (64 KiB)
    assert sizes == [1 << 20] or (limit < 1 << 20 and sizes == [64 << 10])


def test_patch_fingerprints_are_made_only_for_the_revert_stage(odd_history):
    with_reverts = mine(odd_history.path, name="odd", salt="relay-salt-1", tables=["line_ops", "reverts"])
    without = mine(odd_history.path, name="odd", salt="relay-salt-1", tables=["line_ops", "churn", "survival"])
    assert with_reverts.extras["patch_fingerprints"].height == 6  # the non-merge commits (the empty one included)
    assert "patch_fingerprints" not in without.extras
    assert without.tables["line_ops"].equals(with_reverts.tables["line_ops"])


class TestMismatchesAreErrors:
    """git's raw records, patch sections and numstat must list the same file changes; if not, say so."""

    RAW = [b":100644 100644 " + b"a" * 40 + b" " + b"b" * 40 + b" M", b"x.py"]

    def test_more_patch_sections_than_file_changes(self):
        files = history.History().files
        with pytest.raises(DataError, match="2 patch sections for 1 file changes"):
            history._parse_diff(self.RAW, "c" * 40, files, sections=[(1, 0, False), (2, 0, False)])

    def test_a_numstat_that_lists_other_paths(self):
        files = history.History().files
        history._parse_diff(self.RAW, "c" * 40, files, sections=[(1, 0, False)])
        commits = pl.DataFrame({"sha": ["c" * 40], "lines_added": [1], "lines_deleted": [0]})
        with pytest.raises(DataError, match="other file changes than its raw records"):
            history._with_numstat(commits, history._file_frame(files, typed=True), {"c" * 40: [("y.py", 3, 1)]})

    def test_numstat_counts_replace_the_patch_counts(self):
        files = history.History().files
        history._parse_diff(self.RAW, "c" * 40, files, sections=[(0, 0, False)])
        commits = pl.DataFrame({"sha": ["c" * 40], "lines_added": [0], "lines_deleted": [0]})
        commits, fixed = history._with_numstat(commits, history._file_frame(files, typed=True),
                                               {"c" * 40: [("x.py", None, None)]})
        assert fixed.select("lines_added", "lines_deleted", "is_binary").rows() == [(None, None, True)]
        assert commits.select("lines_added", "lines_deleted").rows() == [(0, 0)]

