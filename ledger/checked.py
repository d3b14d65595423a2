"""Validation in C: an import line decoded straight into a msgspec `Struct` of its event
type, the field rules checked as msgspec constraints while it decodes.

The Structs are derived from the one declaration of every event type (`EVENT_TYPES` in
ledger/schema.py): a field's kind gives its msgspec type (a pattern, a length, a date, an
integer's bounds), its choices a `Literal`, its bounds an amount's pattern. This path
vouches only for what it can check exactly, and refuses the rest: any line it does not
vouch for (a refusal, or a value it leaves to Python: a number for an amount, a string for
a count, a correction's changes, a URL, a repeated key, a `-0`, ...) is read by the exact
Python path (`jsonl.loads`, `schema.parse_and_dump`), which admits it or words the error
as it always did. What this path admits is what that path admits, value for value, wire
form for wire form (tests/unit/test_checked.py compares the two on generated lines).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import UNSET, Meta, UnsetType

from outcomes.ledger.errors import FieldError
from outcomes.ledger.schema import (
    AMOUNT,
    BOOL,
    COUNT,
    CURRENCY,
    CURRENCY_RE,
    DATE,
    EVENT_ID,
    EVENT_TYPES,
    ID_RE,
    LIMITS,
    LONG_TEXT,
    PERIOD,
    PERIOD_RE,
    RECORDED_BY,
    SHA256,
    SLUG,
    SLUG_RE,
    TEXT,
    URL,
    EventType,
    Field,
    Kind,
    Number,
)


def _pattern(regex: re.Pattern[str]) -> str:
    """A schema regular expression as a msgspec pattern: msgspec searches, the schema
    matches the whole value."""
    return rf"\A(?:{regex.pattern})\Z"


def _text(limit: int) -> Any:
    # Not blank: min_length here, and not `isspace()` after the decode (what `strip()`
    # strips; a pattern would cost a call into `re` per field).
    return Annotated[str, Meta(min_length=1, max_length=limit)]


# How each kind reads in C. A kind not listed here (URL, SHA-256: checked by their Python
# parser after the decode; a correction's changes: the whole line goes the Python way).
_TYPES: dict[Kind, Any] = {
    TEXT: _text(LIMITS.name_chars),
    LONG_TEXT: _text(LIMITS.text_chars),
    SLUG: Annotated[str, Meta(pattern=_pattern(SLUG_RE))],
    COUNT: Annotated[int, Meta(ge=0, le=10 ** LIMITS.count_digits - 1)],
    DATE: date,
    BOOL: bool,
    PERIOD: Annotated[str, Meta(pattern=_pattern(PERIOD_RE))],
    CURRENCY: Annotated[str, Meta(pattern=_pattern(CURRENCY_RE))],
    EVENT_ID: Annotated[str, Meta(pattern=_pattern(ID_RE))],
}


def _amount(f: Field) -> Any:
    """An amount as a JSON string of plain digits, within the digit limits, without
    leading zeros (so its wire form, `format(Decimal(text), "f")`, is the text itself),
    and within the field's bounds: no sign when it may not be negative, a non-zero digit
    when it must be positive. Anything else (a sign, leading zeros, a JSON number, spaces)
    is left to the Python parser."""
    whole = rf"(?:0|[1-9][0-9]{{0,{LIMITS.amount_integer_digits - 1}}})"
    fraction = rf"(?:\.[0-9]{{1,{LIMITS.amount_fraction_digits}}})?"
    sign = "" if f.positive or f.minimum is not None else "-?"
    if f.minimum is not None and f.minimum != 0:
        raise NotImplementedError("an amount bound other than 0")  # none is declared
    nonzero = r"(?=[0-9.]*[1-9])" if f.positive else ""
    return Annotated[str, Meta(pattern=rf"\A{nonzero}{sign}{whole}{fraction}\Z")]


# What to do with a decoded value to get (typed value, wire form).
_SAME, _TEXT, _AMOUNT, _DATE, _COUNT, _PARSE = range(6)


def _field_type(f: Field) -> tuple[Any, int] | None:
    """A field's msgspec type and how its decoded value becomes (value, wire form)."""
    if f.choices:
        if f.kind not in (TEXT, LONG_TEXT) or f.positive or f.minimum is not None:
            return None
        return Literal[f.choices], _SAME  # type: ignore[valid-type]
    if f.kind is AMOUNT:
        return _amount(f), _AMOUNT
    if f.positive or f.minimum is not None:
        return None
    if f.kind in _TYPES:
        how = {DATE: _DATE, COUNT: _COUNT, TEXT: _TEXT, LONG_TEXT: _TEXT}.get(f.kind, _SAME)
        return _TYPES[f.kind], how
    if f.kind in (URL, SHA256):
        return str, _PARSE  # its Python parser decides (it may refuse: then Python words it)
    return None


_ENVELOPE = {"id": _TYPES[EVENT_ID], "recorded_by": _TYPES[RECORDED_BY.kind]}


def _struct(etype: EventType) -> tuple[type[msgspec.Struct], tuple[Any, ...]] | None:
    """The Struct of an event type and the plan of its fields, or None when some field
    cannot be read in C (a correction's changes)."""
    fields: list[tuple[str, Any, Any]] = []
    plan = []
    for name, _plain, _kind, f, default in etype.plan:
        way = _field_type(f)
        if way is None:
            return None
        kind_type, how = way
        if f.required:
            fields.append((name, kind_type, msgspec.NODEFAULT))
        else:
            fields.append((name, kind_type | None | UnsetType, UNSET))
        plan.append((name, how, f, default))
    for name, kind_type in _ENVELOPE.items():
        fields.append((name, kind_type | None | UnsetType, UNSET))
    struct = msgspec.defstruct(etype.name, fields, tag_field="type", tag=etype.name,
                               kw_only=True, forbid_unknown_fields=True,
                               module=__name__)
    return struct, tuple(plan)


