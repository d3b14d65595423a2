"""Application commands of the write side: thin, and all-or-nothing.

Each command folds what is recorded into a `LedgerState`, admits the new events against
it, and appends them in one transaction; if another writer got there first, it starts
again from the new head.
"""

from __future__ import annotations

import getpass
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger import clock
from ledger.errors import ConflictError, LedgerError
from ledger.model import Event
from ledger.state import LedgerState
from ledger.store import EventStore, to_event

RETRY_SECONDS = 30.0  # like SQLITE_LOCK_TIMEOUT: how long a writer keeps losing races
BACKOFF_CAP = 0.05  # longest pause between two attempts, in seconds


def default_actor() -> str:
    """Who records events when neither `recorded_by` nor `--actor` says."""
    return os.environ.get("OUTCOMES_ACTOR") or getpass.getuser()


@dataclass
class Outcome:
    """What a write command did."""

    added: list[Event] = field(default_factory=list)
    skipped: int = 0


def load_state(store: EventStore) -> LedgerState:
    """Fold every recorded event into the validation state."""
    state = LedgerState(lookup=store.event_at)
    for record in store.records():
        state.apply(to_event(record), bytes.fromhex(record.node))
    return state


def record(store: EventStore, items: Iterable[tuple[str | None, Any]], *,
           actor: str | None = None,
           progress: Callable[[int], None] | None = None) -> Outcome:
    """Validate and append events, all or nothing.

    `items` are (location, raw object) pairs; location ("FILE:LINE") prefixes errors.
    Events already recorded with the same id and content are skipped.
    """
    items = list(items)
    actor = actor or default_actor()
    deadline = time.monotonic() + RETRY_SECONDS
    attempt = 0
    while True:
        attempt += 1
        state = load_state(store)
        # Recording times never go backwards along positions, even if the clock does.
        recorded_at = max(clock.now(), state.recorded_at) if state.recorded_at else clock.now()
        outcome, batch = Outcome(), []
        for location, raw in items:
            try:
                event = state.admit(raw, recorded_at=recorded_at, actor=actor)
            except LedgerError as error:
                if location:
                    error.at(location)
                raise
            if event is None:
                outcome.skipped += 1
            else:
                batch.append((event, state.frontier[event.position]))
                outcome.added.append(event)
            if progress:
                progress(1)
        state.end_batch()
        try:
            if batch:
                store.append(batch)
            return outcome
        except ConflictError:
            # Another writer took the position. A random, growing pause spreads the
            # writers out, so under heavy contention no one loses every race.
            if time.monotonic() > deadline:
                raise LedgerError(f"gave up after {attempt} conflicting concurrent appends "
                                  f"in {RETRY_SECONDS:.0f} s; try again") from None
            time.sleep(random.uniform(0, min(BACKOFF_CAP, 0.001 * 2 ** attempt)))


def correction(event_id: str, changes: dict[str, Any], *, reason: str, source: str,
               occurred_on: str, new_id: str | None = None) -> dict[str, Any]:
    """The raw EventCorrected for `outcomes correct`."""
    raw = {"type": "EventCorrected", "event": event_id, "changes": changes, "reason": reason,
           "source": source, "occurred_on": occurred_on}
    return raw | ({"id": new_id} if new_id else {})


def retraction(event_id: str, *, reason: str, source: str, occurred_on: str,
               new_id: str | None = None) -> dict[str, Any]:
    """The raw EventRetracted for `outcomes retract`."""
    raw = {"type": "EventRetracted", "event": event_id, "reason": reason, "source": source,
           "occurred_on": occurred_on}
    return raw | ({"id": new_id} if new_id else {})
