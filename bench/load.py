"""Load test at the protocol level: simulated users speak Streamlit's own websocket protocol to the dashboard.

    python -m bench.load [--sessions 1 10 30 100] [--rounds 1] [--top-rounds 3] [--duration-s 120] [--think-s 5]
                         [--arrival-s 30] [--store real|demo] [--processes 1 2] [--json PATH] [--smoke]

--processes 1 2: each round runs on one server and on two servers behind HAProxy (`python -m sbp.web --processes 2`),
in alternating order, both started before the first round; a session then carries the proxy's cookie as a browser
does, and one that is answered by two servers is an error.

No browser runs: each simulated session does what a browser tab does on the wire. It fetches the page's HTML
(`GET /<page>?<query>`), opens `/_stcore/stream`, sends a `BackMsg.rerun_script` with the page name, query string
and widget states, and reads `ForwardMsg`s until `script_finished`. It keeps the widgets the server drew (ids,
options, current values) so later reruns carry every widget's state, as the frontend does. Workload per session:
open a priority page, then, after a think time drawn uniformly from 0.5 to 1.5 times `think_s` (2.5-7.5 s for 5 s),
switch to another page (half the actions), change one of the current page's own controls (42%: a selectbox or radio
set to another option) or change the sidebar's comparator (8%), for `duration_s` (2 minutes); sessions arrive one
in each of N equal slots of `arrival_s` (30 s), at a random moment of it. The "partnership" workload (default)
keeps the focus borough and period the session opened with, as a partnership's own users do; "random" changes
those too, so nearly every view is a cache miss.

Measured per N: views a second, time from sending a rerun to its `script_finished` (p50/p95/p99), errors (exception
elements, "page not found", compile errors, closed sockets, timeouts, a session moved between servers), the CPU
and memory of the whole server tree (every server, HAProxy and the supervisor) sampled from /proc, CPU per view,
memory per session (peak minus idle, over N), and memory after the sessions close *and* Streamlit's 120 s expiry
of disconnected sessions has passed (`server.disconnectedSessionTTL`), round after round. The generator runs on
the same 2 cores, so its own CPU is reported too.

Depends on Streamlit's internal protocol (BackMsg/ForwardMsg), checked against PROTOCOL_TESTED; requirements pin
streamlit to that minor range. Loopback only; every count and wait is bounded (MAX_SESSIONS, MAX_TOTAL_S).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.server import REPO, Sampler, Server, build_store, loadavg, percentile, rounded, tree_usage
from sbp.web import OVERVIEW_LINKS

PROTOCOL_TESTED = "1.67"
MAX_SESSIONS = 150
MAX_PROCESSES = 4
MAX_ROUNDS = 5
MAX_TOTAL_S = 60 * 60
SESSION_TTL_S = 120  # Streamlit's default server.disconnectedSessionTTL
START_PAGE = "safer-neighbourhoods"
SHARED = Path(os.environ.get("SBP_SHARED_DATA", REPO.parent / "shared" / "data"))
REAL_FILES = [SHARED / "mps" / "mps_borough_level_crime_2021-12_to_2023-11.csv",
              SHARED / "mps" / "mps_ward_level_crime_2021-12_to_2023-11.csv",
              SHARED / "population" / "census2021_london_boroughs.csv"]
# Widgets a user changes while reading a page; the toggle (presenter mode) and admin inputs are left alone.
CHANGEABLE = ("selectbox", "radio")
# "partnership": the partnership's own users keep the focus borough and period the sidebar opened with and change
# what they look at (measure, view, comparator); "random": any control, focus borough and period included.
GLOBAL_CONTROLS = ("Focus borough", "Period ending")
COMPARATOR = "Compare with"  # the sidebar radio drawn on every page
WORKLOADS = ("partnership", "random")
# What a user does next, by share: move to another page, change a control of the page in front of them, or change
# the sidebar's comparator. An estimate (no usage logs exist): a board reader mostly moves between pages and the
# pages' own controls; picking one control among all drawn made the comparator, drawn on every page, 35% of views.
ACTION_MIX = (("page", 0.5), ("control", 0.42), ("comparator", 0.08))


@dataclass
class Widget:
    """One widget as the server drew it, with the value this session holds for it."""

    id: str
    kind: str
    label: str
    options: list[str]
    value: object
    value_type: str


@dataclass
class Run:
    """What one script run sent back."""

    elapsed_s: float
    status: str
    first_message_s: float | None = None  # from the request to the server's first reply (its queueing, not the run)
    page_hash: str = ""
    errors: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    widgets: dict[str, Widget] = field(default_factory=dict)


def _widget(element) -> Widget | None:
    """The widget an Element proto draws, with its current value, or None for a non-widget."""
    kind = element.WhichOneof("type")
    w = getattr(element, kind) if kind else None
    if kind == "selectbox" and not w.form_id:
        value = w.raw_value if w.HasField("raw_value") else (w.options[w.default] if w.HasField("default") and w.options else None)
        return Widget(w.id, kind, w.label, list(w.options), value, "string_value")
    if kind == "radio" and not w.form_id:
        value = w.raw_value if w.HasField("raw_value") else (w.options[w.default] if w.HasField("default") and w.options else None)
        return Widget(w.id, kind, w.label, list(w.options), value, "string_value")
    if kind == "checkbox" and not w.form_id:
        return Widget(w.id, kind, w.label, [], w.value if w.set_value else w.default, "bool_value")
    if kind == "slider" and not w.form_id and w.type == w.SELECT_SLIDER:  # options by their formatted labels
        value = list(w.raw_value) if w.set_value else [w.options[int(i)] for i in w.default]
        return Widget(w.id, "select_slider", w.label, list(w.options), value, "string_array_value")
    if kind == "slider" and not w.form_id:
        return Widget(w.id, kind, w.label, list(w.options), list(w.value if w.set_value else w.default), "double_array_value")
    if kind == "multiselect" and not w.form_id:
        return Widget(w.id, kind, w.label, list(w.options), list(w.raw_values) if w.set_value else [w.options[i] for i in w.default],
                      "string_array_value")
    if kind == "button_group" and not w.form_id:
        values = list(w.raw_values) if w.set_value else [w.options[i].content for i in w.default]
        return Widget(w.id, kind, w.label, [o.content for o in w.options], values, "string_array_value")
    return None


def _text(element) -> str | None:
    """The readable text of a non-widget element, for comparing with what a browser shows."""
    kind = element.WhichOneof("type")
    if kind in ("markdown", "heading", "alert"):
        return getattr(element, kind).body
    if kind == "metric":
        return f"{element.metric.label} {element.metric.body}"
    return None


class ProtocolSession:
    """One simulated browser tab on the server at `url`."""

    def __init__(self, url: str, timeout_s: float = 60, workload: str = "random"):
        self.url, self.timeout_s, self.workload = url, timeout_s, workload
        self.ws = None
        self.cookies: dict[str, str] = {}  # kept and sent back as a browser does (the proxy's server cookie)
        self.served_by: list[str] = []  # the proxy's X-Served-By of every request and of the websocket handshake
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self.query = ""
        self.widgets: dict[str, Widget] = {}

    async def open(self, page: str, query: str = "") -> Run:
        """Fetch the page as a browser does, open the websocket and run the page's script once."""
        self._remember(await asyncio.to_thread(_get, f"{self.url}/{page}" + (f"?{query}" if query else ""),
                                               self.timeout_s, self.cookies))
        self._remember(await asyncio.to_thread(_get, f"{self.url}/_stcore/host-config", self.timeout_s, self.cookies))
        await self.connect()
        self.query = query
        return await self.rerun(page_name=page)

    async def connect(self) -> None:
        """Open the session's websocket (again), with the cookies a browser would send."""
        from websockets.asyncio.client import connect
        from websockets.typing import Subprotocol

        host = self.url.removeprefix("http://")
        headers = {"Cookie": _cookie_header(self.cookies)} if self.cookies else None
        self.ws = await asyncio.wait_for(connect(f"ws://{host}/_stcore/stream", subprotocols=[Subprotocol("streamlit")],
                                                 additional_headers=headers, max_size=None, compression=None,
                                                 open_timeout=self.timeout_s),
                                         self.timeout_s)
        self._remember(self.ws.response.headers)

    def _remember(self, headers) -> None:
        for value in headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0].strip()
        if server := headers.get("X-Served-By"):
            self.served_by.append(server)

    async def rerun(self, page_name: str = "", page_hash: str | None = None, change: tuple[str, object] | None = None) -> Run:
        """Send one rerun (a page, or the current page with one widget changed) and read until the script finishes."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if change is not None:
            self.widgets[change[0]].value = change[1]
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_name = page_name
        state.page_script_hash = self.page_hash if page_hash is None else page_hash
        for w in self.widgets.values():
            if w.value is None:
                continue
            ws = state.widget_states.widgets.add()
            ws.id = w.id
            if w.value_type == "string_value":
                ws.string_value = str(w.value)
            elif w.value_type == "bool_value":
                ws.bool_value = bool(w.value)
            elif w.value_type == "double_array_value":
                ws.double_array_value.data.extend(float(v) for v in w.value)
            else:
                ws.string_array_value.data.extend(str(v) for v in w.value)
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = await asyncio.wait_for(self._read_until_finished(start), self.timeout_s)
        run.elapsed_s = time.perf_counter() - start
        self.widgets = run.widgets
        self.page_hash = run.page_hash or self.page_hash
        return run

    async def _read_until_finished(self, start: float) -> Run:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        run = Run(0.0, "running")
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            if run.first_message_s is None:
                run.first_message_s = time.perf_counter() - start
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                run.page_hash = msg.new_session.page_script_hash
            elif kind == "navigation":  # the last one of a run is the app's st.navigation; replace, never merge
                run.page_hash = msg.navigation.page_script_hash or run.page_hash
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                run.errors.append(f"page not found: {msg.page_not_found.page_name}")
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                if element.WhichOneof("type") == "exception":
                    run.errors.append(f"exception: {element.exception.type}: {element.exception.message[:200]}")
                elif (w := _widget(element)) is not None:
                    run.widgets[w.id] = w
                elif (text := _text(element)) is not None:
                    run.texts.append(text)
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue
                run.status = status
                if status == "FINISHED_WITH_COMPILE_ERROR":
                    run.errors.append("compile error")
                return run

    def choose(self, rng: random.Random) -> tuple[str, dict]:
        """A next action, drawn by ACTION_MIX: another page, one of this page's controls, or the comparator.

        An action the page cannot offer (no control of its own) falls to the next one that it can.
        """
        changeable = [w for w in self.widgets.values() if w.kind in CHANGEABLE and len(w.options) > 1 and w.value is not None
                      and not (self.workload == "partnership" and w.label in GLOBAL_CONTROLS)]
        # Every page by its own address ("" is the Overview), not the aliases that hand over to "/" (a second run).
        offered = {"page": [path for path, h in self.pages.items() if h != self.page_hash and path not in OVERVIEW_LINKS],
                   "control": [w for w in changeable if w.label != COMPARATOR],
                   "comparator": [w for w in changeable if w.label == COMPARATOR]}
        draw, kind = rng.random(), ACTION_MIX[-1][0]
        for name, share in ACTION_MIX:
            if draw < share:
                kind = name
                break
            draw -= share
        if not offered[kind]:
            kind = next(name for name, _ in ACTION_MIX if offered[name])
        if kind == "page":
            path = rng.choice(offered["page"])
            return f"page:{path}", {"page_hash": self.pages[path]}
        w = rng.choice(offered[kind])
        return f"{kind}:{w.label}", {"change": (w.id, rng.choice([o for o in w.options if o != w.value]))}

    async def close(self) -> None:
        """Close the websocket as a closing tab does."""
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 10)


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _get(url: str, timeout_s: float, cookies: dict[str, str] | None = None):
    """GET url with these cookies; the response's headers."""
    request = urllib.request.Request(url, headers={"Cookie": _cookie_header(cookies)} if cookies else {})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        response.read()
        return response.headers


