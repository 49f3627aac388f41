"""A mined dataset, analysed: GitClear-style yearly summaries, the DiD panel, estimators side by side, figures.

This is the stage between the tables and a report: :func:`analyse` takes a dataset folder (what
``churnlab mine`` or ``churnlab study mine`` wrote) and returns an :class:`Analysis` holding the panel, every
estimator's tidy results, a headline table and the figures; :func:`write_analysis` saves the figures as PNG
files and a self-contained HTML report. ``churnlab report DATASET`` and the demo both call these two.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from . import io
from .errors import DataError, InputError

__all__ = ["OPERATIONS", "Analysis", "analyse", "balanced_subpanel", "effects_by_group", "pre_period_groups", "survival_totals",
           "write_analysis", "yearly_operation_shares", "yearly_summary"]

log = logging.getLogger(__name__)

#: GitClear's operations, in their reporting order.
OPERATIONS = ("added", "deleted", "updated", "moved", "copy_pasted", "find_replaced")
#: Outcomes analysed by default: the two a churn study is about.
OUTCOMES = ("new_code_churn", "revert_rate")


def _human_commits(out: Any, *, exclude_bulk: bool, repos: Sequence[str] | None = None) -> pl.LazyFrame:
    """Non-merge, non-bot commits with their year (and bulk flag from the churn table), of ``repos`` if given."""
    commits = io.scan_table(out, "commits").filter(~pl.col("is_merge") & ~pl.col("is_bot"))
    if repos is not None:
        if isinstance(repos, str):
            raise InputError(f"repos must be a list of repository names, not the string {repos!r}")
        commits = commits.filter(pl.col("repo").is_in(list(repos)))
    churn = io.scan_table(out, "churn").select("repo", "sha", "is_bulk")
    lf = commits.join(churn, on=["repo", "sha"], how="left").with_columns(year=pl.col("author_time").dt.year())
    return lf.filter(~pl.col("is_bulk").fill_null(False)) if exclude_bulk else lf


def yearly_operation_shares(out: Any, *, exclude_bulk: bool = True, repos: Sequence[str] | None = None) -> pl.DataFrame:
    """Changed lines by GitClear operation and year, with each year's shares (columns year, operation, lines, share).

    Human, non-merge commits (of ``repos``, default all); bulk commits left out by default (spec section 1).
    No-op lines are not an operation and are left out of the shares, as in GitClear's reports.
    """
    commits = _human_commits(out, exclude_bulk=exclude_bulk, repos=repos).select("repo", "sha", "year")
    ops = io.scan_table(out, "line_ops").join(commits, on=["repo", "sha"])
    long = (ops.group_by("year").agg(pl.col(list(OPERATIONS)).sum())
            .unpivot(index="year", variable_name="operation", value_name="lines").collect())
    return (long.with_columns(share=pl.col("lines") / pl.col("lines").sum().over("year"))
            .sort("year", pl.col("operation").replace_strict({o: i for i, o in enumerate(OPERATIONS)})))


def yearly_summary(out: Any, *, churn_window: int = 14, revert_window: int = 30, exclude_bulk: bool = True,
                   repos: Sequence[str] | None = None) -> pl.DataFrame:
    """GitClear's headline series by year: churn of changed lines, new-code churn, duplicate-block commits, reverts.

    Over human, non-merge commits (of ``repos``, default all; bulk commits left out by default). Rates pool
    lines (or commits) over the year's commits, so large repositories weigh more, as in GitClear's figures.
    """
    w, d = churn_window, revert_window
    churn = io.scan_table(out, "churn").select(
        "repo", "sha", "meaningful_lines", "authored_lines", "has_duplicate_block",
        (pl.col(f"churn_self_w{w}") + pl.col(f"churn_others_w{w}")).alias("revising"),
        pl.when(~pl.col(f"censored_w{w}")).then(pl.col(f"authored_churned_w{w}")).alias("churned"),
        pl.when(~pl.col(f"censored_w{w}")).then(pl.col("authored_lines")).alias("authored_uncensored"))
    flags = io.scan_table(out, "revert_flags").select("repo", "sha", pl.col(f"reverted_within_{d}d").alias("reverted"))
    lf = (_human_commits(out, exclude_bulk=exclude_bulk, repos=repos).select("repo", "sha", "year")
          .join(churn, on=["repo", "sha"]).join(flags, on=["repo", "sha"], how="left"))
    return (lf.group_by("year").agg(
        commits=pl.len(),
        changed_lines=pl.col("meaningful_lines").sum(),
        **{f"churn_changed_w{w}": pl.col("revising").sum() / pl.col("meaningful_lines").sum(),
           f"new_code_churn_w{w}": pl.col("churned").sum() / pl.col("authored_uncensored").sum(),
           "duplicate_block_commits": pl.col("has_duplicate_block").mean(),
           f"revert_rate_{d}d": pl.col("reverted").cast(pl.Float64).mean()},
    ).sort("year").collect())


def survival_totals(out: Any, *, granularity: str = "year") -> pl.DataFrame:
    """Live lines by birth cohort at each month-start, summed over the dataset's repositories.

    Repositories are sampled at their own times: each one's last sample in a calendar month stands for that
    month. A repository's last state (its head) is carried forward to the dataset's last month, so a
    repository that stopped committing keeps its lines instead of dropping out of the sum; months before its
    first sample count nothing. Columns: ``sample_time`` (month start, UTC), ``cohort``, ``lines``.
    """
    if granularity not in ("year", "quarter"):
        raise InputError(f"granularity={granularity!r} is not allowed; choose 'year' or 'quarter'")
    surv = (io.scan_table(out, "survival").filter(pl.col("granularity") == granularity)
            .with_columns(month=pl.col("sample_time").dt.truncate("1mo"))
            .sort("repo", "sample_time"))
    last = surv.group_by("repo", "month").agg(pl.col("sample_time").max())
    states = surv.join(last, on=["repo", "month", "sample_time"]).select("repo", "month", "cohort", "live_lines").collect()
    if states.height == 0:
        return pl.DataFrame(schema={"sample_time": pl.Datetime("us", "UTC"), "cohort": pl.String, "lines": pl.Int64})
    months = pl.datetime_range(states["month"].min(), states["month"].max(), "1mo", time_zone="UTC", eager=True)
    spans = states.group_by("repo").agg(first=pl.col("month").min())
    # every (repo, cohort) pair on every month from the repository's first sample on; a cohort absent at a
    # sample after it appeared has no live lines then (the table leaves empty cohorts out)
    grid = (states.select("repo", "cohort").unique().join(spans, on="repo")
            .join(pl.DataFrame({"month": months}), how="cross").filter(pl.col("month") >= pl.col("first")))
    sampled = states.select("repo", "month").unique().with_columns(_sampled=pl.lit(True))
    filled = (grid.join(sampled, on=["repo", "month"], how="left")
              .join(states, on=["repo", "month", "cohort"], how="left")
              .with_columns(live_lines=pl.when(pl.col("_sampled")).then(pl.col("live_lines").fill_null(0)))
              .sort("repo", "cohort", "month")
              .with_columns(pl.col("live_lines").forward_fill().over("repo", "cohort")))
    return (filled.filter(pl.col("live_lines").is_not_null())
            .group_by(sample_time="month", cohort="cohort").agg(lines=pl.col("live_lines").sum())
            .filter(pl.col("lines") > 0).sort("sample_time", "cohort"))


def pre_period_groups(panel: Any, *, outcome: str = "commits", pre_periods: int = 6, n_groups: int = 3,
                      unit: str = "unit", time: str = "period", cohort: str = "cohort") -> pl.DataFrame:
    """Split treated units into ``n_groups`` quantile groups of their pre-adoption ``outcome`` (e.g. terciles).

    A treated unit's *pre-period mean* is the mean of ``outcome`` over the ``pre_periods`` periods before its
    adoption period (event times -pre_periods..-1). Units whose pre-window is not wholly inside the panel
    (adoption in its first ``pre_periods`` periods) cannot be ranked and get a null group; so do never-treated
    units. Ranks are by pre-period mean with ties broken by unit id, so every group has
    ``len // n_groups`` or one more units (group 1 the lowest).

    Parameters
    ----------
    panel : PanelFrame or polars DataFrame
        A balanced panel such as :func:`churnlab.panel.from_dataset` returns (zero-filled activity).
    outcome : str
        The pre-adoption measure, e.g. ``"commits"`` (productivity) or ``"lines_added"``.
    pre_periods : int
        Length of the pre-adoption window.
    n_groups : int
        Number of groups (3: terciles).

    Returns
    -------
    polars.DataFrame
        One row per unit: ``unit``, ``cohort``, ``pre_mean`` (null where not ranked), ``group`` (1..n_groups,
        null where not ranked), sorted by unit.
    """
    df = panel.data if hasattr(panel, "data") else panel
    miss = [c for c in (unit, time, cohort, outcome) if c not in df.columns]
    if miss:
        raise InputError(f"panel lacks columns {miss}; pass a panel from churnlab.panel.from_dataset")
    for name, value, low in (("pre_periods", pre_periods, 1), ("n_groups", n_groups, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(f"{name} must be an int >= {low}, got {value!r}")
    first = df[time].min()
    units = df.group_by(unit).agg(pl.col(cohort).first()).sort(unit)
    window = pl.col(time).is_between(pl.col(cohort) - pre_periods, pl.col(cohort) - 1)
    pre = (df.filter(pl.col(cohort).is_not_null() & window)
           .group_by(unit).agg(pre_mean=pl.col(outcome).cast(pl.Float64).mean(), n=pl.col(outcome).is_not_null().sum()))
    units = units.join(pre, on=unit, how="left").with_columns(
        pre_mean=pl.when((pl.col(cohort) - pre_periods >= first) & (pl.col("n") == pre_periods))
        .then(pl.col("pre_mean"))).drop("n")
    ranked = units.filter(pl.col("pre_mean").is_not_null()).sort("pre_mean", unit)
    groups = pl.DataFrame({unit: ranked[unit], "group": (pl.int_range(ranked.height, eager=True) * n_groups
                                                          // max(ranked.height, 1) + 1).cast(pl.Int64)})
    return units.join(groups, on=unit, how="left").select(unit, cohort, "pre_mean", "group").sort(unit)


def effects_by_group(panel: Any, groups: pl.DataFrame, *, y: str, window: tuple[int, int] = (-6, 6),
                     unit: str = "unit", time: str = "period", cohort: str = "cohort") -> pl.DataFrame:
    """Imputation effects on ``y`` for each group of treated units against all never-treated units.

    For every ``group`` of ``groups`` (see :func:`pre_period_groups`) the panel is cut to that group's treated
    units plus every never-treated unit, and the Borusyak-Jaravel-Spiess imputation estimator is fitted; the
    treated units of other groups (and unranked ones) are left out, not used as controls. A row ``group=0``
    ("all") fits every ranked treated unit together. Rows with a null ``y`` are left out (rates whose
    denominator is zero), and only event times at which the group's treated units are observed are reported.

    Returns
    -------
    polars.DataFrame
        The tidy result rows (overall ``ATT``, event times 0..``window[1]`` and the lead-regression rows
        ``window[0]..-2``, which test pre-trends and are not effects) with columns ``group``,
        ``baseline`` (mean ``y`` of the group's treated units over event times ``window[0]..-1``) and
        ``relative`` (estimate / baseline, null when the baseline is 0).
    """
    from .estimate.bjs import imputation

    df = panel.data if hasattr(panel, "data") else panel
    for c in (unit, time, cohort, y):
        if c not in df.columns:
            raise InputError(f"panel lacks column {c!r}; pass a panel from churnlab.panel.from_dataset")
    if "group" not in groups.columns or unit not in groups.columns:
        raise InputError(f"groups needs columns {unit!r} and 'group'; make it with pre_period_groups()")
    lo, hi = window
    if not (lo <= -2 and hi >= 0):
        raise InputError(f"window={window!r} must span at least -2..0 (e.g. (-6, 6))")
    ranked = groups.filter(pl.col("group").is_not_null()).select(unit, "group")
    controls = df.filter(pl.col(cohort).is_null())
    observed = pl.col(y).is_not_null()
    frames = []
    for g in [0, *sorted(ranked["group"].unique().to_list())]:
        members = ranked if g == 0 else ranked.filter(pl.col("group") == g)
        treated = df.join(members.select(unit), on=unit, how="semi")
        data = pl.concat([treated, controls]).filter(observed)
        # sparse rates: ask only for the event times the group's treated units are observed at
        seen = set(treated.filter(observed).select(pl.col(time) - pl.col(cohort)).to_series().to_list())
        horizon = [e for e in range(0, hi + 1) if e in seen]
        leads = [e for e in range(lo, -1) if e in seen]
        res = imputation(data, y=y, unit=unit, time=time, cohort=cohort, horizon=horizon or None,
                         pretrends=leads or None)
        rows = res.to_frame().filter(pl.col("kind").is_in(["overall", "event"]))
        base = treated.filter(observed, (pl.col(time) - pl.col(cohort)).is_between(lo, -1))[y].cast(pl.Float64).mean()
        frames.append(rows.with_columns(group=pl.lit(g, pl.Int64), baseline=pl.lit(base, pl.Float64)))
    out = pl.concat(frames)
    return out.with_columns(relative=pl.when(pl.col("baseline") != 0).then(pl.col("estimate") / pl.col("baseline")))


@dataclass
class Analysis:
    """Everything :func:`analyse` computed; ``figures`` maps a file stem to a matplotlib Figure."""

    dataset: str
    panel: Any
    results: dict[str, dict[str, Any]]
    headline: pl.DataFrame
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    truth: Mapping[str, float] | None = None
    #: outcome -> estimator -> why it could not be fitted (a small or unbalanced sample); not in ``results``
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)


def analyse(out: str | os.PathLike, *, outcomes: Sequence[str] = OUTCOMES, truth: Mapping[str, float] | None = None,
            estimators: Sequence[str] = ("imputation", "callaway_santanna", "sun_abraham", "twfe"),
            window: tuple[int, int] = (-6, 6), bootstrap: int = 499, seed: int = 0, figures: bool = True,
            **panel_options: Any) -> Analysis:
    """Build the repository x month panel of a dataset and fit the estimators to each outcome.

    ``truth`` (outcome -> true ATT, e.g. a simulated study's) adds a column saying whether each 95%
    interval covers it. ``panel_options`` go to :func:`churnlab.panel.from_dataset`.
    """
    from .panel import from_dataset

    panel = from_dataset(out, **panel_options)
    data = panel.data
    if data["cohort"].drop_nulls().len() == 0:
        raise DataError(f"no repository in {out} shows AI adoption under rule {panel.options['rule']!r}: "
                        "there is no treated group to estimate an effect for")
    if data.filter(pl.col("cohort").is_null()).height == 0:
        raise DataError(f"every repository in {out} adopts: there are no never-treated controls")
    results, rows, skipped = {}, [], {}
    for y in outcomes:
        if y not in data.columns:
            raise InputError(f"outcome {y!r} is not in the panel; choose from {sorted(set(data.columns) - {'unit'})}")
        res, skipped[y] = _fit(data, y, estimators, window, bootstrap, seed)
        if not res:
            raise DataError(f"no estimator could be fitted to {y!r}: {skipped[y]}")
        results[y] = res
        for name, r in res.items():
            if name in ("twfe_event", "bacon"):
                continue
            o = r.to_frame().filter(pl.col("kind") == "overall").head(1)
            rows.append(dict(outcome=y, estimator=name, n_units=o["n_units"][0],
                             **{c: o[c][0] for c in ("estimate", "se", "ci_low", "ci_high", "p_value")}))
    headline = pl.DataFrame(rows)
    if truth is not None:
        headline = headline.with_columns(true_att=pl.col("outcome").replace_strict(dict(truth), default=None,
                                                                                  return_dtype=pl.Float64))
        headline = headline.with_columns(covers_truth=(pl.col("ci_low") <= pl.col("true_att"))
                                         & (pl.col("true_att") <= pl.col("ci_high")))
    analysis = Analysis(str(out), panel, results, headline, truth=truth, skipped=skipped)
    analysis.tables["yearly_summary"] = yearly_summary(out)
    analysis.tables["operation_shares"] = yearly_operation_shares(out)
    if figures:
        analysis.figures = _figures(analysis, window)
    return analysis


def balanced_subpanel(observed: pl.DataFrame, y: str, *, min_share: float = 0.9) -> pl.DataFrame:
    """Units observed (non-null ``y``) in every period of the span where at least ``min_share`` of units are.

    Right-censoring empties the last weeks of history for most units; balancing over them would keep only a
    handful of units, so those tail periods are left out first.
    """
    from .panel import balance_panel

    counts = observed.filter(pl.col(y).is_not_null()).group_by("period").agg(n=pl.col("unit").n_unique())
    span = counts.filter(pl.col("n") >= min_share * counts["n"].max())["period"]
    return balance_panel(observed, columns=[y], start=span.min(), end=span.max())


def _fit(data: pl.DataFrame, y: str, estimators: Sequence[str], window: tuple[int, int], bootstrap: int,
         seed: int) -> tuple[dict[str, Any], dict[str, str]]:
    """Fit the estimators to one outcome; return the results and the estimators skipped, with the reason.

    A rate is null where its denominator is zero (a month without commits, or censored at the end of
    history): those cells are missing, never zero. Imputation, Sun-Abraham and TWFE use every observed cell;
    Callaway-Sant'Anna and the Bacon decomposition need a balanced panel: :func:`balanced_subpanel`.
    """
    from .estimate.bacon import bacon_decomposition
    from .estimate.compare import compare_estimators

    observed = data.filter(pl.col(y).is_not_null())
    balanced = balanced_subpanel(observed, y)
    unusable = balanced["cohort"].drop_nulls().len() == 0 or balanced["cohort"].null_count() == 0
    res: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in estimators:
        if name == "callaway_santanna" and unusable:
            skipped[name] = "the balanced sub-panel lacks treated or never-treated units"
            continue
        sample = balanced if name == "callaway_santanna" else observed
        try:
            res.update(compare_estimators(sample, y=y, estimators=[name], window=window, bootstrap=bootstrap,
                                          seed=seed))
        except DataError as exc:  # e.g. collinear cohort x event-time terms in a small sample
            skipped[name] = str(exc)
    if unusable:
        skipped["bacon"] = "the balanced sub-panel lacks treated or never-treated units"
    else:
        try:
            res["bacon"] = bacon_decomposition(balanced, y=y)
        except DataError as exc:
            skipped["bacon"] = str(exc)
    for name, why in skipped.items():
        log.warning("%s: %s skipped: %s", y, name, why)
    return res, skipped


def _figures(a: Analysis, window) -> dict[str, Any]:
    import matplotlib.pyplot as plt

    from .estimate.compare import stack_results

    from . import plot

    figs: dict[str, Any] = {}
    with plot.house_style():
        for y, res in a.results.items():
            fig, ax = plt.subplots(figsize=(8, 4.5))
            events = stack_results({k: v for k, v in res.items() if k != "bacon"}, kinds=("event",), window=window)
            plot.event_study(events, ax=ax, truth=(a.truth or {}).get(y), title=f"Event study: {y}")
            figs[f"event_study_{y}"] = fig
            fig, ax = plt.subplots(figsize=(8, 4.5))
            plot.raw_trends(a.panel.data.filter(pl.col(y).is_not_null()), outcome=y, ax=ax,
                            title=f"Raw trends: {y}, adopters vs never-adopters")
            figs[f"trends_{y}"] = fig
            if "bacon" in res:
                fig, ax = plt.subplots(figsize=(6, 4.5))
                plot.bacon_scatter(res["bacon"].extra["comparisons"], ax=ax, title=f"Goodman-Bacon decomposition: {y}")
                figs[f"bacon_{y}"] = fig
        fig, ax = plt.subplots(figsize=(8, 4.5))
        plot.operation_shares(a.tables["operation_shares"], ax=ax, gitclear=True,
                              title="Changed lines by operation and year")
        figs["operation_shares"] = fig
        try:
            surv = survival_totals(a.dataset)
        except InputError:
            surv = None
        if surv is not None and surv.height:
            fig, ax = plt.subplots(figsize=(8, 4.5))
            plot.survival_cohorts(surv, ax=ax, title="Live lines by birth year")
            figs["survival"] = fig
    return figs


def write_analysis(a: Analysis, folder: str | os.PathLike, *, title: str, intro: str = "") -> Path:
    """Save every figure as ``folder/<name>.png`` and the report as ``folder/report.html``; return the report."""
    from .report import Section, write_report

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, fig in a.figures.items():
        fig.savefig(folder / f"{name}.png", dpi=120, bbox_inches="tight")
    sections = [Section("What this is", intro)] if intro else []
    notes = [f"{y}: {name} skipped: {why}" for y, by in a.skipped.items() for name, why in by.items()]
    if notes:
        sections.append(Section("Estimators that could not be fitted", "\n\n".join(notes)))
    for y, res in a.results.items():
        figs = [a.figures[k] for k in (f"event_study_{y}", f"trends_{y}", f"bacon_{y}") if k in a.figures]
        tab = pl.concat([r.to_frame() for k, r in res.items() if k not in ("bacon", "twfe_event")],
                        how="vertical_relaxed").filter(pl.col("kind").is_in(["overall", "event"]))
        sections.append(Section(f"Outcome: {y}", _OUTCOME_TEXT.get(y, ""), figs,
                                [tab.select("estimator", "kind", "event_time", "estimate", "se", "ci_low", "ci_high", "p_value")]))
    sections.append(Section("GitClear-style yearly figures", _GITCLEAR_TEXT,
                            [a.figures[k] for k in ("operation_shares", "survival") if k in a.figures],
                            [a.tables["yearly_summary"], a.tables["operation_shares"]]))
    sections.append(Section("Panel", f"Options: {a.panel.options}", [], [a.panel.data.head(20)]))
    return write_report(folder / "report.html", title=title, sections=sections, headline=a.headline,
                        close_figures=True)


_OUTCOME_TEXT = {
    "new_code_churn": "Share of the meaningful lines written in a repository-month that are deleted, updated or "
                      "reverted within 14 days (lines born within 14 days of the end of history are left out).",
    "revert_rate": "Share of the commits authored in a repository-month that are reverted within 30 days "
                   "(commits younger than 30 days at the end of history are left out).",
}
_GITCLEAR_TEXT = ("Yearly shares of changed lines by GitClear operation, churn of changed lines, new-code churn, "
                  "duplicate-block commits and revert rates, over human, non-merge, non-bulk commits. GitClear's "
                  "published shares (proprietary data) are drawn as markers where the figure has them.")
