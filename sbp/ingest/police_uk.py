"""Load police.uk street-level files into police_uk_counts, and the ONS lookups that place their rows (geography.py)."""

from __future__ import annotations

from sbp.config import areas
from sbp.errors import ConfirmationNeeded, IngestError
from sbp.ingest import geography
from sbp.ingest.context import Context
from sbp.ingest.errortext import csv_errors, fail_at
from sbp.ingest.reading import read_csv, read_into
from sbp.ingest.textfile import find_line
from sbp.ingest.validation import SHRINK_FLOOR, SHRINK_SHARE, check_months

# The columns besides month, force, LSOA and crime type that make two rows with no Crime ID the same row.
IDENTICAL_COLUMNS = ("Falls within", "Longitude", "Latitude", "Location", "Last outcome category", "Context")
# Repeats beyond these shares are a file with its rows in it twice. In the 2023 Avon and Somerset files 0.06-0.16%
# of the rows with a Crime ID repeat another's within their month, LSOA and crime type (7 to 18 a month; 0.3-0.5%
# across the file), and 27-32% of the rows without one (anti-social behaviour, located to the same point) are
# copies of another row; the same file twice has 50% and about 65%. A file with under REPEAT_FLOOR repeated rows is
# not judged (hand-made files of a few rows).
REPEATED_ID_SHARE = 0.02
REPEATED_ROW_SHARE = 0.5
REPEAT_FLOOR = 10


