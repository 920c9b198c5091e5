"""CLI commands over the metrics layer: metric, rank, series, exceptions (JSON with --json)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from sbp import store
from sbp.config.settings import load_settings

if TYPE_CHECKING:
    import pandas as pd

# pandas, the metrics layer and the formatting module are imported by the commands that use them, so `sbp status`
# and `sbp ingest` (which register these commands) start without pandas.


def _add_selector(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--measure", help="a configured measure id or label, e.g. burglary")
    group.add_argument("--major", help="an MPS major category, e.g. 'Burglary'")
    group.add_argument("--minor", help="an MPS minor category, e.g. 'Domestic Burglary'")


def _json_value(value: Any) -> Any:
    from sbp.display import formatting

    if formatting.is_missing(value):
        return None
    if hasattr(value, "isoformat"):
        return value.strftime("%Y-%m") if hasattr(value, "month") else value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    return [{c: _json_value(v) for c, v in zip(columns, row)} for row in frame[columns].itertuples(index=False)]


def _fmt(value: Any, column: str = "", row: dict[str, Any] | None = None) -> str:
    """A value as the dashboard shows it: percentages exact from the counts when the row has them, rates to 2 places."""
    from sbp.display import formatting
    from sbp.metrics.figures import pct_change

    value = _json_value(value)
    if column.endswith("pct_change"):
        prefix = column.removesuffix("pct_change")  # '', 'london_' or 'comparator_'
        row = row or {}
        if f"{prefix}current" in row and f"{prefix}previous" in row:
            value = pct_change(row[f"{prefix}current"], row[f"{prefix}previous"])
        return formatting.fmt_pct(value, signed=True)
    if "rate" in column and isinstance(value, (int, float)) and not isinstance(value, bool):
        return formatting.fmt_rate(value)
    if isinstance(value, float):
        return formatting.fmt_number(value, 2)
    if isinstance(value, int) and not isinstance(value, bool):
        return formatting.fmt_count(value)
    return formatting.fmt_text(value)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    cells = [[_fmt(r[c], c, r) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))) for row in cells]
    return "\n".join(lines)


def _default_end(con, level: str, area: str | None = None):
    """The default period end: the board's for area (every board measure known) at borough level, else the latest."""
    from sbp import metrics

    if level == "borough":
        return metrics.default_end(con, area or load_settings()["focus_borough"])
    return metrics.latest_month(con, level)


def cmd_metric(args: argparse.Namespace) -> int:
    """Run `sbp metric`."""
    from sbp import metrics
    with store.connect_read(args.db) as con:
        measure = metrics.resolve_measures(con, args.measure, args.major, args.minor, level=args.level)[0]
        area = args.area or load_settings()["focus_borough"]
        end = args.end or _default_end(con, args.level, area)
        result = metrics.metric(con, area, end, measure, level=args.level, within=args.within)
    if args.json:
        print(json.dumps(result, indent=2, default=_json_value))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key.ljust(width)}  {_fmt(value, key, result)}")
    return 0


RANK_COLUMNS = ["area", "current", "previous", "pct_change", "rate_per_1000", "rank", "rank_previous", "rag"]


def cmd_rank(args: argparse.Namespace) -> int:
    """Run `sbp rank`."""
    import pandas as pd

    from sbp import metrics
    with store.connect_read(args.db) as con:
        measure = metrics.resolve_measures(con, args.measure, args.major, args.minor, level=args.level)[0]
        end = args.end or _default_end(con, args.level)
        frame = metrics.league(con, measure, end, level=args.level, within=args.within)
    frame = frame.rename(columns={"area_name": "area"})
    rows = _records(frame, RANK_COLUMNS + ["rank_of", "rate_per_1000_previous", "change", "significant", "borough",
                                           "reason"])
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    ranked = frame["rank"].notna().any()
    print(f"{measure.label}, rolling year to {pd.Timestamp(end):%b %Y}"
          + (f" (rank 1 = lowest {frame['rank_basis'].iloc[0]})" if ranked else " (no area is ranked)"))
    print(_table(rows, RANK_COLUMNS))
    for reason in dict.fromkeys(r["reason"] for r in rows if r["reason"]):
        print(reason)
    return 0


SERIES_COLUMNS = ["month", "offence_count", "rolling_12_total", "offence_count_year_before"]


