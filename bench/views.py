"""Server CPU per page view on the documented walk, paired: `python -m bench.views STORE [--baseline DIR] [--passes 5]`.

The walk (one protocol session, no browser, no think time): every page of the navigation in order, and on each page
every control a reader changes there (selectbox, radio, segmented control) set to up to two other options and back;
the sidebar's "Compare with" only on Rankings (the one page it changes), focus area and period left as opened. A
first pass warms the server's caches; each measured pass is the same walk again, so it is what a partnership's
readers cost once the figures they look at have been drawn once. CPU per view = the server process's CPU time
(/proc, user + system) over the pass / the views in it.

With --baseline DIR (another checkout, e.g. `git archive main | tar -x -C DIR`), a server runs from each tree on the
same store and their passes alternate, so load on the shared machine hits both alike; medians are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.load import ProtocolSession
from bench.server import REPO, Server, loadavg, tree_usage
from sbp.web import OVERVIEW_LINKS

WALKED = ("selectbox", "radio", "button_group")
LEFT_AS_OPENED = ("Focus borough", "Period ending")  # the partnership's own readers keep their area and period
COMPARATOR = "Compare with"
COMPARATOR_PAGE = "rankings"
OPTIONS_PER_CONTROL = 2


async def walk(server: Server, errors: list[str], by_view: dict[str, list[float]] | None = None) -> int:
    """One walk through every page and its controls; the number of views (script runs) it made.

    by_view: each view's server CPU seconds, appended under its name (10 ms resolution: for sums over passes)."""
    session = ProtocolSession(server.url, timeout_s=120, workload="partnership")
    views = 0
    cpu = tree_usage(server.pid)[1]

    def check(run, what: str) -> None:
        nonlocal views, cpu
        views += 1
        errors.extend(f"{what}: {e}" for e in run.errors)
        if by_view is not None:
            now = tree_usage(server.pid)[1]
            by_view.setdefault(what, []).append(now - cpu)
            cpu = now

    try:
        check(await session.open(""), "open")
        for path, page_hash in list(session.pages.items()):
            if not path or path in OVERVIEW_LINKS:  # the hidden addresses of the board page, which hand over to "/"
                continue
            check(await session.rerun(page_hash=page_hash), f"page {path}")
            for widget in [w for w in session.widgets.values() if w.kind in WALKED and len(w.options) > 1
                           and w.label not in LEFT_AS_OPENED and (w.label != COMPARATOR or path == COMPARATOR_PAGE)]:
                original = widget.value
                current = original[0] if widget.kind == "button_group" and original else original
                others = [o for o in widget.options if o != current][:OPTIONS_PER_CONTROL]
                for option in [*others, current]:
                    value = [option] if widget.kind == "button_group" else option
                    if widget.id in session.widgets:
                        check(await session.rerun(change=(widget.id, value)), f"{path} {widget.label}={option}")
    finally:
        await session.close()
    return views


def measure(server: Server, errors: list[str], by_view: dict[str, list[float]] | None = None,
            sessions: int = 1) -> dict:
    """One walk (or `sessions` walks at once, each starting up to 2 s apart), with the server's CPU time over it."""

    async def together() -> int:
        async def one(delay: float) -> int:
            await asyncio.sleep(delay)
            return await walk(server, errors)
        return sum(await asyncio.gather(*(one(2 * i / sessions) for i in range(sessions))))

    cpu0, t0 = tree_usage(server.pid)[1], time.perf_counter()
    views = asyncio.run(walk(server, errors, by_view) if sessions == 1 else together())
    cpu, wall = tree_usage(server.pid)[1] - cpu0, time.perf_counter() - t0
    return {"views": views, "cpu_s": round(cpu, 2), "cpu_per_view_s": round(cpu / views, 4), "wall_s": round(wall, 2)}


def run(store: Path, trees: dict[str, Path], passes: int, sessions: int = 1) -> dict:
    """Warm every tree's server with one walk, then alternate measured walks; per tree the passes and the median."""
    servers: dict[str, Server] = {}
    result: dict = {"loadavg_start": loadavg(), "store": str(store), "trees": {k: str(v) for k, v in trees.items()},
                    "sessions": sessions}
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sbp-views-") as tmp:
        try:
            for name, tree in trees.items():
                servers[name] = Server(store, Path(tmp) / f"{name}.log", tree=tree)
            for name, server in servers.items():
                server.wait_ready()
                result[f"{name}_first_pass"] = measure(server, errors)
            runs: dict[str, list[dict]] = {name: [] for name in servers}
            by_view: dict[str, dict[str, list[float]]] = {name: {} for name in servers}
            for _ in range(passes):
                for name, server in servers.items():
                    runs[name].append(measure(server, errors, by_view[name], sessions))
            for name, rows in runs.items():
                result[name] = {"passes": rows, "median_cpu_per_view_s": round(statistics.median(
                    r["cpu_per_view_s"] for r in rows), 4), "views": rows[0]["views"],
                    "mean_cpu_by_view_s": {k: round(sum(v) / len(v), 3) for k, v in by_view[name].items()}}
        finally:
            for server in servers.values():
                server.stop()
    result["loadavg_end"] = loadavg()
    result["errors"] = errors[:20]
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.views", description=__doc__.split("\n\n")[0])
    ap.add_argument("store", type=Path, help="the store both servers read (SBP_DB)")
    ap.add_argument("--baseline", type=Path, help="another source tree to pair with this one")
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=1, help="walks at once in each measured pass (1: one session)")
    args = ap.parse_args(argv)
    trees = ({"baseline": args.baseline.resolve()} if args.baseline else {}) | {"this": REPO}
    result = run(args.store.resolve(), trees, args.passes, args.sessions)
    print(json.dumps(result, indent=1))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
