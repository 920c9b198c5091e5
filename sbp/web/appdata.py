"""App-side data access for the Streamlit pages (sbp/web is the only place in sbp that imports streamlit).

Every cached function takes `inputs` first: the data version, the settings in force and the measures
configuration, as one key (see inputs()). A new ingest, a settings change or a configuration change gives a new
key, so it is picked up on the next interaction, on every page, and nothing stale is ever served.
The connection is a cached resource per data version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd
import streamlit as st

from sbp.display.formatting import literal
from sbp import metrics, store
from sbp.metrics import materialized, profile
from sbp.metrics.groups import area_groups
from sbp.store import queries as store_queries, status as store_status
from sbp.web import urlstate
from sbp.config import Config, config_fingerprint, default_config, london_boroughs, measure_options, police_uk_measures
from sbp.ingest.demo import build_demo
from sbp.metrics.periods import month_range, rolling_year_ends, two_year_window
from sbp.config.settings import load_settings, settings_fingerprint
from sbp.config.sources import POLICE_UK


def inputs() -> str:
    """What every cached value depends on, as one key: 'data version|settings fingerprint|config fingerprint'.

    Reading the settings and configuration raises a one-line ConfigError when either is invalid.
    """
    return "|".join((store.data_version(), settings_fingerprint(settings()), config_fingerprint(config())))


def _data_version(inputs: str) -> str:
    return inputs.split("|", 1)[0]


def ensure_store() -> bool:
    """Build the synthetic demo store if none exists; True when it was built now."""
    if store.exists():
        return False
    with st.spinner("First run: building the synthetic demo data (a few seconds)..."):
        build_demo()
    return True


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(data_version: str) -> duckdb.DuckDBPyConnection:
    return store.connect_read(version=data_version)


def cursor(inputs: str) -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the cached read-only connection for the data version of inputs."""
    return _connection(_data_version(inputs)).cursor()


@dataclass(frozen=True)
class StoreInfo:
    """What the pages need to know about the loaded data."""

    first_month: dt.date
    last_month: dt.date
    valid_ends: tuple[dt.date, ...]   # end months with a full rolling year loaded (borough level)
    months: tuple[dt.date, ...]       # every month from the first loaded to the last
    boroughs: tuple[str, ...]         # areas that can be ranked: London boroughs, other areas with a population
    forces: dict[str, str]            # area -> its comparator group (metrics.groups.area_groups: by default its
                                      # police force, 'London' for the Met's; or 'All areas', or a listed group)
    has_police_uk: bool               # police.uk street-level data is loaded
    wards: dict[str, tuple[str, ...]]  # borough -> its wards with data
    is_synthetic: bool
    loaded_at: dt.datetime | None
    majors: tuple[str, ...]
    minors: tuple[tuple[str, str], ...]  # (major, minor)
    # (major, minor) as loaded at ward level: the spellings the ward rows carry (resolve_measures' labels there)
    ward_minors: tuple[tuple[str, str], ...] = ()


# Read on every view and never changed by a page: handed back as it is (st.cache_resource), not copied.
@st.cache_resource(max_entries=4, show_spinner=False)
def store_info(inputs: str) -> StoreInfo:
    """Loaded months, areas, categories and the synthetic flag."""
    con = cursor(inputs)
    first, last = metrics.month_span(con)
    ends = rolling_year_ends(first, last)
    london = {b.name for b in london_boroughs()}
    areas = con.execute(store_queries.AREAS_ALL_LEVELS_SQL).fetchall()
    # Each area's comparator group as the comparisons total it (the `comparator` setting: its force by default).
    forces = dict(area_groups(con, settings()))
    with_population = {r[0] for r in con.execute(store_queries.AREAS_WITH_POPULATION_SQL).fetchall()}
    # London boroughs as before (the airports area is not one); elsewhere the areas of a force with a population.
    boroughs = tuple(sorted({a for level, a, _ in areas if level == "borough" and a in forces
                             and (a in london or a in with_population)}))
    wards: dict[str, list[str]] = {}
    for level, name, borough in areas:
        if level == "ward":
            wards.setdefault(borough, []).append(name)
    cats = metrics.loaded_categories(con)
    mps = cats[cats["source"].isin(metrics.MPS_SOURCES)]
    ward_cats = metrics.loaded_categories(con, "ward")
    ward_mps = ward_cats[ward_cats["source"].isin(metrics.MPS_SOURCES)]
    loaded_at = con.execute(store_queries.LAST_LOADED_SQL).fetchone()[0]
    return StoreInfo(
        first_month=first, last_month=last, valid_ends=tuple(ends), months=tuple(month_range(first, last)), boroughs=boroughs, forces=forces,
        has_police_uk=bool(len(cats[cats["source"] == POLICE_UK])),
        wards={b: tuple(sorted(w)) for b, w in wards.items()}, is_synthetic=store.is_synthetic(con),
        loaded_at=loaded_at, majors=tuple(sorted(set(mps["major_category"]))),
        minors=tuple(sorted(set(zip(mps["major_category"], mps["minor_category"])))),
        ward_minors=tuple(sorted(set(zip(ward_mps["major_category"], ward_mps["minor_category"])))),
    )


