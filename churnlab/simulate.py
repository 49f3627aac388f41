"""Synthetic studies: real git repositories with a known effect of AI-tool adoption on churn and reverts.

Every repository is written by **one** ``git fast-import`` process fed a stream of commands (no git process per
commit). Commit shas needed inside revert messages are asked from the same process with ``get-mark``; all
shas are read back from ``--export-marks`` at the end. Repositories are non-bare with a checked-out work tree
by default (friendlier to inspect; ``bare=True`` skips the checkout and is a little faster).

The design (what the truth tables promise)
------------------------------------------
A repository ``i`` is observed for ``months`` calendar months (UTC), indexed ``0 .. months-1`` from ``start``.
A treated repository has an adoption month ``g_i`` (its *cohort*); never-treated controls have a null cohort.
Treatment is absorbing and switches on for whole calendar months: a commit authored (UTC author time) in month
``t`` is *post* when the repository is treated and ``t >= g_i``. For every commit the design fixes

* ``p = base_churn + effect_churn * post``   (line churn probability)
* ``q = base_revert + effect_revert * post`` (commit revert probability)

and then draws, independently of everything that decides *which* commits and lines exist:

1. **Revert rule (every commit but the root).** With probability ``q`` the commit is reverted by a later
   commit after a lag ``L ~ Uniform(revert_lag_days)`` (default 1-20 days, always < 30), with git's stock
   message ``Revert "<subject>"`` / ``This reverts commit <full sha>.`` and the exact inverse content change.
   A revert of a revert re-applies the change.
2. **Line rule (every line added in a measured file).** A line is *churned* when it is modified in place or
   deleted (by an edit or by the revert of the commit that wrote it) less than ``W = 14`` days after its birth.
   Lines of a reverted commit are deleted by the revert, so they are churned exactly when ``L < 14`` days
   (probability ``c = P(L < 14)``). Lines of a commit that is not reverted are each selected independently with
   ``p' = (p - q*c) / (1 - q)`` and revised (modified one-for-one in place with probability ``modify_share``,
   else deleted) by one *edit* commit ``D ~ Uniform(churn_lag_days)`` (default 1-13 days) later. Unselected
   lines are never touched again. Hence every added line is churned within 14 days with probability exactly
   ``q*c + (1-q)*p' = p``.

Lines written by edits (the new versions of modified lines) and lines restored by reverts are new lines (git
blame credits them to that commit) and follow the same two rules as every other line; so do edit and revert
commits. Every commit, whatever its kind, is reverted within 30 days with probability ``q``.

The estimands (for the miner's panel outcomes, unit = repository, period = UTC month):

* **authoring-side churn rate (W = 14 days)** = share of the meaningful lines added in a repo-month that are
  deleted, updated or reverted within 14 days of their birth. Every line has churn probability ``p`` of its
  birth month, so the line-weighted ATT is exactly ``effect_churn``; any rule that picks the denominator's lines
  from what is known at birth (measured files, operation label, bot or not) keeps it.
* **revert rate (30 days)** = share of the commits authored in a repo-month that are reverted within 30 days.
  Every commit (the root commit excepted) has revert probability ``q``: the ATT is exactly ``effect_revert``.

Both hold in expectation of the pooled (line- or commit-weighted) share; a per-cell rate ``C/A`` additionally
carries the usual small ratio bias of order ``1/A`` (edits inside the same month add lines to ``A``). The
realised numerators and denominators of every cell are in :meth:`StudyTruth.cells`, so the *sample* ATT of a
simulated study is known exactly, not only its expectation.

Right censoring is consistent with the miner's: follow-ups falling after the end of the observation window are
not written; every line born 14 days or more (every commit authored 30 days or more) before the last commit has
its full 14-day (30-day) follow-up in the repository.

How the design stays unambiguous
--------------------------------
* Each file belongs to at most one open *chain* (a commit and its follow-ups: edit or revert, then their
  follow-ups, ...). New feature commits only write to idle files or create files, so nothing touches a file
  between a commit and its revert: ``git diff X^ X`` equals ``git diff R R^`` byte for byte.
* Every line is unique (``value_123 = compute(4, 17)``); modifications change one number token to a fresh
  unique number (GitClear's *updated*, never *copy_pasted*, *moved* or *find_replaced*).
* Bot commits (``dependabot[bot]``) change only a dependency lock file (excluded from line metrics) and follow
  the revert rule. The root commit (README, lock file) is never reverted. There are no merges: history is
  linear, one branch ``main``.

Adoption markers: in treated repositories (``ai_signal`` containing ``config``) a marker file chosen by the
repository's tool (``CLAUDE.md``, ``.cursorrules``, ``.github/copilot-instructions.md``, ``AGENTS.md``) is added
by a commit inside the adoption month; afterwards a share of human commits carries the tool's trailer
(``ai_signal`` containing ``trailer``). ``ai_signal="none"`` simulates invisible adoption.
"""

from __future__ import annotations

import heapq
from collections import deque
import random
import logging
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from .errors import GitError, InputError

__all__ = [
    "AI_SIGNALS",
    "TOOLS",
    "StudyTruth",
    "read_truth",
    "simulate_repo",
    "simulate_scale_repo",
    "simulate_study",
]

log = logging.getLogger(__name__)

AISignal = Literal["config+trailer", "config", "trailer", "none"]
Tool = Literal["claude", "cursor", "copilot", "agents"]
AI_SIGNALS: tuple[str, ...] = ("config+trailer", "config", "trailer", "none")
TOOLS: tuple[str, ...] = ("claude", "cursor", "copilot", "agents")

WINDOW_DAYS = 14
REVERT_WINDOW_DAYS = 30
DAY = 86_400

MARKERS = {
    "claude": ("CLAUDE.md", "Co-Authored-By: Claude <noreply@anthropic.com>"),
    "cursor": (".cursorrules", "Made-with: Cursor"),
    "copilot": (
        ".github/copilot-instructions.md",
        "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
    ),
    "agents": ("AGENTS.md", "Co-authored-by: Codex <noreply@openai.com>"),
}
BOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
LOCK_PATH = "package-lock.json"

_FIRST = ["Ada", "Ben", "Chloe", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Lena",
          "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera", "Wen", "Yusuf"]
_LAST = ["Okafor", "Lindqvist", "Moreau", "Petrov", "Sato", "Haddad", "Kowalski", "Nguyen", "Silva", "Brandt",
         "Ibrahim", "Costa", "Fischer", "Tanaka", "Rao", "Murphy"]
_DOMAINS = ["example.org", "example.com", "users.noreply.github.com", "dev.example.net"]
_TZ_MIN = [-480, -420, -300, -180, 0, 0, 60, 60, 120, 180, 330, 480, 540, 600]

