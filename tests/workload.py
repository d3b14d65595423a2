"""Event workloads and the worker processes of the concurrency and crash tests.

Workers run in processes started with the 'spawn' method, so everything they run lives
in this importable module. Each writer records its own venture's events, one `record()`
call (one transaction) per event, in its own order; the importer records a whole file in
one call. The events are many types, so the reports over them are not trivial.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import date, timedelta
from pathlib import Path
from typing import Any

PROGRAM = "load-fund"
START = date(2016, 1, 1)


def setup_events(ventures: list[str]) -> list[dict[str, Any]]:
    """The program and the ventures every other workload event refers to."""
    events: list[dict[str, Any]] = [
        {"type": "ProgramRegistered", "id": "load-prog", "program": PROGRAM,
         "name": "Load Fund", "funder": "State", "occurred_on": "2015-01-01",
         "source": "https://example.org/load"}]
    for venture in ventures:
        events.append({"type": "VentureRegistered", "id": f"reg-{venture}", "venture": venture,
                       "name": venture.title(), "program": PROGRAM,
                       "occurred_on": "2015-01-02", "source": "https://example.org/load"})
        events.append({"type": "TargetSet", "id": f"tgt-{venture}", "venture": venture,
                       "metric": "revenue", "value": "1000000", "due": "2018-12-31",
                       "occurred_on": "2015-01-03", "source": "https://example.org/plan"})
    return events


def venture_events(venture: str, count: int, prefix: str | None = None) -> list[dict[str, Any]]:
    """`count` valid events about `venture`, ids `<prefix>-<i>`, of six kinds in turn."""
    prefix = prefix or venture
    out = []
    for i in range(count):
        day = (START + timedelta(days=i % 900)).isoformat()
        common = {"id": f"{prefix}-{i:05d}", "venture": venture, "occurred_on": day,
                  "source": f"https://example.org/{prefix}/{i}"}
        kind = i % 6
        if kind == 0:
            event = {"type": "FundingGranted", "amount": f"{1000 + i}.{i % 100:02d}",
                     "funder": "State"}
        elif kind == 1:
            event = {"type": "PartnerSigned", "partner": f"Partner {i}", "count": 1 + i % 3}
        elif kind == 2:
            event = {"type": "SalesReported", "period": f"{2015 + i % 2}-Q{i % 4 + 1}",
                     "revenue": f"{10000 + 7 * i}"}
        elif kind == 3:
            event = {"type": "MetricReported", "metric": "jobs", "value": i}
        elif kind == 4:
            event = {"type": "OfferLaunched", "offer": f"Offer {i}"}
        else:
            event = {"type": "ReturnReceived", "amount": f"{10 + i}", "kind": "dividend"}
        out.append({**event, **common})
    return out


def write_jsonl(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def seed(url: str, events: list[dict[str, Any]]) -> None:
    """Initialise the store at `url` and record `events` in one transaction."""
    from outcomes.ledger.service import record
    from outcomes.ledger.store import EventStore

    store = EventStore(url, create=True)
    try:
        record(store, [(None, e) for e in events], actor="seed")
    finally:
        store.close()


def _counting_conflicts(store: Any, counter: list[int]) -> None:
    """Count the ConflictErrors this store's appends meet (each one is retried)."""
    from outcomes.ledger.errors import ConflictError

    append = store.append

    def counted(batch: Any) -> None:
        try:
            append(batch)
        except ConflictError:
            counter[0] += 1
            raise

    store.append = counted


def append_worker(url: str, venture: str, count: int, go: Any, results: Any,
                  index: str | None = None, race: bool = False) -> None:
    """Record `count` events about `venture`, each its own `record()` call.

    `index` is the writer's validation index (as `outcomes` uses one): shared by the
    writers of one machine, who then take turns on it; one per writer for writers on
    different machines. With `race`, writers also skip the PostgreSQL turn lock, so they
    really race for positions and only the store's primary key keeps them apart
    (ConflictError, then a retry).
    """
    from outcomes.ledger.service import record
    from outcomes.ledger.store import EventStore

    store = EventStore(url)
    if race:
        store.writer_turn = nullcontext  # type: ignore[method-assign]
    conflicts = [0]
    _counting_conflicts(store, conflicts)
    events = venture_events(venture, count)
    go.wait()
    started = time.monotonic()
    added = 0
    try:
        for event in events:
            added += record(store, [(None, event)], actor=venture, index_path=index).count
        results.put((venture, added, conflicts[0], time.monotonic() - started, None))
    except BaseException as error:  # reported to the test, which fails with it
        results.put((venture, added, conflicts[0], time.monotonic() - started, repr(error)))
    finally:
        store.close()


def import_worker(url: str, path: str, go: Any, results: Any, delay: float = 0.0,
                  index: str | None = None) -> None:
    """Record a whole JSONL file in one `record()` call, as `outcomes import` does."""
    from outcomes.ledger.jsonl import read_lines
    from outcomes.ledger.service import record
    from outcomes.ledger.store import EventStore

    store = EventStore(url)
    with open(path, "rb") as handle:
        items = list(read_lines(handle, path))
    go.wait()
    time.sleep(delay)
    started = time.monotonic()
    try:
        added = record(store, items, actor="importer", index_path=index, keep=False).count
        results.put(("import", added, 0, time.monotonic() - started, None))
    except BaseException as error:
        results.put(("import", 0, 0, time.monotonic() - started, repr(error)))
    finally:
        store.close()


def stored(url: str) -> Iterator[Any]:
    """Every stored record (wire fields, node) of the ledger at `url`, in position order."""
    from outcomes.ledger.store import EventStore

    store = EventStore(url)
    try:
        yield from store.records()
    finally:
        store.close()