def think_time(rng: random.Random, mean_s: float) -> float:
    """A pause between two actions: uniform from half to one and a half times the mean (2.5-7.5 s for 5 s).

    A fixed pause kept 100 sessions in lockstep: every session's action fell in the same second, then none.
    """
    return rng.uniform(0.5 * mean_s, 1.5 * mean_s)


async def _user(url: str, index: int, delay_s: float, duration_s: float, think_s: float, rng: random.Random,
                views: list, errors: list, timeout_s: float, workload: str, servers: dict | None = None) -> None:
    """One simulated user: arrive after delay_s, open the start page, then act after each think time for duration_s."""
    await asyncio.sleep(delay_s)
    session = ProtocolSession(url, timeout_s, workload)
    action = f"open:{START_PAGE}"
    try:
        run = await session.open(START_PAGE)
        end = time.monotonic() + duration_s
        while True:
            views.append({"session": index, "action": action, "s": run.elapsed_s, "first_s": run.first_message_s})
            errors.extend({"session": index, "action": action, "detail": e} for e in run.errors)
            pause = think_time(rng, think_s)
            if time.monotonic() + pause > end:
                break
            await asyncio.sleep(pause)
            action, kwargs = session.choose(rng)
            run = await session.rerun(**kwargs)
    except TimeoutError:
        errors.append({"session": index, "action": action, "detail": f"no script_finished within {timeout_s:.0f} s"})
    except Exception as exc:  # noqa: BLE001 - a failed session is counted as an error, never raised
        errors.append({"session": index, "action": action, "detail": f"{type(exc).__name__}: {str(exc)[:200]}"})
    finally:
        await session.close()
        if servers is not None and session.served_by:
            servers[index] = sorted(set(session.served_by))
            if len(servers[index]) > 1:  # behind the proxy a session must stay on one server
                errors.append({"session": index, "action": "affinity", "detail": f"served by {servers[index]}"})


