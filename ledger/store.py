"""The event store: the eventsourcing library's persistence, holding the ledger as one stream.

Every event of the ledger is a version of one stream, so `originator_version` is the
event's position: contiguous (1, 2, 3, ... on SQLite and PostgreSQL alike), ordered by
appends, and guarded by the store's primary key, which refuses a second event at a
position already taken (optimistic concurrency: the loser retries).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError, OperationalError, PersistenceError

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


class Recorded(DomainEvent):
    """An event as the eventsourcing library stores it (wire-form fields, its Merkle node)."""

    type: str
    event_id: str
    recorded_by: str
    data: dict[str, Any]
    node: str


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def persistence_env(url: str, *, create: bool = False) -> dict[str, str]:
    """The eventsourcing settings for a store URL or SQLite path."""
    if is_postgres(url):
        from ledger.postgres import Target

        return Target.from_url(url).env(create=create)
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": url,
            "SQLITE_LOCK_TIMEOUT": "30"}


def describe(url: str) -> str:
    """A store's location for messages (a PostgreSQL URL without its password)."""
    if is_postgres(url):
        from ledger.postgres import redact

        return redact(url)
    return url


class EventStore(Application[Any]):
    """Reads and appends ledger events; nothing here can update or delete one."""

    name = "outcomes"

    def __init__(self, url: str, *, create: bool = False) -> None:
        self.url = url
        self.location = describe(url)
        if is_postgres(url):
            self._open_postgres(url, create=create)
            return
        if not create and not Path(url).exists():
            raise LedgerError(f"no ledger at {url}: run `outcomes init` first "
                              "(or pass --db / set OUTCOMES_DB)")
        self._start(persistence_env(url))
        with self.recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
            for statement in SQLITE_GUARDS:
                c.execute(statement)

    def _start(self, env: dict[str, str]) -> None:
        # Our settings win over stray OUTCOMES_* variables the library would also read.
        for key in env:
            os.environ.pop(f"{self.name.upper()}_{key}", None)
        super().__init__(env=env)

    def _open_postgres(self, url: str, *, create: bool) -> None:
        from ledger import postgres

        target = postgres.Target.from_url(url)
        self.location = target.describe()
        with postgres.opening(target, create=create) as must_create:
            try:
                self._start(target.env(create=must_create))
                if must_create:
                    postgres.install_guards(self.recorder.datastore)  # type: ignore[attr-defined]
            except PersistenceError as error:
                self.close()
                raise storage_error(self, error, target.password) from None

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

    # -- appending --------------------------------------------------------------------

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        """Hold this ledger's writer lock: one writing command at a time, in turn.

        Positions stay guarded by the store's primary key (a writer that lost a race
        gets ConflictError and retries); the lock keeps writers from racing at all, so a
        large import is not starved by a stream of small appends that each win the race.
        A process that dies releases it: PostgreSQL ends its session, the OS its flock.
        """
        if is_postgres(self.url):
            from ledger.postgres import writer_turn

            with writer_turn(self.recorder.datastore):  # type: ignore[attr-defined]
                yield
        else:
            with sqlite_writer_turn(self.url):
                yield

    def append(self, batch: Sequence[tuple[Event, bytes]]) -> None:
        """Store events (with their Merkle nodes) in one transaction, all or nothing.

        Raises ConflictError when another writer took one of these positions first, or
        when the database was too busy to take the write (the caller retries both).
        """
        stored = [self.mapper.to_stored_event(to_record(e, node)) for e, node in batch]
        try:
            self.recorder.insert_events(stored)
        except IntegrityError as error:
            if self._holds(batch):  # a retried insert whose first attempt did commit
                return
            raise ConflictError(str(error)) from error
        except OperationalError as error:
            if not is_transient(error):
                raise
            if self._holds(batch):
                return
            raise ConflictError(str(error)) from error

    def _holds(self, batch: Sequence[tuple[Event, bytes]]) -> bool:
        """Whether exactly this batch (same ids and nodes at the same positions) is stored."""
        first, last = batch[0][0].position, batch[-1][0].position
        rows = list(self.records(first - 1, last))
        return len(rows) == len(batch) and all(
            r.event_id == e.id and r.node == node.hex()
            for r, (e, node) in zip(rows, batch, strict=True))


@contextmanager
def sqlite_writer_turn(path: str) -> Iterator[None]:
    """An exclusive flock on `<ledger>.writer.lock` beside the SQLite file."""
    try:
        import fcntl
        handle = open(path + ".writer.lock", "a")  # noqa: SIM115 (closed below)
    except (ImportError, OSError):  # no flock here, or a read-only folder: race instead
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# SQLSTATEs of PostgreSQL errors that a retry can get past: serialization failure,
# deadlock detected, lock not available (lock_timeout).
TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}


def is_transient(error: BaseException) -> bool:
    """A busy database rather than a broken one: SQLite locked, PostgreSQL lock waits."""
    seen: BaseException | None = error
    while seen is not None:
        text = str(seen).lower()
        if "database is locked" in text or "database is busy" in text:
            return True
        if getattr(seen, "sqlstate", None) in TRANSIENT_SQLSTATES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def storage_error(store: EventStore, error: BaseException,
                  password: str | None = None) -> LedgerError:
    """A database failure as a one-line error naming the store (never its password)."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    if password:
        text = text.replace(password, "***")
    hint = ""
    if "permission denied" in text.lower():
        hint = ("; the database role lacks a privilege "
                "(see docs/postgresql.md, \"Permissions\")")
    return LedgerError(f"storage error at {store.location}: {text}{hint}")


def to_record(event: Event, node: bytes) -> Recorded:
    return Recorded(originator_id=LEDGER_STREAM, originator_version=event.position,
                    timestamp=event.recorded_at, type=event.type, event_id=event.id,
                    recorded_by=event.recorded_by, data=event.wire_fields(), node=node.hex())


def to_event(r: Recorded) -> Event:
    return Event.from_wire(r.originator_version, r.event_id, r.type, r.timestamp,
                           r.recorded_by, r.data)
