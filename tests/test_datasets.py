"""The Cursor-study loader: local copy found relative to the repository root, checksums enforced, overrides."""

from __future__ import annotations

import shutil

import pytest

from churnlab.datasets import CURSOR_STUDY, dataset_dir, load_cursor_study
from churnlab.errors import DataError, InputError


def test_finds_shared_copy_and_loads_panel(cursor_data):
    df = load_cursor_study(download=False)
    assert df.shape == (21994, 40)
    assert df["repo_name"].n_unique() == 2002


def test_env_var_override(tmp_path, monkeypatch, cursor_data):
    src = dataset_dir(CURSOR_STUDY, download=False, files=["repo_metrics.csv"])
    shutil.copy(src / "repo_metrics.csv", tmp_path / "repo_metrics.csv")
    monkeypatch.setenv(CURSOR_STUDY.env_var, str(tmp_path))
    assert dataset_dir(CURSOR_STUDY, download=False, files=["repo_metrics.csv"]) == tmp_path
    assert load_cursor_study(tmp_path, table="repo_metrics", download=False).height == 879


def test_modified_copy_is_rejected(tmp_path):
    (tmp_path / "repo_metrics.csv").write_text("repo_name\nx\n")
    with pytest.raises(DataError, match="sha256"):
        load_cursor_study(tmp_path, table="repo_metrics", download=False)


def test_missing_copy_without_download_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CHURNLAB_CACHE", str(tmp_path / "cache"))
    with pytest.raises(InputError, match="lacks"):
        load_cursor_study(tmp_path, download=False)
    with pytest.raises(InputError, match="table="):
        load_cursor_study(table="nope")


def test_download_checks_the_checksum_and_writes_atomically(tmp_path, monkeypatch):
    """The download path, offline: a file:// URL standing in for the canonical https one."""
    import hashlib

    from churnlab.datasets import Dataset
    from churnlab.errors import DataError

    src = tmp_path / "upstream"
    src.mkdir()
    (src / "a.csv").write_text("x,y\n1,2\n")
    good = hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    monkeypatch.setenv("CHURNLAB_CACHE", str(tmp_path / "cache"))
    ds = Dataset("toy", f"file://{src}", {"a.csv": good}, "CHURNLAB_TOY", "toy")
    got = dataset_dir(ds, download=True)
    assert (got / "a.csv").read_text() == "x,y\n1,2\n" and got == tmp_path / "cache" / "toy"
    bad = Dataset("toy2", f"file://{src}", {"a.csv": "0" * 64}, "CHURNLAB_TOY2", "toy")
    with pytest.raises(DataError, match="expected 0000"):
        dataset_dir(bad, download=True)
    assert not any((tmp_path / "cache" / "toy2").glob("*"))  # nothing half-written left behind
