"""Safer Bromley Partnership crime-metrics dashboard: entry point, global controls and navigation."""

import streamlit as st

from sbp.web import appdata, urlstate
from sbp.display import formatting, present
from sbp.config import COMPARATOR_GROUPS, comparator_group
from sbp.errors import ConfigError
from sbp.metrics.periods import month_label

st.set_page_config(page_title="Safer Bromley Partnership: crime metrics", page_icon=":material/shield:", layout="wide")
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

GROUPS = COMPARATOR_GROUPS
params = st.query_params

state = st.session_state
GLOBALS = ("borough", "end", "group", "present")

# First run of a session: take the global controls from the link, checked against what is loaded.
if "sbp_borough" not in state:
    default_borough = settings["focus_borough"] if settings["focus_borough"] in info.boroughs else info.boroughs[0]
    # ?area= opens the dashboard for any area (e.g. Bristol); ?borough= is the older spelling.
    borough, note1 = urlstate.pick(params.get("area") or params.get("borough"), info.boroughs, default_borough, "area")
    end, note2 = urlstate.pick_month(params.get("end"), info.valid_ends, info.valid_ends[-1], "period end")
    group, note3 = urlstate.pick(params.get("group"), list(GROUPS), "all", "comparator group")
    state.update(sbp_borough=borough, sbp_end=end, sbp_group=group, sbp_present=urlstate.is_on(params.get("present")))
    note0 = None if settings["focus_borough"] in info.boroughs else (
        f"The focus area in the settings, {settings['focus_borough']!r}, is not in the loaded data; "
        f"showing {default_borough} instead. Check focus_borough in the settings file.")
    state["g_notices"] = [n for n in (note0, note1, note2, note3) if n]
comparator = info.forces.get(state["sbp_borough"], "London")  # the focus area's police force area ('London': the Met)
in_force = [b for b in info.boroughs if info.forces.get(b) == comparator]  # the focus area's force's areas
group_labels = GROUPS | {"all": f"All {comparator}"}
if comparator != "London":  # inner/outer London means nothing elsewhere
    group_labels = {k: v for k, v in group_labels.items() if k not in ("outer", "inner")} | {"similar": "Similar areas"}
if not set(settings["similar_boroughs"]) & (set(in_force) - {state["sbp_borough"]}):
    del group_labels["similar"]  # no configured similar area is loaded: the group would be the focus alone
if state["sbp_group"] not in group_labels:
    state["sbp_group"] = "all"
if state["sbp_end"] not in info.valid_ends:  # a new extract can move the loaded months under a session
    state["sbp_end"] = info.valid_ends[-1]


def keep(name: str) -> None:
    """Copy a sidebar widget's value to the session's own record (widgets are not drawn in presenter mode)."""
    state[f"sbp_{name}"] = state[f"g_{name}"]


if not state["sbp_present"]:
    for name in GLOBALS:
        state[f"g_{name}"] = state[f"sbp_{name}"]
    with st.sidebar:
        st.markdown(f"**{settings['partnership_name']}**")
        st.selectbox("Focus borough" if comparator == "London" else "Focus area", info.boroughs, key="g_borough", on_change=keep, args=("borough",))
        st.selectbox("Period ending", info.valid_ends, key="g_end", format_func=month_label, on_change=keep, args=("end",),
                     help="The last month of the rolling year; the comparison is with the 12 months before.")
        st.radio("Compare with", list(group_labels), key="g_group", format_func=group_labels.get, horizontal=True,
                 on_change=keep, args=("group",))
        st.toggle("Presenter mode", key="g_present", on_change=keep, args=("present",),
                  help="Hide the controls and enlarge everything for screen sharing.")

presenting = state["sbp_present"]
params.update(borough=state["sbp_borough"], end=state["sbp_end"].strftime("%Y-%m"), group=state["sbp_group"])
if presenting:
    params["present"] = "1"
    st.markdown(present.PRESENTER_CSS, unsafe_allow_html=True)
elif "present" in params:
    del params["present"]

comparators = {kind: comparator_group(kind, state["sbp_borough"], in_force, settings["similar_boroughs"])
               for kind in group_labels}

priority_pages = {p.id.replace("_", "-"): p for p in config.priorities}
# Start the server with `python -m sbp.web`: under a plain `streamlit run app.py`, the pages/ folder makes the first
# session after a start run in Streamlit's old multipage mode, which knows none of these url_paths.
overview = st.Page("pages/overview_page.py", title="Overview", url_path="board", icon=":material/table_chart:", default=True)
# The default page is served at "/", so a link to /overview would open "Page not found": this hidden page answers it.
overview_link = st.Page("pages/overview_page.py", title="Overview", url_path="overview", visibility="hidden")
board = [overview] + [st.Page("pages/priority_page.py", title=p.title, url_path=path, icon=":material/flag:")
                      for path, p in priority_pages.items()]
analysis = [
    st.Page("pages/explore_page.py", title="Explore", url_path="explore", icon=":material/query_stats:"),
    st.Page("pages/rankings_page.py", title="Rankings", url_path="rankings", icon=":material/leaderboard:"),
    st.Page("pages/wards_page.py", title="Wards", url_path="wards", icon=":material/location_on:"),
]
data_pages = [st.Page("pages/data_page.py", title="Data", url_path="data", icon=":material/database:"),
              overview_link]
page = st.navigation({"Board": board, "Analysis": analysis, "Data": data_pages},
                     position="hidden" if presenting else "sidebar")

st.session_state["sbp"] = {
    "inputs": inputs, "info": info, "settings": settings, "config": config,
    "borough": state["sbp_borough"], "end": state["sbp_end"], "group": state["sbp_group"],
    "comparators": comparators, "group_label": group_labels[state["sbp_group"]], "present": presenting,
    "comparator": comparator,
    "priority": priority_pages.get(page.url_path),
}

if info.is_synthetic:
    st.warning("**Synthetic demo data.** These figures are generated for demonstration and are not real crime data.",
               icon=":material/science:")
if built_demo:
    st.info("No data store was found, so the synthetic demo data was built. Load real extracts on the Data page or "
            "with `python -m sbp ingest`.", icon=":material/info:")
for notice in state.pop("g_notices", []):
    st.info(notice, icon=":material/link_off:")


def exit_presenter() -> None:
    """Leave presenter mode (the sidebar and page controls come back)."""
    state.update(sbp_present=False)


if presenting:
    # Slides: the board pages in order, next/previous by arrow key or one click; Esc leaves presenter mode.
    slides = board
    here = next((i for i, p in enumerate(slides) if p is page or (i == 0 and page is overview_link)), None)
    with st.container(key="sbp_slide_nav", horizontal=True):
        st.markdown(f'<div class="sbp-stamp">{formatting.esc(formatting.data_stamp(info.last_month, info.loaded_at))}</div>',
                    unsafe_allow_html=True)
        if here is not None:
            if st.button("Previous", key="g_prev", icon=":material/arrow_back:", shortcut="Left", disabled=here == 0):
                st.switch_page(slides[here - 1])
            if st.button("Next", key="g_next", icon=":material/arrow_forward:", shortcut="Right",
                         disabled=here == len(slides) - 1):
                st.switch_page(slides[here + 1])
        st.button("Exit", key="g_exit_present", icon=":material/close:", shortcut="Esc", on_click=exit_presenter,
                  help="Leave presenter mode")
else:
    st.markdown(f'<div class="sbp-stamp">{formatting.esc(formatting.data_stamp(info.last_month, info.loaded_at))}</div>',
                unsafe_allow_html=True)

page.run()
