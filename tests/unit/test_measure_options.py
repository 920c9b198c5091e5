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


def test_a_category_spelt_in_capitals_in_one_scheme_is_listed_once_in_its_readable_spelling():
    """Both schemes loaded: 2021-23's 'Shoplifting' and today's 'SHOPLIFTING' are one category (counted alike)."""
    options, labels = measure_options(default_config(), ["THEFT", "Theft", "ARSON AND CRIMINAL DAMAGE"],
                                      ["SHOPLIFTING", "ARSON", "Shoplifting", "Arson", "STALKING AND HARASSMENT"])
    assert [o for o in options if ":" in o] == ["major:Theft", "major:ARSON AND CRIMINAL DAMAGE", "minor:Shoplifting",
                                                "minor:Arson", "minor:STALKING AND HARASSMENT"]
    assert labels["minor:Shoplifting"] == "Shoplifting"
