"""The one declaration of every event type: fields, their types and their checks.

Validation, the JSONL reader and writer, the `append` options and the docs are all
derived from `EVENT_TYPES` below; no other module lists an event's fields.
"""

from __future__ import annotations

import decimal
import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from outcomes.ledger.errors import FieldError

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
AMOUNT_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")
COUNT_RE = re.compile(r"[0-9]+")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PERIOD_RE = re.compile(r"([0-9]{4})(-Q([1-4]))?")
CURRENCY_RE = re.compile(r"[A-Z]{3}")
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
HEX_RE = re.compile(r"[0-9a-fA-F]*")
SHA256_DIGITS = 64

# Evidence grades, strongest first (the contract's "Evidence grades"): how strong an event's
# source is. An event without `evidence` is UNSPECIFIED, weaker than all of them. Competing
# claims are decided by the strongest grade, then the latest published.
EVIDENCE: dict[str, str] = {
    "audited": "certified or audited accounts; a court of auditors' or inspectorate's report",
    "filed": "accounts or documents filed with a public registry; an official journal or "
             "decree",
    "official": "a statement of the funder or the government (press release, answer in "
                "parliament)",
    "company": "the venture's own statement (press release, interview of its managers)",
    "press": "a press report that does not quote one of the above",
    "estimate": "an analyst's estimate, or a figure the recorder inferred",
}
UNSPECIFIED = "unspecified"
GRADES = (*EVIDENCE, UNSPECIFIED)  # every grade a report can show, strongest first


class Number(str):
    """The exact text of a JSON number, so amounts never pass through float."""


@dataclass(frozen=True)
class Limits:
    """How large an input may be: checked when an event is admitted, and listed in
    docs/events.md. Generous for real records, small enough that no input can exhaust
    memory, overflow a sum or make a command crawl."""

    name_chars: int = 2_000  # names, funders, partners, ...: official names stay far below
    text_chars: int = 10_000  # source, note, reason: a long URL and its citation, a paragraph
    # Amounts: up to 999,999,999,999,999,999. The largest yearly state budgets, in the
    # weakest currencies, are near 1e15-1e16 (IDR, VND, IRR); 18 digits leave 100 times
    # that. 18 + 10 = 28 digits, Python's decimal precision: every amount is exact.
    amount_integer_digits: int = 18
    amount_fraction_digits: int = 10
    count_digits: int = 15  # counts (customers, jobs, partners): exact even as floats
    line_bytes: int = 1_000_000  # one line of an import file; a real event is a few KB


LIMITS = Limits()
# One amount has at most 28 digits, but a sum of many needs more: in Python's default
# 28-digit context, two grants of 999,999,999,999,999,999.9999999999 would add up to a
# rounded 2e18. 60 digits keep any sum of up to 1e20 such amounts exact. Every command
# imports this module before it computes, and runs in one thread.
SUM_DIGITS = 60
decimal.DefaultContext.prec = SUM_DIGITS
decimal.getcontext().prec = SUM_DIGITS
# An amount this short is within both digit limits (the common case, checked first).
SHORT_AMOUNT = min(LIMITS.amount_integer_digits, LIMITS.amount_fraction_digits + 1)


def shown(raw: Any, width: int = 60) -> str:
    """A raw value quoted for an error message: short, never a whole huge input, and never
    a repr of a nested structure (which could itself be too deep to print)."""
    if isinstance(raw, Mapping):
        return "a JSON object"
    if isinstance(raw, list | tuple):
        return "a JSON array"
    text = repr(raw)
    if len(text) <= width:
        return text
    size = f"{len(raw):,} characters" if isinstance(raw, str) else f"{len(text):,} characters"
    return f"{text[:width - 10]}... ({size})"


@dataclass(frozen=True)
class Kind:
    """A field type: how raw input becomes a typed value and back to its wire form."""

    name: str
    doc: str
    parse: Callable[[Any], Any]
    dump: Callable[[Any], Any] = str
    load: Callable[[Any], Any] = lambda wire: wire  # trusted wire form -> typed value


