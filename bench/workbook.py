"""`python -m bench workbook`: load the MPS Monthly Crime Dashboard workbook (.xlsx and its CSV export).

A 48-month workbook (~470,000 rows, the size of the real release) is generated from the shared 24 months by
repeating them 24 months later, written to $SBP_BENCH_DIR (default /tmp/sbp-bench; never committed). Each case
runs in its own subprocess so its peak memory (max RSS) is its own: python-calamine's own read of the sheet (the
floor), our ingest of the .xlsx, and our ingest of the CSV export. Targets: xlsx under 12 s and 1.5 GB and within
1.5x of the reader's own read; CSV under 3 s.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import print_result
from bench.ingest import BENCH_DIR, REPO

SHARED = Path(os.environ.get("SBP_SHARED_DATA", REPO.parent / "shared" / "data"))
WORKBOOK = SHARED / "mps" / "MPS_MonthlyCrimeDashboard_OtherCrimeData_2021-08_to_2023-07.xlsx"
SHEET = "MPS_MonthlyCrimeDashboard_Other"


def _shift(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def generated(smoke: bool = False) -> tuple[Path, Path]:
    """(48-month .xlsx, its CSV export), generated once from the shared 24-month workbook; smoke: its first month,
    repeated a month later."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    name = "dashboard_smoke_2_months" if smoke else "dashboard_48_months"
    xlsx, export = BENCH_DIR / f"{name}.xlsx", BENCH_DIR / f"{name}.csv"
    if xlsx.exists() and export.exists():
        return xlsx, export
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    rows = CalamineWorkbook.from_path(str(WORKBOOK)).get_sheet_by_name(SHEET).to_python()
    header, body = rows[0], rows[1:]
    if smoke:
        body = [r for r in body if r[0] == body[0][0]]
    body = body + [[_shift(r[0], 1 if smoke else 24), *r[1:]] for r in body]
    book = xlsxwriter.Workbook(str(xlsx) + ".tmp.xlsx", {"constant_memory": True})
    sheet = book.add_worksheet(SHEET)
    dates = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, header)
    for i, r in enumerate(body, 1):
        sheet.write_datetime(i, 0, dt.datetime(r[0].year, r[0].month, 1), dates)
        sheet.write_row(i, 1, r[1:11])
        sheet.write_datetime(i, 11, dt.datetime(r[11].year, r[11].month, r[11].day), dates)
    book.close()
    os.replace(str(xlsx) + ".tmp.xlsx", xlsx)
    with open(str(export) + ".tmp", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for r in body:
            writer.writerow([r[0].strftime("%d/%m/%Y"), *r[1:10], f"{r[10]:g}", r[11].strftime("%d/%m/%Y")])
    os.replace(str(export) + ".tmp", export)
    return xlsx, export


def _child(kind: str, path: str) -> None:
    start = time.perf_counter()
    if kind == "reader":
        from python_calamine import CalamineWorkbook

        rows = len(CalamineWorkbook.from_path(path).get_sheet_by_name(SHEET).to_python()) - 1
    else:
        from sbp.ingest import ingest

        with tempfile.TemporaryDirectory(prefix="sbp-bench-") as tmp:
            rows = ingest([path], db=Path(tmp) / "sbp.duckdb")[0].rows
    print_result({"seconds": time.perf_counter() - start, "rows": rows})


def _run(kind: str, path: Path) -> dict:
    proc = subprocess.Popen([sys.executable, "-m", "bench.workbook", "_child", kind, str(path)],
                            stdout=subprocess.PIPE, cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)})
    out = proc.stdout.read()
    if proc.wait() != 0:
        raise SystemExit(f"benchmark child failed: {kind} {path}")
    return json.loads(out)


def bench_workbook(repeats: int = 3, smoke: bool = False) -> list[dict]:
    """Best of `repeats` for the reader's own read, our .xlsx ingest and our CSV-export ingest (smoke: two months, once)."""
    if not WORKBOOK.exists():
        print(f"workbook: skipped, {WORKBOOK} not found")
        return []
    repeats = 1 if smoke else repeats
    xlsx, export = generated(smoke)
    results = []
    for case, kind, path in (("calamine_read_xlsx", "reader", xlsx), ("ingest_xlsx", "ingest", xlsx),
                             ("ingest_csv_export", "ingest", export)):
        best = min((_run(kind, path) for _ in range(repeats)), key=lambda r: r["seconds"])
        row = {"case": case, "file_mb": round(path.stat().st_size / 1e6, 1), "rows": best["rows"],
               "seconds": round(best["seconds"], 2), "peak_mb": round(best["peak_mb"])}
        results.append(row)
        print(json.dumps(row), flush=True)
    print(json.dumps({"ingest_xlsx_over_reader": round(results[1]["seconds"] / results[0]["seconds"], 2)}))
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["_child"]:
        _child(sys.argv[2], sys.argv[3])
