"""Property tests: the metrics layer against a naive pure-Python reading of the definitions in docs/definitions.md.

Random small MPS borough-level extracts (2-6 boroughs, optionally a non-borough area with no population,
1-2 majors with 1-3 minors in all, 24-30 months of counts, often zeros, repeats and copied boroughs to force
ties) and population files (missing, undated, dated or both) are written as CSV, ingested into a throwaway
store and compared field by field with sums, ranks and exact binomial tail probabilities computed here
with integers and Fractions.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sbp import metrics, store
from sbp.config import Measure
from sbp.ingest import ingest
from sbp.metrics.periods import add_months
from sbp.config.settings import load_settings
from tests.conftest import examples

SETTINGS = settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SPEC_SETTINGS = dict(load_settings(), significance_level=0.05, rag_rule="london")
ALPHA = Fraction(1, 20)
EXTRA_AREA = "Z Airports"  # a non-borough area in the borough-level data: counted in London, never ranked
POPULATIONS = (1000, 2000, 2500, 4000, 5000, 8000, 10000)


# --- generated data -------------------------------------------------------------------------

@dataclass
class Dataset:
    months: list[dt.date]
    areas: list[str]                                   # every area in the file, EXTRA_AREA included when present
    rows: dict[tuple[str, str, str], list[int]]        # (major, minor, area) -> monthly counts
    categories: list[tuple[str, str]]                  # (major, minor)
    population: list[tuple[str, int | None, int]]      # (area, year or None for undated, population)

    def monthly(self, area: str, keep) -> list[int]:
        """The area's monthly counts over the (major, minor) pairs keep() accepts; absent rows count 0."""
        out = [0] * len(self.months)
        for (major, minor, a), counts in self.rows.items():
            if a == area and keep(major, minor):
                out = [x + y for x, y in zip(out, counts)]
        return out

    def population_for(self, area: str, year: int) -> int | None:
        """The population for a year: the latest dated row at or before it, else an undated row, else None."""
        dated = [(y, p) for a, y, p in self.population if a == area and y is not None and y <= year]
        if dated:
            return max(dated)[1]
        undated = [p for a, y, p in self.population if a == area and y is None]
        return undated[0] if undated else None


@st.composite
def datasets(draw) -> Dataset:
    n_areas = draw(st.integers(2, 6))
    boroughs = [f"A{i}" for i in range(1, n_areas + 1)]
    areas = boroughs + ([EXTRA_AREA] if draw(st.booleans()) else [])
    n_months = draw(st.integers(24, 30))
    start = dt.date(draw(st.integers(2018, 2022)), draw(st.integers(1, 12)), 1)
    months = [add_months(start, i) for i in range(n_months)]

    n_majors = draw(st.integers(1, 2))
    categories: list[tuple[str, str]] = []
    n_minors_total = draw(st.integers(n_majors, 3))
    for j in range(n_minors_total):
        major = f"Major {min(j, n_majors - 1) + 1}"
        categories.append((major, f"Minor {j + 1}"))

    style = draw(st.sampled_from(["wide", "small", "zeros", "flat"]))
    value = {
        "wide": st.integers(0, 50),
        "small": st.integers(0, 3),
        "zeros": st.sampled_from([0, 0, 0, 0, 1, 50]),
        "flat": st.just(draw(st.integers(0, 50))),
    }[style]
    rows: dict[tuple[str, str, str], list[int]] = {}
    for i, area in enumerate(areas):
        copy_of = draw(st.sampled_from([None, None, *areas[:i]])) if i else None
        present = [c for c in categories if draw(st.integers(0, 4)) > 0] or [categories[0]]
        for major, minor in categories:
            if copy_of is not None and (major, minor, copy_of) in rows:
                rows[(major, minor, area)] = list(rows[(major, minor, copy_of)])
            elif copy_of is None and (major, minor) in present:
                rows[(major, minor, area)] = draw(st.lists(value, min_size=n_months, max_size=n_months))
        if not any(k[2] == area for k in rows):
            rows[(*categories[0], area)] = [0] * n_months
    for major, minor in categories:  # every category is in the file somewhere, as in a real extract
        if not any(k[:2] == (major, minor) for k in rows):
            rows[(major, minor, areas[-1])] = draw(st.lists(value, min_size=n_months, max_size=n_months))

    pop_style = draw(st.sampled_from(["undated", "undated", "dated", "mixed"]))
    pop_value = st.one_of(st.sampled_from(POPULATIONS), st.integers(1000, 20000))
    years = sorted({m.year for m in months} | {months[0].year - 1})
    population: list[tuple[str, int | None, int]] = []
    for area in boroughs:
        if draw(st.integers(0, 5)) == 0:
            continue  # this borough has no population: no rate, no rank
        if pop_style == "undated":
            population.append((area, None, draw(pop_value)))
            continue
        chosen = draw(st.lists(st.sampled_from(years), min_size=1 if pop_style == "dated" else 0, max_size=3, unique=True))
        population += [(area, year, draw(pop_value)) for year in chosen]
        if pop_style == "mixed" and (not chosen or draw(st.booleans())):
            population.append((area, None, draw(pop_value)))
    return Dataset(months, areas, rows, categories, population)