# language -> (folder, extension, line templates); {n} a unique counter, {a} {b} numbers
_LANGS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "python": ("src", "py", (
        "value_{n} = compute({a}, {b})",
        "result_{n} = transform(value_{a}, limit={b})",
        'logger.debug("step {n}: %s", {a}, {b})',
        "cache_{n}[{a}] = lookup(key_{n}, {b})",
    )),
    "javascript": ("lib", "js", (
        "const value_{n} = compute({a}, {b});",
        "let result_{n} = transform(value_{a}, {b});",
        'console.debug("step {n}", {a}, {b});',
        "exports.handler_{n} = makeHandler({a}, {b});",
    )),
    "go": ("pkg", "go", (
        "value{n} := compute({a}, {b})",
        "result{n}, err := transform(value{a}, {b})",
        'log.Printf("step {n}: %d %d", {a}, {b})',
    )),
    "rust": ("src", "rs", (
        "let value_{n} = compute({a}, {b});",
        "let result_{n} = transform(&value_{a}, {b})?;",
        'debug!("step {n}: {{}} {{}}", {a}, {b});',
    )),
}
_LAST_NUMBER = re.compile(r"\d+(?=\D*$)")


def _choices(name: str, value: Any, allowed: Iterable[Any]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise InputError(f"{name}={value!r} is not allowed; choose one of: {', '.join(map(repr, allowed))}")


def _prob(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a probability in [0, 1], got {value!r}") from None
    if not 0.0 <= v <= 1.0:
        raise InputError(f"{name} must be a probability in [0, 1], got {value!r}")
    return v


def _lag_range(name: str, value: Sequence[float], *, upper: float) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a pair (low, high) of days, got {value!r}") from None
    if not (0 < lo <= hi < upper):
        raise InputError(f"{name}={value!r} must satisfy 0 < low <= high < {upper} days")
    return lo, hi


def _parse_start(start: str | datetime) -> datetime:
    if isinstance(start, datetime):
        dt = start if start.tzinfo else start.replace(tzinfo=timezone.utc)
    else:
        try:
            dt = datetime.fromisoformat(str(start)).replace(tzinfo=timezone.utc)
        except ValueError:
            raise InputError(f"start={start!r} is not an ISO date such as '2023-01-01'") from None
    if dt.day != 1 or (dt.hour, dt.minute, dt.second) != (0, 0, 0):
        raise InputError(f"start={start!r} must be the first day of a month at 00:00 UTC, e.g. '2023-01-01'")
    return dt.astimezone(timezone.utc)


def _month_starts(start: datetime, months: int) -> list[int]:
    out = []
    y, m = start.year, start.month
    for _ in range(months + 1):
        out.append(int(datetime(y, m, 1, tzinfo=timezone.utc).timestamp()))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _revert_churn_share(lag: tuple[float, float]) -> float:
    """c = P(L < W) for L ~ Uniform(lag) days."""
    lo, hi = lag
    if hi <= WINDOW_DAYS:
        return 1.0
    if lo >= WINDOW_DAYS:
        return 0.0
    return (WINDOW_DAYS - lo) / (hi - lo)


def _check_design(base_churn: float, effect_churn: float, base_revert: float, effect_revert: float,
                  c: float) -> None:
    for label, p, q in (("untreated", base_churn, base_revert),
                        ("treated", base_churn + effect_churn, base_revert + effect_revert)):
        if not (0 <= p <= 1 and 0 <= q < 1):
            raise InputError(f"{label} probabilities out of range: churn {p:.3f}, revert {q:.3f}; "
                             "keep base + effect within [0, 1)")
        if p < q * c - 1e-12:
            raise InputError(
                f"{label} churn probability {p:.3f} is below revert probability x P(revert lag < 14 days) = "
                f"{q:.3f} x {c:.3f} = {q * c:.3f}: lines of reverted commits alone would churn more than that. "
                "Raise base_churn, lower base_revert/effect_revert, or lengthen revert_lag_days.")
        if (p - q * c) / (1 - q) > 1 + 1e-12:
            raise InputError(f"{label} churn probability {p:.3f} too high for revert probability {q:.3f}")


# ----------------------------------------------------------------------------------------------------------
# truth
# ----------------------------------------------------------------------------------------------------------


@dataclass
class StudyTruth:
    """What the simulation did, as polars frames (see the module docstring for the design).

    ``repos``: one row per repository (cohort, adoption time, tool, marker and trailer shas, design rates).
    ``commits``: one row per commit (kind, author, time, post, p, q, lines added, realised churn and revert).
    ``lines``: one row per line added in a measured file (birth, planned and realised revision, churned_14).
    ``params``: the arguments of the run.
    """

    repos: pl.DataFrame
    commits: pl.DataFrame
    lines: pl.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def att(self) -> dict[str, float]:
        """The true ATT of each panel outcome (in expectation, see the module docstring)."""
        return {"churn_rate_14d": float(self.params["effect_churn"]),
                "revert_rate_30d": float(self.params["effect_revert"])}

    def cells(self) -> pl.DataFrame:
        """Repository x month truth: design rates and realised numerators/denominators, censored as the miner.

        Columns: repo, period (dense month index), period_start, treated, cohort, post, p_churn, p_revert,
        commits, lines_added, lines_added_uncensored, lines_churned_14d, churn_rate_14d, commits_uncensored,
        commits_reverted_30d, revert_rate_30d. Rates are null where their denominator is zero.
        """
        months = int(self.params["months"])
        starts = _month_starts(_parse_start(self.params["start"]), months)[:-1]
        grid = (self.repos.select("repo", "treated", "cohort")
                .join(pl.DataFrame({"period": list(range(months)),
                                    "period_start": [datetime.fromtimestamp(s, timezone.utc) for s in starts]},
                                   schema={"period": pl.Int32, "period_start": pl.Datetime("us", "UTC")}),
                      how="cross"))
        c = self.commits.filter(pl.col("kind") != "root")
        by_commit = c.group_by("repo", "period").agg(
            commits=pl.len(),
            commits_uncensored=(~pl.col("revert_censored")).sum(),
            commits_reverted_30d=(pl.col("reverted_within_30d") & ~pl.col("revert_censored")).sum(),
        )
        ln = self.lines.join(self.commits.select("repo", "sha", "period"), left_on=["repo", "birth_sha"],
                             right_on=["repo", "sha"])
        by_line = ln.group_by("repo", "period").agg(
            lines_added=pl.len(),
            lines_added_uncensored=(~pl.col("censored_14d")).sum(),
            lines_churned_14d=(pl.col("churned_14d") & ~pl.col("censored_14d")).sum(),
        )
        p = self.params
        out = (grid.join(by_commit, on=["repo", "period"], how="left")
               .join(by_line, on=["repo", "period"], how="left")
               .with_columns(pl.col(["commits", "commits_uncensored", "commits_reverted_30d", "lines_added",
                                     "lines_added_uncensored", "lines_churned_14d"]).fill_null(0).cast(pl.Int64))
               .with_columns(post=pl.col("treated") & (pl.col("period") >= pl.col("cohort")).fill_null(False))
               .with_columns(
                   p_churn=p["base_churn"] + p["effect_churn"] * pl.col("post").cast(pl.Float64),
                   p_revert=p["base_revert"] + p["effect_revert"] * pl.col("post").cast(pl.Float64),
                   churn_rate_14d=pl.when(pl.col("lines_added_uncensored") > 0)
                   .then(pl.col("lines_churned_14d") / pl.col("lines_added_uncensored")),
                   revert_rate_30d=pl.when(pl.col("commits_uncensored") > 0)
                   .then(pl.col("commits_reverted_30d") / pl.col("commits_uncensored")),
               ))
        return out.sort("repo", "period")

    def write(self, out_dir: str | os.PathLike) -> dict[str, Path]:
        """Write the three truth tables to ``out_dir/truth/<table>.parquet`` (through :mod:`churnlab.io`)."""
        from . import io

        prov = {"source": "churnlab.simulate", "params": self.params}
        folder = Path(out_dir) / "truth"
        return {
            name: io.write_table(df, f"sim_{name}", folder / f"{name}.parquet", prov)
            for name, df in (("repos", self.repos), ("commits", self.commits), ("lines", self.lines))
        }


def read_truth(out_dir: str | os.PathLike) -> StudyTruth:
    """Read the truth written by :func:`simulate_study` (``out_dir/truth/*.parquet``)."""
    from . import io

    folder = Path(out_dir) / "truth"
    if not (folder / "repos.parquet").is_file():
        raise InputError(f"no simulation truth under {out_dir}; run simulate_study(out_dir=...) first")
    prov = io.read_provenance(folder / "repos.parquet")
    return StudyTruth(
        repos=io.read_table(folder / "repos.parquet", "sim_repos"),
        commits=io.read_table(folder / "commits.parquet", "sim_commits"),
        lines=io.read_table(folder / "lines.parquet", "sim_lines"),
        params=prov.get("params", {}),
    )


# ----------------------------------------------------------------------------------------------------------
# one repository
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _RepoSpec:
    name: str
    months: int
    start: datetime
    developers: int
    commits_per_dev_month: float
    treated: bool
    cohort: int | None
    tool: str
    ai_signal: str
    trailer_share: float
    bot: bool
    bot_commits_per_month: float
    base_churn: float
    effect_churn: float
    base_revert: float
    effect_revert: float
    effect_commits: float
    churn_lag_days: tuple[float, float]
    revert_lag_days: tuple[float, float]
    modify_share: float
    languages: tuple[str, ...]
    lines_per_commit: tuple[int, int]
    max_file_lines: int
    big_file_lines: int
    bare: bool


@dataclass
class _Commit:
    idx: int
    kind: str
    time: int
    tz: int
    author: tuple[str, str]
    subject: str
    message: str
    changes: list[tuple[str, list[int] | None, list[int] | None]]
    added: list[int]  # measured lines written by this commit
    chain: int
    post: bool
    p: float
    q: float
    ai_trailer: bool = False
    reverts: int | None = None
    reverted_by: int | None = None
    sha: str = ""


class _FastImport:
    """One ``git fast-import`` process streaming into ``path``."""

    def __init__(self, path: Path, *, bare: bool) -> None:
        path = path.resolve()  # git runs with cwd=path: every path handed to it must be absolute
        self.path = path
        self.bare = bare
        path.mkdir(parents=True, exist_ok=True)
        if any(path.iterdir()):
            raise InputError(f"{path} exists and is not empty; pass an empty or new folder")
        self.marks = path / ("fast-import.marks" if bare else ".git/fast-import.marks")
        self._run(["git", "init", "-q", "-b", "main", *(["--bare"] if bare else []), str(path)])
        self.proc = subprocess.Popen(
            ["git", "fast-import", "--quiet", "--done", f"--export-marks={self.marks}"],
            cwd=path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.w = self.proc.stdin
        self.pending: deque[int] = deque()
        self.known: dict[int, str] = {}

    @staticmethod
    def _run(cmd: list[str], cwd: Path | None = None) -> str:
        try:
            res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH") from None
        if res.returncode:
            raise GitError(f"{' '.join(cmd[:3])} failed: {res.stderr.strip()}")
        return res.stdout

    def _fail(self) -> GitError:
        self.proc.kill()
        err = self.proc.stderr.read().decode(errors="replace")
        self.abort()
        return GitError(f"git fast-import failed in {self.path}: {err.strip()[-2000:]}")

    def abort(self) -> None:
        """Stop the process (if running) and close its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except (OSError, ValueError):
                pass

    def commit(self, c: _Commit, files: dict[str, list[int]], text: list[str]) -> None:
        name, email = c.author
        sign = "+" if c.tz >= 0 else "-"
        tz = f"{sign}{abs(c.tz) // 60:02d}{abs(c.tz) % 60:02d}"
        ident = f"{name} <{email}> {c.time} {tz}\n".encode()
        msg = c.message.encode()
        parts = [b"commit refs/heads/main\nmark :%d\nauthor " % (c.idx + 1), ident, b"committer ", ident,
                 b"data %d\n" % len(msg), msg, b"\n"]
        for path, _before, after in c.changes:
            if after is None:
                parts.append(b"D %s\n" % path.encode())
            else:
                body = ("\n".join([text[i] for i in after]) + "\n").encode() if after else b""
                parts += [b"M 100644 inline %s\ndata %d\n" % (path.encode(), len(body)), body, b"\n"]
        try:
            self.w.write(b"".join(parts))
        except BrokenPipeError:
            raise self._fail() from None

    def request_sha(self, idx: int) -> None:
        """Ask for the sha of a written commit; the answer is read later by :meth:`sha` (no round trip now)."""
        try:
            self.w.write(b"get-mark :%d\n" % (idx + 1))
        except BrokenPipeError:
            raise self._fail() from None
        self.pending.append(idx)

    def sha(self, idx: int) -> str:
        if idx not in self.known:
            if idx not in self.pending:
                self.request_sha(idx)
            try:
                self.w.flush()
                while idx not in self.known:
                    line = self.proc.stdout.readline().decode().strip()
                    if len(line) != 40:
                        raise self._fail()
                    self.known[self.pending.popleft()] = line
            except BrokenPipeError:
                raise self._fail() from None
        return self.known.pop(idx)

    def close(self) -> dict[int, str]:
        try:
            self.w.write(b"done\n")
            self.w.close()
        except BrokenPipeError:
            raise self._fail() from None
        err = self.proc.stderr.read().decode(errors="replace")
        code = self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        if code:
            raise GitError(f"git fast-import failed in {self.path}: {err.strip()[-2000:]}")
        marks = {}
        for line in self.marks.read_text().splitlines():
            mark, sha = line.split()
            marks[int(mark[1:]) - 1] = sha
        self.marks.unlink()
        if not self.bare:
            self._run(["git", "reset", "-q", "--hard"], cwd=self.path)
        return marks


class _Pool:
    """An insertion-ordered set with O(1) add, discard and random pick (deterministic, unlike set)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.pos: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def add(self, x: str) -> None:
        if x not in self.pos:
            self.pos[x] = len(self.items)
            self.items.append(x)

    def discard(self, x: str) -> None:
        k = self.pos.pop(x, None)
        if k is not None:
            last = self.items.pop()
            if k < len(self.items):
                self.items[k] = last
                self.pos[last] = k


class _RepoSim:
    def __init__(self, spec: _RepoSpec, rng: np.random.Generator) -> None:
        self.s = spec
        self.rng = rng  # numpy: vector draws (schedule)
        self.r = random.Random(int(rng.integers(2**63)))  # scalar draws (fast)
        self.months = _month_starts(spec.start, spec.months)
        self.horizon = self.months[-1]
        self.c = _revert_churn_share(spec.revert_lag_days)
        self.text: list[str] = []
        self.birth: list[int] = []
        self.measured: list[bool] = []
        self.files: dict[str, list[int]] = {}
        self.file_lang: dict[str, str] = {}
        self.owner: dict[str, int | None] = {}
        self.chain_files: dict[int, list[str]] = {}
        self.idle: dict[str, _Pool] = {}
        self.commits: list[_Commit] = []
        self.line_end: dict[int, tuple[int, str]] = {}  # line -> (commit idx, revision)
        self.planned: dict[int, tuple[int, str]] = {}  # line -> (planned time, "edit"/"revert")
        self.counter = 1000  # above every random number in templates, so modified lines always differ
        self.n_files = 0
        self.n_chains = 0
        self.events: list[tuple[int, int, str, Any]] = []
        self.seq = 0
        self.first_trailer: int | None = None
        self.marker_commit: int | None = None
        devs = []
        first = rng.permutation(len(_FIRST))
        for k in range(spec.developers):
            fn = _FIRST[first[k % len(_FIRST)]]
            ln = _LAST[int(rng.integers(len(_LAST)))]
            email = f"{fn.lower()}.{ln.lower()}{'' if k < len(_FIRST) else k}@{_DOMAINS[int(rng.integers(len(_DOMAINS)))]}"
            devs.append(((f"{fn} {ln}", email), int(_TZ_MIN[int(rng.integers(len(_TZ_MIN)))])))
        self.devs = devs

    # -- helpers ---------------------------------------------------------------------------------------
    def month_of(self, t: int) -> int:
        return int(np.searchsorted(self.months, t, side="right")) - 1

    def is_post(self, t: int) -> bool:
        return self.s.treated and self.s.cohort is not None and self.month_of(t) >= self.s.cohort

    def rates(self, t: int) -> tuple[bool, float, float]:
        post = self.is_post(t)
        s = self.s
        return post, s.base_churn + s.effect_churn * post, s.base_revert + s.effect_revert * post

    def push(self, t: int, kind: str, payload: Any) -> None:
        if t < self.horizon:
            heapq.heappush(self.events, (t, self.seq, kind, payload))
            self.seq += 1

    def new_line(self, text: str, idx: int, measured: bool) -> int:
        self.text.append(text)
        self.birth.append(idx)
        self.measured.append(measured)
        return len(self.text) - 1

    def fresh(self) -> int:
        self.counter += 1
        return self.counter

    def code_line(self, lang: str) -> str:
        templates = _LANGS[lang][2]
        tpl = templates[(self.r.randrange(len(templates)))]
        return tpl.format(n=self.fresh(), a=(self.r.randrange(1, 100)), b=(self.r.randrange(1, 1000)))

    def new_file(self, lang: str) -> str:
        self.n_files += 1
        folder, ext, _ = _LANGS[lang]
        stem = ("module", "util", "service", "handler", "model", "core")[self.n_files % 6]
        path = f"{folder}/pkg{self.n_files // 20}/{stem}_{self.n_files}.{ext}"
        self.files[path] = []
        self.file_lang[path] = lang
        self.owner[path] = None
        return path

    # -- commit construction -----------------------------------------------------------------------------
    def make_commit(self, kind: str, t: int, author: tuple[str, str], tz: int, subject: str,
                    changes: list[tuple[str, list[int] | None, list[int] | None]], chain: int,
                    *, body: str = "", reverts: int | None = None, human: bool = True) -> _Commit:
        post, p, q = self.rates(t)
        if kind == "root":
            q = 0.0
        trailer = False
        sig = self.s.ai_signal
        if human and post and "trailer" in sig and kind in ("feature", "edit"):
            trailer = bool(self.r.random() < self.s.trailer_share)
        message = subject + "\n"
        if body:
            message += "\n" + body + "\n"
        if trailer:
            message += "\n" + MARKERS[self.s.tool][1] + "\n"
        idx = len(self.commits)
        added = []
        for _path, before, after in changes:
            if after:
                old = set(before or ())
                added += [i for i in after if i not in old and self.measured[i]]
        c = _Commit(idx, kind, t, tz, author, subject, message, changes, added, chain, post, p, q,
                    ai_trailer=trailer, reverts=reverts)
        if trailer and self.first_trailer is None:
            self.first_trailer = idx
        for _path, before, after in changes:
            if before:
                keep = set(after or ())
                for i in before:
                    if i not in keep:
                        self.line_end.setdefault(i, (idx, "deleted"))
        self.commits.append(c)
        return c

    def emit(self, c: _Commit) -> None:
        for path, _before, after in c.changes:
            if after is None:
                self.files.pop(path, None)
            else:
                self.files[path] = after
        self.fi.commit(c, self.files, self.text)
        self.plan(c)

    def plan(self, c: _Commit) -> None:
        """Draw the follow-up of commit ``c``: its revert, or one edit of its selected lines, or none."""
        rng = self.r
        if c.kind != "root" and rng.random() < c.q:
            lag = int(rng.uniform(*self.s.revert_lag_days) * DAY)
            for i in c.added:
                self.planned[i] = (c.time + lag, "revert")
            if c.time + lag < self.horizon:
                self.fi.request_sha(c.idx)
                self.push(c.time + lag, "revert", c.idx)
            return
        q = c.q
        p_sel = (c.p - q * self.c) / (1 - q) if c.kind != "root" else c.p
        chosen = [i for i in c.added if rng.random() < p_sel]
        if chosen:
            lag = int(rng.uniform(*self.s.churn_lag_days) * DAY)
            for i in chosen:
                self.planned[i] = (c.time + lag, "edit")
            if c.time + lag < self.horizon:
                actions = ["modify" if rng.random() < self.s.modify_share else "delete" for _ in chosen]
                self.push(c.time + lag, "edit", (c.idx, chosen, actions))
                return
        self.release(c.chain)

    def claim(self, path: str, chain: int) -> None:
        self.owner[path] = chain
        self.chain_files.setdefault(chain, []).append(path)
        lang = self.file_lang.get(path)
        if lang in self.idle:
            self.idle[lang].discard(path)

    def release(self, chain: int) -> None:
        for path in self.chain_files.pop(chain, ()):
            self.owner[path] = None
            lang = self.file_lang.get(path)
            if lang in _LANGS and path in self.files and len(self.files[path]) < self.s.max_file_lines:
                self.idle.setdefault(lang, _Pool()).add(path)

    def pick_dev(self, avoid: tuple[str, str] | None = None, same: float = 0.0) -> tuple[tuple[str, str], int]:
        if avoid is not None and self.r.random() < same:
            for d in self.devs:
                if d[0] == avoid:
                    return d
        return self.devs[(self.r.randrange(len(self.devs)))]

    # -- event handlers ------------------------------------------------------------------------------------
    def root(self) -> None:
        t = self.months[0] + 3600
        changes = []
        lines = [self.new_line(f"# {self.s.name.split('/')[-1]}", 0, True),
                 self.new_line(f"Synthetic repository {self.s.name} generated by churnlab (seed run).", 0, True)]
        changes.append(("README.md", None, lines))
        if self.s.bot or self.s.big_file_lines:
            n = max(self.s.big_file_lines, 40)
            lock = [self.new_line(f'    "node_modules/pkg-{k}": {{"version": "1.{k % 50}.{k % 7}"}},', 0, False)
                    for k in range(n)]
            changes.append((LOCK_PATH, None, lock))
        (author, tz) = self.devs[0]
        self.n_chains += 1
        for path, _, _ in changes:
            self.claim(path, self.n_chains)
        c = self.make_commit("root", t, author, tz, "Initial commit", changes, self.n_chains)
        self.emit(c)

    def feature(self, t: int, dev: int) -> None:
        author, tz = self.devs[dev]
        rng = self.r
        n_files = 1 if rng.random() < 0.8 else 2
        self.n_chains += 1
        chain = self.n_chains
        changes = []
        idx = len(self.commits)
        for _ in range(n_files):
            lang = self.s.languages[(self.r.randrange(len(self.s.languages)))]
            idle = self.idle.get(lang)
            if not idle or rng.random() < 0.1:
                path = self.new_file(lang)
                before = None
                old: list[int] = []
            else:
                path = idle.items[self.r.randrange(len(idle.items))]
                before = self.files[path]
                old = before
            self.claim(path, chain)
            k = (self.r.randrange(self.s.lines_per_commit[0], self.s.lines_per_commit[1] + 1))
            block = [self.new_line(self.code_line(lang), idx, True) for _ in range(k)]
            pos = (self.r.randrange(len(old) + 1))
            changes.append((path, before, old[:pos] + block + old[pos:]))
        stem = changes[0][0].rsplit("/", 1)[-1].split(".")[0]
        verb = ("Add", "Implement", "Support", "Extend", "Introduce")[(self.r.randrange(5))]
        subject = f"{verb} {('parsing', 'caching', 'validation', 'logging', 'retries', 'export')[(self.r.randrange(6))]} in {stem} ({self.fresh()})"
        c = self.make_commit("feature", t, author, tz, subject, changes, chain)
        self.emit(c)

    def edit(self, t: int, payload: tuple[int, list[int], list[str]]) -> None:
        parent_idx, chosen, actions = payload
        parent = self.commits[parent_idx]
        author, tz = self.pick_dev(parent.author, same=0.6)
        action = dict(zip(chosen, actions))
        idx = len(self.commits)
        changes = []
        for path, _before, after in parent.changes:
            if after is None or not any(i in action for i in after):
                continue
            cur = self.files[path]
            new = []
            for i in cur:
                a = action.get(i)
                if a is None:
                    new.append(i)
                elif a == "modify":
                    txt = _LAST_NUMBER.sub(str(self.fresh()), self.text[i], count=1)
                    new.append(self.new_line(txt, idx, True))
                    self.line_end[i] = (idx, "modified")
            changes.append((path, cur, new))
        stem = changes[0][0].rsplit("/", 1)[-1].split(".")[0]
        verb = ("Fix", "Tweak", "Adjust", "Clean up", "Correct")[(self.r.randrange(5))]
        c = self.make_commit("edit", t, author, tz, f"{verb} {stem} after review ({self.fresh()})", changes,
                             parent.chain)
        self.emit(c)

    def revert(self, t: int, target_idx: int) -> None:
        x = self.commits[target_idx]
        author, tz = self.pick_dev()
        idx = len(self.commits)
        changes = []
        for path, before, after in x.changes:
            cur = self.files.get(path)
            if (cur if cur is not None else None) != after:
                raise AssertionError(f"simulation bug: {path} changed between commit {x.idx} and its revert")
            if before is None:
                changes.append((path, cur, None))
                continue
            keep = set(after or ())
            restored = [i if i in keep else self.new_line(self.text[i], idx, self.measured[i]) for i in before]
            changes.append((path, cur, restored))
        for path, _before, after in x.changes:
            if after:
                old = set(_before or ())
                for i in after:
                    if i not in old:
                        self.line_end[i] = (idx, "reverted")
        sha = self.fi.sha(x.idx)
        c = self.make_commit("revert", t, author, tz, f'Revert "{x.subject}"', changes, x.chain,
                             body=f"This reverts commit {sha}.", reverts=x.idx)
        x.reverted_by = idx
        self.emit(c)

    def marker(self, t: int) -> None:
        path, _ = MARKERS[self.s.tool]
        dev = (self.r.randrange(len(self.devs)))
        author, tz = self.devs[dev]
        idx = len(self.commits)
        rules = [f"- Rule {k}: keep functions small and name values explicitly (ref {self.fresh()})"
                 for k in range(1, (self.r.randrange(4, 9)))]
        lines = [self.new_line(f"# Project guidance for {self.s.tool} ({self.fresh()})", idx, True)]
        lines += [self.new_line(r, idx, True) for r in rules]
        self.n_chains += 1
        self.file_lang[path] = "markdown"
        self.claim(path, self.n_chains)
        c = self.make_commit("marker", t, author, tz, f"Add {path} for {self.s.tool}", [(path, None, lines)],
                             self.n_chains)
        self.marker_commit = idx
        self.emit(c)

    def bot_commit(self, t: int) -> None:
        if self.owner.get(LOCK_PATH) is not None or LOCK_PATH not in self.files:
            return
        cur = self.files[LOCK_PATH]
        idx = len(self.commits)
        new = list(cur)
        pkg = (self.r.randrange(len(cur)))
        v = self.fresh()
        for j in sorted({pkg, (pkg + 1) % len(cur)}):
            new[j] = self.new_line(f'    "node_modules/pkg-{j}": {{"version": "2.{v}.{j % 7}"}},', idx, False)
        self.n_chains += 1
        self.claim(LOCK_PATH, self.n_chains)
        c = self.make_commit("bot", t, BOT, 0, f"Bump pkg-{pkg} to 2.{v}.{pkg % 7}", [(LOCK_PATH, cur, new)],
                             self.n_chains, body="Bumps pkg-{pkg}. Signed-off-by: dependabot[bot]".format(pkg=pkg),
                             human=False)
        self.emit(c)

    # -- run -------------------------------------------------------------------------------------------
    def schedule(self) -> None:
        s, rng = self.s, self.rng
        for m in range(s.months):
            lo, hi = self.months[m], self.months[m + 1]
            post = s.treated and s.cohort is not None and m >= s.cohort
            lam = s.commits_per_dev_month * (1 + s.effect_commits * post)
            for d in range(len(self.devs)):
                for t in np.sort(rng.integers(lo + 7200, hi, size=int(rng.poisson(lam)))):
                    self.push(int(t), "feature", d)
            if s.bot:
                for t in rng.integers(lo + 7200, hi, size=int(rng.poisson(s.bot_commits_per_month))):
                    self.push(int(t), "bot", None)
            if s.treated and s.cohort == m and "config" in s.ai_signal:
                self.push(int(rng.integers(lo + 7200, hi)), "marker", None)

    def run(self, path: Path) -> tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]:
        self.fi = _FastImport(path, bare=self.s.bare)
        try:
            self.root()
            self.schedule()
            handlers = {"feature": self.feature, "edit": self.edit, "revert": self.revert,
                        "bot": lambda t, _p: self.bot_commit(t), "marker": lambda t, _p: self.marker(t)}
            while self.events:
                t, _seq, kind, payload = heapq.heappop(self.events)
                handlers[kind](t, payload)
            marks = self.fi.close()
        except BaseException:
            self.fi.abort()
            raise
        for c in self.commits:
            c.sha = marks[c.idx]
        return self.tables()

    def tables(self) -> tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]:
        s = self.s
        last = self.commits[-1].time
        cs = self.commits
        ctime = [c.time for c in cs]
        csha = [c.sha for c in cs]
        churned_per_commit = [0] * len(cs)
        ids = [i for i, m in enumerate(self.measured) if m]
        births = [self.birth[i] for i in ids]
        ends = [self.line_end.get(i) for i in ids]
        plans = [self.planned.get(i) for i in ids]
        born = [ctime[b] for b in births]
        died = [None if e is None else ctime[e[0]] for e in ends]
        churned = [d is not None and d - t < WINDOW_DAYS * DAY for d, t in zip(died, born)]
        for b, ch in zip(births, churned):
            if ch:
                churned_per_commit[b] += 1
        lines = pl.DataFrame({
            "repo": [s.name] * len(ids),
            "line_id": ids,
            "birth_sha": [csha[b] for b in births],
            "birth_time": born,
            "text": [self.text[i] for i in ids],
            "planned": [None if p is None else p[1] for p in plans],
            "planned_time": [None if p is None else p[0] for p in plans],
            "revised_sha": [None if e is None else csha[e[0]] for e in ends],
            "revised_time": died,
            "revision": [None if e is None else e[1] for e in ends],
            "churned_14d": churned,
            "censored_14d": [t > last - WINDOW_DAYS * DAY for t in born],
        }, schema_overrides={"line_id": pl.Int64, "birth_time": pl.Int64, "planned_time": pl.Int64,
                             "revised_time": pl.Int64, "planned": pl.String, "revised_sha": pl.String,
                             "revision": pl.String})
        lines = lines.with_columns(_epoch(c) for c in ("birth_time", "planned_time", "revised_time"))
        rb = [cs[c.reverted_by] if c.reverted_by is not None else None for c in cs]
        commits = pl.DataFrame({
            "repo": [s.name] * len(cs),
            "sha": csha,
            "seq": [c.idx for c in cs],
            "kind": [c.kind for c in cs],
            "author_name": [c.author[0] for c in cs],
            "author_email": [c.author[1] for c in cs],
            "is_bot": [c.kind == "bot" for c in cs],
            "author_time": ctime,
            "author_tz_offset_min": [c.tz for c in cs],
            "period": [self.month_of(t) for t in ctime],
            "post": [c.post for c in cs],
            "p_churn": [float(c.p) for c in cs],
            "p_revert": [float(c.q) for c in cs],
            "ai_trailer": [c.ai_trailer for c in cs],
            "subject": [c.subject for c in cs],
            "lines_added": [len(c.added) for c in cs],
            "lines_churned_14d": churned_per_commit,
            "reverts_sha": [None if c.reverts is None else csha[c.reverts] for c in cs],
            "reverted_by_sha": [None if r is None else r.sha for r in rb],
            "revert_lag_days": [None if r is None else (r.time - c.time) / DAY for c, r in zip(cs, rb)],
            "reverted_within_30d": [r is not None and r.time - c.time < REVERT_WINDOW_DAYS * DAY
                                    for c, r in zip(cs, rb)],
            "revert_censored": [c.time > last - REVERT_WINDOW_DAYS * DAY for c in cs],
        }, schema_overrides={"author_time": pl.Int64, "reverts_sha": pl.String, "reverted_by_sha": pl.String,
                             "revert_lag_days": pl.Float64})
        commits = commits.with_columns(_epoch("author_time"))
        marker = cs[self.marker_commit] if self.marker_commit is not None else None
        trailer = cs[self.first_trailer] if self.first_trailer is not None else None
        signals = [x.time for x in (marker, trailer) if x is not None]
        repo = {
            "repo": s.name,
            "path": str(self.fi.path),
            "treated": s.treated,
            "cohort": s.cohort,
            "adoption_start": (datetime.fromtimestamp(self.months[s.cohort], timezone.utc)
                               if s.cohort is not None else None),
            "tool": s.tool if s.treated else None,
            "ai_signal": s.ai_signal if s.treated else None,
            "marker_path": MARKERS[s.tool][0] if marker is not None else None,
            "marker_sha": marker.sha if marker is not None else None,
            "first_trailer_sha": trailer.sha if trailer is not None else None,
            "first_signal_time": datetime.fromtimestamp(min(signals), timezone.utc) if signals else None,
            "n_developers": s.developers,
            "has_bot": s.bot,
            "n_commits": len(cs),
            "head_sha": cs[-1].sha,
            "base_churn": s.base_churn,
            "effect_churn": s.effect_churn if s.treated else 0.0,
            "base_revert": s.base_revert,
            "effect_revert": s.effect_revert if s.treated else 0.0,
        }
        return repo, commits, lines


_REPO_SCHEMA = {
    "repo": pl.String, "path": pl.String, "treated": pl.Boolean, "cohort": pl.Int32,
    "adoption_start": pl.Datetime("us", "UTC"), "tool": pl.String, "ai_signal": pl.String,
    "marker_path": pl.String, "marker_sha": pl.String, "first_trailer_sha": pl.String,
    "first_signal_time": pl.Datetime("us", "UTC"), "n_developers": pl.Int32, "has_bot": pl.Boolean,
    "n_commits": pl.Int64, "head_sha": pl.String, "base_churn": pl.Float64, "effect_churn": pl.Float64,
    "base_revert": pl.Float64, "effect_revert": pl.Float64,
}
_COMMIT_SCHEMA = {
    "repo": pl.String, "sha": pl.String, "seq": pl.Int64, "kind": pl.String, "author_name": pl.String,
    "author_email": pl.String, "is_bot": pl.Boolean, "author_time": pl.Datetime("us", "UTC"),
    "author_tz_offset_min": pl.Int16, "period": pl.Int32, "post": pl.Boolean, "p_churn": pl.Float64,
    "p_revert": pl.Float64, "ai_trailer": pl.Boolean, "subject": pl.String, "lines_added": pl.Int64,
    "lines_churned_14d": pl.Int64, "reverts_sha": pl.String, "reverted_by_sha": pl.String,
    "revert_lag_days": pl.Float64, "reverted_within_30d": pl.Boolean, "revert_censored": pl.Boolean,
}
_LINE_SCHEMA = {
    "repo": pl.String, "line_id": pl.Int64, "birth_sha": pl.String, "birth_time": pl.Datetime("us", "UTC"),
    "text": pl.String, "planned": pl.String, "planned_time": pl.Datetime("us", "UTC"), "revised_sha": pl.String,
    "revised_time": pl.Datetime("us", "UTC"), "revision": pl.String, "churned_14d": pl.Boolean,
    "censored_14d": pl.Boolean,
}


def _epoch(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col), time_unit="s").dt.cast_time_unit("us").dt.replace_time_zone("UTC")


