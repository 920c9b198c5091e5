"""Stage the MPS wide files (borough, ward and LSOA levels, one column per month) for the revision merge."""

from __future__ import annotations

import datetime as dt

from sbp.config import areas, london_boroughs
from sbp.config.categories import category_notes
from sbp.config.sources import MPS_BOROUGH, MPS_LSOA, MPS_WARD
from sbp.errors import IngestError
from sbp.ingest.context import Context
from sbp.ingest.errortext import fail_at
from sbp.ingest.formats import wide_roles
from sbp.ingest.reading import quote_ident, read_csv, read_into
from sbp.ingest.revisions import ALL_BOROUGHS
from sbp.ingest.textfile import find_line
from sbp.ingest.validation import MAX_COUNT, bad_count_sql, check_areas, count_problem

LEVELS = {MPS_BOROUGH: "borough", MPS_WARD: "ward", MPS_LSOA: "lsoa"}


def stage_wide(ctx: Context) -> None:
    """Check a wide file's months, counts, keys and areas, and stage it unpivoted with the whole months it replaces."""
    d = ctx.detected
    con = ctx.con
    roles = wide_roles(d)
    level = LEVELS[d.file_format]
    _check_wide_months(ctx)
    # read_csv's columns follow the file's own order.
    types = {name: "VARCHAR" for name in ctx.text.header}
    # Trim the name columns here, once per wide row, not once per unpivoted cell.
    trimmed = ", ".join(f"trim({quote_ident(c)}) AS {quote_ident(c)}" for c in d.columns)
    month_cols = ", ".join(quote_ident(m) for m in d.month_columns)
    read_into(ctx, f"CREATE OR REPLACE TEMP TABLE sbp_wide AS SELECT {trimmed}, {month_cols} FROM {read_csv(types)}")
    key_cols = [quote_ident(c) for c in d.columns]
    months = [quote_ident(m) for m in d.month_columns]
    bad_value = " OR ".join(bad_count_sql(m, str(MAX_COUNT[level])) for m in months)
    missing_key = " OR ".join(f"coalesce({c}, '') = ''" for c in key_cols)
    row = con.execute(
        f"SELECT {', '.join(key_cols + months)} FROM sbp_wide WHERE {missing_key} OR {bad_value} LIMIT 1"
    ).fetchone()
    at = [ctx.text.index(c) for c in d.columns]

    def key_of(r: list[str]) -> list[str]:
        return [r[i] for i in at]

    if row is not None:
        keys, values = list(row[: len(key_cols)]), row[len(key_cols):]
        for name, value in zip(d.columns, keys):
            if not (value or "").strip():
                fail_at(ctx, "this field is empty", lambda r, i=ctx.text.index(name): len(r) > i and not r[i], column=name)
        for name, value in zip(d.month_columns, values):
            problem = count_problem(value, level)
            if problem:
                idx = ctx.text.index(name)
                wanted = [k.strip() for k in keys]
                fail_at(ctx, problem, lambda r: key_of(r) == wanted and len(r) > idx
                        and count_problem(r[idx], level) is not None, column=name)
    dup = con.execute(
        f"SELECT {', '.join(key_cols)} FROM sbp_wide GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if dup is not None:
        wanted = [k.strip() for k in dup]
        first = find_line(ctx.text, lambda r: key_of(r) == wanted)
        label = " / ".join(wanted)
        seen = [0]

        def second(r: list[str]) -> bool:
            if key_of(r) == wanted:
                seen[0] += 1
            return seen[0] == 2

        raise IngestError(ctx.text.original, f"{label!r} appears twice (first at line {first})", line=find_line(ctx.text, second))
    _check_wide_areas(ctx, roles, level)

    major, minor = quote_ident(roles["major"]), quote_ident(roles["minor"])
    borough = quote_ident(roles["borough"])
    area_name = quote_ident(roles["area"]) if "area" in roles else borough
    area_code = quote_ident(roles["code"]) if "code" in roles else "''"
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW sbp_staged AS
        SELECT strptime(yyyymm, '%Y%m')::DATE AS month, '{level}' AS area_level, {area_name} AS area_name,
               {area_code} AS area_code, {borough} AS borough, {major} AS major_category,
               {minor} AS minor_category, trim(offence_count)::BIGINT AS offence_count
        FROM (UNPIVOT sbp_wide ON {', '.join(months)} INTO NAME yyyymm VALUE offence_count)"""
    )
    # An MPS extract covers the whole of London at its level: it replaces whole months (every borough), so a
    # borough renamed or dropped in a re-issue cannot leave its old rows beside the new ones.
    month_list = ", ".join(f"strptime('{m}', '%Y%m')::DATE" for m in d.month_columns)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_scope AS
        SELECT '{level}' AS area_level, '{ALL_BOROUGHS}' AS borough, unnest([{month_list}]) AS month, '' AS scope_category"""
    )
    s = ctx.summary
    s.rows, s.areas, s.categories = con.execute(
        f"SELECT count(*), count(DISTINCT ({area_name}, {area_code})), count(DISTINCT ({major}, {minor})) FROM sbp_wide"
    ).fetchone()
    s.notes += category_notes(con.execute(f"SELECT DISTINCT {major}, {minor} FROM sbp_wide").fetchall())


