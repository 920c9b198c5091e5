"""Concurrent readers during ingest, and writers against each other.

Fifty reader threads query continuously through the app's own code path (store.data_version(), a
read-only connection cached per data version as sbp.web.appdata's st.cache_resource does, a fresh
.cursor() per call) while three ingests run back to back in another process (`python -m sbp ingest`).
Each ingest is a revision of the same 24 months at a new scale, so every version of the store has
known totals. Readers must see no errors, only whole versions (every answer one version's totals, and
a metrics.headline on the same cursor agreeing with it), never go back to an older version, and pick
up the last version without restarting; readers holding connections must not hold up the ingests, and
ingests must not hold up the readers. One more thread keeps the very first connection open throughout
and keeps reading the first version, even after its file has been cleaned away.

Writers: two at once serialise (the second waits for the lock, then builds on the first's result, so
no update is lost), and a writer that cannot get the lock in time gets StoreBusyError.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from sbp import metrics, store
from sbp.errors import StoreBusyError
from sbp.ingest import ingest

REPO = Path(__file__).resolve().parents[2]
MONTHS = [f"{2022 + i // 12}{i % 12 + 1:02d}" for i in range(24)]
END = dt.date(2023, 12, 1)
BOROUGHS = ("Bromley", "Bexley", "Croydon")
CATEGORIES = [("Burglary", "Domestic Burglary"), ("Violence Against the Person", "Violence with Injury"),
              ("Theft", "Shoplifting")]
READERS = 50
HEADLINE_EVERY = 5          # every fifth reader also runs metrics.headline on the same cursor
INGESTS = 3
INGEST_BOUND_S = 30.0       # generous: an ingest of this file takes ~1-2 s including Python start-up
READER_LATENCY_BOUND_S = 10.0
TOTALS_SQL = (
    "SELECT (SELECT count(*) FROM crime_counts), (SELECT sum(offence_count) FROM crime_counts), "
    "(SELECT sum(offence_count) FROM category_index), (SELECT count(*) FROM source_files)"
)


def borough_csv(path: Path, scale: int, boroughs=BOROUGHS) -> Path:
    """An MPS borough-level file; each count is scale x a fixed pattern, so a revision's totals are known."""
    lines = ["MajorText,MinorText,LookUp_BoroughName," + ",".join(MONTHS)]
    for b, borough in enumerate(boroughs):
        for c, (major, minor) in enumerate(CATEGORIES):
            lines.append(f"{major},{minor},{borough}," + ",".join(str(scale * (1 + (b + 2 * c + m) % 7)) for m in range(len(MONTHS))))
    path.write_text("\n".join(lines) + "\n")
    return path


def pattern_total(boroughs=BOROUGHS) -> int:
    return sum(1 + (b + 2 * c + m) % 7 for b in range(len(boroughs)) for c in range(len(CATEGORIES)) for m in range(len(MONTHS)))


