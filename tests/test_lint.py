"""No undefined names and no unused imports in the code (pyflakes): a misspelt name on an error path fails
here, not in a user's run. Notebooks are left out (IPython's ``display`` is a builtin there)."""

from __future__ import annotations

import io
from pathlib import Path

from pyflakes import api, reporter

ROOT = Path(__file__).resolve().parents[1]


def test_pyflakes_finds_nothing():
    out, err = io.StringIO(), io.StringIO()
    found = api.checkRecursive([str(ROOT / d) for d in ("churnlab", "benchmarks", "scripts", "tests")],
                               reporter.Reporter(out, err))
    assert found == 0 and not err.getvalue(), out.getvalue() + err.getvalue()
