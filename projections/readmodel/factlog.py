"""The fact log: every event filed once, under the venture and program it is about.

One router (`Router`) decides where an event belongs: a registration under its program
(and venture), an amendment (correction, retraction) under its target's place, any other
event under its venture (`facts.venture`); a correction that moves an event to another
venture links the event and its earlier and later amendments to that venture as well
(`fact_ventures`, which holds only such links), since either venture's fold may need it
depending on the dates asked. The read model keeps its fact log
in its own file (`facts`, `fact_ventures`); a report from the events alone (`--known-at`,
the demo, the IATI export) files them the same way in a temporary file. Every report is
then folded one venture at a time from `facts_of` (projections/readmodel/query.py), so no
path holds the whole ledger in memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from outcomes.ledger.model import Event
from outcomes.ledger.schema import (
    AMENDMENTS,
    EVENT_CORRECTED,
    PROGRAM_REGISTERED,
    VENTURE_REGISTERED,
)
from outcomes.projections.readmodel.tables import (
    FACT_COLUMNS,
    INDEXES,
    create_index,
    fact_from,
    fact_row,
    index_name,
)

FACT_TABLES = ("facts", "fact_ventures")
# The indexes filing itself reads (ids, amendments); the others serve the reports only,
# so a first build drops them and makes them once the facts are in.
FILING_INDEXES = (("id",), ("amends",))


@dataclass(frozen=True)
class Route:
    """Where a fact belongs: the venture and program it was recorded about (an amendment:
    its target's), and every venture whose fold needs it (more than one once a correction
    has moved the event to another venture)."""

    venture: str | None
    program: str | None
    ventures: frozenset[str]


@dataclass
class Touched:
    """What a batch of facts changes: the folds to make again."""

    ventures: set[str] = field(default_factory=set)
    programs: set[str] = field(default_factory=set)


class Router:
    """Routes events to ventures and programs while they are filed.

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
                "SELECT venture, program FROM facts WHERE type = ?", [VENTURE_REGISTERED])}
        return self.programs.get(venture)

    def route(self, event: Event) -> tuple[Route, list[tuple[int, str]]]:
        """The event's route, and (position, venture) links that earlier facts gain."""
        f = event.fields
        gained: list[tuple[int, str]] = []
        if event.type == PROGRAM_REGISTERED:
            route = Route(None, f["program"], frozenset())
        elif event.type == VENTURE_REGISTERED:
            self.program_of(f["venture"])
            assert self.programs is not None
            self.programs[f["venture"]] = f["program"]
            route = Route(f["venture"], f["program"], frozenset([f["venture"]]))
        elif event.type in AMENDMENTS:
            target_id = f["event"]
            position, target = self._target(target_id)
            moved_to = f["changes"].get("venture") if event.type == EVENT_CORRECTED else None
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
        moved = {v for (v,) in self.conn.execute(
            "SELECT venture FROM fact_ventures WHERE position = ?", [row[0]])}
        return row[0], Route(row[1], row[2], frozenset(moved | ({row[1]} if row[1] else set())))

    def _amendments(self, target_id: str) -> set[int]:
        stored = {p for (p,) in self.conn.execute(
            "SELECT position FROM facts WHERE amends = ?", [target_id])}
        return stored | self.amendments.get(target_id, set())


