"""Every measure's categories in each MPS category scheme, exactly: pure configuration, no data needed.

The table below is written by hand from the published category lists (the shared MPS files and
category_schemes_london_totals_2021-12_to_2023-11.csv), not from the code. Each test asks the product's own
selection (sbp.metrics.materialized.measure_rows, which fills measure_map, over a scheme's published categories) and
the config layer's (sbp.config.schemes.categories_for) which (source, major, minor) categories a measure counts, and
docs/definitions.md must say the same. tests/integration/test_measure_schemes_real.py checks the table against the
shared files and the product's London totals.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sbp.config import POLICE_UK_CRIME_TYPES, default_config, schemes
from sbp.config.sources import LONG_COUNTS, MPS_BOROUGH, MPS_DASHBOARD, POLICE_UK
from sbp.metrics.materialized import measure_rows

REPO = Path(__file__).resolve().parents[2]
SCHEMES = ("2021-23", "current")
ALL = "every category of the scheme"

# The Monthly Crime Dashboard workbook's subtypes as published (OtherCrimeData, 2021-08 to 2023-07), stored as
# (measure, subtype); a subtype in two cases is stored once under its first spelling in sort order.
DASHBOARD_SUBTYPES = (
    "AntiSemitic", "Disability Crime", "Domestic Abuse", "Domestic Abuse Violence with Injury", "Faith Crime",
    "Gun Crime", "Gun Crime Personal Robbery", "Hate crime", "Homophobic Crime", "Islamophobic Crime", "Knife Crime",
    "Knife Crime with Injury", "Knife Crime with Injury (Personal Robbery)", "Knife Injury Victims (1-24)",
    "Knife Injury Victims (non DA 1-24)", "Lethal Barrel Discharge", "Racist Crime", "Racist and Religious Crime",
    "Robbery Mobile phone", "TNO Non Victim Based", "TNO Victim Based", "Theft Person - Mobile phone",
    "Transphobic Crime",
)
LONG_SERIES = ("ASB calls", "Domestic abuse", "Knife crime", "Hate crime", "Anti-social behaviour")


def offences(subtype: str, sign: int = 1) -> tuple[str, str, str, int]:
    return (MPS_DASHBOARD, "Offences", subtype, sign)


def outcomes(subtype: str) -> tuple[str, str, str, int]:
    return (MPS_DASHBOARD, "Positive Outcomes", subtype, 1)


def series(name: str) -> tuple[str, str, str, int]:
    return (LONG_COUNTS, name, name, 1)


VWI = {"2021-23": {("Violence Against the Person", "Violence with Injury")},
       "current": {("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITH INJURY")}}
NO_MPS = {"2021-23": set(), "current": set()}

# measure id -> {scheme: the MPS (major, minor) categories it counts there (None: not defined, unknown in that
# scheme's months), "other": the (source, major, minor, sign) categories it counts outside the MPS schemes}.
EXPECTED: dict[str, dict] = {
    "total_notifiable_offences": {"2021-23": ALL, "current": ALL, "other": set()},
    "violence_with_injury": {**VWI, "other": set()},
    "burglary": {
        "2021-23": {("Burglary", "Burglary Business and Community"), ("Burglary", "Domestic Burglary")},
        "current": {("BURGLARY", "BURGLARY BUSINESS AND COMMUNITY"), ("BURGLARY", "DOMESTIC BURGLARY"),
                    ("BURGLARY", "RES BURGLARY OF A HOME"), ("BURGLARY", "RES BURGLARY OF UNCONNECTED BUILDING"),
                    ("BURGLARY", "BURGLARY - RESIDENTIAL")},
        "other": set(),
    },
    # 2021-23 "Domestic Burglary" (76,342 in Dec 2021-Nov 2023) = current DOMESTIC BURGLARY + RES BURGLARY OF A HOME +
    # RES BURGLARY OF UNCONNECTED BUILDING (76,304); BURGLARY - RESIDENTIAL is a handful of offences in the 2024-26 file.
    "residential_burglary": {
        "2021-23": {("Burglary", "Domestic Burglary")},
        "current": {("BURGLARY", "DOMESTIC BURGLARY"), ("BURGLARY", "RES BURGLARY OF A HOME"),
                    ("BURGLARY", "RES BURGLARY OF UNCONNECTED BUILDING"), ("BURGLARY", "BURGLARY - RESIDENTIAL")},
        "other": set(),
    },
    "motor_vehicle_theft": {
        "2021-23": {("Vehicle Offences", "Theft or Taking of a Motor Vehicle")},
        "current": {("VEHICLE OFFENCES", "THEFT OR UNAUTH TAKING OF A MOTOR VEH")},
        "other": set(),
    },
    "asb_calls": {**NO_MPS, "other": {series("ASB calls")}},
    "sexual_offences": {
        "2021-23": {("Sexual Offences", "Rape"), ("Sexual Offences", "Other Sexual Offences")},
        "current": {("SEXUAL OFFENCES", "RAPE"), ("SEXUAL OFFENCES", "OTHER SEXUAL OFFENCES")},
        "other": set(),
    },
    "rape": {"2021-23": {("Sexual Offences", "Rape")}, "current": {("SEXUAL OFFENCES", "RAPE")}, "other": set()},
    "other_sexual_offences": {
        "2021-23": {("Sexual Offences", "Other Sexual Offences")},
        "current": {("SEXUAL OFFENCES", "OTHER SEXUAL OFFENCES")},
        "other": set(),
    },
    "domestic_abuse": {**NO_MPS, "other": {series("Domestic abuse"), offences("Domestic Abuse")}},
    "knife_crime": {**NO_MPS, "other": {series("Knife crime"), offences("Knife Crime")}},
    "knife_crime_with_injury": {**NO_MPS, "other": {offences("Knife Crime with Injury")}},
    # One of the six 2021-23 weapons minors; the current scheme has one POSSESSION OF WEAPONS for all six.
    "knife_possession": {
        "2021-23": {("Possession of Weapons", "Possession of Article with Blade or Point")},
        "current": None,
        "other": set(),
    },
    "robbery_personal_property": {
        "2021-23": {("Robbery", "Robbery of Personal Property")},
        "current": {("ROBBERY", "ROBBERY OF PERSONAL PROPERTY")},
        "other": set(),
    },
    "hate_crime": {**NO_MPS, "other": {series("Hate crime"), offences("Hate crime")}},
    "racially_religiously_aggravated_public_order": {
        "2021-23": {("Public Order Offences", "Racially or Religiously Aggravated Public Fear, Al")},
        "current": {("PUBLIC ORDER OFFENCES", "RACE OR RELIGIOUS AGG PUBLIC FEAR")},
        "other": set(),
    },
    "racist_religious_hate_crime": {**NO_MPS, "other": {offences("Racist and Religious Crime")}},
    "racist_hate_crime": {**NO_MPS, "other": {offences("Racist Crime")}},
    "faith_hate_crime": {**NO_MPS, "other": {offences("Faith Crime")}},
    "antisemitic_hate_crime": {**NO_MPS, "other": {offences("AntiSemitic")}},
    "islamophobic_hate_crime": {**NO_MPS, "other": {offences("Islamophobic Crime")}},
    "homophobic_hate_crime": {**NO_MPS, "other": {offences("Homophobic Crime")}},
    "transphobic_hate_crime": {**NO_MPS, "other": {offences("Transphobic Crime")}},
    "disability_hate_crime": {**NO_MPS, "other": {offences("Disability Crime")}},
    # Violence with injury (MPS file) minus domestic abuse violence with injury (workbook), both for the same months.
    "non_domestic_violence_with_injury": {**VWI, "other": {offences("Domestic Abuse Violence with Injury", -1)}},
    "domestic_abuse_violence_with_injury": {**NO_MPS, "other": {offences("Domestic Abuse Violence with Injury")}},
    "hate_crime_positive_outcomes": {**NO_MPS, "other": {outcomes("Hate crime")}},
    "domestic_abuse_positive_outcomes": {**NO_MPS, "other": {outcomes("Domestic Abuse")}},
    "knife_crime_positive_outcomes": {**NO_MPS, "other": {outcomes("Knife Crime")}},
    # Built in (sbp.config.police_uk_measures), listed in a priority: police.uk's anti-social behaviour rows, or a
    # long-format series of that name.
    "asb_incidents": {**NO_MPS, "other": {(POLICE_UK, "Anti-social behaviour", "Anti-social behaviour", 1),
                                          series("Anti-social behaviour")}},
}


def published(scheme: str) -> list[tuple[str, str, str]]:
    """Every category a store could hold in a month of the scheme: the scheme's MPS list, the workbook, series, police.uk."""
    config = default_config()
    return ([(MPS_BOROUGH, major, minor) for major, minor in schemes.scheme_categories(config, scheme)]
            + [(MPS_DASHBOARD, measure, subtype) for measure in ("Offences", "Positive Outcomes")
               for subtype in DASHBOARD_SUBTYPES]
            + [(LONG_COUNTS, name, name) for name in LONG_SERIES]
            + [(POLICE_UK, t, t) for t in POLICE_UK_CRIME_TYPES])


