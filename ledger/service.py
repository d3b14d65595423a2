"""Application commands of the write side: thin, and all-or-nothing.

Each command folds what is recorded into a `LedgerState`, admits the new events against
it, and appends them in one transaction; if another writer got there first, it starts
again from the new head.
"""

from __future__ import annotations

import contextlib
import getpass
import itertools
import os
import random
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from outcomes.ledger import clock
from outcomes.ledger.errors import ConflictError, LedgerError
from outcomes.ledger.index import IndexAltered, LedgerIndex
from outcomes.ledger.model import Event
from outcomes.ledger.schema import EVENT_CORRECTED, EVENT_RETRACTED
from outcomes.ledger.state import LedgerState
from outcomes.ledger.store import EventStore, StoredEvents, to_event

RETRY_SECONDS = 30.0  # like SQLITE_LOCK_TIMEOUT: how long a writer keeps losing races
BACKOFF_CAP = 0.05  # longest pause between two attempts, in seconds


def default_actor() -> str:
    """Who records events when neither `recorded_by` nor `--actor` says."""
    return os.environ.get("OUTCOMES_ACTOR") or getpass.getuser()


@dataclass
class Outcome:
    """What a write command did: how many events it added (and which, when kept)."""

    count: int = 0
    skipped: int = 0
    first: Event | None = None
    last: Event | None = None
    added: list[Event] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what failed once the events were stored

    def note(self, event: Event, keep: bool) -> None:
        self.count += 1
        self.first = self.first or event
        self.last = event
        if keep:
            self.added.append(event)


Items = Callable[[], Iterable[tuple[str | None, Any]]]


def new_id() -> str:
    """A new event's id when its input gives none: 12 random hex digits (the state
    checks that it is unused, and draws again if not)."""
    return secrets.token_hex(6)


def load_state(store: EventStore) -> LedgerState:
    """Fold every recorded event into the validation state."""
    state = LedgerState(StoredEvents(store), new_id=new_id)
    for record in store.records():
        state.apply(to_event(record), bytes.fromhex(record.node))
    return state


def record(store: EventStore, items: Items | Iterable[tuple[str | None, Any]], *,
           actor: str | None = None, index_path: str | None = None, keep: bool = True,
           progress: Callable[[int], None] | None = None) -> Outcome:
    """Validate and append events, all or nothing.

    `items` gives (location, raw object) pairs; location ("FILE:LINE") prefixes errors.
    Pass a callable returning a fresh iterator to stream a large file (it is called again
    if a concurrent writer forces a retry); a list is fine for a few events.
    Events already recorded with the same id and content are skipped. With `index_path`,
    the validation state comes from that local index instead of folding the whole ledger.
    `keep=False` keeps only counts in the outcome (for large imports).
    """
    source: Items = items if callable(items) else (lambda it=list(items): iter(it))
    actor = actor or default_actor()
    store.ensure_writable()
    index = LedgerIndex(index_path) if index_path else None
    warnings: list[str] = []
    if index is not None and not index.writable():
        warnings.append(f"the validation index {index.path} is read-only: this write was "
                        "checked against the whole ledger (slower); make the file writable, "
                        "or delete it (it is rebuilt from the events)")
        index.close()
        index = None
    outcome: Outcome | None = None
    try:
        with store.writer_turn():  # PostgreSQL: writers on all machines take turns
            outcome = _record(store, source, actor, index, keep, progress)
            outcome.warnings[:0] = warnings
    except Exception as error:
        if outcome is None:
            raise
        # Stored: what fails now (releasing the writer lock) must not hide it.
        outcome.warnings.append(f"{outcome.count} event(s) recorded, but then: "
                                f"{_one_line(error)}")
    finally:
        if index is not None:
            index.close()
    assert outcome is not None  # _record returned, or the exception was raised again
    return outcome


