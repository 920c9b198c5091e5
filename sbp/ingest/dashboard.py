"""The MPS Monthly Crime Dashboard workbook ("OtherCrimeData"), as published (.xlsx) or exported to CSV.

One row per month x area x crime type x subtype x measure (Offences / Positive Outcomes), at Borough and at Safer
Neighbourhood Team (ward) level. Stored as source 'mps_dashboard' with major_category = the measure and
minor_category = the subtype; each configured measure names the exact subtype it counts, because a total and
its strands overlap ("Hate crime" contains "Racist and Religious Crime", which contains "Racist Crime").
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from sbp import store
from sbp.config import areas, london_boroughs
from sbp.errors import IngestError
from sbp.ingest import bounds
from sbp.ingest.textfile import TextFile, find_line

if TYPE_CHECKING:  # pyarrow is imported where a workbook is read: a CSV load starts without it
    import pyarrow as pa

SHEET = "MPS_MonthlyCrimeDashboard_Other"
# Role -> the header name with case, spaces and underscores removed (the publisher varies them).
REQUIRED = {
    "month": "monthyear", "area_type": "areatype", "borough_snt": "boroughsnt", "area_name": "areaname",
    "area_code": "areacode", "crime_type": "crimetype", "crime_subtype": "crimesubtype", "measure": "measure",
    "count": "count",
}
AREA_TYPES = {"borough": "borough", "safer neighbourhood teams": "ward", "safer neighbourhood team": "ward",
              "snt": "ward", "ward": "ward"}
MEASURES = {"offences": "Offences", "positive outcomes": "Positive Outcomes"}
EXCEL_EPOCH = dt.date(1899, 12, 30)
AREA_CODE = r"E0[59][0-9]{6}"  # an ONS borough (E09) or ward (E05) code; anything else ('', 'N/K', 'SO18') is no area
UNATTRIBUTED = "Unknown"       # the area (and borough) of rows with no area code, as in the MPS borough files
MONTH_PARSE = (
    "coalesce(try_strptime({c}, '%d/%m/%Y'), try_strptime({c}, '%Y-%m-%d'), try_strptime({c}, '%Y-%m-%d %H:%M:%S'), "
    "try_strptime({c}, '%Y-%m'), try_strptime({c}, '%d/%m/%Y %H:%M:%S'))"
)


def normal(name: str) -> str:
    """A header name with case, spaces and underscores removed."""
    return re.sub(r"[\s_]+", "", str(name)).lower()


def roles(header: list[str]) -> dict[str, str] | None:
    """Role -> the header's own spelling when header is the dashboard layout, else None."""
    by_normal = {normal(h): h for h in header}
    if not set(REQUIRED.values()) <= set(by_normal):
        return None
    return {role: by_normal[key] for role, key in REQUIRED.items()}


@functools.cache
def ward_lookup() -> pa.Table:
    """London ward code -> ONS ward name and borough (areas.london_wards(), data/london_wards.csv) as a table to join."""
    import pyarrow as pa

    wards = areas.london_wards()
    return pa.table({"ward_code": list(wards), "ward_name": [name for name, _ in wards.values()],
                     "borough": [borough for _, borough in wards.values()]})


@functools.cache
def borough_lookup() -> pa.Table:
    """London borough ONS code -> name (data/boroughs.csv), as a table to join."""
    import pyarrow as pa

    boroughs = london_boroughs()
    return pa.table({"borough_code": [b.code for b in boroughs], "borough": [b.name for b in boroughs]})


def _text_column(values: tuple) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:  # the usual sheet: every cell text or empty, converted in one step
        return pc.fill_null(pa.array(values, pa.string()), "")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(["" if v is None else (v if isinstance(v, str) else _cell_text(v)) for v in values], pa.string())


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _month_column(values: tuple) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:  # the usual sheet: every month an Excel date (or empty), formatted in one step
        dates = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        dates = None
    if dates is not None and (pa.types.is_timestamp(dates.type) or pa.types.is_date(dates.type)):
        return pc.fill_null(pc.strftime(dates, "%Y-%m-%d"), "")

    def text(v: object) -> str:
        if isinstance(v, dt.datetime):
            return v.strftime("%Y-%m-%d")
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            try:
                return (EXCEL_EPOCH + dt.timedelta(days=int(v))).isoformat()  # an unformatted Excel date serial
            except (OverflowError, ValueError):  # past year 9999: shown as written, then refused as not a month
                return _cell_text(v)
        return "" if v is None else str(v).strip()

    return pa.array([text(v) for v in values], pa.string())


