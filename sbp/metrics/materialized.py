"""The comparison cube: every configured measure x borough x end month, stored at ingest time.

Kept free of pandas so that a load (which builds it) starts quickly; metrics.comparisons reads it while
the measures configuration is unchanged (checked by a fingerprint) and computes live otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import duckdb

from sbp import store
from sbp.config.settings import load_settings
from sbp.metrics import queries
from sbp.config import Config, Measure, config_fingerprint, default_config, schemes
from sbp.config.sources import MPS_DASHBOARD, MPS_SOURCES, POLICE_UK, SERIES_SOURCES
from sbp.metrics.groups import area_groups, groups_key
from sbp.metrics.periods import add_months

# How the Monthly Crime Dashboard's Measure column is stored (as major_category) for each `counts` setting.
DASHBOARD_COUNTS = {"offences": "Offences", "positive_outcomes": "Positive Outcomes"}
MAP_COLUMNS = ("measure_id", "source", "major_category", "minor_category", "sign")
# A cube built by another version of the queries (other columns, another coverage rule) is never read.
QUERY_KEY = hashlib.sha256((queries.CUBE_CREATE_SQL + queries.CUBE_FINISH_SQL).encode()).hexdigest()[:12]


def measure_rows(
    categories: Sequence[tuple[str, str, str]], measures: Sequence[Measure], config: Config
) -> list[tuple[str, str, str, str, int]]:
    """(measure_id, source, major, minor, sign) for every loaded (source, major, minor) each measure counts.

    sign is -1 for the categories of the measure a difference measure subtracts (`minus`), else 1.
    """
    rows = []
    for m in measures:
        rows += [(m.id, *row, 1) for row in _counted(categories, m, config)]
        if m.minus:
            rows += [(m.id, *row, -1) for row in _counted(categories, config.measures[m.minus], config)]
    return rows


def _counted(categories: Sequence[tuple[str, str, str]], m: Measure, config: Config) -> list[tuple[str, str, str]]:
    """The loaded (source, major, minor) triples one measure's own categories select (names match in any case)."""
    majors, minors, _ = schemes.resolve(m, config)
    series = {s.lower() for s in m.series}
    subtypes = {s.lower() for s in m.subtypes}
    rows = []
    for source, major, minor in categories:
        if source in MPS_SOURCES:
            chosen = m.all or major.lower() in majors or minor.lower() in minors
        elif source == MPS_DASHBOARD:
            chosen = minor.lower() in subtypes and major == DASHBOARD_COUNTS[m.counts]
        elif source == POLICE_UK and (m.police_uk or m.police_uk_except is not None):
            chosen = minor in m.police_uk or (m.police_uk_except is not None and minor not in m.police_uk_except)
        else:
            chosen = source in SERIES_SOURCES and minor.lower() in series
        if chosen:
            rows.append((source, major, minor))
    return rows


INFO_COLUMNS = ("measure_id", "direction", "denominator", "schemes", "parts")


def info_rows(measures: Sequence[Measure], config: Config) -> list[tuple[str, str, str, list[str], int]]:
    """(measure_id, direction, denominator, schemes it is defined in, parts) for the measure_info frame."""
    def defined(m: Measure) -> list[str]:
        own = schemes.resolve(m, config)[2]
        return [sc for sc in own if sc in schemes.resolve(config.measures[m.minus], config)[2]] if m.minus else list(own)

    return [(m.id, m.direction, m.denominator, defined(m), 2 if m.minus else 1) for m in measures]


def materialize(con: duckdb.DuckDBPyConnection, config: Config | None = None, settings: dict | None = None) -> int:
    """Store the cube (inside an ingest's transaction); returns its row count, 0 without a full borough year."""
    config = config or default_config()
    settings = settings or load_settings()
    groups = area_groups(con, settings)
    con.execute(queries.CUBE_DROP_SQL)
    span = _borough_year(con)
    if span is None:
        return 0
    first, last = span
    measures = list(config.measures.values())
    categories = con.execute(queries.CATEGORIES_SQL, {"level": "borough"}).fetchall()
    con.execute(queries.CUBE_MEASURE_TABLES_SQL)
    store.insert_rows(con, "measure_map", measure_rows(categories, measures, config))
    store.insert_rows(con, "measure_info", info_rows(measures, config))
    store.insert_rows(con, "area_group", groups)
    con.execute(queries.CUBE_CREATE_SQL, {
        "first_end": add_months(first, 11), "last_end": last, "level": "borough", "within": None, "rank_by_rate": True,
    })
    con.execute(queries.CUBE_DROP_MEASURE_TABLES_SQL)
    _store_rules(con, measures, settings)
    con.execute(queries.CUBE_SET_KEY_SQL, {"key": cube_key(config, groups, settings)})
    return con.execute(queries.CUBE_ROWS_SQL).fetchone()[0]