@st.cache_data(max_entries=8, show_spinner=False)
def latest_month(inputs: str, level: str = "borough") -> dt.date:
    """The latest month loaded at a level."""
    return metrics.latest_month(cursor(inputs), level)


@st.cache_resource(max_entries=16, show_spinner=False)
def period_coverage(inputs: str, area: str) -> metrics.PeriodCoverage:
    """The board measures unknown at each end month for area, and the default end month (metrics.period_coverage)."""
    return metrics.period_coverage(cursor(inputs), area, config=config(), settings=settings())


@st.cache_data(max_entries=64, show_spinner=False)
def headline(inputs: str, area: str, end: dt.date) -> pd.DataFrame:
    """The board table for one borough (every configured measure)."""
    return metrics.headline(cursor(inputs), area, end, config=config(), settings=settings())


@st.cache_data(max_entries=256, show_spinner=False)
def unavailable_reason(inputs: str, measure_id: str, end: dt.date, level: str = "borough", negative: bool = False,
                       area: str | None = None) -> str:
    """Why a configured measure has no figure for an area's rolling years to end (a data error when negative)."""
    con = cursor(inputs)
    measure = measure_for(con, measure_id, level)
    reason = metrics.unavailable_reason(con, measure, end, level=level, negative=negative, area=area, config=config())
    return reason or f"{measure.label}: no comparison for this period."


@st.cache_data(max_entries=64, show_spinner=False)
def measure_sources(inputs: str, measure_id: str) -> str:
    """The published formats a configured measure's loaded figures come from, in words ('' when none is loaded)."""
    from sbp.ingest.formats import FORMAT_LABELS

    mapping, _ = metrics.measure_frames(cursor(inputs), [config().measures[measure_id]], config())
    return "; ".join(FORMAT_LABELS.get(s, s) for s in sorted(set(mapping["source"])))


@st.cache_data(max_entries=64, show_spinner=False)
def measure_units(inputs: str, measure_id: str) -> str:
    """What a configured measure or an ad-hoc 'major:X' / 'minor:X' category counts (Measure.units)."""
    return measure_for(cursor(inputs), measure_id).units


@st.cache_data(max_entries=32, show_spinner=False)
def quality_warnings(inputs: str, end: dt.date) -> list[str]:
    """Data-quality warnings for months in the two rolling years to end (e.g. many offences in borough 'Unknown')."""
    return store.quality_warnings(cursor(inputs), *two_year_window(end))


@st.cache_data(max_entries=64, show_spinner=False)
def league(inputs: str, measure_id: str, end: dt.date, level: str = "borough", within: str | None = None) -> pd.DataFrame:
    """The league table for a configured measure or an ad-hoc 'major:X' / 'minor:X' category."""
    con = cursor(inputs)
    return metrics.league(con, measure_for(con, measure_id, level), end, level=level, within=within, config=config(),
                          settings=settings())


@st.cache_data(max_entries=64, show_spinner=False)
def series(
    inputs: str, areas: tuple[str, ...], measure_ids: tuple[str, ...], start: dt.date | None, end: dt.date | None,
    level: str = "borough", include_comparator: bool = False,
) -> pd.DataFrame:
    """Monthly series for areas x measures (configured ids or 'major:X' / 'minor:X')."""
    con = cursor(inputs)
    measures = [measure_for(con, m, level) for m in measure_ids]
    return metrics.series(con, list(areas), measures, start, end, level=level, include_comparator=include_comparator,
                          config=config())


@st.cache_data(max_entries=16, show_spinner=False)
def exceptions(inputs: str, end: dt.date | None, level: str, within: str | None, by: str = "minor",
               include_comparator: bool = False, measure_ids: tuple[str, ...] | None = None) -> metrics.ExceptionScan:
    """Exceptions: a month's counts outside their expected range, and what the scan was based on."""
    return metrics.exceptions(cursor(inputs), end, level=level, within=within, by=by, include_comparator=include_comparator,
                              config=config(), settings=settings(), measure_ids=measure_ids)


@st.cache_data(max_entries=4, show_spinner=False)
def loaded_files(inputs: str) -> pd.DataFrame:
    """The provenance table."""
    return cursor(inputs).execute(store_queries.FILES_SQL).df().drop(columns="file_id")


NOT_MONTHLY = "not monthly"  # a file with no months (populations, lookups): its first and last month
FILES_CELL_STYLE = {  # long unbroken names and hashes wrap inside their cell rather than push the table off the page
    "File": "overflow-wrap:anywhere", "SHA-256": "word-break:break-all;font-family:monospace;font-size:0.75rem",
    "First month": "white-space:nowrap", "Last month": "white-space:nowrap", "Loaded": "white-space:nowrap",
}


def files_cell_style(column: str, _text: str) -> str:
    """Inline CSS for a cell of files_table (table_html's cell_style)."""
    return FILES_CELL_STYLE.get(column, "")


