"""Per-thread CPU timers for the benchmarks' child processes (stage 1 and the line stage run in two threads at
once, so each part is charged the CPU of the thread that calls it). Imported by the child code of
``bench_survival.py`` and ``bench_merges.py``, which put this folder on the child's ``PYTHONPATH``."""

from __future__ import annotations

import time
from collections import defaultdict

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
