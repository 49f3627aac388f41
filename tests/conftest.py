"""Test-wide setup: a hermetic git configuration, so the suite passes on a machine with no git identity."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _hermetic_git(tmp_path_factory: pytest.TempPathFactory) -> None:
    cfg = tmp_path_factory.mktemp("gitconfig") / "gitconfig"
    cfg.write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
        "[protocol \"file\"]\n\tallow = always\n"
        "[core]\n\tautocrlf = false\n"
        "[commit]\n\tgpgsign = false\n"
    )
    os.environ["GIT_CONFIG_GLOBAL"] = str(cfg)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    os.environ["GIT_TERMINAL_PROMPT"] = "0"
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        os.environ.pop(var, None)


_CURSOR: dict[str, object] = {}


@pytest.fixture(scope="session")
def cursor_data():
    """The Cursor study's released files: the shared copy beside the project, the cache, or a checksummed download.

    A clone with neither the shared copy nor network access skips these tests, saying why, instead of failing.
    """
    from churnlab.datasets import CURSOR_STUDY, dataset_dir
    from churnlab.errors import InputError

    if "dir" not in _CURSOR:
        try:
            _CURSOR["dir"] = dataset_dir(CURSOR_STUDY, download=True)
        except InputError as exc:
            _CURSOR["dir"] = None
            _CURSOR["why"] = str(exc)
    if _CURSOR["dir"] is None:
        pytest.skip(f"Cursor study data unavailable (no shared copy, no network): {_CURSOR['why']}")
    return _CURSOR["dir"]
