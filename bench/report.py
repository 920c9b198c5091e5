"""`python -m bench report`: seconds to write the full board report, per format, for Bromley on the 14-year
demo store. Each format runs in a fresh process, as `python -m sbp report` would (imports included), best of 3;
then one warm in-process breakdown of where the time goes. Target: under 10 s per format on 2 cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import print_result

REPO = Path(__file__).resolve().parent.parent
AREA = "Bromley"
FORMATS = ("html", "pdf", "pptx")
TARGET_SECONDS = 10.0


def _child(fmt: str, db: str, end: str, out: str) -> None:
    """Run in a fresh process: build one report; print the in-process seconds as JSON."""
    start = time.perf_counter()
    from sbp.report import build_report

    imported = time.perf_counter()
    build_report(db, end, AREA, fmt, out)
    done = time.perf_counter()
    print_result({"import_seconds": imported - start, "build_seconds": done - imported})


def _run(fmt: str, db: Path, end: str, out: Path) -> dict:
    """One fresh process: wall seconds, its own CPU seconds (os.wait4), its own timings and peak memory (VmHWM)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.report", "_child", fmt, str(db), end, str(out)],
                            stdout=subprocess.PIPE, cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)})
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = status
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"report benchmark child failed: {fmt}")
    inner = json.loads(stdout.decode().strip().splitlines()[-1])
    return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, **inner, "bytes": out.stat().st_size}


def _breakdown(db: Path, end: str) -> dict:
    """Warm, in one process: composing the model (queries), drawing the charts, and each renderer."""
    from sbp import store
    from sbp.report import render
    from sbp.report.model import build_model

    with store.connect_read(db) as con:
        build_model(con, end, AREA)  # warm caches and vl-convert's engine
        start = time.perf_counter()
        report = build_model(con, end, AREA)
        model = time.perf_counter()
    for section in report.priorities:
        for chart in section.charts:
            chart.png()
    charts = time.perf_counter()
    out = {"model_seconds": model - start, "page_charts_seconds": charts - model}
    for fmt in FORMATS:
        t = time.perf_counter()
        render(report, fmt)
        out[f"render_{fmt}_seconds"] = time.perf_counter() - t
    return {k: round(v, 3) for k, v in out.items()}


def bench_report(smoke: bool = False) -> list[dict]:
    """Time each format end to end on the 14-year demo store; print one JSON line per format and a breakdown.

    smoke: one run per format instead of the best of 3.
    """
    from sbp import metrics, store
    from sbp.ingest.demo import build_demo

    results = []
    with tempfile.TemporaryDirectory(prefix="sbp-bench-report-") as tmp:
        db = Path(tmp) / "sbp.duckdb"
        build_demo(db)
        with store.connect_read(db) as con:
            first, last = metrics.month_span(con)
        end = last.strftime("%Y-%m")
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        for fmt in FORMATS:
            out = Path(tmp) / f"report.{fmt}"
            runs = [_run(fmt, db, end, out) for _ in range(1 if smoke else 3)]
            best = min(runs, key=lambda r: r["seconds"])
            row = {
                "case": f"report {fmt} ({AREA}, rolling year to {end}, demo store {months} months)",
                "seconds": round(best["seconds"], 2), "cpu_seconds": round(best["cpu_seconds"], 2),
                "import_seconds": round(best["import_seconds"], 2), "build_seconds": round(best["build_seconds"], 2),
                "peak_mb": round(best["peak_mb"]), "bytes": best["bytes"],
                "target_seconds": TARGET_SECONDS, "within_target": best["seconds"] < TARGET_SECONDS,
            }
            results.append(row)
            print(json.dumps(row), flush=True)
        breakdown = {"case": "warm breakdown (one process)", **_breakdown(db, end)}
        print(json.dumps(breakdown), flush=True)
        results.append(breakdown)
    return results


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "_child":
        _child(*sys.argv[2:])
    else:
        bench_report()
