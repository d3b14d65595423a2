"""Crashes on both backends: a killed import leaves all of its file or none of it.

An `outcomes import` (8,000 lines on SQLite, 2,000 on PostgreSQL) runs in a subprocess,
stops at a chosen moment
(tests/crash/stop.py) and is killed there with SIGKILL (no cleanup of any kind):

- half-way through admitting its lines: on SQLite, where lines are validated as the
  store takes them, the first half is already in the open write transaction; on
  PostgreSQL the batch is still being validated, before any write;
- once every row is in the database and the commit has not happened: the SQLite WAL
  already holds the uncommitted pages, PostgreSQL has taken the rows' ids from the
  sequence, and neither shows the rows to another reader (checked before the kill).

The store must then hold exactly the events it held before: never a part, never the
whole (the commit never happened). It opens and reads cleanly, and the next import of
the same file works (locks released, nothing half-done) and gives contiguous positions.

Before, the import was 50,000 lines and was killed from outside when a probe saw it
writing; a probe could miss the window (the import then ended first) and needed a
large file to have a window at all. Stopping it at the moment makes the kill land
there every time, with the rows of the batch provably in the database.

(A read model killed while it catches up is tested in tests/storage/test_readmodel.py,
test_a_killed_process_leaves_the_read_model_consistent: the process dies between a batch's
writes and its commit, and the next catch-up completes it, table for table.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import workload
from tests.conftest import ROOT, Outcomes, pg_connect

LINES = {"sqlite": 8_000, "postgres": 2_000}
SETUP = workload.setup_events(["big"])
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
# SQLite keeps about 2 MB of changed pages in memory, then spills them into the WAL before
# the commit: 8,000 lines make about 4.5 MB of pages, so at least 1 MB of them are on disk,
# uncommitted, when the import is killed (a smaller file could be killed with its whole
# transaction still in memory). PostgreSQL sends every row to the server whatever the size.
SPILLED = 1_000_000


@pytest.fixture(scope="module")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("crash")
    return {backend: workload.write_jsonl(folder / f"big-{lines}.jsonl",
                                          workload.venture_events("big", lines))
            for backend, lines in LINES.items()}


def start(run: Outcomes, *args: str, stop: tuple[str, Path] | None = None
          ) -> subprocess.Popen[str]:
    """`outcomes ARGS` on `run`'s ledger and read model, in a process of its own; with
    `stop` (moment, marker), stopped at that moment (tests/crash/stop.py)."""
    command = (["-m", "tests.crash.stop", stop[0], str(stop[1])] if stop
               else ["-m", "outcomes.cli"])
    return subprocess.Popen([sys.executable, *command, "--db", run.url, *run.options, *args],
                            cwd=run.read_model.parent, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(proc: subprocess.Popen[str], marker: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            err = proc.communicate(timeout=30)[1]
            pytest.fail(f"the import did not reach the moment (exit {proc.returncode}): "
                        f"{err.strip()}")
        time.sleep(0.005)


def wal_size(url: str) -> int:
    wal = Path(url + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def ids_taken(url: str) -> int:
    """How far the PostgreSQL row id sequence went (it moves outside transactions)."""
    with pg_connect(url) as conn:
        value, called = conn.execute("SELECT last_value, is_called FROM "
                                     "outcomes_events_notification_id_seq").fetchone()
    return value if called else 0


def positions(url: str) -> list[int]:
    return [r.originator_version for r in workload.stored(url)]


@pytest.mark.parametrize("moment", ["admitting", "inserted"])
def test_killed_import_leaves_all_or_nothing(backend: str, store_url: str,
                                             big_files: dict[str, Path], moment: str,
                                             tmp_path: Path) -> None:
    lines, big_file = LINES[backend], big_files[backend]
    workload.seed(store_url, SETUP)
    store = Outcomes(store_url)
    before = wal_size(store_url) if backend == "sqlite" else ids_taken(store_url)
    marker = tmp_path / "stopped"
    stop = f"admitted:{lines // 2}" if moment == "admitting" else "inserted"
    proc = start(store, "import", str(big_file), stop=(stop, marker))
    wait_for(proc, marker)
    # Stopped at the moment: nothing shows to another reader...
    assert store.count() == len(SETUP)
    if moment == "inserted":  # ...though the rows are in the database, uncommitted
        if backend == "sqlite":
            assert wal_size(store_url) > before + SPILLED, "the pages never reached the WAL"
        else:
            assert ids_taken(store_url) >= before + lines
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    count = store.count()
    print(f"\n{backend}, killed {moment}: {count - len(SETUP)} of {lines} lines stored")
    assert count == len(SETUP), f"{count} rows: a partial import"
    result = store("log", "-O", "json")  # the store opens and reads cleanly after the crash
    assert result.exit_code == 0, result.output
    if backend == "sqlite":
        import sqlite3

        con = sqlite3.connect(store_url)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()
    again = start(store, "import", str(big_file))  # works (locks released), completes it
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert positions(store_url) == list(range(1, len(SETUP) + lines + 1))
    assert store("verify").exit_code == 0
