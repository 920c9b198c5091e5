"""The report as one self-contained HTML page: CSS inline, charts as data: URIs, printable (A4 @page rules).

Every string that comes from the data or configuration passes through esc(); every figure carries a title
attribute (its trace: measure definition, period and area; the query too in the technical report) so hovering a
number says where it came from. The body is in words; queries, settings and file hashes are only in the technical
appendix (Report.technical), on landscape pages.
"""

from __future__ import annotations

import base64
import re

from sbp.display.formatting import esc, fmt_count, rag_badge, rag_colours, status_badge
from sbp.report.chartimg import SCALE
from sbp.report.model import ChartImage, MeasureRow, PrioritySection, Report
from sbp.report.texts import PARTNER_NOTE, SYNTHETIC_NOTICE

# A figure as sbp.display.narrative writes it: an ordinal, a count with thousands commas, a decimal or a percentage.
_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:st|nd|rd|th)\b|\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|\d+(?:\.\d+)?%?)")

CSS = """
@page {
  size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-left { content: var(--footer); font: 7.5pt "Liberation Sans", Arial, sans-serif; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 7.5pt "Liberation Sans", Arial, sans-serif; color: #555; }
}
@page :first { @bottom-left { content: none; } @bottom-right { content: none; } }
@page technical { size: A4 landscape; margin: 14mm 14mm 16mm 14mm; }
* { box-sizing: border-box; }
html { font: 10pt/1.4 "Liberation Sans", Arial, Helvetica, sans-serif; color: #1a1a1a; background: #fff; }
body { margin: 0 auto; max-width: 190mm; padding: 0 4mm; }
h1, h2, h3, h4 { color: #1f5c99; line-height: 1.2; margin: 0.9em 0 0.4em; break-after: avoid; }
h1 { font-size: 24pt; margin-top: 0.2em; }
h2 { font-size: 16pt; border-bottom: 2px solid #1f5c99; padding-bottom: 2px; }
h3 { font-size: 12pt; }
h4 { font-size: 10.5pt; color: #1a1a1a; margin: 0.8em 0 0.2em; }
p { margin: 0.2em 0 0.6em; }
table { border-collapse: collapse; width: 100%; margin: 0.3em 0 0.8em; }
th, td { border: 1px solid #c9c9c9; padding: 3px 4px; vertical-align: top; text-align: left; }
th { background: #1f5c99; color: #fff; font-weight: bold; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
td.num, th.num { text-align: right; white-space: nowrap; }
.board { font-size: 7.5pt; table-layout: fixed; }
.board th { font-size: 7pt; vertical-align: bottom; }
.board td, .board th { padding: 2px 3px; overflow-wrap: break-word; }
.board td.num, .board th.num { white-space: normal; }
.summary { font-size: 9pt; width: auto; }
.intervals { font-size: 8pt; table-layout: fixed; }
.intervals th { font-size: 7.5pt; vertical-align: bottom; }
.intervals th.num { white-space: normal; }
.summary td.num, .summary th.num { width: 24mm; }
.sbp-badge { display: inline-block; padding: 1px 6px; border-radius: 3px; font-weight: bold; white-space: nowrap; }
td.rag, td.compared { font-weight: bold; text-align: center; overflow-wrap: normal; }
.small { font-size: 8pt; color: #444; }
.notice { border: 3px solid #b2182b; color: #b2182b; font-weight: bold; font-size: 13pt; padding: 8px 12px;
          margin: 1em 0; text-align: center; }
.notice-bar { background: #b2182b; color: #fff; font-weight: bold; font-size: 8pt; padding: 2px 6px;
              text-align: center; margin: 0 0 4px; }
section.priority, section.appendix { break-before: page; }
.title-page { min-height: 240mm; }
.title-page .partnership { font-size: 14pt; color: #1f5c99; font-weight: bold; margin-top: 18mm; }
.title-page .period { font-size: 15pt; margin: 0.2em 0 1em; }
.title-page dl { display: grid; grid-template-columns: 38mm 1fr; gap: 2mm 4mm; }
.title-page dt { font-weight: bold; }
.title-page dd { margin: 0; }
dl.defs dt { font-weight: bold; margin-top: 0.4em; break-after: avoid; }
dl.defs dd { margin: 0 0 0.3em 0; }
.charts { margin: 0.4em 0 0.6em; break-inside: avoid; }
figure { display: inline-block; vertical-align: top; width: 49%; margin: 0; break-inside: avoid; }
figure img { max-width: 100%; height: auto; }
figure.wide { display: block; width: 100%; margin: 0.3em 0 0.8em; }
figcaption { font-size: 7.5pt; color: #555; }
.measure { break-inside: avoid; }
.objectives td:nth-child(1) { width: 7mm; }
.objectives td:nth-child(3) { width: 34mm; }
.files, .provenance, .measures, .settings { font-size: 7.5pt; table-layout: fixed; }
.files td, .provenance td, .measures td { overflow-wrap: anywhere; }
.files th.num, .provenance th.num { white-space: normal; }
.provenance td.hash, .settings td:first-child { font-family: "Liberation Mono", "DejaVu Sans Mono", monospace; }
.provenance td.hash { font-size: 7pt; white-space: nowrap; }
.queries code, .measures code { font-family: "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 7pt;
  overflow-wrap: anywhere; }
section.technical { page: technical; break-before: page; }
span.fig { border-bottom: 1px dotted #888; }
@media screen { body { padding: 8mm; } .title-page { min-height: 0; } }
@media print {
  body { max-width: none; padding: 0; }  /* the page's margins bound it: portrait, or the technical landscape pages */
  .notice-bar { display: none; }
  span.fig { border-bottom: none; }  /* the hover trace is for the screen; on paper the underline is noise */
}
"""


