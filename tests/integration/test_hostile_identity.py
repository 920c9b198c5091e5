"""Identity by code and by known names (issue 23, "Double counts"): a re-issue that names an area, a ward's borough or a
police force another way is refused, or stored under the one name, so nothing is counted twice.

The hostile files are derived from the shared real ones (the workbook, the ward file, the Avon and Somerset files);
each test failed before the fix. Skips without ../shared/data.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from sbp import store
from sbp.cli import main
from sbp.config import areas
from sbp.errors import IngestError
from sbp.ingest import ingest
from tests.conftest import SHARED, copy_store
from tests.integration.test_dashboard_workbook import MIRROR, WORKBOOK

WARD_FILE = SHARED / "mps" / "mps_ward_level_crime_2021-12_to_2023-11.csv"
POLICE = SHARED / "police_uk" / "avon-and-somerset"
LSOA_LOOKUP = SHARED / "geography" / "LSOA_2021_to_Electoral_Ward_2025_to_LAD_2025_Best_Fit_Lookup_in_EW_v2.csv"
FORCE_LOOKUP = SHARED / "geography" / ("Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas_"
                                       "January_2017_Lookup_in_England_and_Wales_Version_2.csv")
BECKENHAM = "E05013987"  # Beckenham Town & Copers Cope, a Bromley ward


def need(*paths: Path) -> None:
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"real extracts not found under {SHARED}: {', '.join(missing)} (set SBP_SHARED_DATA)")


def figures(db: Path) -> tuple:
    """The store's version and every borough-level total by source and area (what a double count changes)."""
    with store.connect_read(db) as con:
        totals = con.execute("SELECT source, area_level, area_name, borough, sum(offence_count) FROM crime_counts "
                             "GROUP BY ALL ORDER BY ALL").fetchall()
    return store.data_version(db), totals


# --- the workbook ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workbook_store(tmp_path_factory) -> Path:
    need(WORKBOOK)
    db = tmp_path_factory.mktemp("workbook") / "store" / "sbp.duckdb"
    ingest([WORKBOOK], db=db)
    return db


@pytest.fixture(scope="module")
def sheet_rows() -> list[list]:
    """The workbook's first three months, as its CSV export (the re-issues below change them)."""
    need(WORKBOOK)
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(WORKBOOK)).get_sheet_by_name("MPS_MonthlyCrimeDashboard_Other").to_python()[1:]
    first = sorted({r[0] for r in rows})[:3]
    return [[r[0].strftime("%d/%m/%Y"), *r[1:10], f"{r[10]:g}", r[11].strftime("%d/%m/%Y")] for r in rows if r[0] in first]


def reissue(path: Path, rows: list[list], change) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MIRROR)
        for r in rows:
            writer.writerow(change(list(r)))
    return path


def bromly(r: list, code: str | None = None) -> list:
    if r[1] == "Borough" and r[3] == "Bromley":
        r[2] = r[3] = "Bromly"
        r[4] = r[4] if code is None else code
    return r


@pytest.fixture
def wb(workbook_store, tmp_path) -> Path:
    return copy_store(workbook_store, tmp_path / "wb" / workbook_store.name)


def test_a_workbook_reissue_naming_bromleys_code_bromly_is_refused_with_the_known_name(wb, sheet_rows, tmp_path, capsys):
    before = figures(wb)
    path = reissue(tmp_path / "reissue.csv", sheet_rows, bromly)
    assert main(["ingest", "--db", str(wb), str(path)]) == 1
    err = capsys.readouterr().err
    line = 2 + next(i for i, r in enumerate(sheet_rows) if r[1] == "Borough" and r[3] == "Bromley")
    assert f"reissue.csv, line {line}, column 'area_name': area name 'Bromly' is not the name of E09000006" in err, err
    assert "did you mean 'Bromley'?" in err and "Traceback" not in err
    assert figures(wb) == before


def test_a_workbook_reissue_with_bromly_and_no_code_is_refused_not_added_to_london(wb, sheet_rows, tmp_path):
    # Before: the rows went to London's unattributed "Unknown" while Bromley kept its own: London counted them twice.
    before = figures(wb)
    with pytest.raises(IngestError) as caught:
        ingest([reissue(tmp_path / "nocode.csv", sheet_rows, lambda r: bromly(r, code=""))], db=wb)
    assert "'Bromly' has no area code" in str(caught.value) and "did you mean 'Bromley' (E09000006)?" in str(caught.value)
    assert caught.value.line is not None
    assert figures(wb) == before


def test_a_workbook_ward_under_a_team_of_another_borough_is_refused(wb, sheet_rows, tmp_path):
    def croydon(r: list) -> list:
        if r[4] == BECKENHAM:
            r[2] = "Croydon " + r[3]
        return r

    before = figures(wb)
    with pytest.raises(IngestError) as caught:
        ingest([reissue(tmp_path / "croydon.csv", sheet_rows, croydon)], db=wb)
    message = str(caught.value)
    assert f"ward {BECKENHAM} (Beckenham Town & Copers Cope) is in Bromley, not in Croydon" in message, message
    assert caught.value.line == 2 + next(i for i, r in enumerate(sheet_rows) if r[4] == BECKENHAM)
    assert figures(wb) == before