def build_store(ds: Dataset, folder: Path) -> Path:
    """Write the dataset as an MPS borough wide CSV (+ population CSV) and ingest it into a new store."""
    header = ["MajorText", "MinorText", "LookUp_BoroughName"] + [f"{m:%Y%m}" for m in ds.months]
    lines = [",".join(header)]
    for (major, minor, area), counts in ds.rows.items():
        lines.append(",".join([major, minor, area, *map(str, counts)]))
    mps = folder / "mps_borough.csv"
    mps.write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths = [mps]
    if ds.population:
        dated = any(y is not None for _, y, _ in ds.population)
        pop_lines = ["area,population,year" if dated else "area,population"]
        for area, year, value in ds.population:
            pop_lines.append(f"{area},{value},{'' if year is None else year}" if dated else f"{area},{value}")
        pop = folder / "population.csv"
        pop.write_text("\n".join(pop_lines) + "\n", encoding="utf-8")
        paths.append(pop)
    db = folder / "store" / "sbp.duckdb"
    ingest(paths, db=db, new_areas=ds.areas)  # made-up borough names, added on purpose
    return db


# --- the naive definitions ------------------------------------------------------------------

@functools.cache
def binomial_p(x: int, n: int) -> Fraction:
    """Two-sided exact p of x successes in n fair trials: min(1, 2 min(P(X<=x), P(X>=x))).

    By symmetry min(P(X<=x), P(X>=x)) = P(X <= min(x, n - x)), summed exactly with math.comb.
    """
    tail = term = 1  # C(n, 0), then each C(n, k) from the one before, exactly
    for k in range(1, min(x, n - x) + 1):
        term = term * (n - k + 1) // k
        tail += term
    return min(Fraction(1), 2 * Fraction(tail, 2**n))


def competition_rank(rates: dict[str, Fraction | None]) -> dict[str, int | None]:
    """1 + the number of strictly lower rates, for each area with a rate."""
    ranked = [r for r in rates.values() if r is not None]
    return {a: (None if r is None else 1 + sum(1 for o in ranked if o < r)) for a, r in rates.items()}


def window(counts: list[int], end: int, back: int) -> int | None:
    """Sum of the 12 months ending `back` months before index end, or None when any is before the data."""
    last = end - back
    return sum(counts[last - 11: last + 1]) if last - 11 >= 0 else None


