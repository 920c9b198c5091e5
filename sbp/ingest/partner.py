"""Load a partner-measures file (CSV or .xlsx): every cell checked, all rows or none, revisions by source and period.

A partner file is small (a partnership's figures for a few years), so each row is checked in Python, which names
the exact line of the first problem. A value replaces the stored value of the same source, measure, area and
period (a correction); every other stored value stays.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sbp import store
from sbp.config import areas, london_boroughs
from sbp.config.partner import DIRECTIONS, PARTNER_UNITS, load_partner_measures
from sbp.errors import IngestError
from sbp.ingest.context import Context
from sbp.ingest.formats import PARTNER_OPTIONAL, PARTNER_REQUIRED

MAX_ROWS = 50_000              # far above a partnership's figures; a bigger file is not a partner file
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
PERIOD_FORMS = ("a month 2021-06, a quarter 2021/22 Q1 (Apr-Jun 2021) or 2021-Q2 (the same months), "
                "a financial year 2021/22 or a calendar year 2021")
DIRECTION_WORDS = {"higher_is_better": "higher_is_better", "higher": "higher_is_better",
                   "lower_is_better": "lower_is_better", "lower": "lower_is_better"}
WHOLE_UNITS = ("count", "people")   # a count or a number of people is a whole number
TEMPLATE_ROWS = (  # the downloadable template's example rows (docs/data-formats.md)
    ("cctv_arrest_assists", "Incidents where CCTV assisted police, leading to arrests", "count", "2021", "Bromley",
     "264", "CCTV control room", "", "", "Jan-Dec 2021, from the control room log"),
    ("ts_total_savings", "Savings to residents from Trading Standards interventions", "pounds", "2021/22", "Bromley",
     "507157", "Trading Standards", "", "", "estimated with the impacts and outcomes calculator"),
    ("cid_days", "Community Impact Days held", "count", "2021/22 Q1", "Bromley", "3", "LBB Community Safety", "3",
     "higher_is_better", ""),
)


@dataclass(frozen=True)
class Period:
    """A reporting period: its kind, its first and last months (first days), and its text as stored."""

    kind: str                  # month | quarter | financial_year | calendar_year
    start: dt.date
    end: dt.date
    text: str


def _months_after(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> Period | None:
    """A period as a partner file writes it (PERIOD_FORMS), or None when it is none of them."""
    t = " ".join(text.split())
    if m := re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", t):
        start = dt.date(int(m[1]), int(m[2]), 1)
        return Period("month", start, start, t)
    if m := re.fullmatch(r"(\d{4})/(\d{2}) ?Q([1-4])", t, re.IGNORECASE):
        year = int(m[1])
        if (year + 1) % 100 != int(m[2]):
            return None
        start = _months_after(dt.date(year, 4, 1), 3 * (int(m[3]) - 1))
        return Period("quarter", start, _months_after(start, 2), f"{year}/{m[2]} Q{m[3]}")
    if m := re.fullmatch(r"(\d{4})-?Q([1-4])", t, re.IGNORECASE):
        start = dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
        fy = start.year if start.month >= 4 else start.year - 1
        return Period("quarter", start, _months_after(start, 2), f"{fy}/{(fy + 1) % 100:02d} Q{(int(m[2]) + 2) % 4 + 1}")
    if m := re.fullmatch(r"(\d{4})/(\d{2})", t):
        year = int(m[1])
        if (year + 1) % 100 != int(m[2]):
            return None
        return Period("financial_year", dt.date(year, 4, 1), dt.date(year + 1, 3, 1), f"{year}/{m[2]}")
    if m := re.fullmatch(r"(\d{4})", t):
        return Period("calendar_year", dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 1), t)
    return None


def number_problem(text: str, unit: str, what: str) -> tuple[float | None, str | None]:
    """The number a value or target cell holds in a unit, or why it is not one (thousands commas, £ and % allowed)."""
    t = text.strip()
    if unit == "pounds" and t.startswith("£"):
        t = t[1:].strip()
    if unit == "percent" and t.endswith("%"):
        t = t[:-1].strip()
    if not NUMBER.fullmatch(t):
        return None, f"{what} {text!r} is not a number (write it as plain digits, e.g. 507157 or 12.5)"
    value = float(t.replace(",", ""))
    if value < 0 and unit != "percent":
        return None, f"{what} {text!r} is negative; only a percent may be"
    if unit in WHOLE_UNITS and value != int(value):
        return None, f"{what} {text!r} is not a whole number; a {unit} value is"
    return value, None


def looks_like_formula(cell: str, numeric: bool) -> bool:
    """Whether a cell would run as a spreadsheet formula when the file is opened (=, +, -, @ first), numbers aside."""
    if not cell or not cell.startswith(FORMULA_START):
        return False
    return not (numeric and NUMBER.fullmatch(cell.strip()))


def _area_index() -> tuple[dict[str, tuple[str, str, str]], dict[str, list[str]]]:
    """Known areas by key -> (level, name, ONS code): boroughs by name and code, London wards by code; and each London
    ward name's codes (a name may be in several boroughs)."""
    known = {}
    for b in london_boroughs():
        known[areas.area_key(b.name)] = known[areas.area_key(b.code)] = ("borough", b.name, b.code)
    for name in areas.non_borough_areas():
        known.setdefault(areas.area_key(name), ("borough", name, ""))
    ward_codes: dict[str, list[str]] = {}
    for code, (name, _) in areas.london_wards().items():
        known[areas.area_key(code)] = ("ward", name, code)
        ward_codes.setdefault(areas.area_key(name), []).append(code)
    return known, ward_codes


