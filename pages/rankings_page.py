"""Rankings: the league of the focus area's comparator group (London boroughs, or a police force's areas) for any
measure, with a tile map for London and comparator subgroups."""

import streamlit as st

from sbp.web import appdata, context, views
from sbp.display import formatting, pageviews

ctx = context.current()
inputs, end = ctx.inputs, ctx.end

st.title("Rankings")
options, labels = appdata.measure_choices(ctx.info)
appdata.seed_from_url("rk_measure", "measure", options, "total_notifiable_offences", "measure", labels)
measure_id = st.selectbox("Measure", options, key="rk_measure", format_func=labels.get)
st.query_params["measure"] = measure_id

chosen_group = tuple(ctx.group_areas) if ctx.group != "all" else None
shown = views.rankings_view(inputs, measure_id, end, ctx.borough, ctx.comparator, ctx.group_label, tuple(ctx.group_areas))
st.caption(formatting.literal(shown.caption))
if not shown.ranked:  # nothing to rank or chart: say why, not an empty chart
    st.info(formatting.literal(appdata.unavailable_reason(inputs, measure_id, end, area=ctx.borough)),
            icon=":material/info:")
    st.stop()

map_col, bar_col = st.columns([2, 3]) if ctx.comparator == "London" else (None, st.container())
if map_col is not None:  # the tile map is of London's boroughs
    with map_col:
        st.vega_lite_chart(spec=views.tile_spec(inputs, measure_id, end, ctx.borough, ctx.present), width="stretch")
with bar_col:
    st.vega_lite_chart(spec=views.league_spec(inputs, measure_id, end, ctx.borough, ctx.present, chosen_group),
                       width="stretch")

st.markdown(shown.html, unsafe_allow_html=True)  # a static table: every column readable, nothing to marshal
st.caption(formatting.literal(shown.comparator_caption))
st.download_button("Download this table (CSV)", shown.csv, mime="text/csv",
                   file_name=f"rankings-{measure_id}-{end:%Y-%m}.csv".replace(":", "-").replace(" ", "-"), key="rk_download")

st.subheader("Funnel plot")
overdispersed = st.toggle("Allow for over-dispersion", key="rk_overdispersed",
                          help="Widen the limits by how much more than chance these areas vary (Spiegelhalter's "
                               "multiplicative adjustment), so only the areas unusual among their peers fall outside.")
funnel = appdata.funnel(inputs, measure_id, end, ctx.borough, overdispersed)
if funnel.reason is not None:
    st.info(f"No funnel plot: {formatting.literal(funnel.reason)}.", icon=":material/info:")
else:
    st.vega_lite_chart(spec=views.funnel_spec(inputs, measure_id, end, ctx.borough, overdispersed, ctx.present),
                       width="stretch")
    st.caption(formatting.literal(f"{pageviews.funnel_positions(funnel, ctx.borough)} "
                                  f"{pageviews.funnel_caption(funnel)}"))
