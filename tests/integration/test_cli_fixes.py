"""Command-line fixes: --help works, no unranked area in a league, ward leagues from ward data alone; metric for a
ward or a comparator, exceptions without wards, every format in ingest --help, nulls with a reason for no data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sbp import metrics
from sbp.cli import main
from sbp.ingest import ingest
from sbp.ingest.formats import FORMAT_LABELS
from tests.conftest import BOROUGH_MONTHS, SHARED, borough_csv, store_of
from tests.integration.test_police_uk_areas import forces, lookup, year_of

REAL_WARD = SHARED / "mps" / "mps_ward_level_crime_2021-12_to_2023-11.csv"


@pytest.mark.parametrize("argv", [["--help"], ["metric", "--help"], ["exceptions", "--help"]])
def test_help_prints_instead_of_crashing(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    assert "usage: python -m sbp" in capsys.readouterr().out


def test_rank_json_never_lists_the_airports(real_store, capsys):
    db = real_store
    assert main(["rank", "--db", str(db), "--measure", "burglary", "--end", "2023-11", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 32
    assert not any("Airport" in r["area"] for r in rows)
    assert all(r["rank"] is not None for r in rows)


def test_ward_rank_within_a_borough_works_with_only_ward_data(db, capsys):
    if not REAL_WARD.exists():
        pytest.skip(f"real ward extract not found under {SHARED}")
    ingest([REAL_WARD], db=db)
    assert main(["rank", "--db", str(db), "--measure", "burglary", "--level", "ward", "--within", "bromley",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 22 and {r["borough"] for r in rows} == {"Bromley"}
    assert main(["rank", "--db", str(db), "--measure", "burglary", "--level", "ward", "--within", "Bromly"]) == 1
    assert "Did you mean 'Bromley'" in capsys.readouterr().err


# --- One truth per figure, item 8: the command line's gaps ------------------------------------------


def test_ingest_help_names_every_format(capsys):
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    out = capsys.readouterr().out
    assert all(label in out for label in FORMAT_LABELS.values())


@pytest.fixture(scope="module")
def borough_store(tmp_path_factory) -> Path:
    """MPS borough counts for three London boroughs (2022-2023), no wards, no police.uk files."""
    text = borough_csv(tmp_path_factory.mktemp("boroughs") / "boroughs.csv", 1).read_text()
    return store_of(tmp_path_factory, {"boroughs.csv": text})


def run_json(capsys, *argv: str) -> Any:
    assert main(list(argv) + ["--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_exceptions_without_ward_data_check_boroughs_with_a_note(borough_store, capsys):
    assert main(["exceptions", "--db", str(borough_store)]) == 0
    out, err = capsys.readouterr()
    assert err.strip() == "No ward-level data is loaded, so boroughs are checked instead."
    assert out.startswith("Dec 2023.")
    assert run_json(capsys, "exceptions", "--db", str(borough_store)) == []


WARD_HEADER = "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName," + ",".join(BOROUGH_MONTHS)

def ward_line(ward: str, code: str, borough: str, per_month_2022: int, per_month_2023: int) -> str:
    return f"Burglary,Domestic Burglary,{ward},{code},{borough}," + ",".join(
        [str(per_month_2022)] * 12 + [str(per_month_2023)] * 12)


@pytest.fixture(scope="module")
def ward_store(tmp_path_factory) -> Path:
    """Wards only: an 'Abbey' in Merton and another in Barking and Dagenham (as in the real data), and one more."""
    return store_of(tmp_path_factory, {"wards.csv": "\n".join([
        WARD_HEADER,
        ward_line("Abbey", "E05013810", "Merton", 1, 2),
        ward_line("Wimbledon Town & Dundonald", "E05013829", "Merton", 1, 1),
        ward_line("Abbey", "E05014053", "Barking and Dagenham", 3, 3),
    ]) + "\n"})


@pytest.fixture(scope="module")
def police_uk_store(tmp_path_factory) -> Path:
    """A year of Avon and Somerset police.uk files (Bristol 48, Somerset 24 burglaries) with the ONS lookups."""
    files = {f"street{i}.csv": text for i, text in enumerate(year_of(
        {"E01000001|Bristol 001A": 3, "E01000002|Bristol 001B": 1, "E01000003|Mendip 001A": 1,
         "E01000004|Sedgemoor 001A": 1}))}
    files |= {"lsoa.csv": lookup(), "pfa.csv": forces(),
              "pop.csv": "area,population,year\nBristol,40000,2021\nSomerset,10000,2021\n"}
    return store_of(tmp_path_factory, files)


def test_metric_gives_a_ward_and_asks_for_its_borough_when_the_name_is_shared(ward_store, capsys):
    db = ["--db", str(ward_store), "--measure", "burglary", "--level", "ward", "--end", "2023-12"]
    assert main(["metric", *db, "--area", "abbey"]) == 1
    err = capsys.readouterr().err
    assert "Barking and Dagenham" in err and "Merton" in err and "--within" in err and "Traceback" not in err
    merton = run_json(capsys, "metric", *db, "--area", "abbey", "--within", "merton")
    assert (merton["area"], merton["borough"], merton["current"], merton["previous"]) == ("Abbey", "Merton", 24, 12)
    assert (merton["rank"], merton["rank_of"]) == (2, 2)  # ranked among Merton's wards only
    assert merton["comparator_name"] is None and merton["comparator_current"] is None
    barking = run_json(capsys, "metric", *db, "--area", "Abbey", "--within", "Barking and Dagenham")
    assert (barking["current"], barking["rank_of"]) == (36, 1)
    wimbledon = run_json(capsys, "metric", *db, "--area", "wimbledon town & dundonald")  # unique: no --within needed
    assert (wimbledon["borough"], wimbledon["current"], wimbledon["rank"]) == ("Merton", 12, 1)


def test_metric_gives_the_comparator_by_name(borough_store, police_uk_store, capsys):
    boroughs = run_json(capsys, "rank", "--db", str(borough_store), "--measure", "burglary", "--end", "2023-12")
    london = run_json(capsys, "metric", "--db", str(borough_store), "--measure", "burglary", "--end", "2023-12",
                      "--area", "london")
    current, previous = sum(r["current"] for r in boroughs), sum(r["previous"] for r in boroughs)
    assert (london["area"], london["current"], london["previous"]) == ("London", current, previous)
    assert london["change"] == current - previous
    assert london["pct_change"] == pytest.approx((current - previous) * 100 / previous)
    assert london["rank"] is None and london["rank_of"] is None
    assert isinstance(london["significant"], bool) and london["rag"] in ("Green", "Amber", "Red")
    avon = run_json(capsys, "metric", "--db", str(police_uk_store), "--measure", "all_crime", "--end", "2023-12",
                    "--area", "Avon and Somerset")
    assert (avon["area"], avon["current"], avon["rank"]) == ("Avon and Somerset", 72, None)
    assert avon["rate_per_1000"] == pytest.approx(72 * 1000 / 50000)
    assert avon["previous"] is None and avon["significant"] is None and "not loaded" in avon["reason"]
    assert main(["metric", "--db", str(borough_store), "--measure", "burglary", "--area", "Londn"]) == 1
    assert "Unknown area 'Londn'" in capsys.readouterr().err


def test_series_passes_a_comparator_name_to_the_metrics_layer(borough_store, capsys, monkeypatch):
    asked = []
    real_series = metrics.series

    def series(con, areas, *args, **kwargs):
        asked.extend(areas)
        return real_series(con, ["Bromley"], *args, **kwargs)

    monkeypatch.setattr(metrics, "series", series)
    run_json(capsys, "series", "--db", str(borough_store), "--measure", "burglary", "--area", "London")
    assert asked == ["London"]


@pytest.mark.parametrize("measure", ["all_crime", "knife_crime"])  # police.uk files, the dashboard workbook: not loaded
def test_a_measure_with_no_data_gives_nulls_with_a_reason_everywhere(borough_store, measure, capsys):
    db = ["--db", str(borough_store), "--measure", measure]
    result = run_json(capsys, "metric", *db, "--area", "Bromley")
    assert result["current"] is None and result["rag"] is None and "no data loaded" in result["reason"]
    league = run_json(capsys, "rank", *db)
    assert [r["area"] for r in league] == ["Bexley", "Bromley", "Croydon"]
    assert all(r["current"] is None and r["reason"] == result["reason"] for r in league)
    series = run_json(capsys, "series", *db, "--area", "Bromley")
    assert len(series) == 24 and all(r["offence_count"] is None and r["reason"] == result["reason"] for r in series)
    for command in ("metric", "rank", "series"):
        assert main([command, *db]) == 0
        out = capsys.readouterr().out
        assert result["reason"] in out


@pytest.mark.parametrize(("argv", "why"), [
    (["settings"], "data/settings.toml (or the file SBP_SETTINGS names)"),
    (["settings", "--check"], "data/settings.toml (or the file SBP_SETTINGS names)"),
    (["hash-password"], ".streamlit/secrets.toml"),
])
def test_a_command_that_reads_no_store_refuses_db_in_one_line_saying_why(argv, why, tmp_path, monkeypatch, capsys):
    def no_prompt(prompt: str = "") -> str:
        raise AssertionError("asked for a password before refusing --db")

    monkeypatch.setattr("getpass.getpass", no_prompt)
    db = tmp_path / "other.duckdb"
    assert main([*argv, "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith(f"error: {argv[0]} uses no store, so --db has no effect: ") and why in err, err
    assert err.rstrip().endswith("run it without --db") and not db.exists()
    # Without --db it works (SBP_DB, the environment's store, is not an option given to it and is not refused).
    monkeypatch.setenv("SBP_DB", str(db))
    if argv[0] == "settings":
        assert main(argv) == 0
        assert ("focus_borough = " if argv == ["settings"] else " are valid") in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main([argv[0], "--help"])
    assert "--db" not in capsys.readouterr().out  # not offered in its help
