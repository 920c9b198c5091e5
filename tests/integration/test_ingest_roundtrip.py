"""Property: any valid wide MPS table written as CSV loads back to exactly the same counts."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sbp import store
from sbp.ingest import ingest
from tests.conftest import examples

names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=12).map(str.strip).filter(bool)


@st.composite
def wide_tables(draw):
    n_months = draw(st.integers(1, 5))
    start = draw(st.integers(0, 200))
    months = [f"{2005 + (start + i) // 12}{(start + i) % 12 + 1:02d}" for i in range(n_months)]
    keys = draw(st.lists(st.tuples(names, names, names), min_size=1, max_size=6, unique=True))
    rows = {k: draw(st.lists(st.integers(0, 10**5), min_size=n_months, max_size=n_months)) for k in keys}
    return months, rows


@pytest.mark.slow
@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wide_tables())
@example((["200511", "200512", "200601", "200602"], {("Burglary", "Domestic Burglary", "Bromley"): [1, 0, 100000, 7]}))
def test_wide_csv_round_trips(table):
    months, rows = table
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["MajorText", "MinorText", "LookUp_BoroughName", *months])
    for (major, minor, borough), values in rows.items():
        writer.writerow([major, minor, borough, *values])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
        db = Path(tmp) / "s.duckdb"
        ingest([path], db=db, new_areas={k[2] for k in rows})  # made-up borough names, added on purpose
        with store.connect_read(db) as con:
            got = con.execute(
                "SELECT major_category, minor_category, borough, strftime(month, '%Y%m'), offence_count FROM crime_counts"
            ).fetchall()
    want = {(k[0], k[1], k[2], m, v) for k, vals in rows.items() for m, v in zip(months, vals)}
    assert set(got) == want and len(got) == len(want)
