"""A venture's story in date order: registration, money, targets, offers, partners, sales,
reported figures and closure, each with its source.

Every effective event of the venture becomes one row (corrected values, retracted events
left out). A revenue claim says whether it is the one used for its period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from outcomes.ledger.model import Event
from outcomes.ledger.schema import (
    FUNDING_COMMITTED,
    FUNDING_GRANTED,
    METRIC_REPORTED,
    OFFER_LAUNCHED,
    PARTNER_SIGNED,
    RETURN_RECEIVED,
    SALES_REPORTED,
    STAKE_VALUED,
    TARGET_SET,
    VENTURE_CLOSED,
    VENTURE_REGISTERED,
)
from outcomes.projections.folds.claims import PeriodClaims, grade_of
from outcomes.projections.folds.effective import Citation, order_key
from outcomes.projections.present.render import count, money


@dataclass(frozen=True)
class TimelineRow:
    venture: str
    on: date
    position: int
    id: str
    type: str
    summary: str
    figure: Decimal | None  # the event's main amount or count
    source: str
    corrected: int  # corrections applied
    note: str | None
    evidence: str | None = None  # the event's grade
    corrected_by: tuple[Citation, ...] = ()  # the corrections applied (`corrected` of them)


def _public(f: dict) -> str:
    return "public" if f.get("public", True) else "private"


def summary(event: Event, currency: str, claims: dict[str, PeriodClaims],
            target_rank: int) -> tuple[str, Decimal | None]:
    """A one-line description of an event and its main figure."""
    f = event.fields
    t = event.type
    if t == VENTURE_REGISTERED:
        ident = f" ({f['identifier']})" if f.get("identifier") else ""
        return f"registered: {f['name']}{ident}, program {f['program']}", None
    if t in (FUNDING_COMMITTED, FUNDING_GRANTED):
        verb = "committed" if t == FUNDING_COMMITTED else "granted"
        return (f"{verb} {money(f['amount'], currency)} by {f['funder']} "
                f"({f['instrument']}, {_public(f)})", f["amount"])
    if t == RETURN_RECEIVED:
        return (f"returned {money(f['amount'], currency)} "
                f"({f['kind'].replace('_', ' ')}, {_public(f)})", f["amount"])
    if t == STAKE_VALUED:
        off = " (write-off)" if f["value"] == 0 else ""
        return f"stake valued at {money(f['value'], currency)}{off}", f["value"]
    if t == TARGET_SET:
        word = "target" if target_rank == 0 else f"revised target ({target_rank})"
        shown = money(f["value"], currency) if f["metric"] == "revenue" else count(f["value"])
        return (f"{word}: {f['metric']} {shown} by {f['due'].isoformat()} "
                f"(baseline {count(f.get('baseline', 0))})", f["value"])
    if t == OFFER_LAUNCHED:
        segment = f" ({f['segment']})" if f.get("segment") else ""
        return f"offer launched: {f['offer']}{segment}", Decimal(1)
    if t == PARTNER_SIGNED:
        kind = f" ({f['kind']})" if f.get("kind") else ""
        n = f.get("count", 1)
        head = "partner signed" if n == 1 else f"{n} partners signed"
        return f"{head}: {f['partner']}{kind}", Decimal(n)
    if t == SALES_REPORTED:
        c = claims[f["period"]]
        text = f"revenue {f['period']}: {money(f['revenue'], currency)}"
        if "customers" in f:
            text += f", {count(f['customers'])} customers"
        if c.disputed:
            state = "used" if c.position == event.position else "not used"
            text += (f" (one of {c.claims} claims, {state}; low {money(c.low, currency)}, "
                     f"high {money(c.high, currency)})")
        return text, f["revenue"]
    if t == METRIC_REPORTED:
        return f"{f['metric']} reported: {count(f['value'])}", Decimal(f["value"])
    if t == VENTURE_CLOSED:
        by = f" by {f['acquirer']}" if f.get("acquirer") else ""
        return f"closed: {f['outcome'].replace('_', ' ')}{by}", None
    return t, None


def fold_timeline(venture: str, events: list[Event], currency: str,
                  claims: list[PeriodClaims], cited: Mapping[str, tuple[Citation, ...]]
                  ) -> list[TimelineRow]:
    """The venture's effective events as timeline rows, in contract order; `cited` gives
    the corrections applied to each event (Effective.cited)."""
    by_period = {c.period: c for c in claims}
    rows = []
    targets_seen: dict[str, int] = {}
    for event in sorted(events, key=order_key):
        rank = 0
        if event.type == TARGET_SET:
            rank = targets_seen.get(event.fields["metric"], 0)
            targets_seen[event.fields["metric"]] = rank + 1
        text, figure = summary(event, currency, by_period, rank)
        rows.append(TimelineRow(venture, event.occurred_on, event.position, event.id,
                                event.type, text, figure, event.source,
                                len(cited.get(event.id, ())), event.get("note"),
                                grade_of(event), cited.get(event.id, ())))
    return rows
