"""`python -m bench national`: a generated national year of police.uk data (43 forces, ~450,000 rows a month).

Generates one street-level file per force per month in the published layout, placed in the real 2021 LSOAs of
the ONS lookup (forces from the LAD -> police force area lookup), with ~6% of rows unlocated and ~0.3% recorded
by a force outside its area. Then times, each in its own subprocess with its peak memory:
  - `ingest` of every file with both lookups and the population workbooks (one store version, as a user would);
  - the floor: DuckDB's own read of the same files, counted per month x force x LSOA x crime type into a table;
  - warm answers on the national store: metric, league, headline and a 36-month series for one area;
  - every page of the dashboard on the national store for Bristol (data/partnerships/bristol_settings.toml), served
    by `streamlit run` and driven over Streamlit's own protocol (bench/load.py, no browser): the first view of each
    page in a new session (that page's caches cold) and the median of reruns of it (warm).
Generated files are cached under $SBP_BENCH_DIR (default /tmp/sbp-bench)/national.
`python -m bench.national pages STORE` times the pages alone on an existing store.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench import print_result

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SBP_SHARED_DATA", REPO.parent / "shared" / "data"))
BENCH_DIR = Path(os.environ.get("SBP_BENCH_DIR", "/tmp/sbp-bench")) / "national"
TYPES = ["Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other crime",
         "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting", "Theft from the person",
         "Vehicle crime", "Violence and sexual offences"]


def lookups() -> list[Path]:
    """The real ONS lookups and population workbooks the generated files are placed with."""
    geo = SHARED / "geography"
    files = sorted(geo.glob("LSOA_2021*.csv")) + sorted(geo.glob("Local_Authority*.csv"))
    files += sorted((SHARED / "population").glob("*.xls"))
    if len(files) < 4:
        raise SystemExit(f"the national benchmark needs the ONS lookups and workbooks under {SHARED}")
    return files


def generate(rows_per_month: int = 450_000, months: int = 12) -> list[Path]:
    """One police.uk file per force per month (cached); returns their paths."""
    out = BENCH_DIR / f"{rows_per_month}x{months}"
    done = out / "done"
    if done.exists():
        return sorted(out.rglob("*.csv"))
    out.mkdir(parents=True, exist_ok=True)
    lsoa_csv, force_csv = lookups()[:2]
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    # Each LSOA's force: its LAD's police force area where the 2017 lookup has the code, else a force chosen by hash
    # (authorities created since 2017), so there are 43 forces as in England and Wales.
    con.execute(
        f"""CREATE TABLE lsoa AS
        WITH g AS (SELECT LSOA21CD AS code, LSOA21NM AS name, LAD25CD AS lad FROM read_csv('{lsoa_csv}')),
             f AS (SELECT LAD17CD AS lad, PFA17NM AS pfa FROM read_csv('{force_csv}')),
             forces AS (SELECT list(DISTINCT pfa ORDER BY pfa) AS names FROM f)
        SELECT row_number() OVER (ORDER BY code) - 1 AS i, code, name,
               coalesce(f.pfa, (SELECT names FROM forces)[(hash(g.lad) % 43)::BIGINT + 1]) AS force
        FROM g LEFT JOIN f USING (lad)"""
    )
    n_lsoa = con.execute("SELECT count(*) FROM lsoa").fetchone()[0]
    type_list = "[" + ", ".join(f"'{t}'" for t in TYPES) + "]"
    for m in range(months):
        month = f"2023-{m % 12 + 1:02d}" if months <= 12 else f"{2023 + m // 12}-{m % 12 + 1:02d}"
        # Row r falls in LSOA hash(r) (a recording force's own area), or, for 0.3% of rows, a random LSOA anywhere
        # recorded by another force; 6% have no location.
        con.execute(
            f"""COPY (
              WITH r AS (SELECT i, hash(i * 31 + {m}) AS h FROM range({rows_per_month}) t(i)),
              placed AS (
                SELECT r.i, r.h, l.code, l.name, l.force,
                       CASE WHEN r.h % 1000 < 3 THEN (SELECT force FROM lsoa WHERE i = ((r.h // 7) % {n_lsoa})::BIGINT) ELSE l.force END
                           AS recorded_by
                FROM r JOIN lsoa l ON l.i = (r.h % {n_lsoa})::BIGINT
              )
              SELECT md5(i::VARCHAR || '{month}') AS "Crime ID", '{month}' AS "Month",
                     recorded_by || ' Police' AS "Reported by", recorded_by || ' Police' AS "Falls within",
                     -2.5 + (h % 1000) / 1000.0 AS "Longitude", 51.5 + (h % 777) / 1000.0 AS "Latitude",
                     'On or near Street ' || (h % 5000) AS "Location",
                     CASE WHEN h % 100 < 6 THEN '' ELSE code END AS "LSOA code",
                     CASE WHEN h % 100 < 6 THEN '' ELSE name END AS "LSOA name",
                     {type_list}[((h // 13) % 14)::BIGINT + 1] AS "Crime type", 'Under investigation' AS "Last outcome category",
                     '' AS "Context", replace(lower(recorded_by), ' ', '-') AS force_slug
              FROM placed
            ) TO '{out}/{month}' (FORMAT csv, HEADER, PARTITION_BY (force_slug), OVERWRITE_OR_IGNORE)"""
        )
    # PARTITION_BY leaves the partition column out of the files, so each has exactly the published header.
    done.write_text("ok")
    return sorted(out.rglob("*.csv"))


def _child(kind: str, db: str, files_list: str) -> None:
    """One timed case; prints JSON."""
    files = Path(files_list).read_text().split("\n")
    start = time.perf_counter()
    if kind == "ingest":
        from sbp.ingest import ingest

        summaries = ingest(files, db=db)
        rows = sum(s.rows for s in summaries if s.file_format == "police_uk")
        print_result({"seconds": time.perf_counter() - start, "rows": rows})
    elif kind == "floor":
        con = duckdb.connect(db)
        street = [f for f in files if f.endswith(".csv") and "/national/" in f]
        con.execute(
            """CREATE TABLE t AS SELECT "Month", "Reported by", "LSOA code", "LSOA name", "Crime type", count(*) AS n
            FROM read_csv($files, header = true, union_by_name = false) GROUP BY ALL""",
            {"files": street},
        )
        con.execute("CHECKPOINT")
        print_result({"seconds": time.perf_counter() - start, "rows": 0})
    else:  # warm answers on the national store
        from sbp import metrics, store
        from sbp.config import default_config, police_uk_measures

        measure = police_uk_measures()["all_crime"]
        con = store.connect_read(db)
        area, end = "Bristol", metrics.latest_month(con)
        calls = {
            "metric": lambda: metrics.metric(con, area, end, measure),
            "league": lambda: metrics.league(con, measure, end),
            "headline (configured measures)": lambda: metrics.headline(con, area, end),
            "series 12 months": lambda: metrics.series(con, [area], [measure]),
        }
        out = {}
        for name, call in calls.items():
            call()
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                call()
                times.append(time.perf_counter() - t0)
            out[name] = round(statistics.median(times), 3)
        out["config_measures"] = len(default_config().measures)
        print_result({"seconds": time.perf_counter() - start, "warm_median_s": out})


def _run(kind: str, db: Path, files: list[Path]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(map(str, files)))
    proc = subprocess.Popen([sys.executable, "-m", "bench.national", "_child", kind, str(db), handle.name],
                            stdout=subprocess.PIPE, cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)})
    out = proc.stdout.read()
    status = proc.wait()
    os.unlink(handle.name)
    if status != 0:
        raise SystemExit(f"benchmark child failed: {kind}")
    result = json.loads(out.decode().strip().splitlines()[-1])  # ingest may print progress lines before the result
    result["peak_mb"] = round(result["peak_mb"])
    return result


PARTNERSHIP = REPO / "data" / "partnerships" / "bristol_settings.toml"
PAGES = ("overview", "bristol-safer-neighbourhoods", "bristol-violence", "bristol-drugs-and-exploitation", "explore",
         "rankings", "wards", "data")


def time_pages(db: Path, repeat: int = 5, settings: Path = PARTNERSHIP, area: str = "Bristol") -> list[dict]:
    """Each page's script run on a `streamlit run` server for the partnership in settings; print JSON lines.

    first_view_s: the page opened in a new session (its own cached data and charts cold; the store's shared
    caches warm from the pages before it). warm_median_s / warm_max_s: `repeat` reruns of the same view, which is
    what every later view of that page and period costs.
    """
    import asyncio

    from bench.load import ProtocolSession
    from bench.server import Server, loadavg, tree_usage

    async def view(url: str, page: str):
        session = ProtocolSession(url, timeout_s=600)
        try:
            first = await session.open(page, f"area={area}")
            return first, [await session.rerun() for _ in range(repeat)]
        finally:
            await session.close()

    rows = []
    with tempfile.TemporaryDirectory(prefix="sbp-bench-pages-") as tmp:
        server = Server(db, Path(tmp) / "server.log", env={"SBP_SETTINGS": str(settings)})
        try:
            server.wait_ready(120)
            for page in PAGES:
                first, warm = asyncio.run(view(server.url, page))
                times = [r.elapsed_s for r in warm]
                errors = first.errors + [e for r in warm for e in r.errors]
                errors += [f"{page}: {r.status}" for r in (first, *warm) if r.status != "FINISHED_SUCCESSFULLY"]
                row = {"page": page, "first_view_s": round(first.elapsed_s, 2),
                       "warm_median_s": round(statistics.median(times), 3), "warm_max_s": round(max(times), 3),
                       "errors": errors[:3], "loadavg": loadavg()}
                print(json.dumps(row), flush=True)
                rows.append(row)
            rss, _ = tree_usage(server.pid)
            rows.append({"case": "pages, national store", "server_rss_mb_after": round(rss),
                         "server_log_errors": server.log_errors()[:5]})
            print(json.dumps(rows[-1]), flush=True)
        finally:
            server.stop()
    return rows


def bench_national(rows_per_month: int = 450_000, months: int = 12, smoke: bool = False) -> list[dict]:
    """Generate (cached), then time ingest, the DuckDB floor and warm answers; print JSON lines.

    smoke: 12 months of 2,000 rows and one rerun per page, in seconds (the same steps; its figures are not benchmarks).
    """
    if smoke:
        rows_per_month, months = 2_000, 12
    start = time.perf_counter()
    street = generate(rows_per_month, months)
    print(json.dumps({"generated_files": len(street), "generate_seconds": round(time.perf_counter() - start, 1),
                      "input_mb": round(sum(p.stat().st_size for p in street) / 1e6)}), flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="sbp-bench-national-") as tmp:
        db = Path(tmp) / "sbp.duckdb"
        ours = _run("ingest", db, street + lookups())
        floor = _run("floor", Path(tmp) / "floor.duckdb", street)
        row = {"case": f"national {months} months", "files": len(street), "input_rows": ours["rows"],
               "seconds": round(ours["seconds"], 1), "peak_mb": ours["peak_mb"],
               "store_mb": round(sum(p.stat().st_size for p in db.parent.rglob("v*.duckdb")) / 1e6),
               "floor_seconds": round(floor["seconds"], 1), "floor_peak_mb": floor["peak_mb"],
               "ratio_to_floor": round(ours["seconds"] / floor["seconds"], 2)}
        print(json.dumps(row), flush=True)
        results.append(row)
        warm = _run("answers", db, [])
        print(json.dumps({"case": "warm answers, national store", **warm["warm_median_s"],
                          "peak_mb": warm["peak_mb"]}), flush=True)
        results.append(warm)
        results += time_pages(db, repeat=1 if smoke else 5)
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["_child"]:
        _child(*sys.argv[2:5])
    elif sys.argv[1:2] == ["pages"]:
        time_pages(Path(sys.argv[2]))
    else:
        bench_national(*(int(a) for a in sys.argv[1:3]))
