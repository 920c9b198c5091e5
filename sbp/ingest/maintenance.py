"""Store upgrades: a store built by an earlier version derived again from its rows, as a fresh load would be."""

from __future__ import annotations

import os

from sbp import store
from sbp.errors import StoreMissingError
from sbp.ingest import geography
from sbp.ingest.load import refresh_derived


def upgrade(db: str | os.PathLike | None = None) -> None:
    """Bring a store built by an earlier version up to the current schema, keeping its data."""
    if not store.exists(db):
        raise StoreMissingError(f"No store at {store.resolve_db_path(db)} to upgrade.")
    with store.new_version(db) as con:
        geography.adopt_old_police_uk_rows(con)
        refresh_derived(con)
