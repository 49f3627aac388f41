"""Every bad input is a clear InputError/DataError naming the problem and the fix."""

from __future__ import annotations

import warnings

import polars as pl
import pytest

from churnlab.errors import DataError, InputError, ManyZerosWarning
from churnlab.estimate._checks import transform_outcome
from churnlab.estimate.did import callaway_santanna
from churnlab.estimate.bjs import imputation
from churnlab.estimate.fixed_effects import twfe


def test_duplicated_rows_are_listed(panel):
    dup = pl.concat([panel, panel.filter(pl.col("unit").is_in([3, 5]))])
    with pytest.raises(DataError, match=r"2 unit\(s\) have duplicated \(unit, period\) rows \(40 rows\): 3, 5"):
        imputation(dup, y="y")


def test_treatment_switching_off(panel):
    df = panel.with_columns(d=pl.when((pl.col("unit") == 4) & (pl.col("period") == 9)).then(0).otherwise(pl.col("treat")))
    df = df.with_columns(d=pl.when(pl.col("unit") == 4).then(pl.col("period").is_between(3, 5).cast(pl.Int64)).otherwise(pl.col("d")))
    with pytest.raises(DataError, match="switches off.*absorbing"):
        twfe(df, y="y", cohort=None, treatment="d")


def test_no_never_treated_with_never_controls(panel):
    df = panel.filter(pl.col("cohort").is_not_null())
    with pytest.raises(DataError, match="no never-treated units.*control_group='not_yet'"):
        callaway_santanna(df, y="y", bootstrap=0)
    res = callaway_santanna(df, y="y", control_group="not_yet", bootstrap=0)
    assert res.rows("gt").height > 0


def test_yyyymm_periods_detected(panel):
    months = [202405, 202406, 202407, 202408, 202409, 202410, 202411, 202412, 202501, 202502]
    df = panel.with_columns(period=pl.Series(months * 300),
                            cohort=pl.when(pl.col("cohort").is_null()).then(None).otherwise(202412))
    with pytest.raises(DataError, match="YYYYMM.*89.*prepare_panel"):
        callaway_santanna(df, y="y")


def test_many_zeros_warns_with_filterable_class():
    df = pl.DataFrame({"y": [0, 0, 0, 1, 5]})
    with pytest.warns(ManyZerosWarning, match="60% of 'y' are zero"):
        transform_outcome(df, "y", "log1p")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ManyZerosWarning)
        out = transform_outcome(df, "y", "asinh", name="ay")
    assert "ay" in out.columns


def test_options_are_checked(panel):
    with pytest.raises(InputError, match="control_group='nope'.*'never', 'not_yet'"):
        callaway_santanna(panel, y="y", control_group="nope")
    with pytest.raises(InputError, match="columns \\['zz'\\] not found"):
        imputation(panel, y="zz")
    with pytest.raises(DataError, match="unbalanced"):
        callaway_santanna(panel.filter(pl.col("period") != 3) .filter(~((pl.col("unit") == 1) & (pl.col("period") == 4))), y="y")


def test_estimator_names_are_functions_not_modules():
    import importlib

    import churnlab.estimate as est

    importlib.import_module("churnlab.estimate.bjs")  # importing a module must not shadow a function name
    for name in est.__all__:
        assert callable(getattr(est, name)) or name == "Result", name
    assert callable(est.imputation) and callable(est.twfe)
