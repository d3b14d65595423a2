"""The event store on both backends: one stream, positions guarded, retries that add nothing.

These drive `EventStore` and `record()` directly (the CLI tests drive the same code
through `outcomes`); each runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from contextlib import nullcontext

import pytest

from outcomes.ledger.errors import ConflictError
from outcomes.ledger.service import load_state, record
from outcomes.ledger.store import EventStore, is_transient
from tests.conftest import SCENARIO, Outcomes


def offer(i: int) -> dict[str, str]:
    return {"type": "OfferLaunched", "id": f"offer-{i}", "venture": "alpha",
            "offer": f"Offer {i}", "occurred_on": "2016-01-01", "source": "https://x.org"}


@pytest.fixture
def stores(scenario: Outcomes):
    a, b = EventStore(scenario.url), EventStore(scenario.url)
    yield a, b
    a.close()
    b.close()


def admitted(store: EventStore, raw: dict) -> list:
    """A batch of one event admitted against `store`'s current head (not yet appended)."""
    from outcomes.ledger import clock

    state = load_state(store)
    event = state.admit(raw, recorded_at=clock.now(), actor="tester")
    state.end_batch()
    return [(event, state.frontier[event.position])]


def test_a_second_event_at_a_taken_position_is_a_conflict(stores) -> None:
    a, b = stores
    stale = admitted(b, offer(2))  # b read head 40 and will write position 41
    record(a, [(None, offer(1))])  # ... but a takes 41 first
    with pytest.raises(ConflictError):
        b.append(stale)
    assert [e.id for e in b.read(after=40)] == ["offer-1"]


def test_an_append_that_is_already_stored_is_not_a_conflict(stores) -> None:
    """A retried insert whose first attempt committed (reply lost) succeeds quietly."""
    a, b = stores
    batch = admitted(a, offer(1))
    a.append(batch)
    b.append(batch)  # the very same events at the same positions
    assert [e.id for e in a.read(after=40)] == ["offer-1"]


def test_record_retries_after_losing_a_race(stores, monkeypatch) -> None:
    a, b = stores
    real_append = b.append
    calls = []

    def append_after_a_rival(batch):
        if not calls:  # the first time, another writer gets there first
            record(a, [(None, offer(1))])
        calls.append(batch)
        return real_append(batch)

    monkeypatch.setattr(b, "append", append_after_a_rival)
    monkeypatch.setattr(a, "writer_turn", nullcontext)  # a rival that does not take turns
    outcome = record(b, [(None, offer(2))])
    assert len(calls) == 2
    assert [(e.id, e.position) for e in outcome.added] == [("offer-2", 42)]
    assert [e.id for e in a.read(after=40)] == ["offer-1", "offer-2"]


def test_a_busy_database_is_retried(stores, monkeypatch) -> None:
    from eventsourcing.persistence import OperationalError

    _, b = stores
    real_insert = b.recorder.insert_events
    calls = []

    def busy_once(stored, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked") from sqlite3.OperationalError(
                "database is locked")
        return real_insert(stored, **kwargs)

    monkeypatch.setattr(b.recorder, "insert_events", busy_once)
    outcome = record(b, [(None, offer(1))])
    assert len(calls) == 2 and outcome.added[0].position == 41


def test_a_broken_database_is_not_retried(stores, monkeypatch) -> None:
    from eventsourcing.persistence import OperationalError

    _, b = stores

    def broken(stored, **kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(b.recorder, "insert_events", broken)
    with pytest.raises(OperationalError):
        record(b, [(None, offer(1))])


def test_transient_errors() -> None:
    from eventsourcing.persistence import OperationalError

    def wrapped(cause: BaseException) -> OperationalError:
        try:
            raise OperationalError(str(cause)) from cause
        except OperationalError as error:
            return error

    assert is_transient(wrapped(sqlite3.OperationalError("database is locked")))
    assert not is_transient(wrapped(sqlite3.OperationalError("no such table: x")))
    import psycopg  # a dependency (eventsourcing[postgres]): never skipped
    assert is_transient(wrapped(psycopg.errors.LockNotAvailable("lock timeout")))
    assert is_transient(wrapped(psycopg.errors.SerializationFailure("could not serialize")))
    assert is_transient(wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))
    assert not is_transient(wrapped(psycopg.errors.UndefinedTable("no table")))


def test_a_refused_batch_does_not_poison_the_next_record(outcomes: Outcomes) -> None:
    """The cached validation state is dropped when a batch is refused."""
    store = EventStore(outcomes.url)
    try:
        record(store, [(None, e) for e in map(_json, SCENARIO.read_text().splitlines())])
        with pytest.raises(Exception, match="unknown venture"):
            record(store, [(None, offer(1)), (None, {**offer(2), "venture": "nope"})])
        outcome = record(store, [(None, offer(1))])
        assert outcome.added[0].position == 41
    finally:
        store.close()
    assert outcomes.count() == 41


def test_writer_turn_is_released(stores) -> None:
    a, b = stores
    with a.writer_turn():
        pass
    with b.writer_turn():  # would block for ever if a still held it
        pass
    with pytest.raises(RuntimeError), a.writer_turn():
        raise RuntimeError
    with b.writer_turn():
        pass


def _json(line: str) -> dict:
    import json

    return json.loads(line)
