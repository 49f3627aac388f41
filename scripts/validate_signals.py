"""Compare churnlab's AI-adoption dates with direct ``git log`` searches on real repositories.

For each repository, churnlab's ``first_config`` and ``first_trailer`` dates (repository level) are set
beside the earliest commit that hand-written ``git log`` searches find:

- config: ``git log --full-history --no-merges --diff-filter=AR -- <pathspecs of the spec's marker files>``
- trailer: ``git log -i -P --grep=<trailer/message regex>`` and ``git log -i -P --author=<agent regex>``

The searches are written independently of the marker registry, so a disagreement points at a registry gap,
a glob that git reads differently, or a search a researcher would get wrong; the table says which.

Usage::

    python scripts/validate_signals.py PATH[=owner/name] ... > signals-validation.md

Prints a markdown table (and per-repository notes on disagreements) to stdout.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import datetime, timezone

import polars as pl

from churnlab.git import open_repository
from churnlab.mine.signals import scan

# The spec's marker files as git pathspecs (glob magic: ** crosses folders).
PATHSPECS = [
    "**/.cursorrules", "**/.cursorignore", "**/.cursor/**", "**/CLAUDE.md", "**/CLAUDE.local.md", "**/.claude/**",
    "**/.mcp.json", "**/AGENTS.md", ".github/copilot-instructions.md", ".github/instructions/*.instructions.md",
    ".github/prompts/*.prompt.md", ".github/workflows/copilot-setup-steps.yml", ".github/workflows/claude*.yml",
    "**/GEMINI.md", "**/.gemini/**", "**/.windsurfrules", "**/.windsurf/rules/**", "**/.clinerules",
    "**/.clinerules/**", "**/.roo/**", ".junie/guidelines.md", "**/.aider.conf.yml", "**/.aiderignore",
    ".amazonq/rules/**", ".kiro/steering/**", ".trae/rules/**", ".openhands/microagents/repo.md",
    ".idx/airules.md", "**/.goosehints", "**/CRUSH.md", "**/WARP.md", "**/.ruler/**",
]
GREP = (r"^co-authored-by:.*(claude|anthropic\.com|copilot@users\.noreply|devin|openai\.com|aider@aider\.chat"
        r"|cursoragent@cursor\.com)|generated with \[?claude code|^made-with: *cursor|^signed-off-by: *cursor agent"
        r"|^aider: ")
AUTHOR = r"copilot-swe-agent|devin-ai-integration|claude\[bot\]|cursor ?agent|\(aider\)|google-labs-jules"


def _git(git_dir: str, *args: str) -> list[tuple[str, int]]:
    out = subprocess.run(["git", f"--git-dir={git_dir}", "-c", "core.quotepath=false", "log", "--format=%H %at",
                          *args], capture_output=True, text=True, check=True).stdout
    return [(sha, int(t)) for sha, t in (line.split() for line in out.splitlines())]


def _earliest(rows: list[tuple[str, int]]) -> tuple[datetime | None, str | None, int]:
    if not rows:
        return None, None, 0
    sha, t = min(rows, key=lambda r: (r[1], r[0]))
    return datetime.fromtimestamp(t, timezone.utc), sha, len({s for s, _ in rows})


def direct(git_dir: str) -> dict:
    """Earliest config and trailer commits by plain ``git log`` searches."""
    config = _git(git_dir, "--full-history", "--no-merges", "--diff-filter=AR", "HEAD", "--",
                  *(f":(glob){p}" for p in PATHSPECS))
    trailer = _git(git_dir, "-i", "-P", f"--grep={GREP}", "HEAD") + _git(git_dir, "-i", "-P", "--use-mailmap",
                                                                         f"--author={AUTHOR}", "HEAD")
    return {"config": _earliest(config), "trailer": _earliest(trailer)}


def _day(t: datetime | None) -> str:
    return f"{t:%Y-%m-%d}" if t is not None else "none"


def _compare(ours: tuple, theirs: tuple) -> str:
    (t1, s1), (t2, s2) = ours, theirs[:2]
    if t1 is None and t2 is None:
        return "both none"
    if s1 == s2:
        return "same commit"
    if t1 == t2:
        return "same time"
    if t1 is None or t2 is None:
        return "only " + ("git log" if t1 is None else "churnlab")
    return f"differ ({(t2 - t1).total_seconds() / 86400:+.0f} d)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repos", nargs="+", help="PATH[=owner/name] of a local or bare repository")
    args = ap.parse_args(argv)
    print("| repository | commits | AI-signalled commits | tools | first_config (churnlab / git log) | "
          "first_trailer (churnlab / git log) | first_any | authors adopting (config / trailer) | markers at head | "
          "removed later |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for spec in args.repos:
        path, _, name = spec.partition("=")
        started = time.perf_counter()
        res = scan(path, name=name or None)
        git_dir = str(open_repository(path).git_dir)
        d = direct(git_dir)
        row = res.adoption.filter(pl.col("level") == "repo").row(0, named=True)
        authors = res.adoption.filter(pl.col("level") == "author")
        n_ai = res.signals.filter(pl.col("kind") != "path")["sha"].n_unique()
        cfg = (row["first_config_time"], row["first_config_sha"])
        trl = (row["first_trailer_time"], row["first_trailer_sha"])
        print(f"| {res.repo} | {res.commits:,} | {n_ai:,} | {', '.join(row['tools'])} | "
              f"{_day(cfg[0])} / {_day(d['config'][0])}: {_compare(cfg, d['config'])} | "
              f"{_day(trl[0])} / {_day(d['trailer'][0])}: {_compare(trl, d['trailer'])} | {_day(row['first_any_time'])} | "
              f"{authors['first_config_time'].is_not_null().sum()} / {authors['first_trailer_time'].is_not_null().sum()} | "
              f"{len(res.head_markers)} | {'yes' if row['markers_removed'] else 'no'} |")
        for rule, ours, theirs in (("config", cfg, d["config"]), ("trailer", trl, d["trailer"])):
            if ours[1] != theirs[1]:
                what = res.signals.filter(pl.col("sha") == ours[1]).select("kind", "tool", "event", "path").rows() if ours[1] else []
                notes.append(f"- {res.repo}, {rule}: churnlab {ours[1] and ours[1][:10]} {what}; "
                             f"git log {theirs[1] and theirs[1][:10]} ({theirs[2]} commits found)")
        print(f"{res.repo}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if notes:
        print("\nDisagreements:\n")
        print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
