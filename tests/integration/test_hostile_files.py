"""Hostile and mistaken files: bounded memory, unknown areas, poisoned months, lenient values.

Each test here failed before the fix it names (issue 11).
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sbp import store
from sbp.cli import main
from sbp.display.formatting import shown_text
from sbp.errors import IngestError
from sbp.ingest import ingest, save_uploads, textfile
from sbp.web import auth

REPO = Path(__file__).resolve().parents[2]
MONTHS = ["202309", "202310", "202311"]
HEAD = "MajorText,MinorText,LookUp_BoroughName," + ",".join(MONTHS) + "\n"

from tests.conftest import copy_store, store_of  # noqa: E402
from tests.integration.test_admin import app as admin_app  # noqa: E402,F401 (a fixture)


def wide(rows: list[tuple[str, str, str, list[int]]], months: list[str] = MONTHS) -> str:
    lines = ["MajorText,MinorText,LookUp_BoroughName," + ",".join(months)]
    lines += [f"{a},{b},{c}," + ",".join(str(v) for v in vals) for a, b, c, vals in rows]
    return "\n".join(lines) + "\n"


def extract(scale: int = 1) -> str:
    """A small borough extract; a re-issue revises every count by scale."""
    return wide([("Burglary", "Domestic Burglary", "Bromley", [10 * scale, 20 * scale, 30 * scale]),
                 ("Burglary", "Domestic Burglary", "Bexley", [1, 2, 3]),
                 ("Burglary", "Domestic Burglary", "London Heathrow and London City Airports", [0, 1, 0])])


EXTRACT = extract()


def london_total(db: Path) -> int:
    with store.connect_read(db) as con:
        return int(con.execute("SELECT sum(offence_count) FROM crime_counts WHERE area_level = 'borough'").fetchone()[0])


def snapshot(db: Path) -> tuple:
    with store.connect_read(db) as con:
        rows = tuple(con.execute("SELECT * FROM crime_counts ORDER BY ALL").fetchall())
    return rows, store.data_version(db)


@pytest.fixture(scope="session")
def extract_store(tmp_path_factory) -> Path:
    """EXTRACT (as extract.csv) loaded into a new store, once per run."""
    return store_of(tmp_path_factory, {"extract.csv": EXTRACT})


@pytest.fixture
def loaded(extract_store, db) -> Path:
    """The test's store (db) holding EXTRACT: a copy of extract_store."""
    return copy_store(extract_store, db)


# --- unknown areas and double counting ------------------------------------------------------

def test_a_reissue_with_a_misspelt_borough_is_refused_with_the_close_name(loaded, write_csv):
    before = snapshot(loaded)
    reissue = EXTRACT.replace("Bromley", "Bromly")
    with pytest.raises(IngestError) as caught:
        ingest([write_csv("reissue.csv", reissue)], db=loaded)
    message = str(caught.value)
    assert "unknown borough 'Bromly'" in message and "did you mean 'Bromley'" in message, message
    assert "--new-area" in message and caught.value.line == 2
    assert snapshot(loaded) == before


def test_a_new_area_added_on_purpose_replaces_whole_months_so_london_is_unchanged(loaded, write_csv):
    london = london_total(loaded)
    reissue = EXTRACT.replace("Bromley", "Bromly")
    ingest([write_csv("reissue.csv", reissue)], db=loaded, new_areas=["Bromly"])
    assert london_total(loaded) == london, "the old Bromley rows were replaced, not kept beside the new name"
    with store.connect_read(loaded) as con:
        assert con.execute("SELECT count(*) FROM crime_counts WHERE borough = 'Bromley'").fetchone()[0] == 0


def test_an_unknown_borough_is_not_added_to_london(db, write_csv):
    extra = EXTRACT + "Burglary,Domestic Burglary,Gotham,5,5,5\n"
    with pytest.raises(IngestError, match="unknown borough 'Gotham'"):
        ingest([write_csv("gotham.csv", extra)], db=db)