def _text(limit: int) -> Callable[[Any], str]:
    """The parser of non-empty text of at most `limit` characters."""

    def parse(raw: Any) -> str:
        if not isinstance(raw, str) or isinstance(raw, Number):
            raise ValueError("must be a string")
        if len(raw) > limit:
            raise ValueError(f"too long: {len(raw):,} characters, at most {limit:,}")
        if not raw.strip():
            raise ValueError("must not be empty")
        if not raw.isascii():  # (a constant-time test in CPython)
            try:
                raw.encode("utf-8")
            except UnicodeEncodeError as error:  # a lone surrogate, e.g. a JSON "\ud800"
                raise ValueError(f"not valid Unicode: a lone surrogate {raw[error.start]!r} "
                                 f"at character {error.start + 1}") from None
        return raw

    return parse


def _slug(raw: Any) -> str:
    if not isinstance(raw, str) or not SLUG_RE.fullmatch(raw):
        raise ValueError(f"malformed slug {shown(raw)}: use [a-z0-9][a-z0-9-]{{0,63}}, "
                         "e.g. 'numergy'")
    return raw


def _amount(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ValueError(f"malformed amount {shown(raw)}: write a decimal such as "
                         "\"75000000.00\"")
    text = str(raw).strip()
    if not AMOUNT_RE.fullmatch(text):
        raise ValueError(
            f"malformed amount {shown(text)}: plain decimal digits only (no exponent, NaN, "
            "infinity or thousands separators), e.g. \"75000000.00\""
        )
    if len(text) <= SHORT_AMOUNT:
        return Decimal(text)
    whole, _, fraction = text.lstrip("-").partition(".")
    if len(whole.lstrip("0")) > LIMITS.amount_integer_digits:
        raise ValueError(f"amount too large: {len(whole.lstrip('0')):,} digits before the "
                         f"point, at most {LIMITS.amount_integer_digits}")
    if len(fraction) > LIMITS.amount_fraction_digits:
        raise ValueError(f"too many decimals: {len(fraction):,} digits after the point, at "
                         f"most {LIMITS.amount_fraction_digits}")
    return Decimal(text)


def _count(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ValueError(f"malformed count {shown(raw)}: write a whole number such as 12")
    text = str(raw).strip()
    if text.startswith("-") and COUNT_RE.fullmatch(text[1:]):
        raise ValueError(f"negative count {shown(text)}: counts are whole numbers >= 0")
    if not COUNT_RE.fullmatch(text):
        raise ValueError(f"malformed count {shown(text)}: write a whole number such as 12")
    if len(text.lstrip("0")) > LIMITS.count_digits:
        raise ValueError(f"count too large: {len(text.lstrip('0')):,} digits, at most "
                         f"{LIMITS.count_digits}")
    return int(text)


def _date(raw: Any) -> date:
    if not isinstance(raw, str) or isinstance(raw, Number) or not DATE_RE.fullmatch(raw):
        raise ValueError(f"malformed date {shown(raw)}: use YYYY-MM-DD, e.g. 2012-04-20")
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise ValueError(f"malformed date {shown(raw)}: {error}") from None


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and not isinstance(raw, Number):
        lowered = raw.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
    raise ValueError(f"malformed boolean {shown(raw)}: use true or false")


def _period(raw: Any) -> str:
    if not isinstance(raw, str) or isinstance(raw, Number) or not PERIOD_RE.fullmatch(raw):
        raise ValueError(f"malformed period {shown(raw)}: use YYYY or YYYY-Qn, "
                         "e.g. 2014 or 2014-Q3")
    return raw


def _currency(raw: Any) -> str:
    if not isinstance(raw, str) or not CURRENCY_RE.fullmatch(raw):
        raise ValueError(f"malformed currency {shown(raw)}: use an ISO 4217 code such as EUR")
    return raw


def _event_id(raw: Any) -> str:
    if not isinstance(raw, str) or isinstance(raw, Number) or not ID_RE.fullmatch(raw):
        raise ValueError(
            f"malformed event id {shown(raw)}: letters, digits and . _ : - (at most 128), "
            "starting with a letter or digit"
        )
    return raw


def _url(limit: int) -> Callable[[Any], str]:
    """The parser of an http(s) URL of at most `limit` characters: a scheme, a host, and
    no space, control or invisible character (a URL is typed or pasted, never a sentence)."""
    text = _text(limit)
    hint = "write the whole address, e.g. https://web.archive.org/web/2015/https://example.org"

    def parse(raw: Any) -> str:
        value = text(raw)
        bad = next((i for i, c in enumerate(value) if c.isspace() or (
            unicodedata.category(c)[0] in "CZ" if not c.isascii() else not c.isprintable())),
            None)
        if bad is not None:
            raise ValueError(f"malformed URL {shown(value)}: character {bad + 1} "
                             f"({value[bad]!r}) cannot be in a URL; {hint}")
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError as error:
            raise ValueError(f"malformed URL {shown(value)}: {error}; {hint}") from None
        if parts.scheme.lower() not in ("http", "https") or not host:
            raise ValueError(f"malformed URL {shown(value)}: an http:// or https:// address "
                             f"with a host; {hint}")
        return value

    return parse


def _sha256(raw: Any) -> str:
    """64 hexadecimal digits, as `sha256sum` prints them; kept in lower case."""
    hint = f"write the {SHA256_DIGITS} hexadecimal digits that `sha256sum FILE` prints"
    if not isinstance(raw, str) or isinstance(raw, Number):
        raise ValueError(f"malformed SHA-256 {shown(raw)}: must be a string; {hint}")
    if not HEX_RE.fullmatch(raw):
        at = next(i for i, c in enumerate(raw) if not HEX_RE.fullmatch(c))
        raise ValueError(f"malformed SHA-256 {shown(raw)}: character {at + 1} ({raw[at]!r}) "
                         f"is not a hexadecimal digit; {hint}")
    if len(raw) != SHA256_DIGITS:
        raise ValueError(f"malformed SHA-256 {shown(raw)}: {len(raw):,} digits; {hint}")
    return raw.lower()


def _changes(raw: Any) -> dict[str, Any]:
    # Checked field by field against the corrected event's type by the ledger state.
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError("must be a non-empty object mapping field names to new values")
    return dict(raw)


def _dump_amount(value: Decimal) -> str:
    """Plain fixed-point text, digits as typed ("75000000.00" stays so): str() would write
    0.00000000 as "0E-8", which the input rules refuse, so an export would not import."""
    return format(value, "f")


def _dump_bool(value: bool) -> bool:
    return value


def _dump_count(value: int) -> int:
    return value


def _dump_date(value: date) -> str:
    return value.isoformat()


def _dump_changes(value: dict[str, Any]) -> dict[str, Any]:
    return value  # already in wire form (see LedgerState.check_correction)


TEXT = Kind("text", f"non-empty text, at most {LIMITS.name_chars:,} characters",
            _text(LIMITS.name_chars))
LONG_TEXT = Kind("text", f"non-empty text, at most {LIMITS.text_chars:,} characters",
                 _text(LIMITS.text_chars))
SLUG = Kind("slug", "slug `[a-z0-9][a-z0-9-]{0,63}`", _slug)
AMOUNT = Kind("amount", f"exact decimal (JSON string or number), at most "
              f"{LIMITS.amount_integer_digits} digits before the point and "
              f"{LIMITS.amount_fraction_digits} after", _amount, _dump_amount, Decimal)
COUNT = Kind("count", f"whole number >= 0, at most {LIMITS.count_digits} digits", _count,
             _dump_count)
DATE = Kind("date", "`YYYY-MM-DD`", _date, _dump_date, date.fromisoformat)
BOOL = Kind("bool", "`true` or `false`", _bool, _dump_bool)
PERIOD = Kind("period", "`YYYY` or `YYYY-Qn`", _period)
CURRENCY = Kind("currency", "ISO 4217 code", _currency)
EVENT_ID = Kind("event id", "id of an earlier event", _event_id)
CHANGES = Kind("changes", "object: field -> new value", _changes, _dump_changes)
URL = Kind("url", f"an `http://` or `https://` URL, at most {LIMITS.text_chars:,} characters",
           _url(LIMITS.text_chars))
SHA256 = Kind("sha256", f"{SHA256_DIGITS} hexadecimal digits (kept in lower case)", _sha256)


@dataclass(frozen=True)
class Field:
    """One field of an event type, with its type and checks."""

    name: str
    kind: Kind
    help: str
    required: bool = True
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: Decimal | None = None  # inclusive lower bound for amounts
    positive: bool = False  # amount must be > 0

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def parse(self, raw: Any) -> Any:
        """Return the typed value of `raw`, or raise FieldError naming this field."""
        try:
            value = self.kind.parse(raw)
        except ValueError as error:
            raise FieldError(self.name, str(error)) from None
        if self.choices and value not in self.choices:
            raise FieldError(
                self.name, f"unknown value {shown(value)}: choose one of {', '.join(self.choices)}"
            )
        if self.positive and value <= 0:
            raise FieldError(self.name, f"must be greater than 0, got {raw}")
        if self.minimum is not None and value < self.minimum:
            raise FieldError(self.name, f"must not be negative, got {raw}")
        return value

    def describe(self) -> str:
        """The field's type, checks and default in a few words, for docs and --help."""
        text = self.kind.doc
        if self.choices:
            text = "one of " + ", ".join(f"`{c}`" for c in self.choices)
        if self.positive:
            text += ", > 0"
        elif self.minimum is not None:
            text += ", >= 0"
        if not self.required:
            default = self.default
            if isinstance(default, bool):
                default = "true" if default else "false"
            text += f" (optional, default {default})" if default is not None else " (optional)"
        return text


# The event types' names, each written once: every module refers to a type by these
# constants, so a misspelt name fails on import instead of matching nothing.
PROGRAM_REGISTERED = "ProgramRegistered"
VENTURE_REGISTERED = "VentureRegistered"
FUNDING_COMMITTED = "FundingCommitted"
FUNDING_GRANTED = "FundingGranted"
RETURN_RECEIVED = "ReturnReceived"
STAKE_VALUED = "StakeValued"
TARGET_SET = "TargetSet"
OFFER_LAUNCHED = "OfferLaunched"
PARTNER_SIGNED = "PartnerSigned"
SALES_REPORTED = "SalesReported"
METRIC_REPORTED = "MetricReported"
VENTURE_CLOSED = "VentureClosed"
EVENT_CORRECTED = "EventCorrected"
EVENT_RETRACTED = "EventRetracted"
REGISTRATIONS = (PROGRAM_REGISTERED, VENTURE_REGISTERED)
AMENDMENTS = (EVENT_CORRECTED, EVENT_RETRACTED)  # events about an earlier event
# The metrics a target can be set for, in the order reports list them; every one but
# revenue is a count that `MetricReported` can report.
METRICS = ("revenue", "customers", "partners", "offers", "jobs")
COUNT_METRICS = METRICS[1:]


@dataclass(frozen=True)
class EventType:
    """An event type: its name, what it records, and its own fields."""

    name: str
    help: str
    fields: tuple[Field, ...]
    venture_scoped: bool = True  # refers to a registered venture by `venture`
    allowed_after_close: bool = False
    example: str = ""

    @property
    def command(self) -> str:
        """The kebab-case name used by `outcomes append`."""
        return re.sub(r"(?<!^)(?=[A-Z])", "-", self.name).lower()

    @functools.cached_property
    def all_fields(self) -> tuple[Field, ...]:
        return COMMON_FIELDS + self.fields + PROVENANCE_FIELDS

    @functools.cached_property
    def names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.all_fields)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.all_fields if f.name == name), None)

    @functools.cached_property
    def kinds(self) -> dict[str, Kind]:
        return {f.name: f.kind for f in self.all_fields}

    @functools.cached_property
    def accepted(self) -> frozenset[str]:
        """The names an input object may hold: the fields and the envelope."""
        return self.names | frozenset(ENVELOPE_FIELDS)

    @functools.cached_property
    def plan(self) -> tuple[tuple[str, bool, Kind, Field, tuple[Any, Any] | None], ...]:
        """How `parse_and_dump` reads each field, worked out once: its name, whether its
        kind's parser alone reads it (no choices or bounds: a ValueError names the
        problem), its kind, the field, and its default as (value, wire form)."""
        plan = []
        for f in self.all_fields:
            plain = not f.choices and not f.positive and f.minimum is None
            default = None
            if f.default is not None:
                value = f.parse(f.default)
                default = (value, f.kind.dump(value))
            plan.append((f.name, plain, f.kind, f, default))
        return tuple(plan)


