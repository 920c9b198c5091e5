"""The synthetic demo: deterministic extracts in the real formats, loaded through the normal ingest."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from sbp import store
from sbp.ingest.demo import (
    AIRPORTS,
    BOROUGH_FILE,
    DATA_DIR,
    DEMO_SEED,
    LONG_SERIES,
    POPULATION_FILE,
    PROFILES,
    WARD_FILE,
    build_demo,

    write_demo_extracts,
)
from sbp.errors import SbpError
from sbp.ingest import ingest

LONG_FILES = {name: category for name, category, _ in LONG_SERIES}


def read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def config(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The default demo extracts, by file name."""
    paths = write_demo_extracts(tmp_path_factory.mktemp("demo"))
    return {p.name: p for p in paths}


def test_paths_in_order_population_first(extracts):
    assert list(extracts) == [POPULATION_FILE, BOROUGH_FILE, WARD_FILE, *LONG_FILES]


def test_same_seed_same_bytes_other_seed_differs(tmp_path, extracts):
    again = write_demo_extracts(tmp_path / "a")
    assert [p.name for p in again] == list(extracts)
    for path in again:
        assert path.read_bytes() == extracts[path.name].read_bytes(), path.name
    other = write_demo_extracts(tmp_path / "b", seed=DEMO_SEED + 1)
    assert (tmp_path / "b" / BOROUGH_FILE).read_bytes() != extracts[BOROUGH_FILE].read_bytes()
    assert len(other) == len(again)


def test_every_category_has_a_profile():
    assert {row["minor_category"] for row in config("mps_categories.csv")} == set(PROFILES)


def months_are_continuous(labels: list[str], fmt: str) -> bool:
    index = [int(m[:4]) * 12 + int(m[-2:]) for m in labels]
    assert all(len(m) == len(fmt) for m in labels)
    return index == list(range(index[0], index[0] + len(index)))


def test_borough_file_layout(extracts):
    rows = read(extracts[BOROUGH_FILE])
    header, body = rows[0], rows[1:]
    assert header[:3] == ["MajorText", "MinorText", "LookUp_BoroughName"]
    months = header[3:]
    assert len(months) == 168 and months[0] == "200912" and months[-1] == "202311"
    assert months_are_continuous(months, "YYYYMM")
    boroughs = {row["borough"] for row in config("boroughs.csv")}
    areas = {row[2] for row in body}
    assert len(areas) == 33 and areas == boroughs | {AIRPORTS}
    pairs = {(row["major_category"], row["minor_category"]) for row in config("mps_categories.csv")}
    assert len(pairs) == 56
    assert {(row[0], row[1]) for row in body} == pairs
    assert len({tuple(row[:3]) for row in body}) == len(body)
    for row in body:
        assert len(row) == len(header)
        counts = [int(x) for x in row[3:]]
        assert min(counts) >= 0 and max(counts) > 0   # all-zero rows are left out, as in the real file


def test_commas_in_category_names_are_quoted(extracts):
    text = extracts[BOROUGH_FILE].read_text(encoding="utf-8")
    assert ',"Racially or Religiously Aggravated Public Fear, Al",' in text


def test_lockdown_dip(extracts):
    rows = read(extracts[BOROUGH_FILE])
    col = {m: i for i, m in enumerate(rows[0])}

    def total(months: list[str]) -> int:
        return sum(int(row[col[m]]) for row in rows[1:] for m in months)

    assert total(["202004", "202005", "202006"]) < 0.8 * total(["201904", "201905", "201906"])


def test_bromley_burglary_last_year(extracts):
    rows = read(extracts[BOROUGH_FILE])
    burglary = sum(
        sum(int(x) for x in row[-12:])
        for row in rows[1:]
        if row[2] == "Bromley" and row[1] in ("Domestic Burglary", "Burglary Business and Community")
    )
    assert 1200 <= burglary <= 1900


def test_ward_file_splits_bromley(extracts):
    rows = read(extracts[WARD_FILE])
    header, body = rows[0], rows[1:]
    assert header[:5] == ["MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName"]
    months = header[5:]
    assert len(months) == 36 and months[-1] == "202311" and months_are_continuous(months, "YYYYMM")
    wards = {(row["ward_name"], row["ward_code"]) for row in config("wards.csv") if row["borough"] == "Bromley"}
    assert {(row[2], row[3]) for row in body} == wards and len(wards) == 22
    assert {row[4] for row in body} == {"Bromley"}
    assert all(any(int(x) for x in row[5:]) for row in body)

    borough_rows = read(extracts[BOROUGH_FILE])
    col = {m: i for i, m in enumerate(borough_rows[0])}
    borough = {(row[1], m): int(row[col[m]]) for row in borough_rows[1:] if row[2] == "Bromley" for m in months}
    ward_sum: Counter[tuple[str, str]] = Counter()
    for row in body:
        for m, x in zip(months, row[5:]):
            ward_sum[(row[1], m)] += int(x)
    assert all(n <= borough.get(key, 0) for key, n in ward_sum.items())
    assert 0.90 <= sum(ward_sum.values()) / sum(borough.values()) <= 0.99


