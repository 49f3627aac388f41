"""Reverts by message and by content, on scenario repositories (spec section 4)."""

from __future__ import annotations

import polars as pl
import pytest

from churnlab.mine import mine, reverts
from churnlab.mine.provenance import CommitIds
from churnlab.mine.reverts import _Earlier
from tests.gitbuild import Repo

SALT = "test-salt-0123"


def _mine(repo: Repo, **kw):
    return mine(repo.path, None, name="t/r", salt=SALT, cache=repo.path.parent / "cache", **kw).tables


def _rows(tables) -> list[tuple]:
    """``(reverting, reverted, ref, method, is_reapply, lag_days, lines_reverted)`` sorted."""
    r = tables["reverts"].sort("reverting_time", "reverted_ref")
    return list(zip(r["reverting_sha"], r["reverted_sha"], r["reverted_ref"], r["method"], r["is_reapply"],
                    r["lag_days"], r["lines_reverted"]))


@pytest.fixture()
def base(tmp_path) -> tuple[Repo, str, str]:
    """Day 0 adds app.py (3 lines); day 1 (commit B) appends 2 lines and edits one."""
    repo = Repo(tmp_path / "repo")
    a = repo.commit("Add app", 0, {"app.py": "one\ntwo\nthree\n"})
    b = repo.commit("Change app", 1, {"app.py": "one\nTWO\nthree\nfour\nfive\n"})
    return repo, a, b


def test_stock_git_revert(base):
    repo, a, b = base
    repo.git("revert", "--no-edit", b, when=3.5)
    c = repo.head()
    # B changed 4 lines (-two, +TWO, +four, +five), so does its revert; lag = 2.5 days.
    assert _rows(_mine(repo)) == [(c, b, b, "both", False, 2.5, 4)]


def test_edited_revert_message_keeps_the_sha_line(base):
    repo, a, b = base
    repo.git("revert", "--no-commit", b)
    c = repo.commit(f"Undo the app change: it broke the build\n\nThis reverts commit {b}.\nSee the CI logs.", 2)
    assert _rows(_mine(repo)) == [(c, b, b, "both", False, 1.0, 4)]


def test_abbreviated_sha_is_resolved(base):
    repo, a, b = base
    repo.git("revert", "--no-commit", b)
    c = repo.commit(f'Revert "Change app"\n\nThis reverts commit {b[:7]}.', 2)
    assert _rows(_mine(repo)) == [(c, b, b, "both", False, 1.0, 4)]


def test_ambiguous_or_unknown_abbreviation_is_not_resolved():
    shas = CommitIds(["abc1234" + "0" * 33, "abc1299" + "0" * 33, "ffff" + "1" * 36])
    assert shas.resolve("abc12") is None  # two commits start with it
    assert shas.resolve("abc123") == "abc1234" + "0" * 33
    assert shas.resolve("ffff") == "ffff" + "1" * 36
    assert shas.resolve("0123456") is None


def test_subjects_whose_hashes_repeat_are_compared_themselves(monkeypatch):
    # a subject is found by its hash first; another subject of the same hash is not it
    monkeypatch.setattr(reverts, "hash", lambda subject: 0, raising=False)
    earlier = _Earlier(pl.Series(["Fix a (#1)", "Fix b\n\nbody", "Fix ab", "Other"]))
    for message in earlier._messages:
        earlier.add(message)
    assert earlier.latest("Fix a") == 0 and earlier.latest("Fix b") == 1 and earlier.latest("Fix c") is None
    assert earlier.latest_starting("Fix a") == 2 and earlier.latest_starting("Fix") == 2
    assert earlier.latest_starting("body") is None  # in a message, not its subject


def test_revert_of_a_revert_is_a_reapply(base):
    repo, a, b = base
    repo.git("revert", "--no-edit", b, when=2)
    c = repo.head()
    repo.git("revert", "--no-edit", c, when=4)
    d = repo.head()
    tables = _mine(repo)
    assert _rows(tables) == [(c, b, b, "both", False, 1.0, 4), (d, c, c, "both", True, 2.0, 4)]
    flags = tables["revert_flags"].sort("author_time")
    assert flags.select("is_revert", "is_reapply", "reverted", "first_reverted_by").rows() == [
        (False, False, False, None), (False, False, True, c), (True, False, True, d), (True, True, False, None)]


def test_exact_inverse_without_a_revert_message(base):
    repo, a, b = base
    c = repo.commit("Tidy app", 6, {"app.py": "one\ntwo\nthree\n"})
    assert _rows(_mine(repo)) == [(c, b, b, "inverse_diff", False, 5.0, 4)]


