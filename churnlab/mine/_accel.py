"""The per-line kernels in use: compiled (``churnlab.mine._kernels``) when built, else the pure-Python reference.

The extension is optional (a machine without a C compiler installs and runs the reference); both return
identical results. ``CHURNLAB_PURE_PYTHON=1`` forces the reference, e.g. to compare the two in a benchmark.
:data:`COMPILED` says which is in use: benchmarks print it and the mine records it in its provenance.

Each kernel's reference lives beside its call site (:mod:`churnlab.mine.align` for the merge alignment,
``_windows_reference``, ``_changed_windows_reference`` and ``_WindowCountsReference`` (a type) in
:mod:`churnlab.mine.duplicates`, ``_ascii_key_reference`` in :mod:`churnlab.mine.normalize`,
``_pair_ascii_reference``, ``_first_labels_reference`` and ``_parse_record_reference`` in
:mod:`churnlab.mine.lines`, ``_merge_lines_reference``, ``_line_hashes_reference``,
``_key_hashes_reference`` and ``_splice_hunks_reference`` in :mod:`churnlab.mine.provenance`), which binds the
one in use with :func:`pick`.
"""

from __future__ import annotations

import os

from . import align as reference

__all__ = ["COMPILED", "KERNELS", "align", "call_sites", "common", "common_tail", "compiled_kernels", "credit",
           "pick"]

# Every kernel the miner calls: a build older than the source (missing some of them) is not used.
KERNELS = ("WindowCounts", "align", "ascii_key", "changed_windows", "common", "common_tail", "credit", "first_labels",
           "key_hashes", "line_hashes", "merge_lines", "pair_ascii", "parse_record", "splice_hunks", "windows")


def compiled_kernels():
    """The compiled module, or ``None`` when it was not built, is stale, or the reference is forced."""
    if os.environ.get("CHURNLAB_PURE_PYTHON") == "1":
        return None
    try:
        from . import _kernels
    except ImportError:
        return None
    return _kernels if all(hasattr(_kernels, name) for name in KERNELS) else None


_kernels = compiled_kernels()
COMPILED: bool = _kernels is not None


def pick(name: str, reference_fn):
    """The compiled kernel ``name`` when the extension is in use, else ``reference_fn``, its pure-Python twin."""
    return reference_fn if _kernels is None else getattr(_kernels, name)


align = pick("align", reference.align)
common = pick("common", reference.common)
common_tail = pick("common_tail", reference.common_tail)
credit = pick("credit", reference.credit)


def call_sites() -> list[tuple]:
    """Where the miner binds each kernel: ``(module, attribute, kernel name, pure-Python reference)``.

    For tests and benchmarks that swap a binding for its reference, or record its calls.
    """
    from . import duplicates, lines, normalize, provenance  # they import this module

    return [
        (provenance, "_align", "align", reference.align),
        (provenance, "_common", "common", reference.common),
        (provenance, "_common_tail", "common_tail", reference.common_tail),
        (provenance, "_credit", "credit", reference.credit),
        (duplicates, "_windows", "windows", duplicates._windows_reference),
        (duplicates, "_changed_windows", "changed_windows", duplicates._changed_windows_reference),
        (normalize, "_ascii_key", "ascii_key", normalize._ascii_key_reference),
        (duplicates, "WindowCounts", "WindowCounts", duplicates._WindowCountsReference),
        (lines, "_pair_ascii", "pair_ascii", lines._pair_ascii_reference),
        (provenance, "_merge_lines", "merge_lines", provenance._merge_lines_reference),
        (provenance, "_line_hashes", "line_hashes", provenance._line_hashes_reference),
        (provenance, "_key_hashes", "key_hashes", provenance._key_hashes_reference),
        (lines, "_first_labels", "first_labels", lines._first_labels_reference),
        (lines, "_parse_record", "parse_record", lines._parse_record_reference),
        (provenance, "_splice_hunks", "splice_hunks", provenance._splice_hunks_reference),
    ]
