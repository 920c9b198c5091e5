"""Wards: hotspots within the focus borough, change on last year, trends, and this month's exceptions."""

import streamlit as st

from sbp.web import appdata, context
from sbp.display import exceptions_view, pageviews
from sbp.display.formatting import csv_bytes, literal, styled
from sbp.errors import SbpError
from sbp.metrics.periods import month_label, rolling_year_span, shown_end, two_year_window

ctx = context.current()
inputs, borough, info, settings = ctx.inputs, ctx.borough, ctx.info, ctx.settings

st.title(f"Wards in {literal(borough)}")
wards = info.wards.get(borough, ())
if not wards:
    st.info(f"No ward-level data is loaded for {literal(borough)}. Load the MPS Ward Level Crime extract on the Data page.",
            icon=":material/info:")
    st.stop()

options, labels = appdata.measure_choices(info, include_majors=False)
appdata.seed_from_url("wd_measure", "measure", options, "total_notifiable_offences", "category", labels)
measure_id = st.selectbox("Crime category", options, key="wd_measure", format_func=labels.get)
st.query_params["measure"] = measure_id

ward_last = appdata.latest_month(inputs, "ward")
end = shown_end(ctx.end, ward_last)
if end != ctx.end:
    st.caption(f"Ward data runs to {month_label(ward_last)}; showing the rolling year to {month_label(end)}.")

st.subheader(f"Unusual in {month_label(end)}")
scope = st.radio("Categories checked", [labels[measure_id], "All categories"], key="wd_unusual_scope",
                 horizontal=True, format_func=literal)
try:
    if scope == "All categories":
        scan = appdata.exceptions(inputs, end, "ward", borough)
    else:
        scan = appdata.exceptions(inputs, end, "ward", borough, by="measure", measure_ids=(measure_id,))
except SbpError as exc:
    st.info(literal(exc))
else:
    st.caption(exceptions_view.scan_note(scan, "ward"))
    if scan.flags.empty:
        tested, message = exceptions_view.nothing_flagged(scan, "ward")
        (st.success if tested else st.info)(message)
    else:
        st.markdown(exceptions_view.flags_html(scan, area_title="Ward"), unsafe_allow_html=True)

st.subheader(f"{literal(borough)} as a whole, {month_label(end)}")
try:
    borough_scan = appdata.exceptions(inputs, end, "borough", None, include_comparator=True)
except SbpError as exc:
    st.info(literal(exc))
else:
    st.caption(literal(exceptions_view.scan_note(borough_scan, "borough", borough)))
    st.markdown(exceptions_view.borough_flags_html(borough_scan, borough), unsafe_allow_html=True)

try:
    league = appdata.league(inputs, measure_id, end, level="ward", within=borough)
except SbpError as exc:
    st.warning(literal(exc))
    st.stop()

trend = appdata.series(inputs, tuple(wards), (measure_id,), *two_year_window(end), level="ward")
sparks = pageviews.sparklines(trend)
table = pageviews.wards_table(league, sparks)

st.subheader(f"{literal(labels[measure_id])}: rolling year {rolling_year_span(end)}")
st.caption("Highest counts first. Ward figures exclude offences the police could not locate to a ward, "
           "so they add up to less than the borough total.")
st.dataframe(styled(table, {"Previous year": "count", "This year": "count", "Change": "change", "% change": "pct",
                            sparks.title: "raw"}, missing_as_text=True),
             hide_index=True, width="stretch", height=pageviews.table_height(len(table)), column_config={
    # One scale for every ward, so 1 offence does not look as volatile as 100.
    sparks.title: st.column_config.LineChartColumn(sparks.title, width="medium", y_min=0, y_max=sparks.y_max),
})
st.download_button("Download this table (CSV)", csv_bytes(table.drop(columns=sparks.title)),
                   file_name=f"wards-{borough}-{measure_id}-{end:%Y-%m}.csv".replace(" ", "-").replace(":", "-"),
                   mime="text/csv", key="wd_download")
