"""A failed refresh keeps the last good data: rejected files, killed loads, and how the failure is reported.

(a) An ingest refused by validation leaves the previous version served (same data version, same
totals), no unfinished build behind, and store.last_failure() naming the problem; the next good
ingest clears it.
(b) An ingest killed with SIGKILL mid-load (a real `python -m sbp ingest` process on a generated
5,000-area x 20-category x 60-month LSOA file) leaves the previous version served and readable. The
build it left behind is reported by last_failure() as an interrupted load once its writer is gone, but
never while a live writer holds the lock; the next good ingest removes it and clears the failure.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from sbp import store
from sbp.cli import main
from sbp.errors import IngestError
from sbp.ingest import ingest
from tests.conftest import borough_csv

REPO = Path(__file__).resolve().parents[2]


def served(db: Path) -> tuple:
    """What a reader sees now: the data version and the store's totals."""
    with store.connect_read(db) as con:
        totals = con.execute(
            "SELECT (SELECT count(*) FROM crime_counts), (SELECT sum(offence_count) FROM crime_counts), "
            "(SELECT count(*) FROM source_files), (SELECT sum(offence_count) FROM category_index)"
        ).fetchone()
    return store.data_version(db), totals


def leftovers(db: Path) -> list[Path]:
    return sorted(store.versions_dir(db).glob("building-*"))


def status_output(db: Path, capsys) -> str:
    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0
    return capsys.readouterr().out


# --- (a) refused by validation -------------------------------------------------------------

def test_rejected_ingest_keeps_last_good_data_and_is_reported_until_a_good_one(db, tmp_path, capsys):
    ingest([borough_csv(tmp_path / "good.csv", 1)], db=db)
    before = served(db)
    assert store.last_failure(db) is None

    bad = tmp_path / "bad_counts.csv"
    bad.write_text("MajorText,MinorText,LookUp_BoroughName,202401\nBurglary,Domestic Burglary,Bromley,ten\n")
    started = dt.datetime.now().replace(microsecond=0)
    with pytest.raises(IngestError) as caught:
        ingest([bad], db=db)

    assert served(db) == before, "the previous version is still the one served"
    assert leftovers(db) == []
    failure = store.last_failure(db)
    assert failure is not None
    assert failure["message"] == caught.value.public  # the problem, without the values quoted from the file
    assert failure["message"].startswith("bad_counts.csv, line 2")
    assert "count ... is not a whole number" in failure["message"] and "'ten'" in str(caught.value)
    failed_at = dt.datetime.fromisoformat(failure["failed_at"])
    assert started <= failed_at <= dt.datetime.now() + dt.timedelta(seconds=1)
    assert "Last refresh FAILED" in status_output(db, capsys)

    # A second refused file replaces the record with its own problem.
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError):
        ingest([empty], db=db)
    assert store.last_failure(db)["message"].startswith("empty.csv")
    assert served(db) == before

    # The next good ingest publishes and clears the failure.
    ingest([borough_csv(tmp_path / "revised.csv", 2)], db=db)
    after = served(db)
    assert after[0] != before[0]
    assert after[1][1] == 2 * before[1][1], "the revision replaced every month at twice the counts"
    assert store.last_failure(db) is None
    assert "FAILED" not in status_output(db, capsys)


def test_all_or_none_a_bad_file_among_good_ones_loads_nothing(db, tmp_path):
    ingest([borough_csv(tmp_path / "good.csv", 1)], db=db)
    before = served(db)
    other = borough_csv(tmp_path / "other.csv", 3, boroughs=("Croydon",))
    bad = tmp_path / "bad.csv"
    bad.write_text("month,area,category,count\n2023-11,Bromley,ASB calls,-4\n")
    with pytest.raises(IngestError, match="^bad.csv, line 2"):
        ingest([other, bad], db=db)
    assert served(db) == before
    assert leftovers(db) == []
    assert "negative" in store.last_failure(db)["message"]


# --- (b) killed mid-load -------------------------------------------------------------------

def lsoa_wide_file(path: Path, areas: int = 5000, categories: int = 20, months: int = 60) -> Path:
    """A wide MPS-LSOA-layout file (areas x categories rows, `months` month columns), written by DuckDB."""
    month_names = [f"{2019 + i // 12}{i % 12 + 1:02d}" for i in range(months)]
    cells = ", ".join(f"((a * 7 + c * 13 + {i}) % 23)::INTEGER AS \"{m}\"" for i, m in enumerate(month_names))
    duckdb.connect().execute(f"""
        COPY (
          SELECT printf('E01%06d', a) AS "LSOA Code", printf('Bromley %03d%s', a // 6, chr((65 + a % 6)::INTEGER)) AS "LSOA Name",
                 printf('Borough%02d', a % 33) AS "Borough", printf('Major %02d', c // 5) AS "Major Category",
                 printf('Minor category %02d', c) AS "Minor Category", {cells}
          FROM range({areas}) r(a), range({categories}) k(c)
        ) TO '{path}' (HEADER, DELIMITER ',')""")
    return path


