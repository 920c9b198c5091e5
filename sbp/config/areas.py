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
LAD_CODE = re.compile(r"^(E0[6-9]|W06)[0-9]{6}$")      # local authority districts: unitary, district, met., London
PFA_CODE = re.compile(r"^(E23|W15)[0-9]{6}$")           # police force areas
ANY_CODE = re.compile(r"^[EWSNK][0-9]{8}$")             # any ONS (GSS) code: what a name column never holds


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


@functools.cache
def police_forces() -> dict[str, str]:
    """Each spelling of a police force (police.uk's name, the ONS force-area name, a former name), keyed by
    force_key, -> the force as police.uk names it (data/police_forces.csv)."""
    known: dict[str, str] = {}
    for r in _rows("police_forces.csv"):
        for name in (r["force"], r["pfa_name"], *r["other_names"].split(";")):
            if name.strip():
                known[force_key(name)] = r["force"]
    return known


FORCE_WORDS = ("constabulary", "police", "service", "force")  # words every force name may carry or drop


def force_key(name: str) -> str:
    """A force's name as compared: case, punctuation, '&'/'and', word order and the words of FORCE_WORDS ignored
    ("Avon & Somerset Constabulary" = "AVON AND SOMERSET CONSTABULARY" = the ONS "Avon and Somerset")."""
    words = re.sub(r"[^a-z ]", " ", name.lower().replace("&", " and ")).split()
    return " ".join(sorted(w for w in words if w not in FORCE_WORDS))


def published_key(name: str) -> str:
    """An area name as the MPS workbook may publish it, reduced to compare with its code's name: case, a trailing
    "(...)", apostrophes, full stops and '&'/'and' ignored ("St Jamess" = "St James's", "W&le" = "Wandle",
    "Fairfield (Croydon)" = "Fairfield")."""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", name.strip()).lower().replace("&", "and")
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", re.sub(r"['’.]", "", text)).split())


def borough_in(text: str) -> str | None:
    """The London borough a name such as an MPS team ("Tower Hamlets Bromley North") starts with, longest first."""
    lowered = text.strip().lower()
    names = sorted((b.name for b in london_boroughs()), key=len, reverse=True)
    return next((b for b in names if lowered.startswith(b.lower())), None)