def _generator_cpu_s() -> float:
    usage = os.times()
    return usage.user + usage.system


async def _round(server: Server, n: int, duration_s: float, think_s: float, arrival_s: float, seed: int,
                 timeout_s: float, expiry_wait_s: float, idle_rss: float, workload: str, others: list[int]) -> dict:
    views: list[dict] = []
    errors: list[dict] = []
    servers: dict[int, list[str]] = {}
    rng = random.Random(seed)
    sampler = Sampler(server.pid, others=others)
    sampler.start()
    cpu0, start = _generator_cpu_s(), time.monotonic()
    # Arrivals spread over arrival_s: one in each of n equal slots, at a random moment of it.
    tasks = [asyncio.create_task(_user(server.url, i, arrival_s * (i + rng.random()) / n, duration_s, think_s,
                                       random.Random(rng.random()), views, errors, timeout_s, workload, servers))
             for i in range(n)]
    _, pending = await asyncio.wait(tasks, timeout=arrival_s + duration_s + 2 * timeout_s)
    for task in pending:
        task.cancel()
    if pending:
        errors.append({"session": None, "action": "round", "detail": f"{len(pending)} sessions cut off"})
        await asyncio.wait(pending, timeout=30)
    wall = time.monotonic() - start
    generator_cpu = _generator_cpu_s() - cpu0
    during = sampler.stop()
    await asyncio.sleep(expiry_wait_s)  # closed sessions are kept for the TTL, then dropped
    after_rss, _ = tree_usage(server.pid)
    times = [v["s"] for v in views]
    firsts = [v["first_s"] for v in views if v["first_s"] is not None]
    by_kind = {}
    for kind in ("open", "page", "control", "comparator"):
        t = [v["s"] for v in views if v["action"].startswith(kind)]
        by_kind[kind] = {"n": len(t), "p50_s": rounded(percentile(t, 0.5)), "p95_s": rounded(percentile(t, 0.95))}
    per_server: dict[str, int] = {}
    for names in servers.values():
        for name in names:
            per_server[name] = per_server.get(name, 0) + 1
    return {
        "n": n, "processes": server.processes, "views": len(times), "views_per_s": round(len(times) / wall, 2),
        "errors": len(errors),
        "p50_s": rounded(percentile(times, 0.5)), "p95_s": rounded(percentile(times, 0.95)),
        "p99_s": rounded(percentile(times, 0.99)), "max_s": rounded(max(times) if times else None), "by_kind": by_kind,
        "first_message_p50_s": rounded(percentile(firsts, 0.5)), "first_message_p95_s": rounded(percentile(firsts, 0.95)),
        "wall_s": round(wall, 1), **during,
        "cpu_s_per_view": round(during["cpu_s"] / len(times), 4) if times else None,
        "rss_mb_per_session": round((during["rss_mb_peak"] - idle_rss) / n, 2),
        "sessions_per_server": dict(sorted(per_server.items())),
        "generator_cpu_s": round(generator_cpu, 1), "generator_cpu_pct": round(generator_cpu / wall * 100, 1),
        "rss_mb_after_expiry": round(after_rss, 1), "expiry_wait_s": expiry_wait_s,
        "error_samples": errors[:10],
    }


