"""Revenue claims: several `SalesReported` for one venture and period are a dispute.

The chosen claim has the strongest evidence grade, then is the one published last (latest
occurred_on, then latest position); the others stay visible as the claim count, the low
and high values and each claim's grade. In a ledger without grades every claim is
`unspecified`, so the one published last is chosen, as before grades existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from outcomes.ledger.model import Event
from outcomes.ledger.schema import GRADES, SALES_REPORTED, UNSPECIFIED
from outcomes.projections.folds.effective import Citation, order_key


def grade_of(event: Event) -> str:
    """An event's evidence grade; `unspecified` when it has none."""
    return event.fields.get("evidence", UNSPECIFIED)


def strength(grade: str) -> int:
    """Higher for stronger evidence: audited is the strongest, unspecified the weakest."""
    return -GRADES.index(grade)


def weakest(grades: Iterable[str | None]) -> str | None:
    """The grade of a figure made of several events (a sum, a level after signings): its
    weakest part. None when no event makes it (nothing recorded, nothing to grade)."""
    known = [g for g in grades if g is not None]
    return min(known, key=strength) if known else None


def graded(grade: str | None) -> str | None:
    """The grade a report shows: None for no grade at all (unspecified, or no event), so
    that a report of a ledger without grades reads as it did before grades existed."""
    return None if grade in (None, UNSPECIFIED) else grade


def preferred(claims: Iterable[Event]) -> Event:
    """The claim a report uses: the strongest grade, then the contract's "latest"."""
    return max(claims, key=lambda e: (strength(grade_of(e)), order_key(e)))


@dataclass(frozen=True)
class Claim:
    """One claim for a period, as a dispute lists it."""

    id: str
    revenue: Decimal
    evidence: str
    occurred_on: date
    position: int


@dataclass(frozen=True)
class PeriodClaims:
    """The claims for one venture and period (`YYYY` or `YYYY-Qn`)."""

    venture: str
    period: str
    chosen: Decimal  # the revenue of the claim used
    claims: int
    low: Decimal
    high: Decimal
    position: int  # of the chosen claim
    occurred_on: date  # publication date of the chosen claim
    source: str  # of the chosen claim
    evidence: str = UNSPECIFIED  # of the chosen claim
    each: tuple[Claim, ...] = ()  # every claim, in contract order
    corrected_by: tuple[Citation, ...] = ()  # the corrections applied to the chosen claim

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def annual(self) -> bool:
        return len(self.period) == 4

    @property
    def disputed(self) -> bool:
        return self.claims > 1

    @property
    def graded(self) -> bool:
        """Whether any claim has a grade (then reports list each claim's)."""
        return any(c.evidence != UNSPECIFIED for c in self.each)


def add_claim(prior: PeriodClaims | None, event: Event,
              cited: tuple[Citation, ...] = ()) -> PeriodClaims:
    """The step of a period's claims: `prior` (the claims so far, None for none) and one
    more SalesReported that sorts after all of them in contract order (`cited`: the
    corrections applied to it). The later claim wins at equal or stronger evidence, as in
    `preferred`; low and high keep the first of equal values, as min and max do."""
    f = event.fields
    revenue, grade = f["revenue"], grade_of(event)
    claim = Claim(event.id, revenue, grade, event.occurred_on, event.position)
    if prior is None:
        return PeriodClaims(f["venture"], f["period"], revenue, 1, revenue, revenue,
                            event.position, event.occurred_on, event.source, grade, (claim,),
                            cited)
    if strength(grade) >= strength(prior.evidence):  # it sorts last: "latest" of equals
        chosen = (revenue, event.position, event.occurred_on, event.source, grade, cited)
    else:
        chosen = (prior.chosen, prior.position, prior.occurred_on, prior.source,
                  prior.evidence, prior.corrected_by)
    return PeriodClaims(prior.venture, prior.period, chosen[0], prior.claims + 1,
                        revenue if revenue < prior.low else prior.low,
                        revenue if revenue > prior.high else prior.high,
                        chosen[1], chosen[2], chosen[3], chosen[4], (*prior.each, claim),
                        chosen[5])


def choose(events: Iterable[Event], cited: Mapping[str, tuple[Citation, ...]] | None = None
           ) -> dict[tuple[str, str], PeriodClaims]:
    """The claims per (venture, period) among effective events (`add_claim` over them in
    contract order), by key; `cited` gives the corrections applied to each event
    (Effective.cited)."""
    cited = cited or {}
    out: dict[tuple[str, str], PeriodClaims] = {}
    for event in sorted(events, key=order_key):
        if event.type == SALES_REPORTED:
            key = (event.fields["venture"], event.fields["period"])
            out[key] = add_claim(out.get(key), event, cited.get(event.id, ()))
    return dict(sorted(out.items()))
