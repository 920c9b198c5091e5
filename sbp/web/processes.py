"""Several dashboard servers behind HAProxy: `python -m sbp.web --processes N [streamlit run options]`.

One Streamlit server runs its scripts on one core (Python's GIL), so a machine with more cores serves more sessions
with more servers. This starts N servers on free loopback ports, all reading the same published store read-only
(each opens the version the store's symlink names; a load publishes a new version and every server reads it on its
next view), then HAProxy (Debian's `haproxy` package) from the template deploy/haproxy.cfg on the address and port
given (`--server.address`, `--server.port`; default 0.0.0.0:8501). HAProxy keeps each session on one server (a
cookie), checks every server's /_stcore/health, and adds the security headers. A server that exits is started again
on its port; SIGINT or SIGTERM stops HAProxy and every server.

    python -m sbp.web.processes haproxy-config --bind :8501 --dns app:8501:4   # the compose file's proxy config

Imports no Streamlit: the supervisor stays small; each server is its own `python -m sbp.web` process.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from sbp.errors import ServeError

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "deploy" / "haproxy.cfg"
MAX_PROCESSES = 16
READY_TIMEOUT_S = 90.0
STOP_WAIT_S = 10.0
MAX_RESTARTS, RESTART_WINDOW_S = 5, 60.0  # a server that keeps dying is a fault to report, not to retry forever
# What Streamlit's frontend needs, found by loading every page in Chromium under the policy and recording every
# violation (tests/browser/test_proxy_browser.py): its styles are inline (emotion); images (the tab icon too) come as
# data: and blob: URLs; protobuf's Long.js compiles a small WebAssembly module
# ('wasm-unsafe-eval', which allows no JavaScript eval); the websocket is same-origin ('self' covers ws:/wss: to
# the same host in current browsers). Charts draw without 'unsafe-eval'. index.html's one inline script is allowed
# by its hash, computed from the installed Streamlit.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {script_hashes}; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
       "frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def haproxy_binary() -> str:
    """The haproxy executable (env SBP_HAPROXY, else on PATH or in /usr/sbin), or ServeError saying how to install it."""
    chosen = os.environ.get("SBP_HAPROXY")
    candidates = [chosen] if chosen else [shutil.which("haproxy"), "/usr/sbin/haproxy", "/usr/local/sbin/haproxy"]
    found = next((p for p in candidates if p and os.access(p, os.X_OK)), None)
    if found is None:
        raise ServeError("HAProxy is not installed: `apt-get install haproxy` (Debian), or run one server with "
                         "`python -m sbp.web` without --processes.")
    return found


def inline_script_hashes() -> str:
    """CSP source expressions ('sha256-...') for the inline scripts of the installed Streamlit's index.html."""
    import importlib.util

    spec = importlib.util.find_spec("streamlit")
    index = Path(spec.origin).parent / "static" / "index.html" if spec and spec.origin else None
    text = index.read_text(encoding="utf-8") if index and index.exists() else ""
    scripts = re.findall(r"<script>(.*?)</script>", text, flags=re.S)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)


def content_security_policy() -> str:
    """The Content-Security-Policy the proxy sends with every response."""
    return CSP.format(script_hashes=inline_script_hashes()).replace("  ", " ")


def haproxy_config(bind: str, servers: Sequence[tuple[str, int]] = (), dns: tuple[str, int, int] | None = None) -> str:
    """deploy/haproxy.cfg filled in: listen on bind; servers by (host, port), or `dns` (name, port, count) replicas."""
    if dns is not None:
        name, port, count = dns
        lines = [f"    server-template app {count} {name}:{port} resolvers docker init-addr none"]
        resolvers = "resolvers docker\n    nameserver dns 127.0.0.11:53\n    hold valid 5s\n"
    else:
        lines = [f"    server app{i} {host}:{port}" for i, (host, port) in enumerate(servers, start=1)]
        resolvers = ""
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in (("BIND", bind), ("COOKIE_KEY", secrets.token_hex(16)), ("CSP", content_security_policy()), ("SERVERS", "\n".join(lines)),
                       ("RESOLVERS", resolvers)):
        text = text.replace(f"@@{key}@@", value)
    return text


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In a child before exec: its own process group, and SIGTERM when the supervisor dies (even by SIGKILL)."""
    os.setsid()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _start(cmd: list[str], env: dict[str, str] | None = None, quiet: bool = False) -> subprocess.Popen:
    """Start cmd in its own process group; quiet: drop its standard output (a server's own "open this URL" banner,
    which names a port that bypasses the proxy), keeping its errors."""
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL if quiet else None,
                            preexec_fn=_die_with_parent)


def _stop(procs: Sequence[subprocess.Popen]) -> None:
    """TERM every process group, then KILL what is left after STOP_WAIT_S."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, sig)
        deadline = time.monotonic() + STOP_WAIT_S
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        if all(p.poll() is not None for p in procs):
            return