def naive_comparisons(ds: Dataset, measure: Measure, keep) -> dict[tuple[str, dt.date], dict]:
    sign = -1 if measure.direction == "higher_is_better" else 1
    out: dict[tuple[str, dt.date], dict] = {}
    monthly = {area: ds.monthly(area, keep) for area in ds.areas}
    for e, end in enumerate(ds.months):
        rows = {}
        for area in ds.areas:
            counts = monthly[area]
            cur, prev = window(counts, e, 0), window(counts, e, 12)
            pop, pop_prev = ds.population_for(area, end.year), ds.population_for(area, end.year - 1)
            rows[area] = {
                "current": cur, "previous": prev,
                "change": cur - prev if cur is not None and prev is not None else None,
                "pct_change": Fraction(cur - prev, prev) * 100 if cur is not None and prev else None,
                "population": pop,
                "rate": Fraction(cur * 1000, pop) if cur is not None and pop else None,
                "rate_previous": Fraction(prev * 1000, pop_prev) if prev is not None and pop_prev else None,
            }
        ranks = competition_rank({a: r["rate"] for a, r in rows.items()})
        ranks_prev = competition_rank({a: r["rate_previous"] for a, r in rows.items()})
        currents = [r["current"] for r in rows.values() if r["current"] is not None]
        previouses = [r["previous"] for r in rows.values() if r["previous"] is not None]
        london_cur = sum(currents) if currents else None
        london_prev = sum(previouses) if previouses else None
        london_pct = Fraction(london_cur - london_prev, london_prev) * 100 if london_cur is not None and london_prev else None
        for area, r in rows.items():
            r["rank"], r["rank_previous"] = ranks[area], ranks_prev[area]
            r["rank_of"] = sum(1 for x in rows.values() if x["rate"] is not None)
            r["rank_of_previous"] = sum(1 for x in rows.values() if x["rate_previous"] is not None)
            r["comparator_current"], r["comparator_previous"], r["comparator_pct_change"] = london_cur, london_prev, london_pct
            cur, prev = r["current"], r["previous"]
            r["p_value"] = binomial_p(cur, cur + prev) if cur is not None and prev is not None else None
            r["significant"] = None if r["p_value"] is None else r["p_value"] < ALPHA
            if cur is None or prev is None:
                r["rag"] = None
            elif r["change"] * sign <= 0:
                r["rag"] = "Green"
            elif r["pct_change"] is not None and london_pct is not None:
                r["rag"] = "Red" if r["pct_change"] * sign > london_pct * sign else "Amber"
            else:
                r["rag"] = "Red" if r["significant"] else "Amber"
            out[(area, end)] = r
    return out


# --- comparing ------------------------------------------------------------------------------

def missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def same_int(got, want) -> bool:
    return missing(got) if want is None else (not missing(got) and int(got) == want)


def same_float(got, want) -> bool:
    if want is None:
        return missing(got)
    return not missing(got) and math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-300)


def measures_for(ds: Dataset) -> list[tuple[Measure, object]]:
    """(measure, keep(major, minor)) pairs: a major, a minor, a higher-is-better major and everything."""
    first_major, first_minor = ds.categories[0]
    last_major, last_minor = ds.categories[-1]
    return [
        (Measure(id="m", label="m", majors=(first_major,)), lambda ma, mi: ma == first_major),
        (Measure(id="n", label="n", minors=(last_minor,)), lambda ma, mi: mi == last_minor),
        (Measure(id="h", label="h", majors=(last_major,), direction="higher_is_better"), lambda ma, mi: ma == last_major),
        (Measure(id="t", label="t", all=True), lambda ma, mi: True),
    ]