# See codec.event_object: the text spells at least as many keys as these ends; as many
# exactly when no key is repeated (and no string holds `":`, then Python decides).
_KEY_END = re.compile(rb'"[ \t\n\r]*:')
_MINUS_ZERO = re.compile(rb"-0(?![.0-9eE])")

# What each way does with a decoded value `v` of the field `n` (see `_builder`).
_STEPS = {
    _SAME: ["values[n] = wire[n] = v"],
    _TEXT: ["if v.isspace():", "    return None",  # blank: what strip() would empty
            "values[n] = wire[n] = v"],
    _AMOUNT: ["values[n] = Decimal(v)", "wire[n] = v"],
    _DATE: ["values[n] = v", "wire[n] = v.isoformat()"],
    _COUNT: ["if not v and minus_zero(line):",  # `-0`: Python refuses a negative count
             "    return None", "values[n] = wire[n] = v"],
    _PARSE: ["try:", "    p = field_i.parse(v)", "except FieldError:", "    return None",
             "values[n] = p", "wire[n] = field_i.kind.dump(p)"],
}


def _builder(etype: EventType, plan: tuple[Any, ...]) -> Any:
    """A function of the decoded fields (and the line) giving the event's `Checked`, or
    None: the steps of `_STEPS` written out for each field of the type, in its order, so
    that reading an event costs no loop over its fields and no test of their ways."""
    code = ["def build(d, line):", "    values = {}", "    wire = {}"]
    scope: dict[str, Any] = {"UNSET": UNSET, "Decimal": Decimal, "FieldError": FieldError,
                             "minus_zero": _MINUS_ZERO.search, "Checked": Checked,
                             "etype": etype}
    for i, (name, how, f, default) in enumerate(plan):
        steps = [step.replace("values[n]", f"values[{name!r}]")
                 .replace("wire[n]", f"wire[{name!r}]").replace("field_i", f"field_{i}")
                 for step in _STEPS[how]]
        scope[f"field_{i}"] = f
        code.append(f"    v = d[{i}]")
        if f.required:  # (msgspec refuses a line without it, or with null)
            code += ["    " + step for step in steps]
            continue
        code.append("    if v is not UNSET and v is not None:")
        code += ["        " + step for step in steps]
        if default is not None:
            scope[f"default_{i}"] = default
            code += ["    else:", f"        values[{name!r}], wire[{name!r}] = default_{i}"]
    n = len(plan)
    code += [f"    event_id, by = d[{n}], d[{n + 1}]",
             "    if by is UNSET or by is None:",
             "        by = None",
             "    elif by.isspace():",
             "        return None",
             "    return Checked(etype, values, wire, None if event_id is UNSET else "
             "event_id, by)"]
    exec("\n".join(code), scope)  # noqa: S102 (code written above from the declaration)
    return scope["build"]


class Checked:
    """An event's line read and checked in C: its type, its typed values and their wire
    form (as `parse_and_dump` gives them), and its envelope (id, recorded_by: None when
    not given). `LedgerState.admit` takes it in place of the raw object."""

    __slots__ = ("etype", "values", "wire", "id", "recorded_by")

    def __init__(self, etype: EventType, values: dict[str, Any], wire: dict[str, Any],
                 event_id: str | None, recorded_by: str | None) -> None:
        self.etype, self.values, self.wire = etype, values, wire
        self.id, self.recorded_by = event_id, recorded_by


@functools.cache
def _types() -> tuple[Any, dict[type[msgspec.Struct], Any], dict[str, Any]]:
    """The decoder of the tagged union, each Struct's function, each type's Struct; made
    at the first line read (not on import: every report imports the state's module)."""
    build: dict[type[msgspec.Struct], Any] = {}
    structs: dict[str, type[msgspec.Struct]] = {}  # by event type's name
    for etype in EVENT_TYPES.values():
        made = _struct(etype)
        if made is not None:
            build[made[0]] = _builder(etype, made[1])
            structs[etype.name] = made[0]
    decode = msgspec.json.Decoder(Union[tuple(build)]).decode  # type: ignore[valid-type]  # noqa: UP007 (tagged)
    return decode, build, structs


_astuple = msgspec.structs.astuple


def checked(line: bytes) -> Checked | None:
    """The line decoded and checked in C, or None when this path does not vouch for it
    (the caller then reads it the Python way, which admits it or words the error)."""
    decode, build, _ = _types()
    try:
        struct = decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    decoded = _astuple(struct)
    # Keys given: every field not UNSET, plus `type`.
    if len(_KEY_END.findall(line)) != len(decoded) + 1 - decoded.count(UNSET):
        return None
    return build[type(struct)](decoded, line)  # type: ignore[no-any-return]


def checked_stored(stored: Mapping[str, Any]) -> Checked | None:
    """`checked` for an event given as a mapping of plain JSON values (a recorded event's
    wire form with its type, id and recorded_by, as `verify` and `restore` re-admit it):
    converted and checked in C (`msgspec.convert`, the same Struct and constraints), or
    None when this path does not vouch for it."""
    _, build, structs = _types()
    struct_type = structs.get(stored.get("type"))  # type: ignore[arg-type]
    # msgspec takes a str subclass as a str, where the Python path refuses a `Number`
    # (a JSON number's text) as text: those are left to it.
    if struct_type is None or Number in map(type, stored.values()):
        return None
    try:
        struct = _convert(stored, struct_type)
    except (msgspec.ValidationError, TypeError):
        return None
    return build[struct_type](_astuple(struct), b"")  # type: ignore[no-any-return]


_convert = msgspec.convert
