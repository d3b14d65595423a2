"""Validation in C (ledger/checked.py) against the Python path, its reference.

An import line the C path vouches for must give exactly what the Python path gives (the
line decoded by `jsonl.loads`, its fields by `schema.parse_and_dump`, its id and
recorded_by by their fields' parsers): the same type, the same typed values (type and
digits), the same wire form in the same order. A line the Python path refuses, the C path
must leave to it (so every error keeps its words). Lines are generated field by field from
each event type's declaration: valid values, values near every limit, and the wrong ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bench.generate import generate
from outcomes.ledger import jsonl
from outcomes.ledger.checked import Checked, checked, checked_stored
from outcomes.ledger.errors import LedgerError
from outcomes.ledger.schema import (
    AMOUNT,
    BOOL,
    CHANGES,
    COUNT,
    CURRENCY,
    DATE,
    EVENT_ID,
    EVENT_TYPES,
    ID_RE,
    LONG_TEXT,
    PERIOD,
    RECORDED_BY,
    SHA256,
    SLUG,
    SLUG_RE,
    TEXT,
    URL,
    Field,
    Number,
    parse_and_dump,
)
from outcomes.ledger.state import EVENT_ID_FIELD, LedgerState


def python_path(line: bytes | Mapping[str, Any]) -> tuple[Any, ...] | None:
    """(type, values, wire, id, recorded_by) as the Python path reads the line (or the
    decoded event); None when it refuses it. recorded_by is what the line gives (None:
    the actor's)."""
    try:
        raw = jsonl.loads(line.decode("utf-8")) if isinstance(line, bytes) else line
        if not isinstance(raw, Mapping):
            return None
        etype = LedgerState()._event_type(raw.get("type"))
        values, wire = parse_and_dump(etype, raw)
        event_id = raw.get("id")
        if event_id is not None:
            event_id = EVENT_ID_FIELD.parse(event_id)
        by = raw.get("recorded_by")
        by = RECORDED_BY.parse(by) if by else None
    except (LedgerError, ValueError, UnicodeDecodeError):
        return None
    return etype.name, values, wire, event_id, by


def typed(fields: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Each field with its value's type and exact text, in order (Decimal('1.0') and
    Decimal('1.00') are equal, but not the same amount as typed)."""
    return [(name, type(value).__name__, repr(value)) for name, value in fields.items()]


def c_path(line: bytes) -> tuple[Any, ...] | None:
    fast = checked(line)
    if fast is None:
        return None
    assert type(fast) is Checked
    return fast.etype.name, fast.values, fast.wire, fast.id, fast.recorded_by


def c_path_stored(stored: Mapping[str, Any]) -> tuple[Any, ...] | None:
    fast = checked_stored(stored)
    if fast is None:
        return None
    return fast.etype.name, fast.values, fast.wire, fast.id, fast.recorded_by


def assert_same(line: bytes | dict[str, Any]) -> bool:
    """The C path gives what the Python path gives, or leaves the line; True if it took it."""
    fast = c_path(line) if isinstance(line, bytes) else c_path_stored(line)
    reference = python_path(line)
    if fast is None:
        return False
    assert reference is not None, f"the C path admits what Python refuses: {line!r}"
    assert fast[0] == reference[0]
    assert typed(fast[1]) == typed(reference[1])
    assert typed(fast[2]) == typed(reference[2])
    assert fast[3:] == reference[3:]
    return True


# -- values: valid, at the limits, and wrong ---------------------------------------------

def literal(value: Any) -> st.SearchStrategy[str]:
    return st.just(json.dumps(value))


STRINGS = st.one_of(
    st.text(max_size=12),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["", " ", "\t", "\u00a0", "\u2028", "\u3000 ", " x ", "x\u0000",
                     "a\":1", "\u00e9t\u00e9", "\U0001f600"]),
    st.sampled_from([1999, 2000, 2001, 9999, 10000, 10001]).map(lambda n: "\u00e9" * n),
    st.sampled_from([1999, 2000, 2001]).map(lambda n: "\U0001f600" * n),
)
JSON_OTHERS = st.sampled_from(["null", "true", "false", "0", "-0", "12", "-3", "1.5",
                               "1e3", "1E-2", "0.0", "12.0", "[]", "{}", '["a"]',
                               "10000000000000000", "999999999999999", "1000000000000000"])
AMOUNT_TEXT = st.one_of(
    st.builds(lambda sign, whole, fraction: f"{sign}{whole}{fraction}",
              st.sampled_from(["", "", "-", "+", " "]),
              st.one_of(st.integers(0, 10 ** 19).map(str),
                        st.sampled_from(["0", "00", "007", "0" * 19 + "1", "9" * 18, "9" * 19,
                                         "", "1_000", "1,000"])),
              st.one_of(st.just(""), st.text("0123456789", min_size=0, max_size=12)
                        .map(lambda d: "." + d))),
    st.sampled_from(["0", "0.0", "0.00000000001", "0.0000000001", "1e3", "NaN", "Infinity",
                     " 12", "12 ", "１２", "-0", "-0.0", "0.1"]),
)


def kind_values(f: Field) -> tuple[st.SearchStrategy[str], st.SearchStrategy[str]]:
    """JSON texts for a field of this kind: (values it should accept, values near its
    limits and wrong ones)."""
    kind = f.kind
    if f.choices:
        return (st.sampled_from(f.choices).flatmap(literal),
                st.one_of(st.sampled_from([c.upper() for c in f.choices]
                                          + [f.choices[0] + " ", "x"]).flatmap(literal),
                          STRINGS.flatmap(literal), JSON_OTHERS))
    if kind in (TEXT, LONG_TEXT):
        return (st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30)
                .flatmap(literal),
                st.one_of(STRINGS.flatmap(literal), st.text(min_size=1).flatmap(literal),
                          JSON_OTHERS))
    if kind is SLUG:
        return (st.from_regex(SLUG_RE, fullmatch=True).flatmap(literal),
                st.sampled_from(["A", "-a", "a" * 64, "a" * 65, "a_b", "é", "12", "a\n"])
                .flatmap(literal) | JSON_OTHERS)
    if kind is EVENT_ID:
        return (st.from_regex(ID_RE, fullmatch=True).flatmap(literal),
                st.sampled_from(["a b", "-a", "a" * 128, "a" * 129, "a\n", ""])
                .flatmap(literal) | JSON_OTHERS)
    if kind is AMOUNT:
        return (st.decimals(0, 10 ** 12, places=2).map(lambda d: json.dumps(str(d))),
                st.one_of(AMOUNT_TEXT.flatmap(literal), AMOUNT_TEXT, JSON_OTHERS))
    if kind is COUNT:
        return (st.integers(0, 10 ** 6).map(str),
                st.one_of(st.integers(-10, 10 ** 16).map(str),
                          st.sampled_from(["-0", "0", "12", "1.0", '"12"', '" 3"', '"-0"',
                                           '"007"', "999999999999999", "1000000000000000"]),
                          JSON_OTHERS))
    if kind is DATE:
        return (st.dates(max_value=date(2026, 1, 1)).map(lambda d: json.dumps(d.isoformat())),
                st.sampled_from(["2012-02-30", "2012-1-01", "0000-01-01", "0001-01-01",
                                 "2012-01-01T00:00:00", "20120101", " 2012-01-01",
                                 "２０１２-01-01", "2012-13-01", "9999-12-31"])
                .flatmap(literal) | JSON_OTHERS)
    if kind is BOOL:
        return (st.sampled_from(["true", "false"]),
                st.sampled_from(["yes", "true", "No", " 0", "1", "maybe", ""])
                .flatmap(literal) | JSON_OTHERS)
    if kind is PERIOD:
        return (st.sampled_from(["2014", "2014-Q1", "2014-Q4"]).flatmap(literal),
                st.sampled_from(["2014-Q5", "2014-q1", "14", "2014-Q", "２０１４", "2014\n"])
                .flatmap(literal) | JSON_OTHERS)
    if kind is CURRENCY:
        return (st.just('"EUR"'),
                st.sampled_from(["USD", "eur", "EURO", "EU", "ÉUR"]).flatmap(literal)
                | JSON_OTHERS)
    if kind is URL:
        return (st.sampled_from(["https://example.org/x", "http://a.b/é"]).flatmap(literal),
                st.sampled_from(["ftp://a.b", "https://", "https://a b", "example.org",
                                 "https://[::1", "https://a.b/​"]).flatmap(literal)
                | JSON_OTHERS)
    if kind is SHA256:
        return (st.text("0123456789abcdefABCDEF", min_size=64, max_size=64).flatmap(literal),
                st.one_of(st.text("0123456789abcdef", min_size=63, max_size=65)
                          .flatmap(literal), st.sampled_from(["g" * 64, ""]).flatmap(literal),
                          JSON_OTHERS))
    assert kind is CHANGES
    return (st.just('{"note": "n"}'),
            st.sampled_from(['{"amount": "1"}', "{}", '{"note": null}']) | JSON_OTHERS)


WS = st.sampled_from(["", "", " ", "\t", " \n "])
ENVELOPE = (Field("id", EVENT_ID, ""), Field("recorded_by", TEXT, "", required=False))


@st.composite
def event_line(draw: Any) -> bytes:
    """An event's line: each field of its type valid or absent (if optional), then none to
    three flaws: a field wrong, null or absent, an unknown field, a repeated one; spaces
    around colons, stray characters."""
    etype = draw(st.sampled_from(list(EVENT_TYPES.values())))
    fields = (*etype.all_fields, *ENVELOPE)
    members = [("type", json.dumps(etype.name))]
    for f in fields:
        if f.required or draw(st.booleans()):
            members.append((f.name, draw(kind_values(f)[0])))
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        flaw = draw(st.integers(0, 6))
        if flaw <= 2:  # a field given a value near its limits, or a wrong one
            f = draw(st.sampled_from(fields))
            members = [m for m in members if m[0] != f.name]
            members.append((f.name, draw(kind_values(f)[1])))
        elif flaw == 3:  # null, or absent
            name = draw(st.sampled_from([f.name for f in fields]))
            members = [m for m in members if m[0] != name]
            if draw(st.booleans()):
                members.append((name, "null"))
        elif flaw == 4:  # a key given twice (same value, or another)
            name, value = draw(st.sampled_from(members))
            members.append((name, draw(st.sampled_from([value, '"x"', "1", "null"]))))
        elif flaw == 5:
            members.append((draw(st.sampled_from(["unknown", "Type", "changes", "event"])),
                            '"x"'))
        else:
            members[0] = ("type", draw(st.sampled_from(
                ['"eventCorrected"', "null", "1", '"ProgramRegistered"'])))
    members = draw(st.permutations(members))
    colon = draw(st.sampled_from([": ", ":", ": ", ": ", " : ", "\t:"]))
    text = "{" + draw(WS) + ", ".join(f"{json.dumps(k)}{colon}{v}" for k, v in members) \
        + draw(WS) + "}" + draw(st.sampled_from(["", "", "", "\n", "\r\n", " x", "}"]))
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow,
                                                    HealthCheck.filter_too_much])
@given(event_line())
@example(b'{"type": "PartnerSigned", "id": "a", "venture": "v", "partner": "P", '
         b'"occurred_on": "2015-01-01", "source": "s", "count": -0}')
@example(b'{"type": "PartnerSigned", "id": "a", "venture": "v", "partner": "P", '
         b'"occurred_on": "2015-01-01", "source": "s", "count": 0, "note": "-0"}')
@example(b'{"type": "OfferLaunched", "id": "a", "venture": "v", "offer": "O", '
         b'"occurred_on": "2015-01-01", "source": "s", "offer": "Q"}')
@example(b'{"type": "OfferLaunched", "id": "a", "venture": "v", "offer": "O", '
         b'"occurred_on": "2015-01-01", "source": " ", "note": "\\u00a0"}')
@example(b'{"type": "FundingGranted", "id": "a", "venture": "v", "funder": "F", '
         b'"occurred_on": "2015-01-01", "source": "s", "amount": "007.50"}')
@example(b'{"type": "FundingGranted", "id": "a", "venture": "v", "funder": "F", '
         b'"occurred_on": "2015-01-01", "source": "s", "amount": "0.00"}')
@example(b'{"type": "OfferLaunched", "id": "a", "venture": "v", "offer": "O", '
         b'"occurred_on": "2015-01-01", "source": "s", "recorded_by": ""}')
def test_the_c_path_admits_what_the_python_path_admits_or_leaves_the_line(line: bytes) -> None:
    assert_same(line)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow,
                                                    HealthCheck.filter_too_much])
@given(event_line())
def test_an_event_given_as_plain_values_is_admitted_in_c_as_in_python(line: bytes) -> None:
    """`verify` and `restore` re-admit a recorded event as a mapping of plain JSON values
    (checked_stored): the same equivalence, on the same generated events."""
    try:
        stored = json.loads(line)
    except ValueError:
        return
    if isinstance(stored, dict):
        assert_same(stored)
        if checked_stored(stored) is not None:  # a number's text is never taken as text
            numbers = {k: Number(v) if isinstance(v, str) else v
                       for k, v in stored.items()}
            assert_same(numbers)


def test_generated_events_take_the_c_path_but_corrections() -> None:
    taken = 0
    for text in generate(3000, seed=2):
        line = text.encode()
        took = assert_same(line)
        assert took == (b'"EventCorrected"' not in line), line
        assert assert_same(json.loads(line)) == took
        taken += took
    assert taken > 2500


def test_amounts_keep_their_digits_and_their_bounds() -> None:
    base = (b'{"type": "StakeValued", "id": "a", "venture": "v", "occurred_on": "2015-01-01",'
            b' "source": "s", "value": "%s"}')
    for text in ("0", "0.00", "0.0000000001", "123456789012345678.1234567890", "1.10"):
        fast = checked(base % text.encode())
        assert fast is not None and fast.wire["value"] == text
        assert str(fast.values["value"]) == str(python_path(base % text.encode())[1]["value"])
    for text in ("007", "-0", "1e3", " 1", "1234567890123456789", "0.00000000001"):
        assert checked(base % text.encode()) is None  # left to Python, which decides
