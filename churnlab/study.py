"""Studies of many repositories: a manifest, a resumable run, a status journal, a dataset check.

A **manifest** is a CSV file with one row per repository::

    repo,name,role,adoption,notes
    https://github.com/pallets/flask,,control,,
    ../repos/myrepo,me/myrepo,treated,2024-10-05,adopted Cursor in October

``repo`` is a URL or a path (relative paths are read from the manifest's folder); ``name`` is the key the
repository's rows and files carry (default: owner/name from the URL, the folder name for paths); ``role`` is
``treated``, ``control`` or ``other``; ``adoption`` is an optional ISO date or time (UTC unless it says
otherwise) that overrides the adoption date found in the history; ``notes`` is free text. Lines starting
with ``#`` are comments.

:func:`mine_study` mines every repository of a manifest into one dataset folder (``OUT/<table>/<repo
key>.parquet``, as :func:`churnlab.mine.mine` writes it) with a process pool or a Dask cluster. Each
repository's outcome is journalled in ``OUT/_study/status/<repo key>.json``, one small file written
atomically after its tables, so a run killed at any moment loses at most the repositories in flight;
running the same command again mines only what failed, is missing, or was mined with other options. A failing
repository is recorded with its error and the others go on.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from . import executors, io, schemas
from .errors import ChurnlabError, InputError
from .git import _check_url, _is_url, name_from_url  # URL rules live in git.py; reuse them, do not copy them

__all__ = [
    "COLUMNS",
    "ROLES",
    "ManifestRow",
    "StudyStatus",
    "Task",
    "mine_one",
    "manifest_frame",
    "mine_study",
    "read_manifest",
    "study_status",
    "validate_dataset",
]

log = logging.getLogger(__name__)

ROLES = ("treated", "control", "other")
COLUMNS = ("repo", "name", "role", "adoption", "notes")
_REQUIRED = ("repo", "role")
STUDY_DIR = "_study"
# mine() options that change no table content: left out when deciding whether a repository is up to date.
_NOT_CONTENT = ("cache", "incremental", "on_progress", "salt")


# --- manifest ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ManifestRow:
    """One repository of a study."""

    line: int
    repo: str  # a URL, or an absolute path
    name: str
    role: str
    adoption: datetime | None = None
    notes: str = ""

    @property
    def key(self) -> str:
        return io.repo_key(self.name)

    def record(self) -> dict[str, Any]:
        return dict(asdict(self), adoption=self.adoption.isoformat() if self.adoption else None)


def read_manifest(path: str | os.PathLike) -> list[ManifestRow]:
    """Read and check a study manifest (CSV); a bad row raises :class:`InputError` naming its line and field.

    Examples
    --------
    >>> rows = read_manifest("datasets/manifests/cursor_study.csv")  # doctest: +SKIP
    >>> rows[0].role                                                  # doctest: +SKIP
    'control'
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: spreadsheets save CSV with a byte-order mark
    except FileNotFoundError:
        raise InputError(f"no such manifest: {path}; give a CSV file with columns {', '.join(COLUMNS)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read manifest {path}: {exc}; save it as UTF-8 CSV") from None
    lines = _Numbered(text.splitlines(keepends=True))
    reader = csv.DictReader(lines)
    header = [h.strip() for h in reader.fieldnames or []]
    _check_header(path, header, lines.line)
    reader.fieldnames = header
    rows: list[ManifestRow] = []
    errors: list[str] = []
    seen_keys: dict[str, int] = {}
    seen_sources: dict[str, int] = {}
    for raw in reader:
        line = lines.line  # the row's last line in the file (a quoted value may span lines)
        try:
            row = _parse_row(raw, line, path.parent)
            _check_unique(row, seen_keys, seen_sources)
            rows.append(row)
        except InputError as exc:
            errors.append(f"{path}, line {line}, {exc}")
    if errors:
        more = f" (and {len(errors) - 1} more bad rows)" if len(errors) > 1 else ""
        raise InputError(errors[0] + more)
    if not rows:
        raise InputError(f"manifest {path} lists no repositories; add one row per repository under the header")
    return rows


