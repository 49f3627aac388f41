"""The AI-marker registry: coverage of the spec's markers, path glob rules, and errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from churnlab.cli import main
from churnlab.errors import InputError
from churnlab.mine import mine
from churnlab.mine.markers import glob_regex, load_markers
from tests.gitbuild import Repo

ROOT = Path(__file__).resolve().parents[1]
HEADER = "tool,kind,pattern,source\n"

# One example path per path marker in research-spec.md section 5, with the tool it must signal.
SPEC_PATHS = {
    ".cursorrules": "cursor", ".cursorignore": "cursor", ".cursor/rules/style.mdc": "cursor",
    "CLAUDE.md": "claude", "CLAUDE.local.md": "claude", ".claude/settings.json": "claude",
    ".claude/commands/review.md": "claude", ".claude/rules/x.md": "claude", ".mcp.json": "claude",
    "AGENTS.md": "generic", ".github/copilot-instructions.md": "copilot",
    ".github/instructions/python.instructions.md": "copilot", ".github/prompts/review.prompt.md": "copilot",
    ".github/workflows/copilot-setup-steps.yml": "copilot", ".github/workflows/claude-review.yml": "claude",
    ".github/workflows/claude.yml": "claude", "GEMINI.md": "gemini", ".gemini/settings.json": "gemini",
    ".windsurfrules": "windsurf", ".windsurf/rules/a.md": "windsurf", ".clinerules": "cline",
    ".clinerules/style.md": "cline", ".roo/rules/a.md": "roo", ".junie/guidelines.md": "junie",
    ".aider.conf.yml": "aider", ".aiderignore": "aider", ".amazonq/rules/a.md": "amazonq",
    ".kiro/steering/product.md": "kiro", ".trae/rules/project_rules.md": "trae",
    ".openhands/microagents/repo.md": "openhands", ".idx/airules.md": "firebase-studio",
    ".goosehints": "goose", "CRUSH.md": "crush", "WARP.md": "warp", ".ruler/instructions.md": "generic",
}
NOT_MARKERS = ["src/claude.py", "CLAUDE.md.orig", "docs/cursorrules.txt", ".github/workflows/ci.yml",
               "AGENTS.txt", ".github/prompts/readme.md", "x/.github/copilot-instructions.md"]
# Trailer, message and identity examples from the spec: (kind, text, tool).
SPEC_TEXTS = [
    ("trailer", "Co-Authored-By: Claude <noreply@anthropic.com>", "claude"),
    ("trailer", "Co-Authored-By: Claude <no-reply@anthropic.com>", "claude"),
    ("trailer", "Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>", "claude"),
    ("message", "Fix\n\nGenerated with [Claude Code](https://claude.ai/code)", "claude"),
    ("trailer", "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>", "copilot"),
    ("trailer", "Co-authored-by: Devin AI <158243242+devin-ai-integration[bot]@users.noreply.github.com>", "devin"),
    ("trailer", "Co-authored-by: Codex <noreply@openai.com>", "codex"),
    ("trailer", "Co-authored-by: aider (gpt-4o) <aider@aider.chat>", "aider"),
    ("trailer", "Made-with: Cursor", "cursor"),
    ("trailer", "Signed-off-by: Cursor Agent <cursoragent@cursor.com>", "cursor"),
    ("identity", "copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>", "copilot"),
    ("identity", "devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>", "devin"),
    ("identity", "claude[bot] <209825114+claude[bot]@users.noreply.github.com>", "claude"),
    ("identity", "cursoragent <cursoragent@cursor.com>", "cursor"),
    ("identity", "Jane Doe (aider) <jane@example.com>", "aider"),
]


def test_packaged_registry_is_the_datasets_file():
    assert (ROOT / "churnlab" / "data" / "ai_markers.csv").read_bytes() == (ROOT / "datasets" / "ai_markers.csv").read_bytes()


@pytest.mark.parametrize("path,tool", sorted(SPEC_PATHS.items()))
def test_every_spec_path_marker_is_in_the_registry(path, tool):
    assert [m.tool for m in load_markers().path_matches(path)] == [tool]


@pytest.mark.parametrize("path", NOT_MARKERS)
def test_lookalike_paths_are_not_markers(path):
    assert load_markers().path_matches(path) == []


@pytest.mark.parametrize("kind,text,tool", SPEC_TEXTS)
def test_every_spec_text_marker_is_in_the_registry(kind, text, tool):
    hits = {m.tool for m in load_markers().of_kind(kind) if m.regex.search(text)}
    assert hits == {tool}


@pytest.mark.parametrize("pattern,path,expected", [
    ("CLAUDE.md", "CLAUDE.md", True), ("CLAUDE.md", "a/b/CLAUDE.md", True), ("CLAUDE.md", "xCLAUDE.md", False),
    (".cursor/", ".cursor/rules/a.mdc", True), (".cursor/", ".cursor", False), (".cursor/", "pkg/.cursor/x", True),
    (".github/prompts/*.prompt.md", ".github/prompts/a.prompt.md", True),
    (".github/prompts/*.prompt.md", ".github/prompts/sub/a.prompt.md", False),
    (".github/prompts/*.prompt.md", "pkg/.github/prompts/a.prompt.md", False),
    ("**/.windsurf/rules/", "pkg/.windsurf/rules/a.md", True), (".clinerules", ".clinerules/a.md", True),
    ("docs/**/x.md", "docs/a/b/x.md", True), ("docs/**/x.md", "docs/x.md", True), ("f?.md", "fa.md", True),
    ("[ab].md", "b.md", True), ("[!ab].md", "b.md", False),
])
def test_glob_rules(pattern, path, expected):
    assert bool(glob_regex(pattern).match(path)) is expected


def _registry(tmp_path, text: str) -> Path:
    path = tmp_path / "markers.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("body,line,field,hint", [
    ("cursor,path,.cursorrules,docs\nclaude,paths,CLAUDE.md,docs\n", 3, "kind", "'paths' is not one of path, trailer"),
    ("claude,trailer,^co-authored-by:(claude,docs\n", 2, "pattern", "not a valid regular expression"),
    ("Claude Code,path,CLAUDE.md,docs\n", 2, "tool", "not a lower-case tool name"),
    ("claude,path,,docs\n", 2, "pattern", "is empty"),
    ("claude,path,CLAUDE.md,\n", 2, "source", "is empty"),
    ("claude,path,./CLAUDE.md,docs\n", 2, "pattern", "repository-relative glob"),
    ("claude,path,CLAUDE.md,docs\nclaude,path,CLAUDE.md,again\n", 3, "pattern", "repeats the entry on line 2"),
    ("claude,path,CLAUDE.md,docs,extra\n", 2, "source", "more fields than the header"),
])
def test_invalid_registry_entry_names_the_entry_and_field(tmp_path, body, line, field, hint):
    path = _registry(tmp_path, HEADER + body)
    with pytest.raises(InputError) as err:
        load_markers(path)
    msg = str(err.value)
    assert f"entry on line {line}, field '{field}'" in msg and hint in msg and str(path) in msg


def test_registry_without_a_required_column(tmp_path):
    with pytest.raises(InputError, match="missing column.*source"):
        load_markers(_registry(tmp_path, "tool,kind,pattern\nclaude,path,CLAUDE.md\n"))


def test_missing_registry_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_markers(tmp_path / "nope.csv")


def test_user_registry_extends_without_code_changes(tmp_path):
    repo = Repo(tmp_path / "repo")
    sha = repo.commit("Add notes for our agent", 1, {"AI_NOTES.md": "x\n"})
    custom = _registry(tmp_path, HEADER + "inhouse,path,AI_NOTES.md,our wiki page\n")
    tables = mine(repo.path, None, name="t/r", salt="test-salt-0123", cache=tmp_path / "cache", markers=custom).tables
    assert tables["signals"].select("sha", "tool", "event").rows() == [(sha, "inhouse", "added")]


def test_bad_registry_fails_before_writing(tmp_path, capsys):
    repo = Repo(tmp_path / "repo")
    repo.commit("Start", 1, {"a.txt": "x\n"})
    bad = _registry(tmp_path, HEADER + "claude,regex,CLAUDE.md,docs\n")
    out = tmp_path / "out"
    code = main(["mine", str(repo.path), "--out", str(out), "--markers", str(bad)])
    assert code == 2 and not list(out.rglob("*.parquet"))
    code = main(["signals", str(repo.path), "--markers", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 2 and "field 'kind'" in err and "Traceback" not in err
