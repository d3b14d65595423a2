"""What the ledger must know to accept or refuse a new event: a pure fold, no I/O.

`LedgerState.admit` turns raw input (a JSONL line or `append` options) into a positioned
`Event`, or refuses it with a one-line `LedgerError` naming the field. It is the only
place where the contract's "Bad input" rules are enforced.

The state reads no clock, draws no id and opens no store: the caller gives it the
recording time, a `new_id` factory for events that come without an id (the state only
checks that an id is unused), and the tables it keeps its memory in (plain dicts, or the
index's SQLite-backed ones). Folding recorded events (`apply`) needs nothing else: each
`Entry` keeps what later events need of it (an entity's slug; for an event a closure
must not precede, its venture and date as corrected so far). Two rare checks need an
earlier event's whole content: a correction (its target's fields as corrected so far)
and an id already recorded (its stored form). Keeping every event's fields in the state
would cost memory in proportion to the ledger (a million events), so those events are
read from `recorded`, a read-only mapping by position that the caller supplies (the
store's reader, see `ledger.store.StoredEvents`; a dict in tests), or from the events of
the current batch, which the state holds. The state never writes through it, and it
never mutates an event: a correction's normalised changes make a new `Event`.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime
from sys import intern
from typing import Any, Protocol, TypeVar

from outcomes.ledger.checked import Checked, checked_stored
from outcomes.ledger.clock import SKEW, format_timestamp
from outcomes.ledger.errors import FieldError, LedgerError
from outcomes.ledger.integrity import canonical_bytes, grow, leaf_hash, node_at
from outcomes.ledger.model import Event
from outcomes.ledger.schema import (
    AMENDMENTS,
    ENVELOPE_FIELDS,
    EVENT_CORRECTED,
    EVENT_RETRACTED,
    EVENT_TYPES,
    PROGRAM_REGISTERED,
    RECORDED_BY,
    REGISTRATIONS,
    VENTURE_CLOSED,
    VENTURE_REGISTERED,
    EventType,
    Field,
    parse_and_dump,
    parse_fields,
    plain_wire,
)

# Events that name an entity, where the state keeps them, and the slug field that names it.
ENTITY_EVENTS = {PROGRAM_REGISTERED: "programs", VENTURE_REGISTERED: "ventures",
                 VENTURE_CLOSED: "closures"}
SLUG_FIELD = {"programs": "program", "ventures": "venture", "closures": "venture"}

# Fields a correction may not change: they say which entity an event is about.
IDENTITY = {
    PROGRAM_REGISTERED: {"program", "currency"},
    VENTURE_REGISTERED: {"venture", "program"},
    VENTURE_CLOSED: {"venture"},
}
EVENT_ID_FIELD = Field("id", EVENT_TYPES[EVENT_RETRACTED].fields[0].kind, "event id")
NEW_ID_TRIES = 100  # draws of `new_id` before giving up on finding an unused id

K = TypeVar("K")
V = TypeVar("V")


class Table(Protocol[K, V]):
    """What the state needs of a table it keeps its memory in: a dict, or one of the
    index's SQLite-backed tables (ledger/index.py)."""

    def __getitem__(self, key: K, /) -> V: ...
    def __setitem__(self, key: K, value: V, /) -> None: ...
    def __contains__(self, key: object, /) -> bool: ...
    def get(self, key: K, /) -> V | None: ...


class Pending(Table[int, Event], Protocol):
    """The events of the current batch: a table that can be emptied at once."""

    def clear(self) -> None: ...


class RecordedEvents(Protocol):
    """Read-only access to recorded events by position (the store's reader)."""

    def __getitem__(self, position: int, /) -> Event: ...


@dataclass(slots=True)
class Entry:
    """What the state remembers of each recorded event.

    `digest` is the SHA-256 of the event's content (32 bytes); `corrections` the
    positions of its corrections (a tuple, empty for almost every event). `slug` is the
    name an entity event registers (or closes), or the venture of an event that a closure
    must not precede; `day` is that event's `occurred_on` (ISO). Both are kept as
    corrected so far, so folding later events never reads the event again, and interned:
    a ledger has far fewer ventures and days than events.

    The state keeps one entry per event (`verify` keeps them all in memory), so every
    byte counts: a million entries took 420 MiB with the digest in hexadecimal, a list
    per entry and a string per venture and day.
    """

    position: int
    type: str
    digest: bytes
    retracted: bool = False
    corrections: tuple[int, ...] = ()
    slug: str | None = None
    day: str | None = None


