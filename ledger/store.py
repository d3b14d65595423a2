"""The event store: the eventsourcing library's persistence, holding the ledger as one stream.

Every event of the ledger is a version of one stream, so `originator_version` is the
event's position: contiguous (1, 2, 3, ... on SQLite and PostgreSQL alike), ordered by
appends, and guarded by the store's primary key, which refuses a second event at a
position already taken (optimistic concurrency: the loser retries).
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlparse
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import (
    IntegrityError,
    Notification,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from outcomes.ledger.clock import stored_time
from outcomes.ledger.codec import compact_json, decode_state
from outcomes.ledger.errors import ConflictError, LedgerError
from outcomes.ledger.model import Event

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
        # Rows as EventStore.append builds them (tuples), or the library's StoredEvents.
        c.executemany(self.insert_events_statement,
                      (s if type(s) is tuple else
                       (s.originator_id.hex, s.originator_version, s.topic, s.state)
                       for s in stored_events))
        return None


class Recorded(DomainEvent):
    """An event as the eventsourcing library stores it (wire-form fields, its Merkle node)."""

    type: str
    event_id: str
    recorded_by: str
    data: dict[str, Any]
    node: str


# The topic stored with every event names the module where `Recorded` was declared before
# the code moved into the `outcomes` package. Stored ledgers keep that name, so the class
# keeps it too: the library's mapper writes it and resolves it, and `verify` expects it.
Recorded.__module__ = "ledger.store"
RECORDED_TOPIC = get_topic(Recorded)
assert RECORDED_TOPIC == "ledger.store:Recorded"


def writable(path: Path) -> bool:
    """Whether this user may write a SQLite file and create its side files beside it."""
    return os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)


def read_only_uri(path: Path) -> str:
    """The SQLite URI to read a ledger that this user cannot write.

    SQLite reads a WAL-mode file through its `-shm` file, which a read-only folder
    cannot get; without a `-wal` file the main file holds every event, so it is read
    as immutable. A `-wal` file without its `-shm` would be ignored that way (events
    missed), so that case is refused.
    """
    wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    if wal.exists() and not shm.exists():
        raise LedgerError(
            f"{path} is read-only and has recent events in {wal.name} that SQLite "
            f"cannot read without {shm.name}: copy {path.name} and {wal.name} together "
            "into a folder you can write, and pass --db with the copy")
    return f"file:{quote(str(path.resolve()))}?mode=ro" + ("" if wal.exists() else
                                                           "&immutable=1")


SQLITE_HEADER = b"SQLite format 3\x00"
LEDGER_COLUMNS = {"originator_id", "originator_version", "topic", "state"}
NEW_FILE_HINT = "check --db, or run `outcomes init` with a new file"
DAMAGED_HINT = "the file is damaged: restore it from a backup, or import an export into " \
               "a new ledger"


def sqlite_contents(path: Path) -> str:
    """What an existing --db file holds: "empty" (no tables: `init` may make a ledger of
    it) or "ledger". Anything else is refused here, before the library opens it: it
    would add its tables to another application's database and switch it to WAL mode.

    Only the header and the schema are read (cheap at any size); a file shorter than
    its header says was cut off.
    """
    try:
        with path.open("rb") as stream:
            header = stream.read(100)
    except OSError as error:
        raise LedgerError(f"cannot read {path}: {error.strerror}") from None
    if not header:
        return "empty"
    if not header.startswith(SQLITE_HEADER):
        raise LedgerError(f"{path} is not an outcomes ledger (not a SQLite database); "
                          f"{NEW_FILE_HINT}")
    page_size = int.from_bytes(header[16:18], "big")
    pages = int.from_bytes(header[28:32], "big")
    wal = path.with_name(path.name + "-wal")
    size = path.stat().st_size
    in_header = (65536 if page_size == 1 else page_size) * pages
    # The page count is valid when its version matches the change counter; with a -wal
    # file, an interrupted checkpoint may legitimately leave the file short.
    if len(header) < 100:
        in_header = 100  # not even the header is whole
    elif header[24:28] != header[92:96] or (wal.exists() and wal.stat().st_size):
        in_header = 0
    if size < in_header:
        raise LedgerError(f"{path} is cut off ({size:,} of {in_header:,} bytes); "
                          f"{DAMAGED_HINT}")
    uri = read_only_uri(path) if not writable(path) else \
        f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True, timeout=30)
        try:
            tables = sorted(row[0] for row in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"))
            columns = {row[1] for row in con.execute("PRAGMA table_info(stored_events)")}
        finally:
            con.close()
    except sqlite3.DatabaseError as error:
        raise LedgerError(f"{path}: {error}; {DAMAGED_HINT}") from None
    if not tables:
        return "empty"
    if columns >= LEDGER_COLUMNS:
        return "ledger"
    more = f" and {len(tables) - 5} more" if len(tables) > 5 else ""
    raise LedgerError(f"{path} is not an outcomes ledger (a SQLite database of other "
                      f"tables: {', '.join(tables[:5])}{more}); {NEW_FILE_HINT}")


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


@dataclass(frozen=True)
class PostgresURL:
    """What a postgresql:// URL names, read in this one place (without psycopg, so the
    local files' names need no driver); `ledger.postgres.Target` checks it to connect."""

    host: str
    port: int | None  # None: malformed
    dbname: str
    user: str  # "" when the URL names none
    password: str | None
    schema: str
    params: dict[str, str]  # the query's parameters, as given