def load_police_uk(ctx: Context) -> None:
    """Count rows per month x force x LSOA x crime type; a file replaces the months it covers for its force.

    crime_counts' police_uk rows are derived from these after the load (geography.derive), so a lookup loaded
    later still places every row.
    """
    con = ctx.con
    types = {name: "VARCHAR" for name in ctx.text.header}
    # Repeats are counted in the same read, within each month, force, LSOA and crime type (a repeated row is always
    # in its original's group): each row is first grouped with its Crime ID's hash, or, with no ID, the hash of its
    # other fields, so k - 1 of a group of k are repeats. (Two plain GROUP BYs: about half the CPU of DISTINCT
    # aggregates per group.)
    crime_id = "nullif(trim(\"Crime ID\"), '')"
    rest = ", ".join(f'coalesce(trim("{c}"), \'\')' for c in IDENTICAL_COLUMNS)
    read_into(ctx, f"""CREATE OR REPLACE TEMP TABLE sbp_raw AS
        SELECT raw_month, force, lsoa_code, lsoa_name, crime_type, sum(k) AS n,
               coalesce(sum(k - 1) FILTER (WHERE id_hash IS NOT NULL), 0) AS repeated_ids,
               coalesce(sum(k) FILTER (WHERE id_hash IS NOT NULL), 0) AS with_id,
               coalesce(sum(k - 1) FILTER (WHERE id_hash IS NULL), 0) AS repeated_rows
        FROM (
            SELECT trim("Month") AS raw_month, coalesce(trim("Reported by"), '') AS force,
                   coalesce(trim("LSOA code"), '') AS lsoa_code, coalesce(trim("LSOA name"), '') AS lsoa_name,
                   trim("Crime type") AS crime_type, CASE WHEN {crime_id} IS NOT NULL THEN hash({crime_id}) END AS id_hash,
                   CASE WHEN {crime_id} IS NULL THEN hash({rest}) END AS row_hash, count(*) AS k
            FROM {read_csv(types)} GROUP BY ALL)
        GROUP BY ALL""")
    months, empty_types = con.execute(
        "SELECT list(DISTINCT raw_month), count(*) FILTER (WHERE coalesce(crime_type, '') = '') FROM sbp_raw").fetchone()
    bad = [m for m in months if m is None or not _is_yyyy_mm(m)]
    if bad:
        idx = ctx.text.index("Month")
        fail_at(ctx, f"Month {bad[0] or ''!r} is not in the YYYY-MM form the rest of the file uses",
                lambda r: len(r) > idx and not _is_yyyy_mm(r[idx]), column="Month")
    if empty_types:
        fail_at(ctx, "the crime type is empty", lambda r, i=ctx.text.index("Crime type"): len(r) > i and not r[i],
                column="Crime type")
    check_months(ctx, [r[0] for r in con.execute("SELECT DISTINCT strptime(raw_month, '%Y-%m')::DATE FROM sbp_raw").fetchall()], "Month")
    # The borough (district) comes from the LSOA name, so a name without its NNNX code must not become a borough.
    bad = con.execute(
        "SELECT lsoa_code, lsoa_name FROM sbp_raw WHERE lsoa_name <> '' AND (NOT regexp_full_match(lsoa_name, $name) "
        "OR NOT regexp_full_match(lsoa_code, $code)) LIMIT 1",
        {"name": areas.LSOA_NAME.pattern, "code": areas.LSOA_CODE.pattern},
    ).fetchone()
    if bad:
        column, value = ("LSOA name", bad[1]) if not areas.LSOA_NAME.match(bad[1]) else ("LSOA code", bad[0])
        index = ctx.text.index(column)
        fail_at(ctx, f"{column} {value!r} is not an official LSOA {column.split()[1]} (names end in a code such as 001A; "
                "codes look like E01000001)", lambda r: r[index] == value, column=column)
    _check_repeats(ctx)
    _name_forces(ctx)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sbp_rows AS
        SELECT strptime(raw_month, '%Y-%m')::DATE AS month, force, lsoa_code, lsoa_name, crime_type,
               sum(n)::BIGINT AS offence_count
        FROM sbp_raw GROUP BY ALL"""
    )
    s = ctx.summary
    (s.first_month, s.last_month, s.rows, unlocated, s.areas, s.categories) = con.execute(
        """SELECT min(month), max(month), sum(offence_count),
                  sum(offence_count) FILTER (WHERE lsoa_code = '' AND lsoa_name = ''),
                  count(DISTINCT lsoa_code), count(DISTINCT crime_type) FROM sbp_rows"""
    ).fetchone()
    s.unlocated = int(unlocated or 0)
    # The month bounds let DuckDB skip the stored row groups of other months (files arrive month by month), so
    # replacing a force's month does not scan every month already loaded.
    span = {"first": s.first_month, "last": s.last_month}
    replaced = """FROM police_uk_counts p JOIN (SELECT DISTINCT force, month FROM sbp_rows) r
                  ON p.force = r.force AND p.month = r.month WHERE p.month BETWEEN $first AND $last"""
    s.months_replaced = con.execute(f"SELECT count(DISTINCT (p.force, p.month)) {replaced}", span).fetchone()[0]
    if s.months_replaced and not ctx.force:
        _hold_if_smaller(ctx, span)
    if s.months_replaced:
        con.execute(
            "DELETE FROM police_uk_counts p USING (SELECT DISTINCT force, month FROM sbp_rows) r "
            "WHERE p.force = r.force AND p.month = r.month AND p.month BETWEEN $first AND $last", span)
    con.execute("INSERT INTO police_uk_counts SELECT *, $f FROM sbp_rows", {"f": ctx.file_id})


def load_lookup(ctx: Context) -> None:
    """Replace the ONS lookup table this file is (LSOA to ward and district, LSOA 2011 to 2021, or district to force)."""
    types = {name: "VARCHAR" for name in ctx.text.header}

    def line_of(column: str, value: str) -> int | None:
        return find_line(ctx.text, lambda r, i=ctx.text.index(column): r[i] == value)

    with csv_errors(ctx):
        ctx.summary.rows = geography.load_lookup(ctx.con, ctx.detected.file_format, ctx.text.readable, read_csv(types),
                                                 ctx.detected.columns, ctx.file_id, line_of, ctx.replace_lookup)


def _check_repeats(ctx: Context) -> None:
    """Refuse a file whose rows repeat beyond what published files hold (its rows in it twice)."""
    with_id, repeated_ids, blank, repeated_rows = ctx.con.execute(
        "SELECT sum(with_id), sum(repeated_ids), sum(n - with_id), sum(repeated_rows) FROM sbp_raw").fetchone()
    if repeated_ids and repeated_ids >= REPEAT_FLOOR and repeated_ids > REPEATED_ID_SHARE * with_id:
        raise IngestError(ctx.text.original, f"{repeated_ids:,} of its {with_id:,} crimes repeat another row's Crime ID "
                          f"({repeated_ids / with_id:.0%}; published police.uk files hold under {REPEATED_ID_SHARE:.0%}): "
                          "are its rows in it twice? Nothing was loaded")
    if repeated_rows and repeated_rows >= REPEAT_FLOOR and repeated_rows > REPEATED_ROW_SHARE * blank:
        raise IngestError(ctx.text.original, f"{repeated_rows:,} of its {blank:,} rows with no Crime ID are copies of "
                          f"another row ({repeated_rows / blank:.0%}; published police.uk files hold at most "
                          f"{REPEATED_ROW_SHARE:.0%}): are its rows in it twice? Nothing was loaded")


def _name_forces(ctx: Context) -> None:
    """Store each force under police.uk's own name, whatever case or '&' the file uses; refuse a force not known."""
    known = areas.police_forces()
    names = {}
    for (given,) in ctx.con.execute("SELECT DISTINCT force FROM sbp_raw WHERE force <> '' ORDER BY 1").fetchall():
        force = known.get(areas.force_key(given))
        if force is None and given not in ctx.new_areas:
            at = ctx.text.index("Reported by")
            fail_at(ctx, areas.unknown_area_problem("police force", [given], frozenset(known.values())),
                    lambda r: r[at] == given, column="Reported by")
        if force is not None and force != given:
            names[given] = force
    if names:
        ctx.con.execute(
            "UPDATE sbp_raw SET force = m.force FROM (SELECT unnest($given::VARCHAR[]) AS given, "
            "unnest($force::VARCHAR[]) AS force) m WHERE sbp_raw.force = m.given",
            {"given": list(names), "force": list(names.values())})


def _hold_if_smaller(ctx: Context, span: dict[str, object]) -> None:
    """Hold a file with under half the crimes of a force's month it would replace, until the user confirms."""
    shrunk = ctx.con.execute(
        """WITH new AS (SELECT force, month, sum(offence_count) AS n FROM sbp_rows GROUP BY ALL),
        old AS (SELECT p.force, p.month, sum(p.offence_count) AS n FROM police_uk_counts p
                JOIN new USING (force, month) WHERE p.month BETWEEN $first AND $last GROUP BY ALL)
        SELECT force, month, new.n, old.n FROM new JOIN old USING (force, month)
        WHERE new.n < old.n * $share AND old.n >= $floor ORDER BY month, force""",
        span | {"share": SHRINK_SHARE, "floor": SHRINK_FLOOR}).fetchall()
    if shrunk:
        force, month, new, old = shrunk[0]
        more = f" (and {len(shrunk) - 1} more months)" if len(shrunk) > 1 else ""
        raise ConfirmationNeeded(ctx.text.original, f"{force} {month:%b %Y}: this file holds {new:,} crimes where the "
                                 f"loaded month holds {old:,}{more}; it would replace that month", "force")


def _is_yyyy_mm(value: str) -> bool:
    return len(value) == 7 and value[4] == "-" and value[:4].isdigit() and value[5:].isdigit() and 1 <= int(value[5:]) <= 12
