"""Static HTML tables for the pages: readable at any size, every column visible, text wrapping (no scrolling grid)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from sbp.display.formatting import esc


def table_html(
    frame: pd.DataFrame, numeric: Iterable[str] = (), cell_style: Callable[[str, str], str] | None = None,
    css_class: str = "", header_help: Mapping[str, str] | None = None,
) -> str:
    """frame (cells already formatted as text) as an HTML table; numeric columns right-aligned.

    cell_style(column, text) may return inline CSS for a cell (e.g. a RAG colour); header_help: a column's tooltip.
    """
    numeric, helps = set(numeric), header_help or {}
    head = "".join(f'<th class="{"num" if c in numeric else ""}"' + (f' title="{esc(helps[c])}"' if c in helps else "")
                   + f">{esc(c)}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, values):
            text = "" if value is None else str(value)
            style = cell_style(column, text) if cell_style else ""
            cells.append(f'<td class="{"num" if column in numeric else ""}"'
                         + (f' style="{esc(style)}"' if style else "") + f">{esc(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<div class="sbp-table-wrap"><table class="sbp-table {esc(css_class)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")
