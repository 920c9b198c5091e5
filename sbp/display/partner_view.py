"""How partner measures read: values in their own units, the change on the same period last year, target status,
and each figure's source and period ("CCTV control room, Jan-Dec 2021"), for cards, objective evidence, the board
table and the report. The figures come from sbp.metrics.partner; this module only words them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from sbp.config.partner import PartnerMeasure
from sbp.metrics.partner import suggested_status
from sbp.display.formatting import NA, esc, fmt_count, fmt_number, fmt_pct, is_missing, status_badge

STATUS_TONE = {"met": "good", "not met": "bad", "not due": "neutral"}
TABLE_COLUMNS = ["Partner measure", "Value", "Period", "Same period last year", "Change", "Target", "Source"]


def value_text(value: object, unit: str, words: str = "") -> str:
    """A value in its unit: '264 incidents', '£507,157', '650 recipients', '12.5%'; 'n/a' when unknown."""
    if is_missing(value):
        return NA
    number = float(value)
    if unit == "pounds":
        return "£" + (fmt_count(number) if number == int(number) else fmt_number(number, 2))
    if unit == "percent":
        return fmt_number(number, 1) + "%"
    return fmt_count(number) + (f" {words}" if words else "")


def provenance(row: Mapping) -> str:
    """Who reported a value and for which period: 'CCTV control room, Jan-Dec 2021'."""
    return f"{row['source']}, {row['period_label']}" if not is_missing(row.get("value")) else ""


def change_text(row: Mapping, measure: PartnerMeasure) -> str:
    """The change on the same period a year earlier, or why there is none (never 0 for unknown)."""
    if is_missing(row.get("value")):
        return NA
    if is_missing(row.get("previous_value")):
        return f"n/a: no {row['previous_label']} value loaded"
    change = float(row["change"])
    if change == 0:
        return f"no change on {row['previous_label']}"
    size = value_text(abs(change), measure.unit, measure.words)
    pct = "" if is_missing(row.get("pct_change")) else f" ({fmt_pct(row['pct_change'], signed=True)})"
    return f"{'+' if change > 0 else '-'}{size} on {row['previous_label']}{pct}"


def target_text(row: Mapping, measure: PartnerMeasure) -> str:
    """'Target 12 days: met' (or not met, not due); '' without a target."""
    if is_missing(row.get("target")) or is_missing(row.get("value")):
        return ""
    return f"Target {value_text(row['target'], measure.unit, measure.words)}: {row['target_status']}"


def missing_text(area: str) -> str:
    """Why a partner measure shows no value."""
    return f"n/a: no value loaded for {area}"


def _tone(row: Mapping) -> str:
    better = row.get("better")
    if better is None or is_missing(better):
        return "#555555"
    return "#1b7837" if better else "#b2182b"


def cards_html(frame: pd.DataFrame, measures: Mapping[str, PartnerMeasure], area: str) -> str:
    """One card per partner measure: label, latest value, source and period, change on the same period last year,
    and the target status where a target exists."""
    cards = []
    for row in frame.to_dict("records"):
        measure = measures[row["measure_id"]]
        lines = []
        if is_missing(row["value"]):
            lines.append(f'<div class="sbp-card-source">{esc(missing_text(area))}</div>')
        else:
            lines.append(f'<div class="sbp-card-source">{esc(provenance(row))}</div>')
            lines.append(f'<div class="sbp-card-delta" style="color:{_tone(row)}">'
                         f"{esc(change_text(row, measure))}</div>")
            if target := target_text(row, measure):
                lines.append(f'<div class="sbp-card-target">{esc(target.rsplit(": ", 1)[0])}: '
                             f"{status_badge(row['target_status'], STATUS_TONE[row['target_status']])}</div>")
        cards.append(f'<div class="sbp-card sbp-partner-card"><div class="sbp-partner-label">{esc(measure.label)}</div>'
                     f'<div class="sbp-partner-value">{esc(value_text(row["value"], measure.unit, measure.words))}</div>'
                     + "".join(lines) + "</div>")
    return f'<div class="sbp-partner-cards">{"".join(cards)}</div>'


def evidence_line(row: Mapping, measure: PartnerMeasure) -> str:
    """One evidence item: 'Label: 264 incidents (CCTV control room, Jan-Dec 2021; target ...: met)'."""
    if is_missing(row["value"]):
        return ""
    extra = "; ".join(t for t in (provenance(row), target_text(row, measure)) if t)
    return f"{measure.label}: {value_text(row['value'], measure.unit, measure.words)} ({extra})"


def evidence_by_objective(frame: pd.DataFrame, measures: Mapping[str, PartnerMeasure]) -> dict[str, list[str]]:
    """Objective (or sub-objective) number -> the evidence lines of the partner measures linked to it."""
    found: dict[str, list[str]] = {}
    for row in frame.to_dict("records"):
        measure = measures[row["measure_id"]]
        if measure.objective and (line := evidence_line(row, measure)):
            found.setdefault(measure.objective, []).append(line)
    return found


def brief_html(frame: pd.DataFrame, measures: Mapping[str, PartnerMeasure]) -> str:
    """Each partner value as one short line (a slide's side column): value, label, source and period."""
    items = [f"<li><strong>{esc(value_text(r['value'], measures[r['measure_id']].unit, measures[r['measure_id']].words))}"
             f"</strong> {esc(measures[r['measure_id']].label)} <span class='sbp-brief-source'>({esc(provenance(r))})</span></li>"
             for r in frame.to_dict("records") if not is_missing(r["value"])]
    return f'<ul class="sbp-partner-brief">{"".join(items)}</ul>' if items else ""


def table(frame: pd.DataFrame, measures: Mapping[str, PartnerMeasure], area: str) -> pd.DataFrame:
    """The partner measures as the board table shows them (TABLE_COLUMNS), every value in its unit with its source."""
    rows = []
    for row in frame.to_dict("records"):
        measure = measures[row["measure_id"]]
        known = not is_missing(row["value"])
        rows.append([
            measure.label, value_text(row["value"], measure.unit, measure.words) if known else missing_text(area),
            row["period_label"] if known else NA,
            value_text(row["previous_value"], measure.unit, measure.words) if known else NA,
            change_text(row, measure) if known else NA,
            (target_text(row, measure).removeprefix("Target ") or "none") if known else NA,
            row["source"] if known else measure.source or NA,
        ])
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def objective_evidence_html(lines: Sequence[str]) -> str:
    """The partner figures under an objective, as their own evidence list."""
    if not lines:
        return ""
    return ('<div class="sbp-evidence sbp-partner-evidence"><em>Partner figures</em><ul>'
            + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul></div>")


@dataclass(frozen=True)
class PartnerView:
    """What a priority page or slide shows of its partner measures."""

    cards: str                          # the cards' HTML ('' when the priority has no partner measures)
    evidence: dict[str, list[str]]      # objective number -> evidence lines
    brief: str                          # one line per value, for a slide's side column
    table: pd.DataFrame                 # the board table's partner rows (TABLE_COLUMNS)
    missing: str = ""                   # why there is nothing to show although the priority has partner measures


def priority_view(frame: pd.DataFrame, measures: Mapping[str, PartnerMeasure], area: str) -> PartnerView:
    """Everything a priority shows of its partner measures, from sbp.metrics.partner.partner_figures' frame."""
    if frame.empty or frame["value"].isna().all():
        missing = "" if frame.empty else (
            f"Partner figures: none loaded for {area} ({len(frame)} partner measures of this priority are defined in "
            "data/partner_measures.toml; a partner-measures file loaded on the Data page adds them).")
        return PartnerView("", {}, "", pd.DataFrame(columns=TABLE_COLUMNS), missing)
    return PartnerView(cards_html(frame, measures, area), evidence_by_objective(frame, measures),
                       brief_html(frame, measures), table(frame, measures, area))


def suggestions(frame: pd.DataFrame, measures: Mapping[str, PartnerMeasure], statuses: Sequence[str]) -> dict[str, str]:
    """Objective number -> the status its partner measures' targets suggest (sbp.metrics.partner.suggested_status),
    with the reason, for the admin to confirm: 'Achieved (Community Impact Days held: target met)'."""
    by_objective: dict[str, list[tuple[str, str]]] = {}
    for row in frame.to_dict("records"):
        measure = measures[row["measure_id"]]
        if measure.objective and row["target_status"]:
            by_objective.setdefault(measure.objective, []).append((measure.label, row["target_status"]))
    found = {}
    for number, pairs in by_objective.items():
        status = suggested_status([s for _, s in pairs], statuses)
        if status:
            found[number] = f"{status} ({'; '.join(f'{label}: target {s}' for label, s in pairs)})"
    return found


def audit_table(changes: Sequence[Mapping], measures: Mapping[str, PartnerMeasure]) -> pd.DataFrame:
    """The partner values entered or corrected on the Data page, newest first: who, when, old and new value."""
    def shown(value: object, measure_id: str) -> str:
        measure = measures.get(measure_id)
        if is_missing(value):
            return "(none)"
        return value_text(value, measure.unit, measure.words) if measure else str(value)

    return pd.DataFrame({
        "When": [c["changed_at"].replace("T", " ") for c in changes], "Who": [c["changed_by"] for c in changes],
        "Measure": [measures[c["measure_id"]].label if c["measure_id"] in measures else c["measure_id"] for c in changes],
        "Area": [c["area"] for c in changes], "Period": [c["period"] for c in changes],
        "Source": [c["source"] for c in changes],
        "Old value": [shown(c["old_value"], c["measure_id"]) for c in changes],
        "New value": [shown(c["new_value"], c["measure_id"]) for c in changes],
    }, columns=["When", "Who", "Measure", "Area", "Period", "Source", "Old value", "New value"])
