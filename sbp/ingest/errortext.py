"""Error translation: DuckDB's and the file system's failures while loading, as one line naming the file."""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from sbp import store
from sbp.errors import IngestError, quoted
from sbp.ingest.context import Context
from sbp.ingest.textfile import find_line

# DuckDB's sentence for each problem, each at the start of a line of its message. The message also quotes the
# offending line and lists the reader's settings ("quote = ..."), so a phrase matched anywhere would be misread.
CSV_PROBLEMS: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = (
    (r"^Value with unterminated quote found", lambda m: "a quoted field that never ends"),
    (r"^Maximum line size of (\d+) bytes exceeded\. Actual Size: ?(\d+) bytes",
     lambda m: f"a line of {int(m[2]):,} bytes, longer than the {int(m[1]) // (1 << 20)} MB a line may be (a quote left open?)"),
    (r"^Invalid unicode", lambda m: "text that is not valid UTF-8"),
    (r'^Error when converting column "(.*)"\. Could not convert string "(.*)" to', lambda m: f"{quoted(m[2])} is not a number"),
)
CONVERTED_COLUMN = r'^Error when converting column "(.*)"\.'


@contextlib.contextmanager
def csv_errors(ctx: Context) -> Iterator[None]:
    """Turn DuckDB's error for the first malformed CSV row into one IngestError naming its line and problem."""
    try:
        yield
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        message = str(exc)
        found = re.search(r"CSV Error on Line: (\d+)", message)
        if found is None:
            raise
        line, column = int(found[1]), None
        columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
        if columns:
            expected, got = int(columns[1]), int(columns[2])
            problem = ("too few fields on this row (is the file truncated?)" if got < expected
                       else "too many fields on this row (an unquoted comma?)")
            width = len(ctx.text.header)
            line = find_line(ctx.text, lambda r: len(r) != width, stop_after=line + 1000) or line
        else:
            described = message.split("\n  file = ")[0]  # not the reader's settings
            problem = next((say(m) for pattern, say in CSV_PROBLEMS
                            if (m := re.search(pattern, described, re.MULTILINE | re.IGNORECASE))),
                           "a line the CSV reader could not parse")
            if converted := re.search(CONVERTED_COLUMN, described, re.MULTILINE):
                column = converted[1]
        raise IngestError(ctx.text.original, problem, line=line, column=column) from None


def fail_at(ctx: Context, problem: str, predicate: Callable[[list[str]], bool], column: str | None = None) -> None:
    """Raise an IngestError for problem at the first line of the file where predicate holds for its fields."""
    raise IngestError(ctx.text.original, problem, line=find_line(ctx.text, predicate), column=column)


@contextlib.contextmanager
def load_errors(path: Path, db: str | os.PathLike | None, budget_mb: int) -> Iterator[None]:
    """Turn a failure while loading path into one line: the file unreadable, over the memory budget, or the store's disk."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):  # the store's disk, not the file
            raise store.write_error(exc, store.resolve_db_path(db).parent) from None
        raise IngestError(path, f"the file could not be read ({exc.strerror or type(exc).__name__})") from None
    except duckdb.Error as exc:
        # The store's disk, not the file: an I/O error, or a full disk whatever DuckDB calls it (spilling past the
        # memory budget onto a full disk is an OutOfMemoryException naming max_temp_directory_size).
        written = store.write_error(exc, store.resolve_db_path(db).parent)
        if written is not None:
            raise written from None
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise IngestError(path, f"loading this file needs more than the {budget_mb} MB memory budget; "
                              "split it into smaller files") from None
        # A CSV shape our own checks did not foresee: still one line naming the file, never a traceback.
        detail = str(exc).strip().splitlines()[0]
        raise IngestError(path, f"the file could not be read as CSV ({detail})") from exc
