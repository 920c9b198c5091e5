"""Forget one loaded file: remove what it put in the store, in a new version, and keep a record that it was loaded."""

from __future__ import annotations

import datetime as dt
import json
import os

from sbp import store
from sbp.errors import SbpError, UnknownNameError
from sbp.ingest.load import refresh_derived
from sbp.store import queries


def forget(file: str, db: str | os.PathLike | None = None) -> str:
    """Remove what one loaded file put in the store (by name or SHA-256) in a new version; say what was removed.

    Its rows go from every table a load puts a file's rows in (counts, police.uk counts, populations, partner values,
    ONS lookups and estimates); what a load derives is derived again from what remains, as a load would.

    The months it had replaced are not restored: load the extract that covered them again. The store keeps a
    record of the forgotten file (store_meta key 'forgotten:<sha256>'), so provenance still shows it once was loaded.
    """
    with store.new_version(db) as con:
        rows = con.execute(queries.FILES_NAMED_SQL, {"f": file}).fetchall()
        if not rows:
            names = [r[0] for r in con.execute(queries.FILE_NAMES_SQL).fetchall()]
            raise UnknownNameError("loaded file", file, names)
        if len(rows) > 1:
            raise SbpError(f"{len(rows)} loaded files are named {file!r}; give the SHA-256 that `python -m sbp status --json` lists")
        file_id, name, sha, first, last = rows[0]
        counts = con.execute(queries.FILE_ROW_COUNT_SQL, {"id": file_id}).fetchone()[0]
        for statement in queries.FORGET_FILE_SQL:
            con.execute(statement, {"id": file_id})
        record = f'{{"file_name": {json.dumps(name)}, "forgotten_at": "{dt.datetime.now():%Y-%m-%dT%H:%M:%S}"}}'
        con.execute(queries.SET_META_SQL, {"k": f"forgotten:{sha}", "v": record})
        # Everything derived from the rows (police.uk places, forces and quality, ONS populations, the indexes, the
        # cube) as a load of the remaining files derives it: nothing derived only from this file remains.
        refresh_derived(con)
    span = f" ({first:%b %Y} to {last:%b %Y})" if first else ""
    return (f"Forgot {name}{span}: {counts:,} rows removed. Months it had replaced are not restored; load the extract "
            "that covered them again.")
