"""Load orchestration: every file into one new version of the store, all or none, then what the rows imply."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from sbp import store
from sbp.config.sources import (FORCE_LOOKUP, LONG_COUNTS, LSOA11_LOOKUP, LSOA_LOOKUP, MPS_BOROUGH, MPS_DASHBOARD,
                                MPS_LSOA, MPS_WARD, ONS_POPULATION, PARTNER, POLICE_UK, POPULATION)
from sbp.errors import IngestError
from sbp.ingest import dashboard, geography, partner
from sbp.ingest.completeness import drop_incomplete_months
from sbp.ingest.context import Context, FileSummary
from sbp.ingest.errortext import load_errors
from sbp.ingest.formats import Detected, detect, partner_columns
from sbp.ingest.long_counts import stage_long
from sbp.ingest.mps_wide import stage_wide
from sbp.ingest.police_uk import load_lookup, load_police_uk
from sbp.ingest.population import load_population
from sbp.ingest.reading import reset_scratch, sha256_of
from sbp.ingest.revisions import merge_counts
from sbp.ingest.textfile import TextFile, open_text
from sbp.ingest.workbook import stage_dashboard
from sbp.metrics import materialized as cube
from sbp.store import queries
from sbp.store.status import coverage_lines

XLSX_SUFFIXES = (".xlsx", ".xlsm")

MEMORY_LIMIT_MB = 512  # DuckDB's share of the 1 GB budget for any single load

STAGERS = {MPS_DASHBOARD: stage_dashboard, MPS_BOROUGH: stage_wide, MPS_WARD: stage_wide, MPS_LSOA: stage_wide,
           LONG_COUNTS: stage_long}
# Formats kept in their own tables (not staged into crime_counts directly).
LOADERS = {POPULATION: load_population, POLICE_UK: load_police_uk, LSOA_LOOKUP: load_lookup,
           LSOA11_LOOKUP: load_lookup, FORCE_LOOKUP: load_lookup, PARTNER: partner.load_partner}


def load_one(con: duckdb.DuckDBPyConnection, path: Path, seen: set[str], workdir: Path,
             progress: Callable[[str], None] | None = None, new_areas: frozenset[str] = frozenset(),
             force: bool = False, replace_lookup: bool = False) -> FileSummary:
    """Detect, check and load one file into the open version, and record it in source_files."""
    summary = FileSummary(file_name=path.name)
    sheet = None
    workbook = geography.is_workbook(path)  # the ONS estimates come as legacy .xls
    if workbook:
        summary.file_format = ONS_POPULATION
    elif path.suffix.lower() in XLSX_SUFFIXES and path.is_file() and (found := partner.read_xlsx(path)) is not None:
        header, sheet = found
        text = TextFile(path, path, "xlsx", header)
        detected = partner_columns(text) or Detected(PARTNER, header)  # refuses a column not of the format
        summary.file_format = detected.file_format
    elif path.suffix.lower() in XLSX_SUFFIXES and path.is_file():
        header, sheet = dashboard.read_xlsx(path, progress)
        text, detected = TextFile(path, path, "xlsx", header), Detected(MPS_DASHBOARD, header)
        summary.file_format = detected.file_format
    else:
        text = open_text(path, workdir=workdir)
        detected = detect(text)
        summary.file_format = detected.file_format
        if text.encoding == "cp1252":
            summary.notes.append("read as Windows-1252 text: the file is not UTF-8")
    digest = sha256_of(path)
    if digest in seen or con.execute(queries.FILE_LOADED_SQL, {"d": digest}).fetchone():
        summary.skipped = "this exact file is already loaded"
        return summary
    seen.add(digest)
    file_id = con.execute(queries.NEXT_FILE_ID_SQL).fetchone()[0]
    summary.file_id = file_id
    if workbook:
        summary.rows, year = geography.load_workbook(con, path, file_id)
        summary.areas, summary.note = summary.rows, f"mid-{year} estimates"
    else:
        ctx = Context(con, text, detected, file_id, summary, sheet, new_areas, force, replace_lookup)
        reset_scratch(con)
        if detected.file_format in LOADERS:
            LOADERS[detected.file_format](ctx)
        else:
            STAGERS[detected.file_format](ctx)
            if detected.file_format != LONG_COUNTS:  # a hand-made series may start a category part way through
                drop_incomplete_months(ctx)
            merge_counts(ctx, detected.file_format)
    con.execute(
        queries.RECORD_FILE_SQL,
        {"id": file_id, "name": path.name, "sha": digest, "fmt": summary.file_format, "rows": summary.rows,
         "first": summary.first_month, "last": summary.last_month, "replaced": summary.months_replaced},
    )
    return summary


def ingest(
    paths: Iterable[str | os.PathLike],
    db: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
    meta: dict[str, str] | None = None,
    fresh: bool = False,
    progress_bar: bool = False,
    new_areas: Iterable[str] = (),
    force: bool = False,
    replace_lookup: bool = False,
) -> list[FileSummary]:
    """Load every file into a new version of the store, all or none; raise IngestError on the first bad file.

    progress_bar=True lets DuckDB draw its progress bar on the terminal for steps that take over half a second.
    new_areas names areas (boroughs, ward codes, wards, police forces) the user adds on purpose; any other unknown
    area is refused. force replaces months with a file of under half their offences, replace_lookup a lookup with one
    placing under half the rows the current one places; without them such a file raises ConfirmationNeeded.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise IngestError("(no files)", "name at least one CSV file to load")
    summaries: list[FileSummary] = []
    with store.new_version(db, fresh=fresh) as con:
        workdir = store.scratch_folder(con)  # kept until after COMMIT: DuckDB spills there
        # Bounded memory on any input: DuckDB spills to disk beyond this instead of growing.
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT_MB}MB'")
        con.execute("SET preserve_insertion_order = false")
        if progress_bar:
            con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = true; SET progress_bar_time = 500")
        if (not (meta or {}).get("is_synthetic") and store.is_synthetic(con)
                and not all(partner.is_partner_file(p) for p in paths)):  # partner figures may sit beside the demo's
            # Real extracts never mix with the synthetic demo: they replace it, within this same version.
            store.clear_all(con)
            if progress:
                progress("this store held the synthetic demo data; it is replaced by the files being loaded")
        seen: set[str] = set()
        for number, path in enumerate(paths, 1):
            if progress:
                size = path.stat().st_size if path.exists() else 0
                progress(f"[{number}/{len(paths)}] loading {path.name} ({size / 1e6:,.1f} MB)")
            with load_errors(path, db, MEMORY_LIMIT_MB):
                summaries.append(load_one(con, path, seen, Path(workdir), progress, frozenset(new_areas), force,
                                          replace_lookup))
        if any(not s.skipped for s in summaries):
            refresh_derived(con)
            for s in summaries:
                if s.file_id:
                    s.warnings += [w for w in store.quality_warnings(con) if w.startswith(f"{s.file_name}: ")]
            # Each source the load touched says its months missing, once: on its last file of this load.
            last_of = {s.file_format: s for s in summaries if s.file_id}
            for source, s in last_of.items():
                s.gaps = coverage_lines(con, [source], only_gaps=True)
        for key, value in (meta or {}).items():
            con.execute(queries.SET_META_SQL, {"k": key, "v": value})
        if all(s.skipped for s in summaries) and not meta:
            raise store.NoChange()
    return summaries


def refresh_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild what the loaded rows imply: police.uk places and forces, the indexes, the stored comparison cube."""
    geography.derive(con)
    store.rebuild_indexes(con)
    cube.materialize(con)
