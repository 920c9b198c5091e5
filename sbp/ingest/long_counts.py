"""Stage long-format counts (month, area, category, count) for the revision merge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sbp.config import areas
from sbp.errors import IngestError
from sbp.ingest.context import Context
from sbp.ingest.errortext import fail_at
from sbp.ingest.formats import AREA_LEVELS, column_map
from sbp.ingest.reading import quote_ident, read_csv, read_into
from sbp.ingest.validation import MAX_COUNT, bad_count_sql, check_areas, check_bounds, check_months, count_problem

MONTH_PARSE = (
    "coalesce(try_strptime({c}, '%Y-%m'), try_strptime({c}, '%Y%m'), try_strptime({c}, '%Y-%m-%d'), "
    "try_strptime({c}, '%d/%m/%Y'), try_strptime({c}, '%Y-%m-%d %H:%M:%S'))"
)


def stage_long(ctx: Context) -> None:
    """Check a long-format file's months, areas, categories and counts, and stage it with the cells it replaces."""
    con = ctx.con
    cols = column_map(ctx.detected)
    types = {name: "VARCHAR" for name in ctx.text.header}

    def col(role: str, default: str) -> str:
        return f"nullif(trim({quote_ident(cols[role])}), '')" if role in cols else default

    month_expr = MONTH_PARSE.format(c=f"trim({quote_ident(cols['month'])})")
    read_into(ctx, f"""CREATE OR REPLACE TEMP TABLE sbp_raw AS
        SELECT trim({quote_ident(cols['month'])}) AS raw_month, date_trunc('month', {month_expr})::DATE AS month,
              lower({col('area_level', "'borough'")}) AS area_level, {col('area', 'NULL')} AS area_name,
              {col('borough', 'NULL')} AS borough_given, {col('category', 'NULL')} AS category,
              {col('major_category', 'NULL')} AS major_given, {quote_ident(cols['count'])} AS value
        FROM {read_csv(types)}""")
    i = {role: ctx.text.index(name) for role, name in cols.items()}
    fields = {"area_name": "area", "borough_given": "borough", "category": "category", "major_given": "major_category"}
    check_bounds(ctx, "sbp_raw", {expr: cols[role] for expr, role in fields.items() if role in cols},
                 {"categories": "category", "areas": "(area_level, area_name)"})
    checks: list[tuple[str, str, Callable[[list[str]], bool], str]] = [
        ("month IS NULL", "this is not a month (use YYYY-MM, YYYYMM or a date)",
         lambda r: _month_text_bad(r[i["month"]]), cols["month"]),
        ("area_name IS NULL", "the area is empty", lambda r: not r[i["area"]], cols["area"]),
        ("category IS NULL", "the category is empty", lambda r: not r[i["category"]], cols["category"]),
        (f"area_level IS NULL OR area_level NOT IN {AREA_LEVELS}", "area_level must be borough, ward or lsoa",
         lambda r: "area_level" in i and r[i["area_level"]].lower() not in AREA_LEVELS, cols.get("area_level", "area_level")),
        ("area_level <> 'borough' AND borough_given IS NULL", "a ward or LSOA row needs its borough in the borough column",
         lambda r: r[i["area_level"]].lower() != "borough" and ("borough" not in i or not r[i["borough"]]), cols.get("borough", "borough")),
    ]
    for where, problem, predicate, column in checks:
        if con.execute(f"SELECT count(*) FROM sbp_raw WHERE {where}").fetchone()[0]:
            fail_at(ctx, problem, predicate, column=column)
        if column == cols["month"]:
            check_months(ctx, "sbp_raw", "month", "raw_month", "month", cols["month"])
    limits = " ".join(f"WHEN '{lvl}' THEN {limit}" for lvl, limit in MAX_COUNT.items())
    value = con.execute(
        f"SELECT value, area_level FROM sbp_raw WHERE {bad_count_sql('value', f'CASE area_level {limits} END')} LIMIT 1"
    ).fetchone()
    if value is not None:
        bad_level = value[1]
        fail_at(ctx, count_problem(value[0], bad_level) or "bad count",
                lambda r: count_problem(r[i["count"]], r[i["area_level"]].lower() if "area_level" in i else "borough") is not None,
                column=cols["count"])
    _check_long_areas(ctx, i)
    dup = con.execute(
        "SELECT month, area_level, area_name, category FROM sbp_raw GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if dup is not None:
        raise IngestError(
            ctx.text.original,
            f"{dup[3]!r} for {dup[2]!r} in {dup[0]:%b %Y} appears more than once",
        )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sbp_rows AS
        SELECT month, area_level, area_name, '' AS area_code, coalesce(borough_given, area_name) AS borough,
               coalesce(major_given, category) AS major_category, category AS minor_category,
               trim(value)::BIGINT AS offence_count
        FROM sbp_raw"""
    )
    con.execute("CREATE OR REPLACE TEMP VIEW sbp_staged AS SELECT * FROM sbp_rows")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sbp_scope AS "
        "SELECT DISTINCT area_level, borough, month, minor_category AS scope_category FROM sbp_staged"
    )
    s = ctx.summary
    s.rows, s.areas, s.categories = con.execute(
        "SELECT count(*), count(DISTINCT (area_level, area_name)), count(DISTINCT minor_category) FROM sbp_staged"
    ).fetchone()


def _check_long_areas(ctx: Context, index: dict[str, int]) -> None:
    """Borough names (the area of a borough row, the borough of a ward or LSOA row) must be known London areas."""
    con, cols = ctx.con, column_map(ctx.detected)
    if "borough" in cols:
        names_given = [r[0] for r in con.execute("SELECT DISTINCT borough_given FROM sbp_raw WHERE borough_given IS NOT NULL").fetchall()]
        check_areas(ctx, "borough", names_given, areas.known_boroughs(), cols["borough"], index["borough"])
    names = [r[0] for r in con.execute("SELECT DISTINCT area_name FROM sbp_raw WHERE area_level = 'borough'").fetchall()]
    check_areas(ctx, "borough", names, areas.known_boroughs(), cols["area"], index["area"])
    wards = [r[0] for r in con.execute("SELECT DISTINCT area_name FROM sbp_raw WHERE area_level = 'ward'").fetchall()]
    check_areas(ctx, "ward", wards, areas.london_ward_names(), cols["area"], index["area"])
    lsoa = con.execute("SELECT area_name FROM sbp_raw WHERE area_level = 'lsoa' AND NOT regexp_full_match(area_name, $p) LIMIT 1",
                       {"p": areas.LSOA_NAME.pattern}).fetchone()
    if lsoa:
        fail_at(ctx, f"LSOA name {lsoa[0]!r} is not an official LSOA name (a district name then a code such as 001A)",
                lambda r: r[index["area"]] == lsoa[0], column=cols["area"])


def _month_text_bad(text: str) -> bool:
    for fmt in ("%Y-%m", "%Y%m", "%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            dt.datetime.strptime(text.strip(), fmt)
            return False
        except ValueError:
            continue
    return True
