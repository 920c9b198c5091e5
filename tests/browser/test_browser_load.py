"""Smoke test of the load script (`python -m bench.browser_load`): two real browser sessions against one server."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

from bench import browser_load as bench_load
from bench.server import group_alive, percentile

pytestmark = pytest.mark.skipif(bench_load.find_chromium() is None,
                                reason="Chromium is not installed (Debian: apt-get install chromium)")


def test_two_sessions_one_round_on_a_small_store():
    rows = []
    result = bench_load.run_load(sessions=[2], rounds=1, timeout_s=150, years=3, visit_timeout_s=40, think_s=0.1,
                                 settle_s=1.0, emit=rows.append)
    measured = [r for r in result["rounds"] if not r.get("warmup")]
    assert len(measured) == 1
    row = measured[0]
    assert row["errors"] == 0, row["error_samples"]
    assert row["visits"] == row["visits_expected"] == 2 * len(bench_load.SEQUENCE)
    assert row["p50_s"] > 0 and row["p95_s"] >= row["p50_s"]
    assert row["control_p50_s"] is not None and row["control_p50_s"] > 0
    assert row["rss_mb_peak"] > 0 and row["rss_mb_after_close"] > 0 and row["samples"] > 1
    assert row["cpu_s"] > 0
    assert result["summary"]["by_n"]["2"]["rounds"] == 1
    assert any("machine" in r for r in rows) and rows[-1].get("summary")
    # The server and its process group are gone.
    assert result["server_gone"]
    assert not os.path.exists(f"/proc/{result['server_pid']}")
    assert not group_alive(result["server_pid"])


def test_caps_are_enforced():
    with pytest.raises(ValueError):
        bench_load.run_load(sessions=[bench_load.MAX_SESSIONS + 1])
    with pytest.raises(ValueError):
        bench_load.run_load(sessions=[1], rounds=bench_load.MAX_ROUNDS + 1)
    with pytest.raises(SystemExit):
        bench_load.main(["--sessions", str(bench_load.MAX_SESSIONS + 1)])
    with pytest.raises(SystemExit):
        bench_load.main(["--timeout-s", "1000"])


def test_percentile():
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert percentile([0.0, 10.0], 0.95) == pytest.approx(9.5)
