"""No command destroys or doubles data (issue 10, point 1).

- `-o` never writes over the ledger, the read model or the index (by path, symlink, hard
  link, or a SQLite side file), and writes a temporary file renamed into place, so a failure
  leaves the old file intact; a bad `-o` is one line and exit 2.
- Amounts are stored and exported in plain form ("0.00000000", never "0E-8"), so every
  export imports back, including events an older version stored as "0E-8".
- Once the events are stored, a failure to save the local index (a full disk, a read-only
  file) is a warning after the ids, exit 0; the next write catches the index up.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from freezegun import freeze_time

from outcomes.ledger.index import index_path
from outcomes.ledger.schema import AMOUNT
from tests.conftest import ROOT, Outcomes

SRC = "https://example.org/report"
GRANT = ["append", "funding-granted", "--venture", "alpha", "--amount", "1000", "--funder",
         "State", "--occurred-on", "2016-03-01", "--source", SRC]
OUTPUT_COMMANDS = [["export"], ["export", "--archive"], ["log"], ["history", "alpha"],
                   ["report", "roi", "-O", "csv"], ["report", "targets"], ["report", "timeline"],
                   ["prove", "--consistency", "1"]]


def index_of(run: Outcomes) -> Path:
    return Path(index_path(str(run.read_model)))


def own_files(run: Outcomes) -> list[Path]:
    """The files an -o must never touch: the SQLite ledger, the read model, the index."""
    files = [run.read_model, index_of(run)]
    return ([Path(run.db)] if run.backend == "sqlite" else []) + files


def fingerprint(paths: list[Path]) -> dict[str, str]:
    """Bytes of each file and of its SQLite side files (absent ones included)."""
    out = {}
    for base in paths:
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = Path(str(base) + suffix)
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest() \
                if path.exists() else "absent"
    return out


def one_line_error(result: Any) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("outcomes: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# -- -o never writes over the ledger's own files ------------------------------------------


def test_output_over_the_ledger_the_read_model_or_the_index_is_refused(
        scenario: Outcomes, tmp_path: Path) -> None:
    assert scenario("report", "roi").exit_code == 0  # the read model and the index exist
    files = own_files(scenario)
    targets = [Path(str(f) + suffix) for f in files for suffix in ("", "-wal", "-shm",
                                                                     "-journal")]
    link, hard = tmp_path / "link.csv", tmp_path / "hard.csv"
    link.symlink_to(files[0])
    os.link(files[0], hard)
    targets += [link, hard]
    before, digest = fingerprint(files), scenario.digest()
    exported = scenario("export").stdout
    for target in targets:
        for command in OUTPUT_COMMANDS:
            error = one_line_error(scenario(*command, "-o", str(target)))
            assert f"-o {target}: that is " in error and "choose another file name" in error
    assert fingerprint(files) == before and scenario.digest() == digest
    assert scenario("export").stdout == exported
    assert scenario("verify").exit_code == 0


@pytest.mark.backends("sqlite")
def test_export_over_the_ledger_no_longer_empties_it(scenario: Outcomes) -> None:
    """The issue's case: `export -o outcomes.db` truncated the ledger before reading it,
    and the next command re-created an empty ledger that verify called intact."""
    one_line_error(scenario("export", "-o", str(scenario.db)))
    one_line_error(scenario("report", "roi", "-O", "csv", "-o", str(scenario.db)))
    assert scenario.count() == 40
    assert len(scenario("export").stdout.splitlines()) == 40


# -- -o writes a temporary file and renames it into place ---------------------------------


@freeze_time("2026-02-01 10:00:00")  # reports say when they were computed
def test_output_replaces_the_file_only_once_complete(scenario: Outcomes,
                                                     tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    for command in OUTPUT_COMMANDS:
        target = folder / "result.txt"
        target.write_text("old\n")
        result = scenario(*command, "-o", str(target))
        assert result.exit_code == 0, result.stderr
        assert target.read_text() == scenario(*command).stdout
    assert [p.name for p in folder.iterdir()] == ["result.txt"]  # no temporary file left


def test_output_through_a_symlink_replaces_its_target_and_keeps_modes(
        scenario: Outcomes, tmp_path: Path) -> None:
    real, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    real.write_text("old\n")
    real.chmod(0o600)
    link.symlink_to(real)
    assert scenario("export", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and len(real.read_text().splitlines()) == 40
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_a_full_disk_during_export_leaves_the_old_file_intact(
        scenario: Outcomes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "backup.jsonl"
    target.write_text("yesterday's backup\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("outcomes.ledger.files.os.fsync", full)
    error = one_line_error(scenario("export", "-o", str(target)))
    assert error == (f"outcomes: error: -o {target}: no space left on the device: free some "
                     "space, or write elsewhere; nothing was written")
    assert target.read_text() == "yesterday's backup\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".backup")] == []


def test_a_store_failing_midway_through_an_export_leaves_the_old_file_intact(
        scenario: Outcomes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eventsourcing.persistence import OperationalError

    from outcomes.ledger.store import EventStore

    target = tmp_path / "backup.jsonl"
    target.write_text("yesterday's backup\n")
    real_read = EventStore.read

    def failing(self: EventStore, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for n, event in enumerate(real_read(self, *args, **kwargs)):
            if n == 3:
                raise OperationalError("server closed the connection unexpectedly")
            yield event

    monkeypatch.setattr(EventStore, "read", failing)
    error = one_line_error(scenario("export", "-o", str(target)))
    assert "storage error" in error and "server closed the connection" in error
    assert target.read_text() == "yesterday's backup\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".backup")] == []


# -- a bad -o: one line, exit 2 ------------------------------------------------------------


@pytest.mark.backends("sqlite")
def test_bad_output_paths_are_one_line_naming_the_path(
        scenario: Outcomes, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    cases = {
        str(folder): f"-o {folder}: is a folder: give a file name, e.g. {folder}/out.txt",
        str(tmp_path / "missing" / "roi.csv"): f"-o {tmp_path}/missing/roi.csv: the folder "
        f"{tmp_path}/missing does not exist: create it first",
        str(a_file / "roi.csv"): f"-o {a_file}/roi.csv: {a_file} is not a folder",
    }
    if Path("/dev/full").exists():
        cases["/dev/full"] = "-o /dev/full: no space left on the device"
    for path, message in cases.items():
        for command in OUTPUT_COMMANDS:
            assert message in one_line_error(scenario(*command, "-o", path)), (path, command)
    assert list(folder.iterdir()) == [] and not (tmp_path / "missing").exists()


@pytest.mark.backends("sqlite")
def test_an_unwritable_output_folder_is_one_line(
        scenario: Outcomes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests run as root, who may write anywhere: the refusal is simulated where the
    temporary file is created."""
    def denied(**kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("outcomes.ledger.files.tempfile.mkstemp", denied)
    target = tmp_path / "roi.csv"
    error = one_line_error(scenario("report", "roi", "-o", str(target)))
    assert error == (f"outcomes: error: -o {target}: cannot be written here (permission "
                     "denied or read-only): choose a path in a folder you can write; nothing "
                     "was written")
    assert not target.exists()


@pytest.mark.backends("sqlite")
def test_devices_and_fifos_are_written_in_place(scenario: Outcomes, tmp_path: Path) -> None:
    assert scenario("export", "-o", "/dev/null").exit_code == 0
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = scenario("log", "-O", "json", "-o", str(fifo))
    reader.join()
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(received[0])) == 40
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO: not renamed over


