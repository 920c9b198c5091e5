"""Hostile files, second round (issue 23 items 3, 4 and 9): impossible months, bounded work on any input, every
dashboard sheet read or the file refused. Generated files, small and quick; each test failed before its fix.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from sbp import store
from sbp.errors import IngestError
from sbp.ingest import ingest
from tests.integration.test_dashboard_workbook import PUBLISHED, write_xlsx
from tests.integration.test_hostile_files import run_measured

POLICE_HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
               "Last outcome category,Context\n")
NEXT_MONTH = (dt.date.today().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
THIS_MONTH = dt.date.today().replace(day=1)


def dashboard_row(month: object, count: float = 3.0) -> list:
    return [month, "Borough", "Bromley", "Bromley", "E09000006", "Hate crime", "Hate crime", "Offences", "fy", "x",
            count, dt.date(2023, 8, 1)]


def police_row(month: str, force: str = "Avon and Somerset Constabulary", crime_type: str = "Burglary") -> str:
    return f",{month},{force},{force},-2.5,51.4,On or near X,E01014485,Bristol 001A,{crime_type},,\n"


# --- impossible months: every format, one line with the file, the line and the month ----------------

def wide_file(month: str) -> str:
    return f"MajorText,MinorText,LookUp_BoroughName,{month}\nBurglary,Domestic Burglary,Bromley,3\n"


@pytest.mark.parametrize("fmt,month,line,shown", [
    ("wide", "000112", 1, "000112"), ("wide", "190001", 1, "190001"), ("wide", "199912", 1, "199912"),
    ("wide", f"{NEXT_MONTH:%Y%m}", 1, f"{NEXT_MONTH:%Y%m}"),
    ("long", "1899-12", 3, "1899-12"), ("long", "2100-01", 3, "2100-01"), ("long", "9999-12", 3, "9999-12"),
    ("police", "1999-12", 3, "1999-12"), ("police", "2500-01", 3, "2500-01"),
    ("dashboard.csv", "01/11/1899", 3, "01/11/1899"), ("dashboard.csv", "31/12/9999", 3, "31/12/9999"),
    ("dashboard.xlsx", "01/12/1899", 3, "01/12/1899"), ("dashboard.xlsx", dt.date(1999, 12, 1), 3, "1999-12-01"),
    ("dashboard.xlsx", dt.date(2033, 11, 1), 3, "2033-11-01"), ("dashboard.xlsx", dt.date(2100, 1, 1), 3, "2100-01-01"),
    ("dashboard.xlsx", dt.date(2500, 1, 1), 3, "2500-01-01"), ("dashboard.xlsx", dt.date(9999, 12, 31), 3, "9999-12-31"),
    ("dashboard.xlsx", 10 ** 9, 3, "is not a month"),  # an Excel date serial past year 9999
])
def test_months_before_2000_or_after_this_month_are_refused_in_every_format(db, tmp_path, write_csv, fmt, month, line, shown):
    if fmt == "wide":
        path = write_csv("wide.csv", wide_file(month))
    elif fmt == "long":
        path = write_csv("long.csv", f"month,area,category,count\n2023-11,Bromley,ASB calls,3\n{month},Bromley,ASB calls,4\n")
    elif fmt == "police":
        path = write_csv("police.csv", POLICE_HEAD + police_row("2023-11") + police_row(month))
    elif fmt == "dashboard.csv":
        rows = [dashboard_row("01/11/2023"), dashboard_row(month)]
        path = write_csv("dash.csv", ",".join(PUBLISHED) + "\n" + "".join(
            ",".join([r[0], *map(str, r[1:10]), "3", "01/08/2023"]) + "\n" for r in rows))
    else:
        path = write_xlsx(tmp_path / "dash.xlsx", PUBLISHED, [dashboard_row(dt.date(2023, 11, 1)), dashboard_row(month)])
    with pytest.raises(IngestError) as caught:
        ingest([path], db=db)
    error = caught.value
    assert error.line == line and shown in error.problem, str(error)
    assert any(p in error.problem for p in ("is before Jan 2000", "is after the current month", "is not a month")), str(error)
    assert not store.resolve_db_path(db).exists() or store.data_version(db) is None


def test_the_current_month_and_january_2000_load(db, write_csv):
    ingest([write_csv("long.csv", f"month,area,category,count\n2000-01,Bromley,ASB calls,3\n"
                                  f"{THIS_MONTH:%Y-%m},Bromley,ASB calls,4\n")], db=db)
    with store.connect_read(db) as con:
        assert con.execute("SELECT min(month), max(month) FROM crime_counts").fetchone() == (dt.date(2000, 1, 1), THIS_MONTH)


# --- bounded work on any input: the workbook checked before python-calamine expands it ------------

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
                 '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{sheets}{shared}</Types>')
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SHARED_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def cell(ref: str, value: object) -> str:
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, tuple):  # ("s", index): a shared string
        return f'<c r="{ref}" t="s"><v>{value[1]}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def row_xml(number: int | None, values: list) -> str:
    """A row with its cell references, or without any (number None: what a zip bomb of identical rows is made of)."""
    if number is None:
        return "<row>" + "".join(cell("", v).replace(' r=""', "") for v in values) + "</row>"
    return f'<row r="{number}">' + "".join(cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values)) + "</row>"


def raw_xlsx(path: Path, sheets: dict[str, object], shared: list[str] | None = None) -> Path:
    """A minimal workbook written part by part (deflated, streamed): sheets maps a name to an iterable of row XML."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES.format(
            sheets="".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
                           for i in range(1, len(sheets) + 1)),
            shared=f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_TYPE}"/>' if shared else ""))
        book.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                      f'2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
                      "</Relationships>")
        book.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>' + "".join(
            f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, 1)) + "</sheets></workbook>")
        rels = "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(sheets) + 1))
        if shared:
            rels += f'<Relationship Id="rId{len(sheets) + 1}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        book.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                      f'package/2006/relationships">{rels}</Relationships>')
        if shared:
            book.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst xmlns="{MAIN}" count="{len(shared)}" '
                          f'uniqueCount="{len(shared)}">' + "".join(f"<si><t>{s}</t></si>" for s in shared) + "</sst>")
        for i, rows in enumerate(sheets.values(), 1):
            with book.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as part:
                part.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
                batch = []
                for row in rows:
                    batch.append(row)
                    if len(batch) == 10_000:
                        part.write("".join(batch).encode())
                        batch = []
                part.write(("".join(batch) + "</sheetData></worksheet>").encode())
    return path


