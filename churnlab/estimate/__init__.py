"""Staggered difference-in-differences estimators with one tidy result type.

Nothing is imported eagerly: each estimator family lives in its own module and loads on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Result": "churnlab.estimate._result",
    "bacon_decomposition": "churnlab.estimate.bacon",
    "callaway_santanna": "churnlab.estimate.did",
    "honest_sensitivity": "churnlab.estimate.honest",
    "placebo": "churnlab.estimate.inference",
    "pretrend_test": "churnlab.estimate.inference",
    "sun_abraham": "churnlab.estimate.sunab",
    "wild_cluster_bootstrap": "churnlab.estimate.inference",
    "compare_estimators": "churnlab.estimate.compare",
    "cursor_study": "churnlab.estimate.replicate",
    "event_study_twfe": "churnlab.estimate.fixed_effects",
    "imputation": "churnlab.estimate.bjs",
    "ppml": "churnlab.estimate.fixed_effects",
    "twfe": "churnlab.estimate.fixed_effects",
    "simulate_panel": "churnlab.estimate.dgp",
    "stack_results": "churnlab.estimate.compare",
    "transform_outcome": "churnlab.estimate._checks",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'churnlab.estimate' has no attribute {name!r}")
