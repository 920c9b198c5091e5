"""asb_incidents counts police.uk "Anti-social behaviour" rows (tested on the shared Avon and Somerset files)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from sbp import metrics, store
from sbp.config import default_config
from sbp.ingest import ingest
from tests.conftest import SHARED

POLICE_UK = SHARED / "police_uk" / "avon-and-somerset"


@pytest.fixture(scope="module")
def files() -> list[Path]:
    paths = sorted(POLICE_UK.glob("2023-0[1-3]-*-street.csv"))
    if not paths:
        pytest.skip(f"police.uk files not found under {POLICE_UK} (set SBP_SHARED_DATA)")
    return paths


def test_asb_incidents_equal_the_asb_rows(files: list[Path], db: Path) -> None:
    ingest(files, db=db)
    expected: Counter = Counter()
    for path in files:
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["Crime type"] == "Anti-social behaviour" and row["LSOA name"]:
                    expected[(row["LSOA name"], row["Month"])] += 1
    lsoa = max(expected, key=expected.get)[0]
    measure = default_config().measures["asb_incidents"]
    assert measure.label == "ASB incidents (police.uk)"
    with store.connect_read(db) as con:
        frame = metrics.series(con, [lsoa], [measure], "2023-01", "2023-03", level="lsoa")
    got = {m.strftime("%Y-%m"): int(v) for m, v in zip(frame["month"], frame["offence_count"])}
    assert got == {m: expected[(lsoa, m)] for m in ("2023-01", "2023-02", "2023-03")}
    assert sum(got.values()) > 0


def test_asb_figures_carry_their_unit_to_the_sentences(files: list[Path], db: Path) -> None:
    """comparisons names what each measure counts (measure_unit, from Measure.units), so the words say incidents."""
    from sbp.config import police_uk_measures
    from sbp.display import narrative

    ingest(sorted(POLICE_UK.glob("2023-*-street.csv")), db=db)  # a whole rolling year
    measures = [default_config().measures["asb_incidents"], police_uk_measures()["police_uk_anti_social_behaviour"],
                police_uk_measures()["all_crime"]]
    with store.connect_read(db) as con:
        frame = metrics.comparisons(con, measures, dt.date(2023, 12, 1), area="Bristol")
    units = dict(zip(frame["measure_id"], frame["measure_unit"]))
    assert units == {"asb_incidents": "incidents", "police_uk_anti_social_behaviour": "incidents", "all_crime": "offences"}
    asb = frame[frame["measure_id"] == "police_uk_anti_social_behaviour"].iloc[0]
    assert metrics.record(asb)["unit"] == "incidents"
    text = narrative.board_paragraph(asb)
    assert "offence" not in text and "incidents of anti-social behaviour in Bristol" in text, text
