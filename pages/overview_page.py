"""Overview: the board table for the focus borough, every measure of every priority."""

import streamlit as st

from sbp import store
from sbp.web import appdata, context, views
from sbp.display import boardtable, formatting
from sbp.errors import SbpError
from sbp.metrics.periods import rolling_year_span
from sbp.report import MIME_TYPES, report_bytes, report_file_name

ctx = context.current()
borough, end = ctx.borough, ctx.end

st.title(f"{formatting.literal(borough)}: partnership measures")
st.caption(f"Rolling year {rolling_year_span(end)} against the 12 months before. "
           f"Rank 1 = the lowest rate per 1,000 residents among the {boardtable.areas_of(ctx.comparator)}.")

for warning in appdata.quality_warnings(ctx.inputs, end):
    st.warning(formatting.literal(warning), icon=":material/warning:")
for section in views.board_sections(ctx.inputs, borough, end, tuple(ctx.config.priorities)):
    st.subheader(section.title)
    st.markdown(section.html, unsafe_allow_html=True)
    for note in section.notes:
        st.caption(note)

if ctx.present:
    st.stop()

st.download_button(
    "Download the board table (CSV)", views.board_csv(ctx.inputs, borough, end, tuple(ctx.config.priorities)),
    file_name=f"board-table-{borough}-{end:%Y-%m}.csv".replace(" ", "-"), mime="text/csv", key="ov_download",
)
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