def _rag_style(rag: str | None) -> str:
    background, colour = rag_colours(rag)
    return f"background:{background};color:{colour}"


def traced_paragraph(row: MeasureRow) -> str:
    """The paragraph, escaped, with each figure the row knows wrapped in a span whose title is its trace."""
    figures = dict(row.figures)
    text = row.paragraph
    out, last = [], 0
    for match in _NUMBER.finditer(text):
        token = match.group(1)
        out.append(esc(text[last:match.start()]))
        following = text[match.end():match.end() + 7]
        if token in figures and not following.startswith(" month"):
            out.append(f'<span class="fig" title="{esc(figures[token])}">{esc(token)}</span>')
        else:
            out.append(esc(token))
        last = match.end()
    out.append(esc(text[last:]))
    return "".join(out)


def _title_page(report: Report) -> str:
    loaded = f", last loaded {report.loaded_at:%-d %B %Y}" if report.loaded_at else ""
    sources = "".join(f"<li>{esc(line)}</li>" for line in report.source_summary)
    notice = f'<div class="notice">{esc(SYNTHETIC_NOTICE)}</div>' if report.synthetic else ""
    summary_rows = []
    for section in report.priorities:
        counts = {k: sum(1 for r in section.rows if r.rag == k) for k in ("Green", "Amber", "Red", "No comparison")}
        cells = "".join(
            f'<td class="num" title="{esc(_summary_trace(report, section, k))}">{n}</td>' for k, n in counts.items())
        summary_rows.append(f'<tr><td><a href="#{esc(section.id)}">{esc(section.title)}</a></td>{cells}</tr>')
    heads = "".join(f'<th class="num" style="{_rag_style(k if k != "No comparison" else None)}">{esc(k)}</th>'
                    for k in ("Green", "Amber", "Red", "No comparison"))
    return f"""
<section class="title-page">
  <div class="partnership">{esc(report.partnership)}</div>
  <h1>{esc(report.area)}: partnership measures</h1>
  <div class="period">Board report: {esc(report.period[:1].upper() + report.period[1:])}</div>
  <div>{esc(report.span)}, compared with the 12 months before ({esc(report.previous_span)})</div>
  {notice}
  <dl>
    <dt>Area</dt><dd>{esc(report.area)}</dd>
    <dt>Period</dt><dd>{esc(report.period[:1].upper() + report.period[1:])}: {esc(report.span)}</dd>
    <dt>Data runs to</dt><dd>{report.data_to:%B %Y} (loaded from {report.data_from:%B %Y}{esc(loaded)})</dd>
    <dt>Data sources</dt><dd><ul style="margin:0;padding-left:1.1em">{sources}</ul></dd>
    <dt>Produced</dt><dd>{report.generated_at:%-d %B %Y %H:%M}. Every measure is defined in words in the appendix;
      in the HTML version, hover over a figure to see what it counts, where and when.</dd>
  </dl>
  <h3>Measures by RAG status</h3>
  <table class="summary"><thead><tr><th>Priority</th>{heads}</tr></thead><tbody>{''.join(summary_rows)}</tbody></table>
</section>"""


