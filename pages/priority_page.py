"""A partnership priority: metric cards, trend and league charts, summary paragraph and objective status panels.

In presenter mode the page is one slide: title, the measure's cards, both charts and the objectives' statuses
in brief fit one screen (1366x768 and up); the objectives' details are one click away.
"""

import streamlit as st

from sbp.web import appdata, auth, context, partnerdata, views
from sbp.display import pageviews, panels, partner_view
from sbp.display.htmltable import table_html
from sbp.store import objective_edits
from sbp.errors import SbpError
from sbp.config.objectives import load_statuses
from sbp.metrics.periods import month_label, rolling_year_span
from sbp.display.formatting import literal

ctx = context.current()
priority, inputs, borough, end = ctx.priority, ctx.inputs, ctx.borough, ctx.end
config, presenting = ctx.config, ctx.present
key = f"pr_{priority.id}_measure"

st.title(priority.title)
period = f"{literal(borough)}, rolling year {rolling_year_span(end)} against the 12 months before."

labels = {m: config.measures[m].label for m in priority.measures}
# The headline, unless it has no figure for the period.
opening = views.opening_measure(inputs, borough, end, priority.measures, priority.headline_measure)
appdata.seed_from_url(key, "measure", list(priority.measures), opening, "measure", labels)


def choose_measure(measure: str) -> None:
    """Step to another of the priority's measures (presenter mode: one click or the Up/Down keys)."""
    st.session_state[key] = measure


if presenting:
    measure_id = st.session_state[key] or opening
    steps = pageviews.measure_steps(priority.measures, measure_id)
    with st.container(key="sbp_measure_nav", horizontal=True, vertical_alignment="center", gap="small"):
        st.caption(f"{literal(borough)}, rolling year {rolling_year_span(end)}. {steps.position}.", width="content")
        st.button("Previous measure", key="pr_prev_measure", icon=":material/arrow_upward:", shortcut="Up",
                  disabled=steps.previous is None, on_click=choose_measure, args=(steps.previous,))
        st.button("Next measure", key="pr_next_measure", icon=":material/arrow_downward:", shortcut="Down",
                  disabled=steps.following is None, on_click=choose_measure, args=(steps.following,))
else:
    st.caption(period)
    measure_id = st.segmented_control("Measure", list(priority.measures), key=key, format_func=labels.get,
                                      label_visibility="collapsed") or opening
st.query_params["measure"] = measure_id
if measure_id == opening != priority.headline_measure:
    st.caption(literal(pageviews.headline_note(
        labels[priority.headline_measure], labels[measure_id],
        appdata.unavailable_reason(inputs, priority.headline_measure, end, area=borough))))

shown = views.measure_view(inputs, borough, end, measure_id, ctx.comparator)
measure = config.measures[measure_id]
sources = appdata.measure_sources(inputs, measure_id)
if sources and not presenting:
    st.caption(f"Source: {literal(sources)}")
for warning in appdata.quality_warnings(inputs, end):
    st.warning(literal(warning), icon=":material/warning:")
unavailable = not shown.has_figure


def show_unavailable() -> None:
    """One line saying why (and which published file fills the measure), not empty cards and charts."""
    st.info(literal(appdata.unavailable_reason(inputs, measure_id, end, negative=shown.negative_count, area=borough)),
            icon=":material/info:")


cards = shown.cards
objectives = [o for o, _ in objective_edits.current_objectives(priority.id)]
reviews = pageviews.reviews(objectives, end)
partners = partnerdata.view(inputs, borough, end, priority.id)