def run_ingest(db: Path, *files: Path, tmp: Path) -> subprocess.Popen:
    """`python -m sbp ingest --db db files...` in another process."""
    env = os.environ | {"PYTHONPATH": str(REPO), "TMPDIR": str(tmp)}
    return subprocess.Popen(
        [sys.executable, "-m", "sbp", "ingest", "--db", str(db), *map(str, files)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


class VersionedConnections:
    """sbp.web.appdata without streamlit: one read-only connection per data version (st.cache_resource,
    max_entries=2, evicted entries dropped, not closed), and a fresh cursor per call."""

    def __init__(self, db: Path, max_entries: int = 2):
        self.db, self.max_entries = db, max_entries
        self.cache: collections.OrderedDict[str, object] = collections.OrderedDict()
        self.lock = threading.Lock()
        self.opened = 0

    def cursor(self, version: str):
        with self.lock:
            con = self.cache.get(version)
            if con is None:
                con = store.connect_read(self.db)   # what appdata._connection(version) does
                self.opened += 1
                self.cache[version] = con
                while len(self.cache) > self.max_entries:
                    self.cache.popitem(last=False)
            else:
                self.cache.move_to_end(version)
        return con.cursor()


@dataclass
class Answer:
    thread: int
    start: float
    end: float
    key: str                 # the data_version the call was keyed on
    totals: tuple
    headline_current: int | None


@pytest.mark.slow
def test_fifty_readers_see_whole_versions_while_three_ingests_run_in_another_process(tmp_path):
    db = tmp_path / "store" / "sbp.duckdb"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    files = [borough_csv(tmp_path / f"revision_{k}.csv", k + 1) for k in range(INGESTS + 1)]
    started = time.perf_counter()
    proc = run_ingest(db, files[0], tmp=scratch)
    out, err = proc.communicate(timeout=INGEST_BOUND_S * 2)
    assert proc.returncode == 0, err
    idle_ingest = time.perf_counter() - started   # the same kind of ingest with no readers, for comparison

    rows = len(BOROUGHS) * len(CATEGORIES) * len(MONTHS)
    total = pattern_total()
    known = {(rows, total * (k + 1), total * (k + 1), k + 1): k for k in range(INGESTS + 1)}
    with store.connect_read(db) as con:
        first_headline = metrics.headline(con, "Bromley", END)
    tno0 = int(first_headline.set_index("measure_id").loc["total_notifiable_offences", "current"])
    key_to_k = {store.data_version(db): 0}
    first_file = store.current_version_file(db)

    connections = VersionedConnections(db)
    answers: list[Answer] = []
    errors: list[str] = []
    stop = threading.Event()
    pinned_answers: list[tuple] = []
    latest: dict[int, int] = {}          # reader -> the version of its latest answer

    def reader(n: int) -> None:
        mine = []
        while not stop.is_set():
            start = time.perf_counter()
            try:
                key = store.data_version(db)
                cur = connections.cursor(key)
                try:
                    totals = cur.execute(TOTALS_SQL).fetchone()
                    current = None
                    if n % HEADLINE_EVERY == 0:
                        frame = metrics.headline(cur, "Bromley", END)
                        current = int(frame.set_index("measure_id").loc["total_notifiable_offences", "current"])
                finally:
                    cur.close()
            except Exception as exc:  # noqa: BLE001 - every error is a failure, collected for the report
                errors.append(f"reader {n}: {type(exc).__name__}: {exc}")
                time.sleep(0.01)
                continue
            mine.append(Answer(n, start, time.perf_counter(), key, tuple(totals), current))
            latest[n] = known.get(tuple(totals), -1)
        answers.extend(mine)

    def pinned() -> None:
        con = store.connect_read(db)     # opened on version 0 and held to the end
        try:
            while not stop.is_set():
                cur = con.cursor()
                pinned_answers.append(tuple(cur.execute(TOTALS_SQL).fetchone()))
                cur.close()
                time.sleep(0.01)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"pinned reader: {type(exc).__name__}: {exc}")
        finally:
            con.close()

    threads = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(READERS)]
    threads.append(threading.Thread(target=pinned, daemon=True))
    for t in threads:
        t.start()
    time.sleep(0.5)

    windows = []
    try:
        for k in range(1, INGESTS + 1):
            started = time.perf_counter()
            proc = run_ingest(db, files[k], tmp=scratch)
            try:
                out, err = proc.communicate(timeout=INGEST_BOUND_S * 2)
            finally:
                if proc.poll() is None:
                    proc.kill()
            finished = time.perf_counter()
            assert proc.returncode == 0, err
            windows.append((started, finished))
            key_to_k[store.data_version(db)] = k
            time.sleep(0.3)
        # Every reader picks up the last version on its next call, without restarting.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(latest.get(n) == INGESTS for n in range(READERS)):
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a reader hung"

    # --- the measured figures (printed for BENCHMARKS.md; run with -s to see them) ---
    durations = [round(b - a, 2) for a, b in windows]
    during = [a for a in answers if any(a.start < b and a.end > s for s, b in windows)]
    latency = sorted(a.end - a.start for a in answers)
    headline_latency = sorted(a.end - a.start for a in answers if a.headline_current is not None)
    by_version = collections.Counter(known.get(a.totals) for a in answers)
    figures = {
        "readers": READERS, "reader_calls": len(answers), "headline_calls": len(headline_latency),
        "errors": len(errors), "ingest_seconds": durations, "idle_ingest_seconds": round(idle_ingest, 2),
        "calls_per_version": {str(k): by_version[k] for k in sorted(by_version, key=str)},
        "calls_during_ingests": len(during),
        "max_latency_during_ingest_ms": round(1000 * max(a.end - a.start for a in during), 1) if during else None,
        "p50_latency_ms": round(1000 * latency[len(latency) // 2], 1),
        "p99_latency_ms": round(1000 * latency[int(len(latency) * 0.99)], 1),
        "max_latency_ms": round(1000 * latency[-1], 1),
        "headline_p50_ms": round(1000 * headline_latency[len(headline_latency) // 2], 1),
        "connections_opened": connections.opened,
        "keyed_on_older_version_than_read": sum(known.get(a.totals, -1) > key_to_k.get(a.key, 99) for a in answers),
        "pinned_calls": len(pinned_answers),
        "first_version_file_deleted": not first_file.exists(),
    }
    print("\nconcurrency figures:", json.dumps(figures))

    assert errors == [], errors[:5]
    assert answers, "the readers never answered"
    mixed = [a.totals for a in answers if a.totals not in known]
    assert mixed == [], f"answers that are no whole version: {mixed[:5]}"
    for a in answers:
        k = known[a.totals]
        if a.headline_current is not None:
            assert a.headline_current == tno0 * (k + 1), "headline and totals on one cursor disagree"
        assert k >= key_to_k[a.key], "a call keyed on a version read older data than that version"
    per_thread = collections.defaultdict(list)
    for a in sorted(answers, key=lambda a: a.start):
        per_thread[a.thread].append(known[a.totals])
    for n, ks in per_thread.items():
        assert ks == sorted(ks), f"reader {n} went back to an older version"
        assert ks[-1] == INGESTS, f"reader {n} did not pick up the last version without restarting"
    assert len(per_thread) == READERS
    assert set(by_version) == set(range(INGESTS + 1)), "every version was served"

    # Readers holding connections did not block the ingests, and the ingests did not block the readers.
    assert all(d < INGEST_BOUND_S for d in durations), durations
    for s, b in windows:
        assert any(s < a.start and a.end < b for a in answers), "no reader call completed during an ingest"
    assert figures["max_latency_during_ingest_ms"] < READER_LATENCY_BOUND_S * 1000

    # The pinned connection kept reading version 0 throughout, whether or not its file was cleaned away.
    assert pinned_answers and set(pinned_answers) == {next(t for t, k in known.items() if k == 0)}
    assert store.last_failure(db) is None
    assert list(store.versions_dir(db).glob("building-*")) == []


# --- writers --------------------------------------------------------------------------------

def test_two_writers_serialise_and_the_second_builds_on_the_first(tmp_path):
    db = tmp_path / "store" / "sbp.duckdb"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ingest([borough_csv(tmp_path / "base.csv", 1)], db=db)
    v0 = store.data_version(db)
    holding, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def first_writer() -> None:
        try:
            with store.new_version(db) as con:
                holding.set()
                assert release.wait(timeout=60)
                con.execute("INSERT OR REPLACE INTO store_meta VALUES ('first_writer', 'was here')")
            outcome.append("ok")
        except Exception as exc:  # noqa: BLE001
            outcome.append(repr(exc))

    writer = threading.Thread(target=first_writer, daemon=True)
    writer.start()
    assert holding.wait(timeout=30)
    second = run_ingest(db, borough_csv(tmp_path / "revision.csv", 2), tmp=scratch)
    try:
        time.sleep(2.0)  # ample time for the second ingest to start up and reach the lock
        assert second.poll() is None, "the second writer did not wait for the lock"
        assert store.data_version(db) == v0
        builds = list(store.versions_dir(db).glob("building-*"))
        assert len(builds) == 1 and builds[0].name.startswith(f"building-{os.getpid()}-"), builds
        waited_from = time.perf_counter()
        release.set()
        writer.join(timeout=30)
        assert outcome == ["ok"]
        out, err = second.communicate(timeout=60)
    finally:
        release.set()
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, err
    print(f"\nsecond writer finished {time.perf_counter() - waited_from:.2f} s after the first released the lock")

    with store.connect_read(db) as con:
        meta = dict(con.execute("SELECT key, value FROM store_meta").fetchall())
        total = con.execute("SELECT sum(offence_count) FROM crime_counts").fetchone()[0]
        files = con.execute("SELECT count(*) FROM source_files").fetchone()[0]
    assert meta.get("first_writer") == "was here", "the second writer built on the first writer's version"
    assert total == 2 * pattern_total() and files == 2
    assert store.last_failure(db) is None


@pytest.mark.slow
def test_two_ingest_processes_at_once_both_land(tmp_path):
    db = tmp_path / "store" / "sbp.duckdb"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ingest([borough_csv(tmp_path / "base.csv", 1, boroughs=("Bromley",))], db=db)
    # Long-format series replace by borough and series (an MPS extract replaces whole months for every borough).
    a_file, b_file = tmp_path / "bexley.csv", tmp_path / "croydon.csv"
    a_file.write_text("month,area,category,count\n2023-11,Bexley,ASB calls,5\n")
    b_file.write_text("month,area,category,count\n2023-11,Croydon,ASB calls,7\n")
    a = run_ingest(db, a_file, tmp=scratch)
    b = run_ingest(db, b_file, tmp=scratch)
    for proc in (a, b):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    with store.connect_read(db) as con:
        boroughs = {r[0] for r in con.execute("SELECT DISTINCT borough FROM crime_counts").fetchall()}
        files = con.execute("SELECT count(*) FROM source_files").fetchone()[0]
    assert boroughs == {"Bromley", "Bexley", "Croydon"}, "no ingest's update was lost"
    assert files == 3


def test_a_writer_that_cannot_get_the_lock_in_time_gets_store_busy(db, tmp_path, monkeypatch):
    ingest([borough_csv(tmp_path / "base.csv", 1)], db=db)
    before = store.data_version(db)
    # new_version() calls write_lock(path) with the default wait, bound when write_lock was defined, so
    # patching store.LOCK_WAIT_SECONDS alone has no effect; shorten the default itself.
    monkeypatch.setattr(store.write_lock.__wrapped__, "__defaults__", (0.3,))
    with store.write_lock(db, wait_seconds=5):
        started = time.perf_counter()
        with pytest.raises(StoreBusyError, match="Another ingest is writing to .*; try again when it has finished"):
            ingest([borough_csv(tmp_path / "revision.csv", 2)], db=db)
        waited = time.perf_counter() - started
    assert 0.3 <= waited < 5, waited
    assert store.data_version(db) == before
    assert list(store.versions_dir(db).glob("building-*")) == []
    assert store.last_failure(db) is None, "a busy store is not a failed refresh"
    # Once the lock is free the same ingest goes through.
    ingest([borough_csv(tmp_path / "revision.csv", 2)], db=db)
    assert store.data_version(db) != before
