# %% [markdown]
# # 1. Quickstart: mine a repository and read its tables
#
# churnlab turns a git history into Parquet tables, one row per commit, file change or line-operation count,
# with every number defined in the research specification (`docs/`): GitClear's line operations (Harding, *AI
# Copilot Code Quality*, GitClear 2025), two-week churn, line survival by birth cohort (as git-of-theseus draws
# it), reverts and AI-adoption signals. This notebook mines one small repository and shows each table.
#
# **Offline.** The repository is written by `churnlab.simulate.simulate_repo`: three developers, an AI tool (a
# `CLAUDE.md` marker and co-author trailers) adopted half-way through, with a known churn effect. Set `SOURCE`
# to a path or URL to mine a real history instead (e.g. this project's own checkout).

# %% tags=["parameters"]
import os

SMALL = os.environ.get("CHURNLAB_NB_SMALL") == "1"  # CI: a shorter simulated history
SOURCE = None  # a local repository path or URL; None: simulate one
MONTHS = 8 if SMALL else 12  # simulated history length
ADOPTION_MONTH = 4 if SMALL else 6  # month the simulated repository adopts an AI tool
SALT = "quickstart-notebook-salt"  # fixed so the pseudonyms below are the same on every run

# %%
import logging
import tempfile
from pathlib import Path

import polars as pl

from churnlab import io, plot
from churnlab.analysis import survival_totals
from churnlab.mine import mine
from churnlab.simulate import simulate_repo

logging.basicConfig(level=logging.WARNING)
work = Path(tempfile.mkdtemp(prefix="churnlab-quickstart-"))
if SOURCE is None:
    truth = simulate_repo(work / "repo", months=MONTHS, adoption_month=ADOPTION_MONTH, developers=3, seed=7)
    SOURCE = work / "repo"
result = mine(SOURCE, work / "data", name="example/quickstart", salt=SALT)
print(result.summary())

# %% [markdown]
# `mine` reads the history with one streaming `git log` process, writes `data/<table>/<repo>.parquet` for every
# table and returns the frames. Authors are pseudonymised (salted hash of the email); names, emails and
# messages are written only with `include_identities=True` / `include_messages=True`.
#
# ## commits and file_changes
#
# One row per commit (merges listed, not diffed) and one per file a non-merge commit touches, with git's numstat
# counts and the flags that keep binary, vendored, generated and lock files out of line metrics.

# %%
commits = io.read_table(result.paths["commits"])
display(commits.select("sha", "author_id", "author_time", "is_merge", "is_bot", "files_changed", "lines_added",
                       "lines_deleted", "author_name", "message").head(5))
files = io.read_table(result.paths["file_changes"])
files.group_by("language", "is_lock").agg(changes=pl.len(), added=pl.col("lines_added").sum()).sort("changes", descending=True)

# %% [markdown]
# ## line_ops: GitClear's operations
#
# Each meaningful changed line of a file gets one label: moved, copy/pasted, find/replaced, updated, added or
# deleted (blank and punctuation-only lines are `no_op`). The labels of a file add up to its numstat lines.

# %%
ops = io.read_table(result.paths["line_ops"])
ops.select("added", "deleted", "updated", "moved", "copy_pasted", "find_replaced", "no_op").sum()

# %% [markdown]
# ## churn: two rates per commit
#
# *Revision-side*: of the lines a commit changes, how many revise lines younger than W days (self or others).
# *Authoring-side* ("new-code churn"): of the lines it writes, how many are revised within W days; commits
# written less than W days before the end of history are censored. W = 7, 14, 21 and 30 days are all stored.

# %%
churn = io.read_table(result.paths["churn"])
churn.filter(~pl.col("censored_w14")).select(
    commits=pl.len(), authored=pl.col("authored_lines").sum(), churned_14d=pl.col("authored_churned_w14").sum(),
    new_code_churn_14d=pl.col("authored_churned_w14").sum() / pl.col("authored_lines").sum())

# %% [markdown]
# The simulation revised 15% of new lines within 14 days before adoption and 25% after (`effect_churn=0.10`);
# the mined rate mixes the two periods, and also counts lines that reverts undo.
#
# ## reverts, signals and adoption

# %%
display(io.read_table(result.paths["reverts"]).select("reverting_sha", "reverted_sha", "method", "lag_days").head(5))
signals = io.read_table(result.paths["signals"])
display(signals.group_by("kind", "tool", "pattern").agg(commits=pl.len()).sort("commits", descending=True))
io.read_table(result.paths["adoption"]).select("level", "author_id", "first_config_time", "first_trailer_time",
                                               "first_any_time", "tools", "n_signal_commits")

# %% [markdown]
# Reverts are found by message (`This reverts commit ...`) and by content (an exact inverse diff). The adoption
# table has one row for the repository and one per author with a signal, dated by three rules: first config
# file, first trailer, first of either (the default treatment date of the DiD notebooks).
#
# ## Provenance
#
# Every file carries how it was made: churnlab version, head, options, salt fingerprint (never the salt).

# %%
prov = io.read_provenance(result.paths["churn"])
{k: prov[k] for k in ("churnlab_version", "repo", "head", "rev", "options", "salt_fingerprint", "schema_version")}

# %% [markdown]
# ## Survival: live lines by birth cohort
#
# Lines alive on the first-parent chain at each sample time (every 30 days and the head), by the quarter they
# were written in; at the head this equals `git blame --first-parent`.

# %%
surv = survival_totals(work / "data", granularity="quarter")
plot.survival_cohorts(surv, title="Live lines by quarter of birth (simulated repository)")

# %% [markdown]
# ## Caveats
#
# * A simulated history is tidy: one branch, no merges, small commits. Real histories have merges (credited to
#   the side-branch commits), bulk commits (flagged `is_bulk`, left out of rates), bots and missing objects.
# * Pseudonyms depend on the salt: use one salt for every repository of a study, and keep it private.
# * Next: notebook 2 (GitClear-style yearly figures on real repositories) and notebook 4 (the adoption DiD).
