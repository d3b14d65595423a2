"""The local validation index always agrees with a full fold of the ledger."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from freezegun import freeze_time

from outcomes.ledger.errors import LedgerError
from outcomes.ledger.index import LedgerIndex, PendingEvents, index_path, read_model_path
from outcomes.ledger.service import load_state, record
from outcomes.ledger.store import EventStore
from tests.audit_support import base_events, copy_db, ev
from tests.conftest import SCENARIO

LINES = [(f"s:{n}", json.loads(line)) for n, line in
         enumerate(SCENARIO.read_text().splitlines(), 1)]


def snapshot(state) -> dict:
    ids = [raw["id"] for _, raw in LINES if raw.get("id")]
    return {"position": state.position, "recorded_at": state.recorded_at,
            "frontier": state.frontier,
            "entities": {k: {s: e.to_log() for s, e in getattr(state, k).items()}
                         for k in ("programs", "ventures", "closures")},
            "activity": dict(state.activity.items()),
            "entries": {i: state.entries.get(i) for i in ids}}


def assert_index_agrees(store: EventStore, index_file: str) -> None:
    index = LedgerIndex(index_file)
    try:
        assert snapshot(index.begin(store)) == snapshot(load_state(store))
    finally:
        index.rollback()
        index.close()


def test_index_matches_full_fold_after_each_batch(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    assert read_model_path(db) == str(tmp_path / "l.read.db")
    index_file = index_path(read_model_path(db))
    assert index_file == str(tmp_path / "l.index.db")
    store = EventStore(db, create=True)
    for chunk in (LINES[:7], LINES[7:25], LINES[25:]):
        record(store, chunk, actor="t", index_path=index_file)
        assert_index_agrees(store, index_file)
    # Re-importing through the index adds nothing.
    assert record(store, LINES, actor="t", index_path=index_file).skipped == 40
    store.close()


def test_index_catches_up_with_writes_it_did_not_see(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    store = EventStore(db, create=True)
    record(store, LINES[:20], actor="t", index_path=index_path(read_model_path(db)))
    record(store, LINES[20:], actor="t")  # a writer without the index
    assert_index_agrees(store, index_path(read_model_path(db)))
    store.close()


def test_deleted_or_foreign_index_is_rebuilt(tmp_path: Path) -> None:
    db, other = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    index_file = str(tmp_path / "shared.read.db")
    store = EventStore(db, create=True)
    record(store, LINES, actor="t", index_path=index_file)
    Path(index_file).unlink()
    assert_index_agrees(store, index_file)
    second = EventStore(other, create=True)
    record(second, LINES[:5], actor="t", index_path=index_file)  # another ledger's index
    assert_index_agrees(second, index_file)
    store.close()
    second.close()


def test_index_ahead_of_a_restored_store_is_discarded(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    store = EventStore(str(db), create=True)
    record(store, LINES[:10], actor="t")
    store.close()
    shutil.copy(db, tmp_path / "backup.db")
    store = EventStore(str(db))
    record(store, LINES[10:], actor="t", index_path=index_path(read_model_path(str(db))))
    store.close()
    shutil.copy(tmp_path / "backup.db", db)  # restore the older copy
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    store = EventStore(str(db))
    assert store.head() == 10
    assert_index_agrees(store, index_path(read_model_path(str(db))))
    out = record(store, LINES[10:], actor="t", index_path=index_path(read_model_path(str(db))))
    assert len(out.added) == 30
    store.close()


def test_index_of_a_replaced_ledger_of_equal_length_is_discarded(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    store = EventStore(db, create=True)
    record(store, LINES[:10], actor="t", index_path=index_path(read_model_path(db)))
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(db + suffix).unlink(missing_ok=True)
    store = EventStore(db, create=True)
    other = [(loc, {**raw, "id": f"x{n}"}) for n, (loc, raw) in enumerate(LINES[:10])]
    record(store, other, actor="t")  # same length, other history
    assert_index_agrees(store, index_path(read_model_path(db)))
    store.close()


def _sqlite(path: str, *statements: str) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


def test_index_of_a_ledger_replaced_by_one_with_the_same_last_node_is_discarded(
        tmp_path: Path) -> None:
    """Same recording time, same last four events, another grant-1: the node stored at
    the index's position is the same, the Merkle root is not."""
    db, other, index = str(tmp_path / "l.db"), str(tmp_path / "o.db"), str(tmp_path / "i.db")
    changed = [{**raw, "amount": "1"} if raw.get("id") == "grant-1" else raw
               for raw in base_events()]
    with freeze_time("2016-02-01T10:00:00Z"):
        for path, events, kept in ((db, base_events(), index), (other, changed, None)):
            store = EventStore(path, create=True)
            record(store, [(None, raw) for raw in events], actor="t", index_path=kept)
            store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(db + suffix).unlink(missing_ok=True)
        copy_db(Path(other), Path(db))
        store = EventStore(db)
        try:
            assert store.node(12) == EventStore(other).node(12)
            with pytest.raises(LedgerError, match="'grant-1' is already recorded .* with "
                                                  "other content"):
                record(store, [(None, raw) for raw in base_events()], actor="t",
                       index_path=index)
            assert_index_agrees(store, index)
        finally:
            store.close()


