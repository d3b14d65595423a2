"""A local cache of the validation state, so one `append` need not fold the whole ledger.

The index is derived data (a projection of the events): a SQLite file beside the read
model, caught up from the store by position at each write, and deletable at any time (the
next write folds the ledger again). A write holds the index's write lock from loading the
state to saving it, so writers on one machine take turns, and a failed write leaves the
index as it was. Writers on other machines (a shared PostgreSQL ledger) have their own
index; the store's optimistic concurrency keeps them apart.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from datetime import datetime
from pathlib import Path
from typing import Any

from outcomes.ledger.errors import LedgerError
from outcomes.ledger.integrity import root_hex
from outcomes.ledger.model import Event
from outcomes.ledger.state import ENTITY_EVENTS, Entry, LedgerState
from outcomes.ledger.store import EventStore, StoredEvents, is_postgres, postgres_url, to_event

VERSION = "3"  # what the index keeps and how; an index of another version starts over
SCHEMA = [
    "CREATE TABLE IF NOT EXISTS ledger_index_meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS ledger_index_entries (id TEXT PRIMARY KEY, position INTEGER, "
    "type TEXT, digest TEXT, retracted INTEGER, corrections TEXT, slug TEXT, day TEXT, tag TEXT)",
    "CREATE TABLE IF NOT EXISTS ledger_index_entities (kind TEXT, slug TEXT, event TEXT, "
    "tag TEXT, PRIMARY KEY (kind, slug))",
]
TABLES = ("meta", "entries", "entities")


class IndexAltered(Exception):
    """A row of the index is not one the tool wrote: the write starts over without it."""


_sha256 = hashlib.sha256


def _tag(*values: object) -> str:
    """A checksum of one row's values: a row edited or forged by hand (say, a closure's
    row deleted, or an event's `retracted` flag cleared) no longer matches its tag, and
    the index is rebuilt from the events (see docs/design.md)."""
    text = "\x1f".join(map(str, values))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def read_model_path(store_url: str, override: str | None = None) -> str:
    """The local SQLite file of the read model: `--read-model`, else `<store>.read.db`
    beside a SQLite store, else `outcomes-<db>[-<schema>]-<tag>.read.db` in the current
    folder for PostgreSQL (one file per ledger: a file shared by two ledgers would be
    rebuilt at every switch)."""
    if override:
        return override
    if is_postgres(store_url):
        return postgres_local_name(store_url) + ".read.db"
    path = Path(store_url)
    return str(path.with_name(path.stem + ".read.db"))


def local_file_hint(path: str, elsewhere: str) -> str:
    """How to get past a local derived file (read model, index) that cannot be opened;
    `elsewhere` ends the advice for a read-only folder."""
    folder = Path(path).resolve().parent
    if folder.is_dir() and not os.access(folder, os.W_OK):
        return f"its folder {folder} is not writable: pass --read-model PATH in a " \
               f"writable folder{elsewhere}"
    return "check --read-model, or delete the file: it is rebuilt from the events"


def postgres_local_name(url: str) -> str:
    """`outcomes-<db>[-<schema>]-<tag>`: readable, and distinct per server, database and
    schema (the tag hashes them; the user and password are left out, so every role
    working on one ledger from one folder shares its files)."""
    u = postgres_url(url)
    port = 0 if u.port is None else u.port  # malformed: opening the store says so
    where = f"{u.host}:{port}/{u.dbname}/{u.schema}"
    tag = hashlib.sha256(where.encode()).hexdigest()[:8]
    parts = ["outcomes", u.dbname, *([u.schema] if u.schema != "public" else []), tag]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(p for p in parts if p))


def index_path(read_model: str) -> str:
    """The validation index beside the read model: `x.read.db` -> `x.index.db`."""
    if read_model.endswith(".read.db"):
        return read_model[: -len(".read.db")] + ".index.db"
    return read_model + ".index"


def indexed_position(path: str, event_id: str) -> int | None:
    """Where the local index last saw the event `event_id`, or None (no index, not in it,
    unreadable). A hint only: the index is derived data, so the caller checks the store's
    event at that position."""
    if not os.path.isfile(path):
        return None
    try:
        con = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        try:
            row = con.execute("SELECT position FROM ledger_index_entries WHERE id = ?",
                              (event_id,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row and isinstance(row[0], int) else None


FLUSH_EVERY = 5000
LOCK_SECONDS = 60  # how long a writer waits for another one to finish before giving up


class IndexedEntries(Mapping[str, Entry]):
    """Event entries stored in the index, read and written through its open transaction.

    Writes are buffered and flushed in batches (reads look in the buffer first). An entry
    is never deleted (the ledger never forgets an event), so this is a Mapping that can
    also be written to, not a MutableMapping.
    """

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.buffer: dict[str, Entry] = {}
        # When the table starts empty (a first import, an index built again), it holds only
        # the rows this write flushes: their ids' hashes are kept, and an id none of them
        # has is new without asking SQLite (every id of a fresh import).
        self.written: set[int] | None = set() if con.execute(
            "SELECT 1 FROM ledger_index_entries LIMIT 1").fetchone() is None else None

    def get(self, key: str, default: Entry | None = None) -> Entry | None:  # type: ignore[override]
        entry = self.buffer.get(key)
        if entry is not None:
            return entry
        if self.written is not None and hash(key) not in self.written:
            return default
        entry = self._row(key)
        return default if entry is None else entry

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __getitem__(self, key: str) -> Entry:
        entry = self.get(key)
        if entry is None:
            raise KeyError(key)
        return entry

    def _row(self, key: str) -> Entry | None:
        row = self.con.execute("SELECT position, type, digest, retracted, corrections, slug, "
                               "day, tag FROM ledger_index_entries WHERE id = ?",
                               (key,)).fetchone()
        if row is None:
            return None
        if row[7] != _tag(key, *row[:7]):
            raise IndexAltered(f"entry {key!r}")
        corrections = tuple(int(p) for p in row[4].split(",")) if row[4] else ()
        return Entry(row[0], row[1], bytes.fromhex(row[2]), bool(row[3]), corrections,
                     row[5], row[6])

    def __setitem__(self, key: str, entry: Entry) -> None:
        self.buffer[key] = entry
        if len(self.buffer) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        self.con.executemany(
            "INSERT OR REPLACE INTO ledger_index_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (_entry_row(key, e) for key, e in self.buffer.items()))
        if self.written is not None:
            self.written.update(map(hash, self.buffer))
        self.buffer.clear()

    def __iter__(self) -> Iterator[str]:
        """The ids, in the order of their positions."""
        self.flush()
        return (row[0] for row in self.con.execute(
            "SELECT id FROM ledger_index_entries ORDER BY position"))

    def __len__(self) -> int:
        self.flush()
        return _count(self.con, "entries")


def _entry_row(key: str, e: Entry) -> tuple[object, ...]:
    digest, retracted = e.digest.hex(), int(e.retracted)
    corrections = ",".join(map(str, e.corrections)) if e.corrections else ""
    # _tag(*row), written out: one f-string and one hash (an import writes a row per event)
    tag = _sha256(f"{key}\x1f{e.position}\x1f{e.type}\x1f{digest}\x1f{retracted}\x1f"
                  f"{corrections}\x1f{e.slug}\x1f{e.day}".encode()).hexdigest()[:32]
    return key, e.position, e.type, digest, retracted, corrections, e.slug, e.day, tag


@functools.lru_cache(maxsize=64)
def _isoformat(t: datetime) -> str:
    return t.isoformat()  # the events of one write share one recording time


class PendingEvents(Mapping[int, Event]):
    """Events admitted but not yet stored, spilled in batches to a temporary table.

    Written one by one, emptied only together (`clear`)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con  # the table is created with the connection (DDL would roll back)
        self.buffer: dict[int, Event] = {}
        con.execute("DELETE FROM pending")

    def __getitem__(self, position: int) -> Event:
        if position in self.buffer:
            return self.buffer[position]
        row = self.con.execute("SELECT id, recorded_at, recorded_by, content FROM pending "
                               "WHERE position = ?", (position,)).fetchone()
        if row is None:
            raise KeyError(position)
        wire = json.loads(row[3])
        return Event.from_wire(position, row[0], wire.pop("type"),
                               datetime.fromisoformat(row[1]), row[2], wire)

    def __setitem__(self, position: int, event: Event) -> None:
        self.buffer[position] = event
        if len(self.buffer) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        self.con.executemany(
            "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?)",
            ((p, e.id, _isoformat(e.recorded_at), e.recorded_by, e.content().decode())
             for p, e in self.buffer.items()))
        self.buffer.clear()

    def __iter__(self) -> Iterator[int]:
        """The positions, in increasing order."""
        self.flush()
        return (row[0] for row in self.con.execute(
            "SELECT position FROM pending ORDER BY position"))

    def __len__(self) -> int:
        self.flush()
        return self.con.execute("SELECT count(*) FROM pending").fetchone()[0]

    def clear(self) -> None:
        self.buffer.clear()
        self.con.execute("DELETE FROM pending")