def postgres_url(url: str) -> PostgresURL:
    u = urlparse(url)
    params = dict(parse_qsl(u.query, keep_blank_values=True))
    try:
        port: int | None = u.port or 5432
    except ValueError:
        port = None
    return PostgresURL(host=params.get("host") or u.hostname or "localhost", port=port,
                       dbname=unquote(u.path.lstrip("/")), user=unquote(u.username or ""),
                       password=unquote(u.password) if u.password is not None else None,
                       schema=params.get("schema", "").strip() or "public", params=params)


def persistence_env(url: str, *, create: bool = False) -> dict[str, str]:
    """The eventsourcing settings for a store URL or SQLite path."""
    if is_postgres(url):
        from outcomes.ledger.postgres import Target

        return Target.from_url(url).env(create=create)
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": url,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": get_topic(BatchSQLiteRecorder)}


def describe(url: str) -> str:
    """A store's location for messages (a PostgreSQL URL without its password)."""
    if is_postgres(url):
        from outcomes.ledger.postgres import redact

        return redact(url)
    return url


class EventStore(Application[Any]):
    """Reads and appends ledger events; nothing here can update or delete one."""

    name = "outcomes"

    def __init__(self, url: str, *, create: bool = False) -> None:
        self.url = url
        self.location = describe(url)
        self.read_only = False
        if is_postgres(url):
            self._open_postgres(url, create=create)
            return
        path = Path(url)
        if path.is_dir():
            raise LedgerError(f"{url} is a folder, not a ledger file: pass --db "
                              f"{os.path.join(url, 'outcomes.db')} (or another file)")
        exists = path.exists()
        empty = exists and sqlite_contents(path) == "empty"  # refuses any other file
        if not create and (empty or not exists):
            init = "outcomes init" if url == "outcomes.db" else \
                f"outcomes --db {shlex.quote(url)} init"
            raise LedgerError(f"no ledger at {url}{' (an empty file)' if empty else ''}: "
                              f"create it with `{init}` first, or pass --db / set "
                              "OUTCOMES_DB to an existing ledger")
        if not create and not writable(path):
            self._open_read_only(path)
            return
        self._start(persistence_env(url))
        with self.recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
            for statement in SQLITE_GUARDS:
                c.execute(statement)

    def _open_read_only(self, path: Path) -> None:
        """A ledger file this user cannot write (a read-only file or folder: an auditor's
        copy, a published snapshot): opened for reading only, nothing created in it."""
        self.read_only = True
        self._start(persistence_env(read_only_uri(path)) | {"CREATE_TABLE": "no"})

    def _start(self, env: dict[str, str]) -> None:
        # Our settings win over stray OUTCOMES_* variables the library would also read.
        for key in env:
            os.environ.pop(f"{self.name.upper()}_{key}", None)
        try:
            super().__init__(env=env)
        except sqlite3.DatabaseError as error:  # raised as the library connects
            raise LedgerError(f"{self.location}: {error}; {DAMAGED_HINT}") from None

    def _open_postgres(self, url: str, *, create: bool) -> None:
        try:
            from outcomes.ledger import postgres
        except ImportError as error:  # psycopg, or the libpq it wraps, is missing
            raise LedgerError(f"PostgreSQL support is not available ({error}): install "
                              "libpq (Debian: apt-get install libpq5) or "
                              "pip install \"psycopg[binary]\"") from None

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

    def _stored(self, after: int, upto: int | None) -> Iterator[StoredEvent]:
        """The ledger stream's stored rows in position order, read page by page."""
        while True:
            rows = self.recorder.select_events(LEDGER_STREAM, gt=after, lte=upto, limit=PAGE)
            yield from rows
            if len(rows) < PAGE:
                return
            after = rows[-1].originator_version

    def records(self, after: int = 0, upto: int | None = None) -> Iterator[Recorded]:
        """Stored events in position order, as the library's mapper decodes them."""
        for row in self._stored(after, upto):
            yield self.mapper.to_domain_event(row)  # type: ignore[misc]

    def read(self, after: int = 0, upto: int | None = None) -> Iterator[Event]:
        """Events in position order. The stored state is plain JSON (no cipher, no
        compression), so it is decoded straight into an Event: building the library's
        `Recorded` first took a third of a rebuild."""
        plain = not (self.mapper.cipher or self.mapper.compressor)
        for row in self._stored(after, upto):
            if plain and row.topic == RECORDED_TOPIC:
                yield from_state(row.originator_version, decode_state(row.state))
            else:
                yield to_event(self.mapper.to_domain_event(row))  # type: ignore[arg-type]

    def read_with_nodes(self, upto: int | None = None) -> Iterator[tuple[Event, str]]:
        """Events in position order with the Merkle node (hex) stored beside each, for an
        archive: what a store holds, nothing recomputed."""
        for row in self._stored(0, upto):
            record = self.mapper.to_domain_event(row)  # type: ignore[misc]
            yield to_event(record), record.node  # type: ignore[arg-type]

    def position_of(self, event_id: str) -> int | None:
        """The position of the event with this id, by a scan of the stored rows (only the
        rows whose bytes hold the id are decoded); None if there is none."""
        needle = event_id.encode()
        for row in self._stored(0, None):
            if needle in row.state and json.loads(row.state).get("event_id") == event_id:
                return row.originator_version
        return None

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
        if isinstance(self.recorder, SQLiteApplicationRecorder):
            yield from self._sqlite_rows(page)
            return
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

    def _sqlite_rows(self, page: int) -> Iterator[Notification]:
        """`rows` on SQLite: the library's query, but a row of the ledger's stream is not
        parsed as a UUID again (a fifth of `verify`'s reading); any other stream id goes
        through the library's conversion, so it is the same object, or the same error,
        raised after the rows before it were yielded."""
        recorder = self.recorder
        table = recorder.events_table_name  # type: ignore[attr-defined]
        convert = recorder.convert_originator_id  # type: ignore[attr-defined]
        ledger = LEDGER_STREAM.hex
        query = (f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
                 "WHERE rowid > ? ORDER BY rowid LIMIT ?")
        last: int | None = None
        while True:
            with recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
                if last is None:  # no lower bound, so even rowid <= 0 is read
                    c.execute(query.replace("WHERE rowid > ? ", ""), (page,))
                else:
                    c.execute(query, (last, page))
                rows = c.fetchall()
            for rowid, stream, version, topic, state in rows:
                yield Notification(id=rowid, originator_id=LEDGER_STREAM if stream == ledger
                                   else convert(stream), originator_version=version,
                                   topic=topic, state=state)
            if len(rows) < page:
                return
            last = rows[-1][0]

    # -- appending --------------------------------------------------------------------

    def ensure_writable(self) -> None:
        """LedgerError for a ledger opened read-only (before any local file is touched)."""
        if self.read_only:
            raise LedgerError(f"{self.location} is read-only for you (the file or its folder "
                              "is not writable): nothing was recorded")

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        """On PostgreSQL, hold the ledger's writer lock: one writing command at a time.

        Positions stay guarded by the store's primary key (a writer that lost a race gets
        ConflictError and retries); the lock keeps writers on different machines from
        racing at all, so a large import is not starved by a stream of small appends that
        each win the race. (Writers on one machine already take turns on the local
        validation index; a SQLite ledger is only ever written from one machine.) A
        process that dies releases it: PostgreSQL ends its session.
        """
        if is_postgres(self.url):
            from outcomes.ledger.postgres import writer_turn

            with writer_turn(self.recorder.datastore):  # type: ignore[attr-defined]
                yield
        else:
            yield

    def append(self, batch: Iterable[tuple[Event, bytes]]) -> None:
        """Store events (with their Merkle nodes) in one transaction, all or nothing.

        `batch` may be a generator: on SQLite it is consumed inside the transaction, so an
        import streams (an exception raised by the generator rolls everything back).
        Raises ConflictError when another writer took one of these positions first, or
        when the database was too busy to take the write (the caller retries both).
        """
        self.ensure_writable()
        if is_postgres(self.url):  # the PostgreSQL recorder needs a sized sequence
            batch = list(batch)
            stored: Iterable[StoredEvent] = [self.stored_event(e, n) for e, n in batch]
        else:  # rows as the recorder inserts them (BatchSQLiteRecorder): no StoredEvent
            stored = ((_STREAM_HEX, e.position, RECORDED_TOPIC, _state(e, node))  # type: ignore[misc]
                      for e, node in batch)
        try:
            self.recorder.insert_events(stored)  # type: ignore[arg-type]
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

    def _holds(self, batch: Iterable[tuple[Event, bytes]]) -> bool:
        """Whether exactly this batch (same ids and nodes at the same positions) is stored.

        Only a list can be checked (a streamed batch is gone; SQLite never retries an
        insert, so it has no such ambiguity).
        """
        if not isinstance(batch, Sequence) or not batch:
            return False
        first, last = batch[0][0].position, batch[-1][0].position
        rows = list(self.records(first - 1, last))
        return len(rows) == len(batch) and all(
            r.event_id == e.id and r.node == node.hex()
            for r, (e, node) in zip(rows, batch, strict=True))

    def stored_event(self, event: Event, node: bytes) -> StoredEvent:
        """The library's stored form of an event, as its mapper would write a `Recorded`
        (same topic, same transcoder, same bytes), without building the dataclass."""
        return StoredEvent(originator_id=LEDGER_STREAM, originator_version=event.position,
                           topic=RECORDED_TOPIC, state=_state(event, node))


