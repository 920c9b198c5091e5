"""`python -m bench exceptions`: how often the exception scan flags on real files, and its warm time."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from sbp import metrics, store
from sbp.ingest import ingest

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mps"
HISTORY = SHARED / "mps_borough_level_crime_2010-04_to_2021-11.csv"
WARDS = SHARED / "mps_ward_level_crime_2021-12_to_2023-11.csv"
CASES = [  # (name, file, level, by, first month, last month)
    ("borough x category", HISTORY, "borough", "minor", "2016-01", "2019-12"),
    ("borough x measure", HISTORY, "borough", "measure", "2016-01", "2019-12"),
    ("ward x category", WARDS, "ward", "minor", "2022-12", "2023-11"),
    ("ward x measure", WARDS, "ward", "measure", "2022-12", "2023-11"),
]


def month_rates(db: Path, level: str, by: str, first: str, last: str) -> pd.DataFrame:
    """Per month: combinations tested, flagged (areas, not comparators) and expected by chance."""
    rows = []
    with store.connect_read(db) as con:
        for month in pd.period_range(first, last, freq="M"):
            end = dt.date(month.year, month.month, 1)
            try:
                scan = metrics.exceptions(con, end, level=level, by=by)
            except metrics.PeriodError:
                rows.append({"month": month, "tested": 0, "flagged": 0, "chance": 0.0})
                continue
            flagged = int((~scan.flags["is_comparator"].astype(bool)).sum())
            rows.append({"month": month, "tested": scan.cells_tested, "flagged": flagged,
                         "chance": scan.expected_by_chance})
    return pd.DataFrame(rows)


def summary(name: str, rates: pd.DataFrame) -> dict[str, object]:
    """The table row: months, tested a month, flagged share (mean, max) and the on-screen chance share."""
    checked = rates[rates["tested"] > 0]
    share = checked["flagged"] / checked["tested"]
    chance = checked["chance"] / checked["tested"]
    return {"level": name, "months": f"{len(checked)} of {len(rates)}",
            "tested a month": round(checked["tested"].mean()) if len(checked) else 0,
            "flagged % (mean)": round(100 * share.mean(), 3) if len(checked) else None,
            "flagged % (max)": round(100 * share.max(), 3) if len(checked) else None,
            "expected by chance %": round(100 * chance.mean(), 3) if len(checked) else None}


def warm_scan_ms(db: Path, repeat: int = 7) -> float:
    """Median warm time of the whole London borough-by-category scan for the file's last month."""
    with store.connect_read(db) as con:
        metrics.exceptions(con, level="borough")
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            metrics.exceptions(con, level="borough")
            times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def bench_exceptions(smoke: bool = False) -> None:
    """Backtest each level over its months and time the warm borough scan (smoke: each level's last month, once)."""
    cases = [(n, f, lvl, by, last if smoke else first, last) for n, f, lvl, by, first, last in CASES]
    with tempfile.TemporaryDirectory() as tmp:
        dbs: dict[Path, Path] = {}
        for path in (HISTORY, WARDS):
            dbs[path] = Path(tmp) / f"{path.stem}.duckdb"
            ingest([path], db=dbs[path])
        table = [summary(name, month_rates(dbs[path], level, by, first, last))
                 for name, path, level, by, first, last in cases]
        frame = pd.DataFrame(table)
        print("| " + " | ".join(frame.columns) + " |")
        print("|" + "---|" * len(frame.columns))
        for row in frame.itertuples(index=False):
            print("| " + " | ".join(str(v) for v in row) + " |")
        print(f"warm borough x category scan, {HISTORY.name} last month: {warm_scan_ms(dbs[HISTORY], 1 if smoke else 7)} ms")
