"""Recognise which published format a CSV is from its header row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sbp.config.sources import (FORCE_LOOKUP, LONG_COUNTS, LSOA11_LOOKUP, LSOA_LOOKUP, MPS_BOROUGH, MPS_DASHBOARD,
                                MPS_LSOA, MPS_WARD, ONS_POPULATION, PARTNER, POLICE_UK,
                                POPULATION)
from sbp.errors import IngestError
from sbp.ingest import dashboard
from sbp.ingest.textfile import TextFile

MONTH_COLUMN = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")
POLICE_UK_COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]
LONG_REQUIRED = ["month", "area", "category", "count"]
LONG_OPTIONAL = ["area_level", "borough", "major_category"]
POPULATION_OPTIONAL = ["year", "denominator", "area_level"]
# A partner-measures file (docs/data-formats.md): these columns in any order, the optional ones allowed.
PARTNER_REQUIRED = ["measure_id", "label", "unit", "period", "area", "value", "source"]
PARTNER_OPTIONAL = ["target", "direction", "note"]
# The borough column's two spellings (older borough files: BoroughName).
BOROUGH_COLUMNS = ("LookUp_BoroughName", "BoroughName")
# Each MPS wide layout's name columns: role -> its accepted spellings. Every other column is a month. A layout
# without an area role is at borough level (the borough column is the area).
WIDE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    MPS_WARD: {"major": ("MajorText",), "minor": ("MinorText",), "area": ("WardName",), "code": ("WardCode",),
               "borough": BOROUGH_COLUMNS},
    MPS_BOROUGH: {"major": ("MajorText",), "minor": ("MinorText",), "borough": BOROUGH_COLUMNS},
    MPS_LSOA: {"code": ("LSOA Code",), "area": ("LSOA Name",), "borough": ("Borough",), "major": ("Major Category",),
               "minor": ("Minor Category",)},
}
WIDE_NAMES = frozenset(name for roles in WIDE_COLUMNS.values() for spellings in roles.values() for name in spellings)
AREA_LEVELS = ("borough", "ward", "lsoa")
DENOMINATORS = ("residents", "households")

FORMAT_LABELS = {
    MPS_BOROUGH: "MPS Borough Level Crime (wide, one column per month)",
    MPS_WARD: "MPS Ward Level Crime (wide, one column per month)",
    MPS_LSOA: "MPS LSOA Level Crime (wide, one column per month)",
    POLICE_UK: "police.uk street-level crime",
    MPS_DASHBOARD: "MPS Monthly Crime Dashboard data (Month_Year,Area Type,Borough_SNT,...,Measure,Count), .xlsx or .csv",
    LONG_COUNTS: "long-format counts (month,area,category,count)",
    POPULATION: "population (area,population)",
    LSOA_LOOKUP: "ONS LSOA to ward to local authority lookup (LSOA21CD,LSOA21NM,...,LAD25CD,LAD25NM)",
    LSOA11_LOOKUP: "ONS LSOA (2011) to LSOA (2021) to local authority lookup (LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,"
                   "LAD22CD,LAD22NM,...)",
    FORCE_LOOKUP: "ONS local authority to community safety partnership to police force area lookup (LAD17CD,...,PFA17NM)",
    ONS_POPULATION: "ONS mid-year population estimates workbook (.xls, sheet 'MYE2 - Persons')",
    PARTNER: "partner measures (measure_id,label,unit,period,area,value,source[,target][,direction][,note]), CSV or .xlsx",
}
# Lookup columns by role; the two digits are the boundary year the ONS file is for (LSOA21, WD25, LAD25, ...),
# except where the years are what the lookup is (LSOA 2011 to LSOA 2021).
LOOKUP_ROLES = {
    LSOA_LOOKUP: ("LSOA{}CD", "LSOA{}NM", "WD{}CD", "WD{}NM", "LAD{}CD", "LAD{}NM"),
    LSOA11_LOOKUP: ("LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "CHGIND", "LAD{}CD", "LAD{}NM"),
    FORCE_LOOKUP: ("LAD{}CD", "LAD{}NM", "CSP{}CD", "CSP{}NM", "PFA{}CD", "PFA{}NM"),
}


@dataclass(frozen=True)
class Detected:
    """A recognised format: its name, its name columns and, if wide, its month columns (in header order).

    columns is in role order where the format fixes the roles (MPS wide: WIDE_COLUMNS, see wide_roles; police.uk:
    POLICE_UK_COLUMNS; ONS lookups: LOOKUP_ROLES), else the header itself; a row's field is found by
    TextFile.index(name), never by a position in columns.
    """

    file_format: str
    columns: list[str]
    month_columns: list[str] = field(default_factory=list)


def column_map(d: Detected) -> dict[str, str]:
    """Lower-case role -> the header's own spelling."""
    return {c.lower(): c for c in d.columns}