def _state(event: Event, node: bytes) -> bytes:
    """The stored state of an event: what the library's mapper writes for a `Recorded`."""
    timestamp = {"_type_": "datetime_iso", "_data_": _isoformat(event.recorded_at)}
    state = {"timestamp": timestamp, "type": event.type, "event_id": event.id,
             "recorded_by": event.recorded_by, "data": event.wire_fields(),
             "node": node.hex()}
    # The library's JSON transcoder's bytes (its `json.dumps` with no spaces and
    # non-ASCII kept), written in C: every value here is plain JSON.
    return compact_json(state)


_STREAM_HEX = LEDGER_STREAM.hex


@functools.lru_cache(maxsize=256)
def _isoformat(t: datetime) -> str:
    return t.isoformat()  # one import shares one recording time: format it once


def to_record(event: Event, node: bytes) -> Recorded:
    return Recorded(originator_id=LEDGER_STREAM, originator_version=event.position,
                    timestamp=event.recorded_at, type=event.type, event_id=event.id,
                    recorded_by=event.recorded_by, data=event.wire_fields(), node=node.hex())


def from_state(position: int, state: dict[str, Any]) -> Event:
    """An Event from the stored state as the library's JSON transcoder wrote it."""
    stamp = state["timestamp"]
    assert stamp["_type_"] == "datetime_iso"
    return Event.from_wire(position, state["event_id"], state["type"],
                           stored_time(stamp["_data_"]), state["recorded_by"], state["data"])