def test_ward_spike_in_latest_month(extracts):
    rows = read(extracts[WARD_FILE])
    spike = next(r for r in rows[1:] if r[2] == "Bromley Town" and r[1] == "Theft from a Motor Vehicle")
    before = [int(x) for x in spike[-13:-1]]
    assert int(spike[-1]) > 2 * sum(before) / len(before)


def test_long_files(extracts):
    boroughs = [row["borough"] for row in config("boroughs.csv")]
    for name, category in LONG_FILES.items():
        rows = read(extracts[name])
        assert rows[0] == ["month", "area", "category", "count"]
        body = rows[1:]
        months = sorted({row[0] for row in body})
        assert len(months) == 168 and months[0] == "2009-12" and months[-1] == "2023-11"
        assert months_are_continuous(months, "YYYY-MM")
        assert len(body) == 168 * 32 and {row[1] for row in body} == set(boroughs)
        assert {row[2] for row in body} == {category}
        assert all(int(row[3]) >= 0 for row in body)


def test_population_file(extracts):
    rows = read(extracts[POPULATION_FILE])
    assert rows[0] == ["area", "population", "year"]
    population = {row[0]: int(row[1]) for row in rows[1:]}
    assert set(population) == {row["borough"] for row in config("boroughs.csv")}
    assert population["Bromley"] == 330_000
    assert all(150_000 <= p <= 400_000 and p % 100 == 0 for p in population.values())
    assert {row[2] for row in rows[1:]} == {"2021"}


def test_bad_end_month_is_a_user_error(tmp_path):
    with pytest.raises(SbpError, match="YYYY-MM"):
        write_demo_extracts(tmp_path, end_month="2023-13")


def test_shorter_window(tmp_path):
    paths = write_demo_extracts(tmp_path, end_month="2021-06", years=2)
    header = read(paths[1])[0]
    assert header[3] == "201907" and header[-1] == "202106" and len(header) == 3 + 24
    assert len(read(paths[2])[0]) == 5 + 24


def store_totals(db: Path) -> list[tuple]:
    con = store.connect_read(db)
    try:
        return con.execute(
            "SELECT source, area_level, minor_category, count(*), sum(offence_count) FROM crime_counts "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_build_demo_and_rebuild(demo_build, demo_db):
    # The session's demo store: build_demo() into a fresh folder, with what it said while building.
    db, summaries, messages = demo_build.db, demo_build.summaries, demo_build.messages
    assert len(summaries) == 8 and not any(s.skipped for s in summaries)  # 7 synthetic files, the partner file
    assert messages
    con = store.connect_read(db)
    try:
        assert store.is_synthetic(con)
        meta = dict(con.execute("SELECT key, value FROM store_meta").fetchall())
        assert {k: v for k, v in meta.items() if k != "comparison_cache_key"} == {"is_synthetic": "true", "demo_seed": str(DEMO_SEED), "schema_version": store.SCHEMA_VERSION}
        levels = dict(con.execute("SELECT source, count(DISTINCT area_name) FROM crime_counts GROUP BY 1").fetchall())
        assert levels == {"mps_borough": 33, "mps_ward": 22, "long_counts": 32}
        long_rows = con.execute("SELECT DISTINCT minor_category FROM crime_counts WHERE source = 'long_counts'").fetchall()
        long_categories = {r[0] for r in long_rows}
        assert long_categories == set(LONG_FILES.values())
        assert con.execute("SELECT count(*) FROM population").fetchone()[0] == 32
    finally:
        con.close()
    first = store_totals(db)
    build_demo(demo_db)  # rebuilt over a copy of it
    assert store_totals(demo_db) == first


def test_build_demo_refuses_a_real_store(tmp_path):
    db = tmp_path / "sbp.duckdb"
    population = tmp_path / "population.csv"
    population.write_text("area,population\nBromley,330000\n", encoding="utf-8")
    ingest([population], db)
    with pytest.raises(SbpError, match="use --db to choose another path or delete it"):
        build_demo(db)
    assert store_totals(db) == []


def test_real_files_replace_the_demo_and_are_then_protected(demo_db, tmp_path):
    db = demo_db  # a copy of the session's demo store
    extra = tmp_path / "more.csv"
    extra.write_text(
        "MajorText,MinorText,LookUp_BoroughName,202312\nBurglary,Domestic Burglary,Bromley,120\n", encoding="utf-8"
    )
    ingest([extra], db)
    with store.connect_read(db) as con:
        assert not store.is_synthetic(con)
        assert con.execute("SELECT sum(offence_count), count(*) FROM crime_counts").fetchone() == (120, 1)
        assert con.execute("SELECT list(file_name) FROM source_files").fetchone()[0] == ["more.csv"]
    with pytest.raises(SbpError, match="not the synthetic demo"):
        build_demo(db)


def test_is_synthetic_false_without_meta(tmp_path):
    import duckdb

    con = duckdb.connect(str(tmp_path / "plain.duckdb"))
    try:
        assert not store.is_synthetic(con)
        con.execute("CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
        assert not store.is_synthetic(con)
        con.execute("INSERT INTO store_meta VALUES ('is_synthetic', 'true')")
        assert store.is_synthetic(con)
    finally:
        con.close()
