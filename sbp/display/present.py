"""Small pieces of display text and HTML for the pages; every data value is HTML-escaped here."""

from __future__ import annotations

import datetime as dt
import html

RAG_STYLE = {  # colour-blind-safe pairs: background, text
    "Green": ("#1b7837", "#ffffff"),
    "Amber": ("#f1a340", "#1a1a1a"),
    "Red": ("#b2182b", "#ffffff"),
    None: ("#8c8c8c", "#ffffff"),
}
STATUS_STYLE = {"good": ("#1b7837", "#ffffff"), "continuing": ("#2166ac", "#ffffff"), "bad": ("#b2182b", "#ffffff"),
                "neutral": ("#8c8c8c", "#ffffff")}

PRESENTER_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] { display: none !important; }
html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMain"] h2 { font-size: 2.0rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3rem !important; line-height: 1.2; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.3rem; line-height: 1.5; }
.block-container { max-width: 1800px; padding-top: 3rem; }
</style>
"""

BASE_CSS = """
<style>
.sbp-badge { display: inline-block; padding: 0.15em 0.6em; border-radius: 0.4em; font-weight: 600; }
.sbp-stamp { color: #555; font-size: 0.9rem; }
</style>
"""


def esc(value: object) -> str:
    """HTML-escaped text of any value."""
    return html.escape("" if value is None else str(value), quote=True)


_MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!|~$:")  # < > & are handled by HTML escaping


def literal(value: object) -> str:
    """Text for st.markdown that shows exactly as written: HTML escaped and Markdown characters backslashed."""
    text = "" if value is None else str(value)
    escaped = "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in text)
    return html.escape(escaped, quote=False).replace("\n", "  \n")


def rag_badge(rag: str | None) -> str:
    """A coloured badge that also says its RAG status in words."""
    background, colour = RAG_STYLE.get(rag, RAG_STYLE[None])
    label = rag or "No comparison"
    return f'<span class="sbp-badge" style="background:{background};color:{colour}">{esc(label)}</span>'


def status_badge(status: str, tone: str) -> str:
    """A coloured badge for an objective status, with the status in words."""
    background, colour = STATUS_STYLE.get(tone, STATUS_STYLE["neutral"])
    return f'<span class="sbp-badge" style="background:{background};color:{colour}">{esc(status)}</span>'


def data_stamp(last_month: dt.date, loaded_at: dt.datetime | None) -> str:
    """'Data to Nov 2023, loaded 25 Nov 2026'."""
    loaded = f", loaded {loaded_at:%-d %b %Y}" if loaded_at else ""
    return f"Data to {last_month:%b %Y}{loaded}"


def ordinal(n: int | None) -> str:
    """1 -> '1st', 22 -> '22nd'; None -> '-'."""
    if n is None:
        return "-"
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_movement(rank: int | None, rank_previous: int | None) -> str:
    """'up 2 places', 'down 1 place', 'no change' (1 = best, so a smaller rank is up)."""
    if rank is None or rank_previous is None:
        return "-"
    moved = int(rank_previous) - int(rank)
    if moved == 0:
        return "no change"
    places = "place" if abs(moved) == 1 else "places"
    return f"up {moved} {places}" if moved > 0 else f"down {-moved} {places}"
