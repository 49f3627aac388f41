"""The only code that reads or writes Parquet.

A dataset is a folder with one sub-folder per table and one file per repository::

    OUT/commits/<repo_key>.parquet
    OUT/file_changes/<repo_key>.parquet

so that ``polars.scan_parquet("OUT/commits/*.parquet")`` reads a study of thousands of repositories lazily.
Every file carries its provenance (churnlab version, schema version, repository, head, options, time mined)
as JSON in the Parquet metadata under the key ``churnlab``. Writes are atomic: a file is written beside its
target and renamed over it, so an interrupted run never leaves a half-written table.

``out`` may also be a filesystem URL that fsspec understands (``file://``, ``memory://``, ``s3://``, ...):
``file://`` URLs are plain local paths; other files are written to a local temporary file and uploaded in one
``put`` (object stores publish an object whole, so readers never see half a file).
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from . import schemas
from .errors import InputError, SchemaError

__all__ = [
    "conform",
    "read_provenance",
    "read_table",
    "repo_key",
    "scan_table",
    "split_url",
    "table_files",
    "table_path",
    "validate",
    "write_parts",
    "write_table",
]

META_KEY = b"churnlab"
# URL schemes polars scans lazily by itself; other fsspec URLs are read through fsspec.
_POLARS_NATIVE = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "azure", "http", "https", "hf")


def repo_key(name: str) -> str:
    """A file-name-safe key for a repository name such as ``pallets/flask``."""
    key = re.sub(r"[^A-Za-z0-9._-]+", "__", name.strip("/")).strip("_.")
    if not key:
        raise InputError(f"cannot derive a file name from repository name {name!r}; pass name=...")
    return key


def split_url(path: str | os.PathLike) -> tuple[Any, str]:
    """``(None, local path)`` for paths and ``file://`` URLs, else ``(fsspec filesystem, path inside it)``."""
    text = os.fspath(path)
    if "://" not in text:
        return None, text
    if text.startswith("file://"):
        return None, text.removeprefix("file://")
    try:
        import fsspec
    except ImportError:
        raise InputError(f"writing to {text} needs fsspec; pip install 'churnlab[dask]' or give a local folder") from None
    try:
        return fsspec.core.url_to_fs(text)
    except (ValueError, ImportError) as exc:
        raise InputError(f"cannot open {text}: {exc}; give a local folder or a URL fsspec understands") from None


def table_path(out: str | os.PathLike, table: str, repo: str) -> Path | str:
    """Where ``repo``'s ``table`` lives: a ``Path`` under a local folder, a URL under a remote one."""
    name = f"{schemas.get(table).name}/{repo_key(repo)}.parquet"
    fs, local = split_url(out)
    if fs is None:
        return Path(local) / name
    return f"{os.fspath(out).rstrip('/')}/{name}"


def table_files(out: str | os.PathLike, table: str) -> list[Path] | list[str]:
    """Every file of ``table`` in a dataset, sorted (one per repository)."""
    spec = schemas.get(table)
    fs, root = split_url(out)
    if fs is None:
        return sorted((Path(root) / spec.name).glob("*.parquet"))
    return sorted(fs.unstrip_protocol(p) for p in fs.glob(f"{root.rstrip('/')}/{spec.name}/*.parquet"))


