"""What both load generators share: the dashboard server on loopback, /proc sampling of its CPU and memory, percentiles."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from sbp.store import process_alive
from sbp.web.processes import free_port

REPO = Path(__file__).resolve().parent.parent


# --- /proc sampling ------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(ppid, own CPU seconds, reaped children's CPU seconds) of a process, or None if it has gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # fields[0] is field 3 (state) of proc(5)
    ppid, utime, stime, cutime, cstime = int(fields[1]), *(int(f) for f in fields[11:15])
    return ppid, (utime + stime) / _TICK, (cutime + cstime) / _TICK


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _all_stats() -> dict[int, tuple[int, float, float]]:
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (s := _stat(int(name))) is not None:
            stats[int(name)] = s
    return stats


def _subtree(root: int, stats: dict[int, tuple[int, float, float]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    seen, todo = set(), [root] if root in stats else []
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo.extend(children.get(pid, ()))
    return seen


def tree_usage(root: int, exclude: int | list[int] | None = None) -> tuple[float, float]:
    """(RSS in MB, CPU seconds) of root and its live descendants (plus children it has reaped), minus exclude's trees."""
    stats = _all_stats()
    pids = _subtree(root, stats)
    for other in [exclude] if isinstance(exclude, int) else exclude or []:
        pids -= _subtree(other, stats)
    rss = sum(_rss_mb(pid) for pid in pids)
    cpu = sum(stats[pid][1] for pid in pids) + (stats[root][2] if root in stats else 0.0)
    return rss, cpu


class Sampler(threading.Thread):
    """Sample the server's tree (and the client's, for contrast) every `interval` seconds until stopped."""

    def __init__(self, server_pid: int, interval: float = 0.5, others: list[int] | None = None):
        super().__init__(daemon=True)
        self.server_pid, self.interval = server_pid, interval
        self.not_client = [server_pid, *(others or [])]  # servers started by this process but not under test
        self.samples: list[tuple[float, float, float, float]] = []  # (t, server rss MB, server cpu s, client cpu s)
        self._halt = threading.Event()

    def sample(self) -> None:
        rss, cpu = tree_usage(self.server_pid)
        _, client_cpu = tree_usage(os.getpid(), exclude=self.not_client)
        self.samples.append((time.monotonic(), rss, cpu, client_cpu))

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> dict:
        self._halt.set()
        self.join(timeout=10)
        self.sample()
        s = self.samples
        wall = max(s[-1][0] - s[0][0], 1e-9)
        cpu = s[-1][2] - s[0][2]
        peaks = []  # CPU % over windows of at least one second
        j = 0
        for i in range(1, len(s)):
            while s[i][0] - s[j + 1][0] >= 1.0:
                j += 1
            if s[i][0] - s[j][0] >= 1.0:
                peaks.append((s[i][2] - s[j][2]) / (s[i][0] - s[j][0]) * 100)
        rss = [x[1] for x in s]
        return {
            "rss_mb_start": round(rss[0], 1), "rss_mb_peak": round(max(rss), 1), "rss_mb_mean": round(sum(rss) / len(rss), 1),
            "cpu_s": round(cpu, 2), "cpu_pct_mean": round(cpu / wall * 100, 1),
            "cpu_pct_peak_1s": round(max(peaks), 1) if peaks else None,
            "client_cpu_s": round(s[-1][3] - s[0][3], 2), "samples": len(s),
        }


# --- the server ----------------------------------------------------------------------------------

def build_store(db: Path, years: int | None = None) -> None:
    """The synthetic demo store at db: the full 14 years, or a smaller one of `years` years."""
    if years is None:
        from sbp.ingest.demo import build_demo

        build_demo(db)
        return
    from sbp.ingest.demo import DEMO_SEED, write_demo_extracts
    from sbp.ingest import ingest

    with tempfile.TemporaryDirectory(prefix="sbp-load-demo-") as tmp:
        paths = write_demo_extracts(Path(tmp), seed=DEMO_SEED, years=years)
        ingest(paths, db, meta={"is_synthetic": "true", "demo_seed": str(DEMO_SEED)}, fresh=True)


class Server:
    """`python -m sbp.web` on a free 127.0.0.1 port, in its own process group so it can be stopped with its children.

    tree: the source checkout to run (another tree for a paired baseline).
    processes > 1: that many Streamlit servers behind HAProxy (`--processes`), reached through the proxy's port; pid
    is then the supervisor's, whose process tree holds every server and HAProxy.
    """

    def __init__(self, db: Path, log: Path, session_ttl: int | None = None, env: dict[str, str] | None = None,
                 processes: int = 1, options: list[str] | None = None, tree: Path = REPO):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.processes = processes
        cmd = [sys.executable, "-m", "sbp.web", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        if processes > 1:
            cmd += ["--processes", str(processes)]
        cmd += options or []
        if session_ttl is not None:
            cmd += ["--server.disconnectedSessionTTL", str(session_ttl)]
        with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(cmd, cwd=tree, env=os.environ | {"SBP_DB": str(db)} | (env or {}), stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit did not answer on {self.url} within {timeout_s:.0f} s")

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def log_errors(self) -> list[str]:
        """Lines of the server's output that look like errors (tracebacks, exceptions)."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [line[:300] for line in lines if "Traceback" in line or "Error" in line or "Exception" in line]

    def tree(self) -> set[int]:
        """The pids of the server's process and every descendant (the servers and HAProxy under a supervisor)."""
        return _subtree(self.pid, _all_stats())

    def stop(self) -> bool:
        """Stop the server's process group (TERM, then KILL); True when none of its processes is left.

        A supervisor's servers and HAProxy run in process groups of their own (so a Ctrl-C reaches only the
        supervisor, which stops them in order); any of them still running after the supervisor has gone is killed.
        """
        descendants = self.tree() - {self.pid}
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            if not group_alive(self.pid):
                break
        left = {pid for pid in descendants if _stat(pid) is not None}
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return self.proc.poll() is not None and not group_alive(self.pid) and not left


def group_alive(pgid: int) -> bool:
    """Whether any process of the server's process group is still running."""
    return process_alive(pgid, group=True)


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..1), as numpy's default."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q
    lo = math.floor(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)



def rounded(x: float | None) -> float | None:
    return None if x is None else round(x, 3)



def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""
