"""`--known-at` reports on a large ledger, in bounded memory.

`build_report` folds a list of every event at once: simple, and the reference, but about
1.7 KB per event in memory. `replay_report` gives the same document from one pass over
the events: it files each event, as text, under its venture in a temporary SQLite file
(its corrections and retractions routed to it, a moved event copied to the venture it
may move to), then folds one venture at a time with the same `fold_events`. Memory holds
one venture's events, never the ledger's. Still the events alone, never the read model.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from outcomes.ledger.clock import stored_time
from outcomes.ledger.model import Event
from outcomes.ledger.schema import AMENDMENTS, EVENT_CORRECTED, REGISTRATIONS, VENTURE_REGISTERED
from outcomes.projections.folds.effective import known
from outcomes.projections.folds.venture import Folded, fold_events, registry
from outcomes.projections.present.documents import Selection, document

FLUSH = 5000
_COMPACT = json.JSONEncoder(separators=(",", ":"))  # one encoder, not one per event


class Grouped:
    """The events of a ledger (as known at a time), filed by venture in a temporary file
    (SQLite deletes it on close) for one-venture-at-a-time folds."""

    def __init__(self, events: Iterable[Event], known_at: datetime | None) -> None:
        self.registrations: list[Event] = []  # few: kept whole
        self.registry_amendments: list[Event] = []
        self.db = sqlite3.connect("")  # "": a private temporary file, removed on close
        self.db.execute("PRAGMA cache_size=-65536")  # KiB
        self.db.execute("CREATE TABLE ev (venture TEXT, position INTEGER, id TEXT, "
                        "type TEXT, recorded_at TEXT, recorded_by TEXT, amends TEXT, wire TEXT)")
        self.db.execute("CREATE INDEX ev_id ON ev (id)")
        self.db.execute("CREATE INDEX ev_amends ON ev (amends)")
        self._pending: list[tuple[Any, ...]] = []
        self._recent: dict[str, str] = {}  # id -> venture of the pending rows
        self._moved: dict[str, list[str]] = {}  # event id -> every group holding it, if moved
        registration_ids: set[str] = set()
        for event in events:
            if not known(event, known_at):
                continue
            if event.type in REGISTRATIONS:
                self.registrations.append(event)
                registration_ids.add(event.id)
            elif event.type in AMENDMENTS:
                target = event.fields["event"]
                if target in registration_ids:
                    self.registry_amendments.append(event)
                    continue
                moved_to = event.fields.get("changes", {}).get("venture") \
                    if event.type == EVENT_CORRECTED else None
                if moved_to and moved_to not in self.holders(target):
                    self._copy(target, moved_to)  # the target may move there
                for venture in self.holders(target):
                    self._file(venture, event, target)
            elif event.venture is not None:
                self._file(event.venture, event, None)
                self._recent[event.id] = event.venture
        self._flush()
        self.db.execute("CREATE INDEX ev_venture ON ev (venture, position)")

    def _file(self, venture: str, event: Event, amends: str | None) -> None:
        self._pending.append((venture, event.position, event.id, event.type,
                              event.recorded_at.isoformat(), event.recorded_by, amends,
                              _COMPACT.encode(event.wire_fields())))
        if len(self._pending) >= FLUSH:
            self._flush()

    def _flush(self) -> None:
        self.db.executemany("INSERT INTO ev VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self._pending)
        self._pending.clear()
        self._recent.clear()

    def holders(self, event_id: str) -> list[str]:
        """The groups that hold an event (more than one once a correction may move it)."""
        if event_id in self._moved:
            return self._moved[event_id]
        if event_id in self._recent:
            return [self._recent[event_id]]
        row = self.db.execute("SELECT venture FROM ev WHERE id = ? AND amends IS NULL",
                              [event_id]).fetchone()
        return [row[0]] if row else []

    def _copy(self, target: str, venture: str) -> None:
        """Put the target event (and its amendments so far) in another venture's group."""
        self._flush()
        source = self.holders(target)[0]
        self.db.execute("INSERT INTO ev SELECT ?, position, id, type, recorded_at, "
                        "recorded_by, amends, wire FROM ev WHERE venture = ? AND "
                        "(id = ? OR amends = ?)", [venture, source, target, target])
        self._moved[target] = [*self.holders(target), venture]

    def events_of(self, venture: str) -> Iterator[Event]:
        """What one venture's fold needs: the registrations, and its own events."""
        yield from self.registrations
        yield from self.registry_amendments
        for position, event_id, type_, recorded_at, by, wire in self.db.execute(
                "SELECT position, id, type, recorded_at, recorded_by, wire FROM ev "
                "WHERE venture = ? ORDER BY position", [venture]):
            yield Event.from_wire(position, event_id, type_, stored_time(recorded_at), by,
                                  json.loads(wire))

    def close(self) -> None:
        self.db.close()


def replay_report(kind: str, events: Iterable[Event], *, as_of: date,
                  known_at: datetime | None = None, program: str | None = None,
                  venture: str | None = None) -> dict[str, Any]:
    """The same document as `build_report`, in memory bounded by one venture's events
    (and the folded figures of every venture)."""
    grouped = Grouped(events, known_at)
    try:
        who = registry(grouped.registrations + grouped.registry_amendments, known_at)
        selection = Selection(program, venture)
        selection.check(who.programs, {v: i.program for v, i in who.ventures.items()})
        ventures = {}
        for slug in sorted(who.ventures):
            own = [e for e in grouped.events_of(slug)
                   if e.type != VENTURE_REGISTERED or e.fields["venture"] == slug]
            folded = fold_events(own, as_of=as_of, known_at=known_at,
                                 timeline=kind == "timeline")
            if slug in folded.ventures:
                ventures[slug] = folded.ventures[slug]
    finally:
        grouped.close()
    present = {v.info.program for v in ventures.values()}
    programs = {slug: p for slug, p in sorted(who.programs.items())
                if slug in present or p.registered_on <= as_of}
    return document(kind, Folded(programs, ventures), as_of=as_of, known_at=known_at,
                    selection=selection)
