"""`python -m bench.uploads [--sessions 25] [--megabytes 53]`: the server's memory across upload sessions.

One `python -m sbp.web` server on a copy of the demo store, with an admin configured; each session is a fresh
headless Chromium context that opens the Data page, signs in, uploads a malformed CSV (a valid MPS header, then rows
of three fields: refused at line 2) and waits for the refusal, then closes. The server's resident memory (VmRSS) is
read before the first session, after each one, and again after every session has closed and Streamlit has dropped
them. Prints one JSON line per reading.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "bench-upload-password"


def malformed(path: Path, megabytes: int) -> Path:
    """A valid MPS borough header, then rows of three of its 27 fields."""
    header = "MajorText,MinorText,LookUp_BoroughName," + ",".join(f"{2022 + i // 12}{i % 12 + 1:02d}" for i in range(24))
    block = b"Burglary,Domestic Burglary,Bromley\n" * (1 << 14)
    with open(path, "wb") as handle:
        handle.write(header.encode() + b"\n")
        while handle.tell() < megabytes << 20:
            handle.write(block)
    return path


def rss_mb(pid: int) -> float:
    """A process's resident memory now, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def start(db: Path, secrets: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sbp.web", "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--secrets.files", str(secrets)],
                            cwd=REPO, env=os.environ | {"SBP_DB": str(db)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start")


def step(page, name: str) -> None:
    if os.environ.get("SBP_BENCH_SCREENSHOTS"):
        page.screenshot(path=f"/tmp/sbp-bench-uploads-{name}.png")
        print(name, time.strftime("%H:%M:%S"), flush=True)


def upload_session(browser, url: str, file: Path) -> str:
    """One session: sign in on the Data page, upload file, load it, return the refusal shown."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{url}/data")
        page.get_by_label("Admin username").fill("analyst", timeout=90_000)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        step(page, "signed-in")
        page.locator("input[type=file]").set_input_files(str(file), timeout=90_000)
        step(page, "uploaded")
        page.get_by_role("button", name="Load these files").click(timeout=120_000)
        step(page, "clicked")
        page.get_by_text("Nothing was loaded").wait_for(timeout=300_000)
        # The refusal sits inside the status box, collapsed once the load failed.
        return page.get_by_text("The data shown is unchanged").text_content(timeout=10_000) or ""
    except Exception:
        page.screenshot(path="/tmp/sbp-bench-uploads-failure.png", full_page=True)
        raise
    finally:
        context.close()


def run(sessions: int, megabytes: int, expiry_s: float) -> list[dict]:
    """The readings: before, after each session, after every session closed and expired."""
    from playwright.sync_api import sync_playwright

    from sbp.ingest.demo import build_demo
    from sbp.web.auth import hash_password

    out: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="sbp-bench-uploads-") as tmp:
        folder = Path(tmp)
        db = folder / "store" / "sbp.duckdb"
        build_demo(db)
        secrets = folder / "secrets.toml"
        secrets.write_text(f'[admin]\nusername = "analyst"\npassword_hash = "{hash_password(PASSWORD)}"\n')
        file = malformed(folder / "malformed.csv", megabytes)
        proc, url = start(db, secrets)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                try:
                    page = browser.new_page()
                    page.goto(f"{url}/data")
                    page.get_by_label("Admin username").wait_for(timeout=90_000)
                    page.close()
                    time.sleep(2)
                    out.append({"reading": "start", "rss_mb": round(rss_mb(proc.pid), 1)})
                    print(json.dumps(out[-1]), flush=True)
                    for n in range(1, sessions + 1):
                        t = time.monotonic()
                        shown = upload_session(browser, url, file)
                        out.append({"reading": f"after session {n}", "rss_mb": round(rss_mb(proc.pid), 1),
                                    "seconds": round(time.monotonic() - t, 1), "shown": shown[:90]})
                        print(json.dumps(out[-1]), flush=True)
                finally:
                    browser.close()
            for wait in (5, expiry_s):
                time.sleep(wait if wait == 5 else wait - 5)
                out.append({"reading": f"{wait:.0f} s after every session closed", "rss_mb": round(rss_mb(proc.pid), 1)})
                print(json.dumps(out[-1]), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--megabytes", type=int, default=53)
    parser.add_argument("--expiry", type=float, default=150, help="seconds to wait after the last session closed")
    args = parser.parse_args(argv)
    run(args.sessions, args.megabytes, args.expiry)


if __name__ == "__main__":
    main()
