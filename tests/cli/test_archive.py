"""Archives: `export --archive`, `restore` and `verify --archive` (issue 13, point 1).

An archive is the one file a publisher hands over: restoring it gives an identical ledger
(same positions, recording times, recorders and checkpoints), and checking it needs no
store at all. Any byte changed in it is a failed check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time

from outcomes.ledger.archive import FORMAT
from outcomes.ledger.verify import verify_archive
from tests.audit_support import base_events, build, run
from tests.conftest import SCENARIO, Outcomes

LINES = SCENARIO.read_text(encoding="utf-8").splitlines(keepends=True)


def published(outcomes: Outcomes) -> Outcomes:
    """The scenario recorded at two moments, by two people, with a correction."""
    with freeze_time("2026-02-01 10:00:00.123456"):
        assert outcomes("import", "-", input="".join(LINES[:25])).exit_code == 0
    with freeze_time("2026-03-15 08:30:00"):
        assert outcomes("--actor", "alice", "import", "-",
                        input="".join(LINES[25:])).exit_code == 0
        fixed = outcomes("correct", "g-beta-1", "--set", "amount=12500000.75", "--reason",
                         "typo", "--source", "https://example.org/erratum", "--id", "fix-1")
        assert fixed.exit_code == 0, fixed.output
    return outcomes


def log(outcomes: Outcomes) -> list[dict]:
    result = outcomes("log", "-O", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_restore_makes_an_identical_ledger_that_verifies_against_the_original_checkpoint(
        outcomes: Outcomes, new_store: Callable[[], str], tmp_path: Path) -> None:
    original = published(outcomes)
    checkpoint = original("checkpoint").stdout.strip()
    assert checkpoint.startswith("41:")
    archive = tmp_path / "ledger.archive.jsonl"
    result = original("export", "--archive", "-o", str(archive))
    assert result.exit_code == 0 and "archived 41 events" in result.stderr

    copy = Outcomes(new_store())  # not initialised: restore makes the ledger
    result = copy("restore", str(archive))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("restored 41 events into ")
    assert result.stdout.strip().endswith(f"(checkpoint {checkpoint})")

    assert copy("checkpoint").stdout.strip() == checkpoint
    assert copy("verify", "--checkpoint", checkpoint).exit_code == 0
    events = log(copy)
    assert events == log(original)
    assert [e["recorded_at"] for e in events[24:26]] == ["2026-02-01T10:00:00.123456Z",
                                                         "2026-03-15T08:30:00.000000Z"]
    assert {e["recorded_by"] for e in events} == {"tester", "alice"}
    # The copy archives to the same bytes, and goes on like any ledger.
    again = tmp_path / "again.jsonl"
    assert copy("export", "--archive", "-o", str(again)).exit_code == 0
    assert again.read_bytes() == archive.read_bytes()
    assert copy("append", "metric-reported", "--venture", "alpha", "--metric", "jobs",
                "--value", "7", "--occurred-on", "2016-01-01", "--source", "s").exit_code == 0
    assert copy("verify", "--checkpoint", checkpoint).exit_code == 0


def test_the_archive_names_its_format_and_binds_what_each_leaf_binds(
        outcomes: Outcomes) -> None:
    published(outcomes)
    lines = outcomes("export", "--archive").stdout_bytes.splitlines()
    size, root = outcomes("checkpoint").stdout.strip().split(":")
    assert json.loads(lines[0]) == {"format": FORMAT, "root": root, "size": int(size)}
    assert FORMAT == "outcomes-archive/v1"
    first = json.loads(lines[1])
    assert first == {"position": 1, "recorded_at": "2026-02-01T10:00:00.123456Z",
                     "recorded_by": "tester", **log(outcomes)[0], "node": first["node"]}
    # One line is the canonical JSON of the event: sorted keys, no spaces, UTF-8.
    assert lines[1] == json.dumps(first, sort_keys=True, separators=(",", ":"),
                                  ensure_ascii=False).encode()
    assert len(lines) == 42


def test_an_archive_is_checked_with_no_store_at_all(tmp_path: Path) -> None:
    ledger = build(tmp_path / "ledger.db")
    archive = tmp_path / "a.jsonl"
    checkpoint = run("--db", str(ledger), "checkpoint").stdout.strip()
    assert run("--db", str(ledger), "export", "--archive", "-o", str(archive)).exit_code == 0
    ledger.unlink()
    nowhere = str(tmp_path / "no-such.db")
    for extra in ([], ["--checkpoint", checkpoint], ["--checkpoint", "5:" + "0" * 64]):
        result = run("--db", nowhere, "verify", "--archive", str(archive), *extra)
        assert result.exit_code == (1 if extra[-1:] == ["5:" + "0" * 64] else 0), result.output
    assert not Path(nowhere).exists()
    result = run("verify", "--archive", str(archive), "-O", "json")
    assert json.loads(result.stdout) == {"ok": True, "size": 12, "root": checkpoint[3:],
                                         "first_bad_position": None, "problem": None}


@pytest.fixture
def small_archive(tmp_path: Path) -> tuple[bytes, tuple[int, str]]:
    """A four-event archive and its ledger's checkpoint (as parsed)."""
    ledger = build(tmp_path / "small.db", base_events()[:4])
    size, root = run("--db", str(ledger), "checkpoint").stdout.strip().split(":")
    return run("--db", str(ledger), "export", "--archive").stdout_bytes, (int(size), root)


