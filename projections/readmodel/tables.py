"""The read model's tables: their columns, and the folds written to rows and read back.

Amounts are TEXT holding exact decimals (as in the JSON), with a number beside each that
sorts right and sums in SQL (SUM over TEXT would go through float): an INTEGER `X_cents`
beside a sum of money (whole cents, NULL where the amount is beyond SQLite's 64-bit
integers, over 92 233 720 368 547 758.07), a NUMERIC `X_number` beside a metric's value
(a count, or revenue in the currency: SQLite keeps a whole value as an exact INTEGER); the
TEXT column still holds every amount exactly (`numbered`). Browsing tables (Datasette,
metadata.py) get one row per revenue claim (`revenue_claims`) and a `disputes` view. Rows read
back rebuild exactly the fold that was written (the roi figures and the disputed claims
are kept as the document writes them, by the document's own functions), so a report
answered from these tables is the one the same fold gives when made again from the facts.

Every facts row and irr_cache row carries a `digest` of its other columns, and the
derived rows of each venture and program are sealed table by table (`seals`): see
`seal` and docs/integrity.md, "The read model".
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from outcomes.ledger.clock import stored_time
from outcomes.ledger.codec import compact_json, decode_state
from outcomes.ledger.model import Event
from outcomes.ledger.schema import (
    FUNDING_COMMITTED,
    FUNDING_GRANTED,
    METRIC_REPORTED,
    METRICS,
    OFFER_LAUNCHED,
    PARTNER_SIGNED,
    RETURN_RECEIVED,
    SALES_REPORTED,
    STAKE_VALUED,
    TARGET_SET,
    VENTURE_CLOSED,
)
from outcomes.projections.folds.effective import Citation
from outcomes.projections.folds.numbers import to_cents
from outcomes.projections.folds.roi import Money, combine
from outcomes.projections.folds.targets import Actual, Target, TargetFacts
from outcomes.projections.folds.timeline import Dispute, TimelineEntry
from outcomes.projections.folds.venture import (
    ProgramInfo,
    VentureFold,
    VentureInfo,
    VentureState,
)
from outcomes.projections.present.documents import (
    ROI_FIGURES,
    claim_list,
    dispute_fields,
    roi_figures,
)
from outcomes.projections.present.numbers import amount_text

SCHEMA_VERSION = "18"  # bump when a table changes: read models rebuild
TEXT, INT, REAL = str, int, float
NUMERIC = "NUMERIC"  # a column of NUMERIC affinity (exact text in, a number where exact)

# The figures of a return-on-investment row, for a venture and for a program alike: the
# document's (present.documents.roi_figures: exact amounts as text, ratios as numbers),
# whole cents beside every amount (`numbered`), and the figures' grades.
RATIOS = ("multiple", "revenue_per_public_euro", "leverage")
ROI_MONEY = tuple(name for name in ROI_FIGURES if name not in (*RATIOS, "jobs"))
ROI_COLUMNS = {**{name: REAL if name in RATIOS else INT if name == "jobs" else TEXT
                  for name in ROI_FIGURES},
               # the evidence grade of each figure made of events (JSON: figure -> grade)
               "evidence": TEXT}

# The exact amounts (TEXT) of each table that get a number beside them (`numbered`):
# sums of money (`X_cents`), and values of a metric, revenue or a count (`X_number`).
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "programs": ("budget",), "roi_ventures": ROI_MONEY, "roi_programs": ROI_MONEY,
    "roi_flows": ("amount",), "claims": ("chosen", "low", "high"),
    "revenue_years": ("revenue", "low", "high"), "revenue_claims": ("revenue",),
    "timeline": ("low", "high")}
METRIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "targets": ("initial_value", "initial_baseline", "current_value", "current_baseline",
                "latest", "at_due"),
    "target_actuals": ("actual", "low", "high"), "timeline": ("figure",)}


def _with_numbers(name: str, columns: dict[str, Any]) -> dict[str, Any]:
    """A table's columns with `X_cents` / `X_number` right after each amount `X`."""
    out: dict[str, Any] = {}
    for column, kind in columns.items():
        out[column] = kind
        if column in MONEY_COLUMNS.get(name, ()):
            out[f"{column}_cents"] = INT
        if column in METRIC_COLUMNS.get(name, ()):
            out[f"{column}_number"] = NUMERIC
    return out


