"""Everything the reports need about each venture, folded from the effective events.

This is the stage shared by the two ways of answering a report: `build_report` folds
the events it is given (any as-of, any known-at), and the read model stores these very
folds (over all events) in its tables. The as-of date enters only later, in
`roi.evaluate` and `targets.evaluate`, so both ways give the same document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
from outcomes.projections.folds.effective import Citation, effective
from outcomes.projections.folds.levels import YearRevenue, history, latest, revenue_by_year
from outcomes.projections.folds.roi import Money, fold_money
from outcomes.projections.folds.targets import TargetFacts, fold_targets
from outcomes.projections.folds.timeline import TimelineRow, fold_timeline


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
    timeline: list[TimelineRow]
    disputed: list[PeriodClaims]  # disputed periods that count in the yearly revenue


@dataclass(frozen=True)
class Folded:
    programs: dict[str, ProgramInfo]
    ventures: dict[str, VentureFold]  # ventures present as of the date, by slug


@dataclass(frozen=True)
class Registry:
    """Who is who: programs and ventures as registered (and corrected), whatever the date.

    Registrations are read without the as-of filter: a payment dated before the
    venture's registration date still belongs to that venture and its currency.
    """

    programs: dict[str, ProgramInfo]
    ventures: dict[str, VentureInfo]


def registry(events: Iterable[Event], known_at: datetime | None = None) -> Registry:
    regs = [e for e in effective(events, known_at=known_at).events
            if e.type in REGISTRATIONS]
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


def fold_venture(info: VentureInfo, events: list[Event],
                 cited: Mapping[str, tuple[Citation, ...]], *,
                 timeline: bool = True) -> VentureFold:
    """Fold one venture's effective events (registration included, if effective); `cited`
    gives the corrections applied to each (Effective.cited), which reports cite."""
    claims = list(choose(events, cited).values())
    years = revenue_by_year(claims)
    jobs = history(events, "jobs")
    money = fold_money(events, revenue_to_date=sum((y.revenue for y in years.values()),
                                                   Decimal(0)), jobs=latest(jobs),
                       revenue_evidence=weakest(y.evidence for y in years.values()),
                       jobs_evidence=jobs[-1].evidence if jobs else None)
    closure = [e for e in events if e.type == VENTURE_CLOSED]
    closed_on = closure[-1].occurred_on if closure else None
    used = {p for y in years.values() for p in y.periods}
    return VentureFold(
        info,
        closed_on,
        closure[-1].fields["outcome"] if closure else None,
        claims, years, money,
        fold_targets(info.venture, events, years, closed_on, cited),
        fold_timeline(info.venture, events, info.currency, claims, cited)
        if timeline else [],
        [c for c in claims if c.disputed and c.period in used],
    )


def fold_events(events: Iterable[Event], *, as_of: date | None,
                known_at: datetime | None = None, timeline: bool = True) -> Folded:
    """Fold a ledger (or a slice holding whole ventures) as of a date, as known at a time.

    A venture is present once it is registered (registration date on or before as_of)
    or has an effective event; a program once it is registered or has a present venture.
    """
    events = list(events)
    who = registry(events, known_at)
    eff = effective(events, as_of=as_of, known_at=known_at)
    by_venture: dict[str, list[Event]] = {}
    for e in eff.events:
        if e.type not in AMENDMENTS and e.type != PROGRAM_REGISTERED and e.venture:
            by_venture.setdefault(e.venture, []).append(e)
    ventures = {}
    for slug in sorted(who.ventures):
        info = who.ventures[slug]
        mine = by_venture.get(slug, [])
        if mine or as_of is None or info.registered_on <= as_of:
            ventures[slug] = fold_venture(info, mine, eff.cited, timeline=timeline)
    present = {v.info.program for v in ventures.values()}
    programs = {slug: p for slug, p in sorted(who.programs.items())
                if slug in present or as_of is None or p.registered_on <= as_of}
    return Folded(programs, ventures)

