"""Official geography and ONS populations, and the areas police.uk rows belong to.

Loaded as published: the ONS LSOA (2021) -> ward -> local authority lookup, the LSOA (2011) -> LSOA (2021)
lookup, the LAD -> community safety partnership -> police force area lookup and the ONS mid-year estimates workbook
(sheet "MYE2 - Persons"). After every load, derive() places each police.uk row in a local authority by its LSOA
code (2011 codes, which the 2021 lookup lacks, through the 2011 -> 2021 lookup when loaded, else by the district in
the LSOA name), assigns each area to a police force and rewrites the police_uk rows of crime_counts, the
ONS-derived populations and the area aliases. All set-based SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from sbp import store
from sbp.config import areas
from sbp.config.sources import FORCE_LOOKUP, LSOA11_LOOKUP, LSOA_LOOKUP, POLICE_UK
from sbp.errors import ConfirmationNeeded, IngestError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the legacy .xls (and .doc) container
MYE_SHEET = "MYE2 - Persons"
MYE_COLUMNS = ["code", "name", "geography", "all ages"]
# How a row was placed (sbp_lsoa_map.how): in an area by these; 'lsoa11' and 'lsoa11_lad' through the 2011 -> 2021
# lookup (to one 2021 LSOA, or to its authority only when the 2011 LSOA was split); else 'unlocated' or 'unmapped'.
LOCATED = ("code", "lsoa11", "lsoa11_lad", "name", "no_lookup")

# The district a police.uk or ONS LSOA name carries: "Mendip 001A" -> "Mendip".
DISTRICT_SQL = r"regexp_replace({c}, '\s+[0-9]{{3}}[A-Z]$', '')"
# A force's name reduced to compare police.uk's "Reported by" with the lookup's PFA name, as areas.force_key does:
# "Avon and Somerset Constabulary" ~ "Avon and Somerset", "City of London Police" ~ "London, City of".
FORCE_KEY_SQL = (
    r"array_to_string(list_sort(list_filter(string_split(regexp_replace(replace(lower({{c}}), '&', ' and '), "
    r"'[^a-z ]', ' ', 'g'), ' '), lambda w: w <> '' AND w NOT IN ({words}))), ' ')"
).format(words=", ".join(f"'{w}'" for w in areas.FORCE_WORDS))
# The comparator a force's areas form is named after the force area; the Met's is London.
FORCE_DISPLAY_SQL = (
    r"CASE WHEN {key} = 'metropolitan' THEN 'London' "
    r"ELSE regexp_replace({c}, '\s+(Constabulary|Police Service|Police Force|Police)$', '') END"
)


def is_workbook(path: Path) -> bool:
    """Whether a file is a legacy Excel (.xls) workbook, which the ONS publishes its estimates as."""
    try:
        with open(path, "rb") as handle:
            return handle.read(8) == OLE2_MAGIC
    except OSError:
        return False


def read_mye2(path: Path) -> tuple[int, list[tuple[str, str, str, int]]]:
    """The year and (code, name, geography, population) rows of an ONS mid-year estimates workbook."""
    from python_calamine import CalamineWorkbook  # only loads that read a workbook pay for the import

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for every kind of corrupt file
        raise IngestError(path, f"the workbook could not be read ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    if MYE_SHEET not in book.sheet_names:
        raise IngestError(path, f"a workbook is accepted only as ONS mid-year estimates with a sheet {MYE_SHEET!r}; "
                                f"this one has {', '.join(book.sheet_names[:6])}")
    return mye2_rows(path, book.get_sheet_by_name(MYE_SHEET).to_python())


def mye2_rows(path: Path, rows: list[list]) -> tuple[int, list[tuple[str, str, str, int]]]:
    """The year and (code, name, geography, population) rows of the MYE2 sheet's cells, its columns found by name."""
    def header(row: list) -> dict[str, int] | None:
        names = [str(c).strip().lower() for c in row]
        return {c: names.index(c) for c in MYE_COLUMNS} if set(MYE_COLUMNS) <= set(names) else None

    header_at = next((i for i, r in enumerate(rows[:50]) if header(r)), None)
    if header_at is None:
        raise IngestError(path, f"sheet {MYE_SHEET!r} has no header row with 'Code', 'Name', 'Geography' and 'All ages'")
    index = [header(rows[header_at])[c] for c in MYE_COLUMNS]
    title = " ".join(str(c) for r in rows[:header_at] for c in r[:1])
    found = re.search(r"mid-(\d{4})", title)
    if not found:
        raise IngestError(path, f"sheet {MYE_SHEET!r} does not say which year it estimates (no 'mid-YYYY' in its title)")
    out = []
    for number, row in enumerate(rows[header_at + 1:], header_at + 2):
        code, name, geography, people = (row[i] if i < len(row) else "" for i in index)
        code, name, geography = str(code).strip(), str(name).strip(), str(geography).strip()
        if not code and not name:
            continue  # blank rows and notes below the table
        if not code or not name:
            raise IngestError(path, f"sheet {MYE_SHEET!r} row {number}: the code or name is empty")
        if not isinstance(people, (int, float)) or people <= 0 or people != int(people) or people > 1e10:
            raise IngestError(path, f"sheet {MYE_SHEET!r} row {number} ({name}): 'All ages' {people!r} is not a population")
        out.append((code, name, geography, int(people)))
    if not out:
        raise IngestError(path, f"sheet {MYE_SHEET!r} has no rows under its header")
    return int(found.group(1)), out


