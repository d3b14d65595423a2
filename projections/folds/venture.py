"""One venture's fold: everything the reports need about it, from its facts.

Every report at any as-of date and known-at time is answered by this fold, one venture at
a time, over the events the fact log files under the venture (its program's registration,
its own events and their amendments, events a correction moved to it): the read model
keeps the fold over all events in its tables, and folds again for an earlier date or a
known-at time (projections/readmodel). The as-of date enters the figures only later, in
`roi.rate_of_return` and `targets.evaluate`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from outcomes.ledger.model import Event
from outcomes.ledger.schema import (
    AMENDMENTS,
    PROGRAM_REGISTERED,
    REGISTRATIONS,
    VENTURE_CLOSED,
    VENTURE_REGISTERED,
)
from outcomes.projections.folds.claims import PeriodClaims, choose, weakest
from outcomes.projections.folds.effective import effective
from outcomes.projections.folds.levels import YearRevenue, history, latest, revenue_by_year
from outcomes.projections.folds.roi import Money, fold_money
from outcomes.projections.folds.targets import TargetFacts, fold_targets
from outcomes.projections.folds.timeline import TimelineEntry, fold_timeline


@dataclass(frozen=True)
class ProgramInfo:
    program: str
    name: str
    funder: str
    currency: str
    budget: Decimal | None
    registered_on: date
    source: str


@dataclass(frozen=True)
class VentureInfo:
    venture: str
    name: str
    program: str
    currency: str
    identifier: str | None
    registered_on: date
    source: str


@dataclass(frozen=True)
class VentureFold:
    """One venture's figures, independent of the as-of date once its events are chosen."""

    info: VentureInfo
    closed_on: date | None
    outcome: str | None
    claims: list[PeriodClaims]
    years: dict[int, YearRevenue]
    money: Money
    targets: list[TargetFacts]
    timeline: list[TimelineEntry]
    disputed: list[PeriodClaims]  # disputed periods that count in the yearly revenue


@dataclass(frozen=True)
class Registry:
    """Who is who: programs and ventures as registered (and corrected), whatever the date.

    Registrations are read without the as-of filter: a payment dated before the
    venture's registration date still belongs to that venture and its currency.
    """

    programs: dict[str, ProgramInfo]
    ventures: dict[str, VentureInfo]


def registry(events: Iterable[Event], known_at: datetime | None = None) -> Registry:
    """The registrations among `events`, as corrected by what was known at `known_at`."""
    ids: set[str] = set()
    chosen = []
    for e in sorted(events, key=lambda e: e.position):  # each before its amendments
        if e.type in REGISTRATIONS:
            ids.add(e.id)
            chosen.append(e)
        elif e.type in AMENDMENTS and e.fields["event"] in ids:
            chosen.append(e)
    regs = effective(chosen, known_at=known_at).events
    programs = {}
    for e in regs:
        if e.type == PROGRAM_REGISTERED:
            f = e.fields
            programs[f["program"]] = ProgramInfo(f["program"], f["name"], f["funder"],
                                                 f["currency"], f.get("budget"),
                                                 e.occurred_on, e.source)
    ventures = {}
    for e in regs:
        if e.type == VENTURE_REGISTERED and e.fields["program"] in programs:
            f = e.fields  # (a slice of the ledger without the program: not its venture)
            ventures[f["venture"]] = VentureInfo(f["venture"], f["name"], f["program"],
                                                 programs[f["program"]].currency,
                                                 f.get("identifier"), e.occurred_on, e.source)
    return Registry(programs, ventures)


def fold_venture(venture: str, events: Iterable[Event], *, as_of: date | None,
                 known_at: datetime | None = None, timeline: bool = True
                 ) -> VentureFold | None:
    """Fold one venture from its facts as of a date, as known at a time (None: no filter).

    `events` are the venture's facts in position order: its program's registration, its
    own events and their amendments, and events a correction may have moved to it (an
    event that ends up another venture's is left out). None when the venture is not
    present: not registered yet (as known at the time), or registered after the as-of
    date with no effective event by then.
    """
    events = list(events)
    info = registry(events, known_at).ventures.get(venture)
    if info is None:
        return None
    eff = effective(events, as_of=as_of, known_at=known_at)
    mine = [e for e in eff.events if e.venture == venture and e.type != PROGRAM_REGISTERED]
    if not (mine or as_of is None or info.registered_on <= as_of):
        return None
    claims = list(choose(mine, eff.cited).values())
    years = revenue_by_year(claims)
    jobs = history(mine, "jobs")
    money = fold_money(mine, revenue_to_date=sum((y.revenue for y in years.values()),
                                                 Decimal(0)), jobs=latest(jobs),
                       revenue_evidence=weakest(y.evidence for y in years.values()),
                       jobs_evidence=jobs[-1].evidence if jobs else None)
    closure = [e for e in mine if e.type == VENTURE_CLOSED]
    closed_on = closure[-1].occurred_on if closure else None
    used = {p for y in years.values() for p in y.periods}
    return VentureFold(
        info,
        closed_on,
        closure[-1].fields["outcome"] if closure else None,
        claims, years, money,
        fold_targets(venture, mine, years, closed_on, eff.cited),
        fold_timeline(venture, mine, claims, eff.cited) if timeline else [],
        [c for c in claims if c.disputed and c.period in used],
    )


def present_programs(programs: dict[str, ProgramInfo], ventures: Iterable[VentureInfo],
                     as_of: date | None) -> dict[str, ProgramInfo]:
    """The programs a report shows, by slug: registered on or before the as-of date, or
    with a venture present then."""
    present = {v.program for v in ventures}
    return {slug: p for slug, p in sorted(programs.items())
            if slug in present or as_of is None or p.registered_on <= as_of}
