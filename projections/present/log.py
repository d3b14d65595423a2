"""The log's rows: each recorded event in one line, for tables, CSV and Markdown."""

from __future__ import annotations

import json

from outcomes.ledger.model import Event
from outcomes.ledger.schema import VENTURE_REGISTERED
from outcomes.projections.present.render import Column

LOG_COLUMNS = [
    Column("position", "#", "right"),
    Column("id", "id"),
    Column("occurred_on", "occurred"),
    Column("type", "type"),
    Column("venture", "venture / program"),
    Column("summary", "what"),
    Column("source", "source"),
]


def summary(event: Event) -> str:
    """A few words on what the event says, for the table."""
    wire = event.wire_fields()
    # (what says where the source is archived, and its digest, is in the JSON log)
    skip = {"occurred_on", "source", "note", "venture", "program", "archive", "source_sha256"}
    if event.type == VENTURE_REGISTERED:
        skip.discard("program")
    parts = [f"{k}={_text(v)}" for k, v in wire.items() if k not in skip]
    return " ".join(parts)


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def log_document(events: list[Event]) -> tuple[list[Column], list[dict[str, object]]]:
    rows = [{"position": e.position, "id": e.id, "occurred_on": e.occurred_on.isoformat(),
             "type": e.type, "venture": e.venture or e.get("program") or "",
             "summary": summary(e), "source": e.source} for e in events]
    return LOG_COLUMNS, rows
