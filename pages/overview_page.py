"""Overview: the board table for the focus borough, every measure of every priority."""

import streamlit as st

from sbp import store
from sbp.web import appdata, context, partnerdata, views
from sbp.display.htmltable import table_html
from sbp.display import boardtable, formatting
from sbp.errors import SbpError
from sbp.metrics import board_measure_ids
from sbp.metrics.periods import rolling_year_span
from sbp.report import MIME_TYPES, report_bytes, report_file_name

ctx = context.current()
borough, end = ctx.borough, ctx.end

st.title(f"{formatting.literal(borough)}: partnership measures")
st.caption(f"Rolling year {rolling_year_span(end)} against the 12 months before. "
           f"Rank 1 = the lowest rate per 1,000 residents among the {boardtable.areas_of(ctx.comparator)}.")

for warning in appdata.quality_warnings(ctx.inputs, end):
    st.warning(formatting.literal(warning), icon=":material/warning:")
priorities = tuple(ctx.config.priorities)
for priority, section in zip(priorities, views.board_sections(ctx.inputs, borough, end, priorities)):
    st.subheader(section.title)
    st.markdown(section.html, unsafe_allow_html=True)
    for note in section.notes:
        st.caption(note)
    # The priority's measures against the comparator's areas (a spine chart), under its table.
    st.vega_lite_chart(spec=views.spine_spec(ctx.inputs, borough, end, tuple(priority.measures), ctx.present),
                       width="stretch")
    partners = partnerdata.view(ctx.inputs, borough, end, priority.id)
    if not partners.table.empty:
        st.markdown(table_html(partners.table), unsafe_allow_html=True)

if ctx.present:
    st.stop()

st.download_button(
    "Download the board table (CSV)", views.board_csv(ctx.inputs, borough, end, priorities),
    file_name=f"board-table-{borough}-{end:%Y-%m}.csv".replace(" ", "-"), mime="text/csv", key="ov_download",
)
with st.expander(f"Every measure against {ctx.comparator} on one chart"):
    st.vega_lite_chart(spec=views.spine_spec(ctx.inputs, borough, end, tuple(board_measure_ids(ctx.config)), False,
                                               f"Every measure: {borough} against {ctx.comparator}"), width="stretch")
with st.expander("How these figures are worked out"):
    st.markdown(boardtable.definitions_markdown(ctx.settings, ctx.comparator))

# The board report: the same report as `python -m sbp report`.
st.subheader("Board report")
st.caption(f"The full report for this {ctx.area_word} and period: each priority's objectives, table, commentary and "
           "charts, with definitions, caveats and the provenance of every file, ready for the board.")
report_labels = {"pdf": "PDF", "html": "HTML", "pptx": "PowerPoint"}
report_format = st.radio("Report format", list(report_labels), format_func=report_labels.get, horizontal=True,
                         key="ov_report_format")
report_key = (ctx.inputs, borough, end, report_format)
if st.button("Prepare report", key="ov_report_prepare", icon=":material/description:"):
    try:
        with st.spinner(f"Preparing the {report_labels[report_format]} report..."):
            st.session_state["ov_report"] = (report_key, report_bytes(store.resolve_db_path(), end, borough,
                                                                      report_format))
    except SbpError as exc:
        st.error(formatting.literal(exc))
prepared = st.session_state.get("ov_report")
if prepared and prepared[0] == report_key:
    st.download_button(
        f"Download the report ({report_labels[report_format]})", prepared[1],
        file_name=report_file_name(borough, end, report_format), mime=MIME_TYPES[report_format],
        key="ov_report_download", icon=":material/download:",
    )
