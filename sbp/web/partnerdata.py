"""The partner measures a page shows, cached per data version, area, period end and partner configuration."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sbp.config import checks
from sbp.config.partner import PARTNER_FILE, PartnerMeasure, for_priority, load_partner_measures
from sbp.config.settings import DATA_DIR
from sbp.display import partner_view
from sbp.metrics import partner
from sbp.web import appdata


def _stamp() -> tuple[int, int]:
    return checks.file_stamp(DATA_DIR / PARTNER_FILE)


@st.cache_data(max_entries=64, show_spinner=False)
def _figures(inputs: str, stamp: tuple[int, int], area: str, end: dt.date, priority_id: str | None) -> pd.DataFrame:
    measures = for_priority(priority_id) if priority_id else list(load_partner_measures().values())
    return partner.partner_figures(appdata.cursor(inputs), area, end, measures)


def measures() -> dict[str, PartnerMeasure]:
    """Every configured partner measure by id."""
    return load_partner_measures()


def view(inputs: str, area: str, end: dt.date, priority_id: str) -> partner_view.PartnerView:
    """A priority's partner cards, objective evidence, slide lines and board-table rows for the area and period end."""
    return partner_view.priority_view(_figures(inputs, _stamp(), area, end, priority_id), measures(), area)


def figures(inputs: str, area: str, end: dt.date, priority_id: str | None = None) -> pd.DataFrame:
    """The partner figures (sbp.metrics.partner.partner_figures) of a priority, or of every partner measure."""
    return _figures(inputs, _stamp(), area, end, priority_id)
