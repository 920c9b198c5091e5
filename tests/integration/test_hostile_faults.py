"""Faults in plain words: a full disk (at any point of a load, COMMIT and CHECKPOINT included), a read-only folder,
a file name too long, a field or line too long, a non-number, mixed encodings: one line each, the store unchanged."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from sbp import store
from sbp.display.formatting import shown_text
from sbp.errors import IngestError, StoreWriteError
from sbp.ingest import ingest, save_uploads
from sbp.store import queries
from tests.conftest import borough_csv, copy_store, store_of
from tests.integration.test_dashboard_workbook import MIRROR, as_csv_rows, fixture_rows

DISK_FULL = "the disk is full; free space there and load again"


def snapshot(db: Path) -> tuple:
    with store.connect_read(db) as con:
        rows = tuple(con.execute("SELECT * FROM crime_counts ORDER BY ALL").fetchall())
    return rows, store.data_version(db)


def leftovers(db: Path) -> list[str]:
    return sorted(p.name for p in store.versions_dir(db).iterdir()
                  if p.name.startswith(("building-", "scratch-", "upload-")))


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    """A small borough store (3 boroughs, 2 categories, 24 months)."""
    folder = tmp_path_factory.mktemp("faults-base")
    text = borough_csv(folder / "base.csv", 2).read_text()
    return store_of(tmp_path_factory, {"base.csv": text})


@pytest.fixture(scope="module")
def update_file(tmp_path_factory) -> Path:
    """A re-issue with five boroughs: enough to write a new version several MB long."""
    return borough_csv(tmp_path_factory.mktemp("faults-update") / "update.csv", 5,
                       boroughs=("Bromley", "Bexley", "Croydon", "Camden", "Hackney"))


@contextlib.contextmanager
def small_disk(size_mb: int, where: Path):
    """A tmpfs of size_mb mounted at where (root only), or a skip saying why not."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'not root'}); "
                    "test_a_full_disk_at_commit_or_checkpoint_through_the_seam covers the same mapping")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path, leave: int) -> None:
    """Write a filler file so that only `leave` bytes stay free on folder's file system."""
    stat = os.statvfs(folder)
    with open(folder / "filler", "wb") as handle:
        handle.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))


# Free bytes left on a 20 MB disk holding a ~6 MB store: the copy, the load, COMMIT (the WAL) and CHECKPOINT each
# run out at some of these (before the fix 3.0-3.8 MB gave "TransactionException" or "FatalException" lines).
FREE_LEVELS = [0, 500_000, 1_500_000, 2_500_000, 3_000_000, 3_200_000, 3_400_000, 3_600_000, 3_800_000, 4_500_000,
               5_500_000]


def test_a_full_disk_anywhere_in_a_load_is_one_line_and_the_store_unchanged(base_store, update_file, tmp_path):
    with small_disk(20, tmp_path / "disk") as disk:
        for free in FREE_LEVELS:
            db = copy_store(base_store, disk / f"s{free}" / base_store.name)
            before = snapshot(db)
            fill(db.parent, free)
            with pytest.raises(StoreWriteError) as caught:
                ingest([update_file], db=db)
            message = str(caught.value)
            assert message.startswith(f"Cannot write the store in {db.parent}: the disk is full"), (free, message)
            assert message.endswith(f"{DISK_FULL}. Nothing was loaded; the data shown is unchanged."), message
            assert snapshot(db) == before and leftovers(db) == [], free
            shutil.rmtree(db.parent)


@pytest.mark.parametrize("step,exception", [("COMMIT", duckdb.TransactionException), ("CHECKPOINT", duckdb.FatalException)])
def test_a_full_disk_at_commit_or_checkpoint_through_the_seam(base_store, update_file, tmp_path, monkeypatch, step,
                                                              exception):
    """DuckDB's own exception classes and wording, raised where the disk fills (when no small disk can be mounted)."""
    db = copy_store(base_store, tmp_path / "s" / base_store.name)
    before = snapshot(db)
    real_commit = store._commit

    def full(con):
        if step == "CHECKPOINT":
            real_commit(con)
        raise exception(f'Failed to {step.lower()}: Could not write file "{db}.wal": No space left on device')

    monkeypatch.setattr(store, "_commit", full)
    with pytest.raises(StoreWriteError) as caught:
        ingest([update_file], db=db)
    assert DISK_FULL in str(caught.value)
    monkeypatch.undo()
    assert snapshot(db) == before and leftovers(db) == []
    assert DISK_FULL in store.last_failure(db)["message"]


