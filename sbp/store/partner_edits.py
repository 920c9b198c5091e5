"""The audit trail of partner values entered or corrected on the Data page: who, when, the old and the new value.

The value itself is loaded into the store like any partner file (sbp.ingest.partner.enter_value); this SQLite file
beside the store keeps the record of each change, as sbp/store/objective_edits.py does for objective statuses.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sbp import store

SCHEMA = """
CREATE TABLE IF NOT EXISTS partner_audit (
    changed_at TEXT NOT NULL, changed_by TEXT NOT NULL, measure_id TEXT NOT NULL, area TEXT NOT NULL,
    period TEXT NOT NULL, source TEXT NOT NULL, old_value REAL, new_value REAL NOT NULL, file_name TEXT NOT NULL
);
"""


def audit_path(db: str | os.PathLike | None = None) -> Path:
    """The SQLite file holding the partner values' audit trail, beside the store."""
    path = store.resolve_db_path(db)
    return path.with_name(path.name + ".partner.sqlite")


def _connect(db: str | os.PathLike | None) -> sqlite3.Connection:
    path = audit_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10, isolation_level=None)
    con.executescript(SCHEMA)
    return con


def record(changed_at: str, who: str, measure_id: str, area: str, period: str, source: str, old: float | None,
           new: float, file_name: str, db: str | os.PathLike | None = None) -> None:
    """Add one change to the audit trail (old is None when the value is new)."""
    with _connect(db) as con:
        con.execute("INSERT INTO partner_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (changed_at, who, measure_id, area, period, source, old, new, file_name))


def audit_log(db: str | os.PathLike | None = None) -> list[dict]:
    """Every partner value entered or corrected on the Data page, newest first."""
    if not audit_path(db).exists():
        return []
    with _connect(db) as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM partner_audit ORDER BY changed_at DESC, rowid DESC")]
