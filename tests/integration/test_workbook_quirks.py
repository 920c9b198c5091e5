"""The Monthly Crime Dashboard workbook as the MPS publishes it since 2024, one quirk per test.

Rows are written in the published layout (.xlsx and its CSV export) and loaded through `sbp ingest`; the Data page's
upload is checked once with every quirk in one file.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from sbp import metrics, store
from sbp.cli import main
from sbp.config import default_config
from tests.integration.test_admin import app as admin_app  # noqa: F401 (a fixture)
from tests.integration.test_dashboard_workbook import MIRROR, PUBLISHED, as_csv_rows, months, write_xlsx

FEB = dt.date(2024, 2, 1)
SNT = "Safer Neighbourhood Teams"


def row(month: dt.date, area_type: str, team: str, name: str, code: str, count: float, subtype: str = "Hate crime",
        measure: str = "Offences", crime_type: str = "Hate crime") -> list:
    """One sheet row in the published column order."""
    return [month, area_type, team, name, code, crime_type, subtype, measure, "2023-24", "FY23", count, month]


def write(path: Path, rows: list[list]) -> Path:
    """The rows as the published .xlsx, or as its CSV export when path ends in .csv."""
    if path.suffix == ".xlsx":
        return write_xlsx(path, PUBLISHED, rows)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MIRROR)
        writer.writerows(as_csv_rows(rows))
    return path


def load(tmp_path: Path, rows: list[list], suffix: str, capsys, *others: Path) -> tuple[Path, str]:
    """Load the rows (and other files) with `python -m sbp ingest`; the store and what the command printed."""
    db = tmp_path / "store" / "sbp.duckdb"
    files = [str(write(tmp_path / f"dash{suffix}", rows)), *map(str, others)]
    assert main(["ingest", "--db", str(db), *files]) == 0
    return db, capsys.readouterr().out


def stored(db: Path, level: str) -> dict[tuple[str, str, str], int]:
    """(area, code, borough) -> offences at a level."""
    with store.connect_read(db) as con:
        return {(a, c, b): n for a, c, b, n in con.execute(
            "SELECT area_name, area_code, borough, sum(offence_count) FROM crime_counts "
            "WHERE source = 'mps_dashboard' AND area_level = $level AND major_category = 'Offences' GROUP BY ALL",
            {"level": level}).fetchall()}


@pytest.fixture(params=[".xlsx", ".csv"])
def suffix(request) -> str:
    return request.param


def test_one_code_under_two_names_in_a_month_is_one_ward(tmp_path, suffix, capsys):
    rows = [row(FEB, SNT, "Croydon Fairfield", "Fairfield", "E05011468", 30),
            row(FEB, SNT, "Croydon Fairfield (Croydon)", "Fairfield (Croydon)", "E05011468", 4),
            row(FEB, SNT, "Merton Village", "Village", "E05013825", 7),
            row(FEB, SNT, "Merton Village (KG)", "Village (KG)", "E05013825", 1)]
    db, out = load(tmp_path, rows, suffix, capsys)
    assert stored(db, "ward") == {("Fairfield", "E05011468", "Croydon"): 34, ("Village", "E05013825", "Merton"): 8}
    assert "4 rows in 2 groups merged" in out and "'Fairfield' and 'Fairfield (Croydon)'" in out, out


def test_one_ward_under_two_teams_is_one_ward(tmp_path, suffix, capsys):
    rows = [row(FEB, SNT, "Hillingdon Heathrow Villages", "Heathrow Villages", "E05013570", 9),
            row(FEB, SNT, "Aviation Security", "Heathrow Villages", "E05013570", 3)]
    db, out = load(tmp_path, rows, suffix, capsys)
    assert stored(db, "ward") == {("Heathrow Villages", "E05013570", "Hillingdon"): 12}
    assert "'Aviation Security' and 'Hillingdon Heathrow Villages'" in out, out


def test_noisy_team_names_take_the_name_and_borough_of_the_code(tmp_path, suffix, capsys):
    rows = [row(FEB, SNT, "Merton W&le", "W&le", "E05013826", 5),
            row(dt.date(2024, 3, 1), SNT, "Merton Wandle", "Wandle", "E05013826", 6)]
    db, _ = load(tmp_path, rows, suffix, capsys)
    assert stored(db, "ward") == {("Wandle", "E05013826", "Merton"): 11}


def test_rows_with_no_area_code_are_london_unattributed(tmp_path, suffix, capsys):
    no_code = [("Other / NK", "N/K (Legacy Only)", ""), ("Other / NK", "Non MET police force", ""),
               ("Other / NK", "Unknown", ""), ("Aviation Security", "Aviation Security (SO18) (Legacy Only)", "SO18"),
               ("Other / NK", "", "")]
    rows = []
    for m in months(24, dt.date(2023, 1, 1)):
        rows.append(row(m, "Borough", "Bromley", "Bromley", "E09000006", 20))
        rows += [row(m, "Borough", team, name, code, 1) for team, name, code in no_code]
        rows.append(row(m, SNT, "Other / NK", "N/K", "N/K", 2))
        rows.append(row(m, SNT, "Other / NK", "N/K", "N/K", 1, crime_type="Hate Crime (Other)"))
    population = tmp_path / "pop.csv"
    population.write_text("area,population\nBromley,330000\n")
    db, out = load(tmp_path, rows, suffix, capsys, population)
    assert stored(db, "borough") == {("Bromley", "", "Bromley"): 24 * 20, ("Unknown", "", "Unknown"): 24 * 5}
    assert stored(db, "ward") == {("Unknown", "", "Unknown"): 24 * 3}
    assert "counted as London's unattributed offences" in out and "'Non MET police force'" in out, out
    with store.connect_read(db) as con:
        head = metrics.comparisons(con, [default_config().measures["hate_crime"]], dt.date(2024, 12, 1), area="Bromley")
        ranked = metrics.league(con, default_config().measures["hate_crime"], dt.date(2024, 12, 1))
    assert head["current"].iloc[0] == 12 * 20
    assert head["comparator_current"].iloc[0] == 12 * (20 + 5)  # in London's total
    assert list(ranked.loc[ranked["rank"].notna(), "area_name"]) == ["Bromley"]  # never ranked


def test_a_true_duplicate_is_refused_with_its_line(tmp_path, suffix, capsys):
    rows = [row(FEB, SNT, "Croydon Fairfield", "Fairfield", "E05011468", 30),
            row(FEB, SNT, "Croydon Fairfield (Croydon)", "Fairfield (Croydon)", "E05011468", 4),
            row(FEB, SNT, "Croydon Fairfield", "Fairfield", "E05011468", 31)]
    db = tmp_path / "store" / "sbp.duckdb"
    assert main(["ingest", "--db", str(db), str(write(tmp_path / f"dash{suffix}", rows))]) != 0
    err = capsys.readouterr().err
    assert f"dash{suffix}, line 4:" in err and f"'Hate crime' Offences for Fairfield (E05011468) in {FEB:%b %Y} appears" in err, err
    assert "Traceback" not in err and not store.exists(db)


def test_every_quirk_through_the_data_page_upload(demo_db, admin_app, tmp_path):
    from tests.integration.test_admin import PASSWORD, sign_in

    rows = [row(FEB, SNT, "Croydon Fairfield", "Fairfield", "E05011468", 30),
            row(FEB, SNT, "Croydon Fairfield (Croydon)", "Fairfield (Croydon)", "E05011468", 4),
            row(FEB, SNT, "Aviation Security", "Heathrow Villages", "E05013570", 3),
            row(FEB, SNT, "Hillingdon Heathrow Villages", "Heathrow Villages", "E05013570", 9),
            row(FEB, SNT, "Merton W&le", "W&le", "E05013826", 5),
            row(FEB, "Borough", "Other / NK", "N/K (Legacy Only)", "", 2),
            row(FEB, "Borough", "Other / NK", "Non MET police force", "", 1)]
    path = write(tmp_path / "dash.xlsx", rows)
    at = sign_in(admin_app(demo_db, "pages/data_page.py"), "analyst", PASSWORD)
    at.file_uploader[0].set_value(("dash.xlsx", path.read_bytes(), "application/octet-stream"))
    at.run()
    at.button(key="data_load").click().run()
    assert not at.error, [e.value for e in at.error]
    assert stored(demo_db, "ward") == {("Fairfield", "E05011468", "Croydon"): 34,
                                       ("Heathrow Villages", "E05013570", "Hillingdon"): 12,
                                       ("Wandle", "E05013826", "Merton"): 5}
    assert stored(demo_db, "borough") == {("Unknown", "", "Unknown"): 3}


def test_a_ward_code_the_lookup_lacks_keeps_its_most_used_name_and_its_team_borough(tmp_path, suffix, capsys):
    rows = [row(FEB, SNT, "Bromley New Ward", "New Ward", "E05099999", 3),
            row(dt.date(2024, 3, 1), SNT, "Bromley New Ward", "New Ward", "E05099999", 4),
            row(dt.date(2024, 4, 1), SNT, "Bromley New W&", "New W&", "E05099999", 5)]
    db, _ = load(tmp_path, rows, suffix, capsys)
    assert stored(db, "ward") == {("New Ward", "E05099999", "Bromley"): 12}
