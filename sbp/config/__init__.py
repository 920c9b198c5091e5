"""Measures, priorities, category aliases and the London borough list, read from data/."""

from __future__ import annotations

import csv
import functools
import hashlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple
from dataclasses import dataclass, field
from pathlib import Path

from sbp.errors import ConfigError
from sbp.config import checks
from sbp.config.settings import DATA_DIR, load_settings, shown_path

DIRECTIONS = ("lower_is_better", "higher_is_better")
COUNTS = ("offences", "positive_outcomes")
CROSSWALK_COLUMNS = ["scheme", "major_category", "minor_category", "comparable"]
# What a count is a count of, as a plural noun (a measure's `unit`), and its singular for a count of 1.
DEFAULT_UNITS = "offences"  # what a measure counts unless it says (Measure.unit, counts)
UNITS = {DEFAULT_UNITS: "offence", "incidents": "incident", "calls": "call", "crimes": "crime",
         "positive outcomes": "positive outcome"}


def unit_word(units: str, n: int | None = None) -> str:
    """The unit for a count of n: 'offences', or 'offence' when n is 1 ('incident', 'call', ...)."""
    if n != 1:
        return units
    return UNITS.get(units, units[:-1] if units.endswith("s") else units)


@dataclass(frozen=True)
class Measure:
    """A named count: a set of MPS categories or long-format series."""

    id: str
    label: str
    majors: tuple[str, ...] = ()
    minors: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    all: bool = False
    direction: str = "lower_is_better"
    denominator: str = "residents"
    parent: str | None = None
    subtypes: tuple[str, ...] = ()     # MPS Monthly Crime Dashboard crime subtypes (exact, any case)
    counts: str = "offences"           # for subtypes: "offences" or "positive_outcomes"
    published_in: str = ""             # the published file that fills this measure, said when none is loaded
    minus: str | None = None           # a measure whose counts are subtracted (borough level, months where both load)
    police_uk: tuple[str, ...] = ()         # police.uk crime types
    police_uk_except: tuple[str, ...] | None = None  # every police.uk crime type except these (None: not used)
    unit: str = ""                     # what is counted, plural ('incidents'); '' = offences (positive outcomes)

    @property
    def units(self) -> str:
        """The plural noun every count of this measure is shown in: the one place the unit word is decided."""
        return self.unit or ("positive outcomes" if self.counts == "positive_outcomes" else DEFAULT_UNITS)


@dataclass(frozen=True)
class CrosswalkRow:
    """One MPS category in one category scheme, and the comparable group it belongs to in every scheme."""

    scheme: str
    major_category: str
    minor_category: str
    comparable: str


@dataclass(frozen=True)
class Priority:
    """A partnership priority and the measures that report on it."""

    id: str
    title: str
    measures: tuple[str, ...]
    headline: str = ""  # the measure its slide and page open on ('' = the first of measures)

    @property
    def headline_measure(self) -> str:
        """The measure this priority leads with: its configured headline, else the first it lists."""
        return self.headline or self.measures[0]


# A London borough with its comparator and tile-map attributes and ONS code (a row of data/boroughs.csv).
Borough = NamedTuple("Borough", [("name", str), ("short_name", str), ("inner_outer", str), ("tile_col", int),
                                 ("tile_row", int), ("code", str)])


@dataclass(frozen=True)
class Config:
    """Everything configured in data/: measures, priorities and aliases."""

    measures: dict[str, Measure]
    priorities: tuple[Priority, ...]
    aliases: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # level -> current -> previous names
    crosswalk: tuple[CrosswalkRow, ...] = ()

    def spellings(self, level: str, name: str) -> tuple[str, ...]:
        """The name and every earlier spelling of it at level 'major' or 'minor'."""
        return (name, *self.aliases.get(level, {}).get(name, ()))


MEASURE_KEYS = {"label": ("text", False), "majors": ("texts", False), "minors": ("texts", False),
                "series": ("texts", False), "all": ("bool", False), "direction": ("text", False),
                "denominator": ("text", False), "parent": ("text", False), "subtypes": ("texts", False),
                "counts": ("text", False), "published_in": ("text", False), "minus": ("text", False),
                "police_uk": ("texts", False), "police_uk_except": ("texts", False), "unit": ("text", False)}
