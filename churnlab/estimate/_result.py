"""One tidy result type for every estimator (research-spec section 7).

A :class:`Result` holds a polars DataFrame with one row per reported quantity (an overall effect, an
event-time effect, a cohort or calendar aggregate, a group-time effect or a regression coefficient) plus
the options that produced it, and renders ``summary()`` tables for papers in markdown or LaTeX.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from churnlab.errors import InputError

__all__ = ["COLUMNS", "KINDS", "Result", "make_rows"]

KINDS = ("overall", "event", "group", "calendar", "gt", "coef", "test")

#: Columns of every result table, in order.
COLUMNS: dict[str, pl.DataType] = {
    "estimator": pl.String(),
    "kind": pl.String(),
    "term": pl.String(),
    "event_time": pl.Int64(),
    "cohort": pl.Int64(),
    "period": pl.Int64(),
    "estimate": pl.Float64(),
    "se": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "p_value": pl.Float64(),
    "cband_low": pl.Float64(),
    "cband_high": pl.Float64(),
    "n_obs": pl.Int64(),
    "n_units": pl.Int64(),
    "n_treated": pl.Int64(),
    "control_group": pl.String(),
    "options": pl.String(),
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def make_rows(
    estimator: str,
    kind: str,
    terms: list[str],
    estimate: np.ndarray,
    se: np.ndarray,
    *,
    options: dict[str, Any],
    n_obs: int,
    n_units: int,
    n_treated: int,
    control_group: str | None,
    event_time: list[int | None] | None = None,
    cohort: list[int | None] | None = None,
    period: list[int | None] | None = None,
    crit: float | None = None,
    alpha: float = 0.05,
    p_value: np.ndarray | None = None,
    df: float | None = None,
) -> pl.DataFrame:
    """Build result rows: normal (or t with ``df``) intervals and p-values, uniform bands with ``crit``."""
    k = len(terms)
    est = np.asarray(estimate, dtype=float).reshape(k)
    se = np.asarray(se, dtype=float).reshape(k)
    q = stats.norm.ppf(1 - alpha / 2) if df is None else stats.t.ppf(1 - alpha / 2, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
        if p_value is None:
            p_value = 2 * (stats.norm.sf(np.abs(z)) if df is None else stats.t.sf(np.abs(z), df))
    none: list[int | None] = [None] * k
    opts = json.dumps(_jsonable(options), sort_keys=True, default=str)
    return pl.DataFrame(
        {
            "estimator": [estimator] * k,
            "kind": [kind] * k,
            "term": terms,
            "event_time": event_time or none,
            "cohort": cohort or none,
            "period": period or none,
            "estimate": est,
            "se": se,
            "ci_low": est - q * se,
            "ci_high": est + q * se,
            "p_value": np.asarray(p_value, dtype=float).reshape(k),
            "cband_low": est - crit * se if crit is not None else [None] * k,
            "cband_high": est + crit * se if crit is not None else [None] * k,
            "n_obs": [n_obs] * k,
            "n_units": [n_units] * k,
            "n_treated": [n_treated] * k,
            "control_group": [control_group] * k,
            "options": [opts] * k,
        },
        schema=COLUMNS,
        strict=False,
    ).with_columns(pl.col(c).fill_nan(None) for c in ("se", "ci_low", "ci_high", "p_value"))


@dataclass(frozen=True, eq=False)
class Result:
    """The tidy result of an estimator.

    Attributes
    ----------
    estimator : str
        Estimator name, e.g. ``"callaway_santanna"``, ``"imputation"``, ``"twfe_static"``.
    table : polars.DataFrame
        One row per reported quantity, with the columns of :data:`COLUMNS`.
    options : dict
        Every option that produced the result (also stored as JSON in the ``options`` column).
    vcov : dict of str to numpy.ndarray
        Covariance matrices of groups of rows, keyed by ``kind`` (e.g. ``"event"``), in table row order.
    extra : dict
        Estimator-specific detail (group-time table, weights, decomposition, ...).
    """

    estimator: str
    table: pl.DataFrame
    options: dict[str, Any]
    vcov: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pl.DataFrame:
        """The tidy table (a polars DataFrame)."""
        return self.table

    def rows(self, kind: str) -> pl.DataFrame:
        """Rows of one kind (``overall``, ``event``, ``group``, ``calendar``, ``gt``, ``coef``, ``test``)."""
        if kind not in KINDS:
            raise InputError(f"kind={kind!r} is not one of {', '.join(KINDS)}")
        return self.table.filter(pl.col("kind") == kind)

    @property
    def overall(self) -> dict[str, Any]:
        """The overall (static) effect row as a dict; raises if the result has none."""
        rows = self.rows("overall")
        if rows.height == 0:
            raise InputError(f"{self.estimator} result has no overall effect; use .rows('event') or .to_frame()")
        return rows.row(0, named=True)

    def estimate(self, term: str) -> float:
        """The estimate of one term (e.g. ``"ATT"``, ``"e=0"``, ``"D"``)."""
        hit = self.table.filter(pl.col("term") == term)
        if hit.height == 0:
            raise InputError(f"no term {term!r}; terms are {self.table['term'].to_list()}")
        return float(hit["estimate"][0])

    def summary(
        self,
        fmt: Literal["markdown", "latex"] = "markdown",
        *,
        kinds: tuple[str, ...] | None = None,
        digits: int = 3,
        scale: Literal["level", "percent_log"] = "level",
    ) -> str:
        """A table for papers.

        Parameters
        ----------
        fmt : {"markdown", "latex"}
            Output format.
        kinds : tuple of str, optional
            Row kinds to include (default: everything but group-time rows).
        digits : int
            Decimals.
        scale : {"level", "percent_log"}
            ``"percent_log"`` adds a column ``100 (exp(b) - 1)`` for log outcomes.
        """
        if fmt not in ("markdown", "latex"):
            raise InputError(f"fmt={fmt!r} is not one of 'markdown', 'latex'")
        if scale not in ("level", "percent_log"):
            raise InputError(f"scale={scale!r} is not one of 'level', 'percent_log'")
        tab = self.table if kinds is None else self.table.filter(pl.col("kind").is_in(list(kinds)))
        if kinds is None:
            tab = tab.filter(pl.col("kind") != "gt")
        head = ["term", "estimate", "se", "95% CI", "p"]
        if scale == "percent_log":
            head.append("% effect")
        body = []
        for r in tab.iter_rows(named=True):
            stars = "" if r["p_value"] is None else "***" if r["p_value"] < 0.01 else "**" if r["p_value"] < 0.05 else "*" if r["p_value"] < 0.1 else ""
            f = lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"  # noqa: E731
            ci = f"[{f(r['ci_low'])}, {f(r['ci_high'])}]" if r["ci_low"] is not None else ""
            row = [r["term"], f(r["estimate"]) + stars, f(r["se"]), ci, f(r["p_value"])]
            if scale == "percent_log":
                row.append(f(100 * math.expm1(r["estimate"])) if r["estimate"] is not None else "")
            body.append(row)
        first = self.table.row(0, named=True) if self.table.height else {}
        note = (
            f"{self.estimator}; N obs = {first.get('n_obs')}, units = {first.get('n_units')}, "
            f"treated = {first.get('n_treated')}, controls = {first.get('control_group')}"
        )
        if fmt == "markdown":
            lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(r) + " |" for r in body]
            return "\n".join(lines) + f"\n\n{note}\n"
        esc = lambda s: s.replace("_", r"\_").replace("%", r"\%")  # noqa: E731
        lines = [
            r"\begin{tabular}{l" + "r" * (len(head) - 1) + "}",
            r"\hline",
            " & ".join(esc(h) for h in head) + r" \\",
            r"\hline",
        ]
        lines += [" & ".join(esc(c).replace("*", r"$^{*}$") if i == 1 else esc(c) for i, c in enumerate(r)) + r" \\" for r in body]
        lines += [r"\hline", rf"\multicolumn{{{len(head)}}}{{l}}{{\footnotesize {esc(note)}}} \\", r"\end{tabular}"]
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return f"Result({self.estimator!r}, {self.table.height} rows)\n" + self.summary()
