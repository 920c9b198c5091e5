"""Notices for bad values in a link name things as users see them, in grammatical English."""

from __future__ import annotations

from sbp.web.urlstate import pick, pick_many


def test_a_refused_value_names_the_default_by_its_label_not_its_id():
    labels = {"violence_with_injury": "Violence with injury", "burglary": "Total burglary"}
    value, notice = pick("nonsense", list(labels), "violence_with_injury", "measure", label=labels.get)
    assert value == "violence_with_injury"
    assert "showing Violence with injury instead" in notice and "violence_with_injury" not in notice


def test_one_dropped_value_is_singular_and_several_plural():
    _, one = pick_many(["burglary", "nope"], ["burglary"], [], "category", plural="categories")
    assert one == "1 category in the link is not available and was ignored."
    _, two = pick_many(["x", "y"], ["burglary"], ["burglary"], "category", plural="categories")
    assert two == "2 categories in the link are not available and were ignored."
