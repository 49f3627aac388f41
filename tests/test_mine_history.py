"""Stage 1 scenarios: each tiny repository shows one thing, with exact expected rows."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from datetime import datetime, timezone

import polars as pl
import pytest

from churnlab.errors import InputError
from churnlab.mine import mine
from churnlab.mine.identity import pseudonymise

from .gitrepo import BASE_TIME, DAY, GitRepo

SALT = "test-salt-0123456789"


def run(path, **kw):
    return mine(path, salt=SALT, **kw)


def files_of(result, sha):
    cols = ["path", "old_path", "change_type", "lines_added", "lines_deleted", "is_binary"]
    return sorted(result.tables["file_changes"].filter(pl.col("sha") == sha).select(cols).rows())


@pytest.fixture
def repo(tmp_path):
    return GitRepo(tmp_path / "repo")


def test_linear_history(repo):
    repo.write("a.py", "x = 1\ny = 2\n")
    c1 = repo.commit("one", t=0)
    repo.write("a.py", "x = 1\ny = 3\nz = 4\n")
    c2 = repo.commit("two", t=DAY)
    res = run(repo.path)
    commits = res.tables["commits"]
    assert commits["sha"].to_list() == [c1, c2]  # parents before children
    assert commits.select("files_changed", "lines_added", "lines_deleted").rows() == [(1, 2, 0), (1, 2, 1)]
    assert commits["parents"].to_list() == [[], [c1]]
    assert commits["on_first_parent"].to_list() == [True, True]
    assert files_of(res, c2) == [("a.py", None, "modify", 2, 1, False)]
    assert res.tables["file_changes"]["language"].to_list() == ["Python", "Python"]


def test_root_commit_is_diffed_against_the_empty_tree(repo):
    repo.write("a.txt", "1\n2\n3\n")
    c1 = repo.commit("root")
    res = run(repo.path)
    assert files_of(res, c1) == [("a.txt", None, "add", 3, 0, False)]


def test_rename_is_not_delete_plus_add(repo):
    body = "".join(f"line {i}\n" for i in range(20))
    repo.write("old.txt", body)
    repo.commit("add")
    repo.git("mv", "old.txt", "new.txt")
    c2 = repo.commit("rename", t=60)
    res = run(repo.path)
    assert files_of(res, c2) == [("new.txt", "old.txt", "rename", 0, 0, False)]
    row = res.tables["file_changes"].filter(pl.col("sha") == c2)
    assert row["similarity"].to_list() == [100]


def test_rename_with_edits(repo):
    body = [f"line {i}\n" for i in range(20)]
    repo.write("old.txt", "".join(body))
    repo.commit("add")
    repo.git("mv", "old.txt", "new.txt")
    body[3] = "changed\n"
    repo.write("new.txt", "".join(body))
    c2 = repo.commit("rename and edit", t=60)
    res = run(repo.path)
    assert files_of(res, c2) == [("new.txt", "old.txt", "rename", 1, 1, False)]
    # git's similarity is by bytes: 143 of the old 150 bytes kept, new size 151 -> floor(100 * 143 / 151) = 94
    assert res.tables["file_changes"].filter(pl.col("sha") == c2)["similarity"].to_list() == [94]


def test_delete(repo):
    repo.write("a.txt", "1\n2\n")
    repo.write("b.txt", "keep\n")
    repo.commit("add")
    repo.remove("a.txt")
    c2 = repo.commit("delete", t=60)
    res = run(repo.path)
    assert files_of(res, c2) == [("a.txt", None, "delete", 0, 2, False)]
    assert res.tables["file_changes"].filter(pl.col("sha") == c2)["file_mode"].to_list() == [None]


def test_binary_file_has_null_line_counts(repo):
    repo.write("img.png", bytes(range(256)) * 4)
    c1 = repo.commit("binary")
    res = run(repo.path)
    assert files_of(res, c1) == [("img.png", None, "add", None, None, True)]
    assert res.tables["commits"].select("files_changed", "lines_added").row(0) == (1, 0)


def test_merge_is_listed_not_diffed(repo):
    repo.write("a.txt", "base\n")
    c1 = repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "side")
    repo.write("b.txt", "side\n")
    side = repo.commit("side", t=60)
    repo.git("checkout", "--quiet", "main")
    repo.write("c.txt", "main\n")
    main2 = repo.commit("main", t=120)
    merge = repo.merge("side", t=180)
    res = run(repo.path)
    commits = res.tables["commits"].sort("sha")
    row = commits.filter(pl.col("sha") == merge).row(0, named=True)
    assert row["is_merge"] and row["parents"] == [main2, side]
    assert (row["files_changed"], row["lines_added"], row["lines_deleted"]) == (None, None, None)
    fp = dict(commits.select("sha", "on_first_parent").rows())
    assert fp == {c1: True, side: False, main2: True, merge: True}
    assert res.tables["file_changes"].filter(pl.col("sha") == merge).height == 0
    assert files_of(res, side) == [("b.txt", None, "add", 1, 0, False)]


def test_first_parent_option_diffs_merges_against_first_parent(repo):
    repo.write("a.txt", "base\n")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "side")
    repo.write("b.txt", "s1\ns2\n")
    repo.commit("side", t=60)
    repo.git("checkout", "--quiet", "main")
    merge = repo.merge("side", t=180)
    res = run(repo.path, first_parent=True)
    assert res.tables["commits"].height == 2  # the side commit is not on the first-parent chain
    assert files_of(res, merge) == [("b.txt", None, "add", 2, 0, False)]
    assert res.provenance["options"]["first_parent"] is True


def test_octopus_merge(repo):
    repo.write("a.txt", "base\n")
    repo.commit("base")
    for i, branch in enumerate(("b1", "b2", "b3")):
        repo.git("checkout", "--quiet", "-b", branch, "main")
        repo.write(f"{branch}.txt", f"{branch}\n")
        repo.commit(branch, t=60 * (i + 1))
    repo.git("checkout", "--quiet", "main")
    merge = repo.merge("b1", t=600, octopus=("b2", "b3"))
    res = run(repo.path)
    row = res.tables["commits"].filter(pl.col("sha") == merge).row(0, named=True)
    assert len(row["parents"]) == 4 and row["is_merge"] and row["lines_added"] is None
    assert res.tables["commits"].height == 5


def test_empty_repository_gives_empty_tables(repo, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        res = run(repo.path, out=tmp_path / "out")
    assert res.head is None
    assert res.tables["commits"].height == 0 and res.tables["file_changes"].height == 0
    assert "no commits" in caplog.text
    from churnlab.io import read_table

    assert read_table(res.paths["commits"]).height == 0


def test_non_utf8_path_and_message(repo):
    repo.write(b"caf\xe9.txt", "x\n")  # Latin-1 byte in the file name
    c1 = repo.commit(b"caf\xe9 message\n")
    res = mine(repo.path, salt=SALT, include_messages=True)
    assert files_of(res, c1) == [("caf\\xe9.txt", None, "add", 1, 0, False)]
    assert "caf" in res.tables["commits"]["message"][0]


@pytest.mark.parametrize("name", ["with space.txt", "new\nline.txt", 'quote"s.txt', "tab\there.txt",
                                  "ünïcødé/文件.py", "-dash.txt", ":colon.txt"])
def test_odd_file_names_are_kept_verbatim(repo, name):
    repo.write(name, "a\nb\n")
    c1 = repo.commit("odd")
    res = run(repo.path)
    assert files_of(res, c1) == [(name, None, "add", 2, 0, False)]


def test_submodule_and_symlink(repo, tmp_path):
    sub = GitRepo(tmp_path / "sub")
    sub.write("s.txt", "s\n")
    sub.commit("sub")
    repo.write("a.txt", "a\n")
    repo.commit("base")
    repo.git("-c", "protocol.file.allow=always", "submodule", "--quiet", "add", str(sub.path), "vendor/sub")
    os.symlink("a.txt", repo.path / "link")
    c2 = repo.commit("submodule and symlink", t=60)
    res = run(repo.path)
    fc = res.tables["file_changes"].filter(pl.col("sha") == c2).sort("path")
    assert fc["path"].to_list() == [".gitmodules", "link", "vendor/sub"]
    assert fc["file_mode"].to_list() == ["100644", "120000", "160000"]
    assert fc.filter(pl.col("path") == "link")["lines_added"].to_list() == [1]  # the link target, as git counts it
    assert fc.filter(pl.col("path") == "vendor/sub")["is_vendored"].to_list() == [True]


def test_crlf_lines_count_like_git(repo):
    repo.write("w.txt", b"a\r\nb\r\n")
    repo.commit("crlf")
    repo.write("w.txt", b"a\r\nc\r\n")
    c2 = repo.commit("edit", t=60)
    res = run(repo.path)
    assert files_of(res, c2) == [("w.txt", None, "modify", 1, 1, False)]


def test_time_zone_offsets(repo):
    repo.write("a.txt", "1\n")
    repo.commit("east", t=0, tz="+0530")
    repo.write("a.txt", "2\n")
    repo.commit("west", t=DAY, tz="-0800")
    res = run(repo.path)
    c = res.tables["commits"]
    assert c["author_tz_offset_min"].to_list() == [330, -480]
    assert c["author_time"].to_list() == [
        datetime.fromtimestamp(BASE_TIME, timezone.utc),
        datetime.fromtimestamp(BASE_TIME + DAY, timezone.utc),
    ]
    assert str(c["author_time"].dtype) == "Datetime(time_unit='us', time_zone='UTC')"


def test_mailmap_merges_two_emails_into_one_pseudonym(repo):
    repo.write("a.txt", "1\n")
    repo.commit("work", email="ann@work.example", author="Ann")
    repo.write("a.txt", "2\n")
    repo.commit("home", t=60, email="Ann@Home.Example", author="ann")
    repo.write(".mailmap", "Ann <ann@work.example> <ann@home.example>\n")
    repo.commit("mailmap", t=120, email="ann@work.example")
    res = run(repo.path)
    ids = res.tables["commits"]["author_id"].to_list()
    assert ids == [pseudonymise("ann@work.example", SALT)] * 3
    assert res.tables["commits"]["author_email"].null_count() == 3  # privacy by default
    with_ids = mine(repo.path, salt=SALT, include_identities=True)
    assert with_ids.tables["commits"]["author_email"].to_list() == ["ann@work.example"] * 3


def test_pseudonyms_depend_on_the_salt(repo):
    repo.write("a.txt", "1\n")
    repo.commit("x")
    a = mine(repo.path, salt="salt-aaaaaaaa").tables["commits"]["author_id"][0]
    b = mine(repo.path, salt="salt-bbbbbbbb").tables["commits"]["author_id"][0]
    assert a != b and len(a) == 16


def test_bot_authors_are_flagged(repo):
    repo.write("a.txt", "1\n")
    repo.commit("human")
    repo.write("a.txt", "2\n")
    repo.commit("bump", t=60, author="dependabot[bot]", email="49699333+dependabot[bot]@users.noreply.github.com")
    repo.write("a.txt", "3\n")
    repo.commit("agent", t=120, author="Paul (aider)", email="paul@example.com")
    assert run(repo.path).tables["commits"]["is_bot"].to_list() == [False, True, True]


def test_file_flags_vendored_generated_lock_and_attributes(repo):
    repo.write("vendor/lib.js", "x\n")
    repo.write("static/app.min.js", "x\n")
    repo.write("package-lock.json", "{}\n")
    repo.write("src/schema.py", "x\n")
    repo.write("src/main.py", "x\n")
    repo.write(".gitattributes", "src/schema.py linguist-generated=true\nvendor/** -linguist-vendored\n")
    repo.commit("flags")
    fc = run(repo.path).tables["file_changes"].sort("path")
    flags = {r[0]: r[1:] for r in fc.select("path", "is_vendored", "is_generated", "is_lock").rows()}
    assert flags == {
        ".gitattributes": (False, False, False),
        "package-lock.json": (False, False, True),
        "src/main.py": (False, False, False),
        "src/schema.py": (False, True, False),
        "static/app.min.js": (False, True, False),
        "vendor/lib.js": (False, False, False),  # attribute overrides the vendor/ path rule
    }


def test_missing_blob_is_flagged_and_recorded_not_a_crash(repo, caplog):
    repo.write("a.txt", "1\n")
    repo.write("big.txt", "x\ny\n")
    repo.commit("one")
    repo.write("big.txt", "x\ny\nz\n")
    c2 = repo.commit("two", t=60)
    blob = repo.git("rev-parse", "HEAD:big.txt").strip()
    _drop_object(repo, blob)
    with caplog.at_level(logging.WARNING):
        res = run(repo.path)
    assert res.provenance["missing_objects"] == [blob]
    row = res.tables["file_changes"].filter((pl.col("sha") == c2) & (pl.col("path") == "big.txt")).row(0, named=True)
    assert row["is_missing"] and row["lines_added"] is None
    assert res.tables["file_changes"].filter(pl.col("path") == "a.txt")["lines_added"].to_list() == [1]
    assert "missing" in caplog.text


def _drop_object(repo: GitRepo, blob: str) -> None:
    """Rewrite the repository's objects without ``blob`` (as snapshots that leave out large files are)."""
    keep = [o for o in repo.git("cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split() if o != blob]
    pack_dir = repo.path / ".git" / "objects" / "pack"
    for f in pack_dir.iterdir():
        f.unlink()
    subprocess.run(["git", "pack-objects", "-q", str(pack_dir / "pack")], cwd=repo.path,
                   input="\n".join(keep).encode(), check=True, capture_output=True)
    for d in (repo.path / ".git" / "objects").iterdir():
        if len(d.name) == 2:
            shutil.rmtree(d)


def test_shallow_clone_is_warned(repo, tmp_path, caplog):
    for i in range(3):
        repo.write("a.txt", f"{i}\n")
        repo.commit(f"c{i}", t=i * 60)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow)], check=True)
    with caplog.at_level(logging.WARNING):
        res = run(shallow)
    assert res.tables["commits"].height == 1
    assert res.provenance["shallow"] is True
    assert "shallow" in caplog.text and any("shallow" in w for w in res.provenance["warnings"])


def test_name_comes_from_origin_remote(repo, tmp_path):
    repo.write("a.txt", "1\n")
    repo.commit("x")
    repo.git("remote", "add", "origin", "https://github.com/octo/demo.git")
    assert run(repo.path).tables["commits"]["repo"][0] == "octo/demo"


def test_bare_repository_is_read_in_place(repo, tmp_path):
    repo.write("a.txt", "1\n")
    head = repo.commit("x")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    res = run(bare)
    assert res.head == head and res.tables["commits"].height == 1


def test_file_url_is_cloned_into_the_cache(repo, tmp_path):
    repo.write("a.txt", "1\n")
    head = repo.commit("x")
    res = mine(f"file://{repo.path}", salt=SALT, cache=tmp_path / "cache")
    assert res.head == head
    assert len(list((tmp_path / "cache" / "repos").iterdir())) == 1
    repo.write("a.txt", "2\n")
    head2 = repo.commit("y", t=60)
    assert mine(f"file://{repo.path}", salt=SALT, cache=tmp_path / "cache").head == head2  # fetched


def test_rev_selects_the_head(repo):
    repo.write("a.txt", "1\n")
    c1 = repo.commit("x")
    repo.write("a.txt", "2\n")
    repo.commit("y", t=60)
    assert run(repo.path, rev=c1).tables["commits"]["sha"].to_list() == [c1]
    with pytest.raises(InputError, match="does not exist"):
        run(repo.path, rev="no-such-branch")


