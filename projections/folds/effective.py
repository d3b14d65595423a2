"""The contract's as-of / known-at rule: which events a report sees, and as corrected when.

Pure: a list of events in, the effective events out. An event counts when it occurred
on or before `as_of` and was recorded at or before `known_at`; a correction or a
retraction counts only where it passes both filters itself. Corrections apply in
recording order; a correction that changes `occurred_on` moves the event (and can move
it past `as_of`, out of the report).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from outcomes.ledger.model import Event
from outcomes.ledger.schema import EVENT_CORRECTED, EVENT_RETRACTED, UNSPECIFIED


def order_key(event: Event) -> tuple[date, int]:
    """The contract's "latest / first / after" order: occurred_on, then position."""
    return (event.occurred_on, event.position)


def latest_of(events: Iterable[Event]) -> Event:
    """The contract's "latest" of some events (at least one)."""
    return max(events, key=order_key)


def passes(event: Event, as_of: date | None, known_at: datetime | None) -> bool:
    """Whether an event passes both time filters (None: no filter on that axis)."""
    if as_of is not None and event.occurred_on > as_of:
        return False
    return known_at is None or event.recorded_at <= known_at


def known(event: Event, known_at: datetime | None) -> bool:
    return known_at is None or event.recorded_at <= known_at


@dataclass(frozen=True)
class Citation:
    """A correction applied to an event, as a report cites it beside the original source."""

    id: str
    occurred_on: date
    source: str
    evidence: str  # the correction's own grade (of its source)

    @classmethod
    def of(cls, correction: Event) -> Citation:
        return cls(correction.id, correction.occurred_on, correction.source,
                   correction.fields.get("evidence", UNSPECIFIED))


@dataclass(frozen=True)
class Effective:
    """The events a report sees: corrected, retracted ones left out, in contract order."""

    events: list[Event]
    corrections: dict[str, int] = field(default_factory=dict)  # event id -> applied count
    # event id -> the corrections applied to it, in order (what a report cites)
    cited: dict[str, tuple[Citation, ...]] = field(default_factory=dict)


def effective(events: Iterable[Event], *, as_of: date | None = None,
              known_at: datetime | None = None) -> Effective:
    """Apply the as-of / known-at rule to events given in position order."""
    current: dict[str, Event] = {}
    corrections: dict[str, int] = {}
    cited: dict[str, tuple[Citation, ...]] = {}
    retracted: set[str] = set()
    for event in sorted(events, key=lambda e: e.position):
        if not known(event, known_at):
            continue
        if event.type == EVENT_CORRECTED:
            target = event.fields["event"]
            if target in current and passes(event, as_of, known_at):
                current[target] = current[target].corrected(event.fields["changes"])
                corrections[target] = corrections.get(target, 0) + 1
                cited[target] = (*cited.get(target, ()), Citation.of(event))
        elif event.type == EVENT_RETRACTED:
            if passes(event, as_of, known_at):
                retracted.add(event.fields["event"])
        else:
            current[event.id] = event
    kept = [e for e in current.values()
            if e.id not in retracted and (as_of is None or e.occurred_on <= as_of)]
    kept.sort(key=order_key)
    kept_ids = {e.id for e in kept}
    return Effective(kept, {k: v for k, v in corrections.items() if k in kept_ids},
                     {k: v for k, v in cited.items() if k in kept_ids})