def rows_of(ctx: Context) -> Iterator[tuple[int, list[str]]]:
    """(line, cells in header order) of every data row: from the CSV, or from the workbook's sheet."""
    if ctx.sheet is not None:
        yield from ctx.sheet
        return
    encoding = "utf-8-sig" if ctx.text.encoding == "utf-8-sig" else "utf-8"
    with open(ctx.text.readable, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            if any(cell.strip() for cell in row):
                yield reader.line_num, row


def _first_rows(path: Path) -> dict[str, list[str]]:
    """Each worksheet's first row as text, read from the workbook's XML without loading any sheet (a Monthly Crime
    Dashboard workbook's sheet takes seconds to load): worksheet part -> cells (shared strings looked up)."""
    import zipfile
    from xml.etree.ElementTree import iterparse

    rows: dict[str, list[tuple[str, str]]] = {}  # part -> [(type, raw value)]
    try:
        with zipfile.ZipFile(path) as book:
            for part in sorted(n for n in book.namelist() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)):
                cells: list[tuple[str, str]] = []
                with book.open(part) as sheet:
                    for _, element in iterparse(sheet):
                        tag = element.tag.rsplit("}", 1)[-1]
                        if tag == "c":
                            text = "".join(t.text or "" for t in element.iter() if t.tag.rsplit("}", 1)[-1] in ("v", "t"))
                            cells.append((element.get("t", ""), text))
                        elif tag == "row":
                            break
                rows[part] = cells
            wanted = {int(v) for cells in rows.values() for t, v in cells if t == "s" and v.isdigit()}
            shared: dict[int, str] = {}
            if wanted and "xl/sharedStrings.xml" in book.namelist():
                with book.open("xl/sharedStrings.xml") as strings:
                    index = 0
                    for _, element in iterparse(strings):
                        if element.tag.rsplit("}", 1)[-1] == "si":
                            if index in wanted:
                                shared[index] = "".join(t.text or "" for t in element.iter()
                                                        if t.tag.rsplit("}", 1)[-1] == "t")
                            index += 1
                            element.clear()
                            if index > max(wanted):
                                break
    except (zipfile.BadZipFile, OSError, SyntaxError):  # SyntaxError: xml.etree's ParseError
        return {}
    return {part: [shared.get(int(v), "") if t == "s" and v.isdigit() else v for t, v in cells]
            for part, cells in rows.items()}


def _workbook_sheet(path: Path):
    """The first sheet of a workbook whose header row has the partner columns, or None."""
    from python_calamine import CalamineError, CalamineWorkbook

    if not any(all(c in [h.strip().lower() for h in header] for c in PARTNER_REQUIRED)
               for header in _first_rows(path).values()):
        return None
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError):
        return None  # not ours to explain: the dashboard reader says why the workbook cannot be opened
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        header = [_cell(c).strip().lower() for c in next(iter(sheet.iter_rows()), [])]
        if all(c in header for c in PARTNER_REQUIRED):
            return sheet
    return None


