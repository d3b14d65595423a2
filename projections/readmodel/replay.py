"""Reports from the events alone: `--known-at`, the demo, the IATI export.

The events known at the time are filed in a temporary fact log (a SQLite file that SQLite
deletes once closed), by the router the read model files its own facts with; the report
is then answered from it by the same per-venture folds (query.py). Memory holds one batch
of ventures' events and the folded figures, never the ledger; the read model is not read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import Element

from outcomes.ledger.model import Event
from outcomes.projections.folds.log import known_prefix
from outcomes.projections.folds.venture import registry
from outcomes.projections.present.iati import iati_activities
from outcomes.projections.readmodel.factlog import FACT_TABLES, FactLog
from outcomes.projections.readmodel.query import Selection, answer, venture_folds
from outcomes.projections.readmodel.tables import create_tables

FLUSH = 5000  # events filed per statement


@contextmanager
def filed(events: Iterable[Event], known_at: datetime | None = None) -> Iterator[FactLog]:
    """The events recorded at or before `known_at` (all: None), in a temporary fact log."""
    import sqlite_utils

    conn = sqlite3.connect("")  # "": a private temporary file, removed on close
    try:
        conn.execute("PRAGMA cache_size=-65536")  # KiB
        create_tables(sqlite_utils.Database(conn), FACT_TABLES)
        log = FactLog(conn, sealed=False)  # (no digests: no one else can open the file)
        log.indexes(keep=False)  # made once the facts are in
        batch: list[Event] = []
        for event in known_prefix(events, known_at):
            batch.append(event)
            if len(batch) >= FLUSH:
                log.file(batch)
                batch = []
        log.file(batch)
        log.indexes(keep=True)
        yield log
    finally:
        conn.close()


def report_from_events(kind: str, events: Iterable[Event], *, as_of: date,
                       known_at: datetime | None = None, program: str | None = None,
                       venture: str | None = None) -> dict[str, Any]:
    """A report document computed from the events alone (never from the read model)."""
    with filed(events, known_at) as log:
        return answer(kind, log, as_of=as_of, known_at=known_at,
                      selection=Selection(program, venture))


def iati_from_events(events: Iterable[Event], *, as_of: date, known_at: datetime | None,
                     generated_at: datetime) -> Element:
    """The IATI activities of the ventures present as of a date, from the events alone."""
    with filed(events, known_at) as log:
        who = registry(log.registrations(), known_at)
        return iati_activities(venture_folds(log, sorted(who.ventures), as_of=as_of,
                                             known_at=known_at, timeline=False),
                               who.programs, as_of=as_of, known_at=known_at,
                               generated_at=generated_at)
