"""The history of a venture's figures for people and tools: its JSON (docs/audit.md), and
one row per change for tables, CSV and Markdown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from outcomes.ledger.clock import format_timestamp
from outcomes.projections.folds.history import Change, History
from outcomes.projections.present.documents import grade_field
from outcomes.projections.present.localize import Figures
from outcomes.projections.present.render import Column

HISTORY_COLUMNS = [
    Column("figure", "figure", wrap=False),
    Column("position", "#", "right"),
    Column("recorded_at", "recorded", detail=3),
    Column("set_by", "set by", detail=2),
    Column("id", "id", detail=5),
    Column("event", "of", detail=4),
    Column("stated", "stated", "right"),
    Column("value", "value", "right"),
    Column("claims", "claims", "right"),
    Column("occurred_on", "occurred", detail=1),
    Column("source", "source", detail=7),
    Column("detail", "detail", detail=6),
]


def change_json(c: Change) -> dict[str, Any]:
    """The change in `history -O json`; a grade only where there is one (no key for
    unspecified, as in the event format)."""
    return {"position": c.position, "id": c.id,
            "recorded_at": format_timestamp(c.recorded_at), "set_by": c.set_by,
            "event": c.event, "stated": c.stated, **grade_field("evidence", c.evidence),
            "value": c.value, **grade_field("value_evidence", c.value_evidence),
            "claims": c.claims, "occurred_on": c.occurred_on.isoformat(),
            "source": c.source, "changes": c.changes, "reason": c.reason,
            "due": c.due.isoformat() if c.due else None}


GRADE_COLUMNS = [Column("evidence", "grade"), Column("value_evidence", "value grade")]


def history_columns(rows: list[dict[str, Any]]) -> list[Column]:
    """The table's columns: with the grade of each change's event (its source) and of the
    value beside them where any change has a grade (a ledger without grades: as before)."""
    if not any("evidence" in r or "value_evidence" in r for r in rows):
        return HISTORY_COLUMNS
    at = [c.key for c in HISTORY_COLUMNS].index
    return [*HISTORY_COLUMNS[:at("stated") + 1], GRADE_COLUMNS[0],
            *HISTORY_COLUMNS[at("value"):at("value") + 1], GRADE_COLUMNS[1],
            *HISTORY_COLUMNS[at("value") + 1:]]


def history_document(result: History, known_at: datetime | None) -> dict[str, Any]:
    """The `history -O json` shape (docs/audit.md); `known_at` null unless given."""
    return {"venture": result.venture,
            "known_at": None if known_at is None else format_timestamp(known_at),
            "figures": [{"figure": f.label, "kind": f.kind, "metric": f.metric,
                         "period": f.period, "changes": [change_json(c) for c in changes]}
                        for f, changes in result.ordered()]}


def history_rows(result: History, f: Figures | None = None) -> list[dict[str, Any]]:
    """One row per change, grouped by figure, for tables, CSV and Markdown; with `f` (a
    table's or Markdown's figures, never CSV's) the values with group separators
    (`2,000,000`) and, for a locale, the dates for its readers."""
    rows = []
    for figure, changes in result.ordered():
        for c in changes:
            row = {**change_json(c), "figure": figure.label,
                   "recorded_at": c.recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "detail": _detail(c)}
            if f is not None:
                row["stated"], row["value"] = f.count(c.stated), f.count(c.value)
            if f is not None and f.name:
                row["recorded_at"] = f.timestamp(c.recorded_at.replace(microsecond=0))
                row["occurred_on"] = f.date(c.occurred_on)
            rows.append(row)
    return rows


def _detail(c: Change) -> str:
    parts = []
    if c.changes:
        parts.append(" ".join(f"{k}={v}" for k, v in c.changes.items()))
    if c.reason:
        parts.append(f"reason: {c.reason}")
    if c.due:
        parts.append(f"due {c.due.isoformat()}")
    return "; ".join(parts)
