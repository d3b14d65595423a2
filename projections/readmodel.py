"""The read model: the projections' folds materialised in a SQLite file (sqlite-utils).

Kept up to date incrementally and exactly once. `catch_up` reads only the events after
the tracked position, and writes their `facts` rows, the ventures they touch (`dirty`)
and the new position in ONE transaction per batch; a crash before the commit leaves
nothing of the batch, so the next run takes it again from the same position. Dirty
ventures are then refolded from their facts and their rows replaced, again in one
transaction with the clearing of the dirty marks. Every derived row is a pure function
of the facts, so `rebuild` (drop everything, catch up from zero) gives identical tables.

Reports as of a date on or after the last recording date (the default: today) are
answered from the derived tables; earlier dates refold the `facts` rows through
`build_report`, which is also the reference the tests compare against.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from ledger import clock, index
from ledger.clock import format_timestamp
from ledger.model import Event
from projections.effective import AMENDMENTS
from projections.fold import Folded, VentureFold, fold_events, registry
from projections.levels import METRICS
from projections.numbers import ratio_number
from projections.replay import replay_report
from projections.reports import (
    DISPUTE_FIELDS,
    ROI_FIELDS,
    ReportError,
    Selection,
    build_report,
    document,
    header,
)
from projections.roi import Money, Rate, combine, rate_of_return
from projections.tables import (
    CACHES,
    FACT_COLUMNS,
    INDEXES,
    SCHEMA_VERSION,
    TABLES,
    VENTURE_TABLES,
    fact_event,
    fact_from,
    fact_row,
    money_of,
    program_info,
    program_rows,
    target_facts,
    timeline_row,
    venture_info,
    venture_rows,
)

STREAM = "ledger"  # the tracking row: the store's one global order
BATCH = 5000
Hook = Callable[[str, int], None]  # (stage, position): called just before a commit


class EventSource(Protocol):
    """What the read model needs of the event store (ledger.store.EventStore has it)."""

    def read(self, after: int = 0, upto: int | None = None) -> Iterator[Event]: ...

    def event_at(self, position: int) -> Event: ...


# The read model is derived: a commit need not wait for the disk (WAL + NORMAL stays
# consistent, and a lost last batch is simply applied again from the tracked position);
# a large page cache keeps the facts' indexes in memory while a million rows go in.
PRAGMAS = ("synchronous=NORMAL", f"cache_size=-{128 * 1024}")  # KiB
REFOLD_BATCH = 500  # ventures refolded together (SQLite allows 32766 parameters)


def read_model_path(store_url: str, override: str | None = None) -> str:
    """The read model file: `--read-model` / OUTCOMES_READ_MODEL, else beside a SQLite
    store (`outcomes.db` -> `outcomes.read.db`), else one per ledger in the current folder
    (PostgreSQL: `./outcomes-<db>-<tag>.read.db`).

    The write side's validation index sits beside it, so the one definition of the
    path lives in ledger.index.
    """
    return index.read_model_path(store_url, override)


class ReadModel:
    """A read model file: open it, `catch_up` from a store, ask it for `report`s."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.processed = 0  # events applied by this object (for tests and progress)
        self._db: Any = None
        try:
            self.conn = sqlite3.connect(path, check_same_thread=False)  # as sqlite-utils does
            if path != ":memory:" and \
                    self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self.conn.execute("PRAGMA journal_mode=wal")
            for pragma in PRAGMAS:
                self.conn.execute(f"PRAGMA {pragma}")
            if self._meta("schema_version") != SCHEMA_VERSION:
                self.reset()
        except sqlite3.DatabaseError as error:
            hint = index.local_file_hint(path, ", or report from the events alone with "
                                               "--known-at")
            raise ReportError(f"read model {path}: {error} ({hint})") from None

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

    def __enter__(self) -> ReadModel:
        return self

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

        Only the tables of `TABLES` and `CACHES`: whatever else the file holds stays.
        """
        with self._transaction():
            for name in [*TABLES, *CACHES]:
                if self.db[name].exists():
                    self.db[name].drop()
            for name, (columns, pk) in [*TABLES.items(), *CACHES.items()]:
                self.db[name].create(columns, pk=pk[0] if len(pk) == 1 else pk)
            for table, columns, unique in INDEXES:
                self.conn.execute(_create_index(table, columns, unique))
            self.db["tracking"].insert({"name": STREAM, "position": 0})
            self.db["meta"].insert({"key": "schema_version", "value": SCHEMA_VERSION})

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
        self._check_source(store)
        done = 0
        pending: list[Event] = []
        owners = Owners(self.conn)
        bulk = self.position() == 0  # a first build: index the facts once they are in
        self._indexes(keep=not bulk)
        for event in store.read(after=self.position()):
            pending.append(event)
            if len(pending) >= batch:
                done += self._apply(pending, hook, owners)
                pending = []
        if pending:
            done += self._apply(pending, hook, owners)
        self._indexes(keep=True)
        self._refresh(hook, owners)
        return done

    def _indexes(self, *, keep: bool) -> None:
        """Create the facts' lookup indexes if missing (keep), or drop them before a first
        build: maintaining them row by row cost a fifth of a rebuild. The ones the catch-up
        itself reads (ids, amendments) always stay. A build cut short leaves them missing,
        so every catch-up starts by creating them again (a no-op when they exist)."""
        for table, columns, unique in INDEXES:
            if table in ("facts", "fact_ventures") and columns not in (("id",), ("amends",)):
                self.conn.execute(_create_index(table, columns, unique) if keep
                                  else f"DROP INDEX IF EXISTS {_index_name(table, columns)}")

    def rebuild(self, store: EventSource, *, batch: int = BATCH) -> int:
        """Drop the read model and build it again from every event."""
        self.reset()
        return self.catch_up(store, batch=batch)

    def _check_source(self, store: EventSource) -> None:
        """Start afresh if the tracked position is not the same event in this store."""
        position = self.position()
        if position == 0:
            return
        try:
            same = store.event_at(position).id == self._meta("anchor")
        except LookupError:
            same = False
        if not same:
            self.reset()

    def _apply(self, events: list[Event], hook: Hook | None,
               owners: Owners | None = None) -> int:
        """One batch: facts rows, dirty marks and the new position, in one transaction."""
        owners = owners or Owners(self.conn)
        with self._transaction():
            position = self.position()  # again, under the write lock
            events = [e for e in events if e.position > position]
            if not events:
                return 0
            owners.start_batch()
            rows, links, dirty = [], [], set()
            for event in events:
                route, gained = owners.route(event)
                rows.append(fact_row(event, route.venture, route.program))
                links += [{"position": event.position, "venture": v}
                          for v in sorted(route.ventures)]
                links += [{"position": p, "venture": v} for p, v in gained]
                if route.program is not None:
                    dirty.add(("program", route.program))
                for venture in route.ventures:
                    dirty.add(("venture", venture))
                    dirty.add(("program", owners.program_of(venture)))
            self._insert("facts", rows)
            self._insert("fact_ventures", links, ignore=True)
            self._insert("dirty", [{"kind": k, "key": v} for k, v in sorted(dirty)],
                         ignore=True)
            last = events[-1]
            self.conn.execute("UPDATE tracking SET position = ? WHERE name = ?",
                            [last.position, STREAM])
            recorded = max(e.recorded_at.date() for e in events)
            before = self.last_recorded_on()
            self._set_meta("last_recorded_on",
                           max(recorded, before or recorded).isoformat())
            self._set_meta("anchor", last.id)
            if hook is not None:
                hook("facts", last.position)
        self.processed += len(events)
        return len(events)

    def _refresh(self, hook: Hook | None, owners: Owners | None = None) -> None:
        """Refold the dirty ventures and programs, and clear the marks, in one transaction."""
        if not self.conn.execute("SELECT 1 FROM dirty LIMIT 1").fetchone():
            return
        owners = owners or Owners(self.conn)
        with self._transaction():
            dirty = self._select("SELECT kind, key FROM dirty ORDER BY kind, key")
            ventures = [row["key"] for row in dirty if row["kind"] == "venture"]
            for start in range(0, len(ventures), REFOLD_BATCH):
                self._refold_ventures(ventures[start:start + REFOLD_BATCH], owners)
            for row in dirty:
                if row["kind"] == "program":
                    self._refold_program(row["key"])
            self.conn.execute("DELETE FROM dirty")
            if hook is not None:
                hook("derive", self.position())

    def _facts(self, where: str, params: list[Any]) -> list[Event]:
        sql = f"SELECT * FROM facts WHERE {where} ORDER BY position"
        return [fact_event(r) for r in self._select(sql, params)]

    def _program_facts(self, program: str | None) -> list[Event]:
        """The program's own events: its registration and their amendments."""
        return self._facts("venture IS NULL AND program = ?", [program])

    def _venture_facts(self, ventures: str, params: list[Any]) -> list[Event]:
        """Every fact routed to the ventures `ventures` selects (moved events included)."""
        return self._facts(f"position IN (SELECT position FROM fact_ventures "
                           f"WHERE venture IN ({ventures}))", params)

    def _refold_ventures(self, ventures: list[str], owners: Owners) -> None:
        """Refold a batch of ventures: one read of their facts, one delete and one insert
        per table for the whole batch (a venture at a time costs a statement per table)."""
        marks = ", ".join("?" for _ in ventures)
        facts: dict[str, list[Event]] = {v: [] for v in ventures}
        for owner, *columns in self.conn.execute(
                f"SELECT fv.venture, {FACT_COLUMNS} FROM fact_ventures fv JOIN facts f "
                f"ON f.position = fv.position WHERE fv.venture IN ({marks}) "
                f"ORDER BY fv.venture, f.position", ventures):
            facts[owner].append(fact_from(*columns))
        program_facts: dict[str | None, list[Event]] = {}
        rows: dict[str, list[dict[str, Any]]] = {}
        for venture in ventures:
            program = owners.program_of(venture)
            if program not in program_facts:
                program_facts[program] = self._program_facts(program)
            events = sorted(program_facts[program] + facts[venture], key=lambda e: e.position)
            fold = fold_events(events, as_of=None).ventures[venture]
            for table, table_rows in venture_rows(fold).items():
                rows.setdefault(table, []).extend(table_rows)
        for table in VENTURE_TABLES:
            self.conn.execute(f"DELETE FROM {table} WHERE venture IN ({marks})", ventures)
        self.conn.execute(f"DELETE FROM irr_cache WHERE key IN ({marks})",
                        [f"venture:{v}" for v in ventures])
        for table, table_rows in rows.items():
            self._insert(table, table_rows)

    def _refold_program(self, program: str) -> None:
        events = self._program_facts(program)
        info = registry(events).programs[program]
        rows = self._rows("roi_ventures", "venture", "WHERE program = ?", [program])
        # the flows of this program's ventures only (all of them: for the program's irr)
        moneys = self._moneys(rows, {r["venture"] for r in rows})
        for table in ("programs", "roi_programs"):
            self.conn.execute(f"DELETE FROM {table} WHERE program = ?", [program])
        self.conn.execute("DELETE FROM irr_cache WHERE key = ?", [f"program:{program}"])
        for table, rows in program_rows(info, list(moneys.values())).items():
            self._insert(table, rows)

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
        if flows_for:
            for venture, on, amount in self.conn.execute(
                    "SELECT venture, date, amount FROM roi_flows WHERE venture IN "
                    "(SELECT value FROM json_each(?)) ORDER BY venture, date",
                    [json.dumps(sorted(flows_for))]):
                flows.setdefault(venture, []).append((on, amount))
        return {r["venture"]: money_of(r, flows.get(r["venture"], [])) for r in roi_rows}

    def _folded(self, kind: str, selection: Selection) -> Folded:
        """The folds kept in the tables, with the parts `kind` needs (targets, timeline)."""
        programs = {r["program"]: program_info(r) for r in self._rows("programs", "program")}
        where, params = _selected(selection)
        infos = self._rows("ventures", "venture", where, params)

        def parts(table: str, order: str) -> dict[str, list[dict[str, Any]]]:
            return group(self._rows(table, order, where, params))

        targets: dict[str, list[dict[str, Any]]] = {}
        actuals: dict[tuple[str, str], list[dict[str, Any]]] = {}
        timeline: dict[str, list[dict[str, Any]]] = {}
        if kind == "targets":
            targets = parts("targets", "venture, metric")
            for r in self._rows("target_actuals", "venture, metric, year", where, params):
                actuals.setdefault((r["venture"], r["metric"]), []).append(r)
        elif kind == "timeline":
            timeline = parts("timeline", "venture, date, position")
        else:
            raise ReportError(f"unknown report {kind!r}")
        ventures = {}
        for r in infos:
            v = r["venture"]
            ventures[v] = VentureFold(
                venture_info(r), None if r["closed_on"] is None else date.fromisoformat(
                    r["closed_on"]), r["outcome"],
                [], {},  # claims and yearly revenue: no report reads them from a fold
                Money(),  # the roi report reads its own rows (`_roi`)
                sorted((target_facts(t, actuals.get((v, t["metric"]), []))
                        for t in targets.get(v, [])), key=lambda t: METRICS.index(t.metric)),
                [timeline_row(t) for t in timeline.get(v, [])], [])
        return Folded(programs, ventures)

    def report(self, kind: str, *, as_of: date, program: str | None = None,
               venture: str | None = None) -> dict[str, Any]:
        """A report from the read model as it stands (call `catch_up` first)."""
        selection = Selection(program, venture)
        if program is not None or venture is not None:  # (slugs only: suggestions need all)
            selection.check(dict(self.conn.execute("SELECT program, 1 FROM programs")),
                            dict(self.conn.execute("SELECT venture, program FROM ventures")))
        last = self.last_recorded_on()
        if last is None or as_of >= last:
            if kind == "roi":
                return self._roi(selection, as_of)
            return document(kind, self._folded(kind, selection), as_of=as_of, known_at=None,
                            selection=selection)
        if venture is not None or program is not None:
            home = program or Owners(self.conn).program_of(venture or "")
            members = self._venture_facts(
                *(("?", [venture]) if venture is not None else
                  ("SELECT venture FROM ventures WHERE program = ?", [home])))
            events = sorted(self._program_facts(home) + members, key=lambda e: e.position)
        else:
            events = self._facts("1", [])
        return build_report(kind, events, as_of=as_of, program=program, venture=venture)

    def _roi(self, selection: Selection, as_of: date) -> dict[str, Any]:
        """The roi report straight from the stored rows: every figure but the irr is kept
        formatted in `roi_ventures` and `roi_programs`; the irrs solved before for this
        date are in `irr_cache`, the others are solved now (from the dated flows of only
        the ventures they need) and kept."""
        day = as_of.isoformat()
        cached: dict[str, Rate] = {
            key: (None if irr is None else Decimal(irr), note)
            for key, irr, note in self.conn.execute(
                "SELECT key, irr, irr_note FROM irr_cache WHERE as_of = ?", [day])}
        where, params = _selected(selection)
        figures = ", ".join(f"NULL AS {f}" if f in ("irr", "irr_note") else f for f in ROI_FIELDS)
        ventures = self._select(f"SELECT venture, program, currency, {figures} "
                                f"FROM roi_ventures {where} ORDER BY venture", params)
        programs = [] if selection.venture is not None else self._select(
            f"SELECT program, currency, {figures} FROM roi_programs "
            + ("WHERE program = ? " if selection.program is not None else "")
            + "ORDER BY program", [] if selection.program is None else [selection.program])
        solved = self._solve(ventures, programs, cached, as_of)
        rates = cached | solved
        disputed: dict[str, list[dict[str, Any]]] = {}
        for row in self._select(  # only the disputes that count are shown
                f"SELECT venture, {', '.join(DISPUTE_FIELDS)} FROM claims "
                f"{where + ' AND' if where else 'WHERE'} claims > 1 AND used = 1 "
                "ORDER BY venture, period", params):
            disputed.setdefault(row.pop("venture"), []).append(row)
        for kind, rows in (("venture", ventures), ("program", programs)):
            for row in rows:
                irr, row["irr_note"] = rates[f"{kind}:{row[kind]}"]
                row["irr"] = ratio_number(irr)
                if kind == "venture":
                    row["disputes"] = disputed.get(row["venture"], [])
        doc = {**header(as_of, None), "ventures": ventures, "programs": programs}
        if solved:
            with self._transaction():  # one as-of date kept: today's, usually
                self.conn.execute("DELETE FROM irr_cache WHERE as_of != ?", [day])
                self._insert("irr_cache", [
                    {"key": k, "as_of": day, "irr": None if irr is None else str(irr),
                     "irr_note": note} for k, (irr, note) in sorted(solved.items())],
                    ignore=True)
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


