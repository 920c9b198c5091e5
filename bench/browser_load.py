"""Load test: N concurrent real browser sessions against one `streamlit run` server on 127.0.0.1.

    python -m bench.browser_load [--sessions 1 3] [--rounds 3] [--timeout-s 600] [--json PATH]

Builds a synthetic demo store in a temporary folder, starts the dashboard on a free loopback port, launches one
headless Chromium (Playwright, async API) and, for every N and round, opens N browser contexts at once. Each
session visits the same chart pages: Safer Neighbourhoods (a fresh page load, so a new Streamlit session), then
Rankings, Explore and VAWG through the sidebar links (in-app navigation in the same session), and changes the
Rankings "Measure" selectbox once.

Per page visit it times navigation start (page.goto or the sidebar click) to the first chart of the new page
drawn and visible (a non-stale `[data-testid=stVegaLiteChart]` canvas or svg under the page's own title).
Times are reported for all visits and split by kind: "load" (a fresh context with an empty browser cache, so it
includes fetching and parsing Streamlit's JavaScript and the lazily loaded Vega chunks, plus a new server session)
and "nav" (a sidebar click in a live session); `title_p50_s` is the time to the page's h1, before the chart.
Errors are `[data-testid=stException]` elements, modal dialogs (e.g. "Page not found"), uncaught page errors,
a lost websocket connection and timeouts. While a round runs, the server process and its children are sampled
from /proc (VmRSS, utime+stime; `cpu_pct_*` are of one core, so 2 cores = 200%); memory is sampled again a few
seconds after all the round's sessions close. Streamlit keeps a closed session's state for
server.disconnectedSessionTTL (120 s by default; see --session-ttl), so "after close" still holds recent sessions.

Prints one JSON line for the machine, one per (N, round) and a final summary; kills the server and removes the
temporary folder. Hard caps: at most 3 sessions (the server itself is load-tested by bench.load), 10 rounds and 15 minutes in all; every wait has a timeout.

Caveat: the browsers run on the same machine as the server, so at large N they compete for the same cores and
the times include the client's own rendering delay; `client_cpu_s` (Chromium + Playwright) shows how much.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.server import Sampler, Server, build_store, loadavg, percentile, rounded, tree_usage

REPO = Path(__file__).resolve().parent.parent
MAX_SESSIONS = 3  # the server's own load is measured by bench/load.py, without browsers
MAX_ROUNDS = 10
MAX_TOTAL_S = 15 * 60
GOAL_P95_S = 5.0
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1400, "height": 1000}
# (url path, page title, how the session gets there): the first visit is a page load, the rest are sidebar clicks.
SEQUENCE = [("safer-neighbourhoods", "Safer Neighbourhoods"), ("rankings", "Rankings"), ("explore", "Explore"),
            ("vawg", "Violence Against Women and Girls")]
CONTROL = {"page": "rankings", "label": "Measure", "option": "Total burglary", "url_has": "measure=burglary"}

# True once the page titled `title` shows a chart drawn by this run (not a stale one left from the last run).
FIRST_CHART_JS = """(title) => {
  const h = document.querySelector('[data-testid=stMain] h1');
  if (!h || h.innerText.trim() !== title) return false;
  for (const el of document.querySelectorAll('[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg')) {
    const box = el.closest('[data-testid=stElementContainer]');
    if (box && box.getAttribute('data-stale') === 'true') continue;
    const r = el.getBoundingClientRect();
    if (r.width > 20 && r.height > 20 && getComputedStyle(el).visibility !== 'hidden') return true;
  }
  return false;
}"""
TITLE_JS = """(title) => document.querySelector('[data-testid=stMain] h1')?.innerText.trim() === title"""
# True once the script run has finished and nothing is left stale or still loading.
SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  return !document.querySelector('[data-testid=stStatusWidget], [data-testid=stSkeleton], '
                                 + '[data-testid=stElementContainer][data-stale=true]');
}"""
PAGE_PROBLEMS_JS = """() => ({
  exceptions: [...document.querySelectorAll('[data-testid=stException]')].map(e => e.innerText.slice(0, 300)),
  dialogs: [...document.querySelectorAll('[role=dialog]')].filter(d => d.getBoundingClientRect().height > 0)
             .map(d => d.innerText.replace(/\\s+/g, ' ').slice(0, 300)),
  connection: document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-connection-state') || 'none',
})"""


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


