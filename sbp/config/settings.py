"""Every setting in one table, with its default and help; data/settings.toml overrides defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sbp.errors import ConfigError

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class Setting:
    """One named setting: its default and what it does."""

    name: str
    default: Any
    help: str


SETTINGS = [
    Setting("focus_borough", "Bromley", "The partnership's borough: the default area on every page, in the CLI and in reports."),
    Setting("partnership_name", "Safer Bromley Partnership", "Shown in page titles and on report title pages."),
    Setting("comparator", "force", "Who the focus area is ranked and totalled with: 'force' (the areas of its police force, "
                                   "named after the force area; the Met's areas are London), 'all' (every area loaded) or a "
                                   "list of area names."),
    Setting("comparator_name", "", "The name of a comparator given as a list of areas (default 'Comparator group')."),
    Setting("measures_file", "measures.toml", "The measures and priorities file in data/ (e.g. a partnership's own)."),
    Setting("similar_boroughs", [], "The 'similar boroughs' comparator group for rankings (borough names)."),
    Setting("significance_level", 0.05, "Two-sided level for the exact test that a change between two rolling years is real."),
    Setting("rag_rule", "london", "'london': Green if the count moved the right way, Amber if the wrong way by less than London, "
                                  "Red if by more (or significantly, when there is no London figure). 'significance': Red only "
                                  "for a significant change the wrong way, Amber for a non-significant one."),
    Setting("exception_baseline_months", 24, "Months before the latest used to set control limits for exceptions."),
    Setting("exception_probability", 0.001, "Two-sided tail probability outside which a month counts as an exception (Poisson limits)."),
    Setting("exception_min_count", 5, "Ignore exceptions whose count is below this (tiny numbers)."),
    Setting("upload_limit_mb", 100, "Largest file the Data page accepts for upload (keep .streamlit/config.toml server.maxUploadSize equal)."),
    Setting("xlsx_upload_limit_mb", 60, "Largest .xlsx workbook the Data page accepts: a whole-sheet reader holds the "
                                        "sheet in memory (a 22 MB, 470,000-row workbook peaks near 0.9 GB)."),
]
_BY_NAME = {s.name: s for s in SETTINGS}


def settings_path() -> Path:
    """The settings file: env SBP_SETTINGS (a partnership's own file), else data/settings.toml."""
    return Path(os.environ.get("SBP_SETTINGS") or DATA_DIR / "settings.toml")


def load_settings(path: Path | None = None) -> dict[str, Any]:
    """Defaults overlaid with the settings file (or path); unknown names are a ConfigError."""
    values = {s.name: s.default for s in SETTINGS}
    path = path or settings_path()
    if path.exists():
        try:
            overrides = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path.name}: {exc}") from None
        for name, value in overrides.items():
            if name not in _BY_NAME:
                raise ConfigError(f"{path.name}: unknown setting {name!r}; known: {', '.join(_BY_NAME)}")
            values[name] = value
    return values
