"""Concurrent writers: OS processes appending to one SQLite ledger at once all succeed (a
conflict is retried from the new head), positions stay 1..N, and the hash chain verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from outcomes.ledger.store import EventStore
from tests.audit_support import base_events, build, run

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent("""
    import json, os, sys, time
    from outcomes.ledger.errors import ConflictError
    from outcomes.ledger.service import record
    from outcomes.ledger.store import EventStore

    db, name, count, go, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], \\
        int(sys.argv[5])
    index = sys.argv[6] if sys.argv[6] != "-" else None
    store = EventStore(db)
    conflicts = 0
    append = store.append

    def counting(events):
        global conflicts
        try:
            append(events)
        except ConflictError:
            conflicts += 1
            raise

    store.append = counting
    open(f"{go}.{name}.ready", "w").close()  # imported and connected: ready to race
    while not os.path.exists(go):
        time.sleep(0.002)
    events = [{"type": "SalesReported", "id": f"{name}-{i}", "venture": "numergy",
               "period": str(2000 + i % 20), "revenue": str(i), "occurred_on": "2015-01-01",
               "source": f"https://example.org/{name}/{i}"} for i in range(count)]
    for start in range(0, count, batch):
        record(store, [(None, e) for e in events[start:start + batch]], actor=name,
               index_path=index)
    store.close()
    print(json.dumps({"conflicts": conflicts}))
""")


def run_writers(db: Path, tmp_path: Path, writers: int, count: int, batch: int,
                index: str = "-") -> list[int]:
    """Start `writers` processes, release them at once, return each one's conflicts."""
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), f"w{n}", str(count),
                               str(go), str(batch), index], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(writers)]
    deadline = time.monotonic() + 120
    while not all(Path(f"{go}.w{n}.ready").exists() for n in range(writers)):
        assert time.monotonic() < deadline, "writers did not start"
        time.sleep(0.01)
    go.touch()  # release them together
    conflicts = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        conflicts.append(json.loads(out)["conflicts"])
    return conflicts


def check_ledger(db: Path, writers: int, count: int) -> list[str]:
    """Positions 1..N without gaps or duplicates, every event once; the writers' order."""
    store = EventStore(str(db))
    try:
        events = list(store.read())
    finally:
        store.close()
    base = len(base_events())
    assert [e.position for e in events] == list(range(1, base + writers * count + 1))
    ids = [e.id for e in events[base:]]
    assert sorted(ids) == sorted(f"w{n}-{i}" for n in range(writers) for i in range(count))
    for n in range(writers):  # each writer's events keep its own order
        mine = [int(i.split("-")[1]) for i in ids if i.startswith(f"w{n}-")]
        assert mine == sorted(mine)
    result = run("--db", str(db), "verify")
    assert (result.exit_code, result.stderr) == (0, "")
    return [i.split("-")[0] for i in ids]


@pytest.mark.parametrize("indexed", [False, True], ids=["fold", "index"])
def test_processes_appending_one_event_at_a_time(tmp_path: Path, indexed: bool) -> None:
    """With the local index (as the CLI runs), writers on one machine take turns on the
    index lock; without it, they race on the store and retry."""
    db = build(tmp_path / "ledger.db")
    index = str(tmp_path / "ledger.index.db") if indexed else "-"
    conflicts = run_writers(db, tmp_path, writers=4, count=50, batch=1, index=index)
    check_ledger(db, writers=4, count=50)
    if not indexed:
        assert sum(conflicts) > 0, "no conflict: the retry path was not exercised"


def test_processes_appending_batches(tmp_path: Path) -> None:
    db = build(tmp_path / "ledger.db")
    run_writers(db, tmp_path, writers=2, count=60, batch=20)
    check_ledger(db, writers=2, count=60)
