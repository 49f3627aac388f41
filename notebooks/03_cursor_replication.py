# %% [markdown]
# # 3. The Cursor study, replicated and stress-tested
#
# He et al. (MSR 2026) compare 806 GitHub repositories that adopted the Cursor editor (2024-08..2025-03) with
# matched never-adopters, month by month, and estimate with the imputation estimator of Borusyak, Jaravel &
# Spiess (2024, *ReStud*). This notebook re-runs their main table and event study from the released panel, then
# asks how much the conclusions depend on the estimator (Callaway & Sant'Anna 2021; Sun & Abraham 2021; TWFE with
# the decomposition of Goodman-Bacon 2021), on parallel trends (Rambachan & Roth 2023) and on how months are coded.
#
# **Estimand.** The average effect of adoption on adopting repositories, ATT = E[Y(1) - Y(0) | adopted], overall
# and by months since adoption *e*. Outcomes enter as log(y + 1), so exp(b) - 1 reads as a percent change.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("CHURNLAB_NB_SMALL") == "1"  # CI: fewer outcomes and bootstrap draws
OUTCOMES = ["commits", "lines_added", "static_analysis_warnings", "cognitive_complexity"] if SMALL else None
FOCUS = "static_analysis_warnings"  # outcome of the estimator comparison
WINDOW = (-6, 6)  # event times shown
BOOTSTRAP = 99 if SMALL else 999  # Callaway-Sant'Anna multiplier bootstrap draws

# %%
import logging

import matplotlib.pyplot as plt
import polars as pl
from IPython.display import Markdown, display

from churnlab import plot
from churnlab.estimate.bacon import bacon_decomposition
from churnlab.estimate.compare import compare_estimators, stack_results
from churnlab.estimate.honest import honest_sensitivity
from churnlab.estimate.replicate import cursor_study, cursor_study_panel, cursor_study_table
from churnlab.panel import balance_panel

logging.basicConfig(level=logging.WARNING)  # pyfixest calls basicConfig(INFO) when imported

# %% [markdown]
# ## Main table: the published numbers, exactly
#
# Imputation fits `log(y+1) ~ covariates | repo + month` on untreated repo-months only (covariates: log age, lines
# of code, log contributors, stars, issues), imputes Y(0) for treated repo-months and averages the differences. It
# assumes parallel trends for *all* periods and no anticipation; in exchange it is the efficient estimator under
# homoskedastic errors. With the study's own choices (three repositories present twice; the variance of R
# `didimputation` 0.3, which leaves never-treated units out of the sum and so gives smaller standard errors) the
# published figures come out exactly: warnings +29.7%, cognitive complexity +40.7%, lines added +281% in the
# adoption month. churnlab's defaults (one copy; the Theorem-3 variance summed over all clusters) are beside them.

# %%
study = cursor_study(outcomes=OUTCOMES, duplicates="keep", se_convention="didimputation", time_coding="yyyymm")
ours = cursor_study(outcomes=OUTCOMES, time_coding="both")
overall = pl.concat([study.with_columns(coding=pl.lit("study")), ours.filter(pl.col("coding") == "dense")])
overall.filter(pl.col("term") == "ATT").pivot(on="coding", index=["outcome", "published"], values=["pct", "se"])

# %% [markdown]
# ## The YYYYMM coding
#
# The study's R code passes months as YYYYMM integers, so December to January is `202501 - 202412 = 89` months:
# after a year boundary, effects land at "event time 89" and drop out of event times 1..6, and the lead regression
# sees wrong leads. Static effects and month 0 do not depend on the coding; later months and leads do. churnlab
# uses a dense month index (0 = 2024-01). Below: adopters' repo-months whose event time the two codings disagree on.

# %%
panel = cursor_study_panel(outcomes=["commits"])
wrong = (pl.col("time_yyyymm") - pl.col("cohort_yyyymm")) != (pl.col("period") - pl.col("cohort"))
display(panel.filter(pl.col("cohort").is_not_null()).group_by(post=pl.col("period") >= pl.col("cohort"))
        .agg(rows=pl.len(), wrong_event_time=wrong.sum()).sort("post"))
display(Markdown(cursor_study_table(ours.filter(pl.col("outcome").is_in(["lines_added", FOCUS])))))

# %%
with plot.house_style():
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
for ax, outcome in zip(axes, ["lines_added", FOCUS]):
    es = ours.filter((pl.col("outcome") == outcome) & (pl.col("kind") == "event")).rename({"coding": "estimator"})
    plot.event_study(es, ax=ax, title=f"{outcome}: imputation, dense vs YYYYMM months", ylabel="effect (log points)")
fig.tight_layout()

