"""The mine command as a user meets it: bad input, incremental runs, atomic writes, parity with git."""

from __future__ import annotations

import os
import subprocess
import sys

import polars as pl
import pytest

from churnlab import io
from churnlab.git import numstat_by_commit
from churnlab.mine import mine

from .gitrepo import DAY, GitRepo

SALT = "test-salt-0123456789"


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "CHURNLAB_SALT": SALT, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "churnlab", *args], capture_output=True, text=True, env=env, cwd=cwd)


@pytest.fixture
def small(tmp_path):
    repo = GitRepo(tmp_path / "small")
    repo.write("a.py", "x = 1\n")
    repo.commit("one")
    repo.write("a.py", "x = 2\ny = 3\n")
    repo.commit("two", t=DAY)
    return repo


def assert_clean_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("churnlab: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_cli_mines_and_prints_a_summary(small, tmp_path):
    proc = cli("mine", str(small.path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "2 commits" in proc.stdout
    assert io.read_table(tmp_path / "out" / "commits" / "small.parquet").height == 2


@pytest.mark.parametrize(
    ("source", "needles"),
    [
        ("{tmp}/does-not-exist", ("no such path",)),
        ("{tmp}/plain-folder", ("not a git repository",)),
        ("{tmp}/plain-folder/file.txt", ("is a file",)),
        ("https://127.0.0.1:9/nobody/nothing.git", ("cannot clone", "check the URL")),
        ("file:///nonexistent/repo.git", ("cannot clone",)),
        ("--upload-pack=touch pwned", ("starts with '-'",)),
        ("ext::sh -c touch% pwned", ("can run commands",)),
        ("fd::3", ("can run commands",)),
        ("ftp://example.com/x.git", ("scheme 'ftp'",)),
    ],
)
def test_bad_sources_get_one_line_errors_and_keep_existing_tables(small, tmp_path, source, needles):
    (tmp_path / "plain-folder").mkdir()
    (tmp_path / "plain-folder" / "file.txt").write_text("x")
    out = tmp_path / "out"
    assert cli("mine", str(small.path), "--out", str(out)).returncode == 0
    before = (out / "commits" / "small.parquet").read_bytes()
    env_cache = {"CHURNLAB_CACHE": str(tmp_path / "cache")}
    os.environ.update(env_cache)
    try:
        proc = cli("mine", source.format(tmp=tmp_path), "--out", str(out), cwd=tmp_path)
    finally:
        os.environ.pop("CHURNLAB_CACHE")
    assert_clean_error(proc, *needles)
    assert (out / "commits" / "small.parquet").read_bytes() == before
    assert not (tmp_path / "pwned").exists()
    assert sorted(p.name for p in (out / "commits").iterdir()) == ["small.parquet"]  # no temp files left


def test_output_folder_that_is_a_file(small, tmp_path):
    target = tmp_path / "occupied"
    target.write_text("not a folder")
    assert_clean_error(cli("mine", str(small.path), "--out", str(target)), "cannot write to output folder")
    assert target.read_text() == "not a folder"


def test_bad_revision(small, tmp_path):
    assert_clean_error(cli("mine", str(small.path), "--out", str(tmp_path / "o"), "--rev", "nope"), "does not exist")


def test_incremental_run_mines_only_new_commits_and_equals_a_full_run(small, tmp_path):
    out = tmp_path / "out"
    first = mine(small.path, out, salt=SALT)
    assert first.new_commits == 2
    small.git("checkout", "--quiet", "-b", "side")
    small.write("b.txt", "side\n")
    small.commit("side", t=2 * DAY)
    small.git("checkout", "--quiet", "main")
    small.write("a.py", "x = 3\n")
    small.commit("three", t=3 * DAY)
    small.merge("side", t=4 * DAY)
    second = mine(small.path, out, salt=SALT)
    assert second.new_commits == 3
    assert second.provenance["incremental_from"] == first.head
    full = mine(small.path, tmp_path / "full", salt=SALT)
    for table in ("commits", "file_changes"):
        a = io.read_table(io.table_path(out, table, "small")).sort("sha", *(["path"] if table != "commits" else []))
        b = io.read_table(io.table_path(tmp_path / "full", table, "small")).sort("sha", *(["path"] if table != "commits" else []))
        assert a.equals(b), table
    assert full.new_commits == 5


def test_changed_options_mine_everything_again(small, tmp_path):
    out = tmp_path / "out"
    mine(small.path, out, salt=SALT)
    again = mine(small.path, out, salt=SALT, include_messages=True)
    assert again.new_commits == 2 and again.provenance["incremental_from"] is None
    assert again.tables["commits"]["message"].to_list() == ["one", "two"]


def test_provenance_records_every_option(small, tmp_path):
    res = mine(small.path, tmp_path / "out", salt=SALT, find_copies=True)
    prov = io.read_provenance(res.paths["file_changes"])
    assert prov["head"] == small.head() and prov["table"] == "file_changes" and prov["schema_version"] == 1
    digest = prov["options"].pop("markers_digest")
    assert prov["options"] == {"first_parent": False, "find_copies": True, "include_identities": False,
                               "include_messages": False, "markers": None, "moves_churn": False,
                               "bulk_lines": 5000, "survival_sample_days": 30, "duplicate_blocks": "tree",
                               "copy_paste_hours": 0}
    assert len(digest) == 16  # the marker registry's content, so an edited registry triggers a full re-mine
    assert SALT not in str(prov) and len(prov["salt_fingerprint"]) == 12
    assert {"churnlab_version", "git_version", "mined_at", "repo", "url", "rev"} <= prov.keys()


@pytest.fixture
def varied(tmp_path):
    """A history with edits, renames, a binary file, a merge and a deletion."""
    repo = GitRepo(tmp_path / "varied")
    repo.write("src/a.py", "".join(f"a{i} = {i}\n" for i in range(30)))
    repo.write("img.bin", bytes(range(200)))
    repo.commit("start")
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.write("src/b.py", "b = 1\nb2 = 2\n")
    repo.commit("feature", t=DAY)
    repo.git("checkout", "--quiet", "main")
    repo.git("mv", "src/a.py", "src/renamed.py")
    repo.write("src/renamed.py", "".join(f"a{i} = {i * 2 if i % 7 == 0 else i}\n" for i in range(30)))
    repo.commit("rename", t=2 * DAY)
    repo.merge("feature", t=3 * DAY)
    repo.remove("img.bin")
    repo.write("README", "hello\nworld\n")
    repo.commit("cleanup", t=4 * DAY)
    return repo


def test_per_commit_counts_equal_git_log_numstat(varied):
    res = mine(varied.path, salt=SALT)
    got = {sha: (a or 0, d or 0) for sha, a, d in res.tables["commits"].select("sha", "lines_added", "lines_deleted").rows()}
    assert got == numstat_by_commit(varied.path / ".git")  # the definition: git log --numstat -U0
    # no file here has a common tail long enough for git to trim: plain numstat (3 lines of context) agrees
    assert got == numstat_by_commit(varied.path / ".git", zero_context=False)


def test_totals_equal_pydriller(varied):
    pydriller = pytest.importorskip("pydriller")
    added = deleted = 0
    for commit in pydriller.Repository(str(varied.path)).traverse_commits():
        for mf in commit.modified_files:
            added += mf.added_lines
            deleted += mf.deleted_lines
    fc = mine(varied.path, salt=SALT).tables["file_changes"]
    assert (fc["lines_added"].sum(), fc["lines_deleted"].sum()) == (added, deleted)


def test_scan_table_reads_many_repositories_lazily(small, varied, tmp_path):
    out = tmp_path / "out"
    mine(small.path, out, salt=SALT)
    mine(varied.path, out, salt=SALT)
    counts = io.scan_table(out, "commits").group_by("repo").len().collect().sort("repo")
    assert counts.rows() == [("small", 2), ("varied", 5)]
    assert isinstance(io.scan_table(out, "file_changes"), pl.LazyFrame)


def test_cli_duplicate_blocks_option_reaches_the_provenance(small, tmp_path):
    proc = cli("mine", str(small.path), "--out", str(tmp_path / "out"), "--duplicate-blocks", "commit",
               "--tables", "churn")
    assert proc.returncode == 0, proc.stderr
    prov = io.read_provenance(tmp_path / "out" / "churn" / "small.parquet")
    assert prov["options"]["duplicate_blocks"] == "commit"


@pytest.mark.parametrize(("before", "preset", "expected"), [
    ("", None, "dirty_decay_ms:0,muzzy_decay_ms:0"),  # freed pages go back at once
    ("", "narenas:2", "narenas:2"),  # the user's setting stands
    ("import polars", None, "polars' own"),  # too late once polars is loaded (it sets its own): left alone
])
def test_the_command_line_sets_polars_allocator_before_polars_loads(before, preset, expected):
    code = (f"import os, sys\n{before}\nfrom churnlab.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(os.environ.get('_RJEM_MALLOC_CONF'))")
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if preset is not None:
        env["_RJEM_MALLOC_CONF"] = preset
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    value = out.stdout.splitlines()[-1]
    if expected == "polars' own":
        assert value != "dirty_decay_ms:0,muzzy_decay_ms:0" and "decay" in value
    else:
        assert value == expected