@pytest.mark.backends("sqlite")
def test_dev_stdout_writes_after_what_the_shell_wrote(scenario: Outcomes,
                                                      tmp_path: Path) -> None:
    """`-o /dev/stdout` into a redirected file leads to a regular file: a rename would
    replace it, and reopening it for writing would cut what was written before."""
    out = tmp_path / "out.txt"
    script = f'{{ echo header; "{sys.executable}" -m outcomes.cli --db "{scenario.db}" export ' \
             f'-o /dev/stdout; }} > "{out}"'
    done = subprocess.run(["sh", "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "header" and len(lines) == 41


# -- amounts in plain form ------------------------------------------------------------------


def sales(revenue: str, event_id: str) -> list[str]:
    return ["append", "sales-reported", "--venture", "alpha", "--period", "2017-Q1",
            "--revenue", revenue, "--occurred-on", "2017-04-01", "--source", SRC,
            "--id", event_id]


def logged(run: Outcomes) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in json.loads(run("log", "-O", "json").stdout)}


def test_amounts_are_stored_and_exported_in_plain_form_and_import_back(
        scenario: Outcomes, new_store: Callable[[], str]) -> None:
    for revenue, event_id in (("0.00000000", "zero"), ("0.000000001", "tiny"),
                              ("75000000.00", "big")):
        assert scenario(*sales(revenue, event_id)).exit_code == 0
    events = logged(scenario)
    assert [events[i]["revenue"] for i in ("zero", "tiny", "big")] == [
        "0.00000000", "0.000000001", "75000000.00"]
    exported = scenario("export").stdout
    copy = Outcomes(new_store())
    copy("init")
    result = copy("import", "-", input=exported)
    assert result.exit_code == 0, result.stderr
    assert copy("export").stdout == exported


@contextmanager
def dumped_as_before() -> Iterator[None]:
    """Amounts dumped with str(), as versions before plain amounts did ("0E-8")."""
    plain = AMOUNT.dump
    object.__setattr__(AMOUNT, "dump", str)
    try:
        yield
    finally:
        object.__setattr__(AMOUNT, "dump", plain)


def test_events_stored_as_0E_8_verify_and_export_in_plain_form(
        scenario: Outcomes, new_store: Callable[[], str]) -> None:
    with dumped_as_before():
        assert scenario(*sales("0.00000000", "old-zero")).exit_code == 0
        assert scenario("correct", "old-zero", "--set", "revenue=0.000000001", "--reason",
                        "restated", "--source", SRC, "--occurred-on", "2017-05-01",
                        "--id", "old-fix").exit_code == 0
    events = logged(scenario)  # what the older version stored, read back as it is
    assert events["old-zero"]["revenue"] == "0E-8"
    assert events["old-fix"]["changes"] == {"revenue": "1E-9"}
    assert scenario("verify").exit_code == 0  # the leaves bind the stored text

    exported = scenario("export").stdout
    lines = {e["id"]: e for e in map(json.loads, exported.splitlines())}
    assert lines["old-zero"]["revenue"] == "0.00000000"
    assert lines["old-fix"]["changes"] == {"revenue": "0.000000001"}
    assert "E-" not in exported

    again = scenario("import", "-", input=exported)  # the same ledger: the same events
    assert again.exit_code == 0, again.stderr
    assert again.stdout == "imported 0 events, 42 already recorded\n"
    copy = Outcomes(new_store())
    copy("init")
    assert copy("import", "-", input=exported).exit_code == 0
    assert copy("export").stdout == exported

    # An archive keeps the stored text; restored, it gives the same checkpoint.
    checkpoint = scenario("checkpoint").stdout.strip()
    archive = scenario("export", "--archive").stdout
    restored = Outcomes(new_store())
    archive_file = Path(str(restored.read_model) + ".archive.jsonl")
    archive_file.write_text(archive)
    result = restored("restore", str(archive_file))
    assert result.exit_code == 0, result.stderr
    assert restored("verify", "--checkpoint", checkpoint).exit_code == 0
    assert logged(restored)["old-zero"]["revenue"] == "0E-8"

    # Correcting another field re-reads the old event's amounts as input.
    fixed = scenario("correct", "old-zero", "--set", "note=checked", "--reason", "checked",
                     "--source", SRC, "--occurred-on", "2017-06-01")
    assert fixed.exit_code == 0, fixed.stderr
    assert scenario("report", "roi").exit_code == 0


# -- what was stored is reported, whatever fails next -------------------------------------


def index_position(run: Outcomes) -> int:
    con = sqlite3.connect(index_of(run))
    try:
        row = con.execute("SELECT value FROM ledger_index_meta WHERE key = 'position'")
        return int(row.fetchone()[0])
    finally:
        con.close()


def test_a_full_disk_when_saving_the_index_still_reports_the_stored_event(
        scenario: Outcomes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def full(self: Any, state: Any, store_url: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("outcomes.ledger.index.LedgerIndex.commit", full)
    result = scenario(*GRANT)
    assert result.exit_code == 0, result.stderr
    event_id, position = result.stdout.strip().split("\t")
    assert position == "41" and scenario.count() == 41
    assert result.stderr == (
        f"outcomes: warning: 1 event(s) recorded, but the validation index {index_of(scenario)}"
        " could not be updated ([Errno 28] No space left on device); the next write brings it"
        " up to date from the events (or delete it: it is rebuilt)\n")
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"type": "OfferLaunched", "venture": "alpha", "offer": "Y",
                                 "occurred_on": "2016-03-02", "source": SRC}) + "\n")
    imported = scenario("import", str(batch))
    assert imported.exit_code == 0
    assert imported.stdout.startswith("imported 1 events (positions 42..42)")
    assert "warning: 1 event(s) recorded, but the validation index" in imported.stderr
    assert index_position(scenario) == 40  # left as it was

    monkeypatch.undo()
    retried = scenario(*GRANT, "--id", event_id)  # the retry, with the id it was given
    assert retried.exit_code == 0 and retried.stdout == ""
    assert "already recorded: 1 event(s), nothing added" in retried.stderr
    assert scenario.count() == 42 and index_position(scenario) == 42  # caught up
    assert scenario("verify").exit_code == 0


