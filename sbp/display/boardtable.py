"""The board's table: Category | Rolling year to (previous) | Rolling year to (current) | % difference | RAG | ..."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sbp.metrics.periods import add_months, rolling_year_label
from sbp.display.present import RAG_STYLE, ordinal, rank_movement

DEFINITIONS = """
- **Rolling year**: the 12 calendar months ending with the chosen month; it is compared with the 12 months before.
- **% difference** = (this year - last year) / last year x 100; shown as "n/a" when last year had no offences.
- **Rate per 1,000** = offences / residents x 1,000 (Census 2021 population, or the latest loaded).
- **Rank** among the 32 London boroughs by rate; 1 = lowest rate. Ties share the better rank.
- **London** is every area in the extract, including the Heathrow and London City airports area.
- **Significant** means an exact test says the change is unlikely to be chance (95% level).
- **RAG**: Green when the count moved the right way; Amber when it moved the wrong way by less than London;
  Red when by more than London (or significantly, where there is no London figure).
"""


def board_table(rows: pd.DataFrame, end: dt.date, order: list[str] | None = None) -> pd.DataFrame:
    """The display table in the board's shape from headline rows (one per measure)."""
    if order is not None:
        rows = rows.set_index("measure_id").loc[[m for m in order if m in set(rows["measure_id"])]].reset_index()
    previous_label, current_label = rolling_year_label(add_months(end, -12)), rolling_year_label(end)

    def optional(value):
        return None if pd.isna(value) else value

    return pd.DataFrame({
        "Category": rows["measure_label"].to_numpy(),
        previous_label: rows["previous"].to_numpy(),
        current_label: rows["current"].to_numpy(),
        "% difference": rows["pct_change"].astype("Float64").round(1).to_numpy(),
        "RAG": [r if isinstance(r, str) else "No comparison" for r in rows["rag"]],
        "Rate per 1,000": rows["rate_per_1000"].astype("Float64").round(2).to_numpy(),
        "Rank": [f"{ordinal(optional(r))} of {int(n)}" if optional(r) is not None else "-"
                 for r, n in zip(rows["rank"], rows["rank_of"])],
        "Movement": [rank_movement(optional(r), optional(p)) for r, p in zip(rows["rank"], rows["rank_previous"])],
        "London % difference": rows["london_pct_change"].astype("Float64").round(1).to_numpy(),
        "Significant": ["Yes" if s is True else "No" if s is False else "-" for s in rows["significant"].astype(object)],
    })


def style(table: pd.DataFrame):
    """The table with RAG cells coloured (the word stays, so colour is never the only cue)."""

    def rag_cell(value: str) -> str:
        background, colour = RAG_STYLE[value if value in RAG_STYLE else None]
        return f"background-color: {background}; color: {colour}; font-weight: 600"

    return table.style.map(rag_cell, subset=["RAG"]).format(
        {"% difference": lambda v: "n/a" if pd.isna(v) else f"{v:+.1f}%",
         "London % difference": lambda v: "n/a" if pd.isna(v) else f"{v:+.1f}%",
         "Rate per 1,000": lambda v: "-" if pd.isna(v) else f"{v:.2f}"},
        thousands=",", na_rep="n/a",
    )


