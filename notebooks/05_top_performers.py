# %% [markdown]
# # 5. Do AI tools help the strongest developers most, and do they churn more?
#
# GitClear's 2026 report on 2,172 developer-weeks with tool-usage data found that the heaviest AI users produced
# 4-10x more work and about 9x more churn than non-users, and read it largely as selection: those developers
# were already stronger the year before. A within-developer design asks the causal version: after a developer
# starts using an AI tool, how do *their own* commits and new-code churn change, relative to developers who never
# show a signal, and does the change differ by how productive they were before?
#
# **Design.** Developer-in-repository x month panel from the real sample (`from_dataset(unit="author_repo")`); a
# developer adopts at their first AI-signalled commit or AI config edit (`first_any`, per author). Adopters are
# split into terciles of pre-adoption commits per month (`churnlab.analysis.pre_period_groups`) and the
# Borusyak-Jaravel-Spiess imputation estimator is fitted per tercile against all never-adopting developers
# (`effects_by_group`). **Estimand.** ATT per tercile on monthly commits and on monthly new-code churn.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("CHURNLAB_NB_SMALL") == "1"  # the sample is small already: same size in CI
START, END = "2024-01-01", "2026-06-01"  # months analysed
MIN_ACTIVE_MONTHS = 3  # keep developers with commits in at least this many months (drops drive-by contributors)
PRE_PERIODS = 3  # months before adoption that rank adopters
WINDOW = (-3, 3)  # event times reported
DATASET = None  # another mined dataset folder; None: the committed real sample

# %%
import logging

import matplotlib.pyplot as plt
import polars as pl

from churnlab import io, plot
from churnlab.analysis import effects_by_group, pre_period_groups
from churnlab.datasets import real_sample_path
from churnlab.panel import from_dataset

logging.basicConfig(level=logging.WARNING)
data = real_sample_path(DATASET)
full = from_dataset(data, unit="author_repo", start=START, end=END).data
active = full.group_by("unit").agg(months=(pl.col("commits") > 0).sum()).filter(pl.col("months") >= MIN_ACTIVE_MONTHS)
panel = full.join(active.select("unit"), on="unit", how="semi")
groups = pre_period_groups(panel, outcome="commits", pre_periods=PRE_PERIODS)
display(groups.group_by("group").agg(developers=pl.len(), pre_commits_mean=pl.col("pre_mean").mean(),
                                     pre_min=pl.col("pre_mean").min(), pre_max=pl.col("pre_mean").max()).sort("group"))
print(f"{full['unit'].n_unique()} developer-repository units, {panel['unit'].n_unique()} active in "
      f">= {MIN_ACTIVE_MONTHS} months, {panel.filter(pl.col('cohort').is_not_null())['unit'].n_unique()} of them adopt")

# %% [markdown]
# Group 1 is the bottom tercile of pre-adoption commits per month, group 3 the top; null: never-adopters (the
# controls) and adopters whose pre-window starts before the panel. The terciles are small (about 14 developers
# each): the real sample has few adopting developers, so every estimate below is noisy.
#
# ## Effects by tercile

# %%
effects = pl.concat([effects_by_group(panel, groups, y=y, window=WINDOW).with_columns(outcome=pl.lit(y))
                     for y in ("commits", "new_code_churn")])
with pl.Config(tbl_rows=12, tbl_cols=12, tbl_width_chars=150):
    display(effects.filter(pl.col("kind") == "overall").select(
        "outcome", "group", "n_treated", pl.col("estimate", "se", "ci_low", "ci_high", "baseline", "relative").round(3),
        pl.col("p_value").round(4)))

# %% [markdown]
# Read: `group 0` pools all ranked adopters; `baseline` is the group's mean outcome in the months before adoption
# and `relative` the effect divided by it. In levels the top tercile gains the most commits; relative to its own
# baseline it gains the least, and the bottom tercile goes from almost no commits to several a month. New-code
# churn rises significantly in no tercile (the bottom one has too few months with new lines to say much). Below,
# negative months are imputation's lead coefficients (a pre-trend test): the top tercile's commits were already
# rising before its adoption month.