def check_frame(frame: pd.DataFrame, ds: Dataset, measure: Measure, want: dict, ends: list[dt.date]) -> None:
    """Every row of frame for measure and the end months ends equals want (naive_comparisons for the measure)."""
    got = frame[frame["measure_id"] == measure.id]
    assert sorted(zip(got["area_name"], got["end_month"])) == sorted((a, e) for a in ds.areas for e in ends)
    for row in got.to_dict("records"):
        w = want[(row["area_name"], row["end_month"])]
        where = f"{measure.id} {row['area_name']} {row['end_month']:%Y-%m}"
        for name in ("current", "previous", "change", "population", "rank", "rank_of", "rank_previous",
                     "rank_of_previous", "comparator_current", "comparator_previous"):
            assert same_int(row[name], w[name]), (where, name, row[name], w[name])
        for name, key in (("pct_change", "pct_change"), ("rate_per_1000", "rate"), ("rate_per_1000_previous", "rate_previous"),
                          ("comparator_pct_change", "comparator_pct_change")):
            assert same_float(row[name], w[key]), (where, name, row[name], w[key])
        if w["current"] is not None and w["previous"] is not None and w["current"] + w["previous"] == 0:
            pass  # n = 0: see test_significance_with_no_offences_in_either_year
        else:
            assert same_float(row["p_value"], w["p_value"]), (where, "p_value", row["p_value"], w["p_value"])
            assert (missing(row["significant"]) if w["significant"] is None else bool(row["significant"]) == w["significant"]), (
                where, "significant", row["significant"], w["significant"])
        assert (row["rag"] if not missing(row["rag"]) else None) == w["rag"], (where, "rag", row["rag"], w["rag"], w)


# --- the properties -------------------------------------------------------------------------

@pytest.mark.slow
@SETTINGS
@given(ds=datasets(), data=st.data())
def test_comparisons_and_series_match_naive_definitions(ds: Dataset, data) -> None:
    """Both properties on one store per example: the ingest is most of an example's cost."""
    with tempfile.TemporaryDirectory() as tmp:
        db = build_store(ds, Path(tmp))
        check_comparisons(db, ds, data)
        check_series(db, ds, data)


def check_comparisons(db: Path, ds: Dataset, data) -> None:
    """comparisons(), metric() and league() on the store of ds against the naive definitions."""
    pairs = measures_for(ds)
    naive = {m.id: naive_comparisons(ds, m, keep) for m, keep in pairs}
    with store.connect_read(db) as con:
        # Every end month at once, from the first loaded month (no current yet) to the last.
        frame = metrics.comparisons(con, [m for m, _ in pairs], ds.months[0], ds.months[-1], settings=SPEC_SETTINGS)
        for measure, _ in pairs:
            check_frame(frame, ds, measure, naive[measure.id], ds.months)
        # One end month on its own, as the CLI asks for it, gives the same answers.
        end = data.draw(st.sampled_from(ds.months[23:]), label="end")
        measure, keep = data.draw(st.sampled_from(pairs), label="measure")
        single = metrics.comparisons(con, [measure], end, end, settings=SPEC_SETTINGS)
        check_frame(single, ds, measure, naive[measure.id], [end])
        # metric(): the same numbers as plain JSON-ready values under the contract's keys.
        area = data.draw(st.sampled_from(ds.areas), label="area")
        result = metrics.metric(con, area.lower(), f"{end:%Y-%m}", measure, settings=SPEC_SETTINGS)
        # league(): every area, best rank first, unranked areas last.
        table = metrics.league(con, measure, end, settings=SPEC_SETTINGS)
    w = naive[measure.id][(area, end)]
    assert set(metrics.CONTRACT_FIELDS) <= set(result)
    assert (result["area"], result["end"], result["measure"]) == (area, f"{end:%Y-%m}", measure.id)
    for name in ("current", "previous", "change", "rank", "rank_of", "rank_previous", "comparator_current", "comparator_previous"):
        assert result[name] == w[name] and (w[name] is None or type(result[name]) is int), (name, result[name], w[name])
    for name, key in (("pct_change", "pct_change"), ("rate_per_1000", "rate"), ("rate_per_1000_previous", "rate_previous"),
                      ("comparator_pct_change", "comparator_pct_change")):
        assert (result[name] is None) if w[key] is None else math.isclose(result[name], float(w[key]), rel_tol=1e-9), name
    if w["current"] + w["previous"] > 0:
        assert result["significant"] is w["significant"]
    assert result["rag"] == w["rag"]
    # Areas without a population for the year are not in the league (unless no area has one).
    in_league = [a for a in ds.areas if ds.population_for(a, end.year) is not None] or ds.areas
    assert sorted(table["area_name"]) == sorted(in_league)
    ranks = [None if missing(r) else int(r) for r in table["rank"]]
    ranked = [r for r in ranks if r is not None]
    assert ranks == ranked + [None] * (len(ranks) - len(ranked)) and ranked == sorted(ranked)


