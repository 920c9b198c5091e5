"""Every benchmark suite with a smoke mode runs in it: a broken case or baseline fails the build, not the next benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.ingest import SMOKE_SUITES
from bench.national import SHARED

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("suite", SMOKE_SUITES)
def test_bench_suite_runs_in_smoke_mode(suite: str, tmp_path: Path) -> None:
    """`python -m bench SUITE --smoke` exits 0 and prints its results (JSON lines, or a table for exceptions)."""
    if suite == "national" and not (SHARED / "geography").is_dir():
        pytest.skip(f"the national bench places its generated rows with the ONS lookups under {SHARED} (absent)")
    env = os.environ | {"SBP_BENCH_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "bench", suite, "--smoke"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    rows = [json.loads(line) for line in lines if line.startswith("{")]
    assert rows or any(line.startswith("|") for line in lines), done.stdout[-2000:]


def test_a_benchmark_child_reports_its_own_peak_not_its_parents() -> None:
    """bench children print their own VmHWM: the ru_maxrss wait4 gives carries the parent's peak across exec."""
    ballast = bytearray(600 * 2**20)  # this process's peak rises past 600 MB
    ballast[:: 4096] = b"x" * len(ballast[:: 4096])
    proc = subprocess.Popen([sys.executable, "-c", "from bench import print_result; print_result({})"], cwd=REPO,
                            env=os.environ | {"PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _, _, usage = os.wait4(proc.pid, 0)
    del ballast
    assert usage.ru_maxrss / 1024 >= 600  # what the benchmarks used to report as the child's peak
    assert 0 < json.loads(out)["peak_mb"] < 200
