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
from weakref import WeakKeyDictionary

from ledger import clock
from ledger.errors import ConflictError, LedgerError
from ledger.model import Event
from ledger.state import LedgerState
from ledger.store import EventStore, to_event

RETRIES = 50


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
    return catch_up(store, state)


def catch_up(store: EventStore, state: LedgerState) -> LedgerState:
    """Fold the events recorded after `state.position` (by this or any other writer)."""
    for record in store.records(after=state.position):
        state.apply(to_event(record), bytes.fromhex(record.node))
    return state


# The validation state of each open store, as of its last successful append: a process
# that records many times (a server, the concurrency tests) folds only what is new.
_STATES: WeakKeyDictionary[EventStore, LedgerState] = WeakKeyDictionary()


def record(store: EventStore, items: Iterable[tuple[str | None, Any]], *,
           actor: str | None = None,
           progress: Callable[[int], None] | None = None) -> Outcome:
    """Validate and append events, all or nothing.

    `items` are (location, raw object) pairs; location ("FILE:LINE") prefixes errors.
    Events already recorded with the same id and content are skipped.

    Writers take turns (`EventStore.writer_turn`): the head read, the validation and the
    append happen while no other `outcomes` writer can append, so a large import is not
    starved by many small appends. A writer that still loses the race for a position
    (ConflictError) folds in the new events and tries again.
    """
    items = list(items)
    actor = actor or default_actor()
    with store.writer_turn():
        for attempt in range(RETRIES):
            cached = _STATES.pop(store, None)
            state = catch_up(store, cached) if cached else load_state(store)
            outcome, batch = _admit_all(state, items, actor, progress)
            try:
                if batch:
                    store.append(batch)
            except ConflictError:
                # The state holds the refused batch: fold afresh, after a random pause
                # that grows, so racing writers spread out and each gets through.
                time.sleep(random.uniform(0, min(0.5, 0.002 * 2 ** attempt)))
                continue
            _STATES[store] = state  # exactly what is stored now
            return outcome
    raise LedgerError(f"gave up after {RETRIES} conflicting concurrent appends; try again")


def _admit_all(state: LedgerState, items: list[tuple[str | None, Any]], actor: str,
               progress: Callable[[int], None] | None) -> tuple[Outcome, list[Any]]:
    """Admit every item into `state` (which then holds the batch), or raise LedgerError."""
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
    return outcome, batch


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