@dataclass(frozen=True)
class Route:
    """Where a fact belongs: the venture and program it was recorded about (an amendment:
    its target's), and every venture whose fold needs it (more than one once a correction
    has moved the event to another venture)."""

    venture: str | None
    program: str | None
    ventures: frozenset[str]


class Owners:
    """Routes events to ventures and programs while they are applied.

    Keeps the venture -> program map for the whole run, and the routes of one batch
    (older ones are read back from `facts` and `fact_ventures`).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.programs: dict[str, str] | None = None
        self.batch: dict[str, tuple[int, Route]] = {}
        self.amendments: dict[str, set[int]] = {}

    def start_batch(self) -> None:
        self.batch.clear()
        self.amendments.clear()

    def program_of(self, venture: str) -> str | None:
        if self.programs is None:
            self.programs = {r[0]: r[1] for r in self.conn.execute(
                "SELECT venture, program FROM facts WHERE type = 'VentureRegistered'")}
        return self.programs.get(venture)

    def route(self, event: Event) -> tuple[Route, list[tuple[int, str]]]:
        """The event's route, and (position, venture) links that earlier facts gain."""
        f = event.fields
        gained: list[tuple[int, str]] = []
        if event.type == "ProgramRegistered":
            route = Route(None, f["program"], frozenset())
        elif event.type == "VentureRegistered":
            self.program_of(f["venture"])
            assert self.programs is not None
            self.programs[f["venture"]] = f["program"]
            route = Route(f["venture"], f["program"], frozenset([f["venture"]]))
        elif event.type in AMENDMENTS:
            target_id = f["event"]
            position, target = self._target(target_id)
            moved_to = f["changes"].get("venture") if event.type == "EventCorrected" else None
            if moved_to and moved_to not in target.ventures:
                # the target, and every earlier amendment of it, now also concern moved_to
                gained = [(p, moved_to) for p in sorted({position}
                                                        | self._amendments(target_id))]
                target = Route(target.venture, target.program,
                               target.ventures | {moved_to})
                self.batch[target_id] = (position, target)
            self.amendments.setdefault(target_id, set()).add(event.position)
            route = target
        else:
            venture = event.venture or ""
            route = Route(venture, self.program_of(venture), frozenset([venture]))
        self.batch[event.id] = (event.position, route)
        return route, gained

    def _target(self, event_id: str) -> tuple[int, Route]:
        if event_id in self.batch:
            return self.batch[event_id]
        row = self.conn.execute("SELECT position, venture, program FROM facts WHERE id = ?",
                                   [event_id]).fetchone()
        if row is None:  # cannot happen for a validated ledger: an amendment's target is older
            return 0, Route(None, None, frozenset())
        ventures = frozenset(v for (v,) in self.conn.execute(
            "SELECT venture FROM fact_ventures WHERE position = ?", [row[0]]))
        return row[0], Route(row[1], row[2], ventures)

    def _amendments(self, target_id: str) -> set[int]:
        stored = {p for (p,) in self.conn.execute(
            "SELECT position FROM facts WHERE amends = ?", [target_id])}
        return stored | self.amendments.get(target_id, set())


