"""Every shipped partnership configuration loads: a measure a priority names must exist for that partnership.

The police.uk-only Bristol dashboard once failed on every page (no title within 45 s in the browser test) because
its priorities named asb_incidents, then defined only in London's measures.toml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sbp.config import load_config, police_uk_measures
from sbp.config.settings import DATA_DIR, load_settings

SHIPPED = sorted((DATA_DIR / "partnerships").glob("*_settings.toml")) + [DATA_DIR / "settings.toml"]


@pytest.mark.parametrize("settings_file", SHIPPED, ids=lambda p: p.name)
def test_each_shipped_partnership_configuration_loads(settings_file: Path) -> None:
    settings = load_settings(settings_file)
    config = load_config(DATA_DIR / settings["measures_file"])
    assert config.priorities
    for priority in config.priorities:
        assert all(m in config.measures for m in priority.measures), priority.id


def test_the_built_in_police_uk_measures_serve_any_measures_file(tmp_path: Path) -> None:
    measures = tmp_path / "measures.toml"
    measures.write_text('[[priorities]]\nid = "p"\ntitle = "P"\nmeasures = ["all_crime", "asb_incidents", '
                        '"police_uk_anti_social_behaviour"]\n', encoding="utf-8")
    config = load_config(measures)
    assert config.measures["asb_incidents"] == police_uk_measures()["asb_incidents"]
    assert config.measures["asb_incidents"].series == ("Anti-social behaviour",)
    assert "Anti-social behaviour" in config.measures["all_crime"].police_uk_except
