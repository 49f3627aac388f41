"""churnlab: mine public git histories into Parquet and test whether AI-tool adoption raises churn and reverts.

Pipeline: ``git history --mine--> Parquet tables --panel--> unit x period panel --estimate--> results --plot--> figures``.
Nothing happens at import: submodules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public names and the module each lives in (loaded lazily, so `import churnlab` stays cheap).
_LAZY = {
    "ChurnlabError": "churnlab.errors",
    "mine": "churnlab.mine",
    "read_table": "churnlab.io",
    "scan_table": "churnlab.io",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'churnlab' has no attribute {name!r}")