def test_every_byte_of_an_archive_is_checked(small_archive: tuple[bytes, tuple[int, str]],
                                            tmp_path: Path) -> None:
    """Change any one byte (to the byte after it, or drop it): the check fails, with
    and without the checkpoint, and never raises."""
    data, checkpoint = small_archive
    path = tmp_path / "changed.jsonl"
    path.write_bytes(data)
    assert verify_archive(str(path), checkpoint).ok
    for i in range(len(data)):
        for changed in (data[:i] + bytes([(data[i] + 1) % 256]) + data[i + 1:],
                        data[:i] + data[i + 1:]):
            path.write_bytes(changed)
            assert not verify_archive(str(path)).ok, (i, changed[max(0, i - 20):i + 20])
            assert not verify_archive(str(path), checkpoint).ok, i


def test_a_cut_off_archive_fails_even_without_a_checkpoint(
        small_archive: tuple[bytes, tuple[int, str]], tmp_path: Path) -> None:
    data, _ = small_archive
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b"".join(data.splitlines(keepends=True)[:-1]))
    report = verify_archive(str(path))
    assert not report.ok and "the header says 4:" in report.problem
    assert "events make 3:" in report.problem


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.replace(b'"amount":"75000000"', b'"amount":"75000001"'),
     "position 3: the event does not match the hash stored with it"),
    (lambda d: d.replace(b'"amount":"75000000"', b'"amount": "75000000"'),
     "a.jsonl:4: not in the canonical form `export --archive` writes"),
    (lambda d: d.replace(b'"format":"outcomes-archive/v1"', b'"format":"outcomes-archive/v2"'),
     "a.jsonl:1: not an archive header"),
    (lambda d: b"", "a.jsonl:1: the file is empty, not an archive"),
    (lambda d: d[:-1], "a.jsonl:5: the line does not end with a newline: cut off or altered"),
])
def test_a_damaged_archive_fails_in_one_line_naming_the_place(
        small_archive: tuple[bytes, tuple[int, str]], tmp_path: Path,
        change: Callable[[bytes], bytes], message: str) -> None:
    data, (size, root) = small_archive
    path = tmp_path / "a.jsonl"
    path.write_bytes(change(data))
    result = run("verify", "--archive", str(path), "--checkpoint", f"{size}:{root}")
    assert result.exit_code == 1
    assert result.stderr.startswith("outcomes: verify failed: ")
    assert message.replace("a.jsonl", str(path)) in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


def test_restore_is_refused_into_a_ledger_that_holds_events(
        outcomes: Outcomes, tmp_path: Path) -> None:
    published(outcomes)
    archive = tmp_path / "a.jsonl"
    assert outcomes("export", "--archive", "-o", str(archive)).exit_code == 0
    before = outcomes.digest()
    result = outcomes("restore", str(archive))
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("already holds 41 events: restore only into a new "
                                          "or empty ledger (pass --db NEW)")
    assert len(result.stderr.splitlines()) == 1
    assert outcomes.digest() == before


def test_restore_into_an_empty_ledger_and_with_its_own_db_option(
        small_archive: tuple[bytes, tuple[int, str]], tmp_path: Path) -> None:
    data, (size, root) = small_archive
    archive = tmp_path / "a.jsonl"
    archive.write_bytes(data)
    empty = tmp_path / "empty.db"
    assert run("--db", str(empty), "init").exit_code == 0
    assert run("--db", str(empty), "restore", str(archive)).exit_code == 0
    target = tmp_path / "new.db"
    result = run("--db", str(empty), "restore", str(archive), "--db", str(target))
    assert result.exit_code == 0, result.output
    assert run("--db", str(target), "checkpoint").stdout.strip() == f"{size}:{root}"