def test_a_read_only_folder_is_one_line_and_the_store_unchanged(base_store, update_file, tmp_path):
    with small_disk(20, tmp_path / "disk") as disk:
        db = copy_store(base_store, disk / "s" / base_store.name)
        before = snapshot(db)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        with pytest.raises(StoreWriteError) as caught:
            ingest([update_file], db=db)
        assert str(caught.value).startswith(f"Cannot write the store in {db.parent}: the folder is on a read-only file "
                                            "system; make it writable"), caught.value
        assert snapshot(db) == before and leftovers(db) == []


def test_the_scratch_folder_outlives_the_commit(base_store, update_file, tmp_path, monkeypatch):
    """DuckDB spills into the scratch folder; COMMIT and CHECKPOINT may read it back, so it must still be there."""
    db = copy_store(base_store, tmp_path / "s" / base_store.name)
    real_commit = store._commit
    at_commit = []

    def commit(con):
        scratch = Path(con.execute(queries.TEMP_DIRECTORY_SQL).fetchone()[0])
        at_commit.append((scratch, scratch.is_dir()))
        real_commit(con)

    monkeypatch.setattr(store, "_commit", commit)
    ingest([update_file], db=db)
    (scratch, existed), = at_commit
    assert scratch.parent == store.versions_dir(db) and scratch.name.startswith("scratch-")
    assert existed and not scratch.exists() and leftovers(db) == []


class Upload:
    """What the Data page hands save_uploads: a name and the bytes."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self._data, self._at = name, data, 0

    def seek(self, at: int) -> None:
        self._at = at

    def read(self, size: int = -1) -> bytes:
        chunk = self._data[self._at:] if size < 0 else self._data[self._at:self._at + size]
        self._at += len(chunk)
        return chunk


def test_a_file_name_too_long_for_the_disk_is_one_line(tmp_path):
    name = "A" * 296 + ".csv"
    with pytest.raises(IngestError) as caught:
        save_uploads([Upload(name, b"month,area,category,count\n")], tmp_path)
    assert str(caught.value) == ("A" * 60 + "…(300 characters): the file name is 300 characters long, more than the 255 "
                                 "bytes a file name may have here; rename the file and load it again")
    assert list(tmp_path.iterdir()) == []


def test_a_file_name_too_long_on_the_data_page_is_one_line_and_nothing_is_loaded(base_store, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from sbp.web.auth import hash_password

    db = copy_store(base_store, tmp_path / "s" / base_store.name)
    before = snapshot(db)
    monkeypatch.setenv("SBP_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120)
    at.secrets["admin"] = {"username": "analyst", "password_hash": hash_password("pw-for-the-test")}
    at.run()
    at.switch_page("pages/data_page.py").run()
    at.text_input[0].input("analyst")
    at.text_input[1].input("pw-for-the-test")
    at.button[0].click().run()
    at.file_uploader[0].set_value(("B" * 296 + ".csv", b"month,area,category,count\n2023-11,Bromley,x,4\n", "text/csv"))
    at.run()
    at.button(key="data_load").click().run()
    assert not at.exception
    errors = [shown_text(e.value) for e in at.error]
    assert errors == ["B" * 60 + "…(300 characters): the file name is 300 characters long, more than the 255 bytes a "
                      "file name may have here; rename the file and load it again. The data shown is unchanged."], errors
    assert snapshot(db) == before


def wide_file(path: Path, row: str) -> Path:
    """An MPS borough file: one good row, then row (line 3)."""
    path.write_text("MajorText,MinorText,LookUp_BoroughName,202311\nBurglary,Domestic Burglary,Bromley,5\n" + row + "\n")
    return path


@pytest.mark.parametrize("field", [200_000, 3_000_000], ids=["200KB", "3MB"])
def test_a_long_quoted_field_on_a_bad_row_is_found_by_line(base_store, tmp_path, field):
    """Python's CSV reader stopped at 128 KB (then 2 MB) with `_csv.Error: field larger than field limit`."""
    db = copy_store(base_store, tmp_path / "s" / base_store.name)
    before = snapshot(db)
    bad = wide_file(tmp_path / "wide.csv", 'Burglary,"' + "x" * field + '",Bromley,5,6')
    with pytest.raises(IngestError) as caught:
        ingest([bad], db=db)
    assert str(caught.value) == "wide.csv, line 3: too many fields on this row (an unquoted comma?)"
    assert snapshot(db) == before