def test_partial_revert_found_by_message_only(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Add two files", 0, {"a.py": "x = 1\n", "b.py": "y = 1\n"})
    b = repo.commit("Bump both", 1, {"a.py": "x = 2\n", "b.py": "y = 2\n"})
    c = repo.commit(f'Revert "Bump both" for a.py only\n\nThis reverts commit {b}.', 3, {"a.py": "x = 1\n"})
    assert _rows(_mine(repo)) == [(c, b, b, "message", False, 2.0, 2)]


def test_revert_of_a_commit_outside_the_mined_range(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"app.py": "one\n"})
    repo.git("checkout", "-q", "-b", "experiment")
    x = repo.commit("Experiment", 1, {"app.py": "one\nexperimental\n"})
    repo.git("checkout", "-q", "main")
    c = repo.commit(f'Revert "Experiment"\n\nThis reverts commit {x}.', 2, {"notes.txt": "dropped\n"})
    d = repo.commit(f"Drop more\n\nThis reverts commit {x[:9]}.", 3, {"notes.txt": "dropped again\n"})
    e = repo.commit('Revert "Something from before the import"', 4, {"notes.txt": "x\n"})
    tables = _mine(repo)  # mined from main: the experiment branch is not reachable
    assert _rows(tables) == [(c, None, x, "message", False, None, 1), (d, None, x[:9], "message", False, None, 2),
                             (e, None, None, "message", False, None, 2)]
    assert not tables["revert_flags"]["reverted"].any()
    # The unresolved subject is a message: written only when messages are asked for.
    refs = _mine(repo, include_messages=True)["reverts"].sort("reverting_time")["reverted_ref"].to_list()
    assert refs == [x, x[:9], 'Revert "Something from before the import"']


def test_subject_only_revert_is_resolved_by_subject(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"app.py": "one\n"})
    b = repo.commit("Add feature (#12)", 1, {"app.py": "one\nfeature\n"})
    repo.commit("Unrelated", 2, {"other.py": "z\n"})
    c = repo.commit('Revert "Add feature (#12)" (#14)', 3, {"app.py": "one\nfeature\nfix\n"})
    assert _rows(_mine(repo)) == [(c, b, b, "message", False, 2.0, 1)]


def test_rename_and_its_revert_match_by_content(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"old.py": "a\nb\nc\nd\ne\nf\n"})
    repo.move("old.py", "new.py")
    b = repo.commit("Rename and edit", 1, {"new.py": "a\nb\nc\nd\ne\nF\n"})
    repo.git("revert", "--no-commit", b)
    c = repo.commit("Put it back", 2)
    assert _rows(_mine(repo)) == [(c, b, b, "inverse_diff", False, 1.0, 2)]


def test_binary_change_and_its_revert_match_by_content(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"logo.png": b"\x89PNG\0one"})
    b = repo.commit("New logo", 1, {"logo.png": b"\x89PNG\0two"})
    c = repo.commit("Old logo again", 2, {"logo.png": b"\x89PNG\0one"})
    repo.commit("Another logo", 3, {"logo.png": b"\x89PNG\0three"})
    assert _rows(_mine(repo)) == [(c, b, b, "inverse_diff", False, 1.0, 0)]


def test_revert_flags_are_right_censored(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"a.py": "0\n"})
    b = repo.commit("Change", 10, {"a.py": "1\n"})
    repo.git("revert", "--no-edit", b, when=50)  # lag 40 days
    repo.commit("Late", 80, {"c.py": "c\n"})
    repo.commit("End", 100, {"d.py": "d\n"})
    flags = _mine(repo)["revert_flags"].sort("author_time")
    # End of history: day 100. 30-day flags exist up to day 70, 90-day flags up to day 10.
    assert flags.select("reverted", "revert_lag_days", "reverted_within_30d", "reverted_within_90d").rows() == [
        (False, None, False, False),             # day 0
        (True, 40.0, False, True),              # day 10: reverted after 40 days
        (False, None, False, None),             # day 50 (the revert)
        (False, None, None, None),              # day 80
        (False, None, None, None),              # day 100
    ]


def test_commits_with_empty_diffs_never_match(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"a.py": "0\n"})
    repo.commit("Empty one", 1)
    repo.commit("Empty two", 2)
    assert _rows(_mine(repo)) == []


def test_truncated_github_title_and_the_merge_of_a_revert_branch(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"app.py": "one\n"})
    b = repo.commit("fix(editor): open $EDITOR when it contains arguments (#1519)", 1, {"app.py": "one\ntwo\n"})
    repo.git("checkout", "-q", "-b", "revert-1519")
    c = repo.commit('Revert "fix(editor): open $EDITOR when it contains… (#1520)', 2, {"app.py": "one\ntwo\nthree\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("Other", 3, {"other.py": "x\n"})
    repo.git("merge", "-q", "--no-ff", "-m", 'Merge pull request #1520 from o/revert-1519\n\nRevert "fix(editor)"\n\n'
             f"This reverts commit {b}.", "revert-1519", when=4)
    # Only the side commit reverts; the merge that repeats the message is not a second revert.
    assert _rows(_mine(repo)) == [(c, b, b, "message", False, 1.0, 1)]


def test_empty_repository_gives_empty_tables_and_one_adoption_row(tmp_path):
    repo = Repo(tmp_path / "repo")
    tables = _mine(repo)
    assert [tables[t].height for t in ("reverts", "revert_flags", "signals", "adoption")] == [0, 0, 0, 1]


def test_odd_file_names_and_a_non_utf8_message(tmp_path):
    repo = Repo(tmp_path / "repo")
    names = {'tab\there.txt': "a\n", 'quote"d.txt': "b\n", "café/ü.txt": "c\n", "-dash.txt": "d\n"}
    repo.commit("Start", 0, names)
    b = repo.commit("Change them all", 1, {n: t + "more\n" for n, t in names.items()})
    repo.git("revert", "--no-commit", b)
    (tmp_path / "msg").write_bytes(b"R\xe9vert des fichiers\n")  # Latin-1 bytes, no encoding header
    repo.git("commit", "-q", "-F", str(tmp_path / "msg"), when=2)
    c = repo.head()
    assert _rows(_mine(repo)) == [(c, b, b, "inverse_diff", False, 1.0, 4)]
