"""`python -m bench metrics`: the metrics layer's warm timings beside a naive pandas implementation."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from sbp import metrics, store
from sbp.config import default_config
from sbp.ingest.demo import BOROUGH_FILE, POPULATION_FILE, build_demo, write_demo_extracts


def _timed(func: Callable[[], object], repeat: int = 15) -> dict[str, float]:
    func()  # warm: caches, OS pages, DuckDB buffers
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return {"median_ms": round(statistics.median(times) * 1000, 1), "p90_ms": round(sorted(times)[int(0.9 * (repeat - 1))] * 1000, 1)}


def pandas_headline(wide: pd.DataFrame, population: pd.DataFrame, area: str, end: str) -> pd.DataFrame:
    """The headline table as most public dashboards compute it: melt the wide extract, then groupby, per call."""
    config = default_config()
    long = wide.melt(id_vars=["MajorText", "MinorText", "LookUp_BoroughName"], var_name="yyyymm", value_name="n")
    long["month"] = pd.to_datetime(long["yyyymm"], format="%Y%m")
    end_ts = pd.Timestamp(end + "-01")
    cur_start, prev_start = end_ts - pd.DateOffset(months=11), end_ts - pd.DateOffset(months=23)
    rows = []
    for m in config.measures.values():
        if m.series:
            continue
        sel = long if m.all else long[long["MajorText"].isin(m.majors) | long["MinorText"].isin(m.minors)]
        cur = sel[(sel["month"] >= cur_start) & (sel["month"] <= end_ts)].groupby("LookUp_BoroughName")["n"].sum()
        prev = sel[(sel["month"] >= prev_start) & (sel["month"] < cur_start)].groupby("LookUp_BoroughName")["n"].sum()
        t = pd.DataFrame({"current": cur, "previous": prev}).fillna(0)
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


def bench_metrics() -> list[dict]:
    """Time headline, ward league and full cube on the 14-year demo store; print JSON lines."""
    config = default_config()
    results = []
    with tempfile.TemporaryDirectory(prefix="sbp-bench-metrics-") as tmp:
        db = Path(tmp) / "sbp.duckdb"
        build_demo(db)
        extracts = write_demo_extracts(Path(tmp) / "csv")
        wide = pd.read_csv(next(p for p in extracts if p.name == BOROUGH_FILE))
        population = pd.read_csv(next(p for p in extracts if p.name == POPULATION_FILE))
        with store.connect_read(db) as con:
            end = metrics.latest_month(con)
            months = con.execute("SELECT count(DISTINCT month) FROM month_index WHERE area_level = 'borough'").fetchone()[0]
            cases = {
                "headline (15 measures, Bromley, London + ranks + previous ranks)":
                    lambda: metrics.headline(con, "Bromley", end),
                "naive pandas headline (melt + groupby per call, no series measures)":
                    lambda: pandas_headline(wide, population, "Bromley", end.strftime("%Y-%m")),
                "ward league (burglary, 22 Bromley wards, 36 months loaded)":
                    lambda: metrics.league(con, config.measures["burglary"], end, level="ward", within="Bromley"),
                "full cube (every measure x area x end month)": lambda: metrics.cube(con),
            }
            for name, func in cases.items():
                row = {"case": name, **_timed(func, repeat=5 if "cube" in name or "pandas" in name else 15)}
                results.append(row)
                print(json.dumps(row), flush=True)
            cube_rows = len(metrics.cube(con))
    speedup = results[1]["median_ms"] / results[0]["median_ms"]
    print(json.dumps({"borough_months_loaded": months, "cube_rows": cube_rows, "headline_speedup_vs_pandas": round(speedup, 1)}))
    return results