_ABSENT = object()


class IndexedEntities(MutableMapping[str, Any]):
    """Programs, ventures, closures (events) or activity (dates) by slug, read on demand;
    changes saved at commit."""

    def __init__(self, con: sqlite3.Connection, kind: str) -> None:
        self.con, self.kind = con, kind
        self.changed: dict[str, Any] = {}  # None: deleted
        # What was read, decoded once per write (the write holds the index's lock, so the
        # rows cannot change under it); _ABSENT: no such row.
        self.read: dict[str, Any] = {}
        self.load: Callable[[str], Any] = json.loads if kind == "activity" else _event_from_json
        self.dump: Callable[[Any], str] = json.dumps if kind == "activity" else \
            (lambda event: json.dumps(event.to_log()))

    def get(self, slug: str, default: Any = None) -> Any:
        """The value, or `default` (without the KeyError that Mapping.get catches: the
        state asks for a closure, and the activity of a venture, at every event)."""
        value = self.changed.get(slug, _ABSENT)
        if value is not _ABSENT:
            return default if value is None else value
        value = self.read.get(slug)
        if value is None:
            value = self.read[slug] = self._row(slug)
        return default if value is _ABSENT else value

    def __getitem__(self, slug: str) -> Any:
        value = self.get(slug, _ABSENT)
        if value is _ABSENT:
            raise KeyError(slug)
        return value

    def __contains__(self, slug: object) -> bool:
        return isinstance(slug, str) and self.get(slug, _ABSENT) is not _ABSENT

    def _row(self, slug: str) -> Any:
        row = self.con.execute("SELECT event, tag FROM ledger_index_entities WHERE kind = ? "
                               "AND slug = ?", (self.kind, slug)).fetchone()
        if row is None:
            return _ABSENT
        if row[1] != _tag(self.kind, slug, row[0]):
            raise IndexAltered(f"{self.kind} {slug!r}")
        return self.load(row[0])

    def __setitem__(self, slug: str, value: Any) -> None:
        self.changed[slug] = value

    def __delitem__(self, slug: str) -> None:
        self[slug]  # KeyError if absent
        self.changed[slug] = None

    def __iter__(self) -> Iterator[str]:
        stored = {row[0] for row in self.con.execute(
            "SELECT slug FROM ledger_index_entities WHERE kind = ?", (self.kind,))}
        alive = (stored | set(self.changed)) - {k for k, v in self.changed.items() if v is None}
        return iter(sorted(alive))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def save(self) -> None:
        for slug, value in self.changed.items():
            if value is None:
                self.con.execute("DELETE FROM ledger_index_entities WHERE kind = ? AND "
                                 "slug = ?", (self.kind, slug))
            else:
                text = self.dump(value)
                self.con.execute("INSERT OR REPLACE INTO ledger_index_entities VALUES "
                                 "(?, ?, ?, ?)", (self.kind, slug, text,
                                                  _tag(self.kind, slug, text)))
        self.changed.clear()
        self.read.clear()


