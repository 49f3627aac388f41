"""Execute the research notebooks: ``python -m churnlab.notebooks_run notebooks [--small] [--output-dir DIR]``.

Notebooks are stored as jupytext percent-format ``.py`` files (diff-friendly, never with outputs). Each one is
converted to a notebook in memory and executed with nbclient in a fresh kernel that runs *this* interpreter
(``sys.executable``), whatever kernel specs the machine has installed, with the project root on ``PYTHONPATH``.
Notebooks read their size parameters from environment variables in their ``parameters`` cell;
``small=True`` (``--small``) sets ``CHURNLAB_NB_SMALL=1`` so CI runs them on small data.

A run fails with the notebook, cell number and ``.py`` line of the first failing cell. Executed notebooks,
HTML renderings and the figures as PNG files can be written to a git-ignored folder (``reports/notebooks``).

:func:`thin_problems` checks the house rules for notebooks (controllers, not libraries): a markdown title
cell first, a cell tagged ``parameters``, no ``def``/``class``, at most ``MAX_LINES`` lines.
"""

from __future__ import annotations

import argparse
import ast
import base64
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from churnlab.errors import InputError

__all__ = ["MAX_LINES", "SMALL_ENV", "NotebookRun", "discover", "main", "read_notebook", "run_notebook",
           "run_notebooks", "thin_problems"]

log = logging.getLogger(__name__)

#: Environment variable a notebook's parameters cell reads to switch to small sizes (CI, tests).
SMALL_ENV = "CHURNLAB_NB_SMALL"
#: Longest notebook allowed (lines of the stored ``.py``, prose included).
MAX_LINES = 150
_KERNEL = "churnlab-python3"
_CELL = re.compile(r"^# %%")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class NotebookRun:
    """The outcome of executing one notebook."""

    path: Path
    ok: bool
    seconds: float
    cell: int | None = None  # 1-based number of the failing cell
    line: int | None = None  # line of the failing cell's "# %%" marker in the .py file
    error: str | None = None  # "ename: evalue" of the failure
    traceback: str | None = None
    written: tuple[Path, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """One line: ``ok`` with the time, or where and why it failed."""
        if self.ok:
            return f"ok      {self.path}  ({self.seconds:.1f} s)"
        where = f"cell {self.cell}" + (f" (line {self.line})" if self.line else "") if self.cell else "kernel"
        return f"FAILED  {self.path}, {where}: {self.error}  ({self.seconds:.1f} s)"


def discover(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Notebook files named by ``paths``: ``.py`` files as given, folders expanded to their ``*.py`` (sorted)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.glob("*.py") if not q.name.startswith("_")))
        elif p.is_file() and p.suffix == ".py":
            found.append(p)
        else:
            raise InputError(f"{p} is neither a folder nor a jupytext .py notebook; pass e.g. notebooks/")
    if not found:
        raise InputError(f"no notebooks (*.py) found in {[str(p) for p in paths]}")
    return found


def read_notebook(path: str | os.PathLike) -> Any:
    """A jupytext percent-format ``.py`` file as an nbformat notebook (in memory)."""
    import jupytext

    return jupytext.read(Path(path), fmt="py:percent")


def _cell_lines(path: Path) -> list[int]:
    return [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if _CELL.match(line)]