def test_significance_with_no_offences_in_either_year() -> None:
    months = [add_months(dt.date(2022, 1, 1), i) for i in range(24)]
    ds = Dataset(months, ["A1", "A2"], {("Major 1", "Minor 1", "A1"): [0] * 24, ("Major 1", "Minor 1", "A2"): [1] * 24},
                 [("Major 1", "Minor 1")], [("A1", None, 1000), ("A2", None, 1000)])
    with tempfile.TemporaryDirectory() as tmp:
        db = build_store(ds, Path(tmp))
        with store.connect_read(db) as con:
            frame = metrics.comparisons(con, [Measure(id="m", label="m", majors=("Major 1",))], months[-1], months[-1],
                                        settings=SPEC_SETTINGS)
    row = frame[frame["area_name"] == "A1"].iloc[0]
    assert (row["current"], row["previous"]) == (0, 0)
    assert row["rag"] == "Green"
    assert row["p_value"] == 1.0
    assert row["significant"] is not pd.NA and bool(row["significant"]) is False


def test_rag_falls_back_to_significance_when_there_is_no_percentage_to_compare() -> None:
    """A rise from zero has no percentage change, so the London rule cannot apply: significance decides."""
    months = [add_months(dt.date(2022, 1, 1), i) for i in range(24)]
    rows = {("Major 1", "Minor 1", "A1"): [0] * 12 + [1] * 12,        # 0 -> 12: p = 2 / 4096, Red
            ("Major 1", "Minor 1", "A2"): [0] * 12 + [1] + [0] * 11,  # 0 -> 1: p = 1, Amber
            ("Major 1", "Minor 1", "A3"): [2] * 24}                    # 24 -> 24: no rise, Green
    ds = Dataset(months, ["A1", "A2", "A3"], rows, [("Major 1", "Minor 1")], [("A1", None, 1000), ("A2", None, 1000)])
    measure = Measure(id="m", label="m", majors=("Major 1",))
    want = naive_comparisons(ds, measure, lambda ma, mi: True)
    with tempfile.TemporaryDirectory() as tmp:
        db = build_store(ds, Path(tmp))
        with store.connect_read(db) as con:
            frame = metrics.comparisons(con, [measure], months[-1], months[-1], settings=SPEC_SETTINGS)
    check_frame(frame, ds, measure, want, [months[-1]])
    assert dict(zip(frame["area_name"], frame["rag"])) == {"A1": "Red", "A2": "Amber", "A3": "Green"}


def test_a_population_missing_for_the_previous_year_leaves_only_that_years_rate_and_rank_unknown() -> None:
    """Dated populations: A1 has one for 2023 only, A2 for both years, A3 an undated one that serves every year."""
    months = [add_months(dt.date(2022, 1, 1), i) for i in range(24)]
    rows = {("Major 1", "Minor 1", "A1"): [3] * 24, ("Major 1", "Minor 1", "A2"): [2] * 12 + [4] * 12,
            ("Major 1", "Minor 1", "A3"): [5] * 24}
    ds = Dataset(months, ["A1", "A2", "A3"], rows, [("Major 1", "Minor 1")],
                 [("A1", 2023, 1000), ("A2", 2022, 2000), ("A2", 2023, 2500), ("A3", None, 4000)])
    measure = Measure(id="m", label="m", majors=("Major 1",))
    want = naive_comparisons(ds, measure, lambda ma, mi: True)
    with tempfile.TemporaryDirectory() as tmp:
        db = build_store(ds, Path(tmp))
        with store.connect_read(db) as con:
            frame = metrics.comparisons(con, [measure], months[0], months[-1], settings=SPEC_SETTINGS)
    check_frame(frame, ds, measure, want, months)
    last = frame[frame["end_month"] == months[-1]].set_index("area_name")
    assert last.loc["A1", "rank"] is not pd.NA and last.loc["A1", "rank_previous"] is pd.NA
    assert last.loc["A1", "rank_of_previous"] == 2 and last.loc["A1", "rank_of"] == 3


