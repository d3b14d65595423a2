"""The compiled JSON codec (ledger/codec.py) against Python's `json`, its reference.

The canonical bytes feed the Merkle leaves and the stored state is what the store holds:
for every event they must be the bytes `json` wrote before (existing ledgers and published
checkpoints still verify). Reading a line in C must give what Python's exact parser gives,
numbers as their exact text, or leave the line to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import JSONTranscoder
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bench.generate import generate
from outcomes.ledger import jsonl
from outcomes.ledger.codec import canonical_json, decode_state, event_object
from outcomes.ledger.errors import LedgerError
from outcomes.ledger.integrity import canonical_bytes
from outcomes.ledger.model import Event
from outcomes.ledger.schema import Number
from outcomes.ledger.state import LedgerState
from outcomes.ledger.store import EventStore

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def old_canonical(value: Any) -> bytes:
    """What model.canonical_json was: Python's json, sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


OLD_TRANSCODER = JSONTranscoder()  # what EventStore.stored_event used to call


def old_state(event: Event, node: bytes) -> bytes:
    timestamp = {"_type_": "datetime_iso", "_data_": event.recorded_at.isoformat()}
    return OLD_TRANSCODER.encode({"timestamp": timestamp, "type": event.type,
                                  "event_id": event.id, "recorded_by": event.recorded_by,
                                  "data": event.wire_fields(), "node": node.hex()})


def new_state(event: Event, node: bytes) -> bytes:
    return EventStore.stored_event(_Mapperless(), event, node).state  # type: ignore[arg-type]


class _Mapperless:
    """stored_event reads nothing of the store."""


# -- encodings: byte for byte ---------------------------------------------------------------

# Text as users type it and as attackers do: any code point but a lone surrogate (refused
# on input), control characters, quotes, backslashes, U+2028, astral planes, "\":".
TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(
    lambda s: s.strip())
AMOUNT = st.builds(
    lambda sign, whole, frac: f"{sign}{whole}{'.' + frac if frac else ''}",
    st.sampled_from(["", "-"]), st.integers(0, 10 ** 18 - 1).map(str),
    st.text("0123456789", max_size=10))
WIRE_VALUE = st.one_of(TEXT, AMOUNT, st.integers(0, 10 ** 15 - 1), st.booleans())


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["name", "funder", "note", "source", "amount",
                                        "value", "public", "identifier", "reason"]),
                       WIRE_VALUE),
       st.dictionaries(st.sampled_from(["name", "amount", "occurred_on"]), WIRE_VALUE,
                       max_size=3))
def test_canonical_and_stored_bytes_are_those_json_wrote(wire: dict[str, Any],
                                                         changes: dict[str, Any]) -> None:
    if changes:
        wire = {**wire, "changes": changes}
    event = Event(7, "e-1", "FundingGranted", NOW, "alice \u00e9\u2028", {}, wire)
    assert canonical_json({"type": event.type, **wire}) == \
        old_canonical({"type": event.type, **wire})
    assert event.content() == old_canonical({"type": event.type, **wire})
    node = bytes(range(32))
    assert new_state(event, node) == old_state(event, node)


def test_every_generated_event_keeps_its_canonical_and_stored_bytes() -> None:
    """3,000 events of the bench's generator, admitted by the ledger's rules: every leaf's
    bytes and every stored state as json wrote them; the stored state reads back the same."""
    state = LedgerState()
    checked = 0
    for line in generate(3000, seed=3):
        event = state.admit(jsonl.loads(line), recorded_at=NOW, actor="bench \u00e9")
        assert event is not None
        node = state.frontier[event.position]
        assert canonical_bytes(event) == canonical_bytes(event, old_canonical(
            {"type": event.type, **event.wire_fields()}))
        stored = new_state(event, node)
        assert stored == old_state(event, node)
        assert decode_state(stored) == json.loads(stored)
        checked += 1
    assert checked == 3000


def test_a_str_subclass_is_written_as_json_wrote_it_and_other_objects_are_refused() -> None:
    assert canonical_json({"a": Number("1.50")}) == b'{"a":"1.50"}'
    with pytest.raises(TypeError):
        canonical_json({"a": object()})


# -- reading a line ------------------------------------------------------------------------


