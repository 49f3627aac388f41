"""Tables kept on disk while a mine runs, so that rows do not pile up in memory as history grows.

A stage appends its rows in parts as it makes them (:meth:`Spool.append`); whoever needs them reads them back,
one part at a time (:meth:`Spool.parts`) or whole and only the columns it uses (:meth:`Spool.frame`). The parts
are Arrow IPC files in the mine's scratch folder (under ``TMPDIR``, deleted with it), lz4-compressed: about half
the size uncompressed parts take (``benchmarks/bench_scratch.py``: 1-2 MB of scratch per 1,000 commits at its
largest on flask, continue and a 100,000-commit history); a part read back is a copy in memory that goes when
its reader drops it.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import polars as pl

__all__ = ["Spool", "give_back", "parts_of", "same_rows", "whole"]

_folders = itertools.count()
COMPRESSION = "lz4"  # of the parts (benchmarks/bench_scratch.py measures the scratch folder either way)


class Spool:
    """Rows of one table appended in parts to files under ``scratch``; the first part fixes the columns."""

    def __init__(self, scratch: str | Path, name: str) -> None:
        self.folder = Path(scratch) / f"{name}-{next(_folders)}"
        self.folder.mkdir(parents=True)
        self.name = name
        self.files: list[Path] = []
        self.height = 0
        self._empty: pl.DataFrame | None = None  # the columns, for a spool whose parts are all empty

    @classmethod
    def of(cls, frame: pl.DataFrame, scratch: str | Path, name: str, rows: int) -> Spool:
        """``frame`` on disk in parts of ``rows`` rows (an empty frame: one empty part, which keeps its columns)."""
        spool = cls(scratch, name)
        for start in range(0, max(frame.height, 1), rows):
            spool.append(frame.slice(start, rows))
        return spool

    def append(self, frame: pl.DataFrame) -> None:
        """Write ``frame`` as the next part (an empty one too: parts of two spools filled together stay paired)."""
        if self._empty is None:
            self._empty = frame.clear()
        elif frame.columns != self._empty.columns:
            raise ValueError(f"spool {self.name}: part columns {frame.columns} differ from {self._empty.columns}")
        path = self.folder / f"{len(self.files):06d}.arrow"
        frame.write_ipc(path, compression=COMPRESSION)
        self.files.append(path)
        self.height += frame.height

    def parts(self, columns: Sequence[str] | None = None) -> Iterator[pl.DataFrame]:
        """The parts in the order appended (none for an empty spool)."""
        cols = None if columns is None else list(columns)
        for path in self.files:
            yield pl.read_ipc(path, columns=cols)

    def frame(self, columns: Sequence[str] | None = None) -> pl.DataFrame:
        """All rows as one frame of ``columns`` (default: all), in the parts' chunks (no copy to join them)."""
        parts = list(self.parts(columns))
        if not parts:
            empty = self._empty if self._empty is not None else pl.DataFrame()
            return empty if columns is None else empty.select(columns)
        return parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=False)


def parts_of(rows: pl.DataFrame | Spool, columns: Sequence[str] | None = None) -> Iterator[pl.DataFrame]:
    """``rows`` in parts, whether held in memory (one part) or spooled."""
    if isinstance(rows, Spool):
        return rows.parts(columns)
    return iter([rows if columns is None else rows.select(columns)])


def whole(rows: pl.DataFrame | Spool, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """``rows`` as a frame, whether held in memory or spooled."""
    if isinstance(rows, Spool):
        return rows.frame(columns)
    return rows if columns is None else rows.select(columns)


def same_rows(a: Iterable[pl.DataFrame], b: Iterable[pl.DataFrame]) -> bool:
    """Whether two sequences of parts hold the same rows in the same order, whatever their part boundaries:
    compared a stretch at a time, so neither side is ever read whole."""
    left, right = iter(a), iter(b)
    x = y = None
    while True:
        while x is None or not x.height:
            x = next(left, None)
            if x is None:
                break
        while y is None or not y.height:
            y = next(right, None)
            if y is None:
                break
        if x is None or y is None:
            return x is None and y is None
        n = min(x.height, y.height)
        if not x.head(n).equals(y.head(n)):
            return False
        x, y = x.slice(n), y.slice(n)


def give_back() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``, as Dask's workers do).

    A stage's per-commit arrays and Python objects are freed when it ends, but glibc keeps their pages (in the
    arena of the thread that used them), so the process would keep each stage's peak and add the next one's
    to it. Elsewhere (macOS, musl, Windows) this does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