class _Numbered:
    """The file's lines for csv, without blank and ``#`` comment lines, remembering the number of the last
    line handed out (error messages name it)."""

    def __init__(self, lines: list[str]):
        self._lines = [(n, ln) for n, ln in enumerate(lines, 1) if ln.strip() and not ln.lstrip().startswith("#")]
        self._pos = 0
        self.line = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self._pos >= len(self._lines):
            raise StopIteration
        self.line, text = self._lines[self._pos]
        self._pos += 1
        return text


def _check_header(path: Path, header: list[str], line: int) -> None:
    if not header:
        raise InputError(f"manifest {path} is empty; write a header line: {','.join(COLUMNS)}")
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in _REQUIRED if c not in header]
    if unknown or missing:
        raise InputError(f"manifest {path}, line {line} (header): "
                         + (f"unknown columns {unknown}; " if unknown else "")
                         + (f"missing columns {missing}; " if missing else "")
                         + f"the columns are {', '.join(COLUMNS)} (repo and role required)")
    if len(set(header)) != len(header):
        raise InputError(f"manifest {path}, line {line} (header): a column is repeated; name each column once")


def manifest_frame(manifest: str | os.PathLike | list[ManifestRow]) -> pl.DataFrame:
    """A manifest as a frame keyed by ``repo`` (the name tables carry), for joining roles and adoption dates."""
    rows = manifest if isinstance(manifest, list) else read_manifest(manifest)
    return pl.DataFrame(
        [(r.name, r.role, r.adoption, r.notes, r.repo, r.line) for r in rows], orient="row",
        schema={"repo": pl.String, "role": pl.String, "adoption": pl.Datetime("us", "UTC"), "notes": pl.String,
                "source": pl.String, "line": pl.Int64},
    ).sort("repo")


def _parse_row(raw: dict, line: int, folder: Path) -> ManifestRow:
    if None in raw:
        raise InputError(f"{len(raw[None])} more fields than the header has; quote values that contain commas")
    value = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    if any(raw.get(k) is None for k in ("repo", "role")):
        raise InputError("fewer fields than the header has; give every column, even if empty")
    repo = value["repo"]
    if not repo:
        raise InputError("field repo: empty; give a repository URL or path")
    if _is_url(repo):
        try:
            _check_url(repo)
        except InputError as exc:
            raise InputError(f"field repo: {exc}") from None
        default_name = lambda: name_from_url(repo)  # noqa: E731
    else:
        resolved = (folder / Path(repo).expanduser()).resolve()
        repo = str(resolved)
        default_name = lambda: resolved.name.removesuffix(".git")  # noqa: E731
    name = value["name"]
    if not name:
        try:
            name = default_name()
        except InputError:
            raise InputError(f"field name: cannot derive a name from {repo!r}; fill in the name column") from None
    try:
        io.repo_key(name)
    except InputError:
        raise InputError(f"field name: {name!r} has no letters or digits; give a name such as owner/repo") from None
    role = value["role"].lower()
    if role not in ROLES:
        raise InputError(f"field role: {value['role']!r} is not one of {', '.join(ROLES)}; fix the role")
    adoption = _parse_adoption(value["adoption"])
    if adoption is not None and role == "control":
        raise InputError("field adoption: a control repository has no adoption date; clear it or set role treated")
    return ManifestRow(line=line, repo=repo, name=name, role=role, adoption=adoption, notes=value["notes"])


def _parse_adoption(text: str) -> datetime | None:
    if not text:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"field adoption: {text!r} is not an ISO date; write YYYY-MM-DD or "
                         "YYYY-MM-DDTHH:MM:SSZ, or leave it empty") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _check_unique(row: ManifestRow, keys: dict[str, int], sources: dict[str, int]) -> None:
    # Keys compare case-insensitively: GitHub names do, and so do the file systems of macOS and Windows.
    key = row.key.lower()
    if key in keys:
        raise InputError(f"field name: {row.name!r} is already used on line {keys[key]}; give each row its own "
                         "name (one row per repository)")
    source = row.repo.lower().removesuffix("/").removesuffix(".git") if _is_url(row.repo) else row.repo
    if source in sources:
        raise InputError(f"field repo: {row.repo} is already listed on line {sources[source]}; keep one row "
                         "per repository")
    keys[key], sources[source] = row.line, row.line