# --- the browser sessions ------------------------------------------------------------------------





async def _session(browser, url: str, index: int, visits: list, errors: list, timeout_s: float, think_s: float) -> None:
    """One user: load the first page, follow the sidebar to the others, change the Rankings measure once."""
    from playwright.async_api import Error as PlaywrightError

    timeout_ms = timeout_s * 1000
    context = None
    where = "context"
    try:
        context = await browser.new_context(viewport=VIEWPORT)
        page = await context.new_page()
        page.set_default_timeout(timeout_ms)
        page.on("pageerror", lambda exc: errors.append({"session": index, "kind": "pageerror", "where": where,
                                                        "detail": str(exc)[:300]}))

        async def check(stage: str) -> None:
            """Wait for the run to finish, then record exceptions, dialogs (closed with Escape) and a lost connection."""
            await page.wait_for_function(SETTLED_JS, polling=100, timeout=timeout_ms)
            found = await page.evaluate(PAGE_PROBLEMS_JS)
            for text in found["exceptions"]:
                errors.append({"session": index, "kind": "exception", "where": stage, "detail": text})
            for text in found["dialogs"]:
                errors.append({"session": index, "kind": "dialog", "where": stage, "detail": text})
                await page.keyboard.press("Escape")
            if found["connection"] != "CONNECTED":
                errors.append({"session": index, "kind": "connection", "where": stage, "detail": found["connection"]})

        for step, (path, title) in enumerate(SEQUENCE):
            where = path
            start = time.perf_counter()
            if step == 0:
                await page.goto(f"{url}/{path}", wait_until="commit", timeout=timeout_ms)
            else:
                await page.locator(f"[data-testid=stSidebarNav] a[href$='/{path}']").click(timeout=timeout_ms)
            await page.wait_for_function(TITLE_JS, arg=title, polling=50, timeout=timeout_ms)
            heading = time.perf_counter() - start
            await page.wait_for_function(FIRST_CHART_JS, arg=title, polling=50, timeout=timeout_ms)
            first = time.perf_counter() - start
            await check(path)
            visits.append({"session": index, "page": path, "how": "load" if step == 0 else "nav", "title_s": heading,
                           "first_chart_s": first, "settled_s": time.perf_counter() - start})
            await asyncio.sleep(think_s)
            if path == CONTROL["page"]:
                where = f"{path}:{CONTROL['label']}"
                box = page.locator("[data-testid=stMain] [data-testid=stSelectbox]").filter(has_text=CONTROL["label"]).first
                await box.click(timeout=timeout_ms)
                await page.keyboard.type(CONTROL["option"])
                start = time.perf_counter()
                await page.get_by_role("option", name=CONTROL["option"], exact=True).first.click(timeout=timeout_ms)
                await page.wait_for_function(f"() => location.search.includes({json.dumps(CONTROL['url_has'])})",
                                             polling=50, timeout=timeout_ms)
                await page.wait_for_function(FIRST_CHART_JS, arg=title, polling=50, timeout=timeout_ms)
                await check(where)
                visits.append({"session": index, "page": path, "how": "control", "first_chart_s": None,
                               "settled_s": time.perf_counter() - start})
                await asyncio.sleep(think_s)
    except PlaywrightError as exc:  # includes playwright's TimeoutError; the session stops here
        kind = "timeout" if "Timeout" in type(exc).__name__ or "Timeout" in str(exc)[:200] else "playwright"
        errors.append({"session": index, "kind": kind, "where": where, "detail": str(exc).splitlines()[0][:300]})
    except Exception as exc:  # noqa: BLE001 - anything else is counted as an error of this session, not raised
        errors.append({"session": index, "kind": type(exc).__name__, "where": where, "detail": str(exc)[:300]})
    finally:
        if context is not None:
            with contextlib.suppress(Exception):  # closing is best effort; the browser goes at the end anyway
                await asyncio.wait_for(context.close(), 30)


