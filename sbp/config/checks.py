"""Checking a TOML table of data/measures.toml or data/objectives.toml against the keys it may have.

Every problem is one ConfigError line naming the file, the entry and the key, and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

from sbp.errors import ConfigError

KINDS = {  # kind -> (test, what it allows in words)
    "any": (lambda v: not isinstance(v, (dict, list)), "a number or a text"),
    "text": (lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty text in quotes"),
    "texts": (lambda v: isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v),
              'a list of texts, e.g. ["a", "b"]'),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "prose": (lambda v: isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)),
              "a text, or a list of texts (one item per line)"),
    "tables": (lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v), "[[...]] tables"),
    "date": (lambda v: isinstance(v, dt.date) or _iso_date(v), 'a date, e.g. "2022-03-31"'),
}


def _iso_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def shown(value: Any) -> str:
    """A value as it would be written in TOML."""
    return json.dumps(value, ensure_ascii=False, default=str)


def file_stamp(path: Path) -> tuple[int, int]:
    """(modification time, size) of a file, (0, -1) when it does not exist: what a cache of its contents keys on."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (0, -1)
    return (stat.st_mtime_ns, stat.st_size)


def read_toml(path: Path, where: str) -> dict[str, Any]:
    """A TOML file's tables; an unreadable or malformed file is a ConfigError."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def table(spec: Any, where: str, what: str, schema: dict[str, tuple[str, bool]]) -> dict[str, Any]:
    """spec checked against schema (key -> (kind, required)); returns it."""
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: {what} must be a table of keys, not {shown(spec)}")
    if unknown := sorted(set(spec) - set(schema)):
        raise ConfigError(f"{where}: {what} has unknown keys {unknown}; allowed: {', '.join(schema)}")
    for key, (kind, required) in schema.items():
        test, words = KINDS[kind]
        if key not in spec:
            if required:
                raise ConfigError(f"{where}: {what} has no {key!r}; it needs {key} = {words}")
        elif not test(spec[key]):
            raise ConfigError(f"{where}: {what} has {key} = {shown(spec[key])}; expected {words}")
    return spec


def array(raw: dict[str, Any], key: str, where: str) -> list[Any]:
    """A top-level array of tables ([[key]]), or an empty list."""
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {key} must be written as [[{key}]] tables")
    return value


def top_level(raw: dict[str, Any], where: str, allowed: tuple[str, ...]) -> None:
    """Refuse top-level keys a file does not use."""
    if unknown := sorted(set(raw) - set(allowed)):
        raise ConfigError(f"{where}: unknown top-level keys {unknown}; allowed: {', '.join(allowed)}")
