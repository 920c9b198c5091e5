"""An .xlsx workbook checked from its zip directory and one stream of its XML, before python-calamine expands it.

python-calamine holds a whole sheet (every cell of the rectangle from A1 to the last reference) and every shared
string, so a 7 MB zip bomb or one far-away cell reference would take gigabytes: the sizes come from the zip
directory, the sheet list from the workbook's own XML, the headers from each sheet's first row, and the rows, cells
and cell references from one streamed pass, each against the limits in bounds.py.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from sbp.errors import IngestError
from sbp.ingest import bounds

CHUNK = 1 << 20
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# A cell reference outside columns A-M or at row 550,000 or beyond (bounds.XLSX_COLUMNS, bounds.XLSX_ROWS).
FAR_CELL = re.compile(rb' r="(?:[A-Z]{2}|[N-Z]|[A-M](?:5[5-9][0-9]{4}|[6-9][0-9]{5}|[1-9][0-9]{6}))')
# A cell without its reference first: <c>, <c/>, or attributes not starting with r (no known writer does that).
REFLESS = re.compile(rb'<c[ >/](?!r=")')
assert bounds.XLSX_COLUMNS == 13 and bounds.XLSX_ROWS == 550_000, "FAR_CELL spells these limits out"


@dataclass(frozen=True)
class Sheet:
    """A worksheet: its name as shown in Excel and its part in the zip."""

    name: str
    part: str


def _refuse(path: Path, problem: str) -> IngestError:
    return IngestError(path, problem)


def open_checked(path: Path) -> tuple[zipfile.ZipFile, list[Sheet]]:
    """The workbook's zip and its worksheets in workbook order, every part's size and compression within limits."""
    try:
        book = zipfile.ZipFile(path)
        parts = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(path, f"this .xlsx workbook could not be opened (not a zip file: {exc})") from None
    try:
        for part in parts:
            limit = bounds.XLSX_SHEET_MB if part.filename.startswith("xl/worksheets/") else bounds.XLSX_OTHER_MB
            if part.file_size > limit << 20:
                raise _refuse(path, f"the part {bounds.cut(part.filename)} of this workbook expands to {part.file_size / 1e6:,.0f} MB, "
                                    f"over the limit of {limit} MB; load the sheet's CSV export instead")
            if part.file_size > 1 << 20 and part.file_size > bounds.XLSX_RATIO * max(part.compress_size, 1):
                raise _refuse(path, f"the part {bounds.cut(part.filename)} of this workbook expands {part.file_size // max(part.compress_size, 1):,} "
                                    f"times ({part.compress_size / 1e6:,.1f} MB to {part.file_size / 1e6:,.0f} MB; a real sheet "
                                    f"expands about 15 times, the limit is {bounds.XLSX_RATIO}): a zip bomb or not a real extract")
        return book, _sheets(path, book)
    except BaseException:
        book.close()
        raise


def _sheets(path: Path, book: zipfile.ZipFile) -> list[Sheet]:
    """The worksheets named in xl/workbook.xml, each with its part from xl/_rels/workbook.xml.rels."""
    targets: dict[str, str] = {}
    for element, attrs in _elements(book, "xl/_rels/workbook.xml.rels", path):
        if element.endswith("Relationship") and "Id" in attrs:
            target = attrs.get("Target", "")
            targets[attrs["Id"]] = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
    sheets = []
    for element, attrs in _elements(book, "xl/workbook.xml", path):
        if element == f"{MAIN} sheet" or element.endswith(" sheet") or element == "sheet":
            rel = attrs.get(f"{RELS} id") or next((v for k, v in attrs.items() if k.endswith(" id")), "")
            if rel in targets:
                sheets.append(Sheet(attrs.get("name", ""), targets[rel]))
    return sheets


def _elements(book: zipfile.ZipFile, part: str, path: Path) -> list[tuple[str, dict[str, str]]]:
    """(element, attributes) of every element of a small part, namespaces expanded as 'uri name'."""
    found: list[tuple[str, dict[str, str]]] = []
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = lambda name, attrs: found.append((name, attrs))
    try:
        with book.open(part) as handle:
            parser.ParseFile(handle)
    except KeyError:
        raise _refuse(path, f"this .xlsx workbook has no {part}: it is damaged or not an Excel workbook") from None
    except expat.ExpatError as exc:
        raise _refuse(path, f"this .xlsx workbook's {part} is not valid XML ({exc})") from None
    return found


def first_row(path: Path, book: zipfile.ZipFile, sheet: Sheet) -> list[str]:
    """The text of a sheet's first row (shared strings looked up), read without parsing the rest of the sheet."""
    cells: list[tuple[str, str]] = []  # (cell type, text)
    state = {"in_row": False, "done": False, "text": None}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if state["done"]:  # the rest of the chunk the first row ended in
            return
        if local == "row":
            state["in_row"] = True
        elif local == "c" and state["in_row"]:
            cells.append((attrs.get("t", "n"), ""))
        elif local in ("v", "t") and state["in_row"] and cells:
            state["text"] = []

    def end(name: str) -> None:
        local = name.rsplit(" ", 1)[-1]
        if state["done"]:
            return
        if local in ("v", "t") and state["text"] is not None:
            kind, text = cells[-1]
            cells[-1] = (kind, text + "".join(state["text"]))
            state["text"] = None
        elif local == "row" and state["in_row"]:
            state["done"] = True

    def data(text: str) -> None:
        if state["text"] is not None and sum(map(len, state["text"])) <= bounds.FIELD_LIMIT:
            state["text"].append(text)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    try:
        with book.open(sheet.part) as handle:
            while not state["done"] and (chunk := handle.read(1 << 16)):
                parser.Parse(chunk)
    except KeyError:
        return []
    except expat.ExpatError as exc:
        raise _refuse(path, f"sheet {bounds.cut(sheet.name)} is not valid XML ({exc})") from None
    wanted = {int(text) for kind, text in cells if kind == "s" and text.strip().isdigit()}
    shared = _shared_strings(path, book, wanted)
    return [shared.get(int(text), "") if kind == "s" and text.strip().isdigit() else text for kind, text in cells]


