"""Every measure's categories against each shared MPS file, and its London total against the raw CSV (skips without
../shared/data).

For each file: the product reads it in the expected category scheme; every category a measure counts in that scheme
(the hand-written table of tests/unit/test_measure_schemes.py) is in the file; and each measure's London rolling-year
totals from the product (sbp.ingest.ingest, then sbp.metrics.comparisons) equal sums taken straight from the CSV with
duckdb. Each file is loaded once per module.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sbp import metrics, store
from sbp.config import default_config
from sbp.ingest import ingest
from tests.conftest import SHARED, shared_store
from tests.unit.test_measure_schemes import ALL, EXPECTED, expected_mps

MPS = SHARED / "mps"
EVIDENCE = MPS / "category_schemes_london_totals_2021-12_to_2023-11.csv"
WORKBOOK = MPS / "MPS_MonthlyCrimeDashboard_OtherCrimeData_2021-08_to_2023-07.xlsx"


@dataclass(frozen=True)
class SharedFile:
    name: str
    level: str
    scheme: str
    end: dt.date  # the last month: the product's rolling year to it and the year before are checked
    # Categories of the scheme a measure counts that this file does not have, each with why (and where it is published).
    absent: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> Path:
        return MPS / self.name


FILES = {
    "borough_2010_2021": SharedFile("mps_borough_level_crime_2010-04_to_2021-11.csv", "borough", "2021-23", dt.date(2021, 11, 1)),
    "borough_2021_23": SharedFile("mps_borough_level_crime_2021-12_to_2023-11.csv", "borough", "2021-23", dt.date(2023, 11, 1)),
    "ward_2021_23": SharedFile("mps_ward_level_crime_2021-12_to_2023-11.csv", "ward", "2021-23", dt.date(2023, 11, 1)),
    # DOMESTIC BURGLARY is the current scheme's name for residential burglary in months before these (it is in the
    # London totals evidence file, from the current-scheme historical file).
    "borough_2024_26_current": SharedFile("MPS_Borough_Level_Crime_2024-03_to_2026-02.csv", "borough", "current",
                                          dt.date(2026, 2, 1), absent=(("BURGLARY", "DOMESTIC BURGLARY"),)),
}
MPS_MEASURES = sorted(mid for mid, e in EXPECTED.items() if e["2021-23"] or e["current"])


def need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"shared data not found: {path} (set SBP_SHARED_DATA to the shared/data folder)")


def file_categories(path: Path) -> set[tuple[str, str]]:
    with duckdb.connect() as con:
        return set(con.execute("SELECT DISTINCT MajorText, MinorText FROM read_csv($p, header = true, all_varchar = true)",
                               {"p": str(path)}).fetchall())


def yyyymm(month: dt.date, back: int) -> str:
    n = month.year * 12 + month.month - 1 - back
    return f"{n // 12}{n % 12 + 1:02d}"


def raw_cells(path: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory database holding the wide CSV's cells as rows: cells(major, minor, yyyymm, n)."""
    con = duckdb.connect()
    con.execute("""CREATE TABLE cells AS
        SELECT MajorText AS major, MinorText AS minor, yyyymm, n::BIGINT AS n
        FROM (UNPIVOT (SELECT * FROM read_csv($p, header = true, all_varchar = true))
              ON COLUMNS('^[0-9]{6}$') INTO NAME yyyymm VALUE n)""", {"p": str(path)})
    return con


def raw_years(cells: duckdb.DuckDBPyConnection, end: dt.date, pairs: set[tuple[str, str]] | None) -> tuple[int, int]:
    """London totals over the 12 months to end and the 12 before, from the CSV's cells (pairs None: every category)."""
    keys = [f"{major}|{minor}" for major, minor in sorted(pairs or ())]
    return cells.execute("""
        SELECT coalesce(sum(n) FILTER (WHERE yyyymm BETWEEN $a AND $b), 0),
               coalesce(sum(n) FILTER (WHERE yyyymm BETWEEN $c AND $d), 0)
        FROM cells WHERE $every OR list_contains($keys, major || '|' || minor)""",
        {"a": yyyymm(end, 11), "b": yyyymm(end, 0), "c": yyyymm(end, 23), "d": yyyymm(end, 12),
         "every": pairs is None, "keys": keys}).fetchall()[0]


@pytest.fixture(scope="module", params=list(FILES))
def loaded(request, tmp_path_factory) -> tuple[SharedFile, Path]:
    """One shared MPS file ingested alone into a fresh store (once per module and file)."""
    shared = FILES[request.param]
    need(shared.path)
    db = tmp_path_factory.mktemp(request.param) / "sbp.duckdb"
    ingest([shared.path], db=db, fresh=True)
    return shared, db


