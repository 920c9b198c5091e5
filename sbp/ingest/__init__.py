"""Load published extracts into the store: detect the format, validate, stage, merge revisions.

The package's face; each stage is its own module (see ARCHITECTURE.md). Its names are imported on first use, so the
command line can read the format labels without loading every stage.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {"FileSummary": "context", "forget": "forgetting", "ingest": "load", "upgrade": "maintenance",
          "save_uploads": "reading"}

__all__ = ["FileSummary", "forget", "ingest", "save_uploads", "upgrade"]


def __getattr__(name: str) -> Any:
    """One of the package's names, from the stage module that defines it."""
    if name not in _HOMES:
        raise AttributeError(f"module 'sbp.ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(f"sbp.ingest.{_HOMES[name]}"), name)
