"""Wards: hotspots within the focus borough, change on last year, trends, and this month's exceptions."""

import streamlit as st

from sbp.web import appdata, context, views
from sbp.display import pageviews
from sbp.display.formatting import literal, styled
from sbp.metrics.periods import month_label, rolling_year_span, shown_end

ctx = context.current()
inputs, borough, info, settings = ctx.inputs, ctx.borough, ctx.info, ctx.settings

st.title(f"Wards in {literal(borough)}")
wards = info.wards.get(borough, ())
if not wards:
    st.info(f"No ward-level data is loaded for {literal(borough)}. Load the MPS Ward Level Crime extract on the Data page.",
            icon=":material/info:")
    st.stop()

options, labels = appdata.measure_choices(info, include_majors=False, level="ward")
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
panel = views.ward_scan(inputs, end, borough, None if scope == "All categories" else measure_id)
if panel.error:
    st.info(literal(panel.error))
else:
    st.caption(panel.note)
    if panel.html:
        st.markdown(panel.html, unsafe_allow_html=True)
    else:
        (st.success if panel.tested else st.info)(panel.nothing)

st.subheader(f"{literal(borough)} as a whole, {month_label(end)}")
panel = views.borough_scan(inputs, end, borough, "minor")
if panel.error:
    st.info(literal(panel.error))
else:
    st.caption(literal(panel.note))
    st.markdown(panel.html, unsafe_allow_html=True)

shown = views.wards_view(inputs, borough, measure_id, end, wards)
if shown.error:
    st.warning(literal(shown.error))
    st.stop()
table, sparks = shown.table, shown.sparks

st.subheader(f"{literal(labels[measure_id])}: rolling year {rolling_year_span(end)}")
st.caption("Highest counts first. Ward figures exclude offences the police could not locate to a ward, "
           "so they add up to less than the borough total.")
st.dataframe(styled(table, {"Previous year": "count", "This year": "count", "Change": "change", "% change": "pct",
                            sparks.title: "raw"}, missing_as_text=True),
             hide_index=True, width="stretch", height=pageviews.table_height(len(table)), column_config={
    # One scale for every ward, so 1 offence does not look as volatile as 100.
    sparks.title: st.column_config.LineChartColumn(sparks.title, width="medium", y_min=0, y_max=sparks.y_max),
})
st.download_button("Download this table (CSV)", shown.csv,
                   file_name=f"wards-{borough}-{measure_id}-{end:%Y-%m}.csv".replace(" ", "-").replace(":", "-"),
                   mime="text/csv", key="wd_download")