KINDS = (*ENTITY_EVENTS.values(), "activity")


class LedgerIndex:
    """Loads the validation state for one write, and saves it once the write is stored."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.con = sqlite3.connect(path, timeout=LOCK_SECONDS, isolation_level=None)
            for attempt in range(100):  # several processes may create the file at once
                try:
                    self.con.execute("PRAGMA journal_mode=WAL")
                    for statement in SCHEMA:
                        self.con.execute(statement)
                    break
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or attempt == 99:
                        raise
                    time.sleep(0.01 + 0.01 * random.random())
        except sqlite3.DatabaseError as error:
            hint = local_file_hint(path, "; the index goes beside the read model")
            raise LedgerError(f"validation index {path}: {error} ({hint})") from None
        self.con.execute("PRAGMA synchronous=NORMAL")
        self.con.execute("CREATE TEMP TABLE pending (position INTEGER PRIMARY KEY, id TEXT, "
                         "recorded_at TEXT, recorded_by TEXT, content TEXT)")

    def close(self) -> None:
        self.con.close()

    def writable(self) -> bool:
        """False for a file this user may only read: SQLite opens it, and refuses only
        the first write (which, made at commit, would come after the events are stored).

        The probe writes nothing and does not wait: a read-only file refuses it at once,
        and a lock held by another writer (busy) means the file is writable.
        """
        con = self.con
        con.execute("PRAGMA busy_timeout = 0")
        try:
            con.execute("DELETE FROM ledger_index_meta WHERE 0")
        except sqlite3.OperationalError as error:
            code = error.sqlite_errorcode & 0xFF
            if code == sqlite3.SQLITE_READONLY:
                return False
            if code not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                hint = local_file_hint(self.path, "; the index goes beside the read model")
                raise LedgerError(f"validation index {self.path}: {error} ({hint})") from None
        finally:
            con.execute(f"PRAGMA busy_timeout = {int(LOCK_SECONDS * 1000)}")
        return True

    def begin(self, store: EventStore,
              new_id: Callable[[], str] | None = None) -> LedgerState:
        """Take the index's write lock and return the state caught up with the store
        (`new_id`: see LedgerState).

        An index that does not follow from this store's events (another version of the
        index, another ledger, a ledger re-created or rewritten, rows edited by hand) is
        emptied first, and the state is folded again from the events.
        """
        con = self.con
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            raise LedgerError(f"another outcomes command has been writing to this ledger for "
                              f"over {LOCK_SECONDS} s (it holds the lock on {self.path}); "
                              "nothing was recorded: try again once it has finished") from None
        meta = dict(con.execute("SELECT key, value FROM ledger_index_meta"))
        if meta.get("version") != VERSION:
            for table in TABLES:
                con.execute(f"DROP TABLE IF EXISTS ledger_index_{table}")
            for statement in SCHEMA:
                con.execute(statement)
            meta = {}
        elif not _follows(con, store, meta):
            for table in TABLES:
                con.execute(f"DELETE FROM ledger_index_{table}")
            meta = {}
        state = LedgerState(StoredEvents(store), entries=IndexedEntries(con),
                            pending=PendingEvents(con), new_id=new_id)
        for kind in KINDS:
            setattr(state, kind, IndexedEntities(con, kind))
        if meta:
            state.position = int(meta["position"])
            state.recorded_at = datetime.fromisoformat(meta["recorded_at"])
            state.frontier = _frontier(meta)
        for record in store.records(after=state.position):
            state.apply(to_event(record), bytes.fromhex(record.node))
        return state

    def commit(self, state: LedgerState, store_url: str) -> None:
        """Save the state (its entries are already written) and release the lock."""
        con = self.con
        assert isinstance(state.entries, IndexedEntries)
        state.entries.flush()
        for kind in KINDS:
            entities = getattr(state, kind)
            assert isinstance(entities, IndexedEntities)
            entities.save()
        frontier = {p: h.hex() for p, h in state.frontier.items()}
        meta = {"version": VERSION, "store": store_url, "position": str(state.position),
                "recorded_at": state.recorded_at.isoformat() if state.recorded_at else "",
                "frontier": json.dumps(frontier),
                "root": root_hex(state.position, state.frontier.__getitem__),
                "entities": str(_count(con, "entities"))}
        if state.position:
            con.executemany("INSERT OR REPLACE INTO ledger_index_meta VALUES (?, ?)",
                            meta.items())
        con.execute("DELETE FROM pending")
        con.execute("COMMIT")

    def rollback(self) -> None:
        if self.con.in_transaction:
            self.con.execute("ROLLBACK")

    def reset(self) -> None:
        """Forget everything (after IndexAltered): the next write folds the events again."""
        self.rollback()
        self.con.execute("DELETE FROM ledger_index_meta")


def _frontier(meta: dict[str, str]) -> dict[int, bytes]:
    return {int(p): bytes.fromhex(h) for p, h in json.loads(meta["frontier"]).items()}


def _count(con: sqlite3.Connection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM ledger_index_{table}").fetchone()[0]


def _follows(con: sqlite3.Connection, store: EventStore, meta: dict[str, str]) -> bool:
    """Does the index still follow from the store's events? Its Merkle root must be the
    store's root at the index's position (so the events up to there are the ones it
    folded), and its tables must hold as many rows as it wrote (one entry per event: a
    row deleted by hand is seen here, a row edited by hand by its tag when read)."""
    try:
        position = int(meta["position"])
        root = root_hex(position, _frontier(meta).__getitem__)
        return (meta.get("store") == store.location and root == meta.get("root")
                and root == root_hex(position, store.node)
                and _count(con, "entries") == position
                and _count(con, "entities") == int(meta["entities"]))
    except (LookupError, ValueError):  # a position the store does not hold; bad meta
        return False


def _event_from_json(text: str) -> Event:
    data = json.loads(text)
    envelope = {k: data.pop(k) for k in ("position", "id", "type", "recorded_at",
                                          "recorded_by")}
    return Event.from_wire(envelope["position"], envelope["id"], envelope["type"],
                           datetime.fromisoformat(envelope["recorded_at"].replace("Z", "+00:00")),
                           envelope["recorded_by"], data)
