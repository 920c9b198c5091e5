"""Named exceptions whose messages tell the user what went wrong and how to fix it."""

from __future__ import annotations

import re
from pathlib import Path


SHOWN_CHARACTERS = 80  # of a value quoted from a file or a link; the rest is cut and counted


def clip(text: object, limit: int = SHOWN_CHARACTERS) -> str:
    """A value quoted from a file or a link, cut to limit characters with an ellipsis and its length when longer."""
    text = "" if text is None else str(text)
    return text if len(text) <= limit else f"{text[:limit]}…({len(text):,} characters)"


def quoted(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """repr() of a value from a file or a link, cut as clip() cuts it."""
    return repr(clip(value, limit))


class SbpError(Exception):
    """Base class for every user-facing error; the CLI and app print it as one line."""


class IngestError(SbpError):
    """A file could not be loaded; names the file, the line (or column) and the problem."""

    def __init__(self, path: str | Path, problem: str, line: int | None = None, column: str | None = None):
        self.path = str(path)
        self.file_name = Path(path).name
        self.line = line
        self.column = column
        self.problem = problem = re.sub(QUOTED, _clip_quote, problem)
        where = self.file_name
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}")

    @property
    def public(self) -> str:
        """The file, line and problem with every value quoted from the file left out, for banners everyone sees."""
        where = self.file_name
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None and re.fullmatch(r"[A-Za-z0-9_ ]{1,40}", self.column):
            where += f", column {self.column!r}"
        return f"{where}: {re.sub(QUOTED, '...', self.problem)}"


class ConfirmationNeeded(IngestError):
    """A file that would replace much more than it brings (a month with under half its crimes, a lookup placing
    under half the rows); held, the store unchanged, until loaded again with the override it names."""

    OPTIONS = {"force": "--force", "replace_lookup": "--replace-lookup"}

    def __init__(self, path: str | Path, problem: str, override: str):
        self.override = override  # the ingest() keyword that confirms it: 'force' or 'replace_lookup'
        super().__init__(path, f"{problem}; nothing was loaded. If that is intended, load it again with "
                               f"{self.OPTIONS[override]} (on the Data page: tick 'Replace anyway')")


QUOTED = r"'[^']*'|\"[^\"]*\""  # values quoted from the file (reprs)


LONG_QUOTE = 1_000  # a quoted span this long is a value from the file, never the message's own words between apostrophes


def _clip_quote(match: re.Match[str]) -> str:
    """A long value the problem quotes, cut as quoted() cuts it (a 500 KB cell is not echoed whole)."""
    text = match.group(0)
    return text if len(text) <= LONG_QUOTE else repr(clip(text[1:-1]))


class StoreBusyError(SbpError):
    """Another ingest holds the write lock."""


class StoreWriteError(SbpError):
    """The store's folder cannot be written (read-only, full disk); nothing was loaded."""


class StoreMissingError(SbpError):
    """No store exists at the given path."""


class StoreOutdatedError(SbpError):
    """The store was built by a different schema version."""


class ReportError(SbpError):
    """The report cannot be written as asked (format, output path)."""


class UnknownNameError(SbpError):
    """An area, measure or category name that is not loaded or configured."""

    def __init__(self, kind: str, name: str, choices: list[str]):
        import difflib

        self.kind, self.name = kind, name
        close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
        if not close:
            lowered = name.lower()
            close = [c for c in choices if lowered in c.lower()][:3]
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(f"Unknown {kind} {quoted(name)}.{hint}")


class AmbiguousNameError(SbpError):
    """A name that matches more than one loaded area (a ward name used in two boroughs)."""


class PeriodError(SbpError):
    """A month outside the loaded data, or not a month at all."""


class ConfigError(SbpError):
    """The configuration files in data/ are inconsistent."""


class UnusedOptionError(SbpError):
    """An option the command would have no use for (--db for a command that reads no store): refused, never ignored."""


class ServeError(SbpError):
    """The dashboard's servers or their proxy could not be started (HAProxy missing, a server failing to start)."""
