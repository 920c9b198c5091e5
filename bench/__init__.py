"""Benchmarks and the load script, outside the shipped package: `python -m bench ingest|metrics|pages|report|...`,
`python -m bench.load`. Figures are recorded in BENCHMARKS.md. `--smoke` (or SBP_BENCH_SMOKE=1) runs a suite's cases
in seconds, to check they still run (tests/integration/test_bench_smoke.py runs every suite in SMOKE_SUITES).
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import duckdb

def peak_mb() -> float:
    """This process's own peak memory (VmHWM) in MB: a benchmark child reports it, because the ru_maxrss a parent
    reads from wait4 carries the parent's own peak into the child at exec (a 1 GB parent made every child "1 GB")."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def print_result(result: dict) -> None:
    """A benchmark child's last line: its result as JSON, with its own peak memory."""
    print(json.dumps(result | {"peak_mb": peak_mb()}), flush=True)


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, DuckDB {duckdb.__version__}"