def test_the_workbooks_own_spellings_are_its_codes_names():
    # Every name the shared workbook gives a code with another spelling (measured: 54 of its 791 area spellings).
    variants = {"Longl&s": "Longlands", "St Jamess": "St James's", "St Helens": "St. Helen's", "W&le": "Wandle",
                "Fairfield (Croydon)": "Fairfield", "Village (KG)": "Village", "St &rews": "St Andrew's",
                "Nunhead & Queens Road": "Nunhead & Queen's Road"}
    for given, known in variants.items():
        assert areas.published_key(given) == areas.published_key(known), given
    assert areas.published_key("Bromly") != areas.published_key("Bromley")


# --- the MPS ward file ------------------------------------------------------------------------

def test_a_bromley_ward_code_under_croydon_in_a_ward_file_is_refused(tmp_path):
    need(WARD_FILE)
    with open(WARD_FILE, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    rows = [r for r in rows if r[4] in ("Bromley", "Croydon")]  # two boroughs: a small, real file

    def write(name: str, change=lambda r: r) -> Path:
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([header] + [change(list(r)) for r in rows])
        return path

    db = tmp_path / "store" / "sbp.duckdb"
    ingest([write("wards.csv")], db=db)
    before = figures(db)
    moved = write("moved.csv", lambda r: r[:4] + ["Croydon"] + r[5:] if r[3] == BECKENHAM else r)
    with pytest.raises(IngestError) as caught:
        ingest([moved], db=db)
    assert str(caught.value) == (f"moved.csv, line {2 + next(i for i, r in enumerate(rows) if r[3] == BECKENHAM)}, "
                                 f"column 'LookUp_BoroughName': ward {BECKENHAM} (Beckenham Town & Copers Cope) is in "
                                 "Bromley, not in Croydon")
    assert figures(db) == before


# --- police.uk forces ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def police_store(tmp_path_factory) -> Path:
    need(POLICE, LSOA_LOOKUP)
    db = tmp_path_factory.mktemp("police") / "store" / "sbp.duckdb"
    ingest(sorted(POLICE.glob("*.csv")) + [LSOA_LOOKUP], db=db)
    return db


@pytest.fixture
def police(police_store, tmp_path) -> Path:
    return copy_store(police_store, tmp_path / "police" / police_store.name)


def police_file(path: Path, reported_by: str) -> Path:
    """The real January 2023 file with "Reported by" rewritten."""
    duckdb.connect().execute(
        f"""COPY (SELECT * REPLACE ($by AS "Reported by") FROM read_csv('{POLICE / "2023-01-avon-and-somerset-street.csv"}',
                  all_varchar = true)) TO '{path}' (HEADER)""", {"by": reported_by})
    return path


def bristol_and_force(db: Path) -> tuple[int, int, list]:
    with store.connect_read(db) as con:
        bristol, total = con.execute(
            "SELECT sum(offence_count) FILTER (WHERE area_name = 'Bristol'), sum(offence_count) FROM crime_counts "
            "WHERE source = 'police_uk' AND area_level = 'borough'").fetchone()
        forces = con.execute("SELECT DISTINCT force FROM police_uk_counts").fetchall()
    return bristol, total, forces


@pytest.mark.parametrize("spelling", ["Avon & Somerset Constabulary", "AVON AND SOMERSET CONSTABULARY"])
def test_a_police_uk_reissue_spelling_its_force_another_way_replaces_its_month(police, tmp_path, spelling):
    # Before: a new force, 0 months replaced, Bristol and the force counted January twice.
    before = bristol_and_force(police)
    summary = ingest([police_file(tmp_path / "2023-01-reissue.csv", spelling)], db=police)[0]
    assert summary.months_replaced == 1
    assert bristol_and_force(police) == before
    assert before[2] == [("Avon and Somerset Constabulary",)]


def test_an_unknown_force_is_refused_with_the_closest_name(police, tmp_path):
    before = figures(police)
    with pytest.raises(IngestError) as caught:
        ingest([police_file(tmp_path / "2023-01-typo.csv", "Avon and Somerst Constabulary")], db=police)
    assert caught.value.line == 2 and caught.value.column == "Reported by"
    assert "unknown police force 'Avon and Somerst Constabulary' (did you mean 'Avon and Somerset Constabulary' or" in \
        str(caught.value)
    assert figures(police) == before


def test_every_force_of_the_ons_lookup_is_in_the_force_list_once():
    need(FORCE_LOOKUP)
    forces = areas.police_forces()
    pfa = [r[0] for r in duckdb.connect().execute(
        f"SELECT DISTINCT PFA17NM FROM read_csv('{FORCE_LOOKUP}', all_varchar = true)").fetchall()]
    assert len(pfa) == 43
    assert len({forces[areas.force_key(name)] for name in pfa}) == 43
    with open(areas.DATA_DIR / "police_forces.csv", newline="", encoding="utf-8") as handle:
        listed = [r["force"] for r in csv.DictReader(handle)]
    assert len({areas.force_key(f) for f in listed}) == len(listed) == 45  # 43 force areas, BTP and PSNI
