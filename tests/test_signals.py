"""AI-adoption signals and adoption dates on scenario repositories (spec section 5)."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from churnlab.mine import mine
from tests.gitbuild import Repo, day

SALT = "test-salt-0123"


def _mine(repo: Repo, **kw):
    return mine(repo.path, None, name="t/r", salt=SALT, cache=repo.path.parent / "cache", **kw).tables


def _signals(tables) -> list[tuple]:
    s = tables["signals"].sort("author_time", "kind", "tool", "path")
    return s.select("sha", "kind", "tool", "event", "path", "old_path", "present_after").rows()


def _repo_row(tables) -> dict:
    return tables["adoption"].filter(pl.col("level") == "repo").row(0, named=True)


def test_config_file_added_then_deleted(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"app.py": "x\n"})
    a = repo.commit("Add cursor rules", 2, {".cursorrules": "be terse\n"})
    m = repo.commit("Edit cursor rules", 3, {".cursorrules": "be terse\nand kind\n"})
    d = repo.commit("Drop cursor rules", 5, {".cursorrules": None})
    tables = _mine(repo)
    assert _signals(tables) == [
        (a, "path", "cursor", "added", ".cursorrules", None, True),
        (m, "path", "cursor", "modified", ".cursorrules", None, True),
        (d, "path", "cursor", "deleted", ".cursorrules", None, False),
    ]
    row = _repo_row(tables)
    assert (row["first_config_time"], row["first_config_sha"]) == (day(2), a)
    assert (row["first_any_time"], row["first_trailer_time"]) == (day(2), None)
    assert row["tools"] == ["cursor"]
    assert (row["markers_removed"], row["last_removal_time"]) == (True, day(5))
    assert (row["config_at_head"], row["config_abandoned"]) == (False, True)
    assert (row["n_config_events"], row["n_signal_commits"], row["last_signal_time"]) == (2, 0, day(3))


def test_config_file_moved_into_a_subfolder(tmp_path):
    repo = Repo(tmp_path / "repo")
    a = repo.commit("Add CLAUDE.md and copilot instructions", 1,
                    {"CLAUDE.md": "rules\n", ".github/copilot-instructions.md": "rules\n"})
    repo.move("CLAUDE.md", "docs/CLAUDE.md")
    repo.move(".github/copilot-instructions.md", "docs/copilot-instructions.md")
    m = repo.commit("Move agent docs", 4)
    tables = _mine(repo)
    # CLAUDE.md is a marker at any depth; copilot instructions only at .github/: moving them out removes them.
    assert _signals(tables) == [
        (a, "path", "claude", "added", "CLAUDE.md", None, True),
        (a, "path", "copilot", "added", ".github/copilot-instructions.md", None, True),
        (m, "path", "claude", "moved", "docs/CLAUDE.md", "CLAUDE.md", True),
        (m, "path", "copilot", "moved", "docs/copilot-instructions.md", ".github/copilot-instructions.md", False),
    ]
    row = _repo_row(tables)
    assert (row["first_config_time"], row["tools"]) == (day(1), ["claude", "copilot"])
    assert (row["markers_removed"], row["config_at_head"], row["config_abandoned"]) == (True, True, False)


def test_agents_md_alone_is_the_generic_tool(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"app.py": "x\n"})
    a = repo.commit("Add agent instructions", 7, {"AGENTS.md": "run the tests\n", "lib/AGENTS.md": "lib rules\n"})
    tables = _mine(repo)
    assert _signals(tables) == [(a, "path", "generic", "added", "AGENTS.md", None, True),
                                (a, "path", "generic", "added", "lib/AGENTS.md", None, True)]
    row = _repo_row(tables)
    assert (row["first_any_time"], row["tools"], row["n_config_events"]) == (day(7), ["generic"], 2)


def test_ruler_folder(tmp_path):
    repo = Repo(tmp_path / "repo")
    a = repo.commit("Add ruler", 3, {".ruler/instructions.md": "rules\n", ".ruler/ruler.toml": "[agents]\n",
                                     "src/ruler.py": "not a marker\n"})
    tables = _mine(repo)
    assert _signals(tables) == [(a, "path", "generic", "added", ".ruler/instructions.md", None, True),
                                (a, "path", "generic", "added", ".ruler/ruler.toml", None, True)]
    assert set(tables["signals"]["pattern"]) == {".ruler/"}


TRAILERS = [
    # (message, expected {(kind, tool)})
    ("Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>", {("trailer", "claude")}),
    ("Fix\n\nco-authored-by: claude <no-reply@anthropic.com>", {("trailer", "claude")}),
    ("Fix\n\nCo-authored-by: Claude Opus 4.5 <noreply@anthropic.com>", {("trailer", "claude")}),
    ("Fix\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
     "Co-Authored-By: Claude Sonnet 4 <noreply@anthropic.com>", {("trailer", "claude"), ("message", "claude")}),
    ("Fix\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>", {("trailer", "copilot")}),
    ("Fix\n\nCo-authored-by: Devin AI <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
     {("trailer", "devin")}),
    ("Fix\n\nCo-authored-by: Codex <noreply@openai.com>", {("trailer", "codex")}),
    ("Fix\n\nCo-authored-by: aider (anthropic/claude-sonnet-4) <aider@aider.chat>", {("trailer", "aider")}),
    ("Fix\n\nMade-with: Cursor", {("trailer", "cursor")}),
    ("Fix\n\nSigned-off-by: Cursor Agent <cursoragent@cursor.com>", {("trailer", "cursor")}),
    # not signals: a human co-author, prose that names a tool, a trailer quoted mid-line
    ("Fix\n\nCo-authored-by: Jane Doe <jane@example.com>", set()),
    ("Explain how Claude and Copilot differ in the docs", set()),
    ("Fix\n\nWe no longer add `Co-authored-by: Claude` lines", set()),
]


def test_trailer_and_message_variants(tmp_path):
    repo = Repo(tmp_path / "repo")
    shas = [repo.commit(msg, i, {"f.txt": f"{i}\n"}) for i, (msg, _) in enumerate(TRAILERS)]
    tables = _mine(repo)
    got = {sha: set() for sha in shas}
    for sha, kind, tool in tables["signals"].select("sha", "kind", "tool").iter_rows():
        got[sha].add((kind, tool))
    assert [got[sha] for sha in shas] == [want for _, want in TRAILERS]
    row = _repo_row(tables)
    assert (row["first_trailer_time"], row["first_config_time"], row["first_any_time"]) == (day(0), None, day(0))
    assert row["n_signal_commits"] == 10
    assert row["tools"] == ["aider", "claude", "codex", "copilot", "cursor", "devin"]


AGENTS = [
    ("copilot-swe-agent[bot]", "198982749+Copilot@users.noreply.github.com", "copilot"),
    ("devin-ai-integration[bot]", "158243242+devin-ai-integration[bot]@users.noreply.github.com", "devin"),
    ("claude[bot]", "209825114+claude[bot]@users.noreply.github.com", "claude"),
    ("cursoragent", "cursoragent@cursor.com", "cursor"),
    ("Paul Gauthier (aider)", "paul@example.com", "aider"),
]


def test_agent_bot_authors_are_bots_and_signals(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Human start", 0, {"f.txt": "0\n"})
    shas = [repo.commit(f"Agent change {i}", 10 + i, {"f.txt": f"{i}\n"}, name=n, email=e)
            for i, (n, e, _) in enumerate(AGENTS)]
    tables = _mine(repo)
    assert _signals(tables) == [(sha, "identity", tool, None, None, None, None)
                                for sha, (_, _, tool) in zip(shas, AGENTS)]
    commits = tables["commits"].sort("author_time")
    assert commits["is_bot"].to_list() == [False, True, True, True, True, True]
    authors = tables["adoption"].filter(pl.col("level") == "author").sort("first_any_time")
    assert authors.select("is_bot", "first_trailer_time", "tools").rows() == [
        (True, day(10 + i), [tool]) for i, (_, _, tool) in enumerate(AGENTS)]
    assert authors["author_id"].to_list() == commits["author_id"].to_list()[1:]


def test_marker_only_in_a_merged_side_branch(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"app.py": "x\n"})
    repo.git("checkout", "-q", "-b", "feature")
    side = repo.commit("Try windsurf", 2, {".windsurfrules": "rules\n"}, name="Bo", email="bo@example.com")
    repo.commit("Drop windsurf", 3, {".windsurfrules": None}, name="Bo", email="bo@example.com")
    repo.git("checkout", "-q", "main")
    repo.commit("Main work", 4, {"app.py": "y\n"})
    repo.git("merge", "-q", "--no-ff", "-m", "Merge feature", "feature", when=5)
    tables = _mine(repo)
    assert [r[:4] for r in _signals(tables)][0] == (side, "path", "windsurf", "added")
    row = _repo_row(tables)
    assert (row["first_config_sha"], row["first_config_time"]) == (side, day(2))
    assert (row["markers_removed"], row["config_at_head"]) == (True, False)
    bo = tables["adoption"].filter(pl.col("level") == "author")
    assert bo.select("first_config_time", "markers_removed", "is_bot").rows() == [(day(2), True, False)]


def test_rules_disagree_and_first_any_takes_the_earlier(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"app.py": "x\n"})
    t = repo.commit("Fix\n\nCo-authored-by: Claude <noreply@anthropic.com>", 4, {"app.py": "y\n"},
                    name="Cy", email="cy@example.com")
    c = repo.commit("Add claude settings", 9, {".claude/settings.json": "{}\n"})
    tables = _mine(repo)
    row = _repo_row(tables)
    assert (row["first_trailer_sha"], row["first_config_sha"], row["first_any_sha"]) == (t, c, t)
    assert (row["first_trailer_time"], row["first_config_time"], row["first_any_time"]) == (day(4), day(9), day(4))
    authors = tables["adoption"].filter(pl.col("level") == "author").sort("first_any_time")
    assert authors.select("first_config_time", "first_trailer_time", "n_signal_commits").rows() == [
        (None, day(4), 1), (day(9), None, 0)]


def test_repository_without_signals_has_one_row_with_null_dates(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"app.py": "x\n", "docs/claude.txt": "not a marker\n"})
    tables = _mine(repo)
    assert tables["signals"].height == 0
    assert tables["adoption"].select("level", "first_any_time", "tools", "config_at_head").rows() == [
        ("repo", None, [], False)]


def test_incremental_run_gives_the_same_tables_as_a_full_run(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"app.py": "x\n"})
    b = repo.commit("Fix\n\nCo-authored-by: Claude <noreply@anthropic.com>", 1, {"app.py": "y\n"})
    rules = repo.commit("Add rules", 2, {".cursorrules": "r\n"})
    out = tmp_path / "out"
    kw = dict(name="t/r", salt=SALT, cache=tmp_path / "cache")
    mine(repo.path, out, **kw)
    repo.git("revert", "--no-edit", b, when=3)  # needs the stored commit's message, which is not stored
    repo.commit("Drop rules", 4, {".cursorrules": None})
    incremental = mine(repo.path, out, **kw)
    assert incremental.new_commits == 2
    full = mine(repo.path, None, **kw)
    for table in ("reverts", "revert_flags", "signals", "adoption"):
        assert incremental.tables[table].equals(full.tables[table]), table
    # The revert by message, and the deletion of the file "Add rules" added: an exact inverse diff.
    assert sorted(full.tables["reverts"].select("reverted_sha", "method").rows()) == sorted(
        [(b, "both"), (rules, "inverse_diff")])


def test_signals_command_prints_the_adoption_summary(tmp_path, capsys):
    from churnlab.cli import main

    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 0, {"app.py": "x\n"})
    repo.commit("Add rules", 31, {"CLAUDE.md": "r\n"})
    repo.commit("Fix\n\nCo-authored-by: Claude <noreply@anthropic.com>", 40, {"app.py": "y\n"})
    assert main(["signals", str(repo.path), "--name", "o/demo", "--salt", SALT]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "o/demo: 3 commits, 1 AI-signalled (33.3%), 1 marker-file events"
    assert "first_config  2025-02-01" in out and "first_trailer 2025-02-10" in out
    assert "first_any     2025-02-01" in out and "marker files at head: CLAUDE.md" in out


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2), st.integers(0, 30),
                          st.sampled_from(["path", "trailer", "message", "identity"]),
                          st.sampled_from(["claude", "cursor"]), st.booleans()), max_size=25))
def test_adoption_rules_are_consistent(rows):
    """Properties: first_any is the earlier rule; no author adopts before the repository; counts add up."""
    from churnlab.mine.signals import adoption_table

    signals = pl.DataFrame(
        [(f"{c:040d}", f"author{a}", day(t), kind, tool, present if kind == "path" else None)
         for c, a, t, kind, tool, present in rows],
        schema={"sha": pl.String, "author_id": pl.String, "author_time": pl.Datetime("us", "UTC"),
                "kind": pl.String, "tool": pl.String, "present_after": pl.Boolean}, orient="row",
    ).unique(["sha", "kind", "tool"], keep="first")
    commits = signals.select("author_id").unique().with_columns(is_bot=pl.lit(False))
    table = adoption_table(signals, commits, config_at_head=False)
    repo = table.row(0, named=True)
    assert repo["level"] == "repo" and table.filter(pl.col("level") == "repo").height == 1
    for row in table.iter_rows(named=True):
        dates = [d for d in (row["first_config_time"], row["first_trailer_time"]) if d is not None]
        assert row["first_any_time"] == (min(dates) if dates else None)
        if row["level"] == "author" and row["first_any_time"] is not None:
            assert row["first_any_time"] >= repo["first_any_time"]
    authors = table.filter(pl.col("level") == "author")
    assert authors["n_config_events"].sum() == repo["n_config_events"]
    assert authors["n_signal_commits"].sum() >= repo["n_signal_commits"]
    assert sorted(set().union(*authors["tools"].to_list())) == repo["tools"]