def _shared_strings(path: Path, book: zipfile.ZipFile, wanted: set[int]) -> dict[int, str]:
    """The shared strings numbered in wanted (each cut after the field limit), streamed until the last of them."""
    found: dict[int, str] = {}
    for index, text in _shared_items(path, book):
        if index > max(wanted, default=-1):
            break
        if index in wanted:
            found[index] = text[: bounds.FIELD_LIMIT + 1]
    return found


def longest_shared_string(path: Path, book: zipfile.ZipFile) -> tuple[int, str]:
    """(length, start) of the longest shared string, streamed (the part's size is already within its limit)."""
    longest = (0, "")
    for _, text in _shared_items(path, book):
        if len(text) > longest[0]:
            longest = (len(text), text[:60])
    return longest


def _shared_items(path: Path, book: zipfile.ZipFile) -> Iterator[tuple[int, str]]:
    """(index, text) of each shared string in order, parsed a chunk at a time."""
    if "xl/sharedStrings.xml" not in book.namelist():
        return
    done: list[str] = []
    parts: list[str] | None = None

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal parts
        if name.endswith("si"):
            parts = []

    def end(name: str) -> None:
        nonlocal parts
        if name.endswith("si") and parts is not None:
            done.append("".join(parts))
            parts = None

    def data(text: str) -> None:
        if parts is not None:
            parts.append(text)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    index = 0
    for chunk in _chunks(book, "xl/sharedStrings.xml"):
        try:
            parser.Parse(chunk)
        except expat.ExpatError as exc:
            raise _refuse(path, f"this workbook's shared strings are not valid XML ({exc})") from None
        for text in done:
            yield index, text
            index += 1
        done.clear()