PRIORITY_KEYS = {"id": ("text", True), "title": ("text", True), "measures": ("texts", True), "headline": ("text", False)}
ALIAS_KEYS = {"level": ("text", True), "current": ("text", True), "previous": ("texts", False)}


def load_config(path: Path | None = None) -> Config:
    """Read and check the measures file the settings name (data/measures.toml by default), or path; every problem
    is a one-line ConfigError."""
    path = path or DATA_DIR / load_settings()["measures_file"]
    where = shown_path(path)
    raw = checks.read_toml(path, where)
    checks.top_level(raw, where, ("measures", "priorities", "aliases"))
    measures: dict[str, Measure] = {}
    if not isinstance(raw.get("measures", {}), dict):
        raise ConfigError(f"{where}: measures must be written as [measures.<id>] tables")
    for mid, spec in raw.get("measures", {}).items():
        spec = checks.table(spec, where, f"measure {mid!r}", MEASURE_KEYS)
        measure = Measure(
            id=mid, label=spec.get("label", mid.replace("_", " ").capitalize()),
            majors=tuple(spec.get("majors", ())), minors=tuple(spec.get("minors", ())),
            series=tuple(spec.get("series", ())), all=bool(spec.get("all", False)),
            direction=spec.get("direction", "lower_is_better"), denominator=spec.get("denominator", "residents"),
            parent=spec.get("parent"), subtypes=tuple(spec.get("subtypes", ())), counts=spec.get("counts", "offences"),
            published_in=spec.get("published_in", ""), minus=spec.get("minus"), police_uk=tuple(spec.get("police_uk", ())),
            police_uk_except=tuple(spec["police_uk_except"]) if "police_uk_except" in spec else None,
            unit=spec.get("unit", ""),
        )
        if not isinstance(measure.unit, str) or measure.unit != measure.unit.strip().lower():
            raise ConfigError(f"{where}: measure {mid!r} has unit = {checks.shown(measure.unit)}; expected a plural noun "
                              "in lower case, e.g. 'incidents'")
        if measure.direction not in DIRECTIONS:
            raise ConfigError(f"{where}: measure {mid!r} has direction = {checks.shown(measure.direction)}; "
                              f"expected one of {', '.join(repr(d) for d in DIRECTIONS)}")
        if not (measure.majors or measure.minors or measure.series or measure.subtypes or measure.all or measure.police_uk
                or measure.police_uk_except is not None):
            raise ConfigError(f"{where}: measure {mid!r} names no categories (majors, minors, series, subtypes, all "
                              "or police_uk)")
        if measure.counts not in COUNTS:
            raise ConfigError(f"{where}: measure {mid!r} has counts = {checks.shown(measure.counts)}; "
                              f"expected one of {', '.join(repr(c) for c in COUNTS)}")
        measures[mid] = measure
    builtin = police_uk_measures()
    for spec in raw.get("priorities", []):  # a priority may report on the built-in police.uk measures
        for mid in spec.get("measures", []):
            if mid not in measures and mid in builtin:
                measures[mid] = builtin[mid]
    for m in measures.values():
        if m.parent and m.parent not in measures:
            raise ConfigError(f"{where}: measure {m.id!r} has unknown parent {m.parent!r}")
        if m.minus and (m.minus not in measures or measures[m.minus].minus):
            raise ConfigError(f"{where}: measure {m.id!r} subtracts {m.minus!r}, which is unknown or itself a difference")
    priorities: list[Priority] = []
    for number, spec in enumerate(checks.array(raw, "priorities", where), start=1):
        spec = checks.table(spec, where, f"priority {number}", PRIORITY_KEYS)
        if spec["id"] in {p.id for p in priorities}:
            raise ConfigError(f"{where}: priority {number} repeats the id {spec['id']!r}; ids must be unique")
        if missing := [m for m in spec["measures"] if m not in measures]:
            raise ConfigError(f"{where}: priority {spec['id']!r} lists unknown measures {missing}")
        headline = spec.get("headline", "")
        if headline and headline not in spec["measures"]:
            raise ConfigError(f"{where}: priority {spec['id']!r} has headline = {checks.shown(headline)}, which is not one "
                              "of its measures")
        priorities.append(Priority(id=spec["id"], title=spec["title"], measures=tuple(spec["measures"]),
                                   headline=headline))
    aliases: dict[str, dict[str, tuple[str, ...]]] = {}
    for number, spec in enumerate(checks.array(raw, "aliases", where), start=1):
        spec = checks.table(spec, where, f"alias {number}", ALIAS_KEYS)
        if spec["level"] not in ("major", "minor"):
            raise ConfigError(f"{where}: alias for {spec['current']!r} has level = {checks.shown(spec['level'])}; "
                              "expected 'major' or 'minor'")
        aliases.setdefault(spec["level"], {})[spec["current"]] = tuple(spec.get("previous", ()))
    return Config(measures=measures, priorities=tuple(priorities), aliases=aliases,
                  crosswalk=load_crosswalk(path.with_name("category_crosswalk.csv")))


