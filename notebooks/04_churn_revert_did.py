# %% [markdown]
# # 4. Does adopting an AI coding tool raise churn and reverts? A staggered DiD on real repositories
#
# Repositories adopt AI tools at different dates; this notebook compares each adopter's churn and revert rates
# before and after its adoption month with the same months of repositories that show no AI signal, the design
# of He et al. (MSR 2026) for Cursor, here with churnlab's outcomes on the committed real sample
# (`datasets/real_sample`: 18 public repositories). Estimators: Borusyak, Jaravel & Spiess (2024) imputation,
# Sun & Abraham (2021), static TWFE (a diagnostic under staggered adoption, Goodman-Bacon 2021) and, where the
# balanced sub-panel allows, Callaway & Sant'Anna (2021).
#
# **Estimand.** ATT on adopting repositories, overall and by months since adoption: the change in the monthly
# *new-code churn* (share of a month's new meaningful lines revised within 14 days) and *revert rate* (share of
# its commits reverted within 30 days), in percentage points. **This sample is a demonstration of the design,
# not evidence**: eight adopters, ten never-adopters, chosen by hand.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("CHURNLAB_NB_SMALL") == "1"  # CI: fewer bootstrap draws
START, END = "2023-01-01", "2026-06-01"  # months analysed (later months are censored by the 30-day revert window)
OUTCOMES = ("new_code_churn", "revert_rate")
RULES = ("first_any", "first_config")  # adoption date: first AI signal of any kind / first AI config file
WINDOW = (-6, 6)  # event times shown
BOOTSTRAP = 49 if SMALL else 999
DATASET = None  # another mined dataset folder; None: the committed real sample

# %%
import logging
import warnings

import matplotlib.pyplot as plt
import polars as pl

from churnlab import io, plot
from churnlab.analysis import analyse
from churnlab.datasets import real_sample_path
from churnlab.estimate.compare import stack_results

logging.basicConfig(level=logging.ERROR)  # skipped estimators are reported below, from analysis.skipped
warnings.filterwarnings("ignore", category=UserWarning, module="pyfixest")  # it drops collinear terms and says so
data = real_sample_path(DATASET)
runs = {rule: analyse(data, outcomes=OUTCOMES, rule=rule, start=START, end=END, window=WINDOW, bootstrap=BOOTSTRAP,
                      seed=1, figures=False) for rule in RULES}
panel = runs["first_any"].panel.data
adoption = io.scan_table(data, "adoption").filter(pl.col("level") == "repo").collect()
display(adoption.select("repo", *[pl.col(f"{r}_time").dt.date().alias(r) for r in RULES], "n_signal_commits")
        .filter(pl.any_horizontal(pl.col(RULES).is_not_null())).sort(RULES[0]))
print(f"{adoption.filter(pl.all_horizontal(pl.col([f'{r}_time' for r in RULES]).is_null())).height} repositories "
      "with no visible signal (never treated)")

# %% [markdown]
# Adoption dates under the two rules (the panel uses their months). They differ by up to five months, and two
# repositories chosen as controls (`psf/requests`, `tqdm/tqdm`) adopt under `first_any` by a single Claude
# co-authored commit in 2026 (tqdm after the last month analysed: it stays a not-yet-treated comparison).
# `anthropics/claude-code-action` adopts in its first month: with no untreated month it identifies nothing, and
# imputation drops it.
#
# ## Raw trends

# %%
with plot.house_style():
    fig, axes = plt.subplots(2, 1, figsize=(10, 8))
for ax, y in zip(axes, OUTCOMES):
    plot.raw_trends(panel.filter(pl.col(y).is_not_null()), outcome=y, ax=ax, xlabel=f"month (0 = {START[:7]})",
                    title=f"{y}: adopters (first_any) vs no visible signal")
fig.tight_layout()

# %% [markdown]
# Read: monthly means across the repositories observed that month, with 95% bands; the dotted line is the first
# adoption. Until mid-2024 the "adopters" line is three mature libraries that adopt in 2025-2026 (pluggy,
# requests, tqdm); the AI-tool projects join it as they are created, so the group changes under the line. Those
# young, fast-moving projects revise their new lines more often than the mature libraries do; a repository's
# age is a confounder that repository and month effects do not remove (churn changes as a project matures, and
# most of these adopt young).
#
# ## Estimates, both rules, side by side

# %%
head = pl.concat([r.headline.with_columns(rule=pl.lit(rule)) for rule, r in runs.items()])
with pl.Config(tbl_rows=20, tbl_cols=10, tbl_width_chars=140, fmt_str_lengths=20):
    display(head.select("rule", "outcome", "estimator", "n_units", pl.col("estimate", "se", "ci_low", "ci_high").round(4),
                        pl.col("p_value").round(3)))
{rule: {y: sorted(s) for y, s in r.skipped.items()} for rule, r in runs.items()}

# %% [markdown]
# Estimates are in rate units (0.01 = one percentage point). New-code churn comes out *lower* after adoption
# (about -8 points, imputation) under both rules, revert rates a little higher (+0.3 points, not significant).
# Read the event study before believing either. The dictionary lists the estimators that could not be fitted
# (`analysis.skipped` has the reasons): Callaway-Sant'Anna and the Bacon decomposition need a balanced panel, and
# no adopter has a rate in every month (a rate is missing in a month without commits); Sun-Abraham's cohort x
# event-time terms are not all identified with so few units under `first_config`.
#
# ## Event study (first_any)

# %%
with plot.house_style():
    fig, axes = plt.subplots(2, 1, figsize=(10, 8))
for ax, y in zip(axes, OUTCOMES):
    res = {k: v for k, v in runs["first_any"].results[y].items() if k not in ("bacon", "twfe")}
    plot.event_study(stack_results(res, kinds=("event",), window=WINDOW), ax=ax, title=f"{y}: effect by month",
                     ylabel="effect (rate)")
fig.tight_layout()

# %% [markdown]
# Read: imputation's negative event times are its lead-regression coefficients (a pre-trend test); the other
# estimators' are relative to month -1. For new-code churn the pre-adoption coefficients are as large as the
# post-adoption ones and of the same sign: month -1 stands out from the adopters' own history, and the design
# cannot separate adoption from what these projects were doing anyway. The revert-rate months scatter around
# zero on both sides. Neither outcome shows an effect this sample can attribute to adoption.
#
# ## Caveats
#
# * **Few units.** Eight adopters and ten controls, clustered by repository: standard errors rest on asymptotics
#   that need many clusters (a wild cluster bootstrap, `churnlab.estimate.inference`, is the better test), and
#   one repository can move an estimate.
# * **Invisible adoption.** Controls are repositories with *no visible signal*, not non-users: squash merges drop
#   co-author trailers and most assistants leave nothing in git. Contaminated controls bias effects toward zero.
# * **Selection into adoption.** Adopters chose to adopt, and here they are AI-tool projects born during the
#   window. Age, project type and team size differ from the controls; parallel trends is an assumption the raw
#   trends above already question. Matching on age and size (spec section 6 covariates) is the next step.
# * **Dates.** `first_any` and `first_config` give different cohorts; `first_any` turns one co-authored commit
#   into adoption. Report both, as here.
#
# Sources: He, Miller, Agarwal, Kästner, Vasilescu, MSR 2026 (arXiv 2511.04427); Borusyak, Jaravel & Spiess,
# *ReStud* 2024; Sun & Abraham, *J. Econometrics* 2021; Callaway & Sant'Anna, *J. Econometrics* 2021;
# Goodman-Bacon, *J. Econometrics* 2021; GitClear (Harding 2024, 2025) for the churn measure.
