"""History: every value each reported figure of a venture has had over recording time.

The restatement report ("2014 revenue as known in 2014, as known in 2015"): a pure fold
over the events in position order. A figure is a period's revenue, a level metric, a
target or a sum of money (committed, paid or returned, public or private; the residual
value); each event that touches it (a claim or report, a commitment, payment, return or
valuation, a correction, a retraction, a target or its revision) adds one change: what the
event stated and the figure's value once the ledger knew it. Values follow the contract's
rules: the chosen revenue claim is the one with the strongest evidence grade, then the one
published last (latest occurred_on, then latest position), money sums its live events,
corrections apply, retracted events drop out; each change carries the grade of its own
event and of the figure's value. Its JSON and rows: projections/present/history.py
(docs/audit.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from outcomes.ledger.model import Event
from outcomes.ledger.schema import (
    EVENT_CORRECTED,
    EVENT_RETRACTED,
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
    VENTURE_REGISTERED,
)
from outcomes.projections.folds.claims import grade_of, preferred, weakest
from outcomes.projections.folds.effective import latest_of, order_key
from outcomes.projections.folds.levels import history as levels
from outcomes.projections.folds.levels import latest

KINDS = ("revenue", "level", "target", "money")
SET_BY = {SALES_REPORTED: "claim", METRIC_REPORTED: "report", PARTNER_SIGNED: "signing",
          OFFER_LAUNCHED: "launch", TARGET_SET: "target", FUNDING_COMMITTED: "commitment",
          FUNDING_GRANTED: "payment", RETURN_RECEIVED: "return", STAKE_VALUED: "valuation"}
# The money figures, in the order of the roi report (public, then the private side it does not
# report); each a sum of its events, but the residual value, which is the latest valuation.
MONEY = ("public_committed", "private_committed", "public_granted", "private_granted",
         "returned", "private_returned", "residual_value")
MONEY_OF = {FUNDING_COMMITTED: ("public_committed", "private_committed"),
            FUNDING_GRANTED: ("public_granted", "private_granted"),
            RETURN_RECEIVED: ("returned", "private_returned")}


@dataclass(frozen=True, order=True)
class Figure:
    """One reported figure of a venture: a period's revenue, a level metric or a target."""

    kind: str  # "revenue", "level" or "target"
    metric: str
    period: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "revenue":
            return f"revenue {self.period}"
        return f"target {self.metric}" if self.kind == "target" else self.metric

    def sort_key(self) -> tuple[int, int, str]:
        names = MONEY if self.kind == "money" else METRICS
        return KINDS.index(self.kind), names.index(self.metric), self.period or ""


@dataclass(frozen=True)
class Change:
    """One event's effect on one figure."""

    position: int
    id: str
    recorded_at: datetime
    set_by: str  # claim, report, signing, launch, initial, revision, correction, retraction
    event: str | None  # the corrected or retracted event
    stated: Any  # what the event itself said for this figure (None: nothing)
    value: Any  # the figure's value once this event was known (None: no live claim)
    claims: int | None  # live claims for a revenue figure
    occurred_on: date
    source: str
    changes: dict[str, Any] | None = None
    reason: str | None = None
    due: date | None = None
    evidence: str | None = None  # the grade of this change's own event (of its source)
    value_evidence: str | None = None  # the grade of the figure's value


@dataclass
class History:
    """Changes per figure, and the ventures registered in the events folded."""

    venture: str
    figures: dict[Figure, list[Change]] = field(default_factory=dict)
    ventures: set[str] = field(default_factory=set)

    def ordered(self) -> list[tuple[Figure, list[Change]]]:
        return sorted(self.figures.items(), key=lambda item: item[0].sort_key())


