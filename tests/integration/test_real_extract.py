"""The real MPS borough extract and Census 2021 populations load exactly (skips without ../shared/data)."""

from __future__ import annotations

import csv
import datetime as dt

from sbp import store
from sbp.ingest import ingest


def test_real_borough_file_loads_every_cell(db, real_files):
    mps, population = real_files
    summaries = ingest([mps, population], db=db)
    with open(mps, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    cell_total = sum(int(v) for r in body for v in r[3:])
    bromley_burglary_2023 = sum(
        int(v) for r in body if r[0] == "Burglary" and r[2] == "Bromley"
        for m, v in zip(header[3:], r[3:]) if "202212" <= m <= "202311"
    )
    assert summaries[0].file_format == "mps_borough"
    assert summaries[0].rows == len(body) == 1581
    with store.connect_read(db) as con:
        total, n_rows, areas, months = con.execute(
            "SELECT sum(offence_count), count(*), count(DISTINCT borough), count(DISTINCT month) FROM crime_counts"
        ).fetchone()
        burglary = con.execute(
            """SELECT sum(offence_count) FROM crime_counts WHERE borough = 'Bromley' AND major_category = 'Burglary'
               AND month BETWEEN DATE '2022-12-01' AND DATE '2023-11-01'"""
        ).fetchone()[0]
        airports = con.execute(
            "SELECT count(*) FROM crime_counts WHERE borough = 'London Heathrow and London City Airports'"
        ).fetchone()[0]
        span = con.execute("SELECT first_month, last_month FROM source_files WHERE file_format = 'mps_borough'").fetchone()
        pop = con.execute("SELECT count(*), sum(population) FROM population").fetchone()
    assert total == cell_total
    assert n_rows == len(body) * 24
    assert areas == 33 and months == 24
    assert burglary == bromley_burglary_2023
    assert airports == 35 * 24
    assert span == (dt.date(2021, 12, 1), dt.date(2023, 11, 1))
    assert pop[0] == 32 and pop[1] > 8_000_000