def load_crosswalk(path: Path) -> tuple[CrosswalkRow, ...]:
    """Read the MPS category crosswalk (every minor category of every scheme and its comparable group); () if absent."""
    if not path.exists():
        return ()
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != CROSSWALK_COLUMNS:
            raise ConfigError(f"{shown_path(path)}: the header must be {','.join(CROSSWALK_COLUMNS)}")
        rows = tuple(CrosswalkRow(**{k: (v or "").strip() for k, v in r.items()}) for r in reader)
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.scheme, row.minor_category.lower())
        if not all((row.scheme, row.minor_category, row.comparable)) or key in seen:
            raise ConfigError(f"{shown_path(path)}: {row.minor_category!r} is empty or listed twice in scheme {row.scheme!r}")
        seen.add(key)
    return rows


# The crime types police.uk publishes (street-level files, since 2013), each a measure police_uk_<type>.
POLICE_UK_CRIME_TYPES = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other crime",
    "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting", "Theft from the person",
    "Vehicle crime", "Violence and sexual offences",
)


@functools.cache
def police_uk_measures() -> dict[str, Measure]:
    """The built-in police.uk measures: all_crime (every type but anti-social behaviour), one per crime type, and
    asb_incidents (police.uk's anti-social behaviour rows, or a long-format "Anti-social behaviour" series).

    Every measures file (London's, or a partnership's via SBP_SETTINGS) may list them in a priority without
    defining them; a measure of the same id in the file wins. They are never added to MPS measures.
    """
    measures = [Measure(id="all_crime", label="All crime", police_uk_except=("Anti-social behaviour",)),
                Measure(id="asb_incidents", label="ASB incidents (police.uk)", series=("Anti-social behaviour",),
                        published_in="police.uk street-level crime and ASB download (data.police.uk, custom download)",
                        unit="incidents")]
    measures += [  # anti-social behaviour is not a crime: police.uk counts it in incidents
        Measure(id="police_uk_" + "_".join("".join(ch if ch.isalnum() else " " for ch in t.lower()).split()),
                label=t, police_uk=(t,), unit="incidents" if t == "Anti-social behaviour" else "")
        for t in POLICE_UK_CRIME_TYPES
    ]
    return {m.id: m for m in measures}


def default_config() -> Config:
    """The configuration the settings name (data/measures.toml by default) and the category crosswalk, read again
    when either changes."""
    path = DATA_DIR / load_settings()["measures_file"]
    return _config_of(path, checks.file_stamp(path), checks.file_stamp(path.with_name("category_crosswalk.csv")))


@functools.lru_cache(maxsize=4)
def _config_of(path: Path, *stamps: tuple[int, int]) -> Config:
    return load_config(path)


_FINGERPRINTS: dict[int, tuple[Config, str]] = {}


def config_fingerprint(config: Config) -> str:
    """A digest of everything in the configuration that changes comparison figures (memoised per config object)."""
    known = _FINGERPRINTS.get(id(config))
    if known is None or known[0] is not config:
        if len(_FINGERPRINTS) > 64:
            _FINGERPRINTS.clear()
        text = (repr(sorted((m.id, m) for m in config.measures.values())) + repr(sorted(config.aliases.items()))
                + repr(config.crosswalk))
        known = _FINGERPRINTS[id(config)] = (config, hashlib.sha256(text.encode()).hexdigest()[:16])
    return known[1]


@functools.cache
def london_boroughs() -> tuple[Borough, ...]:
    """The 32 London boroughs from data/boroughs.csv."""
    with open(DATA_DIR / "boroughs.csv", newline="", encoding="utf-8") as handle:
        return tuple(
            Borough(r["borough"], r["short_name"], r["inner_outer"], int(r["tile_col"]), int(r["tile_row"]), r["code"])
            for r in csv.DictReader(handle)
        )


