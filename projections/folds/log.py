"""The log: recorded events, filtered, in position order."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime

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


def known_prefix(events: Iterable[Event], known_at: datetime | None) -> Iterator[Event]:
    """The events recorded at or before `known_at` (all of them if None).

    Recording times never decrease along positions, so this is a prefix of the log.
    """
    for event in events:
        if known_at is not None and event.recorded_at > known_at:
            return
        yield event


def log_rows(events: Iterable[Event], *, venture: str | None = None,
             types: set[str] | None = None, since: date | None = None,
             known_at: datetime | None = None) -> list[Event]:
    """Events passing every filter; `venture` keeps corrections and retractions of its events."""
    out: list[Event] = []
    about_venture: set[str] = set()
    for event in known_prefix(events, known_at):
        if venture is not None:
            if event.venture == venture or event.get("event") in about_venture:
                about_venture.add(event.id)
            else:
                continue
        if types and event.type not in types:
            continue
        if since is not None and event.occurred_on < since:
            continue
        out.append(event)
    return out


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
