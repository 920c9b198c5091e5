"""The board report (issue 5): HTML, PDF and PPTX from the demo store and the real extract, the CLI, the dashboard.

The wording of the paragraphs is tested in test_narrative.py; here each format is rendered and opened again:
the HTML parsed, the PDF rasterised with pdftoppm and checked for ink, the PPTX reopened with python-pptx.

Real data: the shared extract covers Dec 2021 to Nov 2023, so the real-data report is for the rolling year to
November 2023. The issue's "February 2022" example needs the older historic extract (24 months before Feb 2022),
which is not in shared/data.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sbp import store
from sbp.cli import main
from sbp.config import default_config
from sbp.display.formatting import RAG_STYLE
from sbp.report import build_report, render
from sbp.report.chartimg import png_size
from sbp.report.model import build_model
from sbp.report.texts import SYNTHETIC_NOTICE
from sbp.report.to_html import render_html, traced_paragraph

REPO = Path(__file__).resolve().parents[2]
END = "2023-11"
BOARD_HEADINGS = ["Category", "Rolling year to Nov 22", "Rolling year to Nov 23", "% difference", "RAG",
                  "Rate per 1,000", "Rank", "London % difference"]
RAG_WORDS = {"Green", "Amber", "Red", "No comparison"}


@pytest.fixture(scope="module")
def demo_db(demo_store) -> Path:
    """The report only reads, so it shares the session's demo store."""
    return demo_store


@pytest.fixture(scope="module")
def demo_report(demo_db):
    """The report model for Bromley (the focus borough) on the demo store, composed once for every format."""
    with store.connect_read(demo_db) as con:
        return build_model(con, END)


@pytest.fixture(scope="module")
def demo_files(demo_db) -> list[str]:
    with store.connect_read(demo_db) as con:
        return [r[0] for r in con.execute("SELECT file_name FROM source_files").fetchall()]


