"""The only code that runs git.

One long-running ``git log`` per repository streams the history; a handful of cheap calls (``rev-parse``,
``ls-tree``, ``cat-file --batch``) read what the stream does not carry. Nothing here parses diffs: it hands
bytes to the pipeline stages in :mod:`churnlab.mine`.

Repositories given as URLs are cloned (bare, full history, with blobs) into a cache folder and fetched on
later runs; local folders and bare repositories are read in place and never written to. Missing objects
(partial clones, snapshots that leave out large files) are handled by a *shadow* git directory beside the
cache: it borrows the repository's objects through ``objects/info/alternates`` and maps every missing object
to a small binary placeholder with a ``refs/replace`` entry, so git reports those files as binary instead of
dying. The affected changes are flagged ``is_missing`` and listed in the provenance.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .errors import GitError, InputError

try:  # POSIX only; stream_git works without it
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = [
    "NUMSTAT_FORMAT", "BlobReader", "Repository", "cache_dir", "git_version", "is_ancestor", "numstat_by_commit",
    "open_repository", "parse_numstat", "run_git", "stream_git",
]

log = logging.getLogger(__name__)

# Transports a user may name. ext:: and fd:: run commands; anything else is refused before git sees it.
_ALLOWED_SCHEMES = ("https", "http", "ssh", "git", "file")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!//)[^\s]+$")
_PROTOCOL_CONFIG = ["-c", "protocol.allow=never"] + [
    arg for scheme in _ALLOWED_SCHEMES for arg in ("-c", f"protocol.{scheme}.allow=always")
]
# Settings for every read: raw paths (no C-quoting), no pager, no colours, no user diff drivers.
# Every git command reads the repository the same way whatever the user's git configuration: settings that
# change what a diff or a log prints (prefixes, algorithm, rename limit, file order, the root commit's diff,
# signatures, encodings, a personal attributes file) are pinned to git's defaults, so tables are reproducible.
_READ_CONFIG = [arg for setting in (
    "core.quotepath=false", "color.ui=false", "diff.external=", "core.pager=cat",
    "diff.noprefix=false", "diff.mnemonicPrefix=false", "diff.srcPrefix=a/", "diff.dstPrefix=b/",
    "diff.algorithm=myers", "diff.indentHeuristic=true", "diff.renameLimit=1000", "diff.orderFile=/dev/null",
    "diff.suppressBlankEmpty=false", "diff.relative=false", "diff.ignoreSubmodules=none",
    "diff.interHunkContext=0", "log.showRoot=true", "log.showSignature=false", "i18n.logOutputEncoding=UTF-8",
    "core.attributesFile=",
) for arg in ("-c", setting)]
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C", "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0"}
_MISSING_PLACEHOLDER = b"churnlab: this object is missing from the repository\0"
_BATCH = 256  # blob requests written at once to cat-file --batch (about 10 KiB: well under a pipe's buffer)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")}
    env.update(_ENV)
    return env


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """Where clones and the pseudonymisation salt live: ``path``, ``$CHURNLAB_CACHE``, or the user cache."""
    if path is not None:
        return Path(path)
    if os.environ.get("CHURNLAB_CACHE"):
        return Path(os.environ["CHURNLAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "churnlab"


def _command(args: Sequence[str]) -> str:
    """The git command of ``args``, after any ``-c name=value`` options (for error messages)."""
    i = 0
    while i < len(args) - 1 and args[i] == "-c":
        i += 2
    return args[i] if i < len(args) else "?"


def _last_line(stderr: bytes) -> str:
    """git's own verdict: the last ``fatal:``/``error:`` line, else the last line (hints follow fatal lines)."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    verdicts = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return (verdicts or lines or ["no message"])[-1]


def run_git(args: Sequence[str], *, git_dir: str | os.PathLike | None = None, input: bytes | None = None,
            check: bool = True) -> bytes:
    """Run one short git command and return its stdout; a failure becomes :class:`GitError`."""
    cmd = ["git", *_READ_CONFIG]
    if git_dir is not None:
        cmd.append(f"--git-dir={git_dir}")
    cmd.extend(args)
    try:
        proc = subprocess.run(cmd, input=input, capture_output=True, env=_env())
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git 2.30 or newer") from None
    if check and proc.returncode != 0:
        raise GitError(f"git {_command(args)} failed: {_last_line(proc.stderr)}")
    return proc.stdout


