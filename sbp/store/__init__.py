"""The DuckDB store: versioned files swapped atomically so readers never see a half-loaded state.

Layout for a store path P (default data/sbp.duckdb):
  P                  a symlink to the current version, e.g. P.versions/v1764078000000000000.duckdb
  P.versions/        immutable version files, the write lock and the last-failure record; also a writer's
                     build (building-*), its scratch folder (scratch-*: transcoded copies and DuckDB's spill files,
                     kept until the build is published) and Data-page uploads (upload-PID-*), all removed on
                     every exit path and, after a kill, by the next writer

A writer copies the current version to a new file, loads into it, checkpoints, then swaps the
symlink with os.replace. Readers open the version the symlink points at, read-only, by its own
path, so they never share a file (or DuckDB's per-path instance cache) with a writer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb

from sbp.errors import SbpError, StoreBusyError, StoreMissingError, StoreOutdatedError, StoreWriteError
from sbp.store import queries

DEFAULT_DB = Path(__file__).resolve().parents[2] / "data" / "sbp.duckdb"
SCHEMA_SQL = (Path(__file__).with_name("schema.sql")).read_text()
KEEP_VERSIONS = 3
SCHEMA_VERSION = "7"  # bump when schema.sql changes; readers refuse older stores with a fix-it message
LOCK_WAIT_SECONDS = 120.0


class NoChange(Exception):
    """Raised inside new_version() when there is nothing to publish."""


def resolve_db_path(db: str | os.PathLike | None = None) -> Path:
    """The store path: --db, else env SBP_DB, else data/sbp.duckdb."""
    chosen = db or os.environ.get("SBP_DB") or DEFAULT_DB
    return Path(chosen).expanduser().absolute()


def versions_dir(db: Path) -> Path:
    """The folder holding the store's version files."""
    return db.with_name(db.name + ".versions")


def current_version_file(db: Path) -> Path | None:
    """The file readers should open now, or None when no store exists."""
    if db.is_symlink():
        target = Path(os.readlink(db))
        target = target if target.is_absolute() else db.parent / target
        return target if target.exists() else None
    return db if db.exists() else None


def data_version(db: str | os.PathLike | None = None) -> str:
    """A string that changes whenever a new version of the store is published ('' if none)."""
    path = resolve_db_path(db)
    current = current_version_file(path)
    if current is None:
        return ""
    st = current.stat()
    return f"{current.name}:{st.st_ino}:{st.st_mtime_ns}"


def exists(db: str | os.PathLike | None = None) -> bool:
    """Whether a store has been built at this path."""
    return current_version_file(resolve_db_path(db)) is not None


