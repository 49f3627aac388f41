"""Diff fingerprints: the definition on hand-written patches, and reverts made by git on random edits."""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from churnlab.git import open_repository
from churnlab.mine.patches import parse_patches, read_fingerprints
from tests.gitbuild import Repo

SHA_A, SHA_B = "a" * 40, "b" * 40


def _digest(lines: list[bytes]) -> str:
    return hashlib.sha256(b"".join(line + b"\n" for line in sorted(lines))).hexdigest()


def _expected(*records: bytes) -> str:
    return hashlib.sha256(b"\n".join(sorted(records))).hexdigest()


def test_fingerprint_definition_on_a_modify_and_an_add():
    stream = (
        f"\x1e{SHA_A}\n\n"
        "diff --git a/x.py b/x.py\nindex 1111..2222 100644\n--- a/x.py\n+++ b/x.py\n"
        "@@ -1,2 +1,2 @@\n keep\n-old\n+new\n"
        "diff --git a/n.txt b/n.txt\nnew file mode 100644\nindex 0000..3333\n--- /dev/null\n+++ b/n.txt\n"
        "@@ -0,0 +1 @@\n+hello\n\\ No newline at end of file\n"
    ).encode()
    cols = parse_patches([stream[:17], stream[17:]])  # a chunk boundary inside the first line
    modify = b"x.py\0x.py\0\0\0\0\0-" + _digest([b"old"]).encode() + b"\0+" + _digest([b"new"]).encode()
    add = b"\0n.txt\0\x00100644\0\0\0-" + _digest([]).encode() + b"\0+" + _digest([b"hello"]).encode()
    inv_modify = b"x.py\0x.py\0\0\0\0\0-" + _digest([b"new"]).encode() + b"\0+" + _digest([b"old"]).encode()
    inv_add = b"n.txt\0\0" + b"100644\0\0\0\0-" + _digest([b"hello"]).encode() + b"\0+" + _digest([]).encode()
    assert cols == {"sha": [SHA_A], "fingerprint": [_expected(modify, add)],
                    "inverse_fingerprint": [_expected(inv_modify, inv_add)], "lines_changed": [3]}


def test_rename_quoted_path_binary_and_empty_commit():
    stream = (
        f"\x1e{SHA_A}\n\n"
        'diff --git "a/tab\\there.txt" "b/tab\\there.txt"\nindex 1..2 100644\n'
        '--- "a/tab\\there.txt"\n+++ "b/tab\\there.txt"\n@@ -1 +1 @@\n--- not a header\n+++ not a header\n'
        "diff --git a/old.py b/new.py\nsimilarity index 90%\nrename from old.py\nrename to new.py\n"
        "diff --git a/logo.png b/logo.png\nindex " + "c" * 40 + ".." + "d" * 40 + " 100644\n"
        "Binary files a/logo.png and b/logo.png differ\n"
        f"\x1e{SHA_B}\n"
    ).encode()
    cols = parse_patches([stream])
    tab = b"tab\there.txt\0tab\there.txt\0\0\0\0\0-" + _digest([b"-- not a header"]).encode() + b"\0+" + _digest([b"++ not a header"]).encode()
    rename = b"old.py\0new.py\0\0\0\0\0-" + _digest([]).encode() + b"\0+" + _digest([]).encode()
    binary = b"logo.png\0logo.png\0\0\0" + b"c" * 40 + b"\0" + b"d" * 40 + b"\0-" + _digest([]).encode() + b"\0+" + _digest([]).encode()
    assert cols["sha"] == [SHA_A, SHA_B]
    assert cols["fingerprint"] == [_expected(tab, rename, binary), None]
    assert cols["lines_changed"] == [2, 0]


def test_reordering_only_has_no_fingerprint():
    stream = (f"\x1e{SHA_A}\n\ndiff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n"
              "@@ -1,2 +1,2 @@\n-a\n b\n+a\n").encode()
    assert parse_patches([stream]) == {"sha": [SHA_A], "fingerprint": [None], "inverse_fingerprint": [None],
                                       "lines_changed": [2]}


lines = st.lists(st.sampled_from(["a", "b", "c", "", "x = 1", "  y"]), min_size=0, max_size=6)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.dictionaries(st.sampled_from(["f.py", "g.py", "d/h.py"]), lines, min_size=1),
       after=st.dictionaries(st.sampled_from(["f.py", "g.py", "d/h.py", "new.py"]), lines, min_size=1))
def test_git_revert_is_the_exact_inverse(tmp_path_factory, before, after):
    """Property: for any edit, ``git revert`` produces fingerprint == the edit's inverse, and vice versa."""
    repo = Repo(tmp_path_factory.mktemp("prop"))
    text = {p: "".join(ln + "\n" for ln in ls) for p, ls in before.items()}
    repo.commit("before", 0, text)
    changes = {p: "".join(ln + "\n" for ln in ls) for p, ls in after.items()}
    changes.update({p: None for p in before if p not in after})
    edit = repo.commit("edit", 1, changes)
    repo.git("revert", "--no-commit", edit)
    undo = repo.commit("undo", 2)
    fp = {sha: rest for sha, *rest in read_fingerprints(open_repository(repo.path)).rows()}
    fwd, inv, n = fp[edit]
    if fwd is None:  # an edit that only reordered lines (or changed nothing) cannot be matched
        assert fp[undo][:2] == [None, None]
    else:
        assert fp[undo] == [inv, fwd, n]