def contributions(event: Event, venture: str) -> dict[Figure, Any]:
    """What a live (corrected) event says about each figure of `venture`."""
    if event.venture != venture:
        return {}
    f = event.fields
    if event.type == SALES_REPORTED:
        out: dict[Figure, Any] = {Figure("revenue", "revenue", f["period"]): f["revenue"]}
        if f.get("customers") is not None:
            out[Figure("level", "customers")] = f["customers"]
        return out
    if event.type == METRIC_REPORTED:
        return {Figure("level", f["metric"]): f["value"]}
    if event.type == PARTNER_SIGNED:
        return {Figure("level", "partners"): f.get("count", 1)}
    if event.type == OFFER_LAUNCHED:
        return {Figure("level", "offers"): 1}
    if event.type == TARGET_SET:
        return {Figure("target", f["metric"]): f["value"]}
    if event.type in MONEY_OF:
        public, private = MONEY_OF[event.type]
        return {Figure("money", public if f.get("public", True) else private): f["amount"]}
    if event.type == STAKE_VALUED:
        return {Figure("money", "residual_value"): f["value"]}
    return {}


def value_of(figure: Figure, members: dict[str, Event], venture: str
             ) -> tuple[Any, str | None]:
    """The figure's value from its live events, by the contract's rules, and its grade."""
    if not members:
        return None, None
    if figure.kind == "level":  # the level after every live event (the levels' rule)
        observed = levels(members.values(), figure.metric)
        return latest(observed), observed[-1].evidence
    if figure.kind == "money" and figure.metric != "residual_value":  # a sum, as in roi
        return (sum(contributions(e, venture)[figure] for e in members.values()),
                weakest(grade_of(e) for e in members.values()))
    # revenue: the claim with the strongest grade, then the latest; a target, the residual
    # value: the latest
    used = preferred(members.values()) if figure.kind == "revenue" else \
        latest_of(members.values())
    return contributions(used, venture)[figure], grade_of(used)


def history(events: Iterable[Event], venture: str, metric: str | None = None) -> History:
    """Fold events (position order) into each figure's changes; `metric` keeps one metric."""
    result = History(venture)
    live: dict[str, Event] = {}  # events that can carry a figure, as corrected, any venture
    members: dict[Figure, dict[str, Event]] = defaultdict(dict)
    for event in events:
        target_id = event.get("event")
        old: Event | None = None
        new: Event | None = None
        if event.type == VENTURE_REGISTERED:
            result.ventures.add(event.fields["venture"])
            continue
        if event.type in SET_BY:
            subject, new = event.id, event
        elif event.type == EVENT_CORRECTED and target_id in live:
            subject, old = target_id, live[target_id]
            new = old.corrected(event.fields["changes"])
        elif event.type == EVENT_RETRACTED and target_id in live:
            subject, old = target_id, live.pop(target_id)
        else:
            continue
        before = contributions(old, venture) if old else {}
        after = contributions(new, venture) if new else {}
        if new is not None:
            live[subject] = new
        for figure in before:
            del members[figure][subject]
        for figure in after:
            members[figure][subject] = new  # type: ignore[assignment]
        for figure in list(before) + [f for f in after if f not in before]:
            if metric is not None and figure.metric != metric:
                continue
            changed = old is None or before.get(figure) != after.get(figure)
            stated = after.get(figure) if changed else None
            grade = grade_of(event)  # of the event of this change: its source's grade
            result.figures.setdefault(figure, []).append(
                _change(event, figure, stated, grade, members[figure], venture))
    return result


def _change(event: Event, figure: Figure, stated: Any, grade: str | None,
            members: dict[str, Event], venture: str) -> Change:
    set_by = SET_BY.get(event.type) or (
        "correction" if event.type == EVENT_CORRECTED else "retraction")
    due = None
    if event.type == TARGET_SET:
        first = min(members.values(), key=order_key)
        set_by = "initial" if first.id == event.id else "revision"
        due = event.fields["due"]
    value, value_grade = value_of(figure, members, venture)
    return Change(
        position=event.position, id=event.id, recorded_at=event.recorded_at, set_by=set_by,
        event=event.get("event"), stated=stated, value=value,
        claims=len(members) if figure.kind == "revenue" else None,
        occurred_on=event.occurred_on, source=event.source,
        changes=event.get("changes"), reason=event.get("reason"), due=due,
        evidence=grade, value_evidence=value_grade)
