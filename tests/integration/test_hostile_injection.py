"""Nothing from a file or a link is rendered as Markdown or HTML: link parameters, file names, categories and area
names reach every Markdown surface (notices, titles, captions, errors, the upload summary, the public banner) through
literal(), and long values are cut with their length."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sbp.config.areas import unknown_area_problem
from sbp.config.categories import category_notes
from sbp.display.formatting import literal, shown_text
from sbp.errors import IngestError, clip
from sbp.web import urlstate
from sbp.web.auth import hash_password
from tests.conftest import borough_csv, copy_store, store_of

REPO = Path(__file__).resolve().parents[2]
LINK = "[Sign in again](https://evil.example/x)"
IMAGE = "![t](http://host/pixel.png)"
FORMULA = '=HYPERLINK("http://evil.example","click")'
PHISH = "www.evil-phish.example.csv"
LONG = "C" * 500_000
PASSWORD = "pw-for-the-test"
# GFM's autolink literals (bare www., http(s)://, e-mail) as Streamlit's renderer finds them: after backslash escapes
# and character references are decoded.
AUTOLINK = re.compile(r"(?i)(?<![\w])(?:https?://|www\.)|[-.\w+]@[-\w]+\.")


def live_markup(markdown: str) -> list[str]:
    """What in a Markdown string would render as a link, an image or HTML (empty when it is all plain text)."""
    found = []
    bare = re.sub(r"\\.", "", markdown)  # backslashed characters are text
    for ch in "[]()!<>":
        if ch in bare:
            found.append(f"unescaped {ch!r}")
    if AUTOLINK.search(html.unescape(re.sub(r"\\(.)", r"\1", markdown))):
        found.append("an autolink")
    return found


@pytest.mark.parametrize("text", [LINK, IMAGE, FORMULA, PHISH, "mail admin@evil.example now", "<img src=x onerror=alert(1)>",
                                  "HTTPS://EVIL.EXAMPLE", "WWW.EVIL.EXAMPLE"])
def test_literal_text_renders_as_written_with_no_link_image_or_html(text):
    out = literal(text)
    assert live_markup(out) == [], (out, live_markup(out))
    assert shown_text(out) == text


def test_long_values_are_cut_with_their_length():
    assert clip("C" * 500_000) == "C" * 80 + "…(500,000 characters)"
    assert clip("short") == "short"
    notes = category_notes([("THEFT", LONG), ("THEFT", FORMULA)])
    assert "'" + "C" * 80 + "…(500,000 characters)'" in notes[0] and len(notes[0]) < 1_000, notes[0][:300]
    problem = unknown_area_problem("borough", ["B" * 500_000], frozenset({"Bromley"}))
    assert len(problem) < 500 and "…(500,000 characters)" in problem
    error = IngestError("x.csv", f"the value {'D' * 200_000!r} is wrong")
    assert len(str(error)) < 300 and "…(200,000 characters)" in str(error)
    _, notice = urlstate.pick("E" * 500_000, ["Bromley"], "Bromley", "area")
    assert notice == "The link asked for area '" + "E" * 40 + "…(500,000 characters)', which is not available; showing " \
                     "Bromley instead."


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("injection")
    return store_of(tmp_path_factory, {"boroughs.csv": borough_csv(folder / "b.csv", 2).read_text()})


def open_app(db: Path, monkeypatch, page: str | None = None, admin: bool = False, **params: str | list[str]) -> AppTest:
    monkeypatch.setenv("SBP_DB", str(db))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    if admin:
        at.secrets["admin"] = {"username": "analyst", "password_hash": hash_password(PASSWORD)}
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def every_markdown(at: AppTest) -> list[str]:
    """The Markdown of every element that renders it: alerts, markdown, captions, titles and subheaders."""
    kinds = (at.info, at.warning, at.error, at.success, at.markdown, at.caption, at.title, at.subheader)
    return [element.value for kind in kinds for element in kind if not element.value.lstrip().startswith("<")]


@pytest.mark.parametrize("value", [LINK, IMAGE, "x" + "E" * 500_000])
def test_a_link_parameter_is_quoted_as_plain_text(small_store, monkeypatch, value):
    at = open_app(small_store, monkeypatch, area=value)
    notices = [e.value for e in at.info if "The link asked for area" in shown_text(e.value)]
    assert len(notices) == 1, [e.value for e in at.info]
    assert live_markup(notices[0]) == [], notices[0]
    quoted = value if len(value) <= 40 else value[:40] + f"…({len(value):,} characters)"
    assert f"The link asked for area '{quoted}'" in shown_text(notices[0])
    assert all(live_markup(m) == [] for m in every_markdown(at) if "link asked" in m)


def test_explore_and_measure_parameters_are_quoted_as_plain_text(small_store, monkeypatch):
    at = open_app(small_store, monkeypatch, "pages/explore_page.py", area=LINK, measure=IMAGE)
    at = open_app(small_store, monkeypatch, "pages/rankings_page.py", measure=LINK)
    notices = [e.value for e in at.info if "The link asked for" in shown_text(e.value)]
    assert notices and all(live_markup(n) == [] for n in notices), notices
    assert any(f"'{LINK}'" in shown_text(n) for n in notices)


def sign_in(at: AppTest) -> AppTest:
    at.text_input[0].input("analyst")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv"))
    at.run()
    at.button(key="data_load").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_file_name_and_categories_in_the_upload_summary_and_the_banner_are_plain_text(small_store, tmp_path,
                                                                                        monkeypatch):
    db = copy_store(small_store, tmp_path / "s" / small_store.name)
    at = sign_in(open_app(db, monkeypatch, "pages/data_page.py", admin=True))
    wide = ("MajorText,MinorText,LookUp_BoroughName,202311\n"
            f'Burglary,"{FORMULA.replace(chr(34), chr(34) * 2)}",Bromley,5\nBurglary,{"C" * 900},Bromley,5\n')
    upload(at, PHISH, wide.encode())
    summary = [m.value for m in at.markdown if shown_text(m.value).startswith(PHISH + ":")]
    assert len(summary) == 1 and live_markup(summary[0]) == [], summary
    said = shown_text(summary[0])
    assert f"'{FORMULA}'" in said and "'" + "C" * 80 + "…(900 characters)'" in said and len(said) < 3_000
    # a field over the 1,000-character bound is refused, and the refusal quotes it cut with its length
    upload(at, "long.csv", f"MajorText,MinorText,LookUp_BoroughName,202311\nBurglary,{LONG},Bromley,5\n".encode())
    assert [live_markup(e.value) for e in at.error] == [[]]
    refusal = shown_text(at.error[0].value)
    assert "long.csv, line 2" in refusal and "…(500,000 characters)" in refusal and len(refusal) < 1_000, refusal
    # a refused file: its name in the error now and in the banner everyone sees on the Data page
    upload(at, "www.evil-bad.example.csv", b"month,area,category,count\n2023-11,Bromley,x,40,4\n")
    assert [live_markup(e.value) for e in at.error] == [[]]
    assert "www.evil-bad.example.csv, line 2" in shown_text(at.error[0].value)
    at = open_app(db, monkeypatch, "pages/data_page.py")
    banner = [w.value for w in at.warning if "The last refresh failed" in w.value]
    assert len(banner) == 1 and live_markup(banner[0]) == [], banner
    assert "www.evil-bad.example.csv, line 2" in shown_text(banner[0])
    shown = [m for m in every_markdown(at) if "evil" in shown_text(m)]
    assert shown and [m for m in shown if live_markup(m)] == []