class FactLog:
    """The `facts` and `fact_ventures` tables of a SQLite connection: filing and reading.

    The caller holds the transaction: the read model files a batch and moves its tracked
    position in one; a temporary log needs none. `sealed`: each row carries the digest of
    its values, checked when it is read (the read model's file, which anyone may edit); a
    private temporary file, which nothing else can open, needs none.
    """

    def __init__(self, conn: sqlite3.Connection, *, sealed: bool = True) -> None:
        self.conn = conn
        self.sealed = sealed
        self.router = Router(conn)

    # -- filing ---------------------------------------------------------------------------

    def file(self, events: list[Event]) -> Touched:
        """File a batch of events (in position order, after every fact already filed)."""
        self.router.start_batch()
        rows, links = [], []
        touched = Touched()
        for event in events:
            route, gained = self.router.route(event)
            rows.append(fact_row(event, route.venture, route.program, sealed=self.sealed))
            links += [(event.position, v) for v in sorted(route.ventures)
                      if v != route.venture]  # (its own venture is facts.venture)
            links += gained
            if route.program is not None:
                touched.programs.add(route.program)
            for venture in route.ventures:
                touched.ventures.add(venture)
                program = self.router.program_of(venture)
                if program is not None:
                    touched.programs.add(program)
        if rows:
            columns = list(rows[0])
            self.conn.executemany(
                f"INSERT INTO facts ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                [tuple(row.values()) for row in rows])
            self.conn.executemany("INSERT OR IGNORE INTO fact_ventures (position, venture) "
                                  "VALUES (?, ?)", links)
        return touched

    def indexes(self, *, keep: bool) -> None:
        """Create the lookup indexes if missing (keep), or drop them before a first build:
        maintaining them row by row cost a fifth of a rebuild. Those filing reads (ids,
        amendments) always stay. A build cut short leaves them missing, so every catch-up
        starts by creating them again (a no-op when they exist)."""
        for table, columns, unique in INDEXES:
            if table in FACT_TABLES and columns not in FILING_INDEXES:
                self.conn.execute(create_index(table, columns, unique) if keep
                                  else f"DROP INDEX IF EXISTS {index_name(table, columns)}")

    # -- reading --------------------------------------------------------------------------

    def count(self) -> int:
        (count,) = self.conn.execute("SELECT count(*) FROM facts").fetchone()
        return count

    def _facts(self, where: str, params: Iterable[Any] = ()) -> list[Event]:
        return [fact_from(self.sealed, *row) for row in self.conn.execute(
            f"SELECT {FACT_COLUMNS} FROM facts f WHERE {where} ORDER BY f.position",
            list(params))]

    def registrations(self) -> list[Event]:
        """Every program's and venture's registration with their amendments (who is who:
        `folds.venture.registry`), in position order."""
        return self._facts(
            "f.venture IS NULL OR f.type = ? OR f.amends IN "
            "(SELECT id FROM facts WHERE type = ?)", [VENTURE_REGISTERED, VENTURE_REGISTERED])

    def program_facts(self, program: str | None) -> list[Event]:
        """A program's own facts: its registration and their amendments."""
        return self._facts("f.venture IS NULL AND f.program = ?", [program])

    def facts_of(self, ventures: list[str]) -> dict[str, list[Event]]:
        """What each venture's fold reads, in position order: its program's facts, and
        every fact routed to it (moved events and their amendments included)."""
        marks = ", ".join("?" for _ in ventures)
        own: dict[str, list[Event]] = {v: [] for v in ventures}
        for owner, *columns in self.conn.execute(
                f"SELECT f.venture, {FACT_COLUMNS} FROM facts f WHERE f.venture IN ({marks}) "
                f"UNION ALL SELECT fv.venture, {FACT_COLUMNS} FROM fact_ventures fv "
                f"JOIN facts f ON f.position = fv.position WHERE fv.venture IN ({marks}) "
                f"ORDER BY 1, 2", ventures + ventures):
            own[owner].append(fact_from(self.sealed, *columns))
        programs: dict[str | None, list[Event]] = {}
        out = {}
        for venture in ventures:
            program = self.router.program_of(venture)
            if program not in programs:
                programs[program] = self.program_facts(program)
            out[venture] = sorted(programs[program] + own[venture], key=lambda e: e.position)
        return out

    def facts_after(self, after: dict[str, int]) -> dict[str, list[Event]]:
        """The facts routed to each venture (its own, and those linked to it) after a
        position (`after`: venture -> position), in position order: what a catch-up steps
        from the venture's stored fold state."""
        ventures = sorted(after)
        out: dict[str, list[Event]] = {v: [] for v in ventures}
        if not ventures:
            return out
        marks = ", ".join("?" for _ in ventures)
        low = min(after.values())
        # (positions found in the index of ventures, `+position` filtered there: a range
        # of positions from the oldest state's would scan most of the log, and reading
        # every fact of the ventures to filter them costs a page read each)
        for owner, *columns in self.conn.execute(
                f"SELECT f.venture, {FACT_COLUMNS} FROM facts f WHERE f.position IN "
                f"(SELECT position FROM facts WHERE venture IN ({marks}) AND +position > ?) "
                f"UNION ALL SELECT fv.venture, {FACT_COLUMNS} "
                f"FROM fact_ventures fv JOIN facts f ON f.position = fv.position "
                f"WHERE fv.venture IN ({marks}) AND +fv.position > ? ORDER BY 1, 2",
                [*ventures, low, *ventures, low]):
            if columns[0] > after[owner]:
                out[owner].append(fact_from(self.sealed, *columns))
        return out

    def last_positions(self, ventures: list[str]) -> dict[str, int]:
        """The position of the last fact routed to each venture (its own or linked)."""
        marks = ", ".join("?" for _ in ventures)
        return dict(self.conn.execute(
            f"SELECT venture, max(position) FROM (SELECT venture, position FROM facts "
            f"WHERE venture IN ({marks}) UNION ALL SELECT venture, position FROM "
            f"fact_ventures WHERE venture IN ({marks})) GROUP BY venture",
            [*ventures, *ventures]))