def _record(store: EventStore, source: Items, actor: str, index: LedgerIndex | None,
            keep: bool, progress: Callable[[int], None] | None) -> Outcome:
    deadline = time.monotonic() + RETRY_SECONDS
    for attempt in itertools.count(1):
        try:
            outcome = _attempt(store, source, actor, index, keep, progress)
        except IndexAltered:
            assert index is not None
            index.reset()  # rows edited behind the tool's back: fold the events again
            continue
        if outcome is not None:
            return outcome
        # Another writer took the position. A random, growing pause spreads the
        # writers out, so under heavy contention no one loses every race.
        if time.monotonic() > deadline:
            raise LedgerError(f"gave up after {attempt} conflicting concurrent appends "
                              f"in {RETRY_SECONDS:.0f} s; try again")
        time.sleep(random.uniform(0, min(BACKOFF_CAP, 0.001 * 2 ** attempt)))
    raise AssertionError("unreachable")


def _attempt(store: EventStore, source: Items, actor: str, index: LedgerIndex | None,
             keep: bool, progress: Callable[[int], None] | None) -> Outcome | None:
    """One try: fold, admit and append while streaming; None if another writer won."""
    state = index.begin(store, new_id) if index else load_state(store)
    now = clock.now()
    try:
        recorded_at = state.recording_time(now)  # never backwards, never from the future
    except LedgerError:
        if index is not None:
            index.rollback()
        raise
    outcome = Outcome()
    steps = 0  # progress reported by this attempt: taken back if it has to start again

    def admitted() -> Iterator[tuple[Event, bytes]]:
        nonlocal steps
        for location, raw in source():
            try:
                event = state.admit(raw, recorded_at=recorded_at, actor=actor, now=now)
            except LedgerError as error:
                if location:
                    error.at(location)
                raise
            if progress:
                progress(1)
                steps += 1
            if event is None:
                outcome.skipped += 1
                continue
            outcome.note(event, keep)
            yield event, state.frontier[event.position]

    try:
        store.append(admitted())
    except ConflictError:
        if index is not None:
            index.rollback()
        if progress and steps:
            progress(-steps)  # the retry reads the items again
        return None
    except BaseException:
        if index is not None:
            index.rollback()
        raise
    finally:
        state.end_batch()
    if index is not None:
        save_index(index, state, store.location, outcome)
    return outcome


def save_index(index: LedgerIndex, state: LedgerState, location: str,
              outcome: Outcome) -> None:
    """Save the index once the events are stored; if that fails (a read-only file, a full
    disk), the events stay stored and reported, with a warning. The index is left as it
    was, at an earlier position: the next write applies the events since then."""
    try:
        index.commit(state, location)  # never a password
    except Exception as error:
        with contextlib.suppress(Exception):
            index.rollback()
        stored = f"{outcome.count} event(s) recorded, but " if outcome.count else ""
        outcome.warnings.append(
            f"{stored}the validation index {index.path} could not be updated "
            f"({_one_line(error)}); the next write brings it up to date from the events "
            "(or delete it: it is rebuilt)")


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def correction(event_id: str, changes: dict[str, Any], *, reason: str, source: str,
               occurred_on: str, new_id: str | None = None,
               provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """The raw EventCorrected for `outcomes correct`; `provenance` holds the correction's
    own evidence, archive and source_sha256 (those given)."""
    raw = {"type": EVENT_CORRECTED, "event": event_id, "changes": changes, "reason": reason,
           "source": source, "occurred_on": occurred_on, **(provenance or {})}
    return raw | ({"id": new_id} if new_id else {})


def retraction(event_id: str, *, reason: str, source: str, occurred_on: str,
               new_id: str | None = None,
               provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """The raw EventRetracted for `outcomes retract`."""
    raw = {"type": EVENT_RETRACTED, "event": event_id, "reason": reason, "source": source,
           "occurred_on": occurred_on, **(provenance or {})}
    return raw | ({"id": new_id} if new_id else {})
