"""Explore: any categories and measures, boroughs and wards, any period; chart, table and CSV of what is shown."""

import streamlit as st

from sbp.web import appdata, context, urlstate, views
from sbp.display import formatting
from sbp.metrics.periods import month_label, same_length_to, trend_window

ctx = context.current()
inputs, info = ctx.inputs, ctx.info

st.title("Explore")

options, labels = appdata.measure_choices(info)
months = list(info.months)
wards = list(info.wards.get(ctx.borough, ()))

if "ex_measures" not in st.session_state:
    q = st.query_params
    chosen, n1 = urlstate.pick_many(q.get_all("measure"), options,
                                    ["burglary"] if "burglary" in options else options[:1], "category", plural="categories")
    areas, n2 = urlstate.pick_many(q.get_all("area"), list(info.boroughs), [ctx.borough], "borough")
    ward_pick, n3 = urlstate.pick_many(q.get_all("ward"), wards, [], "ward")
    start, n4 = urlstate.pick_month(q.get("from"), [m for m in months if m <= ctx.end],
                                    trend_window(ctx.end, info.first_month)[0], "start month")
    view, _ = urlstate.pick(q.get("view"), ["monthly", "rolling"], "monthly", "view")
    unit, _ = urlstate.pick(q.get("unit"), ["counts", "rates"], "counts", "unit")
    st.session_state.update(ex_measures=chosen, ex_areas=areas, ex_wards=ward_pick, ex_range_default=(start, ctx.end),
                            ex_period_end=ctx.end,
                            ex_view=view, ex_unit=unit, ex_london=urlstate.is_on(q.get("london")))
    for notice in (n1, n2, n3, n4):
        if notice:
            st.info(formatting.literal(notice), icon=":material/link_off:")

if st.session_state.get("ex_period_end") != ctx.end:
    # The sidebar's period end moved: the month range follows it (keeping its length where the data allows).
    old_range = st.session_state.get("ex_range", st.session_state["ex_range_default"])
    st.session_state["ex_range"] = same_length_to(old_range, ctx.end, info.first_month)
    st.session_state["ex_period_end"] = ctx.end

left, right = st.columns(2)
with left:
    st.multiselect("Crime categories and measures", options, key="ex_measures", format_func=labels.get,
                   max_selections=6, placeholder="Choose one or more")
    st.multiselect("Boroughs" if ctx.comparator == "London" else "Areas", list(info.boroughs), key="ex_areas",
                   max_selections=12)
    st.multiselect(f"Wards in {formatting.literal(ctx.borough)}", wards, key="ex_wards", max_selections=12,
                   disabled=not wards, help="Ward figures come from the MPS ward-level extract.")
with right:
    # A range slider is a range only when given a (start, end) value, so the default goes in value=, not state.
    st.select_slider("Months", months, key="ex_range", value=st.session_state["ex_range_default"], format_func=month_label)
    st.radio("View", ["monthly", "rolling"], key="ex_view", horizontal=True,
             format_func={"monthly": "Monthly counts", "rolling": "Rolling 12-month totals"}.get)
    st.radio("Show", ["counts", "rates"], key="ex_unit", horizontal=True,
             format_func={"counts": "Offences", "rates": "Rate per 1,000 residents"}.get,
             help="Rates need a population figure; wards have none unless ward populations are loaded.")
    st.checkbox(f"Include the {ctx.comparator} total", key="ex_london")

measures, areas, chosen_wards = st.session_state["ex_measures"], st.session_state["ex_areas"], st.session_state["ex_wards"]
start, end = st.session_state["ex_range"]
st.query_params.update(measure=measures, area=areas, ward=chosen_wards, view=st.session_state["ex_view"],
                       unit=st.session_state["ex_unit"], **{"from": start.strftime("%Y-%m"), "london": "1" if st.session_state["ex_london"] else "0"})

if not measures or not (areas or chosen_wards or st.session_state["ex_london"]):
    st.info("Choose at least one category and one area to see a chart.", icon=":material/touch_app:")
    st.stop()

comparator = (ctx.comparator,) if st.session_state["ex_london"] else ()  # its total, as the comparison's
shown = views.explore_chart(inputs, tuple(areas) + comparator, tuple(chosen_wards), tuple(measures), start, end,
                            rolling=st.session_state["ex_view"] == "rolling", rates=st.session_state["ex_unit"] == "rates",
                            presenter=ctx.present)
view = shown.view
if view.rates_missing:
    st.warning("No chosen area has a population figure, so rates cannot be shown; showing offences instead.")

st.vega_lite_chart(spec=shown.spec, width="stretch")
st.dataframe(formatting.styled(view.table, {view.title: "rate" if "rate" in view.value else "count"}, missing_as_text=True),
             hide_index=True, width="stretch")  # a month with no rolling year yet reads "n/a", never a grey "None"
st.download_button("Download exactly this (CSV)", shown.csv, mime="text/csv",
                   file_name=f"explore-{start:%Y-%m}-to-{end:%Y-%m}.csv", key="ex_download")
