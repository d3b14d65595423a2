"""The local validation index always agrees with a full fold of the ledger."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ledger.index import LedgerIndex, index_path, read_model_path
from ledger.service import load_state, record
from ledger.store import EventStore
from tests.conftest import SCENARIO

LINES = [(f"s:{n}", json.loads(line)) for n, line in
         enumerate(SCENARIO.read_text().splitlines(), 1)]


def snapshot(state) -> dict:
    ids = [raw["id"] for _, raw in LINES if raw.get("id")]
    return {"position": state.position, "recorded_at": state.recorded_at,
            "frontier": state.frontier,
            "entities": {k: {s: e.to_log() for s, e in getattr(state, k).items()}
                         for k in ("programs", "ventures", "closures")},
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
