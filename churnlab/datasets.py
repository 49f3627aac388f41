"""Loaders for published datasets that churnlab reproduces, and for the small real sample shipped with it.

Each dataset lists its files with canonical download URLs and SHA-256 checksums. A loader looks for a local
copy first (an explicit ``path``, then an environment variable, then the project's shared data folder
``../shared/data/<name>`` beside the repository root), then the download cache, and downloads into the cache
only when nothing local is found. Every file is checked against its checksum before it is read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from churnlab.errors import DataError, InputError
from churnlab.git import cache_dir

__all__ = ["CURSOR_STUDY", "REAL_SAMPLE_ENV", "Dataset", "dataset_dir", "load_cursor_study", "real_sample_path"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dataset:
    """A published dataset: where to get it and how to check it."""

    name: str
    base_url: str
    files: dict[str, str]  # file name -> sha256
    env_var: str
    citation: str

    def url(self, file: str) -> str:
        return f"{self.base_url}/{file}"


CURSOR_STUDY = Dataset(
    name="cursor-study",
    base_url="https://raw.githubusercontent.com/hehao98/CursorStudy/889c09aa4a49a6227df0103a38d199f865ea33c8/data",
    files={
        "panel_event_monthly.csv": "331e36490a72a0a31a25379bb0b176686ae3bdf6d995663ae68163be7a8ca32a",
        "ts_repos_monthly.csv": "e95d6cd43b0c7ad5b008f88490a43344ecfdd581ae68f743ef6d3891c949b3f4",
        "ts_repos_control_monthly.csv": "face44b431606b84ef97fd071c692b6008609610bb6c3bbbac555208b19f10f8",
        "repo_metrics.csv": "c2e55dfda67246ddc5ba8ada27a793edeafcf90b4c2e2dafd18689075c60c3af",
    },
    env_var="CHURNLAB_CURSOR_STUDY",
    citation=(
        "He, Miller, Agarwal, Kästner, Vasilescu. Speed at the Cost of Quality: How Cursor AI Increases Short-Term "
        "Velocity and Long-Term Complexity in Open-Source Projects. MSR 2026 (arXiv 2511.04427). Data: "
        "github.com/hehao98/CursorStudy, Apache-2.0."
    ),
)

_TABLES = {
    "panel": "panel_event_monthly.csv",
    "treated_monthly": "ts_repos_monthly.csv",
    "control_monthly": "ts_repos_control_monthly.csv",
    "repo_metrics": "repo_metrics.csv",
}


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _download(url: str, target: Path, sha: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        log.info("downloading %s", url)
        with urllib.request.urlopen(url, timeout=60) as r, open(tmp, "wb") as f:  # noqa: S310 (fixed https URL)
            while chunk := r.read(1 << 20):
                f.write(chunk)
        got = _sha256(Path(tmp))
        if got != sha:
            raise DataError(f"{url} has sha256 {got}, expected {sha}; the upstream file changed, do not use it")
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError) as exc:
        raise InputError(
            f"cannot download {url} ({exc}); pass path= to a local copy or set the environment variable"
        ) from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def dataset_dir(
    dataset: Dataset,
    path: str | os.PathLike | None = None,
    *,
    download: bool = True,
    files: list[str] | None = None,
) -> Path:
    """A folder holding the dataset's files, verified against their checksums.

    Parameters
    ----------
    dataset : Dataset
        For example :data:`CURSOR_STUDY`.
    path : path, optional
        A local copy. Otherwise the environment variable ``dataset.env_var``, then
        ``<project root>/../shared/data/<name>``, then the cache (``$CHURNLAB_CACHE`` or
        ``~/.cache/churnlab``) are tried.
    download : bool
        Download missing files into the cache (only when no local copy is found).
    files : list of str, optional
        Files needed (default: all).
    """
    needed = files or list(dataset.files)
    unknown = [f for f in needed if f not in dataset.files]
    if unknown:
        raise InputError(f"{dataset.name} has no files {unknown}; it has {list(dataset.files)}")
    if path is not None:
        candidates = [Path(path)]
        if not candidates[0].is_dir():
            raise InputError(f"{path} is not a folder; pass the folder holding {needed[0]}")
    else:
        candidates = []
        if os.environ.get(dataset.env_var):
            candidates.append(Path(os.environ[dataset.env_var]))
        candidates.append(_project_root().parent / "shared" / "data" / dataset.name)
    cache = cache_dir() / dataset.name
    for folder in [*candidates, cache]:
        if all((folder / f).is_file() for f in needed):
            for f in needed:
                got = _sha256(folder / f)
                if got != dataset.files[f]:
                    raise DataError(
                        f"{folder / f} has sha256 {got}, expected {dataset.files[f]}; it is not the released file. "
                        "Remove it or point to an unmodified copy"
                    )
            return folder
        if path is not None:
            raise InputError(f"{folder} lacks {[f for f in needed if not (folder / f).is_file()]}")
    if not download:
        raise InputError(
            f"no local copy of {dataset.name} (tried {[str(c) for c in candidates]} and {cache}); pass path=, set "
            f"{dataset.env_var}, or allow download=True"
        )
    for f in needed:
        if not (cache / f).is_file():
            _download(dataset.url(f), cache / f, dataset.files[f])
    return cache


def load_cursor_study(
    path: str | os.PathLike | None = None,
    *,
    table: Literal["panel", "treated_monthly", "control_monthly", "repo_metrics"] = "panel",
    download: bool = True,
) -> pl.DataFrame:
    """Load one released table of the Cursor adoption study (He et al., MSR 2026).

    Parameters
    ----------
    path : path, optional
        Folder with the released CSVs (see :func:`dataset_dir` for the search order).
    table : {"panel", "treated_monthly", "control_monthly", "repo_metrics"}
        ``panel`` is the repo x month analysis panel (21,994 rows, 2,002 repositories, 2024-01..2025-08).
    download : bool
        Download from the pinned upstream commit when no local copy exists.

    Returns
    -------
    polars.DataFrame
        The CSV as released (``time`` and ``event`` stay ``YYYY-MM`` strings; see
        :func:`churnlab.estimate.replicate.cursor_study_panel` for the analysis sample).
    """
    if table not in _TABLES:
        raise InputError(f"table={table!r} is not one of {', '.join(map(repr, _TABLES))}")
    file = _TABLES[table]
    folder = dataset_dir(CURSOR_STUDY, path, download=download, files=[file])
    return pl.read_csv(folder / file, infer_schema_length=None)


#: Environment variable naming another copy of the real sample (a rebuilt or larger one).
REAL_SAMPLE_ENV = "CHURNLAB_REAL_SAMPLE"


def real_sample_path(path: str | os.PathLike | None = None) -> Path:
    """The folder of the committed real-data sample (``datasets/real_sample``), a churnlab dataset.

    Public repositories mined with churnlab, pseudonymised, restricted to a date window; its data card is
    ``datasets/real_sample/README.md``. Read it like any dataset: ``churnlab.io.scan_table(path, "commits")``,
    ``churnlab.panel.from_dataset(path)``.

    Parameters
    ----------
    path : path, optional
        Another copy. Otherwise ``$CHURNLAB_REAL_SAMPLE``, then ``datasets/real_sample`` under the project root
        (a source checkout; the sample is not part of the installed wheel).
    """
    if path is None and os.environ.get(REAL_SAMPLE_ENV):
        path = os.environ[REAL_SAMPLE_ENV]
    folder = Path(path) if path is not None else _project_root() / "datasets" / "real_sample"
    if not (folder / "commits").is_dir():
        raise InputError(
            f"no real sample at {folder} (no commits/ folder); use a source checkout of churnlab, set "
            f"{REAL_SAMPLE_ENV}, or rebuild it as its data card says (datasets/real_sample/README.md)"
        )
    return folder
