"""Safer Bromley Partnership crime-metrics dashboard: entry point, global controls and navigation."""

import streamlit as st

from sbp.web import OVERVIEW_LINKS, PAGE_ICON, appdata, context
from sbp.display import boardtable, formatting, pageviews, present
from sbp.errors import ConfigError

st.set_page_config(page_title="Safer Bromley Partnership: crime metrics", page_icon=PAGE_ICON, layout="wide")
st.markdown(present.BASE_CSS, unsafe_allow_html=True)

try:
    built_demo = appdata.ensure_store()
    inputs = appdata.inputs()  # data version, settings and configuration: what every cached value depends on
    info = appdata.store_info(inputs)
    settings = appdata.settings()
    config = appdata.config()
except ConfigError as exc:  # a settings or measures file that does not load: say which and why, on every page
    st.title("The dashboard's configuration could not be read")
    st.error(formatting.literal(str(exc)), icon=":material/error:")
    st.stop()

params = st.query_params
state = st.session_state


def default_end(area: str):
    """The period an area opens at: the latest month with every board measure known."""
    return appdata.period_coverage(inputs, area).default_end


if "sbp_borough" not in state:  # a session's first run: the global controls come from the link
    first_run, notices = context.from_link(params, info, settings, default_end)
    state.update(first_run, g_notices=notices)
comparators = context.settle(state, info, settings, default_end)
coverage = appdata.period_coverage(inputs, state["sbp_borough"])


def keep(name: str) -> None:
    """Copy a sidebar widget's value to the session's own record (widgets are not drawn in presenter mode)."""
    state[f"sbp_{name}"] = state[f"g_{name}"]


if not state["sbp_present"]:
    for name in context.GLOBALS:
        state[f"g_{name}"] = state[f"sbp_{name}"]
    with st.sidebar:
        st.markdown(f"**{formatting.literal(settings['partnership_name'])}**")
        st.selectbox("Focus borough" if comparators.name == "London" else "Focus area", info.boroughs, key="g_borough", on_change=keep, args=("borough",))
        st.selectbox("Period ending", info.valid_ends, key="g_end", on_change=keep, args=("end",),
                     format_func=lambda end: pageviews.period_option(end, coverage),
                     help="The last month of the rolling year; the comparison is with the 12 months before. The "
                          "dashboard opens at the latest month with every board measure known.")
        if note := pageviews.period_note(state["sbp_end"], coverage, config):
            st.caption(formatting.literal(note))
        st.radio("Compare with", list(comparators.labels), key="g_group", format_func=comparators.labels.get, horizontal=True,
                 on_change=keep, args=("group",))
        group_note = st.empty()  # filled once the page is known: whether this page follows the choice
        st.toggle("Presenter mode", key="g_present", on_change=keep, args=("present",),
                  help="Hide the controls and enlarge everything for screen sharing.")

presenting = state["sbp_present"]
params.update(borough=state["sbp_borough"], end=state["sbp_end"].strftime("%Y-%m"), group=state["sbp_group"])
if presenting:
    params["present"] = "1"
    st.markdown(present.PRESENTER_CSS, unsafe_allow_html=True)
elif "present" in params:
    del params["present"]

RANKINGS = "rankings"  # the one page that shows the "Compare with" subgroup
priority_pages = context.priority_paths(config)
# Start the server with `python -m sbp.web`: under a plain `streamlit run app.py`, the pages/ folder makes the first
# session after a start run in Streamlit's old multipage mode, which knows none of these url_paths.
# The default page is served at "/" only: a link to /board or /overview would open "Page not found". Each is a hidden
# page that hands over to "/" with the link's query parameters (below), so the sidebar marks Overview as the page shown.
# Its own url_path is "", not left to default to "overview_page": a page named after a file in pages/ takes that
# file's hash, which AppTest (in the old multipage mode) runs as the file alone, without this script.
overview = st.Page("pages/overview_page.py", title="Overview", url_path="", icon=":material/table_chart:", default=True)
overview_links = [st.Page("pages/overview_page.py", title="Overview", url_path=path, visibility="hidden")
                  for path in OVERVIEW_LINKS]
board = [overview] + [st.Page("pages/priority_page.py", title=p.title, url_path=path, icon=":material/flag:")
                      for path, p in priority_pages.items()]
analysis = [
    st.Page("pages/explore_page.py", title="Explore", url_path="explore", icon=":material/query_stats:"),
    st.Page("pages/rankings_page.py", title="Rankings", url_path=RANKINGS, icon=":material/leaderboard:"),
    st.Page("pages/wards_page.py", title="Wards", url_path="wards", icon=":material/location_on:"),
]
data_pages = [st.Page("pages/data_page.py", title="Data", url_path="data", icon=":material/database:"),
              *overview_links]
page = st.navigation({"Board": board, "Analysis": analysis, "Data": data_pages},
                     position="hidden" if presenting else "sidebar")
if page.url_path in OVERVIEW_LINKS:
    st.switch_page(overview, query_params=params.to_dict())

if not presenting and state["sbp_group"] != "all" and page.url_path != RANKINGS:
    # Only Rankings shows a subgroup; every other page ranks and compares with the whole group, and says so here.
    group_note.caption(formatting.literal(
        f"{comparators.label(state['sbp_group'])} applies to the Rankings page only. The board tables, cards and charts "
        f"always rank and compare with all {boardtable.areas_of(comparators.name)}."))

state[context.KEY] = context.page_context(state, inputs, info, settings, config, comparators, page.url_path)

if info.is_synthetic:
    st.warning("**Synthetic demo data.** These figures are generated for demonstration and are not real crime data.",
               icon=":material/science:")
if built_demo:
    st.info("No data store was found, so the synthetic demo data was built. Load real extracts on the Data page or "
            "with `python -m sbp ingest`.", icon=":material/info:")
for notice in state.pop("g_notices", []):
    st.info(formatting.literal(notice), icon=":material/link_off:")


def exit_presenter() -> None:
    """Leave presenter mode (the sidebar and page controls come back)."""
    state.update(sbp_present=False)


stamp = f'<div class="sbp-stamp">{formatting.esc(formatting.data_stamp(info.last_month, info.loaded_at))}</div>'
if presenting:
    # Slides: the board pages in order, next/previous by arrow key or one click; Esc leaves presenter mode.
    around = context.neighbours(board, page)
    with st.container(key="sbp_slide_nav", horizontal=True):
        st.markdown(stamp, unsafe_allow_html=True)
        if around is not None:
            previous, following = around
            if st.button("Previous", key="g_prev", icon=":material/arrow_back:", shortcut="Left", disabled=previous is None):
                st.switch_page(previous)
            if st.button("Next", key="g_next", icon=":material/arrow_forward:", shortcut="Right",
                         disabled=following is None):
                st.switch_page(following)
        st.button("Exit", key="g_exit_present", icon=":material/close:", shortcut="Esc", on_click=exit_presenter,
                  help="Leave presenter mode")
else:
    st.markdown(stamp, unsafe_allow_html=True)

if not info.valid_ends and page.url_path not in ("explore", "data"):
    # Every figure of these pages compares two rolling years: say why there are none instead of failing.
    st.info(pageviews.no_rolling_year_note(info.first_month, info.last_month, len(info.months)), icon=":material/info:")
    st.stop()
page.run()
