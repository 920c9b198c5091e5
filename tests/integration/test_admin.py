"""Admin-only actions: closed without configuration, open only after sign-in, every change recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sbp import store
from sbp.display.formatting import shown_text
from sbp.web.auth import check_login, hash_password, verify_password
from sbp.store.objective_edits import audit_log

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
HASH = hash_password(PASSWORD)


@pytest.fixture
def app(monkeypatch):
    """Open a page of the app on a store (SBP_DB set for this test only), with or without an admin configured."""

    def open_page(db: Path, page: str, admin: bool = True) -> AppTest:
        monkeypatch.setenv("SBP_DB", str(db))
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
        if admin:
            at.secrets["admin"] = {"username": "analyst", "password_hash": HASH}
        at.run()
        at.switch_page(page)
        return at.run()

    return open_page


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def test_password_hashes_verify_and_reject():
    assert verify_password(PASSWORD, HASH)
    assert not verify_password("wrong", HASH)
    assert not verify_password(PASSWORD, "not-a-hash")
    assert check_login(" analyst ", PASSWORD, ("analyst", HASH))
    assert not check_login("someone", PASSWORD, ("analyst", HASH))
    assert not check_login("analyst", PASSWORD, None)


def test_without_configuration_nothing_can_be_changed(demo_store, app):
    at = app(demo_store, "pages/data_page.py", admin=False)  # nothing is changed: the session's demo store
    assert not at.file_uploader and not at.text_input
    at = app(demo_store, "pages/priority_page.py", admin=False)
    assert not at.get("form") and not at.text_area


def test_wrong_password_keeps_upload_closed(demo_store, app):
    at = sign_in(app(demo_store, "pages/data_page.py"), "analyst", "guess")  # nothing is changed
    assert not at.file_uploader
    assert any("do not match" in e.value for e in at.error)


def test_admin_upload_loads_good_files_and_refuses_bad_ones(demo_db, app):
    at = sign_in(app(demo_db, "pages/data_page.py"), "analyst", PASSWORD)
    assert at.file_uploader
    version = store.data_version(demo_db)
    at.file_uploader[0].set_value(("bad.csv", b"MajorText,MinorText,LookUp_BoroughName,202312\nBurglary,Domestic Burglary\n", "text/csv"))
    at.run()
    at.button(key="data_load").click().run()
    assert any("bad.csv, line 2: too few fields" in shown_text(e.value) for e in at.error)  # Markdown-escaped
    assert store.data_version(demo_db) == version
    good = b"month,area,category,count\n2023-11,Bromley,Fly-tipping reports,40\n"
    at.file_uploader[0].set_value(("flytipping.csv", good, "text/csv"))
    at.run()
    at.button(key="data_load").click().run()
    assert not at.error
    assert store.data_version(demo_db) != version
    with store.connect_read(demo_db) as con:
        assert con.execute("SELECT sum(offence_count) FROM crime_counts WHERE minor_category = 'Fly-tipping reports'").fetchone()[0] == 40


def test_signed_in_admin_edits_an_objective_status_and_it_is_audited(demo_db, app):
    at = sign_in(app(demo_db, "pages/data_page.py"), "analyst", PASSWORD)
    at.switch_page("pages/priority_page.py").run()
    assert at.text_area, "edit forms are shown to the signed-in admin"
    form_status = [s for s in at.selectbox if s.label == "Status"][0]
    form_status.set_value("At risk")
    at.button[[b.label for b in at.button].index("Save")].click().run()
    log = audit_log(demo_db)
    assert len(log) == 1 and log[0]["changed_by"] == "analyst" and log[0]["new_status"] == "At risk"


def test_upload_over_the_size_limit_is_refused(demo_db, monkeypatch, app, tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text("upload_limit_mb = 1\n")
    monkeypatch.setenv("SBP_SETTINGS", str(settings))
    at = sign_in(app(demo_db, "pages/data_page.py"), "analyst", PASSWORD)
    version = store.data_version(demo_db)
    big = b"month,area,category,count\n" + b"2023-11,Bromley,ASB calls,1\n" * 50_000  # about 1.4 MB
    at.file_uploader[0].set_value(("big.csv", big, "text/csv"))
    at.run()
    at.button(key="data_load").click().run()
    assert any("larger than the 1 MB limit" in e.value for e in at.error)
    assert store.data_version(demo_db) == version


def test_xlsx_upload_has_its_own_limit(demo_db, monkeypatch, app, tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text("xlsx_upload_limit_mb = 1\n")
    monkeypatch.setenv("SBP_SETTINGS", str(settings))
    at = sign_in(app(demo_db, "pages/data_page.py"), "analyst", PASSWORD)
    version = store.data_version(demo_db)
    at.file_uploader[0].set_value(("dashboard.xlsx", b"PK\x03\x04" + b"\x00" * 1_400_000, "application/octet-stream"))
    at.run()
    at.button(key="data_load").click().run()
    assert any("dashboard.xlsx: larger than the 1 MB limit" in shown_text(e.value) for e in at.error)
    assert store.data_version(demo_db) == version
