"""Figures from churnlab tables and results.

Every function takes its data first (a polars or pandas DataFrame, tidy), options keyword-only, draws on
``ax`` (a new figure when ``ax=None``) and returns the Axes. Nothing here shows, saves or changes global
matplotlib state: the house style (Okabe-Ito colour-blind-safe palette, light grid, no top/right spines) is
applied inside each function through :func:`house_style`, which callers may also use as a context manager
for their own figures::

    with house_style():
        fig, axes = plt.subplots(1, 2)
    event_study(results, ax=axes[0])
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from .errors import InputError

__all__ = [
    "GITCLEAR_SERIES",
    "GITCLEAR_SHARES",
    "OKABE_ITO",
    "OPERATIONS",
    "PALETTE",
    "bacon_scatter",
    "event_study",
    "house_style",
    "operation_shares",
    "power_curves",
    "raw_trends",
    "survival_cohorts",
    "yearly_series",
]

#: Okabe & Ito (2008) colour-blind-safe colours, by name.
OKABE_ITO = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "reddish_purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: The order in which series get colours (yellow last: weak on white).
PALETTE: tuple[str, ...] = tuple(OKABE_ITO[k] for k in (
    "blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue", "black", "yellow"))
GREY = "#7F7F7F"

#: GitClear's operation labels in plotting order (research-spec section 2).
OPERATIONS: tuple[str, ...] = ("added", "deleted", "updated", "moved", "copy_pasted", "find_replaced")

#: GitClear's published yearly shares of changed lines (anchors.md; ranges as midpoints). Proprietary data,
#: no confidence intervals: "AI Copilot Code Quality" (Feb 2025) and "Coding on Copilot" (Jan 2024).
GITCLEAR_SHARES: dict[str, dict[int, float]] = {
    "added": {2020: 0.392, 2023: 0.423, 2024: 0.462},
    "moved": {2020: 0.2455, 2021: 0.248, 2023: 0.169, 2024: 0.095},
    "copy_pasted": {2020: 0.083, 2023: 0.105, 2024: 0.123},
}

#: GitClear's published yearly rates (anchors.md; ranges as midpoints), keyed by the column names of
#: :func:`churnlab.analysis.yearly_summary`: churn of changed lines within two weeks, new-code churn (new lines
#: revised within two weeks) and commits with a duplicated block of 5+ lines. Proprietary data, no intervals.
GITCLEAR_SERIES: dict[str, dict[int, float]] = {
    "churn_changed_w14": {2020: 0.032, 2021: 0.036, 2022: 0.040, 2023: 0.050, 2024: 0.057},
    "new_code_churn_w14": {2020: 0.0478, 2024: 0.0704},
    "duplicate_block_commits": {2020: 0.0070, 2024: 0.0666},
}

_RC: dict[str, Any] = {
    "axes.prop_cycle": None,  # filled lazily (needs matplotlib's cycler)
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.family": "sans-serif",
}


@contextlib.contextmanager
def house_style(**overrides: Any) -> Iterator[None]:
    """Context manager applying churnlab's style (matplotlib rcParams) only inside the ``with`` block.

    Only the style's own keys are restored on exit (unlike ``matplotlib.rc_context``, which restores every
    rcParam): when the first figure of a session is drawn inside the block, the backend activates then and
    its settings must survive the block (in Jupyter, the inline backend switches on interactive mode; undoing
    that silently stops later figures from being displayed).
    """
    import matplotlib as mpl
    from cycler import cycler

    rc = dict(_RC, **{"axes.prop_cycle": cycler(color=list(PALETTE))})
    rc.update(overrides)
    saved = {k: mpl.rcParams[k] for k in rc}
    try:
        mpl.rcParams.update(rc)
        yield
    finally:
        mpl.rcParams.update(saved)


def _frame(data: Any, name: str) -> pl.DataFrame:
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    if isinstance(data, pl.DataFrame):
        return data
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        return pl.from_pandas(data)
    raise InputError(f"{name} must be a polars or pandas DataFrame, got {type(data).__name__}")


def _require(df: pl.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{name} lacks column(s) {missing}; it has {df.columns}")


def _choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        raise InputError(f"{name}={value!r} is not allowed; choose one of: {', '.join(map(repr, allowed))}")


def _axes(ax: Any, figsize: tuple[float, float] | None = None) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots(figsize=figsize)
    return ax


def _finish(ax: Any, *, title: str | None, xlabel: str | None, ylabel: str | None) -> None:
    if title is not None:
        ax.set_title(title, loc="left")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)


# --------------------------------------------------------------------------------------------------------
# event study
# --------------------------------------------------------------------------------------------------------


def event_study(
    results: Any,
    *,
    estimators: Sequence[str] | None = None,
    dodge: float = 0.12,
    band: Literal["bars", "ribbon"] = "bars",
    truth: float | Sequence[float] | None = None,
    reference: float | None = -1,
    ax: Any = None,
    title: str | None = None,
    xlabel: str = "months relative to adoption",
    ylabel: str = "effect (ATT)",
    legend: bool = True,
) -> Any:
    """Event-study estimates with confidence intervals, several estimators side by side.

    ``results`` is churnlab's tidy result shape (or any frame) with columns ``event_time`` (or a numeric
    ``term``), ``estimate``, ``ci_low``, ``ci_high`` and ``estimator``. Rows with a null event time (static
    terms) are ignored. Each estimator is drawn with its own colour and marker, shifted horizontally by
    ``dodge`` (in event-time units) so intervals do not overlap; ``band="ribbon"`` draws shaded bands instead
    of error bars. ``truth`` (a number, e.g. a simulation's true effect) is drawn as a dashed line;
    ``reference`` marks the omitted base period with a hollow marker at zero (``None`` to skip). A dotted
    vertical line marks adoption (between event times -1 and 0).
    """
    _choice("band", band, ("bars", "ribbon"))
    df = _frame(results, "results")
    if "event_time" not in df.columns and "term" in df.columns:
        # static terms ("ATT", "post") become null and are dropped below
        df = df.with_columns(event_time=pl.col("term").cast(pl.String).cast(pl.Float64, strict=False))
    _require(df, ["event_time", "estimate", "ci_low", "ci_high"], "results")
    if "estimator" not in df.columns:
        df = df.with_columns(estimator=pl.lit("estimate"))
    df = df.filter(pl.col("event_time").is_not_null()).with_columns(pl.col("event_time").cast(pl.Float64))
    available = list(dict.fromkeys(df["estimator"].to_list()))
    chosen = list(estimators) if estimators is not None else available
    for e in chosen:
        _choice("estimators item", e, available)
    if not chosen:
        raise InputError("results has no rows with an event time to plot")
    markers = ("o", "s", "D", "^", "v", "P", "X", "*")
    offsets = (np.arange(len(chosen)) - (len(chosen) - 1) / 2) * dodge
    with house_style():
        ax = _axes(ax)
        ax.axhline(0, color=GREY, lw=0.8, zorder=1)
        ax.axvline(-0.5, color=GREY, lw=0.8, ls=":", zorder=1)
        for k, (name, off) in enumerate(zip(chosen, offsets)):
            d = df.filter(pl.col("estimator") == name).sort("event_time")
            x = d["event_time"].to_numpy() + off
            y = d["estimate"].to_numpy()
            lo, hi = d["ci_low"].to_numpy(), d["ci_high"].to_numpy()
            color = PALETTE[k % len(PALETTE)]
            if band == "bars":
                ax.errorbar(x, y, yerr=np.vstack([y - lo, hi - y]), fmt=markers[k % len(markers)], color=color,
                            ms=4.5, lw=1.2, capsize=2, label=name, zorder=3)
            else:
                ax.fill_between(x, lo, hi, color=color, alpha=0.18, lw=0, zorder=2)
                ax.plot(x, y, marker=markers[k % len(markers)], color=color, ms=4, lw=1.4, label=name, zorder=3)
        if reference is not None:
            ax.plot([reference], [0.0], marker="o", mfc="white", mec=GREY, ms=5, ls="none", zorder=4,
                    label="reference period")
        if truth is not None:
            ts = np.atleast_1d(np.asarray(truth, dtype=float))
            if ts.size != 1:
                raise InputError("truth must be a single number (the constant true effect)")
            ax.axhline(float(ts[0]), color=OKABE_ITO["black"], lw=1.0, ls="--", zorder=2, label="true effect")
        _finish(ax, title=title, xlabel=xlabel, ylabel=ylabel)
        if legend:
            ax.legend(loc="best")
    return ax


# --------------------------------------------------------------------------------------------------------
# raw trends
# --------------------------------------------------------------------------------------------------------


def raw_trends(
    panel: Any,
    *,
    outcome: str,
    time: str = "period",
    unit: str = "unit",
    group: str = "cohort",
    by: Literal["treated", "cohort"] = "treated",
    ci: bool = True,
    ax: Any = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: bool = True,
) -> Any:
    """Mean ``outcome`` over ``time`` for treated vs never-treated units (or one line per adoption cohort).

    ``panel`` has one row per ``unit`` and ``time`` (``period`` index or ``period_start`` dates). ``group`` is
    either a cohort column (null = never treated, as churnlab panels) or a boolean treated column. With
    ``by="cohort"`` each cohort gets its own line and a dotted vertical line at its adoption period (needs a
    cohort column on the same scale as ``time``; with a date ``time`` the adoption lines are left out). ``ci``
    shades mean +/- 1.96 standard errors across units. Null outcomes (rates with a zero denominator) are left
    out of the means.
    """
    _choice("by", by, ("treated", "cohort"))
    df = _frame(panel, "panel")
    _require(df, [outcome, time, unit, group], "panel")
    g = df[group]
    if g.dtype == pl.Boolean:
        if by == "cohort":
            raise InputError(f"by='cohort' needs a cohort column; {group!r} is boolean (treated or not)")
        df = df.with_columns(_grp=pl.when(pl.col(group)).then(pl.lit("treated")).otherwise(pl.lit("never treated")))
    elif by == "treated":
        df = df.with_columns(_grp=pl.when(pl.col(group).is_not_null()).then(pl.lit("treated"))
                             .otherwise(pl.lit("never treated")))
    else:
        df = df.with_columns(_grp=pl.col(group).cast(pl.String).fill_null("never treated"))
    stats = (df.filter(pl.col(outcome).is_not_null())
             .group_by("_grp", time)
             .agg(mean=pl.col(outcome).cast(pl.Float64).mean(), sd=pl.col(outcome).cast(pl.Float64).std(),
                  n=pl.len())
             .with_columns(se=(pl.col("sd") / pl.col("n").sqrt()).fill_null(0.0))
             .sort(time))
    # adoption lines are drawn at the cohort value: only where time is on the cohort's (integer period) scale
    same_scale = df[time].dtype.is_numeric()
    groups = sorted(stats["_grp"].unique().to_list(), key=lambda s: (s == "never treated", s))
    if "never treated" in groups:  # controls first: they get the first colour in every figure
        groups = ["never treated"] + [x for x in groups if x != "never treated"]
    with house_style():
        ax = _axes(ax)
        for k, name in enumerate(groups):
            s = stats.filter(pl.col("_grp") == name)
            x = s[time].to_numpy()
            m, se = s["mean"].to_numpy(), s["se"].to_numpy()
            color = GREY if name == "never treated" and by == "cohort" else PALETTE[k % len(PALETTE)]
            label = name if by == "treated" or name == "never treated" else f"cohort {name}"
            ax.plot(x, m, color=color, lw=1.6, marker="o", ms=3, label=label)
            if ci:
                ax.fill_between(x, m - 1.96 * se, m + 1.96 * se, color=color, alpha=0.15, lw=0)
            if by == "cohort" and name != "never treated" and same_scale:
                cohort_value = df.filter(pl.col("_grp") == name)[group][0]
                ax.axvline(cohort_value, color=color, lw=0.9, ls=":")
        if by == "treated" and g.dtype != pl.Boolean and same_scale:
            first = df.filter(pl.col(group).is_not_null())[group]
            if first.len():
                ax.axvline(first.min(), color=GREY, lw=0.8, ls=":", label="first adoption")
        _finish(ax, title=title, xlabel=xlabel or time, ylabel=ylabel or outcome)
        if legend:
            ax.legend(loc="best", ncol=2 if len(groups) > 5 else 1)
    return ax


# --------------------------------------------------------------------------------------------------------
# GitClear-style operation shares
# --------------------------------------------------------------------------------------------------------


def operation_shares(
    shares: Any,
    *,
    kind: Literal["stacked", "grouped"] = "stacked",
    operations: Sequence[str] | None = None,
    gitclear: bool = False,
    ax: Any = None,
    title: str | None = None,
    ylabel: str = "share of changed lines",
    legend: bool = True,
) -> Any:
    """Yearly shares of changed lines by operation (GitClear's figure), stacked or grouped bars.

    ``shares`` has columns ``year``, ``operation`` and either ``share`` or ``lines`` (counts, turned into
    shares of each year's total). ``operations`` fixes which operations and in which order (default: those
    of :data:`OPERATIONS` present, then any others). ``gitclear=True`` adds GitClear's published shares
    (:data:`GITCLEAR_SHARES`) as black diamonds: on top of the matching bar when grouped; when stacked, where
    the segment would end if it had GitClear's share.
    """
    _choice("kind", kind, ("stacked", "grouped"))
    df = _frame(shares, "shares")
    _require(df, ["year", "operation"], "shares")
    if "share" not in df.columns:
        _require(df, ["lines"], "shares (needs share or lines)")
        df = df.with_columns(share=pl.col("lines") / pl.col("lines").sum().over("year"))
    df = df.group_by("year", "operation").agg(pl.col("share").sum())
    present = df["operation"].unique().to_list()
    ops = list(operations) if operations is not None else (
        [o for o in OPERATIONS if o in present] + sorted(o for o in present if o not in OPERATIONS))
    for o in ops:
        _choice("operations item", o, present)
    years = sorted(df["year"].unique().to_list())
    table = {(y, o): s for y, o, s in df.select("year", "operation", "share").iter_rows()}
    x = np.arange(len(years), dtype=float)
    with house_style():
        ax = _axes(ax)
        bottom = np.zeros(len(years))
        width = 0.8 if kind == "stacked" else 0.8 / max(len(ops), 1)
        marker_done = False
        for k, op in enumerate(ops):
            vals = np.array([table.get((y, op), 0.0) for y in years])
            color = PALETTE[k % len(PALETTE)]
            label = op.replace("_", "/") if op == "copy_pasted" else op.replace("_", " ")
            if kind == "stacked":
                ax.bar(x, vals, width, bottom=bottom, color=color, label=label, edgecolor="white", lw=0.5)
                base = bottom.copy()
                bottom += vals
                xpos = x
            else:
                xpos = x - 0.4 + width * (k + 0.5)
                ax.bar(xpos, vals, width, color=color, label=label, edgecolor="white", lw=0.5)
                base = np.zeros(len(years))
            if gitclear and op in GITCLEAR_SHARES:
                pts = [(xp, b + GITCLEAR_SHARES[op][y]) for xp, b, y in zip(xpos, base, years)
                       if y in GITCLEAR_SHARES[op]]
                if pts:
                    px, py = zip(*pts)
                    ax.plot(px, py, ls="none", marker="D", ms=5, mfc=OKABE_ITO["black"], mec="white",
                            label=None if marker_done else "GitClear (published)", zorder=4)
                    marker_done = True
        ax.set_xticks(x, [str(y) for y in years])
        ax.yaxis.set_major_formatter(_percent())
        if kind == "stacked":
            ax.set_ylim(0, max(1.0, float(bottom.max()) if len(bottom) else 1.0))
        _finish(ax, title=title, xlabel=None, ylabel=ylabel)
        if legend:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


# --------------------------------------------------------------------------------------------------------
# survival cohorts
# --------------------------------------------------------------------------------------------------------


def survival_cohorts(
    survival: Any,
    *,
    time: str = "sample_time",
    cohort: str = "cohort",
    lines: str = "lines",
    ax: Any = None,
    title: str | None = None,
    ylabel: str = "live lines",
    legend: bool = True,
) -> Any:
    """Live lines at sample times stacked by birth cohort (git-of-theseus's figure).

    ``survival`` has one row per sample ``time`` and birth ``cohort`` (year or quarter label) with the
    number of ``lines`` of that cohort alive then; missing combinations count as zero. Oldest cohort at the
    bottom; colours cycle through the palette (a sequential map is used beyond eight cohorts).
    """
    df = _frame(survival, "survival")
    _require(df, [time, cohort, lines], "survival")
    times = sorted(df[time].unique().to_list())
    cohorts = sorted(df[cohort].unique().to_list(), key=str)
    table = {(t, c): v for t, c, v in df.group_by(time, cohort).agg(pl.col(lines).sum()).iter_rows()}
    ys = np.array([[table.get((t, c), 0) for t in times] for c in cohorts], dtype=float)
    with house_style():
        ax = _axes(ax)
        if len(cohorts) <= len(PALETTE):
            colors = list(PALETTE[: len(cohorts)])
        else:
            import matplotlib as mpl

            cmap = mpl.colormaps["viridis"]
            colors = [cmap(i / max(len(cohorts) - 1, 1)) for i in range(len(cohorts))]
        ax.stackplot(times, ys, labels=[str(c) for c in cohorts], colors=colors, alpha=0.9, lw=0.3,
                     edgecolor="white")
        ax.set_ylim(bottom=0)
        _finish(ax, title=title, xlabel=None, ylabel=ylabel)
        if legend:
            handles, labels = ax.get_legend_handles_labels()
            ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0), title="cohort")
    return ax


# --------------------------------------------------------------------------------------------------------
# Goodman-Bacon decomposition
# --------------------------------------------------------------------------------------------------------


def bacon_scatter(
    decomposition: Any,
    *,
    weight: str = "weight",
    estimate: str = "estimate",
    type: str = "type",  # noqa: A002 - the column is called type in every Bacon implementation
    ax: Any = None,
    title: str | None = None,
    xlabel: str = "weight",
    ylabel: str = "2x2 DiD estimate",
    legend: bool = True,
) -> Any:
    """Goodman-Bacon decomposition: each 2x2 comparison's weight against its estimate, by comparison type.

    ``decomposition`` has one row per 2x2 comparison with columns ``weight``, ``estimate`` and ``type``
    (e.g. "treated vs never treated", "earlier vs later treated", "later vs earlier treated" - the last being
    the "forbidden" comparisons). A dashed line marks the weighted average, i.e. the static TWFE estimate.
    """
    df = _frame(decomposition, "decomposition")
    _require(df, [weight, estimate, type], "decomposition")
    if df.height == 0:
        raise InputError("decomposition has no rows")
    types = list(dict.fromkeys(df[type].cast(pl.String).to_list()))
    markers = ("o", "s", "^", "D", "v", "P")
    w = df[weight].cast(pl.Float64).to_numpy()
    e = df[estimate].cast(pl.Float64).to_numpy()
    total = float(np.sum(w))
    with house_style():
        ax = _axes(ax)
        for k, name in enumerate(types):
            d = df.filter(pl.col(type).cast(pl.String) == name)
            ax.scatter(d[weight].to_numpy(), d[estimate].to_numpy(), s=36, color=PALETTE[k % len(PALETTE)],
                       marker=markers[k % len(markers)], label=name, alpha=0.85, edgecolor="white", lw=0.5,
                       zorder=3)
        if total > 0:
            avg = float(np.sum(w * e) / total)
            ax.axhline(avg, color=OKABE_ITO["black"], ls="--", lw=1.0, label=f"weighted average = {avg:.3g}")
        ax.axhline(0, color=GREY, lw=0.8, zorder=1)
        ax.set_xlim(left=0)
        _finish(ax, title=title, xlabel=xlabel, ylabel=ylabel)
        if legend:
            ax.legend(loc="best")
    return ax


# --------------------------------------------------------------------------------------------------------
# power curves
# --------------------------------------------------------------------------------------------------------


def power_curves(
    curve: Any,
    *,
    x: Literal["effect", "n_units", "treated_share"] = "effect",
    hue: str = "estimator",
    style: str | None = "n_units",
    target: float | None = 0.8,
    band: bool = True,
    ax: Any = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str = "power (rejection rate)",
    legend: bool = True,
) -> Any:
    """Simulated power against effect size (or sample size), one line per estimator and design.

    ``curve`` is the output of :func:`churnlab.power.power_curve` (columns ``power``, ``power_se``, ``alpha``
    and the design columns). Lines are coloured by ``hue`` and dashed/marked by ``style`` (``None``: one line
    per ``hue`` value; the frame must then have a single design per ``hue`` and ``x``). ``band`` shades
    +/- 1.96 Monte Carlo standard errors. A dashed line marks the ``target`` power, a dotted one the nominal
    size ``alpha`` (where the curve should start at effect 0).
    """
    _choice("x", x, ("effect", "n_units", "treated_share"))
    df = _frame(curve, "curve")
    keys = [c for c in (hue, style) if c is not None]
    if x in keys:
        raise InputError(f"x={x!r} cannot also be hue or style; pick another column for the lines")
    _require(df, [x, "power", *keys], "curve")
    if "power_se" not in df.columns:
        band = False
    dup = df.group_by([*keys, x]).len().filter(pl.col("len") > 1)
    if dup.height:
        raise InputError(f"curve has several rows per line and {x!r}; filter it or set style= to the column that "
                         f"varies (rows of {dup.row(0)[:-1]})")
    hues = list(dict.fromkeys(df.sort(hue)[hue].to_list()))
    styles = list(dict.fromkeys(df.sort(style)[style].to_list())) if style is not None else [None]
    dashes = ("-", "--", ":", "-.")
    markers = ("o", "s", "D", "^", "v", "P")
    with house_style():
        ax = _axes(ax)
        for i, h in enumerate(hues):
            for j, s in enumerate(styles):
                d = df.filter(pl.col(hue) == h)
                if style is not None:
                    d = d.filter(pl.col(style) == s)
                d = d.filter(pl.col("power").is_not_null()).sort(x)
                if d.height == 0:
                    continue
                xs, p = d[x].cast(pl.Float64).to_numpy(), d["power"].to_numpy()
                color = PALETTE[i % len(PALETTE)]
                label = str(h) if style is None or len(styles) == 1 else f"{h}, {style} = {s}"
                ax.plot(xs, p, color=color, ls=dashes[j % len(dashes)], marker=markers[j % len(markers)], ms=4,
                        lw=1.5, label=label, zorder=3)
                if band:
                    se = d["power_se"].fill_null(0.0).to_numpy()
                    ax.fill_between(xs, np.clip(p - 1.96 * se, 0, 1), np.clip(p + 1.96 * se, 0, 1), color=color,
                                    alpha=0.12, lw=0, zorder=2)
        if target is not None:
            ax.axhline(target, color=OKABE_ITO["black"], ls="--", lw=0.9, label=f"{target:.0%} power")
        if "alpha" in df.columns and df["alpha"].n_unique() == 1:
            a = float(df["alpha"][0])
            ax.axhline(a, color=GREY, ls=":", lw=0.9, label=f"nominal size {a:g}")
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(_percent())
        _finish(ax, title=title, xlabel=xlabel or x.replace("_", " "), ylabel=ylabel)
        if legend:
            n_entries = len(ax.get_legend_handles_labels()[1])
            if n_entries > 5:  # many designs: keep the legend off the curves
                ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
            else:
                ax.legend(loc="lower right")
    return ax


# --------------------------------------------------------------------------------------------------------
# yearly series beside GitClear's published ones
# --------------------------------------------------------------------------------------------------------


def yearly_series(
    summary: Any,
    *,
    columns: Sequence[str],
    group: str | None = None,
    gitclear: bool = False,
    labels: dict[str, str] | None = None,
    ax: Any = None,
    title: str | None = None,
    ylabel: str = "share",
    legend: bool = True,
) -> Any:
    """Yearly rates as lines, one colour per column (and one line style per ``group`` value).

    ``summary`` has a ``year`` column and the ``columns`` (shares between 0 and 1), e.g. the output of
    :func:`churnlab.analysis.yearly_summary`, possibly several samples stacked with a ``group`` column.
    ``gitclear=True`` adds GitClear's published values (:data:`GITCLEAR_SERIES`) of the same columns as
    black-edged diamonds in the column's colour. ``labels`` renames columns in the legend.
    """
    df = _frame(summary, "summary")
    if isinstance(columns, str) or not columns:
        raise InputError("columns must be a non-empty list of column names, e.g. ['new_code_churn_w14']")
    _require(df, ["year", *columns, *([group] if group else [])], "summary")
    groups = list(dict.fromkeys(df[group].to_list())) if group else [None]
    dashes = ("-", "--", ":", "-.")
    labels = labels or {}
    with house_style():
        ax = _axes(ax)
        for i, col in enumerate(columns):
            color = PALETTE[i % len(PALETTE)]
            name = labels.get(col, col.replace("_", " "))
            for j, g in enumerate(groups):
                d = (df if g is None else df.filter(pl.col(group) == g)).filter(pl.col(col).is_not_null()).sort("year")
                label = name if g is None else f"{name} ({g})"
                ax.plot(d["year"].to_numpy(), d[col].to_numpy(), color=color, ls=dashes[j % len(dashes)],
                        marker="o", ms=3.5, lw=1.6, label=label, zorder=3)
            if gitclear and col in GITCLEAR_SERIES:
                years, values = zip(*sorted(GITCLEAR_SERIES[col].items()))
                ax.plot(years, values, ls="none", marker="D", ms=6, mfc=color, mec=OKABE_ITO["black"], mew=1.0,
                        label=f"{name}: GitClear (published)", zorder=4)
        ax.yaxis.set_major_formatter(_percent())
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(bottom=0)
        _finish(ax, title=title, xlabel=None, ylabel=ylabel)
        if legend:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax
