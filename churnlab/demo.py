"""The embedded default study (``make demo``): simulate -> mine -> panel -> estimate -> report, no network.

A synthetic study with a known effect is written as real git repositories (:mod:`churnlab.simulate`), mined
exactly as public repositories are (:func:`churnlab.study.mine_study`), turned into a repository x month
panel, and analysed with every estimator (:mod:`churnlab.analysis`). The headline table sets each estimate
and its 95% interval beside the true effect the simulation built in.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .errors import InputError

__all__ = ["DemoResult", "run_demo"]

log = logging.getLogger(__name__)

#: The simulated truth's outcome names, mapped to the panel's.
_OUTCOME_OF_TRUTH = {"churn_rate_14d": "new_code_churn", "revert_rate_30d": "revert_rate"}


@dataclass
class DemoResult:
    headline: pl.DataFrame
    report: Path
    figures: list[Path]
    dataset: Path
    seconds: dict[str, float]


#: Adoption months of the demo's cohorts: four cohorts of about five repositories each, so that
#: Callaway-Sant'Anna, which estimates each cohort's effects from that cohort's units alone, has several units
#: per cohort (with one or two, its cohort effects and their standard errors are very noisy).
DEMO_COHORTS = (6, 9, 12, 15)


def run_demo(out: str | os.PathLike = "reports/demo", *, n_repos: int = 40, months: int = 24,
             commits_per_dev_month: float = 3.0, effect_churn: float = 0.10, effect_revert: float = 0.05,
             adoption_months: tuple[int, ...] = DEMO_COHORTS, workers: int = 2, bootstrap: int = 499, seed: int = 2026,
             on_step: Callable[[str], None] | None = None) -> DemoResult:
    """Run the demo study into ``out`` (replacing an earlier demo there) and return its headline table."""
    from .analysis import analyse, write_analysis
    from .simulate import simulate_study
    from .study import ManifestRow, mine_study

    if n_repos < 8:
        raise InputError(f"n_repos={n_repos} is too few for a staggered design; use 8 or more")
    step = on_step or (lambda msg: log.info("%s", msg))
    out = Path(out).resolve()
    for sub in ("repos", "data", "report"):
        shutil.rmtree(out / sub, ignore_errors=True)
    seconds: dict[str, float] = {}

    t = time.perf_counter()
    truth = simulate_study(out / "repos", n_repos=n_repos, months=months, commits_per_dev_month=commits_per_dev_month,
                           effect_churn=effect_churn, effect_revert=effect_revert, adoption_months=adoption_months,
                           seed=seed)
    seconds["simulate"] = time.perf_counter() - t
    n_commits = truth.commits.height
    step(f"simulated {n_repos} repositories ({truth.repos['treated'].sum()} adopt AI tools at staggered dates), "
         f"{n_commits:,} commits, in {seconds['simulate']:.1f} s")

    t = time.perf_counter()
    rows = [ManifestRow(line=i + 2, repo=str(out / "repos" / name), name=name, role="treated" if treated else "control",
                        adoption=None, notes="")
            for i, (name, treated) in enumerate(truth.repos.select("repo", "treated").iter_rows())]
    status = mine_study(rows, out / "data", workers=workers, salt="churnlab-demo-salt")
    if not status.complete:
        raise InputError(f"mining the demo repositories failed: {status.summary()}")
    seconds["mine"] = time.perf_counter() - t
    step(f"mined them into Parquet tables under {out / 'data'} in {seconds['mine']:.1f} s ({workers} workers)")

    t = time.perf_counter()
    att = {_OUTCOME_OF_TRUTH[k]: v for k, v in truth.att.items()}
    analysis = analyse(out / "data", outcomes=tuple(att), truth=att, bootstrap=bootstrap, seed=seed)
    seconds["estimate"] = time.perf_counter() - t
    step(f"built the repository x month panel and fitted the estimators in {seconds['estimate']:.1f} s")

    t = time.perf_counter()
    report = write_analysis(analysis, out / "report", title="churnlab demo: a simulated AI-adoption study",
                            intro=_INTRO.format(n=n_repos, months=months, churn=effect_churn, revert=effect_revert))
    seconds["report"] = time.perf_counter() - t
    figures = sorted((out / "report").glob("*.png"))
    step(f"wrote {report} and {len(figures)} figures")
    return DemoResult(analysis.headline, report, figures, out / "data", seconds)


_INTRO = """A synthetic study of {n} git repositories observed for {months} months, written by churnlab.simulate. \
Half of them adopt an AI coding tool in one of four staggered months (a marker file such as CLAUDE.md or .cursorrules, then \
AI co-author trailers); the others never do. Adoption raises the probability that a new line is revised within \
14 days by {churn} and the probability that a commit is reverted within 30 days by {revert}.

The repositories were mined exactly as public repositories are: line operations, churn, reverts and adoption \
signals come from git history alone. The adoption date of each repository is its first AI signal (rule first_any). \
The headline table compares each estimator's overall effect with the true one."""
