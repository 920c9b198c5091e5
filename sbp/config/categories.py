"""Which categories the configuration knows, and what to tell the user about the ones it does not.

Known categories, in any case: every minor category of every scheme in the crosswalk
(data/category_crosswalk.csv), the MPS category list (data/mps_categories.csv), every category a measure names and
every alias spelling (data/measures.toml). Which categories a measure counts comes from sbp.config.schemes.
"""

from __future__ import annotations

import csv
import difflib
import functools
from collections.abc import Iterable

from sbp.config import Config, default_config, schemes
from sbp.config.settings import DATA_DIR
from sbp.errors import quoted

SHOWN = 5  # unknown categories named in the ingest summary; the rest are counted


@functools.cache
def _listed_minors() -> frozenset[str]:
    with open(DATA_DIR / "mps_categories.csv", newline="", encoding="utf-8") as handle:
        return frozenset(r["minor_category"] for r in csv.DictReader(handle))


def known_minor_categories(config: Config) -> frozenset[str]:
    """Every minor category name the configuration knows, lower case (crosswalk, listed, named by a measure, alias)."""
    named = {name for m in config.measures.values() for name in m.minors}
    aliases = {old for current, olds in config.aliases.get("minor", {}).items() for old in (current, *olds)}
    crosswalk = {row.minor_category for row in config.crosswalk}
    return frozenset(name.lower() for name in _listed_minors() | named | aliases | crosswalk)


def _measures_like(major: str, minor: str, config: Config) -> list[str]:
    """Measures an unknown category might belong to: same major category, or a similarly named minor."""
    found = []
    for m in config.measures.values():
        majors = {s.lower() for name in m.majors for s in config.spellings("major", name)}
        minors = [s.lower() for name in m.minors for s in config.spellings("minor", name)]
        if major.lower() in majors or difflib.get_close_matches(minor.lower(), minors, n=1, cutoff=0.6):
            found.append(m.id)
    return found


def category_notes(pairs: Iterable[tuple[str, str]], config: Config | None = None) -> list[str]:
    """Lines for the ingest summary: categories the configuration does not know, and measures this file leaves empty."""
    config = config or default_config()
    pairs = sorted(set(pairs))
    known = known_minor_categories(config)
    unknown = [(major, minor) for major, minor in pairs if minor.lower() not in known]
    notes = []
    if unknown:
        described = []
        for major, minor in unknown[:SHOWN]:
            like = _measures_like(major, minor, config)
            described.append(quoted(minor) + (f" (might belong to {', '.join(like)})" if like else ""))
        more = f" and {len(unknown) - SHOWN} more" if len(unknown) > SHOWN else ""
        notes.append(
            f"{len(unknown)} categories are not in the configuration (data/category_crosswalk.csv, data/measures.toml): "
            f"{'; '.join(described)}{more}. Add them to the crosswalk (or, for a category only respelled, an alias) so "
            "measures count them."
        )
    minors = {minor.lower() for _, minor in pairs}
    majors = {major.lower() for major, _ in pairs}
    empty = []
    for m in config.measures.values():
        counted_majors, counted_minors, _ = schemes.resolve(m, config)
        if (m.majors or m.minors) and not (counted_majors & majors or counted_minors & minors):
            empty.append(m.id)
    if empty and pairs:
        notes.append(f"measures with none of their categories in this file (they show n/a for its months): {', '.join(empty)}")
    return notes
