"""Application commands of the write side: thin, and all-or-nothing.

Each command folds what is recorded into a `LedgerState`, admits the new events against
it, and appends them in one transaction; if another writer got there first, it starts
again from the new head.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger import clock
from ledger.errors import ConflictError, LedgerError
from ledger.index import LedgerIndex
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
    for record in store.records():
        state.apply(to_event(record), bytes.fromhex(record.node))
    return state


def record(store: EventStore, items: Iterable[tuple[str | None, Any]], *,
           actor: str | None = None, index_path: str | None = None,
           progress: Callable[[int], None] | None = None) -> Outcome:
    """Validate and append events, all or nothing.

    `items` are (location, raw object) pairs; location ("FILE:LINE") prefixes errors.
    Events already recorded with the same id and content are skipped. With `index_path`,
    the validation state is loaded from (and saved to) that local index instead of
    folding the whole ledger.
    """
    items = list(items)
    actor = actor or default_actor()
    index = LedgerIndex(index_path) if index_path else None
    try:
        return _record(store, items, actor, index, progress)
    finally:
        if index is not None:
            index.close()


def _record(store: EventStore, items: list[tuple[str | None, Any]], actor: str,
            index: LedgerIndex | None, progress: Callable[[int], None] | None) -> Outcome:
    for _ in range(RETRIES):
        state = index.load(store) if index else load_state(store)
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
        except ConflictError:
            continue
        if index is not None:
            index.save(state, store.url)
        return outcome
    raise LedgerError(f"gave up after {RETRIES} conflicting concurrent appends; try again")


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
