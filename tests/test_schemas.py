"""Schemas are declared once; the table documentation is generated from them and kept in sync."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from churnlab import io, schemas
from churnlab.errors import InputError, SchemaError

ROOT = Path(__file__).resolve().parents[1]


def test_docs_tables_md_is_generated_from_the_schemas():
    assert (ROOT / "docs" / "tables.md").read_text() == schemas.markdown(), (
        "docs/tables.md is stale: regenerate it with the command in churnlab.schemas.markdown's docstring")


def test_every_table_has_a_key_of_its_own_columns_and_documented_columns():
    for table in schemas.TABLES.values():
        assert set(table.key) <= set(table.names), table.name
        assert len(set(table.names)) == len(table.names), table.name
        assert all(c.doc for c in table.columns), table.name


def test_write_rejects_wrong_columns_types_nulls_and_duplicate_keys(tmp_path):
    good = pl.DataFrame({"repo": ["r"], "sha": ["a" * 40]})
    with pytest.raises(SchemaError, match="missing columns"):
        io.write_table(good, "commits", tmp_path / "c.parquet", {})
    with pytest.raises(InputError, match="unknown table"):
        schemas.get("nope")
    assert not list(tmp_path.iterdir())  # nothing written on failure