def start_ingest(db: Path, *files: Path, tmp: Path) -> subprocess.Popen:
    """`python -m sbp ingest --db db files...` in its own process (temporary files kept under tmp)."""
    env = os.environ | {"PYTHONPATH": str(REPO), "TMPDIR": str(tmp)}
    return subprocess.Popen(
        [sys.executable, "-m", "sbp", "ingest", "--db", str(db), *map(str, files)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def wait_for(predicate, timeout: float, every: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def test_ingest_killed_mid_load_keeps_last_good_data_and_is_reported(db, tmp_path, capsys):
    ingest([borough_csv(tmp_path / "good.csv", 1)], db=db)
    before = served(db)
    big = lsoa_wide_file(tmp_path / "lsoa_wide.csv")
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    proc = start_ingest(db, big, tmp=scratch)
    try:
        assert wait_for(lambda: leftovers(db), timeout=30), "the ingest never started a build"
        time.sleep(0.2)  # well into the copy-and-load, far from done (the load takes seconds)
        assert proc.poll() is None, "the ingest finished before it could be killed; use a bigger file"
        # While the writer is alive and holds the lock, its build is work in progress, not a failure.
        assert store.last_failure(db) is None
        assert served(db) == before
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert served(db) == before, "the previous version is still served and readable"
    left = leftovers(db)
    assert left, "SIGKILL leaves the unfinished build behind"
    failure = store.last_failure(db)
    assert failure == {
        "failed_at": dt.datetime.fromtimestamp(max(p.stat().st_mtime for p in left)).isoformat(timespec="seconds"),
        "message": store.INTERRUPTED_MESSAGE,
    }
    assert "Last refresh FAILED" in status_output(db, capsys)
    assert "interrupted" in status_output(db, capsys)

    # A writer holding the lock (say the next ingest, just starting) hides the leftover: it is about to clean it up.
    with store.write_lock(db):
        assert store.last_failure(db) is None
    assert store.last_failure(db) == failure, "checking released the lock and changed nothing"

    # The next good ingest removes the leftover and the failure clears.
    ingest([borough_csv(tmp_path / "revised.csv", 2)], db=db)
    assert leftovers(db) == []
    assert store.last_failure(db) is None
    after = served(db)
    assert after[0] != before[0] and after[1][1] == 2 * before[1][1]


def test_a_live_writer_in_this_process_is_not_reported_as_a_failure(db, tmp_path):
    ingest([borough_csv(tmp_path / "good.csv", 1)], db=db)
    with store.new_version(db) as con:
        assert leftovers(db), "the build exists while the writer works"
        assert store.last_failure(db) is None
        con.execute("INSERT OR REPLACE INTO store_meta VALUES ('note', 'written')")
    assert leftovers(db) == []
    assert store.last_failure(db) is None


def test_a_recorded_failure_and_a_later_interrupted_build_report_the_later(db, tmp_path):
    ingest([borough_csv(tmp_path / "good.csv", 1)], db=db)
    bad = tmp_path / "bad.csv"
    bad.write_text("MajorText,MinorText,LookUp_BoroughName,202401\nBurglary,Domestic Burglary,Bromley,-1\n")
    with pytest.raises(IngestError):
        ingest([bad], db=db)
    recorded = store.last_failure(db)
    # A build left by a dead writer an hour later (simulated: a file no live process holds the lock for).
    later = time.time() + 3600
    ghost = store.versions_dir(db) / f"building-999999-{time.time_ns()}.duckdb"
    ghost.write_bytes(b"")
    os.utime(ghost, (later, later))
    assert store.last_failure(db)["message"] == store.INTERRUPTED_MESSAGE
    # ...and a build older than the record does not hide the record.
    earlier = time.time() - 3600
    os.utime(ghost, (earlier, earlier))
    assert store.last_failure(db) == recorded


def test_last_failure_is_cheap_when_nothing_failed(db, tmp_path):
    ingest([borough_csv(tmp_path / "good.csv", 1)], db=db)
    start = time.perf_counter()
    for _ in range(200):
        assert store.last_failure(db) is None
    per_call = (time.perf_counter() - start) / 200
    assert per_call < 0.005, f"{per_call * 1000:.2f} ms per call"
    assert store.last_failure(tmp_path / "no_store_here" / "sbp.duckdb") is None
    assert not (tmp_path / "no_store_here").exists(), "asking must not create the store's folders"