def _check_wide_months(ctx: Context) -> None:
    """MPS wide files cover one unbroken run of months, none after the current month."""
    months = [dt.date(int(m[:4]), int(m[4:]), 1) for m in ctx.detected.month_columns]
    for name, month in zip(ctx.detected.month_columns, months):
        if month > dt.date.today().replace(day=1):
            raise IngestError(ctx.text.original, f"month column {name} is after the current month "
                              f"({dt.date.today():%b %Y}); is it a typo?", line=1, column=name)
    ordered = sorted(months)
    for before, after, name in zip(ordered, ordered[1:], sorted(ctx.detected.month_columns)[1:]):
        if (after.year * 12 + after.month) - (before.year * 12 + before.month) != 1:
            raise IngestError(ctx.text.original, f"the month columns skip from {before:%Y%m} to {after:%Y%m}; an MPS "
                              "extract covers one unbroken run of months (is a column a typo?)", line=1, column=name)


def _check_wide_areas(ctx: Context, roles: dict[str, str], level: str) -> None:
    """Every borough (and ward code) in an MPS file is a known London area, or one the user added on purpose."""
    borough = roles["borough"]
    names = [r[0] for r in ctx.con.execute(f"SELECT DISTINCT {quote_ident(borough)} FROM sbp_wide").fetchall()]
    check_areas(ctx, "borough", names, areas.known_boroughs(), borough, ctx.text.index(borough))
    if level == "ward":
        codes = [r[0] for r in ctx.con.execute(f"SELECT DISTINCT {quote_ident(roles['code'])} FROM sbp_wide").fetchall()]
        check_areas(ctx, "ward code", codes, frozenset(areas.london_wards()), roles["code"], ctx.text.index(roles["code"]))
        _check_ward_boroughs(ctx, roles)
    if level == "lsoa":
        name = roles["area"]
        bad = ctx.con.execute(
            f"SELECT {quote_ident(name)} FROM sbp_wide WHERE NOT regexp_full_match({quote_ident(name)}, $p) LIMIT 1",
            {"p": areas.LSOA_NAME.pattern},
        ).fetchone()
        if bad:
            fail_at(ctx, f"LSOA name {bad[0]!r} is not an official LSOA name (a district name then a code such as 001A)",
                    lambda r, i=ctx.text.index(name): r[i] == bad[0], column=name)


def _check_ward_boroughs(ctx: Context, roles: dict[str, str]) -> None:
    """A known ward code stands under its own borough (or a non-borough area such as "Aviation Security (SO18)"):
    a Bromley ward under "Croydon" would rank in Croydon and count twice in a re-issue."""
    code, borough = roles["code"], roles["borough"]
    pairs = ctx.con.execute(
        f"SELECT DISTINCT {quote_ident(code)}, {quote_ident(borough)} FROM sbp_wide ORDER BY ALL").fetchall()
    wards, boroughs = areas.london_wards(), {b.name for b in london_boroughs()}
    for ward_code, stated in pairs:
        name, own = wards.get(ward_code, (None, None))
        if own is not None and stated in boroughs and stated != own:
            at_code, at_borough = ctx.text.index(code), ctx.text.index(borough)
            fail_at(ctx, f"ward {ward_code} ({name}) is in {own}, not in {stated}",
                    lambda r: r[at_code].strip() == ward_code and r[at_borough].strip() == stated, column=borough)
