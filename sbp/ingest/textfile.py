"""Checks on a file's bytes before any parsing: empty, binary, encoding and delimiter."""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sbp.errors import IngestError

CHUNK = 1 << 20


@dataclass(frozen=True)
class TextFile:
    """A CSV file known to be readable text: the path DuckDB should read and its header fields."""

    original: Path
    readable: Path          # the original, or a UTF-8 transcoding of a cp1252 file
    encoding: str           # 'utf-8', 'utf-8-sig' or 'cp1252'
    header: list[str]

    def index(self, name: str) -> int:
        """The position of the header column called name: where a row's field for it is, whatever the column order."""
        return self.header.index(name)


@dataclass(frozen=True)
class _Scan:
    bad_utf8: tuple[int, int] | None  # (line, byte) of the first invalid UTF-8 sequence
    mixed_line_endings: bool          # both CRLF and bare LF line ends (a file edited on two systems)
    utf8_text: int | None             # the line of the first accented (multi-byte) UTF-8 character


# A valid multi-byte UTF-8 character: in a Windows-1252 file these byte pairs would read as "Ã©" and the like.
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                            rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
                            rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def _scan(path: Path) -> _Scan:
    """One pass over the bytes: UTF-8 validity and line-ending consistency."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, lf, crlf, previous = 1, 0, 0, b""
    bad = utf8_text = None
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            if utf8_text is None and not chunk.isascii() and (found := UTF8_MULTIBYTE.search(chunk)):
                utf8_text = line + chunk[: found.start()].count(b"\n")
            if bad is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad = (line + chunk[: exc.start].count(b"\n"), chunk[exc.start])
            lf += chunk.count(b"\n")
            crlf += chunk.count(b"\r\n") + (previous == b"\r" and chunk[:1] == b"\n")
            previous = chunk[-1:]
            line += chunk.count(b"\n")
        if bad is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad = (line, 0)
    return _Scan(bad, 0 < crlf < lf, utf8_text)


def _transcode(path: Path, encoding: str, scan: _Scan, workdir: Path | None) -> Path:
    """Write path as UTF-8 with LF line ends into workdir, chunk by chunk; refuse bytes the encoding cannot decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    tmp = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", suffix=".csv", delete=False, dir=workdir)
    line, pending_cr = 1, False
    try:
        with tmp, open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    line += chunk[: exc.start].count(b"\n")
                    raise IngestError(
                        path, f"byte 0x{chunk[exc.start]:02x} is not valid UTF-8 or Windows-1252 text; save the file as CSV UTF-8",
                        line=line,
                    ) from None
                if scan.mixed_line_endings:
                    text = ("\r" if pending_cr else "") + text
                    pending_cr = text.endswith("\r")
                    text = (text[:-1] if pending_cr else text).replace("\r\n", "\n")
                tmp.write(text)
                line += chunk.count(b"\n")
            tmp.write(decoder.decode(b"", final=True) + ("\r" if pending_cr else ""))
    except BaseException:
        Path(tmp.name).unlink(missing_ok=True)
        raise
    return Path(tmp.name)


def open_text(path: str | Path, workdir: Path | None = None) -> TextFile:
    """Check a CSV file is non-empty, comma-delimited UTF-8 (or unambiguous cp1252) and read its header."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "no such file")
    if path.stat().st_size == 0:
        raise IngestError(path, "the file is empty (0 bytes); download the extract again")
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b")):
        raise IngestError(path, "this is a compressed file (zip or gzip); extract the CSV inside it and load that")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise IngestError(path, "this is not a text CSV (it looks like UTF-16 or a binary file); save it as CSV UTF-8")
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    readable = path
    scan = _scan(path)
    if scan.bad_utf8 is not None or scan.mixed_line_endings:
        # Rewrite as clean UTF-8 with one kind of line end, which DuckDB's strict CSV reader needs; streamed in
        # chunks so a large file never sits in memory whole.
        if scan.bad_utf8 is not None:
            bad_line, byte = scan.bad_utf8
            if scan.utf8_text is not None:  # read either way, part of the file would come out garbled
                raise IngestError(path, f"byte 0x{byte:02x} is not UTF-8, but line {scan.utf8_text} has UTF-8 accented "
                                  "text: the file mixes two encodings; save it as CSV UTF-8 and load it again",
                                  line=bad_line)
            encoding = "cp1252"
        readable = _transcode(path, encoding, scan, workdir)
        with open(readable, "rb") as handle:
            head = handle.read(64 * 1024)
    first_line = head.decode("utf-8-sig", errors="replace").splitlines()[0] if head.strip() else ""
    if not first_line.strip():
        raise IngestError(path, "the first line is blank; the header row must come first", line=1)
    header = next(csv.reader(io.StringIO(first_line)))
    header = [h.strip() for h in header]
    if len(header) == 1:
        for delim, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if delim in first_line:
                raise IngestError(
                    path, f"the file is {name}-delimited; save it as comma-separated CSV and load it again", line=1
                )
    if len([ln for ln in head.splitlines() if ln.strip()]) < 2 and len(head) < 64 * 1024:
        raise IngestError(path, "the file has a header but no data rows", line=2)
    return TextFile(original=path, readable=readable, encoding=encoding, header=header)


def find_line(text: TextFile, predicate, stop_after: int | None = None) -> int | None:
    """The file line number of the first data row for which predicate(row: list[str]) is true (None if none by stop_after)."""
    encoding = "utf-8-sig" if text.encoding == "utf-8-sig" else "utf-8"
    # Any field length: the row sought may hold a field far longer than DuckDB's 1 MB line (a quote left open).
    csv.field_size_limit(sys.maxsize)
    with open(text.readable, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            if stop_after is not None and reader.line_num > stop_after:
                return None
            if not row:
                continue  # blank lines: DuckDB skips them too
            try:
                if predicate([c.strip() for c in row]):
                    return reader.line_num
            except IndexError:  # a short row cannot be the one the predicate is looking for
                continue
    return None