def cmd_series(args: argparse.Namespace) -> int:
    """Run `sbp series`."""
    from sbp import metrics

    with store.connect_read(args.db) as con:
        measure = metrics.resolve_measures(con, args.measure, args.major, args.minor, level=args.level)[0]
        area = args.area or load_settings()["focus_borough"]
        frame = metrics.series(con, [area], [measure], getattr(args, "from"), args.to, level=args.level)
        reason = metrics.series_reason(con, frame, measure, args.level)
    rows = _records(frame, ["area_name", *SERIES_COLUMNS])
    for row in rows:
        row["area"], row["reason"] = row.pop("area_name"), reason
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{measure.label} in {area}, monthly")
        if reason:
            print(reason)
        print(_table(rows, SERIES_COLUMNS))
    return 0


EXCEPTION_COLUMNS = ["area_name", "measure_label", "offence_count", "baseline_mean", "lower_limit", "upper_limit", "exception"]
# --json adds, per flag, what its range came from (docs/definitions.md, Exceptions).
EXCEPTION_JSON_COLUMNS = EXCEPTION_COLUMNS + ["expected", "dispersion", "baseline_known", "baseline_first",
                                              "baseline_last", "seasonal_years", "months_running", "method"]


def _month_text(value: Any) -> str | None:
    """A month as YYYY-MM (None when unknown)."""
    import pandas as pd

    return None if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m}"


def cmd_exceptions(args: argparse.Namespace) -> int:
    """Run `sbp exceptions`."""
    import pandas as pd

    from sbp import metrics
    from sbp.display import exceptions_view, formatting
    with store.connect_read(args.db) as con:
        level = args.level
        if level == "ward" and "ward" not in metrics.levels_loaded(con):
            print("No ward-level data is loaded, so boroughs are checked instead.", file=sys.stderr)
            level = "borough"
        within = args.within or (load_settings()["focus_borough"] if level == "ward" else None)
        scan = metrics.exceptions(con, args.end, level=level, within=within, by=args.by)
    if args.json:
        flags = scan.flags.assign(baseline_first=scan.flags["baseline_first"].map(_month_text),
                                  baseline_last=scan.flags["baseline_last"].map(_month_text))
        print(json.dumps(_records(flags, EXCEPTION_JSON_COLUMNS), indent=2))
        return 0
    rows = _records(scan.flags, EXCEPTION_COLUMNS)
    print(f"{pd.Timestamp(scan.end):%b %Y}. {exceptions_view.scan_note(scan, level)}")
    if not rows:
        print(exceptions_view.nothing_flagged(scan, level)[1])
    else:
        print(_table(rows, EXCEPTION_COLUMNS))
    return 0


def add_commands(command) -> None:
    """Register the metrics subcommands on the main parser."""
    p = command("metric", "One measure for one area: counts, % change, rate, rank, comparator, significance, RAG.",
                cmd_metric)
    p.add_argument("--area", help="borough, ward (with --level ward) or comparator, e.g. London or a police force "
                                  "(default: the focus borough)")
    p.add_argument("--end", help="last month of the rolling year, YYYY-MM (default: at borough level the latest month "
                                 "with every board measure known, as the dashboard opens; at ward level the latest loaded)")
    _add_selector(p)
    p.add_argument("--level", choices=["borough", "ward"], default="borough")
    p.add_argument("--within", help="the ward's borough, when wards in several boroughs share its name "
                                    "(for --level ward)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("rank", "League table of boroughs (or wards within a borough) for a measure.", cmd_rank)
    p.add_argument("--end", help="YYYY-MM (default: as for metric)")
    _add_selector(p)
    p.add_argument("--level", choices=["borough", "ward"], default="borough")
    p.add_argument("--within", help="only areas in this borough (for --level ward)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("series", "Monthly counts with the rolling 12-month total.", cmd_series)
    p.add_argument("--area", help="borough, ward (with --level ward) or comparator, e.g. London or a police force "
                                  "(default: the focus borough)")
    _add_selector(p)
    p.add_argument("--from", help="first month, YYYY-MM (default: first loaded)")
    p.add_argument("--to", help="last month, YYYY-MM (default: latest loaded)")
    p.add_argument("--level", choices=["borough", "ward"], default="borough")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("exceptions", "Categories and areas whose latest month is outside control limits.", cmd_exceptions)
    p.add_argument("--end", help="month to check, YYYY-MM (default: latest loaded)")
    p.add_argument("--level", choices=["borough", "ward"], default="ward",
                   help="default: ward, or borough when no ward-level data is loaded")
    p.add_argument("--within", help="borough (default: the focus borough for wards)")
    p.add_argument("--by", choices=["minor", "measure"], default="minor")
    p.add_argument("--json", action="store_true", help="print JSON")
