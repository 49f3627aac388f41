"""Plot functions: data first, keyword options, ax=None or a given Axes, return the Axes, house palette."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only: the library never selects a backend

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from churnlab import plot  # noqa: E402
from churnlab.errors import InputError  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def event_results() -> pl.DataFrame:
    rows = []
    for est, shift in (("callaway_santanna", 0.0), ("sun_abraham", 0.01), ("imputation", -0.01)):
        for e in range(-4, 5):
            if e == -1:
                continue
            b = (0.1 if e >= 0 else 0.0) + shift
            rows.append(dict(estimator=est, event_time=e, estimate=b, ci_low=b - 0.05, ci_high=b + 0.05))
    rows.append(dict(estimator="twfe", event_time=None, estimate=0.08, ci_low=0.05, ci_high=0.11))  # static
    return pl.DataFrame(rows)


def palette_hex(colors) -> set[str]:
    return {to_hex(c) for c in colors}


def test_event_study_dodges_estimators_with_house_colours():
    ax = plot.event_study(event_results(), truth=0.1)
    assert isinstance(ax, plt.Axes)
    bars = ax.containers
    assert len(bars) == 3  # one errorbar per estimator; the static twfe row is ignored
    xs = [c.lines[0].get_xdata() for c in bars]
    assert all(len(x) == 8 for x in xs)
    assert np.allclose(xs[1] - xs[0], 0.12) and np.allclose(xs[2] - xs[1], 0.12)
    colors = [to_hex(c.lines[0].get_color()) for c in bars]
    assert colors == [c.lower() for c in plot.PALETTE[:3]]
    labels = ax.get_legend_handles_labels()[1]
    assert set(labels) == {"callaway_santanna", "sun_abraham", "imputation", "true effect", "reference period"}


def test_event_study_on_given_axes_from_pandas_term_column_and_ribbon():
    fig, (a1, a2) = plt.subplots(1, 2)
    df = event_results().drop_nulls("event_time").with_columns(term=pl.col("event_time").cast(pl.String))
    out = plot.event_study(df.drop("event_time").to_pandas(), estimators=["imputation"], ax=a2, band="ribbon",
                           reference=None, legend=False)
    assert out is a2 and not a1.lines
    assert len(a2.collections) == 1  # one ribbon
    assert to_hex(a2.collections[0].get_facecolor()[0][:3]) == plot.PALETTE[0].lower()


def test_event_study_rejects_bad_input():
    with pytest.raises(InputError, match="band='band' is not allowed"):
        plot.event_study(event_results(), band="band")
    with pytest.raises(InputError, match="lacks column"):
        plot.event_study(pl.DataFrame({"event_time": [0], "estimate": [1.0]}))
    with pytest.raises(InputError, match="estimators item='x'"):
        plot.event_study(event_results(), estimators=["x"])
    with pytest.raises(InputError, match="polars or pandas"):
        plot.event_study([1, 2, 3])


def panel() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for u in range(12):
        cohort = None if u < 6 else (5 if u < 9 else 8)
        for t in range(12):
            y = 0.15 + 0.01 * t + (0.1 if cohort is not None and t >= cohort else 0) + rng.normal(0, 0.01)
            rows.append(dict(unit=f"r{u}", period=t, cohort=cohort, churn_rate=y))
    return pl.DataFrame(rows)


def test_raw_trends_treated_vs_control():
    ax = plot.raw_trends(panel(), outcome="churn_rate")
    assert len([ln for ln in ax.lines if ln.get_marker() == "o"]) == 2
    labels = ax.get_legend_handles_labels()[1]
    assert labels[:2] == ["never treated", "treated"]
    assert len(ax.collections) == 2  # two confidence bands
    assert to_hex(ax.lines[0].get_color()) == plot.PALETTE[0].lower()


def test_raw_trends_by_cohort_and_boolean_group():
    ax = plot.raw_trends(panel().to_pandas(), outcome="churn_rate", by="cohort", ci=False)
    data_lines = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert len(data_lines) == 3 and not ax.collections
    fig, ax2 = plt.subplots()
    p = panel().with_columns(treated=pl.col("cohort").is_not_null())
    assert plot.raw_trends(p, outcome="churn_rate", group="treated", ax=ax2) is ax2
    with pytest.raises(InputError, match="needs a cohort column"):
        plot.raw_trends(p, outcome="churn_rate", group="treated", by="cohort")
    with pytest.raises(InputError, match="by='x' is not allowed"):
        plot.raw_trends(p, outcome="churn_rate", by="x")


def test_raw_trends_on_dates_draws_no_adoption_line_at_the_cohort_index():
    import datetime as dt

    p = panel().with_columns(period_start=pl.col("period").map_elements(
        lambda t: dt.date(2024 + t // 12, t % 12 + 1, 1), return_dtype=pl.Date))
    ax = plot.raw_trends(p, outcome="churn_rate", time="period_start")
    assert "first adoption" not in ax.get_legend_handles_labels()[1]  # cohort 5 is no date: it was drawn in 1970
    assert ax.get_xlim()[0] > 19000  # days since 1970: the axis spans 2024 only
    assert "first adoption" in plot.raw_trends(panel(), outcome="churn_rate").get_legend_handles_labels()[1]


def shares() -> pl.DataFrame:
    rows = []
    for y in (2020, 2021, 2022, 2023, 2024):
        for op, n in zip(plot.OPERATIONS, (400, 150, 180, 200, 60, 10)):
            rows.append(dict(year=y, operation=op, lines=n + (y - 2020) * 10))
    return pl.DataFrame(rows)


def test_operation_shares_stacked_sum_to_one_with_gitclear_markers():
    ax = plot.operation_shares(shares(), gitclear=True)
    assert len(ax.patches) == 5 * 6
    tops = {}
    for p in ax.patches:
        x = round(p.get_x() + p.get_width() / 2, 6)
        tops[x] = max(tops.get(x, 0), p.get_y() + p.get_height())
    assert all(abs(v - 1) < 1e-9 for v in tops.values())
    markers = [ln for ln in ax.lines if ln.get_marker() == "D"]
    assert sum(len(m.get_xdata()) for m in markers) == 3 + 4 + 3  # GitClear's published points in 2020-2024
    assert palette_hex([ax.patches[0].get_facecolor()]) == {plot.PALETTE[0].lower()}


def test_operation_shares_grouped_from_share_column():
    df = shares().with_columns(share=pl.col("lines") / pl.col("lines").sum().over("year")).drop("lines")
    fig, ax = plt.subplots()
    out = plot.operation_shares(df, kind="grouped", operations=["added", "moved"], ax=ax, gitclear=True)
    assert out is ax and len(ax.patches) == 5 * 2
    with pytest.raises(InputError, match="operations item='churn'"):
        plot.operation_shares(df, operations=["churn"])


def test_survival_cohorts_stack():
    rows = [dict(sample_time=t, cohort=str(c), lines=max(0, 100 - 10 * (t - c)) if t >= c else 0)
            for t in range(2018, 2025) for c in range(2018, 2022)]
    ax = plot.survival_cohorts(pd.DataFrame(rows))
    assert len(ax.collections) == 4
    assert ax.get_legend().get_title().get_text() == "cohort"
    many = [dict(sample_time=t, cohort=c, lines=5) for t in range(12) for c in range(10)]
    assert len(plot.survival_cohorts(pl.DataFrame(many), legend=False).collections) == 10


def test_bacon_scatter_weighted_average_line():
    df = pl.DataFrame({
        "type": ["treated vs never treated"] * 3 + ["earlier vs later treated"] * 2 + ["later vs earlier treated"],
        "weight": [0.3, 0.2, 0.1, 0.15, 0.15, 0.1],
        "estimate": [0.1, 0.12, 0.09, 0.11, 0.1, -0.05],
    })
    ax = plot.bacon_scatter(df)
    assert len(ax.collections) == 3
    avg = sum(w * e for w, e in zip(df["weight"], df["estimate"])) / df["weight"].sum()
    dashed = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_ydata()[0] == pytest.approx(avg)
    assert palette_hex(c.get_facecolor()[0] for c in ax.collections) == {p.lower() for p in plot.PALETTE[:3]}


def test_house_style_is_scoped():
    before = dict(matplotlib.rcParams)
    with plot.house_style():
        assert matplotlib.rcParams["axes.spines.top"] is False
    plot.event_study(event_results())
    assert matplotlib.rcParams["axes.spines.top"] == before["axes.spines.top"]
    assert matplotlib.rcParams["axes.prop_cycle"] == before["axes.prop_cycle"]


def test_import_does_not_touch_matplotlib_state():
    import importlib
    import subprocess
    import sys

    code = "import sys, churnlab.plot, churnlab.report, churnlab.simulate; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert importlib.import_module("churnlab.plot") is plot


def power_frame() -> pl.DataFrame:
    rows = []
    for est, scale in (("imputation", 1.0), ("callaway_santanna", 0.6)):
        for n in (100, 400):
            for eff, p in ((0.0, 0.05), (0.1, 0.3), (0.2, 0.7), (0.3, 0.95)):
                pw = 0.05 + (p - 0.05) * scale * (1.5 if n == 400 else 1.0)
                rows.append(dict(estimator=est, n_units=n, treated_share=0.5, effect=eff, power=min(pw, 1.0),
                                 power_se=0.02, alpha=0.05))
    return pl.DataFrame(rows)


def test_power_curves_one_line_per_estimator_and_design():
    ax = plot.power_curves(power_frame())
    data = [ln for ln in ax.lines if ln.get_label().startswith(("imputation", "callaway"))]
    assert sorted(ln.get_label() for ln in data) == [
        "callaway_santanna, n_units = 100", "callaway_santanna, n_units = 400",
        "imputation, n_units = 100", "imputation, n_units = 400"]
    assert all(list(ln.get_xdata()) == [0.0, 0.1, 0.2, 0.3] for ln in data)
    # same estimator shares a colour, designs differ by line style; bands for every line
    by = {ln.get_label(): (to_hex(ln.get_color()), ln.get_linestyle()) for ln in data}
    assert by["imputation, n_units = 100"][0] == by["imputation, n_units = 400"][0]
    assert by["imputation, n_units = 100"][1] != by["imputation, n_units = 400"][1]
    assert len(ax.collections) == 4
    refs = {ln.get_label(): ln.get_ydata()[0] for ln in ax.lines if not ln.get_label().startswith(("imp", "call"))}
    assert refs == {"80% power": 0.8, "nominal size 0.05": 0.05}


def test_power_curves_against_sample_size_and_bad_input():
    df = power_frame().filter(pl.col("effect") == 0.2)
    ax = plot.power_curves(df, x="n_units", style=None, target=None, band=False)
    assert [list(ln.get_xdata()) for ln in ax.lines if ln.get_label() == "imputation"] == [[100.0, 400.0]]
    with pytest.raises(InputError, match="several rows per line"):
        plot.power_curves(power_frame(), style=None)
    with pytest.raises(InputError, match="x='n_units' cannot also be hue or style"):
        plot.power_curves(power_frame(), x="n_units")


def test_house_style_restores_only_its_own_keys():
    # a backend activated inside the block (first figure of a Jupyter session) changes other rcParams,
    # e.g. interactive mode; those changes must survive or later figures are never displayed
    before = matplotlib.rcParams["lines.linewidth"], matplotlib.rcParams["axes.grid"]
    try:
        with plot.house_style():
            matplotlib.rcParams["lines.linewidth"] = 7.0
        assert matplotlib.rcParams["lines.linewidth"] == 7.0
        assert matplotlib.rcParams["axes.grid"] == before[1]
    finally:
        matplotlib.rcParams["lines.linewidth"] = before[0]


def test_yearly_series_lines_per_column_and_group_with_gitclear_markers():
    summary = pl.DataFrame({"year": [2020, 2021, 2020, 2021], "sample": ["all", "all", "controls", "controls"],
                            "new_code_churn_w14": [0.05, 0.06, 0.04, None], "other_rate": [0.1, 0.2, 0.3, 0.4]})
    ax = plot.yearly_series(summary, columns=["new_code_churn_w14", "other_rate"], group="sample", gitclear=True)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert list(lines["new code churn w14 (controls)"].get_xdata()) == [2020]  # the null year is left out
    assert lines["new code churn w14 (all)"].get_linestyle() == "-"
    assert lines["new code churn w14 (controls)"].get_linestyle() == "--"
    published = lines["new code churn w14: GitClear (published)"]
    assert list(published.get_xdata()) == [2020, 2024] and list(published.get_ydata()) == [0.0478, 0.0704]
    assert not any("other rate: GitClear" in k for k in lines)  # GitClear publishes no such series
    assert to_hex(published.get_markerfacecolor()) == to_hex(lines["new code churn w14 (all)"].get_color())
    with pytest.raises(InputError, match="non-empty list"):
        plot.yearly_series(summary, columns="other_rate")