def _count_column(values: tuple) -> pa.Array:
    import pyarrow as pa

    try:
        return pa.array(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        def number(v: object) -> float | None:
            try:
                return float(v) if v not in (None, "") else None
            except (TypeError, ValueError):
                return None
        return pa.array([number(v) for v in values], pa.float64())


def read_xlsx(path: Path, progress: Callable[[str], None] | None = None) -> tuple[list[str], pa.Table]:
    """The dashboard sheet of a workbook as (header, table of text columns + line), read with python-calamine once
    the workbook's sizes and the sheet's rows and cells are known to be within bounds (xlsx.py)."""
    import pyarrow as pa

    from python_calamine import CalamineError, CalamineWorkbook

    from sbp.ingest import xlsx

    zipped, sheets = xlsx.open_checked(path)
    with zipped:
        names = [s.name for s in sheets]
        found = [s for s in sheets if s.name.lower() == SHEET.lower() or roles([str(c) for c in xlsx.first_row(path, zipped, s)])]
        if not found:
            raise IngestError(path, f"no sheet {SHEET!r} (or any sheet with the Monthly Crime Dashboard columns) in this "
                                    f"workbook; sheets: {', '.join(bounds.cut(n) for n in names[:20])}")
        if len(found) > 1:  # reading one would drop the others' rows without a word
            raise IngestError(path, f"{len(found)} sheets have the Monthly Crime Dashboard columns "
                                    f"({', '.join(bounds.cut(s.name) for s in found[:20])}); the dashboard reads one sheet per "
                                    "workbook: put their rows in one sheet so none is left out")
        sheet_name = found[0].name
        xlsx.check_sheet(path, zipped, found[0])
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise IngestError(path, f"this .xlsx workbook could not be opened ({str(exc).splitlines()[0]})") from None
    if progress:
        progress(f"reading sheet {sheet_name!r}")
    # Row by row in batches: the sheet as Python lists at once (to_python) was a third of a 48-month load's peak.
    rows = enumerate(book.get_sheet_by_name(sheet_name).iter_rows(), 1)  # the sheet's line numbers count from 1
    first = next(rows, None)
    if first is None:
        raise IngestError(path, f"sheet {sheet_name!r} is empty")
    header = [str(c).strip() for c in first[1]]
    found = roles(header)
    if found is None:
        missing = sorted(set(REQUIRED.values()) - {normal(h) for h in header})
        raise IngestError(path, f"sheet {sheet_name!r} lacks the Monthly Crime Dashboard columns {missing}", line=1)
    index = {h: i for i, h in enumerate(header)}
    batches: list[pa.Table] = []
    batch: list[tuple[int, list]] = []
    for line, row in rows:
        if row.count("") + row.count(None) < len(row):  # rows with a value
            batch.append((line, row))
            if len(batch) == 50_000:
                batches.append(_columns(batch, found, index, len(header)))
                batch = []
    if batch:
        batches.append(_columns(batch, found, index, len(header)))
    book.close()
    if not batches:
        raise IngestError(path, "the sheet has a header but no data rows", line=2)
    table = pa.concat_tables(batches)
    if progress:
        progress(f"{table.num_rows:,} rows read; checking and staging them")
    return header, table


def _columns(batch: list[tuple[int, list]], found: dict[str, str], index: dict[str, int], width: int) -> pa.Table:
    """(line, row) pairs of the sheet as a table of the dashboard's columns and the line."""
    import pyarrow as pa

    body = [row for _, row in batch]
    if len({len(r) for r in body}) == 1 and len(body[0]) >= width:  # calamine's rows are all the sheet's width
        columns = list(zip(*body))
    else:
        columns = list(zip(*(r[:width] + [""] * (width - len(r)) for r in body)))
    data = {"line": pa.array([line for line, _ in batch], pa.int64())}
    for role, name in found.items():
        values = columns[index[name]]
        data[role] = _month_column(values) if role == "month" else _count_column(values) if role == "count" else _text_column(values)
    return pa.table(data)


def stage(con: duckdb.DuckDBPyConnection, text: TextFile, found: dict[str, str], table: pa.Table | None,
          read_csv: Callable[[dict[str, str]], str], check_read: Callable[[], None],
          fail: Callable[..., None]) -> tuple[int, int, int]:
    """Leave the file's rows behind sbp_staged and its scope in sbp_scope; returns (rows, areas, subtypes).

    table is the workbook's sheet (from read_xlsx), or None to read text.readable as CSV.
    """
    source = "sbp_dash_src"
    if table is not None:  # read straight from the sheet's columns: a copy of them in DuckDB would add to the peak
        con.register("sbp_dash_arrow", table)
        source = "sbp_dash_arrow"
    else:
        types = {h: ("DOUBLE" if h == found["count"] else "VARCHAR") for h in text.header}
        select = ", ".join(f'"{name}" AS {role}' for role, name in found.items())
        con.execute(f"CREATE OR REPLACE TEMP TABLE sbp_dash_src AS SELECT NULL::BIGINT AS line, {select} FROM {read_csv(types)}",
                    {"path": str(text.readable)})
        check_read()
    month = MONTH_PARSE.format(c="trim(month)")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_dash_raw AS
        SELECT line, trim(month) AS raw_month, date_trunc('month', {month})::DATE AS month,
               lower(trim(area_type)) AS raw_area_type, trim(borough_snt) AS borough_snt,
               trim(area_name) AS area_name_given, upper(trim(area_code)) AS area_code_given,
               trim(crime_type) AS crime_type, trim(crime_subtype) AS subtype, lower(trim(measure)) AS raw_measure, count
        FROM {source}"""
    )
    if table is not None:
        con.unregister("sbp_dash_arrow")
    else:
        con.execute("DROP TABLE sbp_dash_src")
    text_roles = {"raw_month": "month", "raw_area_type": "area_type", "borough_snt": "borough_snt", "area_name_given": "area_name",
                  "area_code_given": "area_code", "crime_type": "crime_type", "subtype": "crime_subtype", "raw_measure": "measure"}
    if (long := bounds.long_field(con, "sbp_dash_raw", {e: found[r] for e, r in text_roles.items()}, "line")) is not None:
        fail(bounds.field_problem(long[1]), long[2], long[0], long[1])
    for kind, expr in (("categories", "lower(subtype)"), ("areas", "(area_code_given, area_name_given, borough_snt)")):
        if (problem := bounds.distinct_problem(con, "sbp_dash_raw", expr, kind)) is not None:
            raise IngestError(text.original, problem)
    con.execute("CREATE OR REPLACE TEMP TABLE sbp_dash_types (raw VARCHAR, area_level VARCHAR)")
    store.insert_rows(con, "sbp_dash_types", list(AREA_TYPES.items()))
    con.execute("CREATE OR REPLACE TEMP TABLE sbp_dash_measures (raw VARCHAR, measure VARCHAR)")
    store.insert_rows(con, "sbp_dash_measures", list(MEASURES.items()))
    checks = [
        ("month IS NULL", "month", "this is not a month (an Excel date, dd/mm/yyyy or yyyy-mm-dd)", "raw_month"),
        ("raw_area_type NOT IN (SELECT raw FROM sbp_dash_types) OR raw_area_type IS NULL", "area_type",
         "the area type must be Borough or Safer Neighbourhood Teams", "raw_area_type"),
        ("raw_measure NOT IN (SELECT raw FROM sbp_dash_measures) OR raw_measure IS NULL", "measure",
         "the measure must be Offences or Positive Outcomes", "raw_measure"),
        ("coalesce(subtype, '') = ''", "crime_subtype", "the crime subtype is empty", "subtype"),
        ("count IS NULL OR count < 0 OR count <> trunc(count) OR isnan(count) OR isinf(count) OR count > 1e12", "count",
         "the count must be a whole number of zero or more", "count"),
    ]
    for where, role, problem, column in checks:
        bad = con.execute(f"SELECT line, {column}::VARCHAR FROM sbp_dash_raw WHERE {where} LIMIT 1").fetchone()
        if bad is not None:
            fail(problem, bad[0], found[role], bad[1])
    if (bad := bounds.out_of_range(con, "sbp_dash_raw", "month", "raw_month", "line")) is not None:
        fail(bounds.range_problem("month", bad[0], bad[2]), bad[1], found["month"], bad[0])
    check_identity(con, found, fail)
    con.register("sbp_ward_lookup", ward_lookup())
    con.register("sbp_borough_lookup", borough_lookup())
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_dash_rows AS
        WITH typed AS (
            SELECT r.*, t.area_level, m.measure,
                   -- one subtype whatever its case: the first spelling in sort order stands for all
                   min(r.subtype) OVER (PARTITION BY lower(r.subtype)) AS subtype_name,
                   regexp_full_match(coalesce(r.area_code_given, ''), '{AREA_CODE}') AS has_code
            FROM sbp_dash_raw r JOIN sbp_dash_types t ON t.raw = r.raw_area_type JOIN sbp_dash_measures m ON m.raw = r.raw_measure
        ),
        code_names AS (
            -- A code the lookups do not know keeps its most used name (never one row's noisy spelling).
            SELECT area_level, area_code_given, mode(nullif(area_name_given, '')) AS code_name
            FROM typed WHERE has_code GROUP BY ALL
        ),
        team_boroughs AS (
            -- An unlisted ward's borough: the borough its team name starts with (a few hundred teams, not every row).
            SELECT DISTINCT ON (tm.borough_snt) tm.borough_snt, k.borough AS team_borough
            FROM (SELECT DISTINCT borough_snt FROM typed) tm
            JOIN sbp_borough_lookup k ON starts_with(lower(coalesce(tm.borough_snt, '')), lower(k.borough))
            ORDER BY tm.borough_snt, length(k.borough) DESC
        )
        SELECT t.month, t.area_level,
               -- Names come from the code; a row with no area code is London's unattributed count (as the MPS
               -- borough files' "Unknown"): in London's totals, never in a borough's or a ward's.
               CASE WHEN NOT t.has_code THEN '{UNATTRIBUTED}'
                    WHEN w.ward_code IS NOT NULL THEN w.ward_name
                    WHEN b.borough_code IS NOT NULL THEN b.borough
                    ELSE coalesce(n.code_name, t.area_code_given) END AS area_name,
               CASE WHEN t.area_level = 'ward' AND t.has_code THEN t.area_code_given ELSE '' END AS area_code,
               CASE WHEN NOT t.has_code THEN '{UNATTRIBUTED}'
                    WHEN w.ward_code IS NOT NULL THEN w.borough
                    WHEN b.borough_code IS NOT NULL THEN b.borough
                    ELSE coalesce(tb.team_borough, '{UNATTRIBUTED}') END AS borough,
               t.measure, t.subtype_name, sum(t.count) AS count, count(*) AS source_rows,
               -- rows that differ in none of code, name, team, area type and crime type are a repeated row
               count(DISTINCT (t.area_code_given, t.area_name_given, t.borough_snt, t.raw_area_type,
                               lower(t.crime_type))) AS distinct_rows,
               bool_and(t.has_code) AS has_code, min(t.area_code_given) AS code_given
        FROM typed t
        LEFT JOIN code_names n ON n.area_level = t.area_level AND n.area_code_given = t.area_code_given
        LEFT JOIN team_boroughs tb ON tb.borough_snt = t.borough_snt
        LEFT JOIN sbp_ward_lookup w ON t.area_level = 'ward' AND w.ward_code = t.area_code_given
        LEFT JOIN sbp_borough_lookup b ON t.area_level = 'borough' AND b.borough_code = t.area_code_given
        GROUP BY ALL"""
    )
    con.unregister("sbp_ward_lookup")
    con.unregister("sbp_borough_lookup")
    if con.execute("SELECT 1 FROM sbp_dash_rows WHERE distinct_rows < source_rows LIMIT 1").fetchone():
        _refuse_repeated_row(con, text, found)
    con.execute(
        """CREATE OR REPLACE TEMP VIEW sbp_staged AS
        SELECT month, area_level, area_name, area_code, borough, measure AS major_category,
               subtype_name AS minor_category, count::BIGINT AS offence_count FROM sbp_dash_rows"""
    )
    con.execute("CREATE OR REPLACE TEMP TABLE sbp_scope AS "
                "SELECT DISTINCT area_level, borough, month, '' AS scope_category FROM sbp_dash_rows")
    return con.execute(
        "SELECT sum(source_rows), count(DISTINCT (area_level, area_name, area_code, borough)), count(DISTINCT subtype_name) "
        "FROM sbp_dash_rows"
    ).fetchone()


