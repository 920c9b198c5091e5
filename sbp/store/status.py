"""What is loaded: per source, the months covered, the files and when they were loaded."""

from __future__ import annotations

import os

import pandas as pd

from sbp import store

STATUS_SQL = """
SELECT f.file_format AS source, min(f.first_month) AS first_month, max(f.last_month) AS last_month,
       count(*) AS files, max(f.loaded_at) AS last_loaded_at,
       string_agg(f.file_name, '; ' ORDER BY f.file_id) AS file_names
FROM source_files f GROUP BY f.file_format ORDER BY f.file_format
"""

FILES_SQL = """
SELECT file_id, file_name, file_format, row_count, first_month, last_month, months_replaced, loaded_at, sha256
FROM source_files ORDER BY file_id
"""


def load_status(db: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per loaded source with its month span, file count and last load time."""
    with store.connect_read(db) as con:
        return con.execute(STATUS_SQL).df()
