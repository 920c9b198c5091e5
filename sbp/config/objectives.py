"""The partnership's objectives per priority, with status and evidence, read from data/objectives.toml."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sbp.errors import ConfigError
from sbp.config.settings import DATA_DIR

STATUS_TONE = {  # how a status reads on a panel: good, continuing, watch, bad, neutral
    "Achieved": "good", "Achieved and continues": "good", "Achieved and ongoing": "good",
    "On track": "continuing", "At risk": "bad", "Not started": "neutral",
}


@dataclass(frozen=True)
class Objective:
    """One objective of a priority."""

    priority: str
    number: str
    title: str
    status: str
    description: str
    evidence: str
    updated: dt.date


def load_objectives(path: Path | None = None) -> list[Objective]:
    """All objectives from data/objectives.toml (or path), checked against the configured statuses."""
    path = path or DATA_DIR / "objectives.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
    statuses = raw.get("statuses", {}).get("order", list(STATUS_TONE))
    out = []
    for spec in raw.get("objectives", []):
        if spec.get("status") not in statuses:
            raise ConfigError(f"{path.name}: objective {spec.get('title')!r} has status {spec.get('status')!r}; use one of {statuses}")
        updated = spec.get("updated")
        out.append(Objective(
            priority=spec["priority"], number=str(spec.get("number", "")), title=spec["title"], status=spec["status"],
            description=spec.get("description", ""), evidence=spec.get("evidence", ""),
            updated=updated if isinstance(updated, dt.date) else dt.date.fromisoformat(str(updated)),
        ))
    return out


def load_statuses(path: Path | None = None) -> list[str]:
    """The configured status names, in order."""
    path = path or DATA_DIR / "objectives.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return list(raw.get("statuses", {}).get("order", list(STATUS_TONE)))


def objectives_for(priority_id: str, path: Path | None = None) -> list[Objective]:
    """The objectives of one priority, in file order."""
    return [o for o in load_objectives(path) if o.priority == priority_id]