INSTRUMENTS = ("equity", "grant", "loan", "guarantee", "other")
ZERO = Decimal(0)

COMMON_FIELDS = (
    Field("occurred_on", DATE, "when it happened in the world (for a reported figure: "
          "the date it was published); not after the recording date"),
    Field("source", LONG_TEXT, "a URL or document reference a reader can check"),
    Field("note", LONG_TEXT, "free text", required=False),
)

# Fields every event may carry, after its own: how strong its source is, and how to check
# the source once it has moved or changed. A correction may change them like any field.
PROVENANCE_FIELDS = (
    Field("evidence", TEXT, "how strong the source is, strongest first (docs/events.md, "
          f"\"Evidence grades\"); without it, {UNSPECIFIED}: weaker than all",
          required=False, choices=tuple(EVIDENCE)),
    Field("archive", URL, "the URL of an archived copy of the source (say on the Wayback "
          "Machine)", required=False),
    Field("source_sha256", SHA256, "the SHA-256 of the source document as it was read, so "
          "that a copy found later can be checked", required=False),
)

# Fields every event may carry in a file but that are not part of its content.
ENVELOPE_FIELDS = ("type", "id", "recorded_by")
RECORDED_BY = Field("recorded_by", TEXT, "who recorded the event (default: --actor)")


