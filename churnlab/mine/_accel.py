"""The per-line kernels in use: compiled (``churnlab.mine._kernels``) when built, else the pure-Python reference.

The extension is optional (a machine without a C compiler installs and runs the reference); both return
identical results. ``CHURNLAB_PURE_PYTHON=1`` forces the reference, e.g. to compare the two in a benchmark.
:data:`COMPILED` says which is in use: benchmarks print it and the mine records it in its provenance.
"""

from __future__ import annotations

import os

from . import align as reference

__all__ = ["COMPILED", "align", "common", "common_tail", "compiled_kernels", "credit", "pick", "reference"]


def compiled_kernels():
    """The compiled module, or ``None`` when it was not built (or the reference is forced)."""
    if os.environ.get("CHURNLAB_PURE_PYTHON") == "1":
        return None
    try:
        from . import _kernels
    except ImportError:
        return None
    return _kernels


_kernels = compiled_kernels()
COMPILED: bool = _kernels is not None
_impl = _kernels or reference


def pick(name: str, reference_fn):
    """The compiled kernel ``name`` when the extension is in use, else ``reference_fn`` (its pure-Python twin).

    For modules that :mod:`churnlab.mine.align`-style imports from here would make circular.
    """
    return reference_fn if _kernels is None else getattr(_kernels, name)

align = _impl.align
common = _impl.common
common_tail = _impl.common_tail
credit = _impl.credit
