"""`outcomes ARGS` that stops at a chosen moment and waits there to be killed.

    python -m tests.crash.stop MOMENT MARKER ARGS...

At MOMENT the process creates the file MARKER and sleeps; the crash test looks at the
database, then kills the process with SIGKILL. So the kill lands exactly at that moment,
however fast or loaded the machine is, and the import need not be large to be caught:

- `admitted:N`: the N-th line of an import has just been validated and admitted. Lines
  are admitted as the store takes them: on SQLite the rows before it are already in the
  open write transaction; on PostgreSQL the batch is validated before its transaction.
- `inserted`: every row of the batch is in the database, in its open transaction, and
  the commit has not happened.

Nothing else changes: the command is the real one, run by `outcomes.cli.main`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def wait_to_be_killed(marker: str) -> None:
    Path(marker).touch()
    while True:
        time.sleep(60)


def stop_after(cls: type, name: str, marker: str,
               when: Callable[[], bool] = lambda: True) -> None:
    """Make `cls.name` stop the process once it has returned (when `when()`)."""
    original = getattr(cls, name)

    def stopping(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        if when():
            wait_to_be_killed(marker)
        return result

    setattr(cls, name, stopping)


def main(argv: list[str]) -> None:
    moment, marker, *args = argv
    if moment.startswith("admitted:"):
        from outcomes.ledger.state import LedgerState

        count, calls = int(moment.split(":", 1)[1]), [0]

        def nth() -> bool:
            calls[0] += 1
            return calls[0] == count

        stop_after(LedgerState, "admit", marker, nth)
    elif moment == "inserted":
        from outcomes.ledger.postgres import LedgerRecorder
        from outcomes.ledger.store import BatchSQLiteRecorder

        stop_after(BatchSQLiteRecorder, "_insert_events", marker)  # then the commit
        stop_after(LedgerRecorder, "_insert_stored_events", marker)  # then ids, commit
    else:
        raise SystemExit(f"stop: unknown moment {moment!r}")
    from outcomes.cli import main as outcomes

    outcomes(args, prog_name="outcomes")


if __name__ == "__main__":
    main(sys.argv[1:])