# name -> (columns, primary key); column order is the order Datasette shows.
_DECLARED: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "facts": ({"position": INT, "id": TEXT, "type": TEXT, "venture": TEXT, "program": TEXT,
               "amends": TEXT, "occurred_on": TEXT, "recorded_at": TEXT,
               "recorded_by": TEXT, "data": TEXT, "digest": TEXT}, ("position",)),
    "fact_ventures": ({"position": INT, "venture": TEXT}, ("position", "venture")),
    "programs": ({"program": TEXT, "name": TEXT, "funder": TEXT, "currency": TEXT,
                  "budget": TEXT, "registered_on": TEXT, "source": TEXT}, ("program",)),
    "ventures": ({"venture": TEXT, "name": TEXT, "program": TEXT, "currency": TEXT,
                  "identifier": TEXT, "registered_on": TEXT, "source": TEXT,
                  "closed_on": TEXT, "outcome": TEXT}, ("venture",)),
    "roi_ventures": ({"venture": TEXT, "program": TEXT, "currency": TEXT, **ROI_COLUMNS},
                     ("venture",)),
    "roi_programs": ({"program": TEXT, "currency": TEXT, "ventures": INT, **ROI_COLUMNS},
                     ("program",)),
    "roi_flows": ({"venture": TEXT, "date": TEXT, "amount": TEXT}, ("venture", "date")),
    "claims": ({"venture": TEXT, "period": TEXT, "year": INT, "chosen": TEXT, "claims": INT,
                "low": TEXT, "high": TEXT, "chosen_position": INT, "chosen_on": TEXT,
                "source": TEXT, "used": INT, "evidence": TEXT, "each": TEXT,
                "corrected_by": TEXT},
               ("venture", "period")),
    # one row per revenue claim (SalesReported) of every period, disputed or not: `chosen`
    # is the claim the reports use for its period (strongest evidence, then latest)
    "revenue_claims": ({"venture": TEXT, "period": TEXT, "year": INT, "position": INT,
                        "id": TEXT, "published_on": TEXT, "revenue": TEXT,
                        "evidence": TEXT, "chosen": INT, "claims": INT, "used": INT,
                        "source": TEXT, "corrected": INT},
                       ("venture", "position")),
    "revenue_years": ({"venture": TEXT, "year": INT, "revenue": TEXT, "basis": TEXT,
                       "periods": TEXT, "claims": INT, "low": TEXT, "high": TEXT,
                       "evidence": TEXT}, ("venture", "year")),
    "targets": ({"venture": TEXT, "metric": TEXT, "initial_value": TEXT,
                 "initial_due": TEXT, "initial_set_on": TEXT, "initial_baseline": TEXT,
                 "initial_source": TEXT, "initial_position": INT,
                 "initial_evidence": TEXT, "initial_corrected_by": TEXT,
                 "current_value": TEXT,
                 "current_due": TEXT, "current_set_on": TEXT, "current_baseline": TEXT,
                 "current_source": TEXT, "current_position": INT, "current_evidence": TEXT,
                 "current_corrected_by": TEXT,
                 "revisions": INT, "last_year": INT, "latest": TEXT,
                 "latest_evidence": TEXT, "at_due": TEXT, "closed_on": TEXT},
                ("venture", "metric")),
    "target_actuals": ({"venture": TEXT, "metric": TEXT, "year": INT, "actual": TEXT,
                        "claims": INT, "low": TEXT, "high": TEXT, "evidence": TEXT},
                       ("venture", "metric", "year")),
    # one row per timeline entry; `fields`: the event's own fields as corrected (the wire
    # form's JSON, without occurred_on, source and note, which have their columns);
    # `claims` to `high`: a revenue claim's place among the claims of a disputed period
    "timeline": ({"position": INT, "venture": TEXT, "date": TEXT, "id": TEXT, "type": TEXT,
                  "fields": TEXT, "figure": TEXT, "source": TEXT, "evidence": TEXT,
                  "corrected": INT, "corrected_by": TEXT, "note": TEXT, "rank": INT,
                  "claims": INT, "used": INT, "low": TEXT, "high": TEXT}, ("position",)),
    # each venture's fold state (folds.venture.VentureState, msgpack by msgspec, without
    # its timeline) after its facts up to `position` (its last): a catch-up steps only
    # the new events of a venture from it (`ReadModel._refold_ventures`)
    "venture_states": ({"venture": TEXT, "position": INT, "state": bytes, "digest": TEXT},
                       ("venture",)),
    "tracking": ({"name": TEXT, "position": INT}, ("name",)),
    "meta": ({"key": TEXT, "value": TEXT}, ("key",)),
    "dirty": ({"kind": TEXT, "key": TEXT}, ("kind", "key")),
    # one digest per (table, venture or program): `seal` of the key's rows in that table
    "seals": ({"tbl": TEXT, "key": TEXT, "digest": TEXT}, ("tbl", "key")),
}
TABLES: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    name: (_with_numbers(name, columns), pk) for name, (columns, pk) in _DECLARED.items()}


