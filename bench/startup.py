"""`python -m bench startup`: the command line as whole processes (start-up, imports, work, exit), alternated.

Each round runs, in turn: `sbp metric --measure burglary --json` and `sbp status` on a store built from the file,
`sbp ingest` of the file into a new store, and the floor (bench/floor_read.py: Python, `import duckdb`, DuckDB's own
`read_csv` + `UNPIVOT` into a table in a new file, CHECKPOINT). Timed from outside, fork to exit, so the interpreter's
start and every import count. Medians and ranges over the rounds, the load average before and after.

Bytecode: this sandbox sets PYTHONDONTWRITEBYTECODE=1, so every process would compile sbp's source again (about
0.045 s) while site-packages ship compiled. A normal install caches bytecode on the first run; here sbp is compiled
into its own __pycache__ folders once before timing (`--source` times the uncompiled case instead).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import machine
from bench.ingest import REAL_MPS, REPO

FLOOR = Path(__file__).with_name("floor_read.py")
LONG_MPS = REAL_MPS.with_name("mps_borough_level_crime_2010-04_to_2021-11.csv")


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from start to exit of one process; its failure stops the benchmark with its last error line."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    return seconds


def _summary(times: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3)}


def bench_startup(files: list[Path], rounds: int = 7, compiled: bool = True) -> list[dict]:
    """Time the four commands per file, alternated over rounds; print one JSON line per command and a ratio line."""
    py = sys.executable
    results = []
    with tempfile.TemporaryDirectory(prefix="sbp-bench-startup-") as tmp:
        env = os.environ | {"PYTHONPATH": str(REPO)}
        if compiled:  # into sbp's own __pycache__ folders, where any Python run that may write bytecode puts it
            compileall.compile_dir(REPO / "sbp", quiet=1)
        else:
            for cache in (REPO / "sbp").rglob("__pycache__"):
                shutil.rmtree(cache)
        for n, path in enumerate(files):
            work = Path(tmp) / f"file{n}"
            db = work / "read" / "s.duckdb"
            _timed([py, "-m", "sbp", "ingest", "--db", str(db), str(path)], env)
            commands = {
                "sbp metric --measure burglary --json": [py, "-m", "sbp", "metric", "--db", str(db), "--measure",
                                                         "burglary", "--json"],
                "sbp status": [py, "-m", "sbp", "status", "--db", str(db)],
            }
            times: dict[str, list[float]] = {"sbp metric --measure burglary --json": [], "sbp status": [],
                                             "sbp ingest (new store)": [], "floor": []}
            load_before = os.getloadavg()[0]
            for i in range(rounds):
                for name, cmd in commands.items():
                    times[name].append(_timed(cmd, env))
                times["sbp ingest (new store)"].append(
                    _timed([py, "-m", "sbp", "ingest", "--db", str(work / f"i{i}" / "s.duckdb"), str(path)], env))
                times["floor"].append(_timed([py, str(FLOOR), str(path), str(work / f"floor{i}.duckdb")], env))
            load_after = os.getloadavg()[0]
            for name, ts in times.items():
                row = {"file": path.name, "command": name, **_summary(ts)}
                results.append(row)
                print(json.dumps(row), flush=True)
            ratio = statistics.median(times["sbp ingest (new store)"]) / statistics.median(times["floor"])
            print(json.dumps({"file": path.name, "ingest_over_floor": round(ratio, 2), "rounds": rounds,
                              "bytecode": "compiled" if compiled else "source",
                              "load_average": [round(load_before, 2), round(load_after, 2)]}), flush=True)
    return results


def main(argv: list[str] | None = None, smoke: bool = False) -> int:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m bench startup")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--long", action="store_true", help="also the 2010-2021 borough file (140 months)")
    parser.add_argument("--source", action="store_true", help="no compiled bytecode (every process compiles sbp)")
    args = parser.parse_args(argv or [])
    files = [REAL_MPS] + ([LONG_MPS] if args.long else [])
    with tempfile.TemporaryDirectory(prefix="sbp-bench-startup-demo-") as demo:
        if smoke:  # the demo borough file, two years: no shared data needed
            from sbp.ingest.demo import BOROUGH_FILE, write_demo_extracts

            files = [next(p for p in write_demo_extracts(Path(demo), years=2) if p.name == BOROUGH_FILE)]
        missing = [p for p in files if not p.exists()]
        if missing:
            raise SystemExit(f"not found: {', '.join(map(str, missing))} (set SBP_SHARED_DATA to the shared/data folder)")
        print(f"machine: {machine()}" + (" (smoke mode: figures are not benchmarks)" if smoke else ""))
        bench_startup(files, rounds=1 if smoke else args.rounds, compiled=not args.source)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
