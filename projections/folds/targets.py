"""Progress against the initial targets, year by year.

`fold_target` reduces a venture's effective events to what a target report needs
(initial and current target, the actual of each year, the actual at due); `evaluate`
lays the initial target's straight-line trajectory over the years up to the as-of date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from outcomes.ledger.model import Event
from outcomes.ledger.schema import METRICS, TARGET_SET
from outcomes.projections.folds.claims import grade_of
from outcomes.projections.folds.effective import Citation, order_key
from outcomes.projections.folds.levels import (
    Observation,
    YearRevenue,
    history,
    level_at,
    observed_at,
)

ON_TRACK = Decimal("0.9")


@dataclass(frozen=True)
class Target:
    """One TargetSet, as the report shows it."""

    value: Decimal
    due: date
    set_on: date
    baseline: Decimal
    source: str
    position: int
    evidence: str | None = None  # the TargetSet's grade
    corrected_by: tuple[Citation, ...] = ()  # the corrections applied to it


@dataclass(frozen=True)
class Actual:
    """An actual figure and its evidence grade; revenue years also carry their claims
    (count, low, high)."""

    value: Decimal
    claims: int | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    evidence: str | None = None


@dataclass(frozen=True)
class TargetFacts:
    """What the events say about one venture's target for one metric."""

    venture: str
    metric: str
    initial: Target
    current: Target
    revisions: int
    actuals: dict[int, Actual]  # revenue: per year; counts: the level at 31 December
    last_year: int | None  # counts: year of the last observation (later years: `latest`)
    latest: Decimal | None  # counts: the level after every event
    at_due: Decimal | None  # revenue of the due year, or the level on the due date
    closed_on: date | None = None  # the venture's closure, if it closed (as of the report)
    latest_evidence: str | None = None  # counts: the grade of `latest`

    @property
    def end(self) -> date:
        return judged_on(self.initial, self.closed_on)


def judged_on(initial: Target, closed_on: date | None) -> date:
    """When a target is judged: its due date, or the closure if that came first (a
    venture that no longer exists cannot progress any further)."""
    if closed_on is not None and closed_on < initial.due:
        return closed_on
    return initial.due


def _target(event: Event, cited: tuple[Citation, ...]) -> Target:
    f = event.fields
    return Target(f["value"], f["due"], event.occurred_on, f.get("baseline", Decimal(0)),
                  event.source, event.position, grade_of(event), cited)


@dataclass(frozen=True)
class TargetSets:
    """The state of a metric's targets: the first TargetSet, the latest, and how many
    came after the first."""

    initial: Target
    current: Target
    revisions: int


def add_target(prior: TargetSets | None, event: Event,
               cited: tuple[Citation, ...] = ()) -> TargetSets:
    """The step of a metric's targets: one more TargetSet, after `prior` in contract order
    (`cited`: the corrections applied to it)."""
    target = _target(event, cited)
    if prior is None:
        return TargetSets(target, target, 0)
    return TargetSets(prior.initial, target, prior.revisions + 1)


def targets_of_sets(venture: str, sets: Mapping[str, TargetSets],
                    levels: Mapping[str, list[Observation]], years: dict[int, YearRevenue],
                    closed_on: date | None = None) -> list[TargetFacts]:
    """One TargetFacts per metric with a TargetSet, in the metric order of the schema, from
    the steps' state: each metric's targets and the count metrics' observations."""
    return [fold_target(venture, metric, sets[metric].initial, sets[metric].current,
                        sets[metric].revisions, levels.get(metric, []), years, closed_on)
            for metric in METRICS if metric in sets]


def fold_targets(venture: str, events: list[Event], years: dict[int, YearRevenue],
                 closed_on: date | None = None,
                 cited: Mapping[str, tuple[Citation, ...]] | None = None) -> list[TargetFacts]:
    """One TargetFacts per metric with a TargetSet, in the metric order of the schema
    (`add_target` over the events in contract order); `cited` gives the corrections
    applied to each event (Effective.cited)."""
    cited = cited or {}
    sets: dict[str, TargetSets] = {}
    for event in sorted(events, key=order_key):
        if event.type == TARGET_SET:
            metric = event.fields["metric"]
            sets[metric] = add_target(sets.get(metric), event, cited.get(event.id, ()))
    levels = {metric: history(events, metric) for metric in sets if metric != "revenue"}
    return targets_of_sets(venture, sets, levels, years, closed_on)