def expected_mps(measure_id: str, scheme: str) -> set[tuple[str, str]] | None:
    wanted = EXPECTED[measure_id][scheme]
    return set(schemes.scheme_categories(default_config(), scheme)) if wanted == ALL else wanted


def test_the_table_covers_every_configured_measure() -> None:
    assert sorted(EXPECTED) == sorted(default_config().measures)


def test_each_scheme_lists_the_published_categories() -> None:
    config = default_config()
    old, current = (set(schemes.scheme_categories(config, s)) for s in SCHEMES)
    assert len(old) == 56 and len({major for major, _ in old}) == 12
    assert len(current) == 34 and len({major for major, _ in current}) == 13
    assert ("Possession of Weapons", "Possession of Other Weapon") in old
    assert ("POSSESSION OF WEAPONS", "POSSESSION OF WEAPONS") in current


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("measure_id", sorted(EXPECTED))
def test_a_measure_counts_exactly_these_categories_in_a_scheme(measure_id: str, scheme: str) -> None:
    config = default_config()
    measure = config.measures[measure_id]
    wanted = expected_mps(measure_id, scheme)
    # The config layer: which of the scheme's categories the measure counts, or None where it is not defined.
    found = schemes.categories_for(measure, config, scheme)
    assert (None if found is None else set(found)) == wanted
    assert (scheme in schemes.resolve(measure, config)[2]) == (wanted is not None)
    # The product: the measure_map rows for a store holding every published category of the scheme.
    rows = {row[1:] for row in measure_rows(published(scheme), [measure], config)}
    mps = {(major, minor, sign) for source, major, minor, sign in rows if source == MPS_BOROUGH}
    assert mps == {(major, minor, 1) for major, minor in wanted or ()}
    assert {r for r in rows if r[0] != MPS_BOROUGH} == EXPECTED[measure_id]["other"]