@pytest.mark.parametrize("name,content,problem", [
    ("ward.csv", "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,202311\n"
                 "Theft,Shoplifting,Bromley Town,E05099999,Bromley,3\n", "unknown ward code 'E05099999'"),
    ("long.csv", "month,area,category,count\n2023-11,Bromly,ASB calls,3\n", "unknown borough 'Bromly'"),
    ("pop.csv", "area,population\nBromley,330000\nBromly,330000\n", "unknown borough 'Bromly'"),
    ("police.csv", "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
                   "Last outcome category,Context\n,2023-11,P,P,0,51,x,E01014399,Bristol,Burglary,,\n", "not an official LSOA name"),
])
def test_unknown_areas_in_other_formats_are_refused(db, write_csv, name, content, problem):
    with pytest.raises(IngestError, match=problem):
        ingest([write_csv(name, content)], db=db)


def test_real_extracts_name_only_known_areas(db, real_files):
    ingest(list(real_files), db=db)  # every borough and the airports area is known
    ward = real_files[0].parent / "mps_ward_level_crime_2021-12_to_2023-11.csv"
    if ward.exists():
        ingest([ward], db=db)  # all 680 ward codes are in data/london_wards.csv


# --- poisoned months ------------------------------------------------------------------------

def test_a_header_typo_in_the_future_is_refused_and_later_extracts_still_load(loaded, write_csv):
    before = snapshot(loaded)
    typo = EXTRACT.replace("202311", "203311")
    with pytest.raises(IngestError) as caught:
        ingest([write_csv("typo.csv", typo)], db=loaded)
    assert "203311 is after the current month" in str(caught.value) and caught.value.column == "203311"
    assert snapshot(loaded) == before
    later = EXTRACT.replace("202309,202310,202311", "202310,202311,202312")
    assert ingest([write_csv("later.csv", later)], db=loaded)[0].months_kept == 0


def test_wide_months_must_be_one_unbroken_run(db, write_csv):
    gap = EXTRACT.replace("202311", "202401")
    with pytest.raises(IngestError, match="skip from 202310 to 202401"):
        ingest([write_csv("gap.csv", gap)], db=db)


def test_future_months_in_long_and_police_files_are_refused(db, write_csv):
    next_year = dt.date.today().year + 1
    with pytest.raises(IngestError, match="after the current month"):
        ingest([write_csv("long.csv", f"month,area,category,count\n{next_year}-01,Bromley,ASB calls,3\n")], db=db)


# --- lenient values -------------------------------------------------------------------------

@pytest.mark.parametrize("cell,problem", [
    ("1_000", "plain digits"), ("1e3", "plain digits"), (" +7 ", "plain digits"), ("0x10", "not a whole number"),
    ("999999999999", "too large for one borough"), ("100001", "too large for one borough"),
])
def test_counts_are_plain_whole_numbers_below_the_level_limit(db, write_csv, cell, problem):
    content = HEAD + f"Burglary,Domestic Burglary,Bromley,1,{cell},2\n"
    with pytest.raises(IngestError, match=problem) as caught:
        ingest([write_csv("lenient.csv", content)], db=db)
    assert caught.value.line == 2 and caught.value.column == "202310"


def test_counts_with_spaces_around_plain_digits_still_load(db, write_csv):
    ingest([write_csv("spaced.csv", HEAD + "Burglary,Domestic Burglary,Bromley, 1 ,2,3\n")], db=db)
    assert london_total(db) == 6


@pytest.mark.parametrize("content,problem", [
    ("area,population\nBromley,1\n", "implausible for the area's level"),
    ("area,population,area_level\nBromley Town,5,ward\n", "implausible for the area's level"),
    ("area,population\nNarnia,300000\n", "unknown borough 'Narnia'"),
])
def test_populations_are_plausible_for_known_areas(db, write_csv, content, problem):
    with pytest.raises(IngestError, match=problem):
        ingest([write_csv("pop.csv", content)], db=db)


# --- bounded memory -------------------------------------------------------------------------

def malformed_file(path: Path, megabytes: int = 50) -> Path:
    """A valid MPS header, then rows with three of the 27 fields: each row is malformed."""
    header = "MajorText,MinorText,LookUp_BoroughName," + ",".join(f"{2022 + i // 12}{i % 12 + 1:02d}" for i in range(24)) + "\n"
    row = b"Burglary,Domestic Burglary,Bromley\n"
    block = row * (1 << 14)
    with open(path, "wb") as handle:
        handle.write(header.encode())
        while handle.tell() < megabytes << 20:
            handle.write(block)
    return path


# The peak of this process's own memory (VmHWM), not ru_maxrss: Linux carries the forking process's peak into a
# child's ru_maxrss at exec, so after a long test run the pytest worker's own ~1.1 GB showed up as the child's.
PEAK = """
import sys
{body}
status = open("/proc/self/status").read()
print("PEAK_KB", status.split("VmHWM:")[1].split()[0])
"""


