"""The event store: library compatibility of what is written, and large batches."""

from __future__ import annotations

import json
from pathlib import Path

from outcomes.ledger.index import FLUSH_EVERY, index_path, read_model_path
from outcomes.ledger.service import load_state, record
from outcomes.ledger.store import EventStore, to_record
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


def test_a_fresh_index_still_finds_an_id_repeated_after_a_flush(tmp_path: Path) -> None:
    """A first import looks no new id up in SQLite, but an id it already flushed is found:
    the same event again is skipped, another one with that id refused."""
    import pytest

    from outcomes.ledger.errors import LedgerError

    db = str(tmp_path / "l.db")
    store = EventStore(db, create=True)
    common = {"occurred_on": "2015-01-01", "source": "https://x.org"}
    lines = [{"type": "ProgramRegistered", "id": "p", "program": "p", "name": "P",
              "funder": "S", **common},
             {"type": "VentureRegistered", "id": "v", "venture": "v", "name": "V",
              "program": "p", **common}]
    lines += [{"type": "FundingGranted", "id": f"g{n}", "venture": "v", "amount": "1",
               "funder": "S", **common} for n in range(FLUSH_EVERY + 10)]
    index = index_path(read_model_path(db))
    out = record(store, [(None, raw) for raw in [*lines, lines[2]]], actor="t", keep=False,
                 index_path=index)
    assert (out.count, out.skipped) == (len(lines), 1)
    with pytest.raises(LedgerError, match="'g0' is already recorded"):
        record(store, [(None, raw) for raw in [{**lines[2], "amount": "2"}]], actor="t",
               index_path=index)
    store.close()


def test_canonical_envelope_is_canonical_json() -> None:
    from datetime import UTC, date, datetime

    from outcomes.ledger.integrity import CANONICAL_PREFIX, canonical_bytes
    from outcomes.ledger.model import Event, canonical_json

    event = Event(1, 'é"\\x', "OfferLaunched", datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
                  "zoë", {"occurred_on": date(2020, 1, 1),
                          "source": "s", "venture": "v", "offer": "o"})
    header, envelope, content = canonical_bytes(event).split(b"\n")
    assert header + b"\n" == CANONICAL_PREFIX
    assert envelope == canonical_json({"id": event.id, "recorded_at": "2020-01-02T03:04:05.000006Z",
                                       "recorded_by": "zoë"})
    assert content == event.content()


def test_progress_is_taken_back_when_a_conflict_makes_the_import_start_again(
        tmp_path: Path) -> None:
    """A retried import reads its items again: the bar must not count them twice."""
    from outcomes.ledger.errors import ConflictError
    from outcomes.ledger.service import record
    from tests.audit_support import base_events, build, ev

    store = EventStore(str(build(tmp_path / "l.db")))
    append, lost = store.append, []

    def first_attempt_loses(batch):  # type: ignore[no-untyped-def]
        if not lost:
            lost.append(next(iter(batch)))  # admits one item, then another writer wins
            raise ConflictError("simulated")
        append(batch)

    store.append = first_attempt_loses  # type: ignore[method-assign]
    steps: list[int] = []
    items = [(None, ev("OfferLaunched", "2016-01-01", venture=base_events()[1]["venture"],
                       offer=f"O{i}", source=f"https://example.org/{i}")) for i in range(3)]
    outcome = record(store, items, actor="t", progress=steps.append)
    assert lost and sum(steps) == 3 and -1 in steps
    assert outcome.count == 3 and store.head() == 15
    store.close()
