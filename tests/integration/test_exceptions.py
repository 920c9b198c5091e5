"""Exceptions: exact Poisson limits on the published 24-month files (shorter baseline, said), borough flags with
London beside them, seasonality from 36 earlier months, and the flags chance alone would give."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sbp import metrics, store
from sbp.display import exceptions_view
from sbp.ingest import ingest
from tests.conftest import REAL_MPS, REAL_POPULATION, SHARED

REAL_WARD = SHARED / "mps" / "mps_ward_level_crime_2021-12_to_2023-11.csv"


@pytest.fixture(scope="module")
def real_db(tmp_path_factory) -> Path:
    if not REAL_MPS.exists() or not REAL_WARD.exists():
        pytest.skip(f"real extracts not found under {SHARED} (set SBP_SHARED_DATA)")
    db = tmp_path_factory.mktemp("real-exceptions") / "sbp.duckdb"
    ingest([REAL_MPS, REAL_WARD, REAL_POPULATION], db=db)
    return db


def test_the_published_ward_file_gives_exceptions_for_bromley_wards(real_db):
    with store.connect_read(real_db) as con:
        scan = metrics.exceptions(con, "2023-11", level="ward", within="Bromley")
    assert scan.baseline_months == 23 and not scan.seasonal  # the file holds 24 months: 23 before the latest
    assert not scan.flags.empty
    assert set(scan.flags["borough"]) == {"Bromley"}
    note = exceptions_view.scan_note(scan, "ward", 24)
    assert "Only 23 earlier months are loaded" in note and "by chance" in note


def test_bromley_robbery_of_personal_property_is_flagged_for_november_2023(real_db):
    with store.connect_read(real_db) as con:
        scan = metrics.exceptions(con, "2023-11", level="borough", include_comparator=True)
    row = scan.flags[(scan.flags["area_name"] == "Bromley") & (scan.flags["measure_label"] == "Robbery of Personal Property")]
    assert len(row) == 1
    assert int(row["offence_count"].iloc[0]) == 69
    assert 37 <= row["baseline_mean"].iloc[0] <= 40 and row["exception"].iloc[0] == "higher than usual"
    html = exceptions_view.borough_flags_html(scan, "Bromley")
    assert "Robbery of Personal Property" in html and "London this month" in html


def test_the_exact_poisson_limits_hold_for_every_flag(real_db):
    from scipy.stats import poisson

    with store.connect_read(real_db) as con:
        scan = metrics.exceptions(con, "2023-11", level="borough")
    flags = scan.flags
    assert (flags["upper_limit"] == poisson.isf(0.0005, flags["baseline_mean"]).astype(int)).all()
    high = flags["exception"] == "higher than usual"
    assert (flags.loc[high, "offence_count"] > flags.loc[high, "upper_limit"]).all()
    assert (flags.loc[high, "offence_count"] >= 5).all()
    # Chance alone: at most the two-sided probability for every combination tested, and more than nothing.
    assert 0 < scan.expected_by_chance <= scan.cells_tested * 0.001


def test_too_few_months_says_so(real_db):
    from sbp.errors import PeriodError

    with store.connect_read(real_db) as con, pytest.raises(PeriodError, match="at least 12 earlier months"):
        metrics.exceptions(con, "2022-06", level="ward", within="Bromley")


def test_with_36_earlier_months_the_expected_count_is_the_same_month_in_earlier_years(demo_store):
    with store.connect_read(demo_store) as con:
        first, last = metrics.month_span(con, "borough")
        scan = metrics.exceptions(con, last, level="borough", by="measure")
        assert scan.seasonal and scan.seasonal_years >= 3
        assert f"the average for {last:%B} over the previous" in scan.basis()
        # The expected count for one area and measure is the mean of that calendar month in the earlier years.
        row = scan.flags.iloc[0] if not scan.flags.empty else None
        measure = metrics.resolve_measures(con, measure="burglary")[0]
        series = metrics.series(con, ["Bromley"], [measure], first, last)
        same = series[(series["month"].dt.month == last.month) & (series["month"].dt.date < last)]
        expected = same["offence_count"].tail(scan.seasonal_years).astype(float).mean()
    full = _all_cells(demo_store, last)
    got = full[(full["area_name"] == "Bromley") & (full["measure_id"] == "burglary")]["baseline_mean"].iloc[0]
    assert got == pytest.approx(expected)
    assert row is None or row["end_month"] == last


def _all_cells(db: Path, end: dt.date):
    """Every cell's expected count (not just flags): the scan with limits so wide that nothing is dropped."""
    with store.connect_read(db) as con:
        mapping, info = metrics.measure_frames(con, list(metrics.default_config().measures.values()))
        first, _ = metrics.month_span(con, "borough")
        months_before = (end.year - first.year) * 12 + end.month - first.month
        return metrics._run(con, metrics.queries.EXCEPTIONS_SQL, {
            "end": end, "level": "borough", "within": None, "baseline": 24, "seasonal": True,
            "years": min(months_before // 12, metrics.MAX_SEASONAL_YEARS), "include_comparator": False,
        }, mapping, info, metrics.area_groups(con, metrics.load_settings()))


def test_wards_page_shows_ward_and_borough_flags_on_the_real_files(real_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SBP_DB", str(real_db))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60).run()
    at.switch_page("pages/wards_page.py")
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Robbery of Personal Property" in text
    assert "Only 23 earlier months are loaded" in text
    assert "Penge &amp; Cator" in text or "Penge & Cator" in text
