"""Mined tables + adoption dates -> balanced unit x period panels with a dense period index (spec section 6).

:func:`build_panel` aggregates per-commit rows (the ``commits`` table, optionally with extra per-commit
columns joined from later stages such as ``churned_lines`` or ``is_reverted_30d``) into unit x period counts,
zero-fills the balanced grid, computes ratio outcomes (null where the denominator is zero), and adds the
adoption cohort as a dense period index (null for never-treated units) and the event time. Everything runs
lazily in polars and is collected once.

:func:`prepare_panel` turns an existing panel (e.g. a study's released CSV) into the same estimator-ready
shape, detecting YYYYMM integers and ``YYYY-MM`` strings.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from churnlab.errors import DataError, InputError

__all__ = ["UNIT_KEYS", "PanelFrame", "balance_panel", "build_panel", "from_dataset", "prepare_panel"]

log = logging.getLogger(__name__)

Unit = Literal["repo", "author", "author_repo"]
Period = Literal["month", "week"]

#: Key columns of each unit type.
UNIT_KEYS: dict[str, list[str]] = {"repo": ["repo"], "author": ["author_id"], "author_repo": ["repo", "author_id"]}

#: Built-in outcomes: name -> (expression over non-merge commits, description).
_BASE = ("commits", "active_authors", "lines_added", "lines_deleted", "bot_share")


@dataclass(frozen=True)
class PanelFrame:
    """A panel and the options that built it (estimators accept it wherever they accept a DataFrame)."""

    data: pl.DataFrame
    options: dict[str, Any] = field(default_factory=dict)

    def to_pandas(self):  # convenience for pyfixest users
        return self.data.to_pandas()


def _check(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        raise InputError(f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}")


def _truncate(expr: pl.Expr, period: str) -> pl.Expr:
    return expr.dt.truncate("1mo" if period == "month" else "1w").cast(pl.Date)


def _index(expr: pl.Expr, origin: dt.date, period: str) -> pl.Expr:
    if period == "month":
        return (expr.dt.year() - origin.year) * 12 + (expr.dt.month().cast(pl.Int32) - origin.month)
    return ((expr - pl.lit(origin)).dt.total_days() // 7).cast(pl.Int32)


def build_panel(
    events: pl.LazyFrame | pl.DataFrame,
    adoption: pl.DataFrame | None = None,
    *,
    unit: Unit = "repo",
    period: Period = "month",
    outcomes: Sequence[str] = _BASE,
    sums: Sequence[str] = (),
    ratios: Mapping[str, tuple[str, str]] | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    exclude_bots: bool = True,
    time_column: str = "author_time",
    adoption_column: str = "adopted_at",
    from_first_activity: bool = False,
) -> PanelFrame:
    """Build a balanced unit x period panel from per-commit rows.

    Parameters
    ----------
    events : polars LazyFrame or DataFrame
        Per-commit rows with the ``commits`` columns used here: ``repo``, ``author_id``, ``author_time``,
        ``is_merge``, ``is_bot``, ``lines_added``, ``lines_deleted``; plus any extra numeric/boolean
        per-commit columns named in ``sums`` or ``ratios``.
    adoption : polars DataFrame, optional
        One row per adopting unit: the unit key columns (:data:`UNIT_KEYS`) and ``adopted_at`` (date or
        datetime). Units absent from it are never treated (null cohort).
    unit : {"repo", "author", "author_repo"}
        Unit of observation.
    period : {"month", "week"}
        Calendar months or ISO weeks (Monday start), UTC.
    outcomes : sequence of str
        Built-in outcomes among ``commits`` (non-merge commits), ``active_authors``, ``lines_added``,
        ``lines_deleted`` and ``bot_share`` (bot commits / all non-merge commits, null when none).
    sums : sequence of str
        Extra per-commit columns summed per unit and period (booleans count as 0/1).
    ratios : mapping of str to (str, str)
        Ratio outcomes ``name -> (numerator, denominator)``, each a built-in outcome or a ``sums`` column;
        null where the denominator is zero.
    start, end : date or "YYYY-MM-DD", optional
        First and last period (default: the span of the events).
    exclude_bots : bool
        Leave bot commits out of every outcome but ``bot_share``.
    from_first_activity : bool
        Start each unit at the period of its first commit (a bot's too, for repositories) instead of the
        panel's first period. The zero-filled months before a repository or developer existed make counts
        such as ``commits`` partly mechanical for young units; trimming them gives an unbalanced panel
        (estimators that need balance take :func:`balance_panel`). Units without any commit (known only
        from ``adoption``) are left out.

    Returns
    -------
    PanelFrame
        ``data`` columns: the unit keys, ``unit`` (one string id), ``period`` (0..T-1), ``period_start``,
        ``cohort`` (dense adoption period; null = never treated; may lie outside 0..T-1 for units adopting
        before ``start`` or after ``end``), ``rel_time``, ``treated`` and the outcomes; ``options`` the call.
    """
    _check("unit", unit, tuple(UNIT_KEYS))
    _check("period", period, ("month", "week"))
    for o in outcomes:
        _check("outcomes", o, _BASE)
    ratios = dict(ratios or {})
    keys = UNIT_KEYS[unit]
    lf = events.lazy() if isinstance(events, pl.DataFrame) else events
    schema = lf.collect_schema()
    need = {*keys, time_column, "is_merge", "is_bot", *sums}
    need |= {c for c in ("lines_added", "lines_deleted") if c in outcomes}
    need |= {"author_id"} if "active_authors" in outcomes else set()
    missing = sorted(c for c in need if c not in schema)
    if missing:
        raise InputError(f"events lack columns {missing}; they need the commits-table columns plus {list(sums)}")
    known = set(outcomes) | set(sums)
    for name, (num, den) in ratios.items():
        bad = [c for c in (num, den) if c not in known]
        if bad:
            raise InputError(f"ratio {name!r} uses {bad}, which are neither outcomes {list(outcomes)} nor sums {list(sums)}")
    lf = lf.filter(~pl.col("is_merge")).with_columns(period_start=_truncate(pl.col(time_column), period))
    human = ~pl.col("is_bot") if exclude_bots else pl.lit(True)
    aggs: list[pl.Expr] = []
    if "commits" in outcomes:
        aggs.append(human.sum().cast(pl.Int64).alias("commits"))
    if "active_authors" in outcomes:
        aggs.append(pl.col("author_id").filter(human).n_unique().cast(pl.Int64).alias("active_authors"))
    for c in ("lines_added", "lines_deleted"):
        if c in outcomes:
            aggs.append(pl.col(c).filter(human).sum().cast(pl.Int64).alias(c))
    if "bot_share" in outcomes:
        aggs += [pl.col("is_bot").sum().cast(pl.Int64).alias("_bots"), pl.len().cast(pl.Int64).alias("_all")]
    for c in sums:
        aggs.append(pl.col(c).filter(human).cast(pl.Float64).sum().alias(c))
    agg = lf.group_by([*keys, "period_start"]).agg(aggs)
    span = lf.select(pl.col("period_start").min().alias("lo"), pl.col("period_start").max().alias("hi"))
    # An author who only ever commits as a bot is no unit of an author panel (its outcomes would be all zero).
    active = lf.filter(human) if "author_id" in keys else lf
    units = active.select(keys).unique()
    first_seen = active.group_by(keys).agg(pl.col("period_start").min().alias("_first"))
    if adoption is not None:
        miss = [c for c in [*keys, adoption_column] if c not in adoption.columns]
        if miss:
            raise InputError(f"adoption lacks columns {miss}; it needs {keys + [adoption_column]}")
        dup = adoption.filter(adoption.select(keys).is_duplicated())
        if dup.height:
            raise DataError(f"adoption has {dup.height} rows for repeated units (e.g. {dup.select(keys).head(5).rows()}); keep one adoption date per unit")
        units = pl.concat([units, adoption.lazy().select(keys).cast(dict(units.collect_schema()))]).unique()
    agg_df, span_df, units_df, first_df = pl.collect_all([agg, span, units, first_seen])
    if units_df.height == 0:
        raise DataError("no non-merge commits in events; nothing to aggregate")
    lo = _parse(start) if start is not None else span_df["lo"][0]
    hi = _parse(end) if end is not None else span_df["hi"][0]
    lo = pl.select(_truncate(pl.lit(lo).cast(pl.Datetime), period)).item()
    hi = pl.select(_truncate(pl.lit(hi).cast(pl.Datetime), period)).item()
    if hi < lo:
        raise InputError(f"end {hi} is before start {lo}")
    cal = pl.DataFrame({"period_start": pl.date_range(lo, hi, "1mo" if period == "month" else "1w", eager=True)})
    cal = cal.with_columns(period=_index(pl.col("period_start"), lo, period))
    grid = units_df.sort(keys).join(cal, how="cross")
    if from_first_activity:
        grid = (grid.join(first_df, on=keys, how="inner")
                .filter(pl.col("period_start") >= pl.col("_first").cast(pl.Date)).drop("_first"))
    out_cols = [c.meta.output_name() for c in aggs]
    df = grid.join(agg_df, on=[*keys, "period_start"], how="left").with_columns(pl.col(out_cols).fill_null(0))
    if "bot_share" in outcomes:
        df = df.with_columns(
            bot_share=pl.when(pl.col("_all") > 0).then(pl.col("_bots") / pl.col("_all")).otherwise(None)
        ).drop("_bots", "_all")
    for name, (num, den) in ratios.items():
        df = df.with_columns(
            pl.when(pl.col(den) > 0).then(pl.col(num).cast(pl.Float64) / pl.col(den)).otherwise(None).alias(name)
        )
    if adoption is not None:
        ad = adoption.select(
            *keys, cohort=_index(_truncate(pl.col(adoption_column).cast(pl.Datetime), period), lo, period)
        )
        df = df.join(ad.cast({k: df.schema[k] for k in keys}), on=keys, how="left")
    else:
        df = df.with_columns(cohort=pl.lit(None, dtype=pl.Int32))
    uid = pl.col(keys[0]).cast(pl.String) if len(keys) == 1 else pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="::")
    df = df.with_columns(
        unit=uid,
        cohort=pl.col("cohort").cast(pl.Int64),
        period=pl.col("period").cast(pl.Int64),
    ).with_columns(
        rel_time=pl.col("period") - pl.col("cohort"),
        treated=(pl.col("cohort").is_not_null() & (pl.col("period") >= pl.col("cohort"))).cast(pl.Int8),
    )
    first = [*keys, "unit", "period", "period_start", "cohort", "rel_time", "treated"]
    df = df.select(first + [c for c in df.columns if c not in first]).sort(keys + ["period"])
    options = dict(unit=unit, period=period, outcomes=list(outcomes), sums=list(sums), ratios=ratios,
                   start=str(lo), end=str(hi), exclude_bots=exclude_bots, time_column=time_column,
                   from_first_activity=from_first_activity, n_units=df["unit"].n_unique(), n_periods=cal.height)
    log.info("built %s x %s panel: %d units x %d periods", unit, period, options["n_units"], cal.height)
    return PanelFrame(df, options)


def _parse(v: dt.date | str) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise InputError(f"cannot read date {v!r}; use YYYY-MM-DD") from None


TimeFormat = Literal["auto", "dense", "yyyymm", "yyyy-mm", "date"]


def _detect(s: pl.Series) -> str:
    from churnlab.estimate._checks import looks_like_yyyymm

    if s.dtype in (pl.Date, pl.Datetime) or isinstance(s.dtype, pl.Datetime):
        return "date"
    if s.dtype == pl.String:
        if s.drop_nulls().str.contains(r"^\d{4}-\d{2}$").all():
            return "yyyy-mm"
        return "date"
    if s.dtype.is_integer() or s.dtype.is_float():
        return "yyyymm" if looks_like_yyyymm(s.drop_nulls().to_numpy()) else "dense"
    raise InputError(f"cannot read periods of type {s.dtype}")


def _to_start(s: pl.Series, fmt: str, period: str) -> pl.Series:
    if fmt == "yyyymm":
        v = s.cast(pl.Int64)
        return pl.select(pl.date(v // 100, v % 100, 1)).to_series()
    if fmt == "yyyy-mm":
        return pl.select(pl.concat_str(s, pl.lit("-01")).str.to_date("%Y-%m-%d")).to_series()
    if fmt == "date":
        ss = s.str.to_datetime() if s.dtype == pl.String else s
        return pl.select(_truncate(pl.lit(ss).cast(pl.Datetime), period)).to_series()
    raise InputError(f"unknown time format {fmt!r}")


def prepare_panel(
    data: Any,
    *,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    time_format: TimeFormat = "auto",
    period: Period = "month",
) -> PanelFrame:
    """Make an existing long panel estimator-ready: dense ``period``, ``cohort`` (null = never), ``rel_time``.

    Parameters
    ----------
    data : polars or pandas DataFrame
        One row per unit and period.
    unit, time : str
        Unit id and period columns. ``time`` may be YYYYMM integers, ``"YYYY-MM"`` strings, dates, or an
        integer index already dense.
    cohort : str, optional
        Adoption period in the same format as ``time`` (null, 0 or NaN = never treated).
    treatment : str, optional
        Alternatively an absorbing 0/1 treatment column; the cohort is its first treated period.
    time_format : {"auto", "dense", "yyyymm", "yyyy-mm", "date"}
        How to read ``time`` (``auto`` detects YYYYMM integers and ``YYYY-MM`` strings).
    period : {"month", "week"}
        Calendar unit of dates.
    """
    from churnlab.estimate._checks import to_polars

    _check("time_format", time_format, ("auto", "dense", "yyyymm", "yyyy-mm", "date"))
    _check("period", period, ("month", "week"))
    df = to_polars(data.data if isinstance(data, PanelFrame) else data)
    miss = [c for c in (unit, time, cohort, treatment) if c and c not in df.columns]
    if miss:
        raise InputError(f"columns {miss} not found; the data have {df.columns}")
    if df.select(pl.struct(unit, time).is_duplicated().any()).item():
        dup = df.filter(pl.struct(unit, time).is_duplicated())
        units = dup[unit].unique(maintain_order=True).to_list()
        raise DataError(
            f"{len(units)} unit(s) have duplicated ({unit}, {time}) rows ({dup.height} rows): {units[:10]}; keep one "
            "row per unit and period"
        )
    fmt = _detect(df[time]) if time_format == "auto" else time_format
    if fmt == "dense":
        start = df[time].cast(pl.Int64)
        lo = int(start.min())
        idx = start - lo
        df = df.with_columns(period=idx, period_start=pl.lit(None, dtype=pl.Date))
        conv = lambda s: s.cast(pl.Int64) - lo  # noqa: E731
    else:
        ps = _to_start(df[time], fmt, period)
        origin = ps.min()
        df = df.with_columns(period_start=ps, period=pl.select(_index(pl.lit(ps), origin, period)).to_series().cast(pl.Int64))

        def conv(s: pl.Series) -> pl.Series:
            st = _to_start(s, fmt, period)
            return pl.select(_index(pl.lit(st), origin, period)).to_series().cast(pl.Int64)
    if cohort is not None:
        c = df[cohort]
        if c.dtype.is_numeric():
            c = c.cast(pl.Float64).fill_nan(None)
            c = pl.Series(c.name, [None if (v is None or v == 0) else v for v in c.to_list()], dtype=pl.Float64)
            if fmt != "dense":
                c = c.cast(pl.Int64)
        nn = c.is_not_null()
        vals = pl.Series("cohort", [None] * df.height, dtype=pl.Int64)
        if nn.any():
            vals = vals.scatter(nn.arg_true(), conv(c.filter(nn)))
        df = df.with_columns(cohort=vals)
    elif treatment is not None:
        df = df.sort(unit, "period")
        off = df.with_columns(pl.col(treatment).cast(pl.Int8).diff().over(unit).alias("_d")).filter(pl.col("_d") < 0)
        if off.height:
            raise DataError(
                f"treatment {treatment!r} switches off for units {off[unit].unique().to_list()[:10]}; staggered designs "
                "need absorbing treatment (define adoption as the first treated period)"
            )
        df = df.with_columns(cohort=pl.col("period").filter(pl.col(treatment).cast(pl.Int8) == 1).min().over(unit))
    else:
        raise InputError("pass cohort= or treatment=")
    df = df.with_columns(rel_time=pl.col("period") - pl.col("cohort")).sort(unit, "period")
    return PanelFrame(df, dict(unit=unit, time=time, time_format=fmt, period=period, cohort=cohort, treatment=treatment))


def balance_panel(
    data: Any,
    *,
    unit: str = "unit",
    time: str = "period",
    columns: Sequence[str] = (),
    start: int | None = None,
    end: int | None = None,
) -> pl.DataFrame:
    """The balanced sub-panel: units observed, with non-null ``columns``, in every period from ``start`` to ``end``.

    Estimators that need a balanced panel (Callaway-Sant'Anna, the Goodman-Bacon decomposition) can then run
    on an unbalanced released panel. This changes the sample (only units observed throughout remain), so
    compare estimators on the same balanced sub-panel, and say so.

    Parameters
    ----------
    data : polars or pandas DataFrame, or PanelFrame
        One row per unit and period, ``time`` an integer period index.
    unit, time : str
        Unit and integer period columns.
    columns : sequence of str
        Columns that must be non-null (outcome, covariates); a row missing one counts as unobserved.
    start, end : int, optional
        Period range to keep (default: the data's first and last period).

    Returns
    -------
    polars.DataFrame
        Rows with ``start <= time <= end`` of the units observed in all ``end - start + 1`` periods, sorted by
        unit and time.
    """
    from churnlab.estimate._checks import to_polars

    df = to_polars(data.data if isinstance(data, PanelFrame) else data)
    miss = [c for c in (unit, time, *columns) if c not in df.columns]
    if miss:
        raise InputError(f"columns {miss} not found; the data have {df.columns}")
    if not df[time].dtype.is_integer():
        raise InputError(f"{time!r} must be an integer period index (see prepare_panel), not {df[time].dtype}")
    lo = int(df[time].min()) if start is None else start
    hi = int(df[time].max()) if end is None else end
    if hi < lo:
        raise InputError(f"end={hi} is before start={lo}")
    rows = df.filter(pl.col(time).is_between(lo, hi), *[pl.col(c).is_not_null() for c in columns])
    if rows.select(pl.struct(unit, time).is_duplicated().any()).item():
        raise DataError(f"duplicated ({unit}, {time}) rows; keep one row per unit and period first")
    full = rows.group_by(unit).agg(n=pl.len()).filter(pl.col("n") == hi - lo + 1).select(unit)
    out = rows.join(full, on=unit, how="semi").sort(unit, time)
    log.info("balanced periods %d..%d: kept %d of %d units", lo, hi, full.height, df[unit].n_unique())
    return out


AdoptionRule = Literal["first_any", "first_config", "first_trailer"]
#: Per-commit signal kinds that attribute the commit itself to an AI tool (marker-path events do not).
_USE_SIGNALS = ("trailer", "message", "identity")


def from_dataset(
    out: Any,
    *,
    unit: Unit = "repo",
    period: Period = "month",
    rule: AdoptionRule = "first_any",
    churn_window: int = 14,
    revert_window: int = 30,
    exclude_bulk: bool = True,
    exclude_bots: bool = True,
    adoption: pl.DataFrame | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    from_first_activity: bool = False,
) -> PanelFrame:
    """The panel of a mined dataset: activity, churn, revert, duplication and AI-use outcomes by unit and period.

    Joins the ``commits``, ``churn``, ``revert_flags``, ``signals`` and ``adoption`` tables of the dataset
    folder ``out`` (see :mod:`churnlab.schemas`) and aggregates them with :func:`build_panel`. Outcomes
    (spec section 6), besides the built-in activity counts:

    - ``new_code_churn``: of the meaningful lines authored in the period, the share revised within
      ``churn_window`` days (right-censored lines left out of the denominator);
    - ``revision_churn``: of the meaningful lines changed in the period, the share that revised lines younger
      than ``churn_window`` days (GitClear's "churn % of changed lines");
    - ``revert_rate``: of the commits authored in the period, the share reverted within ``revert_window``
      days (censored commits left out);
    - ``duplicate_block_rate``: share of commits adding a duplicated block of 5+ lines;
    - ``ai_share``: share of commits attributed to an AI tool by trailer, message or agent identity.

    Bulk commits (``is_bulk``) are left out of the churn and duplication rates unless ``exclude_bulk=False``;
    bot commits are left out of every outcome but ``bot_share`` unless ``exclude_bots=False``. The cohort is the adoption period under
    ``rule`` from the ``adoption`` table, or from ``adoption`` (unit keys + ``adopted_at``) when given,
    e.g. a study manifest's overrides. ``from_first_activity`` is :func:`build_panel`'s option.
    """
    from churnlab import io, schemas

    _check("rule", rule, ("first_any", "first_config", "first_trailer"))
    _check("churn_window", churn_window, schemas.CHURN_WINDOWS)
    _check("revert_window", revert_window, (30, 90))
    keep = pl.lit(True) if not exclude_bulk else ~pl.col("is_bulk").fill_null(False)
    w, d = churn_window, revert_window
    churn = io.scan_table(out, "churn").select(
        "repo", "sha", "is_bulk", "has_duplicate_block", "meaningful_lines", "authored_lines",
        pl.col(f"authored_churned_w{w}").alias("_churned"), pl.col(f"censored_w{w}").alias("_censored"),
        (pl.col(f"churn_self_w{w}") + pl.col(f"churn_others_w{w}")).alias("_revising"))
    flags = io.scan_table(out, "revert_flags").select("repo", "sha", pl.col(f"reverted_within_{d}d").alias("_reverted"))
    ai = (io.scan_table(out, "signals").filter(pl.col("kind").is_in(_USE_SIGNALS))
          .select("repo", "sha").unique().with_columns(_ai=pl.lit(1)))
    events = (io.scan_table(out, "commits")
              .join(churn, on=["repo", "sha"], how="left")
              .join(flags, on=["repo", "sha"], how="left")
              .join(ai, on=["repo", "sha"], how="left")
              .with_columns(
                  nc_num=pl.when(keep & ~pl.col("_censored")).then(pl.col("_churned")).otherwise(0),
                  nc_den=pl.when(keep & ~pl.col("_censored")).then(pl.col("authored_lines")).otherwise(0),
                  rc_num=pl.when(keep).then(pl.col("_revising")).otherwise(0),
                  rc_den=pl.when(keep).then(pl.col("meaningful_lines")).otherwise(0),
                  dup_num=pl.when(keep).then(pl.col("has_duplicate_block").cast(pl.Int64)).otherwise(0),
                  dup_den=pl.when(keep & pl.col("is_bulk").is_not_null()).then(1).otherwise(0),
                  rv_num=pl.col("_reverted").cast(pl.Int64).fill_null(0),
                  rv_den=pl.col("_reverted").is_not_null().cast(pl.Int64),
                  ai_num=pl.col("_ai").fill_null(0),
              ).with_columns(pl.col("^(nc|rc|dup)_(num|den)$").fill_null(0)))
    if adoption is None:
        adoption = _adoption(io.scan_table(out, "adoption"), unit, rule)
    sums = ["nc_num", "nc_den", "rc_num", "rc_den", "dup_num", "dup_den", "rv_num", "rv_den", "ai_num"]
    ratios = {"new_code_churn": ("nc_num", "nc_den"), "revision_churn": ("rc_num", "rc_den"),
              "revert_rate": ("rv_num", "rv_den"), "duplicate_block_rate": ("dup_num", "dup_den"),
              "ai_share": ("ai_num", "commits")}
    panel = build_panel(events, adoption, unit=unit, period=period, sums=sums, ratios=ratios, start=start, end=end,
                        exclude_bots=exclude_bots, from_first_activity=from_first_activity)
    options = dict(panel.options, dataset=str(out), rule=rule, churn_window=w, revert_window=d,
                   exclude_bulk=exclude_bulk)
    return PanelFrame(panel.data, options)


def _adoption(table: pl.LazyFrame, unit: str, rule: str) -> pl.DataFrame:
    """Adoption dates by unit under ``rule`` (absorbing: an author's first date across repositories).

    Bot authors (agents committing under their own identity) are left out: bot commits are left out of every
    outcome, so a bot unit would be all zeros; their commits still date the repository's adoption."""
    col = pl.col(f"{rule}_time")
    if unit == "repo":
        rows = table.filter(pl.col("level") == "repo").select("repo", adopted_at=col)
    elif unit == "author_repo":
        rows = table.filter(pl.col("level") == "author", ~pl.col("is_bot")).select("repo", "author_id", adopted_at=col)
    else:
        rows = (table.filter(pl.col("level") == "author", ~pl.col("is_bot"))
                .group_by("author_id").agg(adopted_at=col.min()))
    return rows.filter(pl.col("adopted_at").is_not_null()).collect()