def test_linked_worktree_and_subfolder(repo, tmp_path):
    repo.write("sub/a.txt", "1\n")
    head = repo.commit("x")
    repo.git("worktree", "add", "--quiet", str(tmp_path / "linked"), "-b", "linked")
    assert run(tmp_path / "linked").head == head
    with pytest.raises(InputError, match="not a git repository"):
        run(repo.path / "sub")  # a folder inside a checkout is not the repository


def test_history_flushed_every_commit_gives_the_same_tables(repo, monkeypatch):
    # one chunk per commit: a merge's chunk has no file changes, a binary one only null line counts
    repo.write("a.txt", "base\n")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "side")
    repo.write("img.png", bytes(range(256)) * 4)
    repo.commit("binary", t=60)
    repo.git("checkout", "--quiet", "main")
    repo.git("mv", "a.txt", "b.txt")
    repo.commit("rename", t=120)
    repo.merge("side", t=180)
    whole = run(repo.path)
    monkeypatch.setattr("churnlab.mine.history._FLUSH_COMMITS", 1)
    chunked = run(repo.path)
    assert whole.tables["commits"].height == 4 and whole.tables["file_changes"].height == 3
    for table in ("commits", "file_changes"):
        assert chunked.tables[table].equals(whole.tables[table]), table