def dashboard_rows(count: int, subtype: object = "Hate crime", refs: bool = True):
    """The header then count copies of one Bromley row (identical rows without references: a zip bomb)."""
    yield row_xml(1 if refs else None, PUBLISHED)
    for n in range(2, 2 + count):
        yield row_xml(n if refs else None, [45231, "Borough", "Bromley", "Bromley", "E09000006", "Hate crime", subtype, "Offences", "fy",
                          "x", 3, 45231])


def test_a_zip_bomb_is_refused_from_the_zip_directory_before_any_parse(db, tmp_path, monkeypatch):
    """The issue's 7.6 MB workbook of 3 million identical rows, scaled to 60,000: a bomb by its ratio all the same."""
    bomb = raw_xlsx(tmp_path / "bomb.xlsx", {"MPS_MonthlyCrimeDashboard_Other": dashboard_rows(60_000, refs=False)})
    part = zipfile.ZipFile(bomb).getinfo("xl/worksheets/sheet1.xml")
    assert part.file_size > 200 * part.compress_size, "the generated sheet is a bomb by its ratio"
    never_parsed(monkeypatch)
    with pytest.raises(IngestError) as caught:
        ingest([bomb], db=db)
    assert "bomb.xlsx: the part 'xl/worksheets/sheet1.xml' of this workbook expands" in str(caught.value), str(caught.value)
    assert "a zip bomb" in str(caught.value)


