"""Schemas are declared once; the table documentation is generated from them and kept in sync."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
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


def test_polars_schemas_are_what_the_arrow_schemas_read_back_as():
    for table in schemas.TABLES.values():
        assert table.polars_schema() == pl.from_arrow(table.arrow_schema().empty_table()).schema, table.name


def _line_ops(n: int) -> pl.DataFrame:
    """``n`` valid rows of the line_ops table (counts differ from row to row)."""
    counts = {c: [i * 7 + k for i in range(n)] for k, c in enumerate(schemas.get("line_ops").names[3:])}
    return pl.DataFrame({"repo": ["o/r"] * n, "sha": [f"{i:040x}" for i in range(n)],
                         "path": [f"src/f{i % 3}.py" for i in range(n)], **counts})


def test_write_rejects_wrong_columns_types_nulls_and_duplicate_keys(tmp_path):
    good = _line_ops(5)
    target = tmp_path / "t.parquet"
    bad = {
        "missing columns": good.drop("moved"),
        "unexpected columns": good.with_columns(extra=pl.lit(1)),
        "column types do not match": good.with_columns(added=pl.lit("many")),
        "column sha has nulls": good.with_columns(sha=pl.when(pl.col("added") > 20).then(None).otherwise("sha")),
        "key .* is not unique": pl.concat([good, good.head(1)]),
    }
    for message, frame in bad.items():
        with pytest.raises(SchemaError, match=message):
            io.write_table(frame, "line_ops", target, {})
        assert not list(tmp_path.iterdir()), message  # nothing written on failure, not even a temporary file
    with pytest.raises(InputError, match="unknown table"):
        schemas.get("nope")


def test_write_in_parts_reads_back_exactly_with_provenance(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "PART_ROWS", 4)
    frame = _line_ops(10)
    path = io.write_table(frame, "line_ops", tmp_path / "t.parquet", {"head": "abc"})
    assert pq.ParquetFile(path).metadata.num_row_groups == 3  # rows 0-3, 4-7, 8-9
    assert pq.read_schema(path).remove_metadata() == schemas.get("line_ops").arrow_schema()
    assert io.read_table(path).equals(frame)
    assert io.read_provenance(path)["head"] == "abc"
    empty = io.write_table(frame.head(0), "line_ops", tmp_path / "e.parquet", {})
    assert io.read_table(empty).equals(frame.head(0))
    compact = io.write_table(frame, "line_ops", tmp_path / "c.parquet", {"head": "abc"}, compact=True)
    assert pq.ParquetFile(compact).metadata.num_row_groups == 1
    assert io.read_table(compact).equals(frame) and io.read_provenance(compact)["head"] == "abc"


def _parts(*frames: pl.DataFrame):
    return lambda: iter(frames)


def test_rows_given_in_parts_are_written_as_one_frame_is(tmp_path, monkeypatch):
    # parts of any size (empty ones too) make the row groups write_table makes
    monkeypatch.setattr(io, "PART_ROWS", 4)
    frame = _line_ops(10)
    parts = _parts(frame.slice(0, 3), frame.slice(3, 0), frame.slice(3, 6), frame.slice(9, 1))
    path = io.write_parts(parts, "line_ops", tmp_path / "p.parquet", {"head": "abc"})
    whole = io.write_table(frame, "line_ops", tmp_path / "w.parquet", {"head": "abc"})
    groups = [pq.ParquetFile(f).metadata.row_group(i).num_rows for f in (path, whole) for i in range(3)]
    assert groups == [4, 4, 2] * 2
    assert io.read_table(path).equals(frame) and io.read_provenance(path)["head"] == "abc"
    assert pq.read_schema(path).remove_metadata() == schemas.get("line_ops").arrow_schema()
    empty = io.write_parts(_parts(frame.head(0), frame.head(0)), "line_ops", tmp_path / "e.parquet", {})
    assert pq.ParquetFile(empty).metadata.num_row_groups == 1 and io.read_table(empty).equals(frame.head(0))


def test_parts_are_refused_as_a_frame_is_and_leave_the_previous_file(tmp_path, monkeypatch):
    # the key across parts (checked once all are written), nulls and types in a later part
    path = io.write_table(_line_ops(3), "line_ops", tmp_path / "t.parquet", {"head": "old"})
    monkeypatch.setattr(io, "PART_ROWS", 2)
    good = _line_ops(5)
    bad = {
        "key .* is not unique": _parts(good, good.slice(2, 1)),
        "column sha has nulls": _parts(good, good.with_columns(sha=pl.lit(None, dtype=pl.String))),
        "column types do not match": _parts(good, good.with_columns(added=pl.lit("many"))),
        # a key column (hashed per part): refused as a type, not failing in the hashing
        "column types do not match the schema": _parts(
            good, good.with_columns(sha=pl.lit([1], dtype=pl.List(pl.Int64)))),
        "missing columns": _parts(good, good.drop("moved")),
    }
    for message, parts in bad.items():
        with pytest.raises(SchemaError, match=message):
            io.write_parts(parts, "line_ops", path, {"head": "new"})
        assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"], message  # no temporary file left
        assert io.read_provenance(path)["head"] == "old" and io.read_table(path).equals(_line_ops(3)), message


def test_keys_whose_hashes_repeat_are_compared_themselves(tmp_path, monkeypatch):
    # rows are told apart by a hash of their key first; equal hashes of different keys are not duplicates
    monkeypatch.setattr(io, "_key_hashes", lambda part, spec: pl.Series([7] * part.height, dtype=pl.UInt64))
    frame = _line_ops(4)
    path = io.write_parts(_parts(frame.head(2), frame.tail(2)), "line_ops", tmp_path / "t.parquet", {})
    assert io.read_table(path).equals(frame)
    with pytest.raises(SchemaError, match="is not unique"):
        io.write_parts(_parts(frame.head(2), frame.head(1)), "line_ops", tmp_path / "u.parquet", {})


def test_a_part_that_fails_leaves_the_previous_file(tmp_path, monkeypatch):
    """A value only the cast of a later part rejects: the earlier parts are written, then dropped with the
    temporary file; the table written before stays whole."""
    path = io.write_table(_line_ops(3), "line_ops", tmp_path / "t.parquet", {"head": "old"})
    monkeypatch.setattr(io, "PART_ROWS", 4)
    frame = _line_ops(10).with_columns(added=pl.when(pl.col("added") == 63).then(2**40).otherwise("added"))
    spec = schemas.get("line_ops")
    narrow = schemas.Table(spec.name, spec.version, spec.key, spec.doc, tuple(
        schemas.Column(c.name, pa.int32(), c.doc) if c.name == "added" else c for c in spec.columns))
    monkeypatch.setitem(schemas.TABLES, "line_ops", narrow)
    with pytest.raises(SchemaError, match="column types do not match"):
        io.write_table(frame, "line_ops", path, {"head": "new"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]
    monkeypatch.setitem(schemas.TABLES, "line_ops", spec)
    assert io.read_provenance(path)["head"] == "old" and io.read_table(path).equals(_line_ops(3))
