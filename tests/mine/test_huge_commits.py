"""Huge commits: a record of :data:`churnlab.mine.lines.LAZY_RECORD_BYTES` or more is parsed file by file, the
hunks of files left out of the line metrics (vendored, generated, lock or minified) read only when used, one file
at a time.

What must hold: the lazily parsed file diffs are the eagerly parsed ones, and a mine that parses every record
lazily gives every table and internal frame of the eager mine, on a history where vendored files are added,
edited, renamed into the code, made binary and deleted, under odd names. (The memory it saves is measured by
``benchmarks/bench_lines.py --memory-only``: the case of a commit vendoring a million lines.)
"""

from __future__ import annotations

import os

import pytest

from churnlab.git import open_repository
from churnlab.mine import lines, mine

from tests.gitrepo import GitRepo


@pytest.fixture(scope="module")
def vendoring(tmp_path_factory) -> GitRepo:
    r = GitRepo(tmp_path_factory.mktemp("huge") / "repo")
    r.write("src/app.py", "".join(f"app_{i} = {i}\n" for i in range(20)))
    r.commit("base", t=0)
    for k in range(3):  # vendored files with lines also in the code, so moves and copies could be found
        r.write(f"vendor/lib{k}/mod.py", "".join(f"lib_{k}_{i} = compute({i})\n" for i in range(40)))
    r.write('vendor/odd/quote"s.py', "q = 1\r\nr = 2\r\n")
    r.write(b"vendor/odd/caf\xe9.py", "caf = 1\n")
    r.write("vendor/blob.bin", b"\0binary\1")
    r.write("src/bundle.min.txt", "var a = 1;\n" + "b" * 1200 + "\n")  # minified by its content, not its path
    r.write("src/app.py", "".join(f"app_{i} = {i}\n" for i in range(20)) + "lib_0_3 = compute(3)\n")
    r.commit("vendor three libraries", t=60)
    r.write("vendor/lib1/mod.py", "".join(f"lib_1_{i} = compute({i + (i % 3 == 0)})\n" for i in range(40)))
    r.write("vendor/blob.bin", "now text\n")
    r.write("src/bundle.min.txt", "var a = 2;\n" + "b" * 1200 + "\n")
    r.commit("update a library; a binary becomes text", t=120)
    r.git("mv", "vendor/lib2/mod.py", "src/lib2.py")  # out of the vendored tree: its lines now count
    r.write("src/lib2.py", "".join(f"lib_2_{i} = compute({i})\n" for i in range(38)) + "tail = 1\n")
    r.commit("adopt a vendored module", t=180)
    r.remove("vendor/lib0/mod.py")
    r.remove('vendor/odd/quote"s.py')
    os.remove(r.path / "vendor/odd" / os.fsdecode(b"caf\xe9.py"))
    r.commit("unvendor", t=240)
    return r


def _vendored(path: bytes) -> bool:
    return path.startswith(b"vendor/")


def test_lazy_file_diffs_are_the_eager_ones(vendoring):
    repo = open_repository(vendoring.path, name="huge")
    records = list(lines.records(repo.stream(lines.log_args(repo.head))))
    lazy_seen = 0
    for record in records:
        sha, eager = lines.parse_record(record)
        lazy_sha, lazy = lines.parse_record_lazily(record, _vendored)
        assert lazy_sha == sha and len(lazy) == len(eager)
        for a, b in zip(eager, lazy):
            for name in lines.FileDiff.__slots__:
                assert getattr(a, name) == getattr(b, name), (sha, a.path, name)
            lazy_seen += isinstance(b, lines._LazyFileDiff)
            if isinstance(b, lines._LazyFileDiff):
                assert b.hunks is not b.hunks  # parsed again at each read, never held
    # the vendored text files with hunks: five added, one edited, three deleted (the binary one has no hunks,
    # the module moved out of vendor/ is parsed eagerly: its path counts); the minified file where added (its
    # edit adds no long line: minified is a property of a change's added lines)
    assert lazy_seen == 10


def test_a_mine_parsing_every_record_lazily_gives_every_table(vendoring, monkeypatch):
    eager = mine(vendoring.path, name="huge", salt="huge-commits")
    monkeypatch.setattr(lines, "LAZY_RECORD_BYTES", 0)
    lazy = mine(vendoring.path, name="huge", salt="huge-commits")
    assert eager.tables.keys() == lazy.tables.keys()
    for name, frame in eager.tables.items():
        assert lazy.tables[name].equals(frame), name
    for name in ("live_births", "patch_fingerprints"):
        assert lazy.extras[name].equals(eager.extras[name]), name
    ops = eager.tables["line_ops"]
    assert ops.filter(ops["path"].str.starts_with("vendor/")).height == 0
    # the adopted module's lines count in the code, its vendored past does not
    assert ops.filter(ops["path"] == "src/lib2.py").height == 1
    # the minified file's edit counts (its removed and added line updated), not its addition
    assert ops.filter(ops["path"] == "src/bundle.min.txt")["updated"].to_list() == [2]
