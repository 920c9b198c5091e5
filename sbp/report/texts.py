"""The report's own wording in one place: the synthetic notice, data caveats, definitions and source names.

The paragraphs about each measure come from sbp.display.narrative; the table's definitions from
sbp.display.boardtable.definitions (generated from the settings in force).
"""

from __future__ import annotations

from typing import Any

from sbp.display import boardtable
from sbp.config import Config
from sbp.config.sources import (FORCE_LOOKUP, LONG_COUNTS, LSOA11_LOOKUP, LSOA_LOOKUP, MPS_BOROUGH, MPS_DASHBOARD,
                                MPS_LSOA, MPS_WARD, ONS_POPULATION, PARTNER, POLICE_UK, POPULATION)
from sbp.config.settings import settings_path, shown_path

SYNTHETIC_NOTICE = "SYNTHETIC DEMO DATA \u2014 not real crime figures"

CAVEATS = (
    ("Revisions",
     "The MPS revises past months in every new extract as crimes are recorded late, reclassified or cancelled, "
     "so figures for the same period can differ from an earlier report. The figures here come from the files "
     "listed under Data files loaded; 'months revised' says how many already-loaded months a later file "
     "revised."),
    ("Small numbers",
     "Where counts are small (rape, knife possession or racially aggravated public order in one borough, say), "
     "a handful of offences makes a large percentage change. Read the % difference with the Significant column: "
     "'No' means the change is within normal year-to-year variation."),
    ("Unlocated offences",
     "Some offences cannot be located to a ward or smaller area, and the MPS reports Heathrow and London City "
     "airports as an area of their own. Both are in the London totals and London % changes, but in no "
     "borough's wards."),
    ("Ward and borough totals",
     "Ward figures do not add up to the borough total: offences without a precise location are left out of "
     "the ward-level extract, so a borough's wards usually sum to a little less than its borough count. This "
     "report uses borough-level figures throughout."),
    ("Rates",
     "Rates use the resident population loaded (Census 2021 unless a later figure is loaded). They take no "
     "account of visitors, commuters or the night-time economy, which raise the rates of central boroughs."),
)

# For areas compared within a police force from police.uk street-level data (not the MPS extracts).
POLICE_UK_CAVEATS = (
    ("Revisions",
     "police.uk republishes a month's file as outcomes are updated and crimes reclassified; a file loaded again "
     "replaces that force's month, so figures for the same period can differ from an earlier report."),
    ("Small numbers", CAVEATS[1][1]),
    ("Offences placed in no area",
     "police.uk places each crime in the LSOA where it happened. Rows with no location, and rows whose LSOA is in "
     "no lookup loaded, are counted for the force but in no area, so each area's figure can be slightly low; "
     "crimes a force records in another force's area count for the area where they happened."),
    ("Areas",
     "Areas are local authorities as of 2025, from the ONS LSOA (2021) lookup; authorities that merged since the "
     "population estimates (Somerset in 2023) are one area, with the sum of their parts' populations."),
    ("Rates",
     "Rates use the ONS mid-year population estimate for the year (or the latest earlier one loaded). They take no "
     "account of visitors, commuters or the night-time economy, which raise the rates of city centres."),
)


def caveats_for(comparator: str) -> tuple[tuple[str, str], ...]:
    """The caveats for London's MPS extracts, or for areas compared within a police force (police.uk)."""
    return CAVEATS if comparator == boardtable.LONDON else POLICE_UK_CAVEATS


# What each kind of file is, for the title page (sbp.ingest.formats.FORMAT_LABELS says how it is laid out).
SOURCE_KINDS = {
    MPS_BOROUGH: "Metropolitan Police recorded crime by borough",
    MPS_WARD: "Metropolitan Police recorded crime by ward",
    MPS_LSOA: "Metropolitan Police recorded crime by LSOA",
    POLICE_UK: "police.uk street-level crime",
    MPS_DASHBOARD: "MPS Monthly Crime Dashboard workbook",
    LONG_COUNTS: "Monthly series loaded by the partnership",
    POPULATION: "Resident population",
    ONS_POPULATION: "ONS mid-year population estimates",
    LSOA_LOOKUP: "ONS LSOA to local authority lookup",
    LSOA11_LOOKUP: "ONS LSOA 2011 to LSOA 2021 lookup",
    FORCE_LOOKUP: "ONS local authority to police force area lookup",
    PARTNER: "Partner measures reported by the partnership's partners",
}

SIGNIFICANCE_TEST = (
    "An exact test of two counts over equal periods. If nothing had changed, each offence of the two years "
    "together would be as likely to fall in either year, like a fair coin toss; the change is significant when a "
    "split at least as uneven as the one recorded would happen by chance less than {percent}% of the time (the "
    "{confidence}% level)."
)

# What the figures under each chart come from, as a board reader names it.
CHART_SOURCES = {
    MPS_BOROUGH: "MPS recorded crime by borough",
    MPS_WARD: "MPS recorded crime by ward",
    MPS_LSOA: "MPS recorded crime by LSOA",
    MPS_DASHBOARD: "MPS Monthly Crime Dashboard workbook",
    POLICE_UK: "police.uk street-level crime",
    LONG_COUNTS: "monthly series loaded by the partnership",
}

MISSING_CAVEAT = (
    "Measures shown as n/a",
    "No comparison is available for {measures}, so they show as n/a (never as zero). {reasons}",
)
QUALITY_CAVEAT = "Offences not attributed to a borough"
SYNTHETIC_CAVEAT = (
    "Synthetic data",
    "Every figure in this report comes from the synthetic demo store: generated numbers in the real MPS formats, "
    "for demonstration only. They are not real crime figures.",
)


def definitions(settings: dict[str, Any], config: Config, comparator: str = boardtable.LONDON,
                measure_ids: tuple[str, ...] | None = None) -> tuple[tuple[str, str], ...]:
    """The board table's definitions in words (no setting names), the significance test and which way is right."""
    out = list(boardtable.definitions(settings, comparator, settings_named=False))
    level = float(settings["significance_level"])
    out.append(("Significance test", ": " + SIGNIFICANCE_TEST.format(
        percent=boardtable.confidence_text(1 - level), confidence=boardtable.confidence_text(level))))
    shown = config.measures if measure_ids is None else {m: config.measures[m] for m in measure_ids}
    higher = [m.label[:1].lower() + m.label[1:] for m in shown.values() if m.direction == "higher_is_better"]
    if higher:
        out.append(("Right way", f": down for every measure but {_joined(higher)}, where up is the aim (more "
                                 "offences reported, more positive outcomes)."))
    return tuple(out)


def technical_settings(settings: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The settings behind the figures, by name, for the technical appendix."""
    return (
        ("Settings file", shown_path(settings_path())),
        ("rag_rule", repr(settings["rag_rule"])),
        ("significance_level", f"{float(settings['significance_level']):g}"),
        ("benchmark_confidence", f"{float(settings['benchmark_confidence']):g}"),
        ("focus_borough", repr(settings["focus_borough"])),
        *((("comparator", repr(settings["comparator"])),) if "comparator" in settings else ()),
    )


def _joined(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"

# Under each priority's partner figures (HTML, PDF and PPTX).
PARTNER_NOTE = ("As each partner reports them, in their own units and for the period named, with the same period a "
                "year earlier where loaded. Not police counts: never added to them or shown per 1,000 residents.")
