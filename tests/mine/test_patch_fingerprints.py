"""The line stage's patch fingerprints are the revert stage's own (``churnlab.mine.patches``), row for row.

A full mine reads two ``git log`` streams, not three: the line-provenance stage leaves the fingerprints in
``extras["patch_fingerprints"]``. These tests build repositories with every kind of file change the
definition distinguishes and compare that frame with :func:`churnlab.mine.patches.read_fingerprints` on the
same repository and options. Row order is not part of the interface (the revert stage orders by commit), so
both frames are compared sorted by sha; a duplicated or missing commit still fails.
"""

from __future__ import annotations

import os

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from churnlab.git import open_repository
from churnlab.mine import mine
from churnlab.mine.patches import read_fingerprints
from tests.gitbuild import Repo

SALT = "test-salt-0123"
BODY = "".join(f"value_{i} = compute({i})\n" for i in range(12))


def _line_stage_prints(repo: Repo, **options) -> pl.DataFrame:
    # The line stage makes the frame when the revert stage will read it (which then streams none of its own).
    result = mine(repo.path, None, name="t/r", salt=SALT, cache=repo.path.parent / "cache",
                  tables=["line_ops", "reverts"], **options)
    return result.extras["patch_fingerprints"]


def _assert_same_as_patches(repo: Repo, **options) -> pl.DataFrame:
    ours = _line_stage_prints(repo, **options)
    theirs = read_fingerprints(open_repository(repo.path), **options)
    assert ours["sha"].n_unique() == ours.height
    assert_frame_equal(ours.sort("sha"), theirs.sort("sha"))
    return theirs


def _commit_index(repo: Repo, message: str, when: float) -> str:
    """Commit the index as it is (no ``add -A``), for entries the work tree cannot hold (gitlinks)."""
    repo.git("commit", "-q", "--allow-empty", "-m", message, when=when)
    return repo.head()


@pytest.fixture()
def every_kind_of_change(tmp_path) -> tuple[Repo, dict[str, str]]:
    """Text edits, renames, copies, binary files, mode changes, symlinks, a gitlink, empty and odd commits."""
    repo = Repo(tmp_path / "repo")
    shas = {}
    shas["add"] = repo.commit("add", 0, {"app.py": BODY, "util.py": "a\nb\nc\n", "logo.png": b"\x89PNG\0\x01\x02",
                                         "notes.txt": "no newline at the end"})
    shas["empty"] = repo.commit("nothing", 1)
    repo.move("app.py", "src/app.py")
    shas["pure_rename"] = repo.commit("move", 2)
    repo.move("src/app.py", "src/main.py")
    repo.write("src/main.py", BODY.replace("value_3", "renamed_3"))
    shas["rename_and_edit"] = repo.commit("move and edit", 3)
    shas["binary_edit"] = repo.commit("logo", 4, {"logo.png": b"\x89PNG\0\x03\x04\x05"})
    os.chmod(repo.path / "util.py", 0o755)
    shas["mode_only"] = repo.commit("chmod", 5)
    os.chmod(repo.path / "util.py", 0o644)
    repo.write("util.py", "a\nB\nc\n")
    shas["mode_and_edit"] = repo.commit("chmod back and edit", 6)
    shas["reorder_only"] = repo.commit("reorder", 7, {"util.py": "c\nB\na\n"})
    shas["no_newline"] = repo.commit("newline", 8, {"notes.txt": "no newline at the end\nnow one more\n"})
    odd = {"tab\there.txt": "x\n", 'quote".txt': "y\n", "back\\slash.txt": "z\n", "space name.txt": "w\n",
           "caf\u00e9.py": "v\n", "-- not a header": "-- minus\n++ plus\n"}
    shas["odd_paths"] = repo.commit("odd names", 9, odd)
    with open(os.path.join(os.fsencode(repo.path), b"latin-\xe9.txt"), "wb") as fh:  # not UTF-8
        fh.write(b"caf\xe9\r\nsecond line\r\n")
    shas["non_utf8"] = repo.commit("latin-1 name and content", 10)
    os.symlink("util.py", repo.path / "link")
    shas["symlink"] = repo.commit("link", 11)
    (repo.path / "link").unlink()
    repo.write("link", "now a file\n")
    shas["typechange"] = repo.commit("link to file", 12)
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{shas['add']},vendor/lib")
    shas["gitlink_add"] = _commit_index(repo, "submodule", 13)
    repo.git("update-index", "--cacheinfo", f"160000,{shas['empty']},vendor/lib")
    shas["gitlink_bump"] = _commit_index(repo, "bump submodule", 14)
    shas["delete"] = repo.commit("delete", 15, {"logo.png": None, "tab\there.txt": None})
    return repo, shas


