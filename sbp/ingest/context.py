"""What every loading step shares about one file: its Context, and the FileSummary of what loading it did."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from sbp.config.sources import FORCE_LOOKUP, LSOA11_LOOKUP, LSOA_LOOKUP, ONS_POPULATION, PARTNER, POPULATION
from sbp.ingest.formats import Detected
from sbp.ingest.textfile import TextFile


@dataclass


class FileSummary:
    """What loading one file did."""

    file_name: str
    file_format: str = ""
    rows: int = 0
    first_month: dt.date | None = None
    last_month: dt.date | None = None
    areas: int = 0
    categories: int = 0
    months_replaced: int = 0
    months_kept: int = 0           # months where the store already held a newer extract
    unlocated: int = 0             # police.uk rows with no LSOA
    skipped: str = ""              # why nothing was loaded, e.g. already loaded
    warnings: list[str] = field(default_factory=list)  # data-quality warnings (months with offences in no borough)
    notes: list[str] = field(default_factory=list)  # configuration notes (categories the configuration does not know)
    gaps: list[str] = field(default_factory=list)  # months missing inside its source's span after the load (on the
                                                   # source's last file of the load, so each source says them once)
    file_id: int = 0
    note: str = ""                 # what else the reader should know, e.g. the year of an estimate

    def describe(self) -> str:
        """One or two human lines for the CLI and the Data page."""
        if self.skipped:
            return f"{self.file_name}: skipped, {self.skipped}"
        span = ""
        if self.first_month:
            span = f", {self.first_month:%b %Y} to {self.last_month:%b %Y}"
        text = (
            f"{self.file_name}: {self.file_format}, {self.rows:,} rows{span}, "
            f"{self.areas:,} areas, {self.categories:,} categories"
        )
        if self.file_format in (LSOA_LOOKUP, LSOA11_LOOKUP, FORCE_LOOKUP, ONS_POPULATION):
            text = f"{self.file_name}: {self.file_format}, {self.rows:,} rows"
        elif self.file_format == PARTNER:
            text = (f"{self.file_name}: {self.file_format}, {self.rows:,} values{span}, {self.categories:,} measures, "
                    f"{self.areas:,} areas, {self.months_replaced} values replaced")
        elif self.file_format != POPULATION:
            text += f", {self.months_replaced} months replaced"
        if self.note:
            text += f", {self.note}"
        if self.months_kept:
            text += f", {self.months_kept} months kept from a newer extract already loaded"
        if self.unlocated:
            text += f", {self.unlocated:,} crimes with no location counted as '(unlocated)'"
        for warning in self.warnings:
            text += f"\n  WARNING {warning}"
        for note in self.notes:
            text += f"\n  note: {note}"
        for gap in self.gaps:
            text += f"\n  gaps after this load: {gap}"
        return text


@dataclass


class Context:
    """One file being loaded, as each step sees it."""

    con: duckdb.DuckDBPyConnection
    text: TextFile
    detected: Detected
    file_id: int
    summary: FileSummary = field(default=None)  # type: ignore[assignment]
    sheet: object = None  # the workbook sheet as a pyarrow Table, for .xlsx files
    new_areas: frozenset[str] = frozenset()   # names the user added on purpose (--new-area)
    force: bool = False           # replace months even with a much smaller file (--force)
    replace_lookup: bool = False  # replace a lookup even with one that places far fewer rows (--replace-lookup)
