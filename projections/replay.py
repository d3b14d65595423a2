"""`--known-at` reports on a large ledger, in bounded memory.

`build_report` folds a list of every event at once: simple, and the reference, but about
1.7 KB per event in memory. `replay_report` gives the same document from one pass over
the events: it keeps each event only as compact text grouped by venture (its corrections
and retractions routed to it, a moved event copied to the venture it may move to), then
folds one venture at a time with the same `fold_events`. Still the events alone, never
the read model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from ledger.model import Event
from projections.effective import AMENDMENTS, known
from projections.fold import Folded, fold_events, registry
from projections.reports import Selection, document

REGISTRATIONS = ("ProgramRegistered", "VentureRegistered")
Compact = tuple[int, str, str, datetime, str, str]  # position, id, type, recorded, by, wire


def _compact(event: Event, shared: dict[Any, Any]) -> Compact:
    """The event as a tuple of text; values repeated across events are stored once."""
    def one(value: Any) -> Any:
        return shared.setdefault(value, value)

    return (event.position, event.id, one(event.type), one(event.recorded_at),
            one(event.recorded_by), _COMPACT.encode(event.wire_fields()))


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # one encoder, not one per event


def _expand(record: Compact) -> Event:
    position, event_id, type_, recorded_at, by, wire = record
    return Event.from_wire(position, event_id, type_, recorded_at, by, json.loads(wire))


class Grouped:
    """The events of a ledger (as known at a time), grouped for one-venture-at-a-time folds."""

    def __init__(self, events: Iterable[Event], known_at: datetime | None) -> None:
        self.registrations: list[Event] = []  # few: kept whole
        self.registry_amendments: list[Event] = []
        self.groups: dict[str, list[Compact]] = {}
        self._where: dict[str, str] = {}  # event id -> its venture's group
        self._moved: dict[str, list[str]] = {}  # event id -> every group holding it, if moved
        shared: dict[Any, Any] = {}
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
                record = _compact(event, shared)
                moved_to = event.fields.get("changes", {}).get("venture") \
                    if event.type == "EventCorrected" else None
                if moved_to and moved_to not in self.holders(target):
                    self._copy(target, moved_to)  # the target may move there
                for venture in self.holders(target):
                    self.groups[venture].append(record)
            elif event.venture is not None:
                venture = shared.setdefault(event.venture, event.venture)
                self.groups.setdefault(venture, []).append(_compact(event, shared))
                self._where[event.id] = venture

    def holders(self, event_id: str) -> list[str]:
        """The groups that hold an event (more than one once a correction may move it)."""
        if event_id in self._moved:
            return self._moved[event_id]
        return [self._where[event_id]] if event_id in self._where else []

    def _copy(self, target: str, venture: str) -> None:
        """Put the target event (and its amendments so far) in another venture's group."""
        source = self._where[target]
        mine = [r for r in self.groups[source]
                if r[1] == target or (r[2] in AMENDMENTS and json.loads(r[5])["event"] == target)]
        self.groups.setdefault(venture, []).extend(mine)
        self._moved[target] = [*self.holders(target), venture]

    def events_of(self, venture: str) -> Iterator[Event]:
        """What one venture's fold needs: the registrations, and its own events."""
        yield from self.registrations
        yield from self.registry_amendments
        for record in sorted(self.groups.get(venture, []), key=lambda r: r[0]):
            yield _expand(record)


def replay_report(kind: str, events: Iterable[Event], *, as_of: date,
                  known_at: datetime | None = None, program: str | None = None,
                  venture: str | None = None) -> dict[str, Any]:
    """The same document as `build_report`, in memory bounded by one venture's events
    (plus the compact copy of the ledger)."""
    grouped = Grouped(events, known_at)
    who = registry(grouped.registrations + grouped.registry_amendments, known_at)
    selection = Selection(program, venture)
    selection.check(who.programs, {v: i.program for v, i in who.ventures.items()})
    ventures = {}
    for slug in sorted(who.ventures):
        own = [e for e in grouped.events_of(slug)
               if e.type != "VentureRegistered" or e.fields["venture"] == slug]
        folded = fold_events(own, as_of=as_of, known_at=known_at,
                             timeline=kind == "timeline")
        if slug in folded.ventures:
            ventures[slug] = folded.ventures[slug]
    present = {v.info.program for v in ventures.values()}
    programs = {slug: p for slug, p in sorted(who.programs.items())
                if slug in present or p.registered_on <= as_of}
    return document(kind, Folded(programs, ventures), as_of=as_of, known_at=known_at,
                    selection=selection)
