"""LedgerState is a pure core: no store, no id drawn by itself, no event mutated."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from outcomes.ledger.errors import FieldError, LedgerError
from outcomes.ledger.model import Event
from outcomes.ledger.state import LedgerState
from tests.unit.test_schema import COMMON, NOW

BATCH: list[dict[str, Any]] = [
    {"type": "ProgramRegistered", "id": "p1", "program": "p", "name": "P", "funder": "State"},
    {"type": "VentureRegistered", "id": "v1", "venture": "v", "name": "V", "program": "p"},
    {"type": "FundingGranted", "id": "g1", "venture": "v", "amount": "10", "funder": "State"},
    {"type": "FundingGranted", "id": "g2", "venture": "v", "amount": "5", "funder": "State"},
    # "011.50" is normalised to "11.50" in the correction the state returns
    {"type": "EventCorrected", "id": "c1", "event": "g1", "reason": "typo",
     "changes": {"amount": "011.50", "occurred_on": "2015-03-04"}},
    {"type": "EventRetracted", "id": "r1", "event": "g2", "reason": "duplicate"},
    {"type": "EventCorrected", "id": "c2", "event": "v1", "reason": "typo",
     "changes": {"name": "V2"}},
]


def frozen(event: Event) -> tuple[Any, ...]:
    """A deep copy of everything an event holds."""
    return (event.position, event.id, event.type, event.recorded_at, event.recorded_by,
            copy.deepcopy(event.fields), copy.deepcopy(event.wire_fields()), event.content())


def test_a_state_with_no_store_admits_a_batch_with_ids_given() -> None:
    state = LedgerState()  # no recorded events to read, no id factory
    events = [state.admit({**COMMON, **raw}, recorded_at=NOW, actor="t") for raw in BATCH]
    assert [(e.position, e.id) for e in events] == [
        (1, "p1"), (2, "v1"), (3, "g1"), (4, "g2"), (5, "c1"), (6, "r1"), (7, "c2")]
    assert events[4].fields["changes"] == {"amount": "11.50", "occurred_on": "2015-03-04"}
    assert events[4].wire_fields()["changes"] == {"amount": "11.50",
                                                  "occurred_on": "2015-03-04"}
    assert str(state.current("g1").fields["amount"]) == "11.50"
    assert state.ventures["v"].fields["name"] == "V2"
    # g1 now dated 2015-03-04; g2 retracted: a closure may not precede 2015-03-04
    assert state.activity["v"] == {"2015-03-04": 1}
    with pytest.raises(FieldError, match="^occurred_on: 'v' has events dated up to "
                                         "2015-03-04"):
        state.admit({**COMMON, "type": "VentureClosed", "id": "x1", "venture": "v",
                     "outcome": "acquired"}, recorded_at=NOW, actor="t")


def test_an_event_without_an_id_needs_the_callers_factory() -> None:
    state = LedgerState()
    with pytest.raises(FieldError, match="^id: missing required field$"):
        state.admit({**COMMON, **BATCH[0], "id": None}, recorded_at=NOW, actor="t")
    ids = iter(["p1", "p1", "fresh"])  # the state draws again while an id is taken
    state = LedgerState(new_id=lambda: next(ids))
    state.admit({**COMMON, **BATCH[0]}, recorded_at=NOW, actor="t")
    raw = {**COMMON, **BATCH[1]}
    del raw["id"]
    assert state.admit(raw, recorded_at=NOW, actor="t").id == "fresh"
    stuck = LedgerState(new_id=lambda: "p1")
    stuck.admit({**COMMON, **BATCH[0]}, recorded_at=NOW, actor="t")
    with pytest.raises(LedgerError, match="no unused event id"):
        stuck.admit(raw, recorded_at=NOW, actor="t")


def test_admitting_never_mutates_an_event_given_or_held() -> None:
    state = LedgerState()
    raws = [{**COMMON, **raw} for raw in copy.deepcopy(BATCH)]
    given = copy.deepcopy(raws)
    admitted, held = [], []
    for raw in raws:
        event = state.admit(raw, recorded_at=NOW, actor="t")
        admitted.append(event)
        held.append(frozen(event))
    # Importing the batch again (same ids) skips every event, corrections included.
    assert [state.admit(raw, recorded_at=NOW, actor="t") for raw in raws] == [None] * 7
    assert raws == given
    assert [frozen(e) for e in admitted] == held
    assert [frozen(state.event_at(p)) for p in range(1, 8)] == held
    assert frozen(state.programs["p"]) == held[0]
