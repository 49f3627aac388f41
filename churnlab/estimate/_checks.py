"""Shared input validation for the estimators: one place that turns a user's panel into clean arrays.

Every check raises :class:`~churnlab.errors.InputError` (the call is wrong) or
:class:`~churnlab.errors.DataError` (the data violate the estimator's assumptions) with a message that names
the problem and the fix.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from churnlab.errors import DataError, InputError, ManyZerosWarning

__all__ = [
    "Panel",
    "check_choice",
    "looks_like_yyyymm",
    "prepare",
    "to_polars",
    "transform_outcome",
]

log = logging.getLogger(__name__)

TimeCoding = Literal["dense", "raw"]


def check_choice(name: str, value: Any, allowed: Sequence[Any]) -> Any:
    """Raise InputError unless ``value`` is one of ``allowed`` (the pyfixest-style Literal check)."""
    if value not in allowed:
        raise InputError(f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}")
    return value


def to_polars(data: Any) -> pl.DataFrame:
    """Accept a polars DataFrame/LazyFrame or a pandas DataFrame."""
    if hasattr(data, "data") and hasattr(data, "options"):  # churnlab.panel.PanelFrame
        data = data.data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    if isinstance(data, pl.DataFrame):
        return data
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        return pl.from_pandas(data.reset_index(drop=True))
    raise InputError(f"data must be a polars or pandas DataFrame, not {type(data).__name__}")


def looks_like_yyyymm(values: np.ndarray) -> bool:
    """True when integer periods look like YYYYMM codes spanning a year boundary (e.g. 202412, 202501)."""
    v = np.unique(np.asarray(values)[~np.isnan(np.asarray(values, dtype=float))]).astype(np.int64)
    if v.size < 2:
        return False
    month = v % 100
    year = v // 100
    return bool(
        (v.min() >= 190001) and (v.max() <= 210012) and np.all((month >= 1) & (month <= 12)) and np.unique(year).size > 1
    )


def transform_outcome(
    data: Any,
    column: str,
    how: Literal["log1p", "asinh", "none"] = "log1p",
    *,
    zero_share_warn: float = 0.1,
    name: str | None = None,
) -> pl.DataFrame:
    """Apply ``log(y + 1)`` or ``asinh(y)`` to a column, warning when many values are zero.

    Effects on ``log(y+1)`` of an outcome with many zeros are not percentage changes (they depend on the units
    of ``y``); a :class:`~churnlab.errors.ManyZerosWarning` is issued when the share of zeros is at least
    ``zero_share_warn``. Filter it with ``warnings.filterwarnings("ignore", category=ManyZerosWarning)``.
    """
    check_choice("how", how, ("log1p", "asinh", "none"))
    df = to_polars(data)
    if column not in df.columns:
        raise InputError(f"no column {column!r}; columns are {df.columns}")
    out = name or column
    if how == "none":
        return df.with_columns(pl.col(column).alias(out))
    y = df[column].cast(pl.Float64)
    nonnull = y.drop_nulls()
    if how == "log1p" and nonnull.len() and (nonnull < 0).any():
        raise DataError(f"column {column!r} has negative values; log(y+1) needs y >= 0 (use how='asinh')")
    share = float((nonnull == 0).mean()) if nonnull.len() else 0.0
    if share >= zero_share_warn:
        warnings.warn(
            f"{share:.0%} of {column!r} are zero: effects on {how}({column}) are not percentage changes "
            "(consider PPML, churnlab.estimate.ppml, or an extensive-margin outcome)",
            ManyZerosWarning,
            stacklevel=2,
        )
    expr = pl.col(column).cast(pl.Float64)
    expr = expr.log1p() if how == "log1p" else expr.arcsinh()
    return df.with_columns(expr.alias(out))


@dataclass
class Panel:
    """A validated long panel, sorted by unit then time.

    ``cohort`` is the adoption period in the same units as ``time`` (NaN for never-treated units).
    """

    unit: np.ndarray  # int codes 0..N-1
    time: np.ndarray  # int periods as given
    cohort: np.ndarray  # float, NaN = never treated
    y: np.ndarray
    X: np.ndarray  # (n, K)
    cluster: np.ndarray  # int codes
    unit_labels: list[Any]
    periods: np.ndarray  # sorted unique periods
    covariates: list[str]
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        return len(self.unit_labels)

    @property
    def treated(self) -> np.ndarray:
        return ~np.isnan(self.cohort) & (self.time >= self.cohort)

    def unit_cohort(self) -> np.ndarray:
        out = np.full(self.n_units, np.nan)
        out[self.unit] = self.cohort
        return out

    def is_balanced(self) -> bool:
        return self.y.size == self.n_units * self.periods.size

    def wide(self, values: np.ndarray) -> np.ndarray:
        """(units x periods) matrix of a balanced panel's column."""
        return values.reshape(self.n_units, self.periods.size)