def never_parsed(monkeypatch) -> None:
    """Make python-calamine's workbook fail the test if the load opens it."""
    import python_calamine

    class Refused:
        @staticmethod
        def from_path(*args, **kwargs):
            raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", Refused)


def test_a_huge_shared_string_is_refused_before_the_workbook_is_parsed(db, tmp_path, monkeypatch):
    import base64
    import os

    text = base64.b64encode(os.urandom(1_500_000)).decode()  # 2,000,000 characters that do not compress
    path = raw_xlsx(tmp_path / "shared.xlsx", {"MPS_MonthlyCrimeDashboard_Other": dashboard_rows(3, subtype=("s", 0))},
                    shared=[text])
    never_parsed(monkeypatch)
    with pytest.raises(IngestError) as caught:
        ingest([path], db=db)
    message = str(caught.value)
    assert f"uses a text of 2,000,000 characters, over the limit of 1,000: {text[:40] + '…(2,000,000 characters)'!r}" in message
    assert len(message) < 300


def test_a_big_workbook_without_the_dashboard_sheet_is_answered_from_its_first_rows(db, tmp_path, monkeypatch):
    """The issue's 3.5 MB workbook with the wrong sheet took 2.9 GB to say so: the sheets' first rows are enough."""
    other = (row_xml(n, [f"a{n}", f"b{n % 97}", n, n * 2, "x" * (n % 13)]) for n in range(1, 60_001))
    path = raw_xlsx(tmp_path / "wrong.xlsx", {"Sheet1": other, "Notes": iter([row_xml(1, ["read me"])])})
    never_parsed(monkeypatch)
    with pytest.raises(IngestError) as caught:
        ingest([path], db=db)
    assert str(caught.value) == ("wrong.xlsx: no sheet 'MPS_MonthlyCrimeDashboard_Other' (or any sheet with the Monthly "
                                 "Crime Dashboard columns) in this workbook; sheets: 'Sheet1', 'Notes'")


def test_two_sheets_with_the_dashboard_columns_are_refused_naming_them(db, tmp_path):
    rows = [dashboard_row(dt.date(2023, 11, 1))]
    path = raw_xlsx(tmp_path / "two.xlsx", {"Borough": dashboard_rows(1), "Notes": iter([row_xml(1, ["read me"])]),
                                            "Wards": dashboard_rows(1)})
    assert rows
    with pytest.raises(IngestError) as caught:
        ingest([path], db=db)
    assert str(caught.value) == ("two.xlsx: 2 sheets have the Monthly Crime Dashboard columns ('Borough', 'Wards'); the "
                                 "dashboard reads one sheet per workbook: put their rows in one sheet so none is left out")


@pytest.mark.parametrize("far,problem", [
    ('<row r="2"><c r="XFD1048576"><v>1</v></c></row>', "a cell beyond column M or row 550,000"),
    ('<row r="550000"><c r="A550000"><v>1</v></c></row>', "a cell beyond column M or row 550,000"),
    ("<row>" + "<c/>" * 40 + "<c><v>1</v></c></row>", "a row of more than 13 cells"),
])
def test_a_cell_far_from_the_rest_is_refused_before_the_grid_is_built(db, tmp_path, monkeypatch, far, problem):
    """python-calamine builds the whole rectangle to the farthest cell: one reference could ask for 17 billion cells."""
    path = raw_xlsx(tmp_path / "far.xlsx", {"MPS_MonthlyCrimeDashboard_Other": iter([*dashboard_rows(1), far])})
    never_parsed(monkeypatch)
    with pytest.raises(IngestError, match=problem):
        ingest([path], db=db)


# --- distinct values and field lengths, capped at about 10x what published files hold --------------

def test_a_wide_file_of_junk_categories_is_refused_in_one_line(db, write_csv):
    """The issue's 700,530 distinct categories (1.86 GB), scaled to 700: over the cap of 600 all the same."""
    rows = "".join(f"Junk,Category {n},Bromley,1\n" for n in range(700))
    with pytest.raises(IngestError) as caught:
        ingest([write_csv("junk.csv", "MajorText,MinorText,LookUp_BoroughName,202311\n" + rows)], db=db)
    assert str(caught.value) == ("junk.csv: 700 different categories in one file, over the limit of 600 (a published "
                                 "file holds at most 56); is this the right file?")


