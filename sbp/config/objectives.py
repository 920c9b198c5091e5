"""The partnership's objectives per priority, with sub-objectives, status and evidence, read from data/objectives.toml."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sbp.errors import ConfigError
from sbp.config import checks
from sbp.config.settings import DATA_DIR, shown_path

STATUS_TONE = {  # how a status reads on a panel: good, continuing, watch, bad, neutral
    "Achieved": "good", "Achieved and continues": "good", "Achieved and ongoing": "good",
    "On track": "continuing", "At risk": "bad", "Not started": "neutral",
}


@dataclass(frozen=True)
class Objective:
    """One objective (or sub-objective, numbered like '1.2') of a priority; evidence items are separated by newlines."""

    priority: str
    number: str
    title: str
    status: str
    description: str
    evidence: str
    updated: dt.date
    subs: tuple[Objective, ...] = ()

    @property
    def evidence_items(self) -> list[str]:
        """The evidence as separate items (one per line)."""
        return [line.strip() for line in self.evidence.splitlines() if line.strip()]


def _text(value: Any) -> str:
    """A TOML string, or a list of strings (evidence items) joined one per line."""
    if isinstance(value, list):
        return "\n".join(str(v).strip() for v in value)
    return str(value or "")


OBJECTIVE_KEYS = {"priority": ("text", True), "number": ("any", False), "title": ("text", True),
                  "status": ("text", True), "description": ("prose", False), "evidence": ("prose", False),
                  "updated": ("date", True), "sub": ("tables", False)}
SUB_OBJECTIVE_KEYS = {k: v for k, v in OBJECTIVE_KEYS.items() if k != "priority"}


def _objective(spec: dict, priority: str, statuses: list[str], where: str, what: str,
               keys: dict[str, tuple[str, bool]] = SUB_OBJECTIVE_KEYS) -> Objective:
    spec = checks.table(spec, where, what, keys)
    if spec.get("status") not in statuses:
        raise ConfigError(f"{where}: objective {spec.get('title')!r} has status {spec.get('status')!r}; use one of {statuses}")
    updated = spec.get("updated")
    number = str(spec.get("number", ""))
    subs = tuple(_objective(sub, priority, statuses, where, f"sub-objective {i} of objective {number}")
                 for i, sub in enumerate(spec.get("sub", []), start=1))
    if any(not s.number.startswith(number + ".") for s in subs):
        raise ConfigError(f"{where}: sub-objectives of objective {number} must be numbered {number}.1, {number}.2, ...")
    return Objective(
        priority=priority, number=number, title=spec["title"], status=spec["status"],
        description=_text(spec.get("description")), evidence=_text(spec.get("evidence")),
        updated=updated if isinstance(updated, dt.date) else dt.date.fromisoformat(str(updated)), subs=subs,
    )


def load_objectives(path: Path | None = None) -> list[Objective]:
    """All objectives (with their sub-objectives) from data/objectives.toml (or path), checked against the statuses.

    Read again whenever the file changes (keyed on its modification time and size), as the settings are."""
    return list(_loaded(*_stamped(path))[0])


def _stamped(path: Path | None) -> tuple[Path, int, int]:
    path = path or DATA_DIR / "objectives.toml"
    return (path, *checks.file_stamp(path))


@functools.lru_cache(maxsize=8)
def _loaded(path: Path, mtime_ns: int, size: int) -> tuple[tuple[Objective, ...], tuple[str, ...]]:
    """The objectives and the status names of one version of the file (Objectives are frozen: shared safely)."""
    where, raw, statuses = _read(path)
    objectives = tuple(_objective(spec, spec.get("priority"), statuses, where, f"objective {index}", OBJECTIVE_KEYS)
                       for index, spec in enumerate(checks.array(raw, "objectives", where), start=1))
    return objectives, tuple(statuses)


def _read(path: Path) -> tuple[str, dict, list[str]]:
    """The file as shown in messages, its tables and the status names, checked."""
    where = shown_path(path)
    raw = checks.read_toml(path, where)
    checks.top_level(raw, where, ("statuses", "objectives"))
    statuses = checks.table(raw.get("statuses", {}), where, "[statuses]", {"order": ("texts", False)})
    return where, raw, list(statuses.get("order", list(STATUS_TONE)))


def flatten(objectives: list[Objective]) -> Iterator[Objective]:
    """Each objective followed by its sub-objectives."""
    for objective in objectives:
        yield objective
        yield from objective.subs


def load_statuses(path: Path | None = None) -> list[str]:
    """The configured status names, in order."""
    return list(_loaded(*_stamped(path))[1])


def objectives_for(priority_id: str, path: Path | None = None) -> list[Objective]:
    """The objectives of one priority, in file order."""
    return [o for o in load_objectives(path) if o.priority == priority_id]


def review_warning(updated: dt.date, period_start: dt.date, period_end: dt.date) -> str | None:
    """'Last reviewed ...' when a status predates the data period it is shown beside, else None."""
    if updated >= period_start:
        return None
    return (f"Last reviewed {updated:%-d %B %Y}, before the period shown "
            f"({period_start:%b %Y} to {period_end:%b %Y}): check this status is still current.")
