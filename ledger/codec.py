"""JSON in compiled code (msgspec): the canonical and stored encodings, and the fast path
of reading an event's line.

The bytes are the ones Python's `json` wrote with the same options (tests/unit/
test_codec.py compares them on generated events): the canonical JSON is what the Merkle
leaves bind and the stored state is what the store holds, so neither may change by one
byte for any event. msgspec writes non-ASCII as UTF-8 and escapes `"`, `\\`, and the
control characters exactly as `json.dumps(..., ensure_ascii=False)` does.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from outcomes.ledger.schema import Number


def _as_str(value: Any) -> Any:
    """A subclass of str (a `Number`, the exact text of an input number) as `json`
    writes it: a string literal. Anything else is refused, as `json` refuses it."""
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_CANONICAL = msgspec.json.Encoder(order="sorted", enc_hook=_as_str)
_COMPACT = msgspec.json.Encoder(enc_hook=_as_str)


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no spaces, UTF-8 (as `json.dumps(value,
    sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`)."""
    return _CANONICAL.encode(value)


def compact_json(value: Any) -> bytes:
    """JSON bytes in the given key order, no spaces, UTF-8: the eventsourcing library's
    JSON transcoder's bytes for plain JSON values."""
    return _COMPACT.encode(value)


def decode_state(data: bytes) -> Any:
    """A stored state (written by `compact_json`, or the library's `json`): in C, and
    through Python's `json` for what msgspec refuses (a lone surrogate escape, NaN), so
    that a damaged row decodes, or fails, as it always did."""
    try:
        return _STATE(data)
    except (msgspec.DecodeError, RecursionError):
        return json.loads(data)


_STATE = msgspec.json.Decoder().decode
_DECODE = msgspec.json.Decoder(float_hook=Number).decode
# The end of a key: its closing quote, optional white space, a colon. Every key of every
# object ends so, and a string may hold more of them, so counting these bounds the number
# of keys the text spells from above (see `event_object`).
_KEY_END = re.compile(r'"[ \t\n\r]*:')
_MINUS_ZERO = re.compile(r"-0(?![.0-9eE])")


def event_object(text: str) -> dict[str, Any] | None:
    """An event's line decoded in C, as `jsonl.loads` would: numbers as their exact text
    (`Number`), never through a float. None when this fast path cannot vouch for the
    result (not an object of plain values and objects of plain values, possibly a
    repeated key, a `-0`, malformed JSON): the caller then reads it the exact, slow way,
    which also words any error.

    msgspec keeps the last of repeated keys, where the ledger refuses them; so the keys are
    counted: the decoded objects hold as many keys as the text spells only if none was
    repeated (a string holding `":` makes the text spell more, and the slow path decide).
    """
    try:
        value = _DECODE(text)
    except (msgspec.DecodeError, RecursionError):
        return None
    if type(value) is not dict:
        return None
    try:
        keys = _numbers_exact(value, text)
    except ValueError:  # a case the slow path decides
        return None
    if len(_KEY_END.findall(text)) != keys:
        return None
    return value


def _numbers_exact(value: dict[str, Any], text: str, depth: int = 0) -> int:
    """Integers as `Number` (their text, since JSON writes an integer one way but for
    -0); the number of keys; ValueError where the slow path must decide (arrays, and
    objects deeper than a correction's `changes`)."""
    keys = len(value)
    for name, item in value.items():
        kind = type(item)
        if kind is int:
            if not item and _MINUS_ZERO.search(text):
                raise ValueError("-0")
            value[name] = Number(item)
        elif kind is dict and not depth:
            keys += _numbers_exact(item, text, 1)
        elif kind is dict or kind is list:
            raise ValueError("nested" if depth else "array")
    return keys