def load_workbook(con: duckdb.DuckDBPyConnection, path: Path, file_id: int) -> tuple[int, int]:
    """Load an MYE2 workbook (replacing that year's estimates); returns (rows, year)."""
    year, rows = read_mye2(path)
    codes = [r[0] for r in rows]
    if len(set(codes)) != len(codes):
        dup = next(c for c in codes if codes.count(c) > 1)
        raise IngestError(path, f"sheet {MYE_SHEET!r}: code {dup} appears more than once")
    con.execute("DELETE FROM population_ons WHERE year = $y", {"y": year})
    store.insert_rows(con, "population_ons", [(*r[:3], year, r[3], file_id) for r in rows])
    return len(rows), year


# Each lookup's table, its columns in the order formats.LOOKUP_ROLES finds them, its key and required columns.
LOOKUPS = {
    LSOA_LOOKUP: ("geo_lsoa", ("lsoa_code", "lsoa_name", "ward_code", "ward_name", "lad_code", "lad_name"),
                  ("lsoa_code",), ("lsoa_code", "lsoa_name", "lad_code", "lad_name")),
    LSOA11_LOOKUP: ("geo_lsoa11", ("lsoa11_code", "lsoa11_name", "lsoa21_code", "lsoa21_name", "change", "lad_code",
                                   "lad_name"),
                    ("lsoa11_code", "lsoa21_code"), ("lsoa11_code", "lsoa11_name", "lsoa21_code", "lsoa21_name")),
    FORCE_LOOKUP: ("geo_lad_force", ("lad_code", "lad_name", "csp_code", "csp_name", "pfa_code", "pfa_name"),
                   ("lad_code",), ("lad_code", "lad_name", "pfa_code", "pfa_name")),
}
# What the code columns hold (checked by content, so columns swapped or shifted are refused) and the name columns
# never hold (a code).
CODE_COLUMNS = {
    "lsoa_code": (areas.LSOA_CODE, "an ONS LSOA code (E01 or W01 and 6 digits)"),
    "lsoa11_code": (areas.LSOA_CODE, "an ONS LSOA code (E01 or W01 and 6 digits)"),
    "lsoa21_code": (areas.LSOA_CODE, "an ONS LSOA code (E01 or W01 and 6 digits)"),
    "lad_code": (areas.LAD_CODE, "an ONS local authority code (E06 to E09 or W06 and 6 digits)"),
    "pfa_code": (areas.PFA_CODE, "an ONS police force area code (E23 or W15 and 6 digits)"),
}
NAME_COLUMNS = ("lsoa_name", "lsoa11_name", "lsoa21_name", "ward_name", "lad_name", "csp_name", "pfa_name")
# A lookup that places (or holds) under this share of what the current one does is held until the user confirms.
LOOKUP_KEEP_SHARE = 0.5