# --- one repository ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """What a worker needs to mine one repository (picklable: sent to other processes and machines)."""

    name: str
    source: str
    out: str
    options: dict[str, Any] = field(default_factory=dict)


def mine_one(task: Task) -> dict[str, Any]:
    """Mine one repository of a study and return its status record; never raises for a bad repository.

    Runs in a worker process (or on a Dask worker), so it is a top-level function that pickles.
    """
    _reset_peak_rss()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    record: dict[str, Any] = dict(name=task.name, state="failed", error=None, head=None, commits=None, tables=[])
    try:
        record.update(_mine_into(task), state="done")
    except Exception as exc:  # noqa: BLE001 - isolation: one bad repository must not stop a study
        record["error"] = str(exc) if isinstance(exc, ChurnlabError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, ChurnlabError):  # a bug, not bad input: keep where it happened
            record["traceback"] = traceback.format_exc(limit=-4)
            log.exception("%s: unexpected error", task.name)
    cpu = [round(now - then, 3) for now, then in zip(_cpu_seconds(), cpu_started)]
    record.update(seconds=round(time.perf_counter() - started, 3), cpu_seconds=cpu[0], git_cpu_seconds=cpu[1],
                  peak_rss_mb=_peak_rss_mb(), worker=f"{socket.gethostname()}:{os.getpid()}")
    return record


def _cpu_seconds() -> tuple[float, float]:
    """User + system CPU seconds of this process (all its threads) and of its finished child processes (git).

    CPU time, unlike wall time, does not grow when other jobs share the machine: it tells what mining a
    repository costs. On a Dask worker running several tasks at once, the process's share is the sum of them.
    """
    try:
        import resource
    except ImportError:  # Windows
        return time.process_time(), 0.0
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _mine_into(task: Task) -> dict[str, Any]:
    from .mine import mine  # imported in the worker: the mining stages are heavy, and nothing at import

    fs, local = io.split_url(task.out)
    if fs is None:
        result = mine(task.source, local, name=task.name, **task.options)
        paths = result.paths
    else:
        # mine() writes local folders only: mine in memory, then write each table through fsspec, commits last
        # as mine() does (it carries the head a later run trusts).
        options = {k: v for k, v in task.options.items() if k != "incremental"}
        result = mine(task.source, None, name=task.name, **options)
        order = sorted(result.tables, key=lambda t: t == "commits")
        paths = {t: io.write_table(result.tables[t], t, io.table_path(task.out, t, result.repo), result.provenance)
                 for t in order}
    return dict(head=result.head, commits=result.scan("commits").select(pl.len()).collect().item(), tables=sorted(paths),
                warnings=list(result.provenance.get("warnings", [])))


def _reset_peak_rss() -> None:
    """Reset the kernel's peak-RSS mark (Linux), so a worker reused for several repositories reports each."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    try:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
    except (ImportError, OSError):
        return None


# --- the study ------------------------------------------------------------------------------------------------

def _local_size(row: ManifestRow) -> int:
    """Bytes of a local repository's object store (0 for URLs and unreadable paths): a proxy for mining time."""
    if _is_url(row.repo):
        return 0
    root = Path(row.repo)
    objects = root / ".git" / "objects" if (root / ".git").is_dir() else root / "objects"
    try:
        return sum(f.stat().st_size for f in objects.rglob("*") if f.is_file())
    except OSError:
        return 0


