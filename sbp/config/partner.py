"""Partner measures (what the council, CCTV and Trading Standards count), read from data/partner_measures.toml.

A partner measure is never a police count: it has its own unit (a count of something, money in pounds, people or a
percentage) and its own words, and is shown beside the police measures, never added to them or made a rate.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from sbp.config import checks
from sbp.config.settings import DATA_DIR, shown_path
from sbp.errors import ConfigError

PARTNER_FILE = "partner_measures.toml"
# A partner measure's unit: the value column of a partner file is read in it.
PARTNER_UNITS = ("count", "pounds", "people", "percent")
DIRECTIONS = ("higher_is_better", "lower_is_better")
MEASURE_KEYS = {"label": ("text", True), "unit": ("text", True), "word": ("text", False), "source": ("text", False),
                "priority": ("text", False), "objective": ("any", False), "direction": ("text", False),
                "description": ("text", False)}


@dataclass(frozen=True)
class PartnerMeasure:
    """One partner measure: its label, unit and unit word, who reports it and the objective it evidences."""

    id: str
    label: str
    unit: str                 # one of PARTNER_UNITS
    word: str = ""            # what a count or a number of people is of, plural ('incidents', 'recipients')
    source: str = ""          # the partner who reports it ('CCTV control room'); a file's source column says it too
    priority: str = ""        # the priority page it is shown on ('' = none)
    objective: str = ""       # the objective (or sub-objective, '1.2') of that priority it is evidence for
    direction: str = ""       # 'higher_is_better' / 'lower_is_better' ('' = neither; a file row may say)
    description: str = ""     # what it is, in a sentence, for the definitions

    @property
    def words(self) -> str:
        """The plural noun shown after a value: the configured word, else 'people' for people, '' otherwise."""
        return self.word or ("people" if self.unit == "people" else "")


def load_partner_measures(path: Path | None = None) -> dict[str, PartnerMeasure]:
    """The partner measures of data/partner_measures.toml (or path), checked; {} when the file does not exist."""
    path = path or DATA_DIR / PARTNER_FILE
    if not path.exists():
        return {}
    return dict(_read(path, checks.file_stamp(path)))


@functools.lru_cache(maxsize=4)
def _read(path: Path, stamp: tuple[int, int]) -> tuple[tuple[str, PartnerMeasure], ...]:
    where = shown_path(path)
    raw = checks.read_toml(path, where)
    checks.top_level(raw, where, ("measures",))
    if not isinstance(raw.get("measures", {}), dict):
        raise ConfigError(f"{where}: measures must be written as [measures.<id>] tables")
    found = []
    for mid, spec in raw.get("measures", {}).items():
        spec = checks.table(spec, where, f"partner measure {mid!r}", MEASURE_KEYS)
        if spec["unit"] not in PARTNER_UNITS:
            raise ConfigError(f"{where}: partner measure {mid!r} has unit = {checks.shown(spec['unit'])}; expected one of "
                              f"{', '.join(repr(u) for u in PARTNER_UNITS)}")
        if spec.get("direction", "") not in ("", *DIRECTIONS):
            raise ConfigError(f"{where}: partner measure {mid!r} has direction = {checks.shown(spec['direction'])}; "
                              f"expected one of {', '.join(repr(d) for d in DIRECTIONS)}")
        word = spec.get("word", "")
        if word != word.strip().lower():
            raise ConfigError(f"{where}: partner measure {mid!r} has word = {checks.shown(word)}; expected a plural noun "
                              "in lower case, e.g. 'incidents'")
        if spec["unit"] == "count" and not word:
            raise ConfigError(f"{where}: partner measure {mid!r} counts something; say what with word = 'incidents' "
                              "(a plural noun)")
        if "objective" in spec and "priority" not in spec:
            raise ConfigError(f"{where}: partner measure {mid!r} names an objective but no priority; add priority = "
                              "'<priority id>'")
        found.append((mid, PartnerMeasure(
            id=mid, label=spec["label"], unit=spec["unit"], word=word, source=spec.get("source", ""),
            priority=spec.get("priority", ""), objective=str(spec.get("objective", "")),
            direction=spec.get("direction", ""), description=spec.get("description", ""))))
    return tuple(found)


def for_priority(priority_id: str, path: Path | None = None) -> list[PartnerMeasure]:
    """The partner measures shown on one priority's page, in file order."""
    return [m for m in load_partner_measures(path).values() if m.priority == priority_id]
