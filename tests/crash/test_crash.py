"""Crashes on both backends: a killed import leaves all of its file or none of it.

An `outcomes import` of a 50,000-line file runs in a subprocess and is killed with
SIGKILL (no cleanup of any kind) at two moments: while it validates (before any write)
and while the database is taking its rows (the insert has started, the commit has not
happened). The store must then hold the events it held before, or all of the file: never
a part. The next import of the same file must work (locks released, nothing half-done)
and give contiguous positions.

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
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import workload
from tests.conftest import ROOT, Outcomes, pg_connect

LINES = 50_000
SETUP = workload.setup_events(["big"])
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "big.jsonl"
    return workload.write_jsonl(path, workload.venture_events("big", LINES))


def start(run: Outcomes, *args: str) -> subprocess.Popen[str]:
    """`outcomes ARGS` on `run`'s ledger and read model, in a process of its own."""
    return subprocess.Popen([sys.executable, "-m", "outcomes.cli", "--db", run.url, *run.options,
                             *args], cwd=run.read_model.parent, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def start_import(url: str, path: Path) -> subprocess.Popen[str]:
    return start(Outcomes(url), "import", str(path))


def writing_started(url: str) -> Callable[[], bool]:
    """A probe telling when the import's rows are going into the database."""
    if url.startswith("postgresql://"):
        conn = pg_connect(url)

        def inserting() -> bool:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state = 'active' "
                "AND query LIKE '%INSERT INTO%outcomes_events%'").fetchone()
            return row[0] > 0

        return inserting
    wal = Path(url + "-wal")
    baseline = wal.stat().st_size if wal.exists() else 0

    def spilling() -> bool:  # uncommitted pages spill into the WAL as rows go in
        return wal.exists() and wal.stat().st_size > baseline + 2_000_000

    return spilling


def kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool],
              timeout: float = 120) -> tuple[bool, str]:
    """SIGKILL `proc` as soon as `ready()`; (False, what it printed) if it finished first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            proc.send_signal(signal.SIGKILL)
            return True, proc.communicate(timeout=30)[1]
        time.sleep(0.001)
    return False, proc.communicate(timeout=30)[1]


def positions(url: str) -> list[int]:
    return [r.originator_version for r in workload.stored(url)]


@pytest.mark.parametrize("moment", ["validating", "writing"])
def test_killed_import_leaves_all_or_nothing(backend: str, store_url: str, big_file: Path,
                                             moment: str) -> None:
    workload.seed(store_url, SETUP)
    store = Outcomes(store_url)
    proc = start_import(store_url, big_file)
    if moment == "validating":  # reading and validating 50,000 lines takes seconds
        started = time.monotonic()
        killed, err = kill_when(proc, lambda: time.monotonic() - started > 1.0)
    else:
        killed, err = kill_when(proc, writing_started(store_url))
    assert killed, ("the import finished before it could be killed: "
                    f"make LINES larger (exit {proc.returncode}: {err.strip()})")
    assert proc.returncode == -signal.SIGKILL
    count = store.count()
    print(f"\n{backend}, killed while {moment}: {count - len(SETUP)} of {LINES} lines stored")
    assert count in (len(SETUP), len(SETUP) + LINES), f"{count} rows: a partial import"
    if moment == "validating":
        assert count == len(SETUP)
    result = store("log", "-O", "json")  # the store opens and reads cleanly after the crash
    assert result.exit_code == 0, result.output
    if backend == "sqlite":
        import sqlite3

        con = sqlite3.connect(store_url)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()
    if moment == "writing":  # the next import works (locks released) and completes it
        again = start_import(store_url, big_file)
        out, err = again.communicate(timeout=300)
        assert again.returncode == 0, err
        assert positions(store_url) == list(range(1, len(SETUP) + LINES + 1))
        assert store("verify").exit_code == 0