def files_table(files: pd.DataFrame) -> pd.DataFrame:
    """The provenance table as the Data page shows it: every cell text, months as 'Mar 2024' (or 'not monthly'),
    counts with thousands separators, the load time to the minute."""

    def month(value) -> str:
        return NOT_MONTHLY if pd.isna(value) else f"{value:%b %Y}"

    def count(value) -> str:
        return "" if pd.isna(value) else f"{int(value):,}"

    return pd.DataFrame({
        "File": files["file_name"].astype(str), "Format": files["file_format"].astype(str),
        "Rows": [count(n) for n in files["row_count"]],
        "First month": [month(v) for v in files["first_month"]], "Last month": [month(v) for v in files["last_month"]],
        "Months replaced": [count(n) for n in files["months_replaced"]],
        "Loaded": ["" if pd.isna(v) else f"{v:%-d %b %Y, %H:%M}" for v in files["loaded_at"]],
        "SHA-256": files["sha256"].astype(str),
    })


@st.cache_data(max_entries=4, show_spinner=False)
def coverage_lines(inputs: str) -> list[str]:
    """Each source's months per level (and police.uk force), with the months missing inside its span."""
    return store_status.coverage_lines(cursor(inputs))


@st.cache_data(max_entries=4, show_spinner=False)
def cube_note(inputs: str) -> str | None:
    """What to tell the admin when the stored comparison cube does not answer under this version's queries and the
    current settings (pages then compute live), else None."""
    stale = materialized.state(cursor(inputs), config=config(), settings=settings()) == materialized.STALE
    return f"Slower than it should be: {materialized.STALE_NOTE}" if stale else None


@st.cache_data(max_entries=64, show_spinner=False)
def spine(inputs: str, area: str, end: dt.date) -> pd.DataFrame:
    """The spine chart's figures for every board measure of an area (sbp.metrics.profile.spine), one query for the
    Overview's charts and the priority pages' (each row is its measure's alone)."""
    return profile.spine(cursor(inputs), area, end, config=config(), settings=settings())


@st.cache_data(max_entries=64, show_spinner=False)
def funnel(inputs: str, measure_id: str, end: dt.date, area: str, overdispersed: bool) -> profile.Funnel:
    """The funnel plot's figures for a measure in the area's comparator group (sbp.metrics.profile.funnel)."""
    con = cursor(inputs)
    return profile.funnel(con, measure_for(con, measure_id), end, area, overdispersed, config=config(),
                          settings=settings())


def in_group_of(league_rows: pd.DataFrame, focus: str, group: str | None = None) -> pd.DataFrame:
    """The league rows of the focus area's comparator group (every group is ranked in its own league).

    group: the focus's comparator group, for a focus the league leaves out (no population): never another group's rows.
    """
    if "comparator_name" not in league_rows:
        return league_rows
    found = league_rows.loc[league_rows["area_name"] == focus, "comparator_name"]
    group = found.iloc[0] if len(found) else group
    return league_rows if group is None else league_rows[league_rows["comparator_name"] == group]


def measure_choices(info: StoreInfo, include_majors: bool = True, level: str = "borough") -> tuple[list[str], dict[str, str]]:
    """Selectable measures: configured ones, the police.uk ones when police.uk data is loaded, then whole MPS
    majors ('major:X') and minors ('minor:X'), with labels.

    At ward level (no majors) the minors are those loaded for wards, each labelled as the ward rows name it (its
    spelling at that level, as resolve_measures gives it), so 'SHOPLIFTING' of a borough-only scheme is not offered.
    """
    config = default_config()
    builtin = {k: m for k, m in police_uk_measures().items() if k not in config.measures} if info.has_police_uk else {}
    if builtin:
        config = dataclasses.replace(config, measures=config.measures | builtin)
    minors = info.ward_minors if level == "ward" else info.minors
    return measure_options(config, info.majors if include_majors else (), [minor for _, minor in minors])


def seed_from_url(key: str, param: str, options: list[str], default: str, what: str,
                  labels: dict[str, str] | None = None) -> None:
    """Before a widget's first draw in a session, take its value from the link (checked), with a notice if refused
    that names the default by its label."""
    if key in st.session_state:
        return
    default = default if default in options else options[0]  # a partnership's measures may not include the usual one
    st.session_state[key], notice = urlstate.pick(st.query_params.get(param), options, default, what,
                                                  label=(labels or {}).get)
    if notice:
        st.info(literal(notice), icon=":material/link_off:")


def measure_for(con: duckdb.DuckDBPyConnection, measure_id: str, level: str = "borough") -> metrics.Measure:
    """A configured measure by id, or an ad-hoc one from 'major:NAME' / 'minor:NAME'."""
    kind, _, name = measure_id.partition(":")
    if kind == "major" and name:
        return metrics.resolve_measures(con, major=name, level=level)[0]
    if kind == "minor" and name:
        return metrics.resolve_measures(con, minor=name, level=level)[0]
    return metrics.resolve_measures(con, measure=measure_id)[0]


def settings() -> dict:
    """The settings in force (read again when the settings file changes)."""
    return load_settings()


def config() -> Config:
    """The measures and priorities configuration (read again when data/measures.toml changes)."""
    return default_config()