def test_every_kind_of_change_matches_patches(every_kind_of_change):
    repo, shas = every_kind_of_change
    theirs = _assert_same_as_patches(repo)
    assert set(theirs["sha"]) == set(shas.values())
    by_sha = {r["sha"]: r for r in theirs.iter_rows(named=True)}
    # the definition's nulls: nothing changed, or lines only reordered
    assert by_sha[shas["empty"]]["fingerprint"] is None and by_sha[shas["empty"]]["lines_changed"] == 0
    assert by_sha[shas["reorder_only"]]["fingerprint"] is None and by_sha[shas["reorder_only"]]["lines_changed"] == 4
    # a pure rename and a mode change have no lines but are changes
    assert by_sha[shas["pure_rename"]]["fingerprint"] is not None
    assert by_sha[shas["mode_only"]]["fingerprint"] is not None


def test_every_kind_of_change_with_copies_matches_patches(every_kind_of_change):
    repo, _ = every_kind_of_change
    repo.write("src/copy.py", BODY)
    repo.commit("copy", 16)
    _assert_same_as_patches(repo, find_copies=True)


@pytest.fixture()
def merge_commit(tmp_path) -> tuple[Repo, dict[str, str]]:
    """A side branch of two commits merged with a conflict resolved by hand, then a commit and its revert."""
    repo = Repo(tmp_path / "repo")
    shas = {"base": repo.commit("base", 0, {"app.py": BODY, "b.txt": "one\n"})}
    repo.git("checkout", "-q", "-b", "side")
    shas["side_1"] = repo.commit("side 1", 1, {"app.py": BODY.replace("value_1 ", "side_1 ")})
    shas["side_2"] = repo.commit("side 2", 2, {"c.txt": "side\n", "b.txt": "side\n"})
    repo.git("checkout", "-q", "main")
    shas["main_1"] = repo.commit("main 1", 3, {"b.txt": "main\n"})
    with pytest.raises(RuntimeError):  # b.txt conflicts: resolved below with a line neither side has
        repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side", when=4)
    repo.write("b.txt", "resolved\n")
    repo.git("add", "b.txt")
    repo.git("commit", "-q", "--no-edit", when=4)
    shas["merge"] = repo.head()
    shas["main_2"] = repo.commit("main 2", 5, {"d.txt": "the tenth line of a new file\n"})
    repo.git("revert", "--no-edit", shas["main_2"], when=6)
    shas["revert"] = repo.head()
    return repo, shas


@pytest.mark.parametrize("first_parent", [False, True])
def test_merges_match_patches(merge_commit, first_parent):
    repo, shas = merge_commit
    theirs = _assert_same_as_patches(repo, first_parent=first_parent)
    # merges never get a row (--no-merges), and first-parent mode leaves the side branch out
    side = set() if first_parent else {shas["side_1"], shas["side_2"]}
    assert set(theirs["sha"]) == {shas["base"], shas["main_1"], shas["main_2"], shas["revert"]} | side


def test_full_mine_reverts_equal_the_revert_stage_alone(merge_commit):
    """The revert stage finds the same reverts from the line stage's frame as from its own ``git log``."""
    repo, shas = merge_commit
    kw = dict(name="t/r", salt=SALT, cache=repo.path.parent / "cache")
    full = mine(repo.path, None, **kw)
    alone = mine(repo.path, None, tables=["reverts", "revert_flags"], **kw)
    assert "line_ops" in full.tables and "line_ops" not in alone.tables
    for table in ("reverts", "revert_flags"):
        assert_frame_equal(full.tables[table], alone.tables[table])
    reverts = full.tables["reverts"]
    assert reverts.select("reverting_sha", "reverted_sha", "method").rows() == [
        (shas["revert"], shas["main_2"], "both")]
