"""CLI command for the board report: `python -m sbp report --end 2023-11 --out report.pdf`."""

from __future__ import annotations

import argparse

from sbp.config.settings import load_settings


def cmd_report(args: argparse.Namespace) -> int:
    from sbp import metrics, store
    from sbp.metrics.periods import month_label
    from sbp.report import build_report

    area = args.area or load_settings()["focus_borough"]
    end, chosen = args.end, ""
    if end is None:  # the board's default period, as the dashboard opens
        with store.connect_read(args.db) as con:
            end = metrics.default_end(con, area)
        chosen = f" (rolling year to {month_label(end)}: the latest month with every board measure known)"
    path = build_report(args.db, end, area, args.format, args.out, technical=args.technical)
    print(f"Report written to {path}{chosen}")
    return 0


def add_commands(command) -> None:
    """Register the report subcommand on the main parser."""
    p = command("report", "Write the board report for a borough and rolling year as HTML, PDF or PowerPoint.", cmd_report)
    p.add_argument("--end", help="last month of the rolling year, YYYY-MM, e.g. 2023-11 (default: the latest month at "
                                 "which every board measure is known, as the dashboard opens)")
    p.add_argument("--area", help="borough (default: the focus borough in data/settings.toml)")
    p.add_argument("--format", choices=["html", "pdf", "pptx"], type=str.lower,
                   help="output format (default: from the --out file's extension)")
    p.add_argument("--out", required=True, help="file to write, e.g. board-report.pdf")
    p.add_argument("--technical", action="store_true",
                   help="add the technical appendix: each figure's query, the settings in force and the files' hashes")
