"""The metrics layer: rolling-year comparisons, rates, ranks, significance, RAG, series and exceptions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from sbp.metrics import materialized as stored_cube
from sbp.metrics import intervals, queries
from sbp.store import queries as store_queries
from sbp.metrics.groups import area_groups
from sbp.config.areas import find_area
from sbp.config import DEFAULT_UNITS, Config, Measure, config_fingerprint, default_config, police_uk_measures, schemes
from sbp.errors import AmbiguousNameError, PeriodError, SbpError, UnknownNameError
from sbp.metrics.periods import add_months, month_label, months_between, parse_month, rolling_year_ends
from sbp.config.settings import load_settings
from sbp.config.sources import MPS_SOURCES, POLICE_UK, SERIES_SOURCES


class _Deferred:
    """A module imported where first used, then bound in its place: pandas and numpy take about 0.4 s to import,
    and what imports this package's pandas-free modules (an ingest, `sbp status`) never uses them."""

    def __init__(self, name: str, alias: str) -> None:
        self._name, self._alias = name, alias

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self._name)
        globals()[self._alias] = module
        return getattr(module, attribute)


if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from sbp.metrics import rules
else:
    np, pd = _Deferred("numpy", "np"), _Deferred("pandas", "pd")
    rules = _Deferred("sbp.metrics.rules", "rules")  # numpy: `sbp status` reads periods from this package without it

CONTRACT_FIELDS = (
    "area", "end", "measure", "current", "previous", "change", "pct_change", "rate_per_1000",
    "rate_per_1000_previous", "rank", "rank_of", "rank_previous", "significant", "rag",
    "comparator_current", "comparator_previous", "comparator_pct_change",
)
# The comparator's figures (its group's total, % change and rate); JSON also names them london_* when it is London.
COMPARATOR_FIELDS = ("current", "previous", "pct_change", "rate_per_1000", "rate_per_1000_previous")


# --- what to count --------------------------------------------------------------------------

def loaded_categories(con: duckdb.DuckDBPyConnection, level: str = "borough") -> pd.DataFrame:
    """The (source, major_category, minor_category) triples loaded at a level."""
    return con.execute(queries.CATEGORIES_SQL, {"level": level}).df()


def resolve_measures(
    con: duckdb.DuckDBPyConnection,
    measure: str | None = None,
    major: str | None = None,
    minor: str | None = None,
    config: Config | None = None,
    level: str = "borough",
) -> list[Measure]:
    """One configured measure by id or label, or an ad-hoc measure for one MPS major or minor category."""
    config = config or default_config()
    if measure is not None:
        known = police_uk_measures() | config.measures
        by_label = {m.label.lower(): m for m in known.values()}
        found = known.get(measure) or by_label.get(measure.lower())
        if found is None:
            raise UnknownNameError("measure", measure, list(known) + [m.label for m in known.values()])
        return [found]
    cats = loaded_categories(con, level)
    mps = cats[cats["source"].isin(MPS_SOURCES)]
    for kind, name in (("major", major), ("minor", minor)):
        if name is None:
            continue
        known = sorted(set(mps[f"{kind}_category"]) | set(config.aliases.get(kind, {})))
        match = next((k for k in known if k.lower() == name.lower()), None)
        if match is None:
            raise UnknownNameError(f"{kind} category", name, known)
        return [Measure(id=f"{kind}:{match}", label=match, **{f"{kind}s": (match,)})]
    raise UnknownNameError("measure", "", list(config.measures))


_FRAMES_CACHE: dict[tuple, tuple[pd.DataFrame, pd.DataFrame]] = {}