def check_identity(con: duckdb.DuckDBPyConnection, found: dict[str, str], fail: Callable[..., None]) -> None:
    """Refuse a row whose area is not what its code says: a known code under another area's name ('Bromly' for
    E09000006), a ward under a team of another borough, an unknown borough code, or a borough named with no code.

    Names are compared as areas.published_key reduces them, so the workbook's own spellings pass ("W&le" for Wandle,
    "Fairfield (Croydon)", "St Jamess"); a team that names no borough ("Aviation Security") says nothing.
    """
    boroughs = {b.code: b.name for b in london_boroughs()}
    wards = areas.london_wards()
    coded = con.execute(
        f"""SELECT t.area_level, r.area_code_given, r.area_name_given, r.borough_snt, min(r.line)
        FROM sbp_dash_raw r JOIN sbp_dash_types t ON t.raw = r.raw_area_type
        WHERE regexp_full_match(coalesce(r.area_code_given, ''), '{AREA_CODE}') GROUP BY ALL ORDER BY 5, 2, 3, 4"""
    ).fetchall()
    for level, code, name, team, line in coded:
        if level == "borough":
            known = boroughs.get(code)
            if known is None and name not in areas.non_borough_areas():
                near = areas.closest(name or "", frozenset(boroughs.values()))
                fail(f"{code} is not a London borough's code" + _hint(near, boroughs)
                     + " (a new borough is added to data/boroughs.csv)", line, found["area_code"], code)
        else:
            known, borough = wards.get(code, (None, None))
            stated = areas.borough_in(team or "")
            if known is not None and stated is not None and stated != borough:
                fail(f"ward {code} ({known}) is in {borough}, not in {stated} as its team {team!r} says", line,
                     found["borough_snt"], team)
        if known is not None and name and areas.published_key(name) != areas.published_key(known):
            fail(f"area name {name!r} is not the name of {code} ({known!r}); did you mean {known!r}? (a re-issue under "
                 "another name would count the area twice)", line, found["area_name"], name)
    # A row with no code is London's unattributed count: one that names a borough (or nearly) would count it twice.
    named = con.execute(
        f"""WITH uncoded AS (
            SELECT area_name_given, borough_snt, min(line) AS line FROM sbp_dash_raw
            WHERE NOT regexp_full_match(coalesce(area_code_given, ''), '{AREA_CODE}') GROUP BY ALL
        ),
        given AS (
            SELECT given, role, min(line) AS line FROM (
                SELECT area_name_given AS given, 'area_name' AS role, line FROM uncoded
                UNION ALL SELECT borough_snt, 'borough_snt', line FROM uncoded)
            WHERE coalesce(given, '') <> '' GROUP BY ALL
        )
        SELECT DISTINCT x.given, x.role, x.line FROM given x JOIN (SELECT unnest($names::VARCHAR[]) AS borough) b
          ON starts_with(lower(x.given), lower(b.borough)) OR levenshtein(lower(x.given), lower(b.borough)) <= 2
        ORDER BY 3, 1 LIMIT 1""",
        {"names": list(boroughs.values())},
    ).fetchone()
    if named is not None:
        given, role, line = named
        near = [areas.borough_in(given)] if areas.borough_in(given) else areas.closest(given, frozenset(boroughs.values()))
        fail(f"{given!r} has no area code, so it would be counted as London's unattributed offences"
             + _hint(near, boroughs) + "; give the row its borough's or ward's ONS code", line, found[role], given)