def load_lookup(con: duckdb.DuckDBPyConnection, file_format: str, path: Path, read_csv: str, columns: list[str],
                file_id: int, line_of: Callable[[str, str], int | None] = lambda column, value: None,
                replace: bool = False) -> int:
    """Replace a lookup table with this file's rows (an ONS lookup is complete, never partial); returns the row count.

    line_of(column, value) is the file line where a column holds a value; replace=True loads a lookup that places
    under half of the police.uk rows (or holds under half the keys) the current one does, which is otherwise held.
    """
    table, names, key, required = LOOKUPS[file_format]
    # Header names were matched by pattern in formats.detect, so quoting them here is safe.
    select = ", ".join(f"coalesce(trim(\"{c}\"), '') AS {n}" for c, n in zip(columns, names))
    con.execute(f"CREATE OR REPLACE TEMP TABLE sbp_geo AS SELECT {select} FROM {read_csv}", {"path": str(path)})
    header = dict(zip(names, columns))
    for column in required:
        if con.execute(f"SELECT count(*) FROM sbp_geo WHERE {column} = ''").fetchone()[0]:
            raise IngestError(path, f"{column} is empty on some rows")
    for column, (pattern, what) in CODE_COLUMNS.items():
        bad = column in names and con.execute(
            f"SELECT {column} FROM sbp_geo WHERE {column} <> '' AND NOT regexp_full_match({column}, $p) LIMIT 1",
            {"p": pattern.pattern}).fetchone()
        if bad:
            raise IngestError(path, f"{bad[0]!r} is not {what}; are the code and name columns swapped?",
                              line=line_of(header[column], bad[0]), column=header[column])
    for column in NAME_COLUMNS:
        bad = column in names and con.execute(
            f"SELECT {column} FROM sbp_geo WHERE regexp_full_match({column}, $p) LIMIT 1",
            {"p": areas.ANY_CODE.pattern}).fetchone()
        if bad:
            raise IngestError(path, f"{bad[0]!r} is a code where a name belongs; are the code and name columns swapped?",
                              line=line_of(header[column], bad[0]), column=header[column])
    dup = con.execute(f"SELECT {', '.join(key)} FROM sbp_geo GROUP BY ALL HAVING count(*) > 1 LIMIT 1").fetchone()
    if dup:
        raise IngestError(path, f"{' to '.join(dup)} appears more than once")
    if not replace:
        _hold_if_fewer(con, path, table, key[0])
    con.execute(f"DELETE FROM {table}")
    con.execute(f"INSERT INTO {table} SELECT *, $f FROM sbp_geo", {"f": file_id})
    return con.execute("SELECT count(*) FROM sbp_geo").fetchone()[0]


def _hold_if_fewer(con: duckdb.DuckDBPyConnection, path: Path, table: str, key: str) -> None:
    """Hold a lookup that would place under half the police.uk rows (or keep under half the keys) the current one does."""
    if table == "geo_lsoa":
        now, new = con.execute(
            """SELECT sum(offence_count) FILTER (WHERE lsoa_code IN (SELECT lsoa_code FROM geo_lsoa)),
                      sum(offence_count) FILTER (WHERE lsoa_code IN (SELECT lsoa_code FROM sbp_geo))
            FROM police_uk_counts WHERE lsoa_code <> ''""").fetchone()
        if now and (new or 0) < now * LOOKUP_KEEP_SHARE:
            raise ConfirmationNeeded(path, f"this lookup places {new or 0:,} of the {now:,} police.uk rows the current "
                                     "one places", "replace_lookup")
    now, kept = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {key} IN (SELECT {key} FROM sbp_geo)) FROM {table}").fetchone()
    if now and kept < now * LOOKUP_KEEP_SHARE:
        raise ConfirmationNeeded(path, f"this lookup holds {kept:,} of the {now:,} {key.split('_')[0].upper()} codes "
                                 "of the current one", "replace_lookup")


