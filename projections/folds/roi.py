"""Return on taxpayer investment, per venture and per program.

Two steps, both pure: `fold_money` sums a venture's effective money events (nothing in
it depends on the as-of date once the events are filtered), and `evaluate` derives the
ratios and the XIRR, whose residual-value flow is dated on the as-of date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal

from outcomes.ledger.model import Event
from outcomes.ledger.schema import FUNDING_COMMITTED, FUNDING_GRANTED, RETURN_RECEIVED, STAKE_VALUED
from outcomes.projections.folds.claims import grade_of, weakest
from outcomes.projections.folds.effective import order_key
from outcomes.projections.folds.numbers import RATIO_PLACES, ZERO, divide, to_cents
from outcomes.projections.folds.xirr import find_roots, to_rate

Flows = tuple[tuple[date, Decimal], ...]


@dataclass(frozen=True)
class Money:
    """A venture's (or a program's) money and the figures its ratios need."""

    public_committed: Decimal = ZERO
    public_granted: Decimal = ZERO
    private_granted: Decimal = ZERO
    returned: Decimal = ZERO
    residual_value: Decimal | None = None  # None: unknown (no StakeValued)
    flows: Flows = ()  # public flows summed per date: grants < 0, returns > 0
    revenue_to_date: Decimal = ZERO
    jobs: int | None = None
    unvalued: bool = False  # programs: a funded venture has no valuation (a lower bound)
    # The evidence grade of each figure made of recorded events (GRADED): the weakest of
    # the events it sums (a residual value, jobs: the latest's); a figure no event makes
    # (nothing returned) has none.
    grades: dict[str, str] = field(default_factory=dict)

    @property
    def residual_unknown(self) -> bool:
        return self.residual_value is None or self.unvalued


# The figures of a roi row that recorded events make, and so have an evidence grade.
GRADED = ("public_committed", "public_granted", "private_granted", "returned",
          "residual_value", "revenue_to_date", "jobs")


@dataclass
class MoneySums:
    """The state of `fold_money`'s steps: the sums so far, the public flows per date, the
    weakest grade of each sum's events, and the latest StakeValued (its contract order key,
    value and grade)."""

    public_committed: Decimal = ZERO
    public_granted: Decimal = ZERO
    private_granted: Decimal = ZERO
    returned: Decimal = ZERO
    flows: dict[date, Decimal] = field(default_factory=dict)
    grades: dict[str, str] = field(default_factory=dict)
    residual_key: tuple[date, int] | None = None
    residual_value: Decimal | None = None
    residual_grade: str | None = None


def add_money(sums: MoneySums, event: Event) -> None:
    """The step of a venture's money: add one effective event (in contract order)."""
    f = event.fields
    kind = event.type
    if kind == FUNDING_COMMITTED and f["public"]:
        sums.public_committed += f["amount"]
        _grade(sums, "public_committed", event)
    elif kind == FUNDING_GRANTED:
        if f["public"]:
            sums.public_granted += f["amount"]
            sums.flows[event.occurred_on] = sums.flows.get(event.occurred_on, ZERO) - f["amount"]
            _grade(sums, "public_granted", event)
        else:
            sums.private_granted += f["amount"]
            _grade(sums, "private_granted", event)
    elif kind == RETURN_RECEIVED and f["public"]:
        sums.returned += f["amount"]
        sums.flows[event.occurred_on] = sums.flows.get(event.occurred_on, ZERO) + f["amount"]
        _grade(sums, "returned", event)
    elif kind == STAKE_VALUED and (sums.residual_key is None
                                   or order_key(event) > sums.residual_key):
        sums.residual_key = order_key(event)
        sums.residual_value = f["value"]
        sums.residual_grade = grade_of(event)


def _grade(sums: MoneySums, name: str, event: Event) -> None:
    """A sum's grade: the weakest of its events' (the first of equals, as `weakest`)."""
    sums.grades[name] = weakest((sums.grades.get(name), grade_of(event)))  # type: ignore[assignment]


def money_of_sums(sums: MoneySums, *, revenue_to_date: Decimal = ZERO,
                  jobs: int | None = None, revenue_evidence: str | None = None,
                  jobs_evidence: str | None = None) -> Money:
    """The Money of the steps' state; revenue to date and jobs, with their grades, come
    with it (they are folded elsewhere)."""
    grades = dict(sums.grades)
    if sums.residual_key is not None:
        grades["residual_value"] = sums.residual_grade  # type: ignore[assignment]
    grades |= {"revenue_to_date": revenue_evidence, "jobs": jobs_evidence}  # type: ignore[dict-item]
    return Money(sums.public_committed, sums.public_granted, sums.private_granted,
                 sums.returned, sums.residual_value, tuple(sorted(sums.flows.items())),
                 revenue_to_date, jobs,
                 grades={n: g for n in GRADED if (g := grades.get(n)) is not None})


def fold_money(events: Iterable[Event], *, revenue_to_date: Decimal = ZERO,
               jobs: int | None = None, revenue_evidence: str | None = None,
               jobs_evidence: str | None = None) -> Money:
    """Sum one venture's effective events (any order: `add_money` over them in contract
    order). The grades of revenue to date and jobs come with them (folded elsewhere)."""
    sums = MoneySums()
    for event in sorted(events, key=order_key):
        add_money(sums, event)
    return money_of_sums(sums, revenue_to_date=revenue_to_date, jobs=jobs,
                         revenue_evidence=revenue_evidence, jobs_evidence=jobs_evidence)


