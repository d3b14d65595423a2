"""The read model: the projections' folds materialised in a SQLite file (sqlite-utils).

Kept up to date incrementally and exactly once. `catch_up` reads only the events after
the tracked position, and writes their `facts` rows, the ventures they touch (`dirty`)
and the new position in ONE transaction per batch; a crash before the commit leaves
nothing of the batch, so the next run takes it again from the same position. Dirty
ventures are then refolded from their facts and their rows replaced, again in one
transaction with the clearing of the dirty marks. Every derived row is a pure function
of the facts, so `rebuild` (drop everything, catch up from zero) gives identical tables.

The facts are filed by the fact log (factlog.py), and the derived rows are the folds of
`folds.venture.fold_venture` over them (query.py), written by tables.py. Reports as of a
date on or after the last recording date (the default: today) are answered from the
derived tables; earlier dates fold the ventures again from the same facts (query.answer),
as a report from the events alone does from a temporary fact log (replay.py).

Bound to the ledger: the Merkle root at the tracked position is kept (`meta.root`); when
the store's root at that position differs (another ledger, a re-created one), the read
model starts over. Every row a report reads is checked against its digest (docs/
integrity.md, "The read model"): a row changed outside outcomes stops the report.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from outcomes.ledger import index
from outcomes.ledger.errors import ReportError
from outcomes.ledger.integrity import root_hex
from outcomes.ledger.model import Event
from outcomes.ledger.schema import SALES_REPORTED
from outcomes.ledger.store import is_postgres
from outcomes.projections.folds.roi import Money, Rate, combine, rate_of_return
from outcomes.projections.folds.targets import TargetFacts
from outcomes.projections.folds.timeline import TimelineEntry, dispute_of
from outcomes.projections.folds.venture import (
    VentureInfo,
    VentureState,
    finish,
    registry,
    replay,
    step,
    steppable,
)
from outcomes.projections.present.documents import (
    DISPUTE_FIELDS,
    KINDS,
    ROI_FIGURES,
    citations,
    graded_dispute,
    header,
    program_head,
    roi_document,
    roi_row,
    target_records,
    targets_document,
    timeline_document,
    timeline_records,
    unknown_kind,
    venture_head,
)
from outcomes.projections.present.render import _COMPACT
from outcomes.projections.present.stream import SEPARATOR, Encoded
from outcomes.projections.readmodel.factlog import FactLog, Touched
from outcomes.projections.readmodel.query import Selection, answer
from outcomes.projections.readmodel.replay import report_from_events
from outcomes.projections.readmodel.tables import (
    CACHES,
    PROGRAM_TABLES,
    REPORTED_ROWS,
    SCHEMA_VERSION,
    STEPPED_TABLES,
    TABLES,
    VENTURE_TABLES,
    VIEWS,
    Tampered,
    cited_from,
    create_tables,
    dispute_update,
    money_of,
    program_rows,
    seal,
    state_from,
    state_row,
    targets_of,
    timeline_entry,
    venture_info,
    venture_rows,
)

STREAM = "ledger"  # the tracking row: the store's one global order
BATCH = 5000
Hook = Callable[[str, int], None]  # (stage, position): called just before a commit
T = TypeVar("T")
# PRAGMA application_id: marks a SQLite file as an outcomes read model ("OUrm")
APPLICATION_ID = int.from_bytes(b"OUrm", "big")
SQLITE_HEADER = b"SQLite format 3\x00"
DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")  # sqlite3 error names of a damaged file


class EventSource(Protocol):
    """What the read model needs of the event store (ledger.store.EventStore has it)."""

    def read(self, after: int = 0, upto: int | None = None) -> Iterator[Event]: ...

    def node(self, position: int) -> bytes: ...


class Damaged(ReportError):
    """The read model file is not a readable SQLite database."""


def _writable(path: str) -> bool:
    return os.access(path, os.W_OK)


# The read model is derived: a commit need not wait for the disk (WAL + NORMAL stays
# consistent, and a lost last batch is simply applied again from the tracked position);
# a large page cache keeps the facts' indexes in memory while a million rows go in.
PRAGMAS = ("synchronous=NORMAL", f"cache_size=-{128 * 1024}")  # KiB
REFOLD_BATCH = 500  # ventures refolded together (SQLite allows 32766 parameters)
STREAM_BATCH = 200  # ventures whose rows a streamed report reads together
Sink = Callable[[dict[str, Any]], None]  # takes a report document and writes it


def read_model_path(store_url: str, override: str | None = None) -> str:
    """The read model file: `--read-model` / OUTCOMES_READ_MODEL, else beside a SQLite
    store (`outcomes.db` -> `outcomes.read.db`), else one per ledger in the current folder
    (PostgreSQL: `./outcomes-<db>-<tag>.read.db`).

    The write side's validation index sits beside it, so the one definition of the
    path lives in ledger.index.
    """
    return index.read_model_path(store_url, override)


class ReadModel(AbstractContextManager["ReadModel"]):
    """A read model file: open it, `catch_up` from a store, ask it for `report`s."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.processed = 0  # events applied by this object (for tests and progress)
        self._db: Any = None
        if os.path.isdir(path):
            raise ReportError(f"read model {path} is a folder: pass --read-model with a file")
        if path != ":memory:" and os.path.isfile(path) and not _writable(path):
            raise ReportError(f"read model {path} is read-only for you: pass --read-model "
                              "PATH to a file you can write, or report from the events alone "
                              "with --known-at")
        with self._guard():
            self.conn = sqlite3.connect(path, check_same_thread=False)  # as sqlite-utils
        try:
            with self._guard():
                self._check_ours()
                if path != ":memory:" and \
                        self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.conn.execute("PRAGMA journal_mode=wal")
                for pragma in PRAGMAS:
                    self.conn.execute(f"PRAGMA {pragma}")
                if self._meta("schema_version") != SCHEMA_VERSION:
                    self.reset()
        except BaseException:
            self.conn.close()
            raise

    def _check_ours(self) -> None:
        """Refuse, before writing a byte, a file that is not a read model: a ledger, an
        index, another application's database. Ours: empty, marked with our
        application_id, or a read model written before the mark (schema version < 7)."""
        mark = self.conn.execute("PRAGMA application_id").fetchone()[0]
        names = {n for (n,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
            if not n.startswith("sqlite_")}
        ledger = {n for n in names if n == "stored_events" or n.startswith("ledger_index_")}
        if mark == APPLICATION_ID or not names or (
                mark == 0 and {"meta", "tracking", "facts"} <= names and not ledger):
            return
        what = ("an outcomes ledger" if "stored_events" in names else
                "a validation index" if ledger else
                "another application's database (tables: "
                + ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "") + ")")
        raise ReportError(f"read model {self.path} is {what}, not a read model: nothing was "
                          "written to it; pass --read-model with a file of its own")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """SQLite errors and failed digests as one-line ReportErrors (Damaged: the file
        cannot be read as a database)."""
        try:
            yield
        except Tampered as error:
            raise ReportError(
                f"read model {self.path}: {error} was changed outside outcomes, so its "
                "figures may not follow from the events: run `outcomes rebuild`") from None
        except sqlite3.DatabaseError as error:
            name = getattr(error, "sqlite_errorname", "")
            if name in DAMAGED:
                raise Damaged(f"read model {self.path}: {error} (delete it, or pass "
                              "--read-model with another file: it is rebuilt from the "
                              "events)") from None
            if name.startswith("SQLITE_READONLY"):
                raise ReportError(f"read model {self.path} is read-only for you ({error}): "
                                  "pass --read-model PATH to a file you can write, or report "
                                  "from the events alone with --known-at") from None
            hint = index.local_file_hint(self.path, ", or report from the events alone "
                                                    "with --known-at")
            raise ReportError(f"read model {self.path}: {error} ({hint})") from None

    @property
    def db(self) -> Any:
        """The file as a sqlite_utils.Database, made when first needed (creating tables,
        browsing them in tests): importing sqlite-utils costs a report a tenth of its time,
        and reading rows needs only the connection."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def close(self) -> None:
        self.conn.close()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema and bookkeeping -----------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT: one writer at a time; rolled back on any error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def reset(self) -> None:
        """Drop the read model's tables and create them empty (position 0).

        Only the tables of `TABLES` and `CACHES` (and the `VIEWS`): whatever else the file
        holds stays.
        """
        with self._transaction():
            self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            for view in VIEWS:
                self.conn.execute(f"DROP VIEW IF EXISTS {view}")
            for name in [*TABLES, *CACHES]:
                if self.db[name].exists():
                    self.db[name].drop()
            create_tables(self.db, [*TABLES, *CACHES])
            self.db["tracking"].insert({"name": STREAM, "position": 0})
            self.db["meta"].insert({"key": "schema_version", "value": SCHEMA_VERSION})
            self._reseal()

    def _insert(self, table: str, rows: list[dict[str, Any]], *, ignore: bool = False) -> None:
        """Plain executemany: sqlite-utils' insert_all checks every value, too slow for
        a million facts; the columns are fixed by `TABLES` anyway."""
        if not rows:
            return
        columns = list({**TABLES, **CACHES}[table][0])
        verb = "INSERT OR IGNORE" if ignore else "INSERT"
        sql = (f"{verb} INTO {table} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        self.conn.executemany(sql, [tuple(map(row.get, columns)) for row in rows])

    def _meta(self, key: str) -> str | None:
        if not self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                 "AND name = 'meta'").fetchone():
            return None
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                          "DO UPDATE SET value = excluded.value", [key, value])

    def position(self) -> int:
        """The position of the last event applied (0: none)."""
        row = self.conn.execute("SELECT position FROM tracking WHERE name = ?",
                                [STREAM]).fetchone()
        return row[0] if row else 0

    def last_recorded_on(self) -> date | None:
        value = self._meta("last_recorded_on")
        return None if value is None else date.fromisoformat(value)

    # -- catching up ----------------------------------------------------------------------

    def catch_up(self, store: EventSource, *, batch: int = BATCH,
                 hook: Hook | None = None) -> int:
        """Apply the events appended since the tracked position; return how many."""
        with self._guard():
            self._check_source(store)
            done = 0
            pending: list[Event] = []
            facts = FactLog(self.conn)
            bulk = self.position() == 0  # a first build: index the facts once they are in
            facts.indexes(keep=not bulk)
            for event in store.read(after=self.position()):
                pending.append(event)
                if len(pending) >= batch:
                    done += self._apply(pending, store, hook, facts)
                    pending = []
            if pending:
                done += self._apply(pending, store, hook, facts)
            facts.indexes(keep=True)
            self._refresh(hook, facts)
            return done

    def rebuild(self, store: EventSource, *, batch: int = BATCH) -> int:
        """Drop the read model and build it again from every event."""
        self.reset()
        return self.catch_up(store, batch=batch)

    def _check_source(self, store: EventSource) -> None:
        """Start afresh unless the store's Merkle root at the tracked position is the one
        this read model was built from: same events, same order, same recording (another
        ledger, or one re-created with other content, has another root)."""
        position = self.position()
        if position == 0:
            return
        try:
            same = root_hex(position, store.node) == self._meta("root")
        except LookupError:
            same = False
        if not same:
            self.reset()

    def _reseal(self) -> None:
        """Seal the bookkeeping: the tracked position and root, the last recording date, the
        ventures with their programs and the list of programs (a venture deleted with all
        its rows and seals breaks this one, as a venture moved to another program)."""
        self._set_meta("seal", self._state_seal())

    def _state_seal(self) -> str:
        return seal("state", self.position(),
                    *[self._meta(k) for k in ("schema_version", "root", "last_recorded_on")],
                    self.conn.execute("SELECT venture, program FROM ventures "
                                      "ORDER BY venture").fetchall(),
                    [p for (p,) in self.conn.execute("SELECT program FROM programs "
                                                     "ORDER BY program")])

    def _check_state(self) -> None:
        if self._meta("seal") != self._state_seal():
            raise Tampered("its bookkeeping (tables meta, tracking, ventures or programs)")

    def _apply(self, events: list[Event], store: EventSource, hook: Hook | None = None,
               facts: FactLog | None = None) -> int:
        """One batch: facts rows, dirty marks and the new position, in one transaction."""
        facts = facts or FactLog(self.conn)
        with self._transaction():
            position = self.position()  # again, under the write lock
            events = [e for e in events if e.position > position]
            if not events:
                return 0
            touched: Touched = facts.file(events)
            dirty = sorted([*(("program", p) for p in touched.programs),
                            *(("venture", v) for v in touched.ventures)])
            self._insert("dirty", [{"kind": k, "key": v} for k, v in dirty], ignore=True)
            last = events[-1]
            self.conn.execute("UPDATE tracking SET position = ? WHERE name = ?",
                            [last.position, STREAM])
            recorded = max(e.recorded_at.date() for e in events)
            before = self.last_recorded_on()
            self._set_meta("last_recorded_on",
                           max(recorded, before or recorded).isoformat())
            self._set_meta("root", root_hex(last.position, store.node))
            self._reseal()
            if hook is not None:
                hook("facts", last.position)
        self.processed += len(events)
        return len(events)

    def _refresh(self, hook: Hook | None, facts: FactLog | None = None) -> None:
        """Refold the dirty ventures and programs, and clear the marks, in one transaction."""
        if not self.conn.execute("SELECT 1 FROM dirty LIMIT 1").fetchone():
            return
        facts = facts or FactLog(self.conn)
        with self._transaction():
            dirty = self._select("SELECT kind, key FROM dirty ORDER BY kind, key")
            ventures = [row["key"] for row in dirty if row["kind"] == "venture"]
            for start in range(0, len(ventures), REFOLD_BATCH):
                self._refold_ventures(ventures[start:start + REFOLD_BATCH], facts)
            for row in dirty:
                if row["kind"] == "program":
                    self._refold_program(row["key"], facts)
            self.conn.execute("DELETE FROM dirty")
            self._reseal()
            if hook is not None:
                hook("derive", self.position())

    def _refold_ventures(self, ventures: list[str], facts: FactLog) -> None:
        """Fold a batch of ventures again: from its stored state, a venture whose new facts
        can be stepped (`folds.venture.steppable`: most catch-ups), else from all its
        facts (`replay`: a first build, a correction, a retraction, a back-dated event).
        Then one delete and one insert per table for the whole batch (a venture at a time
        costs a statement per table): every row of a replayed venture; of a stepped one,
        the rows of the tables its new events' types may change (`STEPPED_TABLES`), and
        in its timeline the new events' rows and the new dispute figures of the older
        claims of the periods they claim. Only the tables written are sealed again."""
        stored = self._states(ventures)
        new = facts.facts_after({v: p for v, (p, _) in stored.items()})
        made: dict[str, dict[str, list[dict[str, Any]]]] = {}  # venture -> table -> rows
        disputes: list[dict[str, Any]] = []

        def rows_of(venture: str, position: int, state: VentureState,
                    tables: Iterable[str] = VENTURE_TABLES) -> None:
            rows = venture_rows(finish(state))
            made[venture] = {t: rows[t] for t in tables}
            made[venture]["venture_states"] = [state_row(venture, position, state)]

        for venture, (_, state) in stored.items():
            events = new[venture]
            if not steppable(state, events):
                continue
            claimed = {e.fields["period"] for e in events if e.type == SALES_REPORTED}
            state.timeline = []  # the new entries only: the older ones are in the table
            for event in events:
                step(state, event)
            changed = {"timeline"}
            for event in events:
                changed.update(STEPPED_TABLES.get(event.type, VENTURE_TABLES))
            rows_of(venture, events[-1].position, state,
                    [t for t in VENTURE_TABLES if t in changed])
            stepped = {e.position for e in events}
            disputes += [{**dispute_update(dispute_of(c, k.position)), "position": k.position}
                         for period in sorted(claimed) for c in [state.claims[period]]
                         if c.disputed for k in c.each if k.position not in stepped]
        replayed = [v for v in ventures if v not in made]
        if replayed:
            last = facts.last_positions(replayed)
            for venture, events in facts.facts_of(replayed).items():
                state = replay(venture, events, as_of=None)
                if state is not None:
                    rows_of(venture, last[venture], state)  # (then the state is let go)
        rewritten = set(replayed)  # (a replayed venture no longer present: rows deleted)
        for table in [*VENTURE_TABLES, "venture_states"]:
            # a table's rows of a venture are written again where they may have changed;
            # the timeline of a stepped venture only gains rows (and dispute figures)
            keys = [v for v in ventures
                    if v in rewritten or (table != "timeline" and table in made.get(v, {}))]
            self.conn.execute(f"DELETE FROM {table} WHERE venture IN "
                              f"({', '.join('?' for _ in keys)})", keys)
            self._insert(table, [row for v in ventures
                                 for row in made.get(v, {}).get(table, [])])
        marks = ", ".join("?" for _ in ventures)
        self.conn.execute(f"DELETE FROM irr_cache WHERE key IN ({marks})",
                          [f"venture:{v}" for v in ventures])
        self.conn.execute(f"DELETE FROM texts WHERE venture IN ({marks})", ventures)
        if disputes:
            columns = [c for c in disputes[0] if c != "position"]
            self.conn.executemany(
                f"UPDATE timeline SET {', '.join(f'{c} = ?' for c in columns)} "
                "WHERE position = ?", [tuple(d.values()) for d in disputes])
        for table in VENTURE_TABLES:
            keys = [v for v in ventures if v in rewritten or table in made.get(v, {})]
            self._seal([table], "venture", keys)

    def _states(self, ventures: list[str]) -> dict[str, tuple[int, VentureState]]:
        """The stored fold states of these ventures (those that have one), checked."""
        return {venture: (position, state_from(venture, position, blob, digest))
                for venture, position, blob, digest in self.conn.execute(
                    "SELECT venture, position, state, digest FROM venture_states WHERE "
                    "venture IN (SELECT value FROM json_each(?)) ORDER BY venture",
                    [json.dumps(ventures)])}

    def _refold_program(self, program: str, facts: FactLog) -> None:
        info = registry(facts.program_facts(program)).programs[program]
        members = [v for (v,) in self.conn.execute(
            "SELECT venture FROM ventures WHERE program = ? ORDER BY venture", [program])]
        rows = self._checked("roi_ventures", "venture", members)
        # the sums only: the program's row holds every figure but the irr (which the report
        # solves from its ventures' flows, `_solve`), and no figure of it reads the flows
        moneys = self._moneys(rows, set())
        for table in PROGRAM_TABLES:
            self.conn.execute(f"DELETE FROM {table} WHERE program = ?", [program])
        self.conn.execute("DELETE FROM irr_cache WHERE key = ?", [f"program:{program}"])
        for table, rows in program_rows(info, list(moneys.values())).items():
            self._insert(table, rows)
        self._seal(PROGRAM_TABLES, "program", [program])

    # -- digests --------------------------------------------------------------------------

    def _grouped(self, table: str, column: str, keys: list[str]) -> dict[str, list[tuple]]:
        """The rows of `table` that reports read (REPORTED_ROWS) whose `column` is one of
        `keys`, as SQLite returns them, grouped by key, in primary-key order."""
        columns = list(TABLES[table][0])
        at = columns.index(column)
        order = ", ".join([column, *(c for c in TABLES[table][1] if c != column)])
        reported = f"AND {REPORTED_ROWS[table]} " if table in REPORTED_ROWS else ""
        out: dict[str, list[tuple]] = {k: [] for k in keys}
        for row in self.conn.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE {column} IN "
                f"(SELECT value FROM json_each(?)) {reported}ORDER BY {order}",
                [json.dumps(keys)]):
            out[row[at]].append(row)
        return out

    def _seal(self, tables: Iterable[str], column: str, keys: list[str]) -> None:
        """Store the digest of each key's rows in each table (an empty table part too)."""
        for table in tables:
            grouped = self._grouped(table, column, keys)
            self.conn.executemany(
                "INSERT OR REPLACE INTO seals (tbl, key, digest) VALUES (?, ?, ?)",
                [(table, k, seal(table, k, rows)) for k, rows in grouped.items()])

    def _checked(self, table: str, column: str, keys: list[str]) -> list[dict[str, Any]]:
        """Every row of `table` for these keys (in key, then primary-key order), once each
        key's rows match the seal stored when they were written (Tampered otherwise)."""
        grouped = self._grouped(table, column, keys)
        seals = dict(self.conn.execute(
            "SELECT key, digest FROM seals WHERE tbl = ? AND key IN "
            "(SELECT value FROM json_each(?))", [table, json.dumps(keys)]))
        names = list(TABLES[table][0])
        out = []
        for key, rows in grouped.items():
            if seals.get(key) != seal(table, key, rows):
                raise Tampered(f"table {table}, {column} {key!r},")
            out += [dict(zip(names, row, strict=True)) for row in rows]
        return out

    def _all_checked(self, table: str, column: str) -> list[dict[str, Any]]:
        """Every row of a table of ventures or programs (`_check_state` has bound their
        list), checked."""
        keys = [k for (k,) in self.conn.execute(f"SELECT {column} FROM {table} "
                                                f"ORDER BY {column}")]
        return self._checked(table, column, keys)

    # -- reading --------------------------------------------------------------------------

    def _select(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _rows(self, table: str, order: str, where: str = "",
              params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return self._select(f"SELECT * FROM {table} {where} ORDER BY {order}", params)

    def _moneys(self, roi_rows: list[dict[str, Any]], flows_for: set[str]) -> dict[str, Money]:
        """Money per venture of `roi_rows`; the dated flows (for the irr) only of `flows_for`."""
        flows: dict[str, list[tuple[str, str]]] = {}
        for r in self._checked("roi_flows", "venture", sorted(flows_for)):
            flows.setdefault(r["venture"], []).append((r["date"], r["amount"]))
        return {r["venture"]: money_of(r, flows.get(r["venture"], [])) for r in roi_rows}

    def _selected_ventures(self, selection: Selection) -> list[dict[str, Any]]:
        """The `ventures` rows of a selection, checked. Only the selected rows are read: the
        bookkeeping's seal binds each venture to its program (`_state_seal`), so a row
        whose program was changed does not just drop out of a program's report."""
        if selection.venture is not None:
            keys = [selection.venture]
        elif selection.program is not None:
            keys = [v for (v,) in self.conn.execute(
                "SELECT venture FROM ventures WHERE program = ? ORDER BY venture",
                [selection.program])]
        else:
            return self._all_checked("ventures", "venture")
        return self._checked("ventures", "venture", keys)

    def _batches(self, selection: Selection | list[dict[str, Any]]
                 ) -> Iterator[list[dict[str, Any]]]:
        """The `ventures` rows of a selection (or these rows), STREAM_BATCH at a time: a
        report reads (and checks) one batch's rows while it writes the previous batch's
        lines."""
        infos = (self._selected_ventures(selection) if isinstance(selection, Selection)
                 else selection)
        for start in range(0, len(infos), STREAM_BATCH):
            yield infos[start:start + STREAM_BATCH]

    def _targets(self, selection: Selection, as_of: date, encoded: bool = False
                 ) -> dict[str, Any]:
        """The targets report from the stored folds of the selected ventures: its rows an
        iterator, read a batch of ventures at a time (so memory holds one batch); `encoded`:
        as JSON text, kept for the as-of date (`_texts`)."""
        if encoded:
            return {"targets": self._texts("targets", selection, as_of)}
        return targets_document(self._target_facts(selection), as_of, lazy=True)

    def _timeline(self, selection: Selection, encoded: bool = False) -> dict[str, Any]:
        """The timeline report from the stored folds of the selected ventures (its rows an
        iterator, as `_targets`)."""
        if encoded:
            return {"timeline": self._texts("timeline", selection, None)}
        return timeline_document(self._timeline_entries(selection), lazy=True)

    def _target_facts(self, selection: Selection | list[dict[str, Any]]
                      ) -> Iterator[tuple[VentureInfo, list[TargetFacts]]]:
        """The stored target facts of the selected ventures (or of these `ventures`
        rows), a batch of ventures at a time."""
        for infos in self._batches(selection):
            keys = [r["venture"] for r in infos]
            targets = _by_venture(self._checked("targets", "venture", keys))
            actuals = _by_venture(self._checked("target_actuals", "venture", keys))
            for r in infos:
                yield venture_info(r), targets_of(targets.get(r["venture"], []),
                                                  actuals.get(r["venture"], []))

    def _timeline_entries(self, selection: Selection | list[dict[str, Any]]
                          ) -> Iterator[tuple[VentureInfo, list[TimelineEntry]]]:
        """The stored timeline entries of the selected ventures (or of these rows)."""
        for infos in self._batches(selection):
            keys = [r["venture"] for r in infos]
            entries = _by_venture(sorted(
                self._checked("timeline", "venture", keys),
                key=lambda r: (r["venture"], r["date"], r["position"])))
            for r in infos:
                yield venture_info(r), [timeline_entry(t)
                                        for t in entries.get(r["venture"], [])]

    # -- the JSON text of the long reports, kept ----------------------------------------------
    # `report targets|timeline -O json` keep what they write for each venture in `texts`: the
    # timeline's for any date (it does not depend on it), the targets' for one as-of date.
    # A catch-up clears the texts of each venture it refolds.

    def _texts(self, kind: str, selection: Selection, as_of: date | None) -> Iterator[Encoded]:
        """Each selected venture's records as JSON text: kept (checked against its digest),
        else made now and stashed, to be kept once the report is written (`_keep_texts`)."""
        day = "" if as_of is None else as_of.isoformat()
        for infos in self._batches(selection):
            texts = self._kept_texts(kind, [r["venture"] for r in infos], day)
            missing = [r for r in infos if r["venture"] not in texts]
            if missing:
                made = self._made_texts(kind, missing, as_of)
                self._stash_texts(kind, made, day)
                texts |= made
            for r in infos:
                if texts[r["venture"]]:  # (nothing to report: no record)
                    yield Encoded(texts[r["venture"]])

    def _made_texts(self, kind: str, ventures: list[dict[str, Any]], as_of: date | None
                    ) -> dict[str, str]:
        """Each venture's records of `kind`, as `write_json` writes them."""
        if kind == "targets":
            assert as_of is not None
            made = ((info.venture, target_records(info, facts, as_of))
                    for info, facts in self._target_facts(ventures))
        else:
            made = ((info.venture, timeline_records(info, entries))
                    for info, entries in self._timeline_entries(ventures))
        return {venture: SEPARATOR.join(map(_COMPACT.encode, records))
                for venture, records in made}

    def _kept_texts(self, kind: str, keys: list[str], day: str) -> dict[str, str]:
        out = {}
        for venture, text, digest in self.conn.execute(
                "SELECT venture, records, digest FROM texts WHERE kind = ? AND as_of = ? AND "
                "venture IN (SELECT value FROM json_each(?))", [kind, day, json.dumps(keys)]):
            if digest != seal("texts", kind, venture, day, text):
                raise Tampered(f"table texts, {kind} of venture {venture!r},")
            out[venture] = text
        return out

    def _stash_texts(self, kind: str, texts: dict[str, str], day: str) -> None:
        """Texts made during a report, in a temporary table (this connection's own
        temporary file: the report's read snapshot takes no lock)."""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS texts_made (kind TEXT, venture "
                          "TEXT, as_of TEXT, records TEXT, digest TEXT, "
                          "PRIMARY KEY (kind, venture))")
        self.conn.executemany("INSERT OR REPLACE INTO temp.texts_made VALUES (?, ?, ?, ?, ?)",
                              [(kind, v, day, t, seal("texts", kind, v, day, t))
                               for v, t in texts.items()])

    def _keep_texts(self, state: str | None) -> None:
        """Keep the texts a report made (the targets' for its date only: today's,
        usually), unless the read model moved on meanwhile (they would be stale)."""
        if not self.conn.execute("SELECT 1 FROM temp.sqlite_master "
                                 "WHERE name = 'texts_made'").fetchone():
            return
        with self._transaction():
            if self._meta("seal") == state:
                self.conn.execute("DELETE FROM texts WHERE (kind, as_of) NOT IN "
                                  "(SELECT DISTINCT kind, as_of FROM temp.texts_made) AND "
                                  "kind IN (SELECT kind FROM temp.texts_made)")
                self.conn.execute("INSERT OR REPLACE INTO texts SELECT * FROM temp.texts_made")
            self.conn.execute("DROP TABLE temp.texts_made")

    def report(self, kind: str, *, as_of: date, program: str | None = None,
               venture: str | None = None, sink: Sink | None = None) -> dict[str, Any]:
        """A report from the read model as it stands (call `catch_up` first); every row it
        reads is checked against its digest. With a `sink`, the document is handed to it
        with its long lists as iterators, read (and checked) a batch of ventures at a time
        as the sink writes them, in the same snapshot, and an empty dict is returned: a
        row changed outside outcomes then stops the report part way through what the sink
        wrote (the command line writes to a temporary file first)."""
        with self._guard():
            self.conn.execute("DROP TABLE IF EXISTS temp.texts_made")  # (a report cut short)
            self.conn.execute("BEGIN")  # one snapshot: the rows of one committed state
            state = self._meta("seal")
            try:
                self._check_state()
                doc = self._report(kind, as_of, Selection(program, venture),
                                   encoded=getattr(sink, "encoded", False))
                if sink is None:
                    return materialized(doc)
                sink(doc)
            finally:
                if self.conn.in_transaction:
                    self.conn.commit()
            self._keep_texts(state)
            return {}

    def _report(self, kind: str, as_of: date, selection: Selection, *,
                encoded: bool = False) -> dict[str, Any]:
        if selection.program is not None or selection.venture is not None:
            # (slugs only: suggestions need all)
            selection.check(dict(self.conn.execute("SELECT program, 1 FROM programs")),
                            dict(self.conn.execute("SELECT venture, program FROM ventures")))
        if kind not in KINDS:
            raise unknown_kind(kind)
        last = self.last_recorded_on()
        if last is None or as_of >= last:  # every event is in: the stored folds
            if kind == "roi":
                return self._roi(selection, as_of)
            body = (self._targets(selection, as_of, encoded) if kind == "targets"
                    else self._timeline(selection, encoded))
            return {**header(as_of, None), **body}
        facts = FactLog(self.conn)  # an earlier date: the same folds, made again
        if facts.count() != self.position():
            raise Tampered("table facts (rows missing or added)")
        return answer(kind, facts, as_of=as_of, known_at=None, selection=selection)

    def _roi(self, selection: Selection, as_of: date) -> dict[str, Any]:
        """The roi report from the stored folds: every figure but the irr is kept in
        `roi_ventures` and `roi_programs` as the document writes it (`roi_figures`); the
        irrs solved before for this date are in `irr_cache`, the others are solved now
        (from the dated flows of only the ventures they need) and kept."""
        day = as_of.isoformat()
        state = self._meta("seal")
        cached: dict[str, Rate] = {}
        for key, irr, note, roots, bound, digest in self.conn.execute(
                "SELECT key, irr, irr_note, irr_roots, irr_lower_bound, digest FROM irr_cache "
                "WHERE as_of = ?", [day]):
            if digest != seal("irr_cache", key, day, irr, note, roots, bound):
                raise Tampered(f"table irr_cache, key {key!r},")
            cached[key] = Rate(None if irr is None else Decimal(irr), note,
                               tuple(Decimal(r) for r in roots.split()), bool(bound))
        keys = [r["venture"] for r in self._selected_ventures(selection)]
        ventures = self._checked("roi_ventures", "venture", keys)
        programs = [] if selection.venture is not None else [
            r for r in self._all_checked("roi_programs", "program")
            if selection.program in (None, r["program"])]
        solved = self._solve(ventures, programs, cached, as_of)
        rates = cached | solved
        disputed: dict[str, list[dict[str, Any]]] = {}
        for row in self._checked("claims", "venture", keys):  # the disputes that count
            disputed.setdefault(row["venture"], []).append(graded_dispute(
                {f: row[f] for f in DISPUTE_FIELDS}, row["evidence"],
                None if row["each"] is None else json.loads(row["each"]),
                citations(cited_from(row["corrected_by"]))))
        doc = {**header(as_of, None), **roi_document(
            [roi_row(venture_head(r["venture"], r["program"], r["currency"]),
                     {f: r[f] for f in ROI_FIGURES}, rates[f"venture:{r['venture']}"],
                     json.loads(r["evidence"]), disputed.get(r["venture"], []))
             for r in ventures],
            [roi_row(program_head(r["program"], r["currency"]), {f: r[f] for f in ROI_FIGURES},
                     rates[f"program:{r['program']}"], json.loads(r["evidence"]))
             for r in programs])}
        if solved:
            self.conn.commit()  # everything is read: end the snapshot, then write
            with self._transaction():  # one as-of date kept: today's, usually
                if self._meta("seal") != state:  # caught up meanwhile: these are stale
                    return doc
                self.conn.execute("DELETE FROM irr_cache WHERE as_of != ?", [day])
                self._insert("irr_cache", [
                    {"key": k, "as_of": day, "irr": text, "irr_note": r.note,
                     "irr_roots": roots, "irr_lower_bound": int(r.lower_bound),
                     "digest": seal("irr_cache", k, day, text, r.note, roots,
                                    int(r.lower_bound))}
                    for k, r in sorted(solved.items())
                    for text in [None if r.irr is None else str(r.irr)]
                    for roots in [" ".join(str(x) for x in r.roots)]], ignore=True)
        return doc

    def _solve(self, ventures: list[dict[str, Any]], programs: list[dict[str, Any]],
               cached: dict[str, Rate], as_of: date) -> dict[str, Rate]:
        """The irrs `cached` lacks, of these ventures and programs (a program's from all
        its ventures' flows: `ventures` holds them whenever programs are reported)."""
        need = {r["venture"] for r in ventures if f"venture:{r['venture']}" not in cached}
        need_programs = {p["program"] for p in programs if f"program:{p['program']}" not in cached}
        flows_for = need | {r["venture"] for r in ventures if r["program"] in need_programs}
        if not flows_for and not need_programs:
            return {}
        moneys = self._moneys([r for r in ventures if r["venture"] in flows_for], flows_for)
        solved = {f"venture:{v}": rate_of_return(moneys[v], as_of) for v in sorted(need)}
        for p in sorted(need_programs):
            members = [moneys[r["venture"]] for r in ventures if r["program"] == p]
            solved[f"program:{p}"] = rate_of_return(combine(members), as_of)
        return solved

    def table(self, name: str) -> list[dict[str, Any]]:
        """Every row of a table in primary-key order (to compare two read models)."""
        pk = TABLES[name][1]
        return self._rows(name, ", ".join(pk))


def _by_venture(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["venture"], []).append(r)
    return out


def check_path(path: str, store_url: str | None) -> None:
    """Refuse a read model path that is the ledger, or its validation index (same path,
    or the same file under another name): the read model would write its tables there."""
    if path == ":memory:" or store_url is None:
        return
    others = {"the validation index": index.index_path(path)}
    if not is_postgres(store_url):
        others = {"the ledger": store_url,
                  "the ledger's validation index": index.index_path(read_model_path(store_url)),
                  **others}
    for name, other in others.items():
        if os.path.realpath(path) == os.path.realpath(other) or (
                os.path.exists(path) and os.path.exists(other)
                and os.path.samefile(path, other)):
            raise ReportError(f"--read-model {path} is {name} ({other}): the read model needs "
                              "a file of its own")


def _sealed_file(path: str) -> bool:
    """Whether the file starts as a read model that outcomes marked (so a damaged one
    may be replaced: it only ever holds what the events give again)."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError:
        return False
    return head.startswith(SQLITE_HEADER) and head[68:72] == APPLICATION_ID.to_bytes(4, "big")


def _discard(path: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(FileNotFoundError):
            os.remove(path + suffix)


def using(store: EventSource, path: str, use: Callable[[ReadModel], T]) -> T:
    """Open the read model at `path` for this store and `use` it. A damaged file that
    outcomes marked as its read model is deleted and built again; any other refusal is
    one line (ReportError)."""
    check_path(path, getattr(store, "url", None))
    try:
        with ReadModel(path) as model:
            return use(model)
    except Damaged:
        if not _sealed_file(path):
            raise
    _discard(path)
    with ReadModel(path) as model:
        return use(model)


def rebuild(store: EventSource, path: str) -> int:
    """`outcomes rebuild`: drop the read model at `path` and build it again."""
    return using(store, path, lambda model: model.rebuild(store))


def compare(store: EventSource, path: str) -> tuple[int, str | None]:
    """`outcomes rebuild --check`: catch the read model up, build a fresh one from the
    events in a temporary folder, and compare them table by table. Returns the number
    of events and the first difference (None: identical)."""

    def check(model: ReadModel) -> tuple[int, str | None]:
        model.catch_up(store)
        with tempfile.TemporaryDirectory() as folder, \
                ReadModel(os.path.join(folder, "fresh.read.db")) as fresh:
            fresh.catch_up(store)
            with model._guard():
                return fresh.position(), first_difference(model, fresh)

    return using(store, path, check)


def first_difference(model: ReadModel, fresh: ReadModel) -> str | None:
    """The first row where `model` differs from `fresh`, in table then key order."""
    for name, (columns, pk) in TABLES.items():
        order = ", ".join(pk)
        mine = model.conn.execute(f"SELECT * FROM {name} ORDER BY {order}")
        want = fresh.conn.execute(f"SELECT * FROM {name} ORDER BY {order}")
        names = list(columns)
        for got, expected in itertools.zip_longest(mine, want):
            if got == expected:
                continue
            if got is None or expected is None or got[:len(pk)] != expected[:len(pk)]:
                row = expected if got is None or (expected is not None and
                                                  _key(expected, pk) < _key(got, pk)) else got
                state = "is missing" if row is expected else "should not be there"
                return f"table {name}, row {_key(row, pk)}: {state}"
            wrong = next(n for n, a, b in zip(names, got, expected, strict=True) if a != b)
            at = names.index(wrong)
            return (f"table {name}, row {_key(got, pk)}: {wrong} is {_short(got[at])} where "
                    f"the events give {_short(expected[at])}")
    return _cache_difference(model, fresh)


def _cache_difference(model: ReadModel, fresh: ReadModel) -> str | None:
    """The first irr kept in `model` that `fresh` does not solve the same way (for the
    dates a report reads the cache: on or after the last recording date)."""
    last = fresh.last_recorded_on()
    days = [d for (d,) in model.conn.execute("SELECT DISTINCT as_of FROM irr_cache")
            if last is None or date.fromisoformat(d) >= last]
    for day in days:
        fresh.report("roi", as_of=date.fromisoformat(day))
    want = {tuple(r[:2]): r for r in fresh.conn.execute("SELECT * FROM irr_cache")}
    for row in model.conn.execute("SELECT * FROM irr_cache ORDER BY key, as_of"):
        if row[1] in days and want.get(tuple(row[:2])) != row:
            expected = want.get(tuple(row[:2]))
            return (f"table irr_cache, row {tuple(row[:2])}: irr is {_short(row[2])} where the "
                    f"events give {_short(expected and expected[2])}")
    return _texts_difference(model, fresh, last)


def _texts_difference(model: ReadModel, fresh: ReadModel, last: date | None) -> str | None:
    """The first report text kept in `model` that `fresh` does not make the same (for the
    dates a report reads them)."""
    for kind, venture, day, text in model.conn.execute(
            "SELECT kind, venture, as_of, records FROM texts ORDER BY kind, venture"):
        if day and last is not None and date.fromisoformat(day) < last:
            continue
        rows = fresh._select("SELECT * FROM ventures WHERE venture = ?", [venture])
        made = fresh._made_texts(kind, rows, date.fromisoformat(day) if day else None)
        if made.get(venture) != text:
            return (f"table texts, row ({kind!r}, {venture!r}, {day!r}): records are "
                    f"{_short(text)} where the events give {_short(made.get(venture))}")
    return None


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def _key(row: tuple, pk: tuple[str, ...]) -> tuple:
    return tuple(row[: len(pk)])


def report_from(store: EventSource, path: str, kind: str, *, as_of: date,
                known_at: datetime | None = None, program: str | None = None,
                venture: str | None = None, sink: Sink | None = None) -> dict[str, Any]:
    """What `outcomes report` prints: with --known-at, from the events alone; otherwise
    from the read model, caught up first. With a `sink`, the document is handed to it
    instead of returned (its long lists possibly iterators, to write as they are read:
    `ReadModel.report`), and an empty dict is returned."""
    if known_at is not None:  # from the events alone, in bounded memory
        doc = report_from_events(kind, store.read(), as_of=as_of, known_at=known_at,
                                 program=program, venture=venture)
        if sink is None:
            return doc
        sink(doc)
        return {}

    def answer(model: ReadModel) -> dict[str, Any]:
        model.catch_up(store)
        return model.report(kind, as_of=as_of, program=program, venture=venture, sink=sink)

    # `known_at` stays null: the same ledger prints the same report, whenever it is asked
    # (docs/reports.md, "A stable output"); to pin a report to a moment, give --known-at.
    doc = using(store, path, answer)
    return {} if sink is not None else doc


def materialized(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with its iterators read into lists."""
    return {key: list(value) if isinstance(value, Iterator) else value
            for key, value in doc.items()}
