"""Objective status edits: applied over the shipped file, audited, and conflicting saves refused."""

from __future__ import annotations

import pytest

from sbp.store.objective_edits import EditConflictError, audit_log, current_objectives, save_status
from sbp.config.objectives import objectives_for


def test_shipped_objectives_include_the_year_end_statuses():
    shipped = {o.title: o.status for o in objectives_for("safer_neighbourhoods")}
    assert len(shipped) == 7
    assert shipped["Use an intelligence led approach"] == "Achieved and continues"
    assert shipped["CCTV"] == "Achieved and ongoing"


def test_an_edit_is_applied_and_audited(db):
    before = dict((o.number, (o.status, rev)) for o, rev in current_objectives("safer_neighbourhoods", db))
    assert before["4"] == ("Achieved and continues", 0)
    revision = save_status("safer_neighbourhoods", "4", "On track", "Violence with injury down 3%.", "alice", 0, db)
    assert revision == 1
    after = dict((o.number, (o.status, o.evidence, rev)) for o, rev in current_objectives("safer_neighbourhoods", db))
    assert after["4"] == ("On track", "Violence with injury down 3%.", 1)
    log = audit_log(db)
    assert len(log) == 1
    assert (log[0]["changed_by"], log[0]["old_status"], log[0]["new_status"]) == ("alice", "Achieved and continues", "On track")


def test_two_admins_editing_the_same_status_get_a_conflict(db):
    save_status("safer_neighbourhoods", "1", "At risk", "", "alice", 0, db)
    with pytest.raises(EditConflictError, match="Another admin changed this objective"):
        save_status("safer_neighbourhoods", "1", "Achieved", "", "bob", 0, db)
    status = {o.number: o.status for o, _ in current_objectives("safer_neighbourhoods", db)}
    assert status["1"] == "At risk"
    assert [r["changed_by"] for r in audit_log(db)] == ["alice"]


def test_unknown_status_is_refused(db):
    from sbp.errors import SbpError

    with pytest.raises(SbpError, match="not a status"):
        save_status("safer_neighbourhoods", "1", "Done-ish", "", "alice", 0, db, allowed_statuses=["Achieved"])
    assert audit_log(db) == []


def test_a_sub_objective_is_edited_and_audited_on_its_own(db):
    assert save_status("safer_neighbourhoods", "1.2", "At risk", "CIDs paused in two wards.", "alice", 0, db) == 1
    objectives = {o.number: o for o, _ in current_objectives("safer_neighbourhoods", db)}
    cids = next(s for s in objectives["1"].subs if s.number == "1.2")
    assert (cids.status, cids.evidence) == ("At risk", "CIDs paused in two wards.")
    assert objectives["1"].status == "Achieved"  # the parent keeps its own status
    assert [(r["number"], r["old_status"], r["new_status"]) for r in audit_log(db)] == [("1.2", "Achieved", "At risk")]
    with pytest.raises(EditConflictError):
        save_status("safer_neighbourhoods", "1.2", "Achieved", "", "bob", 0, db)
