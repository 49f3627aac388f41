# %% [markdown]
# # 2. GitClear's yearly figures on public repositories
#
# GitClear reported that, as AI assistants spread (2020-2024), more changed lines were *added* and
# *copy/pasted*, fewer *moved* (refactored), two-week churn rose from 3.1% to 5.7% of changed lines, commits with
# a duplicated 5-line block from 0.70% to 6.66%, and new-code churn from 4.78% to 7.04% (Harding, *Coding on
# Copilot*, Jan 2024; *AI Copilot Code Quality*, Feb 2025; proprietary data, 153-211M changed lines). This
# notebook computes the same series, with churnlab's published definitions (`docs/`, research spec sections 2-3),
# on the committed real sample (`datasets/real_sample`: 18 public repositories, commits since 2020).
#
# **Estimand.** Descriptive: pooled yearly shares over human, non-merge, non-bulk commits. No causal claim,
# and no confidence intervals: neither GitClear's figures nor these have a sampling design.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("CHURNLAB_NB_SMALL") == "1"  # the sample is small already: same size in CI
YEARS = (2020, 2025)  # complete years shown (the sample's 2026 is partial)
CHURN_WINDOW = 14  # days (7, 21 and 30 are stored too)
DATASET = None  # another mined dataset folder; None: the committed real sample

# %%
import logging

import matplotlib.pyplot as plt
import polars as pl

from churnlab import io, plot
from churnlab.analysis import yearly_operation_shares, yearly_summary
from churnlab.datasets import real_sample_path
from churnlab.plot import GITCLEAR_SERIES

logging.basicConfig(level=logging.WARNING)
data = real_sample_path(DATASET)
adoption = io.scan_table(data, "adoption").filter(pl.col("level") == "repo").collect()
signal_free = pl.col("first_any_time").is_null() | (pl.col("first_any_time").dt.year() > YEARS[1])
controls = adoption.filter(signal_free)["repo"].sort().to_list()  # no visible AI signal in the years shown
groups = adoption.select("repo", group=pl.when(signal_free).then(pl.lit("no AI signal")).otherwise(pl.lit("AI signal")))
in_years = pl.col("year").is_between(*YEARS)
commits = (io.scan_table(data, "commits").filter(~pl.col("is_merge"), ~pl.col("is_bot"))
           .with_columns(year=pl.col("author_time").dt.year()).collect().join(groups, on="repo"))
commits.filter(in_years).pivot(on="group", index="year", values="sha", aggregate_function="len").sort("year")

# %% [markdown]
# **Composition changes under the series.** Six repositories show AI signals by 2025 (`CLAUDE.md`, `AGENTS.md`,
# co-author trailers). Four of them were created in 2024-2025 and write most of the lines of those years. A
# yearly series over *all* repositories mixes the trend with that entry; the series over the 12 repositories with
# no visible AI signal up to 2025, active through the window, is the cleaner comparison.
#
# ## Operation shares

# %%
samples = {"all repositories": None, "no AI signal": controls}
with plot.house_style():
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), sharey=True)
for ax, (name, repos) in zip(axes, samples.items()):
    shares = yearly_operation_shares(data, repos=repos).filter(in_years)
    plot.operation_shares(shares, gitclear=True, ax=ax, legend=ax is axes[-1], title=f"{name}")
fig.tight_layout()

# %% [markdown]
# Read: diamonds mark GitClear's published shares at the height the segment would reach with GitClear's value.
# Over all repositories the shares move GitClear's way (added 33% in 2020 to 49% in 2025, moved 11% to 7%,
# copy/pasted 12% to 16%), but the repositories without AI signals do not: added stays near 30-33%, moved and
# copy/pasted go up and down. Levels differ from GitClear's from 2020 on (moves half as common, copy/pastes
# more): they depend on definitions (our *moved* needs a 20-alphanumeric block removed and added in one commit;
# our *copy/pasted* counts a line added twice in one commit, not GitClear's 24-hour same-author window, an option)
# and on what is counted (GitClear filters generated and test code by its own rules). Compare trends, not levels.
#
# ## Churn, new-code churn and duplicated blocks

