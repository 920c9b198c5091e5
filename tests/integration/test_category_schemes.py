"""Both MPS category schemes with one set of measures: the crosswalk, case-insensitive names, per-month unknown.

Real-data checks use today's current-scheme borough file and compare with sums taken straight from the CSV;
fixtures check that extracts of the two schemes load together in any order, each month once.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from sbp import metrics, store
from sbp.cli import main
from sbp.config import default_config, schemes
from sbp.ingest import ingest
from tests.conftest import REAL_POPULATION, SHARED

CURRENT = SHARED / "mps" / "MPS_Borough_Level_Crime_2024-03_to_2026-02.csv"
TOTALS = SHARED / "mps" / "category_schemes_london_totals_2021-12_to_2023-11.csv"
RESIDENTIAL = {"DOMESTIC BURGLARY", "RES BURGLARY OF A HOME", "RES BURGLARY OF UNCONNECTED BUILDING", "BURGLARY - RESIDENTIAL"}
# Independent definitions in the current scheme (the issue's), keyed by measure id: (major, minor) -> counted?
DEFINITIONS = {
    "burglary": lambda major, minor: major == "BURGLARY",
    "residential_burglary": lambda major, minor: minor in RESIDENTIAL,
    "violence_with_injury": lambda major, minor: minor == "VIOLENCE WITH INJURY",
    "motor_vehicle_theft": lambda major, minor: minor == "THEFT OR UNAUTH TAKING OF A MOTOR VEH",
    "rape": lambda major, minor: minor == "RAPE",
    "total_notifiable_offences": lambda major, minor: True,
}


def need(*paths: Path) -> None:
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"real extracts not found under {SHARED}: {', '.join(missing)} (set SBP_SHARED_DATA)")


def csv_sum(path: Path, area: str, first: str, last: str, keep) -> int:
    """Cells of the wide file for an area over months first..last (YYYYMM) on rows keep(major, minor) accepts."""
    with open(path, newline="", encoding="utf-8") as handle:
        header, *body = list(csv.reader(handle))
    return sum(int(v) for r in body if r[2] == area and keep(r[0], r[1])
               for m, v in zip(header[3:], r[3:]) if first <= m <= last)


def test_crosswalk_covers_every_minor_of_both_schemes() -> None:
    need(TOTALS)
    config = default_config()
    listed = {(r.scheme, r.minor_category) for r in config.crosswalk}
    with open(TOTALS, newline="", encoding="utf-8") as handle:
        published = {("2021-23" if r["scheme"].startswith("2021") else "current", r["minor_category"]) for r in csv.DictReader(handle)}
    assert published <= listed
    with open(CURRENT if CURRENT.exists() else TOTALS, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if CURRENT.exists():
        assert {("current", r[1]) for r in rows[1:]} <= listed


def test_comparable_groups_add_up_in_both_schemes() -> None:
    """Each comparable group's London total agrees between the schemes within 5% (releases revise past months; the schemes moved a few offences)."""
    need(TOTALS)
    config = default_config()
    group = {(r.scheme, r.minor_category): r.comparable for r in config.crosswalk}
    totals: dict[tuple[str, str], int] = {}
    with open(TOTALS, newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            scheme = "2021-23" if r["scheme"].startswith("2021") else "current"
            key = (scheme, group[(scheme, r["minor_category"])])
            totals[key] = totals.get(key, 0) + int(r["london_offences_dec2021_to_nov2023"])
    groups = {g for _, g in totals}
    both = [g for g in groups if ("2021-23", g) in totals and ("current", g) in totals]
    assert "Violence without injury, with stalking and harassment" in both
    for g in both:
        old, new = totals[("2021-23", g)], totals[("current", g)]
        assert abs(old - new) <= max(20, 0.05 * old), (g, old, new)  # weapons and misc crimes differ most (4%)


def test_measures_resolve_in_both_schemes() -> None:
    config = default_config()
    m = config.measures
    _, minors, defined = schemes.resolve(m["residential_burglary"], config)
    assert {n.lower() for n in RESIDENTIAL} <= minors and {"2021-23", "current"} <= set(defined)
    assert "current" not in schemes.resolve(m["knife_possession"], config)[2]
    assert "2021-23" in schemes.resolve(m["knife_possession"], config)[2]
    assert schemes.undefined_schemes(m["knife_possession"], config) == ["current"]
    for mid in ("burglary", "violence_with_injury", "motor_vehicle_theft", "rape", "total_notifiable_offences",
                "racially_religiously_aggravated_public_order", "sexual_offences", "robbery_personal_property"):
        assert {"2021-23", "current"} <= set(schemes.resolve(m[mid], config)[2]), mid
    # The older "Violence without Injury" counts today's VIOLENCE WITHOUT INJURY + STALKING AND HARASSMENT.
    from sbp.config import Measure

    dsiid = Measure(id="dsiid", label="Death by illegal driving", minors=("DEATH SERIOUS INJURY ILLEGAL DRIVING",))
    assert schemes.resolve(dsiid, config)[2] == ("", "current")  # no such category in 2021-23
    vap = Measure(id="vap", label="Violence against the person", majors=("Violence Against the Person",))
    assert {"2021-23", "current"} <= set(schemes.resolve(vap, config)[2])  # though 2021-23 lacks DSIID
    vwoi = Measure(id="vwoi", label="Violence without injury", minors=("Violence without Injury",))
    assert {"violence without injury", "stalking and harassment"} <= schemes.resolve(vwoi, config)[1]


@pytest.fixture
def current_store(db: Path) -> Path:
    need(CURRENT, REAL_POPULATION)
    ingest([CURRENT, REAL_POPULATION], db=db)
    return db


def test_current_scheme_metric_for_every_measure(current_store: Path, capsys) -> None:
    config = default_config()
    mps = [m for m in config.measures.values() if m.all or m.majors or m.minors]
    for m in mps:
        assert main(["metric", "--db", str(current_store), "--area", "Bromley", "--end", "2026-02", "--measure", m.id, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        if "current" in schemes.undefined_schemes(m, config) or m.minus:  # minus: needs the workbook too
            assert out["current"] is None and out["rank"] is None and out["reason"], m.id
            continue
        for key in ("current", "previous", "rate_per_1000", "rank"):
            assert out[key] is not None, (m.id, key)
        if m.id in DEFINITIONS:
            keep = DEFINITIONS[m.id]
            assert out["current"] == csv_sum(CURRENT, "Bromley", "202503", "202602", keep), m.id
            assert out["previous"] == csv_sum(CURRENT, "Bromley", "202403", "202502", keep), m.id


def test_unknown_in_a_scheme_says_why(current_store: Path) -> None:
    config = default_config()
    with store.connect_read(current_store) as con:
        reason = metrics.unavailable_reason(con, config.measures["knife_possession"], "2026-02", config=config)
    assert "current" in reason and "category scheme" in reason


OLD_HEADER = "MajorText,MinorText,LookUp_BoroughName,{months}\n"
NEW_HEADER = "MajorText,MinorText,BoroughName,{months}\n"


def wide(header: str, months: list[str], rows: list[tuple[str, str, str, int]]) -> str:
    text = header.format(months=",".join(months))
    for major, minor, borough, value in rows:
        text += f"{major},{minor},{borough}," + ",".join(str(value) for _ in months) + "\n"
    return text


def yyyymm(first_year: int, first_month: int, n: int) -> list[str]:
    out, y, m = [], first_year, first_month
    for _ in range(n):
        out.append(f"{y}{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@pytest.fixture
def two_schemes(write_csv):
    """An older-scheme extract (2022-01..2023-12) and a current one (2024-01..2025-12): no months in common."""
    old = write_csv("old.csv", wide(OLD_HEADER, yyyymm(2022, 1, 24), [
        ("Burglary", "Domestic Burglary", "Bromley", 10),
        ("Possession of Weapons", "Possession of Article with Blade or Point", "Bromley", 2),
        ("Possession of Weapons", "Possession of Other Weapon", "Bromley", 1),
        ("Drug Offences", "Drug Trafficking", "Bromley", 4),
    ]))
    new = write_csv("new.csv", wide(NEW_HEADER, yyyymm(2024, 1, 24), [
        ("BURGLARY", "DOMESTIC BURGLARY", "Bromley", 1),
        ("BURGLARY", "RES BURGLARY OF A HOME", "Bromley", 7),
        ("BURGLARY", "RES BURGLARY OF UNCONNECTED BUILDING", "Bromley", 3),
        ("POSSESSION OF WEAPONS", "POSSESSION OF WEAPONS", "Bromley", 5),
        ("DRUG OFFENCES", "TRAFFICKING OF DRUGS", "Bromley", 6),
    ]))
    pop = write_csv("pop.csv", "area,population\nBromley,330000\n")
    return old, new, pop


@pytest.mark.parametrize("order", ["old_first", "new_first"])
def test_old_and_current_extracts_together_in_any_order(db: Path, two_schemes, order) -> None:
    old, new, pop = two_schemes
    files = [old, new, pop] if order == "old_first" else [new, pop, old]
    for f in files:
        ingest([f], db=db)
    config = default_config()
    m = config.measures
    with store.connect_read(db) as con:
        months = con.execute("SELECT month, count(*) FROM (SELECT DISTINCT month, file_id FROM crime_counts) GROUP BY 1 "
                             "HAVING count(*) > 1").fetchall()
        assert months == []  # each month from one extract only
        schemes_by_month = dict(con.execute("SELECT strftime(month, '%Y%m'), scheme FROM month_index").fetchall())
        assert schemes_by_month["202312"] == "2021-23" and schemes_by_month["202401"] == "current"
        rb = metrics.comparisons(con, [m["residential_burglary"]], metrics.parse_month("2025-12"), area="Bromley").iloc[0]
        assert (rb["current"], rb["previous"]) == (11 * 12, 11 * 12)
        across = metrics.comparisons(con, [m["residential_burglary"]], metrics.parse_month("2024-06"), area="Bromley").iloc[0]
        assert across["current"] == 6 * 10 + 6 * 11  # a rolling year spanning both schemes
        knife = metrics.comparisons(con, [m["knife_possession"]], metrics.parse_month("2023-12"), metrics.parse_month("2025-12"),
                                    area="Bromley").set_index("end_month")
        assert knife.loc[metrics.parse_month("2023-12"), "current"] == 24
        assert knife["current"].iloc[1:].isna().all()  # any current-scheme month makes knife possession unknown
        series = metrics.series(con, ["Bromley"], [m["knife_possession"]], "2023-11", "2024-02")
        assert list(series["offence_count"].astype("Float64").fillna(-1)) == [2, 2, -1, -1]


def test_a_gap_between_extracts_is_unknown(db: Path, write_csv) -> None:
    old = write_csv("old.csv", wide(OLD_HEADER, yyyymm(2022, 1, 12), [("Burglary", "Domestic Burglary", "Bromley", 10)]))
    new = write_csv("new.csv", wide(NEW_HEADER, yyyymm(2023, 3, 12), [("BURGLARY", "RES BURGLARY OF A HOME", "Bromley", 7)]))
    ingest([old, new], db=db)
    with store.connect_read(db) as con:
        frame = metrics.comparisons(con, [default_config().measures["residential_burglary"]],
                                    metrics.parse_month("2022-12"), metrics.parse_month("2024-02"), area="Bromley")
    by_end = dict(zip(frame["end_month"].astype(str), frame["current"]))
    assert by_end["2022-12-01"] == 120 and by_end["2024-02-01"] == 84
    assert all(pd.isna(by_end[f"2023-{m:02d}-01"]) for m in range(1, 13)) and pd.isna(by_end["2024-01-01"])


def test_newer_extract_replaces_months_whatever_its_spelling(db: Path, write_csv) -> None:
    old = write_csv("old.csv", wide(OLD_HEADER, yyyymm(2023, 1, 12), [("Burglary", "Domestic Burglary", "Bromley", 10)]))
    new = write_csv("new.csv", wide(NEW_HEADER, yyyymm(2023, 7, 12), [("BURGLARY", "DOMESTIC BURGLARY", "Bromley", 9)]))
    for files in ([old, new], [new, old]):
        path = db.with_name(f"s{len(str(files))}.duckdb")
        for f in files:
            ingest([f], db=path)
        with store.connect_read(path) as con:
            rows = con.execute("SELECT strftime(month, '%Y%m'), sum(offence_count) FROM crime_counts GROUP BY 1 ORDER BY 1").fetchall()
        assert rows == [(m, 10) for m in yyyymm(2023, 1, 6)] + [(m, 9) for m in yyyymm(2023, 7, 12)]