def known_areas(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Local authority names the loaded ONS lookup knows (ONS and police.uk spellings), for checking area names."""
    rows = con.execute(
        f"SELECT DISTINCT lad_name FROM geo_lsoa UNION SELECT DISTINCT {DISTRICT_SQL.format(c='lsoa_name')} FROM geo_lsoa"
    ).fetchall()
    return frozenset(r[0] for r in rows)


def adopt_old_police_uk_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Stores from before police_uk_counts kept police.uk rows only in crime_counts: move them across (force unknown)."""
    if con.execute("SELECT count(*) FROM police_uk_counts").fetchone()[0]:
        return
    con.execute(
        f"""INSERT INTO police_uk_counts
        SELECT month, '', area_code, CASE WHEN area_name = '(unlocated)' THEN '' ELSE area_name END, minor_category,
               offence_count, file_id
        FROM crime_counts WHERE source = '{POLICE_UK}' AND area_level = 'lsoa'"""
    )


def derive(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild everything that depends on geography: police.uk areas, area forces, quality, aliases, populations."""
    district = DISTRICT_SQL.format
    has_lookup = con.execute("SELECT count(*) > 0 FROM geo_lsoa").fetchone()[0]
    # Each LAD's display name: the name police.uk and the LSOA names use when it is the LAD's only district
    # ("Bristol" for "Bristol, City of"), else the ONS name ("Somerset", made of four 2021 districts).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_district AS
        SELECT {district(c='lsoa_name')} AS district, min(lad_code) AS lad_code, count(DISTINCT lad_code) AS lads
        FROM geo_lsoa GROUP BY 1"""
    )
    # A district 2011 LSOA names carry and 2021 ones do not (abolished by 2021) is placed as the 2021 district it
    # lies wholly in: "Taunton Deane" as "Somerset West and Taunton", which the lookup puts in Somerset.
    old = areas.lsoa11_districts()
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sbp_district_any AS
        SELECT district, lad_code, lads FROM sbp_district
        UNION ALL
        SELECT o.district, d.lad_code, d.lads
        FROM (SELECT unnest($old::VARCHAR[]) AS district, unnest($successor::VARCHAR[]) AS successor) o
        JOIN sbp_district d ON d.district = o.successor
        WHERE o.district NOT IN (SELECT district FROM sbp_district)""",
        {"old": list(old), "successor": list(old.values())},
    )
    # Each 2011 LSOA the 2011 -> 2021 lookup has: its 2021 LSOA when it became one (unchanged or merged with
    # others), else its authority when every 2021 part is in one; never several places, so never counted twice.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sbp_lsoa11 AS
        SELECT e.lsoa11_code,
               CASE WHEN count(*) = 1 THEN any_value(g.lsoa_code) END AS lsoa_code,
               CASE WHEN count(*) = 1 THEN any_value(g.lsoa_name) END AS lsoa_name,
               CASE WHEN count(g.lsoa_code) = count(*) AND count(DISTINCT g.lad_code) = 1 THEN any_value(g.lad_code)
                    END AS lad_code
        FROM geo_lsoa11 e LEFT JOIN geo_lsoa g ON g.lsoa_code = e.lsoa21_code
        GROUP BY e.lsoa11_code"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_lad AS
        SELECT g.lad_code, any_value(g.lad_name) AS lad_name, list(DISTINCT d.district) AS districts,
               CASE WHEN count(DISTINCT d.district) = 1 AND max(d.lads) = 1 THEN any_value(d.district)
                    ELSE any_value(g.lad_name) END AS area_name
        FROM geo_lsoa g JOIN sbp_district d ON d.district = {district(c='g.lsoa_name')}
        GROUP BY g.lad_code"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_lsoa_map AS
        SELECT k.lsoa_code, k.lsoa_name,
               CASE WHEN k.lsoa_code = '' AND k.lsoa_name = '' THEN 'unlocated'
                    WHEN g.lad_code IS NOT NULL THEN 'code'
                    -- Without a lookup only the name places a row: a code with no name cannot be placed.
                    WHEN NOT $has_lookup AND k.lsoa_name <> '' THEN 'no_lookup'
                    WHEN NOT $has_lookup THEN 'unmapped'
                    WHEN e.lsoa_code IS NOT NULL THEN 'lsoa11'
                    WHEN e.lad_code IS NOT NULL THEN 'lsoa11_lad'
                    -- The 2011 lookup splits it between authorities: its name cannot place it either.
                    WHEN e.lsoa11_code IS NOT NULL THEN 'unmapped'
                    WHEN d.lad_code IS NOT NULL THEN 'name'
                    ELSE 'unmapped' END AS how,
               -- The 2021 LSOA the row is in (its ward is that LSOA's), as the file names it or through the 2011 lookup.
               CASE WHEN g.lad_code IS NOT NULL THEN k.lsoa_code ELSE e.lsoa_code END AS lsoa21_code,
               CASE WHEN g.lad_code IS NOT NULL THEN k.lsoa_name ELSE e.lsoa_name END AS lsoa21_name,
               coalesce(g.lad_code, e.lad_code, d.lad_code, '') AS area_code,
               coalesce(l.area_name, CASE WHEN NOT $has_lookup AND k.lsoa_name <> '' THEN {district(c='k.lsoa_name')} END)
                   AS area_name
        FROM (SELECT DISTINCT lsoa_code, lsoa_name FROM police_uk_counts) k
        LEFT JOIN geo_lsoa g ON g.lsoa_code = k.lsoa_code AND k.lsoa_code <> ''
        LEFT JOIN sbp_lsoa11 e ON g.lad_code IS NULL AND e.lsoa11_code = k.lsoa_code
        LEFT JOIN sbp_district_any d ON g.lad_code IS NULL AND e.lsoa11_code IS NULL AND d.lads = 1
             AND d.district = {district(c='k.lsoa_name')}
        LEFT JOIN sbp_lad l ON l.lad_code = coalesce(g.lad_code, e.lad_code, d.lad_code)""",
        {"has_lookup": has_lookup},
    )
    _derive_forces(con)
    _derive_counts(con)
    _derive_aliases(con)
    _derive_population(con, has_lookup)


