"""Settings and configuration are checked on load: a bad value is refused with one line naming file, key and what is allowed."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest

from sbp.cli import main
from sbp.config import check_configuration, load_config
from sbp.config.objectives import load_objectives
from sbp.config.settings import DATA_DIR, SETTINGS, load_settings
from sbp.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

# One refused value per setting, with words its message must contain.
BAD = {
    "focus_borough": ("7", "non-empty text"),
    "partnership_name": ('""', "non-empty text"),
    "comparator": ('"forces"', "'force', 'all' or a non-empty list of area names"),
    "comparator_name": ("[]", "text in quotes"),
    "measures_file": ('"measure.toml"', "a .toml file that exists under data/"),
    "similar_boroughs": ('"Sutton"', "list of area names"),
    "significance_level": ('"0.05"', "number between 0 and 1"),
    "rag_rule": ('"signficance"', "one of 'london', 'significance', 'benchmark'"),
    "benchmark_confidence": ('"95"', "one of 95, 99.8"),
    "exception_baseline_months": ("2.5", "whole number from 3 to 120"),
    "exception_probability": ("1.5", "number between 0 and 1"),
    "exception_min_count": ("-1", "whole number from 0"),
    "upload_limit_mb": ("true", "whole number from 1"),
    "xlsx_upload_limit_mb": ("0", "whole number from 1"),
}


def test_every_setting_has_a_refused_value_below():
    assert set(BAD) == {s.name for s in SETTINGS}


def test_the_documented_settings_table_lists_every_setting_with_its_default():
    doc = (REPO / "docs" / "settings-and-operations.md").read_text(encoding="utf-8")
    after = doc[doc.index("| setting | default | what it does |"):].splitlines()[2:]
    table = {}
    for row in itertools.takewhile(lambda line: line.startswith("|"), after):
        name, default, _ = (cell.strip().strip("`") for cell in row.strip("|").split("|", 2))
        table[name] = default
    assert table == {s.name: repr(s.default) for s in SETTINGS}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_value_is_refused_with_one_line_naming_file_key_and_what_is_allowed(tmp_path: Path, name: str):
    value, allowed = BAD[name]
    path = tmp_path / "settings.toml"
    path.write_text(f"{name} = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {name} = {value} is not allowed; expected ")
    assert allowed in message


def test_good_values_load_and_a_changed_file_is_read_again(tmp_path: Path):
    path = tmp_path / "settings.toml"
    path.write_text('rag_rule = "significance"\nsignificance_level = 0.01\nsimilar_boroughs = ["Sutton"]\n')
    assert load_settings(path) | {} == load_settings(path)
    assert (load_settings(path)["rag_rule"], load_settings(path)["significance_level"]) == ("significance", 0.01)
    path.write_text('rag_rule = "london"\n')
    assert load_settings(path)["rag_rule"] == "london" and load_settings(path)["significance_level"] == 0.05


MEASURES = '''
[measures.burglary]
label = "Total burglary"
majors = ["Burglary"]
'''


@pytest.mark.parametrize(("extra", "words"), [
    ('[[priorities]]\ntitle = "Safer"\nmeasures = ["burglary"]\n', "priority 1 has no 'id'"),
    ('[[priorities]]\nid = "x"\ntitle = "Safer"\nmeasures = "burglary"\n', 'priority 1 has measures = "burglary"; expected a list'),
    ('[[priorities]]\nid = "x"\ntitle = "S"\nmeasures = ["nope"]\n', "priority 'x' lists unknown measures ['nope']"),
    ('[[priorities]]\nid = "x"\ntitle = "S"\nmeasures = []\n[[priorities]]\nid = "x"\ntitle = "T"\nmeasures = []\n',
     "priority 2 repeats the id 'x'"),
    ('[measures.knife]\nminors = "Knife"\n', "measure 'knife' has minors = \"Knife\"; expected a list"),
    ('[measures.knife]\nminors = ["Knife"]\ndirection = "up"\n', "measure 'knife' has direction = \"up\""),
    ('[measures.knife]\nminors = ["Knife"]\ncolour = "red"\n', "measure 'knife' has unknown keys ['colour']"),
    ('[[aliases]]\nlevel = "major"\nprevious = ["Old"]\n', "alias 1 has no 'current'"),
    ('[[aliases]]\nlevel = "ward"\ncurrent = "New"\n', "alias for 'New' has level = \"ward\""),
    ('[measure.knife]\nminors = ["Knife"]\n', "unknown top-level keys ['measure']"),
])
def test_measures_config_problems_are_one_line(tmp_path: Path, extra: str, words: str):
    path = tmp_path / "measures.toml"
    path.write_text(MEASURES + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(f"{path}: ") and words in str(caught.value)


@pytest.mark.parametrize(("objective", "words"), [
    ('priority = "p"\nstatus = "Achieved"\nupdated = "2022-03-31"\n', "objective 1 has no 'title'"),
    ('priority = "p"\ntitle = "T"\nstatus = "Achieved"\nupdated = "31/03/2022"\n', 'updated = "31/03/2022"; expected a date'),
    ('priority = "p"\ntitle = "T"\nstatus = "Done"\nupdated = "2022-03-31"\n', "has status 'Done'"),
])
def test_objectives_problems_are_one_line(tmp_path: Path, objective: str, words: str):
    path = tmp_path / "objectives.toml"
    path.write_text("[[objectives]]\n" + objective, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_objectives(path)
    assert "\n" not in str(caught.value) and words in str(caught.value)


def test_settings_check_command(tmp_path: Path, capsys):
    assert main(["settings", "--check"]) == 0
    assert ("data/settings.toml, data/measures.toml, data/objectives.toml, data/partner_measures.toml are valid"
            in capsys.readouterr().out)

    for name in ("settings.toml", "measures.toml", "objectives.toml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    (tmp_path / "objectives.toml").write_text(
        (tmp_path / "objectives.toml").read_text().replace('priority = "vawg"', 'priority = "vawg2"', 1))
    with pytest.raises(ConfigError, match="priority 'vawg2'; expected one of the priority ids"):
        check_configuration(tmp_path)


@pytest.mark.parametrize("change,problem", [
    (('objective = "5"', 'objective = "9"'), "partner measure 'cctv_arrest_assists' names objective '9' of "
                                             "'safer_neighbourhoods', which "),
    (('priority = "safer_neighbourhoods"', 'priority = "safer"'), "partner measure 'cctv_arrest_assists' has priority 'safer'"),
    (('unit = "count"', 'unit = "pints"'), "partner measure 'cctv_arrest_assists' has unit = \"pints\""),
    (('word = "incidents"\n', ''), "partner measure 'cctv_arrest_assists' counts something; say what with word"),
])
def test_partner_measures_are_checked_against_the_priorities_and_objectives(tmp_path: Path, change, problem):
    for name in ("settings.toml", "measures.toml", "objectives.toml", "partner_measures.toml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    path = tmp_path / "partner_measures.toml"
    path.write_text(path.read_text().replace(*change, 1))
    with pytest.raises(ConfigError, match=re.escape(problem)):
        check_configuration(tmp_path)