def _hint(near: list[str], boroughs: dict[str, str]) -> str:
    codes = {name: code for code, name in boroughs.items()}
    return f" (did you mean {' or '.join(f'{n!r} ({codes[n]})' for n in near)}?)" if near else ""


def _refuse_repeated_row(con: duckdb.DuckDBPyConnection, text: TextFile, found: dict[str, str]) -> None:
    """Raise for a true duplicate: the same row twice (code, name, team, type, subtype and measure in a month).

    One code under two names or teams (Fairfield and Fairfield (Croydon)) is one area, summed instead.
    """
    key = ["raw_month", "raw_area_type", "borough_snt", "area_name_given", "area_code_given", "lower(crime_type)",
           "lower(subtype)", "raw_measure"]
    dup = con.execute(
        f"""SELECT {', '.join(f'any_value({k})' for k in key)}, any_value(subtype), max(line), any_value(month) FROM sbp_dash_raw
        GROUP BY {', '.join(key)} HAVING count(*) > 1 LIMIT 1"""
    ).fetchone()
    _, _, team, name, code, _, _, measure, subtype, line, month = dup
    where = f"{name or team or 'a row with no area name'}" + (f" ({code})" if code else "")
    if line is None:  # a CSV export: the second of the two lines
        line = _second_line(text, found, dup[:8])
    raise IngestError(text.original, f"{subtype!r} {MEASURES[measure]} for {where} in {month:%b %Y} appears twice with the "
                      "same area code, name and team (a repeated row; rows that differ in name or team are summed)",
                      line=line)


