"""Comparator groups: which areas each borough-level area is ranked and totalled with, and the group's name."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from sbp.config import COMPARATOR_GROUPS, comparator_group
from sbp.config.areas import area_key
from sbp.metrics import queries

ALL_AREAS = "All areas"
LONDON = "London"


@dataclass(frozen=True)
class Comparators:
    """The focus area's comparator (its force area, 'London' for the Met's) and the subgroups it can be shown with."""

    name: str
    labels: dict[str, str]         # subgroup kind ('all', 'outer', 'inner', 'similar') -> its label, those offered
    members: dict[str, list[str]]  # subgroup kind -> its areas, the focus always among them

    def label(self, kind: str) -> str:
        """A subgroup's label ('All London'); an unknown kind reads as the whole group."""
        return self.labels.get(kind, self.labels["all"])


def comparators_for(focus: str, areas: Sequence[str], forces: Mapping[str, str], similar: Sequence[str]) -> Comparators:
    """The comparator subgroups of focus among the areas loaded (forces: area -> its force area)."""
    name = forces.get(focus, LONDON)
    in_force = [a for a in areas if forces.get(a) == name]
    labels = COMPARATOR_GROUPS | {"all": f"All {name}"}
    if name != LONDON:  # inner/outer London means nothing elsewhere
        labels = {k: v for k, v in labels.items() if k not in ("outer", "inner")} | {"similar": "Similar areas"}
    if not set(similar) & (set(in_force) - {focus}):
        del labels["similar"]  # no configured similar area is loaded: the group would be the focus alone
    return Comparators(name, labels, {kind: comparator_group(kind, focus, in_force, similar) for kind in labels})


def area_groups(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> list[tuple[str, str]]:
    """(area_name, group_name) for every borough-level area that is ranked; strays are in no group.

    Setting `comparator`: 'force' (default) groups each area with its police force's areas (the Met's are named
    London); 'all' puts every area loaded in one group; a list of area names makes them one group named by
    `comparator_name`, every other area staying with its force.
    """
    rows = [(a, f) for a, f, stray in con.execute(queries.AREA_FORCE_SQL).fetchall() if not stray]
    mode = settings.get("comparator", "force")
    if mode == "all":
        forces = {f for _, f in rows}
        name = forces.pop() if len(forces) == 1 else ALL_AREAS
        rows = [(a, name) for a, _ in rows]
    elif not isinstance(mode, str):
        listed = {area_key(a) for a in mode}
        name = settings.get("comparator_name") or "Comparator group"
        rows = [(a, name if area_key(a) in listed else f) for a, f in rows]
    return rows


def groups_key(groups: list[tuple[str, str]]) -> str:
    """A digest of a grouping, so a stored cube is used only under the grouping it was built with."""
    text = repr(sorted(groups))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
