"""One partner value added or corrected by an admin on the Data page: loaded like a one-row partner file (the same
checks, all or nothing, a new version of the store) and recorded in the audit trail with who, when, old and new value."""

from __future__ import annotations

import csv
import datetime as dt
import os

from sbp import store
from sbp.config.partner import load_partner_measures
from sbp.errors import IngestError
from sbp.ingest.formats import PARTNER_OPTIONAL, PARTNER_REQUIRED
from sbp.ingest.load import ingest
from sbp.ingest.partner import parse_period
from sbp.store import partner_edits

OLD_VALUE_SQL = """
SELECT value FROM partner_values WHERE measure_id = $m AND lower(source) = lower($s) AND period_kind = $k
   AND period_start = $p AND (lower(area_name) = lower($a) OR lower(area_code) = lower($a))
"""


def enter_value(measure_id: str, period: str, area: str, value: str, source: str, who: str, note: str = "",
                target: str = "", direction: str = "", db: str | os.PathLike | None = None) -> str:
    """Load one partner value as the admin who typed it; returns what was loaded. Raises IngestError (nothing
    changed, nothing audited) for a value any partner file would be refused for."""
    measure = load_partner_measures().get(measure_id.strip())
    if measure is None:
        raise IngestError("Data page entry", f"unknown partner measure {measure_id!r}; partner measures are defined "
                          "in data/partner_measures.toml")
    now = dt.datetime.now().replace(microsecond=0)
    stamp = f"entered on the Data page by {who}, {now:%Y-%m-%d %H:%M:%S}"
    old = _old_value(measure_id, period, area, source, db)
    name = f"partner-entry-{measure.id}-{now:%Y%m%d-%H%M%S}.csv"
    with store.upload_dir(db) as folder:
        path = folder / name
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(PARTNER_REQUIRED + PARTNER_OPTIONAL)
            writer.writerow([measure.id, measure.label, measure.unit, period, area, value, source, target, direction,
                             f"{note.strip()} ({stamp})" if note.strip() else stamp])
        try:
            summaries = ingest([path], db=db)
        except IngestError as exc:  # the one-row file is the admin's form: name the field, not a line of a file
            raise IngestError("The value entered", exc.problem, column=exc.column) from None
    with store.connect_read(db) as con:
        new = con.execute("SELECT value, period FROM partner_values WHERE file_id = (SELECT max(file_id) FROM "
                          "source_files WHERE file_name = $n)", {"n": name}).fetchone()
    partner_edits.record(now.isoformat(), who, measure.id, area.strip(), new[1], source.strip(), old, new[0], name, db)
    return summaries[0].describe()


def _old_value(measure_id: str, period: str, area: str, source: str, db: str | os.PathLike | None) -> float | None:
    """The value stored now for the same measure, period, area and source, or None (new, or no store yet)."""
    parsed = parse_period(period)
    if parsed is None or not store.exists(db):
        return None
    with store.connect_read(db) as con:
        row = con.execute(OLD_VALUE_SQL, {"m": measure_id, "s": source.strip(), "k": parsed.kind, "p": parsed.start,
                                          "a": area.strip()}).fetchone()
    return None if row is None else row[0]