def combine(ventures: Sequence[Money]) -> Money:
    """A program's money: sums over its ventures, flows merged by date.

    The program's residual value is the sum of the known ones; it is None (unknown) when
    no venture has one, and the program is `unvalued` (its net and multiple are lower
    bounds) when any venture that received public money has none.
    """
    flows: dict[date, Decimal] = {}
    for m in ventures:
        for on, amount in m.flows:
            flows[on] = flows.get(on, ZERO) + amount
    known = [m.residual_value for m in ventures if m.residual_value is not None]
    jobs = [m.jobs for m in ventures if m.jobs is not None]
    return Money(
        sum((m.public_committed for m in ventures), ZERO),
        sum((m.public_granted for m in ventures), ZERO),
        sum((m.private_granted for m in ventures), ZERO),
        sum((m.returned for m in ventures), ZERO),
        sum(known, ZERO) if known else None,
        tuple(sorted(flows.items())),
        sum((m.revenue_to_date for m in ventures), ZERO),
        sum(jobs) if jobs else None,
        unvalued=any(m.residual_value is None and m.public_granted > 0 for m in ventures),
        grades={n: g for n in GRADED
                if (g := weakest(m.grades.get(n) for m in ventures)) is not None},
    )


@dataclass(frozen=True)
class Rate:
    """The irr of some money as of a date, or the reason there is none.

    `roots` are every rate at which the flows' net present value changes sign (the irr
    alone when there is one); `lower_bound`: the irr is a lower bound, because the
    residual value is unknown and the flows go from payments to returns in one sign
    change, so any residual value could only raise it.
    """

    irr: Decimal | None
    note: str | None
    roots: tuple[Decimal, ...] = ()
    lower_bound: bool = False


@dataclass(frozen=True)
class Returns:
    """The derived figures of `Money` as of a date (ratios exact, in Decimal)."""

    net: Decimal
    multiple: Decimal | None
    irr: Decimal | None
    irr_note: str | None
    irr_roots: tuple[Decimal, ...]
    irr_lower_bound: bool
    revenue_per_public_euro: Decimal | None
    leverage: Decimal | None
    cost_per_job: Decimal | None  # an amount, to the cent
    lower_bound: bool  # residual value unknown: net and multiple are lower bounds


def evaluate(money: Money, as_of: date | None, rate: Rate | None = None) -> Returns:
    """The contract's formulas over `money`, the residual value dated `as_of`.

    Only the irr depends on the date; with `as_of` None it is left out (None, no note).
    `rate` is the irr already computed for this money and date (the read model's cache).
    """
    inflow = money.returned + (money.residual_value or ZERO)
    if rate is None:
        rate = rate_of_return(money, as_of) if as_of is not None else Rate(None, None)
    cost = divide(money.public_granted, Decimal(money.jobs)) if money.jobs else None
    return Returns(
        net=inflow - money.public_granted,
        multiple=divide(inflow, money.public_granted),
        irr=rate.irr, irr_note=rate.note, irr_roots=rate.roots,
        irr_lower_bound=rate.lower_bound,
        revenue_per_public_euro=divide(money.revenue_to_date, money.public_granted),
        leverage=divide(money.private_granted, money.public_granted),
        cost_per_job=None if cost is None else to_cents(cost),
        lower_bound=money.residual_unknown,
    )


# Beyond this log(1 + r), about 1e+300, a rate is no longer a JSON number.
LARGEST_LOG = 690.0
WIDE = Context(prec=400)


def rate_of_return(money: Money, as_of: date) -> Rate:
    """XIRR of the public flows (actual/365): the one rate at which their net present
    value changes sign, or None with the reason (none, or several: listed)."""
    if money.public_granted == 0:
        return Rate(None, "nothing granted")
    residual = money.residual_value or ZERO
    if money.returned == 0 and residual == 0:
        if money.residual_unknown:
            return Rate(None, "no inflow: nothing returned and the residual value is unknown")
        return Rate(None, "total loss: nothing returned and the stake is written off")
    flows = list(money.flows)
    if residual > 0:
        flows.append((as_of, residual))
    if len({on for on, _ in flows}) < 2:
        return Rate(None, "no solution: all flows fall on one date")
    found = find_roots(flows)
    roots = tuple(to_rate(x) for x in found.logs if x <= LARGEST_LOG)
    too_large = len(found.logs) - len(roots)
    if len(found.logs) == 1 and not too_large:
        return Rate(roots[0], None, roots, money.residual_unknown
                    and found.sign_changes == 1 and found.outflow_first)
    if found.logs:
        at = [percent(r) for r in roots] + (
            [] if not too_large else ["a rate above 1e+300"] if too_large == 1
            else [f"{too_large} rates above 1e+300"])
        if len(at) == 1:
            return Rate(None, "no solution below 1e+300: the flows' net present value is "
                              "zero only at a rate above it", roots)
        return Rate(None, "several solutions: the flows' net present value is zero at "
                          + ", ".join(at[:-1]) + " and " + at[-1], roots)
    if found.flows == 0:
        return Rate(None, "no single solution: the flows net to zero on every date, so "
                          "every rate makes their net present value zero")
    return Rate(None, "no solution: no rate makes the flows' net present value zero")


def percent(ratio: Decimal) -> str:
    """A rate as the note gives it: rounded as JSON rounds ratios, as a percentage."""
    rounded = ratio.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP, context=WIDE)
    return f"{WIDE.multiply(rounded, 100):.4f}%"
