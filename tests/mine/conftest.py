"""Scenario repositories built with plain git commands, with exact author and committer dates."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl
import pytest

from churnlab.git import BlobReader, stream_git
from churnlab.mine import lines as L
from churnlab.mine.provenance import MergeTrees, Tracker, merge_tree_args

BASE_EPOCH = 1704067200  # 2024-01-01T00:00:00Z
AUTHORS = {"alice": "alice@example.com", "bob": "bob@example.com", "carol": "carol@example.com"}


class ScenarioRepo:
    """A throwaway repository: write files, commit at day offsets, branch and merge."""

    def __init__(self, path: Path, *, object_format: str = "sha1") -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", f"--object-format={object_format}")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        full = {**os.environ, **(env or {})}
        proc = subprocess.run(["git", *args], cwd=self.path, env=full, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"git {args}: {proc.stderr}")
        return proc.stdout

    def write(self, name: str, lines: list[str] | str) -> None:
        text = lines if isinstance(lines, str) else "".join(f"{ln}\n" for ln in lines)
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def read(self, name: str) -> list[str]:
        return (self.path / name).read_text().splitlines()

    def remove(self, name: str) -> None:
        (self.path / name).unlink()

    def move(self, old: str, new: str) -> None:
        (self.path / old).rename(self.path / new)

    def _env(self, day: float, author: str) -> dict[str, str]:
        stamp = f"{int(BASE_EPOCH + day * 86400)} +0000"
        return {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": AUTHORS[author], "GIT_AUTHOR_DATE": stamp,
                "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": AUTHORS[author], "GIT_COMMITTER_DATE": stamp}

    def commit(self, day: float, author: str = "alice", message: str = "change") -> str:
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message, env=self._env(day, author))
        return self.head()

    def merge(self, branch: str, day: float, author: str = "alice") -> str:
        self.git("merge", "--quiet", "--no-ff", "-m", f"merge {branch}", branch, env=self._env(day, author))
        return self.head()

    def revert(self, sha: str, day: float, author: str = "alice") -> str:
        self.git("revert", "--no-edit", sha, env=self._env(day, author))
        return self.head()

    def checkout(self, *args: str) -> None:
        self.git("checkout", "--quiet", *args)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def scenario(tmp_path: Path) -> ScenarioRepo:
    return ScenarioRepo(tmp_path / "repo")


@pytest.fixture
def scenario_repo_class() -> type[ScenarioRepo]:
    """The builder itself, for tests that make several repositories (hypothesis examples)."""
    return ScenarioRepo


def _replay(git_dir: Path, head: str, commits: pl.DataFrame, excluded: Iterable[str] = (), *,
            first_parent: bool = False, find_copies: bool = False) -> Iterator[tuple[str, Tracker]]:
    """Feed a history to a line-provenance tracker as the line stage does (the patch stream, and in the default
    mode the merges' tree diffs and blobs); yields ``(sha, tracker)`` after each commit."""
    merges = None if first_parent else MergeTrees(stream_git(merge_tree_args(head), git_dir=git_dir),
                                                  BlobReader(git_dir))
    tracker = Tracker(commits, set(excluded), first_parent=first_parent, moves_churn=False, bulk_lines=5000,
                      sample_days=30, merges=merges)
    try:
        args = L.log_args(head, first_parent=first_parent, find_copies=find_copies)
        for record in L.records(stream_git(args, git_dir=git_dir)):
            tracker.feed(record)
            yield record[:40].decode(), tracker
    finally:
        if merges is not None:
            merges.close()


@pytest.fixture(scope="session")
def replay():
    """:func:`_replay`, for tests that check the tracker commit by commit."""
    return _replay


@pytest.fixture
def branchy(scenario):
    """Merges, renames into and out of a vendored folder, a lock file, a generated file by .gitattributes,
    two authors (copy/paste by author, churn by self and others)."""
    s = scenario
    s.write(".gitattributes", "gen/** linguist-generated=true\n")
    s.write("app.py", ["def run():", "    return compute(1)", "value = 2"])
    s.write("package-lock.json", ['{"a": 1}'])
    s.commit(0)
    s.checkout("-b", "feature")
    s.write("lib.py", ["def helper():", "    return compute(2)", "    total = add(1, 2)"])
    s.commit(1, "bob")
    s.move("lib.py", "vendor_lib.py")
    s.write("gen/schema.py", ["schema = load()", "fields = parse(schema)"])
    s.commit(2, "bob")
    s.checkout("main")
    s.write("app.py", ["def run():", "    return compute(3)", "value = 2", "extra = more()"])
    s.write("package-lock.json", ['{"a": 2}'])
    s.commit(3)
    s.merge("feature", 4)
    s.write("app.py", ["def run():", "    return compute(3)", "    total = add(1, 2)"])
    s.git("mv", "gen/schema.py", "schema.py")
    s.commit(5, "bob")
    s.write("app.py", ["def run():", "    return compute(4)"])
    s.commit(20)
    return s