def _events_view() -> tuple[list[str], str]:
    """Every event as recorded, one column per field declared in ledger/schema.py (as the
    log's CSV: present/log.py), read from the facts' JSON; a NUMERIC `X_number` beside each
    amount, so that it sorts."""
    from outcomes.projections.present.log import LOG_CSV_HEAD, declared_fields

    columns, select = list(LOG_CSV_HEAD), list(LOG_CSV_HEAD)
    for name, declared in declared_fields().items():
        value = f"json_extract(data, '$.\"{name}\"')"
        columns.append(name)
        select.append(f"{value} AS [{name}]")
        if {f.kind.name for _, f in declared} & {"amount"}:
            columns.append(f"{name}_number")
            select.append(f"CAST({value} AS NUMERIC) AS [{name}_number]")
    return columns, f"SELECT {', '.join(select)} FROM facts"


_DISPUTES = ["venture", "period", "year", "claims", "chosen", "chosen_cents", "low",
             "low_cents", "high", "high_cents", "evidence", "source", "chosen_on", "used"]
# Views for browsing (reports do not read them): name -> (columns, SELECT)
VIEWS: dict[str, tuple[list[str], str]] = {
    # the periods with more than one claim (one row each; their claims: revenue_claims)
    "disputes": (_DISPUTES, f"SELECT {', '.join(_DISPUTES)} FROM claims WHERE claims > 1"),
    "events": _events_view(),
}
# Not part of the read model's content (a rebuild starts it empty): XIRRs already solved,
# for one as-of date, per "venture:SLUG" / "program:SLUG".
CACHES: dict[str, tuple[dict[str, type], tuple[str, ...]]] = {
    "irr_cache": ({"key": TEXT, "as_of": TEXT, "irr": TEXT, "irr_note": TEXT,
                   "irr_roots": TEXT, "irr_lower_bound": INT, "digest": TEXT},
                  ("key", "as_of")),
    # the JSON text of a venture's records in a long report: kind "timeline" (as_of ""),
    # or "targets" for one as-of date
    "texts": ({"kind": TEXT, "venture": TEXT, "as_of": TEXT, "records": TEXT, "digest": TEXT},
              ("kind", "venture")),
}
INDEXES = [("facts", ("id",), True), ("facts", ("venture", "program"), False),
           ("facts", ("program",), False), ("facts", ("type",), False),
           ("facts", ("amends",), False), ("fact_ventures", ("venture",), False),
           ("timeline", ("venture", "date"), False)]


def index_name(table: str, columns: tuple[str, ...]) -> str:
    return f"idx_{table}_{'_'.join(columns)}"  # as sqlite-utils names them


def create_index(table: str, columns: tuple[str, ...], unique: bool) -> str:
    return (f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS "
            f"{index_name(table, columns)} ON {table} ({', '.join(columns)})")


def create_tables(db: Any, names: Iterable[str]) -> None:
    """Create these tables (in a sqlite_utils.Database) as declared, with their indexes,
    and the views whose tables are all there."""
    names = list(names)
    for name in names:
        columns, pk = {**TABLES, **CACHES}[name]
        if NUMERIC in columns.values():  # (a type sqlite-utils does not declare)
            db.conn.execute(_create_table(name, columns, pk))
        else:
            db[name].create(columns, pk=pk[0] if len(pk) == 1 else pk)
    for table, columns, unique in INDEXES:
        if table in names:
            db.conn.execute(create_index(table, columns, unique))
    if "claims" in names:
        for view, (_, select) in VIEWS.items():
            db.conn.execute(f"CREATE VIEW IF NOT EXISTS {view} AS {select}")


