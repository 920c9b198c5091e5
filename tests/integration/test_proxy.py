"""`python -m sbp.web --processes 2`: two Streamlit servers behind HAProxy (deploy/haproxy.cfg), run as local processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bench import load
from bench.server import Server
from sbp.errors import ServeError
from sbp.web import processes

pytestmark = pytest.mark.slow


def _haproxy_or_skip() -> str:
    try:
        return processes.haproxy_binary()
    except ServeError:
        pytest.skip("HAProxy is not installed and could not be installed (Debian: apt-get install haproxy; "
                    ".ci/run installs it when it runs as root)")


@pytest.fixture(scope="module")
def cluster(demo_store: Path, tmp_path_factory):
    _haproxy_or_skip()
    srv = Server(demo_store, tmp_path_factory.mktemp("proxy") / "server.log", processes=2)
    try:
        srv.wait_ready(120)
        yield srv
    finally:
        tree = srv.tree()
        assert srv.stop(), srv.log_tail()
        # SIGTERM to the supervisor stopped HAProxy and both servers, which run in process groups of their own.
        assert not [pid for pid in tree if Path(f"/proc/{pid}").exists()]


def _get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.status, response.headers


def _children(cluster: Server) -> dict[str, list[int]]:
    """The supervisor's children by command name: the two servers (python) and HAProxy."""
    out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(cluster.pid)], capture_output=True, text=True).stdout
    kids: dict[str, list[int]] = {}
    for line in out.splitlines():
        pid, comm = line.split(None, 1)
        kids.setdefault(comm.strip(), []).append(int(pid))
    return kids


def test_the_supervisor_runs_two_servers_and_haproxy(cluster):
    kids = _children(cluster)
    assert len(kids.get("python", [])) == 2 and len(kids.get("haproxy", [])) == 1, kids


def test_every_response_carries_the_security_headers(cluster):
    for path in ("/", "/overview", "/_stcore/health", "/_stcore/host-config"):
        status, headers = _get(cluster.url + path)
        assert status == 200
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
        assert "'unsafe-eval'" not in csp and "connect-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"


def test_the_policy_allows_the_inline_script_of_the_page_it_serves(cluster):
    # The hash is of the index.html the installed Streamlit serves, so a Streamlit upgrade cannot silently block it.
    import base64
    import hashlib
    import re

    with urllib.request.urlopen(cluster.url + "/", timeout=30) as response:
        page, csp = response.read().decode(), response.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert scripts
    for script in scripts:
        assert f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'" in csp


def test_a_session_stays_on_one_server_through_reruns_and_a_reconnect(cluster):
    async def one(index: int) -> tuple[load.ProtocolSession, list[load.Run]]:
        session = load.ProtocolSession(cluster.url, timeout_s=60)
        try:
            runs = [await session.open("safer-neighbourhoods")]
            borough = next(w for w in runs[0].widgets.values() if w.label == "Focus borough")
            runs.append(await session.rerun(change=(borough.id, "Bexley")))
            runs.append(await session.rerun(page_hash=session.pages["rankings"]))
            runs.append(await session.rerun(page_hash=session.pages["explore"]))
            # A dropped websocket (a laptop waking up) reconnects to the server that holds the session's cookie.
            await session.ws.close()
            await session.connect()
            runs.append(await session.rerun(page_hash=session.pages["wards"]))
            return session, runs
        finally:
            await session.close()

    async def many():
        return await asyncio.gather(*(one(i) for i in range(6)))

    results = asyncio.run(many())
    servers = set()
    for session, runs in results:
        assert all(r.status == "FINISHED_SUCCESSFULLY" and not r.errors for r in runs), [r.errors for r in runs]
        # Page, host-config, websocket, and the websocket again: 4 answers, all from one server.
        assert len(session.served_by) == 4 and len(set(session.served_by)) == 1, session.served_by
        assert "SBP_SERVER" in session.cookies
        servers |= set(session.served_by)
    assert servers == {"app1", "app2"}  # six sessions at once are spread over both servers