def conform(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """``df`` with the declared columns in their order and types: the frame that reading its file back gives
    (columns and nulls checked; the key is checked where a table is written)."""
    spec = schemas.get(table)
    _check_frame(df, spec, key=False)
    return df.select(spec.names).cast(spec.polars_schema())


def validate(df: pl.DataFrame, table: str) -> pa.Table:
    """Check ``df`` against the declared schema and return it as an Arrow table with exactly those types."""
    spec = schemas.get(table)
    _check_frame(df, spec)
    return _arrow_part(df, spec)


def _check_frame(df: pl.DataFrame, spec: schemas.Table, *, key: bool = True) -> None:
    """The checks that need the whole frame: columns, nulls in columns declared not nullable, a unique key
    (``key=False``: a part of the rows, whose key is checked with the others', :func:`write_parts`)."""
    table = spec.name
    missing = [c for c in spec.names if c not in df.columns]
    extra = [c for c in df.columns if c not in spec.names]
    if missing or extra:
        raise SchemaError(f"table {table}: missing columns {missing}, unexpected columns {extra}")
    required = [c.name for c in spec.columns if not c.nullable]
    nulls = df.select(pl.col(required).null_count()).row(0) if df.height and required else [0] * len(required)
    for name, n in zip(required, nulls):
        if n:
            raise SchemaError(f"table {table}: column {name} has nulls but is declared not nullable")
    if key and df.height and df.select(spec.key).is_duplicated().any():
        dup = df.filter(df.select(spec.key).is_duplicated()).select(spec.key).head(5)
        raise SchemaError(f"table {table}: key {spec.key} is not unique, e.g. {dup.rows()}")


def _arrow_part(df: pl.DataFrame, spec: schemas.Table) -> pa.Table:
    """Rows of a checked frame as Arrow with exactly the declared types (a copy: strings change layout)."""
    try:
        return df.select(spec.names).to_arrow().cast(spec.arrow_schema())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SchemaError(f"table {spec.name}: column types do not match the schema: {exc}") from None


# Rows converted to Arrow and written at a time (one Parquet row group each): the Arrow copy of a table is
# never whole in memory (benchmarks/bench_lines.py --memory-only: the row "tables written").
PART_ROWS = 16_384


def write_table(df: pl.DataFrame, table: str, path: str | os.PathLike, provenance: dict[str, Any], *,
                compact: bool = False) -> Path:
    """Validate ``df`` and write it atomically to ``path`` with ``provenance`` in the file metadata.

    Rows are converted and written :data:`PART_ROWS` at a time, one row group each. ``compact=True`` writes
    smaller files for distribution (committed samples): zstd level 19, one row group, and no copy of the Arrow
    schema in the footer (about 3 KB per file; the Parquet types already restore every declared dtype, and
    :func:`read_table` validates them).
    """
    spec = schemas.get(table)
    _check_frame(df, spec)
    write = functools.partial(_write_parquet, df, spec, _file_schema(spec, provenance), compact=compact)
    return _atomic(write, path)


def write_parts(parts: Callable[[], Iterable[pl.DataFrame]], table: str, path: str | os.PathLike,
                provenance: dict[str, Any]) -> Path | str:
    """:func:`write_table` for rows that come in parts (a mine's tables, never whole in memory).

    ``parts()`` gives the parts in order (called again only to name duplicate keys). Each part is checked
    (columns, nulls, types) and written as it comes, in row groups of :data:`PART_ROWS` rows as
    :func:`write_table` makes them; the key is checked across all parts before the file takes its name, so a
    refused table leaves nothing behind (nor does the previous file at ``path`` change).
    """
    spec = schemas.get(table)
    write = functools.partial(_write_parquet_parts, parts, spec, _file_schema(spec, provenance))
    return _atomic(write, path)


def _file_schema(spec: schemas.Table, provenance: dict[str, Any]) -> pa.Schema:
    meta = dict(provenance, table=spec.name, schema_version=spec.version)
    return spec.arrow_schema().with_metadata({META_KEY: json.dumps(meta, sort_keys=True, default=str).encode()})


def _atomic(write: Callable[[str], None], path: str | os.PathLike) -> Path | str:
    """``write(file)`` to a temporary file beside ``path``, renamed over it once whole (uploaded, for a URL)."""
    fs, local = split_url(path)
    if fs is not None:
        return _upload(write, fs, local, path)
    path = Path(local)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write to {path.parent}: {exc.strerror}; choose a writable --out folder") from None
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _write_parquet(df: pl.DataFrame, spec: schemas.Table, schema: pa.Schema, path: str, *, compact: bool) -> None:
    # Without the Arrow schema pyarrow also drops the schema's metadata: compact files get the provenance
    # added to the footer itself.
    options = dict(compression_level=19, store_schema=False) if compact else {}
    rows = max(df.height, 1) if compact else PART_ROWS
    with pq.ParquetWriter(path, schema, compression="zstd", **options) as writer:
        for start in range(0, max(df.height, 1), rows):  # an empty table still gets its one (empty) row group
            writer.write_table(_arrow_part(df.slice(start, rows), spec))
        if compact:
            writer.add_key_value_metadata(schema.metadata)
    # pyarrow's memory pool keeps what the parts used: give it back before the next table's parts
    pa.default_memory_pool().release_unused()


def _write_parquet_parts(parts: Callable[[], Iterable[pl.DataFrame]], spec: schemas.Table, schema: pa.Schema,
                         path: str) -> None:
    hashes: list[pl.Series] = []  # of each row's key: 8 bytes a row, not the key's strings
    held: list[pa.Table] = []  # rows converted but not written yet, fewer than PART_ROWS
    groups = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        def put(rows: pa.Table) -> None:
            nonlocal groups
            writer.write_table(rows, row_group_size=max(rows.num_rows, 1))  # one row group
            groups += 1

        for part in parts():
            _check_frame(part, spec, key=False)
            held.append(_arrow_part(part, spec))  # a copy of this part only; refuses types that do not cast
            hashes.append(_key_hashes(part, spec))
            if sum(t.num_rows for t in held) >= PART_ROWS:
                rows = pa.concat_tables(held)
                full = rows.num_rows - rows.num_rows % PART_ROWS
                for start in range(0, full, PART_ROWS):
                    put(rows.slice(start, PART_ROWS))
                held = [rows.slice(full)]
                pa.default_memory_pool().release_unused()
        rest = pa.concat_tables(held) if held else _arrow_part(pl.from_arrow(spec.arrow_schema().empty_table()), spec)
        if rest.num_rows or not groups:  # an empty table still gets its one (empty) row group
            put(rest)
    pa.default_memory_pool().release_unused()
    _check_keys(hashes, parts, spec)


def _key_hashes(part: pl.DataFrame, spec: schemas.Table) -> pl.Series:
    declared = spec.polars_schema()  # equal keys hash alike only in equal types (parts made apart may differ)
    return part.select(pl.col(k).cast(declared[k]) for k in spec.key).hash_rows(seed=0)


def _check_keys(hashes: list[pl.Series], parts: Callable[[], Iterable[pl.DataFrame]], spec: schemas.Table) -> None:
    """The key unique across parts: by the rows' key hashes, then by the keys themselves where hashes repeat."""
    if not hashes:
        return
    hashed = pl.concat(hashes)
    repeated = hashed.filter(hashed.is_duplicated()).unique()
    if not repeated.len():
        return
    declared = spec.polars_schema()
    keys = pl.concat([part.select(pl.col(k).cast(declared[k]) for k in spec.key)
                      .filter(_key_hashes(part, spec).is_in(repeated.implode())) for part in parts()])
    if keys.is_duplicated().any():
        dup = keys.filter(keys.is_duplicated()).head(5)
        raise SchemaError(f"table {spec.name}: key {spec.key} is not unique, e.g. {dup.rows()}")


def _upload(write: Callable[[str], None], fs: Any, remote: str, shown: str | os.PathLike) -> str:
    with tempfile.TemporaryDirectory(prefix="churnlab-upload-") as tmp:
        local = os.path.join(tmp, "table.parquet")
        write(local)
        try:
            fs.makedirs(remote.rsplit("/", 1)[0], exist_ok=True)
            fs.put_file(local, remote)
        except OSError as exc:
            raise InputError(f"cannot write {shown}: {exc}; check the URL and your access to it") from None
    return os.fspath(shown)


def read_provenance(path: str | os.PathLike) -> dict[str, Any]:
    fs, local = split_url(path)
    try:
        if fs is None:
            meta = pq.read_schema(local).metadata or {}
        else:
            with fs.open(local, "rb") as fh:
                meta = pq.read_schema(fh).metadata or {}
    except pa.ArrowInvalid as exc:
        raise SchemaError(f"{path} is not a readable Parquet file ({exc}); delete it and mine the repository again") from None
    if META_KEY not in meta:
        raise SchemaError(f"{path} was not written by churnlab (no provenance metadata)")
    return json.loads(meta[META_KEY])


def read_table(path: str | os.PathLike, table: str | None = None) -> pl.DataFrame:
    """Read one churnlab Parquet file and check it against its declared schema."""
    fs, local = split_url(path)
    if not (Path(local).is_file() if fs is None else fs.isfile(local)):
        raise InputError(f"no such table file: {path}")
    prov = read_provenance(path)
    spec = schemas.get(table or prov["table"])
    if prov.get("schema_version") != spec.version:
        raise SchemaError(
            f"{path} has {spec.name} schema v{prov.get('schema_version')}, this churnlab reads v{spec.version}; "
            "re-mine the repository with this version"
        )
    if fs is None:
        df = pl.read_parquet(local)
    else:
        with fs.open(local, "rb") as fh:
            df = pl.read_parquet(fh)
    validate(df, spec.name)
    return df


def scan_table(out: str | os.PathLike, table: str) -> pl.LazyFrame:
    """Lazily scan one table across every repository of a dataset folder."""
    spec = schemas.get(table)
    files = table_files(out, table)
    if not files:
        raise InputError(f"no {spec.name} table under {out}; mine a repository into it first (churnlab mine ... --out {out})")
    schema = spec.polars_schema()
    fs, _ = split_url(out)
    if fs is None or os.fspath(out).split("://", 1)[0] in _POLARS_NATIVE:
        return pl.scan_parquet([str(f) for f in files], schema=schema)
    # Filesystems polars cannot read itself (memory://, ...): read through fsspec, one file at a time.
    frames = [pl.read_parquet(fs.cat_file(split_url(f)[1])).lazy() for f in files]
    return pl.concat(frames, how="vertical").cast(schema)
