"""Hostile input: formula cells in exports, HTML/Markdown in text, binary uploads, and the shipped config."""

from __future__ import annotations

import html
import io
import os
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sbp.errors import IngestError
from sbp.display.formatting import csv_bytes
from sbp.ingest import ingest
from sbp.store.objective_edits import save_status
from sbp.display.formatting import literal, shown_text

REPO = Path(__file__).resolve().parents[2]


def test_csv_exports_neutralise_formula_cells_and_leave_numbers_alone():
    frame = pd.DataFrame({
        "Area": ['=HYPERLINK("http://x","y")', "+cmd", "-2+3", "@SUM(A1)", "\tTab", "Bromley"],
        "Offences": [-5, 10, 0, 3, 4, 5],
        "% change": [-1.5, 2.0, None, 0.0, 1.0, -0.1],
    })
    text = csv_bytes(frame).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert list(back["Area"]) == ["'=HYPERLINK(\"http://x\",\"y\")", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tTab", "Bromley"]
    assert list(back["Offences"]) == [-5, 10, 0, 3, 4, 5]
    assert "-1.5" in text and "'-1.5" not in text


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "**bold** _it_ [link](javascript:alert(1))", "# heading", "a & b < c"])
def test_literal_text_has_no_live_html_or_markdown(text):
    out = literal(text)
    assert "<" not in out and ">" not in out
    bare = re.sub(r"&#[0-9]+;", "", out)  # numeric character references are text, not markup
    for ch in "*_[]()#":
        assert all(bare[i - 1] == "\\" for i, c in enumerate(bare) if c == ch)
    assert shown_text(out) == text


@pytest.mark.parametrize("text", ["Theft see http://evil.example/x", "www.evil.example", "mail admin@evil.example",
                                  "https://a.b/c?d=e"])
def test_literal_text_never_becomes_a_link(text):
    """GFM autolinks bare URLs even when backslashed or written as references; none of its triggers survive."""
    out = literal(text)
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]@", html.unescape(out)), out
    assert shown_text(out) == text


@pytest.mark.parametrize("payload,problem", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text CSV"),
    (b"PK\x03\x04" + b"\x00" * 100, "compressed"),
    (b"\x1f\x8b\x08\x00" + b"\x00" * 50, "compressed"),
])
def test_binary_and_compressed_uploads_are_refused(db, write_csv, payload, problem):
    with pytest.raises(IngestError, match=problem):
        ingest([write_csv("upload.csv", payload)], db=db)


def test_formula_text_in_an_extract_loads_as_text(db, write_csv):
    path = write_csv("f.csv", 'month,area,category,count\n2023-11,Bromley,"=HYPERLINK(""http://evil"",""x"")",3\n')
    ingest([path], db=db)
    from sbp import store

    with store.connect_read(db) as con:
        assert con.execute("SELECT minor_category FROM crime_counts").fetchone()[0] == '=HYPERLINK("http://evil","x")'


def test_objective_text_with_html_is_shown_literally(demo_db, monkeypatch):
    save_status("safer_neighbourhoods", "1", "At risk", "<script>alert(1)</script> **not bold**", "admin", 0, demo_db)
    monkeypatch.setenv("SBP_DB", str(demo_db))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    at.switch_page("pages/priority_page.py").run()
    evidence = [m.value for m in at.markdown if "&lt;script&gt;alert" in m.value]
    # One HTML block (no blank line inside), so Markdown is not interpreted and **not bold** shows as typed.
    assert len(evidence) == 1 and "**not bold**" in evidence[0]
    assert evidence[0].startswith("<div") and "\n\n" not in evidence[0]
    assert not any("<script>" in m.value for m in at.markdown)


@pytest.mark.parametrize("page,query", [
    ("pages/priority_page.py", {"measure": "'; DROP TABLE crime_counts; --"}),
    ("pages/rankings_page.py", {"measure": "<img src=x onerror=alert(1)>"}),
    ("pages/wards_page.py", {"measure": "9" * 10000}),
    ("pages/explore_page.py", {"measure": "nonsense", "area": "Atlantis", "from": "1900-01", "view": "<b>"}),
])
def test_bad_page_parameters_are_ignored_with_a_notice(demo_store, page, query, monkeypatch):
    monkeypatch.setenv("SBP_DB", str(demo_store))  # pages only read: the session's demo store
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception and not at.error
    assert any("not available" in i.value or "not loaded" in i.value or "ignored" in i.value for i in at.info)


def test_shipped_streamlit_config_is_safe():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert 0 < config["server"]["maxUploadSize"] <= 500
    # Streamlit holds an upload in memory before the page sees it: its limit is the configured one, not larger.
    from sbp.config.settings import load_settings
    assert config["server"]["maxUploadSize"] == load_settings()["upload_limit_mb"]
    assert ".streamlit/secrets.toml" in (REPO / ".gitignore").read_text()
    assert not (REPO / ".streamlit" / "secrets.toml").exists() or os.environ.get("CI") is None
    example = tomllib.loads((REPO / ".streamlit" / "secrets.example.toml").read_text())
    assert "<" in example["admin"]["password_hash"], "the example must not carry a usable hash"


@pytest.mark.parametrize("field,problem", [
    ("9" * 300_000, "count 999999... (300,000 digits) is too large for one borough in one month"),
    ("4,5", "too many fields on this row (an unquoted comma?)"),
])
def test_a_huge_or_split_count_is_one_line_naming_it(db, write_csv, field, problem):
    path = write_csv("long.csv", "month,area,category,count\n2023-01,Bromley,ASB calls,3\n2023-02,Bromley,ASB calls,"
                     + field + "\n")
    with pytest.raises(IngestError) as caught:
        ingest([path], db=db)
    assert str(caught.value).startswith("long.csv, line 3") and problem in str(caught.value), str(caught.value)