def _database_path(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(store_queries.DATABASE_PATH_SQL).fetchone()[0]


_FACTS: dict[tuple, Any] = {}


def _fact(version: str | None, name: tuple, compute: Callable[[], Any]) -> Any:
    """What compute() reads from a store version, kept per version file (a published version never changes).

    version: the read-only version file's path (_version), or None to always compute (a store being written).
    """
    if version is None:
        return compute()
    key = (version, *name)
    if key not in _FACTS:
        if len(_FACTS) > 1024:
            _FACTS.clear()
        _FACTS[key] = compute()
    return _FACTS[key]


_VERSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The path of the store version con reads when it is a file opened read-only, else None (asked once per con)."""
    try:
        return _VERSIONS[con]
    except KeyError:
        version = _VERSIONS[con] = con.execute(store_queries.READ_ONLY_PATH_SQL).fetchone()[0]
        return version


def measure_frames(
    con: duckdb.DuckDBPyConnection, measures: Sequence[Measure], config: Config | None = None, level: str = "borough"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """measure_map (the exact loaded category pairs each measure counts) and measure_info frames.

    Cached per store version file (each version has its own path), measures, configuration and level.
    """
    config = config or default_config()
    key = (_database_path(con), tuple(measures), config_fingerprint(config), level)
    if key not in _FRAMES_CACHE:
        if len(_FRAMES_CACHE) > 256:
            _FRAMES_CACHE.clear()
        _FRAMES_CACHE[key] = _measure_frames(con, measures, config, level)
    return _FRAMES_CACHE[key]


def _measure_frames(
    con: duckdb.DuckDBPyConnection, measures: Sequence[Measure], config: Config, level: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    categories = con.execute(queries.CATEGORIES_SQL, {"level": level}).fetchall()
    # A difference measure (non-domestic violence with injury) is defined at borough level only.
    counted = [m for m in measures if level == "borough" or not m.minus]
    rows = stored_cube.measure_rows(categories, counted, config)
    mapping = pd.DataFrame(rows, columns=list(stored_cube.MAP_COLUMNS)).astype(
        {c: "string" for c in stored_cube.MAP_COLUMNS[:-1]} | {"sign": "int32"})
    info = pd.DataFrame(stored_cube.info_rows(measures, config), columns=list(stored_cube.INFO_COLUMNS))
    return mapping, info


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict, mapping: pd.DataFrame, info: pd.DataFrame,
         groups: pd.DataFrame | None = None) -> pd.DataFrame:
    cur = con.cursor()
    try:
        cur.register("measure_map", mapping)
        cur.register("measure_info", info)
        if groups is not None:
            cur.register("area_group", pd.DataFrame(groups, columns=["area_name", "group_name"], dtype="string"))
        return cur.execute(sql, params).df()
    finally:
        cur.close()


# --- periods --------------------------------------------------------------------------------

def month_span(con: duckdb.DuckDBPyConnection, level: str = "borough") -> tuple[dt.date, dt.date]:
    """First and last month loaded at a level."""
    first, last = _fact(_version(con), ("month_span", level),
                        lambda: con.execute(queries.MONTH_SPAN_SQL, {"level": level}).fetchone())
    if first is None:
        raise PeriodError(f"No {level}-level data is loaded yet; load an extract with `python -m sbp ingest`.")
    return first, last


def check_end(con: duckdb.DuckDBPyConnection, end: str | dt.date, level: str = "borough") -> dt.date:
    """Parse an end month and check a full rolling year ending there is loaded."""
    month = parse_month(end)
    first, last = month_span(con, level)
    earliest = add_months(first, 11)
    if not earliest <= month <= last:
        raise PeriodError(
            f"No rolling year to {month_label(month)}: {level}-level data is loaded from {month_label(first)} to "
            f"{month_label(last)}, so the end month must be between {month_label(earliest)} and {month_label(last)}."
        )
    return month


def latest_month(con: duckdb.DuckDBPyConnection, level: str = "borough") -> dt.date:
    """The latest month loaded at a level."""
    return month_span(con, level)[1]


def levels_loaded(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The area levels (borough, ward, lsoa) with any month loaded."""
    return [r[0] for r in con.execute(store_queries.LEVELS_LOADED_SQL).fetchall()]


# --- why a figure is unknown ----------------------------------------------------------------

SCHEME_NAMES = {"current": "current (2024 on)", "2021-23": "2021-23"}


def unavailable_reason(
    con: duckdb.DuckDBPyConnection, measure: Measure, end: str | dt.date, level: str = "borough",
    config: Config | None = None, negative: bool = False, area: str | None = None,
) -> str | None:
    """Why the rolling years to end (this one and the one before) are unknown for a measure, or None if both are known.

    negative=True: the figure came out negative, which for a difference measure is a data error. area: the area
    asked about, so a police.uk area's months are its own force's (another force's months never stand in).
    """
    config = config or default_config()
    end = parse_month(end)
    if negative:
        return (f"{measure.label}: data error, the figure comes out negative (more offences subtracted than counted); "
                "it is not shown. Check that both files cover the same areas and months.")
    if measure.minus:
        if level != "borough":
            return f"{measure.label} is defined at borough level only."
        subtracted = config.measures[measure.minus]
        for part in (dataclasses.replace(measure, minus=None, label=f"{measure.label} (before subtracting "
                                         f"{subtracted.label.lower()})"), subtracted):
            if reason := unavailable_reason(con, part, end, level, config, area=area):
                return f"{measure.label} needs both of its parts for every month. {reason}"
        return None
    mapping, _ = measure_frames(con, [measure], config, level)
    sources = sorted(set(mapping["source"]) | (set(MPS_SOURCES) if measure.all or measure.majors or measure.minors else set()))
    unit = con.execute(queries.AREA_UNIT_SQL, {"level": level, "area": area}).fetchone()[0] if area else None
    rows = con.execute(queries.MONTH_SCHEMES_SQL, {"level": level, "sources": sources, "unit": unit}).fetchall()
    whose = f" in {unit}'s police.uk files" if unit and POLICE_UK in sources else ""
    if not rows:
        if measure.published_in:
            where = f"it comes from the {measure.published_in}"
        elif measure.police_uk or measure.police_uk_except is not None:
            where = "it is counted from police.uk street-level files"
        else:
            where = "no loaded file has the categories it counts"
        # The same words for every area (a league's rows and one area's card share the reason).
        return f"{measure.label}: no data loaded; {where}."
    defined = set(schemes.resolve(measure, config)[2])
    months = {m: s for m, s in rows}
    wanted = [add_months(end, -i) for i in range(24)]
    undefined = sorted({sc for m in wanted if m in months for sc in months[m].split(",") if sc not in defined})
    if undefined:
        names = " and ".join(SCHEME_NAMES.get(sc, sc) for sc in undefined)
        return (f"{measure.label} is not defined in the {names} MPS category scheme of some of these months "
                "(its categories were merged or split), so it is unknown there, not zero.")
    last = max(months) if months else None
    if last is not None and last < end:
        return f"{measure.label}: its data{whose} runs only to {month_label(last)}."
    missing = [m for m in wanted if m not in months]
    if len(missing) == 24:
        return f"{measure.label}: no data{whose} for these months."
    earlier = wanted[12:]  # the year compared with
    if set(earlier) <= set(missing):  # the whole previous year: said as a year, not as a list of months
        also = [m for m in missing if m not in earlier]
        year = f"the previous year ({_span_text(earlier)}) is not loaded{whose}"
        if also:
            return f"{measure.label}: {year}, nor {_months_text(also)}, so neither rolling year is known."
        return f"{measure.label}: {year}, so the year to {month_label(end)} has nothing to compare with."
    if missing:
        them = "it" if len(missing) == 1 else "them"
        return (f"{measure.label}: no data for {_months_text(missing)} (not loaded{whose}), "
                f"so a rolling year including {them} is unknown.")
    return None


def _span_text(months: Sequence[dt.date]) -> str:
    """'Jan to Dec 2022' (one calendar year), 'Dec 2021 to Nov 2022'."""
    first, last = min(months), max(months)
    start = f"{first:%b}" if first.year == last.year else month_label(first)
    return f"{start} to {month_label(last)}"


MONTHS_NAMED = 4  # a reason names every missing month up to this many; beyond, the first and the count


def _months_text(months: Sequence[dt.date]) -> str:
    """'Dec 2023', 'Dec 2023, Jan 2024 and Feb 2024' (every month, up to MONTHS_NAMED), '7 months from Dec 2023'."""
    months = sorted(months)
    if len(months) > MONTHS_NAMED:
        return f"{len(months)} months from {month_label(months[0])}"
    named = [month_label(m) for m in months]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


# --- comparisons ----------------------------------------------------------------------------

def _significance(current: pd.Series, previous: pd.Series, alpha: float) -> tuple[pd.Series, pd.Series]:
    """Exact conditional test of two Poisson counts over equal periods (rules.significance): p-value, significant."""
    p, significant = rules.significance(current.to_numpy(dtype="float64", na_value=np.nan),
                                        previous.to_numpy(dtype="float64", na_value=np.nan), alpha)
    flags = pd.arrays.BooleanArray(significant == 1, np.isnan(significant))
    return pd.Series(p, index=current.index), pd.Series(flags, index=current.index)


def _rag(frame: pd.DataFrame, rule: str) -> pd.Series:
    """Green / Amber / Red by the rule and each measure's direction (rules.rag); None without a comparison."""
    def floats(column: str) -> np.ndarray:
        return frame[column].to_numpy(dtype="float64", na_value=np.nan)

    significant = frame["significant"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(rules.rag(floats("current"), floats("previous"), floats("change"), floats("pct_change"),
                               floats("comparator_pct_change"), significant, frame["direction"].to_numpy(dtype=object),
                               rule), index=frame.index, dtype="object")


def comparisons(
    con: duckdb.DuckDBPyConnection,
    measures: Sequence[Measure],
    first_end: dt.date,
    last_end: dt.date | None = None,
    level: str = "borough",
    within: str | None = None,
    config: Config | None = None,
    settings: dict[str, Any] | None = None,
    area: str | None = None,
    given_order: bool = False,
) -> pd.DataFrame:
    """Every measure x area x end month in [first_end, last_end] with counts, rates, ranks, London, significance, RAG.

    area keeps only that area's rows (ranks and London figures are still over every area). Rows are by measure_id,
    end month and rank; given_order puts one area's rows at one end month in the order measures were given.
    """
    config = config or default_config()
    settings = settings or load_settings()
    last_end = last_end or first_end
    version = _version(con)
    grouping = (repr(settings.get("comparator", "force")), settings.get("comparator_name"))
    groups = _fact(version, ("groups", *grouping), lambda: area_groups(con, settings))
    cached = level == "borough" and within is None and stored_cube.usable(
        con, measures, config, groups, settings, _fact(version, ("cube_key",), lambda: stored_cube.stored_key(con)))
    parents = {m.id: m.parent for m in measures if m.parent}
    if cached:  # the stored cube holds every column, the rules' computed at ingest by the same rules.finish
        if area is not None and first_end == last_end:
            raw = con.execute(queries.CACHED_AREA_MONTH_SQL, {"area": area, "end": first_end}).fetchnumpy()
            place = {m.id: i for i, m in enumerate(measures)} if given_order else \
                {m: i for i, m in enumerate(sorted(m.id for m in measures))}
            at = [place.get(m, -1) for m in raw["measure_id"].tolist()]
            rows = [i for _, i in sorted((p, i) for i, p in enumerate(at) if p >= 0)]  # one row a measure
            return _at_level(_cube_frame({k: v[rows] for k, v in raw.items()}, measures, parents), settings)
        return _at_level(_cube_frame(con.execute(queries.CACHED_COMPARISONS_SQL, {
            "measure_ids": [m.id for m in measures], "first_end": first_end, "last_end": last_end, "area": area,
        }).fetchnumpy(), measures, parents), settings)
    mapping, info = measure_frames(con, measures, config, level)
    rank_by_rate = level == "borough" or bool(
        con.execute(queries.HAS_POPULATION_SQL, {"level": level, "within": within}).fetchone()[0])
    frame = _run(con, queries.COMPARISON_SQL, {
        "first_end": first_end, "last_end": last_end, "level": level, "within": within, "rank_by_rate": rank_by_rate,
    }, mapping, info, groups)
    if area is not None:
        frame = frame[frame["area_name"] == area].reset_index(drop=True)
        if given_order and first_end == last_end:
            order = {m.id: i for i, m in enumerate(measures)}
            frame = frame.take(np.argsort([order[m] for m in frame["measure_id"]], kind="stable")).reset_index(drop=True)
    frame["end_month"] = pd.to_datetime(frame["end_month"]).dt.date
    frame["negative_count"] = frame["negative_count"].fillna(False).astype(bool)
    for col in ("current", "previous", "change", "rank", "rank_of", "rank_previous", "rank_of_previous",
                "comparator_current", "comparator_previous", "population"):
        frame[col] = frame[col].astype("Int64")
    if level != "borough":
        for col in ("comparator_current", "comparator_previous", "comparator_rate_per_1000",
                    "comparator_rate_per_1000_previous", *intervals.limit_names("comparator_rate")):
            frame[col] = pd.NA
    columns = {c: frame[c].to_numpy(dtype="float64", na_value=np.nan) for c in RULE_NUMBERS}
    columns |= {c: frame[c].to_numpy(dtype=object) for c in ("measure_id", "area_name", "borough", "end_month")}
    directions = {m.id: m.direction for m in measures}
    columns["direction"] = [directions[m] for m in columns["measure_id"]]
    done = rules.finish(columns, parents, settings["significance_level"], settings["rag_rule"],
                        settings["benchmark_confidence"])
    frame["comparator_pct_change"] = pd.array(done["comparator_pct_change"], dtype="Float64")
    frame["p_value"] = done["p_value"]
    frame["significant"] = pd.arrays.BooleanArray(done["significant"] == 1, np.isnan(done["significant"]))
    frame["direction"] = frame["measure_id"].map(directions)
    frame["rag"] = pd.Series(done["rag"], index=frame.index, dtype="object")
    frame["benchmark"] = pd.Series(done["benchmark"], index=frame.index, dtype="object")
    frame["trend"] = pd.Series(done["trend"], index=frame.index, dtype="object")
    frame["trend_p_value"] = done["trend_p_value"]
    frame["rank_basis"] = "rate" if rank_by_rate else "count"
    frame["places_moved"] = pd.array(done["places_moved"], dtype="Int64")  # positive: moved up the table
    frame.insert(1, "measure_label", frame["measure_id"].map({m.id: m.label for m in measures}))
    frame.insert(2, "measure_unit", frame["measure_id"].map({m.id: m.units for m in measures}))
    if parents:
        frame["parent_id"] = frame["measure_id"].map(parents)
        frame["share_of_parent_pct"] = pd.array(done["share_of_parent_pct"], dtype="Float64")
    else:
        frame["parent_id"], frame["share_of_parent_pct"] = None, pd.Series(pd.NA, index=frame.index, dtype="Float64")
    return _at_level(frame, settings)


def _at_level(frame: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
    """Name the confidence level (%) the benchmark word and trend were decided at (benchmark_confidence) on each row."""
    frame["benchmark_confidence"] = float(settings["benchmark_confidence"])
    return frame


# The numbers the rules read from a comparison (as float64, NaN unknown).
RULE_NUMBERS = ("current", "previous", "change", "pct_change", "comparator_current", "comparator_previous", "rank",
                "rank_previous", "comparator_rate_per_1000", *intervals.limit_names(), "trend_z")


# How comparisons() types each column (the live path's types; _cube_frame builds the same from the stored cube).
INT_COLUMNS = frozenset({"current", "previous", "change", "population", "rank", "rank_of", "rank_previous",
                         "rank_of_previous", "comparator_current", "comparator_previous", "places_moved"})
MASKED_FLOAT_COLUMNS = frozenset({"comparator_pct_change", "share_of_parent_pct"})
FLOAT_COLUMNS = frozenset({"pct_change", "rate_per_1000", "rate_per_1000_previous", "comparator_rate_per_1000",
                           "comparator_rate_per_1000_previous", "p_value", "trend_z", "trend_p_value",
                           *intervals.limit_names(), *intervals.limit_names("comparator_rate")})


def _cube_frame(raw: dict[str, np.ndarray], measures: Sequence[Measure], parents: dict[str, str]) -> pd.DataFrame:
    """The stored cube's rows (fetchnumpy) as comparisons() gives them, built column by column without conversions.

    A share of a parent is kept only when the parent was asked for too (as the live path computes it).
    """
    columns: dict[str, Any] = {}
    n = len(raw["measure_id"])
    # A share of a parent the caller did not ask for is unknown, as the live path computes it.
    unasked = ~np.isin(np.ma.getdata(raw["parent_id"]).astype(object), [m.id for m in measures]) if parents else \
        np.ones(n, dtype=bool)
    for name, values in raw.items():
        mask, data = np.ma.getmaskarray(values), np.ma.getdata(values)
        if name == "share_of_parent_pct":
            mask = mask | unasked
        if name in INT_COLUMNS:
            columns[name] = pd.arrays.IntegerArray(np.where(mask, 0, data).astype("int64"), mask)
        elif name in FLOAT_COLUMNS:
            columns[name] = np.where(mask, np.nan, data).astype("float64")
        elif name in MASKED_FLOAT_COLUMNS:
            columns[name] = pd.arrays.FloatingArray(np.where(mask, 0.0, data).astype("float64"), mask)
        elif name == "significant":
            columns[name] = pd.arrays.BooleanArray(np.where(mask, False, data).astype(bool), mask)
        elif name in ("negative_count", "rank_tied"):
            columns[name] = np.where(mask, False, data).astype(bool)
        elif name == "end_month":
            columns[name] = data.astype("datetime64[D]").astype(object)
        elif name in ("rag", "benchmark", "trend"):
            columns[name] = pd.Series(np.where(mask, None, data), dtype="object")
        else:
            columns[name] = pd.array(np.where(mask, None, data).astype(object), dtype="str")
    if not parents:
        columns["parent_id"] = np.full(n, None, dtype=object)
    return pd.DataFrame(columns)


def _check_area(con: duckdb.DuckDBPyConnection, area: str, level: str) -> str:
    version = _version(con)
    areas = _fact(version, ("areas", level),
                  lambda: [r[0] for r in con.execute(queries.AREAS_SQL, {"level": level}).fetchall()])
    # At borough level an area may go by another name, e.g. the ONS 'Bristol, City of'.
    aliases = _fact(version, ("aliases",), lambda: con.execute(queries.AREA_ALIASES_SQL).fetchall()) \
        if level == "borough" else ()
    match = find_area(area, areas, aliases)
    if match is None:
        raise UnknownNameError("area", area, areas)
    return match


def _check_within(con: duckdb.DuckDBPyConnection, within: str, level: str) -> str:
    """A borough as the areas at a level name it (ward data alone is enough to list a borough's wards)."""
    boroughs = [r[0] for r in con.execute(queries.BOROUGHS_AT_LEVEL_SQL, {"level": level}).fetchall()]
    match = find_area(within, boroughs)
    if match is None:
        raise UnknownNameError("borough", within, boroughs)
    return match


def _check_ward(
    con: duckdb.DuckDBPyConnection, ward: str, within: str | None = None, level: str = "ward"
) -> tuple[str, str]:
    """A ward's loaded name and its borough; within names the borough when the ward name is used in several."""
    within = _check_within(con, within, level) if within is not None else None
    rows = [(a, b) for a, b in con.execute(queries.AREAS_SQL, {"level": level}).fetchall() if within in (None, b)]
    match = find_area(ward, [a for a, _ in rows])
    if match is None:
        raise UnknownNameError(level, ward, sorted({a for a, _ in rows}))
    boroughs = sorted({b for a, b in rows if a == match})
    if len(boroughs) > 1:
        raise AmbiguousNameError(f"There is a ward {match!r} in {' and in '.join(boroughs)}; name its borough with "
                                 "--within BOROUGH.")
    return match, boroughs[0]


def _comparator_group(con: duckdb.DuckDBPyConnection, name: str, settings: dict[str, Any]) -> str | None:
    """The comparator group (London, a police force) a name means, matched in any case, or None."""
    return find_area(name, sorted({g for _, g in area_groups(con, settings)}))


def headline(
    con: duckdb.DuckDBPyConnection, area: str, end: str | dt.date, measure_ids: Sequence[str] | None = None,
    config: Config | None = None, settings: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The board table for one borough: every configured measure (or those named), one row each, in config order."""
    config = config or default_config()
    area = _check_area(con, area, "borough")
    end = check_end(con, end)
    ids = list(measure_ids or config.measures)
    return comparisons(con, [config.measures[i] for i in ids], end, config=config, settings=settings, area=area,
                       given_order=True)


@dataclass(frozen=True)
class PeriodCoverage:
    """Which board measures are known at each end month offered, and the default end month that follows."""

    missing: dict[dt.date, tuple[str, ...]]  # end month -> the board measures unknown there (ids, board order)
    default_end: dt.date                      # the latest end month where every board measure that can be known is

    def missing_after_default(self, end: dt.date) -> tuple[str, ...]:
        """The board measures unknown at end that are known at the default (empty at and before it)."""
        known_at_default = set(self.missing.get(self.default_end, ()))
        return tuple(m for m in self.missing.get(end, ()) if m not in known_at_default)


def board_measure_ids(config: Config) -> list[str]:
    """The Overview's measures: every measure of every priority, each once, in board order."""
    return list(dict.fromkeys(m for p in config.priorities for m in p.measures))


def period_coverage(
    con: duckdb.DuckDBPyConnection, area: str, config: Config | None = None, settings: dict[str, Any] | None = None,
) -> PeriodCoverage:
    """For each end month with a full rolling year loaded, the board measures whose comparison for area is unknown.

    The default end month is the latest at which every board measure is known (this year and the year before), not
    counting measures known at no end month at all (never loaded): a board opened there shows no avoidable n/a.
    """
    config = config or default_config()
    area = _check_area(con, area, "borough")
    first, last = month_span(con)
    if first is None or add_months(first, 11) > last:  # no rolling year yet: every figure is n/a with its reason
        return PeriodCoverage(missing={}, default_end=last or first)
    ids = board_measure_ids(config)
    rows = comparisons(con, [config.measures[i] for i in ids], add_months(first, 11), last, config=config,
                       settings=settings, area=area)
    known = rows[rows["current"].notna() & rows["previous"].notna()]
    known_at = {pd.Timestamp(end).date(): set(m) for end, m in known.groupby("end_month")["measure_id"]}
    missing = {end: tuple(i for i in ids if i not in known_at.get(end, set())) for end in rolling_year_ends(first, last)}
    fewest = min(len(m) for m in missing.values())
    default = max(end for end, m in missing.items() if len(m) == fewest)
    return PeriodCoverage(missing=missing, default_end=default)


def default_end(con: duckdb.DuckDBPyConnection, area: str, config: Config | None = None,
                settings: dict[str, Any] | None = None) -> dt.date:
    """The board's default period end for area: the latest month at which every board measure is known (the latest
    month loaded when area is not a borough-level area of the store, e.g. a police force's name)."""
    try:
        return period_coverage(con, area, config, settings).default_end
    except (UnknownNameError, AmbiguousNameError):
        return latest_month(con)


def league(
    con: duckdb.DuckDBPyConnection, measure: Measure, end: str | dt.date, level: str = "borough",
    within: str | None = None, config: Config | None = None, settings: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The league table for one measure: every area at a level (optionally within a borough), best rank first.

    When areas are ranked by rate, areas without a population (the airports area, Aviation Security) are left out
    (unless no area has one): they count towards London but are never in a league.
    """
    settings = settings or load_settings()
    within = _check_within(con, within, level) if within is not None else None
    end = check_end(con, end, level)
    frame = comparisons(con, [measure], end, level=level, within=within, config=config, settings=settings)
    if len(frame) and frame["rank_basis"].iloc[0] == "rate" and frame["population"].notna().any():
        frame = frame[frame["population"].notna()]
    if frame.empty:  # no data for the measure at all: every area, its figures unknown
        groups = dict(area_groups(con, settings)) if level == "borough" else {}
        areas = [(a, b) for a, b in con.execute(queries.AREAS_SQL, {"level": level}).fetchall()
                 if within in (None, b) and (level != "borough" or a in groups)]
        if areas:
            frame = pd.concat([_unknown_row(frame, a, b, groups.get(a), end, measure) for a, b in areas],
                              ignore_index=True)
    frame = _at_level(frame.reset_index(drop=True), settings)
    unknown = (frame["current"].isna() | frame["previous"].isna()).to_numpy()
    negative = frame["negative_count"].fillna(False).astype(bool).to_numpy()
    why = {n: unavailable_reason(con, measure, end, level, config, n) for n in set(negative[unknown])}  # per measure
    frame["reason"] = [(why[n] or _area_reason(measure, end, level, area)) if u else None
                       for u, n, area in zip(unknown, negative, frame["area_name"])]
    return frame


def _unknown_row(
    frame: pd.DataFrame, area: str, borough: str | None, group: str | None, end: dt.date, measure: Measure
) -> pd.DataFrame:
    """One comparison row (frame's columns) for an area with no data for a measure: every figure unknown."""
    row = frame.iloc[:0].reindex(range(1))  # frame's columns and types, every value missing
    row.loc[0, ["area_name", "borough", "comparator_name", "end_month", "measure_id", "measure_label",
                "measure_unit", "direction"]] = [area, borough, group, end, measure.id, measure.label, measure.units,
                                                 measure.direction]
    row.loc[0, ["rank_of", "rank_of_previous", "rank_tied", "negative_count"]] = [0, 0, False, False]
    return row


def _reason(
    con: duckdb.DuckDBPyConnection, measure: Measure, end: dt.date, level: str, config: Config | None,
    negative: bool, area: str,
) -> str:
    """Why an area's rolling years to end are unknown for a measure: the measure's reason, or the area's."""
    return (unavailable_reason(con, measure, end, level, config, negative, area=area)
            or _area_reason(measure, end, level, area))


def _area_reason(measure: Measure, end: dt.date, level: str, area: str) -> str:
    """Why an area's figures are unknown when the measure's are known elsewhere: the area has no data then."""
    return f"{measure.label}: no {level}-level data for {area} in the two years to {month_label(end)}."


def metric(
    con: duckdb.DuckDBPyConnection, area: str, end: str | dt.date, measure: Measure,
    config: Config | None = None, settings: dict[str, Any] | None = None, level: str = "borough",
    within: str | None = None,
) -> dict[str, Any]:
    """One measure for a borough, a comparator (London, a police force) or a ward (level='ward', within its borough
    when the name is ambiguous) as a plain dict with the CLI contract's fields (and a few more).

    Unknown figures are null, with a reason; a ward has no comparator figures.
    """
    settings = settings or load_settings()
    if level == "borough":
        try:
            area = _check_area(con, area, level)
        except UnknownNameError:
            group = _comparator_group(con, area, settings)
            if group is None:
                raise
            return comparator_metric(con, group, end, measure, config, settings)
        within = None
    else:
        area, within = _check_ward(con, area, within, level)
    end = check_end(con, end, level)
    frame = comparisons(con, [measure], end, level=level, within=within, config=config, settings=settings, area=area)
    if frame.empty:
        group = dict(area_groups(con, settings)).get(area) if level == "borough" else None
        frame = _unknown_row(frame, area, within or area, group, end, measure)
    return _result(con, frame, measure, end, level, config, settings)


def comparator_metric(
    con: duckdb.DuckDBPyConnection, group: str, end: str | dt.date, measure: Measure,
    config: Config | None = None, settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One measure for a comparator group (London, a police force): its areas' total, change and rate, never a rank.

    Significance is tested as for an area; the RAG rating rests on it alone (the group is its own comparator).
    """
    settings = settings or load_settings()
    end = check_end(con, end)
    frame = comparisons(con, [measure], end, config=config, settings=settings)
    frame = frame[frame["comparator_name"] == group].reset_index(drop=True)
    if frame.empty:
        frame = _unknown_row(frame, group, None, group, end, measure)
        return _result(con, frame, measure, end, "borough", config, settings)
    row = frame.iloc[[0]].copy()
    for key in COMPARATOR_FIELDS:
        row[key] = row[f"comparator_{key}"]
    for own, theirs in zip(intervals.limit_names(), intervals.limit_names("comparator_rate")):
        row[own] = row[theirs]
    row["area_name"], row["borough"] = group, None
    row["change"] = row["current"] - row["previous"]
    row["population"] = frame.loc[frame["current"].notna(), "population"].sum(min_count=1)
    for key in ("rank", "rank_of", "rank_previous", "rank_of_previous", "rank_tied", "places_moved",
                "share_of_parent_pct", "rank_basis", "benchmark", "trend", "trend_p_value", "trend_z"):
        row[key] = pd.NA
    row["negative_count"] = bool(frame["negative_count"].any())
    row["p_value"], row["significant"] = _significance(row["current"], row["previous"], settings["significance_level"])
    row["rag"] = _rag(row.assign(comparator_pct_change=pd.Series(pd.NA, index=row.index, dtype="Float64")),
                      settings["rag_rule"])
    return _result(con, row, measure, end, "borough", config, settings)


def _result(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, measure: Measure, end: dt.date, level: str,
    config: Config | None, settings: dict[str, Any],
) -> dict[str, Any]:
    """A one-area comparison frame's row as metric() gives it: with a reason when unknown, and unplaced rows."""
    out = record(frame.iloc[0])
    out["benchmark_confidence"] = float(settings["benchmark_confidence"])
    if out["current"] is None or out["previous"] is None:
        out["reason"] = _reason(con, measure, end, level, config, bool(out["negative_count"]), out["area"])
    out.update(unplaced(con, frame, end, settings))
    return out


def series_reason(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, measure: Measure, level: str = "borough",
    config: Config | None = None,
) -> str | None:
    """Why a series frame (one area, one measure) has no count in any month, or None when it has any."""
    if frame["offence_count"].notna().any():
        return None
    end = pd.Timestamp(frame["month"].max()).date() if len(frame) else latest_month(con, level)
    area = frame["area_name"].iloc[0] if len(frame) else "this area"
    return _reason(con, measure, end, level, config, False, area)


def unplaced(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, end: dt.date, settings: dict[str, Any]) -> dict[str, Any]:
    """police.uk rows of the comparator's forces placed in no area over the rolling year, with a note when any.

    These rows count in no area's figure (so each area's may be slightly low); they are flagged, never dropped silently.
    """
    if frame["comparator_name"].isna().all():
        return {"unlocated_rows": None, "unmapped_rows": None}
    group = frame["comparator_name"].iloc[0]
    areas = [a for a, g in area_groups(con, settings) if g == group]
    unlocated, unmapped = con.execute(queries.UNPLACED_SQL, {
        "areas": areas, "first": add_months(end, -11), "last": end}).fetchone()
    out: dict[str, Any] = {"unlocated_rows": int(unlocated), "unmapped_rows": int(unmapped)}
    if unlocated or unmapped:
        out["data_note"] = (
            f"{group}'s police.uk files hold {unlocated:,} rows with no location and {unmapped:,} in LSOAs that could not "
            f"be placed in an area in these 12 months; they are in no area's count.")
    return out


def record(row: pd.Series) -> dict[str, Any]:
    """A comparison row as JSON-ready values, keyed by the contract's names."""

    def clean(value: Any) -> Any:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, (np.integer,)):
            return int(value)
        if isinstance(value, (np.floating,)):
            return float(value)
        if isinstance(value, (np.bool_,)):
            return bool(value)
        return value

    out = {
        "area": row["area_name"], "end": row["end_month"].strftime("%Y-%m"), "measure": row["measure_id"],
        "measure_label": row["measure_label"], "unit": row.get("measure_unit", DEFAULT_UNITS),
    }
    out["comparator_name"] = clean(row["comparator_name"])
    for name in CONTRACT_FIELDS[3:]:
        out[name] = clean(row[name])
    for extra in ("p_value", "population", "comparator_rate_per_1000", "comparator_rate_per_1000_previous",
                  "rank_of_previous", "rank_tied", "places_moved", "share_of_parent_pct", "direction", "borough",
                  "rank_basis", "negative_count", *intervals.limit_names(), *intervals.limit_names("comparator_rate"),
                  "benchmark", "trend", "trend_p_value", "benchmark_confidence"):
        out[extra] = clean(row[extra]) if extra in row.index else None
    # The documented alias: london_* carry the comparator's figures only when the comparator is London.
    for key in COMPARATOR_FIELDS:
        out[f"london_{key}"] = out[f"comparator_{key}"] if out["comparator_name"] == "London" else None
    return out


def series(
    con: duckdb.DuckDBPyConnection, areas: Sequence[str], measures: Sequence[Measure],
    start: str | dt.date | None = None, end: str | dt.date | None = None, level: str = "borough",
    within: str | None = None, include_comparator: bool = False, config: Config | None = None,
    settings: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Monthly counts per measure x area with the rolling 12-month total, the same month a year before, and both
    as rates per 1,000 (the measure's denominator, as in comparisons; NA without a population).

    An area may be a comparator group's name (e.g. 'Avon and Somerset'): its line is the group's total, as the
    comparison's comparator. include_comparator adds the comparator line of each borough-level area asked for.
    """
    settings = settings or load_settings()
    first, last = month_span(con, level)
    to_month = parse_month(end) if end else last
    from_month = parse_month(start) if start else first
    if from_month > to_month:
        raise PeriodError(f"The start month {month_label(from_month)} is after the end month {month_label(to_month)}.")
    groups = area_groups(con, settings)
    group_of = dict(groups)
    names = sorted(set(group_of.values())) if level == "borough" else []
    named = {a: find_area(a, names) for a in areas}  # the comparator group each name means, or None
    comparators = [g for g in named.values() if g is not None]
    areas = [_check_area(con, a, level) for a, g in named.items() if g is None]
    if include_comparator and level == "borough":
        comparators += [group_of[a] for a in areas if a in group_of and group_of[a] not in comparators]
    mapping, info = measure_frames(con, measures, config, level)
    frame = _run(con, queries.SERIES_SQL, {
        "from_month": from_month, "to_month": to_month, "level": level, "areas": list(areas),
        "comparators": comparators, "within": within,
    }, mapping, info, groups)
    frame["month"] = pd.to_datetime(frame["month"])
    for col in ("offence_count", "rolling_12_total", "offence_count_year_before", "population"):
        frame[col] = frame[col].astype("Int64")
    for col in ("rate_per_1000", "rolling_12_rate_per_1000"):
        frame[col] = frame[col].astype("Float64")
    frame.insert(1, "measure_label", frame["measure_id"].map({m.id: m.label for m in measures}))
    frame.insert(2, "measure_unit", frame["measure_id"].map({m.id: m.units for m in measures}))
    frame["is_comparator"] = frame["area_name"].isin(comparators)
    return frame


def cube(con: duckdb.DuckDBPyConnection, config: Config | None = None, settings: dict[str, Any] | None = None) -> pd.DataFrame:
    """Every configured measure x borough x end month with a full comparison (what a dashboard may precompute)."""
    config = config or default_config()
    first, last = month_span(con)
    return comparisons(con, list(config.measures.values()), add_months(first, 11), last, config=config, settings=settings)


# --- exceptions and trend facts -------------------------------------------------------------

MIN_EXCEPTION_BASELINE = 18  # known earlier months a series needs: 12 for its level, 6 one-step residuals for its spread
MIN_RESIDUAL_MONTHS = 6
EXCEPTION_METHOD = "seasonal local level, over-dispersed (negative binomial) limits"
# A series with too few earlier years of the month checked has no seasonal factor: its expectation is the level alone.
EXCEPTION_METHOD_LEVEL = "local level (no seasonal term), over-dispersed (negative binomial) limits"
MIN_SEASON_YEARS = queries.EXCEPTION_MIN_SEASON_YEARS  # earlier years of the same month a seasonal factor needs


@dataclass(frozen=True)
class SeasonalUse:
    """How many of the series a panel describes had a seasonal factor, as the scan computed it."""

    described: str     # 'flagged' (the flagged series) or 'tested' (every series tested, when none is flagged)
    series: int        # series described
    seasonal: int      # of them, those whose expectation had a seasonal factor
    fewest_years: int  # among those, the fewest and most earlier years of the month checked it used (0 when none)
    most_years: int


@dataclass(frozen=True)
class ExceptionScan:
    """Counts outside their expected range in one month, and what the scan was based on."""

    flags: pd.DataFrame         # one row per flagged category x area
    end: dt.date
    level: str
    baseline_months: int        # months before `end` the scan could draw on (loaded, up to the method's span)
    seasonal: bool              # some series tested had a seasonal factor (2 or more earlier years of that month)
    seasonal_years: int         # the most earlier years of the same month any tested series used
    cells_tested: int           # category x area combinations with a known month and enough history
    expected_by_chance: float   # flags a month with nothing unusual would still give, on average
    probability: float          # two-sided tail probability of the limits
    min_count: int              # counts below this are never flagged
    # one row per category x area not tested (measure_id, measure_label, area_name, is_comparator, reason): the
    # month checked is not known for it, or it has too little history; never counted as 0
    untested: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame())
    method: str = EXCEPTION_METHOD
    longest_history: int = 0    # the most known baseline months any series had (its own scheme, known months only)
    series_tested: int = 0      # distinct categories (or measures) among the combinations tested
    by: str = "minor"           # what each series is: an MPS minor category ('minor') or a configured measure
    # one row per tested area (not comparators): area_name, cells (combinations tested), chance (flags by chance)
    by_area: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame())
    # one row per tested combination (not comparators): area_name, measure_id, seasonal_years (0: no seasonal factor)
    tested: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=["area_name", "measure_id", "seasonal_years"]))

    def chance_in(self, area: str) -> tuple[int, float]:
        """(combinations tested, flags expected by chance in a month with nothing unusual) for one area."""
        row = self.by_area[self.by_area["area_name"] == area] if len(self.by_area) else self.by_area
        return (int(row["cells"].iloc[0]), float(row["chance"].iloc[0])) if len(row) else (0, 0.0)

    def seasonal_use(self, area: str | None = None) -> SeasonalUse:
        """The seasonal factors of the series a panel describes: the flagged ones (of area, when given; comparators
        left out), else, when none is flagged, every one tested."""
        rows, described = self.flags[~self.flags["is_comparator"].astype(bool)], "flagged"
        if area is not None:
            rows = rows[rows["area_name"] == area]
        if rows.empty:
            rows, described = self.tested, "tested"
            if area is not None:
                rows = rows[rows["area_name"] == area]
        years = rows["seasonal_years"].to_numpy(dtype="int64")
        used = years[years >= MIN_SEASON_YEARS]
        return SeasonalUse(described, len(years), len(used), int(used.min()) if len(used) else 0,
                           int(used.max()) if len(used) else 0)


def _count_model(expected: np.ndarray, dispersion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, over-dispersed?, negative binomial size, p) for counts with variance dispersion x mean."""
    mean, over = np.maximum(expected, 0.5), dispersion > 1.0001
    return mean, over, mean / np.where(over, dispersion - 1, 1.0), 1 / np.where(over, dispersion, 2.0)


def exception_limits(expected: np.ndarray, dispersion: np.ndarray, tail: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits: the tail quantiles of a count with mean `expected` and variance dispersion x mean."""
    from scipy.stats import nbinom, poisson

    mean, over, size, p = _count_model(expected, dispersion)
    lower = np.where(over, nbinom.ppf(tail, size, p), poisson.ppf(tail, mean))
    upper = np.where(over, nbinom.isf(tail, size, p), poisson.isf(tail, mean))
    return lower.astype("int64"), upper.astype("int64")


def dispersion_uncertainty(residual_months: np.ndarray, tail: float) -> np.ndarray:
    """How much wider limits must be when the dispersion is estimated: (Student t / normal quantile) squared."""
    from scipy.stats import norm, t

    freedom = residual_months + queries.EXCEPTION_POOL_WEIGHT
    return (t.isf(tail, freedom) / norm.isf(tail)) ** 2


def exception_chance(expected: np.ndarray, dispersion: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                     min_count: int) -> np.ndarray:
    """Per combination, the chance a month with nothing unusual is flagged (outside the limits, at least min_count)."""
    from scipy.stats import nbinom, poisson

    mean, over, size, p = _count_model(expected, dispersion)

    def cdf(k: np.ndarray) -> np.ndarray:
        return np.where(over, nbinom.cdf(k, size, p), poisson.cdf(k, mean))

    high = 1 - cdf(np.maximum(upper, min_count - 1))
    low = np.where(lower > min_count, cdf(lower - 1) - cdf(min_count - 1), 0.0)
    return high + low


def months_running(flags: pd.DataFrame, tail: float, min_count: int) -> np.ndarray:
    """Per flag, the months up to the one checked that its series has been out of range in the same direction.

    Earlier months use their own expected counts with the checked month's dispersion; an unknown month ends a run.
    """
    if flags.empty:
        return np.zeros(0, dtype="int64")
    width = max(len(v) for v in flags["recent_counts"])

    def grid(column: str) -> np.ndarray:
        """One row per flag, latest month first, padded with NaN (unknown)."""
        return np.array([[np.nan if x is None or x is np.ma.masked else x
                          for x in (list(v) + [None] * (width - len(v)))]
                         for v in flags[column]], dtype="float64").reshape(len(flags), width)

    counts, expected = grid("recent_counts"), grid("recent_expected")
    dispersion = np.repeat(flags["dispersion"].to_numpy(dtype="float64")[:, None], width, axis=1)
    known = ~np.isnan(counts) & ~np.isnan(expected)
    lower, upper = exception_limits(np.where(known, expected, 1.0).ravel(), dispersion.ravel(), tail)
    lower, upper = lower.reshape(counts.shape), upper.reshape(counts.shape)
    higher = (flags["exception"] == "higher than usual").to_numpy()[:, None]
    out = known & (counts >= min_count) & np.where(higher, counts > upper, counts < lower)
    # The run: the checked month, then each earlier month while every month since has been out the same way.
    return 1 + np.cumprod(out, axis=1).sum(axis=1).astype("int64")


def exceptions(
    con: duckdb.DuckDBPyConnection, end: str | dt.date | None = None, level: str = "ward", within: str | None = None,
    by: str = "minor", config: Config | None = None, settings: dict[str, Any] | None = None,
    include_comparator: bool = False, measure_ids: Sequence[str] | None = None,
) -> ExceptionScan:
    """A month's counts outside over-dispersed limits around a seasonal local-level expectation, by category x area.

    The method is in queries.EXCEPTIONS_SQL and docs/definitions.md. A month not known for an area (the one
    coverage rule) is never a zero: an unknown month checked is not tested, an unknown baseline month is left out.
    by='minor' checks every MPS minor category (baselines within the checked month's category scheme); by='measure'
    every configured measure. measure_ids keeps only those. include_comparator adds each comparator group as one
    more area.
    """
    config = config or default_config()
    settings = settings or load_settings()
    end = parse_month(end) if end else latest_month(con, level)
    first, last = month_span(con, level)
    months_before = months_between(first, end)
    if not first <= end <= last or months_before < MIN_EXCEPTION_BASELINE:
        raise PeriodError(
            f"Exceptions for {month_label(end)} need at least {MIN_EXCEPTION_BASELINE} earlier months; {level}-level "
            f"data runs {month_label(first)} to {month_label(last)}."
        )
    if by == "measure":
        measures = list(config.measures.values())
    else:
        # Only the categories published around the month checked: another scheme's categories are not this month's
        # (listing them as "not checked" would be noise), while a category missing from a loaded month still is.
        minors = sorted(r[0] for r in con.execute(queries.CATEGORIES_IN_MONTH_SQL, {
            "level": level, "sources": list(MPS_SOURCES), "month": end}).fetchall())
        measures = [Measure(id=f"minor:{m}", label=m, minors=(m,)) for m in minors]
    if measure_ids is not None:
        measures = [m for m in measures if m.id in set(measure_ids)]
        if by == "measure":
            # A whole MPS category chosen as the measure ('minor:Shoplifting', as the Wards page offers)
            for kind, _, name in (i.partition(":") for i in measure_ids if i not in config.measures):
                if kind in ("major", "minor") and name:
                    measures += resolve_measures(con, config=config, level=level, **{kind: name})
    labels = {m.id: m.label for m in measures}
    mapping, info = measure_frames(con, measures, config, level)
    if by != "measure":
        # A category is checked as published: not widened to the crosswalk's comparable group, which would count
        # STALKING AND HARASSMENT as VIOLENCE WITHOUT INJURY, or a renamed category's old name, under its label.
        own = mapping["minor_category"].str.lower() == mapping["measure_id"].str.removeprefix("minor:").str.lower()
        mapping = mapping[own.fillna(False)]
    frame = _run(con, queries.EXCEPTIONS_SQL, {
        "end": end, "level": level, "within": within, "include_comparator": include_comparator,
        "same_scheme": by != "measure",
    }, mapping, info, area_groups(con, settings))
    enough = (frame["expected"].notna() & (frame["baseline_known"] >= MIN_EXCEPTION_BASELINE)
              & (frame["residual_months"] >= MIN_RESIDUAL_MONTHS))
    tested_rows = frame["offence_count"].notna() & enough
    untested = frame.loc[~tested_rows, ["measure_id", "area_name", "is_comparator"]].copy()
    untested.insert(1, "measure_label", untested["measure_id"].map(labels))
    known = frame.loc[~tested_rows, "baseline_known"].fillna(0).astype(int)
    untested["reason"] = np.where(frame.loc[~tested_rows, "offence_count"].isna(), f"no data for {month_label(end)}",
                                  [f"not enough history ({k} months)" for k in known])
    longest = int(frame["baseline_known"].max()) if frame["baseline_known"].notna().any() else 0
    frame = frame[tested_rows].reset_index(drop=True)
    frame["offence_count"] = frame["offence_count"].astype("int64")
    expected = frame["expected"].astype("float64").to_numpy()
    tail, min_count = float(settings["exception_probability"]) / 2, int(settings["exception_min_count"])
    dispersion = frame["dispersion"].astype("float64").to_numpy() * dispersion_uncertainty(
        frame["residual_months"].to_numpy(), tail)
    frame["dispersion"] = dispersion
    lower, upper = exception_limits(expected, dispersion, tail)
    frame["expected"] = expected
    frame["baseline_mean"] = expected  # the name the panels and JSON have always used for the expected count
    frame["lower_limit"], frame["upper_limit"] = lower, upper
    count = frame["offence_count"].to_numpy()
    high = (count > upper) & (count >= min_count)
    low = (count < lower) & (count >= min_count)
    tested = ~frame["is_comparator"].astype(bool).to_numpy()
    chances = exception_chance(expected, dispersion, lower, upper, min_count)
    chance = float(chances[tested].sum())
    by_area = (pd.DataFrame({"area_name": frame["area_name"].to_numpy()[tested], "chance": chances[tested]})
               .groupby("area_name", as_index=False).agg(cells=("chance", "size"), chance=("chance", "sum")))
    frame["exception"] = np.select([high, low], ["higher than usual", "lower than usual"], "")
    flags = frame[frame["exception"] != ""].copy()
    flags["months_running"] = months_running(flags, tail, min_count)
    flags = flags.drop(columns=["recent_counts", "recent_expected"])
    flags.insert(1, "measure_label", flags["measure_id"].map(labels))
    flags["ratio_to_baseline"] = flags["offence_count"] / flags["expected"].where(flags["expected"] > 0)
    flags["end_month"] = end
    flags["seasonal_years"] = flags["seasonal_years"].astype("int64")
    flags["method"] = np.where(flags["seasonal_years"] >= MIN_SEASON_YEARS, EXCEPTION_METHOD, EXCEPTION_METHOD_LEVEL)
    flags = flags.sort_values(["ratio_to_baseline", "area_name"], ascending=[False, True]).reset_index(drop=True)
    years = int(frame["seasonal_years"].max()) if len(frame) else 0
    tested_series = frame.loc[tested, ["area_name", "measure_id", "seasonal_years"]].astype({"seasonal_years": "int64"})
    return ExceptionScan(flags=flags, end=end, level=level,
                         baseline_months=min(months_before, queries.EXCEPTION_SPAN_MONTHS),
                         seasonal=years >= MIN_SEASON_YEARS,
                         seasonal_years=years, cells_tested=int(tested.sum()), expected_by_chance=chance,
                         probability=2 * tail, min_count=min_count, untested=untested.reset_index(drop=True),
                         longest_history=longest, series_tested=int(frame.loc[tested, "measure_id"].nunique()),
                         by="measure" if by == "measure" else "minor", by_area=by_area,
                         tested=tested_series.reset_index(drop=True))


def trend_facts(monthly: pd.DataFrame) -> dict[str, Any]:
    """Facts the board report states by hand, from one area x measure monthly series (month, offence_count, rolling_12_total).

    peak_month/peak_count over the whole series; latest rolling-year total; the months since the rolling-year
    total was last higher ('lowest for over N years' when it was never lower); months since a higher single month.
    """
    data = monthly.dropna(subset=["offence_count"]).sort_values("month")
    if data.empty:
        return {}
    counts = data["offence_count"].astype("int64").to_numpy()
    months = list(pd.to_datetime(data["month"]).dt.date)
    peak = int(np.argmax(counts))
    facts: dict[str, Any] = {
        "peak_month": months[peak], "peak_count": int(counts[peak]),
        "latest_month": months[-1], "latest_count": int(counts[-1]),
    }
    higher_before = np.nonzero(counts[:-1] > counts[-1])[0]
    facts["months_since_higher_month"] = int(len(counts) - 1 - higher_before[-1]) if len(higher_before) else None
    rolling = data["rolling_12_total"].dropna().astype("int64").to_numpy()
    if len(rolling):
        latest = rolling[-1]
        facts["latest_rolling_12_total"] = int(latest)
        lower_before = np.nonzero(rolling[:-1] <= latest)[0]
        facts["rolling_is_lowest_in_series"] = len(lower_before) == 0
        facts["rolling_lowest_for_months"] = int(len(rolling) - 1 - lower_before[-1]) if len(lower_before) else len(rolling) - 1
        higher = np.nonzero(rolling[:-1] >= latest)[0]
        facts["rolling_highest_for_months"] = int(len(rolling) - 1 - higher[-1]) if len(higher) else len(rolling) - 1
    return facts