def run_measured(body: str, env: dict[str, str]) -> tuple[str, int]:
    """Run body in a fresh Python and return its output and its peak resident memory in MB."""
    proc = subprocess.run([sys.executable, "-c", PEAK.format(body=textwrap.dedent(body))], cwd=REPO,
                          env=os.environ | {"PYTHONPATH": str(REPO)} | env, capture_output=True, text=True, timeout=600)
    assert "PEAK_KB" in proc.stdout, proc.stderr[-2000:]
    out, peak = proc.stdout.rsplit("PEAK_KB", 1)
    return out + proc.stderr, int(peak) // 1024


@pytest.mark.slow
def test_a_50_mb_file_of_malformed_rows_is_refused_in_one_line_within_1_gb(loaded, tmp_path):
    bad = malformed_file(tmp_path / "malformed.csv")
    before = snapshot(loaded)
    out, peak_mb = run_measured(f"""
        from sbp.cli import main
        main(["ingest", "--db", {str(loaded)!r}, {str(bad)!r}])
    """, {})
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert errors == ["error: malformed.csv, line 2: too few fields on this row (is the file truncated?)"], out
    assert peak_mb < 1024, f"peak {peak_mb} MB"
    print(f"CLI: peak {peak_mb} MB")
    assert snapshot(loaded) == before


@pytest.mark.slow
def test_the_same_file_through_the_upload_page_is_refused_within_1_gb(demo_db, tmp_path):
    bad = malformed_file(tmp_path / "malformed.csv")
    before = store.data_version(demo_db)
    out, peak_mb = run_measured(f"""
        from pathlib import Path
        from streamlit.testing.v1 import AppTest
        from sbp.display.formatting import shown_text
        from sbp.web.auth import hash_password
        at = AppTest.from_file("app.py", default_timeout=300)
        at.secrets["admin"] = {{"username": "analyst", "password_hash": hash_password("pw-for-the-test", iterations=600_000)}}
        at.run()
        at.switch_page("pages/data_page.py").run()
        at.text_input[0].input("analyst")
        at.text_input[1].input("pw-for-the-test")
        at.button[0].click().run()
        at.file_uploader[0].set_value(("malformed.csv", Path({str(bad)!r}).read_bytes(), "text/csv"))
        at.run()
        at.button(key="data_load").click().run()
        for e in at.error:
            print("ERROR", shown_text(e.value))
    """, {"SBP_DB": str(demo_db)})
    assert "ERROR malformed.csv, line 2: too few fields" in out, out[-3000:]
    assert peak_mb < 1024, f"peak {peak_mb} MB"
    print(f"upload path: peak {peak_mb} MB")
    assert store.data_version(demo_db) == before


# --- faults: read-only folder, full disk, kills ------------------------------------------------

def leftovers(db: Path) -> list[str]:
    vdir = store.versions_dir(db)
    names = [p.name for p in vdir.iterdir() if p.name.startswith(("building-", "scratch-", "upload-"))]
    return sorted(names + [p.name for p in db.parent.glob(f".{db.name}.link-*")])


