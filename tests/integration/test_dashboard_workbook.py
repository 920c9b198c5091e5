"""The MPS Monthly Crime Dashboard workbook: .xlsx and .csv, borough and ward rows, the measures it fills.

Small inline fixtures check each rule; the shared 24-month workbook is compared with sums taken straight from
the sheet with python-calamine (skips without ../shared/data).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
from pathlib import Path

import pytest

from sbp import metrics, store
from sbp.cli import main
from sbp.config import default_config
from sbp.errors import IngestError
from sbp.ingest import ingest
from tests.conftest import REAL_POPULATION, SHARED

WORKBOOK = SHARED / "mps" / "MPS_MonthlyCrimeDashboard_OtherCrimeData_2021-08_to_2023-07.xlsx"
BOROUGH_FILE = SHARED / "mps" / "mps_borough_level_crime_2021-12_to_2023-11.csv"
PUBLISHED = ["Month_Year", "Area Type", "Borough_SNT", "Area name", "Area code", "Crime Type", "Crime Subtype", "Measure",
             "Financial Year", "FY_FYIndex", "Count", "Refresh Date"]
MIRROR = ["month_year", "area_type", "borough_snt", "area_name", "area_code", "crime_type", "crime_subtype", "measure",
          "financial_year", "fy_fyindex", "count", "refresh_date"]


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("MPS_MonthlyCrimeDashboard_Other")
    dates = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, header)
    for i, row in enumerate(rows, 1):
        for j, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(i, j, dt.datetime(value.year, value.month, value.day), dates)
            else:
                sheet.write(i, j, value)
    book.close()
    return path


def months(n: int, start: dt.date = dt.date(2022, 1, 1)) -> list[dt.date]:
    out, d = [], start
    for _ in range(n):
        out.append(d)
        d = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def fixture_rows() -> list[list]:
    """24 months: Bromley borough rows, a ward under two spellings, Heathrow Villages under two boroughs."""
    rows = []
    for i, m in enumerate(months(24)):
        da_vwi = "Domestic Abuse violence with injury" if i % 2 else "Domestic Abuse Violence with Injury"
        ward = "Shortlands & Park Langley" if i % 2 else "Shortl&s & Park Langley"
        for area_type, bsnt, name, code, subtype, measure, count in [
            ("Borough", "Bromley", "Bromley", "E09000006", "Hate crime", "Offences", 20.0),
            ("Borough", "Bromley", "Bromley", "E09000006", "Racist and Religious Crime", "Offences", 12.0),
            ("Borough", "Bromley", "Bromley", "E09000006", "Hate crime", "Positive Outcomes", 3.0),
            ("Borough", "Bromley", "Bromley", "E09000006", da_vwi, "Offences", 5.0),
            ("Borough", "Other / NK", "N/K (Legacy Only)", "", "Hate crime", "Offences", 1.0),
            ("Safer Neighbourhood Teams", f"Bromley {ward}", ward, "E05014005", "Hate crime", "Offences", 2.0),
            ("Safer Neighbourhood Teams", "Hillingdon Heathrow Villages", "Heathrow Villages", "E05013570", "Hate crime", "Offences", 4.0),
            ("Safer Neighbourhood Teams", "Aviation Security", "Heathrow Villages", "E05013570", "Hate crime", "Offences", 1.0),
            ("Safer Neighbourhood Teams", "Tower Hamlets Bromley North", "Bromley North", "E05009321", "Hate crime", "Offences", 6.0),
        ]:
            rows.append([m, area_type, bsnt, name, code, "Hate crime" if "Hate" in subtype or "Rac" in subtype else "Domestic Abuse",
                         subtype, measure, "fy", "x", count, m])
    return rows


def as_csv_rows(rows: list[list]) -> list[list[str]]:
    out = []
    for r in rows:
        r = list(r)
        r[0] = r[0].strftime("%d/%m/%Y")
        r[-1] = r[-1].strftime("%d/%m/%Y")
        r[10] = f"{int(r[10])}"
        out.append([str(v) for v in r])
    return out


@pytest.fixture(params=["xlsx", "csv"])
def fixture_file(request, tmp_path: Path) -> Path:
    if request.param == "xlsx":
        return write_xlsx(tmp_path / "dash.xlsx", PUBLISHED, fixture_rows())
    path = tmp_path / "dash.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MIRROR)
        writer.writerows(as_csv_rows(fixture_rows()))
    return path


def test_workbook_rows_land_at_borough_and_ward_level(db: Path, fixture_file: Path, write_csv) -> None:
    ingest([fixture_file, write_csv("pop.csv", "area,population\nBromley,330000\nHillingdon,300000\n")], db=db)
    with store.connect_read(db) as con:
        rows = con.execute(
            """SELECT area_level, area_name, area_code, borough, major_category, minor_category, sum(offence_count)
            FROM crime_counts WHERE source = 'mps_dashboard' GROUP BY ALL ORDER BY ALL"""
        ).fetchall()
    assert ("ward", "Shortlands & Park Langley", "E05014005", "Bromley", "Offences", "Hate crime", 48) in rows
    # one ward code under two teams (its borough's and Aviation Security) is one ward, the counts summed
    assert ("ward", "Heathrow Villages", "E05013570", "Hillingdon", "Offences", "Hate crime", 96 + 24) in rows
    assert not [r for r in rows if r[3] == "Aviation Security"]
    assert ("ward", "Bromley North", "E05009321", "Tower Hamlets", "Offences", "Hate crime", 144) in rows
    assert ("borough", "Bromley", "", "Bromley", "Positive Outcomes", "Hate crime", 72) in rows
    da = [r for r in rows if r[5].lower() == "domestic abuse violence with injury"]
    assert len(da) == 1 and da[0][6] == 120  # two spellings, one subtype
    assert ("borough", "Unknown", "", "Unknown", "Offences", "Hate crime", 24) in rows  # no area code: unattributed


def test_workbook_measures(db: Path, fixture_file: Path, write_csv) -> None:
    ingest([fixture_file, write_csv("pop.csv", "area,population\nBromley,330000\n")], db=db)
    config = default_config()
    with store.connect_read(db) as con:
        end = metrics.parse_month("2023-12")
        head = metrics.comparisons(con, [config.measures[m] for m in ("hate_crime", "hate_crime_positive_outcomes",
                                                                        "racist_religious_hate_crime")], end, area="Bromley")
        got = dict(zip(head["measure_id"], head["current"]))
        assert got == {"hate_crime": 240, "hate_crime_positive_outcomes": 36, "racist_religious_hate_crime": 144}
        london = head.set_index("measure_id").loc["hate_crime", "comparator_current"]
        assert london == 240 + 12  # the N/K row counts towards London
        ranked = metrics.league(con, config.measures["hate_crime"], end)
        assert list(ranked.loc[ranked["rank"].notna(), "area_name"]) == ["Bromley"]  # N/K is never ranked
        wards = metrics.league(con, config.measures["hate_crime"], end, level="ward", within="Bromley")
        assert list(zip(wards["area_name"], wards["current"])) == [("Shortlands & Park Langley", 24)]  # not Bromley North


def test_a_series_for_months_the_workbook_covers_is_not_added_to_it(db: Path, fixture_file: Path, write_csv) -> None:
    # A hand-reshaped "Hate crime" series from before the workbook could be read, for Dec 2021 to Mar 2022; the
    # workbook covers Jan 2022 on. Where both are loaded the workbook wins; Dec 2021 keeps the series figure.
    series = "month,area,category,count\n" + "".join(f"{m},Bromley,Hate crime,20\n" for m in
                                                      ("2021-12", "2022-01", "2022-02", "2022-03"))
    ingest([fixture_file, write_csv("hate.csv", series), write_csv("pop.csv", "area,population\nBromley,330000\n")], db=db)
    measure = default_config().measures["hate_crime"]
    with store.connect_read(db) as con:
        head = metrics.comparisons(con, [measure], metrics.parse_month("2022-11"), area="Bromley")
        monthly = metrics.series(con, ["Bromley"], [measure], "2021-12", "2022-03")
    assert list(monthly["offence_count"]) == [20, 20, 20, 20]  # never 40 where both are loaded
    assert head["current"].iloc[0] == 12 * 20


def test_workbook_bad_measure_names_the_line(tmp_path: Path, db: Path) -> None:
    rows = fixture_rows()[:5]
    rows[3][7] = "Arrests"
    path = write_xlsx(tmp_path / "bad.xlsx", PUBLISHED, rows)
    with pytest.raises(IngestError) as err:
        ingest([path], db=db)
    assert err.value.line == 5 and "Offences or Positive Outcomes" in str(err.value)
    assert not store.exists(db)


def test_workbook_csv_bad_month_names_the_line(write_csv, db: Path) -> None:
    rows = as_csv_rows(fixture_rows()[:4])
    rows[2][0] = "Smarch 2022"
    text = ",".join(MIRROR) + "\n" + "\n".join(",".join(r) for r in rows) + "\n"
    with pytest.raises(IngestError) as err:
        ingest([write_csv("bad.csv", text)], db=db)
    assert err.value.line == 4 and "not a month" in str(err.value)


# --- the shared 24-month workbook ---------------------------------------------------------------

@pytest.fixture(scope="module")
def sheet() -> Sheet:
    if not WORKBOOK.exists():
        pytest.skip(f"real extracts not found under {SHARED} (set SBP_SHARED_DATA)")
    from python_calamine import CalamineWorkbook

    return Sheet(CalamineWorkbook.from_path(str(WORKBOOK)).get_sheet_by_name("MPS_MonthlyCrimeDashboard_Other").to_python()[1:])


class Sheet(list):
    """The sheet's data rows, and the rows of each (crime subtype in lower case, measure) at hand."""

    def __init__(self, rows: list[list]) -> None:
        super().__init__(rows)
        self.by_subtype: dict[tuple[str, str], list[list]] = {}
        for r in rows:
            self.by_subtype.setdefault((r[6].lower(), r[7]), []).append(r)


@pytest.fixture(scope="module")
def real_store(sheet, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("wb") / "sbp.duckdb"
    files = [WORKBOOK, REAL_POPULATION] + ([BOROUGH_FILE] if BOROUGH_FILE.exists() else [])
    ingest(files, db=db)
    return db


def independent(sheet: Sheet, subtype: str, measure: str, first: dt.date, last: dt.date, keep) -> int:
    """The sum of Count over the sheet's rows of a subtype (any case) and measure in [first, last] that keep accepts."""
    return int(sum(r[10] for r in sheet.by_subtype.get((subtype.lower(), measure), [])
                   if first <= r[0] <= last and keep(r)))


@pytest.mark.parametrize("mid,subtype", [("hate_crime", "Hate crime"), ("domestic_abuse", "Domestic Abuse"),
                                         ("knife_crime", "Knife Crime")])
def test_real_workbook_measures_for_bromley(real_store: Path, sheet, capsys, mid: str, subtype: str) -> None:
    assert main(["metric", "--db", str(real_store), "--area", "Bromley", "--end", "2023-07", "--measure", mid, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    bromley = lambda r: r[1] == "Borough" and r[3] == "Bromley"
    assert out["current"] == independent(sheet, subtype, "Offences", dt.date(2022, 8, 1), dt.date(2023, 7, 1), bromley)
    assert out["previous"] == independent(sheet, subtype, "Offences", dt.date(2021, 8, 1), dt.date(2022, 7, 1), bromley)
    assert out["rank"] is not None and out["rate_per_1000"] is not None
    assert main(["rank", "--db", str(real_store), "--end", "2023-07", "--measure", mid, "--level", "ward",
                 "--within", "Bromley", "--json"]) == 0
    wards = json.loads(capsys.readouterr().out)
    assert len(wards) == 22
    for w in wards:
        code_rows = lambda r, name=w["area"]: r[1] != "Borough" and r[2].startswith("Bromley ") and r[4] and \
            _ward_name(r[4]) == name
        assert w["current"] == independent(sheet, subtype, "Offences", dt.date(2022, 8, 1), dt.date(2023, 7, 1), code_rows)
    assert main(["series", "--db", str(real_store), "--area", "Bromley", "--measure", mid, "--json"]) == 0
    monthly = json.loads(capsys.readouterr().out)
    aug21 = next(r for r in monthly if r["month"].startswith("2021-08"))
    assert aug21["offence_count"] == independent(sheet, subtype, "Offences", dt.date(2021, 8, 1), dt.date(2021, 8, 1), bromley)


def _ward_name(code: str) -> str:
    return _ward_names().get(code, "")


@functools.cache
def _ward_names() -> dict[str, str]:
    from sbp.ingest.dashboard import ward_lookup

    table = ward_lookup()
    return dict(zip(table["ward_code"].to_pylist(), table["ward_name"].to_pylist()))


def test_real_workbook_csv_export_loads_the_same(real_store: Path, sheet, tmp_path: Path) -> None:
    """The sheet's rows of three months (the first, one in the middle, the last: every area type, subtype and
    measure the workbook has), exported as CSV the way the Datastore publishes it, load as the workbook's do."""
    months = sorted({r[0] for r in sheet})
    chosen = {months[0], months[len(months) // 2], months[-1]}
    path = tmp_path / "export.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MIRROR)
        for r in sheet:
            if r[0] in chosen:
                writer.writerow([r[0].strftime("%d/%m/%Y"), *r[1:10], f"{r[10]:g}", r[11].strftime("%d/%m/%Y")])
    db = tmp_path / "csv" / "sbp.duckdb"
    ingest([path], db=db)
    query = ("SELECT month, area_level, area_name, area_code, borough, major_category, lower(minor_category), offence_count "
             "FROM crime_counts WHERE source = 'mps_dashboard' AND month IN (SELECT unnest($months)) ORDER BY ALL")
    months_param = {"months": sorted(m.date() if hasattr(m, "date") else m for m in chosen)}
    with store.connect_read(db) as a, store.connect_read(real_store) as b:
        from_csv = a.execute(query, months_param).fetchall()
        assert len(from_csv) > 10_000
        assert from_csv == b.execute(query, months_param).fetchall()


def test_non_domestic_violence_with_injury_for_bromley(real_store: Path, sheet, capsys) -> None:
    if not BOROUGH_FILE.exists():
        pytest.skip(f"{BOROUGH_FILE.name} not found under {SHARED}")
    with open(BOROUGH_FILE, newline="", encoding="utf-8") as handle:
        header, *body = list(csv.reader(handle))
    vwi = {m: int(v) for r in body if r[2] == "Bromley" and r[1] == "Violence with Injury" for m, v in zip(header[3:], r[3:])}
    da = lambda first, last: independent(sheet, "Domestic Abuse Violence with Injury", "Offences", first, last,
                                         lambda r: r[1] == "Borough" and r[3] == "Bromley")
    known = {"2022-11": (dt.date(2021, 12, 1), dt.date(2022, 11, 1)), "2023-07": (dt.date(2022, 8, 1), dt.date(2023, 7, 1))}
    for end, (first, last) in known.items():
        assert main(["metric", "--db", str(real_store), "--area", "Bromley", "--end", end, "--measure",
                     "non_domestic_violence_with_injury", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        expected = sum(v for m, v in vwi.items() if f"{first:%Y%m}" <= m <= f"{last:%Y%m}") - da(first, last)
        assert out["current"] == expected > 0 and out["previous"] is None and "reason" in out
        assert out["rank"] is not None
        # London = every row of London's VWI (airports and "Unknown" included) minus every borough-level DA VWI row
        # of the workbook (its rows with no area code included): unattributed rows on both sides, never one only
        london_vwi = sum(int(v) for r in body if r[1] == "Violence with Injury"
                         for m, v in zip(header[3:], r[3:]) if f"{first:%Y%m}" <= m <= f"{last:%Y%m}")
        london_da = independent(sheet, "Domestic Abuse Violence with Injury", "Offences", first, last,
                                lambda r: r[1] == "Borough")
        assert out["comparator_current"] == london_vwi - london_da, (end, london_vwi, london_da)
    for end in ("2022-10", "2023-08"):  # one part missing for a month of the year: unknown, with the reason
        assert main(["metric", "--db", str(real_store), "--area", "Bromley", "--end", end, "--measure",
                     "non_domestic_violence_with_injury", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["current"] is None and "both of its parts" in out["reason"]


def test_a_negative_difference_is_a_data_error(db: Path, write_csv) -> None:
    months = [f"2022{m:02d}" for m in range(1, 13)]
    borough = write_csv("b.csv", "MajorText,MinorText,LookUp_BoroughName," + ",".join(months) + "\n"
                        + "Violence Against the Person,Violence with Injury,Bromley," + ",".join("3" for _ in months) + "\n")
    rows = [[dt.date(2022, m, 1), "Borough", "Bromley", "Bromley", "E09000006", "Domestic Abuse",
             "Domestic Abuse Violence with Injury", "Offences", "fy", "x", 5.0, dt.date(2023, 1, 1)] for m in range(1, 13)]
    workbook = write_xlsx(db.parent.parent / "neg.xlsx", PUBLISHED, rows)
    ingest([borough, workbook, write_csv("pop.csv", "area,population\nBromley,330000\n")], db=db)
    with store.connect_read(db) as con:
        out = metrics.metric(con, "Bromley", "2022-12", default_config().measures["non_domestic_violence_with_injury"])
    assert out["current"] is None and out["negative_count"] is True and "data error" in out["reason"]