def _derive_forces(con: duckdb.DuckDBPyConnection) -> None:
    key, display = FORCE_KEY_SQL.format, FORCE_DISPLAY_SQL.format
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_force AS
        SELECT force, {key(c='force')} AS force_key, {display(c='force', key=key(c='force'))} AS force_name
        FROM (SELECT DISTINCT force FROM police_uk_counts)"""
    )
    con.execute("DELETE FROM area_force")
    # An area belongs to the force whose files hold most of its located rows, unless the lookup puts its
    # code in another force's area: then those rows are strays (crimes a force recorded outside its area).
    con.execute(
        f"""INSERT INTO area_force
        WITH located AS (
            SELECT m.area_name, m.area_code, f.force_key, f.force_name, sum(c.offence_count) AS n
            FROM police_uk_counts c JOIN sbp_lsoa_map m USING (lsoa_code, lsoa_name) JOIN sbp_force f USING (force)
            WHERE m.how IN {LOCATED} GROUP BY ALL
        ),
        majority AS (
            SELECT area_name, area_code, arg_max(force_key, n) AS force_key, arg_max(force_name, n) AS force_name,
                   max(n) AS n
            FROM located GROUP BY ALL
        ),
        lookup AS (
            SELECT lad_code, {key(c='pfa_name')} AS force_key, {display(c='pfa_name', key=key(c='pfa_name'))} AS force_name
            FROM geo_lad_force
        ),
        coverage AS (
            -- Share of an area's LSOAs where its majority force's files have any row: near 1 for a force's own
            -- areas, small for an area it only strays into (Dorset for Avon and Somerset: the lookup is from
            -- 2017 and has no code for Dorset's 2019 authority, so the lookup alone cannot tell).
            SELECT m.area_name, count(DISTINCT c.lsoa_code) / any_value(n_lsoa) AS share
            FROM majority m JOIN sbp_lsoa_map k ON k.area_name = m.area_name AND k.how = 'code'
            JOIN police_uk_counts c ON c.lsoa_code = k.lsoa_code AND c.lsoa_name = k.lsoa_name
            JOIN sbp_force f ON f.force = c.force AND f.force_key = m.force_key
            JOIN (SELECT lad_code, count(*) AS n_lsoa FROM geo_lsoa GROUP BY ALL) g ON g.lad_code = m.area_code
            GROUP BY m.area_name
        )
        -- The force as police.uk names it (as police_uk_quality and month_index do) unless the lookup puts the area
        -- in another force: "London, City of" in the lookup is "City of London Police"'s area, one comparator group.
        SELECT m.area_name, m.area_code,
               CASE WHEN l.force_key <> m.force_key THEN l.force_name ELSE m.force_name END, m.n,
               (l.force_key IS NOT NULL AND l.force_key <> m.force_key) OR coalesce(v.share < 0.5, false)
        FROM majority m LEFT JOIN lookup l ON l.lad_code = m.area_code LEFT JOIN coverage v USING (area_name)
        UNION ALL
        SELECT DISTINCT c.area_name, '', 'London', 0, false
        FROM crime_counts c
        WHERE c.area_level = 'borough' AND c.source <> '{POLICE_UK}' AND c.area_name NOT IN (SELECT area_name FROM majority)"""
    )
    con.execute("DELETE FROM police_uk_quality")
    con.execute(
        """INSERT INTO police_uk_quality
        SELECT c.force, f.force_name, c.month, sum(c.offence_count),
               coalesce(sum(c.offence_count) FILTER (WHERE m.how = 'unlocated'), 0),
               coalesce(sum(c.offence_count) FILTER (WHERE m.how = 'name'), 0),
               coalesce(sum(c.offence_count) FILTER (WHERE m.how = 'unmapped'), 0),
               coalesce(sum(c.offence_count) FILTER (WHERE a.stray OR a.force <> f.force_name), 0),
               coalesce(sum(c.offence_count) FILTER (WHERE m.how IN ('lsoa11', 'lsoa11_lad')), 0)
        FROM police_uk_counts c JOIN sbp_lsoa_map m USING (lsoa_code, lsoa_name) JOIN sbp_force f USING (force)
        LEFT JOIN area_force a ON a.area_name = m.area_name
        GROUP BY ALL"""
    )
    con.execute("DELETE FROM police_uk_lsoa11")
    con.execute(
        f"""INSERT INTO police_uk_lsoa11
        SELECT c.force, c.month, {DISTRICT_SQL.format(c='c.lsoa_name')}, m.how, coalesce(m.area_name, ''),
               sum(c.offence_count)
        FROM police_uk_counts c JOIN sbp_lsoa_map m USING (lsoa_code, lsoa_name)
        WHERE m.how IN ('lsoa11', 'lsoa11_lad', 'name', 'unmapped')
        GROUP BY ALL"""
    )


def _derive_counts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DELETE FROM crime_counts WHERE source = '{POLICE_UK}'")
    # LSOA rows as published, a 2011 code the 2011 lookup places as its 2021 LSOA (their area as the borough column);
    # borough rows per area where located.
    con.execute(
        f"""INSERT INTO crime_counts
        SELECT c.month, 'lsoa',
               CASE WHEN m.how = 'unlocated' THEN '(unlocated)' ELSE coalesce(m.lsoa21_name, c.lsoa_name) END,
               coalesce(m.lsoa21_code, c.lsoa_code),
               CASE m.how WHEN 'unlocated' THEN '(unlocated)' WHEN 'unmapped' THEN '(unmapped)' ELSE m.area_name END,
               c.crime_type, c.crime_type, sum(c.offence_count), '{POLICE_UK}', max(c.file_id)
        FROM police_uk_counts c JOIN sbp_lsoa_map m USING (lsoa_code, lsoa_name)
        GROUP BY ALL"""
    )
    con.execute(
        f"""INSERT INTO crime_counts
        SELECT c.month, 'borough', m.area_name, m.area_code, m.area_name, c.crime_type, c.crime_type,
               sum(c.offence_count), '{POLICE_UK}', max(c.file_id)
        FROM police_uk_counts c JOIN sbp_lsoa_map m USING (lsoa_code, lsoa_name)
        WHERE m.how IN {LOCATED}
        GROUP BY ALL
        UNION ALL
        -- Ward rows for LSOAs the lookup knows (its best-fit ward); like the MPS ward extract, wards sum to a little
        -- less than their area (rows placed by district name or in a split 2011 LSOA have no ward).
        SELECT c.month, 'ward', g.ward_name, g.ward_code, m.area_name, c.crime_type, c.crime_type,
               sum(c.offence_count), '{POLICE_UK}', max(c.file_id)
        FROM police_uk_counts c JOIN sbp_lsoa_map m USING (lsoa_code, lsoa_name)
        JOIN geo_lsoa g ON g.lsoa_code = m.lsoa21_code
        WHERE g.ward_code <> ''
        GROUP BY ALL"""
    )


def _derive_aliases(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM area_alias")
    con.execute(
        """INSERT INTO area_alias
        SELECT DISTINCT alias, area_name FROM (
            SELECT lad_name AS alias, area_name FROM sbp_lad
            UNION ALL SELECT p.area_name, l.area_name FROM population_ons p JOIN sbp_lad l ON l.lad_code = p.area_code
        ) WHERE alias <> area_name"""
    )


def _derive_population(con: duckdb.DuckDBPyConnection, has_lookup: bool) -> None:
    con.execute("DELETE FROM population WHERE file_id IN (SELECT DISTINCT file_id FROM population_ons)")
    # By code; an area the lookup has but the estimates do not (merged since, e.g. Somerset in 2023) gets the
    # sum of the districts it was made from, only when every one of them is in the estimates (never a partial sum).
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sbp_pop_derived AS
        WITH direct AS (
            SELECT l.area_name, p.year, p.population, p.file_id
            FROM population_ons p JOIN sbp_lad l ON l.lad_code = p.area_code
        ),
        parts AS (
            SELECT l.area_name, unnest(l.districts) AS district, len(l.districts) AS parts
            FROM sbp_lad l WHERE l.lad_code NOT IN (SELECT area_code FROM population_ons)
        ),
        merged AS (
            SELECT pa.area_name, p.year, sum(p.population) AS population, max(p.file_id) AS file_id
            FROM parts pa JOIN population_ons p ON p.area_name = pa.district
             AND p.geography NOT IN ('Country', 'Region', 'County', 'Metropolitan County')
            GROUP BY pa.area_name, p.year HAVING count(*) = max(pa.parts)
        ),
        by_name AS (
            SELECT area_name, year, population, file_id FROM population_ons
            WHERE NOT $has_lookup AND geography NOT IN ('Country', 'Region', 'County', 'Metropolitan County')
        )
        SELECT * FROM direct UNION ALL SELECT * FROM merged UNION ALL SELECT * FROM by_name""",
        {"has_lookup": has_lookup},
    )
    # A population file loaded by hand for the same area and year wins over the derived estimate.
    con.execute(
        """INSERT INTO population
        SELECT 'borough', d.area_name, d.year, 'residents', d.population, d.file_id FROM sbp_pop_derived d
        WHERE NOT EXISTS (SELECT 1 FROM population p WHERE p.area_level = 'borough' AND p.area_name = d.area_name
                          AND p.denominator = 'residents' AND p.year IS NOT DISTINCT FROM d.year)"""
    )


