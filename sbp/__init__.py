"""Safer Bromley Partnership crime-metrics library: ingest, store, metrics, charts, narrative, report."""

__version__ = "0.1.0"
