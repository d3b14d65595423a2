"""Revenue claims: several `SalesReported` for one venture and period are a dispute.

The chosen claim is the one published last (latest occurred_on, then latest position);
the others stay visible as the claim count and the low and high values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from outcomes.ledger.model import Event
from outcomes.ledger.schema import SALES_REPORTED
from outcomes.projections.folds.effective import latest_of


@dataclass(frozen=True)
class PeriodClaims:
    """The claims for one venture and period (`YYYY` or `YYYY-Qn`)."""

    venture: str
    period: str
    chosen: Decimal  # the revenue of the claim published last
    claims: int
    low: Decimal
    high: Decimal
    position: int  # of the chosen claim
    occurred_on: date  # publication date of the chosen claim
    source: str  # of the chosen claim

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def annual(self) -> bool:
        return len(self.period) == 4

    @property
    def disputed(self) -> bool:
        return self.claims > 1


def choose(events: Iterable[Event]) -> dict[tuple[str, str], PeriodClaims]:
    """The claims per (venture, period) among effective events, chosen claim first in mind."""
    grouped: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        if event.type == SALES_REPORTED:
            grouped.setdefault((event.fields["venture"], event.fields["period"]), []).append(event)
    out: dict[tuple[str, str], PeriodClaims] = {}
    for (venture, period), claims in sorted(grouped.items()):
        latest = latest_of(claims)
        values = [c.fields["revenue"] for c in claims]
        out[(venture, period)] = PeriodClaims(
            venture, period, latest.fields["revenue"], len(claims), min(values), max(values),
            latest.position, latest.occurred_on, latest.source)
    return out