def thin_problems(path: str | os.PathLike, *, max_lines: int = MAX_LINES) -> list[str]:
    """Ways the notebook breaks the house rules (empty when it is a thin controller).

    Checks: at most ``max_lines`` lines; no function or class definitions (reused code belongs in the
    library); the first cell is markdown starting with a ``# `` title; one code cell is tagged
    ``parameters``; every cell starts with a ``# %%`` marker (so failures can name a line).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    problems = []
    n = len(text.splitlines())
    if n > max_lines:
        problems.append(f"{n} lines, more than {max_lines}: move code into the library or split the notebook")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        return [*problems, f"not valid Python: {exc}"]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            kind = "class" if isinstance(node, ast.ClassDef) else "def"
            problems.append(f"line {node.lineno}: {kind} {node.name}: notebooks define nothing; move it to churnlab/")
    nb = read_notebook(path)
    cells = nb.cells
    if not cells or cells[0].cell_type != "markdown" or not cells[0].source.lstrip().startswith("# "):
        problems.append("the first cell must be a markdown cell with a '# Title'")
    if not any(c.cell_type == "code" and "parameters" in c.metadata.get("tags", []) for c in cells):
        problems.append('no parameters cell: tag one code cell with # %% tags=["parameters"]')
    if len(_cell_lines(path)) != len(cells):
        problems.append("every cell must start with a '# %%' marker (text before the first marker is a cell)")
    return problems


def _kernel_manager(spec_dir: Path) -> Any:
    """A kernel manager whose only kernel runs ``sys.executable -m ipykernel_launcher``."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    d = spec_dir / _KERNEL
    d.mkdir(parents=True, exist_ok=True)
    (d / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python {sys.version_info.major}.{sys.version_info.minor} (churnlab)",
        "language": "python",
    }))
    ksm = KernelSpecManager(kernel_dirs=[str(spec_dir)], ensure_native_kernel=False)
    # the async manager nbclient expects (with the sync one its cell timeouts never fire); IPC sockets in the
    # private temporary folder: no TCP ports, no unencrypted-transport warning
    return AsyncKernelManager(kernel_name=_KERNEL, kernel_spec_manager=ksm, transport="ipc",
                              ip=str(spec_dir / "kernel-ipc"))


