"""The command line: a thin layer over the library. `python -m sbp --help`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import duckdb

from sbp.cli import metrics as cli_metrics, report as cli_report
from sbp import store
from sbp.config.sources import POLICE_UK
from sbp.errors import SbpError, UnusedOptionError
from sbp.ingest.formats import FORMAT_LABELS


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_ingest(args: argparse.Namespace) -> int:
    from sbp.ingest import ingest

    summaries = ingest(args.files, db=args.db, progress=_progress, progress_bar=sys.stderr.isatty(), new_areas=args.new_area,
                       force=args.force, replace_lookup=args.replace_lookup)
    for summary in summaries:
        print(summary.describe())
    _print_police_uk_quality(args.db)
    print(f"Store: {store.resolve_db_path(args.db)}")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from sbp.ingest import forget

    print(forget(args.file, db=args.db))
    return 0


def _print_police_uk_quality(db: str | None) -> None:
    """Per police force: rows with no location, in other forces' areas, placed by name or not at all."""
    from sbp.ingest.geography import quality_lines

    with store.connect_read(db) as con:
        for line in quality_lines(con):
            print(line)




def cmd_status(args: argparse.Namespace) -> int:
    from sbp.store.status import coverage_lines, gaps_json, json_value, query_rows, status_rows

    from sbp.metrics import materialized as cube

    rows = status_rows(args.db)
    if args.json:
        from sbp.ingest.geography import QUALITY_SQL

        with store.connect_read(args.db) as con:
            warnings = store.quality_warnings(con)
            police_uk = query_rows(con, QUALITY_SQL)
            gaps = gaps_json(con)
            cube_state = cube.state(con)
        none_missing = {"missing_months": [], "missing_runs": [], "coverage": []}
        sources = [{k: json_value(v) for k, v in entry.items()} | gaps.get(entry["source"], none_missing)
                   for entry in rows]
        print(json.dumps({
            "store": str(store.resolve_db_path(args.db)),
            "sources": sources,  # each with its missing_months (yyyy-mm), missing_runs and per-level coverage
            "warnings": warnings,  # the data-quality warnings the text output prints
            POLICE_UK: [{k: json_value(v) for k, v in row.items()} for row in police_uk],
            "last_failure": store.last_failure(args.db),
            "comparison_cube": cube_state,  # current, stale (run upgrade) or not needed (no borough year)
        }, indent=2, default=str))
        return 0
    if not rows:
        print("The store is empty.")
        return 0
    with store.connect_read(args.db) as con:
        for row in rows:
            first, last = row["first_month"], row["last_month"]
            span = f"{first:%b %Y} to {last:%b %Y}" if first is not None else "no months"
            # A source with months says them per level (and police.uk force), with the months missing inside.
            print("\n".join(coverage_lines(con, [row["source"]]) or [f"{row['source']}: {span}"]))
            print(f"    {row['files']} file(s), last loaded {row['last_loaded_at']:%Y-%m-%d %H:%M}")
            print(f"    {row['file_names']}")
        for warning in store.quality_warnings(con):
            print(f"WARNING {warning}")
        if cube.state(con) == cube.STALE:
            print(f"WARNING {cube.STALE_NOTE}")
    _print_police_uk_quality(args.db)
    failure = store.last_failure(args.db)
    if failure:
        print(f"Last refresh FAILED at {failure['failed_at']}: {failure['message']}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from sbp.ingest.demo import build_demo

    summaries = build_demo(args.db, progress=_progress)
    for summary in summaries:
        print(summary.describe())
    print(f"Synthetic demo store built at {store.resolve_db_path(args.db)} (not real crime data).")
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    from sbp.ingest import upgrade

    upgrade(args.db)
    print(f"Store at {store.resolve_db_path(args.db)} is up to date (schema {store.SCHEMA_VERSION}).")
    return 0


def cmd_hash_password(args: argparse.Namespace) -> int:
    import getpass

    from sbp.web.auth import hash_password

    first = getpass.getpass("New admin password: ")
    if len(first) < 10:
        raise SbpError("Use at least 10 characters for the admin password.")
    if getpass.getpass("Again: ") != first:
        raise SbpError("The two passwords differ; nothing was made.")
    print(hash_password(first))
    print("Put this in .streamlit/secrets.toml as [admin] password_hash (see .streamlit/secrets.example.toml).", file=sys.stderr)
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from sbp.config import check_configuration
    from sbp.config.settings import SETTINGS, load_settings, settings_path, shown_path

    if args.check:
        print(f"ok: {', '.join(check_configuration())} are valid")
        return 0
    values = load_settings()
    for setting in SETTINGS:
        marker = "" if values[setting.name] == setting.default else f"  (set in {shown_path(settings_path())})"
        print(f"{setting.name} = {values[setting.name]!r}{marker}\n    {setting.help}")
    return 0


# The commands that read no store, and why: what they read is the same whichever store is used.
NO_STORE = {
    "settings": "the settings come from data/settings.toml (or the file SBP_SETTINGS names), the same for every store",
    "hash-password": "the hash it prints goes in .streamlit/secrets.toml, the same for every store",
}


def refuse_unused_db(args: argparse.Namespace) -> None:
    """Refuse --db given to a command that reads no store, saying why (an option is never silently ignored)."""
    if args.command in NO_STORE and args.db is not None:
        raise UnusedOptionError(f"{args.command} uses no store, so --db has no effect: {NO_STORE[args.command]}; "
                                "run it without --db")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m sbp", description="Safer Bromley Partnership crime metrics.")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str, func) -> argparse.ArgumentParser:
        # argparse %-formats help strings (for %(default)s); a literal % must be doubled there, not in description.
        p = sub.add_parser(name, help=help_text.replace("%", "%%"), description=help_text)
        # A command that reads no store still parses --db (unlisted), so main() refuses it in one line saying why
        # instead of ignoring it or printing argparse's usage.
        p.add_argument("--db", help=argparse.SUPPRESS if name in NO_STORE else
                       "store path (default: env SBP_DB, else data/sbp.duckdb)")
        p.set_defaults(func=func)
        return p

    p = command("ingest", "Load crime, population and lookup files (all or none); `ingest --help` lists the formats.",
                cmd_ingest)
    p.description = "Load files (all or none). Each file's format is recognised from its header:\n" + "".join(
        f"  - {label}\n" for label in FORMAT_LABELS.values())
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("files", nargs="+", help="files to load: CSV, or the .xlsx and .xls workbooks named above")
    p.add_argument("--new-area", action="append", default=[], metavar="NAME",
                   help="accept an area that is not in data/ (a new borough name, ward code or ward name) on purpose; "
                        "repeat for several. Without it an unknown area is refused with the closest known names")
    p.add_argument("--force", action="store_true",
                   help="replace loaded months even with a file holding under half their offences (crimes for police.uk); "
                        "without it such a file is held and nothing is loaded")
    p.add_argument("--replace-lookup", action="store_true",
                   help="replace an ONS lookup even with one that places under half the police.uk rows (or holds under "
                        "half the codes) the current one does; without it such a lookup is held and nothing is loaded")
    p = command("forget", "Remove one loaded file's counts or populations (by file name or SHA-256), keeping a record.", cmd_forget)
    p.add_argument("file", help="the file name as `status` lists it, or its SHA-256")
    p = command("status", "Show what is loaded: sources, months (and months missing), files, load times.", cmd_status)
    p.add_argument("--json", action="store_true", help="print JSON")
    command("demo", "Build a deterministic synthetic demo store in the real MPS formats.", cmd_demo)
    command("upgrade", "Bring a store built by an earlier version up to date, keeping its data.", cmd_upgrade)
    command("hash-password", "Make a password hash for the dashboard's admin login.", cmd_hash_password)
    p = command("settings", "List every setting with its value, default and help.", cmd_settings)
    p.add_argument("--check", action="store_true",
                   help="check settings.toml, measures.toml and objectives.toml: ok, or one line naming the problem (exit 1)")
    cli_metrics.add_commands(command)
    cli_report.add_commands(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user errors print one line and exit 1, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        refuse_unused_db(args)
        return args.func(args)
    except SbpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the store is unchanged", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except duckdb.Error as exc:
        # Not a user mistake, but still one readable line rather than a traceback.
        print(f"error: the store could not be read ({type(exc).__name__}: {str(exc).splitlines()[0]})", file=sys.stderr)
        return 2
