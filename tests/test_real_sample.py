"""The committed real-data sample (datasets/real_sample): valid tables, small, private, documented, loadable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from churnlab import io, schemas
from churnlab.datasets import real_sample_path
from churnlab.errors import InputError
from churnlab.study import read_manifest, validate_dataset

SAMPLE = Path(__file__).resolve().parent.parent / "datasets" / "real_sample"
TABLES = ("commits", "churn", "revert_flags", "reverts", "signals", "adoption", "survival", "line_ops")
NAMES = [row.name for row in read_manifest(SAMPLE / "manifest.csv")]


def test_every_file_matches_its_schema_and_the_dataset_is_consistent():
    assert validate_dataset(SAMPLE) == []  # schema versions, one head/options/salt per repository, same tables
    for table in TABLES:
        files = io.table_files(SAMPLE, table)
        assert sorted(f.stem for f in files) == sorted(io.repo_key(n) for n in NAMES), table
        for f in files:
            io.read_table(f, table)  # validates dtypes, nulls and keys
    assert not (SAMPLE / "file_changes").exists()  # dropped on purpose (see the data card)


def test_size_limits():
    files = [p for p in SAMPLE.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total < 5_000_000
    assert max(p.stat().st_size for p in files) < 500_000


def test_no_identities_messages_salts_or_machine_paths():
    commits = io.scan_table(SAMPLE, "commits").collect()
    assert commits.select(pl.col("author_name", "author_email", "message").null_count()).row(0) == (commits.height,) * 3
    # revert targets are shas (a subject would be message text)
    refs = io.scan_table(SAMPLE, "reverts").select("reverted_ref").collect()["reverted_ref"].drop_nulls()
    assert refs.str.contains(r"^[0-9a-f]{7,40}$").all()
    assert commits["author_id"].str.contains(r"^[0-9a-f]{16}$").all()
    fingerprints = set()
    for table in TABLES:
        for f in io.table_files(SAMPLE, table):
            prov = io.read_provenance(f)
            text = json.dumps(prov)
            assert "salt" not in {k.lower() for k in prov}  # the fingerprint only
            assert not re.search(r'"(/|[A-Za-z]:\\\\)', text), f"{f}: a local path in provenance"
            assert prov["url"] == f"https://github.com/{prov['repo']}"
            assert prov["sample"]["since"].startswith("2020-01-01")
            assert not prov["options"]["include_identities"] and not prov["options"]["include_messages"]
            fingerprints.add(prov["salt_fingerprint"])
    assert len(fingerprints) == 1


def test_window_cut_is_the_declared_one():
    first = io.scan_table(SAMPLE, "commits").select(pl.col("author_time").min()).collect().item()
    assert first.year >= 2020
    commits = io.scan_table(SAMPLE, "commits").select("repo", "sha").collect()
    for table in ("churn", "revert_flags", "line_ops"):
        shas = io.scan_table(SAMPLE, table).select("repo", "sha").collect()
        assert shas.join(commits, on=["repo", "sha"], how="anti").height == 0, table
    assert io.scan_table(SAMPLE, "survival").select(pl.col("granularity").unique()).collect().to_series().to_list() == ["year"]


def test_data_card_lists_every_repository_with_url_and_head():
    card = (SAMPLE / "README.md").read_text()
    for name in NAMES:
        head = io.read_provenance(io.table_path(SAMPLE, "commits", name))["head"]
        assert f"[{name}](https://github.com/{name})" in card and head in card, name
    for table in TABLES:
        assert f"`{table}`" in card


def test_loader_and_panel():
    assert real_sample_path() == SAMPLE
    panel = from_dataset_repo()
    assert panel.data["unit"].n_unique() == len(NAMES)
    treated = panel.data.filter(pl.col("cohort").is_not_null())["unit"].unique().sort().to_list()
    assert "pallets/flask" not in treated and "pydantic/pydantic-ai" in treated
    with pytest.raises(InputError, match="no real sample"):
        real_sample_path(SAMPLE / "missing")


def from_dataset_repo():
    from churnlab.panel import from_dataset

    return from_dataset(real_sample_path(), start="2023-01-01")


def test_schema_versions_are_current():
    for table in TABLES:
        f = io.table_files(SAMPLE, table)[0]
        assert io.read_provenance(f)["schema_version"] == schemas.get(table).version


@pytest.mark.filterwarnings("ignore::UserWarning:pyfixest")  # collinear terms dropped, inside Sun-Abraham
def test_analyse_skips_an_estimator_the_sample_cannot_identify():
    # Under first_config, Sun-Abraham's cohort x event-time terms are collinear on this sample; the other
    # estimators still run and the reason is kept (analyse used to stop at the first such error).
    from churnlab.analysis import analyse

    a = analyse(SAMPLE, outcomes=("new_code_churn",), rule="first_config", start="2023-01-01", end="2026-06-01",
                estimators=("imputation", "sun_abraham", "twfe"), figures=False)
    assert "collinear" in a.skipped["new_code_churn"]["sun_abraham"]
    assert set(a.headline["estimator"]) == {"imputation", "twfe"}