def test_a_request_with_the_cookie_sticks_even_when_its_server_is_the_busier(cluster):
    _, first = _get(cluster.url + "/")
    cookie, mine = first["Set-Cookie"].split(";", 1)[0], first["X-Served-By"]
    assert cookie.startswith("SBP_SERVER=") and "HttpOnly" in first["Set-Cookie"] and "SameSite=Lax" in first["Set-Cookie"]

    async def scenario() -> tuple[set[str], set[str]]:
        # Three open websockets of this browser make its server the busier one, so leastconn alone would move it.
        tabs = [load.ProtocolSession(cluster.url, timeout_s=60) for _ in range(3)]
        try:
            for tab in tabs:
                tab.cookies = dict([cookie.split("=", 1)])
                await tab.connect()
            with_cookie = {(await asyncio.to_thread(_get, cluster.url + "/_stcore/health", cookie))[1]["X-Served-By"]
                           for _ in range(10)}
            without = {(await asyncio.to_thread(_get, cluster.url + "/_stcore/health"))[1]["X-Served-By"] for _ in range(4)}
            assert {s for tab in tabs for s in tab.served_by} == {mine}
            return with_cookie, without
        finally:
            for tab in tabs:
                await tab.close()

    with_cookie, without = asyncio.run(scenario())
    assert with_cookie == {mine}
    assert mine not in without  # a new browser is sent to the less busy server


def test_a_server_that_dies_is_routed_around_and_started_again(cluster):
    _, first = _get(cluster.url + "/")
    cookie, victim = first["Set-Cookie"].split(";", 1)[0], first["X-Served-By"]
    port = int(next(line.split()[2].rsplit(":", 1)[1] for line in _config_servers(cluster) if line.split()[1] == victim))
    pid = next(p for p in _children(cluster)["python"] if f"--server.port\x00{port}\x00" in _cmdline(p))
    os.kill(pid, signal.SIGKILL)
    # The session's server is gone: its next request is sent to the other server (option redispatch), not failed.
    status, headers = _get(cluster.url + "/_stcore/health", cookie)
    assert status == 200 and headers["X-Served-By"] != victim
    # ... and the supervisor starts it again on its port, where HAProxy's health check finds it.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if _healthy(port) and _get(cluster.url + "/_stcore/health", cookie)[1]["X-Served-By"] == victim:
            break
        time.sleep(1)
    else:
        pytest.fail(f"{victim} was not back within 90 s: {cluster.log_tail()}")
    assert "starting it again" in cluster.log_tail(20_000)


def _config_servers(cluster: Server) -> list[str]:
    """The `server` lines of the running HAProxy's config (the supervisor writes it to a temporary folder)."""
    haproxy = _children(cluster)["haproxy"][0]
    args = _cmdline(haproxy).split("\x00")
    config = Path(args[args.index("-f") + 1]).read_text()
    return [line.strip() for line in config.splitlines() if line.strip().startswith("server ")]


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text()


def _healthy(port: int) -> bool:
    try:
        return _get(f"http://127.0.0.1:{port}/_stcore/health")[0] == 200
    except OSError:
        return False


def test_the_compose_config_is_valid_haproxy(tmp_path: Path):
    # deploy/compose.yaml's proxy renders the same template for replicas found by Docker's DNS.
    haproxy = _haproxy_or_skip()
    config = tmp_path / "haproxy.cfg"
    config.write_text(processes.haproxy_config(":8501", dns=("app", 8501, 3)))
    done = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "server-template app 3 app:8501" in config.read_text() and "@@" not in config.read_text().split("\nglobal", 1)[1]


@pytest.mark.parametrize("args,env,says", [
    (["--processes", "2"], {"SBP_HAPROXY": "/nonexistent/haproxy"}, "apt-get install haproxy"),
    (["--processes", "two"], {}, "--processes takes a whole number"),
    (["--processes=0"], {}, "--processes must be between 1 and"),
])
def test_a_command_that_cannot_start_says_why_in_one_line(args: list[str], env: dict, says: str):
    done = subprocess.run([sys.executable, "-m", "sbp.web", *args], env=os.environ | env, capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_stopping_the_supervisor_stops_every_server_and_haproxy(sig: int, demo_store: Path, tmp_path: Path):
    # SIGINT (Ctrl-C) is handled: HAProxy and the servers are stopped in turn. SIGKILL cannot be handled: each child
    # asked the kernel for a SIGTERM when its parent dies (PR_SET_PDEATHSIG), so none is left behind either.
    _haproxy_or_skip()
    srv = Server(demo_store, tmp_path / "server.log", processes=2)
    try:
        srv.wait_ready(120)
        tree = srv.tree() - {srv.pid}
        assert len(tree) >= 3  # two servers and HAProxy (and their threads' tasks are not processes)
        os.kill(srv.pid, sig)
        srv.proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and [pid for pid in tree if Path(f"/proc/{pid}").exists()]:
            time.sleep(0.2)
        assert not [pid for pid in tree if Path(f"/proc/{pid}").exists()]
        if sig == signal.SIGINT:
            assert srv.proc.returncode == 0
    finally:
        srv.stop()
