"""HTML for the priority pages: metric cards and objective panels (every value HTML-escaped here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sbp.config.objectives import STATUS_TONE, Objective
from sbp.display.formatting import esc, status_badge
from sbp.display.partner_view import objective_evidence_html

TONE_COLOUR = {"good": "#1b7837", "bad": "#b2182b", "neutral": "#555555"}


def card_html(label: str, value: str, delta: str | None = None, tone: str = "neutral", value_html: str | None = None) -> str:
    """A metric card: label, big value, and a coloured change line (text wraps; nothing is cut off)."""
    delta_line = (f'<div class="sbp-card-delta" style="color:{TONE_COLOUR.get(tone, TONE_COLOUR["neutral"])}">'
                  f"{esc(delta)}</div>") if delta else ""
    return (f'<div class="sbp-card"><div class="sbp-card-label">{esc(label)}</div>'
            f'<div class="sbp-card-value">{value_html if value_html is not None else esc(value)}</div>{delta_line}</div>')


def _badge(objective: Objective) -> str:
    return status_badge(objective.status, STATUS_TONE.get(objective.status, "neutral"))


def _evidence(objective: Objective) -> str:
    items = objective.evidence_items
    if not items:
        return ""
    return '<div class="sbp-evidence"><em>Evidence</em><ul>' + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul></div>"


def objective_html(objective: Objective, note: str, partner: Mapping[str, Sequence[str]] | None = None) -> str:
    """One objective in full: title and status, description, evidence (and the partner figures linked to it, by
    objective number), then each sub-objective the same way."""
    partner = partner or {}
    parts = [f'<div class="sbp-objective"><div class="sbp-objective-head"><strong>{esc(objective.number)}. '
             f"{esc(objective.title)}</strong> {_badge(objective)}</div>"]
    if objective.description:
        parts.append(f"<p>{esc(objective.description)}</p>")
    parts.append(_evidence(objective) + objective_evidence_html(partner.get(objective.number, ())))
    for sub in objective.subs:
        parts.append(f'<div class="sbp-sub"><div class="sbp-objective-head"><strong>{esc(sub.number)} {esc(sub.title)}'
                     f"</strong> {_badge(sub)}</div>")
        if sub.description:
            parts.append(f"<p>{esc(sub.description)}</p>")
        parts.append(_evidence(sub) + objective_evidence_html(partner.get(sub.number, ())) + "</div>")
    parts.append(f'<div class="sbp-objective-note">{esc(note)}</div></div>')
    return "".join(parts)


def objectives_brief_html(objectives: Sequence[Objective]) -> str:
    """Every objective and sub-objective as one line: number, title and status badge (a slide's summary)."""
    rows = []
    for objective in objectives:
        rows.append(f'<li><span class="sbp-brief-title">{esc(objective.number)}. {esc(objective.title)}</span> '
                    f"{_badge(objective)}</li>")
        rows += [f'<li class="sbp-brief-sub"><span class="sbp-brief-title">{esc(s.number)} {esc(s.title)}</span> '
                 f"{_badge(s)}</li>" for s in objective.subs]
    return f'<ul class="sbp-brief">{"".join(rows)}</ul>'