CLOSED = ev("VentureClosed", "2015-12-31", id="closed", venture="numergy", outcome="other")


@pytest.mark.parametrize("edit", [
    "DELETE FROM ledger_index_entities WHERE kind = 'closures'",
    "UPDATE ledger_index_entities SET event = replace(event, '2015-12-31', '2099-12-31') "
    "WHERE kind = 'closures'",
])
def test_closure_rows_edited_in_the_index_do_not_let_a_grant_in(tmp_path: Path,
                                                                 edit: str) -> None:
    db, index = str(tmp_path / "l.db"), str(tmp_path / "l.index.db")
    store = EventStore(db, create=True)
    try:
        with freeze_time("2016-02-01T10:00:00Z"):
            record(store, [(None, raw) for raw in [*base_events(), CLOSED]], actor="t",
                   index_path=index)
            _sqlite(index, edit)
            late = ev("FundingGranted", "2016-01-15", venture="numergy", amount="5",
                      funder="CDC")
            with pytest.raises(LedgerError, match="was closed on 2015-12-31"):
                record(store, [(None, late)], actor="t", index_path=index)
        assert store.head() == 13
        assert_index_agrees(store, index)
    finally:
        store.close()


def test_a_retraction_cleared_in_the_index_does_not_let_a_correction_in(
        tmp_path: Path) -> None:
    db, index = str(tmp_path / "l.db"), str(tmp_path / "l.index.db")
    store = EventStore(db, create=True)
    retract = ev("EventRetracted", "2016-01-01", event="grant-2", reason="x")
    fix = ev("EventCorrected", "2016-01-01", event="grant-2", changes={"amount": "1"},
             reason="x")
    try:
        with freeze_time("2016-02-01T10:00:00Z"):
            record(store, [(None, raw) for raw in [*base_events(), retract]], actor="t",
                   index_path=index)
            _sqlite(index, "UPDATE ledger_index_entries SET retracted = 0 "
                           "WHERE id = 'grant-2'")
            with pytest.raises(LedgerError, match="it was retracted"):
                record(store, [(None, fix)], actor="t", index_path=index)
    finally:
        store.close()


def test_an_index_of_another_version_starts_over(tmp_path: Path) -> None:
    db, index = str(tmp_path / "l.db"), str(tmp_path / "l.index.db")
    store = EventStore(db, create=True)
    try:
        record(store, LINES[:10], actor="t", index_path=index)
        _sqlite(index, "UPDATE ledger_index_meta SET value = '1' WHERE key = 'version'",
                "ALTER TABLE ledger_index_entries DROP COLUMN tag")
        record(store, LINES[10:], actor="t", index_path=index)
        assert_index_agrees(store, index)
    finally:
        store.close()


def test_the_index_tables_can_be_listed_and_counted(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    store = EventStore(db, create=True)
    index_file = index_path(read_model_path(db))
    record(store, LINES[:5], actor="t", index_path=index_file)
    index = LedgerIndex(index_file)
    try:
        state = index.begin(store)
        ids = [store.event_at(p).id for p in range(1, 6)]
        assert list(state.entries) == ids and len(state.entries) == 5
        assert sorted(state.ventures) == sorted(
            raw["venture"] for _, raw in LINES[:5] if raw["type"] == "VentureRegistered")
        pending = PendingEvents(index.con)
        for p in (7, 6):
            pending[p] = store.event_at(p - 5)
        assert list(pending) == [6, 7] and len(pending) == 2 and pending[6].id == ids[0]
        pending.clear()
        assert list(pending) == [] and len(pending) == 0
    finally:
        index.rollback()
        index.close()
        store.close()
