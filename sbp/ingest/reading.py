"""Reading a file: saving uploads, its SHA-256, and the strict DuckDB CSV reader every stage reads through."""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import duckdb

from sbp import store
from sbp.ingest.context import Context
from sbp.errors import IngestError
from sbp.ingest.errortext import csv_errors
from sbp.ingest.textfile import find_line


def save_uploads(uploads: Iterable[BinaryIO], folder: Path) -> list[Path]:
    """Copy uploaded files (objects with .name and .read) into folder, each in its own subfolder so equal names
    never overwrite each other, in 1 MB chunks; a write failure is one line naming the folder's problem."""
    paths = []
    try:
        for number, upload in enumerate(uploads, 1):
            target = folder / str(number) / (Path(getattr(upload, "name", "") or "upload.csv").name or "upload.csv")
            target.parent.mkdir(parents=True)
            upload.seek(0)
            with open(target, "wb") as out:
                shutil.copyfileobj(upload, out, 1 << 20)
            paths.append(target)
    except OSError as exc:
        raise (store.write_error(exc, folder) or exc) from None
    return paths


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def quote_ident(name: str) -> str:
    """A header name quoted as an SQL identifier."""
    # Only called with header names already checked against an allow-list or the YYYYMM pattern.
    return '"' + name.replace('"', '""') + '"'


def read_csv(columns: dict[str, str]) -> str:
    """The strict read_csv call (the file bound as $path) reading columns (name -> DuckDB type), for a FROM clause."""
    # No store_rejects: DuckDB keeps a whole-line reject row per missing column per line (gigabytes for a
    # 10 MB file of short rows). The strict reader stops at the first malformed row instead.
    spec = ", ".join(f"'{name.replace(chr(39), chr(39) * 2)}': '{kind}'" for name, kind in columns.items())
    return (
        "read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        f"columns = {{{spec}}}, max_line_size = 1048576)"
    )


FIRST_ROWS = 1000  # rows read in Python before the bulk read, so a file malformed from its start never reaches it


def read_into(ctx: Context, sql: str) -> None:
    """Run one statement that reads the file; the first malformed row stops it and is reported by line."""
    _check_first_rows(ctx)
    with csv_errors(ctx):
        ctx.con.execute(sql, {"path": str(ctx.text.readable)})


def _check_first_rows(ctx: Context) -> None:
    """Refuse a file whose first rows do not have the header's number of fields, before DuckDB reads it in bulk.

    DuckDB's parallel reader stops at such a row too, but only after its threads have buffered their share of the
    file: on a loaded machine a 50 MB file of short rows took it past 1 GB before the error came back.
    """
    width, found = len(ctx.text.header), []

    def wrong(row: list[str]) -> bool:
        if len(row) != width:
            found.append(len(row))
            return True
        return False

    try:
        line = find_line(ctx.text, wrong, stop_after=FIRST_ROWS + 1)
    except csv.Error:  # a row Python's reader cannot take (a field over its limit): DuckDB's reader says what is wrong
        return
    if line is not None:
        problem = ("too few fields on this row (is the file truncated?)" if found[0] < width
                   else "too many fields on this row (an unquoted comma?)")
        raise IngestError(ctx.text.original, problem, line=line)


def reset_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the previous file's scratch objects; every stager leaves its rows behind the view sbp_staged."""
    con.execute("DROP VIEW IF EXISTS sbp_staged")