def _chunks(book: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    with book.open(part) as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def check_sheet(path: Path, book: zipfile.ZipFile, sheet: Sheet) -> None:
    """Stream the sheet's XML and refuse it, before any parse, when expanding it would pass the limits: a cell beyond
    column M or row 550,000 (which bounds the rows), a text run over the field limit, shared strings used too often;
    cells without references (rare) take a second pass counting the rows and the widest row."""
    import numpy as np  # a workbook load imports pyarrow (and so numpy) anyway

    shared_uses = 0
    refless = False  # cells without a reference (<c>, <c/>, or an r attribute not first, as no known writer does)
    has_shared = "xl/sharedStrings.xml" in book.namelist()
    tail = b""
    since_tag = 0  # bytes since the last '<' carried over from the previous chunk
    for chunk in _chunks(book, sheet.part):
        window = tail + chunk
        if not refless and (found := REFLESS.search(window)) is not None:
            refless = found.start() < len(window) - 8  # else cut by the chunk's end: seen whole in the next window
        shared_uses += chunk.count(b't="s"') if has_shared else 0
        if FAR_CELL.search(window):
            raise _refuse(path, f"sheet {bounds.cut(sheet.name)} has a cell beyond column M or row {bounds.XLSX_ROWS:,} "
                                f"(the limit is {bounds.XLSX_ROWS:,} rows of {bounds.XLSX_COLUMNS} columns); split the workbook "
                                "or load its CSV export")
        tail = chunk[-16:]
        marks = np.flatnonzero(np.frombuffer(chunk, np.uint8) == ord("<"))
        if len(marks) == 0:
            since_tag += len(chunk)
        else:
            gaps = np.diff(marks)
            longest = max(since_tag + int(marks[0]), int(gaps.max()) if len(gaps) else 0)
            since_tag = len(chunk) - int(marks[-1])
            if longest > 4 * bounds.FIELD_LIMIT:  # UTF-8 and XML escapes: up to 4 bytes a character
                raise _refuse(path, f"sheet {bounds.cut(sheet.name)} holds a cell of over {bounds.FIELD_LIMIT:,} characters "
                                    f"(about {longest:,} bytes), over the limit of {bounds.FIELD_LIMIT:,}")
        if since_tag > 4 * bounds.FIELD_LIMIT:
            raise _refuse(path, f"sheet {bounds.cut(sheet.name)} holds a cell of over {bounds.FIELD_LIMIT:,} characters "
                                f"(at least {since_tag:,} bytes), over the limit of {bounds.FIELD_LIMIT:,}")
    if refless:  # cells (and rows) without a reference sit one after another: count the rows and the widest row
        rows = widest = 0
        for chunk in _chunks(book, sheet.part):
            rows += chunk.count(b"<row")
            widest = max(widest, max(row.count(b"<c ") + row.count(b"<c>") + row.count(b"<c/>") for row in chunk.split(b"</row>")))
        if widest > bounds.XLSX_COLUMNS:
            raise _refuse(path, f"sheet {bounds.cut(sheet.name)} has a row of more than {bounds.XLSX_COLUMNS} cells "
                                f"(the limit is {bounds.XLSX_COLUMNS} columns)")
        if rows > bounds.XLSX_ROWS:
            raise _refuse(path, f"sheet {bounds.cut(sheet.name)} has more than {bounds.XLSX_ROWS:,} rows (the 48-month "
                                "release has 469,259); split the workbook or load its CSV export")
    if shared_uses:
        length, start = longest_shared_string(path, book)
        if length > bounds.FIELD_LIMIT:
            raise _refuse(path, f"sheet {bounds.cut(sheet.name)} uses a text of {length:,} characters, over the limit of "
                                f"{bounds.FIELD_LIMIT:,}: {bounds.cut(start, length=length)}")
        if shared_uses * length > bounds.XLSX_SHARED_TEXT_MB * 1_000_000:
            raise _refuse(path, f"sheet {bounds.cut(sheet.name)} repeats its shared texts {shared_uses:,} times (the longest "
                                f"{length:,} characters): too much text to expand; load its CSV export")