def test_a_police_file_of_invented_forces_is_refused_in_one_line(db, write_csv):
    """The issue's 490,000 invented forces from one 50 MB file, scaled to 60: over the cap of 50."""
    rows = "".join(police_row("2023-11", force=f"Force {n}") for n in range(60))
    with pytest.raises(IngestError) as caught:
        ingest([write_csv("forces.csv", POLICE_HEAD + rows)], db=db)
    assert str(caught.value) == ("forces.csv: 60 different forces in one file, over the limit of 50 (a published file "
                                 "holds at most 1); is this the right file?")


def test_a_file_of_invented_areas_is_refused_in_one_line(db, write_csv):
    rows = "".join(f"2023-11,Bromley 0{n:05d}A,ASB calls,1,lsoa,Bromley\n" for n in range(50_001))
    with pytest.raises(IngestError, match="50,001 different areas in one file, over the limit of 50,000"):
        ingest([write_csv("areas.csv", "month,area,category,count,area_level,borough\n" + rows)], db=db)


@pytest.mark.parametrize("fmt", ["long", "wide", "police", "dashboard.csv"])
def test_a_300000_character_field_is_refused_with_its_start_and_length(db, write_csv, fmt):
    huge = "A" * 300_000
    if fmt == "long":
        path = write_csv("f.csv", f"month,area,category,count\n2023-11,Bromley,ASB calls,3\n2023-11,Bromley,{huge},4\n")
        column = "category"
    elif fmt == "wide":
        path = write_csv("f.csv", wide_file("202311") + f"Burglary,{huge},Bromley,3\n")
        column = "MinorText"
    elif fmt == "police":
        path = write_csv("f.csv", POLICE_HEAD + police_row("2023-11") + police_row("2023-11", crime_type=huge))
        column = "Crime type"
    else:
        rows = [["01/11/2023", *map(str, dashboard_row("")[1:6]), sub, *map(str, dashboard_row("")[7:10]), "3", "01/08/2023"]
                for sub in ("Hate crime", huge)]
        path = write_csv("f.csv", ",".join(PUBLISHED) + "\n" + "".join(",".join(r) + "\n" for r in rows))
        column = "Crime Subtype"
    with pytest.raises(IngestError) as caught:
        ingest([path], db=db)
    assert str(caught.value) == (f"f.csv, line 3, column {column!r}: a field over the limit of 1,000 characters: "
                                 f"{'A' * 40 + '…(300,000 characters)'!r}")


def test_a_dashboard_sheet_under_another_name_with_shared_string_headers_still_loads(db, tmp_path):
    header = row_xml(1, [("s", i) for i in range(len(PUBLISHED))])
    rows = list(dashboard_rows(1))[1:]
    path = raw_xlsx(tmp_path / "renamed.xlsx", {"Notes": iter([row_xml(1, ["read me"])]), "Data": iter([header, *rows])},
                    shared=PUBLISHED)
    assert ingest([path], db=db)[0].rows == 1


@pytest.mark.slow
def test_a_zip_bomb_through_the_cli_is_one_line_at_a_small_peak(db, tmp_path):
    """300,000 identical rows (about 1 MB deflated) used to be parsed whole; now the zip directory answers."""
    bomb = raw_xlsx(tmp_path / "bomb.xlsx", {"MPS_MonthlyCrimeDashboard_Other": dashboard_rows(300_000, refs=False)})
    out, peak_mb = run_measured(f"""
        from sbp.cli import main
        main(["ingest", "--db", {str(db)!r}, {str(bomb)!r}])
    """, {})
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: bomb.xlsx: the part 'xl/worksheets/sheet1.xml'"), out
    assert peak_mb < 300, f"peak {peak_mb} MB"
