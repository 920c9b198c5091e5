"""Safer Bromley Partnership crime-metrics dashboard: entry point, global controls and navigation."""

import streamlit as st

from sbp import appdata, present, urlstate
from sbp.config import london_boroughs
from sbp.periods import month_label

st.set_page_config(page_title="Safer Bromley Partnership: crime metrics", page_icon=":material/shield:", layout="wide")
st.markdown(present.BASE_CSS, unsafe_allow_html=True)

built_demo = appdata.ensure_store()
version = appdata.data_version()
info = appdata.store_info(version)
settings = appdata.settings()
config = appdata.config()

GROUPS = {"all": "All London", "outer": "Outer London", "similar": "Similar boroughs"}
params = st.query_params

# First run of a session: take the global controls from the link, checked against what is loaded.
if "g_borough" not in st.session_state:
    notices = []
    default_borough = settings["focus_borough"] if settings["focus_borough"] in info.boroughs else info.boroughs[0]
    borough, note = urlstate.pick(params.get("borough"), info.boroughs, default_borough, "borough")
    notices.append(note)
    end, note = urlstate.pick_month(params.get("end"), info.valid_ends, info.valid_ends[-1], "period end")
    notices.append(note)
    group, note = urlstate.pick(params.get("group"), list(GROUPS), "all", "comparator group")
    notices.append(note)
    st.session_state.update(g_borough=borough, g_end=end, g_group=group, g_present=urlstate.is_on(params.get("present")))
    st.session_state["g_notices"] = [n for n in notices if n]

presenting = st.session_state["g_present"]

with st.sidebar:
    st.markdown(f"**{settings['partnership_name']}**")
    st.selectbox("Focus borough", info.boroughs, key="g_borough")
    st.selectbox("Period ending", info.valid_ends, key="g_end", format_func=month_label,
                 help="The last month of the rolling year; the comparison is with the 12 months before.")
    st.radio("Compare with", list(GROUPS), key="g_group", format_func=GROUPS.get, horizontal=True)
    st.toggle("Presenter mode", key="g_present", help="Hide the controls and enlarge everything for screen sharing.")

params.update(borough=st.session_state["g_borough"], end=st.session_state["g_end"].strftime("%Y-%m"),
              group=st.session_state["g_group"])
if presenting:
    params["present"] = "1"
    st.markdown(present.PRESENTER_CSS, unsafe_allow_html=True)
elif "present" in params:
    del params["present"]

boroughs = {b.name: b for b in london_boroughs()}
comparators = {
    "all": list(info.boroughs),
    "outer": [b for b in info.boroughs if boroughs[b].inner_outer == "Outer"],
    "similar": [b for b in settings["similar_boroughs"] if b in info.boroughs],
}

priority_pages = {p.id.replace("_", "-"): p for p in config.priorities}
board = [st.Page("pages/overview.py", title="Overview", icon=":material/table_chart:", default=True)]
board += [st.Page("pages/priority.py", title=p.title, url_path=path, icon=":material/flag:")
          for path, p in priority_pages.items()]
analysis = [
    st.Page("pages/explore.py", title="Explore", icon=":material/query_stats:"),
    st.Page("pages/rankings.py", title="Rankings", icon=":material/leaderboard:"),
    st.Page("pages/wards.py", title="Wards", icon=":material/location_on:"),
]
data_pages = [st.Page("pages/data.py", title="Data", icon=":material/database:")]
page = st.navigation({"Board": board, "Analysis": analysis, "Data": data_pages}, position="top" if presenting else "sidebar")

st.session_state["sbp"] = {
    "version": version, "info": info, "settings": settings, "config": config,
    "borough": st.session_state["g_borough"], "end": st.session_state["g_end"], "group": st.session_state["g_group"],
    "comparators": comparators, "group_label": GROUPS[st.session_state["g_group"]], "present": presenting,
    "priority": priority_pages.get(page.url_path),
}

if info.is_synthetic:
    st.warning("**Synthetic demo data.** These figures are generated for demonstration and are not real crime data.",
               icon=":material/science:")
if built_demo:
    st.info("No data store was found, so the synthetic demo data was built. Load real extracts on the Data page or "
            "with `python -m sbp ingest`.", icon=":material/info:")
for notice in st.session_state.pop("g_notices", []):
    st.info(notice, icon=":material/link_off:")
st.markdown(f'<div class="sbp-stamp">{present.esc(present.data_stamp(info.last_month, info.loaded_at))}</div>',
            unsafe_allow_html=True)

page.run()

if presenting:
    st.divider()
    st.button("Exit presenter mode", key="g_exit_present", type="tertiary",
              on_click=lambda: st.session_state.update(g_present=False))