def _index_name(table: str, columns: tuple[str, ...]) -> str:
    return f"idx_{table}_{'_'.join(columns)}"  # as sqlite-utils names them


def _create_index(table: str, columns: tuple[str, ...], unique: bool) -> str:
    return (f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS "
            f"{_index_name(table, columns)} ON {table} ({', '.join(columns)})")


def _selected(selection: Selection) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) picking a selection's rows of a per-venture
    table."""
    if selection.venture is not None:
        return "WHERE venture = ?", [selection.venture]
    if selection.program is not None:
        return "WHERE venture IN (SELECT venture FROM ventures WHERE program = ?)", \
            [selection.program]
    return "", []


def group(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["venture"], []).append(r)
    return out


def report_from(store: EventSource, path: str, kind: str, *, as_of: date,
                known_at: datetime | None = None, program: str | None = None,
                venture: str | None = None) -> dict[str, Any]:
    """What `outcomes report` prints: with --known-at, from the events alone; otherwise
    from the read model, caught up first."""
    if known_at is not None:  # from the events alone, in bounded memory
        return replay_report(kind, store.read(), as_of=as_of, known_at=known_at,
                             program=program, venture=venture)
    now = clock.now()  # the moment this report reflects: what `--known-at` replays later
    with ReadModel(path) as model:
        model.catch_up(store)
        doc = model.report(kind, as_of=as_of, program=program, venture=venture)
    return doc | {"known_at": format_timestamp(now)}
