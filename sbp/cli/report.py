"""CLI command for the board report: `python -m sbp report --end 2023-11 --out report.pdf`."""

from __future__ import annotations

import argparse

from sbp.config.settings import load_settings


def cmd_report(args: argparse.Namespace) -> int:
    from sbp.report import build_report

    area = args.area or load_settings()["focus_borough"]
    path = build_report(args.db, args.end, area, args.format, args.out)
    print(f"Report written to {path}")
    return 0


def add_commands(command) -> None:
    """Register the report subcommand on the main parser."""
    p = command("report", "Write the board report for a borough and rolling year as HTML, PDF or PowerPoint.", cmd_report)
    p.add_argument("--end", required=True, help="last month of the rolling year, YYYY-MM, e.g. 2023-11")
    p.add_argument("--area", help="borough (default: the focus borough in data/settings.toml)")
    p.add_argument("--format", choices=["html", "pdf", "pptx"], type=str.lower,
                   help="output format (default: from the --out file's extension)")
    p.add_argument("--out", required=True, help="file to write, e.g. board-report.pdf")
