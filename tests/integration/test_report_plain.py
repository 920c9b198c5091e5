"""The board report in plain words (issue 21): no code, setting names or commands in the body, every measure
defined in words, commentary from the figures loaded, and every word of the PDF inside its A4 page.

The store holds the shared published files (../shared/data): the MPS borough files 2010-2023, the ward file, the
Monthly Crime Dashboard workbook (Aug 2021 to Jul 2023) and the Census 2021 populations.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sbp import store
from sbp.config import default_config
from sbp.ingest import ingest
from sbp.report import render
from sbp.report.model import Report, build_model
from sbp.report.to_html import render_html
from sbp.report.trace import measure_definition

from tests.conftest import SHARED

FILES = [SHARED / "mps" / name for name in (
    "mps_borough_level_crime_2010-04_to_2021-11.csv", "mps_borough_level_crime_2021-12_to_2023-11.csv",
    "mps_ward_level_crime_2021-12_to_2023-11.csv", "MPS_MonthlyCrimeDashboard_OtherCrimeData_2021-08_to_2023-07.xlsx",
)] + [SHARED / "population" / "census2021_london_boroughs.csv"]

# What a board reader must never meet in the body: code, setting names, commands, raw file headers.
CODE = [re.compile(p) for p in (
    r"metrics\.", r"python -m", r"rag_rule", r"significance_level", r"settings\.toml", r"Source: [\w.]+\(",
    r"\b\w+\(con\b", r"\bsbp\b", r"Month_Year", r"long-format", r"\b[a-z]+_[a-z_]+\b", r"measure_id",
)]
EDGE_MARGIN = 28  # points (about 10 mm): the page's own margin is 14 mm, so a word here has left the text area


def code_in(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """The code-like pieces of text, after removing the allowed strings (the names of the files loaded)."""
    for name in allowed:
        text = text.replace(name, "")
    return [m.group(0) for pattern in CODE for m in pattern.finditer(text)]


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory) -> Path:
    missing = [str(f) for f in FILES if not f.exists()]
    if missing:
        pytest.skip(f"shared files not found: {missing}")
    db = tmp_path_factory.mktemp("report-plain") / "sbp.duckdb"
    ingest(FILES, db=db)
    return db


@pytest.fixture(scope="module")
def year_to_jul(shared_store) -> Report:
    """Bromley, rolling year to Jul 2023 (every workbook month loaded), with the technical appendix."""
    with store.connect_read(shared_store) as con:
        return build_model(con, "2023-07", "Bromley", technical=True)


@pytest.fixture(scope="module")
def year_to_nov(shared_store) -> Report:
    """Bromley, rolling year to Nov 2023: the MPS files run to Nov 2023, the workbook only to Jul 2023."""
    with store.connect_read(shared_store) as con:
        return build_model(con, "2023-11", "Bromley")


def test_every_measure_is_defined_in_words() -> None:
    config = default_config()
    for measure in config.measures.values():
        text = measure_definition(measure, config)
        rest = text.removeprefix(f"{measure.label} = ")
        assert rest != text and rest.strip() and not text.rstrip().endswith("="), (measure.id, text)
        assert not code_in(text), (measure.id, text, code_in(text))
        if measure.minus:  # what is subtracted, and from what
            subtracted = config.measures[measure.minus]
            assert f" minus {subtracted.label.lower()}" in text.lower(), text
        if measure.subtypes:  # the workbook, and each subtype it counts
            assert "MPS Monthly Crime Dashboard workbook" in text, text
            assert all(f"subtype {name}" in text or f"subtypes {name}" in text for name in measure.subtypes[:1]), text
            assert all(name in text for name in measure.subtypes), text


def test_commentary_and_na_paragraph_come_from_the_figures_loaded(year_to_nov) -> None:
    rows = {row.id: row for row in year_to_nov.all_rows()}
    # The workbook's measures are loaded to Jul 2023: their paragraphs say so rather than "no count ... is loaded".
    for mid in ("domestic_abuse", "hate_crime", "knife_crime", "non_domestic_violence_with_injury"):
        row = rows[mid]
        assert not row.has_data and "is loaded for Bromley" not in row.paragraph, row.paragraph
        assert "loaded for Aug 2021 to Jul 2023" in row.paragraph, row.paragraph
    assert "no count of ASB calls is loaded" in rows["asb_calls"].paragraph  # in no file: said as it is

    text = dict(year_to_nov.caveats)["Measures shown as n/a"]
    na = [row.label for row in year_to_nov.all_rows() if any(c.text == "n/a" for c in row.cells[1:3])]
    listed = na[0] if len(na) == 1 else f"{', '.join(na[:-1])} and {na[-1]}"
    assert text.startswith(f"No comparison is available for {listed}, so they show as n/a"), text
    reasons = text.split("(never as zero). ", 1)[1]
    assert reasons.count("Non-domestic violence with injury") == 1 and "before subtracting" not in reasons, reasons
    assert not code_in(text), code_in(text)


def test_print_css_draws_no_hover_underline(year_to_jul) -> None:
    import weasyprint

    document = weasyprint.HTML(string=render_html(year_to_jul)).render()

    def boxes(box):
        yield box
        for child in getattr(box, "children", None) or []:
            yield from boxes(child)

    figures = [box for page in document.pages for box in boxes(page._page_box)
               if getattr(box, "element", None) is not None and box.element.get("class") == "fig"]
    assert figures, "the commentary's figures are traced"
    assert all(box.style["border_bottom_width"] == 0 for box in figures), "a dotted underline would print"


def _words(pdf: Path) -> list[tuple[int, float, float, float, str]]:
    """(page, page width, xMin, xMax, word) of every word in the PDF, from pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    words, page, width = [], 0, 0.0
    for line in out.splitlines():
        if m := re.search(r'<page width="([\d.]+)" height="([\d.]+)"', line):
            page, width = page + 1, float(m.group(1))
            words.append((page, width, 0.0, 0.0, "" if float(m.group(1)) < float(m.group(2)) else "<landscape>"))
        elif m := re.search(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*)</word>', line):
            words.append((page, width, float(m.group(1)), float(m.group(2)), html.unescape(m.group(3))))
    return words


