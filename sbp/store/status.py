"""What is loaded: per source, the months covered and those missing inside them, the files and when they were loaded."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass

from typing import TYPE_CHECKING, Any

import duckdb

from sbp import store
from sbp.store import queries

if TYPE_CHECKING:
    import pandas as pd

RUNS_SHOWN = 3  # runs of missing months a line names before it counts the rest


def load_status(db: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per loaded source with its month span, file count and last load time."""
    with store.connect_read(db) as con:
        return con.execute(queries.STATUS_SQL).df()


def status_rows(db: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """load_status's rows as plain dicts, without pandas (the command line's `status` starts faster)."""
    with store.connect_read(db) as con:
        return query_rows(con, queries.STATUS_SQL)


def query_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """A query's rows as dicts keyed by column name."""
    cur = con.execute(sql)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def json_value(value: Any) -> Any:
    """A value as pandas' to_json(date_format='iso') writes it: dates and times to the millisecond."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}T00:00:00.000"
    return value


@dataclass(frozen=True)
class Coverage:
    """One source's months at one area level and publishing unit: its span and the months missing inside it."""

    source: str
    level: str                  # '' for a whole source (every level)
    unit: str                   # a police.uk force's comparator name; '' for a source covering all its areas at once
    first_month: dt.date
    last_month: dt.date
    missing: tuple[dt.date, ...]  # every month between first_month and last_month that is not loaded
    runs: tuple[tuple[dt.date, dt.date, int], ...]  # the missing months as runs: (first, last, months)


def month_coverage(con: duckdb.DuckDBPyConnection, sources: Sequence[str] | None = None,
                   whole: bool = False) -> list[Coverage]:
    """Per source, area level and unit (whole=True: per source): the first and last month, the months missing inside."""
    params = {"sources": None if sources is None else list(sources), "whole": whole}
    rows = con.execute(queries.COVERAGE_SQL, params).fetchall()
    return [Coverage(source, level, unit, first, last, tuple(missing), tuple(zip(firsts, lasts, counts)))
            for source, level, unit, first, last, missing, firsts, lasts, counts in rows]


def _run_text(first: dt.date, last: dt.date) -> str:
    return f"{first:%b %Y}" if first == last else f"{first:%b %Y} to {last:%b %Y}"


def gaps_text(coverage: Coverage) -> str:
    """'no months missing', '3 months missing: Dec 2023 to Feb 2024', '9 months missing: Mar 2020, ... and 4 more gaps'."""
    count = len(coverage.missing)
    if not count:
        return "no months missing"
    runs = [_run_text(first, last) for first, last, _ in coverage.runs[:RUNS_SHOWN]]
    more = len(coverage.runs) - len(runs)
    if more:
        named = f"{', '.join(runs)} and {more} more gap{'s' if more > 1 else ''}"
    else:
        named = runs[0] if len(runs) == 1 else f"{', '.join(runs[:-1])} and {runs[-1]}"
    return f"{count} month{'s' if count > 1 else ''} missing: {named}"


def coverage_lines(con: duckdb.DuckDBPyConnection, sources: Sequence[str] | None = None,
                   only_gaps: bool = False) -> list[str]:
    """One line per source and unit, its levels with the same months together: 'mps_borough (borough): Apr 2010 to ...'."""
    alike: dict[tuple, list[Coverage]] = {}
    for c in month_coverage(con, sources):
        if c.missing or not only_gaps:
            alike.setdefault((c.source, c.unit, c.first_month, c.last_month, c.missing), []).append(c)
    lines = []
    for group in alike.values():
        c = group[0]
        where = ", ".join(g.level for g in group) + (f"; {c.unit}" if c.unit else "")
        lines.append(f"{c.source} ({where}): {c.first_month:%b %Y} to {c.last_month:%b %Y}, {gaps_text(c)}")
    return lines


def _months_json(coverage: Coverage) -> dict:
    return {"missing_months": [f"{m:%Y-%m}" for m in coverage.missing],
            "missing_runs": [{"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}", "months": months}
                             for first, last, months in coverage.runs]}


def gaps_json(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Per source for `status --json`: its months missing (at any level or unit), their runs, each level's and unit's."""
    found = {c.source: _months_json(c) | {"coverage": []} for c in month_coverage(con, whole=True)}
    for c in month_coverage(con):
        found[c.source]["coverage"].append({"area_level": c.level, "unit": c.unit, "first_month": f"{c.first_month:%Y-%m}",
                                            "last_month": f"{c.last_month:%Y-%m}", **_months_json(c)})
    return found
