"""Overview: the board table for the focus borough, every measure of every priority."""

import streamlit as st

from sbp import appdata, boardtable, exports
from sbp.periods import rolling_year_span

ctx = st.session_state["sbp"]
borough, end = ctx["borough"], ctx["end"]

st.title(f"{borough}: partnership measures")
st.caption(f"Rolling year {rolling_year_span(end)} against the 12 months before. "
           "Rank 1 = the lowest rate per 1,000 residents among the 32 London boroughs.")

headline = appdata.headline(ctx["version"], borough, end)
for priority in ctx["config"].priorities:
    rows = headline[headline["measure_id"].isin(priority.measures)]
    st.subheader(priority.title)
    table = boardtable.board_table(rows, end, list(priority.measures))
    st.dataframe(boardtable.style(table), hide_index=True, width="stretch")

st.download_button(
    "Download the board table (CSV)", exports.safe_csv(boardtable.board_table(headline, end)),
    file_name=f"board-table-{borough}-{end:%Y-%m}.csv".replace(" ", "-"), mime="text/csv", key="ov_download",
)
with st.expander("How these figures are worked out"):
    st.markdown(boardtable.DEFINITIONS)
