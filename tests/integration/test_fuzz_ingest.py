"""Fuzzing ingest(): random bytes and random CSV-shaped text never escape as anything but a clear error.

Against a store holding known data, every input ends in success or an SbpError (IngestError for a bad
file). An IngestError message is one line starting with the file name, and on any error the store is
exactly as it was: same data version, same rows in every table, no unfinished build left behind.

Inputs: random bytes; CSV-shaped text whose headers are drawn partly from the real header vocabularies
(MPS borough/ward/LSOA, police.uk, long-format, population) with random cells (numbers huge, negative,
fractional or exponent-form, text, quotes, embedded delimiters and newlines, NUL bytes), delimiters,
line endings, blank lines, BOMs and encodings; and well-formed files of each format with a few cells
spoiled, so the deeper validation and merge paths are exercised too.

Crashes found (inputs that escape as a non-SbpError) are listed in KNOWN_CRASHES, each pinned by a
strict xfail test with its minimal input; the random tests tolerate only those exact failure shapes, so
a new kind of crash still fails them. When ingest.py is fixed the xfail tests pass, fail as XPASS,
and the entry should be removed from KNOWN_CRASHES.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sbp import store
from sbp.errors import IngestError, SbpError
from sbp.ingest import ingest
from tests.conftest import copy_store, examples, store_of

FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                    HealthCheck.function_scoped_fixture])

BASE = (
    "MajorText,MinorText,LookUp_BoroughName,202301,202302,202303\n"
    "Burglary,Domestic Burglary,Bromley,10,12,9\n"
    "Robbery,Robbery of Personal Property,Bromley,3,4,5\n"
    "Burglary,Domestic Burglary,Bexley,7,8,6\n"
)
BASE_POP = "area,population\nBromley,330000\nBexley,246000\n"
TABLES = ("crime_counts", "source_files", "population", "store_meta", "month_index", "category_index", "area_index")

HEADERS = {
    "mps_borough": ["MajorText", "MinorText", "LookUp_BoroughName"],
    "mps_borough2": ["MajorText", "MinorText", "BoroughName"],
    "mps_ward": ["MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName"],
    "mps_lsoa": ["LSOA Code", "LSOA Name", "Borough", "Major Category", "Minor Category"],
    "police_uk": ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                  "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"],
    "long": ["month", "area", "category", "count"],
    "long_full": ["month", "area_level", "area", "borough", "major_category", "category", "count"],
    "population": ["area", "population"],
    "population_full": ["area", "year", "denominator", "area_level", "population"],
}
VOCAB = sorted({c for cols in HEADERS.values() for c in cols} | {
    "202301", "202302", "202312", "202313", "2023-01", "Count", "MONTH", "Population", "Borough", "", " month ", "x",
})
MONTHS = ["202301", "202302", "202303", "202212", "202401", "202313", "2023-04", "199901"]


# --- known crashes (bugs in ingest.py, not fixed here) -------------------------------------

KNOWN_CRASHES: dict = {}  # none open; add (name: matcher) here when fuzzing finds a crash


def known_crash(exc: BaseException) -> str | None:
    return next((name for name, matches in KNOWN_CRASHES.items() if matches(exc)), None)


# --- the store under test ------------------------------------------------------------------

@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    """A store holding known data, built once; each example works on a copy of it."""
    return store_of(tmp_path_factory, {"base.csv": BASE, "base_pop.csv": BASE_POP})


def snapshot(db: Path) -> tuple:
    """Every table's rows plus the published version."""
    with store.connect_read(db) as con:
        tables = tuple(tuple(con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()) for t in TABLES)
    return tables, store.data_version(db)


@functools.cache
def base_tables(base_store: Path) -> tuple:
    """Every table's rows in the base store, read once: each example's copy of it holds the same bytes."""
    return snapshot(base_store)[0]


