"""Levels of a venture's metrics: yearly revenue and the running counts.

- Revenue of a year: its chosen annual claim, else the sum of its quarters' chosen claims.
- customers, jobs: the latest reported value on or before a date.
- partners, offers: the latest reported total plus every signing / launch after it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from outcomes.ledger.model import Event
from outcomes.ledger.schema import (
    METRIC_REPORTED,
    OFFER_LAUNCHED,
    PARTNER_SIGNED,
    SALES_REPORTED,
)
from outcomes.projections.folds.claims import PeriodClaims, grade_of, weakest
from outcomes.projections.folds.effective import order_key


@dataclass(frozen=True)
class YearRevenue:
    """A year's revenue and the claims behind it."""

    year: int
    revenue: Decimal
    basis: str  # "annual" or "quarters"
    periods: tuple[str, ...]  # the periods whose chosen claims make it up
    claims: int  # claims for those periods, chosen or not
    low: Decimal  # the year's revenue had every period taken its lowest claim
    high: Decimal  # ... its highest
    evidence: str | None = None  # the weakest grade of the chosen claims it adds up

    @property
    def disputed(self) -> bool:
        return self.claims > len(self.periods)


def revenue_by_year(claims: Iterable[PeriodClaims]) -> dict[int, YearRevenue]:
    """Revenue per year: the annual claim wins over quarters; quarters add up (even if
    only some of them are claimed yet)."""
    by_year: dict[int, list[PeriodClaims]] = {}
    for c in claims:
        by_year.setdefault(c.year, []).append(c)
    out: dict[int, YearRevenue] = {}
    for year in sorted(by_year):
        annual = [c for c in by_year[year] if c.annual]
        used = annual if annual else sorted(by_year[year], key=lambda c: c.period)
        out[year] = YearRevenue(
            year, sum((c.chosen for c in used), Decimal(0)),
            "annual" if annual else "quarters", tuple(c.period for c in used),
            sum(c.claims for c in used), sum((c.low for c in used), Decimal(0)),
            sum((c.high for c in used), Decimal(0)), weakest(c.evidence for c in used))
    return out


@dataclass(frozen=True)
class Observation:
    """The level of a count metric just after one event, and its evidence grade (a
    signing or launch added to a reported total: the weaker of the two)."""

    on: date
    position: int
    level: int
    evidence: str | None = None


def observe(metric: str, prior: Observation | None, event: Event) -> Observation | None:
    """The step of a count metric's level: the observation after `event` (which sorts
    after `prior`, the last one; None before any), or None if the event does not change it.

    A reported total resets the level; signings (partners) and launches (offers) after it
    add to it; with no total yet, they add up from zero.
    """
    f = event.fields
    level, grade = (None, None) if prior is None else (prior.level, prior.evidence)
    if event.type == METRIC_REPORTED and f["metric"] == metric:
        level, grade = f["value"], grade_of(event)
    elif metric == "customers" and event.type == SALES_REPORTED and "customers" in f:
        level, grade = f["customers"], grade_of(event)
    elif metric == "partners" and event.type == PARTNER_SIGNED:
        level, grade = (level or 0) + f["count"], weakest((grade, grade_of(event)))
    elif metric == "offers" and event.type == OFFER_LAUNCHED:
        level, grade = (level or 0) + 1, weakest((grade, grade_of(event)))
    else:
        return None
    return Observation(event.occurred_on, event.position, level, grade)


def history(events: Iterable[Event], metric: str) -> list[Observation]:
    """Every change of a count metric's level, in contract order (occurred_on, position):
    `observe` over the events in that order."""
    out: list[Observation] = []
    for event in sorted(events, key=order_key):
        seen = observe(metric, out[-1] if out else None, event)
        if seen is not None:
            out.append(seen)
    return out


def observed_at(observations: list[Observation], on: date) -> Observation | None:
    """The observation that holds on a date (None before the first one)."""
    index = bisect.bisect_right([o.on for o in observations], on)
    return observations[index - 1] if index else None


def level_at(observations: list[Observation], on: date) -> int | None:
    """The level on a date (None before the first observation)."""
    seen = observed_at(observations, on)
    return None if seen is None else seen.level


def latest(observations: list[Observation]) -> int | None:
    return observations[-1].level if observations else None
