"""Reading and writing the JSON Lines event format, numbers kept exact."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ledger.errors import LedgerError
from ledger.model import Event
from ledger.schema import Number


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ValueError(f"field {twice!r} appears twice")
    return out


def loads(text: str) -> Any:
    """Parse one JSON value; numbers stay exact text (never float), NaN/Infinity refused."""
    return json.loads(text, parse_float=Number, parse_int=Number, parse_constant=Number,
                      object_pairs_hook=_no_duplicate_keys)


def read_lines(stream: IO[str], name: str) -> Iterator[tuple[str, Any]]:
    """(FILE:LINE, object) for each non-blank line; malformed JSON raises at its line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        location = f"{name}:{number}"
        try:
            yield location, loads(line)
        except (ValueError, RecursionError) as error:
            raise LedgerError(f"invalid JSON: {error}", location=location) from None


def dumps(event: Event) -> str:
    return _LINE.encode(event.to_file())


_LINE = json.JSONEncoder(ensure_ascii=False)  # one encoder, not one per line


def write_events(events: Iterable[Event], stream: IO[str]) -> int:
    count = 0
    for event in events:
        stream.write(dumps(event) + "\n")
        count += 1
    return count
