"""The log: recorded events, filtered, in position order (laid out by present/log.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

from outcomes.ledger.model import Event


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
             known_at: datetime | None = None) -> Iterator[Event]:
    """Events passing every filter, as they are read (so that a long log starts printing at
    once); `venture` keeps corrections and retractions of its events."""
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
        yield event
