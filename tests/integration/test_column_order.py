"""Every format is recognised by its column names, in any order: the same rows in another column order store the
same rows, and an error in a shuffled file still names its line and column."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from sbp import store
from sbp.errors import IngestError
from sbp.ingest import ingest, save_uploads
from tests.conftest import SHARED

REAL_WARD = SHARED / "mps" / "mps_ward_level_crime_2021-12_to_2023-11.csv"
WARD_FIRST = ["WardName", "WardCode", "MajorText", "MinorText", "LookUp_BoroughName"]  # the historical ward file
POLICE_UK = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
             "LSOA name", "Crime type", "Last outcome category", "Context"]
MET = "Metropolitan Police Service"

# format -> (the published header, its rows, the table the rows land in)
FILES: dict[str, tuple[list[str], list[list[str]], str]] = {
    "mps_borough": (
        ["MajorText", "MinorText", "LookUp_BoroughName", "202301", "202302"],
        [["Burglary", "Domestic Burglary", "Bromley", "10", "12"],
         ["Miscellaneous Crimes Against Society", "Making, Supplying or Possessing Articles for use i", "Bromley", "0", "1"],
         ["Burglary", "Domestic Burglary", "London Heathrow and London City Airports", "0", "2"]],
        "crime_counts",
    ),
    "mps_borough_old_spelling": (
        ["MajorText", "MinorText", "BoroughName", "201001", "201002"],
        [["Robbery", "Robbery of Personal Property", "Bexley", "7", "3"],
         ["Robbery", "Robbery of Business Property", "Bexley", "1", "0"],
         ["Robbery", "Robbery of Personal Property", "Bromley", "5", "6"]],
        "crime_counts",
    ),
    "mps_ward": (
        ["MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName", "202309", "202310", "202311"],
        [["Theft", "Shoplifting", "Bromley Town", "E05013991", "Bromley", "28", "30", "41"],
         ["Theft", "Shoplifting", "Biggin Hill", "E05013989", "Bromley", "2", "3", "1"],
         ["Theft", "Shoplifting", "Heathrow Villages", "E05013570", "Aviation Security (SO18)", "4", "5", "0"],
         ["Burglary", "Domestic Burglary", "Bromley Town", "E05013991", "Bromley", "6", "4", "5"]],
        "crime_counts",
    ),
    "mps_lsoa": (
        ["LSOA Code", "LSOA Name", "Borough", "Major Category", "Minor Category", "202310", "202311"],
        [["E01000676", "Bromley 001A", "Bromley", "Burglary", "Domestic Burglary", "3", "2"],
         ["E01000677", "Bromley 001B", "Bromley", "Burglary", "Domestic Burglary", "0", "1"],
         ["E01000676", "Bromley 001A", "Bromley", "Theft", "Shoplifting", "4", "4"]],
        "crime_counts",
    ),
    "police_uk": (
        POLICE_UK,
        [["a1", "2023-11", MET, MET, "0.01", "51.4", "On or near High St", "E01000676", "Bromley 001A", "Burglary", "Under investigation", ""],
         ["a2", "2023-11", MET, MET, "0.01", "51.4", "On or near High St", "E01000676", "Bromley 001A", "Burglary", "", ""],
         ["", "2023-11", MET, MET, "0.01", "51.4", "On or near Park", "E01000677", "Bromley 001B", "Anti-social behaviour", "", ""],
         ["a3", "2023-10", MET, MET, "", "", "No Location", "", "", "Vehicle crime", "", ""]],
        "police_uk_counts",
    ),
    "long_counts": (
        ["month", "area", "category", "count", "area_level", "borough", "major_category"],
        [["2023-11", "Bromley", "Racist hate crime", "20", "borough", "", "Hate crime"],
         ["2023-11", "Orpington", "Hate crime", "4", "ward", "Bromley", "Hate crime"],
         ["2023-10", "Bromley", "Racist hate crime", "18", "borough", "", "Hate crime"]],
        "crime_counts",
    ),
    "population": (
        ["area", "population", "year", "denominator"],
        [["Bromley", "330000", "2021", "residents"],
         ["Bexley", "246500", "2021", "residents"],
         ["Bromley", "140000", "2021", "households"]],
        "population",
    ),
    "lsoa_lookup": (
        ["LSOA21CD", "LSOA21NM", "LSOA21NMW", "WD25CD", "WD25NM", "WD25NMW", "LAD25CD", "LAD25NM", "LAD25NMW", "ObjectId"],
        [["E01000001", "Bristol 001A", "", "W1", "Ward 1", "", "E06000023", "Bristol, City of", "", "1"],
         ["E01000003", "Mendip 001A", "", "W2", "Ward 2", "", "E06000066", "Somerset", "", "2"],
         ["E01000005", "Wiltshire 001A", "", "W4", "Ward 4", "", "E06000054", "Wiltshire", "", "3"]],
        "geo_lsoa",
    ),
    "force_lookup": (
        ["LAD17CD", "LAD17NM", "CSP17CD", "CSP17NM", "PFA17CD", "PFA17NM", "FID"],
        [["E06000023", "Bristol, City of", "E22000001", "Bristol", "E23000036", "Avon and Somerset", "1"],
         ["E06000054", "Wiltshire", "E22000002", "Wiltshire", "E23000038", "Wiltshire", "2"]],
        "geo_lad_force",
    ),
    "mps_dashboard": (  # the workbook's CSV export
        ["Month_Year", "Area Type", "Borough_SNT", "Area name", "Area code", "Crime Type", "Crime Subtype", "Measure",
         "Financial Year", "FY_FYIndex", "Count", "Refresh Date"],
        [["01/10/2023", "Borough", "Bromley", "Bromley", "E09000006", "Hate crime", "Hate crime", "Offences", "fy", "x", "20", "01/12/2023"],
         ["01/10/2023", "Borough", "Bromley", "Bromley", "E09000006", "Hate crime", "Hate crime", "Positive Outcomes", "fy", "x", "3", "01/12/2023"],
         ["01/11/2023", "Borough", "Bromley", "Bromley", "E09000006", "Hate crime", "Hate crime", "Offences", "fy", "x", "22", "01/12/2023"],
         ["01/11/2023", "Safer Neighbourhood Teams", "Bromley Bromley Town", "Bromley Town", "E05013991", "Hate crime",
          "Hate crime", "Offences", "fy", "x", "2", "01/12/2023"]],
        "crime_counts",
    ),
}
TABLES = ("crime_counts", "population", "police_uk_counts", "geo_lsoa", "geo_lad_force")


def shuffle(header: list[str], seed: int) -> list[str]:
    """header in a random order (never its own), the same for every run."""
    rng = random.Random(seed)
    order = list(header)
    while order == header:
        rng.shuffle(order)
    return order


def write(path: Path, header: list[str], rows: list[list[str]], order: list[str]) -> Path:
    """The rows (given in header's order) written as CSV with the columns in order."""
    at = [header.index(name) for name in order]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(order)
        writer.writerows([row[i] for i in at] for row in rows)
    return path


def stored(db: Path) -> dict[str, list[tuple]]:
    """Every table a file can load into, without file ids, in order."""
    with store.connect_read(db) as con:
        return {t: con.execute(f"SELECT * EXCLUDE (file_id) FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def load(tmp_path: Path, name: str, header: list[str], rows: list[list[str]], order: list[str]) -> tuple[str, dict]:
    """Load the rows written in order into a store of their own: the format detected and what was stored."""
    folder = tmp_path / name
    folder.mkdir()
    summary = ingest([write(folder / f"{name}.csv", header, rows, order)], db=folder / "s.duckdb", fresh=True)[0]
    return summary.file_format, stored(folder / "s.duckdb")


ORDERS = [(kind, "shuffled") for kind in FILES] + [("mps_ward", "ward columns first"), ("mps_ward", "reversed")]


def reorder(header: list[str], how: str) -> list[str]:
    """header in one of the ORDERS."""
    if how == "ward columns first":
        return WARD_FIRST + header[len(WARD_FIRST):]
    return header[::-1] if how == "reversed" else shuffle(header, seed=1)


@pytest.mark.parametrize("kind,how", ORDERS, ids=[f"{k}-{h}" for k, h in ORDERS])
def test_the_same_rows_in_another_column_order_store_the_same_rows(tmp_path: Path, kind: str, how: str) -> None:
    header, rows, table = FILES[kind]
    published_format, published = load(tmp_path, "published", header, rows, header)
    reordered_format, reordered = load(tmp_path, "reordered", header, rows, reorder(header, how))
    assert published[table], f"{kind}: nothing stored in {table}"
    assert reordered_format == published_format
    assert reordered == published


# (format, the row changed (0: line 2), the column changed, its new value, the message's words)
ERRORS = [
    ("mps_ward", 2, "202310", "-3", "count -3 is negative"),
    ("mps_ward", 1, "WardCode", "", "this field is empty"),
    ("mps_ward", 1, "LookUp_BoroughName", "Bromly", "unknown borough 'Bromly'"),
    ("mps_ward", 2, "WardCode", "E05999999", "unknown ward code 'E05999999'"),
    ("mps_borough", 2, "202302", "1.5", "count 1.5 is not a whole number"),
    ("mps_lsoa", 1, "LSOA Name", "Bromley", "LSOA name 'Bromley' is not an official LSOA name"),
    ("mps_lsoa", 2, "Major Category", "", "this field is empty"),
    ("police_uk", 1, "Crime type", "", "the crime type is empty"),
    ("police_uk", 1, "Month", "11/2023", "is not in the YYYY-MM form"),
    ("police_uk", 2, "LSOA name", "Bromley", "LSOA name 'Bromley' is not an official LSOA name"),
    ("police_uk", 2, "LSOA code", "X01", "LSOA code 'X01' is not an official LSOA code"),
    ("long_counts", 2, "count", "-4", "count -4 is negative"),
    ("long_counts", 1, "month", "November", "this is not a month"),
    ("long_counts", 1, "borough", "", "needs its borough"),
    ("population", 1, "population", "0", "above zero"),
    ("population", 2, "denominator", "people", "denominator must be residents or households"),
    ("mps_dashboard", 2, "Count", "-2", "the count must be a whole number of zero or more"),
    ("mps_dashboard", 1, "Measure", "Arrests", "the measure must be Offences or Positive Outcomes"),
]


@pytest.mark.parametrize("kind,row,column,value,problem", ERRORS, ids=[f"{e[0]}-{e[2]}" for e in ERRORS])
def test_an_error_in_a_shuffled_file_names_its_line_and_column(tmp_path: Path, kind: str, row: int, column: str,
                                                               value: str, problem: str) -> None:
    header, rows, _ = FILES[kind]
    rows = [list(r) for r in rows]
    rows[row][header.index(column)] = value
    path = write(tmp_path / "bad.csv", header, rows, shuffle(header, seed=7))
    with pytest.raises(IngestError) as caught:
        ingest([path], db=tmp_path / "s.duckdb", fresh=True)
    assert (caught.value.line, caught.value.column) == (row + 2, column), str(caught.value)
    assert problem in str(caught.value)


def test_a_repeated_row_in_a_shuffled_wide_file_names_both_lines(tmp_path: Path) -> None:
    header, rows, _ = FILES["mps_ward"]
    path = write(tmp_path / "dupe.csv", header, rows + [rows[1]], shuffle(header, seed=7))
    with pytest.raises(IngestError) as caught:
        ingest([path], db=tmp_path / "s.duckdb", fresh=True)
    assert caught.value.line == len(rows) + 2
    assert "'Theft / Shoplifting / Biggin Hill / E05013989 / Bromley' appears twice (first at line 3)" in str(caught.value)


@pytest.mark.parametrize("order,column,problem", [
    (["MajorText", "202301", "MinorText", "Notes", "LookUp_BoroughName"], "Notes", "this column is not a month"),
    (["202301", "MinorText", "MajorText", "202301", "LookUp_BoroughName"], "202301", "this month column appears twice"),
    (["MinorText", "MajorText", "LookUp_BoroughName", "MinorText", "202301"], "MinorText", "appears twice in the header"),
], ids=["not-a-month", "repeated-month", "repeated-name"])
def test_a_bad_wide_header_in_any_order_names_its_column(tmp_path: Path, write_csv, order: list[str], column: str,
                                                        problem: str) -> None:
    path = write_csv("bad.csv", ",".join(order) + "\n" + ",".join(["1"] * len(order)) + "\n")
    with pytest.raises(IngestError) as caught:
        ingest([path], db=tmp_path / "s.duckdb", fresh=True)
    assert (caught.value.line, caught.value.column) == (1, column)
    assert problem in str(caught.value)


@pytest.mark.parametrize("header", [
    "MajorText,MinorText,WardName,LookUp_BoroughName,202301",  # a ward file without its ward codes
    "MajorText,LookUp_BoroughName,202301",
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Context",
], ids=["ward-without-code", "borough-without-minor", "police-uk-without-outcome"])
def test_a_header_missing_a_name_column_is_unrecognised(tmp_path: Path, write_csv, header: str) -> None:
    path = write_csv("bad.csv", header + "\n" + ",".join(["1"] * len(header.split(","))) + "\n")
    with pytest.raises(IngestError) as caught:
        ingest([path], db=tmp_path / "s.duckdb", fresh=True)
    assert caught.value.line == 1
    assert str(caught.value).startswith(f"bad.csv, line 1: unrecognised header starting {','.join(header.split(',')[:4])!r}")


def test_the_data_page_upload_path_loads_a_ward_columns_first_file(tmp_path: Path) -> None:
    """The Data page saves the uploads (save_uploads) and loads them with ingest, as here."""
    header, rows, _ = FILES["mps_ward"]
    text = write(tmp_path / "historical.csv", header, rows, reorder(header, "ward columns first")).read_bytes()
    upload = io.BytesIO(text)
    upload.name = "MPS_Ward_Level_Crime_Historical.csv"
    paths = save_uploads([upload], tmp_path / "uploads")
    summary = ingest(paths, db=tmp_path / "s.duckdb")[0]
    assert (summary.file_format, summary.rows) == ("mps_ward", 4)
    _, published = load(tmp_path, "published", header, rows, header)
    assert stored(tmp_path / "s.duckdb") == published


@pytest.mark.skipif(not REAL_WARD.exists(), reason=f"the real ward extract is not under {SHARED} "
                    "(set SBP_SHARED_DATA to the shared/data folder)")
def test_the_real_ward_file_with_ward_columns_first_loads_the_same(tmp_path: Path) -> None:
    with open(REAL_WARD, newline="", encoding="utf-8-sig") as handle:
        header, *rows = list(csv.reader(handle))
    assert header[:5] == ["MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName"]
    historical = write(tmp_path / "historical.csv", header, rows, reorder(header, "ward columns first"))
    tables = []
    for name, path in (("published", REAL_WARD), ("historical", historical)):
        db = tmp_path / name / "s.duckdb"
        ingest([path], db=db, fresh=True)
        with store.connect_read(db) as con:
            tables.append(con.execute("SELECT * EXCLUDE (file_id) FROM crime_counts ORDER BY ALL").df())
    assert len(tables[0]) == len(rows) * (len(header) - 5)
    assert tables[0].equals(tables[1])


def test_ons_estimates_sheet_with_its_columns_in_another_order():
    """The MYE2 sheet's Code, Name, Geography and All ages found by name: the same rows whatever their order."""
    from python_calamine import CalamineWorkbook

    from sbp.ingest.geography import MYE_SHEET, mye2_rows

    path = SHARED / "population" / "ukpopestimatesmid2021on2021geographyfinal.xls"
    if not path.exists():
        pytest.skip(f"the ONS estimates workbook is not at {path} (set SBP_SHARED_DATA)")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(MYE_SHEET).to_python()
    header_at = next(i for i, r in enumerate(rows) if [str(c).strip().lower() for c in r[:2]] == ["code", "name"])
    order = [3, 1, 0, 2] + list(range(4, max(len(r) for r in rows)))
    shuffled = rows[:header_at] + [[(r + [""] * len(order))[i] for i in order] for r in rows[header_at:]]
    assert mye2_rows(path, shuffled) == mye2_rows(path, rows)
    assert mye2_rows(path, rows)[0] == 2021 and len(mye2_rows(path, rows)[1]) > 300
