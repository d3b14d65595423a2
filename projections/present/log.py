"""The log's rows: each recorded event in one line, for tables and Markdown (a summary of
its fields) and for CSV (one column per field declared in ledger/schema.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from outcomes.ledger.model import Event
from outcomes.ledger.schema import (
    COMMON_FIELDS,
    EVENT_TYPES,
    PROVENANCE_FIELDS,
    RECORDED_BY,
    VENTURE_REGISTERED,
    Field,
)
from outcomes.projections.present.localize import DEFAULT, Figures
from outcomes.projections.present.render import Column

LOG_COLUMNS = [
    Column("position", "#", "right"),
    Column("id", "id", detail=1),
    Column("occurred_on", "occurred"),
    Column("type", "type"),
    Column("venture", "venture / program"),
    Column("summary", "what", detail=2),
    Column("source", "source", detail=3),
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


def log_row(e: Event, f: Figures = DEFAULT) -> dict[str, object]:
    """An event's row in the log's table and Markdown, its date for `f`'s readers (the
    fields in `what` are as recorded)."""
    return {"position": e.position, "id": e.id, "occurred_on": f.date(e.occurred_on),
            "type": e.type, "venture": e.venture or e.get("program") or "",
            "summary": summary(e), "source": e.source}


def log_document(events: Iterable[Event], f: Figures = DEFAULT
                 ) -> tuple[list[Column], Iterator[dict[str, object]]]:
    """The log's columns and rows (made as the events are read)."""
    return LOG_COLUMNS, (log_row(e, f) for e in events)


# The CSV's columns before the fields: who and when, as `log -O json` writes them.
LOG_CSV_HEAD = ("position", "id", "type", "recorded_at", RECORDED_BY.name)


def declared_fields() -> dict[str, list[tuple[str, Field]]]:
    """Every field name of the event types, in declaration order (the common ones, each
    type's own, then provenance), with the (event type, field) pairs declaring it."""
    out: dict[str, list[tuple[str, Field]]] = {f.name: [] for f in COMMON_FIELDS}
    for etype in EVENT_TYPES.values():
        for f in etype.fields:
            out.setdefault(f.name, []).append((etype.name, f))
    for f in PROVENANCE_FIELDS:
        out.setdefault(f.name, [])
    for etype in EVENT_TYPES.values():
        for f in (*COMMON_FIELDS, *PROVENANCE_FIELDS):
            out[f.name].append((etype.name, f))
    return out


def log_csv(events: Iterable[Event]) -> tuple[list[Column], Iterator[dict[str, object]]]:
    """One column per declared field (`declared_fields`), empty where an event has none;
    a correction's `changes` is a JSON object (its keys are another event's fields). The
    rows are made as the events are read."""
    columns = [Column(k, k) for k in (*LOG_CSV_HEAD, *declared_fields())]
    return columns, (e.to_log() for e in events)