def typed(value: Any) -> Any:
    """A decoded value with the type of every part (a Number is not a str)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def slow(text: str) -> Any:
    """What jsonl.loads gave before the C path (Python's parser, exact numbers)."""
    return json.loads(text, parse_float=Number, parse_int=Number, parse_constant=Number,
                      object_pairs_hook=jsonl._no_duplicate_keys)


NUMBER_TEXT = st.one_of(
    st.integers(-10 ** 30, 10 ** 30).map(str),
    st.sampled_from(["0", "-0", "0.1", "0.10", "1e-8", "1E+5", "-0.0", "2.5e3",
                     "123456789012345678.1234567890", "999999999999999999.9999999999"]))
SCALAR = st.one_of(st.builds(json.dumps, TEXT), NUMBER_TEXT,
                   st.sampled_from(["true", "false", "null", '"a\\":1"', '"\\u00e9"']))
KEY = st.sampled_from(["type", "id", "amount", "value", "name", "a\\\"", "n"])
WS = st.sampled_from(["", " ", "\t", "\n "])


@st.composite
def json_object(draw: Any, depth: int = 0) -> str:
    """A JSON object's text, keys possibly repeated, white space anywhere JSON allows."""
    members = []
    for _ in range(draw(st.integers(0, 6))):
        if depth == 0 and draw(st.integers(0, 5)) == 0:
            value = draw(json_object(depth + 1))
        elif draw(st.integers(0, 9)) == 0:
            value = "[" + draw(SCALAR) + "]"
        else:
            value = draw(SCALAR)
        members.append(f'"{draw(KEY)}"{draw(WS)}:{draw(WS)}{value}')
    return "{" + draw(WS) + ",".join(members) + "}"


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(json_object())
@example('{"value": -0}')
@example('{"changes": {"value": -0, "amount": 0}, "n": 0}')
@example('{"id": "a", "note": "x\\": 1", "id": "b"}')
def test_the_c_path_gives_what_the_exact_parser_gives_or_leaves_the_line(text: str) -> None:
    fast = event_object(text)
    try:
        expected = slow(text)
    except ValueError:
        assert fast is None  # a repeated key: refused, in the slow path's words
        return
    if fast is not None:
        assert typed(fast) == typed(expected)
    assert typed(jsonl.loads(text)) == typed(expected)


def test_generated_lines_take_the_c_path() -> None:
    for line in generate(600, seed=1):
        fast = event_object(line)
        assert fast is not None
        assert typed(fast) == typed(slow(line))


def admitted(line: str) -> Event:
    state = LedgerState()
    for raw in ({"type": "ProgramRegistered", "id": "p1", "program": "p", "name": "P",
                 "funder": "State", "occurred_on": "2015-01-01", "source": "https://x.org"},
                {"type": "VentureRegistered", "id": "v1", "venture": "v", "name": "V",
                 "program": "p", "occurred_on": "2015-01-01", "source": "https://x.org"}):
        state.admit(raw, recorded_at=NOW, actor="t")
    event = state.admit(jsonl.loads(line), recorded_at=NOW, actor="t")
    assert event is not None
    return event


GRANT = ('{"type": "FundingGranted", "id": "g", "venture": "v", "funder": "State", '
         '"occurred_on": "2015-02-01", "source": "https://x.org", "amount": %s}')


@pytest.mark.parametrize("number", ["0.1", "0.10", "100", "123456789012345678.1234567890",
                                    "999999999999999999.9999999999", "0.0000000001"])
def test_amounts_keep_their_exact_digits(number: str) -> None:
    for text in (number, f'"{number}"'):
        event = admitted(GRANT % text)
        assert event.fields["amount"] == Decimal(number)
        assert event.wire_fields()["amount"] == number
        assert f'"amount":"{number}"'.encode() in event.content()


@pytest.mark.parametrize(("number", "problem"), [
    ("1e-8", "malformed amount '1e-8': plain decimal digits only"),
    ("1E5", "malformed amount '1E5': plain decimal digits only"),
    ("NaN", "malformed amount 'NaN': plain decimal digits only"),
    ("-Infinity", "malformed amount '-Infinity': plain decimal digits only"),
    ("1234567890123456789.5", "amount too large: 19 digits before the point"),
    ("0.12345678901", "too many decimals: 11 digits after the point"),
])
def test_exponents_nan_and_too_many_digits_stay_refused(number: str, problem: str) -> None:
    with pytest.raises(LedgerError, match=f"^amount: {problem}"):
        admitted(GRANT % number)


def test_a_repeated_key_is_refused_as_before(tmp_path: Any) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_bytes(b'{"type": "X", "id": "a", "id": "b"}\n')
    with path.open("rb") as stream, pytest.raises(
            LedgerError, match="^dup.jsonl:1: invalid JSON: field 'id' appears twice"):
        list(jsonl.read_lines(stream, "dup.jsonl"))


def test_stored_states_of_the_stream_decode_as_json_did() -> None:
    for data in (b'{"a":"\\ud800"}', b'{"a":NaN}', b'{"a":1.5,"a":2}', b'[1]'):
        assert repr(decode_state(data)) == repr(json.loads(data))
    with pytest.raises(ValueError):
        decode_state(b'{"a":')
