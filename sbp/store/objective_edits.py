"""Objective status edits made on the dashboard: saved beside the store in SQLite, every change audited.

The shipped statuses come from data/objectives.toml; an edit overrides one objective's status and evidence.
Edits use optimistic locking: a save names the revision it started from, and a save based on an older
revision is refused with a conflict message instead of silently overwriting another admin's change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sqlite3
from pathlib import Path

from sbp import store
from sbp.errors import SbpError
from sbp.config.objectives import Objective, flatten, load_objectives

SCHEMA = """
CREATE TABLE IF NOT EXISTS objective_status (
    priority TEXT NOT NULL, number TEXT NOT NULL, status TEXT NOT NULL, evidence TEXT NOT NULL,
    updated TEXT NOT NULL, updated_by TEXT NOT NULL, revision INTEGER NOT NULL,
    PRIMARY KEY (priority, number)
);
CREATE TABLE IF NOT EXISTS objective_audit (
    priority TEXT NOT NULL, number TEXT NOT NULL, changed_at TEXT NOT NULL, changed_by TEXT NOT NULL,
    old_status TEXT NOT NULL, new_status TEXT NOT NULL, old_evidence TEXT NOT NULL, new_evidence TEXT NOT NULL
);
"""


class EditConflictError(SbpError):
    """Someone else saved this objective after the editor opened it."""


def edits_path(db: str | os.PathLike | None = None) -> Path:
    """The SQLite file holding edits, beside the store."""
    path = store.resolve_db_path(db)
    return path.with_name(path.name + ".objectives.sqlite")


def _connect(db: str | os.PathLike | None) -> sqlite3.Connection:
    path = edits_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10, isolation_level=None)
    con.executescript(SCHEMA)
    return con


def current_objectives(priority_id: str | None = None, db: str | os.PathLike | None = None) -> list[tuple[Objective, int]]:
    """Objectives (sub-objectives included, inside each) with saved edits applied, each with its revision (0 = as shipped)."""
    edits = {}
    if edits_path(db).exists():
        with _connect(db) as con:
            for row in con.execute("SELECT priority, number, status, evidence, updated, revision FROM objective_status"):
                edits[(row[0], row[1])] = row[2:]

    def edited(objective: Objective) -> Objective:
        subs = tuple(edited(sub) for sub in objective.subs)
        edit = edits.get((objective.priority, objective.number))
        if not edit:
            return dataclasses.replace(objective, subs=subs)
        status, evidence, updated, _ = edit
        return dataclasses.replace(objective, status=status, evidence=evidence, subs=subs,
                                   updated=dt.date.fromisoformat(updated[:10]))

    return [(edited(o), edits.get((o.priority, o.number), (0, 0, 0, 0))[3])
            for o in load_objectives() if priority_id is None or o.priority == priority_id]


def revisions(priority_id: str, db: str | os.PathLike | None = None) -> dict[str, int]:
    """The saved revision of every objective and sub-objective of a priority that has been edited."""
    if not edits_path(db).exists():
        return {}
    with _connect(db) as con:
        return dict(con.execute("SELECT number, revision FROM objective_status WHERE priority = ?", (priority_id,)).fetchall())


def save_status(
    priority_id: str, number: str, status: str, evidence: str, who: str, base_revision: int,
    db: str | os.PathLike | None = None, allowed_statuses: list[str] | None = None,
) -> int:
    """Save a new status and evidence for one objective or sub-objective (number '1.2'); returns the new revision or raises EditConflictError."""
    current = {(o.priority, o.number): o for top, _ in current_objectives(priority_id, db) for o in flatten([top])}
    if (priority_id, number) not in current:
        raise SbpError(f"There is no objective {number} under {priority_id}.")
    if allowed_statuses is not None and status not in allowed_statuses:
        raise SbpError(f"{status!r} is not a status; choose one of {', '.join(allowed_statuses)}.")
    now = dt.datetime.now().isoformat(timespec="seconds")
    with _connect(db) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            row = con.execute("SELECT revision, status, evidence FROM objective_status WHERE priority = ? AND number = ?",
                              (priority_id, number)).fetchone()
            shipped = current[(priority_id, number)]
            revision, old_status, old_evidence = row if row else (0, shipped.status, shipped.evidence)
            if revision != base_revision:
                raise EditConflictError(
                    "Another admin changed this objective while you were editing it. Reload the page to see their "
                    "change, then make yours again."
                )
            con.execute(
                "INSERT INTO objective_status VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (priority, number) DO UPDATE SET "
                "status = excluded.status, evidence = excluded.evidence, updated = excluded.updated, "
                "updated_by = excluded.updated_by, revision = excluded.revision",
                (priority_id, number, status, evidence, now, who, revision + 1),
            )
            con.execute("INSERT INTO objective_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (priority_id, number, now, who, old_status, status, old_evidence, evidence))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return revision + 1


def audit_log(db: str | os.PathLike | None = None) -> list[dict]:
    """Every status change, newest first: who, when, old and new values."""
    if not edits_path(db).exists():
        return []
    with _connect(db) as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM objective_audit ORDER BY changed_at DESC, rowid DESC")]