def _create_table(name: str, columns: dict[str, Any], pk: tuple[str, ...]) -> str:
    """CREATE TABLE as sqlite-utils writes it (an INTEGER key alone: the rowid)."""
    types = {TEXT: "TEXT", INT: "INTEGER", REAL: "FLOAT", NUMERIC: "NUMERIC"}
    alone = len(pk) == 1 and columns[pk[0]] is INT
    lines = [f"[{c}] {types[t]}{' PRIMARY KEY' if alone and c == pk[0] else ''}"
             for c, t in columns.items()]
    if not alone:
        lines.append(f"PRIMARY KEY ({', '.join(f'[{c}]' for c in pk)})")
    return f"CREATE TABLE [{name}] (\n   " + ",\n   ".join(lines) + "\n)"


# Tables holding one venture's fold, replaced whole when the venture changes.
VENTURE_TABLES = ("ventures", "roi_ventures", "roi_flows", "claims", "revenue_years",
                  "targets", "target_actuals", "timeline", "revenue_claims")
# The tables of a venture whose rows an event of each type may change when it is stepped
# onto the venture's state (`ReadModel._refold_ventures`; the timeline gains its row
# whatever the type): a stepped venture's other tables keep their rows and seals. A type
# not listed, and a replayed venture, write every table again.
STEPPED_TABLES: dict[str, tuple[str, ...]] = {
    FUNDING_COMMITTED: ("roi_ventures",),
    FUNDING_GRANTED: ("roi_ventures", "roi_flows"),
    RETURN_RECEIVED: ("roi_ventures", "roi_flows"),
    STAKE_VALUED: ("roi_ventures",),
    SALES_REPORTED: ("roi_ventures", "claims", "revenue_years", "revenue_claims", "targets",
                     "target_actuals"),
    METRIC_REPORTED: ("roi_ventures", "targets", "target_actuals"),
    PARTNER_SIGNED: ("targets", "target_actuals"),
    OFFER_LAUNCHED: ("targets", "target_actuals"),
    TARGET_SET: ("targets", "target_actuals"),
    VENTURE_CLOSED: ("ventures", "targets", "target_actuals"),
}
PROGRAM_TABLES = ("programs", "roi_programs")
# The rows of a table that reports read, where not all (the roi report shows the disputed
# claims only): what a seal covers, so a report checks no more than it reads.
REPORTED_ROWS = {"claims": "claims > 1 AND used = 1"}
CENTS_RANGE = range(-(2 ** 63), 2 ** 63)  # SQLite's INTEGER


class Tampered(Exception):
    """A row of the read model does not match its digest: changed outside outcomes."""


