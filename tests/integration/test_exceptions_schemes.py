"""Exceptions across MPS category schemes, on rows in the published wide layouts: a current-scheme category's
published zeros before the scheme introduced it are no baseline, a renamed category does not borrow its old name's
months, a category is checked as published (not as its crosswalk group), and a measure spanning the schemes uses its
own defined series."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from sbp import metrics, store
from sbp.ingest import ingest

OLD = [dt.date(2021 + (11 + i) // 12, (11 + i) % 12 + 1, 1) for i in range(24)]  # Dec 2021 to Nov 2023 (2021-23)
NEW = [dt.date(2024 + (2 + i) // 12, (2 + i) % 12 + 1, 1) for i in range(24)]  # Mar 2024 to Feb 2026 (current)
BOROUGHS = ("Bromley", "Bexley", "Croydon")


def _file(path: Path, borough_column: str, months: list[dt.date], rows: dict[tuple[str, str], np.ndarray]) -> Path:
    """An MPS borough file as the London Datastore publishes it: one row per category x borough, months across."""
    lines = [f"MajorText,MinorText,{borough_column}," + ",".join(f"{m:%Y%m}" for m in months)]
    for (major, minor), counts in rows.items():
        for borough, series in zip(BOROUGHS, counts):
            lines.append(f"{major},{minor},{borough}," + ",".join(str(int(v)) for v in series))
    path.write_text("\n".join(lines) + "\n")
    return path


def _poisson(rng: np.random.Generator, mean: float, months: int) -> np.ndarray:
    return rng.poisson(mean, size=(len(BOROUGHS), months))


def test_published_zeros_before_a_current_category_existed_are_never_its_baseline(tmp_path):
    # 36 months of a current-scheme file: DOMESTIC BURGLARY for a year, then RES BURGLARY OF A HOME, each published
    # as 0 in the other's months (as the MPS's current-scheme history publishes them).
    rng = np.random.default_rng(21)
    months = [dt.date(2023 + i // 12, i % 12 + 1, 1) for i in range(36)]  # Jan 2023 to Dec 2025
    home = np.concatenate([np.zeros((len(BOROUGHS), 12)), _poisson(rng, 50, 24)], axis=1)
    home[0, -1] = 150  # Bromley trebled in the month checked: flagged, against the new category's own months only
    home[1, -3] = 50  # Bexley two months before: an ordinary count
    old = np.concatenate([_poisson(rng, 80, 12), np.zeros((len(BOROUGHS), 24))], axis=1)
    db = tmp_path / "store" / "sbp.duckdb"
    ingest([_file(tmp_path / "current.csv", "BoroughName", months, {
        ("BURGLARY", "RES BURGLARY OF A HOME"): home, ("BURGLARY", "DOMESTIC BURGLARY"): old})], db=db)
    with store.connect_read(db) as con:
        scan = metrics.exceptions(con, months[-1], level="borough")
        earlier = metrics.exceptions(con, months[-3], level="borough")
    flag = scan.flags[scan.flags["measure_label"] == "RES BURGLARY OF A HOME"]
    assert list(flag["area_name"]) == ["Bromley"] and list(flag["exception"]) == ["higher than usual"]
    assert flag["baseline_first"].dt.date.tolist() == [months[12]]  # Jan 2024: its first published offences
    assert flag["baseline_known"].tolist() == [23]
    assert 40 < flag["expected"].iloc[0] < 60  # its own level, not diluted by the published zeros
    assert "RES BURGLARY OF A HOME" not in set(earlier.flags["measure_label"])
    assert "DOMESTIC BURGLARY" not in set(scan.flags["measure_label"])  # its published zeros since: under 5, no flag


def test_a_renamed_category_does_not_borrow_its_old_names_months(tmp_path):
    rng = np.random.default_rng(22)
    old = {("Drug Offences", "Drug Trafficking"): _poisson(rng, 30, 24),
           ("Violence Against the Person", "Violence without Injury"): _poisson(rng, 400, 24),
           ("Burglary", "Domestic Burglary"): _poisson(rng, 70, 24)}
    trafficking = _poisson(rng, 30, 24)
    trafficking[0, -1] = 120
    home = _poisson(rng, 55, 24)
    violence = _poisson(rng, 250, 24)
    violence[0, -1] = 600
    home[0, -1] = 200
    new = {("DRUG OFFENCES", "TRAFFICKING OF DRUGS"): trafficking,
           ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITHOUT INJURY"): violence,
           ("VIOLENCE AGAINST THE PERSON", "STALKING AND HARASSMENT"): _poisson(rng, 150, 24),
           ("BURGLARY", "RES BURGLARY OF A HOME"): home,
           ("BURGLARY", "RES BURGLARY OF UNCONNECTED BUILDING"): _poisson(rng, 15, 24)}
    db = tmp_path / "store" / "sbp.duckdb"
    ingest([_file(tmp_path / "old.csv", "LookUp_BoroughName", OLD, old),
            _file(tmp_path / "new.csv", "BoroughName", NEW, new)], db=db)
    with store.connect_read(db) as con:
        scan = metrics.exceptions(con, NEW[-1], level="borough", include_comparator=True)
        measures = metrics.exceptions(con, NEW[-1], level="borough", by="measure",
                                      measure_ids=("residential_burglary",))
    flags = scan.flags[~scan.flags["is_comparator"]].set_index(["measure_label", "area_name"])
    renamed = flags.loc[("TRAFFICKING OF DRUGS", "Bromley")]
    assert renamed["baseline_first"].date() == NEW[0] and renamed["baseline_known"] == 23  # not Drug Trafficking's
    assert not (set(flags.index.get_level_values(0)) & {"Drug Trafficking", "Violence without Injury"})
    # Each current category is checked as published, not summed with the rest of its crosswalk group
    violence = flags.loc[("VIOLENCE WITHOUT INJURY", "Bromley")]
    assert violence["offence_count"] == 600 and 200 < violence["expected"] < 300
    # Residential burglary, a measure defined across both schemes, uses its own series over both files
    row = measures.flags[measures.flags["area_name"] == "Bromley"]
    assert row["baseline_first"].dt.date.tolist() == [OLD[0]] and row["baseline_known"].tolist() == [47]
