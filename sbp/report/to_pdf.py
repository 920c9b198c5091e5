"""The report as PDF: the HTML report laid out by WeasyPrint (A4, the @page rules in the HTML's CSS)."""

from __future__ import annotations

import logging

from sbp.errors import ReportError
from sbp.report.model import Report
from sbp.report.to_html import render_html


def render_pdf(report: Report) -> bytes:
    """PDF bytes of the same HTML the html format writes. Offline: images are data: URIs, nothing else is fetched."""
    try:
        import weasyprint
    except OSError as exc:  # the Python package is there but the system's Pango is not
        raise ReportError(f"PDF output needs the Pango library (Debian: apt-get install libpango-1.0-0 "
                          f"libpangoft2-1.0-0): {str(exc).splitlines()[0]}") from None

    # WeasyPrint warns about every CSS rule it does not use (the screen-only ones); keep the CLI quiet.
    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=render_html(report), url_fetcher=fetcher).write_pdf()