@pytest.mark.parametrize("code,problem", [(errno.EROFS, "read-only file system"), (errno.ENOSPC, "the disk is full")])
@pytest.mark.parametrize("where", ["copy", "publish", "transcode"])
def test_a_read_only_folder_or_full_disk_is_one_line_and_leaves_nothing(loaded, write_csv, monkeypatch, capsys, code, problem, where):
    """CI runs as root, where permissions stop nothing: the OSError is injected where the write happens."""
    before = snapshot(loaded)
    update = write_csv("update.csv", extract(2).encode("cp1252") + "Theft,Caf\xe9 theft,Bromley,1,1,1\n".encode("cp1252"))

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    target = {"copy": (store.shutil, "copyfile"), "publish": (store.os, "replace"),
              "transcode": (textfile.tempfile, "NamedTemporaryFile")}[where]
    monkeypatch.setattr(*target, fail)
    assert main(["ingest", "--db", str(loaded), str(update)]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[1/1] loading")]
    err = errors[0]
    assert len(errors) == 1 and err.startswith(f"error: Cannot write the store in {loaded.parent}: "), errors
    assert problem in err and "update.csv" not in err, "the file is not blamed for the disk"
    monkeypatch.undo()
    assert snapshot(loaded) == before
    assert leftovers(loaded) == []


@pytest.mark.slow
def test_a_killed_ingest_leaves_nothing_after_the_next_run(loaded, tmp_path):
    """SIGKILL during a load of a Windows-1252 file (so a transcoded copy exists); the next run cleans up."""
    big = tmp_path / "big.csv"
    months = [f"{2019 + i // 12}{i % 12 + 1:02d}" for i in range(48)]
    with open(big, "w", encoding="cp1252", newline="") as handle:
        handle.write("MajorText,MinorText,LookUp_BoroughName," + ",".join(months) + "\n")
        cells = ",".join("1" for _ in months)
        for i in range(60_000):
            handle.write(f"Theft,Caf\xe9 theft {i},Bromley,{cells}\n")
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "sbp", "ingest", "--db", str(loaded), str(big)], cwd=REPO,
                            env=os.environ | {"PYTHONPATH": str(REPO), "TMPDIR": str(system_tmp)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not any(n.startswith("scratch-") for n in leftovers(loaded)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the ingest finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert leftovers(loaded), "the kill left its scratch folder behind"
    assert not list(system_tmp.iterdir()), "nothing is left in the system temp folder"
    ingest([tmp_path.joinpath("next.csv").write_text(extract(3)) and tmp_path / "next.csv"], db=loaded)
    assert leftovers(loaded) == []


def test_a_kill_between_rename_and_publish_is_reported_then_cleaned(loaded, write_csv):
    """Crash window: the new version file exists but the link still points at the old one."""
    orphan = store.versions_dir(loaded) / f"v{time.time_ns()}.duckdb"
    orphan.write_bytes(b"")
    failure = store.last_failure(loaded)
    assert failure is not None and failure["message"] == store.INTERRUPTED_MESSAGE
    ingest([write_csv("next.csv", extract(4))], db=loaded)
    assert not orphan.exists() and store.last_failure(loaded) is None


def test_a_kill_after_publish_does_not_leave_a_stale_failure_banner(loaded, write_csv, monkeypatch):
    """Crash window: published, then killed before the old failure record was cleared."""
    with pytest.raises(IngestError):
        ingest([write_csv("bad.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1,x,2\n")], db=loaded)
    assert store.last_failure(loaded) is not None
    monkeypatch.setattr(store, "clear_failure", lambda db: None)  # as if killed right after the swap
    ingest([write_csv("good.csv", extract(5))], db=loaded)
    assert store.last_failure(loaded) is None


def test_the_public_failure_banner_names_the_file_and_problem_never_its_content(db, tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n")
    link = tmp_path / "extract.csv"
    link.symlink_to(secret)
    with pytest.raises(IngestError, match="root"):  # the person loading it sees the detail
        ingest([link], db=db)
    message = store.last_failure(db)["message"]
    assert message.startswith("extract.csv, line 1: unrecognised header") and "root" not in message, message


# --- uploads ------------------------------------------------------------------------------------

class Upload(io.BytesIO):
    def __init__(self, name: str, data: bytes):
        super().__init__(data)
        self.name = name


def test_uploads_with_the_same_name_are_kept_apart(tmp_path):
    a = b"month,area,category,count\n2023-11,Bromley,ASB calls,4\n"
    b = b"month,area,category,count\n2023-11,Bromley,Hate crime,2\n"
    paths = save_uploads([Upload("extract.csv", a), Upload("extract.csv", b), Upload("../../evil.csv", a)], tmp_path)
    assert [p.read_bytes() for p in paths] == [a, b, a]
    assert all(p.parent.parent == tmp_path for p in paths) and paths[2].name == "evil.csv"


def test_two_same_name_uploads_on_the_data_page_are_both_reported(demo_db, admin_app):
    from tests.integration.test_admin import PASSWORD, sign_in

    at = sign_in(admin_app(demo_db, "pages/data_page.py"), "analyst", PASSWORD)
    at.file_uploader[0].set_value([
        ("extract.csv", b"month,area,category,count\n2023-11,Bromley,ASB calls,4\n", "text/csv"),
        ("extract.csv", b"month,area,category,count\n2023-11,Bromley,Hate crime,2\n", "text/csv"),
    ])
    at.run()
    at.button(key="data_load").click().run()
    assert not at.error, [e.value for e in at.error]
    shown = [shown_text(m.value) for m in at.markdown]
    assert any(s.startswith("upload 1 of 2: extract.csv: long_counts") for s in shown), shown
    assert any(s.startswith("upload 2 of 2: extract.csv: long_counts") for s in shown), shown
    with store.connect_read(demo_db) as con:
        got = dict(con.execute("SELECT minor_category, sum(offence_count) FROM crime_counts "
                               "WHERE minor_category IN ('ASB calls', 'Hate crime') AND month = DATE '2023-11-01' "
                               "AND area_name = 'Bromley' GROUP BY 1").fetchall())
    assert got == {"ASB calls": 4, "Hate crime": 2}


# --- categories the configuration does not know ---------------------------------------------------

def test_a_renamed_category_is_reported_at_ingest_with_the_measures_it_might_belong_to(loaded, write_csv):
    renamed = extract(2).replace("Domestic Burglary", "Residential Burglary")
    summary = ingest([write_csv("renamed.csv", renamed)], db=loaded)[0]
    text = summary.describe()
    assert "1 categories are not in the configuration" in text, text
    assert "'Residential Burglary' (might belong to burglary, residential_burglary)" in text, text
    assert "measures with none of their categories in this file" in text and "residential_burglary" in text.split("n/a")[-1]
    known = ingest([write_csv("known.csv", extract(3))], db=loaded)[0].describe()
    assert "not in the configuration" not in known and "residential_burglary" not in known


# --- recovering from a wrong file without a rebuild ---------------------------------------------

def test_forget_removes_one_file_and_keeps_a_record(loaded, write_csv, capsys):
    extra = wide([("Theft", "Shoplifting", "Bromley", [5, 5, 5])], months=["202312", "202401", "202402"])
    ingest([write_csv("extra.csv", extra)], db=loaded)
    with store.connect_read(loaded) as con:
        assert con.execute("SELECT max(month) FROM crime_counts").fetchone()[0] == dt.date(2024, 2, 1)
    assert main(["forget", "--db", str(loaded), "extra.csv"]) == 0
    assert "Forgot extra.csv (Dec 2023 to Feb 2024): 3 rows removed" in capsys.readouterr().out
    with store.connect_read(loaded) as con:
        assert con.execute("SELECT max(month) FROM crime_counts").fetchone()[0] == dt.date(2023, 11, 1)
        assert con.execute("SELECT count(*) FROM source_files WHERE file_name = 'extra.csv'").fetchone()[0] == 0
        assert "extra.csv" in con.execute("SELECT value FROM store_meta WHERE key LIKE 'forgotten:%'").fetchone()[0]
    assert main(["forget", "--db", str(loaded), "extr.csv"]) == 1
    assert "Unknown loaded file 'extr.csv'" in capsys.readouterr().err  # it is forgotten


# --- admin sign-in ------------------------------------------------------------------------------

def test_failed_sign_ins_wait_longer_each_time_per_user_and_per_session():
    throttle = auth.Throttle()
    admin = ("analyst", auth.hash_password("right-password-here"))
    for _ in range(3):
        assert auth.attempt_login("analyst", "guess", admin, "s1", throttle) == (
            False, "That username and password do not match the configured admin.")
    ok, message = auth.attempt_login("analyst", "right-password-here", admin, "s2", throttle)
    assert not ok and message.startswith("Too many failed sign-ins"), "the user is throttled from another session too"
    ok, message = auth.attempt_login("someone", "x", admin, "s1", throttle)
    assert not ok and message.startswith("Too many failed sign-ins"), "and the session for another user name"
    assert [auth.delay(n) for n in (1, 2, 3, 4, 5, 20)] == [0, 0, 1, 2, 4, auth.MAX_DELAY_SECONDS]
    assert throttle.wait_seconds("user:analyst", now=time.monotonic() + 2) == 0


def test_a_stored_hash_below_the_current_iteration_count_is_refused():
    weak = auth.hash_password("a-long-password", iterations=1)
    assert not auth.verify_password("a-long-password", weak)
    assert auth.admin_from_secrets({"admin": {"username": "analyst", "password_hash": weak}}) is None
    assert "fewer than the 600,000 required" in auth.configured_hash_problem({"admin": {"password_hash": weak}})
    assert auth.verify_password("a-long-password", auth.hash_password("a-long-password"))
