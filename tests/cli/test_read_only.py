"""A ledger file the user cannot write (an auditor's copy, a published snapshot) is read in
place: every reading command works, writing ones are refused, and nothing is created.

The tests run as root in CI, which may write anything, so "cannot write" is simulated by
patching the one check (`ledger.store.writable`); the SQLite side of it (opening the file
read-only, immutable when it has no -wal) is real.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.audit_support import build, copy_db, run


@pytest.fixture
def read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(original, read-only copy in a folder of its own)."""
    original = build(tmp_path / "ledger.db")
    (tmp_path / "copy").mkdir()
    copy = copy_db(original, tmp_path / "copy" / "ledger.db")
    monkeypatch.setattr("outcomes.ledger.store.writable", lambda path: False)
    return original, copy


def files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_every_reading_command_works_on_a_read_only_copy(read_only, tmp_path) -> None:
    original, copy = read_only
    before = files(copy.parent)
    verified = run("--db", str(copy), "verify", "-O", "json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True
    for command in (["checkpoint"], ["export"], ["log", "-O", "json"],
                    ["history", "numergy"],
                    ["report", "roi", "--known-at", "2100-01-01", "-O", "json"]):
        ours, theirs = run("--db", str(copy), *command), run("--db", str(original), *command)
        assert ours.exit_code == 0, (command, ours.stderr)
        assert ours.stdout == theirs.stdout, command
    report = run("--db", str(copy), "--read-model", str(tmp_path / "elsewhere.read.db"),
                 "report", "roi", "-O", "json")
    assert report.exit_code == 0 and json.loads(report.stdout)["ventures"]
    assert files(copy.parent) == before  # not a byte written, no side file created


def test_writing_to_a_read_only_copy_is_refused_and_changes_nothing(read_only) -> None:
    _, copy = read_only
    before = files(copy.parent)
    for command in (["append", "offer-launched", "--venture", "numergy", "--offer", "X",
                     "--occurred-on", "2015-01-01", "--source", "https://example.org/x"],
                    ["retract", "grant-1", "--reason", "test",
                     "--source", "https://example.org/x"]):
        result = run("--db", str(copy), *command)
        assert result.exit_code == 2, command
        assert "read-only for you" in result.stderr and "nothing was recorded" in result.stderr
    assert files(copy.parent) == before


def test_a_read_only_copy_whose_recent_events_sit_in_its_wal_is_refused(read_only) -> None:
    """Read as immutable, the file would hide the events of its -wal: say so instead."""
    _, copy = read_only
    copy.with_name(copy.name + "-wal").write_bytes(b"recent pages")
    result = run("--db", str(copy), "verify")
    assert result.exit_code == 2
    assert "ledger.db-wal" in result.stderr and "copy ledger.db and ledger.db-wal" in \
        result.stderr


def test_a_read_model_in_a_folder_that_cannot_be_written_says_what_to_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from outcomes.ledger.index import local_file_hint

    path = str(tmp_path / "ledger.read.db")
    assert "delete the file" in local_file_hint(path, "")
    monkeypatch.setattr("outcomes.ledger.index.os.access", lambda path, mode: False)
    hint = local_file_hint(path, ", or report from the events alone with --known-at")
    assert hint == (f"its folder {tmp_path} is not writable: pass --read-model PATH in a "
                    "writable folder, or report from the events alone with --known-at")