def _second_line(text: TextFile, found: dict[str, str], values: tuple) -> int | None:
    """The line of a CSV export's second row with these key values (as sbp_dash_raw normalises them)."""
    roles = ["month", "area_type", "borough_snt", "area_name", "area_code", "crime_type", "crime_subtype", "measure"]
    index = [text.header.index(found[r]) for r in roles]
    lowered = {"area_type", "crime_type", "crime_subtype", "measure"}
    wanted = [(v or "").lower() if r in lowered else (v or "").upper() if r == "area_code" else (v or "")
              for r, v in zip(roles, values)]
    seen = [0]

    def match(row: list[str]) -> bool:
        cells = [(row[i].strip() if i < len(row) else "") for i in index]
        cells = [c.lower() if r in lowered else c.upper() if r == "area_code" else c for r, c in zip(roles, cells)]
        seen[0] += cells == wanted
        return seen[0] == 2

    return find_line(text, match)


def merge_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What staging merged, in words: one code under several names or teams, and rows with no area code."""
    notes = []
    merged, groups, level, code, month = con.execute(
        """SELECT sum(source_rows), count(*), arg_min(area_level, (month, code_given)),
                  arg_min(code_given, (month, code_given)), min(month)
        FROM sbp_dash_rows WHERE has_code AND source_rows > 1"""
    ).fetchone()
    if merged:
        # (Inside an aggregate, ORDER BY 1 orders by the constant 1, i.e. not at all: name the expression.)
        names, teams = con.execute(
            """SELECT list(DISTINCT coalesce(nullif(area_name_given, ''), borough_snt)
                           ORDER BY coalesce(nullif(area_name_given, ''), borough_snt)),
                      list(DISTINCT borough_snt ORDER BY borough_snt)
            FROM sbp_dash_raw r JOIN sbp_dash_types t ON t.raw = r.raw_area_type
            WHERE t.area_level = $level AND r.area_code_given = $code AND r.month = $month""",
            {"level": level, "code": code, "month": month}).fetchone()
        names = names if len(names) > 1 else teams
    if merged:
        notes.append(f"{int(merged):,} rows in {groups:,} groups merged: an area code under more than one name or team "
                     f"in a month is one area, its counts summed (e.g. {code}: "
                     f"{' and '.join(repr(n) for n in names)}, {month:%b %Y})")
    unattributed = con.execute("SELECT sum(source_rows) FROM sbp_dash_rows WHERE NOT has_code").fetchone()[0]
    spellings = [r[0] for r in con.execute(
        """SELECT DISTINCT coalesce(nullif(area_name_given, ''), nullif(borough_snt, ''), '(blank)') FROM sbp_dash_raw
        WHERE NOT regexp_full_match(coalesce(area_code_given, ''), $code) ORDER BY 1""", {"code": AREA_CODE}).fetchall()]
    if unattributed:
        shown = ", ".join(repr(n) for n in spellings[:5]) + (" and others" if len(spellings) > 5 else "")
        notes.append(f"{unattributed:,} rows with no area code ({shown}) counted as London's unattributed offences "
                     f"(area '{UNATTRIBUTED}': in London's totals, never in a borough's or a ward's)")
    return notes
