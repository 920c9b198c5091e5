"""The exceptions panels' method sentence states only what the model used for the series shown: a seasonal term (with
the earlier years of the month it used) only where the scan computed one, on hand-made files.

Three stores of an MPS wide borough file, Bromley's December 2023 count far above its usual level in each:
- short: 30 months (Jul 2021 to Dec 2023), so no series has December in 2 earlier years;
- long: 60 months (Jan 2019 to Dec 2023) of 'Domestic Burglary', December 30 higher every year: a seasonal term from
  4 earlier Decembers;
- mixed: the long file plus 'Shoplifting', published as 0 until Dec 2021 and counted from Jan 2022: the scan is
  seasonal (burglary), but the flagged shoplifting series has one earlier December, so no seasonal term. The old
  sentence said "and December in earlier years" for it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sbp import metrics, store
from sbp.display import exceptions_view
from sbp.ingest import ingest

BOROUGHS = ("Bromley", "Bexley", "Croydon")
BURGLARY = ("Burglary", "Domestic Burglary")
SHOPLIFTING = ("Theft", "Shoplifting")
END = dt.date(2023, 12, 1)


def _months(first: dt.date) -> list[dt.date]:
    return [dt.date(y, m, 1) for y in range(first.year, 2024) for m in range(1, 13) if dt.date(y, m, 1) >= first]


def _burglary(month: dt.date, i: int) -> int:
    """100 a month (130 in December), wiggling by -2..2; Bromley's Dec 2023 is 300."""
    return 300 if month == END and i == 0 else 100 + 30 * (month.month == 12) + (month.month * 7 + i) % 5 - 2


def _shoplifting(month: dt.date, i: int) -> int:
    """0 (published before it was counted) until Dec 2021, then 50 wiggling by -2..2; Bromley's Dec 2023 is 150."""
    if month < dt.date(2022, 1, 1):
        return 0
    return 150 if month == END and i == 0 else 50 + (month.month * 3 + i) % 5 - 2


def _store(folder: Path, first: dt.date, categories: dict) -> Path:
    months = _months(first)
    lines = ["MajorText,MinorText,LookUp_BoroughName," + ",".join(f"{m:%Y%m}" for m in months)]
    for (major, minor), count in categories.items():
        for i, borough in enumerate(BOROUGHS):
            lines.append(f"{major},{minor},{borough}," + ",".join(str(count(m, i)) for m in months))
    (folder / "boroughs.csv").write_text("\n".join(lines) + "\n")
    db = folder / "store" / "sbp.duckdb"
    ingest([folder / "boroughs.csv"], db=db)
    return db


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    return {
        "short": _store(tmp_path_factory.mktemp("short"), dt.date(2021, 7, 1), {BURGLARY: _burglary}),
        "long": _store(tmp_path_factory.mktemp("long"), dt.date(2019, 1, 1), {BURGLARY: _burglary}),
        "mixed": _store(tmp_path_factory.mktemp("mixed"), dt.date(2019, 1, 1),
                        {BURGLARY: _burglary, SHOPLIFTING: _shoplifting}),
    }


def _scan(db: Path) -> metrics.ExceptionScan:
    with store.connect_read(db) as con:  # as the Wards page's borough panel runs it
        return metrics.exceptions(con, END, level="borough", include_comparator=True)


def _level(count, months: int = 12) -> float:
    """Bromley's mean of the months before Dec 2023, by hand."""
    return sum(count(m, 0) for m in _months(dt.date(2022, 12, 1))[:months]) / months


def _flag(scan: metrics.ExceptionScan, minor: str):
    return scan.flags[(scan.flags["area_name"] == "Bromley") & (scan.flags["measure_label"] == minor)].iloc[0]


def test_a_series_without_seasonality_is_never_said_to_have_it(stores):
    scan = _scan(stores["short"])
    flag = _flag(scan, "Domestic Burglary")
    assert flag["expected"] == pytest.approx(_level(_burglary))  # the level alone: no seasonal factor was used
    assert flag["seasonal_years"] == 0 and flag["method"] == metrics.EXCEPTION_METHOD_LEVEL
    note = exceptions_view.scan_note(scan, "borough", "Bromley")
    assert "December" not in note, note
    assert ("Seasonality is not modelled: that needs the same month in 2 earlier years, and the borough series here "
            "have at most 29 earlier months.") in note, note
    assert "Jul 2021 to Nov 2023 (29 months); no seasonal term" in exceptions_view.borough_flags_html(scan, "Bromley")


