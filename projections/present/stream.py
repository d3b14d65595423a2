"""A report's JSON written as it is computed: the text of `render.to_json`, in pieces.

A whole-ledger report holds hundreds of thousands of records (`report targets` at a
million events: about 80 MB of JSON); building the document, then its text, held both in
memory. `write_json` writes the same bytes (tested against `to_json`) while the read
model hands the records over a batch of ventures at a time (`ReadModel.report` with a
sink), so memory holds one batch, whatever the ledger's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

from outcomes.ledger.inert import json_inert
from outcomes.projections.present.render import _COMPACT, to_json

CHUNK = 1000  # records per write
SEPARATOR = ",\n    "  # between two records of a list
_END = object()


class Encoded(str):
    """Records already encoded as `write_json` writes them, joined by SEPARATOR (a read
    model's cached text): written as they are. A sink takes them only if it says so
    (`JsonSink.encoded`); any other sink gets dicts."""


class JsonSink:
    """`write_json` to `out`, as a report's sink that takes Encoded records too."""

    encoded = True

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def __call__(self, doc: dict[str, Any]) -> None:
        write_json(doc, self.out)


def _text(record: Any) -> str:
    return record if isinstance(record, Encoded) else _COMPACT.encode(record)


def write_json(doc: dict[str, Any], out: IO[str]) -> None:
    """Write `to_json(doc)` to `out`, a list or an iterator value a record at a time (an
    iterator is read once, as it is written). `json_inert` escapes characters one by
    one, so escaping each piece gives the text of escaping the whole."""
    if not doc:
        out.write(to_json(doc))
        return
    encode = _COMPACT.encode
    for n, (key, value) in enumerate(doc.items()):
        head = f"{'{' if n == 0 else ','}\n  {encode(key)}: "
        if not isinstance(value, list | Iterator):
            out.write(json_inert(head + encode(value)))
            continue
        records = iter(value)
        first = next(records, _END)
        if first is _END:
            out.write(json_inert(head + "[]"))
            continue
        pieces = [head, "[\n    ", _text(first)]
        for record in records:
            pieces += (SEPARATOR, _text(record))
            if len(pieces) >= 2 * CHUNK:
                out.write(json_inert("".join(pieces)))
                pieces.clear()
        pieces.append("\n  ]")
        out.write(json_inert("".join(pieces)))
    out.write("\n}\n")


def json_list_pieces(items: Iterable[Any]) -> Iterator[str]:
    """The text of `to_json(list(items))`, a record at a time, as the items are read."""
    first = True
    pieces: list[str] = []
    for item in items:
        pieces += ("[\n  " if first else ",\n  ", _COMPACT.encode(item))
        first = False
        if len(pieces) >= 2 * CHUNK:
            yield json_inert("".join(pieces))
            pieces.clear()
    pieces.append("[]\n" if first else "\n]\n")
    yield json_inert("".join(pieces))