def _frames(rows: list[tuple[dict, pl.DataFrame, pl.DataFrame]]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    repos = pl.DataFrame([r[0] for r in rows], schema=_REPO_SCHEMA, orient="row")
    commits = pl.concat([r[1] for r in rows]).cast(_COMMIT_SCHEMA)  # type: ignore[arg-type]
    lines = pl.concat([r[2] for r in rows]).cast(_LINE_SCHEMA)  # type: ignore[arg-type]
    return repos.sort("repo"), commits.sort("repo", "seq"), lines.sort("repo", "line_id")


# ----------------------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------------------


def _int_range(name: str, value: int | Sequence[int], *, low: int) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        value = (int(value), int(value))
    try:
        lo, hi = (int(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be an int or a pair (low, high), got {value!r}") from None
    if not low <= lo <= hi:
        raise InputError(f"{name}={value!r} must satisfy {low} <= low <= high")
    return lo, hi


def _common(*, months: int, base_churn: float, effect_churn: float, base_revert: float, effect_revert: float,
            ai_signal: str, churn_lag_days: Sequence[float], revert_lag_days: Sequence[float],
            commits_per_dev_month: float, languages: Sequence[str]) -> dict[str, Any]:
    if not isinstance(months, (int, np.integer)) or months < 2:
        raise InputError(f"months must be an int >= 2, got {months!r}")
    _choices("ai_signal", ai_signal, AI_SIGNALS)
    for lang in languages:
        _choices("languages item", lang, tuple(_LANGS))
    if not languages:
        raise InputError(f"languages must name at least one of {', '.join(_LANGS)}")
    if not float(commits_per_dev_month) > 0:
        raise InputError(f"commits_per_dev_month must be > 0, got {commits_per_dev_month!r}")
    churn_lag = _lag_range("churn_lag_days", churn_lag_days, upper=WINDOW_DAYS)
    revert_lag = _lag_range("revert_lag_days", revert_lag_days, upper=REVERT_WINDOW_DAYS)
    b_c, b_r = _prob("base_churn", base_churn), _prob("base_revert", base_revert)
    e_c, e_r = float(effect_churn), float(effect_revert)
    _check_design(b_c, e_c, b_r, e_r, _revert_churn_share(revert_lag))
    return dict(base_churn=b_c, effect_churn=e_c, base_revert=b_r, effect_revert=e_r,
                churn_lag_days=churn_lag, revert_lag_days=revert_lag)


def simulate_study(
    out_dir: str | os.PathLike,
    *,
    n_repos: int = 40,
    share_treated: float = 0.5,
    months: int = 24,
    start: str = "2023-01-01",
    developers: int | tuple[int, int] = (2, 6),
    commits_per_dev_month: float = 1.0,
    adoption_months: Iterable[int] | None = None,
    effect_churn: float = 0.10,
    effect_revert: float = 0.05,
    base_churn: float = 0.15,
    base_revert: float = 0.03,
    effect_commits: float = 0.0,
    ai_signal: AISignal = "config+trailer",
    trailer_share: float = 0.4,
    tools: Sequence[Tool] = TOOLS,
    share_bot: float = 0.3,
    churn_lag_days: tuple[float, float] = (1.0, 13.0),
    revert_lag_days: tuple[float, float] = (1.0, 20.0),
    modify_share: float = 0.6,
    languages: Sequence[str] = ("python", "javascript", "go", "rust"),
    bare: bool = False,
    seed: int = 0,
) -> StudyTruth:
    """Write a staggered-adoption study of ``n_repos`` git repositories to ``out_dir`` and return its truth.

    Repositories are ``out_dir/repo_000 ..``; the truth tables go to ``out_dir/truth/*.parquet`` (read them back
    with :func:`read_truth`). Treated repositories (``round(n_repos * share_treated)`` of them) get an adoption
    month drawn uniformly from ``adoption_months`` (default ``range(months // 4, months - months // 4)``);
    the rest are never treated (null cohort). Each repository gets 1-2 languages, a tool (cycled over
    ``tools``), ``developers`` developers (an int or an inclusive range) with distinct emails and UTC offsets,
    and with probability ``share_bot`` a ``dependabot[bot]`` updating ``package-lock.json``.

    Parameters are validated; probabilities must leave ``p >= q * P(revert lag < 14 days)`` in every cell
    (see the module docstring for the design and the estimands: the true ATTs are ``effect_churn`` on the
    14-day authoring-side churn rate and ``effect_revert`` on the 30-day revert rate).

    Examples
    --------
    >>> truth = simulate_study(tmp / "study", n_repos=4, months=6, seed=1)  # doctest: +SKIP
    >>> truth.att
    {'churn_rate_14d': 0.1, 'revert_rate_30d': 0.05}
    """
    if not isinstance(n_repos, (int, np.integer)) or n_repos < 1:
        raise InputError(f"n_repos must be a positive int, got {n_repos!r}")
    share = _prob("share_treated", share_treated)
    common = _common(months=months, base_churn=base_churn, effect_churn=effect_churn, base_revert=base_revert,
                     effect_revert=effect_revert, ai_signal=ai_signal, churn_lag_days=churn_lag_days,
                     revert_lag_days=revert_lag_days, commits_per_dev_month=commits_per_dev_month,
                     languages=languages)
    dev_range = _int_range("developers", developers, low=1)
    adoption = sorted(set(adoption_months)) if adoption_months is not None else list(
        range(max(1, months // 4), max(2, months - months // 4)))
    if not adoption or any((not isinstance(a, (int, np.integer))) or not 1 <= a < months for a in adoption):
        raise InputError(f"adoption_months must be ints in 1..{months - 1} (month 0 is the first month, "
                         f"which has no pre-period), got {adoption_months!r}")
    for t in tools:
        _choices("tools item", t, TOOLS)
    if not tools:
        raise InputError(f"tools must name at least one of {', '.join(TOOLS)}")
    share_bot = _prob("share_bot", share_bot)
    start_dt = _parse_start(start)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"out_dir {out} exists and is not empty; pass a new or empty folder")
    params = dict(n_repos=int(n_repos), share_treated=share, months=int(months), start=start_dt.date().isoformat(),
                  developers=list(dev_range), commits_per_dev_month=float(commits_per_dev_month),
                  adoption_months=list(map(int, adoption)), effect_commits=float(effect_commits),
                  ai_signal=ai_signal, trailer_share=_prob("trailer_share", trailer_share), tools=list(tools),
                  share_bot=share_bot, modify_share=_prob("modify_share", modify_share),
                  languages=list(languages), bare=bool(bare), seed=int(seed),
                  **{k: (list(v) if isinstance(v, tuple) else v) for k, v in common.items()})
    root = np.random.SeedSequence(seed)
    design = np.random.default_rng(root.spawn(1)[0])
    n_treated = int(round(n_repos * share))
    treated = np.zeros(n_repos, dtype=bool)
    treated[design.choice(n_repos, size=n_treated, replace=False)] = True
    rows = []
    for k, ss in enumerate(root.spawn(n_repos + 1)[1:]):
        rng = np.random.default_rng(ss)
        n_lang = 1 if rng.random() < 0.6 else 2
        langs = tuple(sorted(str(x) for x in rng.choice(list(languages), size=min(n_lang, len(languages)), replace=False)))
        cohort = int(adoption[int(rng.integers(len(adoption)))]) if treated[k] else None
        spec = _RepoSpec(
            name=f"repo_{k:03d}", months=int(months), start=start_dt,
            developers=int(rng.integers(dev_range[0], dev_range[1] + 1)),
            commits_per_dev_month=float(commits_per_dev_month), treated=bool(treated[k]), cohort=cohort,
            tool=tools[k % len(tools)], ai_signal=ai_signal, trailer_share=params["trailer_share"],
            bot=bool(rng.random() < share_bot), bot_commits_per_month=1.0, effect_commits=float(effect_commits),
            modify_share=params["modify_share"], languages=langs, lines_per_commit=(3, 25), max_file_lines=200,
            big_file_lines=0, bare=bool(bare), **common,
        )
        rows.append(_RepoSim(spec, rng).run(out / spec.name))
        log.debug("simulated %s: %d commits", spec.name, rows[-1][0]["n_commits"])
    repos, commits, lines = _frames(rows)
    truth = StudyTruth(repos, commits, lines, params)
    truth.write(out)
    log.info("simulated %d repositories, %d commits into %s", n_repos, commits.height, out)
    return truth


def simulate_repo(
    path: str | os.PathLike,
    *,
    months: int = 12,
    start: str = "2023-01-01",
    developers: int = 3,
    commits_per_dev_month: float = 3.0,
    adoption_month: int | None = None,
    tool: Tool = "claude",
    ai_signal: AISignal = "config+trailer",
    trailer_share: float = 0.4,
    effect_churn: float = 0.10,
    effect_revert: float = 0.05,
    base_churn: float = 0.15,
    base_revert: float = 0.03,
    effect_commits: float = 0.0,
    bot: bool = False,
    bot_commits_per_month: float = 1.0,
    churn_lag_days: tuple[float, float] = (1.0, 13.0),
    revert_lag_days: tuple[float, float] = (1.0, 20.0),
    modify_share: float = 0.6,
    languages: Sequence[str] = ("python",),
    lines_per_commit: int | tuple[int, int] = (3, 25),
    max_file_lines: int = 200,
    big_file_lines: int = 0,
    bare: bool = False,
    name: str | None = None,
    seed: int = 0,
) -> StudyTruth:
    """Write one simulated repository at ``path`` (a new or empty folder) and return its truth.

    ``adoption_month=None`` makes a never-treated repository; otherwise the marker/trailers appear from that
    month on (``ai_signal``) and the effects apply to commits authored in it and later. ``big_file_lines``
    puts a generated ``package-lock.json`` of that many lines in the root commit (bot commits rewrite it),
    for memory tests. The truth is returned, not written (call ``truth.write(folder)`` to keep it).
    """
    common = _common(months=months, base_churn=base_churn, effect_churn=effect_churn, base_revert=base_revert,
                     effect_revert=effect_revert, ai_signal=ai_signal, churn_lag_days=churn_lag_days,
                     revert_lag_days=revert_lag_days, commits_per_dev_month=commits_per_dev_month,
                     languages=languages)
    _choices("tool", tool, TOOLS)
    if adoption_month is not None and (not isinstance(adoption_month, (int, np.integer))
                                       or not 0 <= adoption_month < months):
        raise InputError(f"adoption_month must be None (never treated) or an int in 0..{months - 1}, "
                         f"got {adoption_month!r}")
    if not isinstance(developers, (int, np.integer)) or developers < 1:
        raise InputError(f"developers must be a positive int, got {developers!r}")
    if not isinstance(big_file_lines, (int, np.integer)) or big_file_lines < 0:
        raise InputError(f"big_file_lines must be an int >= 0, got {big_file_lines!r}")
    if not isinstance(max_file_lines, (int, np.integer)) or max_file_lines < 10:
        raise InputError(f"max_file_lines must be an int >= 10, got {max_file_lines!r}")
    lpc = _int_range("lines_per_commit", lines_per_commit, low=1)
    start_dt = _parse_start(start)
    path = Path(path)
    name = name or path.name
    spec = _RepoSpec(
        name=name, months=int(months), start=start_dt, developers=int(developers),
        commits_per_dev_month=float(commits_per_dev_month), treated=adoption_month is not None,
        cohort=None if adoption_month is None else int(adoption_month), tool=tool, ai_signal=ai_signal,
        trailer_share=_prob("trailer_share", trailer_share), bot=bool(bot),
        bot_commits_per_month=float(bot_commits_per_month), effect_commits=float(effect_commits),
        modify_share=_prob("modify_share", modify_share), languages=tuple(languages), lines_per_commit=lpc,
        max_file_lines=int(max_file_lines), big_file_lines=int(big_file_lines), bare=bool(bare), **common,
    )
    params = dict(months=int(months), start=start_dt.date().isoformat(), developers=int(developers),
                  commits_per_dev_month=float(commits_per_dev_month), adoption_month=adoption_month, tool=tool,
                  ai_signal=ai_signal, trailer_share=spec.trailer_share, effect_commits=float(effect_commits),
                  bot=bool(bot), modify_share=spec.modify_share, languages=list(languages),
                  lines_per_commit=list(lpc), max_file_lines=int(max_file_lines),
                  big_file_lines=int(big_file_lines), bare=bool(bare), name=name, seed=int(seed),
                  **{k: (list(v) if isinstance(v, tuple) else v) for k, v in common.items()})
    row = _RepoSim(spec, np.random.default_rng(np.random.SeedSequence(seed))).run(path)
    repos, commits, lines = _frames([row])
    return StudyTruth(repos, commits, lines, params)


def simulate_scale_repo(
    path: str | os.PathLike,
    *,
    n_commits: int = 50_000,
    big_file_lines: int = 0,
    developers: int = 12,
    months: int = 60,
    seed: int = 0,
    bare: bool = True,
) -> StudyTruth:
    """A large linear history for benchmarks and memory tests: about ``n_commits`` commits (within a few
    percent), optionally with a generated ``package-lock.json`` of ``big_file_lines`` lines rewritten by bot
    commits. Never treated; defaults of :func:`simulate_repo` otherwise."""
    if not isinstance(n_commits, (int, np.integer)) or n_commits < 10:
        raise InputError(f"n_commits must be an int >= 10, got {n_commits!r}")
    # a feature commit brings ~0.9 follow-ups (edits, reverts, their follow-ups) at the default rates
    per_dev_month = n_commits / (1.9 * developers * months)
    return simulate_repo(path, months=months, developers=developers, commits_per_dev_month=per_dev_month,
                         bot=big_file_lines > 0, bot_commits_per_month=0.5 if big_file_lines else 1.0,
                         big_file_lines=big_file_lines, languages=("python", "javascript"), seed=seed, bare=bare)