async def _round(browser, server: Server, n: int, timeout_s: float, think_s: float, settle_s: float,
                 budget_s: float) -> dict:
    """N sessions at once; times, errors and the server's resources while they run and after they close."""
    visits: list[dict] = []
    errors: list[dict] = []
    sampler = Sampler(server.pid)
    sampler.start()
    start = time.monotonic()
    tasks = [asyncio.create_task(_session(browser, server.url, i, visits, errors, timeout_s, think_s)) for i in range(n)]
    _, pending = await asyncio.wait(tasks, timeout=max(budget_s, 1))
    for task in pending:
        task.cancel()
    if pending:
        errors.append({"session": None, "kind": "timeout", "where": "round",
                       "detail": f"{len(pending)} sessions cut off by the time budget"})
        await asyncio.wait(pending, timeout=30)
    wall = time.monotonic() - start
    during = sampler.stop()
    await asyncio.sleep(settle_s)  # all contexts are closed by now: let the server drop its websockets
    after_rss, _ = tree_usage(server.pid)

    page_times = [v["first_chart_s"] for v in visits if v["first_chart_s"] is not None]
    control = [v["settled_s"] for v in visits if v["how"] == "control"]
    per_page = {}
    for path, _ in SEQUENCE:
        times = [v["first_chart_s"] for v in visits if v["page"] == path and v["first_chart_s"] is not None]
        per_page[path] = {"n": len(times), "p50_s": rounded(percentile(times, 0.5)), "p95_s": rounded(percentile(times, 0.95)),
                          "max_s": rounded(max(times) if times else None)}
    by_how = {}
    for how in ("load", "nav"):
        times = [v["first_chart_s"] for v in visits if v["how"] == how]
        titles = [v["title_s"] for v in visits if v["how"] == how]
        by_how[how] = {"n": len(times), "p50_s": rounded(percentile(times, 0.5)), "p95_s": rounded(percentile(times, 0.95)),
                       "title_p50_s": rounded(percentile(titles, 0.5))}
    expected = n * len(SEQUENCE)
    return {
        "n": n, "visits": len(page_times), "visits_expected": expected, "errors": len(errors),
        "p50_s": rounded(percentile(page_times, 0.5)), "p95_s": rounded(percentile(page_times, 0.95)),
        "max_s": rounded(max(page_times) if page_times else None),
        "control_p50_s": rounded(percentile(control, 0.5)), "control_p95_s": rounded(percentile(control, 0.95)),
        "by_how": by_how, "per_page": per_page, "wall_s": round(wall, 2), **during, "rss_mb_after_close": round(after_rss, 1),
        "error_samples": errors[:10], "_page_times": page_times,
        "_how_times": {how: [v["first_chart_s"] for v in visits if v["how"] == how] for how in ("load", "nav")},
    }




async def _run(server: Server, chromium: str, sessions: list[int], rounds: int, deadline: float, warmup: bool,
               visit_timeout_s: float, think_s: float, settle_s: float, emit: Callable[[dict], None]) -> list[dict]:
    from playwright.async_api import async_playwright

    results = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            plan = ([(1, 0)] if warmup else []) + [(n, r) for n in sessions for r in range(1, rounds + 1)]
            for n, r in plan:
                remaining = deadline - time.monotonic()
                if remaining < 30:
                    row = {"n": n, "round": r, "skipped": "time budget spent"}
                    emit(row)
                    results.append(row)
                    continue
                load = loadavg()
                row = await _round(browser, server, n, min(visit_timeout_s, remaining), think_s, settle_s, remaining - 20)
                row = {"n": n, "round": r, "warmup": r == 0, "loadavg_before": load, **row}
                emit({k: v for k, v in row.items() if not k.startswith("_")})
                results.append(row)
        finally:
            await asyncio.wait_for(browser.close(), 60)
    return results