def _longest_first(rows: list[ManifestRow], previous: dict[str, dict]) -> list[ManifestRow]:
    """The repositories in decreasing order of expected mining time (the longest-processing-time rule).

    A repository mined before (any options) is expected to cost the CPU seconds its last successful run measured;
    the others, their object store's size at the median CPU seconds per byte of the measured ones (just their
    size when none is measured). Size is a weak proxy (the line stage's cost follows the lines changed), so
    a run after the first, a resumed or refreshed one, schedules better. Ties keep manifest order.
    """
    def measured(row: ManifestRow) -> float | None:
        rec = previous.get(row.key) or {}
        if rec.get("state") != "done" or rec.get("cpu_seconds") is None:  # a failure's cost says little
            return None
        return rec["cpu_seconds"] + (rec.get("git_cpu_seconds") or 0.0)

    sizes = {r.key: _local_size(r) for r in rows}
    costs = {r.key: measured(r) for r in rows}
    rates = sorted(c / sizes[k] for k, c in costs.items() if c is not None and sizes[k] > 0)
    rate = rates[len(rates) // 2] if rates else 1.0
    expected = {k: c if c is not None else sizes[k] * rate for k, c in costs.items()}
    return sorted(rows, key=lambda r: -expected[r.key])


def mine_study(manifest: str | os.PathLike | list[ManifestRow], out: str | os.PathLike, *, workers: int = 1,
               executor: executors.Executor = "local", scheduler: str | None = None, salt: str | None = None,
               cache: str | os.PathLike | None = None, refresh: bool = False,
               on_record: Callable[[dict], None] | None = None, tasks_per_child: int = 10,
               **mine_options: Any) -> StudyStatus:
    """Mine every repository of a manifest into ``out``, skipping those already mined with the same options.

    Parameters
    ----------
    manifest
        A manifest CSV file (see :func:`read_manifest`) or its rows.
    out
        Dataset folder or fsspec URL; with ``executor="dask"`` every worker must be able to write there.
    workers
        Processes of the local pool (``executor="local"``).
    executor
        ``"local"`` (default), ``"serial"`` or ``"dask"``; see :func:`churnlab.executors.run`.
    salt
        Pseudonymisation salt, resolved once here so every worker (and machine) uses the same one.
    refresh
        Mine every repository again (new commits only, where ``incremental``), not just the failed and missing.
    on_record
        Called with each repository's status record as it is written (progress display).
    **mine_options
        Passed to :func:`churnlab.mine.mine` for every repository (``first_parent=True``, ``rev=...``).

    Returns
    -------
    StudyStatus
        The state of every repository after the run.
    """
    from .mine.identity import resolve_salt, salt_fingerprint

    rows = manifest if isinstance(manifest, list) else read_manifest(manifest)
    executors.check(executor, workers, scheduler)  # before anything is written
    salt_value = resolve_salt(salt, cache=cache)
    content = dict(sorted({k: v for k, v in mine_options.items() if k not in _NOT_CONTENT}.items()),
                   salt_fingerprint=salt_fingerprint(salt_value))
    journal = _Journal(out)
    journal.write_study(rows, content)
    _remove_stale_temporaries(out)
    previous = journal.records()
    todo = [r for r in rows if refresh or not _up_to_date(previous.get(r.key), content, out)]
    log.info("study: %d repositories, %d to mine", len(rows), len(todo))
    options = dict(mine_options, salt=salt_value, cache=os.fspath(cache) if cache is not None else None)
    # Longest first: a long repository started last would leave the other workers idle at the end.
    todo = _longest_first(todo, previous)
    tasks = [Task(name=r.name, source=r.repo, out=os.fspath(out), options=options) for r in todo]
    by_name = {r.name: r for r in todo}
    for task, result in executors.run(mine_one, tasks, executor=executor, workers=workers, scheduler=scheduler,
                                      tasks_per_child=tasks_per_child):
        if isinstance(result, BaseException):  # the worker process itself died
            result = dict(name=task.name, state="failed", error=f"the worker failed: {type(result).__name__}: {result}",
                          head=None, commits=None, tables=[])
        row = by_name[task.name]
        attempts = (previous.get(row.key) or {}).get("attempts", 0) + 1
        record = dict(result, key=row.key, source=row.repo, role=row.role, line=row.line, options=content,
                      attempts=attempts, finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        journal.write_record(row.key, record)
        if on_record is not None:
            on_record(record)
    return study_status(out)


def _remove_stale_temporaries(out) -> None:
    """Delete the half-written files a killed run left (``.<name>.<random>.tmp``); the atomic renames mean
    nothing else can be half-written. One study run per output folder at a time."""
    fs, root = io.split_url(out)
    if fs is not None:
        return  # remote writes are single puts: nothing is left half-written
    for folder in [*(Path(root) / t for t in schemas.TABLES), Path(root) / STUDY_DIR / "status"]:
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def _up_to_date(record: dict | None, content: dict, out) -> bool:
    """Done with the same content options, and every table it wrote is still there."""
    if not record or record.get("state") != "done" or record.get("options") != content:
        return False
    fs, _ = io.split_url(out)
    for table in record.get("tables", []):
        path = io.table_path(out, table, record["name"])
        if not (Path(path).is_file() if fs is None else fs.isfile(io.split_url(path)[1])):
            return False
    return True


class _Journal:
    """``OUT/_study/``: ``study.json`` (the manifest and options of the last run) and one status file per
    repository. Each file is replaced atomically, so a crash leaves either the old or the new version."""

    def __init__(self, out: str | os.PathLike):
        self.out = os.fspath(out)
        self.fs, root = io.split_url(out)
        self.root = f"{root.rstrip('/')}/{STUDY_DIR}"

    def write_study(self, rows: list[ManifestRow], options: dict) -> None:
        self._write(f"{self.root}/study.json", dict(repositories=[r.record() for r in rows], options=options))

    def write_record(self, key: str, record: dict) -> None:
        self._write(f"{self.root}/status/{key}.json", record)

    def read_study(self) -> dict | None:
        return self._read(f"{self.root}/study.json")

    def records(self) -> dict[str, dict]:
        folder = f"{self.root}/status"
        if self.fs is None:
            files = sorted(str(p) for p in Path(folder).glob("*.json"))
        else:
            files = sorted(self.fs.glob(f"{folder}/*.json"))
        out = {}
        for f in files:
            rec = self._read(f)
            if rec is not None:
                out[f.rsplit("/", 1)[-1].removesuffix(".json")] = rec
        return out

    def _read(self, path: str) -> dict | None:
        try:
            if self.fs is None:
                text = Path(path).read_text()
            else:
                text = self.fs.cat_file(path).decode()
        except (FileNotFoundError, IsADirectoryError):
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            log.warning("%s is not valid JSON; treating the repository as not yet mined", path)
            return None

    def _write(self, path: str, data: dict) -> None:
        text = json.dumps(data, sort_keys=True, indent=1, default=str)
        if self.fs is not None:
            self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            self.fs.pipe_file(path, text.encode())  # one put: object stores publish it whole
            return
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise InputError(f"cannot write the study journal in {target.parent}: {exc.strerror}; "
                             "choose a writable --out") from None
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())  # on disk before the rename makes it the record
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# --- status and validation ----------------------------------------------------------------------------------

@dataclass
class StudyStatus:
    """One row per repository of the last manifest: state ``done``, ``failed`` or ``pending``."""

    out: str
    repos: pl.DataFrame

    def count(self, state: str) -> int:
        return int((self.repos["state"] == state).sum())

    @property
    def complete(self) -> bool:
        return self.repos.height > 0 and self.count("done") == self.repos.height

    def summary(self, *, max_failures: int = 20) -> str:
        r = self.repos
        done = r.filter(pl.col("state") == "done")
        lines = [f"study {self.out}: {r.height} repositories: {self.count('done')} done, "
                 f"{self.count('failed')} failed, {self.count('pending')} pending"]
        if done.height:
            lines.append(f"  mined {int(done['commits'].sum())} commits in {done['seconds'].sum():.1f} s of worker "
                         f"time ({done['cpu_seconds'].sum():.1f} CPU s in workers, {done['git_cpu_seconds'].sum():.1f} "
                         f"in git); peak memory per worker {done['peak_rss_mb'].max()} MB "
                         f"(median {done['peak_rss_mb'].median()} MB)")
        failed = r.filter(pl.col("state") == "failed")
        for row in failed.head(max_failures).iter_rows(named=True):
            lines.append(f"  failed {row['name']} (manifest line {row['line']}, {row['attempts']} attempts): {row['error']}")
        if failed.height > max_failures:
            lines.append(f"  ... and {failed.height - max_failures} more failures")
        if failed.height or self.count("pending"):
            lines.append("  run the same `churnlab study mine` command again to mine only these")
        return "\n".join(lines)


_STATUS_SCHEMA = {"name": pl.String, "role": pl.String, "line": pl.Int64, "state": pl.String, "error": pl.String,
                  "commits": pl.Int64, "seconds": pl.Float64, "cpu_seconds": pl.Float64,
                  "git_cpu_seconds": pl.Float64, "peak_rss_mb": pl.Float64, "attempts": pl.Int64,
                  "head": pl.String, "worker": pl.String, "finished_at": pl.String}


def study_status(out: str | os.PathLike) -> StudyStatus:
    """The state of every repository of the study in ``out`` (from its journal)."""
    journal = _Journal(out)
    study = journal.read_study()
    if study is None:
        raise InputError(f"{out} holds no study; start one with: churnlab study mine MANIFEST --out {out}")
    records = journal.records()
    options = study["options"]
    rows = []
    for repo in study["repositories"]:
        rec = records.get(io.repo_key(repo["name"])) or {}
        state = rec.get("state", "pending")
        if state == "done" and rec.get("options") != options:
            state = "pending"  # mined with other options: the next run mines it again
        rows.append(dict({k: rec.get(k) for k in _STATUS_SCHEMA}, name=repo["name"], role=repo["role"],
                         line=repo["line"], state=state, attempts=rec.get("attempts", 0)))
    return StudyStatus(os.fspath(out), pl.DataFrame(rows, schema=_STATUS_SCHEMA, orient="row"))


def validate_dataset(out: str | os.PathLike) -> list[str]:
    """Check every table file of a dataset and their provenance across repositories; return the problems.

    Checks: every file reads and matches its declared schema version; all tables of one repository share one
    head, options and churnlab version; every repository has the same set of tables; one salt fingerprint.
    """
    problems: list[str] = []
    provenance: dict[str, dict[str, dict]] = {}  # repo key -> table -> provenance
    for table in schemas.TABLES:
        for path in io.table_files(out, table):
            key = os.fspath(path).rsplit("/", 1)[-1].removesuffix(".parquet")
            try:
                df = io.read_table(path, table)
                prov = io.read_provenance(path)
            except ChurnlabError as exc:
                problems.append(f"{table}/{key}: {exc}")
                continue
            repos = df["repo"].unique().to_list()
            if repos and repos != [prov.get("repo")]:
                problems.append(f"{table}/{key}: rows name repositories {repos[:3]}, provenance says {prov.get('repo')!r}")
            provenance.setdefault(key, {})[table] = prov
    if not provenance:
        return [f"no churnlab tables under {out}; mine a study into it first"]
    all_tables = set().union(*(p.keys() for p in provenance.values()))
    for key, tables in sorted(provenance.items()):
        missing = sorted(all_tables - tables.keys())
        if missing:
            problems.append(f"{key}: has {sorted(tables)} but not {missing}; mine it again "
                            "(churnlab study mine retries it)")
        for field_ in ("head", "options", "churnlab_version", "rev"):
            values = {json.dumps(p.get(field_), sort_keys=True) for p in tables.values()}
            if len(values) > 1:
                problems.append(f"{key}: tables disagree on {field_} ({', '.join(sorted(values))}); "
                                "an interrupted or mixed run: mine it again")
    salts: dict[str, list[str]] = {}
    for key, tables in provenance.items():
        for p in tables.values():
            salts.setdefault(str(p.get("salt_fingerprint")), []).append(key)
    if len(salts) > 1:
        detail = "; ".join(f"{fp}: {len(set(keys))} repositories, e.g. {sorted(set(keys))[0]}"
                           for fp, keys in sorted(salts.items()))
        problems.append(f"salt fingerprints differ across the study ({detail}): author ids are not comparable "
                        "across repositories; re-mine with one --salt")
    return problems
