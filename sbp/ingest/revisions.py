"""Merge a file's staged counts into crime_counts: it replaces the months it covers unless a newer extract holds them."""

from __future__ import annotations

from sbp.errors import ConfirmationNeeded
from sbp.ingest.context import Context
from sbp.ingest.validation import SHRINK_FLOOR, SHRINK_SHARE

ALL_BOROUGHS = "*"  # scope marker: the file replaces these months for every borough at its level


def merge_counts(ctx: Context, source: str) -> None:
    """Replace the months this file covers for its source, level and boroughs, unless a newer extract holds them."""
    con = ctx.con
    first, last = con.execute("SELECT min(month), max(month) FROM sbp_scope").fetchone()
    ctx.summary.first_month, ctx.summary.last_month = first, last
    params = {"source": source, "vintage": last}
    match = f"""c.source = $source AND c.area_level = s.area_level AND (s.borough = '{ALL_BOROUGHS}' OR c.borough = s.borough)
               AND c.month = s.month
               AND (s.scope_category = '' OR c.minor_category = s.scope_category)"""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_scope_old AS
        SELECT s.area_level, s.borough, s.month, s.scope_category, max(f.last_month) AS vintage
        FROM crime_counts c JOIN source_files f USING (file_id) JOIN sbp_scope s ON {match}
        GROUP BY ALL""",
        {"source": source},
    )
    replaced, kept = con.execute(
        """SELECT count(DISTINCT month) FILTER (WHERE vintage <= $vintage),
                  count(DISTINCT month) FILTER (WHERE vintage > $vintage) FROM sbp_scope_old""",
        {"vintage": last},
    ).fetchone()
    if replaced and not ctx.force:
        _hold_if_smaller(ctx, match, params)
    con.execute(f"DELETE FROM crime_counts c USING sbp_scope_old s WHERE {match} AND s.vintage <= $vintage", params)
    columns = "month, area_level, area_name, area_code, borough, major_category, minor_category, offence_count"
    newer = ""
    if kept:
        newer = f"""WHERE NOT EXISTS (SELECT 1 FROM sbp_scope_old o WHERE o.vintage > $vintage AND o.area_level = st.area_level
                   AND (o.borough = '{ALL_BOROUGHS}' OR o.borough = st.borough) AND o.month = st.month
                   AND (o.scope_category = '' OR o.scope_category = st.minor_category))"""
    # Only the months in scope: a month taken out of it (completeness.drop_incomplete_months) is not loaded.
    in_scope = "EXISTS (SELECT 1 FROM sbp_scope sc WHERE sc.area_level = st.area_level AND sc.month = st.month)"
    newer = f"{newer} AND {in_scope}" if newer else f"WHERE {in_scope}"
    con.execute(
        f"INSERT INTO crime_counts SELECT {columns}, $source, $file_id FROM sbp_staged st {newer}",
        {"source": source, "file_id": ctx.file_id} | ({"vintage": last} if kept else {}),
    )
    ctx.summary.months_replaced, ctx.summary.months_kept = int(replaced), int(kept)


def _hold_if_smaller(ctx: Context, match: str, params: dict[str, object]) -> None:
    """Hold a file with under half the offences of a month (at a level) it would replace, until the user confirms."""
    shrunk = ctx.con.execute(
        f"""WITH old AS (
            SELECT c.area_level, c.month, sum(c.offence_count) AS n
            FROM crime_counts c JOIN sbp_scope_old s ON {match} AND s.vintage <= $vintage
            GROUP BY ALL),
        new AS (
            SELECT st.area_level, st.month, sum(st.offence_count) AS n FROM sbp_staged st
            WHERE EXISTS (SELECT 1 FROM sbp_scope sc WHERE sc.area_level = st.area_level AND sc.month = st.month)
            GROUP BY ALL)
        SELECT area_level, month, coalesce(new.n, 0), old.n FROM old LEFT JOIN new USING (area_level, month)
        WHERE coalesce(new.n, 0) < old.n * $share AND old.n >= $floor ORDER BY month, area_level""",
        params | {"share": SHRINK_SHARE, "floor": SHRINK_FLOOR}).fetchall()
    if shrunk:
        level, month, new, old = shrunk[0]
        more = f" (and {len(shrunk) - 1} more months)" if len(shrunk) > 1 else ""
        raise ConfirmationNeeded(ctx.text.original, f"{month:%b %Y} ({level}): this file holds {new:,} offences where "
                                 f"the loaded month holds {old:,}{more}; it would replace that month", "force")