def _summary(results: list[dict], sessions: list[int], server_errors: list[str]) -> dict:
    by_n = {}
    for n in sessions:
        rows = [r for r in results if r.get("n") == n and not r.get("warmup") and "skipped" not in r]
        if not rows:
            by_n[str(n)] = {"rounds": 0}
            continue
        times = [t for r in rows for t in r["_page_times"]]
        after = [r["rss_mb_after_close"] for r in rows]
        by_n[str(n)] = {
            "rounds": len(rows), "visits": len(times), "errors": sum(r["errors"] for r in rows),
            "p50_s": rounded(percentile(times, 0.5)), "p95_s": rounded(percentile(times, 0.95)), "max_s": rounded(max(times) if times else None),
            **{f"{how}_p{q}_s": rounded(percentile([t for r in rows for t in r["_how_times"][how]], q / 100))
               for how in ("load", "nav") for q in (50, 95)},
            "rss_mb_peak": max(r["rss_mb_peak"] for r in rows), "cpu_pct_mean": max(r["cpu_pct_mean"] for r in rows),
            "cpu_s_per_round": [r["cpu_s"] for r in rows], "rss_mb_after_close_per_round": after,
            "rss_growth_mb_first_to_last_round": round(after[-1] - after[0], 1) if len(after) > 1 else None,
        }
    measured = [r for r in results if not r.get("warmup") and "skipped" not in r]
    after_all = [r["rss_mb_after_close"] for r in measured]
    top = max((n for n in sessions if by_n[str(n)].get("rounds")), default=None)
    goal = None
    if top is not None:
        s = by_n[str(top)]
        goal = {"n": top, "cores": os.cpu_count(), "p95_s": s["p95_s"], "p95_under_5s": s["p95_s"] is not None and s["p95_s"] < GOAL_P95_S,
                "no_errors": s["errors"] == 0,
                "memory_growth_across_rounds_mb": s["rss_growth_mb_first_to_last_round"]}
    warm = [r for r in results if r.get("warmup")]
    return {
        "summary": True, "by_n": by_n, "goal": goal,
        "rss_mb_after_close_all_rounds": after_all,
        "warmup": {k: warm[0].get(k) for k in ("p50_s", "max_s", "errors", "error_samples")} if warm else None,
        "server_log_errors": server_errors[:20],
    }


