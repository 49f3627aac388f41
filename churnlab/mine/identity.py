"""Author identities: pseudonyms and bot rules.

An author id is ``sha256(salt + email)`` cut to 16 hex digits, where ``email`` is the mailmap-normalised,
lower-cased address git reports. The salt is the user's (``salt=`` or ``$CHURNLAB_SALT``) or a random one
kept in the churnlab cache folder, so ids are stable across repositories and runs on one machine (author
panels need that) but cannot be reversed by hashing a list of known emails. Only a fingerprint of the salt
is written to provenance.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

from ..errors import InputError
from ..git import cache_dir

__all__ = ["BOT_PATTERN", "is_bot", "pseudonymise", "resolve_salt", "salt_fingerprint"]

# Bot rules (spec section 1). AI agents that commit under their own identity are bots and AI signals.
BOT_PATTERN = re.compile(
    r"\[bot\]|^dependabot|^renovate|^github-actions|^greenkeeper|^snyk-bot|^pre-commit-ci|^mergify"
    r"|^allcontributors|^imgbot|^codecov|^deepsource-autofix|^coderabbitai|^web-flow$"
    r"|^copilot-swe-agent|^devin-ai-integration|^cursoragent|^cursor agent$| \(aider\)$",
    re.IGNORECASE,
)
_BOT_EMAILS = re.compile(r"\[bot\]@|^bot@renovateapp\.com$|^cursoragent@cursor\.com$|@dependabot\.com$", re.I)


def is_bot(name: str, email: str) -> bool:
    return bool(BOT_PATTERN.search(name.strip()) or _BOT_EMAILS.search(email.strip()))


def resolve_salt(salt: str | None = None, *, cache: str | os.PathLike | None = None) -> str:
    """The salt to use: the argument, ``$CHURNLAB_SALT``, or one created once in the cache folder."""
    if salt is None:
        salt = os.environ.get("CHURNLAB_SALT")
    if salt is not None:
        if len(salt) < 8:
            raise InputError("the pseudonymisation salt must have at least 8 characters; pass a longer --salt")
        return salt
    path = Path(cache_dir(cache)) / "salt"
    if path.is_file():
        return path.read_text().strip()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = secrets.token_hex(16)
        # O_EXCL: two processes starting together keep the first salt, never two different ones.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(fresh + "\n")
    except FileExistsError:
        pass
    except OSError as exc:
        raise InputError(f"cannot keep the salt in {path}: {exc.strerror}; pass --salt or set CHURNLAB_SALT") from None
    return path.read_text().strip()


def salt_fingerprint(salt: str) -> str:
    return hashlib.sha256(b"churnlab-salt-fingerprint\0" + salt.encode()).hexdigest()[:12]


def pseudonymise(email: str, salt: str) -> str:
    return hashlib.sha256(salt.encode() + b"\0" + email.strip().lower().encode()).hexdigest()[:16]