class ReadOnlySqlite:
    """ledger.index's sqlite3, opening every file read-only, as SQLite does for a file its
    user may not write (the tests run as root, who may write anything)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(sqlite3, name)

    @staticmethod
    def connect(path: str, **kwargs: Any) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, **kwargs)


def test_a_read_only_index_does_not_stop_or_double_an_append(
        scenario: Outcomes, monkeypatch: pytest.MonkeyPatch) -> None:
    index = index_of(scenario)
    before = index.read_bytes()
    monkeypatch.setattr("outcomes.ledger.index.sqlite3", ReadOnlySqlite())
    result = scenario(*GRANT, "--id", "grant-x")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "grant-x\t41\n"
    assert result.stderr == (
        f"outcomes: warning: the validation index {index} is read-only: this write was "
        "checked against the whole ledger (slower); make the file writable, or delete it "
        "(it is rebuilt from the events)\n")
    assert scenario(*GRANT, "--id", "grant-x").stdout == ""  # known: not recorded twice
    refused = scenario(*GRANT, "--id", "grant-x", "--amount", "2")
    assert "already recorded (position 41) with other content" in refused.stderr
    assert index.read_bytes() == before and scenario.count() == 41

    monkeypatch.undo()
    assert scenario(*GRANT).stdout.endswith("\t42\n")
    assert index_position(scenario) == 42


@pytest.mark.backends("sqlite")
def test_a_failure_after_the_store_commits_is_a_warning(
        scenario: Outcomes, monkeypatch: pytest.MonkeyPatch) -> None:
    from outcomes.ledger.store import EventStore

    @contextmanager
    def lost_lock(self: EventStore) -> Iterator[None]:
        yield
        raise OSError(errno.ECONNRESET, "connection reset while releasing the writer lock")

    monkeypatch.setattr(EventStore, "writer_turn", lost_lock)
    result = scenario(*GRANT, "--id", "grant-y")
    assert result.exit_code == 0 and result.stdout == "grant-y\t41\n"
    assert result.stderr == ("outcomes: warning: 1 event(s) recorded, but then: [Errno 104] "
                             "connection reset while releasing the writer lock\n")


def test_only_what_str_wrote_from_typed_digits_is_read_as_an_old_amount() -> None:
    from outcomes.ledger.schema import plain_wire

    assert plain_wire({"amount": "0E-8"}) == {"amount": "0.00000000"}
    assert plain_wire({"amount": "1.0E-8"}) == {"amount": "0.000000010"}  # typed 0.000000010
    assert plain_wire({"changes": {"revenue": "-1E-7", "value": 3}}) == {
        "changes": {"revenue": "-0.0000001", "value": 3}}
    for text in ("1E+3", "0E+2", "1e-9", "lotsE", "10E-9", "NaNE"):
        assert plain_wire({"amount": text}) == {"amount": text}  # the rules then refuse it
    plain = {"amount": "75000000.00", "note": "1E-9"}
    assert plain_wire(plain) is plain
