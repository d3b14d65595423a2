"""A venture's story in date order: registration, money, targets, offers, partners, sales,
reported figures and closure, each with its source.

Every effective event of the venture becomes one entry (corrected values, retracted events
left out), with its main figure, how many corrections it has had, the rank of a revised
target, and for a revenue claim in a disputed period, whether it is the one used. The
words of each line are presentation's (`present.documents.summary`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from outcomes.ledger import schema
from outcomes.ledger.model import Event
from outcomes.projections.folds.claims import PeriodClaims, grade_of
from outcomes.projections.folds.effective import Citation

# The field that holds an event's main figure, by type (the others have none).
FIGURE_FIELDS = {schema.FUNDING_COMMITTED: "amount", schema.FUNDING_GRANTED: "amount",
                 schema.RETURN_RECEIVED: "amount", schema.STAKE_VALUED: "value",
                 schema.TARGET_SET: "value", schema.SALES_REPORTED: "revenue",
                 schema.METRIC_REPORTED: "value", schema.PARTNER_SIGNED: "count"}


@dataclass(frozen=True)
class Dispute:
    """Where a revenue claim stands among the claims for its period (more than one)."""

    claims: int
    used: bool  # the claim the reports use (strongest evidence, then published last)
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class TimelineEntry:
    venture: str
    on: date
    position: int
    id: str
    type: str
    fields: dict[str, Any]  # what the event states, as corrected, in its exact wire form
    # (but for occurred_on, source and note, which are `on`, `source` and `note`)
    figure: Decimal | None  # the event's main amount or count
    source: str
    corrected: int  # corrections applied
    note: str | None
    evidence: str | None = None  # the event's grade
    rank: int = 0  # TargetSet: how many targets of its metric came before (0: the initial)
    dispute: Dispute | None = None  # SalesReported, when its period is disputed
    corrected_by: tuple[Citation, ...] = ()  # the corrections applied (`corrected` of them)


COMMON = frozenset(f.name for f in schema.COMMON_FIELDS)


def own_fields(event: Event) -> dict[str, Any]:
    """The event's fields in wire form, but for those every event has."""
    return {k: v for k, v in event.wire_fields().items() if k not in COMMON}


# The types whose main figure is money (a TargetSet's, when its metric is revenue).
MONEY_FIGURES = frozenset({schema.FUNDING_COMMITTED, schema.FUNDING_GRANTED,
                           schema.RETURN_RECEIVED, schema.STAKE_VALUED, schema.SALES_REPORTED})


def figure_is_money(entry: TimelineEntry) -> bool:
    """Whether the entry's figure is an amount of the venture's currency (not a count)."""
    return entry.figure is not None and (
        entry.type in MONEY_FIGURES
        or (entry.type == schema.TARGET_SET and entry.fields.get("metric") == "revenue"))


def figure_of(event: Event) -> Decimal | None:
    """The event's main figure: an amount, a value or a count (an offer counts 1)."""
    if event.type == schema.OFFER_LAUNCHED:
        return Decimal(1)
    name = FIGURE_FIELDS.get(event.type)
    return None if name is None else Decimal(event.fields.get(name, 1))


def timeline_entry(venture: str, event: Event, rank: int = 0,
                   cited: tuple[Citation, ...] = ()) -> TimelineEntry:
    """The step of the timeline: an effective event's entry, before disputes are known
    (`with_disputes`); `rank`: for a TargetSet, how many of its metric came before;
    `cited`: the corrections applied to it."""
    return TimelineEntry(venture, event.occurred_on, event.position, event.id, event.type,
                         own_fields(event), figure_of(event), event.source, len(cited),
                         event.get("note"), grade_of(event), rank, None, cited)


def dispute_of(claims: PeriodClaims, position: int) -> Dispute | None:
    """Where the claim at `position` stands among its period's claims (None: undisputed)."""
    if not claims.disputed:
        return None
    return Dispute(claims.claims, claims.position == position, claims.low, claims.high)


def with_disputes(entries: list[TimelineEntry], claims: list[PeriodClaims]
                  ) -> list[TimelineEntry]:
    """The entries with each revenue claim's place in its period's dispute, if disputed
    (the claims of every period known: a later claim re-ranks the earlier ones)."""
    by_period = {c.period: c for c in claims if c.disputed}
    if not by_period:
        return list(entries)
    out = []
    for entry in entries:
        if entry.type == schema.SALES_REPORTED and \
                (c := by_period.get(entry.fields["period"])) is not None:
            entry = replace(entry, dispute=dispute_of(c, entry.position))
        out.append(entry)
    return out