def test_a_damaged_archive_is_not_restored_and_leaves_no_ledger_behind(
        small_archive: tuple[bytes, tuple[int, str]], tmp_path: Path) -> None:
    data, _ = small_archive
    archive = tmp_path / "a.jsonl"
    archive.write_bytes(data.replace(b'"amount":"75000000"', b'"amount":"75000001"'))
    target = tmp_path / "new.db"
    result = run("restore", str(archive), "--db", str(target))
    assert result.exit_code == 2
    assert result.stderr == (f"outcomes: error: {archive} does not verify, nothing restored: "
                             "position 3: the event does not match the hash stored with it: "
                             "altered, replaced or moved\n")
    assert not target.exists()
    result = run("restore", str(tmp_path / "missing.jsonl"), "--db", str(target))
    assert result.exit_code == 2 and "no such file" in result.stderr
    assert not target.exists()


def test_an_archive_whose_hashes_were_recomputed_around_an_invalid_event_is_refused(
        tmp_path: Path) -> None:
    """The hashes prove the file is what was written, not that its events were admissible:
    restore admits each event again, so a hand-made archive gets no further than import."""
    from outcomes.ledger.archive import event_line, header_line
    from outcomes.ledger.integrity import canonical_bytes, grow, leaf_hash, node_at, root_hex
    from outcomes.ledger.model import Event

    events = [Event.from_wire(1, "e1", "VentureRegistered", datetime(2026, 1, 1, tzinfo=UTC),
                              "mallory", {"venture": "ghost", "name": "Ghost",
                                          "program": "nowhere", "occurred_on": "2020-01-01",
                                          "source": "s"})]
    frontier: dict[int, bytes] = {}
    lines = []
    for event in events:
        node = node_at(event.position, leaf_hash(canonical_bytes(event)), frontier.__getitem__)
        grow(frontier, event.position, node)
        lines.append(event_line(event, node.hex()))
    archive = tmp_path / "forged.jsonl"
    archive.write_bytes(header_line(1, root_hex(1, frontier.__getitem__)) + b"".join(lines))
    checked = run("verify", "--archive", str(archive))  # re-admitted, as `verify` does
    assert checked.exit_code == 1
    assert "position 1: the event would be refused today (program: unknown program " \
           "'nowhere'" in checked.stderr
    result = run("restore", str(archive), "--db", str(tmp_path / "new.db"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"outcomes: error: {archive} does not verify, nothing "
                                    "restored: position 1: the event would be refused")
    assert "program: unknown program 'nowhere'" in result.stderr
    assert not (tmp_path / "new.db").exists()


def test_plain_export_still_reimports_and_a_missing_ledger_says_how_to_create_it(
        tmp_path: Path) -> None:
    ledger = build(tmp_path / "ledger.db")
    copy = tmp_path / "copy.db"
    exported = run("--db", str(ledger), "export").stdout
    assert "recorded_at" not in exported and "position" not in exported
    result = Outcomes(copy)("import", "-", input=exported)
    assert result.exit_code == 2
    assert result.stderr == (f"outcomes: error: no ledger at {copy}: create it with "
                             f"`outcomes --db {copy} init` first, or pass --db / set "
                             "OUTCOMES_DB to an existing ledger\n")
    assert not copy.exists()
    # The README's pipeline: init, then import what export writes.
    assert run("--db", str(copy), "init").exit_code == 0
    result = Outcomes(copy)("import", "-", input=exported)
    assert result.exit_code == 0 and "imported 12 events" in result.stdout
    assert run("--db", str(copy), "export").stdout == exported


@pytest.mark.backends("sqlite")
def test_a_restore_whose_index_cannot_be_saved_warns_and_keeps_the_events(
        outcomes, tmp_path, monkeypatch):
    """Once the events are stored, a full disk when saving the local index is a warning
    (as for import), not a traceback: the restore stands, and a retry is refused."""
    import errno

    from outcomes.ledger.index import LedgerIndex

    archive = tmp_path / "a.archive.jsonl"
    assert outcomes("init").exit_code == 0
    assert outcomes("import", str(SCENARIO)).exit_code == 0
    assert outcomes("export", "--archive", "-o", str(archive)).exit_code == 0

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(LedgerIndex, "commit", full)
    copy = Outcomes(tmp_path / "copy.db")
    restored = copy("restore", str(archive))
    assert restored.exit_code == 0, restored.output
    lines = restored.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("outcomes: warning: ")
    assert "No space left on device" in lines[0] and "Traceback" not in restored.output
    assert restored.stdout.startswith("restored ")
    assert copy("verify").exit_code == 0
    assert copy("restore", str(archive)).exit_code == 2  # not doubled
