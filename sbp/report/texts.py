"""The report's own wording in one place: the synthetic notice, data caveats, definitions and source names.

The paragraphs about each measure come from sbp.display.narrative; the table's definitions from
sbp.display.boardtable.definitions (generated from the settings in force).
"""

from __future__ import annotations

from typing import Any

from sbp.display import boardtable
from sbp.config import Config
from sbp.config.sources import (FORCE_LOOKUP, LONG_COUNTS, LSOA11_LOOKUP, LSOA_LOOKUP, MPS_BOROUGH, MPS_LSOA, MPS_WARD,
                                ONS_POPULATION, POLICE_UK, POPULATION)
from sbp.config.settings import settings_path, shown_path

SYNTHETIC_NOTICE = "SYNTHETIC DEMO DATA \u2014 not real crime figures"

CAVEATS = (
    ("Revisions",
     "The MPS revises past months in every new extract as crimes are recorded late, reclassified or cancelled, "
     "so figures for the same period can differ from an earlier report. The figures here come from the files "
     "listed under Provenance; 'months replaced' says how many already-loaded months a later file revised."),
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
     "crimes a force records in another force's area count for the area where they happened. The number of such "
     "rows is given by `python -m sbp status`."),
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
    LONG_COUNTS: "Monthly series",
    POPULATION: "Resident population",
    ONS_POPULATION: "ONS mid-year population estimates",
    LSOA_LOOKUP: "ONS LSOA to local authority lookup",
    LSOA11_LOOKUP: "ONS LSOA 2011 to LSOA 2021 lookup",
    FORCE_LOOKUP: "ONS local authority to police force area lookup",
}

SIGNIFICANCE_TEST = (
    "An exact conditional test of two Poisson counts over equal periods: given the two years' total, this "
    "year's count is Binomial(total, 1/2) if nothing changed. The change is significant when the two-sided "
    "p-value is below the significance level ({level:g}, i.e. the {confidence}% level)."
)

MISSING_CAVEAT = (
    "Measures shown as n/a",
    "No comparison is available for {measures}, so they show as n/a (never as zero). {reasons} Files are loaded "
    "with `python -m sbp ingest` or on the Data page.",
)
QUALITY_CAVEAT = "Offences not attributed to a borough"
SYNTHETIC_CAVEAT = (
    "Synthetic data",
    "Every figure in this report comes from the synthetic demo store: generated numbers in the real MPS formats, "
    "for demonstration only. They are not real crime figures.",
)


def definitions(settings: dict[str, Any], config: Config, comparator: str = boardtable.LONDON) -> tuple[tuple[str, str], ...]:
    """The board table's definitions for the settings and comparator in force, with the significance test and RAG rule."""
    out = list(boardtable.definitions(settings, comparator))
    level = float(settings["significance_level"])
    out.append(("Significance test", ": " + SIGNIFICANCE_TEST.format(level=level,
                                                                      confidence=boardtable.confidence_text(level))))
    higher = [m.label.lower() for m in config.measures.values() if m.direction == "higher_is_better"]
    text = f": rag_rule = '{settings['rag_rule']}', set in {shown_path(settings_path())} (see RAG above)."
    if higher:
        text += f" Where higher is better ({', '.join(higher)}), the right way is up."
    out.append(("RAG rule in use", text))
    return tuple(out)
