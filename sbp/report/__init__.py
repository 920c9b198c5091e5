"""The board report: `build_report(db, end, area, fmt, out)` writes HTML, PDF or PPTX from the store.

model.build_model composes the content once (dataclasses); to_html, to_pdf and to_pptx render it.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from sbp import metrics, store
from sbp.config.settings import load_settings
from sbp.errors import ReportError

FORMATS = {"html": ".html", "pdf": ".pdf", "pptx": ".pptx"}
MIME_TYPES = {"html": "text/html", "pdf": "application/pdf",
              "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
_SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf", ".pptx": "pptx"}


def format_for(out: str | os.PathLike, fmt: str | None = None) -> str:
    """The format asked for, else the one the output file's extension names."""
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ReportError(f"Unknown report format {fmt!r}; use html, pdf or pptx.")
        return fmt
    suffix = Path(out).suffix.lower()
    if suffix not in _SUFFIXES:
        raise ReportError(f"Cannot tell the report format from {Path(out).name!r}; end the file name in .html, .pdf "
                          "or .pptx, or give --format.")
    return _SUFFIXES[suffix]


def _check_writable(out: Path) -> None:
    """Fail before the (slow) build when the file could not be written."""
    if out.is_dir():
        raise ReportError(f"Cannot write the report to {out}: it is a folder; give a file name.")
    parent = out.parent
    if not parent.is_dir():
        raise ReportError(f"Cannot write the report to {out}: the folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ReportError(f"Cannot write the report to {out}: permission denied.")


def render(report, fmt: str) -> bytes:
    """The report model rendered in one format, as bytes."""
    if fmt == "html":
        from sbp.report.to_html import render_html

        return render_html(report).encode("utf-8")
    if fmt == "pdf":
        from sbp.report.to_pdf import render_pdf

        return render_pdf(report)
    from sbp.report.to_pptx import render_pptx

    return render_pptx(report)


def report_bytes(db: str | os.PathLike | None, end: str | dt.date | None, area: str | None, fmt: str,
                 technical: bool = False) -> bytes:
    """The board report for area and the rolling year to end (None: the board's default period), rendered in fmt.

    technical=True adds the technical appendix: queries, settings and file hashes.
    """
    from sbp.report.model import build_model
    from sbp.store.objective_edits import current_objectives

    def objectives(priority_id: str):
        return [objective for objective, _ in current_objectives(priority_id, db)]  # statuses as edited by admins

    with store.connect_read(db) as con:
        if end is None:
            end = metrics.default_end(con, area or load_settings()["focus_borough"])
        report = build_model(con, end, area, objectives=objectives, technical=technical)
    return render(report, fmt)


def report_file_name(area: str, end: dt.date, fmt: str) -> str:
    """The file name a report is offered under: 'board-report-Bromley-2023-11.pdf'."""
    return f"board-report-{area}-{end:%Y-%m}{FORMATS[fmt]}".replace(" ", "-")


def build_report(
    db: str | os.PathLike | None, end: str | dt.date | None, area: str | None, fmt: str | None, out: str | os.PathLike,
    technical: bool = False,
) -> Path:
    """Build the board report for area (default: the focus borough) and the rolling year to end; write it to out.

    The format is fmt, or else out's extension. The file is replaced atomically. Raises SbpError (one line for the
    user) for an unknown area, an end month not loaded, or an output path that cannot be written.
    """
    out = Path(out).expanduser().absolute()
    fmt = format_for(out, fmt)
    _check_writable(out)
    data = report_bytes(db, end, area, fmt, technical)
    temp: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", delete=False) as handle:
            temp = Path(handle.name)
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, out)
    except OSError as exc:
        if temp is not None:
            temp.unlink(missing_ok=True)
        raise ReportError(f"Cannot write the report to {out}: {exc.strerror or exc}.") from None
    return out