def seal(*parts: Any) -> str:
    """SHA-256 (hex) of `parts` written as Python writes them (repr): rows as SQLite
    returns them, tuples of text, integers, floats and None, so a digest is computed the
    same way when rows are written (read back) and when a report reads them. (repr is
    unambiguous for these types, and twice as fast as JSON.)"""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _d(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _cents(value: Decimal) -> int | None:
    """Whole cents for SQL sums and sorting; None beyond SQLite's 64-bit integers (the
    exact amount is in the TEXT column beside it)."""
    cents = int(to_cents(value) * 100)
    return cents if cents in CENTS_RANGE else None


def numbered(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with the number beside each amount (MONEY_COLUMNS, METRIC_COLUMNS): whole
    cents of a sum of money, or a metric's exact text for its NUMERIC column (SQLite
    stores it as a number: an exact INTEGER where whole)."""
    money, metric = MONEY_COLUMNS.get(table, ()), METRIC_COLUMNS.get(table, ())
    if not (money or metric):
        return rows
    for row in rows:
        for name in money:
            row[f"{name}_cents"] = _text_cents(row[name])
        for name in metric:
            row[f"{name}_number"] = row[name]
    return rows


def _text_cents(text: str | None) -> int | None:
    """`_cents` of an amount's text; a whole amount (the common case) without Decimal."""
    if text is None:
        return None
    if text.isdigit() or (text[:1] == "-" and text[1:].isdigit()):
        cents = int(text) * 100
        return cents if cents in CENTS_RANGE else None
    return _cents(Decimal(text))


# -- facts --------------------------------------------------------------------------------

def fact_row(event: Event, venture: str | None, program: str | None, *,
             sealed: bool = True) -> dict[str, Any]:
    """The facts row of an event filed under `venture` and `program`; `sealed`: with the
    digest of its values (the read model's), or none (a private temporary log's)."""
    row = {"position": event.position, "id": event.id, "type": event.type,
           "venture": venture, "program": program, "amends": event.get("event"),
           "occurred_on": event.occurred_on.isoformat(),
           "recorded_at": event.recorded_at.isoformat(), "recorded_by": event.recorded_by,
           "data": _json(event.wire_fields())}
    row["digest"] = seal("facts", *row.values()) if sealed else None
    return row


def _json(value: Any) -> str:
    """JSON in the rows (facts' data, timeline fields, grades): compact, keys in the order
    given, encoded in C; read back by `decode_state`."""
    return compact_json(value).decode()



FACT_COLUMNS = ", ".join(f"f.{c}" for c in TABLES["facts"][0])  # fact_from's arguments


def fact_from(sealed: bool, position: int, event_id: str, type_: str, venture: str | None,
              program: str | None, amends: str | None, occurred_on: str, recorded_at: str,
              recorded_by: str, data: str, digest: str | None) -> Event:
    """The event a facts row holds (a tuple of FACT_COLUMNS: no dict per row), once its
    digest is checked (`sealed`)."""
    if sealed and digest != seal("facts", position, event_id, type_, venture, program,
                                 amends, occurred_on, recorded_at, recorded_by, data):
        raise Tampered(f"facts row at position {position}")
    return Event.from_wire(position, event_id, type_, stored_time(recorded_at), recorded_by,
                           decode_state(data))


# -- one venture's fold -> rows -------------------------------------------------------------

def roi_columns(money: Money) -> dict[str, Any]:
    """A roi row's figures (the document's) and the grade of each figure (JSON); the cents
    beside the amounts: `numbered`."""
    return {**roi_figures(money), "evidence": _json(money.grades)}


def _target_columns(prefix: str, t: Target) -> dict[str, Any]:
    return {f"{prefix}_value": amount_text(t.value), f"{prefix}_due": t.due.isoformat(),
            f"{prefix}_set_on": t.set_on.isoformat(),
            f"{prefix}_baseline": amount_text(t.baseline), f"{prefix}_source": t.source,
            f"{prefix}_position": t.position, f"{prefix}_evidence": t.evidence,
            f"{prefix}_corrected_by": _cited(t.corrected_by)}




def _timeline_columns(r: TimelineEntry) -> dict[str, Any]:
    return {"position": r.position, "venture": r.venture, "date": r.on.isoformat(),
            "id": r.id, "type": r.type, "fields": _json(r.fields),
            "figure": amount_text(r.figure), "source": r.source, "evidence": r.evidence,
            "corrected": r.corrected, "corrected_by": _cited(r.corrected_by), "note": r.note,
            "rank": r.rank, **dispute_columns(r.dispute)}


def dispute_update(d: Dispute | None) -> dict[str, Any]:
    """The dispute columns of a timeline row with their cents (as `numbered` gives them):
    what a new claim in its period changes in an older claim's row."""
    columns = dispute_columns(d)
    columns["low_cents"] = _text_cents(columns["low"])
    columns["high_cents"] = _text_cents(columns["high"])
    return columns


def dispute_columns(d: Dispute | None) -> dict[str, Any]:
    """A timeline row's place of a revenue claim among its period's claims (NULL: none);
    the cents beside the amounts: `numbered`."""
    return {"claims": None if d is None else d.claims,
            "used": None if d is None else int(d.used),
            "low": None if d is None else amount_text(d.low),
            "high": None if d is None else amount_text(d.high)}


def venture_rows(fold: VentureFold) -> dict[str, list[dict[str, Any]]]:
    """The rows of every per-venture table for one venture's fold."""
    i, v = fold.info, fold.info.venture
    used = {p for y in fold.years.values() for p in y.periods}
    rows = {
        "ventures": [{"venture": v, "name": i.name, "program": i.program,
                      "currency": i.currency, "identifier": i.identifier,
                      "registered_on": i.registered_on.isoformat(), "source": i.source,
                      "closed_on": _iso(fold.closed_on), "outcome": fold.outcome}],
        "roi_ventures": [{"venture": v, "program": i.program, "currency": i.currency,
                          **roi_columns(fold.money)}],
        "roi_flows": [{"venture": v, "date": on.isoformat(), "amount": amount_text(amount)}
                      for on, amount in fold.money.flows],
        # (the columns a disputed period shows are the document's: `dispute`)
        "claims": [{**dispute_fields(c), "venture": v, "year": c.year,
                    "chosen_position": c.position, "chosen_on": c.occurred_on.isoformat(),
                    "used": int(c.period in used), "evidence": c.evidence,
                    "each": None if (each := claim_list(c)) is None else _json(each),
                    "corrected_by": _cited(c.corrected_by)}
                   for c in fold.claims],
        "revenue_years": [{"venture": v, "year": y.year, "revenue": amount_text(y.revenue),
                           "basis": y.basis, "periods": ",".join(y.periods),
                           "claims": y.claims, "low": amount_text(y.low),
                           "high": amount_text(y.high), "evidence": y.evidence}
                          for y in fold.years.values()],
        "targets": [{"venture": v, "metric": t.metric,
                     **_target_columns("initial", t.initial),
                     **_target_columns("current", t.current), "revisions": t.revisions,
                     "last_year": t.last_year, "latest": amount_text(t.latest),
                     "latest_evidence": t.latest_evidence,
                     "at_due": amount_text(t.at_due), "closed_on": _iso(t.closed_on)}
                    for t in fold.targets],
        "target_actuals": [{"venture": v, "metric": t.metric, "year": year,
                            "actual": amount_text(a.value), "claims": a.claims,
                            "low": amount_text(a.low), "high": amount_text(a.high),
                            "evidence": a.evidence}
                           for t in fold.targets for year, a in t.actuals.items()],
        "timeline": [_timeline_columns(r) for r in fold.timeline],
        "revenue_claims": [
            {"venture": v, "period": c.period, "year": c.year, "position": k.position,
             "id": k.id, "published_on": k.occurred_on.isoformat(),
             "revenue": amount_text(k.revenue), "evidence": k.evidence,
             "chosen": int(k.position == c.position), "claims": c.claims,
             "used": int(c.period in used),
             "source": None if (e := fold.claim_sources.get(k.id)) is None else e[0],
             "corrected": None if e is None else e[1]}
            for c in fold.claims for k in c.each],
    }
    return {table: numbered(table, table_rows) for table, table_rows in rows.items()}


def program_rows(info: ProgramInfo, ventures: list[Money]) -> dict[str, list[dict[str, Any]]]:
    rows = {
        "programs": [{"program": info.program, "name": info.name, "funder": info.funder,
                      "currency": info.currency, "budget": amount_text(info.budget),
                      "registered_on": info.registered_on.isoformat(),
                      "source": info.source}],
        "roi_programs": [{"program": info.program, "currency": info.currency,
                          "ventures": len(ventures), **roi_columns(combine(ventures))}],
    }
    return {table: numbered(table, table_rows) for table, table_rows in rows.items()}


def _cited(cited: tuple[Citation, ...]) -> str | None:
    """The corrections applied to an event (JSON, in the order applied), or NULL."""
    return None if not cited else _json(
        [[c.id, c.occurred_on.isoformat(), c.source, c.evidence] for c in cited])


def cited_from(text: str | None) -> tuple[Citation, ...]:
    if text is None:
        return ()
    return tuple(Citation(i, date.fromisoformat(on), source, grade)
                 for i, on, source, grade in decode_state(text))


# -- one venture's fold state ------------------------------------------------------------------

def _as_date(kind: type, value: Any) -> Any:
    """Dates under a patched `date` (freezegun's, in tests): as ISO text, as msgspec's."""
    if isinstance(kind, type) and issubclass(kind, date) and isinstance(value, str):
        return kind.fromisoformat(value)
    raise NotImplementedError(f"{kind!r} in a fold state")


@functools.cache
def _state_codec() -> tuple[Any, Any]:
    import msgspec

    return (msgspec.msgpack.Encoder().encode,
            msgspec.msgpack.Decoder(VentureState, dec_hook=_as_date).decode)


_state_codec()  # resolved while `date` is the real one (freezegun patches module globals)


def _state_digest(venture: str, position: int, blob: bytes) -> str:
    return seal("venture_states", venture, position, hashlib.sha256(blob).hexdigest())


def state_row(venture: str, position: int, state: VentureState) -> dict[str, Any]:
    """The venture_states row of a venture's fold state after its facts up to `position`
    (its timeline left out: the timeline table holds it)."""
    blob = _state_codec()[0](dataclasses.replace(state, timeline=None))
    return {"venture": venture, "position": position, "state": blob,
            "digest": _state_digest(venture, position, blob)}


def state_from(venture: str, position: int, blob: bytes, digest: str) -> VentureState:
    """A venture's fold state from its row, once its digest is checked."""
    if digest != _state_digest(venture, position, blob):
        raise Tampered(f"table venture_states, venture {venture!r},")
    return _state_codec()[1](blob)


# -- rows -> one venture's fold -------------------------------------------------------------

def money_of(row: dict[str, Any], flows: list[tuple[str, str]]) -> Money:
    """A venture's Money from its roi_ventures row and its (date, amount) flow rows (or a
    report's roi row, for its irr: without the grades)."""
    return Money(Decimal(row["public_committed"]), Decimal(row["public_granted"]),
                 Decimal(row["private_granted"]), Decimal(row["returned"]),
                 _d(row["residual_value"]),
                 tuple((date.fromisoformat(on), Decimal(amount)) for on, amount in flows),
                 Decimal(row["revenue_to_date"]), row["jobs"],
                 grades=decode_state(row["evidence"]) if "evidence" in row else {})


def _target(row: dict[str, Any], prefix: str) -> Target:
    return Target(Decimal(row[f"{prefix}_value"]), date.fromisoformat(row[f"{prefix}_due"]),
                  date.fromisoformat(row[f"{prefix}_set_on"]),
                  Decimal(row[f"{prefix}_baseline"]), row[f"{prefix}_source"],
                  row[f"{prefix}_position"], row[f"{prefix}_evidence"],
                  cited_from(row[f"{prefix}_corrected_by"]))


def target_facts(row: dict[str, Any], actuals: list[dict[str, Any]]) -> TargetFacts:
    return TargetFacts(
        row["venture"], row["metric"], _target(row, "initial"), _target(row, "current"),
        row["revisions"],
        {a["year"]: Actual(Decimal(a["actual"]), a["claims"], _d(a["low"]), _d(a["high"]),
                           a["evidence"])
         for a in actuals},
        row["last_year"], _d(row["latest"]), _d(row["at_due"]),
        _day(row["closed_on"]), row["latest_evidence"])


def targets_of(rows: list[dict[str, Any]], actuals: list[dict[str, Any]]
               ) -> list[TargetFacts]:
    """One venture's targets from its rows, in the schema's metric order (as folded)."""
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for a in actuals:
        by_metric.setdefault(a["metric"], []).append(a)
    return sorted((target_facts(t, by_metric.get(t["metric"], [])) for t in rows),
                  key=lambda t: METRICS.index(t.metric))


def timeline_entry(row: dict[str, Any]) -> TimelineEntry:
    dispute = None if row["claims"] is None else Dispute(
        row["claims"], bool(row["used"]), Decimal(row["low"]), Decimal(row["high"]))
    return TimelineEntry(row["venture"], date.fromisoformat(row["date"]), row["position"],
                         row["id"], row["type"], decode_state(row["fields"]),
                         _d(row["figure"]), row["source"], row["corrected"], row["note"],
                         row["evidence"], row["rank"], dispute, cited_from(row["corrected_by"]))


def venture_info(row: dict[str, Any]) -> VentureInfo:
    return VentureInfo(row["venture"], row["name"], row["program"], row["currency"],
                       row["identifier"], date.fromisoformat(row["registered_on"]),
                       row["source"])
