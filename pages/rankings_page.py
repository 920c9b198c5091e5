"""Rankings: the league of the focus area's comparator group (London boroughs, or a police force's areas) for any
measure, with a tile map for London and comparator subgroups."""

import pandas as pd
import streamlit as st

from sbp.web import appdata
from sbp.display import formatting
from sbp.display.boardtable import areas_of, units_of
from sbp.metrics.periods import rolling_year_span

ctx = st.session_state["sbp"]
inputs, info, end = ctx["inputs"], ctx["info"], ctx["end"]

st.title("Rankings")
options, labels = appdata.measure_choices(info)
appdata.seed_from_url("rk_measure", "measure", options, "total_notifiable_offences", "measure", labels)
measure_id = st.selectbox("Measure", options, key="rk_measure", format_func=labels.get)
st.query_params["measure"] = measure_id

league = appdata.in_group_of(appdata.league(inputs, measure_id, end), ctx["borough"])
comparator = ctx["comparator"]
units = units_of(league.iloc[0]) if len(league) else "offences"  # what the measure counts: offences, incidents, ...
counted = units.capitalize()
group = ctx["comparators"][ctx["group"]]
ranked = league[league["rank"].notna()].copy()
in_group = ranked[ranked["area_name"].isin(group)].copy()
in_group["group_rank"] = in_group["rate_per_1000"].round(9).rank(method="min").astype("Int64")

st.caption(f"Rolling year {rolling_year_span(end)}. Rank 1 = the lowest rate per 1,000 residents of "
           f"{int(ranked['rank_of'].iloc[0]) if len(ranked) else 0} {areas_of(comparator)}. Comparator group: {ctx['group_label']}.")

map_col, bar_col = st.columns([2, 3]) if comparator == "London" else (None, st.container())
if map_col is not None:  # the tile map is of London's boroughs
    with map_col:
        st.vega_lite_chart(spec=appdata.tile_spec(inputs, measure_id, end, ctx["borough"], ctx["present"]), width="stretch")
with bar_col:
    chosen_group = tuple(group) if ctx["group"] != "all" else None
    st.vega_lite_chart(spec=appdata.league_spec(inputs, measure_id, end, ctx["borough"], ctx["present"], chosen_group),
                       width="stretch")

table = pd.DataFrame({
    "Borough" if comparator == "London" else "Area": in_group["area_name"],
    counted: in_group["current"],
    "Rate per 1,000": in_group["rate_per_1000"].astype("Float64"),
    f"Rank ({comparator})": in_group["rank"],
    "Rank in group": in_group["group_rank"],
    "Places moved": (in_group["rank_previous"] - in_group["rank"]).astype("Int64"),
    "% change": in_group["pct_change"].astype("Float64"),
    "RAG": in_group["rag"].map(formatting.rag_label),
}).sort_values(f"Rank ({comparator})")
st.dataframe(formatting.styled(table, {counted: "count", "Rate per 1,000": "rate", "Places moved": "change",
                                        "% change": "pct"}, missing_as_text=True),
             hide_index=True, width="stretch", column_config={
    "Places moved": st.column_config.Column(help="Positive = moved up (a lower rate relative to others)"),
})
london = league.iloc[0]
london_pct = formatting.pct_change(london["comparator_current"], london["comparator_previous"])
st.caption(f"{comparator} as a whole: {formatting.fmt_count(london['comparator_current'])} {units}, "
           f"{formatting.fmt_rate(london['comparator_rate_per_1000'])} per 1,000, "
           + (f"{formatting.fmt_pct(london_pct, signed=True)} on the year before." if london_pct is not None
              else "no earlier year loaded."))
st.download_button("Download this table (CSV)", formatting.csv_bytes(table), mime="text/csv",
                   file_name=f"rankings-{measure_id}-{end:%Y-%m}.csv".replace(":", "-").replace(" ", "-"), key="rk_download")
