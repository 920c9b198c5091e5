"""Partner measures: the template, loading (all or none, one line per problem), revisions, the Data page entry and its
audit trail, the figures (change on the same period last year, target status) and where the board reads them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import duckdb
import pytest

from sbp import store
from sbp.config.partner import for_priority, load_partner_measures
from sbp.display import partner_view
from sbp.errors import IngestError, StoreOutdatedError
from sbp.ingest import forget, ingest, upgrade
from sbp.ingest.demo import PARTNER_FILE
from sbp.ingest.partner import parse_period, template_csv
from sbp.ingest.partner_entry import enter_value
from sbp.metrics.partner import partner_figures, suggested_status
from sbp.store.partner_edits import audit_log

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "data" / PARTNER_FILE
REFERENCE = REPO.parent / "shared" / "reference" / "sbp_priority1_safer_neighbourhoods_2021-22_year_end_report.txt"
HEADER = "measure_id,label,unit,period,area,value,source,target,direction,note\n"
CCTV = "cctv_arrest_assists,CCTV assists,count,2021,Bromley,264,CCTV control room,,,\n"


def values(db: Path) -> list[tuple]:
    with store.connect_read(db) as con:
        return con.execute("SELECT measure_id, period, area_name, value, source, target FROM partner_values "
                           "ORDER BY ALL").fetchall()


def figures(db: Path, as_of: str, area: str = "Bromley", ids: tuple[str, ...] | None = None):
    measures = [m for m in load_partner_measures().values() if ids is None or m.id in ids]
    with store.connect_read(db) as con:
        return partner_figures(con, area, as_of, measures).set_index("measure_id")


# --- the shipped file: Priority 1's partner figures as the 2021/22 report gives them ----------------------------

REPORT_FIGURES = {  # measure -> (period, value, the report's own words for it)
    "cctv_arrest_assists": ("2021", 264, "assisted the Police in 264 incidents"),
    "ts_total_savings": ("2021/22", 507157, "total financial savings of **£507,157**"),
    "ts_future_savings": ("2021/22", 292738, "future financial savings of £292,738"),
    "ts_health_savings": ("2021/22", 158078, "£158,078 health and quality of life savings"),
    "ts_call_blocker_savings": ("2021/22", 44659, "**£44,659** healthcare savings"),
    "ts_call_blockers": ("2021/22", 5, "the 5 call blocker units"),
    "ts_rapid_responses": ("2021/22", 26, "26 rapid response interventions"),
    "ts_alert_recipients": ("2021/22", 650, "circulation list of over **650**"),
    "ts_alert_forward_circulation": ("2021/22", 47000, "forward circulation of **47,000**"),
    "cid_days": ("2021/22", 12, "CIDs are held 12 times a year"),
    "cid_wards": ("2021/22", 4, "in the 4 wards in which they operate"),
}


def test_the_shipped_partner_file_holds_the_reports_figures_and_the_demo_loads_it(demo_store):
    if REFERENCE.exists():  # each figure as the report words it, read from the report itself
        report = REFERENCE.read_text(encoding="utf-8")
        for words in [w for _, _, w in REPORT_FIGURES.values()]:
            assert words in report, words
        assert "Between January 2021 and December 2021, the CCTV control room assisted" in report
        assert "between 1st April 2021 and 31st March 2022 Trading Standards interventions" in report
    loaded = {(m, p): (v, s) for m, p, _, v, s, _ in values(demo_store)}
    assert {m: (p, v) for (m, p), (v, _) in loaded.items()} == {m: (p, v) for m, (p, v, _) in REPORT_FIGURES.items()}
    assert loaded[("cctv_arrest_assists", "2021")][1] == "CCTV control room"
    assert loaded[("ts_total_savings", "2021/22")][1] == "Trading Standards"
    # The parts the report gives of the total are parts of it.
    assert REPORT_FIGURES["ts_future_savings"][1] + REPORT_FIGURES["ts_health_savings"][1] <= REPORT_FIGURES["ts_total_savings"][1]


def test_demo_figures_name_source_and_period_and_the_target_status(demo_store):
    found = figures(demo_store, "2023-11")
    cctv, savings, cids = found.loc["cctv_arrest_assists"], found.loc["ts_total_savings"], found.loc["cid_days"]
    assert (cctv["value"], cctv["source"], cctv["period_label"]) == (264, "CCTV control room", "Jan-Dec 2021")
    assert (savings["value"], savings["period_label"]) == (507157, "Apr 2021-Mar 2022")
    assert cids["target_status"] == "met" and cctv["target_status"] == ""
    # Unknown is never zero: no 2020 value is loaded, so there is no change, and the words say why.
    assert cctv["previous_value"] != cctv["previous_value"] and cctv["change"] != cctv["change"]
    measures = load_partner_measures()
    assert partner_view.change_text(cctv.to_dict(), measures["cctv_arrest_assists"]) == "n/a: no Jan-Dec 2020 value loaded"
    assert partner_view.provenance(cctv.to_dict()) == "CCTV control room, Jan-Dec 2021"
    assert partner_view.value_text(savings["value"], "pounds") == "£507,157"


# --- the template: downloaded, filled with three measures over two years, loaded -------------------------------

def test_the_template_loads_as_it_is_and_filled_with_three_measures_over_two_years(db, write_csv):
    template = template_csv()
    header = next(csv.reader(io.StringIO(template)))
    assert header == ["measure_id", "label", "unit", "period", "area", "value", "source", "target", "direction", "note"]
    ingest([write_csv("template.csv", template)], db=db)
    assert len(values(db)) == 3
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    filled = [  # measure, unit, period (one each of a calendar year, a financial year, a quarter), value, source, target
        ("cctv_arrest_assists", "count", "2020", "240", "CCTV control room", ""),
        ("cctv_arrest_assists", "count", "2021", "264", "CCTV control room", ""),
        ("ts_total_savings", "pounds", "2020/21", "£400,000", "Trading Standards", ""),
        ("ts_total_savings", "pounds", "2021/22", "507157", "Trading Standards", ""),
        ("cid_days", "count", "2020/21 Q1", "2", "LBB Community Safety", "3"),
        ("cid_days", "count", "2021-Q2", "3", "LBB Community Safety", "3"),  # calendar Q2 = 2021/22 Q1
    ]
    for measure, unit, period, value, source, target in filled:
        writer.writerow([measure, "", unit, period, "Bromley", value, source, target, "", ""])
    ingest([write_csv("filled.csv", out.getvalue())], db=db)
    found = figures(db, "2022-03", ids=("cctv_arrest_assists", "ts_total_savings", "cid_days"))
    # By hand: 264 - 240 = +24 (+10.0%); 507,157 - 400,000 = +107,157 (+26.789%); the latest cid_days period is the
    # template's own 2021/22 Q1 row, replaced by the filled file's 2021-Q2 (the same months, the same source).
    assert (found.loc["cctv_arrest_assists", "change"], found.loc["cctv_arrest_assists", "pct_change"]) == (24, 10.0)
    assert found.loc["ts_total_savings", "change"] == 107157
    assert found.loc["cctv_arrest_assists", "better"] == True  # noqa: E712 (higher is better, and it rose)
    assert found.loc["ts_total_savings", "pct_change"] == pytest.approx(26.78925)
    cids = found.loc["cid_days"]
    assert (cids["period"], cids["value"], cids["previous_value"], cids["target_status"]) == ("2021/22 Q1", 3, 2, "met")
    assert len(values(db)) == 6  # the template's three rows were replaced, source by source and period by period


# --- revisions -------------------------------------------------------------------------------------------------

def test_a_later_file_replaces_the_same_source_measure_area_and_period_only(db, write_csv):
    ingest([write_csv("first.csv", HEADER + CCTV.replace(",264,", ",250,")
                      + "ts_rapid_responses,,count,2021/22,Bromley,20,Trading Standards,,,\n")], db=db)
    summaries = ingest([write_csv("second.csv", HEADER + CCTV
                                  + "cctv_arrest_assists,,count,2021,Bromley,7,Police CCTV unit,,,\n")], db=db)
    assert summaries[0].months_replaced == 1 and "1 values replaced" in summaries[0].describe()
    assert [(m, v, s) for m, _, _, v, s, _ in values(db)] == [
        ("cctv_arrest_assists", 7, "Police CCTV unit"), ("cctv_arrest_assists", 264, "CCTV control room"),
        ("ts_rapid_responses", 20, "Trading Standards")]
    forget("second.csv", db=db)
    assert [(m, v) for m, _, _, v, _, _ in values(db)] == [("ts_rapid_responses", 20)]


# --- bad input: one clear line, nothing changed ----------------------------------------------------------------

BAD = [
    ("wrong unit", CCTV.replace(",count,", ",percent,"),
     "line 2, column 'unit': unit 'percent' does not match partner measure 'cctv_arrest_assists', which "
     "data/partner_measures.toml gives in 'count'"),
    ("unknown unit", CCTV.replace(",count,", ",pints,"), "line 2, column 'unit': unit 'pints' is not one of count, "
     "pounds, people, percent"),
    ("month 13", CCTV.replace(",2021,", ",2021-13,"), "line 2, column 'period': period '2021-13' is not a period"),
    ("financial year of two years", CCTV.replace(",2021,", ",2021/23,"), "period '2021/23' is not a period"),
    ("words", CCTV.replace(",2021,", ",last year,"), "period 'last year' is not a period"),
    ("future", CCTV.replace(",2021,", ",2099,"), "line 2, column 'period': period 2099 starts after the current month"),
    ("duplicate", CCTV + CCTV, "line 3: 'cctv_arrest_assists' for Bromley in 2021 from 'CCTV control room' appears "
     "twice (also line 2)"),
    ("duplicate by another spelling of the quarter", CCTV.replace(",2021,", ",2021/22 Q1,") + CCTV.replace(",2021,", ",2021-Q2,"),
     "line 3: 'cctv_arrest_assists' for Bromley in 2021/22 Q1 from 'CCTV control room' appears twice (also line 2)"),
    ("formula in a label", CCTV.replace("CCTV assists", '"=HYPERLINK(""http://x.test"",""click"")"'),
     "line 2, column 'label': this cell starts with '=' and would run as a spreadsheet formula"),
    ("formula in a value", CCTV.replace(",264,", ",+264+1,"), "column 'value': this cell starts with '+'"),
    ("formula by minus", CCTV.replace(",264,", ",-2+3,"), "column 'value': this cell starts with '-'"),
    ("formula in a source", CCTV.replace("CCTV control room", "@SUM(A1:A2)"), "column 'source': this cell starts with '@'"),
    ("negative count", CCTV.replace(",264,", ",-264,"), "column 'value': value '-264' is negative"),
    ("not a number", CCTV.replace(",264,", ",about 264,"), "value 'about 264' is not a number"),
    ("part of a count", CCTV.replace(",264,", ",26.4,"), "value '26.4' is not a whole number"),
    ("unknown measure", CCTV.replace("cctv_arrest_assists", "cctv_arrest_asists"),
     "unknown partner measure 'cctv_arrest_asists' (did you mean 'cctv_arrest_assists'?)"),
    ("unknown area", CCTV.replace(",Bromley,", ",Bromly,"), "column 'area': unknown area 'Bromly' (did you mean 'Bromley' or"),
    ("target without direction", "ts_rapid_responses,,count,2021/22,Bromley,26,Trading Standards,30,,\n",
     "a target needs a direction"),
    ("bad direction", CCTV.replace(",,,", ",300,up,"), "direction 'up' is not one of"),
    ("empty source", CCTV.replace("CCTV control room", ""), "column 'source': the source is empty"),
]


@pytest.mark.parametrize("rows,expected", [(rows, expected) for _, rows, expected in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_one_clear_line_and_changes_nothing(demo_db, write_csv, rows, expected):
    before, version = values(demo_db), store.data_version(demo_db)
    good_first = "ts_call_blockers,,count,2022/23,Bromley,6,Trading Standards,,,\n"  # a good row first: all or none
    path = write_csv("partner.csv", HEADER + good_first + rows.replace("line 2", "line 3"))
    with pytest.raises(IngestError) as caught:
        ingest([path], db=demo_db)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("partner.csv, ")
    shifted = re.sub(r"line (\d+)", lambda m: f"line {int(m[1]) + 1}", expected)
    assert shifted in message
    assert values(demo_db) == before and store.data_version(demo_db) == version


def test_an_unexpected_column_is_refused_with_the_columns_allowed(db, write_csv):
    with pytest.raises(IngestError, match="line 1, column 'colour': unexpected column in a partner-measures file"):
        ingest([write_csv("p.csv", HEADER.replace("note", "note,colour") + CCTV.replace("\n", ",red\n"))], db=db)
    assert not store.exists(db)


def test_a_bad_police_file_beside_a_good_partner_file_loads_neither(db, write_csv):
    ingest([write_csv("first.csv", HEADER + CCTV)], db=db)
    before = values(db)
    bad = write_csv("bad.csv", "MajorText,MinorText,LookUp_BoroughName,202312\nBurglary,Domestic Burglary\n")
    with pytest.raises(IngestError, match="bad.csv, line 2"):
        ingest([write_csv("p.csv", HEADER + CCTV.replace(",264,", ",300,")), bad], db=db)
    assert values(db) == before


def test_an_xlsx_partner_file_loads_and_a_formula_looking_cell_in_it_is_refused(db, tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")

    def workbook(name: str, label: str, formula: bool = False) -> Path:
        path = tmp_path / name
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("partner_measures")
        sheet.write_row(0, 0, HEADER.strip().split(","))
        sheet.write_row(1, 0, ["cctv_arrest_assists"])
        (sheet.write_formula if formula else sheet.write_string)(1, 1, label)
        sheet.write_row(1, 2, ["count", "2021", "Bromley"])
        sheet.write_number(1, 5, 264)
        sheet.write_string(1, 6, "CCTV control room")
        book.close()
        return path

    with pytest.raises(IngestError, match=r"^bad.xlsx, line 2, column 'label': this cell starts with '='"):
        ingest([workbook("bad.xlsx", "=HYPERLINK(\"x\")")], db=db)  # text that would run as a formula
    with pytest.raises(IngestError, match=r"^formula.xlsx, line 2, column 'label': this cell holds a spreadsheet formula"):
        ingest([workbook("formula.xlsx", '=HYPERLINK("http://x.test","CCTV")', formula=True)], db=db)
    assert not store.exists(db)
    ingest([workbook("good.xlsx", "CCTV assists")], db=db)
    assert values(db) == [("cctv_arrest_assists", "2021", "Bromley", 264, "CCTV control room", None)]


# --- periods and figures, by hand ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,kind,start,end,stored", [
    ("2021-06", "month", "2021-06", "2021-06", "2021-06"),
    ("2021/22 Q1", "quarter", "2021-04", "2021-06", "2021/22 Q1"),
    ("2021/22 q4", "quarter", "2022-01", "2022-03", "2021/22 Q4"),
    ("2022-Q1", "quarter", "2022-01", "2022-03", "2021/22 Q4"),
    ("2021Q3", "quarter", "2021-07", "2021-09", "2021/22 Q2"),
    ("2021/22", "financial_year", "2021-04", "2022-03", "2021/22"),
    ("1999/00", "financial_year", "1999-04", "2000-03", "1999/00"),
    ("2021", "calendar_year", "2021-01", "2021-12", "2021"),
])
def test_periods_parse_to_their_months(text, kind, start, end, stored):
    period = parse_period(text)
    month = lambda s: dt.date(int(s[:4]), int(s[5:]), 1)  # noqa: E731
    assert (period.kind, period.start, period.end, period.text) == (kind, month(start), month(end), stored)


def test_target_status_is_met_not_met_or_not_due_by_direction_and_period(db, write_csv):
    rows = ("cid_days,,count,2021/22,Bromley,12,LBB Community Safety,12,,\n"          # higher is better: met
            "cid_days,,count,2022/23,Bromley,10,LBB Community Safety,12,,\n"          # not met
            "cctv_arrest_assists,,count,2021,Bromley,5,CCTV control room,4,lower_is_better,\n"  # the row's own rule
            "ts_call_blockers,,count,2022/23 Q1,Bromley,1,Trading Standards,6,,\n")   # runs past the as-of month
    ingest([write_csv("p.csv", HEADER + rows)], db=db)
    assert figures(db, "2023-03").loc["cid_days", "target_status"] == "not met"
    assert figures(db, "2022-05").loc["cid_days", "target_status"] == "not due"  # 2022/23 has begun, not ended
    assert figures(db, "2022-03").loc["cid_days", "target_status"] == "met"
    assert figures(db, "2022-03").loc["cid_days", "value"] == 12  # 2022/23 had not begun
    assert figures(db, "2023-03").loc["cctv_arrest_assists", "target_status"] == "not met"
    assert figures(db, "2022-05").loc["ts_call_blockers", "target_status"] == "not due"
    assert figures(db, "2022-06").loc["ts_call_blockers", "target_status"] == "not met"
    statuses = ["Achieved", "On track", "At risk"]
    assert suggested_status(["met", "met"], statuses) == "Achieved"
    assert suggested_status(["met", "not due"], statuses) == "On track"
    assert suggested_status(["not due", "not met"], statuses) == "At risk"
    assert suggested_status(["", ""], statuses) is None and suggested_status(["met"], ["Done"]) is None
    measures = load_partner_measures()
    suggested = partner_view.suggestions(figures(db, "2022-03").reset_index(), measures, statuses)
    assert suggested == {"1.2": "Achieved (Community Impact Days held: target met)",
                         "5": "At risk (Incidents where CCTV assisted police, leading to arrests: target not met)"}


def test_a_measure_without_a_value_for_the_area_is_n_a_never_zero(db, write_csv):
    ingest([write_csv("p.csv", HEADER + CCTV)], db=db)
    found = figures(db, "2023-11", area="Bexley")
    assert found["value"].isna().all()
    measures = {m.id: m for m in for_priority("safer_neighbourhoods")}
    view = partner_view.priority_view(found.reset_index().loc[lambda f: f.measure_id.isin(measures)], measures, "Bexley")
    assert (view.cards, view.evidence, view.brief, len(view.table)) == ("", {}, "", 0)
    assert view.missing.startswith("Partner figures: none loaded for Bexley (11 partner measures of this priority")
    found = figures(db, "2023-11", area="Bromley").reset_index().loc[lambda f: f.measure_id.isin(measures)]
    view = partner_view.priority_view(found, measures, "Bromley")  # one loaded: the others are n/a, never 0
    assert view.table["Value"].tolist().count("n/a: no value loaded for Bromley") == 10
    assert "264 incidents" in view.table["Value"].tolist() and view.missing == ""


# --- the Data page entry and its audit trail -------------------------------------------------------------------

def test_an_admin_entry_is_loaded_and_audited_with_old_and_new_value(demo_db):
    done = enter_value("cctv_arrest_assists", "2021", "Bromley", "270", "CCTV control room", "alice", db=demo_db)
    assert "1 values replaced" in done
    enter_value("cctv_arrest_assists", "2022", "bromley", "281", "CCTV control room", "bob", note="from the log",
                db=demo_db)
    log = audit_log(demo_db)
    assert [(r["changed_by"], r["period"], r["old_value"], r["new_value"]) for r in log] == [
        ("bob", "2022", None, 281), ("alice", "2021", 264, 270)]
    assert all(dt.datetime.fromisoformat(r["changed_at"]) > dt.datetime.now() - dt.timedelta(minutes=5) for r in log)
    found = figures(demo_db, "2023-11").loc["cctv_arrest_assists"]
    assert (found["value"], found["previous_value"], found["change"]) == (281, 270, 11)
    assert found["note"].startswith("from the log (entered on the Data page by bob, ")


def test_a_bad_admin_entry_changes_nothing_and_is_not_audited(demo_db):
    before, version = values(demo_db), store.data_version(demo_db)
    with pytest.raises(IngestError) as caught:
        enter_value("cctv_arrest_assists", "2021-13", "Bromley", "270", "CCTV control room", "alice", db=demo_db)
    assert str(caught.value).startswith("The value entered, column 'period': period '2021-13' is not a period")
    with pytest.raises(IngestError, match="this cell starts with '='"):
        enter_value("cctv_arrest_assists", "2021", "Bromley", "=1+1", "CCTV control room", "alice", db=demo_db)
    assert values(demo_db) == before and store.data_version(demo_db) == version and audit_log(demo_db) == []


# --- the store: a new table, an upgrade path ------------------------------------------------------------------

def test_a_store_from_before_partner_measures_is_upgraded_keeping_its_data(db, write_csv):
    ingest([write_csv("b.csv", "MajorText,MinorText,LookUp_BoroughName,202301\nBurglary,Domestic Burglary,Bromley,10\n")],
           db=db)
    with duckdb.connect(str(store.current_version_file(db))) as con:  # as schema 6 left it
        con.execute("DROP TABLE partner_values; UPDATE store_meta SET value = '6' WHERE key = 'schema_version'")
    with pytest.raises(StoreOutdatedError):
        store.connect_read(db)
    upgrade(db)
    with store.connect_read(db) as con:
        assert con.execute("SELECT sum(offence_count) FROM crime_counts").fetchone()[0] == 10
        assert con.execute("SELECT count(*) FROM partner_values").fetchone()[0] == 0
    ingest([write_csv("p.csv", HEADER + CCTV)], db=db)
    assert len(values(db)) == 1


# --- the pages, in Streamlit's AppTest: the demo, and the real extract with the shipped partner file -------------

@pytest.fixture(scope="module")
def real_with_partners(tmp_path_factory) -> Path:
    """The real MPS borough extract, the Census populations and the shipped partner file, loaded together (or skip)."""
    from tests.conftest import _require_real_files

    db = tmp_path_factory.mktemp("real-partner") / "sbp.duckdb"
    ingest([*_require_real_files(), SHIPPED], db=db)
    return db


def open_page(monkeypatch, db: Path, page: str, **query: str):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SBP_DB", str(db))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page)
    return at.run()


@pytest.mark.parametrize("which", ["demo", "real"])
@pytest.mark.parametrize("present", ["", "1"])
def test_the_safer_neighbourhoods_page_shows_cctv_and_trading_standards_with_source_and_period(
        which, present, request, monkeypatch):
    db = request.getfixturevalue("demo_store" if which == "demo" else "real_with_partners")
    at = open_page(monkeypatch, db, "pages/priority_page.py", **({"present": "1"} if present else {}))
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert at.title[0].value == "Safer Neighbourhoods"
    html = " ".join(m.value for m in at.markdown)
    if present:  # the slide: one line each under the objectives
        assert "264 incidents</strong> Incidents where CCTV assisted police, leading to arrests" in html
        assert "(CCTV control room, Jan-Dec 2021)" in html and "(Trading Standards, Apr 2021-Mar 2022)" in html
        return
    cards = next(m.value for m in at.markdown if '<div class="sbp-partner-cards">' in m.value)
    for expected in ('sbp-partner-value">264 incidents<', "CCTV control room, Jan-Dec 2021", 'sbp-partner-value">£507,157<',
                     "Trading Standards, Apr 2021-Mar 2022", "n/a: no Jan-Dec 2020 value loaded", "Target 12 days:"):
        assert expected in cards, expected
    assert "Partner figures</em><ul><li>Incidents where CCTV assisted police, leading to arrests: 264 incidents (CCTV " \
           "control room, Jan-Dec 2021)</li>" in html  # objective 5's evidence
    assert "Savings from Trading Standards interventions: £507,157 (Trading Standards, Apr 2021-Mar 2022)" in html


def test_the_data_page_offers_the_template_and_an_admin_enters_a_value_with_its_audit(demo_db, monkeypatch):
    from sbp.web.auth import hash_password

    monkeypatch.setenv("SBP_DB", str(demo_db))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.secrets["admin"] = {"username": "analyst", "password_hash": hash_password("a long enough password")}
    at.run()
    at.switch_page("pages/data_page.py").run()
    assert at.get("download_button"), "the template is offered to everyone"
    at.text_input[0].input("analyst")
    at.text_input[1].input("a long enough password")
    at.button[[b.label for b in at.button].index("Sign in")].click().run()
    boxes = {t.label: t for t in at.text_input}
    [s for s in at.selectbox if s.label == "Partner measure"][0].set_value("cctv_arrest_assists")
    boxes["Period"].input("2021")
    boxes["Value (in the measure's unit)"].input("-1")
    at.button[[b.label for b in at.button].index("Save this value")].click().run()
    assert any("column 'value': value '-1' is negative" in shown(e.value) and "Nothing was changed" in e.value
               for e in at.error)
    assert audit_log(demo_db) == []
    boxes = {t.label: t for t in at.text_input}
    boxes["Value (in the measure's unit)"].input("270")
    at.button[[b.label for b in at.button].index("Save this value")].click().run()
    assert not at.error, [e.value for e in at.error]
    assert [(r["changed_by"], r["source"], r["old_value"], r["new_value"]) for r in audit_log(demo_db)] == [
        ("analyst", "CCTV control room", 264, 270)]
    at.run()
    table = next(m.value for m in at.markdown if "Old value</th>" in m.value)
    assert "analyst" in table and "264 incidents" in table and "270 incidents" in table


def shown(markdown: str) -> str:
    from sbp.display.formatting import shown_text

    return shown_text(markdown)


def test_text_from_a_partner_file_is_shown_literally(db, write_csv):
    ingest([write_csv("p.csv", HEADER + CCTV.replace("CCTV control room", "<img src=x onerror=alert(1)>"))], db=db)
    measures = {m.id: m for m in for_priority("safer_neighbourhoods")}
    found = figures(db, "2023-11").reset_index().loc[lambda f: f.measure_id.isin(measures)]
    view = partner_view.priority_view(found, measures, "Bromley")
    from sbp.display.panels import objective_html
    from sbp.config.objectives import objectives_for

    cctv = next(o for o in objectives_for("safer_neighbourhoods") if o.number == "5")
    for html in (view.cards, view.brief, objective_html(cctv, "", view.evidence)):
        assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;, Jan-Dec 2021" in html


def test_the_signed_in_admin_is_offered_the_status_partner_targets_suggest(demo_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from sbp.web.auth import hash_password

    monkeypatch.setenv("SBP_DB", str(demo_store))  # nothing is saved: the session's demo store
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.secrets["admin"] = {"username": "analyst", "password_hash": hash_password("a long enough password")}
    at.run()
    at.switch_page("pages/data_page.py").run()
    at.text_input[0].input("analyst")
    at.text_input[1].input("a long enough password")
    at.button[[b.label for b in at.button].index("Sign in")].click().run()
    at.switch_page("pages/priority_page.py").run()
    offered = [shown(c.value) for c in at.caption if "Suggested by its partner targets" in c.value]
    assert offered == ["Suggested by its partner targets: Achieved (Community Impact Days held: target met). Choose it "
                       "above and save to confirm."]  # sub-objective 1.2 only: the one partner measure with a target
