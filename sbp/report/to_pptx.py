"""The report as PowerPoint slides for the board meeting: a title slide, then per priority a slide and its spine chart.

Each priority slide has the board table as a native table (RAG cells coloured AND worded), the priority's
trend chart as a picture with its source in words, and its objectives with their statuses; the generated
paragraphs go in the notes. Like the report's body, no query, setting name or command appears on a slide.
"""

from __future__ import annotations

import io
import re

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches, Pt

from sbp.display.formatting import STATUS_STYLE, rag_colours
from sbp.report.model import PrioritySection, Report
from sbp.report.texts import PARTNER_NOTE, SYNTHETIC_NOTICE

BLUE, INK, GREY, RED = "1f5c99", "1a1a1a", "555555", "b2182b"
SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.4)
SLIDE_CHART_WIDTH = 480      # CSS pixels of the plot: the trend chart drawn wider and flatter for a slide
SLIDE_CHART_PLOT_HEIGHT = 180
CAPTION_HEIGHT = Inches(0.3)  # the chart's source, in words, under it
MIN_CHART_SPACE = Inches(2.4)  # less room than this under the table: the chart goes on a continuation slide
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _safe(text: object) -> str:
    """Text fit for the XML inside a PPTX: control characters (which lxml refuses) dropped."""
    return _CONTROL.sub("", str(text))


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _text(slide, left, top, width, height, text: str, size: float, bold: bool = False, colour: str = INK,
          align=PP_ALIGN.LEFT):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    paragraph.alignment = align
    run = paragraph.add_run()
    run.text = _safe(text)
    run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, _rgb(colour)
    return box


def _set_title(slide, text: str, size: float = 28) -> None:
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = MARGIN, Inches(0.2), SLIDE_W - 2 * MARGIN, Inches(0.75)
    title.text = _safe(text)
    frame = title.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    for paragraph in frame.paragraphs:
        paragraph.alignment = PP_ALIGN.LEFT
        for run in paragraph.runs:
            run.font.size, run.font.bold, run.font.color.rgb = Pt(size), True, _rgb(BLUE)


def _footer(slide, report: Report) -> None:
    text = (f"{report.partnership} \u00b7 {report.area} \u00b7 data to {report.data_to:%B %Y} \u00b7 "
            "definitions and sources: the full report's appendix")
    _text(slide, MARGIN, SLIDE_H - Inches(0.42), Inches(8.2), Inches(0.3), text, 9, colour=GREY)
    if report.synthetic:
        _text(slide, SLIDE_W - MARGIN - Inches(4.4), SLIDE_H - Inches(0.45), Inches(4.4), Inches(0.35),
              SYNTHETIC_NOTICE, 11, bold=True, colour=RED, align=PP_ALIGN.RIGHT)


def _title_slide(prs: Presentation, report: Report) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = _safe(f"{report.area}: partnership measures")
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = Inches(0.8), Inches(1.55), SLIDE_W - Inches(1.6), Inches(1.2)
    for paragraph in title.text_frame.paragraphs:
        paragraph.alignment = PP_ALIGN.LEFT
        for run in paragraph.runs:
            run.font.size, run.font.bold, run.font.color.rgb = Pt(40), True, _rgb(BLUE)
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = Inches(0.8), Inches(2.85), SLIDE_W - Inches(1.6), Inches(2.6)
    frame = subtitle.text_frame
    _text(slide, Inches(0.8), Inches(1.0), SLIDE_W - Inches(1.6), Inches(0.6), report.partnership, 24, bold=True,
          colour=BLUE)
    lines = [
        (f"Board report: {report.period}", 24, False, INK),
        (f"{report.span}, compared with the 12 months before ({report.previous_span})", 16, False, INK),
        (f"Data runs to {report.data_to:%B %Y}. Sources: " + "; ".join(report.source_summary), 13, False, GREY),
    ]
    for i, (text, size, bold, colour) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = PP_ALIGN.LEFT
        paragraph.space_after = Pt(6)
        run = paragraph.add_run()
        run.text = _safe(text)
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, _rgb(colour)
    if report.synthetic:
        box = _text(slide, Inches(0.8), Inches(5.6), SLIDE_W - Inches(1.6), Inches(0.7), SYNTHETIC_NOTICE, 26,
                    bold=True, colour=RED, align=PP_ALIGN.CENTER)
        box.line.color.rgb, box.line.width = _rgb(RED), Pt(3)
    _footer(slide, report)


# Column widths (inches) for the board's twelve columns: Category, two rolling years, % difference, RAG, rate,
# rank, movement, London % difference, significant, rate against the comparator's, 5-year trend. Other shapes share
# the width after Category.
COLUMN_INCHES = (2.2, 0.9, 0.9, 0.85, 1.0, 0.75, 0.95, 1.0, 1.0, 0.85, 1.2, 0.93)
BODY_PT, HEAD_PT = 11, 10
CHAR_EM = 0.6          # average character width in ems: errs wide, so rows are never taller than planned


