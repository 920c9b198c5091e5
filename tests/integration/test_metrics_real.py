"""The metrics layer and the metrics CLI on the real MPS borough extract (skips without ../shared/data).

Checks internal consistency (majors = sum of their minors, London = sum of every area, 32 boroughs ranked,
the airports never) and agreement with sums taken straight from the CSV with the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from sbp import metrics, store
from sbp.cli import main
from sbp.config import Measure, default_config

END = dt.date(2023, 11, 1)
AIRPORTS = "London Heathrow and London City Airports"
CONTRACT_KEYS = [
    "area", "end", "measure", "current", "previous", "change", "pct_change", "rate_per_1000",
    "rate_per_1000_previous", "rank", "rank_of", "rank_previous", "significant", "rag",
    "comparator_current", "comparator_previous", "comparator_pct_change",
]


@pytest.fixture
def loaded(real_store: Path) -> Path:
    """The real extract and populations ingested (once per run: these tests only read the store)."""
    return real_store


def read_mps(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def cell_sum(path: Path, area: str, first: str, last: str, keep=lambda row: True) -> int:
    """Sum of the CSV cells for an area over months first..last (YYYYMM) on the rows keep() accepts."""
    header, body = read_mps(path)
    return sum(int(v) for r in body if r[2] == area and keep(r) for m, v in zip(header[3:], r[3:]) if first <= m <= last)


def test_majors_equal_the_sum_of_their_minors(loaded: Path) -> None:
    with store.connect_read(loaded) as con:
        cats = metrics.loaded_categories(con)
        cats = cats[cats["source"] == "mps_borough"]
        by_major = cats.groupby("major_category")["minor_category"].apply(sorted).to_dict()
        measures = [Measure(id=f"major:{major}", label=major, majors=(major,)) for major in by_major]
        measures += [Measure(id=f"minor:{minor}", label=minor, minors=(minor,)) for minors in by_major.values() for minor in minors]
        measures.append(default_config().measures["total_notifiable_offences"])
        frame = metrics.comparisons(con, measures, END, END)
    assert len(by_major) == 12
    indexed = frame.set_index(["measure_id", "area_name"])
    areas = sorted(frame["area_name"].unique())
    assert len(areas) == 33 and "Bromley" in areas and AIRPORTS in areas
    for area in areas:
        for column in ("current", "previous"):
            majors_total = 0
            for major, minors in by_major.items():
                whole = int(indexed.loc[(f"major:{major}", area), column])
                parts = sum(int(indexed.loc[(f"minor:{minor}", area), column]) for minor in minors)
                assert whole == parts, (area, major, column, whole, parts)
                majors_total += whole
            assert int(indexed.loc[("total_notifiable_offences", area), column]) == majors_total, (area, column)
    # London totals: the same identity holds for comparator_current / comparator_previous.
    london = frame.groupby("measure_id")[["comparator_current", "comparator_previous"]].first()
    for major, minors in by_major.items():
        for column in ("comparator_current", "comparator_previous"):
            assert int(london.loc[f"major:{major}", column]) == sum(int(london.loc[f"minor:{m}", column]) for m in minors)


def test_ranks_and_london_totals(loaded: Path, real_files) -> None:
    mps, population_csv = real_files
    with open(population_csv, newline="", encoding="utf-8") as handle:
        population = {r["borough"]: int(r["population"]) for r in csv.DictReader(handle)}
    config = default_config()
    with store.connect_read(loaded) as con:
        frame = metrics.comparisons(con, [config.measures["burglary"], config.measures["total_notifiable_offences"]], END, END)
    for measure_id, rows in frame.groupby("measure_id"):
        assert len(rows) == 33
        assert set(rows["rank_of"]) == {32}
        airports = rows[rows["area_name"] == AIRPORTS].iloc[0]
        assert pd.isna(airports["rank"]) and pd.isna(airports["rank_previous"]) and airports["current"] > 0
        boroughs = rows[rows["area_name"] != AIRPORTS]
        assert boroughs["rank"].notna().all() and boroughs["rank"].min() == 1 and boroughs["rank"].max() <= 32
        assert set(rows["comparator_current"]) == {int(rows["current"].sum())}
        assert set(rows["comparator_previous"]) == {int(rows["previous"].sum())}
        # Ranks by hand: 1 + the number of boroughs with a strictly lower rate per 1,000 residents.
        rates = {r["area_name"]: Fraction(int(r["current"]) * 1000, population[r["area_name"]]) for _, r in boroughs.iterrows()}
        for _, r in boroughs.iterrows():
            assert int(r["rank"]) == 1 + sum(1 for v in rates.values() if v < rates[r["area_name"]]), (measure_id, r["area_name"])
            assert math.isclose(r["rate_per_1000"], float(rates[r["area_name"]]), rel_tol=1e-9)


def test_bromley_total_notifiable_offences_match_the_file(loaded: Path, real_files) -> None:
    mps, _ = real_files
    current = cell_sum(mps, "Bromley", "202212", "202311")
    previous = cell_sum(mps, "Bromley", "202112", "202211")
    burglary = cell_sum(mps, "Bromley", "202212", "202311", lambda r: r[0] == "Burglary")
    with store.connect_read(loaded) as con:
        tno = metrics.metric(con, "Bromley", "2023-11", default_config().measures["total_notifiable_offences"])
        burg = metrics.metric(con, "bromley", END, default_config().measures["burglary"])
    assert tno["area"] == "Bromley" and tno["end"] == "2023-11"
    assert tno["current"] == current and tno["previous"] == previous
    assert tno["change"] == current - previous
    assert math.isclose(tno["pct_change"], (current - previous) / previous * 100, rel_tol=1e-12)
    assert burg["current"] == burglary


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_metric_json_has_every_contract_key(loaded: Path, real_files, capsys) -> None:
    mps, _ = real_files
    code, out, err = run_cli(capsys, "metric", "--db", str(loaded), "--area", "Bromley", "--end", "2023-11",
                             "--measure", "burglary", "--json")
    assert code == 0, err
    result = json.loads(out)
    missing = [k for k in CONTRACT_KEYS if k not in result]
    assert not missing
    assert (result["area"], result["end"], result["measure"]) == ("Bromley", "2023-11", "burglary")
    current = cell_sum(mps, "Bromley", "202212", "202311", lambda r: r[0] == "Burglary")
    previous = cell_sum(mps, "Bromley", "202112", "202211", lambda r: r[0] == "Burglary")
    assert (result["current"], result["previous"], result["change"]) == (current, previous, current - previous)
    assert math.isclose(result["pct_change"], (current - previous) / previous * 100, rel_tol=1e-12)
    assert result["rank_of"] == 32 and 1 <= result["rank"] <= 32 and 1 <= result["rank_previous"] <= 32
    assert isinstance(result["significant"], bool) and result["rag"] in ("Green", "Amber", "Red")
    lc, lp = result["comparator_current"], result["comparator_previous"]
    assert math.isclose(result["comparator_pct_change"], (lc - lp) / lp * 100, rel_tol=1e-12)


def test_cli_rank_json_lists_every_ranked_borough(loaded: Path, capsys) -> None:
    code, out, err = run_cli(capsys, "rank", "--db", str(loaded), "--end", "2023-11", "--measure", "burglary", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list) and len(rows) == 32  # the airports area counts towards London, never in a league
    for row in rows:
        assert {"area", "current", "previous", "pct_change", "rate_per_1000", "rank"} <= set(row)
    ranks = {r["area"]: r["rank"] for r in rows}
    assert AIRPORTS not in ranks
    assert sorted(ranks.values())[0] == 1
    assert all(isinstance(r, int) for r in ranks.values())


def test_cli_series_json_gives_24_months(loaded: Path, real_files, capsys) -> None:
    mps, _ = real_files
    header, body = read_mps(mps)
    monthly = [sum(int(r[3 + i]) for r in body if r[2] == "Bromley" and r[0] == "Burglary") for i in range(24)]
    code, out, err = run_cli(capsys, "series", "--db", str(loaded), "--area", "Bromley", "--measure", "burglary", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 24
    assert [r["month"] for r in rows] == [f"{m[:4]}-{m[4:]}" for m in header[3:]]
    assert [r["offence_count"] for r in rows] == monthly
    assert all(r["area"] == "Bromley" for r in rows)
    assert [r["rolling_12_total"] for r in rows] == [None] * 11 + [sum(monthly[i - 11: i + 1]) for i in range(11, 24)]


def test_cli_unknown_area_suggests_a_close_match(loaded: Path, capsys) -> None:
    code, out, err = run_cli(capsys, "metric", "--db", str(loaded), "--area", "Bromly", "--end", "2023-11",
                             "--measure", "burglary", "--json")
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "Bromly" in lines[0] and "'Bromley'" in lines[0]


def test_cli_end_month_outside_the_data_names_the_loaded_months(loaded: Path, capsys) -> None:
    code, out, err = run_cli(capsys, "metric", "--db", str(loaded), "--area", "Bromley", "--end", "2024-05",
                             "--measure", "burglary", "--json")
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "May 2024" in lines[0] and "Dec 2021" in lines[0] and "Nov 2023" in lines[0]