def real_store(db: Path) -> list[str]:
    """Load the shared real extracts into a store at db; the names of the files loaded."""
    from sbp.ingest import ingest

    files = [p for p in REAL_FILES if p.exists()]
    if not files:
        raise RuntimeError(f"no real extracts under {SHARED} (set SBP_SHARED_DATA, or use --store demo)")
    ingest(files, db, fresh=True)
    return [p.name for p in files]


def run_load(sessions: list[int] = (1, 10, 30, 100), rounds: int = 1, top_rounds: int = 3, duration_s: float = 120,
             think_s: float = 5, arrival_s: float = 30, store: str = "real", timeout_s: float = 60,
             expiry_wait_s: float = SESSION_TTL_S + 15, budget_s: float = MAX_TOTAL_S, seed: int = 1,
             demo_years: int | None = None, workload: str = "partnership", processes: list[int] = (1,),
             emit: Callable[[dict], None] | None = None) -> dict:
    """Run every (N, round), the largest N `top_rounds` times, on each server arrangement; return rows and a summary.

    processes: the arrangements compared, each started once and kept for the whole run: 1 is one `python -m sbp.web`
    server, k > 1 is k servers behind HAProxy (`--processes k`). Each round runs on every arrangement in turn, the
    order alternating from round to round, so a pair shares the machine's state. Stops every server.
    """
    import streamlit

    from bench import machine

    sessions = [int(n) for n in sessions]
    processes = list(dict.fromkeys(int(p) for p in processes))
    if not sessions or any(n < 1 or n > MAX_SESSIONS for n in sessions):
        raise ValueError(f"sessions must be between 1 and {MAX_SESSIONS}")
    if not processes or any(not 1 <= p <= MAX_PROCESSES for p in processes):
        raise ValueError(f"processes must be between 1 and {MAX_PROCESSES}")
    if workload not in WORKLOADS:
        raise ValueError(f"workload must be one of {WORKLOADS}")
    if not 1 <= rounds <= MAX_ROUNDS or not 1 <= top_rounds <= MAX_ROUNDS:
        raise ValueError(f"rounds must be between 1 and {MAX_ROUNDS}")
    emit = emit or (lambda row: print(json.dumps(row), flush=True))
    deadline = time.monotonic() + min(budget_s, MAX_TOTAL_S)
    top = max(sessions)
    plan = [(n, r, p) for n in sessions for r in range(1, (top_rounds if n == top else rounds) + 1)
            for p in (processes if r % 2 else processes[::-1])]
    info = {"machine": machine(), "loadavg": loadavg(), "streamlit": streamlit.__version__,
            "protocol_tested": PROTOCOL_TESTED, "plan": plan, "duration_s": duration_s, "think_s": think_s,
            "arrival_s": arrival_s, "store": store, "workload": workload, "action_mix": dict(ACTION_MIX)}
    emit(info)
    rows: list[dict] = []
    idle: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="sbp-protoload-") as tmp:
        db = Path(tmp) / "sbp.duckdb"
        info["files"] = real_store(db) if store == "real" else build_store(db, demo_years)
        servers = {p: Server(db, Path(tmp) / f"server-{p}.log", processes=p) for p in processes}
        try:
            for p, server in servers.items():
                server.wait_ready(120)
                # Unmeasured views so imports and caches are warm, one session per server (HAProxy spreads them).
                asyncio.run(_warm(server.url, timeout_s, sessions=p))
                idle[p] = tree_usage(server.pid)[0]
                emit({"processes": p, "server_pid": server.pid, "url": server.url, "rss_mb_idle": round(idle[p], 1)})
            for n, r, p in plan:
                if deadline - time.monotonic() < arrival_s + duration_s + expiry_wait_s + 30:
                    rows.append({"n": n, "round": r, "processes": p, "skipped": "time budget spent"})
                    emit(rows[-1])
                    continue
                others = [s.pid for q, s in servers.items() if q != p]
                row = {"round": r, "loadavg_before": loadavg(),
                       **asyncio.run(_round(servers[p], n, duration_s, think_s, arrival_s, seed + 1000 * n + r, timeout_s,
                                            expiry_wait_s, idle[p], workload, others))}
                rows.append(row)
                emit(row)
        finally:
            server_errors = {p: s.log_errors() for p, s in servers.items()}
            gone = all([s.stop() for s in servers.values()])
    measured = [r for r in rows if "skipped" not in r]
    summary = {"summary": True, "machine": info["machine"], "rss_mb_idle": {p: round(v, 1) for p, v in idle.items()},
               "top_n": top, "server_log_errors": {p: e[:20] for p, e in server_errors.items()}, "server_gone": gone}
    # One line per round, the figures the target names, for reading pairs side by side.
    summary["table"] = [{k: r[k] for k in ("n", "round", "processes", "loadavg_before", "views", "views_per_s", "errors",
                                           "p50_s", "p95_s", "p99_s", "cpu_s_per_view", "cpu_pct_mean", "rss_mb_peak",
                                           "sessions_per_server")} for r in measured]
    for p in processes:
        after = [r["rss_mb_after_expiry"] for r in measured if r["n"] == top and r["processes"] == p]
        summary[f"processes_{p}"] = {"top_rss_mb_after_expiry_per_round": after,
                                     "top_growth_mb_first_to_last": round(after[-1] - after[0], 1) if len(after) > 1 else None}
    emit(summary)
    return {"info": info, "rounds": rows, "summary": summary}