def _lines(text: str, width_in: float, size_pt: float) -> int:
    """How many lines text wraps to in a cell (estimated; LibreOffice and PowerPoint grow rows to fit)."""
    per_line = max(1, int((width_in - 0.1) * 72 / (size_pt * CHAR_EM)))
    lines, current = 1, 0
    for word in text.split():
        if current and current + 1 + len(word) > per_line:
            lines, current = lines + 1, len(word)
        else:
            current += (1 if current else 0) + len(word)
    return lines


def _table(slide, section: PrioritySection, top: int) -> int:
    """The board table as a native table; returns its bottom edge."""
    n_rows, n_cols = len(section.rows) + 1, len(section.columns)
    width = SLIDE_W - 2 * MARGIN
    if n_cols == len(COLUMN_INCHES):
        widths = list(COLUMN_INCHES)
    else:
        widths = [3.0] + [(width / 914400 - 3.0) / (n_cols - 1)] * (n_cols - 1)
    heights = []
    for r in range(n_rows):
        texts = section.columns if r == 0 else [c.text for c in section.rows[r - 1].cells]
        size = HEAD_PT if r == 0 else BODY_PT
        lines = max(_lines(t, w, size) for t, w in zip(texts, widths))
        heights.append(Inches(lines * size * 1.2 / 72 + 0.12))
    shape = slide.shapes.add_table(n_rows, n_cols, MARGIN, top, width, sum(heights))
    table = shape.table
    for i, w in enumerate(widths):
        table.columns[i].width = Inches(w)
    for i, h in enumerate(heights):
        table.rows[i].height = h
    numeric = [c.numeric for c in section.rows[0].cells] if section.rows else [False] * n_cols

    def fill(cell, text: str, size: float, bold: bool = False, colour: str | None = None, background: str | None = None,
             align=PP_ALIGN.LEFT) -> None:
        cell.text = _safe(text)
        cell.margin_left = cell.margin_right = Inches(0.05)
        cell.margin_top = cell.margin_bottom = Inches(0.03)
        cell.vertical_anchor = MSO_ANCHOR.MIDDLE
        if background:
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(background)
        for paragraph in cell.text_frame.paragraphs:
            paragraph.alignment = align
            for run in paragraph.runs:
                run.font.size, run.font.bold = Pt(size), bold
                if colour:
                    run.font.color.rgb = _rgb(colour)

    for j, heading in enumerate(section.columns):
        fill(table.cell(0, j), heading, HEAD_PT, bold=True, colour="ffffff", background=BLUE,
             align=PP_ALIGN.RIGHT if numeric[j] else PP_ALIGN.LEFT)
    for i, row in enumerate(section.rows, start=1):
        background = "ffffff" if i % 2 else "eef3f8"
        for j, cell in enumerate(row.cells):
            if cell.rag is not None or cell.colours is not None:
                bg, fg = rag_colours(cell.rag) if cell.rag is not None else cell.colours
                fill(table.cell(i, j), cell.text, BODY_PT, bold=True, colour=fg, background=bg, align=PP_ALIGN.CENTER)
            else:
                fill(table.cell(i, j), cell.text, BODY_PT, bold=j == 0, colour=INK, background=background,
                     align=PP_ALIGN.RIGHT if cell.numeric else PP_ALIGN.LEFT)
    return top + sum(heights)


def _objectives(slide, section: PrioritySection, left, top, width, height) -> None:
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    heading = frame.paragraphs[0]
    run = heading.add_run()
    run.text = "Objectives"
    run.font.size, run.font.bold, run.font.color.rgb = Pt(16), True, _rgb(BLUE)
    size = 13 if len(section.objectives) <= 4 else 11.5 if len(section.objectives) <= 7 else 10
    if not section.objectives:
        paragraph = frame.add_paragraph()
        run = paragraph.add_run()
        run.text = "No objectives are recorded for this priority yet."
        run.font.size, run.font.color.rgb = Pt(size), _rgb(GREY)
    for objective in section.objectives:
        paragraph = frame.add_paragraph()
        paragraph.space_before = Pt(4)
        run = paragraph.add_run()
        run.text = _safe(f"{objective.number}. {objective.title}  ")
        run.font.size, run.font.color.rgb = Pt(size), _rgb(INK)
        colour = STATUS_STYLE.get(objective.tone, STATUS_STYLE["neutral"])[0]
        run = paragraph.add_run()
        run.text = _safe(f"\u25a0 {objective.status}")
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), True, _rgb(colour)