def restricted(type_name: str) -> bool:
    """Is this an event that a closed venture refuses after its closure date?"""
    return type_name in RESTRICTED


# The event types a closed venture refuses after its closure date.
RESTRICTED = frozenset(name for name, etype in EVENT_TYPES.items()
                       if etype.venture_scoped and not etype.allowed_after_close
                       and name != VENTURE_CLOSED)


@functools.lru_cache(maxsize=8)
def _actor(name: str) -> str:
    """The command's actor as a recorded_by (checked once, not at every event)."""
    return RECORDED_BY.parse(name)


def suggest(word: str, known: Mapping[str, Any] | set[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


class LedgerState:
    """The fold of all recorded events that validation needs.

    `recorded` reads back a recorded event by position (see the module docstring);
    events admitted in the current batch are held in `pending` until `end_batch`.
    `new_id` gives the id of an event admitted without one (drawn again while it is
    taken); without it, such an event is refused.
    """

    def __init__(self, recorded: RecordedEvents | None = None,
                 entries: Table[str, Entry] | None = None,
                 pending: Pending | None = None,
                 new_id: Callable[[], str] | None = None) -> None:
        self.position = 0
        self.recorded_at: datetime | None = None
        self.entries: Table[str, Entry] = {} if entries is None else entries
        self.programs: MutableMapping[str, Event] = {}
        self.ventures: MutableMapping[str, Event] = {}
        self.closures: MutableMapping[str, Event] = {}
        # venture -> {ISO date: count} of its current events that a closure must not precede
        self.activity: MutableMapping[str, dict[str, int]] = {}
        self.frontier: dict[int, bytes] = {}  # position -> node, in increasing position
        self._recorded = recorded
        # venture -> its program's currency, once asked: a registration is never retracted,
        # and neither a venture's program nor a program's currency can be corrected.
        self._currencies: dict[str, str] = {}
        self._batch: Pending = {} if pending is None else pending
        self._new_ids = new_id

    # -- folding recorded events ---------------------------------------------------------

    def apply(self, event: Event, node: bytes | None = None,
              digest: bytes | None = None) -> None:
        """Fold one recorded (or just admitted) event into the state."""
        self.position = event.position
        self.recorded_at = event.recorded_at
        entry = Entry(event.position, event.type,
                      digest or hashlib.sha256(event.content()).digest())
        kind = ENTITY_EVENTS.get(event.type)
        if kind is not None:
            entry.slug = intern(event.fields[SLUG_FIELD[kind]])
        elif restricted(event.type):
            entry.slug = intern(event.fields["venture"])
            entry.day = intern(event.occurred_on.isoformat())
        self.entries[event.id] = entry
        if node is not None:
            grow(self.frontier, event.position, node)
        if kind is not None:
            getattr(self, kind)[entry.slug] = event
        elif entry.day is not None:
            self._tally(entry, 1)
        elif event.type == EVENT_RETRACTED:
            target_id = event.fields["event"]
            target = self.entries[target_id]
            if restricted(target.type):
                self._tally(target, -1)
            target.retracted = True
            self.entries[target_id] = target  # write back (the index persists it)
            if target.type == VENTURE_CLOSED:
                slug = target.slug
                if slug in self.closures and self.closures[slug].id == target_id:
                    del self.closures[slug]  # the venture is open again
        elif event.type == EVENT_CORRECTED:
            target_id, changes = event.fields["event"], event.fields["changes"]
            target = self.entries[target_id]
            if event.position not in target.corrections:  # an index may already hold it
                if restricted(target.type):
                    self._tally(target, -1)
                    kinds = EVENT_TYPES[target.type].kinds
                    if changes.get("venture") is not None:
                        target.slug = intern(kinds["venture"].load(changes["venture"]))
                    if changes.get("occurred_on") is not None:
                        target.day = intern(kinds["occurred_on"].load(
                            changes["occurred_on"]).isoformat())
                    self._tally(target, 1)
                target.corrections = (*target.corrections, event.position)
                self.entries[target_id] = target  # write back (the index persists it)
            kind = ENTITY_EVENTS.get(target.type)
            if kind is not None:
                cache, slug = getattr(self, kind), target.slug
                if slug in cache and cache[slug].id == target_id:
                    cache[slug] = cache[slug].corrected(changes)

    def _tally(self, entry: Entry, step: int) -> None:
        """Count an event's date in its venture's activity (step 1) or take it out (-1)."""
        venture, day = entry.slug, entry.day
        assert venture is not None and day is not None
        dates = self.activity.get(venture) or {}
        dates[day] = dates.get(day, 0) + step
        if dates[day] <= 0:
            del dates[day]
        self.activity[venture] = dates  # write back (the index persists it)

    def recording_time(self, now: datetime) -> datetime:
        """The `recorded_at` of a new command: the clock, or the last recorded time if that
        is a little later (clocks of several writers disagree by up to `SKEW`), so that
        recording times never go backwards. A last recorded time further in the future is
        not trusted: stamping every later event with it would spread the error."""
        last = self.recorded_at
        if last is None or last <= now:
            return now
        if last - now > SKEW:
            raise LedgerError(
                f"the last event (position {self.position}) was recorded at "
                f"{format_timestamp(last)}, after this machine's clock "
                f"({format_timestamp(now)}) by more than {SKEW.seconds // 60} minutes: if "
                "this clock is behind, set it right and retry; if that recording time is "
                "wrong, `outcomes verify` names it (see docs/design.md, Time)")
        return last

    def event_at(self, position: int) -> Event:
        """A recorded event, or one admitted in this batch."""
        if position in self._batch:
            return self._batch[position]
        if self._recorded is None:
            raise LookupError(f"no event store to look up position {position}")
        return self._recorded[position]

    def current(self, event_id: str) -> Event:
        """An event as corrected so far."""
        entry = self.entries[event_id]
        event = self.event_at(entry.position)
        for p in entry.corrections:
            event = event.corrected(self.event_at(p).fields["changes"])
        return event

    # -- admitting new events -------------------------------------------------------------

    def admit(self, raw: Any, *, recorded_at: datetime, actor: str,
              now: datetime | None = None) -> Event | None:
        """Validate `raw` and fold it in as the next event; None if it is already recorded.

        `now` is the clock's time when it differs from `recorded_at` (a command stamped
        with a slightly later recorded time, or `verify` re-admitting an old event): a
        recording time must not be ahead of it by more than `SKEW`, and `occurred_on` must
        not be after the earlier of the two dates. Raises LedgerError (naming the field)
        when the contract refuses the event.
        """
        if self.recorded_at is not None and recorded_at < self.recorded_at:
            raise FieldError("recorded_at", f"{format_timestamp(recorded_at)} is earlier than "
                             f"the recording time of position {self.position} "
                             f"({format_timestamp(self.recorded_at)})")
        if now is not None and recorded_at - now > SKEW:
            raise FieldError("recorded_at", f"{format_timestamp(recorded_at)} is in the "
                             f"future (the clock says {format_timestamp(now)})")
        today = min(recorded_at, now).date() if now is not None else recorded_at.date()
        if type(raw) is Checked:  # read and checked in C (ledger/checked.py)
            etype, values, wire = raw.etype, raw.values, raw.wire
            event_id, recorded_by = raw.id, raw.recorded_by
        else:
            if not isinstance(raw, Mapping):
                raise LedgerError("expected a JSON object with a \"type\" field")
            etype = self._event_type(raw.get("type"))
            values, wire = parse_and_dump(etype, raw)
            event_id, recorded_by = raw.get("id"), raw.get("recorded_by")
            if event_id is not None:
                event_id = EVENT_ID_FIELD.parse(event_id)
        if event_id is not None:
            known = self.entries.get(event_id)
            if known is not None:
                if etype.name == EVENT_CORRECTED and values["event"] in self.entries:
                    target = EVENT_TYPES[self.entries[values["event"]].type]
                    values = {**values,
                              "changes": self._normalise(target, values["changes"])}
                draft = Event(0, event_id, etype.name, recorded_at, "", values)
                if known.digest == hashlib.sha256(draft.content()).digest() or \
                        self.event_at(known.position).plain_content() == draft.content():
                    return None  # the same event (the second test: stored as "0E-8")
                raise FieldError("id", f"{event_id!r} is already recorded (position "
                                 f"{known.position}) with other content; choose another id")
        if type(raw) is not Checked:
            recorded_by = RECORDED_BY.parse(recorded_by or actor)
        elif recorded_by is None:  # (given, it was checked in C)
            recorded_by = _actor(actor)
        if values["occurred_on"] > today:
            raise FieldError("occurred_on", f"{values['occurred_on']} is after the recording "
                             f"date {today}; record events once they happened")
        event = Event(self.position + 1, event_id or self._new_id(), etype.name,
                      recorded_at, recorded_by, values, wire)
        self._check_context(event)
        if etype.name == EVENT_CORRECTED:
            changes = self._check_correction(event, today)
            event = Event(event.position, event.id, event.type, recorded_at, recorded_by,
                          {**values, "changes": changes}, {**wire, "changes": changes})
        elif etype.name == EVENT_RETRACTED:
            self._target(event, "retract")
        content = event.content()
        self._batch[event.position] = event
        node = node_at(event.position, leaf_hash(canonical_bytes(event, content)),
                       self.frontier.__getitem__)
        self.apply(event, node, hashlib.sha256(content).digest())
        return event  # its node is now self.frontier[event.position]

    def admit_stored(self, stored: Mapping[str, Any], *, recorded_at: datetime, actor: str,
                     now: datetime | None = None) -> Event | None:
        """`admit` for an event read back from a store or an archive (verify, restore).

        An older version may have stored amounts as "0E-8" (see plain_wire): such an event
        is checked in plain form, but its leaf binds the stored text, so the event returned
        (and its node) keep that text.
        """
        plain = plain_wire(stored)
        if plain is stored:  # checked in C when that path vouches for it (checked.py)
            return self.admit(checked_stored(stored) or stored, recorded_at=recorded_at,
                              actor=actor, now=now)
        frontier = dict(self.frontier)  # the earlier nodes, as admit() replaces some
        event = self.admit(plain, recorded_at=recorded_at, actor=actor, now=now)
        if event is None:
            return None
        wire = {k: v for k, v in stored.items() if k not in ENVELOPE_FIELDS}
        event = Event.from_wire(event.position, event.id, event.type, event.recorded_at,
                                event.recorded_by, wire)
        self._batch[event.position] = event
        self.frontier[event.position] = node_at(
            event.position, leaf_hash(canonical_bytes(event)), frontier.__getitem__)
        return event

    def end_batch(self) -> None:
        """Forget the in-memory copies of a batch once it is stored (or abandoned)."""
        self._batch.clear()

    def _event_type(self, name: Any) -> EventType:
        if name is None:
            raise FieldError("type", "missing required field")
        if not isinstance(name, str) or name not in EVENT_TYPES:
            hint = suggest(str(name), EVENT_TYPES) or "; one of " + ", ".join(EVENT_TYPES)
            raise FieldError("type", f"unknown event type {name!r}{hint}")
        return EVENT_TYPES[name]

    def _new_id(self) -> str:
        """An unused id from the caller's factory (the state draws none itself)."""
        if self._new_ids is None:
            raise FieldError("id", "missing required field")
        for _ in range(NEW_ID_TRIES):
            candidate = self._new_ids()
            if candidate not in self.entries:
                return candidate
        raise LedgerError(f"no unused event id after {NEW_ID_TRIES} draws; give one (id)")

    def _check_context(self, event: Event, *, correcting: bool = False) -> None:
        """Rules that depend on what is already recorded."""
        f = event.fields
        if event.type == PROGRAM_REGISTERED and not correcting:
            if f["program"] in self.programs:
                raise FieldError("program", f"{f['program']!r} is already registered (event "
                                 f"{self.programs[f['program']].id})")
        elif event.type == VENTURE_REGISTERED:
            if f["venture"] in self.ventures and not correcting:
                raise FieldError("venture", f"{f['venture']!r} is already registered (event "
                                 f"{self.ventures[f['venture']].id})")
            if f["program"] not in self.programs:
                raise FieldError("program", f"unknown program {f['program']!r}; register it "
                                 "first" + suggest(f["program"], self.programs))
        elif event.etype.venture_scoped:
            venture = f["venture"]
            currency = self._currencies.get(venture)
            if currency is None:
                registered = self.ventures.get(venture)
                if registered is None:
                    raise FieldError("venture", f"unknown venture {venture!r}; register it "
                                     "first" + suggest(venture, self.ventures))
                currency = self.programs[registered.fields["program"]].fields["currency"]
                self._currencies[venture] = currency
            if "currency" in f and f["currency"] != currency:
                raise FieldError("currency", f"{f['currency']} differs from {currency}, the "
                                 f"currency of {venture!r}'s program")
            closure = self.closures.get(venture)
            if event.type == VENTURE_CLOSED:
                if closure is not None and closure.id != event.id:
                    raise FieldError("venture", f"{venture!r} is already closed (event "
                                     f"{closure.id}); correct that event instead")
                later = max(self.activity.get(venture, {}), default="")
                if later > event.occurred_on.isoformat():
                    raise FieldError("occurred_on", f"{venture!r} has events dated up to "
                                     f"{later} that a closed venture refuses (funding, "
                                     "targets, offers, partners); a closure cannot precede "
                                     "them: correct or retract them first")
            elif restricted(event.type) and closure is not None \
                    and event.occurred_on > closure.occurred_on:
                raise FieldError("venture", f"{venture!r} was closed on "
                                 f"{closure.occurred_on}; after that only returns, "
                                 "valuations, reports, corrections and retractions")

    def _target(self, event: Event, verb: str) -> Entry:
        target_id = event.fields["event"]
        entry = self.entries.get(target_id)
        if entry is None:
            raise FieldError("event", f"cannot {verb} unknown event {target_id!r}")
        if entry.retracted:
            raise FieldError("event", f"cannot {verb} event {target_id!r}: it was retracted")
        if entry.type in AMENDMENTS:
            raise FieldError("event", f"cannot {verb} {target_id!r}: it is itself a "
                             f"{entry.type}; {verb} the original event instead")
        if verb == "retract" and entry.type in REGISTRATIONS:
            raise FieldError("event", f"cannot retract the registration {target_id!r}; "
                             "correct its name instead")
        return entry

    def _check_correction(self, event: Event, today: date) -> dict[str, Any]:
        """Check a correction against its target as corrected so far; return its changes
        normalised (in the wire form of the target's field types)."""
        entry = self._target(event, "correct")
        target = self.current(event.fields["event"])
        etype = target.etype
        raw_changes: dict[str, Any] = event.fields["changes"]
        for name in raw_changes:
            if name in ENVELOPE_FIELDS or etype.field(name) is None:
                raise FieldError(f"changes.{name}", f"{etype.name} has no field {name!r}")
            if name in IDENTITY.get(etype.name, ()):
                raise FieldError(f"changes.{name}", f"the {name} of a {etype.name} cannot be "
                                 "corrected; retract it and record a new event")
        merged = {**plain_wire(target.wire_fields()), **raw_changes}
        try:
            values = parse_fields(etype, merged)
        except FieldError as error:
            raise FieldError(f"changes.{error.field}", error.problem) from None
        if values["occurred_on"] > today:
            raise FieldError("changes.occurred_on", "would be after the recording date")
        result = Event(entry.position, target.id, etype.name, target.recorded_at,
                       target.recorded_by, values)
        try:
            self._check_context(result, correcting=True)
        except FieldError as error:
            raise FieldError(f"changes.{error.field}", error.problem) from None
        return self._normalise(etype, raw_changes)

    @staticmethod
    def _normalise(etype: EventType, changes: dict[str, Any]) -> dict[str, Any]:
        """Changes in wire form, as the corrected event's own types write them."""
        out = {}
        for name, raw in changes.items():
            f = etype.field(name)
            if f is None or raw is None:
                out[name] = raw
                continue
            try:
                out[name] = f.kind.dump(f.parse(raw))
            except FieldError as error:
                raise FieldError(f"changes.{name}", error.problem) from None
        return out