def test_a_measure_unknown_in_a_scheme_says_so() -> None:
    config = default_config()
    assert schemes.undefined_schemes(config.measures["knife_possession"], config) == ["current"]
    assert [m for m in config.measures.values() if schemes.undefined_schemes(m, config)] == [config.measures["knife_possession"]]


def test_every_category_name_a_measure_uses_is_a_published_category() -> None:
    """Every major and minor a measure names, with every alias spelling, is in a scheme of the crosswalk (any case).

    An alias for a scheme the crosswalk does not list cannot be checked: if the older category was only part of
    the measure (e.g. "Wounding/GBH", which was violence with injury without "Assault with Injury"), the measure
    would count short in that scheme's months instead of being unknown. Add such a scheme to the crosswalk.
    """
    config = default_config()
    majors = {r.major_category.lower() for r in config.crosswalk}
    minors = {r.minor_category.lower() for r in config.crosswalk}
    unlisted = [(m.id, level, spelling) for m in config.measures.values()
                for level, names, listed in (("major", m.majors, majors), ("minor", m.minors, minors))
                for name in names for spelling in config.spellings(level, name) if spelling.lower() not in listed]
    unlisted += [("alias", level, old) for level, by_current in config.aliases.items()
                 for olds in by_current.values() for old in olds
                 if old.lower() not in (majors if level == "major" else minors)]
    assert unlisted == []