def _priority_slide(prs: Presentation, section: PrioritySection, report: Report) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # Title Only
    _set_title(slide, section.title)
    subtitle = (f"{report.area} \u00b7 {report.period[:1].upper() + report.period[1:]} ({report.span}) against the 12 "
                f"months before \u00b7 rank 1 = the lowest rate in {report.comparator}")
    _text(slide, MARGIN, Inches(0.9), SLIDE_W - 2 * MARGIN, Inches(0.4), subtitle, 12, colour=GREY)
    bottom = _table(slide, section, Inches(1.35))
    notes = slide.notes_slide.notes_text_frame
    notes.text = _safe("\n\n".join(f"{row.label} ({row.rag}): {row.paragraph}" for row in section.rows))
    top = bottom + Inches(0.2)
    if SLIDE_H - Inches(0.5) - top < MIN_CHART_SPACE:  # a long table: the chart and objectives on a slide of their own
        _footer(slide, report)
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        _set_title(slide, f"{section.title} (continued)")
        _text(slide, MARGIN, Inches(0.9), SLIDE_W - 2 * MARGIN, Inches(0.4), subtitle, 12, colour=GREY)
        top = Inches(1.45)
    space = SLIDE_H - Inches(0.5) - top
    chart = next((c for c in section.charts if c.kind == "trend"), section.charts[0] if section.charts else None)
    chart_right = MARGIN
    if chart is not None:
        png, w, h = chart.png(SLIDE_CHART_WIDTH, SLIDE_CHART_PLOT_HEIGHT if chart.kind == "trend" else None)
        max_w = Inches(6.6)
        height = space - CAPTION_HEIGHT
        width = int(height * w / h)
        if width > max_w:
            width, height = max_w, int(max_w * h / w)
        picture = slide.shapes.add_picture(io.BytesIO(png), MARGIN, top, width=width, height=height)
        picture.name = _safe(chart.title)[:250]
        _text(slide, MARGIN, top + height, width, CAPTION_HEIGHT, f"Source: {chart.source}", 9, colour=GREY)
        chart_right = MARGIN + width + Inches(0.3)
    _objectives(slide, section, chart_right, top, SLIDE_W - MARGIN - chart_right, space)
    _footer(slide, report)


def _spine_slide(prs: Presentation, section: PrioritySection, report: Report) -> None:
    """The priority's spine chart on a slide of its own: every measure against the comparator's areas."""
    if section.spine is None:
        return
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # Title Only
    _set_title(slide, f"{section.title}: against {report.comparator}")
    _text(slide, MARGIN, Inches(0.9), SLIDE_W - 2 * MARGIN, Inches(0.4),
          f"{report.area} \u00b7 {report.span} \u00b7 each row from the worst area (left) to the best (right); the line "
          f"is {report.comparator}, the dot {report.area}", 12, colour=GREY)
    png, w, h = section.spine.png()
    top, space = Inches(1.4), SLIDE_H - Inches(1.9) - CAPTION_HEIGHT
    width, height = SLIDE_W - 2 * MARGIN, int((SLIDE_W - 2 * MARGIN) * h / w)
    if height > space:
        width, height = int(space * w / h), space
    picture = slide.shapes.add_picture(io.BytesIO(png), MARGIN, top, width=width, height=height)
    picture.name = _safe(section.spine.title)[:250]
    _text(slide, MARGIN, top + height, width, CAPTION_HEIGHT, f"Source: {section.spine.source}", 9, colour=GREY)
    _footer(slide, report)


def _partner_slide(prs: Presentation, section: PrioritySection, report: Report) -> None:
    """The priority's partner figures as a native table: each value in its unit, with its source and period."""
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # Title Only
    _set_title(slide, f"{section.title}: partner figures")
    _text(slide, MARGIN, Inches(0.9), SLIDE_W - 2 * MARGIN, Inches(0.5), f"{report.area}. {PARTNER_NOTE}", 11,
          colour=GREY)
    widths = [2.9, 1.4, 2.0, 1.3, 2.1, 1.3, 1.5]  # inches: 12.5, the slide less its margins
    size = 11 if len(section.partner_rows) <= 8 else 9
    heights = [Inches(max(_lines(t, w, size) for t, w in zip(texts, widths)) * size * 1.2 / 72 + 0.1)
               for texts in (section.partner_columns, *section.partner_rows)]
    shape = slide.shapes.add_table(len(heights), len(widths), MARGIN, Inches(1.5), Inches(sum(widths)), sum(heights))
    table = shape.table
    for j, w in enumerate(widths):
        table.columns[j].width = Inches(w)
    for i, (h, texts) in enumerate(zip(heights, (section.partner_columns, *section.partner_rows))):
        table.rows[i].height = h
        for j, text in enumerate(texts):
            cell = table.cell(i, j)
            cell.text = _safe(text)
            cell.margin_left = cell.margin_right = Inches(0.05)
            cell.margin_top = cell.margin_bottom = Inches(0.02)
            for run in (r for p in cell.text_frame.paragraphs for r in p.runs):
                run.font.size, run.font.bold = Pt(size), i == 0 or j == 0
                run.font.color.rgb = _rgb("ffffff" if i == 0 else INK)
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(BLUE if i == 0 else "ffffff" if i % 2 else "eef3f8")
    _footer(slide, report)


def render_pptx(report: Report) -> bytes:
    """PPTX bytes: a title slide and one slide per priority, 16:9."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    prs.core_properties.title = f"{report.partnership}: {report.title}"
    prs.core_properties.author = report.partnership
    _title_slide(prs, report)
    for section in report.priorities:
        _priority_slide(prs, section, report)
        _spine_slide(prs, section, report)
        if section.partner_rows:
            _partner_slide(prs, section, report)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