def to_event(r: Recorded) -> Event:
    return Event.from_wire(r.originator_version, r.event_id, r.type, r.timestamp,
                           r.recorded_by, r.data)


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
    if "malformed" in text or "not a database" in text:
        hint = f"; {DAMAGED_HINT}"
    if "permission denied" in text.lower():
        hint = ("; the database role lacks a privilege "
                "(see docs/postgresql.md, \"Permissions\")")
    return LedgerError(f"storage error at {store.location}: {text}{hint}")


class StoredEvents:
    """The store's recorded events as a read-only mapping by position: what
    `LedgerState` reads back when it checks a correction or a repeated id (the state
    itself does no I/O)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def __getitem__(self, position: int) -> Event:
        return self.store.event_at(position)


class CommittedEvents(StoredEvents):
    """`StoredEvents` for a reader of committed events only (`verify`): on a SQLite file,
    through a read-only connection of its own, kept open, one indexed query per event.
    The library's read opens and ends a transaction each time (about 100 µs, against
    10 µs): a tenth of `verify`'s time went there, reading back the events that
    corrections name. Not for a writer: it would not see its own uncommitted events."""

    def __init__(self, store: EventStore) -> None:
        super().__init__(store)
        self.con: sqlite3.Connection | None = None
        path = Path(store.url)
        plain = not (store.mapper.cipher or store.mapper.compressor)
        if plain and isinstance(store.recorder, SQLiteApplicationRecorder) and path.is_file():
            uri = read_only_uri(path) if store.read_only else \
                f"file:{quote(str(path.resolve()))}?mode=ro"
            self.con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self.query = ("SELECT state, topic FROM "  # noqa: S608 - the library's name
                          f"{store.recorder.events_table_name} "  # type: ignore[attr-defined]
                          "WHERE originator_id = ? AND originator_version = ?")

    def __getitem__(self, position: int) -> Event:
        if self.con is None:
            return self.store.event_at(position)
        row = self.con.execute(self.query, (LEDGER_STREAM.hex, position)).fetchone()
        if row is None or row[1] != RECORDED_TOPIC:
            return self.store.event_at(position)  # (says what is wrong as it always did)
        return from_state(position, decode_state(row[0]))

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None