def is_ancestor(git_dir: str | os.PathLike, older: str, newer: str) -> bool:
    """Whether commit ``older`` is reachable from ``newer`` (equal commits count)."""
    cmd = ["git", f"--git-dir={git_dir}", "merge-base", "--is-ancestor", older, newer]
    return subprocess.run(cmd, capture_output=True, env=_env()).returncode == 0


def numstat_by_commit(git_dir: str | os.PathLike, head: str = "HEAD", *, first_parent: bool = False,
                      zero_context: bool = True) -> dict[str, tuple[int, int]]:
    """Reference reading for parity checks: per-commit (added, deleted) from ``git log --numstat -M`` with
    ``diff.context=0``, the zero-context diff that stage 1, the line stage and git blame use;
    ``zero_context=False``: plain ``git log --numstat -M`` (3 lines of context: git then does not trim a long common
    tail before diffing, which pairs a line or two otherwise in a few commits of a thousand, net lines equal).

    Binary files count 0, as in git's own totals; merges (not diffed by default) count (0, 0).
    """
    args = [*(["-c", "diff.context=0"] if zero_context else []), "log", "--numstat", "-M", "-z", NUMSTAT_FORMAT]
    if first_parent:
        args += ["--first-parent", "--diff-merges=first-parent"]
    out = run_git([*args, head, "--"], git_dir=git_dir)
    return {sha: (sum(a or 0 for _, a, _ in rows), sum(d or 0 for _, _, d in rows))
            for sha, rows in parse_numstat(out).items()}


NUMSTAT_FORMAT = "--format=%x1e%H%x1f"  # the commit header :func:`parse_numstat` reads
_NUMSTAT_RECORD = re.compile(rb"\x1e(?=[0-9a-f]{40}(?:[0-9a-f]{24})?\x1f)")


def parse_numstat(out: bytes) -> dict[str, list[tuple[bytes, int | None, int | None]]]:
    """The output of ``git log -z --numstat`` with :data:`NUMSTAT_FORMAT`, without patches: per commit,
    ``(path, added, deleted)`` per file change in git's order (a rename's or copy's new path; ``None`` counts:
    binary)."""
    found: dict[str, list[tuple[bytes, int | None, int | None]]] = {}
    for record in _NUMSTAT_RECORD.split(out):
        sha, _, body = record.partition(b"\x1f")
        if not sha:
            continue
        rows = found[sha.decode()] = []
        tokens = iter(body.split(b"\0"))
        for token in tokens:
            token = token.lstrip(b"\n")
            if token.count(b"\t") < 2:
                continue
            a, d, path = token.split(b"\t", 2)
            if not path:  # rename/copy: old path, then new path
                next(tokens)
                path = next(tokens)
            rows.append((path, None if a == b"-" else int(a), None if a == b"-" else int(d)))
    return found


def git_version() -> str:
    return run_git(["--version"]).decode().strip().removeprefix("git version ")


_PIPE_BYTES = 1 << 20  # git's output pipe, where the system allows it (Linux's default is 64 KiB)


def _widen(pipe) -> None:
    """Give git a larger output pipe (Linux ``F_SETPIPE_SZ``; elsewhere, or beyond the system's limit, nothing).

    The reader is a Python thread: each read releases the interpreter lock, and taking it back can wait for a
    busy thread's switch interval (5 ms). With 64 KiB per read that wait, not git, can set the pace of a
    mine; 1 MiB reads wait 16 times less often (``benchmarks/bench_pipe.py`` measures it).
    """
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setpipe is None:
        return
    try:
        fcntl.fcntl(pipe.fileno(), setpipe, _PIPE_BYTES)
    except OSError:  # above /proc/sys/fs/pipe-max-size for an unprivileged process: keep the default
        pass


