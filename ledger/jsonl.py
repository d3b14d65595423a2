"""Reading and writing the JSON Lines event format, numbers kept exact."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any, Protocol

from outcomes.ledger.checked import checked
from outcomes.ledger.codec import event_object
from outcomes.ledger.errors import LedgerError
from outcomes.ledger.inert import json_inert
from outcomes.ledger.model import Event
from outcomes.ledger.schema import LIMITS, Number


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ValueError(f"field {twice!r} appears twice")
    return out


def loads(text: str) -> Any:
    """Parse one JSON value; numbers stay exact text (never float), NaN/Infinity refused.

    An event's line is decoded in C (`codec.event_object`); anything that path cannot vouch
    for is read here by Python's parser, which also words every error."""
    value = event_object(text)
    if value is not None:
        return value
    try:
        return json.loads(text, parse_float=Number, parse_int=Number, parse_constant=Number,
                          object_pairs_hook=_no_duplicate_keys)
    except RecursionError:
        raise ValueError("nested too deeply (an event holds at most an object of "
                         "changes)") from None


UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-32's little-endian mark starts the same


def read_lines(stream: IO[bytes], name: str) -> Iterator[tuple[str, Any]]:
    """(FILE:LINE, object) for each non-blank line of a UTF-8 JSON Lines file (opened in
    binary); a line that is malformed JSON, not UTF-8 or too long raises at its line.

    The object is the line read and checked in C (`checked.Checked`, which
    `LedgerState.admit` takes as it is) when that path vouches for it, else the decoded
    JSON object, which admit checks in Python (and which words any error).

    A UTF-8 byte order mark at the very start is skipped (Windows editors write one;
    RFC 8259 lets a parser ignore it). A line is read at most LIMITS.line_bytes at a
    time, so a huge line is refused without being held in memory.
    """
    limit = LIMITS.line_bytes
    for number in itertools.count(1):
        line = stream.readline(limit + 1)
        if not line:
            return
        location = f"{name}:{number}"
        if len(line) > limit and not line.endswith(b"\n"):
            raise LedgerError(f"line longer than {limit:,} bytes: an event is a few KB (text "
                              f"fields hold at most {LIMITS.text_chars:,} characters); is "
                              "this a JSON Lines file, one event per line?", location=location)
        fast = checked(line)
        if fast is not None:
            yield location, fast
            continue
        if number == 1:
            if line.startswith(UTF16_BOMS):
                raise LedgerError("the file is UTF-16 or UTF-32 (it starts with their byte "
                                  "order mark); outcomes reads UTF-8: convert it, e.g. "
                                  "iconv -f UTF-16 -t UTF-8", location=location)
            line = line.removeprefix(UTF8_BOM)
        text = _decode(line, location)
        if not text.strip():
            continue
        try:
            value = loads(text)
        except ValueError as error:
            raise LedgerError(f"invalid JSON: {error}", location=location) from None
        yield location, value


def _decode(line: bytes, location: str) -> str:
    if b"\0" in line:
        raise LedgerError("NUL byte: the file is not UTF-8 text (UTF-16 without a byte "
                          "order mark, or binary); save it as UTF-8", location=location)
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        column = len(line[:error.start].decode("utf-8", "replace")) + 1
        raise LedgerError(f"not UTF-8 text: byte 0x{line[error.start]:02x} at column "
                          f"{column}; save the file as UTF-8 (from Latin-1 or Windows-1252: "
                          "iconv -f CP1252 -t UTF-8)", location=location) from None


def dumps(event: Event) -> str:
    """One line of the file; characters a terminal would obey are `\\uXXXX` escapes
    (the same text once parsed), so `export` to a terminal is inert too."""
    return json_inert(_LINE.encode(event.to_file()))


_LINE = json.JSONEncoder(ensure_ascii=False)  # one encoder, not one per line


class Writable(Protocol):
    def write(self, text: str, /) -> int: ...


def write_events(events: Iterable[Event], stream: Writable) -> int:
    count = 0
    for event in events:
        stream.write(dumps(event) + "\n")
        count += 1
    return count
