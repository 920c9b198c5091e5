"""Incomplete months: a month an MPS file holds far fewer offences for than the months around it is not loaded from it."""

from __future__ import annotations

from sbp.ingest.context import Context

# A month is incomplete in a file when its London total is under this share of the median of its NEIGHBOURS
# nearest months in the same file (the MPS's recent ward file opens with a stub month of 40 offences against about
# 73,000). Real months stay far above it: in the shared MPS files and workbook the lowest month against its
# neighbours is 71% of their median (Apr 2020, the first lockdown).
SHARE = 0.5
NEIGHBOURS = 6
MIN_TOTAL = 1_000  # a file with fewer offences a month than this (a test, one borough by hand) is not judged

INCOMPLETE_SQL = f"""
WITH totals AS (
    SELECT area_level, month, sum(offence_count) AS total FROM sbp_staged GROUP BY ALL
),
nearest AS (
    SELECT a.area_level, a.month, a.total, b.total AS neighbour
    FROM totals a JOIN totals b ON b.area_level = a.area_level AND b.month <> a.month
    QUALIFY row_number() OVER (PARTITION BY a.area_level, a.month
                               ORDER BY abs(datediff('month', a.month, b.month)), b.month) <= {NEIGHBOURS}
)
SELECT area_level, month, any_value(total), median(neighbour) FROM nearest
GROUP BY ALL HAVING count(*) = {NEIGHBOURS} AND median(neighbour) >= {MIN_TOTAL}
   AND any_value(total) < {SHARE} * median(neighbour)
ORDER BY month, area_level
"""


def drop_incomplete_months(ctx: Context) -> None:
    """Take a file's incomplete months out of what it replaces, with a warning naming each month and both totals.

    Such a month stays unknown, or keeps the figures another file gave it, whichever file was loaded first.
    """
    con = ctx.con
    incomplete = con.execute(INCOMPLETE_SQL).fetchall()
    for level, month, total, median in incomplete:
        con.execute("DELETE FROM sbp_scope WHERE area_level = $level AND month = $month", {"level": level, "month": month})
        ctx.summary.warnings.append(
            f"{month:%b %Y} holds {int(total):,} offences at {level} level in this file against a median of "
            f"{median:,.0f} in the months around it: an incomplete month, not loaded from this file (it stays unknown "
            "unless another file has it)")
