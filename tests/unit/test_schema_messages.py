"""Each field type's refusals, as whole lines: the bad value shown, and at the limits.

Written against the mutants of `ledger/schema.py` that survived `tools/mutate`
(docs/testing.md). The lines follow the parsers in ledger/schema.py; the limits are
`LIMITS` (text 2,000 characters for names, amounts 18 + 10 digits, counts 15 digits).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from outcomes.ledger.errors import FieldError
from outcomes.ledger.schema import Number
from tests.unit.test_schema import COMMON, admit

OFFER = {"type": "OfferLaunched", **COMMON, "venture": "v", "offer": "Cloud"}
GRANT = {"type": "FundingGranted", **COMMON, "venture": "v", "amount": "10", "funder": "F"}
SIGNED = {"type": "PartnerSigned", **COMMON, "venture": "v", "partner": "P"}
AMOUNT_HINT = 'plain decimal digits only (no exponent, NaN, infinity or thousands separators)'


def refusal(raw: dict[str, Any]) -> str:
    with pytest.raises(FieldError) as error:
        admit(raw)
    return str(error.value)


@pytest.mark.parametrize(("raw", "line"), [
    (OFFER | {"offer": 5}, "offer: must be a string"),
    (OFFER | {"offer": Number("5")}, "offer: must be a string"),
    (OFFER | {"offer": "   "}, "offer: must not be empty"),
    (OFFER | {"offer": "x" * 2001}, "offer: too long: 2,001 characters, at most 2,000"),
    (OFFER | {"offer": "ab\ud800"},
     "offer: not valid Unicode: a lone surrogate '\\ud800' at character 3"),
    (OFFER | {"venture": {"a": 1}},
     "venture: malformed slug a JSON object: use [a-z0-9][a-z0-9-]{0,63}, e.g. 'numergy'"),
    (OFFER | {"venture": [1]},
     "venture: malformed slug a JSON array: use [a-z0-9][a-z0-9-]{0,63}, e.g. 'numergy'"),
    # repr of 100 X's is 102 characters: its first 50, then the length of the input
    (OFFER | {"venture": "X" * 100}, "venture: malformed slug '" + "X" * 49
     + "... (100 characters): use [a-z0-9][a-z0-9-]{0,63}, e.g. 'numergy'"),
    # repr of 58 X's is exactly 60 characters: shown whole
    (OFFER | {"venture": "X" * 58}, "venture: malformed slug '" + "X" * 58
     + "': use [a-z0-9][a-z0-9-]{0,63}, e.g. 'numergy'"),
    (GRANT | {"amount": True},
     'amount: malformed amount True: write a decimal such as "75000000.00"'),
    (GRANT | {"amount": "1e5"},
     f"amount: malformed amount '1e5': {AMOUNT_HINT}, e.g. \"75000000.00\""),
    (GRANT | {"amount": "1" * 19},
     "amount: amount too large: 19 digits before the point, at most 18"),
    (GRANT | {"amount": "1." + "1" * 11},
     "amount: too many decimals: 11 digits after the point, at most 10"),
    (SIGNED | {"count": True}, "count: malformed count True: write a whole number such as 12"),
    (SIGNED | {"count": "-3"}, "count: negative count '-3': counts are whole numbers >= 0"),
    (SIGNED | {"count": "1.5"},
     "count: malformed count '1.5': write a whole number such as 12"),
    (SIGNED | {"count": "1" * 16}, "count: count too large: 16 digits, at most 15"),
    (OFFER | {"occurred_on": 20120420},
     "occurred_on: malformed date 20120420: use YYYY-MM-DD, e.g. 2012-04-20"),
    (OFFER | {"occurred_on": "2012-02-30"},
     "occurred_on: malformed date '2012-02-30': day is out of range for month"),
    (GRANT | {"public": "maybe"}, "public: malformed boolean 'maybe': use true or false"),
    (GRANT | {"public": Number("1")}, "public: malformed boolean '1': use true or false"),
])
def test_refusal_lines(raw: dict[str, Any], line: str) -> None:
    assert refusal(raw) == line


def test_the_largest_accepted_values() -> None:
    # 18 digits before the point and 10 after; 15-digit counts; 2,000-character names;
    # leading zeros do not count.
    largest = "9" * 18 + "." + "9" * 10
    assert admit(GRANT | {"amount": largest}).fields["amount"] == Decimal(largest)
    assert admit(GRANT | {"amount": "000" + "1" * 18}).fields["amount"] == int("1" * 18)
    assert admit(SIGNED | {"count": "9" * 15}).fields["count"] == int("9" * 15)
    assert admit(SIGNED | {"count": "00" + "9" * 15}).fields["count"] == int("9" * 15)
    assert admit(OFFER | {"offer": "é" * 2000}).fields["offer"] == "é" * 2000
    assert admit(GRANT | {"public": " Yes "}).fields["public"] is True


RETURN = {"type": "ReturnReceived", **COMMON, "venture": "v", "amount": "1", "kind": "dividend"}
SALES = {"type": "SalesReported", **COMMON, "venture": "v", "period": "2014", "revenue": "1"}
PROGRAM = {"type": "ProgramRegistered", **COMMON, "program": "q", "name": "Q", "funder": "F"}
RETRACT = {"type": "EventRetracted", **COMMON, "event": "g", "reason": "r"}
CORRECT = {"type": "EventCorrected", **COMMON, "event": "g", "changes": {"amount": "2"},
           "reason": "r"}


@pytest.mark.parametrize(("raw", "line"), [
    (RETURN | {"kind": "gift"}, "kind: unknown value 'gift': choose one of dividend, "
     "stake_sale, repayment, interest, other"),
    (SALES | {"period": "2014-Q5"},
     "period: malformed period '2014-Q5': use YYYY or YYYY-Qn, e.g. 2014 or 2014-Q3"),
    (SALES | {"period": Number("2014")},
     "period: malformed period '2014': use YYYY or YYYY-Qn, e.g. 2014 or 2014-Q3"),
    (PROGRAM | {"currency": "eur"},
     "currency: malformed currency 'eur': use an ISO 4217 code such as EUR"),
    (PROGRAM | {"currency": 978},
     "currency: malformed currency 978: use an ISO 4217 code such as EUR"),
    (RETRACT | {"event": "-g"}, "event: malformed event id '-g': letters, digits and "
     ". _ : - (at most 128), starting with a letter or digit"),
    (RETRACT | {"event": Number("12")}, "event: malformed event id '12': letters, digits and "
     ". _ : - (at most 128), starting with a letter or digit"),
    (CORRECT | {"changes": {}},
     "changes: must be a non-empty object mapping field names to new values"),
    (CORRECT | {"changes": "amount=2"},
     "changes: must be a non-empty object mapping field names to new values"),
    (OFFER | {"occurred_on": Number("2015")},
     "occurred_on: malformed date '2015': use YYYY-MM-DD, e.g. 2012-04-20"),
    (OFFER | {"colour": "red"}, "colour: unknown field for OfferLaunched; its fields are "
     "archive, evidence, note, occurred_on, offer, segment, source, source_sha256, venture"),
    (SIGNED | {"count": "1" * 70}, "count: count too large: 70 digits, at most 15"),
    (SIGNED | {"count": [1]}, "count: malformed count a JSON array: write a whole number "
     "such as 12"),
    # -10^70: the sign is not a digit: 71 digits before the point
    (GRANT | {"amount": -(10 ** 70)},
     "amount: amount too large: 71 digits before the point, at most 18"),
])
def test_more_refusal_lines(raw: dict[str, Any], line: str) -> None:
    assert refusal(raw) == line


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("yes", True), ("1", True), ("TRUE", True),
    ("false", False), ("no", False), ("0", False), ("No", False)])
def test_booleans_in_words(text: str, value: bool) -> None:
    assert admit(GRANT | {"public": text}).fields["public"] is value
