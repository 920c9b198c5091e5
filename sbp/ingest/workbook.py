"""Stage the MPS Monthly Crime Dashboard workbook through dashboard.py, naming a bad cell's line in a CSV export."""

from __future__ import annotations

from sbp.errors import IngestError
from sbp.ingest import dashboard
from sbp.ingest.context import Context
from sbp.ingest.errortext import csv_errors
from sbp.ingest.reading import read_csv
from sbp.ingest.textfile import find_line
from sbp.ingest.validation import bad_number_text


def stage_dashboard(ctx: Context) -> None:
    """Stage the workbook's sheet (or its CSV export); a bad cell fails with its line and column."""
    found = dashboard.roles(ctx.detected.columns)

    def fail(problem: str, line: int | None, column: str, value: str | None) -> None:
        if line is None:  # a CSV export: find the line by the offending cell
            idx = ctx.detected.columns.index(column)
            if column == found["count"]:
                line = find_line(ctx.text, lambda r: bad_number_text(r[idx]))
            else:
                line = find_line(ctx.text, lambda r: r[idx].strip().lower() == (value or "").lower())
        raise IngestError(ctx.text.original, problem, line=line, column=column)

    s = ctx.summary
    with csv_errors(ctx):
        s.rows, s.areas, s.categories = dashboard.stage(ctx.con, ctx.text, found, ctx.sheet, read_csv, lambda: None, fail)
    s.notes += dashboard.merge_notes(ctx.con)