def _borough_year(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """(first, last) month loaded at borough level when they span a rolling year (the cube has rows), else None."""
    first, last = con.execute(queries.MONTH_SPAN_SQL, {"level": "borough"}).fetchone()
    return None if first is None or add_months(first, 11) > last else (first, last)


def _store_rules(con: duckdb.DuckDBPyConnection, measures: Sequence[Measure], settings: dict) -> None:
    """Add the rules' columns (significance, RAG, places moved, ...) to the cube, computed as live queries compute them."""
    import numpy as np  # here: only a load that builds a cube needs it

    from sbp.metrics import rules

    raw = con.execute(queries.CUBE_RULE_INPUTS_SQL).fetchnumpy()
    cols = {k: (np.ma.filled(v.astype("float64"), np.nan) if v.dtype.kind in "fiu" and k != "rid" else v)
            for k, v in raw.items()}
    # Each row's measure as an index into the measures that occur (one dict lookup per measure, not per row).
    ids, which = np.unique(np.asarray(cols["measure_id"], dtype=object), return_inverse=True)
    chosen = _by_id(measures, ids.tolist())
    text = np.dtype(object)
    per_row = {name: np.array([getattr(m, attr) for m in chosen], dtype=text)[which]
               for name, attr in (("measure_label", "label"), ("measure_unit", "units"), ("direction", "direction"))}
    cols["direction"] = per_row["direction"]
    parents = {m.id: m.parent for m in measures if m.parent}
    done = rules.finish(cols, parents, settings["significance_level"], settings["rag_rule"],
                        settings["benchmark_confidence"])
    # A dict of arrays DuckDB scans in place (NaN reads as NULL): far cheaper than binding lists.
    con.register("comparison_rules_in", {
        "rid": np.asarray(cols["rid"], dtype="int64"), **per_row,
        **{k: np.array(done[k], dtype=text) for k in ("rag", "parent_id", "benchmark", "trend")},
        **{k: np.asarray(done[k], dtype="float64") for k in ("comparator_pct_change", "p_value", "significant",
                                                             "places_moved", "share_of_parent_pct", "trend_p_value")},
    })
    try:
        con.execute(queries.CUBE_RULES_SQL)
    finally:
        con.unregister("comparison_rules_in")
    con.execute(queries.CUBE_FINISH_SQL)


def _by_id(measures: Sequence[Measure], ids: Sequence[str]) -> list[Measure]:
    """The measure of each id, in order."""
    known = {m.id: m for m in measures}
    return [known[i] for i in ids]


def cube_key(config: Config, groups, settings: dict) -> str:
    """What the stored cube depends on: the measures, the comparator grouping, the rules' settings and the queries."""
    rules_key = f"{settings['significance_level']!r}/{settings['rag_rule']}/{settings['benchmark_confidence']!r}"
    return config_fingerprint(config) + groups_key(groups) + rules_key + QUERY_KEY


def usable(con: duckdb.DuckDBPyConnection, measures: Sequence[Measure], config: Config, groups,
           settings: dict | None = None, key: str | None = None) -> bool:
    """Whether the stored cube answers for these measures under this configuration, grouping and settings.

    key: the cube's stored key when the caller already has it (stored_key), saving a query.
    """
    settings = settings or load_settings()
    if any(config.measures.get(m.id) != m for m in measures):
        return False
    key = stored_key(con) if key is None else key
    return key == cube_key(config, groups, settings)


CURRENT, STALE, NOT_NEEDED = "current", "stale", "not needed"
# What `sbp status` and the Data page say of a STALE cube.
STALE_NOTE = ("the comparison cube was built by an earlier version or under other settings, so every page computes "
              "its figures live (the same figures, slower). Run `python -m sbp upgrade` (or load a file) to rebuild it.")


def state(con: duckdb.DuckDBPyConnection, config: Config | None = None, settings: dict | None = None) -> str:
    """Whether the stored cube answers under this code, configuration and settings: CURRENT; STALE when it must be
    rebuilt (built by an earlier version or under other settings, or missing) for pages to read it instead of
    computing every figure live; NOT_NEEDED without a full borough year (nothing to build)."""
    if _borough_year(con) is None:
        return NOT_NEEDED
    config = config or default_config()
    settings = settings or load_settings()
    return CURRENT if stored_key(con) == cube_key(config, area_groups(con, settings), settings) else STALE


def stored_key(con: duckdb.DuckDBPyConnection) -> str:
    """The key the stored cube was built under ('' without a cube)."""
    row = con.execute(queries.CUBE_KEY_SQL).fetchone()
    return row[0] if row else ""