def check_ingest(base_store: Path, name: str, content: bytes) -> str:
    """Ingest content as `name` into a copy of the base store and check the contract; returns the outcome."""
    work = Path(tempfile.mkdtemp(prefix="sbp-fuzz-"))
    try:
        db = work / "store" / "sbp.duckdb"
        copy_store(base_store, db)
        before = base_tables(base_store), store.data_version(db)
        path = work / name
        path.write_bytes(content)
        try:
            ingest([path], db=db)
        except SbpError as exc:
            message = str(exc)
            if isinstance(exc, IngestError):
                assert message.startswith(name), message
                assert "\n" not in message and "\r" not in message, repr(message)
            outcome = type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - the point of the test
            crash = known_crash(exc)
            if crash is None:
                raise AssertionError(
                    f"ingest raised {type(exc).__name__} (not an SbpError) for {content!r}"
                ) from exc
            outcome = f"known crash: {crash}"
        else:
            assert not list(store.versions_dir(db).glob("building-*"))
            assert store.last_failure(db) is None
            with store.connect_read(db) as con:
                con.execute("SELECT count(*) FROM crime_counts").fetchone()
            return "loaded"
        assert snapshot(db) == before, "a refused file changed the store"
        assert not list(store.versions_dir(db).glob("building-*"))
        return outcome
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- strategies ----------------------------------------------------------------------------

def _number_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-1000, 1000).map(str),
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(["0", "1e3", "1e19", "9223372036854775808", "1e308", "1e400", "-0", "1.5", "2.0", "nan",
                         "inf", "-inf", "0x10", "1,000", " 7 ", "07", "+3", "1_000", "٣"]),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def _cell() -> st.SearchStrategy[str]:
    plain = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
    quoted = st.text(max_size=8).map(lambda s: '"' + s.replace('"', '""') + '"')
    broken = st.sampled_from(['"unclosed', 'a"b', '""', '"a""b"', '"x,y"', '"line\nbreak"', "\x00", "a\x00b", "\\", "'"])
    names = st.sampled_from(["Bromley", "Bexley", "Burglary", "Domestic Burglary", "ASB calls", "borough", "ward",
                             "lsoa", "residents", "households", "E01000676", "Bromley 001A", "2023-11", "11/2023"])
    return st.one_of(_number_text(), plain, quoted, broken, names, st.just(""))


