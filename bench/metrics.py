"""`python -m bench metrics`: the metrics layer's warm timings beside a naive pandas implementation."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from sbp import metrics, store
from sbp.config import Measure, default_config
from sbp.ingest.demo import BOROUGH_FILE, POPULATION_FILE, build_demo, write_demo_extracts


def _timed(func: Callable[[], object], repeat: int = 15) -> dict[str, float]:
    func()  # warm: caches, OS pages, DuckDB buffers
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return {"median_ms": round(statistics.median(times) * 1000, 1), "p90_ms": round(sorted(times)[int(0.9 * (repeat - 1))] * 1000, 1)}


def _counted_by_category(m: Measure) -> bool:
    """Whether a measure counts MPS categories (the baselines cannot count workbook subtypes, series or differences)."""
    return bool(m.all or m.majors or m.minors) and not m.minus


def pandas_tables(wide: pd.DataFrame) -> pd.DataFrame:
    """The wide extract melted to one row per area x category x month, once (the tables a naive version keeps)."""
    long = wide.melt(id_vars=["MajorText", "MinorText", "LookUp_BoroughName"], var_name="yyyymm", value_name="n")
    long["month"] = pd.to_datetime(long["yyyymm"], format="%Y%m")
    return long


def pandas_headline(long: pd.DataFrame, population: pd.DataFrame, area: str, end: str) -> pd.DataFrame:
    """The headline table as most public dashboards compute it: filter and groupby per measure, per call."""
    config = default_config()
    end_ts = pd.Timestamp(end + "-01")
    cur_start, prev_start = end_ts - pd.DateOffset(months=11), end_ts - pd.DateOffset(months=23)
    rows = []
    for m in config.measures.values():
        if not _counted_by_category(m):
            continue
        sel = long if m.all else long[long["MajorText"].isin(m.majors) | long["MinorText"].isin(m.minors)]
        cur = sel[(sel["month"] >= cur_start) & (sel["month"] <= end_ts)].groupby("LookUp_BoroughName")["n"].sum()
        prev = sel[(sel["month"] >= prev_start) & (sel["month"] < cur_start)].groupby("LookUp_BoroughName")["n"].sum()
        t = pd.DataFrame({"current": cur, "previous": prev}).fillna(0)
        if area not in t.index:  # no rows for the area: unknown, as ours says
            continue
        t = t.join(population.set_index("area")["population"])
        t["rate"] = t["current"] / t["population"] * 1000
        t["rate_prev"] = t["previous"] / t["population"] * 1000
        t["rank"] = t["rate"].rank(method="min")
        t["rank_previous"] = t["rate_prev"].rank(method="min")
        london_cur, london_prev = t["current"].sum(), t["previous"].sum()
        r = t.loc[area]
        rows.append({"measure": m.id, "current": r["current"], "previous": r["previous"],
                     "pct_change": (r["current"] - r["previous"]) / r["previous"] * 100 if r["previous"] else np.nan,
                     "rate": r["rate"], "rank": r["rank"], "rank_previous": r["rank_previous"],
                     "comparator_pct_change": (london_cur - london_prev) / london_prev * 100})
    return pd.DataFrame(rows)


# One query from scratch over the store's own tables: both rolling years, rate, rank and London per measure.
PLAIN_HEADLINE_SQL = """
WITH measure AS (
    SELECT unnest($ids) AS measure_id, unnest($everything) AS everything, unnest($majors) AS majors,
           unnest($minors) AS minors
), counted AS (
    SELECT m.measure_id, c.area_name,
           sum(c.offence_count) FILTER (WHERE c.month > $end - INTERVAL 12 MONTH) AS current,
           sum(c.offence_count) FILTER (WHERE c.month <= $end - INTERVAL 12 MONTH) AS previous
    FROM crime_counts c JOIN measure m
      ON m.everything OR list_contains(m.majors, c.major_category) OR list_contains(m.minors, c.minor_category)
    WHERE c.area_level = 'borough' AND c.source = 'mps_borough'
      AND c.month BETWEEN $end - INTERVAL 23 MONTH AND $end
    GROUP BY ALL
), rated AS (
    SELECT k.*, p.population, k.current * 1000.0 / p.population AS rate,
           rank() OVER (PARTITION BY k.measure_id ORDER BY k.current * 1000.0 / p.population) AS rank,
           rank() OVER (PARTITION BY k.measure_id ORDER BY k.previous * 1000.0 / p.population) AS rank_previous,
           sum(k.current) OVER (PARTITION BY k.measure_id) AS london_current,
           sum(k.previous) OVER (PARTITION BY k.measure_id) AS london_previous
    FROM counted k JOIN (SELECT area_name, max(population) AS population FROM population
                         WHERE area_level = 'borough' AND denominator = 'residents' GROUP BY ALL) p USING (area_name)
)
SELECT measure_id, current, previous, (current - previous) * 100.0 / nullif(previous, 0) AS pct_change, rate, rank,
       rank_previous, (london_current - london_previous) * 100.0 / nullif(london_previous, 0) AS comparator_pct_change
