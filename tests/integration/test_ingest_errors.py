"""Bad input: one line naming the file, line (or column) and problem; the store unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sbp import store
from sbp.cli import main
from sbp.errors import IngestError
from sbp.ingest import ingest
from tests.conftest import copy_store, store_of

GOOD = "MajorText,MinorText,LookUp_BoroughName,202301,202302\nBurglary,Domestic Burglary,Bromley,10,12\n"
HEAD = "MajorText,MinorText,LookUp_BoroughName,202301,202302\n"
POLICE_HEAD = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n"


def snapshot(db) -> tuple:
    """The store's content: every table's rows, in order, plus the published version."""
    with store.connect_read(db) as con:
        tables = tuple(
            tuple(con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall())
            for t in ("crime_counts", "source_files", "population", "store_meta")
        )
    return tables, store.data_version(db)


@pytest.fixture(scope="session")
def good_store(tmp_path_factory) -> Path:
    """GOOD (as good.csv) loaded into a new store, once per run."""
    return store_of(tmp_path_factory, {"good.csv": GOOD})


@pytest.fixture
def loaded(good_store, db):
    """The test's store (db) holding GOOD: a copy of good_store."""
    return copy_store(good_store, db)


CASES = [
    ("empty.csv", b"", None, "empty"),
    ("unknown.csv", "Name,Value\nx,1\n", 1, "unrecognised header"),
    ("badmonth.csv", "MajorText,MinorText,LookUp_BoroughName,202301,2023-02\nBurglary,Domestic Burglary,Bromley,1,2\n", 1, "not a month"),
    ("month13.csv", "MajorText,MinorText,LookUp_BoroughName,202313\nBurglary,Domestic Burglary,Bromley,1\n", 1, "not a month"),
    ("text.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1,2\nRobbery,Robbery of Personal Property,Bromley,ten,2\n", 3, "'ten' is not a whole number"),
    ("fraction.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1,2\nRobbery,Robbery of Personal Property,Bromley,1.5,2\n", 3, "1.5 is not a whole number"),
    ("negative.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1,2\nRobbery,Robbery of Personal Property,Bromley,4,-2\n", 3, "negative"),
    ("missingcount.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1,\n", 2, "missing"),
    ("short.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1,2\nRobbery,Robbery of Personal Property,Bromley,4\n", 3, "too few fields"),
    ("long.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1,2,3\n", 2, "too many fields"),
    ("dupe.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1,2\nTheft,Shoplifting,Bromley,1,1\nBurglary,Domestic Burglary,Bromley,3,4\n", 4, "appears twice (first at line 2)"),
    ("semicolon.csv", "MajorText;MinorText;LookUp_BoroughName;202301\nBurglary;Domestic Burglary;Bromley;1\n", 1, "semicolon-delimited"),
    ("tab.csv", "MajorText\tMinorText\tLookUp_BoroughName\t202301\nBurglary\tDomestic Burglary\tBromley\t1\n", 1, "tab-delimited"),
    ("latin.csv", b"month,area,category,count\n2023-11,Bromley,\x81bad,1\n", 2, "not valid UTF-8 or Windows-1252"),
    ("utf16.csv", "month,area,category,count\n".encode("utf-16"), None, "UTF-16"),
    ("headeronly.csv", HEAD, 2, "no data rows"),
    ("pop_zero.csv", "area,population\nBromley,330000\nBexley,0\n", 3, "above zero"),
    ("pop_negative.csv", "area,population\nBromley,-5\n", 2, "above zero"),
    ("police_mixed.csv", POLICE_HEAD + "a,2023-11,M,M,0,51,x,E01000676,Bromley 001A,Burglary,,\nb,11/2023,M,M,0,51,x,E01000676,Bromley 001A,Burglary,,\n", 3, "not in the YYYY-MM form"),
    ("long_badmonth.csv", "month,area,category,count\n2023-11,Bromley,ASB calls,3\nNovember,Bromley,ASB calls,4\n", 3, "not a month"),
    ("long_dupe.csv", "month,area,category,count\n2023-11,Bromley,ASB calls,3\n2023-11,Bromley,ASB calls,4\n", None, "more than once"),
    ("zip.csv", b"PK\x03\x04rest-of-a-zip", None, "compressed"),
]


@pytest.mark.parametrize("name,content,line,problem", CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_refused_with_file_line_and_problem(loaded, write_csv, name, content, line, problem):
    before = snapshot(loaded)
    bad = write_csv(name, content)
    with pytest.raises(IngestError) as caught:
        ingest([bad], db=loaded)
    err = caught.value
    message = str(err)
    assert message.startswith(name), message
    assert problem in message, message
    assert err.line == line, message
    assert "\n" not in message
    assert snapshot(loaded) == before


def test_column_is_named_for_a_bad_count(loaded, write_csv):
    bad = write_csv("x.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1,oops\n")
    with pytest.raises(IngestError) as caught:
        ingest([bad], db=loaded)
    assert caught.value.column == "202302"
    assert str(caught.value) == "x.csv, line 2, column '202302': count 'oops' is not a whole number"


def test_one_bad_file_among_good_ones_loads_none(loaded, write_csv):
    before = snapshot(loaded)
    good = write_csv("more.csv", "month,area,category,count\n2023-11,Bromley,ASB calls,3\n")
    bad = write_csv("bad.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1\n")
    with pytest.raises(IngestError):
        ingest([good, bad], db=loaded)
    assert snapshot(loaded) == before


def test_failed_load_into_new_path_leaves_no_store(db, write_csv):
    with pytest.raises(IngestError):
        ingest([write_csv("bad.csv", b"")], db=db)
    assert not store.exists(db)
    assert list(store.versions_dir(db).glob("building-*")) == []


def test_cli_prints_one_line_and_exits_1(loaded, write_csv, capsys):
    bad = write_csv("bad.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1\n")
    assert main(["ingest", "--db", str(loaded), str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error: bad.csv, line 2: too few fields on this row (is the file truncated?)"
    assert not any("Traceback" in line for line in err)


def test_store_file_bytes_unchanged_after_refusal(loaded, write_csv):
    current = store.current_version_file(loaded)
    digest = hashlib.sha256(current.read_bytes()).hexdigest()
    with pytest.raises(IngestError):
        ingest([write_csv("bad.csv", "Name\nx\n")], db=loaded)
    assert store.current_version_file(loaded) == current
    assert hashlib.sha256(current.read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("name,content,line,problem", [
    ("huge.csv", HEAD + "Burglary,Domestic Burglary,Bromley,1,1e20\n", 2, "plain digits"),
    ("longhuge.csv", "month,area,category,count\n2023-11,Bromley,ASB calls,99999999999999999999\n", 2, "too large"),
    ("pophuge.csv", "area,population\nBromley,1e30\n", 2, "implausible for the area's level"),
    ("blankline.csv", "month,area,category,count\n2023-11,Bromley,ASB calls,3\n\n2023-12,Bromley,ASB calls,-4\n", 4, "negative"),
], ids=["wide-huge", "long-huge", "population-huge", "blank-line-then-bad-row"])
def test_found_by_fuzzing(loaded, write_csv, name, content, line, problem):
    before = snapshot(loaded)
    with pytest.raises(IngestError) as caught:
        ingest([write_csv(name, content)], db=loaded)
    assert problem in str(caught.value) and caught.value.line == line
    assert snapshot(loaded) == before
