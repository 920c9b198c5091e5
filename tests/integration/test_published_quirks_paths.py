"""The published-layout quirks of issue 19 not covered end to end elsewhere, through both ways in: `sbp ingest` and
the Data page's upload (the workbook quirks: test_workbook_quirks.py; the stub month: test_incomplete_months.py)."""

from __future__ import annotations

import pytest

from sbp import store
from sbp.cli import main
from tests.integration.test_admin import app as admin_app  # noqa: F401 (a fixture)
from tests.integration.test_lsoa_2011 import MENDIP_2021, TAUNTON_2011, lookup21, street

# The historical ward file as the MPS publishes it: the ward columns first.
WARD_FIRST = ("WardName,WardCode,MajorText,MinorText,LookUp_BoroughName,202401,202402\n"
              "Bromley Town,E05013999,VIOLENCE AGAINST THE PERSON,VIOLENCE WITH INJURY,Bromley,17,19\n"
              "Shortlands & Park Langley,E05014005,VIOLENCE AGAINST THE PERSON,VIOLENCE WITH INJURY,Bromley,4,6\n")
WARD_COUNTS = {("Bromley Town", "2024-01"): 17, ("Bromley Town", "2024-02"): 19,
               ("Shortlands & Park Langley", "2024-01"): 4, ("Shortlands & Park Langley", "2024-02"): 6}


def ward_counts(db) -> dict[tuple[str, str], int]:
    with store.connect_read(db) as con:
        return {(a, f"{m:%Y-%m}"): n for a, m, n in con.execute(
            "SELECT area_name, month, offence_count FROM crime_counts WHERE area_level = 'ward'").fetchall()}


def somerset(db) -> tuple[int, int]:
    """(Somerset's borough-level crimes, crimes no area holds) for the force."""
    with store.connect_read(db) as con:
        placed = con.execute("SELECT coalesce(sum(offence_count), 0) FROM crime_counts WHERE area_level = 'borough' "
                             "AND area_name = 'Somerset'").fetchone()[0]
        unmapped = con.execute("SELECT coalesce(sum(unmapped), 0) FROM police_uk_quality").fetchone()[0]
    return placed, unmapped


def police_files(tmp_path):
    crimes = tmp_path / "2023-06-avon-and-somerset-street.csv"
    crimes.write_text(street("2023-06", {TAUNTON_2011: 3, MENDIP_2021: 2}))
    lookup = tmp_path / "LSOA_2021_to_Electoral_Ward_2025_to_LAD_2025_Best_Fit_Lookup_in_EW_v2.csv"
    lookup.write_text(lookup21())
    return crimes, lookup


def test_ward_columns_first_through_sbp_ingest(tmp_path):
    path = tmp_path / "MPS_Ward_Level_Crime_Historical.csv"
    path.write_text(WARD_FIRST)
    db = tmp_path / "s.duckdb"
    assert main(["ingest", "--db", str(db), str(path)]) == 0
    assert ward_counts(db) == WARD_COUNTS


def test_2011_lsoa_codes_by_district_through_sbp_ingest(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    assert main(["ingest", "--db", str(db), *map(str, police_files(tmp_path))]) == 0
    assert "Taunton Deane -> Somerset" in capsys.readouterr().out
    assert somerset(db) == (5, 0)  # the Taunton Deane 2011 rows are in Somerset, none unplaced


@pytest.mark.parametrize("case", ["ward columns first", "2011 LSOA codes"])
def test_through_the_data_page_upload(demo_db, admin_app, tmp_path, case):
    from tests.integration.test_admin import PASSWORD, sign_in

    if case == "ward columns first":
        uploads = [("MPS_Ward_Level_Crime_Historical.csv", WARD_FIRST.encode(), "text/csv")]
    else:
        uploads = [(p.name, p.read_bytes(), "text/csv") for p in police_files(tmp_path)]
    at = sign_in(admin_app(demo_db, "pages/data_page.py"), "analyst", PASSWORD)
    at.file_uploader[0].set_value(uploads)
    at.run()
    at.button(key="data_load").click().run()
    assert not at.error, [e.value for e in at.error]
    if case == "ward columns first":
        assert ward_counts(demo_db) == WARD_COUNTS
    else:
        assert somerset(demo_db) == (5, 0)