# %%
series = pl.concat([yearly_summary(data, churn_window=CHURN_WINDOW, repos=repos).with_columns(sample=pl.lit(name))
                    for name, repos in samples.items()]).filter(in_years)
w = CHURN_WINDOW
with pl.Config(tbl_rows=20):
    display(series.select("sample", "year", "commits", "changed_lines", f"churn_changed_w{w}",
                          f"new_code_churn_w{w}", "duplicate_block_commits", "revert_rate_30d"))
with plot.house_style():
    fig, axes = plt.subplots(2, 1, figsize=(10, 8.5))
plot.yearly_series(series, columns=[f"churn_changed_w{w}", f"new_code_churn_w{w}"], group="sample",
                   gitclear=w == 14, ax=axes[0], title=f"{w}-day churn",
                   labels={f"churn_changed_w{w}": "churn of changed lines", f"new_code_churn_w{w}": "new-code churn"})
plot.yearly_series(series, columns=["duplicate_block_commits"], group="sample", gitclear=True, ax=axes[1],
                   title="commits adding a duplicated 5-line block", labels={"duplicate_block_commits": "commits"})
fig.tight_layout()

# %% [markdown]
# Read: dashed lines are the repositories without AI signals, solid lines all of them, diamonds GitClear's
# published values. Over all repositories, churn and new-code churn jump in 2024 and duplicated blocks in 2025,
# when the AI-tool projects arrive. Without them, churn *falls* from 2020 to 2023 and climbs back by 2025, and
# duplicated-block commits stay between 5% and 7% (7.2% in 2020, 5.1% in 2025): no GitClear-like rise, but
# twelve mature libraries are not a population, and a few large refactorings set a year's level (2020 here).
# Our duplicate-block level is far above GitClear's 2020 figure (0.70%) because our rule also searches the tree
# at the parent and matches normalised lines (documentation examples repeat code, tests repeat fixtures).
#
# ## Side by side with GitClear, first and last year of their series

# %%
gitclear = pl.DataFrame([dict(measure=m, year=y, gitclear=v) for m, by_year in GITCLEAR_SERIES.items()
                         for y, v in by_year.items() if y in (2020, 2024)])
ours = series.filter(pl.col("year").is_in([2020, 2024])).unpivot(
    index=["sample", "year"], on=list(GITCLEAR_SERIES), variable_name="measure").pivot(
    on="sample", index=["measure", "year"], values="value")
gitclear.join(ours, on=["measure", "year"], how="left").sort("measure", "year")

# %% [markdown]
# ## Where public data differs from GitClear's
#
# * **Sample.** 18 hand-picked open-source repositories (mostly Python libraries, five AI-tool projects), against
#   GitClear's 153-211 million changed lines of mostly private, commercial code. Small repositories make the
#   yearly rates noisy: one large refactoring moves a year's shares by points.
# * **Definitions.** Ours are published and versioned (spec sections 2-3): meaningful lines only, moves not
#   churn, bulk commits (over 5,000 changed lines) left out, lines born in the last 14 days censored. GitClear's
#   classifier is proprietary; its "churn" may count moved or reverted lines differently, and its duplicate-block
#   rule (the commit and the repository, by its own matching) is not published in detail; ours is the spec's
#   (5 normalised lines repeated in the commit or in the tree at the parent). Levels are not comparable;
#   directions within a sample are.
# * **Composition.** The all-repository series changes with the AI projects' arrival in 2024-2025; the
#   signal-free series does not, but it is mature libraries whose activity falls over the window, and "no visible
#   signal" is not "no AI use" (squash merges drop trailers; most assistants leave no trace).
# * **No design.** A rise in a yearly series is not an effect of AI tools: GitClear's data cannot tell AI-written
#   lines from others, nor can ours except through visible signals. Notebook 4 estimates adoption effects with a
#   staggered difference-in-differences design instead, with its own, strong, assumptions.
