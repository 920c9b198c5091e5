"""Comparator groups: the focus borough is always in its group; inner/outer London follow the ONS definition."""

from __future__ import annotations

import pytest

from sbp.config import comparator_group, london_boroughs

LOADED = [b.name for b in london_boroughs()]


def test_the_focus_borough_is_in_its_similar_boroughs_group():
    group = comparator_group("similar", "Bromley", LOADED, ["Bexley", "Sutton", "Havering"])
    assert group == ["Bromley", "Bexley", "Sutton", "Havering"]


def test_the_focus_borough_is_in_the_outer_group_even_when_it_is_inner():
    assert "Camden" in comparator_group("outer", "Camden", LOADED, [])
    assert "Camden" not in comparator_group("outer", "Bromley", LOADED, [])


def test_inner_and_outer_london_follow_the_ons_definition():
    inner = set(comparator_group("inner", "Camden", LOADED, []))
    outer = set(comparator_group("outer", "Bromley", LOADED, []))
    assert {"Haringey", "Newham"} <= inner and "Greenwich" in outer
    assert inner.isdisjoint(outer) and len(inner) + len(outer) == 32
    assert len(inner) == 13  # the ONS's 14 inner London authorities less the City of London


def test_shipped_settings_give_bromley_a_similar_group():
    from sbp.config.settings import load_settings

    similar = load_settings()["similar_boroughs"]
    assert len(comparator_group("similar", "Bromley", LOADED, similar)) >= 6


def test_an_unknown_group_is_refused():
    from sbp.errors import ConfigError

    with pytest.raises(ConfigError, match="Unknown comparator group"):
        comparator_group("everyone", "Bromley", LOADED, [])
