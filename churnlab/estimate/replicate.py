"""Reproductions of published studies from their released data.

:func:`cursor_study` re-runs the main analysis of He et al. (MSR 2026), "Speed at the Cost of Quality: How
Cursor AI Increases Short-Term Velocity and Long-Term Complexity in Open-Source Projects", from its released
repo x month panel, exactly as its R notebook ``DiffInDiffBorusyak.Rmd`` (R ``didimputation``) does:

* sample: never-treated repositories plus cohorts adopting 2024-08 .. 2025-03;
* outcomes ``log(y + 1)``; effects reported as ``exp(b) - 1``; static-analysis warnings =
  code_smells + bugs + vulnerabilities;
* first stage ``~ age + ncloc + contributors + stars + issues | repo + time`` with time-varying covariates,
  all ``log1p`` except ncloc; rows with a missing outcome or covariate are dropped (as fixest does);
  treated rows whose repository has no untreated row cannot be imputed and are dropped (as didimputation does);
* event study with pre-trend leads -6..-2 (lead -1 the reference), clustered by repository.

Two things are churnlab's choice and are options:

* ``time_coding``: the study's R code passes months as YYYYMM integers, so ``202501 - 202412 = 89``: effects
  one month after a December adoption land at "event time 89" and are missing from event time 1. churnlab
  uses a dense month index; ``time_coding="yyyymm"`` reproduces the study. Static effects do not depend on it.
* ``duplicates``: three repositories (cameronapak/freedom-stack, v112263/it-autonomos-spain, yuiseki/TRIDENT)
  appear in both the treated and the control source with identical rows (102 rows). churnlab keeps one copy
  (``"drop_copy"``); ``"keep"`` counts both, as the study's R code did (both copies get the same repository id).
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from typing import Literal


import polars as pl

from churnlab.errors import InputError, ManyZerosWarning
from churnlab.estimate._checks import check_choice, transform_outcome
from churnlab.estimate.bjs import imputation

__all__ = ["CURSOR_OUTCOMES", "CURSOR_PUBLISHED", "cursor_study", "cursor_study_panel"]

log = logging.getLogger(__name__)

#: Outcomes of the study's main table (column name -> label).
CURSOR_OUTCOMES = {
    "commits": "Commits",
    "lines_added": "Lines added",
    "static_analysis_warnings": "Static-analysis warnings",
    "cognitive_complexity": "Cognitive complexity",
    "duplicated_lines_density": "Duplicated lines density",
    "code_smells": "Code smells",
    "bugs": "Bugs",
    "vulnerabilities": "Vulnerabilities",
    "comment_lines_density": "Comment lines density",
}

#: Published figures (exp(b) - 1) the reproduction is compared with (anchors.md, research-spec section 8).
CURSOR_PUBLISHED = {
    ("static_analysis_warnings", "ATT"): 0.297,
    ("cognitive_complexity", "ATT"): 0.407,
    ("lines_added", "e=0"): 2.81,
    ("lines_added", "e=1"): 0.49,
}

COVARIATES = ["age", "ncloc", "contributors", "stars", "issues"]
_LOG_COVARIATES = ["age", "contributors", "stars", "issues"]


def _yyyymm(col: str) -> pl.Expr:
    return pl.col(col).str.replace("-", "").cast(pl.Int64)


def _dense_month(col: str, origin: int) -> pl.Expr:
    v = _yyyymm(col)
    return (v // 100 - origin // 100) * 12 + (v % 100 - origin % 100)


def cursor_study_panel(
    raw: pl.DataFrame | None = None,
    *,
    path: str | os.PathLike | None = None,
    duplicates: Literal["drop_copy", "keep"] = "drop_copy",
    first_cohort: str = "2024-08",
    last_cohort: str = "2025-03",
    outcomes: list[str] | None = None,
) -> pl.DataFrame:
    """The study's estimation sample with its transforms, ready for the estimators.

    Returns one row per repository and month with ``unit`` (repository name), ``period`` (dense month index,
    0 = 2024-01), ``cohort`` (dense adoption month, null = never treated), ``time_yyyymm`` and
    ``cohort_yyyymm`` (the study's coding), ``log1p`` outcomes and covariates, and the raw columns.
    ``log1p`` of outcomes with many zeros issues :class:`~churnlab.errors.ManyZerosWarning`.
    """
    check_choice("duplicates", duplicates, ("drop_copy", "keep"))
    if raw is None:
        from churnlab.datasets import load_cursor_study

        raw = load_cursor_study(path)
    outcomes = list(outcomes or CURSOR_OUTCOMES)
    unknown = [o for o in outcomes if o not in CURSOR_OUTCOMES]
    if unknown:
        raise InputError(f"unknown outcomes {unknown}; choose from {list(CURSOR_OUTCOMES)}")
    df = raw.with_columns(
        static_analysis_warnings=pl.col("code_smells") + pl.col("bugs") + pl.col("vulnerabilities"),
    )
    if duplicates == "drop_copy":
        before = df.height
        df = df.sort("repo_name", "time", "dataset_source", descending=[False, False, True]).unique(
            ["repo_name", "time"], keep="first", maintain_order=True
        )
        log.info("dropped %d duplicated repo-month rows (control-source copies of treated repos)", before - df.height)
    origin = 202401
    lo, hi = int(first_cohort.replace("-", "")), int(last_cohort.replace("-", ""))
    df = df.with_columns(
        unit=pl.col("repo_name"),
        time_yyyymm=_yyyymm("time"),
        cohort_yyyymm=_yyyymm("event"),
        period=_dense_month("time", origin),
        cohort=_dense_month("event", origin),
    ).filter(pl.col("cohort_yyyymm").is_null() | pl.col("cohort_yyyymm").is_between(lo, hi))
    for c in _LOG_COVARIATES:
        df = df.with_columns(pl.col(c).cast(pl.Float64).log1p().alias(f"log_{c}"))
    df = df.with_columns(pl.col("ncloc").cast(pl.Float64).alias("ncloc_raw"))
    for o in outcomes:
        df = transform_outcome(df, o, "log1p", name=f"log_{o}")
    return df.sort("unit", "period")


def cursor_study(
    path: str | os.PathLike | None = None,
    *,
    outcomes: list[str] | None = None,
    time_coding: Literal["dense", "yyyymm", "both"] = "both",
    duplicates: Literal["drop_copy", "keep"] = "drop_copy",
    se_convention: Literal["bjs", "didimputation"] = "bjs",
    horizon: range = range(0, 7),
    pretrends: range | None = range(-6, -1),
    warn_zeros: bool = False,
) -> pl.DataFrame:
    """Reproduce the Cursor study's imputation estimates (static and event study) in one call.

    Parameters
    ----------
    path : path, optional
        Folder with the released CSVs (default search: see :func:`churnlab.datasets.dataset_dir`).
    outcomes : list of str, optional
        Outcomes (default: all of :data:`CURSOR_OUTCOMES`).
    time_coding : {"dense", "yyyymm", "both"}
        churnlab's dense month index, the study's YYYYMM integers, or both side by side.
    duplicates : {"drop_copy", "keep"}
        Handling of the three repositories present in both sources (see module docstring).
    se_convention : {"bjs", "didimputation"}
        Theorem-3 variance over all clusters, or R didimputation 0.3's (never-treated units left out).
    horizon, pretrends : range
        Event times reported after adoption and pre-trend leads.
    warn_zeros : bool
        Re-issue the :class:`~churnlab.errors.ManyZerosWarning` of log1p outcomes with many zeros (the study
        applies log1p regardless; the share of zeros is reported in the ``zero_share`` column).

    Returns
    -------
    polars.DataFrame
        One row per outcome, coding and term with ``estimate`` (log points), ``se``, ``ci_low``, ``ci_high``,
        ``p_value``, ``pct`` = exp(b) - 1, ``pct_low``, ``pct_high``, ``n_obs``, ``n_units``, ``n_treated``,
        ``zero_share`` and ``published`` (the paper's figure where one is pinned).
    """
    check_choice("time_coding", time_coding, ("dense", "yyyymm", "both"))
    outcomes = list(outcomes or CURSOR_OUTCOMES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ManyZerosWarning)
        df = cursor_study_panel(path=path, duplicates=duplicates, outcomes=outcomes)
    if warn_zeros:
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=2)
    codings = ["dense", "yyyymm"] if time_coding == "both" else [time_coding]
    covs = ["log_age", "ncloc_raw", "log_contributors", "log_stars", "log_issues"]
    out = []
    for coding in codings:
        tcol, gcol = ("period", "cohort") if coding == "dense" else ("time_yyyymm", "cohort_yyyymm")
        for o in outcomes:
            res = imputation(
                df, y=f"log_{o}", unit="unit", time=tcol, cohort=gcol, covariates=covs, horizon=horizon,
                pretrends=pretrends, drop_missing=True, allow_duplicates=duplicates == "keep",
                se_convention=se_convention, time_coding="dense" if coding == "dense" else "raw",
            )
            zero = float((df[o].drop_nulls() == 0).mean())
            t = res.to_frame().filter(pl.col("kind") != "test")
            out.append(
                t.select("kind", "term", "event_time", "estimate", "se", "ci_low", "ci_high", "p_value", "n_obs",
                         "n_units", "n_treated").with_columns(
                    outcome=pl.lit(o), coding=pl.lit(coding), zero_share=pl.lit(zero),
                    pretrend_wald_p=pl.lit(res.to_frame().filter(pl.col("term") == "pretrend_wald")["p_value"].first()
                                            if pretrends is not None else None, dtype=pl.Float64),
                )
            )
    tab = pl.concat(out).with_columns(
        pct=pl.col("estimate").exp() - 1, pct_low=pl.col("ci_low").exp() - 1, pct_high=pl.col("ci_high").exp() - 1,
    )
    pub = pl.DataFrame({"outcome": [k[0] for k in CURSOR_PUBLISHED], "term": [k[1] for k in CURSOR_PUBLISHED],
                        "published": list(CURSOR_PUBLISHED.values())})
    tab = tab.join(pub, on=["outcome", "term"], how="left")
    cols = ["outcome", "coding", "kind", "term", "event_time", "estimate", "se", "ci_low", "ci_high", "p_value",
            "pct", "pct_low", "pct_high", "published", "n_obs", "n_units", "n_treated", "zero_share",
            "pretrend_wald_p"]
    return tab.select(cols)


def _fmt_pct(v: float | None) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:+.1f}%"


def cursor_study_table(results: pl.DataFrame, *, fmt: Literal["markdown", "latex"] = "markdown") -> str:
    """A compact side-by-side table (dense vs YYYYMM) of :func:`cursor_study` results for papers."""
    check_choice("fmt", fmt, ("markdown", "latex"))
    wide = results.filter(pl.col("kind") != "test").pivot(
        on="coding", index=["outcome", "term", "event_time", "published"], values=["pct", "p_value"]
    ).sort("outcome", "event_time", nulls_last=False)
    codings = [c for c in ("dense", "yyyymm") if f"pct_{c}" in wide.columns]
    head = ["outcome", "term", *[f"{c} %" for c in codings], *[f"{c} p" for c in codings], "published"]
    rows = [
        [r["outcome"], r["term"], *[_fmt_pct(r[f"pct_{c}"]) for c in codings],
         *[f"{r[f'p_value_{c}']:.3f}" if r[f"p_value_{c}"] is not None else "" for c in codings],
         _fmt_pct(r["published"])]
        for r in wide.iter_rows(named=True)
    ]
    if fmt == "markdown":
        return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] +
                         ["| " + " | ".join(r) + " |" for r in rows]) + "\n"
    esc = lambda s: str(s).replace("_", r"\_").replace("%", r"\%")  # noqa: E731
    body = [" & ".join(esc(c) for c in r) + r" \\" for r in rows]
    return "\n".join([r"\begin{tabular}{ll" + "r" * (len(head) - 2) + "}", r"\hline",
                      " & ".join(esc(h) for h in head) + r" \\", r"\hline", *body, r"\hline", r"\end{tabular}"]) + "\n"



