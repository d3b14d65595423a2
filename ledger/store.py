"""The event store: the eventsourcing library's persistence, holding the ledger as one stream.

Every event of the ledger is a version of one stream, so `originator_version` is the
event's position: contiguous (1, 2, 3, ... on SQLite and PostgreSQL alike), ordered by
appends, and guarded by the store's primary key, which refuses a second event at a
position already taken (optimistic concurrency: the loser retries).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError, Notification, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from ledger.errors import ConflictError, LedgerError
from ledger.model import Event

LEDGER_STREAM = uuid5(NAMESPACE_URL, "https://outcomes.example/ledger")
PAGE = 5000

SQLITE_GUARDS = [
    "CREATE TRIGGER IF NOT EXISTS stored_events_append_only_update BEFORE UPDATE ON "
    "stored_events BEGIN SELECT RAISE(ABORT, 'outcomes: the ledger is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS stored_events_append_only_delete BEFORE DELETE ON "
    "stored_events BEGIN SELECT RAISE(ABORT, 'outcomes: the ledger is append-only'); END",
]


class BatchSQLiteRecorder(SQLiteApplicationRecorder):
    """Inserts a batch with one `executemany` (the ledger never needs the notification
    ids that the library's recorder fetches row by row)."""

    def _insert_events(self, c: Any, stored_events: Any, **_: Any) -> None:
        c.executemany(self.insert_events_statement,
                      ((s.originator_id.hex, s.originator_version, s.topic, s.state)
                       for s in stored_events))
        return None


class Recorded(DomainEvent):
    """An event as the eventsourcing library stores it (wire-form fields, its Merkle node)."""

    type: str
    event_id: str
    recorded_by: str
    data: dict[str, Any]
    node: str


RECORDED_TOPIC = get_topic(Recorded)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def persistence_env(url: str) -> dict[str, str]:
    """The eventsourcing settings for a store URL or SQLite path."""
    if is_postgres(url):
        u = urlparse(url)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": u.path.lstrip("/"),
            "POSTGRES_HOST": u.hostname or "localhost",
            "POSTGRES_PORT": str(u.port or 5432),
            "POSTGRES_USER": unquote(u.username or ""),
            "POSTGRES_PASSWORD": unquote(u.password or ""),
        }
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": url,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": get_topic(BatchSQLiteRecorder)}


class EventStore(Application[Any]):
    """Reads and appends ledger events; nothing here can update or delete one."""

    name = "outcomes"

    def __init__(self, url: str, *, create: bool = False) -> None:
        self.url = url
        if not is_postgres(url) and not create and not Path(url).exists():
            raise LedgerError(f"no ledger at {url}: run `outcomes init` first "
                              "(or pass --db / set OUTCOMES_DB)")
        # Our settings win over stray OUTCOMES_* variables the library would also read.
        env = persistence_env(url)
        for key in env:
            os.environ.pop(f"{self.name.upper()}_{key}", None)
        super().__init__(env=env)
        if not is_postgres(url):
            with self.recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
                for statement in SQLITE_GUARDS:
                    c.execute(statement)

    # -- reading ----------------------------------------------------------------------

    def head(self) -> int:
        """The position of the last event (0 for an empty ledger)."""
        last = self.recorder.select_events(LEDGER_STREAM, desc=True, limit=1)
        return last[0].originator_version if last else 0

    def records(self, after: int = 0, upto: int | None = None,
                page: int = PAGE) -> Iterator[Recorded]:
        """Stored events in position order, read page by page."""
        while True:
            rows = self.recorder.select_events(LEDGER_STREAM, gt=after, lte=upto, limit=page)
            for row in rows:
                yield self.mapper.to_domain_event(row)  # type: ignore[misc]
            if len(rows) < page:
                return
            after = rows[-1].originator_version

    def read(self, after: int = 0, upto: int | None = None) -> Iterator[Event]:
        for r in self.records(after, upto):
            yield to_event(r)

    def event_at(self, position: int) -> Event:
        rows = self.recorder.select_events(LEDGER_STREAM, gt=position - 1, lte=position)
        if not rows:
            raise LookupError(f"no event at position {position}")
        return to_event(self.mapper.to_domain_event(rows[0]))  # type: ignore[arg-type]

    def node(self, position: int) -> bytes:
        """The Merkle node stored with the event at `position` (for `checkpoint`)."""
        for r in self.records(position - 1, position):
            return bytes.fromhex(r.node)
        raise LookupError(f"no event at position {position}")

    def rows(self, page: int = PAGE) -> Iterator[Notification]:
        """Every row of the events table, whatever its stream, in the store's global order.

        `verify` reads these rather than the ledger stream, so a row slipped in beside the
        ledger (another stream, a stray version) is seen too. Backend-neutral: the
        library's notification log is the SQLite rowid order or PostgreSQL's
        notification_id order. A row whose stream id is not a UUID makes the library
        raise (ValueError and the like): the rows before it are yielded first.
        """
        last: int | None = None  # None: no lower bound, so even rowid <= 0 is read
        while True:
            try:
                rows = self.recorder.select_notifications(last, page, inclusive_of_start=False)
            except (ValueError, TypeError, AttributeError):
                if page == 1:
                    raise
                page = 1  # read on row by row up to the one that cannot be converted
                continue
            yield from rows
            if len(rows) < page:
                return
            last = rows[-1].id

    # -- appending --------------------------------------------------------------------

    def append(self, batch: Iterable[tuple[Event, bytes]]) -> None:
        """Store events (with their Merkle nodes) in one transaction, all or nothing.

        `batch` may be a generator: on SQLite it is consumed inside the transaction, so an
        import streams (an exception raised by the generator rolls everything back).
        Raises ConflictError when another writer took one of these positions first.
        """
        stored: Iterable[StoredEvent] = (self.stored_event(e, node) for e, node in batch)
        if is_postgres(self.url):
            stored = list(stored)  # the PostgreSQL recorder needs a sized sequence
        try:
            self.recorder.insert_events(stored)  # type: ignore[arg-type]
        except IntegrityError as error:
            raise ConflictError(str(error)) from error

    def stored_event(self, event: Event, node: bytes) -> StoredEvent:
        """The library's stored form of an event, as its mapper would write a `Recorded`
        (same topic, same transcoder, same bytes), without building the dataclass."""
        timestamp = {"_type_": "datetime_iso", "_data_": _isoformat(event.recorded_at)}
        state = {"timestamp": timestamp, "type": event.type, "event_id": event.id,
                 "recorded_by": event.recorded_by, "data": event.wire_fields(),
                 "node": node.hex()}
        return StoredEvent(originator_id=LEDGER_STREAM, originator_version=event.position,
                           topic=RECORDED_TOPIC, state=self.mapper.transcoder.encode(state))


@functools.lru_cache(maxsize=256)
def _isoformat(t: datetime) -> str:
    return t.isoformat()  # one import shares one recording time: format it once


def to_record(event: Event, node: bytes) -> Recorded:
    return Recorded(originator_id=LEDGER_STREAM, originator_version=event.position,
                    timestamp=event.recorded_at, type=event.type, event_id=event.id,
                    recorded_by=event.recorded_by, data=event.wire_fields(), node=node.hex())


def to_event(r: Recorded) -> Event:
    return Event.from_wire(r.originator_version, r.event_id, r.type, r.timestamp,
                           r.recorded_by, r.data)
