"""Integrity: the Merkle log matches RFC 6962, and `verify` catches every kind of tampering
done behind the tool's back with the sqlite3 module (triggers dropped, as an attacker would)."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from outcomes.ledger.integrity import (
    EMPTY_ROOT,
    frontier_positions,
    grow,
    leaf_hash,
    node_at,
    root_hex,
)
from outcomes.ledger.store import EventStore
from outcomes.ledger.verify import RECORDED_TOPIC, checkpoint, verify
from tests.audit_support import base_events, build, copy_db, ev, run, state_of, tamper

# -- the Merkle tree against RFC 6962 ------------------------------------------------------


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1 Merkle Tree Hash, written straight from the definition."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def stored_nodes(leaves: list[bytes]) -> dict[int, bytes]:
    """The node each position stores, computed the way the ledger appends."""
    nodes: dict[int, bytes] = {}
    for position, data in enumerate(leaves, start=1):
        nodes[position] = node_at(position, leaf_hash(data), nodes.__getitem__)
    return nodes


def test_root_equals_recursive_mth_for_every_size_up_to_40() -> None:
    leaves = [f"event {i}".encode() * (i % 3 + 1) for i in range(40)]
    nodes = stored_nodes(leaves)
    for size in range(41):
        assert root_hex(size, nodes.__getitem__) == mth(leaves[:size]).hex(), size


def test_frontier_alone_gives_the_same_nodes_and_roots() -> None:
    """Appending keeps only O(log n) nodes (`grow`), as the write side and verify do."""
    leaves = [bytes([i]) * i for i in range(40)]
    frontier: dict[int, bytes] = {}
    for position, data in enumerate(leaves, start=1):
        grow(frontier, position, node_at(position, leaf_hash(data), frontier.__getitem__))
        assert sorted(frontier) == frontier_positions(position)
        assert root_hex(position, frontier.__getitem__) == mth(leaves[:position]).hex()


def test_published_rfc6962_test_vectors() -> None:
    """The roots of the certificate-transparency reference tests for 0..8 leaves."""
    leaves = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
              bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]
    expected = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    nodes = stored_nodes(leaves)
    assert expected[0] == EMPTY_ROOT
    assert [root_hex(n, nodes.__getitem__) for n in range(9)] == expected


# -- verify on a real ledger --------------------------------------------------------------


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return build(tmp_path / "ledger.db")


def verify_json(db: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    result = run("--db", str(db), "verify", "-O", "json", *extra)
    return result.exit_code, json.loads(result.stdout), result.stderr


def current_checkpoint(db: Path) -> str:
    result = run("--db", str(db), "checkpoint")
    assert result.exit_code == 0
    return result.stdout.strip()


def test_untouched_copy_verifies_silently(ledger: Path, tmp_path: Path) -> None:
    copy = copy_db(ledger, tmp_path / "copy.db")
    result = run("--db", str(copy), "verify")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    code, report, _ = verify_json(copy, "--checkpoint", current_checkpoint(ledger))
    size, root = current_checkpoint(ledger).split(":")
    assert code == 0
    assert report == {"ok": True, "size": int(size), "root": root,
                      "first_bad_position": None, "problem": None}


def test_checkpoint_prints_size_and_root(ledger: Path) -> None:
    text = current_checkpoint(ledger)
    result = run("--db", str(ledger), "checkpoint", "-O", "json")
    doc = json.loads(result.stdout)
    assert doc == {"size": 12, "root": text.split(":")[1], "checkpoint": text}
    store = EventStore(str(ledger))
    try:
        assert checkpoint(store) == (12, verify(store).root)
    finally:
        store.close()


def _swap_states(db: Path, a: int, b: int) -> list[tuple[str, tuple[Any, ...]]]:
    sa, sb = state_of(db, a), state_of(db, b)
    sql = "UPDATE stored_events SET state = ? WHERE originator_version = ?"
    return [(sql, (sb, a)), (sql, (sa, b))]


def _swap_versions(a: int, b: int) -> list[tuple[str, tuple[Any, ...]]]:
    sql = "UPDATE stored_events SET originator_version = ? WHERE originator_version = ?"
    return [(sql, (-1, a)), (sql, (a, b)), (sql, (b, -1))]


def _replace(db: Path, position: int, old: bytes, new: bytes) -> list[tuple[str, tuple]]:
    state = state_of(db, position)
    assert state.count(old) == 1
    return [("UPDATE stored_events SET state = ? WHERE originator_version = ?",
             (state.replace(old, new), position))]


def _forged_row(db: Path, rowid: int | None) -> list[tuple[str, tuple[Any, ...]]]:
    """A copy of event 5 with another amount, in a stream of its own."""
    state = state_of(db, 5).replace(b'"25000000"', b'"1"')
    if rowid is None:
        return [("INSERT INTO stored_events VALUES (?, 1, ?, ?)",
                 (uuid.uuid4().hex, RECORDED_TOPIC, state))]
    return [("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, "
             "state) VALUES (?, ?, 1, ?, ?)", (rowid, uuid.uuid4().hex, RECORDED_TOPIC, state))]


def _insert_in_the_middle(db: Path) -> list[tuple[str, tuple[Any, ...]]]:
    """Renumber positions 6.. up by one and slip a forged event in at 6."""
    shift = [("UPDATE stored_events SET originator_version = originator_version + 1 "
              "WHERE originator_version = ?", (p,)) for p in range(12, 5, -1)]
    forged = state_of(db, 5).replace(b'"grant-1"', b'"grant-x"')
    stream = _stream_id(db)
    return shift + [("INSERT INTO stored_events VALUES (?, 6, ?, ?)",
                     (stream, RECORDED_TOPIC, forged))]


def _stream_id(db: Path) -> str:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT originator_id FROM stored_events LIMIT 1").fetchone()[0]
    finally:
        con.close()


TAMPERING = {
    # name: (statements for the copy, first bad position, word in the problem)
    "one byte of an old amount": (
        lambda db: _replace(db, 5, b'"amount":"25000000"', b'"amount":"25000001"'),
        5, "altered"),
    "an amount made invalid": (
        lambda db: _replace(db, 5, b'"amount":"25000000"', b'"amount":"2500000x"'),
        5, "altered"),
    "a byte that breaks the JSON": (
        lambda db: _replace(db, 5, b'"amount":"25000000"', b'"amount":"25000000'),
        5, "altered"),
    "a recording time moved": (
        lambda db: _replace(db, 3, b'"_data_":"', b'"_data_":"1'),
        3, "altered"),
    "a middle event deleted": (
        lambda db: [("DELETE FROM stored_events WHERE originator_version = 6", ())],
        6, "removed"),
    "two events' contents swapped": (lambda db: _swap_states(db, 4, 7), 4, "altered"),
    "two events' positions swapped": (lambda db: _swap_versions(4, 7), 4, "reordered"),
    "a forged row in another stream, appended": (lambda db: _forged_row(db, None), 13,
                                                 "inserted"),
    "a forged row in another stream, first in order": (lambda db: _forged_row(db, 0), 1,
                                                       "inserted"),
    "a forged event slipped in the middle": (_insert_in_the_middle, 6, "stored after"),
    "a row whose stream id is not a UUID": (
        lambda db: [("INSERT INTO stored_events VALUES ('not-a-uuid', 1, ?, ?)",
                     (RECORDED_TOPIC, state_of(db, 5)))],
        13, "inserted"),
    "a position that is not a number": (
        lambda db: [("UPDATE stored_events SET originator_version = 'six' "
                     "WHERE originator_version = 6", ())],
        6, "altered"),
    "a row of the ledger's stream with another topic": (
        lambda db: [("UPDATE stored_events SET topic = 'os:system' "
                     "WHERE originator_version = 2", ())],
        2, "altered"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_verify_names_the_first_bad_position(ledger: Path, tmp_path: Path, case: str) -> None:
    make, position, word = TAMPERING[case]
    copy = copy_db(ledger, tmp_path / "copy.db")
    tamper(copy, *make(copy))
    result = run("--db", str(copy), "verify")
    assert result.exit_code == 1
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line and f"position {position}:" in line and word in line, line
    code, report, _ = verify_json(copy)
    assert code == 1
    assert report["ok"] is False and report["root"] is None
    assert report["first_bad_position"] == position
    assert report["size"] == position - 1
    assert word in report["problem"]


def test_deleting_the_last_event_is_caught_only_against_an_earlier_checkpoint(
        ledger: Path, tmp_path: Path) -> None:
    published = current_checkpoint(ledger)
    copy = copy_db(ledger, tmp_path / "copy.db")
    tamper(copy, ("DELETE FROM stored_events WHERE originator_version = 12", ()))
    assert run("--db", str(copy), "verify").exit_code == 0  # a shorter log is consistent
    code, report, err = verify_json(copy, "--checkpoint", published)
    assert code == 1
    assert report["first_bad_position"] == 12
    assert "cut off" in report["problem"] and "position 12" in err


def test_a_later_log_extends_an_earlier_checkpoint(ledger: Path) -> None:
    published = current_checkpoint(ledger)
    store = EventStore(str(ledger))
    try:
        from outcomes.ledger.service import record

        record(store, [(None, ev("SalesReported", "2016-01-15", venture="numergy",
                                 period="2015", revenue="8000000"))], actor="tester")
    finally:
        store.close()
    assert current_checkpoint(ledger) != published
    assert run("--db", str(ledger), "verify", "--checkpoint", published).exit_code == 0
    assert run("--db", str(ledger), "verify", "--checkpoint", f"0:{EMPTY_ROOT}").exit_code == 0


def test_a_forged_checkpoint_fails(ledger: Path) -> None:
    size, root = current_checkpoint(ledger).split(":")
    forged = f"{size}:{root[:-1]}{'0' if root[-1] != '0' else '1'}"
    code, report, err = verify_json(ledger, "--checkpoint", forged)
    assert code == 1
    assert report["first_bad_position"] is None
    assert "does not extend checkpoint" in report["problem"] and "rewritten" in err
    code, report, _ = verify_json(ledger, "--checkpoint", f"8:{root}")
    assert code == 1 and "position 8" in report["problem"]
    code, report, _ = verify_json(ledger, "--checkpoint", f"0:{root}")
    assert code == 1


@pytest.mark.parametrize("text", ["", "12", "12:", "x:" + "0" * 64, "12:" + "0" * 63,
                                  "-1:" + "0" * 64, "12:" + "g" * 64])
def test_a_malformed_checkpoint_is_bad_input(ledger: Path, text: str) -> None:
    result = run("--db", str(ledger), "verify", "--checkpoint", text)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "checkpoint" in result.stderr


def test_a_rewrite_that_recomputes_every_later_hash_needs_a_checkpoint(tmp_path: Path) -> None:
    """Someone who rewrites event 5 and recomputes every later node makes a log that is
    consistent on its own; only a checkpoint published before the rewrite exposes it."""
    forged_events = base_events()
    forged_events[4] = {**forged_events[4], "amount": "5000000"}
    with freeze_time("2016-02-01T10:00:00Z"):
        honest = build(tmp_path / "honest.db")
        forged = build(tmp_path / "forged.db", forged_events)
    published = current_checkpoint(honest)
    assert run("--db", str(forged), "verify").exit_code == 0
    code, report, _ = verify_json(forged, "--checkpoint", published)
    assert code == 1 and "rewritten" in report["problem"]
    # Checkpoints published before the rewritten event still hold.
    store = EventStore(str(honest))
    try:
        early = f"4:{root_hex(4, store.node)}"
    finally:
        store.close()
    assert run("--db", str(forged), "verify", "--checkpoint", early).exit_code == 0


def test_verify_reports_progress(ledger: Path) -> None:
    seen: list[int] = []
    store = EventStore(str(ledger))
    try:
        report = verify(store, progress=seen.append)
    finally:
        store.close()
    assert report.ok and sum(seen) == 12


def test_an_object_smuggled_into_a_correction_is_caught(tmp_path: Path) -> None:
    """The store's JSON decoder turns {"_type_": ...} objects into Python values."""
    db = build(tmp_path / "ledger.db", base_events() + [
        {"type": "EventCorrected", "id": "fix", "event": "grant-1",
         "changes": {"amount": "24000000"}, "reason": "typo", "source": "https://x.org/e",
         "occurred_on": "2016-01-01"}])
    copy = copy_db(db, tmp_path / "copy.db")
    tamper(copy, *_replace(copy, 13, b'"amount":"24000000"',
                           b'"amount":{"_type_":"decimal_str","_data_":"24000000"}'))
    code, report, _ = verify_json(copy)
    assert code == 1 and report["first_bad_position"] == 13
    assert "altered" in report["problem"]


def test_documented_canonical_example_and_leaf_hash() -> None:
    """docs/integrity.md gives an example of canonical bytes v1 and its leaf hash."""
    from datetime import UTC, date, datetime
    from decimal import Decimal
    from pathlib import Path

    from outcomes.ledger.integrity import canonical_bytes, leaf_hash
    from outcomes.ledger.model import Event

    event = Event(5, "grant-1", "FundingGranted",
                  datetime(2026, 11, 26, 4, 0, 24, 422292, tzinfo=UTC), "root",
                  {"occurred_on": date(2012, 12, 1), "source": "https://example.org/report",
                   "venture": "numergy", "amount": Decimal("25000000"), "funder": "CDC",
                   "public": True, "instrument": "equity"})
    doc = (Path(__file__).parents[2] / "docs" / "integrity.md").read_text()
    assert canonical_bytes(event).decode() in doc
    assert leaf_hash(canonical_bytes(event)).hex() in doc
