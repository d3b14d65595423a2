"""Small builders shared by the audit tests: a sourced ledger and a way to run the CLI."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from outcomes.cli import main
from outcomes.ledger.service import record
from outcomes.ledger.store import EventStore

SRC = "https://example.org/report"


def ev(type_: str, occurred_on: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "occurred_on": occurred_on, "source": SRC, **fields}


def base_events() -> list[dict[str, Any]]:
    """A program, a venture, money, a target and a few figures: 12 events."""
    return [
        ev("ProgramRegistered", "2012-01-10", id="prog", program="pia-cloud",
           name="Cloud souverain", funder="Caisse des Depots"),
        ev("VentureRegistered", "2012-09-06", id="reg-numergy", venture="numergy",
           name="Numergy", program="pia-cloud"),
        ev("FundingCommitted", "2012-09-06", id="commit", venture="numergy",
           amount="75000000", funder="CDC"),
        ev("TargetSet", "2012-09-06", id="target-rev", venture="numergy", metric="revenue",
           value="400000000", due="2016-12-31"),
        ev("FundingGranted", "2012-12-01", id="grant-1", venture="numergy",
           amount="25000000", funder="CDC"),
        ev("FundingGranted", "2013-06-30", id="grant-2", venture="numergy",
           amount="25000000", funder="CDC"),
        ev("SalesReported", "2014-03-01", id="rev-2013", venture="numergy", period="2013",
           revenue="2500000", source="https://example.org/press-2014"),
        ev("MetricReported", "2014-03-01", id="jobs-2014", venture="numergy", metric="jobs",
           value=120),
        ev("PartnerSigned", "2014-05-01", id="partner-1", venture="numergy",
           partner="Resellers", count=10),
        ev("SalesReported", "2015-02-01", id="rev-2014-a", venture="numergy", period="2014",
           revenue="6000000", source="https://example.org/lesechos-2015"),
        ev("FundingGranted", "2015-06-30", id="grant-3", venture="numergy",
           amount="12500000", funder="CDC"),
        ev("StakeValued", "2015-12-31", id="value-2015", venture="numergy", value="10000000"),
    ]


def build(path: Path, events: list[dict[str, Any]] | None = None) -> Path:
    """A SQLite ledger at `path` holding `events` (default: `base_events()`)."""
    store = EventStore(str(path), create=True)
    try:
        record(store, [(None, raw) for raw in (events or base_events())], actor="tester")
    finally:
        store.close()
    return path


def copy_db(src: Path, dst: Path) -> Path:
    """A copy of a ledger file, WAL included (SQLite's online backup)."""
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return dst


def tamper(path: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Run SQL on a ledger file as an attacker would: append-only triggers dropped first."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("DROP TRIGGER IF EXISTS stored_events_append_only_update")
        con.execute("DROP TRIGGER IF EXISTS stored_events_append_only_delete")
        for sql, params in statements:
            con.execute(sql, params)
    finally:
        con.close()


def state_of(path: Path, position: int) -> bytes:
    con = sqlite3.connect(path)
    try:
        row = con.execute("SELECT state FROM stored_events WHERE originator_version = ?",
                          (position,)).fetchone()
    finally:
        con.close()
    return bytes(row[0])


def run(*args: str) -> Result:
    """Run the CLI in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)