def is_partner_file(path: Path) -> bool:
    """Whether a file is a partner-measures file, from its header alone (a CSV's first line, a workbook's first rows):
    cheap, so a load can tell before it starts whether it holds any police data."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return path.is_file() and _workbook_sheet(path) is not None
    try:
        with open(path, "rb") as handle:
            first = handle.readline(64 * 1024).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    header = [c.strip().lower() for c in next(csv.reader(io.StringIO(first)), [])]
    return all(c in header for c in PARTNER_REQUIRED)


def read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """A workbook's partner sheet as (header, [(line, cells)]), or None when no sheet has the partner columns (the
    Monthly Crime Dashboard workbook is then read by sbp.ingest.dashboard, this having read only its first rows)."""
    sheet = _workbook_sheet(path)
    if sheet is None:
        return None
    rows = sheet.to_python(skip_empty_area=False)
    header = [_cell(c).strip() for c in rows[0]]
    if (formula := formula_cell(path)) is not None:
        line, index = formula
        raise IngestError(path, "this cell holds a spreadsheet formula; partner files hold values only (copy "
                          "the cells and paste them as values)", line=line or None,
                          column=header[index] if 0 <= index < len(header) else None)
    body = [(number, [_cell(c) for c in r]) for number, r in enumerate(rows[1:], 2) if any(_cell(c) for c in r)]
    return header, body


def formula_cell(path: Path) -> tuple[int, int] | None:
    """(line, column index) of the first cell of any sheet that holds a formula, else None: a workbook's reader sees
    only a formula's last computed value, so a partner workbook must hold values only."""
    import zipfile
    from xml.etree.ElementTree import iterparse

    with zipfile.ZipFile(path) as book:
        for name in sorted(n for n in book.namelist() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)):
            with book.open(name) as sheet:
                for _, element in iterparse(sheet):
                    if element.tag.endswith("}c"):
                        if any(child.tag.endswith("}f") for child in element):
                            ref = re.fullmatch(r"([A-Z]+)([0-9]+)", element.get("r", ""))
                            if ref is None:  # a cell without its reference: the sheet, not the cell, is named
                                return 0, -1
                            index = 0
                            for letter in ref[1]:
                                index = index * 26 + ord(letter) - 64
                            return int(ref[2]), index - 1
                        element.clear()
    return None


def _cell(value: object) -> str:
    """A workbook cell as the text a CSV would hold (a whole float without its .0, a date as YYYY-MM)."""
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value:%Y-%m}"
    return str(value)


def load_partner(ctx: Context) -> None:
    """Check every row of a partner file and merge it into partner_values (see the module docstring)."""
    path, con = ctx.text.original, ctx.con
    measures = load_partner_measures()
    known, ward_codes = _area_index()
    loaded = {areas.area_key(name): name for (name,) in con.execute(
        "SELECT DISTINCT area_name FROM area_index WHERE area_level = 'borough'").fetchall()}
    added = {areas.area_key(name): name for name in ctx.new_areas}
    header = [h.lower() for h in ctx.text.header]
    col = {name: header.index(name) for name in PARTNER_REQUIRED + PARTNER_OPTIONAL if name in header}
    today = dt.date.today().replace(day=1)
    staged, seen = [], {}
    for count, (line, raw) in enumerate(rows_of(ctx), 1):
        if count > MAX_ROWS:
            raise IngestError(path, f"more than {MAX_ROWS:,} rows; a partner file holds a partnership's own figures")

        def fail(problem: str, column: str | None = None) -> None:
            raise IngestError(path, problem, line=line, column=column)

        if len(raw) != len(header):
            fail("too few fields on this row (is the file truncated?)" if len(raw) < len(header)
                 else "too many fields on this row (an unquoted comma?)")
        for name, index in col.items():
            if looks_like_formula(raw[index], name in ("value", "target")):
                fail(f"this cell starts with {raw[index][:1]!r} and would run as a spreadsheet formula; partner files "
                     "hold values only (remove the leading character)", ctx.text.header[index])
        cell = {name: raw[index].strip() for name, index in col.items()}
        for name in PARTNER_REQUIRED:
            if not cell[name] and name != "label":  # an empty label is the configured one
                fail(f"the {name} is empty", ctx.text.header[col[name]])
        measure = measures.get(cell["measure_id"])
        if measure is None:
            near = areas.closest(cell["measure_id"], set(measures))
            fail(f"unknown partner measure {cell['measure_id']!r}"
                 + (f" (did you mean {' or '.join(repr(n) for n in near)}?)" if near else "")
                 + "; partner measures are defined in data/partner_measures.toml", ctx.text.header[col["measure_id"]])
        unit = cell["unit"].lower()
        if unit not in PARTNER_UNITS:
            fail(f"unit {cell['unit']!r} is not one of {', '.join(PARTNER_UNITS)}", ctx.text.header[col["unit"]])
        if unit != measure.unit:
            fail(f"unit {unit!r} does not match partner measure {measure.id!r}, which data/partner_measures.toml "
                 f"gives in {measure.unit!r}", ctx.text.header[col["unit"]])
        period = parse_period(cell["period"])
        if period is None:
            fail(f"period {cell['period']!r} is not a period; write {PERIOD_FORMS}", ctx.text.header[col["period"]])
        if period.start > today:
            fail(f"period {period.text} starts after the current month ({today:%b %Y}); is it a typo?",
                 ctx.text.header[col["period"]])
        place = _place(cell["area"], known, ward_codes, loaded, added)
        if isinstance(place, str):
            fail(place, ctx.text.header[col["area"]])
        value, problem = number_problem(cell["value"], unit, "value")
        if problem:
            fail(problem, ctx.text.header[col["value"]])
        target = None
        if cell.get("target"):
            target, problem = number_problem(cell["target"], unit, "target")
            if problem:
                fail(problem, ctx.text.header[col["target"]])
        direction = ""
        if cell.get("direction"):
            direction = DIRECTION_WORDS.get(cell["direction"].lower(), "")
            if not direction:
                fail(f"direction {cell['direction']!r} is not one of {', '.join(DIRECTIONS)}",
                     ctx.text.header[col["direction"]])
        if target is not None and not (direction or measure.direction):
            fail(f"a target needs a direction (higher_is_better or lower_is_better): partner measure {measure.id!r} "
                 "has none in data/partner_measures.toml", ctx.text.header[col["target"]])
        key = (measure.id, place[1], period.kind, period.start, cell["source"].casefold())
        if key in seen:
            fail(f"{measure.id!r} for {place[1]} in {period.text} from {cell['source']!r} appears twice "
                 f"(also line {seen[key]})")
        seen[key] = line
        staged.append((measure.id, cell["label"] or measure.label, unit, period.text, period.kind, period.start, period.end, place[0],
                       place[1], place[2], value, cell["source"], target, direction, cell.get("note", ""),
                       ctx.file_id, line))
    if not staged:
        raise IngestError(path, "the file has a header but no data rows", line=2)
    _merge(ctx, staged)


