"""Cost of the revert and signal stages against their baseline, measured in the same run.

- fingerprints: ``churnlab.mine.patches.read_fingerprints`` against draining the same ``git log -p`` stream
  (the physical limit: git's own diff work);
- signals: ``signals_stage`` on already-mined stage-1 frames against stage 1 itself.

Usage::

    python benchmarks/bench_signals.py PATH [PATH ...]

Prints one line per repository with seconds and ratios (lower is better; 1.0 = no overhead).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from churnlab.git import open_repository
from churnlab.mine import Context, Options, _read
from churnlab.mine.identity import resolve_salt
from churnlab.mine.patches import patch_log_args, read_fingerprints
from churnlab.mine.signals import signals_stage


def _time(fn) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def main(paths: list[str]) -> int:
    for path in paths:
        repo = open_repository(path)
        raw, _ = _time(lambda: sum(len(c) for c in repo.stream(patch_log_args(repo.head))))
        fp, frame = _time(lambda: read_fingerprints(repo))
        with tempfile.TemporaryDirectory() as scratch:
            stage1, (commits, files, _) = _time(lambda: _read(repo, Options(), None, Path(scratch),
                                                              resolve_salt("benchmark-salt"), None))
            sig, _ = _time(lambda: signals_stage(Context(repo, Options(), commits, files)))
        print(f"{path}: {frame.height} commits; git log -p {raw:.2f} s, fingerprints {fp:.2f} s "
              f"(x{fp / raw:.2f}); stage 1 {stage1:.2f} s, signals {sig:.2f} s (x{sig / stage1:.2f} of stage 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
