"""Reading a file: saving uploads, its SHA-256, and the strict DuckDB CSV reader every stage reads through."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import duckdb

from sbp import store
from sbp.errors import IngestError, clip
from sbp.ingest.context import Context
from sbp.ingest.errortext import csv_errors


def save_uploads(uploads: Iterable[BinaryIO], folder: Path) -> list[Path]:
    """Copy uploaded files (objects with .name and .read) into folder, each in its own subfolder so equal names
    never overwrite each other, in 1 MB chunks; a write failure is one line naming the folder's problem, a name
    no file system takes one line naming the file."""
    uploads = list(uploads)
    names = [Path(getattr(upload, "name", "") or "upload.csv").name or "upload.csv" for upload in uploads]
    longest = _name_max(folder)
    for name in names:
        if len(os.fsencode(name)) > longest:
            raise IngestError(clip(name, 60), f"the file name is {len(name):,} characters long, more than the "
                              f"{longest} bytes a file name may have here; rename the file and load it again")
    paths = []
    try:
        for number, (upload, name) in enumerate(zip(uploads, names), 1):
            target = folder / str(number) / name
            target.parent.mkdir(parents=True)
            upload.seek(0)
            with open(target, "wb") as out:
                shutil.copyfileobj(upload, out, 1 << 20)
            paths.append(target)
    except OSError as exc:
        raise (store.write_error(exc, folder) or exc) from None
    return paths


def _name_max(folder: Path) -> int:
    """The longest file name (in bytes) the folder's file system takes."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


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


def read_into(ctx: Context, sql: str) -> None:
    """Run one statement that reads the file; the first malformed row stops it and is reported by line."""
    with csv_errors(ctx):
        ctx.con.execute(sql, {"path": str(ctx.text.readable)})


def reset_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the previous file's scratch objects; every stager leaves its rows behind the view sbp_staged."""
    con.execute("DROP VIEW IF EXISTS sbp_staged")