def _venture() -> Field:
    return Field("venture", SLUG, "slug of a registered venture")


def _currency_check() -> Field:
    return Field("currency", CURRENCY, "must equal the program's currency", required=False)


def _public() -> Field:
    return Field("public", BOOL, "public money (true) or private (false)",
                 required=False, default=True)


def _funding(verb: str, funder: str) -> tuple[Field, ...]:
    """The fields of a funding event: committed and granted money have the same shape."""
    return (
        _venture(),
        Field("amount", AMOUNT, f"amount {verb}", positive=True),
        Field("funder", TEXT, funder),
        _public(),
        Field("instrument", TEXT, "form of the money", required=False, default="equity",
              choices=INSTRUMENTS),
        _currency_check(),
    )


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType(
            PROGRAM_REGISTERED,
            "A publicly funded program and who funds it.",
            (
                Field("program", SLUG, "slug for the program"),
                Field("name", TEXT, "the program's name"),
                Field("funder", TEXT, "who funds it"),
                Field("currency", CURRENCY, "currency of all its amounts (ISO 4217)",
                      required=False, default="EUR"),
                Field("budget", AMOUNT, "announced budget", required=False, minimum=ZERO),
            ),
            venture_scoped=False,
            example='--program pia-cloud --name "Cloud souverain" --funder "Caisse des Depots"',
        ),
        EventType(
            VENTURE_REGISTERED,
            "A venture funded by a registered program.",
            (
                Field("venture", SLUG, "slug for the venture"),
                Field("name", TEXT, "the venture's name"),
                Field("program", SLUG, "slug of a registered program"),
                Field("identifier", TEXT, "an official identifier, e.g. a SIREN",
                      required=False),
            ),
            venture_scoped=False,
            example="--venture numergy --name Numergy --program pia-cloud",
        ),
        EventType(
            FUNDING_COMMITTED,
            "Money promised to a venture (not yet paid).",
            _funding("committed", "who commits it"),
            example="--venture numergy --amount 75000000 --funder CDC",
        ),
        EventType(
            FUNDING_GRANTED,
            "Money actually paid to a venture.",
            _funding("paid", "who paid it"),
            example="--venture numergy --amount 25000000 --funder CDC",
        ),
        EventType(
            RETURN_RECEIVED,
            "Money paid back to the funder.",
            (
                _venture(),
                Field("amount", AMOUNT, "amount returned", positive=True),
                Field("kind", TEXT, "what kind of return",
                      choices=("dividend", "stake_sale", "repayment", "interest", "other")),
                _public(),
                _currency_check(),
            ),
            allowed_after_close=True,
            example="--venture numergy --amount 1000000 --kind dividend",
        ),
        EventType(
            STAKE_VALUED,
            "The public stake's residual value; 0 is a write-off.",
            (
                _venture(),
                Field("value", AMOUNT, "residual value of the public stake", minimum=ZERO),
                _currency_check(),
            ),
            allowed_after_close=True,
            example="--venture numergy --value 0",
        ),
        EventType(
            TARGET_SET,
            "A target for a metric, due by a date; a later one for the same metric is a "
            "revision.",
            (
                _venture(),
                Field("metric", TEXT, "what is targeted", choices=METRICS),
                Field("value", AMOUNT, "target value (for revenue, a yearly amount)",
                      minimum=ZERO),
                Field("due", DATE, "when the target is due (may be in the future)"),
                Field("baseline", AMOUNT, "value at the start", required=False,
                      default="0", minimum=ZERO),
                _currency_check(),
            ),
            example="--venture numergy --metric revenue --value 400000000 --due 2016-12-31",
        ),
        EventType(
            OFFER_LAUNCHED,
            "An offer put on the market.",
            (
                _venture(),
                Field("offer", TEXT, "the offer's name"),
                Field("segment", TEXT, "market segment", required=False),
            ),
            example='--venture numergy --offer "Virtual servers"',
        ),
        EventType(
            PARTNER_SIGNED,
            "A partner (or a batch of partners announced at once).",
            (
                _venture(),
                Field("partner", TEXT, "the partner's name, or a description of the batch"),
                Field("kind", TEXT, "kind of partner, e.g. reseller", required=False),
                Field("count", COUNT, "number of partners announced", required=False,
                      default=1),
            ),
            example="--venture cloudwatt --partner APX --kind reseller",
        ),
        EventType(
            SALES_REPORTED,
            "A claim of revenue for a year or a quarter; several claims for one period are "
            "kept as a dispute.",
            (
                _venture(),
                Field("period", PERIOD, "the year or quarter the revenue is for"),
                Field("revenue", AMOUNT, "revenue of the period", minimum=ZERO),
                Field("customers", COUNT, "customers at the end of the period",
                      required=False),
                _currency_check(),
            ),
            allowed_after_close=True,
            example="--venture numergy --period 2014 --revenue 6000000",
        ),
        EventType(
            METRIC_REPORTED,
            "A reported total for a metric at occurred_on.",
            (
                _venture(),
                Field("metric", TEXT, "which metric", choices=COUNT_METRICS),
                Field("value", COUNT, "the reported total"),
            ),
            allowed_after_close=True,
            example="--venture numergy --metric jobs --value 72",
        ),
        EventType(
            VENTURE_CLOSED,
            "The end of a venture as an independent company.",
            (
                _venture(),
                Field("outcome", TEXT, "how it ended",
                      choices=("acquired", "merged", "liquidated", "wound_down", "other")),
                Field("acquirer", TEXT, "who took it over", required=False),
            ),
            example="--venture cloudwatt --outcome acquired --acquirer Orange",
        ),
        EventType(
            EVENT_CORRECTED,
            "Supersedes fields of an earlier event (use `outcomes correct`).",
            (
                Field("event", EVENT_ID, "id of the event it corrects"),
                Field("changes", CHANGES, "field -> new value"),
                Field("reason", LONG_TEXT, "why"),
            ),
            venture_scoped=False,
            allowed_after_close=True,
        ),
        EventType(
            EVENT_RETRACTED,
            "Withdraws an earlier event (use `outcomes retract`).",
            (
                Field("event", EVENT_ID, "id of the event it withdraws"),
                Field("reason", LONG_TEXT, "why"),
            ),
            venture_scoped=False,
            allowed_after_close=True,
        ),
    )
}

