"""A self-contained HTML report: one file, figures inlined as base64 PNGs, tables as HTML, no network.

The content is chosen by the caller (the demo pipeline, a notebook)::

    write_report("reports/demo.html", title="churnlab demo",
                 headline=results_table,
                 sections=[Section("Event study", text="...", figures=[fig], tables=[att_table])])

A section may also be given as a plain dict with the same keys. Figures are matplotlib Figures (or Axes,
whose figure is used); tables are polars or pandas DataFrames. The report is written atomically (beside its
target, then renamed); it never opens, shows or closes figures unless ``close_figures=True``.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from .errors import InputError

__all__ = ["Section", "figure_to_base64", "table_to_html", "write_report"]


@dataclass
class Section:
    """One report section: a heading, prose (paragraphs separated by blank lines), figures, tables."""

    title: str
    text: str = ""
    figures: Sequence[Any] = field(default_factory=list)
    tables: Sequence[Any] = field(default_factory=list)
    captions: Sequence[str] = field(default_factory=list)  # one per figure, optional


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1000px;margin:2em auto;
padding:0 1em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:.2em;
margin-top:2em}.meta{color:#666;font-size:.9em}figure{margin:1em 0}figure img{max-width:100%;height:auto}
figcaption{color:#555;font-size:.9em}table{border-collapse:collapse;margin:1em 0;font-size:.88em}
th,td{padding:.3em .7em;border-bottom:1px solid #e5e5e5;text-align:right}th{background:#f5f5f5}
td.s,th.s{text-align:left}.headline{background:#f7fbff;border:1px solid #cfe3f5;padding:.2em 1em;
border-radius:6px}.note{color:#666;font-size:.85em}nav a{margin-right:1em}
"""


def figure_to_base64(fig: Any, *, dpi: int = 150) -> str:
    """PNG bytes of a matplotlib Figure (or Axes) as base64 text."""
    fig = _figure(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(obj: Any) -> Any:
    if hasattr(obj, "savefig"):
        return obj
    if hasattr(obj, "figure") and hasattr(obj.figure, "savefig"):
        return obj.figure
    raise InputError(f"figures must be matplotlib Figures or Axes, got {type(obj).__name__}")


def _to_polars(table: Any) -> pl.DataFrame:
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    if isinstance(table, pl.DataFrame):
        return table
    try:
        import pandas as pd

        if isinstance(table, pd.DataFrame):
            return pl.from_pandas(table)
    except ImportError:  # pragma: no cover
        pass
    raise InputError(f"tables must be polars or pandas DataFrames, got {type(table).__name__}")


def _cell(value: Any, digits: int) -> tuple[str, bool]:
    """Formatted text of one cell and whether it is numeric (right-aligned)."""
    if value is None:
        return "", True
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN", True
        if value == 0 or 1e-3 <= abs(value) < 1e6:
            return f"{value:,.{digits}f}", True
        return f"{value:.{digits}g}", True
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if (value.hour, value.minute, value.second) == (0, 0, 0)
                              else "%Y-%m-%d %H:%M"), False
    return str(value), False


def table_to_html(table: Any, *, max_rows: int = 60, digits: int = 4, caption: str | None = None) -> str:
    """An HTML ``<table>`` of a polars/pandas frame; at most ``max_rows`` rows (a note says how many more)."""
    df = _to_polars(table)
    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    numeric = [dt.is_numeric() for dt in df.dtypes]
    parts.append("<thead><tr>" + "".join(
        f'<th class="{"" if n else "s"}">{html.escape(str(c))}</th>' for c, n in zip(df.columns, numeric))
        + "</tr></thead><tbody>")
    for row in df.head(max_rows).iter_rows():
        cells = []
        for v in row:
            text, is_num = _cell(v, digits)
            cells.append(f'<td class="{"" if is_num else "s"}">{html.escape(text)}</td>')
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    if df.height > max_rows:
        parts.append(f'<p class="note">{df.height - max_rows:,} more rows not shown ({df.height:,} in all).</p>')
    return "".join(parts)


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in text.strip().split("\n\n") if b.strip()]
    return "".join(f"<p>{html.escape(b)}</p>" for b in blocks)


def _section(sec: Section | Mapping[str, Any], k: int) -> Section:
    if isinstance(sec, Section):
        return sec
    if isinstance(sec, Mapping):
        unknown = set(sec) - {"title", "text", "figures", "tables", "captions"}
        if unknown or "title" not in sec:
            raise InputError(f"section {k}: a dict needs 'title' and may have text, figures, tables, captions; "
                             f"unexpected keys {sorted(unknown)}" if unknown else f"section {k} has no 'title'")
        return Section(**sec)
    raise InputError(f"section {k} must be a Section or a dict, got {type(sec).__name__}")


def write_report(
    path: str | os.PathLike,
    *,
    title: str,
    sections: Sequence[Section | Mapping[str, Any]] = (),
    headline: Any = None,
    subtitle: str = "",
    dpi: int = 150,
    max_rows: int = 60,
    close_figures: bool = False,
) -> Path:
    """Write a self-contained HTML report to ``path`` and return the path.

    ``headline`` (optional table) is shown first, highlighted; each section renders its text, figures (with
    optional ``captions``) and tables in that order. ``close_figures=True`` closes each figure after inlining
    it (useful when building many figures in a loop).
    """
    if not isinstance(title, str) or not title.strip():
        raise InputError("title must be a non-empty string")
    secs = [_section(s, k) for k, s in enumerate(sections)]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    from . import __version__

    body = [f"<h1>{html.escape(title)}</h1>"]
    if subtitle:
        body.append(f"<p>{html.escape(subtitle)}</p>")
    body.append(f'<p class="meta">churnlab {__version__} &middot; generated {now}</p>')
    if len(secs) > 1:
        body.append("<nav>" + "".join(f'<a href="#s{k}">{html.escape(s.title)}</a>' for k, s in enumerate(secs))
                    + "</nav>")
    if headline is not None:
        body.append('<div class="headline">' + table_to_html(headline, max_rows=max_rows) + "</div>")
    for k, sec in enumerate(secs):
        body.append(f'<h2 id="s{k}">{html.escape(sec.title)}</h2>')
        if sec.text:
            body.append(_paragraphs(sec.text))
        for j, fig in enumerate(sec.figures):
            data = figure_to_base64(fig, dpi=dpi)
            cap = sec.captions[j] if j < len(sec.captions) else ""
            alt = html.escape(cap or f"{sec.title} figure {j + 1}", quote=True)
            body.append(f'<figure><img alt="{alt}" src="data:image/png;base64,{data}"/>'
                        + (f"<figcaption>{html.escape(cap)}</figcaption>" if cap else "") + "</figure>")
            if close_figures:
                import matplotlib.pyplot as plt

                plt.close(_figure(fig))
        for table in sec.tables:
            body.append(table_to_html(table, max_rows=max_rows))
    doc = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
           + "\n".join(body) + "\n</body></html>\n")
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write the report to {path.parent}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(doc)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a report is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