# %%
with plot.house_style():
    fig, axes = plt.subplots(2, 1, figsize=(10, 8))
for ax, y in zip(axes, ("commits", "new_code_churn")):
    ev = (effects.filter(pl.col("outcome") == y, pl.col("kind") == "event", pl.col("group") > 0)
          .with_columns(estimator=pl.format("tercile {}", pl.col("group"))))
    plot.event_study(ev, ax=ax, title=f"{y}: imputation effect by pre-adoption commit tercile",
                     ylabel="effect per developer-month", reference=None)
fig.tight_layout()

# %% [markdown]
# ## Why these are not effects of AI on productivity
#
# * **Adoption is observed through the outcome.** A developer's adoption month is the month of their first
#   AI-signalled commit: they commit in it by definition, and a developer with no commits for months "adopts"
#   when they come back. Part of every commits effect here is that mechanical link, largest where the baseline is
#   lowest (the bottom tercile). A cleaner exposure is the repository's configuration date applied to all its
#   developers, an intention-to-treat design (below).
# * **Selection, as GitClear says.** Who adopts, and when, is chosen: developers adopt during bursts of work,
#   new projects (where churn is high) attract adopters, and the top tercile is top *because* of its pre-period.
#   Ranking on the pre-period also invites regression to the mean (tercile 1 can only go up, tercile 3 tends
#   down), which biases the heterogeneity toward "helps the weakest".
# * **Few developers, invisible use.** About 14 adopters per tercile, clustered by developer-repository; never-
#   adopters are "no visible signal", and many of them use AI tools without a trace.
#
# ## Intention to treat: the repository's configuration date for all its developers

# %%
adoption = io.scan_table(data, "adoption").filter(pl.col("level") == "repo").select(
    "repo", adopted_at="first_config_time").drop_nulls().collect()
exposure = panel.select("repo", "author_id").unique().join(adoption, on="repo")
itt = from_dataset(data, unit="author_repo", start=START, end=END, adoption=exposure).data.join(
    active.select("unit"), on="unit", how="semi")
contributing = pre_period_groups(itt, outcome="commits", pre_periods=PRE_PERIODS).filter(
    pl.col("cohort").is_null() | (pl.col("pre_mean") > 0))  # exposed developers who committed before exposure
itt = itt.join(contributing.select("unit"), on="unit", how="semi")
itt_groups = pre_period_groups(itt, outcome="commits", pre_periods=PRE_PERIODS)
itt_effects = effects_by_group(itt, itt_groups, y="commits", window=WINDOW)
itt_effects.filter(pl.col("kind") == "overall").select(
    "group", "n_treated", pl.col("estimate", "se", "baseline", "relative").round(3), pl.col("p_value").round(4))

# %% [markdown]
# Every active developer of a repository who committed in the months before its first AI configuration file
# landed is exposed from that month, whether or not they use the tool, so their own commits no longer define
# the date (developers who joined later are left out: their zeros before joining are not "no work"). The effect
# averages users and non-users (diluted), and repository-level shocks at adoption still confound it. Commits
# still rise in every tercile, most relative to baseline in the lower ones: what regression to the mean and
# repositories adopting during growth would also produce.
#
# **Bottom line.** On this sample the data cannot say whether AI helps the strongest developers most: the
# per-tercile effects are dominated by how adoption is measured and by who adopts. A credible answer needs
# adoption measured independently of commits (tool telemetry, as GitClear had), many more developers, and
# pre-period matching on productivity rather than a split on it.
#
# Sources: GitClear, *AI Code Quality 2026* (developer-week tool usage; anchors.md); Borusyak, Jaravel &
# Spiess, *ReStud* 2024; for the developer-level design, staggered DiD from the first AI co-authored commit.
