"""Priority 1's objectives follow the 2021/22 year-end report item by item: structure, statuses and evidence."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sbp.config.objectives import STATUS_TONE, flatten, objectives_for, review_warning
from sbp.errors import ConfigError
from tests.conftest import SHARED

# (number, title, status) in the report's order: the seven objectives and objective 1's three sub-objectives.
REPORT = [
    ("1", "Improve partnership and stakeholder engagement and collaboration", "Achieved"),
    ("1.1", "A framework for consultation and engagement", "Achieved"),
    ("1.2", "Community Impact Days (CIDs)", "Achieved"),
    ("1.3", "SNTs protect and support vulnerable children and adults", "Achieved and continues"),
    ("2", "Use an intelligence led approach", "Achieved and continues"),
    ("3", "Make use of legislation", "Achieved"),
    ("4", "Reduce violence", "Achieved and continues"),
    ("5", "CCTV", "Achieved and ongoing"),
    ("6", "Reduce risk of financial abuse of the elderly or vulnerable through targeted communications campaigns "
          "and enforcement", "Achieved and ongoing"),
    ("7", "How do we know we are on track?", "Achieved"),
]


def test_priority_one_has_the_reports_objectives_sub_objectives_and_statuses():
    objectives = objectives_for("safer_neighbourhoods")
    assert [o.number for o in objectives] == ["1", "2", "3", "4", "5", "6", "7"]
    assert [(o.number, o.title, o.status) for o in flatten(objectives)] == REPORT
    assert [s.number for s in objectives[0].subs] == ["1.1", "1.2", "1.3"]
    assert all(not o.subs for o in objectives[1:])


def evidence(number: str) -> str:
    return next(o.evidence for o in flatten(objectives_for("safer_neighbourhoods")) if o.number == number)


@pytest.mark.parametrize("number,text", [
    ("1.1", "ASB Action Group"), ("1.2", "4 wards"), ("1.3", "Merlin"),
    ("3", "Public Space Protection Orders"),
    ("4", "VVAP"), ("4", "Violence Reduction Unit"), ("4", "7 active gang nominals, 1 in custody"),
    ("5", "200 fixed cameras"), ("5", "264 incidents"), ("5", "IP digital"),
    ("6", "650"), ("6", "47,000"), ("6", "£507,157"), ("6", "5 call blocker units"),
    ("7", "Quarter 1"), ("7", "end of year update"), ("7", "Tactical Tasking Coordination Group"),
])
def test_evidence_sits_under_the_objective_the_report_puts_it_under(number, text):
    assert text in evidence(number)
    others = [o for o in flatten(objectives_for("safer_neighbourhoods")) if o.number != number]
    assert not any(text in o.evidence for o in others), f"{text!r} also appears under another objective"


def test_no_cctv_gang_or_sub_objective_evidence_under_the_wrong_objective():
    assert evidence("2") == ""  # the report gives objective 2 a description and a status, no evidence of its own
    assert "SNT" not in evidence("4")
    assert "CCTV" not in evidence("2") and "gang" not in evidence("2").lower()


def test_three_how_do_we_know_items_are_separate_evidence_items():
    seven = objectives_for("safer_neighbourhoods")[6]
    assert len(seven.evidence_items) == 3


def test_a_status_older_than_the_period_shown_gets_a_last_reviewed_warning():
    warning = review_warning(dt.date(2022, 3, 31), dt.date(2022, 12, 1), dt.date(2023, 11, 1))
    assert warning.startswith("Last reviewed 31 March 2022")
    assert review_warning(dt.date(2023, 1, 15), dt.date(2022, 12, 1), dt.date(2023, 11, 1)) is None


def test_sub_objectives_must_be_numbered_under_their_objective(tmp_path):
    from sbp.config.objectives import load_objectives

    path = tmp_path / "objectives.toml"
    path.write_text('[[objectives]]\npriority = "p"\nnumber = "1"\ntitle = "A"\nstatus = "Achieved"\n'
                    'updated = "2022-03-31"\n[[objectives.sub]]\nnumber = "2.1"\ntitle = "B"\nstatus = "Achieved"\n'
                    'updated = "2022-03-31"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="numbered 1.1"):
        load_objectives(path)


REFERENCE_REPORT = SHARED.parent / "reference" / "sbp_priority1_safer_neighbourhoods_2021-22_year_end_report.txt"


def report_item_statuses(text: str) -> list[str | None]:
    """The status line the report gives under each numbered item ('1) ...') of objective 7, None where it gives none."""
    section = text[text.index("7. How do we know"):text.index("8. Metrics")]
    lines = [line.strip() for line in section.splitlines() if line.strip()]
    statuses = []
    for i, line in enumerate(lines):
        if re.match(r"\d\) ", line):
            following = lines[i + 1] if i + 1 < len(lines) else ""
            statuses.append(following if following in STATUS_TONE else None)
    return statuses


def test_objective_7s_items_carry_only_the_statuses_the_report_gives_them():
    items = objectives_for("safer_neighbourhoods")[6].evidence_items
    shown = [m.group(1) if (m := re.search(r"\(([^()]+)\)\.?$", item)) and m.group(1) in STATUS_TONE else None
             for item in items]
    assert shown == ["Achieved", "Achieved", None]  # the report gives the third item no status, only evidence
    assert "consistently monitored" in items[2]
    if REFERENCE_REPORT.exists():
        assert shown == report_item_statuses(REFERENCE_REPORT.read_text(encoding="utf-8"))


def test_the_objectives_file_is_read_once_per_version_of_it(tmp_path, monkeypatch):
    """Every priority page view asked for the objectives; the file is read again only when it changes."""
    import os

    from sbp.config import checks
    from sbp.config.objectives import load_objectives, load_statuses

    reads = []
    real_read = checks.read_toml
    monkeypatch.setattr(checks, "read_toml", lambda path, where: reads.append(path) or real_read(path, where))
    path = tmp_path / "objectives.toml"
    text = '[[objectives]]\npriority = "p"\nnumber = "1"\ntitle = "A"\nstatus = "Achieved"\nupdated = "2022-03-31"\n'
    path.write_text(text, encoding="utf-8")
    first = load_objectives(path)
    assert load_objectives(path) == first and load_statuses(path) == list(STATUS_TONE)
    assert len(reads) == 1
    path.write_text(text.replace('"A"', '"An edited title"'), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))  # a later modification
    assert [o.title for o in load_objectives(path)] == ["An edited title"]
    assert len(reads) == 2