QUALITY_SQL = """
WITH placed AS (
    SELECT force, placed_by, n,
           CASE WHEN district = area_name THEN district ELSE district || ' -> ' || area_name END || ': ' || format('{:,}', n)
               AS label
    FROM (SELECT force, placed_by, district, area_name, sum(offence_count) AS n FROM police_uk_lsoa11 GROUP BY ALL)
),
by_force AS (
    SELECT force, sum(n) FILTER (WHERE placed_by = 'lsoa11_lad') AS lsoa11_authority_only,
           string_agg(label, ', ' ORDER BY n DESC, label) FILTER (WHERE placed_by = 'name') AS by_name_districts
    FROM placed GROUP BY force
)
SELECT force, min(month) AS first_month, max(month) AS last_month, sum(offence_count) AS offence_count,
       sum(unlocated) AS unlocated, sum(by_lsoa11) AS by_lsoa11,
       coalesce(any_value(p.lsoa11_authority_only), 0) AS lsoa11_authority_only, sum(by_name) AS by_name,
       coalesce(any_value(p.by_name_districts), '') AS by_name_districts, sum(unmapped) AS unmapped,
       sum(outside_force) AS outside_force
FROM police_uk_quality LEFT JOIN by_force p USING (force) GROUP BY force ORDER BY force
"""


def quality_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per police force: rows loaded, how rows with 2011 LSOA codes were placed, and what was not."""
    lines = []
    for (force, first, last, total, unlocated, by_lsoa11, authority_only, by_name, districts, unmapped,
         outside) in con.execute(QUALITY_SQL).fetchall():
        text = (f"police.uk {force or '(force not recorded)'}: {total:,} rows {first:%b %Y} to {last:%b %Y}; "
                f"{unlocated:,} with no location (counted for the force, in no area); "
                f"{outside:,} in other forces' areas (counted there, never in this force's league)")
        if by_lsoa11:
            text += f"; {by_lsoa11:,} crimes with 2011 LSOA codes placed through the ONS LSOA 2011 to 2021 lookup"
            if authority_only:
                text += f" ({authority_only:,} of them in 2011 LSOAs split since, in their authority only)"
        if by_name:
            text += (f"; {by_name:,} crimes with 2011 LSOA codes placed by district, in their authority only "
                     f"({districts})")
        text += f"; {unmapped:,} could not be placed at all" if unmapped else "; none unplaced"
        lines.append(text)
    return lines
