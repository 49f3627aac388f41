"""The research notebooks: thin controllers, stored without outputs, and every one runs (small sizes).

Adding a notebook needs no change here: every ``notebooks/*.py`` is checked and executed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from churnlab.notebooks_run import MAX_LINES, discover, main, run_notebook, thin_problems

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = discover([ROOT / "notebooks"])
IDS = [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_thin(path):
    assert thin_problems(path) == []


def test_no_notebook_outputs_are_committed():
    assert "*.ipynb" in (ROOT / ".gitignore").read_text().splitlines()
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode == 0:  # a git checkout (not an sdist)
        assert tracked.stdout.strip() == ""


def test_notebooks_readme_lists_every_notebook():
    readme = (ROOT / "notebooks" / "README.md").read_text()
    assert all(p.name in readme for p in NOTEBOOKS)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_on_small_data(path, tmp_path, request):
    import nbformat

    if "cursor" in path.stem:
        request.getfixturevalue("cursor_data")  # skips, saying why, where the study's data cannot be had

    run = run_notebook(path, small=True, timeout=150, output_dir=tmp_path)
    assert run.ok, f"{run.describe()}\n{run.traceback}"
    # every cell that draws with churnlab.plot shows its figure (an rcParams reset once hid them all)
    nb = nbformat.read(tmp_path / f"{path.stem}.ipynb", as_version=4)
    drawing = [c for c in nb.cells if c.cell_type == "code" and "plot." in c.source]
    assert drawing and all(any("image/png" in o.get("data", {}) for o in c.outputs) for c in drawing)


# --- the runner itself, on notebooks written in the test -------------------------------------------------

GOOD = '''# %% [markdown]
# # Probe

# %% tags=["parameters"]
import os, sys
SMALL = os.environ.get("CHURNLAB_NB_SMALL") == "1"

# %%
import matplotlib.pyplot as plt
plt.plot([0, 1], [0, 1])
print(sys.executable, SMALL, os.environ.get("PROBE"))
'''

BAD = '''# %% [markdown]
# # Broken

# %% tags=["parameters"]
x = 1

# %%
y = x + 1

# %%
raise KeyError("no such column")
'''


def _stdout(nb_path: Path) -> str:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout")


@pytest.mark.slow
def test_kernel_is_this_interpreter_with_small_parameters_and_figures(tmp_path):
    nb = tmp_path / "probe.py"
    nb.write_text(GOOD)
    out = tmp_path / "out"
    run = run_notebook(nb, small=True, env={"PROBE": "42"}, output_dir=out, figures=True)
    assert run.ok and run.cell is None
    assert _stdout(out / "probe.ipynb").split() == [sys.executable, "True", "42"]
    assert (out / "probe" / "cell03-01.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_failure_names_the_notebook_cell_and_line(tmp_path, capsys):
    (tmp_path / "a_good.py").write_text(GOOD)
    (tmp_path / "b_bad.py").write_text(BAD)
    run = run_notebook(tmp_path / "b_bad.py")
    assert (run.ok, run.cell, run.line) == (False, 4, 10)
    assert run.error == "KeyError: 'no such column'"
    assert main([str(tmp_path)]) == 1
    printed = capsys.readouterr().out
    assert f"FAILED  {tmp_path / 'b_bad.py'}, cell 4 (line 10): KeyError: 'no such column'" in printed
    assert "1 of 2 notebooks ran" in printed


@pytest.mark.slow
def test_notebook_over_its_budget_is_stopped(tmp_path):
    nb = tmp_path / "slow.py"
    nb.write_text('# %% [markdown]\n# # Slow\n\n# %% tags=["parameters"]\nimport time\n\n# %%\ntime.sleep(30)\n')
    run = run_notebook(nb, timeout=2)
    assert (run.ok, run.cell) == (False, 3)
    assert run.error.startswith("timeout: the notebook exceeded its 2 s budget")


def test_thin_rules_are_enforced(tmp_path):
    fat = tmp_path / "fat.py"
    fat.write_text("import os\n\n# %%\ndef helper():\n    return 1\n\n# %%\nclass Thing:\n    pass\n"
                   + "x = 1\n" * MAX_LINES)
    problems = thin_problems(fat)
    assert any("more than 150" in p for p in problems)
    assert any("def helper" in p for p in problems) and any("class Thing" in p for p in problems)
    assert any("markdown cell with a '# Title'" in p for p in problems)
    assert any("no parameters cell" in p for p in problems)
    assert any("'# %%' marker" in p for p in problems)  # the leading "import os" is a cell without a marker
    assert main(["--check", str(fat)]) == 1


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main([str(tmp_path / "missing")]) == 2
    assert "neither a folder nor a jupytext .py notebook" in capsys.readouterr().err
    assert main([str(tmp_path)]) == 2  # an empty folder
    assert main(["--html", str(tmp_path)]) == 2
