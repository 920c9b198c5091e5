"""Category lists: a configured measure and an MPS category of the same name appear once."""

from __future__ import annotations

from sbp.config import default_config, measure_options


def test_robbery_of_personal_property_is_listed_once():
    options, labels = measure_options(default_config(), ["Robbery", "Burglary"],
                                      ["Robbery of Personal Property", "Robbery of Business Property"])
    shown = [labels[o].casefold() for o in options]
    assert shown.count("robbery of personal property") == 1
    assert "robbery_personal_property" in options and "minor:Robbery of Personal Property" not in options
    assert "minor:Robbery of Business Property" in options and "major:Robbery" in options
