"""The ledger state's fold: what it remembers of admitted events, and the exact refusals.

Written against the mutants of `ledger/state.py` that survived `tools/mutate`
(docs/testing.md): entity caches kept up to date by corrections, idempotent re-imports of a
correction, the recording actor and time, the Merkle frontier, and whole error lines.
"""

from __future__ import annotations

import hashlib

import pytest

from outcomes.ledger.errors import FieldError, LedgerError
from outcomes.ledger.integrity import canonical_bytes, leaf_hash, node_hash, root_from
from outcomes.ledger.service import new_id
from outcomes.ledger.state import Entry, LedgerState
from tests.unit.test_schema import COMMON, NOW, admit, base


def test_not_an_object_and_no_type_are_refused_with_one_line() -> None:
    with pytest.raises(LedgerError) as error:
        base().admit([1, 2], recorded_at=NOW, actor="t")
    assert str(error.value) == 'expected a JSON object with a "type" field'
    with pytest.raises(FieldError) as error:
        admit({**COMMON, "venture": "v"})
    assert str(error.value) == "type: missing required field"


def test_unknown_type_lists_the_types_or_suggests_one() -> None:
    with pytest.raises(FieldError) as error:
        admit({"type": "Zzz", **COMMON})
    assert str(error.value) == ("type: unknown event type 'Zzz'; one of ProgramRegistered, "
                                "VentureRegistered, FundingCommitted, FundingGranted, "
                                "ReturnReceived, StakeValued, TargetSet, OfferLaunched, "
                                "PartnerSigned, SalesReported, MetricReported, VentureClosed, "
                                "EventCorrected, EventRetracted")
    with pytest.raises(FieldError, match=r"did you mean 'OfferLaunched'\?$"):
        admit({"type": "OfferLaunch", **COMMON})


def test_suggestions_reach_down_to_half_similar_names() -> None:
    # difflib's ratio of "numx" to "numergy" is 2 x 3 / 11 = 0.545: above the 0.5 cutoff.
    state = base()
    admit({"type": "VentureRegistered", **COMMON, "venture": "numergy", "name": "N",
           "program": "p"}, state)
    with pytest.raises(FieldError) as error:
        admit({"type": "OfferLaunched", **COMMON, "venture": "numx", "offer": "O"}, state)
    assert str(error.value) == ("venture: unknown venture 'numx'; register it first; did you "
                                "mean 'numergy'?")
    with pytest.raises(FieldError) as error:  # nothing close: the line ends there
        admit({"type": "OfferLaunched", **COMMON, "venture": "zzzzzz", "offer": "O"}, state)
    assert str(error.value) == "venture: unknown venture 'zzzzzz'; register it first"


def correction(id_: str, target: str, changes: dict, on: str = "2015-04-01") -> dict:
    return {"type": "EventCorrected", "id": id_, "occurred_on": on, "source": COMMON["source"],
            "event": target, "changes": changes, "reason": "typo"}


def test_a_correction_imported_again_in_another_form_is_skipped() -> None:
    # The grant g (10) corrected to 12 ("12"); the same correction again with 12 as a JSON
    # number is the same content once normalised: skipped (None), not refused.
    state = base()
    assert admit(correction("c1", "g", {"amount": "12"}), state) is not None
    assert admit(correction("c1", "g", {"amount": 12}), state) is None
    with pytest.raises(FieldError, match="^id: 'c1' is already recorded"):
        admit(correction("c1", "g", {"amount": "13"}), state)


def test_current_applies_every_correction_in_order() -> None:
    state = base()
    admit(correction("c1", "g", {"amount": "12"}), state)
    admit(correction("c2", "g", {"amount": "15"}), state)
    assert str(state.current("g").fields["amount"]) == "15"
    assert state.entries["g"].corrections == (4, 5)  # p, v, g, then c1 and c2


def test_a_corrected_closure_date_moves_the_closure() -> None:
    # Closed on 2015-06-30, corrected to 2015-03-31: an offer of 2015-05-01 is now after the
    # closure (refused); a program's corrected name is the one the state keeps.
    state = base()
    admit({"type": "VentureClosed", "id": "x", **COMMON, "occurred_on": "2015-06-30",
           "venture": "v", "outcome": "acquired"}, state)
    offer = {"type": "OfferLaunched", **COMMON, "occurred_on": "2015-05-01", "venture": "v",
             "offer": "O"}
    admit(correction("cx", "x", {"occurred_on": "2015-03-31"}, on="2015-07-01"), state)
    assert state.closures["v"].occurred_on.isoformat() == "2015-03-31"
    with pytest.raises(FieldError, match="^venture: 'v' was closed on 2015-03-31"):
        admit(offer, state)
    program_id = state.programs["p"].id
    admit(correction("cp", program_id, {"name": "Renamed"}), state)
    assert state.programs["p"].fields["name"] == "Renamed"


def test_a_retracted_closure_opens_the_venture_again() -> None:
    state = base()
    admit({"type": "VentureClosed", "id": "x", **COMMON, "venture": "v",
           "outcome": "acquired"}, state)
    admit({"type": "EventRetracted", **COMMON, "event": "x", "reason": "wrong"}, state)
    assert "v" not in state.closures
    assert admit({"type": "OfferLaunched", **COMMON, "occurred_on": "2015-05-01",
                  "venture": "v", "offer": "O"}, state)