def wide_roles(d: Detected) -> dict[str, str]:
    """Role (major, minor, borough, and area and code where the layout has them) -> the MPS wide file's own column."""
    return dict(zip(WIDE_COLUMNS[d.file_format], d.columns))


def _wide(text: TextFile) -> Detected | None:
    """An MPS wide file recognised by its name columns, wherever they are; every other column must be a month."""
    h = text.header
    present = WIDE_NAMES.intersection(h)
    for file_format, roles in WIDE_COLUMNS.items():
        # Another layout's name column (WardName in a borough file) means neither layout: the header is refused.
        if not present <= {name for spellings in roles.values() for name in spellings}:
            continue
        columns = [next((name for name in spellings if name in present), None) for spellings in roles.values()]
        if None not in columns:
            return Detected(file_format, columns, _month_columns(text, columns))
    return None


def _month_columns(text: TextFile, columns: list[str]) -> list[str]:
    """The header's month columns in its own order, refusing any other column and any repeat."""
    months: list[str] = []
    seen: set[str] = set()
    for name in text.header:
        if name in seen:
            problem = "this month column appears twice" if MONTH_COLUMN.match(name) else "this column name appears twice in the header"
            raise IngestError(text.original, problem, line=1, column=name)
        seen.add(name)
        if name in columns:
            continue
        if not MONTH_COLUMN.match(name):
            raise IngestError(text.original, "this column is not a month; month columns must be YYYYMM, e.g. 202311", line=1, column=name)
        months.append(name)
    if not months:
        raise IngestError(text.original, "the header has no month columns (YYYYMM) besides the name columns", line=1)
    return months


def _lookup(header: list[str]) -> Detected | None:
    """An ONS lookup recognised by its code and name columns, whatever boundary years it is for."""
    for file_format, roles in LOOKUP_ROLES.items():
        found = []
        for role in roles:
            pattern = re.compile("^" + role.format(r"\d\d") + "$")
            match = next((c for c in header if pattern.match(c)), None)
            if match is None:
                break
            found.append(match)
        else:
            return Detected(file_format, found)
    return None


def partner_columns(text: TextFile) -> Detected | None:
    """A partner-measures file recognised by its required columns (any case, any order); any other column is refused."""
    lowered = [c.lower() for c in text.header]
    if not all(c in lowered for c in PARTNER_REQUIRED):
        return None
    extra = [c for c in text.header if c.lower() not in PARTNER_REQUIRED + PARTNER_OPTIONAL]
    if extra:
        raise IngestError(text.original, "unexpected column in a partner-measures file; allowed: "
                          f"{', '.join(PARTNER_REQUIRED + PARTNER_OPTIONAL)}", line=1, column=extra[0])
    return Detected(PARTNER, text.header)


def detect(text: TextFile) -> Detected:
    """Name the format of a file from its header, or raise an IngestError listing what is accepted."""
    h = text.header
    if (wide := _wide(text)) is not None:
        return wide
    if len(h) == len(POLICE_UK_COLUMNS) and set(h) == set(POLICE_UK_COLUMNS):
        return Detected(POLICE_UK, list(POLICE_UK_COLUMNS))
    if dashboard.roles(h) is not None:
        return Detected(MPS_DASHBOARD, h)
    if (lookup := _lookup(h)) is not None:
        return lookup
    lowered = [c.lower() for c in h]
    if len(set(lowered)) != len(lowered):
        dup = next(c for c in h if lowered.count(c.lower()) > 1)
        raise IngestError(text.original, "this column name appears twice in the header", line=1, column=dup)
    if (partner := partner_columns(text)) is not None:
        return partner
    if all(c in lowered for c in LONG_REQUIRED):
        extra = [c for c in h if c.lower() not in LONG_REQUIRED + LONG_OPTIONAL]
        if extra:
            raise IngestError(text.original, f"unexpected column in a long-format file; allowed: {', '.join(LONG_REQUIRED + LONG_OPTIONAL)}", line=1, column=extra[0])
        return Detected(LONG_COUNTS, h)
    if "population" in lowered and ("area" in lowered or "borough" in lowered):
        allowed = ["area", "borough", "population"] + POPULATION_OPTIONAL
        extra = [c for c in h if c.lower() not in allowed]
        if extra or ("area" in lowered and "borough" in lowered):
            bad = extra[0] if extra else "borough"
            raise IngestError(text.original, "unexpected column in a population file; expected area,population[,year][,denominator][,area_level]", line=1, column=bad)
        return Detected(POPULATION, h)
    start = ",".join(h[:4])[:80]
    raise IngestError(
        text.original,
        f"unrecognised header starting {start!r}; expected one of: " + "; ".join(FORMAT_LABELS.values()),
        line=1,
    )