@pytest.mark.parametrize("key", list(FILES))
def test_every_category_a_measure_counts_in_the_file_scheme_is_in_the_file(key: str) -> None:
    shared = FILES[key]
    need(shared.path)
    found = file_categories(shared.path)
    listed = {(major, minor) for major, minor in expected_mps("total_notifiable_offences", shared.scheme)}
    assert found <= listed, f"categories of {shared.name} missing from the {shared.scheme} scheme: {sorted(found - listed)}"
    missing = {}
    for mid in MPS_MEASURES:
        wanted = expected_mps(mid, shared.scheme)
        if wanted is None:
            continue
        assert wanted & found, f"{mid} counts none of the categories of {shared.name}"
        if absent := wanted - found - set(shared.absent):
            missing[mid] = sorted(absent)
    assert missing == {}
    assert not set(shared.absent) & found
    if shared.absent:
        need(EVIDENCE)
        with open(EVIDENCE, newline="", encoding="utf-8") as handle:
            evidence = {(r["major_category"], r["minor_category"]) for r in csv.DictReader(handle)
                        if r["scheme"].startswith(shared.scheme)}
        assert set(shared.absent) <= evidence


def test_the_product_reads_the_file_in_its_scheme(loaded) -> None:
    shared, db = loaded
    with store.connect_read(db) as con:
        found = con.execute("SELECT DISTINCT scheme FROM month_index WHERE area_level = $level",
                            {"level": shared.level}).fetchall()
    assert found == [(shared.scheme,)]


def test_each_measure_london_totals_equal_the_raw_csv(loaded) -> None:
    shared, db = loaded
    config = default_config()
    measures = [config.measures[mid] for mid in MPS_MEASURES]
    with store.connect_read(db) as con:
        frame = metrics.comparisons(con, measures, shared.end, level=shared.level, config=config)
    got, want = {}, {}
    cells = raw_cells(shared.path)
    for mid in MPS_MEASURES:
        rows = frame[frame["measure_id"] == mid]
        if shared.level == "borough":  # London: the comparator's total, every area of the file included
            figure = tuple(rows[f"comparator_{k}"].iloc[0] for k in ("current", "previous"))
        else:  # ward level has no comparator: London is the sum of every ward of the file
            figure = tuple(rows[k].sum(min_count=1) for k in ("current", "previous"))
        got[mid] = tuple(None if pd.isna(v) else int(v) for v in figure)
        wanted = expected_mps(mid, shared.scheme)
        if wanted is None or config.measures[mid].minus:
            want[mid] = (None, None)  # unknown in this scheme, or needs the Monthly Crime Dashboard workbook too
        else:
            all_rows = EXPECTED[mid][shared.scheme] == ALL
            want[mid] = raw_years(cells, shared.end, None if all_rows else wanted)
    cells.close()
    assert got == want


def test_each_dashboard_subtype_a_measure_counts_is_in_the_workbook() -> None:
    need(WORKBOOK)
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(WORKBOOK)).get_sheet_by_index(0).iter_rows()
    header = [str(h).strip().lower() for h in next(rows)]
    subtype, measure = header.index("crime subtype"), header.index("measure")
    published = {(str(r[measure]).strip().lower(), str(r[subtype]).strip().lower()) for r in rows}
    config = default_config()
    named = {(m.id, ("positive outcomes" if m.counts == "positive_outcomes" else "offences"), s.lower())
             for m in config.measures.values() for s in m.subtypes}
    assert named and {(mid, c, s) for mid, c, s in named if (c, s) not in published} == set()


def test_a_category_in_both_schemes_is_resolved_to_its_readable_spelling(tmp_path) -> None:
    """'SHOPLIFTING' (today's file) and 'Shoplifting' (2021-23) name one category: resolved, listed and labelled once,
    as 'Shoplifting', whichever spelling a link uses, with the same figures."""
    db = _both_schemes_store(tmp_path)
    with store.connect_read(db) as con:
        upper, mixed = (metrics.resolve_measures(con, minor=name)[0] for name in ("SHOPLIFTING", "shoplifting"))
        assert upper == mixed and upper.label == "Shoplifting" and upper.id == "minor:Shoplifting"


def _both_schemes_store(tmp_path: Path) -> Path:
    """The 2021-23 borough file (mixed-case scheme) and today's 2024-26 file (capitals) in one store."""
    return shared_store(tmp_path / "store", [MPS / "mps_borough_level_crime_2021-12_to_2023-11.csv",
                                             MPS / "MPS_Borough_Level_Crime_2024-03_to_2026-02.csv"])