def _kernel_env(small: bool, env: Mapping[str, str] | None) -> dict[str, str]:
    out = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)  # so the kernel imports this churnlab
    out["PYTHONPATH"] = os.pathsep.join([root, *[p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p]])
    out["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures become cell outputs
    out["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # silence the debugger's frozen-modules note on stderr
    if small:
        out[SMALL_ENV] = "1"
    out.update(env or {})
    return out


def _failing_cell(nb: Any, started: int | None) -> int | None:
    for i, cell in enumerate(nb.cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    return started


def _write(nb: Any, path: Path, output_dir: Path, html: bool, figures: bool) -> tuple[Path, ...]:
    import nbformat

    output_dir.mkdir(parents=True, exist_ok=True)
    written = [output_dir / f"{path.stem}.ipynb"]
    nbformat.write(nb, written[0])
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        written.append(output_dir / f"{path.stem}.html")
        written[-1].write_text(body, encoding="utf-8")
    if figures:
        k = 0
        for i, cell in enumerate(nb.cells, 1):
            for out in cell.get("outputs", []):
                png = out.get("data", {}).get("image/png")
                if png:
                    k += 1
                    written.append(output_dir / path.stem / f"cell{i:02d}-{k:02d}.png")
                    written[-1].parent.mkdir(exist_ok=True)
                    written[-1].write_bytes(base64.b64decode(png))
    return tuple(written)


def run_notebook(
    path: str | os.PathLike,
    *,
    timeout: float = 600,
    small: bool = False,
    env: Mapping[str, str] | None = None,
    output_dir: str | os.PathLike | None = None,
    html: bool = False,
    figures: bool = False,
) -> NotebookRun:
    """Execute one jupytext notebook in a fresh kernel of this interpreter.

    Parameters
    ----------
    path : path
        A percent-format ``.py`` notebook; it runs with its own folder as working directory.
    timeout : float
        Wall-clock budget of the whole notebook in seconds (kernel start-up excluded).
    small : bool
        Set ``CHURNLAB_NB_SMALL=1`` for the kernel (notebooks then use small sizes).
    env : mapping, optional
        Further environment variables for the kernel (e.g. parameters a notebook reads).
    output_dir : path, optional
        Write the executed ``<name>.ipynb`` there (also when the run fails, to inspect it).
    html, figures : bool
        Also write ``<name>.html`` (needs nbconvert) and every figure as ``<name>/cellNN-KK.png``.

    Returns
    -------
    NotebookRun
        ``ok``, the time taken and, on failure, the failing cell, its line in the ``.py`` and the error.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellControlSignal, DeadKernelError

    if timeout <= 0:
        raise InputError(f"timeout={timeout!r} must be positive (seconds per notebook)")
    path = Path(path)
    nb = read_notebook(path)
    nb.metadata["kernelspec"] = {"name": _KERNEL, "display_name": "Python (churnlab)", "language": "python"}
    lines = _cell_lines(path)
    started: list[int] = []
    t0 = time.perf_counter()
    error = tb = None
    with tempfile.TemporaryDirectory(prefix="churnlab-kernel-") as spec_dir:
        budget = f"the notebook exceeded its {timeout:g} s budget"
        client = NotebookClient(nb, km=_kernel_manager(Path(spec_dir)), timeout=timeout, kernel_name=_KERNEL,
                                resources={"metadata": {"path": str(path.resolve().parent)}},
                                interrupt_on_timeout=True,  # stop the cell cleanly, then report it as the failure
                                error_on_timeout={"ename": "timeout", "evalue": budget, "traceback": []})
        deadline = time.perf_counter() + timeout

        def on_start(cell: Any, cell_index: int) -> None:  # the notebook's budget shrinks cell by cell
            started.append(cell_index)
            client.timeout = max(1, int(deadline - time.perf_counter()))

        client.on_cell_start = on_start
        try:
            client.execute(cleanup_kc=True, env=_kernel_env(small, env))  # shut the kernel down: we own it
        except CellControlSignal as exc:  # CellExecutionError, CellTimeoutError
            ename, evalue = getattr(exc, "ename", "timeout"), getattr(exc, "evalue", budget)
            error, tb = f"{ename}: {evalue}", _ANSI.sub("", str(exc))
        except (DeadKernelError, RuntimeError, TimeoutError) as exc:
            error, tb = f"{type(exc).__name__}: {exc}", None
    seconds = time.perf_counter() - t0
    idx = _failing_cell(nb, started[-1] if started else None) if error else None
    written = _write(nb, path, Path(output_dir), html, figures) if output_dir is not None else ()
    run = NotebookRun(path=path, ok=error is None, seconds=seconds, cell=None if idx is None else idx + 1,
                      line=lines[idx] if idx is not None and len(lines) == len(nb.cells) else None,
                      error=error, traceback=tb, written=written)
    log.info("%s", run.describe())
    return run


def run_notebooks(paths: Sequence[str | os.PathLike], **options: Any) -> list[NotebookRun]:
    """Execute every notebook named by ``paths`` (files or folders) in order; options as :func:`run_notebook`."""
    return [run_notebook(p, **options) for p in discover(paths)]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run notebooks, print one line each, exit 1 if any failed (2 on bad arguments)."""
    ap = argparse.ArgumentParser(prog="python -m churnlab.notebooks_run", description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=["notebooks"], help="notebooks or folders (default: notebooks)")
    ap.add_argument("--small", action="store_true", help=f"small sizes ({SMALL_ENV}=1), as CI runs them")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per notebook (default 600)")
    ap.add_argument("--output-dir", help="write executed .ipynb there, e.g. reports/notebooks (git-ignored)")
    ap.add_argument("--html", action="store_true", help="also write HTML (with --output-dir)")
    ap.add_argument("--figures", action="store_true", help="also write each figure as PNG (with --output-dir)")
    ap.add_argument("--check", action="store_true", help="only check the notebooks are thin; do not run them")
    args = ap.parse_args(argv)
    try:
        if (args.html or args.figures) and not args.output_dir:
            raise InputError("--html and --figures need --output-dir (e.g. --output-dir reports/notebooks)")
        paths = discover(args.paths)
        if args.check:
            bad = {p: thin_problems(p) for p in paths}
            for p, probs in bad.items():
                print(f"{'ok' if not probs else 'NOT THIN':8}{p}" + "".join(f"\n    {m}" for m in probs))
            return 1 if any(bad.values()) else 0
        runs = []
        for p in paths:
            run = run_notebook(p, timeout=args.timeout, small=args.small, output_dir=args.output_dir,
                               html=args.html, figures=args.figures)
            print(run.describe(), flush=True)
            if not run.ok and run.traceback:
                print("\n".join("    " + s for s in run.traceback.strip().splitlines()[-12:]), flush=True)
            runs.append(run)
    except InputError as exc:
        print(f"churnlab.notebooks_run: {exc}", file=sys.stderr)
        return 2
    failed = [r for r in runs if not r.ok]
    print(f"{len(runs) - len(failed)} of {len(runs)} notebooks ran in {sum(r.seconds for r in runs):.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