def _list_duplicates(df: pl.DataFrame, unit: str, time: str) -> str:
    dup = df.filter(pl.struct(unit, time).is_duplicated())
    units = dup[unit].unique(maintain_order=True).to_list()
    shown = ", ".join(map(str, units[:10])) + (f" and {len(units) - 10} more" if len(units) > 10 else "")
    return f"{len(units)} unit(s) have duplicated ({unit}, {time}) rows ({dup.height} rows): {shown}"


def prepare(
    data: Any,
    *,
    y: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    balanced: bool = False,
    time_coding: TimeCoding = "dense",
    drop_missing: bool = False,
    allow_duplicates: bool = False,
) -> Panel:
    """Validate a long panel and return it as arrays.

    Parameters
    ----------
    data : polars or pandas DataFrame
        One row per unit and period.
    y, unit, time : str
        Outcome, unit identifier and integer period columns.
    cohort : str, optional
        Adoption period of each unit (null for never-treated units), constant within a unit.
    treatment : str, optional
        Alternatively, a 0/1 treatment indicator; it must be absorbing (never switch off).
    covariates : sequence of str
        Covariate columns.
    cluster : str, optional
        Cluster column (default: the unit).
    balanced : bool
        Require every unit in every period.
    time_coding : {"dense", "raw"}
        ``"dense"`` rejects YYYYMM-looking periods; ``"raw"`` uses the values as given (to reproduce a study
        that did period arithmetic on YYYYMM codes).
    drop_missing : bool
        Drop rows with a null outcome or covariate (counted in ``Panel.dropped``) instead of raising.
    allow_duplicates : bool
        Allow several rows per unit and period (only for reproducing studies that had them).
    """
    check_choice("time_coding", time_coding, ("dense", "raw"))
    df = to_polars(data)
    if (cohort is None) == (treatment is None):
        raise InputError("pass exactly one of cohort= (adoption period column) or treatment= (0/1 column)")
    covariates = list(covariates)
    needed = [y, unit, time, *(c for c in (cohort, treatment, cluster) if c), *covariates]
    missing = [c for c in dict.fromkeys(needed) if c not in df.columns]
    if missing:
        raise InputError(f"columns {missing} not found; the data have {df.columns}")
    if df.height == 0:
        raise DataError("the panel has no rows")
    tdtype = df.schema[time]
    if not tdtype.is_integer():
        if tdtype.is_float() and df[time].drop_nulls().pipe(lambda s: (s == s.round()).all()):
            df = df.with_columns(pl.col(time).cast(pl.Int64))
        else:
            raise InputError(
                f"time column {time!r} has type {tdtype}; estimators need an integer period index. "
                "Build one with churnlab.panel.prepare_panel(data, unit=..., time=..., ...) (it turns dates, "
                "'YYYY-MM' strings and YYYYMM integers into a dense index)"
            )
    if df[time].null_count():
        raise DataError(f"time column {time!r} has {df[time].null_count()} null values; drop those rows")
    if time_coding == "dense" and looks_like_yyyymm(df[time].to_numpy()):
        lo, hi = df[time].min(), df[time].max()
        raise DataError(
            f"time column {time!r} looks like YYYYMM integers ({lo}..{hi}): period differences across a year "
            "boundary are wrong there (202501 - 202412 = 89, not 1). Convert it to a dense month index with "
            "churnlab.panel.prepare_panel(..., time_format='yyyymm'), or pass time_coding='raw' only to reproduce "
            "a study that used YYYYMM arithmetic"
        )
    if not allow_duplicates and df.select(pl.struct(unit, time).is_duplicated().any()).item():
        raise DataError(
            _list_duplicates(df, unit, time)
            + "; keep exactly one row per unit and period (decide which copy is right, then e.g. "
            "df.unique([unit, time], keep='first'))"
        )
    # treatment -> cohort
    if treatment is not None:
        d = df.select(pl.col(treatment).cast(pl.Float64)).to_series()
        if d.null_count() or not d.is_in([0.0, 1.0]).all():
            raise DataError(f"treatment column {treatment!r} must be 0/1 with no nulls")
        df = df.sort(unit, time)
        off = df.with_columns(pl.col(treatment).cast(pl.Int8).diff().over(unit).alias("_d")).filter(pl.col("_d") < 0)
        if off.height:
            bad = off[unit].unique(maintain_order=True).to_list()
            raise DataError(
                f"treatment {treatment!r} switches off for {len(bad)} unit(s) (e.g. {bad[:10]}), but this estimator "
                "assumes absorbing (staggered) adoption: once treated, always treated. Define adoption as the first "
                "treated period (churnlab.panel.prepare_panel(..., treatment=...)) or drop those units"
            )
        df = df.with_columns(
            pl.col(time).filter(pl.col(treatment).cast(pl.Float64) == 1).min().over(unit).cast(pl.Float64).alias("_cohort")
        )
        cohort = "_cohort"
    else:
        if not (df.schema[cohort].is_numeric()):
            raise InputError(
                f"cohort column {cohort!r} has type {df.schema[cohort]}; it must hold the adoption period in the "
                "units of the time column (null for never treated). churnlab.panel.prepare_panel builds it"
            )
        nuniq = df.group_by(unit).agg(pl.col(cohort).n_unique().alias("k"), pl.col(cohort).null_count().alias("z"), pl.len())
        bad = nuniq.filter((pl.col("k") > 1) & ~((pl.col("k") == 1) & (pl.col("z") == pl.col("len"))))
        if bad.height:
            raise DataError(
                f"cohort {cohort!r} varies within {bad.height} unit(s) (e.g. {bad[unit].head(10).to_list()}); "
                "it must be the unit's single adoption period (null if never treated)"
            )
        df = df.with_columns(pl.col(cohort).cast(pl.Float64).fill_nan(None).alias("_cohort"))
        cohort = "_cohort"
    # missing values
    dropped: dict[str, int] = {}
    cols = [y, *covariates]
    nulls = df.select(pl.any_horizontal(pl.col(c).is_null() | pl.col(c).cast(pl.Float64).is_nan() for c in cols)).to_series()
    if nulls.any():
        if not drop_missing:
            per = {c: int(df[c].is_null().sum()) for c in cols if df[c].is_null().sum()}
            raise DataError(
                f"missing values in {per}; drop or impute those rows first, or pass drop_missing=True"
            )
        dropped["missing_values"] = int(nulls.sum())
        df = df.filter(~nulls)
    df = df.sort(unit, time)
    uniq = df[unit].unique(maintain_order=True)
    ucode = df[unit].rank("dense").cast(pl.Int64).to_numpy() - 1
    labels = df[unit].unique().sort().to_list()
    del uniq
    tvals = df[time].to_numpy().astype(np.int64)
    periods = np.unique(tvals)
    if balanced:
        n_units = len(labels)
        if df.height != n_units * periods.size:
            raise DataError(
                f"the panel is unbalanced: {df.height} rows for {n_units} units x {periods.size} periods "
                f"({n_units * periods.size - df.height} unit-periods missing). This estimator needs a balanced panel: "
                "build it with churnlab.panel.build_panel (zero-filled), or keep units observed in every period"
            )
    coh = df["_cohort"].cast(pl.Float64).to_numpy().copy()
    coh[np.isnan(coh)] = np.nan
    X = df.select([pl.col(c).cast(pl.Float64) for c in covariates]).to_numpy() if covariates else np.empty((df.height, 0))
    cl = df[cluster].rank("dense").cast(pl.Int64).to_numpy() - 1 if cluster else ucode.copy()
    return Panel(
        unit=ucode,
        time=tvals,
        cohort=coh,
        y=df[y].cast(pl.Float64).to_numpy().copy(),
        X=np.ascontiguousarray(X, dtype=float),
        cluster=cl,
        unit_labels=labels,
        periods=periods,
        covariates=covariates,
        dropped=dropped,
    )


def require_never_treated(panel: Panel, what: str) -> None:
    if not np.isnan(panel.unit_cohort()).any():
        raise DataError(
            f"no never-treated units, but {what} uses never-treated controls; use control_group='not_yet' "
            "(not-yet-treated controls) or add never-treated units"
        )