def test_a_seasonal_series_is_said_to_use_the_earlier_years_it_used(stores):
    scan = _scan(stores["long"])
    flag = _flag(scan, "Domestic Burglary")
    # By hand: each earlier December's count over its own level (the mean of the known months among the 12 before
    # it: Dec 2019 has 11, Jan to Nov 2019), as sums
    months = _months(dt.date(2019, 1, 1))
    decembers = [i for i, m in enumerate(months) if m.month == 12 and m < END]
    levels = [sum(_burglary(m, 0) for m in months[max(0, i - 12):i]) / len(months[max(0, i - 12):i]) for i in decembers]
    factor = sum(_burglary(months[i], 0) for i in decembers) / sum(levels)
    assert flag["expected"] == pytest.approx(_level(_burglary) * factor)
    assert flag["seasonal_years"] == len(decembers) == 4 and flag["method"] == metrics.EXCEPTION_METHOD
    note = exceptions_view.scan_note(scan, "borough", "Bromley")
    assert ("Unusual means outside the range expected from the series' level over the last 12 months and December "
            "in 4 earlier years, widened by") in note, note
    assert "no seasonal term" not in note and "not modelled" not in note, note
    assert "(59 months); December in 4 earlier years" in exceptions_view.borough_flags_html(scan, "Bromley")


def test_the_flagged_series_without_seasonality_in_a_seasonal_scan(stores, capsys):
    from sbp.cli import main

    scan = _scan(stores["mixed"])
    assert scan.seasonal  # burglary's series have December in 4 earlier years ...
    flag = _flag(scan, "Shoplifting")  # ... but the flagged shoplifting series has one
    assert flag["expected"] == pytest.approx(_level(_shoplifting))
    assert flag["seasonal_years"] == 0 and flag["baseline_first"] == pd_month(2022, 1)
    assert set(scan.flags.loc[scan.flags["area_name"] == "Bromley", "measure_label"]) == {"Shoplifting",
                                                                                            "Domestic Burglary"}
    # Bromley's panel shows both flags: one with a seasonal term, one without, and says so
    note = exceptions_view.scan_note(scan, "borough", "Bromley")
    assert ("level over the last 12 months and, for 1 of the 2 flagged series, December in 4 earlier years, "
            "widened by") in note, note
    assert "The other 1 has no seasonal term: too few earlier Decembers (a seasonal term needs 2)." in note, note
    table = exceptions_view.borough_flags_html(scan, "Bromley")
    assert "Jan 2022 to Nov 2023 (23 months); no seasonal term" in table
    assert "(59 months); December in 4 earlier years" in table
    # Only shoplifting flagged (the scan of that category alone, as the Wards page's one-category panel runs it)
    with store.connect_read(stores["mixed"]) as con:
        alone = metrics.exceptions(con, END, level="borough", by="measure", measure_ids=("minor:Shoplifting",))
    note = exceptions_view.scan_note(alone, "borough")
    assert not alone.seasonal and "December" not in note, note
    # The CLI's sentence and JSON say the same
    assert main(["exceptions", "--db", str(stores["mixed"]), "--level", "borough"]) == 0
    out = capsys.readouterr().out
    assert "for 1 of the 2 flagged series, December in 4 earlier years" in out, out
    assert main(["exceptions", "--db", str(stores["mixed"]), "--level", "borough", "--json"]) == 0
    rows = {r["measure_label"]: r for r in json.loads(capsys.readouterr().out) if r["area_name"] == "Bromley"}
    assert rows["Shoplifting"]["method"] == metrics.EXCEPTION_METHOD_LEVEL and rows["Shoplifting"]["seasonal_years"] == 0
    assert rows["Domestic Burglary"]["method"] == metrics.EXCEPTION_METHOD


def pd_month(year: int, month: int):
    import pandas as pd

    return pd.Timestamp(year, month, 1)
