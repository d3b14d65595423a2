"""Rules that depend on what is already recorded (the contract's "Bad input" list)."""

from __future__ import annotations

import pytest

from outcomes.ledger.errors import FieldError
from tests.unit.test_schema import COMMON, NOW, VALID, admit, base


def test_unregistered_venture_suggests_nearest() -> None:
    with pytest.raises(FieldError, match="^venture: unknown venture 'w'; register it first"):
        admit({"type": "OfferLaunched", **COMMON, **VALID["OfferLaunched"], "venture": "w"})
    state = base()
    admit({"type": "VentureRegistered", **COMMON, "venture": "numergy", "name": "N",
           "program": "p"}, state)
    with pytest.raises(FieldError, match="did you mean 'numergy'"):
        admit({"type": "OfferLaunched", **COMMON, **VALID["OfferLaunched"],
               "venture": "numergi"}, state)


def test_unregistered_program_is_refused() -> None:
    with pytest.raises(FieldError, match="^program: unknown program 'q'"):
        admit({"type": "VentureRegistered", **COMMON, "venture": "v3", "name": "V",
               "program": "q"})


@pytest.mark.parametrize(("name", "slug_field", "slug"), [
    ("ProgramRegistered", "program", "p"), ("VentureRegistered", "venture", "v")])
def test_second_registration_is_refused(name: str, slug_field: str, slug: str) -> None:
    raw = {"type": name, **COMMON, **VALID[name], slug_field: slug}
    with pytest.raises(FieldError, match=f"^{slug_field}: '{slug}' is already registered"):
        admit(raw)


def test_other_currency_is_refused() -> None:
    with pytest.raises(FieldError, match="^currency: USD differs from EUR"):
        admit({"type": "FundingGranted", **COMMON, **VALID["FundingGranted"], "currency": "USD"})
    assert admit({"type": "FundingGranted", **COMMON, **VALID["FundingGranted"],
                  "currency": "EUR"})


def test_correction_of_unknown_event_is_refused() -> None:
    with pytest.raises(FieldError, match="^event: cannot correct unknown event 'nope'"):
        admit({"type": "EventCorrected", **COMMON, **VALID["EventCorrected"], "event": "nope"})


def test_retraction_of_unknown_event_is_refused() -> None:
    with pytest.raises(FieldError, match="^event: cannot retract unknown event 'nope'"):
        admit({"type": "EventRetracted", **COMMON, **VALID["EventRetracted"], "event": "nope"})


def test_correction_and_retraction_of_a_retracted_event_are_refused() -> None:
    state = base()
    admit({"type": "EventRetracted", **COMMON, **VALID["EventRetracted"]}, state)
    for name, verb in (("EventCorrected", "correct"), ("EventRetracted", "retract")):
        with pytest.raises(FieldError, match=f"^event: cannot {verb} event 'g': it was retracted"):
            admit({"type": name, **COMMON, **VALID[name]}, state)


def test_correction_or_retraction_of_a_correction_is_refused() -> None:
    state = base()
    admit({"type": "EventCorrected", "id": "fix", **COMMON, **VALID["EventCorrected"]}, state)
    for name, verb in (("EventCorrected", "correct"), ("EventRetracted", "retract")):
        with pytest.raises(FieldError, match=f"^event: cannot {verb} 'fix': it is itself"):
            admit({"type": name, **COMMON, **VALID[name], "event": "fix"}, state)


@pytest.mark.parametrize(("changes", "message"), [
    ({"amount": "-5"}, "^changes.amount: must be greater than 0"),
    ({"amount": "1e9"}, "^changes.amount: malformed amount"),
    ({"colour": "red"}, "^changes.colour: FundingGranted has no field 'colour'"),
    ({"venture": "nowhere"}, "^changes.venture: unknown venture 'nowhere'"),
    ({"occurred_on": "2030-01-01"}, "^changes.occurred_on: would be after"),
    ({"funder": None}, "^changes.funder: missing required field"),
    ({"type": "FundingCommitted"}, "^changes.type: FundingGranted has no field"),
])
def test_correction_with_invalid_result_is_refused(changes: dict, message: str) -> None:
    with pytest.raises(FieldError, match=message):
        admit({"type": "EventCorrected", **COMMON, **VALID["EventCorrected"],
               "changes": changes})


def test_correction_cannot_change_identity() -> None:
    state = base()
    program_id = next(e for e, entry in state.entries.items() if entry.position == 1)
    with pytest.raises(FieldError, match="^changes.currency: the currency of a ProgramRegistered"):
        admit({"type": "EventCorrected", **COMMON, "event": program_id,
               "changes": {"currency": "USD"}, "reason": "r"}, state)


def test_registrations_cannot_be_retracted() -> None:
    state = base()
    venture_id = next(e for e, entry in state.entries.items() if entry.position == 2)
    with pytest.raises(FieldError, match="^event: cannot retract the registration"):
        admit({"type": "EventRetracted", **COMMON, "event": venture_id, "reason": "r"}, state)


def test_closed_venture_refuses_new_activity_but_not_reports() -> None:
    state = base()
    admit({"type": "VentureClosed", **COMMON, **VALID["VentureClosed"]}, state)
    later = {**COMMON, "occurred_on": "2016-01-01"}
    for name in ("FundingCommitted", "FundingGranted", "TargetSet", "OfferLaunched",
                 "PartnerSigned"):
        with pytest.raises(FieldError, match="^venture: 'v' was closed on 2015-03-01"):
            admit({"type": name, **later, **VALID[name]}, state)
    with pytest.raises(FieldError, match="^venture: 'v' is already closed"):
        admit({"type": "VentureClosed", **later, **VALID["VentureClosed"]}, state)
    for name in ("ReturnReceived", "StakeValued", "SalesReported", "MetricReported",
                 "EventCorrected"):
        assert admit({"type": name, **later, **VALID[name]}, state)
    # History before the closure can still be filled in.
    assert admit({"type": "FundingGranted", **COMMON, **VALID["FundingGranted"],
                  "occurred_on": "2014-01-01"}, state)


def test_retracting_the_closure_reopens_the_venture() -> None:
    state = base()
    admit({"type": "VentureClosed", "id": "close", **COMMON, **VALID["VentureClosed"]}, state)
    admit({"type": "EventRetracted", **COMMON, "event": "close", "reason": "wrong"}, state)
    assert admit({"type": "OfferLaunched", **COMMON, **VALID["OfferLaunched"],
                  "occurred_on": "2016-01-01"}, state)


def test_same_id_same_content_is_skipped_other_content_refused() -> None:
    state = base()
    raw = {"type": "FundingGranted", "id": "g", **COMMON, "venture": "v", "amount": 10,
           "funder": "State"}
    assert admit(raw, state) is None  # 10 == "10": same content
    with pytest.raises(FieldError, match="^id: 'g' is already recorded"):
        admit({**raw, "amount": "11"}, state)


def test_recorded_by_defaults_to_actor() -> None:
    state = base()
    event = state.admit({"type": "OfferLaunched", **COMMON, **VALID["OfferLaunched"]},
                        recorded_at=NOW,
                        actor="alice")
    assert event.recorded_by == "alice"