class Page(HTMLParser):
    """Collects what the tests look for: headings, table headings, cell titles, RAG cells, images, links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.h2: list[str] = []
        self.th: list[str] = []
        self.rag_cells: list[str] = []
        self.titled_numbers: list[tuple[str, str, str]] = []  # (text, title, table class) of td.num and span.fig
        self.images: list[dict] = []
        self.external: list[str] = []
        self.text: list[str] = []
        self._capture: list[list] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "link", "iframe"):
            self.external.append(tag)
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if value and not value.startswith(("data:", "#")):
                self.external.append(value)
        if tag == "img":
            self.images.append(attrs)
        if tag not in ("img", "br", "meta", "col"):
            self.stack.append((tag, attrs))
            self._capture.append([])

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            return
        _, attrs = self.stack.pop()
        text = "".join(self._capture.pop()).strip()
        if self._capture:
            self._capture[-1].append(text)
        cls = attrs.get("class") or ""
        if tag == "h2":
            self.h2.append(text)
        elif tag == "th":
            self.th.append(text)
        elif tag == "td" and "rag" in cls.split():
            self.rag_cells.append(text)
        if (tag == "td" and "num" in cls.split()) or (tag == "span" and cls == "fig"):
            table = next((a.get("class") or "" for t, a in reversed(self.stack) if t == "table"), "")
            self.titled_numbers.append((text, attrs.get("title") or "", table))

    def handle_data(self, data):
        self.text.append(data)
        if self._capture:
            self._capture[-1].append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    assert not page.stack or [t for t, _ in page.stack] == [], f"unclosed elements: {[t for t, _ in page.stack]}"
    return page


# --- HTML -----------------------------------------------------------------------------------

def test_html_report_has_the_board_shape_and_traceable_figures(demo_report, demo_files, tmp_path):
    out = tmp_path / "report.html"
    out.write_bytes(render(demo_report, "html"))
    text = out.read_text(encoding="utf-8")
    page = parse(text)
    words = " ".join(page.text)

    for heading in BOARD_HEADINGS:
        assert heading in page.th, heading
    assert [p.title for p in default_config().priorities] == page.h2[:4]
    assert page.h2[-1] == "Appendix"
    assert page.rag_cells and set(page.rag_cells) <= RAG_WORDS and {"Green", "Red"} <= set(page.rag_cells)
    assert SYNTHETIC_NOTICE in words
    for name in demo_files:
        assert name in words, f"provenance lists {name}"
    assert "Rolling year to November 2023" in words and "Dec 2022 to Nov 2023" in words

    # Every figure cell and number span says what it is, where and when; the query only in the technical report.
    assert len(page.titled_numbers) > 100
    for number, title, table in page.titled_numbers:
        assert title, f"figure {number!r} has no title"
        if table not in ("files", "provenance"):
            assert "Area: Bromley" in title and "Period: rolling year Dec 2022 to Nov 2023" in title, title
            assert "Query:" not in title, title
    burglary = [t for n, t, _ in page.titled_numbers if "Total burglary = Burglary (major category: all minors)" in t]
    assert burglary, "the burglary figures name their MPS category"
    assert any("offences recorded, rolling year Dec 2021 to Nov 2022" in t for t in burglary)
    assert "metrics." not in text and "sha256" not in words

    technical = parse(render_html(dataclasses.replace(demo_report, technical=True)))
    # the Safer Neighbourhoods chart is the slide's: its headline (non-domestic violence with injury, no figure in the
    # demo), else the next of its measures with one
    assert "metrics.league(con, measure='residential_burglary', end='2023-11')" in " ".join(technical.text)
    assert technical.h2[-2:] == ["Appendix", "Technical appendix"]

    # Self-contained: CSS inline, every image a PNG data: URI, nothing fetched.
    assert page.external == []
    assert "<style>" in text and "@page" in text
    assert len(page.images) == 12  # a trend, a league and a spine chart for each of the four priorities
    for image in page.images:
        assert image["src"].startswith("data:image/png;base64,") and image["alt"] and "Area: Bromley" in image["title"]
    # The appendix: definitions, caveats, each measure's definition.
    for term in ("Rolling year", "Rate per 1,000", "Rank", "RAG", "Significance test", "Revisions", "Small numbers",
                 "Unlocated offences", "Ward and borough totals", "What each measure counts", "Data files loaded"):
        assert term in words, term


def test_every_data_string_is_escaped(demo_report):
    evil = "<script>alert('x')</script>"
    section = demo_report.priorities[0]
    objective = dataclasses.replace(section.objectives[0], title=evil, evidence="a & b <i>")
    row = dataclasses.replace(section.rows[0], label=evil, paragraph=f"{evil} rose by 4.9%")
    bad = dataclasses.replace(
        demo_report, partnership=evil, area='Brom"ley</style>',
        priorities=(dataclasses.replace(section, title=evil, objectives=(objective,), rows=(row,)),),
    )
    text = render_html(bad)
    assert "<script>" not in text and "</style>\"" not in text and "<i>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert text.count("</style>") == 1
    parse(text)
    # The slides take the same strings (python-pptx escapes XML; control characters are dropped).
    from pptx import Presentation

    odd = dataclasses.replace(bad, priorities=(dataclasses.replace(
        bad.priorities[0], objectives=(dataclasses.replace(objective, title="bell\x07 & <tab>"),)),))
    prs = Presentation(io.BytesIO(render(odd, "pptx")))
    assert prs.slides[1].shapes.title.text == evil


def test_paragraph_numbers_carry_their_trace(demo_report):
    row = next(r for s in demo_report.priorities for r in s.rows if r.id == "burglary")
    html_text = traced_paragraph(row)
    assert '<span class="fig" title="' in html_text
    assert "previous 12 months" in html_text  # '12' here is not a figure
    assert '12</span> months' not in html_text
    current = next(c for c in row.cells if c.text and c.text[0].isdigit())
    assert f">{current.text}</span>" in html_text


# --- PDF ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_pdf_pages_render_and_are_not_blank(demo_report, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render(demo_report, "pdf"))
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian package poppler-utils) is not installed, so the PDF pages cannot be rasterised")
    from PIL import Image

    subprocess.run(["pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 6, "title page, four priorities and the appendix"
    for page in pages:
        with Image.open(page) as image:
            darkest, _ = image.convert("L").getextrema()
            assert darkest < 128, f"{page.name} is blank"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert SYNTHETIC_NOTICE in text
        for priority in default_config().priorities:
            assert priority.title in " ".join(text.split())


# --- PPTX -----------------------------------------------------------------------------------

def test_pptx_has_a_title_slide_and_one_slide_per_priority(demo_report, tmp_path):
    from pptx import Presentation

    out = tmp_path / "report.pptx"
    out.write_bytes(render(demo_report, "pptx"))
    prs = Presentation(str(out))
    titles = [slide.shapes.title.text for slide in prs.slides]
    priorities = default_config().priorities
    # A priority whose table leaves too little room continues on a slide of its own with the chart and objectives.
    # A priority with partner measures has a slide of its partner figures after its own (and its spine chart's).
    assert [t for t in titles if not t.endswith((" (continued)", ": partner figures"))] == ["Bromley: partnership measures"] + [
        title for p in priorities for title in (p.title, f"{p.title}: against London")]
    assert [t for t in titles if t.endswith(": partner figures")] == ["Safer Neighbourhoods: partner figures"]
    assert any(SYNTHETIC_NOTICE in shape.text_frame.text for shape in prs.slides[0].shapes if shape.has_text_frame)
    slides = {title: slide for title, slide in zip(titles, prs.slides)}
    for priority in priorities:
        slide = slides[priority.title]
        shown = [slide] + ([slides[f"{priority.title} (continued)"]] if f"{priority.title} (continued)" in slides else [])
        tables = [shape.table for shape in slide.shapes if shape.has_table]
        assert len(tables) == 1, priority.title
        table = tables[0]
        headings = [table.cell(0, j).text for j in range(len(table.columns))]
        assert headings[:5] == BOARD_HEADINGS[:5]
        assert len(table.rows) == len(priority.measures) + 1
        rag_col = headings.index("RAG")
        for i in range(1, len(table.rows)):
            cell = table.cell(i, rag_col)
            assert cell.text in RAG_WORDS
            expected = RAG_STYLE[cell.text if cell.text in RAG_STYLE else None][0].lstrip("#").upper()
            assert str(cell.fill.fore_color.rgb) == expected, "RAG is colour as well as text"
        assert sum(1 for s in shown for shape in s.shapes if shape.shape_type == 13) == 1, "one chart picture"
        for s in shown:
            for shape in s.shapes:  # nothing past the slide's edges
                assert shape.left >= 0 and shape.top >= 0 and shape.width > 0 and shape.height > 0, shape.name
                assert shape.left + shape.width <= prs.slide_width and shape.top + shape.height <= prs.slide_height
        text = " ".join(shape.text_frame.text for s in shown for shape in s.shapes if shape.has_text_frame)
        assert "Objectives" in text and ("Achieved" in text or "Not started" in text or "On track" in text)
        assert "Source: " in text and "metrics." not in text, "the chart's source in words"
        assert slide.has_notes_slide and "rolling year to November 2023" in slide.notes_slide.notes_text_frame.text
        spine = slides[f"{priority.title}: against London"]  # the priority's spine chart on a slide of its own
        assert sum(1 for shape in spine.shapes if shape.shape_type == 13) == 1
        assert all(shape.left + shape.width <= prs.slide_width and shape.top + shape.height <= prs.slide_height
                   for shape in spine.shapes)


def test_chart_images_are_real_pngs(demo_report):
    for section in demo_report.priorities:
        assert [c.kind for c in section.charts] == ["trend", "league"]
        for chart in section.charts:
            data, width, height = chart.png()
            assert png_size(data) == (width, height) and width > 400 and height > 300


def test_a_chart_is_drawn_once_per_process_for_the_same_data_and_size(monkeypatch):
    import altair as alt
    import pandas as pd

    from sbp.report import chartimg

    drawn = []
    draw = chartimg._draw
    monkeypatch.setattr(chartimg, "_draw", lambda spec: drawn.append(spec) or draw(spec))
    bars = lambda counts: alt.Chart(pd.DataFrame({"area": ["A", "B"], "n": counts})).mark_bar().encode(x="area", y="n")
    first = chartimg.png(bars([1, 2]), 200, 150)
    assert chartimg.png(bars([1, 2]), 200, 150) == first and len(drawn) == 1  # a new chart object, the same spec
    other = chartimg.png(bars([1, 3]), 200, 150)  # other data: drawn again, another image
    wider = chartimg.png(bars([1, 2]), 300, 150)
    assert len(drawn) == 3 and len({first[0], other[0], wider[0]}) == 3
    assert wider[1] > first[1] and png_size(other[0]) == other[1:]


# --- real data ------------------------------------------------------------------------------

@pytest.mark.slow
def test_report_on_the_real_extract(real_files, real_store):
    with store.connect_read(real_store) as con:
        report = build_model(con, END, "Bromley")
    assert not report.synthetic and report.data_to.isoformat() == "2023-11-01"
    html_text = render_html(report)
    page = parse(html_text)
    words = " ".join(page.text)
    assert SYNTHETIC_NOTICE not in words
    for path in real_files:
        assert path.name in words
    burglary = next(r for s in report.priorities for r in s.rows if r.id == "burglary")
    assert burglary.has_data and burglary.cells[2].text == f"{1604:,}"  # test_metrics_real checks 1,604 against the CSV
    # The series measures (ASB calls, knife crime, hate crime, domestic abuse) are not in the MPS extract.
    asb = next(r for s in report.priorities for r in s.rows if r.id == "asb_calls")
    assert not asb.has_data and asb.rag == "No comparison" and "no count of ASB calls is loaded" in asb.paragraph
    missing = dict(report.caveats)["Measures shown as n/a"]
    assert "MPS Monthly Crime Dashboard Data" in missing  # says which published file fills hate crime etc.
    # Charts fall back to the first measure with data: knife possession for young people, not knife crime.
    young = next(s for s in report.priorities if s.id == "young_people")
    assert {c.measure_label for c in young.charts} == {"Knife possession"}
    assert len(page.images) == 12  # each priority has a measure with a rate for its spine chart
    pptx = render(report, "pptx")
    assert pptx[:2] == b"PK"


# --- CLI and dashboard ----------------------------------------------------------------------

def test_cli_writes_the_report_and_reports_user_errors_in_one_line(demo_db, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "--db", str(demo_db), "--end", END, "--out", str(out)]) == 0
    assert out.exists() and "Bromley: partnership measures" in out.read_text(encoding="utf-8")
    assert str(out) in capsys.readouterr().out

    cases = [
        (["--area", "Narnia", "--out", str(tmp_path / "x.pdf")], "Unknown area 'Narnia'"),
        (["--out", str(tmp_path / "missing" / "x.pdf")], "does not exist"),
        (["--out", str(tmp_path / "x.docx")], "Cannot tell the report format"),
    ]
    for extra, message in cases:
        assert main(["report", "--db", str(demo_db), "--end", END, *extra]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
        assert "Traceback" not in err
    assert main(["report", "--db", str(demo_db), "--end", "2099-01", "--out", str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err
    assert "No rolling year to Jan 2099" in err and err.count("\n") == 1
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root can write anywhere: nothing to check then
            assert main(["report", "--db", str(demo_db), "--end", END, "--out", str(locked / "r.pdf")]) == 1
            assert "permission denied" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_build_report_format_from_extension_or_argument(demo_db, tmp_path):
    out = build_report(demo_db, END, "bromley", "pptx", tmp_path / "slides.bin")
    assert out.read_bytes()[:2] == b"PK"
    assert list(tmp_path.iterdir()) == [out], "no temporary files are left behind"


def test_overview_page_prepares_the_report_for_download(demo_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SBP_DB", str(demo_db))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert not at.exception
    at.radio(key="ov_report_format").set_value("html").run()
    at.button(key="ov_report_prepare").click().run()
    assert not at.exception and not at.error
    prepared = at.session_state["ov_report"]
    assert prepared[0][1:] == ("Bromley", at.session_state["sbp_end"], "html")
    assert prepared[1].startswith(b"<!DOCTYPE html>") and b"Safer Neighbourhoods" in prepared[1]
    assert any(getattr(e, "proto", None) is not None and "Download the report" in str(e.proto)
               for e in at.get("download_button"))


def test_the_report_shows_the_partner_figures_with_source_and_period(demo_report, tmp_path):
    """The CCTV and Trading Standards figures, each naming its source and period, in HTML, PDF and PPTX."""
    import re

    from pptx import Presentation

    page = render(demo_report, "html").decode("utf-8")
    section = page[page.index('id="safer_neighbourhoods"'):]
    section = section[:section.index("</section>")]
    text = re.sub(r"<[^>]+>", " ", section)
    for expected in ("264 incidents", "Jan-Dec 2021", "CCTV control room", "£507,157", "Apr 2021-Mar 2022",
                     "Trading Standards", "650 recipients", "12 days: met"):
        assert expected in text, expected
    # As evidence under the objective each supports: CCTV under 5, Trading Standards under 6.
    assert re.search(r"<td>5</td><td><strong>CCTV</strong>.*?Incidents where CCTV assisted police, leading to arrests: "
                     r"264 incidents \(CCTV control room, Jan-Dec 2021\)", section, re.S)
    assert re.search(r"<td>6</td>.*?Savings from Trading Standards interventions: £507,157 "
                     r"\(Trading Standards, Apr 2021-Mar 2022\)", section, re.S)
    out = tmp_path / "report.pptx"
    out.write_bytes(render(demo_report, "pptx"))
    slide = next(s for s in Presentation(str(out)).slides if s.shapes.title.text == "Safer Neighbourhoods: partner figures")
    table = next(shape.table for shape in slide.shapes if shape.has_table)
    rows = [[table.cell(i, j).text for j in range(len(table.columns))] for i in range(len(table.rows))]
    assert ["Incidents where CCTV assisted police, leading to arrests", "264 incidents", "Jan-Dec 2021"] == rows[1][:3]
    assert rows[1][-1] == "CCTV control room" and rows[2][1:3] == ["£507,157", "Apr 2021-Mar 2022"]
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text cannot be read")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render(demo_report, "pdf"))
    words = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    for expected in ("264 incidents", "CCTV control room", "Jan-Dec 2021", "£507,157", "Apr 2021-Mar 2022"):
        assert expected in words, expected
