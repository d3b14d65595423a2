"""Each event type's own checks, driven by the one declaration in ledger/schema.py."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from outcomes.ledger.errors import FieldError, LedgerError
from outcomes.ledger.schema import EVENT_TYPES, Field, parse_fields
from outcomes.ledger.service import new_id
from outcomes.ledger.state import LedgerState

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
COMMON = {"occurred_on": "2015-03-01", "source": "https://example.org/x"}

# One valid example of each event type's own fields, in a ledger holding `base` below.
VALID: dict[str, dict[str, Any]] = {
    "ProgramRegistered": {"program": "p2", "name": "P2", "funder": "State"},
    "VentureRegistered": {"venture": "v2", "name": "V2", "program": "p"},
    "FundingCommitted": {"venture": "v", "amount": "10", "funder": "State"},
    "FundingGranted": {"venture": "v", "amount": "10.50", "funder": "State"},
    "ReturnReceived": {"venture": "v", "amount": "1", "kind": "dividend"},
    "StakeValued": {"venture": "v", "value": "0"},
    "TargetSet": {"venture": "v", "metric": "revenue", "value": "100", "due": "2030-01-01"},
    "OfferLaunched": {"venture": "v", "offer": "Cloud"},
    "PartnerSigned": {"venture": "v", "partner": "Acme"},
    "SalesReported": {"venture": "v", "period": "2014-Q2", "revenue": "5"},
    "MetricReported": {"venture": "v", "metric": "jobs", "value": 3},
    "VentureClosed": {"venture": "v", "outcome": "acquired"},
    "EventCorrected": {"event": "g", "changes": {"amount": "11"}, "reason": "typo"},
    "EventRetracted": {"event": "g", "reason": "duplicate"},
}


def base() -> LedgerState:
    state = LedgerState(new_id=new_id)
    for raw in (
        {"type": "ProgramRegistered", "program": "p", "name": "P", "funder": "State"},
        {"type": "VentureRegistered", "venture": "v", "name": "V", "program": "p"},
        {"type": "FundingGranted", "id": "g", "venture": "v", "amount": "10",
         "funder": "State"},
    ):
        state.admit({**COMMON, **raw}, recorded_at=NOW, actor="t")
    return state


def admit(raw: dict[str, Any], state: LedgerState | None = None) -> Any:
    return (state or base()).admit(raw, recorded_at=NOW, actor="t")


def test_every_event_type_has_a_valid_example() -> None:
    assert set(VALID) == set(EVENT_TYPES)


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_valid_example_is_admitted(name: str) -> None:
    event = admit({"type": name, **COMMON, **VALID[name]})
    assert event.type == name and event.position == 4


@pytest.mark.parametrize(("name", "field"), [
    (t.name, f.name) for t in EVENT_TYPES.values() for f in t.all_fields if f.required
])
def test_missing_required_field_is_named(name: str, field: str) -> None:
    raw = {"type": name, **COMMON, **VALID[name]}
    del raw[field]
    with pytest.raises(FieldError, match=f"^{field}: missing required field"):
        admit(raw)


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_unknown_field_is_named(name: str) -> None:
    with pytest.raises(FieldError, match="^colour: unknown field"):
        admit({"type": name, **COMMON, **VALID[name], "colour": "red"})


AMOUNT_FIELDS = [(t.name, f) for t in EVENT_TYPES.values() for f in t.fields
                 if f.kind.name == "amount"]


@pytest.mark.parametrize(("name", "field"), AMOUNT_FIELDS, ids=lambda x: getattr(x, "name", x))
@pytest.mark.parametrize("bad", ["1e3", "NaN", "Infinity", "-Infinity", "1,000", "12.", ".5",
                                 "abc", "", "0x10", True])
def test_malformed_amounts_are_refused(name: str, field: Field, bad: Any) -> None:
    raw = {"type": name, **COMMON, **VALID[name], field.name: bad}
    with pytest.raises(FieldError, match=f"^{field.name}: malformed amount"):
        admit(raw)


@pytest.mark.parametrize(("name", "field"), AMOUNT_FIELDS, ids=lambda x: getattr(x, "name", x))
def test_negative_amounts_are_refused(name: str, field: Field) -> None:
    raw = {"type": name, **COMMON, **VALID[name], field.name: "-1"}
    with pytest.raises(FieldError, match=f"^{field.name}: must"):
        admit(raw)


@pytest.mark.parametrize("name", ["FundingCommitted", "FundingGranted", "ReturnReceived"])
def test_money_flows_must_be_positive(name: str) -> None:
    with pytest.raises(FieldError, match="^amount: must be greater than 0"):
        admit({"type": name, **COMMON, **VALID[name], "amount": "0"})


@pytest.mark.parametrize(("name", "field"), [
    ("PartnerSigned", "count"), ("SalesReported", "customers"), ("MetricReported", "value")])
@pytest.mark.parametrize(("bad", "problem"), [("-3", "negative count"), ("2.5", "malformed"),
                                              ("many", "malformed"), ("1e2", "malformed")])
def test_bad_counts_are_refused(name: str, field: str, bad: str, problem: str) -> None:
    with pytest.raises(FieldError, match=f"^{field}: {problem}"):
        admit({"type": name, **COMMON, **VALID[name], field: bad})


@pytest.mark.parametrize("bad", ["2015-13-01", "2015-02-30", "15-03-01", "2015/03/01",
                                 "yesterday", 20150301])
def test_malformed_dates_are_refused(bad: Any) -> None:
    with pytest.raises(FieldError, match="^occurred_on: malformed date"):
        admit({"type": "OfferLaunched", **COMMON, **VALID["OfferLaunched"], "occurred_on": bad})


def test_malformed_due_date_is_named() -> None:
    with pytest.raises(FieldError, match="^due: malformed date"):
        admit({"type": "TargetSet", **COMMON, **VALID["TargetSet"], "due": "2030"})


@pytest.mark.parametrize("bad", ["Numergy", "-abc", "a b", "a" * 65, "été", ""])
def test_malformed_slugs_are_refused(bad: str) -> None:
    with pytest.raises(FieldError, match="^venture: malformed slug"):
        admit({"type": "OfferLaunched", **COMMON, **VALID["OfferLaunched"], "venture": bad})


@pytest.mark.parametrize("bad", ["2014-Q5", "2014Q1", "14", "2014-q1"])
def test_malformed_periods_are_refused(bad: str) -> None:
    with pytest.raises(FieldError, match="^period: malformed period"):
        admit({"type": "SalesReported", **COMMON, **VALID["SalesReported"], "period": bad})


@pytest.mark.parametrize(("name", "field"), [
    (t.name, f) for t in EVENT_TYPES.values() for f in t.fields if f.choices])
def test_choices_are_enforced(name: str, field: Field) -> None:
    with pytest.raises(FieldError, match=f"^{field.name}: unknown value 'bogus': choose one of"):
        admit({"type": name, **COMMON, **VALID[name], field.name: "bogus"})


def test_occurred_on_after_recording_date_is_refused() -> None:
    with pytest.raises(FieldError, match="^occurred_on: 2026-01-16 is after the recording date"):
        admit({"type": "OfferLaunched", **VALID["OfferLaunched"], **COMMON,
               "occurred_on": "2026-01-16"})


def test_target_due_may_be_in_the_future() -> None:
    assert admit({"type": "TargetSet", **COMMON, **VALID["TargetSet"], "due": "2099-01-01"})


def test_unknown_type_suggests_the_nearest() -> None:
    with pytest.raises(FieldError, match="^type: unknown event type 'FundingGrant'; did you mean "
                                         "'FundingGranted'"):
        admit({"type": "FundingGrant", **COMMON})


def test_not_an_object_is_refused() -> None:
    with pytest.raises(LedgerError, match="expected a JSON object"):
        admit(["FundingGranted"])  # type: ignore[arg-type]


def test_defaults_are_applied() -> None:
    values = parse_fields(EVENT_TYPES["FundingGranted"],
                          {**COMMON, "venture": "v", "amount": "1", "funder": "S"})
    assert values["public"] is True and values["instrument"] == "equity"
    values = parse_fields(EVENT_TYPES["PartnerSigned"], {**COMMON, "venture": "v", "partner": "A"})
    assert values["count"] == 1


def test_amounts_stay_exact() -> None:
    # The largest amount the limits allow: 18 digits before the point, 10 after.
    event = admit({"type": "FundingGranted", **COMMON, **VALID["FundingGranted"],
                   "amount": "123456789012345678.1234567890"})
    assert event.fields["amount"] == Decimal("123456789012345678.1234567890")
    assert event.wire_fields()["amount"] == "123456789012345678.1234567890"


def test_event_reference_doc_is_generated_from_the_declarations() -> None:
    from pathlib import Path

    from outcomes.ledger.docs import reference

    doc = Path(__file__).parents[2] / "docs" / "events.md"
    assert doc.read_text() == reference(), "run: python -m outcomes.ledger.docs > docs/events.md"