def stream_git(args: Sequence[str], *, git_dir: str | os.PathLike, chunk_size: int = 1 << 20,
               on_start: Callable[[subprocess.Popen], None] | None = None) -> Iterator[bytes]:
    """Run a long git command and yield its stdout in chunks; raise :class:`GitError` if it fails.

    The error message carries git's last stderr line, so callers can recognise missing objects.
    ``on_start`` receives the git process once it runs, so a reader in another thread can stop it.
    """
    cmd = ["git", *_READ_CONFIG, f"--git-dir={git_dir}", *args]
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=_env())
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH; install git 2.30 or newer") from None
        assert proc.stdout is not None
        _widen(proc.stdout)
        if on_start is not None:
            on_start(proc)
        finished = False
        try:
            while chunk := proc.stdout.read(chunk_size):
                yield chunk
            finished = True
        finally:
            if not finished:  # the consumer stopped early or failed: stop git too
                proc.kill()
            proc.stdout.close()
            code = proc.wait()
        if code != 0:
            err.seek(0)
            raise GitError(f"git {_command(args)} failed: {_last_line(err.read())}")


class BlobReader:
    """Read blobs by id through one persistent ``git cat-file --batch`` process (started at the first read).

    Missing objects are normal in partial clones and pruned snapshots: they read as ``None``, as does the
    placeholder the shadow git dir puts in their place. Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, git_dir: str | os.PathLike) -> None:
        self.git_dir = git_dir
        self._proc: subprocess.Popen | None = None

    def read(self, oid: str) -> bytes | None:
        """The content of blob ``oid`` (full hex id), or ``None`` if the object is missing or not a blob."""
        return self.read_many([oid])[0]

    def read_many(self, oids: Sequence[str]) -> list[bytes | None]:
        """The contents of several blobs, asked in batches (one round trip per batch, not per blob)."""
        out: list[bytes | None] = []
        for i in range(0, len(oids), _BATCH):
            out.extend(self._batch(oids[i:i + _BATCH]))
        return out

    def _batch(self, oids: Sequence[str]) -> list[bytes | None]:
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        try:  # a batch's requests fit in the pipe, so git never waits on us while we write
            proc.stdin.write(b"".join(oid.encode("ascii") + b"\n" for oid in oids))
            proc.stdin.flush()
        except OSError:
            raise GitError("git cat-file --batch stopped unexpectedly while reading blobs") from None
        return [self._answer(proc.stdout) for _ in oids]

    @staticmethod
    def _answer(stdout) -> bytes | None:
        header = stdout.readline()
        if not header:
            raise GitError("git cat-file --batch stopped unexpectedly while reading blobs")
        fields = header.split()
        if len(fields) != 3:  # "<oid> missing" (or "ambiguous")
            return None
        data = stdout.read(int(fields[2]))
        stdout.read(1)  # the newline after the content
        if fields[1] != b"blob" or data == _MISSING_PLACEHOLDER:
            return None
        return data

    def _start(self) -> subprocess.Popen:
        if self._proc is None:
            cmd = ["git", *_READ_CONFIG, f"--git-dir={self.git_dir}", "cat-file", "--batch"]
            try:
                self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              stderr=subprocess.DEVNULL, env=_env())
            except FileNotFoundError:
                raise GitError("git is not installed or not on PATH; install git 2.30 or newer") from None
        return self._proc

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
            proc.wait()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Repository:
    """A repository opened for reading."""

    name: str
    git_dir: Path
    url: str | None
    head: str | None
    is_shallow: bool = False
    is_partial: bool = False
    work_tree: Path | None = None
    missing: frozenset[str] = field(default_factory=frozenset)
    _read_dir: Path | None = None  # shadow git dir when objects are missing

    @property
    def read_dir(self) -> Path:
        """The git dir to read history through (the shadow one once missing objects are known)."""
        return self._read_dir or self.git_dir

    def git(self, args: Sequence[str], **kw) -> bytes:
        return run_git(args, git_dir=self.read_dir, **kw)

    def stream(self, args: Sequence[str], **kw) -> Iterator[bytes]:
        return stream_git(args, git_dir=self.read_dir, **kw)

    def blobs(self) -> BlobReader:
        """A reader of blob contents by id (one ``git cat-file --batch`` process)."""
        return BlobReader(self.read_dir)

    def mailmap_args(self) -> list[str]:
        """Point git at the repository's .mailmap even when read through a shadow dir or as a bare repo."""
        if self.work_tree is not None and (self.work_tree / ".mailmap").is_file():
            return ["-c", f"mailmap.file={self.work_tree / '.mailmap'}"]
        if self.head is not None:
            return ["-c", f"mailmap.blob={self.head}:.mailmap"]
        return []

    def use_shadow(self, scratch: Path) -> None:
        """Find every missing object reachable from head and read history through a shadow git dir."""
        out = run_git(["rev-list", "--objects", "--missing=print", self.head or "HEAD"], git_dir=self.git_dir)
        missing = frozenset(
            line[1:].decode() for line in out.splitlines() if line.startswith(b"?")
        )
        shadow = scratch / "shadow.git"
        if shadow.exists():
            shutil.rmtree(shadow)
        run_git(["init", "--quiet", "--bare", str(shadow)])
        objects = (self.git_dir / "objects").resolve()
        (shadow / "objects" / "info" / "alternates").write_text(f"{objects}\n")
        placeholder = run_git(["hash-object", "-w", "--stdin"], git_dir=shadow, input=_MISSING_PLACEHOLDER)
        refs = "".join(f"update refs/replace/{sha} {placeholder.decode().strip()}\n" for sha in sorted(missing))
        run_git(["update-ref", "--stdin"], git_dir=shadow, input=refs.encode())
        self.missing, self._read_dir = missing, shadow
        log.warning("%s: %d objects are missing; their changes are flagged is_missing", self.name, len(missing))