def _place(text: str, known: dict, ward_codes: dict, loaded: dict, added: dict) -> tuple[str, str, str] | str:
    """(level, name, code) of an area cell, or the problem with it."""
    key = areas.area_key(text)
    if key in known:
        return known[key]
    codes = ward_codes.get(key, [])
    if len(codes) == 1:
        return known[areas.area_key(codes[0])]
    if len(codes) > 1:
        return f"ward {text!r} is a name in more than one borough; give its ONS ward code ({', '.join(sorted(codes)[:3])})"
    if key in loaded:
        return ("borough", loaded[key], "")
    if key in added:
        return ("borough", added[key], "")
    names = {name for _, name, _ in known.values()} | set(loaded.values())
    return areas.unknown_area_problem("area", [text], frozenset(names))


def _merge(ctx: Context, staged: list[tuple]) -> None:
    """Replace the stored values of the same source, measure, area and period; insert the file's values."""
    con = ctx.con
    con.execute("CREATE OR REPLACE TEMP TABLE sbp_partner AS SELECT * FROM partner_values LIMIT 0")
    store.insert_rows(con, "sbp_partner", staged)
    match = """p.measure_id = s.measure_id AND p.area_name = s.area_name AND p.period_kind = s.period_kind
               AND p.period_start = s.period_start AND lower(p.source) = lower(s.source)"""
    replaced = con.execute(f"SELECT count(*) FROM partner_values p WHERE EXISTS (SELECT 1 FROM sbp_partner s WHERE {match})"
                           ).fetchone()[0]
    con.execute(f"DELETE FROM partner_values p WHERE EXISTS (SELECT 1 FROM sbp_partner s WHERE {match})")
    con.execute("INSERT INTO partner_values SELECT * FROM sbp_partner")
    s = ctx.summary
    s.rows, s.first_month, s.last_month, s.areas, s.categories = con.execute(
        "SELECT count(*), min(period_start), max(period_end), count(DISTINCT area_name), count(DISTINCT measure_id) "
        "FROM sbp_partner").fetchone()
    s.months_replaced = int(replaced)
    con.execute("DROP TABLE sbp_partner")


def template_csv() -> str:
    """The partner-measures template a partner fills in: the header and three example rows (docs/data-formats.md)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PARTNER_REQUIRED + PARTNER_OPTIONAL)
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue()

