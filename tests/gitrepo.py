"""A tiny builder for scenario repositories: real git commands, controlled authors and dates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

BASE_TIME = 1_700_000_000  # 2023-11-14T22:13:20Z
DAY = 86_400


class GitRepo:
    """A repository in ``path`` built commit by commit.

    Times are seconds after ``BASE_TIME`` with an optional UTC offset such as ``"+0530"``.
    """

    def __init__(self, path: Path, *, bare: bool = False) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", *(["--bare"] if bare else []))

    def git(self, *args: str | bytes, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, env={**os.environ, **(env or {})}, input=input,
                              capture_output=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"git {args} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode("utf-8", "replace")

    def write(self, name: str | bytes, content: str | bytes) -> None:
        path = self.path / os.fsdecode(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)

    def remove(self, name: str) -> None:
        self.git("rm", "--quiet", name)

    def commit(self, message: str | bytes = "change", *, t: int = 0, tz: str = "+0000", author: str = "Ann",
               email: str = "ann@example.com", allow_empty: bool = False) -> str:
        stamp = f"{BASE_TIME + t} {tz}"
        env = {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": stamp,
               "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": stamp}
        self.git("add", "--all")
        msg = message if isinstance(message, bytes) else message.encode()
        self.git("commit", "--quiet", "--no-verify", *(["--allow-empty"] if allow_empty else []), "-F", "-",
                 env=env, input=msg)
        return self.head()

    def merge(self, branch: str, *, t: int = 0, message: str = "merge", octopus: tuple[str, ...] = ()) -> str:
        stamp = f"{BASE_TIME + t} +0000"
        env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        self.git("merge", "--quiet", "--no-ff", "-m", message, branch, *octopus, env=env)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()