BY_COMMAND = {t.command: t for t in EVENT_TYPES.values()}

# Names of the fields that hold an amount in some event type. A string under one of these
# names is an amount (the same names hold counts elsewhere, and counts are JSON numbers),
# which lets a correction's changes be read without looking up the corrected event.
AMOUNT_FIELDS = frozenset(f.name for t in EVENT_TYPES.values() for f in t.all_fields
                          if f.kind is AMOUNT)


def parse_fields(etype: EventType, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values of an event's content fields (common and own), defaults applied.

    Raises FieldError for an unknown field, a missing required one or a bad value.
    """
    return parse_and_dump(etype, raw)[0]


def parse_and_dump(etype: EventType, raw: Mapping[str, Any]
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Typed values and their wire form, in one pass (the import's hot path, so each
    field's way is worked out once: `EventType.plan`)."""
    if not raw.keys() <= etype.accepted:
        known = etype.names
        for name in raw:
            if name not in known and name not in ENVELOPE_FIELDS:
                raise FieldError(name, f"unknown field for {etype.name}; its fields are "
                                 + ", ".join(sorted(known)))
    values: dict[str, Any] = {}
    wire: dict[str, Any] = {}
    for name, plain, kind, f, default in etype.plan:
        given = raw.get(name)
        if given is not None:
            if plain:
                try:
                    value = kind.parse(given)
                except ValueError as error:
                    raise FieldError(name, str(error)) from None
            else:
                value = f.parse(given)
            values[name] = value
            wire[name] = kind.dump(value)
        elif f.required:
            raise FieldError(name, f"missing required field for {etype.name}")
        elif default is not None:
            values[name], wire[name] = default
    return values, wire


def load_fields(etype: EventType, wire: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values from a stored (already validated) wire form, without re-checking."""
    kinds = etype.kinds
    return {name: kinds[name].load(value) for name, value in wire.items()}


def dump_fields(etype: EventType, values: Mapping[str, Any]) -> dict[str, Any]:
    """The wire form (JSON-ready, amounts as exact strings) of typed field values."""
    out: dict[str, Any] = {}
    for f in etype.all_fields:
        if f.name in values:
            out[f.name] = f.kind.dump(values[f.name])
    return out


def plain_wire(wire: Mapping[str, Any]) -> Mapping[str, Any]:
    """A stored wire form with every amount in plain fixed-point text (a correction's
    changes included); `wire` itself when it is plain already, as nearly always.

    Events recorded before amounts were dumped with `format(d, "f")` may hold "0E-8" or
    "1E-9" (what str() writes). The store keeps them so (their Merkle leaves bind that text,
    and verify checks it), and they are read as Decimal like any other; but wherever a
    recorded event becomes input again (export, the merge of a correction, the comparison
    with a re-imported copy) it must be in the form the input rules accept.
    """
    for name, value in wire.items():
        if name == "changes" or (name in AMOUNT_FIELDS and isinstance(value, str)
                                 and "E" in value):  # str(Decimal) writes an upper-case E
            return {name: _plain(name, value) for name, value in wire.items()}
    return wire


def _plain(name: str, value: Any) -> Any:
    if name == "changes" and isinstance(value, Mapping):
        return dict(plain_wire(value))
    if name in AMOUNT_FIELDS and isinstance(value, str) and "E" in value:
        return _old_amount(value) or value
    return value


def _old_amount(text: str) -> str | None:
    """The plain form of an amount exactly as str() wrote it from typed digits ("0E-8");
    None for anything else (say "1E+3" or "lotsE"), which the input rules then refuse."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        return None
    if str(value) != text or not value.is_finite() or value.as_tuple().exponent > 0:  # type: ignore[operator]
        return None
    return format(value, "f")