# %% [markdown]
# Read: lines added jump in the adoption month and fade within two months; warnings rise and stay. Post-adoption
# months barely move with the coding (most adopters adopted in 2025 and never cross a year boundary afterwards; the
# 2024 cohorts' 2025 months drop out of months 1..6), but the leads, the pre-trend test, change a lot. Pre-period
# rows are lead-regression coefficients on untreated observations (BJS 2024, Section 4.4), not effects.
#
# ## Estimators side by side
#
# Callaway-Sant'Anna (CS) and the Bacon decomposition need a balanced panel; the released panel is not (a repo
# appears only in months with commits). For a like-for-like comparison, every estimator below runs on the same
# **balanced sub-panel**: repositories observed, with the outcome, in all 20 months. That is a smaller, more
# active sample than the main table, so its numbers are not the paper's. Assumptions: CS (never-treated controls,
# base period -1) needs parallel trends only between each cohort and the never-treated, in the periods it uses;
# Sun-Abraham is the same comparison as a regression; static TWFE is a weighted average of 2x2 comparisons, some
# using already-treated repositories as controls, which is biased when effects change over time.

# %%
bal = balance_panel(cursor_study_panel(outcomes=[FOCUS]), columns=[f"log_{FOCUS}"])
res = compare_estimators(bal, y=f"log_{FOCUS}", window=WINDOW, bootstrap=BOOTSTRAP, seed=1)
table = stack_results(res, window=WINDOW)
display(table.filter(pl.col("kind") == "overall").select(
    "estimator", "term", "estimate", "se", "p_value", "n_units", "n_treated", pct=pl.col("estimate").exp() - 1))
ax = plot.event_study(table.filter(pl.col("kind") == "event"), title=f"{FOCUS}, balanced sub-panel",
                      ylabel="effect (log points)")
ax.figure.set_size_inches(11, 4.5)

# %% [markdown]
# Read: CS and Sun-Abraham with never-treated controls are the same estimator and agree to rounding (their overall
# ATTs differ: CS averages months 0..6 only). Imputation uses all pre-periods and not-yet-treated repositories as
# controls, hence different estimates; its pre-period rows are lead coefficients, on a different baseline. On this
# sample all estimators give smaller effects than the main table: a balanced panel keeps the most active repos.
#
# ## Bacon decomposition of the static TWFE estimate

# %%
bacon = bacon_decomposition(bal, y=f"log_{FOCUS}")
display(bacon.extra["by_type"])
plot.bacon_scatter(bacon.extra["comparisons"], title="Goodman-Bacon: 2x2 comparisons behind TWFE")

# %% [markdown]
# Read: most weight is on adopters vs never-adopters, which is reassuring; `later_vs_earlier` comparisons use
# already-treated repositories as controls and are biased when effects grow after adoption, as they do here.
#
# ## Sensitivity to parallel-trends violations (HonestDiD-style)
#
# Rambachan & Roth (2023): how large may post-adoption violations of parallel trends be, relative to the largest
# pre-adoption change (M-bar, *relative magnitudes*), before the average effect over months 0..6 is no longer
# distinguishable from zero? churnlab's bounds are a projection (plug-in pre-period estimates widened by the
# normal critical value), not the package's ARP/FLCI sets: read them as a sensitivity display.

# %%
honest = honest_sensitivity(res["callaway_santanna"], M=(0.0, 0.25, 0.5, 1.0, 1.5, 2.0))
honest.to_frame().select("term", "estimate", "ci_low", "ci_high")

# %% [markdown]
# Read: the first M-bar whose interval contains zero is the *breakdown* value; below it, the conclusion "warnings
# rose" survives post-adoption trend violations up to M-bar times the largest month-to-month pre-period change.

# %% [markdown]
# ## Caveats
#
# * **CS robustness is weaker, as in the paper.** The paper's CS check (R `did`, unbalanced panel, anticipation 1,
#   YYYYMM months) gave weaker quality effects; ours uses a balanced sub-panel. Neither is the main table's sample.
# * **Standard errors.** `didimputation` 0.3's variance omits never-treated units; the Theorem-3 variance is the
#   one BJS prove valid, and it is churnlab's default.
# * **log(y+1)** of outcomes with many zeros (commits, lines added in quiet months) is not a percent change for
#   the extensive margin; `zero_share` in `cursor_study()` reports how many zeros each outcome has.
# * **Selection.** Adopters chose to adopt; parallel trends is an assumption the pre-period can only probe.
#
# Sources: He, Miller, Agarwal, Kästner, Vasilescu, MSR 2026 (arXiv 2511.04427; data github.com/hehao98/CursorStudy);
# Borusyak, Jaravel & Spiess, *ReStud* 2024; Callaway & Sant'Anna, *J. Econometrics* 2021; Sun & Abraham,
# *J. Econometrics* 2021; Goodman-Bacon, *J. Econometrics* 2021; Rambachan & Roth, *ReStud* 2023.
