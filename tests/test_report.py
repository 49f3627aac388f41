"""write_report: one self-contained HTML file with inline PNGs and HTML tables."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests only

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402

from churnlab.errors import InputError  # noqa: E402
from churnlab.report import Section, table_to_html, write_report  # noqa: E402


def test_report_inlines_figures_and_tables(tmp_path: Path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    fig2, ax2 = plt.subplots()
    headline = pl.DataFrame({"outcome": ["churn_rate_14d", "revert_rate_30d"], "att": [0.1012, 0.0487],
                             "ci_low": [0.08, 0.03], "ci_high": [0.12, 0.066]})
    out = write_report(
        tmp_path / "sub" / "r.html", title="Demo <report>", headline=headline,
        sections=[Section("Event study", text="First paragraph.\n\nSecond & last.", figures=[fig],
                          captions=["Callaway-Sant'Anna"]),
                  {"title": "Tables", "figures": [ax2], "tables": [pd.DataFrame({"a": [1, 2], "b": ["x", None]})]}],
        close_figures=True,
    )
    text = out.read_text()
    assert out == tmp_path / "sub" / "r.html"
    assert "<title>Demo &lt;report&gt;</title>" in text
    imgs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(imgs) == 2 and all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in imgs)
    assert text.count("<table>") == 2 and "0.1012" in text and "churn_rate_14d" in text
    assert "<p>Second &amp; last.</p>" in text and "<figcaption>Callaway-Sant&#x27;Anna</figcaption>" in text
    assert "http://" not in text and "https://" not in text  # self-contained
    assert not plt.get_fignums()  # closed on request
    assert list(tmp_path.joinpath("sub").iterdir()) == [out]  # no temporary files left


def test_table_to_html_truncates_and_formats():
    df = pl.DataFrame({"n": list(range(100)), "x": [i / 3 for i in range(100)], "flag": [True] * 100})
    html = table_to_html(df, max_rows=5, digits=3)
    assert html.count("<tr>") == 6 and "95 more rows not shown (100 in all)" in html
    assert "0.333" in html and "yes" in html


def test_report_rejects_bad_sections(tmp_path: Path):
    with pytest.raises(InputError, match="unexpected keys"):
        write_report(tmp_path / "r.html", title="t", sections=[{"title": "a", "figure": []}])
    with pytest.raises(InputError, match="matplotlib Figures or Axes"):
        write_report(tmp_path / "r.html", title="t", sections=[Section("a", figures=["nope"])])
    with pytest.raises(InputError, match="title"):
        write_report(tmp_path / "r.html", title=" ")