@st.composite
def csv_shaped(draw) -> bytes:
    """Text shaped like a CSV: header partly from the real vocabularies, random rows, random framing."""
    template = draw(st.sampled_from(sorted(HEADERS)))
    header = list(HEADERS[template])
    if template.startswith("mps"):
        header += draw(st.lists(st.sampled_from(MONTHS), min_size=0, max_size=4))
    if draw(st.booleans()):  # mutate: drop, add or shuffle a column
        choice = draw(st.sampled_from(["drop", "add", "shuffle", "case"]))
        if choice == "drop" and header:
            header.pop(draw(st.integers(0, len(header) - 1)))
        elif choice == "add":
            header.insert(draw(st.integers(0, len(header))), draw(st.sampled_from(VOCAB) | st.text(max_size=6)))
        elif choice == "shuffle":
            header = draw(st.permutations(header))
        else:
            header = [h.upper() for h in header]
    width = len(header)
    widths = st.one_of(st.just(width), st.just(width), st.integers(0, width + 2))
    rows = draw(st.lists(widths.flatmap(lambda w: st.lists(_cell(), min_size=w, max_size=w)), max_size=6))
    delim = draw(st.sampled_from([",", ",", ",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    lines = [delim.join(header)] + [delim.join(r) for r in rows]
    for _ in range(draw(st.integers(0, 2))):  # blank lines anywhere, even first
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", " ", delim * width])))
    text = newline.join(lines) + draw(st.sampled_from([newline, "", newline * 2]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:  # a stray NUL or invalid byte somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\x00", b"\x81", b"\xff", b"\xc3"])) + data[at:]
    return data


@st.composite
def format_shaped(draw) -> bytes:
    """A well-formed file of one real format, with at most a couple of spoiled cells."""
    kind = draw(st.sampled_from(["mps_borough", "mps_ward", "mps_lsoa", "police_uk", "long", "long_full", "population"]))
    months = draw(st.lists(st.sampled_from(["202212", "202301", "202302", "202303", "202304"]), min_size=1, max_size=3, unique=True))
    n = draw(st.integers(1, 5))
    boroughs = ["Bromley", "Bexley", "Croydon"]
    count = st.integers(0, 50).map(str)
    rows: list[list[str]] = []
    if kind.startswith("mps"):
        header = HEADERS[kind] + sorted(months)
        for i in range(n):
            b = boroughs[i % 3]
            names = {"mps_borough": ["Burglary", f"Minor {i}", b],
                     "mps_ward": ["Burglary", f"Minor {i % 2}", f"Ward {i}", f"E0500{i}", b],
                     "mps_lsoa": [f"E0100{i}", f"{b} 00{i}A", b, "Burglary", f"Minor {i % 2}"]}[kind]
            rows.append(names + [draw(count) for _ in months])
    elif kind == "police_uk":
        header = HEADERS[kind]
        for i in range(n):
            month = draw(st.sampled_from(["2023-01", "2023-02"]))
            lsoa = draw(st.sampled_from([("E01000676", "Bromley 001A"), ("", ""), ("E01000001", "Bexley 002B")]))
            rows.append([f"id{i}", month, "MPS", "MPS", "0.1", "51.4", "On or near X", *lsoa, "Burglary", "", ""])
    elif kind.startswith("long"):
        header = HEADERS[kind]
        for i in range(n):
            month = draw(st.sampled_from(["2023-01", "202302", "2023-03-01", "01/04/2023"]))
            if kind == "long":
                rows.append([month, boroughs[i % 3], f"Series {i}", draw(count)])
            else:
                level = draw(st.sampled_from(["borough", "ward", "lsoa"]))
                rows.append([month, level, f"Area {i}", boroughs[i % 3], "Major", f"Series {i}", draw(count)])
    else:
        header = HEADERS["population"]
        rows = [[b, str(draw(st.integers(1, 10**6)))] for b in boroughs[:n]]
    for _ in range(draw(st.integers(0, 2))):  # spoil a cell or two
        if rows:
            r = draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(_cell())
    if draw(st.booleans()) and rows:  # a blank line somewhere among the rows
        rows.insert(draw(st.integers(0, len(rows))), [])
    text = "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])), errors="replace")


# --- the fuzz tests (80 examples in all on the CI draw) -------------------------------------

@settings(max_examples=examples(15), **FUZZ)
@given(content=st.binary(max_size=600))
def test_random_bytes_end_in_success_or_a_clear_error(base_store, content):
    event(check_ingest(base_store, "random.csv", content))


@pytest.mark.slow
@settings(max_examples=examples(40), **FUZZ)
@given(content=csv_shaped())
def test_csv_shaped_text_ends_in_success_or_a_clear_error(base_store, content):
    event(check_ingest(base_store, "shaped.csv", content))


@pytest.mark.slow
@settings(max_examples=examples(25), **FUZZ)
@given(content=format_shaped())
def test_spoiled_real_formats_end_in_success_or_a_clear_error(base_store, content):
    event(check_ingest(base_store, "spoiled.csv", content))


# --- the crashes found, pinned with their minimal inputs -----------------------------------

FIXED = [  # found by this fuzzing, since fixed in ingest.py (e31d28e); kept as regression tests
    pytest.param("blank_then_empty_area.csv", b"month,area,category,count\n\n2023-11,,ASB calls,4\n", id="long-blank-line"),
    pytest.param("pop_blank_then_zero.csv", b"area,population\n\nBromley,0\n", id="population-blank-line"),
    pytest.param("huge_long.csv", b"month,area,category,count\n2023-11,Bromley,ASB calls,1e19\n", id="long-huge-count"),
    pytest.param("huge_wide.csv", b"MajorText,MinorText,LookUp_BoroughName,202301\nBurglary,Domestic Burglary,Bromley,1e19\n",
                 id="wide-huge-count"),
    pytest.param("huge_pop.csv", b"area,population\nBromley,1e19\n", id="population-huge"),
]
FIXED += [  # fixed after the fuzzing found them: blank-only data is refused, not loaded as nothing
    pytest.param("police_blank.csv", (",".join(HEADERS["police_uk"]) + "\n\n").encode(), id="police-uk-blank-rows-only"),
    pytest.param("long_blank.csv", b"month,area,category,count\n\n\n", id="long-blank-rows-only"),
]
MIXED_ENDINGS = [  # once crashed DuckDB's strict reader; now normalised and loaded
    pytest.param("mixed_endings.csv", b"area,population\nBromley,330000\r\n", id="lf-header-crlf-row"),
    pytest.param("mixed_endings_wide.csv",
                 b"MajorText,MinorText,LookUp_BoroughName,202301\r\nBurglary,Domestic Burglary,Bromley,1\n", id="crlf-header-lf-row"),
]


@pytest.mark.parametrize("name,content", FIXED)
def test_inputs_that_once_crashed_are_refused_cleanly(base_store, name, content):
    assert check_ingest(base_store, name, content) == "IngestError"


@pytest.mark.parametrize("name,content", MIXED_ENDINGS)
def test_mixed_line_endings_load(base_store, name, content):
    assert check_ingest(base_store, name, content) == "loaded"