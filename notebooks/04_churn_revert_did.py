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

from churnlab import plot
from churnlab.analysis import analyse
from churnlab.datasets import real_sample_path
from churnlab.estimate.compare import stack_results

logging.basicConfig(level=logging.ERROR)  # skipped estimators are reported below, from analysis.skipped
warnings.filterwarnings("ignore", message=".*multicollinearity")  # pyfixest drops collinear terms and says so
data = real_sample_path(DATASET)
runs = {rule: analyse(data, outcomes=OUTCOMES, rule=rule, start=START, end=END, window=WINDOW, bootstrap=BOOTSTRAP,
                      seed=1, figures=False) for rule in RULES}
panel = runs["first_any"].panel.data
cohorts = pl.concat([r.panel.data.group_by("repo").agg(pl.col("period_start").filter(pl.col("rel_time") == 0).first())
                     .rename({"period_start": rule}) for rule, r in runs.items()], how="align")
cohorts.sort(RULES[0], nulls_last=True)

# %% [markdown]
# Adoption months under the two rules (null: no visible signal, a never-treated control). They differ by up to
# five months, and two repositories chosen as controls (`psf/requests`, `tqdm/tqdm`) adopt under `first_any` by
# a single Claude co-authored commit in 2026. `anthropics/claude-code-action` adopts in its first month: with no
# untreated month it identifies nothing, and imputation drops it.
#
# ## Raw trends

# %%
with plot.house_style():
    fig, axes = plt.subplots(2, 1, figsize=(10, 8))
for ax, y in zip(axes, OUTCOMES):
    plot.raw_trends(panel.filter(pl.col(y).is_not_null()), outcome=y, time="period_start", ax=ax,
                    title=f"{y}: adopters (first_any) vs no visible signal", xlabel=None)
fig.tight_layout()

# %% [markdown]
# Read: monthly means across repositories with 95% bands. Adopters are young, fast-moving projects: in their first
# months (2024-2025) their new lines are revised far more often than the mature libraries' ever are. Parallel
# pre-trends are doubtful here before any estimate, and a repository's age is a confounder a staggered DiD with
# repository and month effects does not remove (churn falls as a project matures, and these adopt young).
#
# ## Estimates, both rules, side by side

# %%
head = pl.concat([r.headline.with_columns(rule=pl.lit(rule)) for rule, r in runs.items()])
display(head.select("rule", "outcome", "estimator", "n_units", "estimate", "se", "ci_low", "ci_high", "p_value"))
{rule: r.skipped for rule, r in runs.items()}

# %% [markdown]
# Estimates are in rate units (0.01 = one percentage point). The dictionary lists the estimators that could not be
# fitted and why: Callaway-Sant'Anna needs a balanced panel, and no adopter has a churn or revert rate in every
# month (a rate is missing in a month without commits); Sun-Abraham's cohort x event-time terms are not all
# identified with so few units under `first_config`.
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
# Read: imputation's negative event times are its lead-regression coefficients (a pre-trend test), the other
# estimators' are relative to month -1. A negative new-code churn "effect" with pre-period coefficients of the
# same size says the comparison, not adoption, drives it: adopters' churn was falling before they adopted, as a
# young project's does.
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