def connect_read(db: str | os.PathLike | None = None, version: str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current version of the store, or to the version a data_version() names.

    Naming the version keeps a cache keyed on it honest: what is read is what the key says, even if a newer
    version has been published since (falls back to the current one if that version has been cleaned up).
    """
    path = resolve_db_path(db)
    current = current_version_file(path)
    if version:
        named = versions_dir(path) / version.split(":", 1)[0]
        if named.name.startswith("v") and named.suffix == ".duckdb" and named.is_file():
            current = named
    if current is None:
        raise StoreMissingError(
            f"No store at {path}. Load data with `python -m sbp ingest FILE...` or build the demo with `python -m sbp demo`."
        )
    con = duckdb.connect(str(current), read_only=True)
    if schema_version(con) != SCHEMA_VERSION:
        con.close()
        raise StoreOutdatedError(
            f"The store at {path} was built by another version of sbp; run `python -m sbp upgrade` to bring it up to date."
        )
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The schema version recorded in the store, or None for stores from before versions were recorded."""
    try:
        row = con.execute(queries.SCHEMA_VERSION_SQL).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


@contextlib.contextmanager
def write_lock(db: Path, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the store's single-writer lock, waiting up to wait_seconds (default LOCK_WAIT_SECONDS) for another ingest."""
    wait_seconds = LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
    vdir = versions_dir(db)
    vdir.mkdir(parents=True, exist_ok=True)
    with open(vdir / "write.lock", "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"Another ingest is writing to {db}; try again when it has finished."
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    """Remove a file or folder if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def process_alive(pid: int, group: bool = False) -> bool:
    """Whether a process (with group: any process of the process group pid) still exists."""
    try:
        (os.killpg if group else os.kill)(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to another user
        return True
    return True


def version_stamp(version_file: Path | None) -> int:
    """The build start time (ns) in a version file's name, 0 for imported or unknown files."""
    found = re.fullmatch(r"v(\d+)\.duckdb", version_file.name) if version_file else None
    return int(found[1]) if found else 0


def _cleanup(db: Path) -> None:
    """Remove what dead writers left (we hold the lock, so they are dead) and old versions.

    Leftovers: unfinished builds and their scratch folders, link files from an interrupted publish, versions
    renamed but never published (newer than the current one), and uploads of a process that no longer runs.
    """
    vdir = versions_dir(db)
    for stale in [*vdir.glob("building-*"), *vdir.glob("scratch-*"), *db.parent.glob(f".{db.name}.link-*")]:
        _remove(stale)
    for upload in vdir.glob("upload-*"):
        pid = upload.name.split("-")[1]
        if not pid.isdigit() or not process_alive(int(pid)):
            _remove(upload)
    current = current_version_file(db)
    versions = sorted(vdir.glob("v*.duckdb"), key=version_stamp)
    if current is not None:
        for orphan in [v for v in versions if version_stamp(v) > version_stamp(current)]:
            _remove(orphan)
            versions.remove(orphan)
    keep = set(versions[-KEEP_VERSIONS:])
    if current is not None:
        keep.add(current)
    for old in versions:
        if old not in keep:
            old.unlink(missing_ok=True)


def scratch_folder(con: duckdb.DuckDBPyConnection) -> Path:
    """The private scratch folder of the version being built on con (new_version's), for transcoded copies."""
    return Path(con.execute(queries.TEMP_DIRECTORY_SQL).fetchone()[0])


@contextlib.contextmanager
def upload_dir(db: str | os.PathLike | None = None) -> Iterator[Path]:
    """A private folder beside the store for files uploaded on the Data page; removed on exit, or by a later writer
    once this process has gone."""
    path = versions_dir(resolve_db_path(db)) / f"upload-{os.getpid()}-{time.time_ns()}"
    try:
        path.mkdir(parents=True)
    except OSError as exc:
        raise write_error(exc, path.parent) from None
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_error(exc: BaseException, folder: Path) -> StoreWriteError | None:
    """One line for a failure to write the store (read-only folder, full disk), or None for any other error.

    DuckDB reports a full disk at COMMIT as a TransactionException and at CHECKPOINT as a FatalException, each
    with the system's "No space left on device" in its text, and a full scratch folder (beside the store, so on its
    disk) as an OutOfMemoryException naming max_temp_directory_size: the text decides, whatever the class."""
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if (code in (errno.ENOSPC, errno.EDQUOT) or "no space left" in text or "disk quota" in text
            or "max_temp_directory_size" in text):
        problem = "the disk is full; free space there and load again"
    elif code == errno.EROFS or "read-only file system" in text:
        problem = ("the folder is on a read-only file system; make it writable (or set SBP_DB to a store in a "
                   "writable folder) and load again")
    elif code in (errno.EACCES, errno.EPERM) or "permission denied" in text:
        problem = "permission to write there is denied; give this user write access to the folder and load again"
    elif isinstance(exc, OSError) or isinstance(exc, duckdb.IOException):
        problem = (getattr(exc, "strerror", None) or str(exc).splitlines()[0] or type(exc).__name__).rstrip(".")
    else:
        return None
    return StoreWriteError(f"Cannot write the store in {folder}: {problem}. Nothing was loaded; the data shown is unchanged.")


def is_synthetic(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store this connection reads holds the synthetic demo data."""
    if not con.execute(queries.HAS_META_TABLE_SQL).fetchone()[0]:
        return False
    row = con.execute(queries.IS_SYNTHETIC_SQL).fetchone()
    return row is not None and row[0] == "true"


def clear_all(con: duckdb.DuckDBPyConnection) -> None:
    """Empty every table (inside a write transaction)."""
    con.execute(queries.CLEAR_SQL)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence]) -> None:
    """Insert rows (tuples in the table's column order) with one statement: each column is bound as a list and the
    lists are unnested side by side. (executemany runs one statement per row, about 0.2 ms each.) table is a name
    from our own code, never user input."""
    if not rows:
        return
    columns = [list(column) for column in zip(*rows)]
    con.execute(queries.INSERT_ROWS_SQL.format(table=table, unnested=", ".join("unnest(?)" for _ in columns)), columns)


def rebuild_indexes(con: duckdb.DuckDBPyConnection) -> None:
    """Refresh the month, category and area indexes from crime_counts (each month with its MPS category scheme)."""
    from sbp.config import default_config, schemes

    con.execute(queries.SCHEME_MARKERS_TABLE_SQL)
    insert_rows(con, queries.SCHEME_MARKERS_TABLE, schemes.scheme_markers(default_config()))
    con.execute(queries.INDEX_SQL)
    con.execute(queries.SCHEME_MARKERS_DROP_SQL)


def quality_warnings(con: duckdb.DuckDBPyConnection, first: dt.date | None = None, last: dt.date | None = None) -> list[str]:
    """One sentence per month (between first and last) whose offences are largely not attributed to a borough or ward."""
    try:
        rows = con.execute(queries.QUALITY_SQL, {"first": first, "last": last}).fetchall()
    except duckdb.CatalogException:
        return []
    out = []
    for file_name, _, _, level, month, share, median in rows:
        where = "in borough 'Unknown' (no borough)" if level == "borough" else "in no ward (against the borough totals)"
        out.append(f"{file_name}: {month:%b %Y} has {share:.0%} of London's offences {where}, against {median:.0%} in a "
                   f"typical month; {level} figures for that month are understated.")
    return out


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create any missing tables."""
    con.execute(SCHEMA_SQL)


@contextlib.contextmanager
def new_version(db: str | os.PathLike | None = None, fresh: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a read-write copy of the store (empty if fresh); publish it atomically if the block succeeds.

    Raising NoChange inside the block discards the copy quietly; any other exception discards it
    and records the failure.
    """
    path = resolve_db_path(db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = write_lock(path)
        lock.__enter__()
    except OSError as exc:
        raise (write_error(exc, path.parent) or exc) from None
    try:
        with _building(path, fresh) as con:
            yield con
    finally:
        lock.__exit__(None, None, None)


@contextlib.contextmanager
def _building(path: Path, fresh: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """The body of new_version, run while holding the write lock."""
    vdir = versions_dir(path)
    stamp = time.time_ns()
    building = vdir / f"building-{os.getpid()}-{stamp}.duckdb"
    # DuckDB's spill files and our transcoded copies: kept until the version is published or discarded, since
    # COMMIT and CHECKPOINT may still read what spilled.
    scratch = vdir / f"scratch-{os.getpid()}-{stamp}"
    con = None
    try:
        _cleanup(path)
        scratch.mkdir()
        current = current_version_file(path)
        if current is not None and not fresh:
            shutil.copyfile(current, building)
        con = duckdb.connect(str(building), config={"temp_directory": str(scratch)})
        apply_schema(con)
        con.execute("BEGIN TRANSACTION")
        yield con
        _commit(con)
        con.close()
        final = vdir / f"v{stamp}.duckdb"
        os.rename(building, final)
        try:
            _publish(path, final)
        except BaseException:
            final.unlink(missing_ok=True)
            raise
    except BaseException as exc:
        if con is not None:
            with contextlib.suppress(duckdb.Error):
                con.close()
        for partial in (building, Path(str(building) + ".wal"), Path(str(building) + ".tmp"), scratch):
            _remove(partial)
        if isinstance(exc, NoChange):
            return
        problem = write_error(exc, path.parent) if isinstance(exc, (OSError, duckdb.Error)) else None
        _record_failure(path, problem or exc)
        if problem is not None:
            raise problem from None
        raise
    _remove(scratch)
    clear_failure(path)
    _cleanup(path)


def _commit(con: duckdb.DuckDBPyConnection) -> None:
    """Commit the build and write it whole into its file (where a full disk shows: tests replace this to fail here)."""
    con.execute(queries.SET_SCHEMA_VERSION_SQL, {"version": SCHEMA_VERSION})
    con.execute("COMMIT")
    con.execute("CHECKPOINT")


def _publish(db: Path, version_file: Path) -> None:
    """Point the store path at version_file in one atomic step."""
    link = db.with_name(f".{db.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(version_file, db.parent), link)
    try:
        if db.exists() and not db.is_symlink():
            # A plain DuckDB file from elsewhere: keep it beside the versions as the first version.
            os.replace(db, versions_dir(db) / "v0-imported.duckdb")
        os.replace(link, db)
    finally:
        link.unlink(missing_ok=True)
    fd = os.open(db.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _failure_file(db: Path) -> Path:
    return versions_dir(db) / "last_failure.json"


def _record_failure(db: Path, exc: BaseException) -> None:
    """Remember a failed refresh so the dashboard can say the data shown is the last good load."""
    if isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
        message = "the load was interrupted"
    else:
        message = (str(exc) or type(exc).__name__).strip().splitlines()[0]
    if isinstance(exc, SbpError) and hasattr(exc, "public"):
        message = exc.public  # the file and the problem, never the file's content (the banner is shown to everyone)
    record = {"failed_at": dt.datetime.now().isoformat(timespec="seconds"), "message": message, "failed_ns": time.time_ns()}
    with contextlib.suppress(OSError):
        _failure_file(db).write_text(json.dumps(record))


def clear_failure(db: Path) -> None:
    """Forget the last failed refresh (after a good one)."""
    _failure_file(db).unlink(missing_ok=True)


INTERRUPTED_MESSAGE = "a load was interrupted before it finished"


def _interrupted_build(db: Path) -> dict | None:
    """A failure record for a build left behind by a writer that died (killed, power cut), else None.

    A building-* file is only evidence of a dead writer when nobody holds the write lock: a live
    writer holds it for as long as its build exists. We try the lock without waiting and, if we get
    it, look again while holding it (a writer that just finished has renamed its build away), then
    release it at once. Cheap: one directory glob when there is nothing left behind.
    """
    vdir = versions_dir(db)
    current_stamp = version_stamp(current_version_file(db))

    def unpublished() -> list[Path]:
        # A build renamed to its version name but killed before the symlink swap is as unfinished as a build.
        return [*vdir.glob("building-*"), *(v for v in vdir.glob("v*.duckdb") if version_stamp(v) > current_stamp)]

    if not unpublished():
        return None
    try:
        fd = os.open(vdir / "write.lock", os.O_RDONLY)
    except FileNotFoundError:
        fd = None  # no lock file: no writer can be holding it
    except OSError:
        return None
    try:
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return None  # a live writer holds the lock: its build is in progress, not a failure
        mtimes = []
        for leftover in unpublished():
            with contextlib.suppress(OSError):
                mtimes.append(leftover.stat().st_mtime)
    finally:
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the lock
    if not mtimes:
        return None
    failed_at = dt.datetime.fromtimestamp(max(mtimes)).isoformat(timespec="seconds")
    return {"failed_at": failed_at, "message": INTERRUPTED_MESSAGE}


def last_failure(db: str | os.PathLike | None = None) -> dict | None:
    """The last failed refresh since the last good one, as {'failed_at', 'message'}, or None.

    Either the record a failed load wrote, or, for a load killed before it could write one, the
    build it left behind (see _interrupted_build); the more recent of the two when both exist.
    """
    path = resolve_db_path(db)
    try:
        record = json.loads(_failure_file(path).read_text())
    except (OSError, ValueError):
        record = None
    if record is not None and int(record.pop("failed_ns", 0) or 0) < version_stamp(current_version_file(path)):
        record = None  # a later load succeeded (it was killed before it could clear this record)
    interrupted = _interrupted_build(path)
    if record is None or interrupted is None:
        return record or interrupted
    return interrupted if interrupted["failed_at"] > str(record.get("failed_at", "")) else record
