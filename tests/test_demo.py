"""The main job (`make demo`) recovers the effect it simulated; `churnlab report` works on its dataset."""

from __future__ import annotations

import os
import subprocess
import sys

import polars as pl
import pytest

from churnlab.demo import run_demo


@pytest.mark.slow
def test_demo_recovers_the_simulated_effect_at_a_smaller_size(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative output folder, as `make demo` uses
    steps = []
    result = run_demo("demo", n_repos=20, months=20, bootstrap=199, on_step=steps.append)
    head = result.headline
    assert head.height == 8 and len(steps) == 4
    main = head.filter(pl.col("estimator").is_in(["imputation", "callaway_santanna"]))
    # One seeded draw: a 95% interval misses the truth in 1 draw of 20 even when all is right, so this checks
    # the estimates lie within 3 standard errors of the truth (fails by chance 0.3% of the time per check).
    # Coverage itself is measured over many draws by benchmarks/montecarlo_demo.py (docs/demo.md).
    z = ((main["estimate"] - main["true_att"]).abs() / main["se"]).to_list()
    assert max(z) < 3, main
    assert main.filter(pl.col("outcome") == "new_code_churn")["true_att"].to_list() == [0.10, 0.10]
    assert result.report.is_file() and len(result.figures) >= 7
    assert "data:image/png;base64," in result.report.read_text()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-m", "churnlab", "report", str(result.dataset), "--out",
                           str(tmp_path / "again")], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "imputation" in proc.stdout and (tmp_path / "again" / "report.html").is_file()


def test_report_on_a_folder_without_tables_is_a_clean_error(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-m", "churnlab", "report", str(tmp_path), "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("churnlab: error: no churn table under") or "no commits table" in proc.stderr
