"""What is loaded: per source, the months covered, the files and when they were loaded."""

from __future__ import annotations

import os

import pandas as pd

from sbp import store
from sbp.store import queries


def load_status(db: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per loaded source with its month span, file count and last load time."""
    with store.connect_read(db) as con:
        return con.execute(queries.STATUS_SQL).df()