async def _warm(url: str, timeout_s: float, sessions: int = 1) -> None:
    """Open the start page in `sessions` sessions at once, then close them."""
    opened = [ProtocolSession(url, timeout_s) for _ in range(sessions)]
    try:
        await asyncio.gather(*(s.open(START_PAGE) for s in opened))
    finally:
        await asyncio.gather(*(s.close() for s in opened))


def view_texts(url: str, page: str, query: str = "", timeout_s: float = 60) -> Run:
    """One protocol session's first run of page (for comparing with what a browser shows)."""

    async def one() -> Run:
        session = ProtocolSession(url, timeout_s)
        try:
            return await session.open(page, query)
        finally:
            await session.close()

    return asyncio.run(one())


def plain(markdown: str) -> str:
    """Markdown or HTML body text reduced to the words a browser shows (tags, emphasis and escapes removed)."""
    text = re.sub(r"<style.*?</style>", " ", markdown, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r":material/[a-z_]+:", " ", text)
    text = re.sub(r"\\(.)", r"\1", text)
    text = re.sub(r"[*`]+|^#+ |^> ", " ", text, flags=re.M)
    return re.sub(r"\s+", " ", text).strip()


def smoke() -> int:
    """Every step of a run in seconds (exit 1 on any error or a server left running); its figures are not benchmarks."""
    from sbp.errors import ServeError
    from sbp.web.processes import haproxy_binary

    try:
        haproxy_binary()
        processes = [1, 2]
    except ServeError as exc:
        print(json.dumps({"skipped": "processes 2", "reason": str(exc)}), flush=True)
        processes = [1]
    result = run_load(sessions=[2], top_rounds=1, duration_s=3, think_s=0.5, arrival_s=0.5, store="demo", demo_years=2,
                      expiry_wait_s=0.5, budget_s=300, processes=processes)
    failed = [r for r in result["rounds"] if r.get("errors") or "skipped" in r]
    return 1 if failed or not result["summary"]["server_gone"] else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 30, 100])
    ap.add_argument("--rounds", type=int, default=1, help="rounds for each N below the largest")
    ap.add_argument("--top-rounds", type=int, default=3, help="rounds for the largest N (memory growth across rounds)")
    ap.add_argument("--duration-s", type=float, default=120, help="how long each session keeps acting")
    ap.add_argument("--think-s", type=float, default=5, help="pause between a session's actions")
    ap.add_argument("--arrival-s", type=float, default=30, help="sessions arrive evenly over this many seconds")
    ap.add_argument("--expiry-wait-s", type=float, default=SESSION_TTL_S + 15,
                    help="wait after a round before measuring memory (Streamlit drops closed sessions after 120 s)")
    ap.add_argument("--workload", choices=WORKLOADS, default="partnership",
                    help="partnership: focus borough and period stay as opened; random: any control changes")
    ap.add_argument("--store", choices=["real", "demo"], default="real", help="the shared real extracts, or the demo")
    ap.add_argument("--budget-s", type=float, default=MAX_TOTAL_S, help=f"overall time budget (at most {MAX_TOTAL_S} s)")
    ap.add_argument("--processes", type=int, nargs="+", default=[1],
                    help="server arrangements, paired round by round: 1 = one server, k = k servers behind HAProxy")
    ap.add_argument("--json", type=Path, help="also write all results to this file")
    ap.add_argument("--smoke", action="store_true",
                    help="seconds: 2 sessions for 3 s on a 2-year demo store, one server and two behind HAProxy (if "
                         "installed); fails on any error (also SBP_BENCH_SMOKE=1); its figures are not benchmarks")
    args = ap.parse_args(argv)
    if args.smoke or os.environ.get("SBP_BENCH_SMOKE") == "1":
        return smoke()
    if any(not 1 <= n <= MAX_SESSIONS for n in args.sessions):
        ap.error(f"--sessions must each be between 1 and {MAX_SESSIONS}")
    if not 0 < args.budget_s <= MAX_TOTAL_S:
        ap.error(f"--budget-s must be in (0, {MAX_TOTAL_S}]")
    timer = threading.Timer(args.budget_s + 300, lambda: os._exit(3))  # last resort if a wait outlives its timeout
    timer.daemon = True
    timer.start()
    result = run_load(args.sessions, args.rounds, args.top_rounds, args.duration_s, args.think_s, args.arrival_s,
                      args.store, expiry_wait_s=args.expiry_wait_s, budget_s=args.budget_s, workload=args.workload,
                      processes=args.processes)
    timer.cancel()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["summary"]["server_gone"] else 1


if __name__ == "__main__":
    sys.exit(main())
