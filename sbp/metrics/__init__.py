"""The metrics layer: rolling-year comparisons, rates, ranks, significance, RAG, series and exceptions.

The functions live in sbp.metrics.core and are reached here on first use, so that importing a pandas-free part of the
package (materialized, queries, periods, groups: what an ingest needs) does not import pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

SUBMODULES = frozenset({"core", "figures", "groups", "materialized", "periods", "queries", "rules"})


def __getattr__(name: str) -> Any:
    """A submodule, or a name of sbp.metrics.core, imported when first asked for."""
    if name in SUBMODULES:
        return importlib.import_module(f"sbp.metrics.{name}")
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(importlib.import_module("sbp.metrics.core"), name)
    except AttributeError:
        raise AttributeError(f"module 'sbp.metrics' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    """The names of sbp.metrics.core and the submodules."""
    return sorted(set(globals()) | SUBMODULES | set(dir(importlib.import_module("sbp.metrics.core"))))