def fold_target(venture: str, metric: str, initial: Target, current: Target, revisions: int,
                observations: list[Observation], years: dict[int, YearRevenue],
                closed_on: date | None = None) -> TargetFacts:
    """A metric's target facts: revenue from the years, a count metric from its
    observations (`levels.history`)."""
    end = judged_on(initial, closed_on)
    if metric == "revenue":
        actuals = {y: Actual(r.revenue, r.claims, r.low, r.high, r.evidence)
                   for y, r in years.items()}
        if end == initial.due:
            at_due = years[end.year].revenue if end.year in years else None
        else:  # closed before due: the last year with revenue, up to the closure year
            before = [y for y in years if y <= end.year]
            at_due = years[max(before)].revenue if before else None
        return TargetFacts(venture, metric, initial, current, revisions, actuals, None, None,
                           at_due, closed_on)
    actuals = {}
    last_year = observations[-1].on.year if observations else None
    if last_year is not None:
        for year in range(initial.set_on.year, last_year + 1):
            seen = observed_at(observations, date(year, 12, 31))
            if seen is not None:
                actuals[year] = Actual(Decimal(seen.level), evidence=seen.evidence)
    now = observations[-1] if observations else None
    due = level_at(observations, end)
    return TargetFacts(venture, metric, initial, current, revisions, actuals, last_year,
                       None if now is None else Decimal(now.level),
                       None if due is None else Decimal(due), closed_on,
                       None if now is None else now.evidence)


def expected(target: Target, on: date) -> Decimal:
    """The straight line from (set_on, baseline) to (due, value), clamped, in days."""
    if target.due <= target.set_on:
        return target.value
    share = Decimal((on - target.set_on).days) / Decimal((target.due - target.set_on).days)
    share = min(max(share, Decimal(0)), Decimal(1))
    return target.baseline + (target.value - target.baseline) * share


@dataclass(frozen=True)
class SeriesRow:
    year: int
    on: date
    expected: Decimal  # exact; the JSON rounds it to 2 places
    actual: Actual | None

    @property
    def attainment(self) -> Decimal | None:
        if self.actual is None or self.expected == 0:
            return None
        return self.actual.value / self.expected


@dataclass(frozen=True)
class Progress:
    facts: TargetFacts
    series: list[SeriesRow]
    final_attainment: Decimal | None
    status: str


def actual_in(facts: TargetFacts, year: int, as_of: date) -> Actual | None:
    """The actual of a series row: the year's revenue, or the level at the row's date."""
    if facts.metric == "revenue":
        return facts.actuals.get(year)
    if year == as_of.year or (facts.last_year is not None and year > facts.last_year):
        return None if facts.latest is None else Actual(facts.latest,
                                                        evidence=facts.latest_evidence)
    return facts.actuals.get(year)


def evaluate(facts: TargetFacts, as_of: date) -> Progress:
    """The series from the year the initial target was set through the as-of year."""
    initial = facts.initial
    series = []
    last = as_of.year if facts.closed_on is None else min(as_of.year, facts.closed_on.year)
    for year in range(initial.set_on.year, last + 1):
        on = min(date(year, 12, 31), as_of)
        series.append(SeriesRow(year, on, expected(initial, on), actual_in(facts, year, as_of)))
    final = None
    if as_of >= facts.end:
        if facts.at_due is None:
            status = "no data"
        else:
            status = "achieved" if facts.at_due >= initial.value else "missed"
            if initial.value != 0:
                final = facts.at_due / initial.value
    else:
        measured = [row for row in series if row.actual is not None]
        if not measured:
            status = "no data"
        else:
            row = measured[-1]
            # actual >= 0.9 x expected; the same as attainment >= 0.9, and defined where
            # expected is 0 (at the very start of the line): on track.
            status = "on track" if row.actual.value >= ON_TRACK * row.expected else "behind"
    return Progress(facts, series, final, status)