def test_recorded_by_and_recorded_at() -> None:
    # recorded_by from the line wins over the actor; the state remembers the last time.
    state = base()
    event = admit({"type": "OfferLaunched", **COMMON, "venture": "v", "offer": "O",
                   "recorded_by": "alice"}, state)
    assert (event.recorded_by, state.recorded_at) == ("alice", NOW)
    assert admit({"type": "OfferLaunched", **COMMON, "venture": "v", "offer": "P"},
                 state).recorded_by == "t"


def test_the_frontier_gives_the_rfc6962_root() -> None:
    # Three events: root = H(0x01 | H(0x01 | leaf1 | leaf2) | leaf3), each leaf
    # H(0x00 | canonical bytes); the frontier holds the nodes at positions 2 and 3.
    state = LedgerState(new_id=new_id)
    admitted = [state.admit(raw, recorded_at=NOW, actor="t") for raw in (
        {"type": "ProgramRegistered", **COMMON, "program": "p", "name": "P", "funder": "F"},
        {"type": "VentureRegistered", **COMMON, "venture": "v", "name": "V", "program": "p"},
        {"type": "OfferLaunched", **COMMON, "venture": "v", "offer": "O"})]
    leaves = [hashlib.sha256(b"\x00" + canonical_bytes(e)).digest() for e in admitted]
    assert leaves == [leaf_hash(canonical_bytes(e)) for e in admitted]
    expected = node_hash(node_hash(leaves[0], leaves[1]), leaves[2])
    assert list(state.frontier) == [2, 3]
    assert root_from(state.frontier.values()) == expected


def test_entries_and_pending_events_can_be_kept_elsewhere() -> None:
    # The index passes its own mappings: the state writes into them.
    entries: dict[str, Entry] = {}
    pending: dict = {}
    state = LedgerState(entries=entries, pending=pending)
    event = state.admit({"type": "ProgramRegistered", **COMMON, "id": "p", "program": "p",
                         "name": "P", "funder": "F"}, recorded_at=NOW, actor="t")
    assert entries["p"].position == 1 and pending[1] is event
    assert state.event_at(1) is event
    state.end_batch()
    assert pending == {}
    with pytest.raises(LookupError, match="^no event store to look up position 1$"):
        state.event_at(1)
    looked_up = LedgerState({1: event})  # recorded events, by position
    assert looked_up.event_at(1) is event


def refusal(raw: dict, state: LedgerState | None = None) -> str:
    with pytest.raises(FieldError) as error:
        admit(raw, state)
    return str(error.value)


def test_whole_refusal_lines() -> None:
    state = base()
    admit({"type": "VentureClosed", "id": "x", **COMMON, "venture": "v",
           "outcome": "acquired"}, state)
    admit({"type": "EventRetracted", "id": "r", **COMMON, "event": "g", "reason": "dup"},
          state)
    assert refusal({"type": "VentureRegistered", **COMMON, "venture": "w", "name": "W",
                    "program": "zzzzzz"}) == "program: unknown program 'zzzzzz'; register it first"
    assert refusal({"type": "OfferLaunched", **COMMON, "occurred_on": "2015-03-02",
                    "venture": "v", "offer": "O"}, state) == (
        "venture: 'v' was closed on 2015-03-01; after that only returns, valuations, reports, "
        "corrections and retractions")
    assert refusal({"type": "EventRetracted", **COMMON, "event": "r", "reason": "x"},
                   state) == ("event: cannot retract 'r': it is itself a EventRetracted; "
                              "retract the original event instead")
    program_id = state.programs["p"].id
    assert refusal({"type": "EventRetracted", **COMMON, "event": program_id, "reason": "x"},
                   state) == (f"event: cannot retract the registration {program_id!r}; "
                              "correct its name instead")
    assert refusal(correction("c", program_id, {"currency": "USD"}), state) == (
        "changes.currency: the currency of a ProgramRegistered cannot be corrected; retract "
        "it and record a new event")


def test_corrections_of_registrations_and_dates() -> None:
    # A venture's name can be corrected (it is not a second registration); a date can be
    # corrected up to the correction's own recording date (2026-01-15), not beyond.
    state = base()
    venture_id = state.ventures["v"].id
    assert admit(correction("cn", venture_id, {"name": "New name"}), state)
    assert state.ventures["v"].fields["name"] == "New name"
    assert admit(correction("cd", "g", {"occurred_on": "2026-01-15"}), state)
    assert refusal(correction("ce", "g", {"occurred_on": "2026-01-16"}), state) == (
        "changes.occurred_on: would be after the recording date")


def test_a_correction_is_stored_with_its_changes_normalised() -> None:
    # 12, a JSON number, is stored in the amount's own wire form, "12".
    state = base()
    event = admit(correction("c1", "g", {"amount": 12}), state)
    assert event.fields["changes"] == {"amount": "12"}
    assert event.wire_fields()["changes"] == {"amount": "12"}


def test_new_ids_are_twelve_hex_digits() -> None:
    import re

    event = admit({"type": "OfferLaunched", **COMMON, "venture": "v", "offer": "O"})
    assert re.fullmatch(r"[0-9a-f]{12}", event.id)
