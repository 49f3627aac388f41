"""Helpers of the benchmarks' child processes: per-thread CPU timers (stage 1 and the line stage run in two
threads at once, so each part is charged the CPU of the thread that calls it), imported by the child code of
``bench_survival.py`` and ``bench_merges.py``, which put this folder on the child's ``PYTHONPATH``; and
:func:`run_in_checkout`, with which ``bench_feed.py`` and ``bench_line_thread.py`` run a child on one checkout
of churnlab or another, :func:`alternate` taking turns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

spent: defaultdict[str, float] = defaultdict(float)  # label -> thread CPU seconds
calls: defaultdict[str, int] = defaultdict(int)  # label -> calls


def wrap(owner, name: str, label: str) -> None:
    """Charge every call of ``owner.name`` (nested calls included) to ``label``."""
    orig = getattr(owner, name)

    def timed(*args, **kwargs):
        started = time.thread_time()
        try:
            return orig(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - started
            calls[label] += 1

    setattr(owner, name, timed)


def run_in_checkout(code: str, args: list[str], checkout: Path) -> dict:
    """Run ``code`` in a child Python that imports churnlab from ``checkout``; its last line of output, as JSON
    (which names the imported module's file as ``module``: checked to lie in ``checkout``)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    # run in the checkout: "python -c" puts the working folder first on the path
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=checkout, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"the run on {checkout} failed:\n{proc.stderr[-2000:]}")
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    if not Path(got["module"]).resolve().is_relative_to(checkout):
        raise SystemExit(f"the child imported churnlab from {got['module']}, not from {checkout}")
    return got


def alternate(sides: dict[str, Path], runs: int, child: Callable[[Path], dict], what: str) -> dict[str, list[dict]]:
    """``runs`` runs of ``child(checkout)`` for each side, taking turns; stops when a run's ``digest`` differs
    from the first run's (``what`` names the output digested)."""
    out: dict[str, list[dict]] = {side: [] for side in sides}
    digest = None
    for _ in range(runs):
        for side, checkout in sides.items():
            got = child(checkout)
            if digest not in (None, got["digest"]):
                raise SystemExit(f"{side}: {what} differ from the first run's")
            digest = got["digest"]
            out[side].append(got)
    return out