def test_the_mps_category_list_is_the_2021_23_scheme() -> None:
    """data/mps_categories.csv (the demo's categories and the known names) is the 2021-23 scheme's published list."""
    import csv

    with open(REPO / "data" / "mps_categories.csv", newline="", encoding="utf-8") as handle:
        listed = {(r["major_category"], r["minor_category"]) for r in csv.DictReader(handle)}
    assert listed == set(schemes.scheme_categories(default_config(), "2021-23"))


# --- docs/definitions.md: "What each measure counts" says the same -------------------------------------------------

def doc_rows(heading: str) -> dict[str, list[str]]:
    """The rows of the first table under a heading of docs/definitions.md, keyed by the measure id in column 1."""
    text = (REPO / "docs" / "definitions.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    rows = [line.strip().strip("|").split(" | ") for line in section.splitlines() if line.startswith("| `")]
    return {re.fullmatch(r"`(\w+)`", cells[0].strip()).group(1): [c.strip() for c in cells[1:]] for cells in rows}


def ticked(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


def test_the_definitions_page_gives_each_mps_measure_in_each_scheme() -> None:
    config = default_config()
    rows = doc_rows("### MPS category measures, by scheme")
    mps = sorted(mid for mid, e in EXPECTED.items() if e["2021-23"] or e["current"])
    assert sorted(rows) == mps
    for mid in mps:
        label, *cells = rows[mid]
        assert label == config.measures[mid].label, mid
        for scheme, cell in zip(SCHEMES, cells):
            wanted = EXPECTED[mid][scheme]
            if wanted is None:
                assert cell.startswith("unknown"), (mid, scheme, cell)
            elif wanted == ALL:
                assert cell.startswith("every category"), (mid, scheme, cell)
            else:
                assert ticked(cell) == {minor for _, minor in wanted}, (mid, scheme, cell)


def test_the_definitions_page_gives_each_other_measure() -> None:
    config = default_config()
    rows = doc_rows("### Monthly Crime Dashboard, series and police.uk measures")
    others = sorted(mid for mid, e in EXPECTED.items() if not (e["2021-23"] or e["current"]))
    assert sorted(rows) == others
    for mid in others:
        label, cell = rows[mid][0], " ".join(rows[mid][1:])
        assert label == config.measures[mid].label, mid
        assert ticked(cell) == {minor for _, _, minor, _ in EXPECTED[mid]["other"]}, (mid, cell)


def test_the_report_definition_names_what_each_measure_counts() -> None:
    from sbp.report.trace import measure_definition

    config = default_config()
    for m in config.measures.values():
        text = measure_definition(m, config)
        assert text.startswith(f"{m.label} = ") and text != f"{m.label} = ", m.id
        for name in (*m.majors, *m.minors, *m.subtypes, *m.series):
            assert name in text, (m.id, name)
    assert measure_definition(config.measures["non_domestic_violence_with_injury"], config) == (
        "Non-domestic violence with injury = Violence with Injury (minor category) minus domestic abuse violence with "
        "injury (offences of the subtype Domestic Abuse Violence with Injury in the MPS Monthly Crime Dashboard "
        "workbook), for the months where both are loaded")
    assert "unknown (not 0) in months of the current (2024 on) MPS category scheme" in measure_definition(
        config.measures["knife_possession"], config)
    assert measure_definition(config.measures["hate_crime_positive_outcomes"], config) == (
        "Hate crime positive outcomes = positive outcomes of the subtype Hate crime in the MPS Monthly Crime Dashboard "
        "workbook")
