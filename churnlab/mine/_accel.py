"""The per-line kernels in use: compiled (``churnlab.mine._kernels``) when built, else the pure-Python reference.

The extension is optional (a machine without a C compiler installs and runs the reference); both return
identical results. ``CHURNLAB_PURE_PYTHON=1`` forces the reference, e.g. to compare the two in a benchmark.
:data:`COMPILED` says which is in use: benchmarks print it and the mine records it in its provenance.
"""

from __future__ import annotations

import os

from . import align as reference

__all__ = ["COMPILED", "align", "common", "common_tail", "compiled_kernels", "credit", "reference"]


def compiled_kernels():
    """The compiled module, or ``None`` when it was not built (or the reference is forced)."""
    if os.environ.get("CHURNLAB_PURE_PYTHON") == "1":
        return None
    try:
        from . import _kernels
    except ImportError:
        return None
    return _kernels


_impl = compiled_kernels() or reference
COMPILED: bool = _impl is not reference

align = _impl.align
common = _impl.common
common_tail = _impl.common_tail
credit = _impl.credit