def run_load(sessions: list[int] = (1, 3), rounds: int = 1, timeout_s: float = 600, years: int | None = None,
             warmup: bool = True, visit_timeout_s: float = 45, think_s: float = 0.3, settle_s: float = 3.0,
             session_ttl: int | None = None, chromium: str | None = None,
             emit: Callable[[dict], None] | None = None) -> dict:
    """Run the load test and return {"machine", "rounds", "summary", "server_pid", "server_gone"}.

    Builds the store and starts the server itself; always stops the server and removes its temporary folder.
    """
    from bench import machine

    sessions = [int(n) for n in sessions]
    if not sessions or any(n < 1 or n > MAX_SESSIONS for n in sessions):
        raise ValueError(f"sessions must be between 1 and {MAX_SESSIONS}")
    if not 1 <= rounds <= MAX_ROUNDS:
        raise ValueError(f"rounds must be between 1 and {MAX_ROUNDS}")
    timeout_s = min(float(timeout_s), MAX_TOTAL_S)
    chromium = chromium or find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium is not installed (Debian: apt-get install chromium)")
    emit = emit or (lambda row: print(json.dumps(row), flush=True))
    deadline = time.monotonic() + timeout_s
    info = {"machine": machine(), "loadavg": loadavg(), "sessions": sessions, "rounds": rounds,
            "pages": [p for p, _ in SEQUENCE], "control": f"{CONTROL['page']}: {CONTROL['label']} -> {CONTROL['option']}"}
    emit(info)
    with tempfile.TemporaryDirectory(prefix="sbp-load-") as tmp:
        db = Path(tmp) / "sbp.duckdb"
        build_store(db, years)
        server = Server(db, Path(tmp) / "server.log", session_ttl=session_ttl)
        results: list[dict] = []
        try:
            server.wait_ready(min(60, max(deadline - time.monotonic(), 1)))
            idle_rss, _ = tree_usage(server.pid)
            emit({"server_pid": server.pid, "url": server.url, "rss_mb_idle": round(idle_rss, 1)})
            results = asyncio.run(_run(server, chromium, sessions, rounds, deadline, warmup, visit_timeout_s, think_s,
                                       settle_s, emit))
            final_rss, _ = tree_usage(server.pid)
        finally:
            server_errors = server.log_errors()
            gone = server.stop()
        summary = _summary(results, sessions, server_errors)
        summary.update(machine=info["machine"], rss_mb_idle=round(idle_rss, 1), rss_mb_final=round(final_rss, 1),
                       server_gone=gone)
        emit(summary)
    rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in results]
    return {"machine": info["machine"], "rounds": rows, "summary": summary, "server_pid": server.pid, "server_gone": gone}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.browser_load", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 3], help=f"concurrent sessions per round, each 1..{MAX_SESSIONS}")
    ap.add_argument("--rounds", type=int, default=3, help=f"rounds per session count (1..{MAX_ROUNDS})")
    ap.add_argument("--timeout-s", type=float, default=600, help=f"overall time budget in seconds (at most {MAX_TOTAL_S})")
    ap.add_argument("--json", type=Path, help="also write all results to this file")
    ap.add_argument("--years", type=int, help="a smaller demo store of this many years (default: the full 14-year demo)")
    ap.add_argument("--visit-timeout-s", type=float, default=45, help="timeout of each wait in a session")
    ap.add_argument("--think-s", type=float, default=0.3, help="pause between a session's actions")
    ap.add_argument("--settle-s", type=float, default=3.0, help="wait after a round's sessions close before sampling memory")
    ap.add_argument("--session-ttl", type=int, help="server.disconnectedSessionTTL for the server (Streamlit's default: 120)")
    ap.add_argument("--no-warmup", action="store_true", help="skip the unmeasured single-session warm-up")
    ap.add_argument("--smoke", action="store_true",
                    help="seconds: one session, one round on a 2-year demo store; fails on any error "
                         "(also SBP_BENCH_SMOKE=1); its figures are not benchmarks")
    args = ap.parse_args(argv)
    if args.smoke or os.environ.get("SBP_BENCH_SMOKE") == "1":
        if find_chromium() is None:
            print(json.dumps({"skipped": "browser_load", "reason": "Chromium is not installed (Debian: apt-get install chromium)"}))
            return 0
        result = run_load([1], 1, timeout_s=240, years=2, warmup=False, think_s=0.1, settle_s=0.5)
        return 0 if result["server_gone"] and all(r.get("errors") == 0 for r in result["rounds"]) and result["rounds"] else 1
    if any(n < 1 or n > MAX_SESSIONS for n in args.sessions):
        ap.error(f"--sessions must each be between 1 and {MAX_SESSIONS}")
    if not 1 <= args.rounds <= MAX_ROUNDS:
        ap.error(f"--rounds must be between 1 and {MAX_ROUNDS}")
    if not 0 < args.timeout_s <= MAX_TOTAL_S:
        ap.error(f"--timeout-s must be in (0, {MAX_TOTAL_S}]")
    if find_chromium() is None:
        ap.error("Chromium is not installed (Debian: apt-get install chromium)")

    # Last resort if something hangs past every timeout: stop the server's process group and exit.
    state: dict = {}

    def watchdog() -> None:
        pid = state.get("server_pid")
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        print(json.dumps({"error": "watchdog: overall time limit exceeded"}), flush=True)
        os._exit(3)

    timer = threading.Timer(args.timeout_s + 90, watchdog)
    timer.daemon = True
    timer.start()

    def emit(row: dict) -> None:
        if "server_pid" in row:
            state["server_pid"] = row["server_pid"]
        print(json.dumps(row), flush=True)

    try:
        result = run_load(args.sessions, args.rounds, args.timeout_s, years=args.years, warmup=not args.no_warmup,
                          visit_timeout_s=args.visit_timeout_s, think_s=args.think_s, settle_s=args.settle_s,
                          session_ttl=args.session_ttl, emit=emit)
    finally:
        timer.cancel()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["server_gone"] else 1


if __name__ == "__main__":
    sys.exit(main())
