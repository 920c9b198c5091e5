"""The protocol-level load generator (bench/load.py): one simulated session speaks Streamlit's websocket protocol."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from bench import load
from bench.server import Server, group_alive

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(demo_store: Path, tmp_path_factory):
    srv = Server(demo_store, tmp_path_factory.mktemp("server") / "server.log")
    try:
        srv.wait_ready(60)
        yield srv
    finally:
        assert srv.stop()


def test_the_first_session_after_a_start_opens_a_linked_page_without_page_not_found(server):
    # Runs first in this module, on a fresh server: with pages/ beside app.py, a plain `streamlit run` sent this
    # session "page not found" (its old multipage mode); python -m sbp.web switches that mode off before starting.
    async def scenario():
        session = load.ProtocolSession(server.url, timeout_s=60)
        try:
            return await session.open("overview")
        finally:
            await session.close()

    run = asyncio.run(scenario())
    assert run.status == "FINISHED_SUCCESSFULLY" and run.errors == []
    assert any("partnership measures" in t for t in run.texts)


def test_a_session_opens_a_page_changes_a_control_and_switches_page(server):
    async def scenario():
        session = load.ProtocolSession(server.url, timeout_s=60)
        try:
            opened = await session.open("safer-neighbourhoods")
            borough = next(w for w in opened.widgets.values() if w.label == "Focus borough")
            changed = await session.rerun(change=(borough.id, "Bexley"))
            moved = await session.rerun(page_hash=session.pages["rankings"])
            return session, opened, changed, moved
        finally:
            await session.close()

    session, opened, changed, moved = asyncio.run(scenario())
    assert opened.status == changed.status == moved.status == "FINISHED_SUCCESSFULLY"
    assert not opened.errors and not changed.errors and not moved.errors
    assert {"safer-neighbourhoods", "rankings", "explore", "wards", "data"} <= set(session.pages) and len(session.pages) >= 9
    assert any("Safer Neighbourhoods" in t for t in opened.texts)
    # The control took effect on the server: the page now speaks of Bexley, and the link says so.
    assert any("Bexley" in t for t in changed.texts) and not any("Bexley" in t for t in opened.texts)
    assert "borough=Bexley" in session.query
    assert moved.page_hash == session.pages["rankings"] != opened.page_hash
    assert any("Rankings" in t for t in moved.texts)


def test_a_missing_page_is_reported_as_an_error(server):
    async def scenario():
        session = load.ProtocolSession(server.url, timeout_s=60)
        try:
            await session.open("safer-neighbourhoods")
            return await session.rerun(page_name="no-such-page", page_hash="")
        finally:
            await session.close()

    run = asyncio.run(scenario())
    assert any("page not found" in e for e in run.errors)


def test_choose_picks_another_option_or_another_page():
    session = load.ProtocolSession("http://127.0.0.1:1")
    session.pages, session.page_hash = {"a": "h1", "b": "h2"}, "h1"
    session.widgets = {"w": load.Widget("w", "selectbox", "Measure", ["x", "y"], "x", "string_value")}
    rng = random.Random(3)
    actions = [session.choose(rng) for _ in range(40)]
    assert {kind.split(":")[0] for kind, _ in actions} == {"control", "page"}
    assert all(kw["change"] == ("w", "y") for kind, kw in actions if kind.startswith("control"))
    assert all(kw["page_hash"] == "h2" for kind, kw in actions if kind.startswith("page"))


def test_actions_follow_the_mix_and_the_comparator_is_a_small_share():
    # Before, one control was picked among all drawn, so the sidebar comparator (on every page) was 35% of views.
    session = load.ProtocolSession("http://127.0.0.1:1", workload="partnership")
    session.pages, session.page_hash = {"a": "h1", "b": "h2", "c": "h3"}, "h1"
    session.widgets = {
        "m": load.Widget("m", "selectbox", "Measure", ["x", "y"], "x", "string_value"),
        "c": load.Widget("c", "radio", load.COMPARATOR, ["All London", "Outer London"], "All London", "string_value"),
        "b": load.Widget("b", "selectbox", "Focus borough", ["Bromley", "Bexley"], "Bromley", "string_value"),
    }
    rng = random.Random(7)
    kinds = [session.choose(rng)[0].split(":")[0] for _ in range(4000)]
    share = {k: kinds.count(k) / len(kinds) for k in ("page", "control", "comparator")}
    assert abs(share["page"] - 0.5) < 0.03 and abs(share["control"] - 0.42) < 0.03 and abs(share["comparator"] - 0.08) < 0.02
    assert not any("Focus borough" in k for k, _ in (session.choose(rng) for _ in range(200)))  # partnership keeps it


def test_think_time_is_spread_around_its_mean():
    rng = random.Random(1)
    pauses = [load.think_time(rng, 5) for _ in range(4000)]
    assert 2.5 <= min(pauses) < 2.6 and 7.4 < max(pauses) <= 7.5
    assert abs(sum(pauses) / len(pauses) - 5) < 0.1


def test_a_short_run_measures_views_and_stops_the_server():
    rows = []
    result = load.run_load(sessions=[2], top_rounds=1, duration_s=3, think_s=0.5, arrival_s=0.5, store="demo",
                           demo_years=2, expiry_wait_s=0.5, emit=rows.append)
    row = result["rounds"][0]
    assert row["errors"] == 0, row["error_samples"]
    assert row["views"] >= 4 and row["p95_s"] >= row["p50_s"] > 0
    assert row["cpu_s"] > 0 and row["rss_mb_peak"] > 0 and row["generator_cpu_s"] >= 0
    assert result["summary"]["server_gone"]
    assert not group_alive(rows[1]["server_pid"])


def test_caps_are_enforced():
    with pytest.raises(ValueError):
        load.run_load(sessions=[load.MAX_SESSIONS + 1])
    with pytest.raises(SystemExit):
        load.main(["--sessions", "0"])
