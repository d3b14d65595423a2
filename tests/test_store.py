"""The event store: library compatibility of what is written, and large batches."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.index import FLUSH_EVERY, index_path, read_model_path
from ledger.service import load_state, record
from ledger.store import EventStore, to_record
from tests.conftest import SCENARIO


def test_stored_bytes_are_what_the_library_mapper_writes(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "l.db"), create=True)
    items = [(None, json.loads(line)) for line in SCENARIO.read_text().splitlines()]
    record(store, items, actor="t")
    for rec in store.records():
        event = store.event_at(rec.originator_version)
        node = bytes.fromhex(rec.node)
        ours = store.stored_event(event, node)
        theirs = store.mapper.to_stored_event(to_record(event, node))
        assert ours == theirs
        assert store.mapper.to_domain_event(ours) == rec
    store.close()


def test_a_large_import_can_correct_its_own_early_lines(tmp_path: Path) -> None:
    """Pending events spill from memory to a temporary table; corrections still find them."""
    db = str(tmp_path / "l.db")
    store = EventStore(db, create=True)
    common = {"occurred_on": "2015-01-01", "source": "https://x.org"}
    lines = [{"type": "ProgramRegistered", "program": "p", "name": "P", "funder": "S", **common},
             {"type": "VentureRegistered", "venture": "v", "name": "V", "program": "p",
              **common}]
    lines += [{"type": "FundingGranted", "id": f"g{n}", "venture": "v", "amount": "1",
               "funder": "S", **common} for n in range(FLUSH_EVERY * 2 + 10)]
    lines += [{"type": "EventCorrected", "event": "g3", "changes": {"amount": "7.5"},
               "reason": "r", **common},
              {"type": "EventRetracted", "event": "g4", "reason": "r", **common}]
    out = record(store, [(None, raw) for raw in lines], actor="t", keep=False,
                 index_path=index_path(read_model_path(db)))
    assert out.count == len(lines)
    state = load_state(store)
    assert state.current("g3").fields["amount"] == 7.5
    assert state.entries["g4"].retracted
    store.close()
