# %% [markdown]
# # 6. Power: the smallest effect a planned study can detect
#
# Before mining hundreds of repositories, ask what the design can detect. This notebook simulates staggered
# adoption panels with a known effect (`churnlab.estimate.dgp.simulate_panel`), fits the two estimators we rely on,
# Borusyak, Jaravel & Spiess (2024) imputation and Callaway & Sant'Anna (2021) with never-treated controls, and
# counts how often each rejects "no effect" at the 5% level. The simulation lives in `churnlab.power`; this
# notebook only chooses the design grid and reads the results.
#
# **Estimand.** The ATT: the average effect over all treated repository-months (both estimators target it here
# because the simulated effect is the same in every cohort and month). **Power** = share of replicates with
# p < alpha; at effect 0 it is the test's actual size, which should be close to alpha.
# The **minimum detectable effect (MDE)** is the smallest effect detected with 80% power.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("CHURNLAB_NB_SMALL") == "1"  # CI: a coarse grid and few replicates
N_REPS = 30 if SMALL else 200  # Monte Carlo replicates per design (MC s.e. of power 0.8: sqrt(.16/N_REPS))
EFFECTS = [0.0, 0.15, 0.3] if SMALL else [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8]
FOCUS_EFFECT = 0.15 if SMALL else 0.2  # effect at which power is shown against the number of repositories
N_UNITS = [100, 300] if SMALL else [100, 200, 400, 800]  # repositories in the panel
TREATED_SHARE = [0.5] if SMALL else [0.2, 0.5]  # expected share that ever adopts
N_PERIODS = 12  # months per repository
NOISE, SERIAL = 1.0, 0.0  # residual s.d. of the outcome and its month-to-month autocorrelation
SEED = 2026

# %%
import logging

import matplotlib.pyplot as plt
import polars as pl

from churnlab import plot
from churnlab.power import minimum_detectable_effect, power_curve

logging.basicConfig(level=logging.WARNING)

# %% [markdown]
# ## Units of the effect
#
# Effects are in outcome units; with `NOISE = 1` that is standard deviations of the idiosyncratic error (what is
# left after repository and month means). To plan a real study, set `NOISE` to that residual standard deviation
# in pilot data: for a log(y+1) outcome an effect of 0.1 is then about +10%. Positive `SERIAL` (outcomes that
# persist from month to month, as churn and warnings do) changes power; the standard errors, clustered by
# repository, account for it.
#
# ## Simulate
#
# For each design and replicate one panel is drawn and reused for every effect size and both estimators (common
# random numbers), so the curves differ by the effect, not by the noise.

# %%
curve = power_curve(effects=EFFECTS, n_units=N_UNITS, treated_share=TREATED_SHARE, n_periods=N_PERIODS,
                    n_reps=N_REPS, dgp=dict(noise=NOISE, serial=SERIAL), seed=SEED)
curve.filter(pl.col("effect") == 0).select("estimator", "n_units", "treated_share", "n_reps", "n_failed",
                                           size="power", mc_se="power_se", coverage="coverage")

# %% [markdown]
# Read the table above first: at effect 0 the rejection rate should be within about two Monte Carlo standard
# errors of 0.05 and coverage near 95%. If not, the test is mis-sized for this design (e.g. too few clusters)
# and its power is not meaningful.
#
# ## Power curves

# %%
share = max(TREATED_SHARE)
with plot.house_style():
    fig, axes = plt.subplots(2, 1, figsize=(9.5, 8.5))
plot.power_curves(curve.filter(pl.col("treated_share") == share), ax=axes[0],
                  title=f"power by effect size (treated share {share:g})", xlabel="effect (s.d. of noise)")
plot.power_curves(curve.filter(pl.col("effect") == FOCUS_EFFECT), x="n_units", style="treated_share", ax=axes[1],
                  title=f"power by number of repositories (effect {FOCUS_EFFECT:g})", xlabel="repositories")
fig.tight_layout()

# %% [markdown]
# Read: curves start at the nominal size and rise with the effect and with the number of repositories; shaded
# bands are +/- 1.96 Monte Carlo standard errors. Imputation is more powerful than Callaway-Sant'Anna on the same
# data: it compares each treated month with a model fitted on *all* untreated months (and not-yet-treated
# repositories), whereas CS with a varying base period compares each month with the single month before adoption
# and only with never-treated repositories. That efficiency rests on parallel trends holding in every period;
# CS assumes less.
#
# ## Minimum detectable effect at 80% power

# %%
mde = minimum_detectable_effect(curve, power=0.8)
mde.pivot(on="estimator", index=["n_units", "treated_share"], values=["mde", "mde_analytic"])

# %% [markdown]
# `mde` is interpolated between grid points (null: 80% not reached on the grid; extend `EFFECTS`);
# `mde_analytic` = (z<sub>0.975</sub> + z<sub>0.8</sub>) x mean standard error = 2.8 SE, the textbook
# approximation. They should agree to within the grid spacing; when they do not, trust the simulation.
# The MDE falls roughly with 1/sqrt(repositories); a lopsided treated share costs power.
#
# ## Caveats
#
# * The simulated world is kind: parallel trends hold, effects are constant, errors are Gaussian. Dynamic or
#   heterogeneous effects, many zeros and heavy tails (commit counts, churn) lower power; pass `slope=`,
#   `cohort_shift=` or `serial=` through `dgp` to see how much.
# * Callaway-Sant'Anna is run with analytic standard errors; its multiplier bootstrap matches them
#   asymptotically and would multiply the cost.
# * Power is for the overall ATT. Individual event-study months have far less power than the pooled effect.
#
# Sources: Borusyak, Jaravel & Spiess, *ReStud* 2024; Callaway & Sant'Anna, *J. Econometrics* 2021; for the
# design question, He et al. (MSR 2026) detected +30% in warnings with 806 adopters and 1,380 controls.
