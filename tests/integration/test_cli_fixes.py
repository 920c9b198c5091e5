"""Command-line fixes: --help works, no unranked area in a league, ward leagues from ward data alone; metric for a ward
or a comparator, exceptions without wards, every format in ingest --help, nulls with a reason for a measure with no data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sbp.cli import main
from sbp.ingest import ingest
from sbp.ingest.formats import FORMAT_LABELS
from tests.conftest import SHARED, borough_csv, store_of

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