def readable_spellings(names: Iterable[str]) -> list[str]:
    """One spelling of each category name that differs only in case (the 2021-23 scheme's 'Shoplifting', today's
    'SHOPLIFTING': the same category, counted alike), the one not in capitals where there is one, in first-seen order."""
    chosen: dict[str, str] = {}
    for name in names:
        key = name.casefold()
        if key not in chosen or (chosen[key].isupper() and not name.isupper()):
            chosen[key] = name
    return list(chosen.values())


def measure_options(
    config: Config, majors: Sequence[str], minors: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """Selectable measures: configured ones, then whole MPS majors ('major:X') and minors ('minor:X'), with labels.

    A category with the same name as a configured measure is listed once, as the measure; one spelled differently in
    two schemes once, as readable_spellings names it.
    """
    taken = {m.label.casefold() for m in config.measures.values()}
    majors = [m for m in readable_spellings(majors) if m.casefold() not in taken]
    minors = [m for m in readable_spellings(minors) if m.casefold() not in taken]
    options = list(config.measures) + [f"major:{m}" for m in majors] + [f"minor:{m}" for m in minors]
    labels = ({m: config.measures[m].label for m in config.measures} | {f"major:{m}": f"{m} (all)" for m in majors}
              | {f"minor:{m}": m for m in minors})
    return options, labels


COMPARATOR_GROUPS = {"all": "All London", "outer": "Outer London (ONS)", "inner": "Inner London (ONS)",
                     "similar": "Similar boroughs"}


def comparator_group(kind: str, focus: str, loaded: Sequence[str], similar: Sequence[str]) -> list[str]:
    """The boroughs of a comparator group ('all', 'outer', 'inner', 'similar') among those loaded, focus always in it.

    Inner and outer London follow the ONS definition (data/boroughs.csv): Haringey and Newham are inner, Greenwich
    outer, unlike the London Government Act 1963.
    """
    sides = {b.name: b.inner_outer for b in london_boroughs()}
    if kind == "all":
        members = list(loaded)
    elif kind in ("outer", "inner"):
        members = [b for b in loaded if sides.get(b, "").lower() == kind]
    elif kind == "similar":
        members = [b for b in similar if b in set(loaded)]
    else:
        raise ConfigError(f"Unknown comparator group {kind!r}; use one of {', '.join(COMPARATOR_GROUPS)}")
    return members if focus in members or focus not in set(loaded) else [focus, *members]


def check_configuration(data_dir: Path = DATA_DIR) -> list[str]:
    """Load and check the settings in force (SBP_SETTINGS, else settings.toml), the measures file they name and
    objectives.toml in data_dir; returns the files checked.

    Raises a one-line ConfigError for the first problem, including an objective of an unconfigured priority.
    """
    from sbp.config.objectives import load_objectives
    from sbp.config.settings import load_settings, settings_path

    settings_file = settings_path() if data_dir == DATA_DIR else data_dir / "settings.toml"
    settings = load_settings(settings_file)
    paths = [settings_file, data_dir / settings["measures_file"], data_dir / "objectives.toml"]
    config = load_config(paths[1])
    ids = [p.id for p in config.priorities]
    for objective in load_objectives(paths[2]):
        if objective.priority not in ids:
            raise ConfigError(f"{shown_path(paths[2])}: objective {objective.title!r} has priority "
                              f"{objective.priority!r}; expected one of the priority ids in {shown_path(paths[1])}: {ids}")
    from sbp.config.objectives import flatten
    from sbp.config.partner import PARTNER_FILE, load_partner_measures

    partner_file = data_dir / PARTNER_FILE
    numbers = {(o.priority, o.number) for o in flatten(load_objectives(paths[2]))}
    for measure in load_partner_measures(partner_file).values():
        if measure.priority and measure.priority not in ids:
            raise ConfigError(f"{shown_path(partner_file)}: partner measure {measure.id!r} has priority "
                              f"{measure.priority!r}; expected one of the priority ids in {shown_path(paths[1])}: {ids}")
        if measure.objective and (measure.priority, measure.objective) not in numbers:
            raise ConfigError(f"{shown_path(partner_file)}: partner measure {measure.id!r} names objective "
                              f"{measure.objective!r} of {measure.priority!r}, which {shown_path(paths[2])} does not have")
    return [shown_path(p) for p in [*paths, partner_file] if p.exists()]