FROM rated WHERE area_name = $area ORDER BY measure_id
"""


def plain_sql_headline(con: duckdb.DuckDBPyConnection, area: str, end: dt.date) -> list[tuple]:
    """The headline's counts, rates, ranks and London change in one plain DuckDB query, nothing precomputed."""
    measures = [m for m in default_config().measures.values() if _counted_by_category(m)]
    return con.execute(PLAIN_HEADLINE_SQL, {
        "ids": [m.id for m in measures], "everything": [bool(m.all) for m in measures],
        "majors": [list(m.majors) for m in measures], "minors": [list(m.minors) for m in measures],
        "end": end, "area": area,
    }).fetchall()


def bench_metrics(smoke: bool = False) -> list[dict]:
    """Time headline (ours, naive pandas, plain SQL, paired), ward league and full cube on the demo store; print JSON.

    smoke: one timed run of each case (seconds in all), to check every case and baseline still runs.
    """
    config = default_config()
    results = []
    repeat = 1 if smoke else 15
    with tempfile.TemporaryDirectory(prefix="sbp-bench-metrics-") as tmp:
        db = Path(tmp) / "sbp.duckdb"
        build_demo(db)
        extracts = write_demo_extracts(Path(tmp) / "csv")
        long = pandas_tables(pd.read_csv(next(p for p in extracts if p.name == BOROUGH_FILE)))
        population = pd.read_csv(next(p for p in extracts if p.name == POPULATION_FILE))
        with store.connect_read(db) as con:
            end = metrics.latest_month(con)
            months = con.execute("SELECT count(DISTINCT month) FROM month_index WHERE area_level = 'borough'").fetchone()[0]
            headline_cases = {
                "headline (every measure, Bromley, London + ranks + previous ranks, significance, RAG)":
                    lambda: metrics.headline(con, "Bromley", end),
                "naive pandas headline (tables loaded once; filter + groupby per call; MPS-category measures)":
                    lambda: pandas_headline(long, population, "Bromley", end.strftime("%Y-%m")),
                "plain DuckDB headline (one query from scratch; MPS-category measures, no significance or RAG)":
                    lambda: plain_sql_headline(con, "Bromley", end),
            }
            results += _paired(headline_cases, repeat, block=1 if smoke else BLOCK)
            other_cases = {
                "ward league (burglary, 22 Bromley wards)":
                    lambda: metrics.league(con, config.measures["burglary"], end, level="ward", within="Bromley"),
                "full cube (every measure x area x end month)": lambda: metrics.cube(con),
            }
            for name, func in other_cases.items():
                row = {"case": name, **_timed(func, repeat=1 if smoke else (5 if "cube" in name else 15))}
                results.append(row)
                print(json.dumps(row), flush=True)
            cube_rows = len(metrics.cube(con))
    ours, naive, plain = (r["median_ms"] for r in results[:3])
    print(json.dumps({"borough_months_loaded": months, "cube_rows": cube_rows,
                      "naive_pandas_over_ours": round(naive / ours, 2), "plain_sql_over_ours": round(plain / ours, 2)}))
    return results


BLOCK = 5  # calls of one case in a row within a round: warm, as a page's repeated reads are


def _paired(cases: dict[str, Callable[[], object]], repeat: int, block: int = BLOCK) -> list[dict]:
    """Median and p90 per call of each case, the cases run alternately (a block of calls of each per round) so load
    hits them alike; every call is timed, the first of each block (after another case ran) too."""
    for func in cases.values():
        func()  # warm: caches, OS pages, DuckDB buffers
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, func in cases.items():
            for _ in range(block):
                start = time.perf_counter()
                func()
                times[name].append(time.perf_counter() - start)
    rows = []
    for name, ts in times.items():
        row = {"case": name, "median_ms": round(statistics.median(ts) * 1000, 2),
               "p90_ms": round(sorted(ts)[int(0.9 * (len(ts) - 1))] * 1000, 2)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows
