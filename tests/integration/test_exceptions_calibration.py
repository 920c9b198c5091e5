"""Exceptions on generated over-dispersed seasonal series: the flag rate without shifts is near the stated level and
true shifts are found; zeros before a category existed, months past a source's end and small counts never flag."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from sbp import metrics, store
from sbp.config.settings import load_settings
from sbp.display import exceptions_view
from sbp.ingest import ingest

BOROUGHS = ("Bromley", "Bexley", "Croydon", "Lewisham", "Greenwich", "Southwark", "Lambeth", "Merton")
CATEGORIES = (("Burglary", "Domestic Burglary"), ("Violence Against the Person", "Violence with Injury"),
              ("Theft", "Shoplifting"), ("Robbery", "Robbery of Personal Property"), ("Theft", "Bicycle Theft"))
MONTHS = [dt.date(2017 + i // 12, i % 12 + 1, 1) for i in range(84)]  # Jan 2017 to Dec 2023
CHECKED = MONTHS[-12:]  # every month of 2023 is checked
SIZE = 40  # negative binomial size: variance = mean + mean^2 / 40, two to five times Poisson here
SHIFTED = {(b, c) for i, b in enumerate(BOROUGHS) for j, c in enumerate(CATEGORIES) if (i + j) % 4 == 0}
LEVEL = 0.002  # checked at 99.8%


def _means(rng: np.random.Generator) -> np.ndarray:
    """Seasonal, drifting expected counts per borough x category x month."""
    base = rng.uniform(40, 250, size=(len(BOROUGHS), len(CATEGORIES), 1))
    t = np.arange(len(MONTHS))
    season = 1 + 0.2 * np.sin(2 * np.pi * (t % 12) / 12 + rng.uniform(0, 2 * np.pi, size=(1, len(CATEGORIES), 1)))
    drift = 1 + rng.uniform(-0.003, 0.003, size=(len(BOROUGHS), len(CATEGORIES), 1)) * t
    return base * season * drift


def _wide_file(path: Path, counts: np.ndarray) -> Path:
    """The counts as an MPS wide borough file."""
    lines = ["MajorText,MinorText,LookUp_BoroughName," + ",".join(f"{m:%Y%m}" for m in MONTHS)]
    for i, borough in enumerate(BOROUGHS):
        for j, (major, minor) in enumerate(CATEGORIES):
            lines.append(f"{major},{minor},{borough}," + ",".join(str(int(v)) for v in counts[i, j]))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Path]:
    """Two stores of the same negative-binomial draws: as drawn, and with the last month doubled in SHIFTED series."""
    rng = np.random.default_rng(20)
    means = _means(rng)
    counts = rng.negative_binomial(SIZE, SIZE / (SIZE + means))
    shifted = counts.copy()
    for i, borough in enumerate(BOROUGHS):
        for j, category in enumerate(CATEGORIES):
            if (borough, category) in SHIFTED:
                shifted[i, j, -1] = 2 * counts[i, j, -1]
    stores = []
    for name, data in (("steady", counts), ("shifted", shifted)):
        folder = tmp_path_factory.mktemp(name)
        db = folder / "store" / "sbp.duckdb"
        ingest([_wide_file(folder / "boroughs.csv", data)], db=db)
        stores.append(db)
    return stores[0], stores[1]


def _settings() -> dict:
    return {**load_settings(), "exception_probability": LEVEL}


def test_steady_series_are_flagged_near_the_stated_rate(generated):
    steady, _ = generated
    flagged = tested = chance = 0.0
    with store.connect_read(steady) as con:
        for month in CHECKED:
            scan = metrics.exceptions(con, month, level="borough", settings=_settings())
            flagged += len(scan.flags)
            tested += scan.cells_tested
            chance += scan.expected_by_chance
            assert scan.seasonal and "Laney" in exceptions_view.method_sentence(scan, "borough")
    assert tested == len(CHECKED) * len(BOROUGHS) * len(CATEGORIES)
    assert flagged / tested < 0.02
    assert chance / tested <= LEVEL


def test_most_true_shifts_are_found_and_few_others(generated):
    _, shifted = generated
    with store.connect_read(shifted) as con:
        scan = metrics.exceptions(con, MONTHS[-1], level="borough", settings=_settings())
    found = {(a, c) for a, c in zip(scan.flags["area_name"], scan.flags["measure_label"])}
    true = {(b, minor) for b, (_, minor) in SHIFTED}
    assert len(found & true) >= 0.7 * len(true)
    assert len(found - true) <= 1
    assert (scan.flags.loc[scan.flags["area_name"].isin(BOROUGHS), "exception"] == "higher than usual").all()
    assert (scan.flags["method"] == metrics.EXCEPTION_METHOD).all()


def test_published_zeros_before_a_new_category_never_give_a_baseline(tmp_path):
    # A current-scheme category published as 0 for two years before it existed, then about 50 a month for a year.
    months = MONTHS[-36:]
    header = "MajorText,MinorText,BoroughName," + ",".join(f"{m:%Y%m}" for m in months)
    rng = np.random.default_rng(3)
    new = [0] * 24 + list(rng.poisson(50, 12))
    old = list(rng.poisson(80, 36))
    rows = [f"BURGLARY,RES BURGLARY OF A HOME,Bromley," + ",".join(map(str, new)),
            f"BURGLARY,DOMESTIC BURGLARY,Bromley," + ",".join(map(str, old))]
    path = tmp_path / "current.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    db = tmp_path / "store" / "sbp.duckdb"
    ingest([path], db=db)
    with store.connect_read(db) as con:
        scan = metrics.exceptions(con, months[-1], level="borough")
    assert "RES BURGLARY OF A HOME" not in set(scan.flags["measure_label"])
    reasons = dict(zip(scan.untested["measure_label"], scan.untested["reason"]))
    assert reasons["RES BURGLARY OF A HOME"] == "not enough history (11 months)"
    assert "DOMESTIC BURGLARY" not in reasons  # its own 35 months are a baseline


def test_a_month_past_a_sources_end_is_never_listed(generated, tmp_path):
    steady, _ = generated
    # A hand-reshaped hate crime series for Bromley ending six months before the MPS file does.
    series = "month,area,category,count\n" + "".join(f"{m:%Y-%m},Bromley,Hate crime,{40 if m < MONTHS[-8] else 400}\n"
                                                      for m in MONTHS[:-6])
    (tmp_path / "hate.csv").write_text(series)
    folder = tmp_path / "both"
    folder.mkdir()
    db = folder / "sbp.duckdb"
    ingest([steady.parent.parent / "boroughs.csv", tmp_path / "hate.csv"], db=db)
    with store.connect_read(db) as con:
        scan = metrics.exceptions(con, MONTHS[-1], level="borough", by="measure", include_comparator=True)
    assert "hate_crime" not in set(scan.flags["measure_id"])
    untested = scan.untested[(scan.untested["area_name"] == "Bromley") & (scan.untested["measure_id"] == "hate_crime")]
    assert list(untested["reason"]) == [f"no data for {MONTHS[-1]:%b %Y}"]
    assert "Hate crime" in exceptions_view.borough_flags_html(scan, "Bromley")


def test_counts_under_the_minimum_are_never_flagged(tmp_path):
    # Series of about 3 a month with a last month of 15: far above the expected range but under a minimum of 20.
    rng = np.random.default_rng(5)
    counts = rng.poisson(3.0, size=(len(BOROUGHS), len(CATEGORIES), len(MONTHS)))
    counts[:, :, -1] = 15
    db = tmp_path / "store" / "sbp.duckdb"
    ingest([_wide_file(tmp_path / "small.csv", counts)], db=db)
    with store.connect_read(db) as con:
        scan = metrics.exceptions(con, MONTHS[-1], level="borough", settings={**_settings(), "exception_min_count": 20})
        loose = metrics.exceptions(con, MONTHS[-1], level="borough", settings={**_settings(), "exception_min_count": 0})
    assert scan.flags.empty and scan.cells_tested == len(BOROUGHS) * len(CATEGORIES)
    assert "under 20 are never flagged" in exceptions_view.method_sentence(scan, "borough")
    assert not loose.flags.empty  # the same counts do flag without the minimum


def test_the_json_carries_each_flags_range_baseline_and_method(generated, capsys):
    from sbp.cli import main

    _, shifted = generated
    assert main(["exceptions", "--db", str(shifted), "--level", "borough", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows
    for row in rows:
        assert row["lower_limit"] <= row["expected"] <= row["upper_limit"] < row["offence_count"]
        assert row["expected"] == row["baseline_mean"] and row["dispersion"] >= 1
        assert row["baseline_last"] == "2023-11" and row["baseline_first"] <= "2017-01" and row["baseline_known"] >= 18
        assert row["method"] == metrics.EXCEPTION_METHOD and row["months_running"] == 1


def test_a_shift_that_lasts_reads_as_months_running(tmp_path):
    rng = np.random.default_rng(8)
    means = _means(rng)
    counts = rng.negative_binomial(SIZE, SIZE / (SIZE + means))
    counts[0, 0, -2:] = 3 * counts[0, 0, -2:]  # Bromley burglary trebled for the last two months
    db = tmp_path / "store" / "sbp.duckdb"
    ingest([_wide_file(tmp_path / "boroughs.csv", counts)], db=db)
    with store.connect_read(db) as con:
        scan = metrics.exceptions(con, MONTHS[-1], level="borough", settings=_settings(), include_comparator=True)
    row = scan.flags[(scan.flags["area_name"] == "Bromley") & (scan.flags["measure_label"] == "Domestic Burglary")]
    assert list(row["months_running"]) == [2]
    html = exceptions_view.borough_flags_html(scan, "Bromley")
    assert "above its expected range for 2 months running" in html and "London this month" in html


def test_a_stub_month_never_enters_a_baseline(tmp_path):
    # The file opens with a stub month (1 offence per row, as the MPS's recent ward file does): not loaded, unknown.
    rng = np.random.default_rng(11)
    counts = rng.negative_binomial(SIZE, SIZE / (SIZE + _means(rng)))
    counts[:, :, 0] = 1
    counts[0, 0, -1] = 3 * counts[0, 0, -1]
    db = tmp_path / "store" / "sbp.duckdb"
    ingest([_wide_file(tmp_path / "boroughs.csv", counts)], db=db)
    with store.connect_read(db) as con:
        scan = metrics.exceptions(con, MONTHS[-1], level="borough", settings=_settings())
    assert not scan.flags.empty
    assert (scan.flags["baseline_first"].dt.date == MONTHS[1]).all()  # Feb 2017: January's stub is no baseline month
    assert (scan.flags["baseline_known"] == len(MONTHS) - 2).all()