def test_a_line_over_1_mb_is_called_a_long_line_not_a_bad_quote(base_store, tmp_path):
    db = copy_store(base_store, tmp_path / "s" / base_store.name)
    bad = wide_file(tmp_path / "wide.csv", 'Burglary,"' + "x" * 1_200_000 + '",Bromley,5')
    with pytest.raises(IngestError) as caught:
        ingest([bad], db=db)
    assert str(caught.value) == ("wide.csv, line 3: a line of 1,200,021 bytes, longer than the 1 MB a line may be "
                                 "(a quote left open?)")


def test_a_word_in_a_workbook_csv_count_is_called_a_non_number(base_store, tmp_path):
    db = copy_store(base_store, tmp_path / "s" / base_store.name)
    rows = as_csv_rows(fixture_rows()[:4])
    rows[2][10] = "lots"
    path = tmp_path / "dash.csv"
    path.write_text(",".join(MIRROR) + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    with pytest.raises(IngestError) as caught:
        ingest([path], db=db)
    assert str(caught.value) == "dash.csv, line 4, column 'count': 'lots' is not a number"


def test_one_windows_1252_byte_in_a_utf8_file_is_refused_not_garbled(base_store, tmp_path):
    db = copy_store(base_store, tmp_path / "s" / base_store.name)
    before = snapshot(db)
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes("month,area,category,count\n2023-11,Bromley,CAFÉ,40\n".encode("utf-8")
                      + "2023-11,Bromley,Café theft,41\n".encode("cp1252"))
    with pytest.raises(IngestError) as caught:
        ingest([mixed], db=db)
    assert str(caught.value) == ("mixed.csv, line 3: byte 0xe9 is not UTF-8, but line 2 has UTF-8 accented text: the "
                                 "file mixes two encodings; save it as CSV UTF-8 and load it again")
    assert snapshot(db) == before


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_file_in_one_encoding_reads_as_written_and_says_which(base_store, tmp_path, encoding):
    db = copy_store(base_store, tmp_path / "s" / base_store.name)
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes("month,area,category,count\n2023-11,Bromley,CAFÉ théft,40\n".encode(encoding))
    summary, = ingest([path], db=db)
    with store.connect_read(db) as con:
        names = con.execute("SELECT DISTINCT minor_category FROM crime_counts WHERE minor_category ILIKE 'caf%'").fetchall()
    assert names == [("CAFÉ théft",)]
    said = "read as Windows-1252 text: the file is not UTF-8"
    assert (said in summary.notes) == (encoding == "cp1252"), summary.notes


def test_a_spill_onto_a_full_disk_is_the_disk_not_the_memory_budget(tmp_path):
    """DuckDB says "Out of Memory ... max_temp_directory_size" when its scratch folder's disk fills."""
    from sbp.ingest.errortext import load_errors

    with small_disk(2, tmp_path / "disk") as disk:
        con = duckdb.connect(config={"temp_directory": str(disk)})
        con.execute("SET memory_limit = '60MB'; SET preserve_insertion_order = false")
        db = tmp_path / "s" / "sbp.duckdb"
        with pytest.raises(StoreWriteError) as caught, load_errors(tmp_path / "big.csv", db, 60):
            con.execute("CREATE TABLE t AS SELECT i, md5(i::VARCHAR) AS h FROM range(5000000) r(i) ORDER BY h")
        con.close()
    assert str(caught.value).startswith(f"Cannot write the store in {db.parent}: {DISK_FULL}"), caught.value
