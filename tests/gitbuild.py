"""Tiny scenario repositories for tests: commits with chosen authors, dates and messages."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

EPOCH = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)


def day(n: float) -> datetime:
    """``EPOCH`` plus ``n`` days: scenario dates are hand-checkable offsets."""
    return EPOCH + timedelta(days=n)


class Repo:
    """A work tree in ``path`` driven by git; every commit gets an explicit author, date and message."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, when: float | None = None, name: str = "Ann Author",
            email: str = "ann@example.com") -> str:
        env = dict(os.environ)
        stamp = (day(when) if when is not None else EPOCH).strftime("%Y-%m-%dT%H:%M:%S+0000")
        env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_AUTHOR_DATE=stamp,
                   GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email, GIT_COMMITTER_DATE=stamp)
        proc = subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def write(self, path: str, text: str | bytes) -> None:
        target = self.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)

    def commit(self, message: str, when: float, files: dict[str, str | bytes | None] | None = None,
               **who: str) -> str:
        """Write (or, for ``None``, delete) ``files``, commit everything with ``message`` at day ``when``."""
        for path, text in (files or {}).items():
            if text is None:
                self.git("rm", "-q", path)
            else:
                self.write(path, text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, when=when, **who)
        return self.head()

    def move(self, src: str, dst: str) -> None:
        (self.path / dst).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", src, dst)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")