def _option(options: list[str], name: str) -> str | None:
    """The value of a `--name value` or `--name=value` option, or None."""
    for i, arg in enumerate(options):
        if arg == name and i + 1 < len(options):
            return options[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _without(options: list[str], names: Sequence[str]) -> list[str]:
    """options with every `--name value` / `--name=value` of names removed."""
    out, skip = [], False
    for arg in options:
        if skip:
            skip = False
        elif arg in names:
            skip = True
        elif not any(arg.startswith(n + "=") for n in names):
            out.append(arg)
    return out


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def serve(processes: int, options: list[str]) -> int:
    """Run `processes` servers behind HAProxy until SIGINT/SIGTERM; the exit status."""
    if not 1 <= processes <= MAX_PROCESSES:
        raise ServeError(f"--processes must be between 1 and {MAX_PROCESSES} (got {processes}).")
    haproxy = haproxy_binary()
    address = _option(options, "--server.address") or "0.0.0.0"
    port = int(_option(options, "--server.port") or 8501)
    # Every server signs cookies with one secret, so a session that moves to another server (its own went down)
    # is still recognised; per run unless the operator sets STREAMLIT_SERVER_COOKIE_SECRET.
    env = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)} | os.environ
    common = _without(options, ("--server.address", "--server.port"))
    ports = [free_port() for _ in range(processes)]

    def server_cmd(p: int) -> list[str]:
        return [sys.executable, "-m", "sbp.web", "--server.address", "127.0.0.1", "--server.port", str(p),
                "--server.headless", "true", *common]

    stopping: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: stopping.append(signum)) for sig in (signal.SIGINT, signal.SIGTERM)}
    servers = [_start(server_cmd(p), env, quiet=True) for p in ports]
    restarts: list[float] = []
    proxy: subprocess.Popen | None = None
    status = 0
    with tempfile.TemporaryDirectory(prefix="sbp-haproxy-") as tmp:
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not stopping and not all(_healthy(f"http://127.0.0.1:{p}") for p in ports):
                if any(s.poll() is not None for s in servers):
                    raise ServeError("a dashboard server exited while starting; its output is above.")
                if time.monotonic() > deadline:
                    raise ServeError(f"the dashboard servers did not answer within {READY_TIMEOUT_S:.0f} s.")
                time.sleep(0.3)
            config = Path(tmp) / "haproxy.cfg"
            config.write_text(haproxy_config(f"{address}:{port}", [("127.0.0.1", p) for p in ports]), encoding="utf-8")
            if not stopping:
                proxy = _start([haproxy, "-db", "-f", str(config)])
                print(f"Dashboard: http://{'localhost' if address in ('0.0.0.0', '') else address}:{port} "
                      f"({processes} servers on ports {', '.join(map(str, ports))} behind HAProxy)", flush=True)
            while not stopping:
                if proxy.poll() is not None:
                    raise ServeError(f"HAProxy exited with status {proxy.returncode} (is port {port} in use?).")
                for i, server in enumerate(servers):
                    if server.poll() is not None and not stopping:  # HAProxy's checks take it out meanwhile
                        restarts = [t for t in restarts if t > time.monotonic() - RESTART_WINDOW_S] + [time.monotonic()]
                        if len(restarts) > MAX_RESTARTS:
                            raise ServeError(f"servers exited {len(restarts)} times within {RESTART_WINDOW_S:.0f} s; "
                                             "their errors are above.")
                        print(f"server {i + 1} (port {ports[i]}) exited with {server.returncode}; starting it again",
                              file=sys.stderr, flush=True)
                        servers[i] = _start(server_cmd(ports[i]), env, quiet=True)
                time.sleep(0.5)
        except ServeError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            status = 1
        finally:
            _stop(([proxy] if proxy is not None else []) + servers)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return status


def main(argv: list[str] | None = None) -> int:
    """`python -m sbp.web.processes haproxy-config ...`: print a filled-in proxy config (for deploy/compose.yaml)."""
    ap = argparse.ArgumentParser(prog="python -m sbp.web.processes", description=main.__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    cfg = sub.add_parser("haproxy-config", help="print deploy/haproxy.cfg filled in")
    cfg.add_argument("--bind", default=":8501", help="address:port HAProxy listens on")
    cfg.add_argument("--server", action="append", default=[], metavar="HOST:PORT", help="a dashboard server (repeat)")
    cfg.add_argument("--dns", metavar="NAME:PORT:COUNT", help="COUNT replicas found by DNS name (compose service)")
    args = ap.parse_args(argv)
    dns = None
    if args.dns:
        name, port, count = args.dns.rsplit(":", 2)
        dns = (name, int(port), int(count))
    servers = [(s.rsplit(":", 1)[0], int(s.rsplit(":", 1)[1])) for s in args.server]
    if not servers and dns is None:
        ap.error("give --server HOST:PORT (one or more) or --dns NAME:PORT:COUNT")
    sys.stdout.write(haproxy_config(args.bind, servers, dns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