@pytest.mark.slow
def test_pdf_words_stay_on_the_page_and_the_body_has_no_code(year_to_jul, tmp_path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render(year_to_jul, "pdf"))
    words = _words(pdf)
    past = [(page, word, round(x1)) for page, width, x0, x1, word in words
            if word and word != "<landscape>" and (x1 > width - EDGE_MARGIN or x0 < EDGE_MARGIN)]
    assert not past, f"words past the page edge: {past[:20]}"

    landscape = {page for page, _, _, _, word in words if word == "<landscape>"}
    assert landscape, "the technical appendix is on landscape pages"
    body = " ".join(word for page, _, _, _, word in words if page not in landscape)
    technical = " ".join(word for page, _, _, _, word in words if page in landscape)
    files = tuple(path.name for path in FILES)
    assert not code_in(body, files), code_in(body, files)
    assert "Source: MPS recorded crime by borough, Aug 2022 to Jul 2023; rates per 1,000 residents, Census 2021" in body
    for name in files:
        assert name in body, f"the data files loaded list {name}"
    # Queries, settings and hashes: in the technical appendix only.
    assert "metrics.headline(con, area='Bromley', end='2023-07')" in technical and "rag_rule" in technical
    sources = {s.name: s.sha256 for s in year_to_jul.sources}
    assert all(sha[:16] in technical for sha in sources.values())


def test_slides_carry_no_code(year_to_jul) -> None:
    from pptx import Presentation

    prs = Presentation(io.BytesIO(render(year_to_jul, "pptx")))
    files = tuple(path.name for path in FILES)
    for number, slide in enumerate(prs.slides, start=1):
        texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        if slide.has_notes_slide:
            texts.append(slide.notes_slide.notes_text_frame.text)
        for text in texts:
            assert not code_in(text, files), (number, code_in(text, files), text[:200])
