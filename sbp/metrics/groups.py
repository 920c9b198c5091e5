"""Comparator groups: which areas each borough-level area is ranked and totalled with, and the group's name."""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb

from sbp.metrics import queries

ALL_AREAS = "All areas"


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
        listed = {a.lower() for a in mode}
        name = settings.get("comparator_name") or "Comparator group"
        rows = [(a, name if a.lower() in listed else f) for a, f in rows]
    return rows


def groups_key(groups: list[tuple[str, str]]) -> str:
    """A digest of a grouping, so a stored cube is used only under the grouping it was built with."""
    text = repr(sorted(groups))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
