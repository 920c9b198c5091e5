"""`python -m bench ingest`: load times of the real file and generated LSOA and police.uk files. Prints seconds, rows/s and peak memory per case.

Each timed case runs in its own subprocess so peak memory (max RSS) is that case's alone.
Generated inputs are cached under $SBP_BENCH_DIR (default /tmp/sbp-bench).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench import machine, print_result
from bench.floor_read import unpivot_wide
from sbp.config import london_boroughs

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(os.environ.get("SBP_BENCH_DIR", "/tmp/sbp-bench"))
REAL_MPS = Path(os.environ.get("SBP_SHARED_DATA", REPO.parent / "shared" / "data")) / "mps" / "mps_borough_level_crime_2021-12_to_2023-11.csv"




# The suites with a smoke mode (`--smoke`), run by tests/integration/test_bench_smoke.py so a broken case fails CI.
SMOKE_SUITES = ("ingest", "metrics", "workbook", "exceptions", "national", "load", "browser_load", "startup")


# --- generated inputs -----------------------------------------------------------------------

def lsoa_wide_file(areas: int = 5000, categories: int = 50, months: int = 120) -> Path:
    """A wide MPS-LSOA-layout file of areas x categories rows and `months` month columns."""
    path = BENCH_DIR / f"lsoa_wide_{areas}x{categories}x{months}_named.csv"
    if path.exists():
        return path
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    month_names = [f"{2014 + i // 12}{i % 12 + 1:02d}" for i in range(months)]
    # Real borough names: ingest refuses an unknown borough (generated names once broke this case unnoticed).
    names = "[" + ", ".join("'" + b.name.replace("'", "''") + "'" for b in london_boroughs()) + "]"
    borough = f"{names}[a % {len(london_boroughs())} + 1]"
    cells = ", ".join(f"(hash(a * 1000003 + c * 7919 + {i}) % 23)::INTEGER AS \"{m}\"" for i, m in enumerate(month_names))
    sql = f"""
    COPY (
      SELECT printf('E01%06d', a) AS "LSOA Code",
             printf('%s %03d%s', {borough}, a // 33 % 1000, chr((65 + a % 6)::INTEGER)) AS "LSOA Name",
             {borough} AS "Borough", printf('Major %02d', c // 5) AS "Major Category",
             printf('Minor category number %02d', c) AS "Minor Category", {cells}
      FROM range({areas}) r(a), range({categories}) k(c)
    ) TO '{path}.tmp' (HEADER, DELIMITER ',')"""
    duckdb.connect().execute(sql)
    os.replace(f"{path}.tmp", path)
    return path


def police_uk_file(rows: int = 1_000_000) -> Path:
    """A police.uk street-level file of `rows` crimes over 12 months in 5,000 LSOAs."""
    path = BENCH_DIR / f"police_uk_{rows}.csv"
    if path.exists():
        return path
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    types = ["Anti-social behaviour", "Burglary", "Criminal damage and arson", "Drugs", "Other theft", "Public order",
             "Robbery", "Shoplifting", "Vehicle crime", "Violence and sexual offences", "Bicycle theft", "Other crime"]
    type_list = "[" + ", ".join(f"'{t}'" for t in types) + "]"
    sql = f"""
    COPY (
      SELECT md5(i::VARCHAR) AS "Crime ID", printf('2023-%02d', i % 12 + 1) AS "Month",
             'Metropolitan Police Service' AS "Reported by", 'Metropolitan Police Service' AS "Falls within",
             -0.1 + (i % 1000) / 10000.0 AS "Longitude", 51.4 + (i % 777) / 10000.0 AS "Latitude",
             'On or near Street ' || (i % 5000) AS "Location",
             CASE WHEN i % 97 = 0 THEN '' ELSE printf('E01%06d', i % 5000) END AS "LSOA code",
             CASE WHEN i % 97 = 0 THEN '' ELSE printf('Borough%02d %03d%s', i % 5000 % 33, i % 5000 // 33, chr((65 + i % 6)::INTEGER)) END AS "LSOA name",
             {type_list}[i % 12 + 1] AS "Crime type", 'Under investigation' AS "Last outcome category", '' AS "Context"
      FROM range({rows}) t(i)
    ) TO '{path}.tmp' (HEADER, DELIMITER ',')"""
    duckdb.connect().execute(sql)
    os.replace(f"{path}.tmp", path)
    return path


# --- timed runs in child processes ----------------------------------------------------------

def _child(kind: str, path: str) -> None:
    """Run one timed case and print {"seconds", "rows"} as JSON."""
    with tempfile.TemporaryDirectory(prefix="sbp-bench-") as tmp:
        start = time.perf_counter()
        if kind == "ingest":
            from sbp.ingest import ingest

            db = Path(tmp) / "sbp.duckdb"
            summary = ingest([path], db=db)[0]
            rows = summary.rows
        else:  # the floor: DuckDB's own read_csv + UNPIVOT into a table in a file
            con = duckdb.connect(str(Path(tmp) / "floor.duckdb"))
            if not unpivot_wide(con, path):
                ids = [c[0] for c in con.execute("SELECT * FROM read_csv($p, header = true) LIMIT 0",
                                                 {"p": path}).description]
                con.execute(f"CREATE TABLE t AS SELECT {', '.join(chr(34) + i + chr(34) for i in ids[1:2] + ids[7:10])}, count(*) AS n FROM read_csv($p, header = true) GROUP BY ALL", {"p": path})
            con.execute("CHECKPOINT")
            con.close()
            rows = 0
        seconds = time.perf_counter() - start
    print_result({"seconds": seconds, "rows": rows})


def run_child(kind: str, path: Path) -> dict:
    """Run a case in a subprocess; return its seconds, rows and peak RSS in MB."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.ingest", "_child", kind, str(path)],
        stdout=subprocess.PIPE, cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    out = proc.stdout.read()
    if proc.wait() != 0:
        raise SystemExit(f"benchmark child failed: {kind} {path}")
    return json.loads(out)


def bench_ingest(cases: list[str], smoke: bool = False) -> list[dict]:
    """Time ingest beside DuckDB's read_csv + UNPIVOT floor for each case; smoke: tiny generated files, one run each."""
    available = {
        "real": lambda: REAL_MPS,
        "lsoa": (lambda: lsoa_wide_file(areas=60, categories=5, months=24)) if smoke else lsoa_wide_file,
        "police_uk": (lambda: police_uk_file(rows=2000)) if smoke else police_uk_file,
    }
    results = []
    for case in cases:
        path = available[case]()
        if not path.exists():
            print(f"{case}: skipped, {path} not found")
            continue
        size_mb = path.stat().st_size / 1e6
        runs = 3 if case == "real" and not smoke else 1
        ours = min((run_child("ingest", path) for _ in range(runs)), key=lambda r: r["seconds"])
        floor = min((run_child("floor", path) for _ in range(runs)), key=lambda r: r["seconds"])
        row = {
            "case": case, "file_mb": round(size_mb, 1), "input_rows": ours["rows"],
            "seconds": round(ours["seconds"], 3), "input_rows_per_s": round(ours["rows"] / ours["seconds"]),
            "peak_mb": round(ours["peak_mb"]), "floor_seconds": round(floor["seconds"], 3),
            "floor_peak_mb": round(floor["peak_mb"]), "ratio_to_floor": round(ours["seconds"] / floor["seconds"], 2),
        }
        results.append(row)
        print(json.dumps(row), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the named benchmark."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_child":
        _child(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suite", choices=["ingest", "metrics", "pages", "report", "workbook", "national", "exceptions",
                                          "load", "browser_load", "startup"])
    parser.add_argument("--cases", nargs="*", help="subset of cases")
    parser.add_argument("--long", action="store_true", help="startup: also the 2010-2021 borough file")
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds: tiny inputs and one run per case, to check every case and baseline runs "
                             "(also SBP_BENCH_SMOKE=1); its figures are not benchmarks")
    args = parser.parse_args(argv)
    smoke = args.smoke or os.environ.get("SBP_BENCH_SMOKE") == "1"
    if args.suite in ("load", "browser_load"):  # their own options: python -m bench.load --help
        from importlib import import_module

        return import_module(f"bench.{args.suite}").main(["--smoke"] if smoke else [])
    if args.suite == "startup":
        from bench.startup import main as startup

        return startup(["--long"] if args.long else [], smoke=smoke)
    print(f"machine: {machine()}" + (" (smoke mode: figures are not benchmarks)" if smoke else ""))
    if args.suite == "ingest":
        bench_ingest(args.cases or ["real", "lsoa", "police_uk"], smoke=smoke)
    elif args.suite == "metrics":
        from bench.metrics import bench_metrics

        bench_metrics(smoke=smoke)
    elif args.suite == "workbook":
        from bench.workbook import bench_workbook

        bench_workbook(smoke=smoke)
    elif args.suite == "national":
        from bench.national import bench_national

        bench_national(smoke=smoke)
    elif args.suite == "exceptions":
        from bench.exceptions import bench_exceptions

        bench_exceptions(smoke=smoke)
    elif args.suite == "report":
        from bench.report import bench_report

        bench_report(smoke=smoke)
    else:
        from bench.pages import bench_pages

        bench_pages(smoke=smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