if presenting:  # the slide fills the screen below its title: the charts take the height the cards leave
    main, side = st.container(key="sbp_slide", height="stretch").columns([3.2, 1.1], gap="medium")
    with main:
        if unavailable:
            show_unavailable()
        else:
            st.markdown(cards, unsafe_allow_html=True)
            with st.container(key="sbp_slide_charts", horizontal=True, height="stretch"):
                st.vega_lite_chart(spec=views.trend_spec(inputs, borough, measure_id, measure.label, end, True, 125,
                                                         units=measure.units, slide=True),
                                   width="stretch", height="stretch")
                st.vega_lite_chart(spec=views.league_spec(inputs, measure_id, end, borough, True, plot_height=190,
                                                          slide=True),
                                   width="stretch", height="stretch")
    with side:
        st.markdown('<div class="sbp-side-title">Objectives</div>', unsafe_allow_html=True)
        if objectives:
            st.markdown(panels.objectives_brief_html(objectives), unsafe_allow_html=True)
            if partners.brief:
                st.markdown('<div class="sbp-side-title">Partner figures</div>' + partners.brief, unsafe_allow_html=True)
            if reviews.stale:
                st.markdown(f'<div class="sbp-review">Statuses last reviewed {reviews.stale:%-d %b %Y}, before this '
                            "period.</div>", unsafe_allow_html=True)
            with st.expander("Details"):
                for objective in objectives:
                    st.markdown(panels.objective_html(objective, reviews.notes[objective.number], partners.evidence),
                                unsafe_allow_html=True)
        else:
            st.markdown("No objectives are recorded for this priority yet.")
    st.stop()

if unavailable:
    show_unavailable()
else:
    st.markdown(cards, unsafe_allow_html=True)
    st.markdown(shown.summary, unsafe_allow_html=True)
    left, right = st.columns(2)
    with left:
        st.vega_lite_chart(spec=views.trend_spec(inputs, borough, measure_id, measure.label, end, False,
                                                 units=measure.units),
                           width="stretch")
    with right:
        st.vega_lite_chart(spec=views.league_spec(inputs, measure_id, end, borough, False), width="stretch")

# Every measure of the priority against the comparator's areas (a spine chart).
st.vega_lite_chart(spec=views.spine_spec(inputs, borough, end, tuple(priority.measures), False,
                                           f"{priority.title}: {borough} against {ctx.comparator}"), width="stretch")
if partners.cards:
    st.subheader("Partner figures")
    st.caption(f"{literal(borough)}: what partners report, each with its source and period, beside the police measures. "
               "Not police counts: never added to them or shown per 1,000 residents.")
    st.markdown(partners.cards, unsafe_allow_html=True)
elif partners.missing:
    st.caption(literal(partners.missing))

with st.expander(f"All {priority.title} measures"):
    st.markdown(views.board_html(inputs, borough, end, priority.measures), unsafe_allow_html=True)
    if not partners.table.empty:
        st.markdown(table_html(partners.table), unsafe_allow_html=True)

with st.expander(f"Unusual in {literal(borough)} in {month_label(end)}"):
    panel = views.borough_scan(inputs, end, borough, "measure")
    if panel.error:
        st.info(literal(panel.error))
    else:
        st.caption(literal(panel.note))
        st.markdown(panel.html, unsafe_allow_html=True)

st.header("Objectives")
if not objectives:
    st.info("No objectives are recorded for this priority yet.")
if reviews.stale:
    st.warning(f"These statuses were last reviewed on {reviews.stale:%-d %B %Y}, before the period shown "
               f"({rolling_year_span(end)}). Check they are still current before the board.", icon=":material/history:")
admin = auth.admin_from_secrets(st.secrets)
editor = st.session_state.get("data_admin") if admin else None
statuses = load_statuses()
revisions = objective_edits.revisions(priority.id)
suggested = partner_view.suggestions(partnerdata.figures(inputs, borough, end, priority.id), partnerdata.measures(),
                                     statuses) if editor else {}
for objective in objectives:
    with st.container(border=True):
        st.markdown(panels.objective_html(objective, reviews.notes[objective.number], partners.evidence),
                    unsafe_allow_html=True)
        if editor:
            for item in (objective, *objective.subs):
                with st.expander(f"Edit {item.number}: status and evidence"), st.form(f"pr_{priority.id}_edit_{item.number}"):
                    new_status = st.selectbox("Status", statuses, index=statuses.index(item.status)
                                              if item.status in statuses else 0)
                    if item.number in suggested:
                        st.caption(f"Suggested by its partner targets: {literal(suggested[item.number])}. "
                                   "Choose it above and save to confirm.")
                    new_evidence = st.text_area("Evidence (one item per line)", item.evidence)
                    if st.form_submit_button("Save"):
                        try:
                            objective_edits.save_status(priority.id, item.number, new_status, new_evidence,
                                                        editor, revisions.get(item.number, 0), allowed_statuses=statuses)
                        except SbpError as exc:
                            st.error(literal(exc))
                        else:
                            st.rerun()
if admin and not editor:
    st.caption("Admins can edit objective statuses after signing in on the Data page.")
