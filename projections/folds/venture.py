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
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from outcomes.ledger.model import Event
from outcomes.ledger.schema import (
    AMENDMENTS,
    FUNDING_COMMITTED,
    FUNDING_GRANTED,
    METRIC_REPORTED,
    OFFER_LAUNCHED,
    PARTNER_SIGNED,
    PROGRAM_REGISTERED,
    REGISTRATIONS,
    RETURN_RECEIVED,
    SALES_REPORTED,
    STAKE_VALUED,
    TARGET_SET,
    VENTURE_CLOSED,
    VENTURE_REGISTERED,
)
from outcomes.projections.folds.claims import PeriodClaims, add_claim, weakest
from outcomes.projections.folds.effective import Citation, effective, order_key
from outcomes.projections.folds.levels import (
    Observation,
    YearRevenue,
    latest,
    observe,
    revenue_by_year,
)
from outcomes.projections.folds.roi import Money, MoneySums, add_money, money_of_sums
from outcomes.projections.folds.targets import (
    TargetFacts,
    TargetSets,
    add_target,
    targets_of_sets,
)
from outcomes.projections.folds.timeline import TimelineEntry, timeline_entry, with_disputes


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
    # each revenue claim's source and number of corrections, by event id (as its entry in
    # the timeline, which a fold may leave out)
    claim_sources: dict[str, tuple[str, int]] = field(default_factory=dict)


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


@dataclass
class VentureState:
    """The state of one venture's fold after its effective events so far, in contract
    order: what each stage's step keeps. `step` adds one event that sorts after `last`;
    `finish` gives the figures. The read model stores it (encoded by msgspec), so that a
    catch-up steps only the new events of a venture (projections/readmodel)."""

    info: VentureInfo
    last: tuple[date, int] | None = None  # order key of the last event stepped
    closure: tuple[date, str] | None = None  # the latest VentureClosed: date, outcome
    claims: dict[str, PeriodClaims] = field(default_factory=dict)  # by period
    levels: dict[str, list[Observation]] = field(default_factory=dict)  # count metrics
    money: MoneySums = field(default_factory=MoneySums)
    targets: dict[str, TargetSets] = field(default_factory=dict)  # by metric
    claim_sources: dict[str, tuple[str, int]] = field(default_factory=dict)  # by id
    # the entries of the events stepped (None: not kept; the read model keeps the state
    # without them, and steps a catch-up's new events into an empty list)
    timeline: list[TimelineEntry] | None = field(default_factory=list)


def step(state: VentureState, event: Event, cited: tuple[Citation, ...] = ()) -> None:
    """Add one effective event of the venture, which sorts after every event stepped so
    far (`cited`: the corrections applied to it)."""
    state.last = order_key(event)
    kind = event.type
    if kind == SALES_REPORTED:
        period = event.fields["period"]
        state.claims[period] = add_claim(state.claims.get(period), event, cited)
        state.claim_sources[event.id] = (event.source, len(cited))
    elif kind == VENTURE_CLOSED:
        state.closure = (event.occurred_on, event.fields["outcome"])
    rank = 0
    if kind == TARGET_SET:
        metric = event.fields["metric"]
        prior = state.targets.get(metric)
        rank = 0 if prior is None else prior.revisions + 1
        state.targets[metric] = add_target(prior, event, cited)
    elif kind in LEVEL_TYPES:
        metric = level_metric(event)
        if metric is not None:
            seen = state.levels.get(metric)
            now = observe(metric, seen[-1] if seen else None, event)
            if now is not None:
                state.levels.setdefault(metric, []).append(now)
    elif kind in MONEY_TYPES:
        add_money(state.money, event)
    if state.timeline is not None:
        state.timeline.append(timeline_entry(state.info.venture, event, rank, cited))


def level_metric(event: Event) -> str | None:
    """The one count metric whose level an event may change (`levels.observe`)."""
    kind = event.type
    if kind == METRIC_REPORTED:
        return event.fields["metric"]
    if kind == SALES_REPORTED:
        return "customers"
    return {PARTNER_SIGNED: "partners", OFFER_LAUNCHED: "offers"}.get(kind)


# The types each stage's step reads (the others leave the stage as it was).
LEVEL_TYPES = frozenset({METRIC_REPORTED, SALES_REPORTED, PARTNER_SIGNED, OFFER_LAUNCHED})
MONEY_TYPES = frozenset({FUNDING_COMMITTED, FUNDING_GRANTED, RETURN_RECEIVED, STAKE_VALUED})


def finish(state: VentureState) -> VentureFold:
    """The venture's figures from the steps' state (which it leaves as it was)."""
    claims = list(state.claims[p] for p in sorted(state.claims))
    years = revenue_by_year(claims)
    jobs = state.levels.get("jobs", [])
    money = money_of_sums(state.money,
                          revenue_to_date=sum((y.revenue for y in years.values()), Decimal(0)),
                          jobs=latest(jobs),
                          revenue_evidence=weakest(y.evidence for y in years.values()),
                          jobs_evidence=jobs[-1].evidence if jobs else None)
    closed_on = state.closure[0] if state.closure else None
    used = {p for y in years.values() for p in y.periods}
    return VentureFold(
        state.info,
        closed_on,
        state.closure[1] if state.closure else None,
        claims, years, money,
        targets_of_sets(state.info.venture, state.targets, state.levels, years, closed_on),
        with_disputes(state.timeline, claims) if state.timeline is not None else [],
        [c for c in claims if c.disputed and c.period in used],
        dict(state.claim_sources),
    )


def replay(venture: str, events: Iterable[Event], *, as_of: date | None,
           known_at: datetime | None = None, timeline: bool = True) -> VentureState | None:
    """One venture's state from its facts as of a date, as known at a time (None: no
    filter): the contract's rule applied first (`effective`), then `step` over the
    venture's effective events in contract order.

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
    state = VentureState(info, timeline=[] if timeline else None)
    for event in mine:
        step(state, event, eff.cited.get(event.id, ()))
    return state


def steppable(state: VentureState, events: list[Event]) -> bool:
    """Whether a venture's new facts (after those its state holds, in position order) can
    be stepped onto its state: none amends an earlier event (a correction, a retraction)
    or registers anything, each is the venture's own, and each sorts after every event
    stepped so far (none is back-dated). Otherwise the venture is replayed from its facts.
    Stepping them then gives the state `replay` gives (the same steps, in the same order).
    """
    last = state.last
    for event in events:
        if (event.type in AMENDMENTS or event.type in REGISTRATIONS
                or event.venture != state.info.venture):
            return False
        key = order_key(event)
        if last is not None and key < last:
            return False
        last = key
    return bool(events)


def fold_venture(venture: str, events: Iterable[Event], *, as_of: date | None,
                 known_at: datetime | None = None, timeline: bool = True
                 ) -> VentureFold | None:
    """Fold one venture from its facts as of a date, as known at a time (None: no filter):
    `finish` of its `replay` (None when the venture is not present)."""
    state = replay(venture, events, as_of=as_of, known_at=known_at, timeline=timeline)
    return None if state is None else finish(state)


def present_programs(programs: dict[str, ProgramInfo], ventures: Iterable[VentureInfo],
                     as_of: date | None) -> dict[str, ProgramInfo]:
    """The programs a report shows, by slug: registered on or before the as-of date, or
    with a venture present then."""
    present = {v.program for v in ventures}
    return {slug: p for slug, p in sorted(programs.items())
            if slug in present or as_of is None or p.registered_on <= as_of}
