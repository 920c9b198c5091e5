"""The areas a file may name: London boroughs, known non-borough areas, London ward codes, the LSOA name pattern.

An area outside these lists is refused at ingest with the closest known names, unless the user adds it on
purpose (`python -m sbp ingest --new-area NAME`), so a misspelt borough can never become a second copy of it.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
from collections.abc import Iterable

from sbp.config import london_boroughs
from sbp.config.settings import DATA_DIR
from sbp.errors import quoted

LSOA_NAME = re.compile(r"^\S.* [0-9]{3}[A-Z]$")          # ONS LSOA names: district name, space, NNNX
LSOA_CODE = re.compile(r"^[EW]01[0-9]{6}$")


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def non_borough_areas() -> tuple[str, ...]:
    """Areas that appear in extracts or population files but are not among the 32 boroughs (data/non_borough_areas.csv)."""
    return tuple(r["area"] for r in _rows("non_borough_areas.csv"))


@functools.cache
def known_boroughs() -> frozenset[str]:
    """Every name a borough column may hold: the 32 boroughs and the known non-borough areas."""
    return frozenset(b.name for b in london_boroughs()) | frozenset(non_borough_areas())


@functools.cache
def london_wards() -> dict[str, tuple[str, str]]:
    """London ward code -> (ward name, borough), from data/london_wards.csv (ONS LSOA21 -> ward -> LAD lookup)."""
    return {r["ward_code"]: (r["ward_name"], r["borough"]) for r in _rows("london_wards.csv")}


@functools.cache
def london_ward_names() -> frozenset[str]:
    """Every London ward name (names repeat across boroughs; codes do not)."""
    return frozenset(name for name, _ in london_wards().values())


@functools.cache
def lsoa11_districts() -> dict[str, str]:
    """District a 2011 LSOA name carries -> the 2021 LSOA names' district it lies wholly in (data/lsoa11_districts.csv)."""
    return {r["district"]: r["successor"] for r in _rows("lsoa11_districts.csv")}


def area_key(name: str) -> str:
    """How an area name is matched wherever one is typed or listed: case and surrounding spaces ignored."""
    return name.strip().casefold()


def find_area(name: str, areas: Iterable[str], aliases: Iterable[tuple[str, str]] = ()) -> str | None:
    """The area in areas that name means (case and spaces ignored), else the one an (alias, area) pair names."""
    areas = list(areas)
    wanted = area_key(name)
    match = next((a for a in areas if area_key(a) == wanted), None)
    if match is None:
        match = next((area for alias, area in aliases if area_key(alias) == wanted and area in areas), None)
    return match


def closest(name: str, known: frozenset[str] | set[str], n: int = 3) -> list[str]:
    """The known names most like name, best first."""
    return difflib.get_close_matches(name, sorted(known), n=n, cutoff=0.6)


def unknown_area_problem(kind: str, names: list[str], known: frozenset[str] | set[str]) -> str:
    """One line for names that are not known areas: the closest known names and how to add a new one on purpose."""
    shown = names[:3]
    hints = []
    for name in shown:
        near = closest(name, known)
        hints.append(quoted(name) + (f" (did you mean {' or '.join(repr(c) for c in near)}?)" if near else ""))
    more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
    return (
        f"unknown {kind} {', '.join(hints)}{more}; if it is really a new area, load again with "
        f"--new-area {quoted(shown[0])}"
    )
