"""What every page reads: the data key, what is loaded, the settings and the global controls, as one typed value
that app.py builds once per run (`page_context`) and each page takes with `current()`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from sbp.config import COMPARATOR_GROUPS, Config, Priority
from sbp.metrics.groups import Comparators, comparators_for
from sbp.web import urlstate
from sbp.web.appdata import StoreInfo

T = TypeVar("T")
KEY = "sbp"  # the session-state key of this run's PageContext
GLOBALS = ("borough", "end", "group", "present")  # the global controls, kept in session state as sbp_<name>


@dataclass(frozen=True)
class PageContext:
    """This run's shared state: data, configuration and the global controls (focus area, period end, subgroup)."""

    inputs: str                   # what every cached value depends on (appdata.inputs())
    info: StoreInfo
    settings: dict[str, Any]
    config: Config
    borough: str                  # the focus area
    end: dt.date                  # the last month of the rolling year shown
    group: str                    # the comparator subgroup chosen ('all', 'outer', 'inner', 'similar')
    comparators: Comparators
    present: bool                 # presenter mode
    priority: Priority | None     # the priority of the page being shown (None on the other pages)

    @property
    def comparator(self) -> str:
        """The focus area's comparator: its force area ('London' for the Met's)."""
        return self.comparators.name

    @property
    def group_label(self) -> str:
        """The chosen subgroup's label ('All London')."""
        return self.comparators.label(self.group)

    @property
    def group_areas(self) -> list[str]:
        """The areas of the chosen subgroup, the focus among them."""
        return self.comparators.members[self.group]

    @property
    def area_word(self) -> str:
        """What the areas are called: 'borough' in London, else 'area'."""
        return "borough" if self.comparator == "London" else "area"


def from_link(params: Mapping[str, str], info: StoreInfo, settings: Mapping[str, Any],
              default_end: Callable[[str], dt.date]) -> tuple[dict[str, Any], list[str]]:
    """The global controls for a session's first run, taken from the link and checked against what is loaded
    (?area= opens the dashboard for any area; ?borough= is the older spelling), with a notice for each refusal.

    default_end(area) is the period an area opens at: the latest month with every board measure known."""
    focus = settings["focus_borough"]
    default_borough = focus if focus in info.boroughs else info.boroughs[0]
    borough, note1 = urlstate.pick(params.get("area") or params.get("borough"), info.boroughs, default_borough, "area")
    end, note2 = urlstate.pick_month(params.get("end"), info.valid_ends, default_end(borough), "period end")
    group, note3 = urlstate.pick(params.get("group"), list(COMPARATOR_GROUPS), "all", "comparator group")
    note0 = None if focus in info.boroughs or borough != default_borough else (  # a link's own area needs no notice
        f"The focus area in the settings, {focus!r}, is not in the loaded data; "
        f"showing {default_borough} instead. Check focus_borough in the settings file.")
    state = {"sbp_borough": borough, "sbp_end": end, "sbp_group": group,
             "sbp_present": urlstate.is_on(params.get("present"))}
    return state, [n for n in (note0, note1, note2, note3) if n]


def settle(state: MutableMapping[str, Any], info: StoreInfo, settings: Mapping[str, Any],
           default_end: Callable[[str], dt.date]) -> Comparators:
    """The focus area's comparators; a subgroup it does not have becomes 'all', and a period end no longer loaded
    (a new extract can move the loaded months under a session) the area's default."""
    comparators = comparators_for(state["sbp_borough"], info.boroughs, info.forces, settings["similar_boroughs"])
    if state["sbp_group"] not in comparators.labels:
        state["sbp_group"] = "all"
    if state["sbp_end"] not in info.valid_ends:
        state["sbp_end"] = default_end(state["sbp_borough"])
    return comparators


def page_context(state: Mapping[str, Any], inputs: str, info: StoreInfo, settings: dict[str, Any], config: Config,
                 comparators: Comparators, url_path: str) -> PageContext:
    """The context of this run, from the session's global controls and the page being shown."""
    return PageContext(inputs=inputs, info=info, settings=settings, config=config, borough=state["sbp_borough"],
                       end=state["sbp_end"], group=state["sbp_group"], comparators=comparators,
                       present=state["sbp_present"], priority=priority_paths(config).get(url_path))


def priority_paths(config: Config) -> dict[str, Priority]:
    """Each priority by the url path of its page ('safer-neighbourhoods')."""
    return {p.id.replace("_", "-"): p for p in config.priorities}


def neighbours(slides: Sequence[T], here: T) -> tuple[T | None, T | None] | None:
    """(the slide before here, the slide after), None at either end; None when here is not a slide."""
    index = next((i for i, slide in enumerate(slides) if slide is here), None)
    if index is None:
        return None
    return (slides[index - 1] if index > 0 else None), (slides[index + 1] if index + 1 < len(slides) else None)


def current() -> PageContext:
    """The context app.py built for this run (pages call this first)."""
    return st.session_state[KEY]