def check_series(db: Path, ds: Dataset, data) -> None:
    """series() (monthly counts, rolling totals, the year before, London) and trend_facts() on the store of ds."""
    pairs = measures_for(ds)[:2]
    n = len(ds.months)
    first = data.draw(st.integers(0, n - 1), label="from index")
    last = data.draw(st.integers(first, n - 1), label="to index")
    chosen = data.draw(st.lists(st.sampled_from(ds.areas), min_size=1, max_size=3, unique=True), label="areas")
    with store.connect_read(db) as con:
        frame = metrics.series(con, chosen, [m for m, _ in pairs], ds.months[first], ds.months[last], include_comparator=True)
        full = metrics.series(con, [chosen[0]], [pairs[0][0]])
    frame["month"] = frame["month"].dt.date
    for measure, keep in pairs:
        naive = {a: ds.monthly(a, keep) for a in chosen}
        totals = [ds.monthly(a, keep) for a in ds.areas]
        naive["London"] = [sum(col) for col in zip(*totals)]
        for area, counts in naive.items():
            got = frame[(frame["measure_id"] == measure.id) & (frame["area_name"] == area)].sort_values("month")
            assert list(got["month"]) == ds.months[first: last + 1], (measure.id, area)
            for i, row in zip(range(first, last + 1), got.to_dict("records")):
                rolling = sum(counts[i - 11: i + 1]) if i >= 11 else None
                year_before = counts[i - 12] if i >= 12 else None
                where = (measure.id, area, f"{ds.months[i]:%Y-%m}")
                assert same_int(row["offence_count"], counts[i]), (*where, "offence_count", row["offence_count"], counts[i])
                assert same_int(row["rolling_12_total"], rolling), (*where, "rolling", row["rolling_12_total"], rolling)
                assert same_int(row["offence_count_year_before"], year_before), (*where, "year_before")

    # Trend facts over the whole series of one area.
    counts = ds.monthly(chosen[0], pairs[0][1])
    facts = metrics.trend_facts(full)
    peak = max(counts)
    assert facts["peak_count"] == peak
    assert facts["peak_month"] == ds.months[counts.index(peak)]  # the first month the peak was reached
    assert counts[ds.months.index(facts["peak_month"])] == peak
    assert (facts["latest_month"], facts["latest_count"]) == (ds.months[-1], counts[-1])
    higher = [i for i in range(n - 1) if counts[i] > counts[-1]]
    assert facts["months_since_higher_month"] == (n - 1 - higher[-1] if higher else None)
    rolling = [sum(counts[i - 11: i + 1]) for i in range(11, n)]
    assert facts["latest_rolling_12_total"] == rolling[-1]
    not_higher = [i for i in range(len(rolling) - 1) if rolling[i] <= rolling[-1]]
    assert facts["rolling_is_lowest_in_series"] == (not not_higher)
    assert facts["rolling_lowest_for_months"] == (len(rolling) - 1 - not_higher[-1] if not_higher else len(rolling) - 1)
    not_lower = [i for i in range(len(rolling) - 1) if rolling[i] >= rolling[-1]]
    assert facts["rolling_highest_for_months"] == (len(rolling) - 1 - not_lower[-1] if not_lower else len(rolling) - 1)
