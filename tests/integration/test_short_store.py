"""A store with less than one rolling year (a first load of a few months): every page says why it has no figures
instead of failing (it used to stop every page with "min() arg is an empty sequence")."""

from __future__ import annotations

import datetime as dt

import pytest

from sbp import metrics, store
from sbp.cli import main
from tests.integration.test_app_pages import PAGES, app, no_errors, visit  # noqa: F401 (app is a fixture)

MONTHS = [dt.date(2022, m, 1) for m in range(1, 7)]  # Jan to Jun 2022


@pytest.fixture
def short_db(tmp_path, capsys):
    """Six months of one category for two boroughs, with populations."""
    borough = tmp_path / "borough.csv"
    borough.write_text("MajorText,MinorText,LookUp_BoroughName," + ",".join(f"{m:%Y%m}" for m in MONTHS) + "\n"
                       + "".join(f"Burglary,Burglary - Residential,{b}," + ",".join("30" for _ in MONTHS) + "\n"
                                 for b in ("Bromley", "Bexley")))
    population = tmp_path / "pop.csv"
    population.write_text("area,population\nBromley,330000\nBexley,250000\n")
    db = tmp_path / "s.duckdb"
    assert main(["ingest", "--db", str(db), str(borough), str(population)]) == 0
    capsys.readouterr()
    return db


def test_the_default_period_is_the_last_month_loaded(short_db):
    with store.connect_read(short_db) as con:
        coverage = metrics.period_coverage(con, "Bromley")
    assert coverage.default_end == dt.date(2022, 6, 1) and coverage.missing == {}
    assert coverage.missing_after_default(dt.date(2022, 6, 1)) == ()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_why_it_has_no_figures(short_db, page, app):
    at = visit(app(short_db), page)
    no_errors(at)
    if page.endswith(("explore_page.py", "data_page.py")):
        return  # these show the months loaded
    assert any("No rolling year to show yet" in i.value and "6 months (Jan 2022 to Jun 2022)" in i.value
               for i in at.info), [i.value for i in at.info]