def _is_url(source: str) -> bool:
    return "://" in source or "::" in source or bool(_SCP_LIKE.match(source))


def _check_url(url: str) -> None:
    if url.startswith("-"):
        raise InputError(f"refusing repository URL {url!r}: it starts with '-' and would be read as a git option")
    if "::" in url.split("://")[0]:
        raise InputError(f"refusing repository URL {url!r}: transport '{url.split('::')[0]}::' can run commands; "
                         "use an https:// or ssh:// URL")
    if _SCP_LIKE.match(url):
        return
    scheme = urlsplit(url).scheme.lower()
    if scheme not in _ALLOWED_SCHEMES:
        raise InputError(f"refusing repository URL {url!r}: scheme {scheme!r} is not one of {', '.join(_ALLOWED_SCHEMES)}")


def name_from_url(url: str) -> str:
    path = url.split(":", 1)[1] if _SCP_LIKE.match(url) else urlsplit(url).path
    parts = [p for p in path.removesuffix("/").removesuffix(".git").split("/") if p]
    if not parts:
        raise InputError(f"cannot derive a repository name from {url!r}; pass name=...")
    return "/".join(parts[-2:])


def _clone_or_fetch(url: str, cache: Path) -> Path:
    """Clone ``url`` bare into the cache (atomically), or fetch new commits into an existing clone."""
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    dest = cache / "repos" / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name_from_url(url))}-{key}.git"
    if dest.is_dir():
        log.info("fetching %s into %s", url, dest)
        _network_git(["-C", str(dest), "fetch", "--quiet", "--prune", "--tags", "origin",
                      "+refs/heads/*:refs/heads/*"], url)
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=dest.parent))
    except OSError as exc:
        raise InputError(f"cannot create the clone cache {dest.parent}: {exc.strerror}; set CHURNLAB_CACHE") from None
    try:
        log.info("cloning %s into %s", url, dest)
        _network_git(["clone", "--quiet", "--bare", "--", url, str(tmp / "repo.git")], url)
        os.replace(tmp / "repo.git", dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _network_git(args: list[str], url: str) -> None:
    try:
        proc = subprocess.run(["git", *_PROTOCOL_CONFIG, *args], capture_output=True, env=_env(), timeout=3600)
    except subprocess.TimeoutExpired:
        raise GitError(f"cloning {url} took more than an hour; clone it yourself and pass the local path") from None
    if proc.returncode != 0:
        raise GitError(f"cannot clone or fetch {url}: {_last_line(proc.stderr)}; check the URL and your network")


def open_repository(source: str | os.PathLike, *, name: str | None = None, rev: str = "HEAD",
                    cache: str | os.PathLike | None = None) -> Repository:
    """Resolve a local path or URL to a readable :class:`Repository` (cloning URLs into the cache)."""
    source_str = os.fspath(source)
    if source_str.startswith("-"):
        raise InputError(f"refusing repository {source_str!r}: it starts with '-' and would be read as a git option; "
                         "write ./ before a local path")
    url: str | None = None
    if isinstance(source, str) and _is_url(source_str):
        _check_url(source_str)
        url = source_str
        path = _clone_or_fetch(source_str, cache_dir(cache))
        name = name or name_from_url(source_str)
    else:
        path = Path(source_str).expanduser()
        if not path.exists():
            raise InputError(f"no such path: {source_str}; give a git checkout, a bare repository or a URL")
        if not path.is_dir():
            raise InputError(f"{source_str} is a file, not a repository; give the folder of a git checkout")
    git_dir = _find_git_dir(Path(path), source_str)
    work_tree = None if url else _work_tree(Path(path))
    if name is None:
        name = _local_name(git_dir, work_tree)
    head = _resolve_head(git_dir, rev, source_str)
    shallow = (git_dir / "shallow").is_file()
    partial = bool(run_git(["config", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$"],
                           git_dir=git_dir, check=False).strip())
    if shallow:
        log.warning("%s is a shallow clone: its history is truncated, so counts start at the shallow boundary", name)
    return Repository(name=name, git_dir=git_dir, url=url, head=head, is_shallow=shallow, is_partial=partial,
                      work_tree=work_tree)


def _find_git_dir(path: Path, shown: str) -> Path:
    proc = subprocess.run(["git", "-C", str(path), "rev-parse", "--absolute-git-dir"], capture_output=True,
                          env=_env())
    if proc.returncode == 0:
        git_dir = Path(proc.stdout.decode().strip())
        here = path.resolve()
        # `git -C sub/folder` finds an enclosing repository: accept only the folder itself, which is the
        # git dir (bare), holds it (.git), or is the top of a linked worktree (git dir under .git/worktrees/).
        if here in (git_dir, git_dir.parent) or _work_tree(path) == here:
            return git_dir
    if (path / "objects").is_dir() and (path / "HEAD").is_file():  # a bare snapshot without a config file
        return path.resolve()
    msg = _last_line(proc.stderr)
    if "dubious ownership" in msg:
        raise GitError(f"git refuses to read {shown} (owned by another user); run: "
                       f"git config --global --add safe.directory {path.resolve()}")
    raise InputError(f"{shown} is not a git repository; give the folder of a git checkout or a bare repository")


def _work_tree(path: Path) -> Path | None:
    top = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"], capture_output=True, env=_env())
    return Path(top.stdout.decode().strip()).resolve() if top.returncode == 0 and top.stdout.strip() else None


def _local_name(git_dir: Path, work_tree: Path | None) -> str:
    origin = run_git(["config", "--get", "remote.origin.url"], git_dir=git_dir, check=False).decode().strip()
    if origin:
        try:
            return name_from_url(origin)
        except InputError:
            pass
    folder = work_tree or git_dir
    return folder.name.removesuffix(".git") or "repository"


def _resolve_head(git_dir: Path, rev: str, shown: str) -> str | None:
    if rev.startswith("-"):
        raise InputError(f"refusing revision {rev!r}: it starts with '-'")
    proc = run_git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], git_dir=git_dir, check=False)
    if proc.strip():
        return proc.decode().strip()
    if rev == "HEAD" and not run_git(["rev-list", "-n", "1", "--all"], git_dir=git_dir, check=False).strip():
        log.warning("%s has no commits; its tables will be empty", shown)
        return None
    raise InputError(f"revision {rev!r} does not exist in {shown}; pass an existing branch, tag or sha")
