"""Every setting in one table, with its default, help and what values it allows; data/settings.toml overrides
defaults and is checked on load, so a bad value is refused with one line naming the file, key and what is allowed."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sbp.config import checks
from sbp.errors import ConfigError

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
RAG_RULES = ("london", "significance", "benchmark")
BENCHMARK_CONFIDENCES = (95, 99.8)


def shown_path(path: Path) -> str:
    """A configuration file's path as a user would type it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(DATA_DIR.parent))
    except ValueError:
        return str(path)


# Checks: each returns None when the value is allowed, else what is allowed (for the one-line error).

def _number(low: float, high: float) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low < value < high
        return None if ok else f"a number between {low:g} and {high:g} (exclusive), not in quotes"
    return check


def _whole(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"a whole number from {low} to {high}, not in quotes"
    return check


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in choices else "one of " + ", ".join(repr(c) for c in choices)
    return check


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "a non-empty text in quotes"


def _any_text(value: Any) -> str | None:
    return None if isinstance(value, str) else "a text in quotes (may be empty)"


def _names(value: Any) -> str | None:
    # Area names are checked against the store when used: police.uk areas are only known once loaded.
    ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
    return None if ok else "a list of area names in quotes, e.g. ['Bexley', 'Sutton']"


def _comparator(value: Any) -> str | None:
    ok = value in ("force", "all") or (_names(value) is None and len(value) > 0)
    return None if ok else "'force', 'all' or a non-empty list of area names, e.g. ['Bristol', 'Bath and North East Somerset']"


def _data_file(value: Any) -> str | None:
    ok = isinstance(value, str) and value.endswith(".toml") and (DATA_DIR / value).is_file()
    return None if ok else "the name of a .toml file that exists under data/, e.g. 'measures.toml'"


@dataclass(frozen=True)
class Setting:
    """One named setting: its default, what it does and which values it allows."""

    name: str
    default: Any
    help: str
    check: Callable[[Any], str | None]


SETTINGS = [
    Setting("focus_borough", "Bromley", "The partnership's area: the default area on every page, in the CLI and in "
                                        "reports (a London borough, or a local authority loaded from police.uk data).",
            _text),
    Setting("partnership_name", "Safer Bromley Partnership", "Shown in page titles and on report title pages.", _text),
    Setting("comparator", "force", "Who the focus area is ranked and totalled with: 'force' (the areas of its police force, "
                                   "named after the force area; the Met's areas are London), 'all' (every area loaded) or a "
                                   "list of area names.", _comparator),
    Setting("comparator_name", "", "The name of a comparator given as a list of areas (default 'Comparator group').",
            _any_text),
    Setting("measures_file", "measures.toml", "The measures and priorities file in data/ (e.g. a partnership's own).",
            _data_file),
    Setting("similar_boroughs", [], "The 'similar boroughs' comparator group for rankings (area names).", _names),
    Setting("significance_level", 0.05, "Two-sided level for the exact test that a change between two rolling years is real.",
            _number(0, 1)),
    Setting("rag_rule", "london", "'london': Green if the count moved the right way, Amber if the wrong way by less than London, "
                                  "Red if by more (or significantly, when there is no London figure). 'significance': Red only "
                                  "for a significant change the wrong way, Amber for a non-significant one. 'benchmark': Red "
                                  "when the rate is significantly worse than the comparator's, Amber when similar, Green when "
                                  "significantly better (at benchmark_confidence).",
            _one_of(RAG_RULES)),
    Setting("benchmark_confidence", 95, "Confidence level (%) at which a rate is compared with its comparator's "
                                        "(significantly higher / similar / lower) and a trend is tested: 95 or 99.8.",
            _one_of(BENCHMARK_CONFIDENCES)),
    Setting("exception_baseline_months", 24, "Not used: the exception method sets its own baseline (docs/definitions.md, Exceptions).",
            _whole(3, 120)),
    Setting("exception_probability", 0.001, "Two-sided tail probability outside which a month counts as an exception (over-dispersed limits).",
            _number(0, 1)),
    Setting("exception_min_count", 5, "Ignore exceptions whose count is below this (tiny numbers).", _whole(0, 1_000_000)),
    Setting("upload_limit_mb", 100, "Largest file the Data page accepts for upload (keep .streamlit/config.toml "
                                     "server.maxUploadSize equal).", _whole(1, 10_000)),
    Setting("xlsx_upload_limit_mb", 60, "Largest .xlsx workbook the Data page accepts: a whole-sheet reader holds the "
                                        "sheet in memory (a 22 MB, 470,000-row workbook peaks near 0.9 GB).",
            _whole(1, 10_000)),
]
_BY_NAME = {s.name: s for s in SETTINGS}


def settings_path() -> Path:
    """The settings file: env SBP_SETTINGS (a partnership's own file), else data/settings.toml."""
    return Path(os.environ.get("SBP_SETTINGS") or DATA_DIR / "settings.toml")


def load_settings(path: Path | None = None) -> dict[str, Any]:
    """Defaults overlaid with the settings file (or path), every value checked; a bad one is a ConfigError.

    Read again whenever the file changes, so a change takes effect on the next interaction without a restart.
    """
    path = path or settings_path()
    return {k: list(v) if isinstance(v, tuple) else v for k, v in _load(path, *checks.file_stamp(path))}


@functools.lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int, size: int) -> tuple[tuple[str, Any], ...]:
    """Read and check the file once per version of it (keyed on its modification time and size)."""
    values = {s.name: s.default for s in SETTINGS}
    if size < 0:  # no file: the defaults
        return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items())
    where = shown_path(path)
    overrides = checks.read_toml(path, where)
    for name, value in overrides.items():
        if name not in _BY_NAME:
            raise ConfigError(f"{where}: unknown setting {name!r}; known: {', '.join(_BY_NAME)}")
        problem = _BY_NAME[name].check(value)
        if problem:
            raise ConfigError(f"{where}: {name} = {checks.shown(value)} is not allowed; expected {problem}")
        values[name] = value
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items())


def settings_fingerprint(settings: dict[str, Any]) -> str:
    """A short digest of the settings in force (for cache keys)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def upload_limit_mb(settings: dict[str, Any], file_name: str) -> int:
    """The largest upload the Data page accepts for a file of this name, in MB (.xlsx workbooks have their own)."""
    return int(settings["xlsx_upload_limit_mb" if file_name.lower().endswith(".xlsx") else "upload_limit_mb"])


def too_large(settings: dict[str, Any], file_name: str, size: int) -> bool:
    """Whether an upload of size bytes is over the limit for its kind of file."""
    return size > upload_limit_mb(settings, file_name) * 1024 * 1024