def _summary_trace(report: Report, section: PrioritySection, rag: str) -> str:
    measures = ", ".join(r.label for r in section.rows if r.rag == rag) or "none"
    query = f"\nQuery: {report.queries[0]} -> rag" if report.technical else ""
    return (f"Figure: measures of {section.title} with RAG status {rag}: {measures}\nArea: {report.area}\n"
            f"Period: rolling year {report.span} against the 12 months before{query}")


def _board_table(section: PrioritySection) -> str:
    numeric = [cell.numeric for cell in section.rows[0].cells] if section.rows else [False] * len(section.columns)
    heads = "".join(f'<th class="num">{esc(c)}</th>' if n else f"<th>{esc(c)}</th>"
                    for c, n in zip(section.columns, numeric))
    body = []
    for row in section.rows:
        cells = []
        for cell in row.cells:
            if cell.rag is not None:
                cells.append(f'<td class="rag" style="{_rag_style(cell.rag)}" title="{esc(cell.trace)}">{esc(cell.text)}</td>')
            elif cell.colours is not None:
                style = f"background:{cell.colours[0]};color:{cell.colours[1]}"
                cells.append(f'<td class="compared" style="{style}" title="{esc(cell.trace)}">{esc(cell.text)}</td>')
            else:
                cls = ' class="num"' if cell.numeric else ""
                cells.append(f'<td{cls} title="{esc(cell.trace)}">{esc(cell.text)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    widths = "".join(f'<col style="width:{w}%">' for w in _widths(len(section.columns)))
    return (f'<table class="board"><colgroup>{widths}</colgroup><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _partner_table(section: PrioritySection, report: Report) -> str:
    """The priority's partner measures: each value in its own unit with its source and period (never a police count)."""
    if not section.partner_columns:
        return ""
    heads = "".join(f"<th>{esc(c)}</th>" for c in section.partner_columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in section.partner_rows)
    return (f"<h3>Partner figures: {esc(report.area)}</h3>"
            f'<p class="small">{esc(PARTNER_NOTE)}</p>'
            f'<table class="board partner"><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>')


def _widths(n: int) -> list[float]:
    """Column widths (%) for the board table: a wide Category column, the rest shared."""
    if n == 10:  # Category, two rolling years, % difference, RAG, rate, rank, movement, London %, significant
        return [19, 9, 9, 8.5, 10, 8, 9, 9.5, 9, 9]
    if n == 12:  # ... and the rate against the comparator's, the 5-year trend
        return [12, 6.5, 6.5, 7.5, 10, 6, 6.5, 8, 8, 8.5, 10, 10.5]
    return [24] + [76 / (n - 1)] * (n - 1)


def _objectives(section: PrioritySection) -> str:
    if not section.objectives:
        return '<p class="small">No objectives are recorded for this priority yet.</p>'
    rows = []
    for o in section.objectives:
        evidence = f'<div class="small">{esc(o.evidence)}</div>' if o.evidence else ""
        if o.partner_evidence:
            evidence += ('<div class="small partner-evidence"><em>Partner figures</em><ul>'
                         + "".join(f"<li>{esc(line)}</li>" for line in o.partner_evidence) + "</ul></div>")
        rows.append(f"<tr><td>{esc(o.number)}</td><td><strong>{esc(o.title)}</strong>{evidence}</td>"
                    f'<td>{status_badge(o.status, o.tone)}<div class="small">updated {o.updated:%-d %b %Y}</div></td></tr>')
    return ('<table class="objectives"><thead><tr><th>#</th><th>Objective and evidence</th><th>Status</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _figure(chart: ChartImage, wide: bool = False) -> str:
    png, width, height = chart.png()
    data = base64.b64encode(png).decode("ascii")
    size = f'width="{width // SCALE}" height="{height // SCALE}"'
    kind = ' class="wide"' if wide else ""
    return (f'<figure{kind}><img src="data:image/png;base64,{data}" {size} alt="{esc(chart.alt)}" title="{esc(chart.trace)}">'
            f"<figcaption>Source: {esc(chart.source)}</figcaption></figure>")


def _priority(section: PrioritySection, report: Report) -> str:
    bar = f'<div class="notice-bar">{esc(SYNTHETIC_NOTICE)}</div>' if report.synthetic else ""
    charts = ""
    if section.charts:
        charts = (f'<div class="charts"><h3>Charts: {esc(section.charts[0].measure_label)}</h3>'
                  f'{"".join(_figure(c) for c in section.charts)}</div>')
    commentary = "".join(
        f'<div class="measure"><h4>{esc(row.label)} {rag_badge(row.rag)}</h4><p>{traced_paragraph(row)}</p></div>'
        for row in section.rows)
    return f"""
<section class="priority" id="{esc(section.id)}">
  {bar}
  <h2>{esc(section.title)}</h2>
  <h3>Objectives</h3>
  {_objectives(section)}
  <h3>Measures: {esc(report.area)}, {esc(report.period)}</h3>
  {_board_table(section)}
  {_spine(section, report)}
  {_partner_table(section, report)}
  <h3>Commentary</h3>
  {commentary}
  {charts}
</section>"""


def _spine(section: PrioritySection, report: Report) -> str:
    """The priority's spine chart under its table, with what it shows in words."""
    if section.spine is None:
        return ""
    return (f"<h3>Against {esc(report.comparator)}</h3>"
            f'<p class="small">Each row runs from the worst of the {esc(report.comparator)} areas (left) to the best '
            f"(right), the middle half darker; the line in the middle is {esc(report.comparator)}'s rate and the dot "
            f"{esc(report.area)}'s: red when significantly worse than {esc(report.comparator)}, amber when similar, "
            "green when significantly better, grey when the counts are too small to compare. "
            f"The figures are {esc(report.area)}'s rate per 1,000 and, in brackets, {esc(report.comparator)}'s.</p>"
            f"{_figure(section.spine, wide=True)}")


NUM_CLASS = ' class="num"'


def _appendix(report: Report) -> str:
    bar = f'<div class="notice-bar">{esc(SYNTHETIC_NOTICE)}</div>' if report.synthetic else ""
    defs = "".join(f"<p><strong>{esc(term)}</strong>{esc(rest)}</p>" for term, rest in report.definitions)
    measures = "".join(
        f"<tr><td><strong>{esc(r.label)}</strong></td><td>{esc(r.definition.removeprefix(f'{r.label} = '))}</td>"
        f"<td>{esc(r.sources)}</td></tr>"
        for r in report.all_rows())
    caveats = "".join(f"<dt>{esc(title)}</dt><dd>{esc(text)}</dd>" for title, text in report.caveats)
    heads = list(report.intervals[0]) if report.intervals else []
    numeric = [0 < i < len(heads) - 2 for i in range(len(heads))]  # the rates and intervals; the words are text
    interval_head = "".join(f'<th class="num">{esc(h)}</th>' if n else f"<th>{esc(h)}</th>" for h, n in zip(heads, numeric))
    traces = {r.label: r.trace for r in report.all_rows()}
    interval_body = "".join(
        "<tr>" + "".join(f"<td>{esc(v)}</td>" if i == 0 else
                         f'<td{NUM_CLASS if numeric[i] else ""} title="{esc(traces.get(r["Measure"], ""))}&#10;'
                         f'Figure: {esc(h)}">{esc(v)}</td>'
                         for i, (h, v) in enumerate(r.items())) + "</tr>" for r in report.intervals)
    files = "".join(
        f"<tr><td>{esc(f.name)}</td><td>{esc(f.description)}</td><td>{esc(f.months or '-')}</td>"
        f'<td class="num" title="{esc(f"Data rows in {f.name}")}">{fmt_count(f.rows)}</td>'
        f'<td class="num" title="{esc(f"Months already loaded that {f.name} revised")}">{fmt_count(f.months_replaced)}</td>'
        f"<td>{esc(f'{f.loaded_at:%-d %b %Y}' if f.loaded_at else '-')}</td></tr>"
        for f in report.sources)
    return f"""
<section class="appendix" id="appendix">
  {bar}
  <h2>Appendix</h2>
  <h3>Definitions</h3>
  <div class="defs">{defs}</div>
  <h3>Confidence intervals, comparison with {esc(report.comparator)} and trend</h3>
  <table class="intervals"><colgroup><col style="width:22%"><col style="width:9%"><col style="width:13%">
  <col style="width:13%"><col style="width:9%"><col style="width:17%"><col style="width:17%"></colgroup><thead><tr>{interval_head}</tr></thead><tbody>{interval_body}</tbody></table>
  <h3>What each measure counts</h3>
  <table class="measures"><colgroup><col style="width:22%"><col style="width:56%"><col style="width:22%"></colgroup>
  <thead><tr><th>Measure</th><th>What it counts</th><th>Figures from</th></tr></thead>
  <tbody>{measures}</tbody></table>
  <h3>Data caveats</h3>
  <dl class="defs">{caveats}</dl>
  <h3>Data files loaded</h3>
  <table class="files"><colgroup><col style="width:39%"><col style="width:22%"><col style="width:13%">
  <col style="width:8%"><col style="width:8%"><col style="width:10%"></colgroup>
  <thead><tr><th>File</th><th>What it is</th><th>Months</th><th class="num">Rows</th>
  <th class="num">Months revised</th><th>Loaded</th></tr></thead><tbody>{files}</tbody></table>
</section>"""


HASH_SHOWN = 16  # hex digits of a file's SHA-256 shown: enough to tell files apart, and it fits the page


def _technical(report: Report) -> str:
    """The technical appendix (landscape): settings, each measure's query and categories, file hashes."""
    if not report.technical:
        return ""
    settings = "".join(f"<tr><td>{esc(name)}</td><td>{esc(value)}</td></tr>" for name, value in report.settings_used)
    measures = "".join(
        f"<tr><td><strong>{esc(r.label)}</strong></td><td>{esc(r.categories)}</td><td><code>{esc(r.query)}</code></td></tr>"
        for r in report.all_rows())
    queries = "".join(f"<li><code>{esc(q)}</code></li>" for q in report.queries)
    files = "".join(
        f"<tr><td>{esc(f.name)}</td><td>{esc(f.layout)}</td>"
        f"<td>{esc(f.months or '-')}</td><td class=\"num\">{fmt_count(f.rows)}</td>"
        f'<td class="num">{fmt_count(f.months_replaced)}</td>'
        f'<td class="hash" title="{esc(f.sha256)}">{esc(f.sha256[:HASH_SHOWN])}</td>'
        f"<td>{esc(f'{f.loaded_at:%Y-%m-%d %H:%M:%S}' if f.loaded_at else '-')}</td></tr>"
        for f in report.sources)
    return f"""
<section class="technical" id="technical">
  <h2>Technical appendix</h2>
  <h3>Settings in force</h3>
  <table class="settings" style="width:auto"><thead><tr><th>Setting</th><th>Value</th></tr></thead>
  <tbody>{settings}</tbody></table>
  <h3>Measures: categories counted in this store and the query behind each row</h3>
  <p class="small">Each row of the board tables is one row of the <code>sbp.metrics</code> query named; the charts
  come from the queries listed after the table.</p>
  <table class="measures"><colgroup><col style="width:16%"><col style="width:52%"><col style="width:32%"></colgroup>
  <thead><tr><th>Measure</th><th>Counted in this store</th><th>Query</th></tr></thead>
  <tbody>{measures}</tbody></table>
  <ul class="queries">{queries}</ul>
  <h3>Provenance: every file loaded</h3>
  <table class="provenance"><colgroup><col style="width:26%"><col style="width:24%"><col style="width:11%">
  <col style="width:7%"><col style="width:9%"><col style="width:12%"><col style="width:11%"></colgroup>
  <thead><tr><th>File</th><th>Format</th><th>Months</th><th class="num">Rows</th>
  <th class="num">Months replaced</th><th>sha256 (first {HASH_SHOWN})</th><th>Loaded at</th></tr></thead>
  <tbody>{files}</tbody></table>
</section>"""


def render_html(report: Report) -> str:
    """The whole report as one HTML document."""
    footer = " ".join(f"{report.partnership} \u00b7 {report.area} \u00b7 {report.period}".split())
    if report.synthetic:
        footer += f" \u00b7 {SYNTHETIC_NOTICE}"
    css = CSS.replace("var(--footer)", css_string(footer))
    if report.synthetic:
        css += ("@page { @top-center { content: " + css_string(SYNTHETIC_NOTICE)
                + "; color: #b2182b; font: bold 8pt 'Liberation Sans', Arial, sans-serif; } }\n")
    body = (_title_page(report) + "".join(_priority(s, report) for s in report.priorities) + _appendix(report)
            + _technical(report))
    return (f'<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(report.partnership)}: {esc(report.title)}</title>\n"
            f"<style>{esc_style(css)}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def css_string(text: str) -> str:
    """A quoted CSS string for any text: everything but letters, digits and spaces as a CSS hex escape."""
    return '"' + "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):x} " for c in text) + '"'


def esc_style(css: str) -> str:
    """CSS is not HTML-escaped (quotes must stay), but it must never close its <style> element."""
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)
