"""A local cache of the validation state, so one `append` need not fold the whole ledger.

The index is derived data (a projection of the events, like the read model): it lives in
the read-model SQLite file, is caught up from the store by position before each write,
and may be deleted at any time (the next write folds the ledger again). It only ever
moves forward: a process never saves a state older than the one already saved.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, MutableMapping
from datetime import datetime
from pathlib import Path

from ledger.model import Event
from ledger.state import Entry, LedgerState
from ledger.store import EventStore, is_postgres, to_event

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS ledger_index_meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS ledger_index_entries (id TEXT PRIMARY KEY, position INTEGER, "
    "type TEXT, digest TEXT, retracted INTEGER, corrections TEXT)",
    "CREATE TABLE IF NOT EXISTS ledger_index_entities (kind TEXT, slug TEXT, event TEXT, "
    "PRIMARY KEY (kind, slug))",
]
ENTITY_KINDS = ("programs", "ventures", "closures")


def read_model_path(store_url: str, override: str | None = None) -> str:
    """The local SQLite file of derived data: `--read-model`, else `<store>.read.db` next
    to a SQLite store, else `outcomes.read.db` in the current folder (PostgreSQL)."""
    if override:
        return override
    if is_postgres(store_url):
        return "outcomes.read.db"
    path = Path(store_url)
    return str(path.with_name(path.stem + ".read.db"))


class IndexedEntries(MutableMapping[str, Entry]):
    """Entries read from the index on demand; changes kept in memory until saved."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.changed: dict[str, Entry] = {}

    def __getitem__(self, key: str) -> Entry:
        if key in self.changed:
            return self.changed[key]
        row = self.con.execute("SELECT position, type, digest, retracted, corrections FROM "
                               "ledger_index_entries WHERE id = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return Entry(row[0], row[1], row[2], bool(row[3]), json.loads(row[4]))

    def __setitem__(self, key: str, value: Entry) -> None:
        self.changed[key] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("the ledger index never forgets an event")

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        raise TypeError("the ledger index is not meant to be listed")

    def __len__(self) -> int:
        raise TypeError("the ledger index is not meant to be counted")


class LedgerIndex:
    """Opens, catches up and saves the validation state for one store."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.con = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.con.execute("PRAGMA journal_mode=WAL")
        for statement in SCHEMA:
            self.con.execute(statement)

    def close(self) -> None:
        self.con.close()

    def load(self, store: EventStore) -> LedgerState:
        """The state as saved, caught up with every event appended since."""
        entries = IndexedEntries(self.con)
        state = LedgerState(lookup=store.event_at, entries=entries)
        meta = dict(self.con.execute("SELECT key, value FROM ledger_index_meta"))
        if meta.get("store") not in (None, store.url):
            self.con.execute("DELETE FROM ledger_index_meta")  # another ledger's index
            meta = {}
        if meta and not self._same_history(store, meta):
            meta = {}  # a restored or replaced store: start again
        if meta:
            state.position = int(meta["position"])
            state.recorded_at = datetime.fromisoformat(meta["recorded_at"])
            state.frontier = {int(p): bytes.fromhex(h)
                              for p, h in json.loads(meta["frontier"]).items()}
            for kind, slug, event in self.con.execute(
                    "SELECT kind, slug, event FROM ledger_index_entities"):
                getattr(state, kind)[slug] = _event_from_json(event)
        else:
            self.con.execute("DELETE FROM ledger_index_entries")
            self.con.execute("DELETE FROM ledger_index_entities")
        for record in store.records(after=state.position):
            state.apply(to_event(record), bytes.fromhex(record.node))
        return state

    @staticmethod
    def _same_history(store: EventStore, meta: dict[str, str]) -> bool:
        """Does the store still hold the event the index was saved at, unchanged?"""
        position = int(meta["position"])
        frontier = json.loads(meta["frontier"])
        return store.node_at(position) == bytes.fromhex(frontier[str(position)])

    def save(self, state: LedgerState, store_url: str) -> None:
        """Persist the state unless a newer one is already saved (another writer)."""
        entries = state.entries
        assert isinstance(entries, IndexedEntries)
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            saved = con.execute("SELECT value FROM ledger_index_meta WHERE key = 'position'")
            row = saved.fetchone()
            if row is not None and int(row[0]) >= state.position:
                con.execute("ROLLBACK")
                return
            con.executemany(
                "INSERT OR REPLACE INTO ledger_index_entries VALUES (?, ?, ?, ?, ?, ?)",
                ((key, e.position, e.type, e.digest, int(e.retracted), json.dumps(e.corrections))
                 for key, e in entries.changed.items()))
            con.execute("DELETE FROM ledger_index_entities")
            con.executemany("INSERT INTO ledger_index_entities VALUES (?, ?, ?)",
                            ((kind, slug, json.dumps(event.to_log()))
                             for kind in ENTITY_KINDS
                             for slug, event in getattr(state, kind).items()))
            meta = {"store": store_url, "position": str(state.position),
                    "recorded_at": state.recorded_at.isoformat() if state.recorded_at else "",
                    "frontier": json.dumps({p: h.hex() for p, h in state.frontier.items()})}
            con.executemany("INSERT OR REPLACE INTO ledger_index_meta VALUES (?, ?)",
                            meta.items())
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        entries.changed.clear()


def _event_from_json(text: str) -> Event:
    data = json.loads(text)
    envelope = {k: data.pop(k) for k in ("position", "id", "type", "recorded_at",
                                          "recorded_by")}
    return Event.from_wire(envelope["position"], envelope["id"], envelope["type"],
                           datetime.fromisoformat(envelope["recorded_at"].replace("Z", "+00:00")),
                           envelope["recorded_by"], data)
