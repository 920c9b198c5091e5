"""Load population files (area, population[, year][, denominator][, area_level]) into the population table."""

from __future__ import annotations

from collections.abc import Callable

from sbp.config import areas
from sbp.errors import IngestError
from sbp.ingest import geography
from sbp.ingest.context import Context
from sbp.ingest.errortext import fail_at
from sbp.ingest.formats import AREA_LEVELS, DENOMINATORS, column_map
from sbp.ingest.reading import quote_ident, read_csv, read_into
from sbp.ingest.validation import POPULATION_RANGE, check_areas


def load_population(ctx: Context) -> None:
    """Check a population file and replace the stored figures for the areas, years and denominators it gives."""
    con = ctx.con
    cols = column_map(ctx.detected)
    area = cols.get("area") or cols["borough"]
    types = {name: ("DOUBLE" if name.lower() in ("population", "year") else "VARCHAR") for name in ctx.text.header}
    year = quote_ident(cols["year"]) if "year" in cols else "NULL"
    denominator = f"lower(nullif(trim({quote_ident(cols['denominator'])}), ''))" if "denominator" in cols else "NULL"
    level = f"lower(nullif(trim({quote_ident(cols['area_level'])}), ''))" if "area_level" in cols else "NULL"
    read_into(ctx, f"""CREATE OR REPLACE TEMP TABLE sbp_pop AS
        SELECT coalesce({level}, 'borough') AS area_level, nullif(trim({quote_ident(area)}), '') AS area_name,
              {year} AS year, coalesce({denominator}, 'residents') AS denominator, {quote_ident(cols['population'])} AS population
        FROM {read_csv(types)}""")
    i = {role: ctx.text.index(name) for role, name in cols.items()}
    ia = ctx.text.index(area)

    def number(cell: str) -> float | None:
        try:
            return float(cell)
        except ValueError:
            return None

    def r_level(r: list[str]) -> str:
        return (r[i["area_level"]].lower() or "borough") if "area_level" in i else "borough"

    low = " ".join(f"WHEN '{lvl}' THEN {lo}" for lvl, (lo, _) in POPULATION_RANGE.items())
    high = " ".join(f"WHEN '{lvl}' THEN {hi}" for lvl, (_, hi) in POPULATION_RANGE.items())
    plausible = "; ".join(f"{lvl} {lo:,} to {hi:,}" for lvl, (lo, hi) in POPULATION_RANGE.items())
    checks: list[tuple[str, str, Callable[[list[str]], bool], str]] = [
        ("area_name IS NULL", "the area is empty", lambda r: not r[ia], area),
        ("population IS NULL OR population <= 0", "the population must be above zero",
         lambda r: (number(r[i["population"]]) or 0) <= 0, cols["population"]),
        (f"isinf(population) OR isnan(population) OR NOT population BETWEEN CASE area_level {low} END AND CASE area_level {high} END",
         "the population is implausible for the area's level (" + plausible + ")",
         lambda r: not (POPULATION_RANGE.get(r_level(r), (0, 0))[0] <= (number(r[i["population"]]) or 0) <= POPULATION_RANGE.get(r_level(r), (0, 0))[1]),
         cols["population"]),
        ("population <> trunc(population)", "the population must be a whole number",
         lambda r: (v := number(r[i["population"]])) is not None and v != int(v), cols["population"]),
        ("year IS NOT NULL AND (year <> trunc(year) OR year < 1800 OR year > 2200)", "the year must be a four-digit year",
         lambda r: "year" in i and r[i["year"]] != "" and not r[i["year"]].isdigit(), cols.get("year", "year")),
        (f"denominator NOT IN {DENOMINATORS}", "denominator must be residents or households",
         lambda r: "denominator" in i and r[i["denominator"]].lower() not in DENOMINATORS + ("",), cols.get("denominator", "denominator")),
        (f"area_level NOT IN {AREA_LEVELS}", "area_level must be borough, ward or lsoa",
         lambda r: "area_level" in i and r[i["area_level"]].lower() not in AREA_LEVELS + ("",), cols.get("area_level", "area_level")),
    ]
    for where, problem, predicate, column in checks:
        if con.execute(f"SELECT count(*) FROM sbp_pop WHERE {where}").fetchone()[0]:
            fail_at(ctx, problem, predicate, column=column)
    boroughs = [r[0] for r in con.execute("SELECT DISTINCT area_name FROM sbp_pop WHERE area_level = 'borough'").fetchall()]
    check_areas(ctx, "borough", boroughs, areas.known_boroughs() | geography.known_areas(ctx.con), area, ia)
    wards = [r[0] for r in con.execute("SELECT DISTINCT area_name FROM sbp_pop WHERE area_level = 'ward'").fetchall()]
    check_areas(ctx, "ward", wards, areas.london_ward_names(), area, ia)
    dup = con.execute("SELECT area_name FROM sbp_pop GROUP BY area_level, area_name, year, denominator HAVING count(*) > 1 LIMIT 1").fetchone()
    if dup is not None:
        raise IngestError(ctx.text.original, f"{dup[0]!r} appears more than once for the same year and denominator")
    con.execute(
        """DELETE FROM population p USING sbp_pop n
        WHERE p.area_level = n.area_level AND p.area_name = n.area_name AND p.denominator = n.denominator
          AND p.year IS NOT DISTINCT FROM n.year::INTEGER"""
    )
    con.execute(
        "INSERT INTO population SELECT area_level, area_name, year::INTEGER, denominator, population::BIGINT, $file_id FROM sbp_pop",
        {"file_id": ctx.file_id},
    )
    s = ctx.summary
    s.rows, s.areas = con.execute("SELECT count(*), count(DISTINCT area_name) FROM sbp_pop").fetchone()
