"""Exceptions: over-dispersed limits on the published 24-month files (no seasonality, said), borough flags with
London beside them, a seasonal local level with longer history, and the flags chance alone would give."""

from __future__ import annotations

import datetime as dt
import re
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


def test_the_published_ward_file_gives_a_scan_for_bromley_wards(real_db):
    with store.connect_read(real_db) as con:
        scan = metrics.exceptions(con, "2023-11", level="ward", within="Bromley")
    assert scan.baseline_months == 23 and not scan.seasonal  # the file holds 24 months: 23 before the latest
    assert scan.cells_tested > 500
    assert scan.flags.empty or set(scan.flags["borough"]) == {"Bromley"}
    note = exceptions_view.scan_note(scan, "ward")
    assert "Seasonality is not modelled" in note and "23 earlier months" in note and "by chance" in note


def test_the_borough_scan_lists_flags_with_london_beside_them(real_db):
    with store.connect_read(real_db) as con:
        scan = metrics.exceptions(con, "2023-11", level="borough", include_comparator=True)
    # With 23 earlier months London's own theft from the person is out of range, and so is Westminster's (the
    # central London protests of Nov 2023 show too); Bromley has nothing unusual.
    london = scan.flags[scan.flags["is_comparator"]]
    assert set(london["area_name"]) == {"London"} and "Theft from Person" in set(london["measure_label"])
    boroughs = scan.flags[~scan.flags["is_comparator"]]
    assert "Bromley" not in set(boroughs["area_name"]) and len(boroughs) < 0.01 * scan.cells_tested
    assert "Nothing unusual in Bromley" in exceptions_view.borough_flags_html(scan, "Bromley")
    westminster = exceptions_view.borough_flags_html(scan, "Westminster")
    assert "Theft from Person" in westminster and "also higher than usual" in westminster


def test_the_over_dispersed_limits_hold_for_every_flag(real_db):
    with store.connect_read(real_db) as con:
        scan = metrics.exceptions(con, "2023-11", level="borough")
    flags = scan.flags
    lower, upper = metrics.exception_limits(flags["expected"].to_numpy(), flags["dispersion"].to_numpy(), 0.0005)
    assert (flags["upper_limit"].to_numpy() == upper).all() and (flags["lower_limit"].to_numpy() == lower).all()
    assert (flags["dispersion"] >= 1).all()
    high = flags["exception"] == "higher than usual"
    assert (flags.loc[high, "offence_count"] > flags.loc[high, "upper_limit"]).all()
    assert (flags["offence_count"] >= 5).all()
    # Chance alone: at most the two-sided probability for every combination tested, and more than nothing.
    assert 0 < scan.expected_by_chance <= scan.cells_tested * 0.001


def test_too_few_months_says_so(real_db):
    from sbp.errors import PeriodError

    with store.connect_read(real_db) as con, pytest.raises(PeriodError, match="at least 18 earlier months"):
        metrics.exceptions(con, "2023-04", level="ward", within="Bromley")


def test_with_longer_history_the_expected_count_is_the_local_level_times_the_seasonal_factor(demo_store):
    with store.connect_read(demo_store) as con:
        first, last = metrics.month_span(con, "borough")
        scan = metrics.exceptions(con, last, level="borough", by="measure")
        assert scan.seasonal and scan.seasonal_years >= 2
        assert re.search(rf"{last:%B} in \d+( to \d+)? earlier years", exceptions_view.method_sentence(scan, "borough"))
        measure = metrics.resolve_measures(con, measure="burglary")[0]
        series = metrics.series(con, ["Bromley"], [measure], first, last)
        full = _all_cells(con, last)
    counts = series.set_index(series["month"].dt.date)["offence_count"].astype(float)
    level = counts.rolling(12).mean().shift(1)  # each month's mean of the 12 before it
    same = [m for m in counts.index if m.month == last.month and m < last][-4:]
    factor = sum(counts[m] for m in same) / sum(level[m] for m in same)
    got = full[(full["area_name"] == "Bromley") & (full["measure_id"] == "burglary")]["expected"].iloc[0]
    assert got == pytest.approx(level[last] * factor)
    assert scan.flags.empty or (scan.flags["end_month"] == last).all()


def _all_cells(con, end: dt.date):
    """Every cell's expected count and dispersion (not just flags)."""
    mapping, info = metrics.measure_frames(con, list(metrics.default_config().measures.values()))
    return metrics._run(con, metrics.queries.EXCEPTIONS_SQL, {
        "end": end, "level": "borough", "within": None, "include_comparator": False, "same_scheme": False,
    }, mapping, info, metrics.area_groups(con, metrics.load_settings()))


def test_wards_page_shows_ward_and_borough_flags_on_the_real_files(real_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SBP_DB", str(real_db))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60).run()
    at.switch_page("pages/wards_page.py")
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Seasonality is not modelled" in text and "by chance" in text
    successes = " ".join(m.value for m in at.success)
    assert "Nothing unusual" in successes or "Ward" in text
    # The panel checks the category chosen, or every category, for the period shown.
    scope = at.radio(key="wd_unusual_scope")
    assert scope.options[1] == "All categories" and scope.value == scope.options[0]
    assert "Unusual in Nov 2023" in [h.value for h in at.subheader]
    scope.set_value("All categories").run()
    assert not at.exception
    assert "category x ward combinations" in " ".join(c.value for c in at.caption)


def test_a_whole_category_chosen_on_the_wards_page_is_checked_ward_by_ward(real_db):
    with store.connect_read(real_db) as con:
        scan = metrics.exceptions(con, "2023-11", level="ward", within="Bromley", by="measure",
                                  measure_ids=("minor:Shoplifting",))
    assert scan.cells_tested == 22 and set(scan.flags["measure_label"]) <= {"Shoplifting"}
    assert "one of the 22 wards tested would be flagged by chance" in exceptions_view.scan_note(scan, "ward")


def test_a_month_with_too_little_ward_history_says_nothing_was_checked(real_db):
    import dataclasses

    # As with the workbook's earlier ward months loaded: the month is in range, but no MPS ward series has 18 months
    with store.connect_read(real_db) as con:
        full = metrics.exceptions(con, "2023-11", level="ward", within="Bromley")
    scan = dataclasses.replace(full, end=dt.date(2023, 5, 1), cells_tested=0, expected_by_chance=0.0,
                               longest_history=17, flags=full.flags.iloc[:0], by_area=full.by_area.iloc[:0])
    tested, message = exceptions_view.nothing_flagged(scan, "ward")
    assert not tested and scan.cells_tested == 0
    assert message == ("Nothing could be checked for May 2023: the method needs 18 known earlier months of a series, "
                       "and the ward series here have at most 17.")
    assert "Nothing unusual" not in exceptions_view.scan_note(scan, "ward")
