"""Load published extracts into the store: detect the format, validate, stage, merge revisions.

The package's face; each stage is its own module (see ARCHITECTURE.md).
"""

from __future__ import annotations

from sbp.ingest.context import FileSummary
from sbp.ingest.forgetting import forget
from sbp.ingest.load import ingest
from sbp.ingest.maintenance import upgrade
from sbp.ingest.reading import save_uploads

__all__ = ["FileSummary", "forget", "ingest", "save_uploads", "upgrade"]
