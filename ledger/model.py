"""The recorded event as every part of the program sees it: typed, positioned, immutable."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from outcomes.ledger.clock import format_timestamp
from outcomes.ledger.codec import canonical_json  # noqa: F401 (the archive imports it here)
from outcomes.ledger.schema import EVENT_TYPES, EventType, dump_fields, load_fields, plain_wire


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded event. `fields` holds typed values (Decimal, date, int, bool, str);
    an EventCorrected keeps its `changes` in wire form (see `corrected`).

    `wire` caches the wire form (what the file, the store and the hashes carry); it is
    filled on construction from the store, or on first use.
    """

    position: int
    id: str
    type: str
    recorded_at: datetime
    recorded_by: str
    fields: dict[str, Any]
    wire: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    _content: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def etype(self) -> EventType:
        return EVENT_TYPES[self.type]

    @property
    def occurred_on(self) -> date:
        return self.fields["occurred_on"]

    @property
    def source(self) -> str:
        return self.fields["source"]

    @property
    def venture(self) -> str | None:
        return self.fields.get("venture")

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def wire_fields(self) -> dict[str, Any]:
        """Content fields in wire form: amounts as exact strings, dates ISO."""
        if self.wire is None:
            object.__setattr__(self, "wire", dump_fields(self.etype, self.fields))
        return self.wire  # type: ignore[return-value]

    def to_file(self) -> dict[str, Any]:
        """The event as a line of the JSONL file format (what `export` writes): amounts
        in plain form even if an older version stored them as "0E-8" (see plain_wire)."""
        return {"type": self.type, "id": self.id, **plain_wire(self.wire_fields()),
                "recorded_by": self.recorded_by}

    def to_log(self) -> dict[str, Any]:
        """The event as `log -O json` shows it."""
        return {"position": self.position, "id": self.id, "type": self.type,
                "recorded_at": format_timestamp(self.recorded_at),
                "recorded_by": self.recorded_by, **self.wire_fields()}

    def content(self) -> bytes:
        """Canonical JSON of what the event says (type and fields), without who/when."""
        if self._content is None:
            object.__setattr__(self, "_content",
                               canonical_json({"type": self.type, **self.wire_fields()}))
        return self._content  # type: ignore[return-value]

    def plain_content(self) -> bytes:
        """content() with amounts in plain form: differs from it only for an event stored
        with "0E-8"-style amounts by an older version (see plain_wire)."""
        return canonical_json({"type": self.type, **plain_wire(self.wire_fields())})

    def content_digest(self) -> str:
        """What makes two events 'the same' for idempotent imports: type and content."""
        return hashlib.sha256(self.content()).hexdigest()

    def corrected(self, changes: dict[str, Any]) -> Event:
        """This event with a correction's changes (wire form) applied; same position and id."""
        merged = {**self.wire_fields(), **changes}
        wire = {name: value for name, value in merged.items() if value is not None}
        return Event.from_wire(self.position, self.id, self.type, self.recorded_at,
                               self.recorded_by, wire)

    @classmethod
    def from_wire(cls, position: int, event_id: str, type_: str, recorded_at: datetime,
                  recorded_by: str, wire: dict[str, Any]) -> Event:
        """An event read back from the store (already validated when it was appended)."""
        return cls(position, event_id, type_, recorded_at, recorded_by,
                   load_fields(EVENT_TYPES[type_], wire), wire)

