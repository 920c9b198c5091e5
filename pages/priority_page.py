"""A partnership priority: metric cards, trend and league charts, summary paragraph and objective status panels."""

import streamlit as st

from sbp.web import appdata, auth
from sbp.display import boardtable, narrative
from sbp.store import objective_edits
from sbp.errors import SbpError
from sbp.config.objectives import STATUS_TONE, load_statuses
from sbp.metrics.periods import rolling_year_span
from sbp.display.formatting import fmt_pct, is_missing, known, literal, rag_badge, status_badge

ctx = st.session_state["sbp"]
priority, version, borough, end = ctx["priority"], ctx["version"], ctx["borough"], ctx["end"]
config, presenting = ctx["config"], ctx["present"]
key = f"pr_{priority.id}_measure"

st.title(priority.title)
st.caption(f"{borough}, rolling year {rolling_year_span(end)} against the 12 months before.")

labels = {m: config.measures[m].label for m in priority.measures}
headline = appdata.headline(version, borough, end)
rows = headline[headline["measure_id"].isin(priority.measures)]
# The page opens on its first measure with a figure for this period.
with_data = [m for m in priority.measures if rows.loc[rows["measure_id"] == m, "current"].notna().any()]
first = with_data[0] if with_data else priority.measures[0]
appdata.seed_from_url(key, "measure", list(priority.measures), first, "measure")
measure_id = st.segmented_control("Measure", list(priority.measures), key=key, format_func=labels.get,
                                  label_visibility="collapsed") or first
st.query_params["measure"] = measure_id

row = rows[rows["measure_id"] == measure_id].iloc[0]
measure = config.measures[measure_id]
sources = appdata.measure_sources(version, measure_id)
if sources:
    st.caption(f"Source: {literal(sources)}")
for warning in appdata.quality_warnings(version, end):
    st.warning(literal(warning), icon=":material/warning:")


def value(name):
    return known(row[name])


if is_missing(row["current"]):
    # One line saying why (and which published file fills the measure), not empty cards and charts.
    st.info(literal(appdata.unavailable_reason(version, measure_id, end, negative=bool(row["negative_count"]))),
            icon=":material/info:")
else:
    cards = st.columns(4)
    delta_colour = "inverse" if measure.direction == "lower_is_better" else "normal"
    for column, card in zip(cards, boardtable.metric_cards(row.to_dict())):
        column.metric(card.label, card.value, delta=card.delta, help=card.help, border=True,
                      delta_color=delta_colour if card.help is None else "normal")
    with cards[3].container(border=True):
        st.markdown("RAG status")
        london = value("london_pct_change")
        st.markdown(f'<div style="font-size:1.6rem">{rag_badge(value("rag"))}</div>'
                    f'<div>London {fmt_pct(london, signed=True)}{" &middot; significant change" if value("significant") is True else ""}</div>'
                    if london is not None else rag_badge(value("rag")), unsafe_allow_html=True)

    st.markdown(literal(narrative.summary_sentence(row.to_dict())), unsafe_allow_html=True)

    left, right = st.columns(2)
    with left:
        st.vega_lite_chart(spec=appdata.trend_spec(version, borough, measure_id, measure.label, end, presenting), width="stretch")
    with right:
        st.vega_lite_chart(spec=appdata.league_spec(version, measure_id, end, borough, presenting), width="stretch")

if not presenting:
    with st.expander(f"All {priority.title} measures"):
        st.dataframe(boardtable.style(boardtable.board_table(rows, end, list(priority.measures))), hide_index=True,
                     width="stretch")

st.header("Objectives")
objectives = objective_edits.current_objectives(priority.id)
if not objectives:
    st.info("No objectives are recorded for this priority yet.")
admin = auth.admin_from_secrets(st.secrets)
editor = st.session_state.get("data_admin") if admin else None
statuses = load_statuses()
for pair in [objectives[i:i + 2] for i in range(0, len(objectives), 2)]:
    for (objective, revision), column in zip(pair, st.columns(2)):
        with column.container(border=True):
            st.markdown(f"**{literal(objective.number)}. {literal(objective.title)}** &nbsp; "
                        f"{status_badge(objective.status, STATUS_TONE.get(objective.status, 'neutral'))}",
                        unsafe_allow_html=True)
            if objective.description:
                st.markdown(literal(objective.description), unsafe_allow_html=True)
            if objective.evidence:
                st.markdown(f"<em>Evidence:</em> {literal(objective.evidence)}", unsafe_allow_html=True)
            st.caption(f"Last updated {objective.updated:%-d %B %Y}")
            if editor and not presenting:
                form_key = f"pr_{priority.id}_edit_{objective.number}"
                with st.expander("Edit status"), st.form(form_key):
                    new_status = st.selectbox("Status", statuses, index=statuses.index(objective.status)
                                              if objective.status in statuses else 0)
                    new_evidence = st.text_area("Evidence", objective.evidence)
                    if st.form_submit_button("Save"):
                        try:
                            objective_edits.save_status(priority.id, objective.number, new_status, new_evidence,
                                                        editor, revision, allowed_statuses=statuses)
                        except SbpError as exc:
                            st.error(str(exc))
                        else:
                            st.rerun()
if admin and not editor and not presenting:
    st.caption("Admins can edit objective statuses after signing in on the Data page.")
