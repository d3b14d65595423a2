"""Deterministic synthetic ledgers in the contract's JSON Lines format.

`generate(N, K, V, seed)` yields N valid event lines over K programs and V ventures: every
line can be imported, in order, into an empty ledger. The history runs from 2000-01-01 to
2024-12-31 with `occurred_on` never decreasing along the file. Each venture lives a few years
somewhere in that span and gets about N / V events (a registration, commitments, targets and
revisions, grants, offers, partner batches, quarterly and annual sales with about one claim in
ten disputed by a second one, reported metrics, returns and valuations, corrections and
retractions of its own earlier events); about one venture in seven is closed at the end of its
history (followed only by a write-off or a stake sale). Programs are registered just before
their first venture; the ventures of one program form a cohort.

`extra=E` yields E more lines after the N, all dated 2024-12-31, that are valid once the N are
recorded (the benchmark imports them 1,000 at a time); the N lines are the same whatever E is.

Everything is drawn from `random.Random` seeded by `seed`: the same arguments give the same
bytes on any machine. Lines are produced one at a time; memory grows with the number of
ventures, not with N.

    python -m bench.generate 1000000 -o ledger.jsonl [--seed 7] \\
        [--extra 10000 --extra-out tail.jsonl]
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import json
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

GENERATOR_VERSION = 1  # bump when the output for a given seed changes (invalidates caches)

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2024, 12, 31)
SPAN = (LAST_DAY - FIRST_DAY).days
DATES = [FIRST_DAY + timedelta(days=d) for d in range(SPAN + 1)]
ISO = [d.isoformat() for d in DATES]
TAIL_DATE = LAST_DAY.isoformat()

MIN_PER_VENTURE = 8  # registration, commitment, three targets, a grant, closure, write-off
CLOSE_SHARE = 0.15
RECENT = 8  # recent sales claims a venture remembers (for disputes)
CANDIDATES = 16  # recent events a venture may correct or retract

# The mix after each venture's opening events (relative weights); a kind that does not
# apply at that moment (a quarter already reported, nothing to correct) becomes a metric.
MIX = (
    ("sales_quarter", 32),
    ("sales_year", 8),
    ("sales_dispute", 3),
    ("metric", 15),
    ("grant", 10),
    ("commit", 2),
    ("offer", 6),
    ("partner", 6),
    ("target_revision", 2),
    ("return", 3),
    ("valuation", 3),
    ("correction", 2),
    ("retraction", 1),
)
TAIL_MIX = (
    ("sales_dispute", 20),
    ("sales_quarter", 10),
    ("metric", 30),
    ("grant", 10),
    ("offer", 10),
    ("partner", 10),
    ("return", 3),
    ("valuation", 4),
    ("correction", 2),
    ("retraction", 1),
)
OPENING = ("register", "commit_public", "target_revenue", "target_jobs", "target_partners",
           "first_money")

# What a correction may change, by the corrected event's type.
CORRECTABLE = {
    "FundingCommitted": "amount",
    "FundingGranted": "amount",
    "ReturnReceived": "amount",
    "StakeValued": "value",
    "TargetSet": "value",
    "SalesReported": "revenue",
    "MetricReported": "value",
    "PartnerSigned": "count",
    "OfferLaunched": "segment",
}
FUNDERS = ("State", "Caisse des Depots", "Bpifrance", "Region Grand Est", "Region Occitanie",
           "European Investment Fund")
PRIVATE = ("Orange", "SFR", "Thales", "Atos", "Dassault Systemes", "a private investor")
SEGMENTS = ("households", "small businesses", "large accounts", "public sector")
PARTNER_KINDS = ("reseller", "integrator", "distributor", "operator")
OUTCOMES = ("acquired", "merged", "liquidated", "wound_down", "other")


def venture_slug(i: int) -> str:
    return f"venture-{i:06d}"


def program_slug(j: int) -> str:
    return f"program-{j:03d}"


OPEN_VENTURE = venture_slug(0)  # never closed: a valid target for new events dated 2024-12-31


def default_ventures(n_events: int) -> int:
    """About 100 events per venture: 10,000 ventures for 1,000,000 events."""
    return max(1, n_events // 100)


def default_programs(n_ventures: int) -> int:
    """About 100 ventures per program: 100 programs for 10,000 ventures."""
    return max(1, n_ventures // 100)


def money(x: float) -> str:
    """A positive amount with exactly two decimal places."""
    return f"{max(x, 1.0):.2f}"


def _cumulative(mix: tuple[tuple[str, int], ...]) -> tuple[list[str], list[float]]:
    total = sum(w for _, w in mix)
    kinds, cum, acc = [], [], 0
    for kind, w in mix:
        acc += w
        kinds.append(kind)
        cum.append(acc / total)
    return kinds, cum


MIX_KINDS, MIX_CUM = _cumulative(MIX)
TAIL_KINDS, TAIL_CUM = _cumulative(TAIL_MIX)


class Venture:
    """What the generator remembers of one venture (kept small: the tail reuses it)."""

    __slots__ = ("index", "slug", "program", "closed", "scale", "committed", "start",
                 "start_quarter", "recent", "candidates", "jobs", "customers", "partners",
                 "offers", "seq")

    def __init__(self, index: int, program: str, scale: float, start: int) -> None:
        self.index = index
        self.slug = venture_slug(index)
        self.program = program
        self.closed = False
        self.scale = scale  # size of the venture: amounts scale with it
        self.committed = 0.0
        self.start = start  # day index of its registration
        d = DATES[start]
        self.start_quarter = (d.year, (d.month - 1) // 3 + 1)
        self.recent: list[tuple[str, float]] = []  # (period, revenue) of recent claims
        # (id, field, value) of recent events it may correct or retract
        self.candidates: list[tuple[str, str, Any]] = []
        self.jobs = 2 + int(scale * 3)
        self.customers = 0
        self.partners = 0
        self.offers = 0
        self.seq = 0

    def remember(self, event: dict[str, Any]) -> None:
        name = CORRECTABLE.get(event["type"])
        if name is not None:
            self.candidates.append((event["id"], name, event.get(name)))
            if len(self.candidates) > CANDIDATES:
                del self.candidates[0]


def _quarter_before(day: int) -> tuple[int, int]:
    d = DATES[day]
    q = (d.month - 1) // 3
    return (d.year - 1, 4) if q == 0 else (d.year, q)


def _base(etype: str, event_id: str, v: Venture) -> dict[str, Any]:
    return {"type": etype, "id": event_id, "venture": v.slug}


def _finish(event: dict[str, Any], day: int, v: Venture, rng: random.Random,
            source: str | None = None) -> dict[str, Any]:
    event["occurred_on"] = ISO[day]
    event["source"] = source or f"https://example.org/{v.slug}/{event['id']}"
    if rng.random() < 0.05:
        event["note"] = "figure taken from the annual report"
    return event


def _revenue(v: Venture, day: int, rng: random.Random) -> float:
    """Quarterly revenue: grows with the venture's age, with noise."""
    years = max(0.0, (day - v.start) / 365.25)
    return v.scale * 40_000 * (1.35 ** min(years, 12)) * rng.uniform(0.6, 1.4)


def _target_due(day: int, rng: random.Random) -> str:
    return f"{DATES[day].year + rng.randint(3, 6)}-12-31"


def _event(kind: str, v: Venture, day: int, event_id: str, rng: random.Random,
           reported: set[str] | None) -> dict[str, Any] | None:
    """One event of `kind` for venture `v` on `day`, or None when it does not apply now."""
    s = v.scale
    if kind == "commit_public" or kind == "commit":
        public = kind == "commit_public" or rng.random() < 0.5
        amount = s * rng.uniform(0.5e6, 3e6)
        e = _base("FundingCommitted", event_id, v)
        e["amount"] = money(amount)
        e["funder"] = rng.choice(FUNDERS) if public else rng.choice(PRIVATE)
        e["public"] = public
        e["instrument"] = rng.choice(("equity", "equity", "grant", "loan"))
        if public:
            v.committed += amount
    elif kind == "grant" or kind == "first_money":
        public = rng.random() < 0.8
        e = _base("FundingGranted", event_id, v)
        e["amount"] = money(max(v.committed, s * 1e6) * rng.uniform(0.05, 0.3))
        e["funder"] = rng.choice(FUNDERS) if public else rng.choice(PRIVATE)
        if not public:
            e["public"] = False
        e["instrument"] = rng.choice(("equity", "grant", "loan"))
    elif kind.startswith("target_"):
        metric = kind[len("target_"):]
        if metric == "revision":
            metric = rng.choice(("revenue", "jobs", "partners"))
        e = _base("TargetSet", event_id, v)
        e["metric"] = metric
        if metric == "revenue":
            e["value"] = money(s * rng.uniform(1e6, 8e6))
        elif metric == "jobs":
            e["value"] = str(v.jobs * rng.randint(3, 20))
            e["baseline"] = str(v.jobs)
        else:
            e["value"] = str(rng.randint(10, 400))
        e["due"] = _target_due(day, rng)
    elif kind == "sales_quarter" or kind == "sales_year":
        if kind == "sales_quarter":
            y, q = _quarter_before(day)
            if (y, q) < v.start_quarter:
                return None
            period, revenue = f"{y}-Q{q}", _revenue(v, day, rng)
        else:
            y = DATES[day].year - 1
            if y < v.start_quarter[0]:
                return None
            period, revenue = f"{y}", 4 * _revenue(v, day, rng)
        if reported is not None:
            if period in reported:
                return None
            reported.add(period)
        e = _base("SalesReported", event_id, v)
        e["period"] = period
        e["revenue"] = money(revenue)
        if rng.random() < 0.3:
            v.customers += rng.randint(0, 40)
            e["customers"] = v.customers
        v.recent.append((period, revenue))
        if len(v.recent) > RECENT:
            del v.recent[0]
    elif kind == "sales_dispute":
        if not v.recent:
            return None
        period, revenue = rng.choice(v.recent)
        e = _base("SalesReported", event_id, v)
        e["period"] = period
        e["revenue"] = money(revenue * rng.uniform(0.7, 1.3))
        return _finish(e, day, v, rng, f"https://press.example.org/{v.slug}/{event_id}")
    elif kind == "metric":
        metric = rng.choice(("jobs", "jobs", "customers", "partners"))
        if metric == "jobs":
            v.jobs = max(1, v.jobs + rng.randint(-2, 6))
            value = v.jobs
        elif metric == "customers":
            v.customers += rng.randint(0, 60)
            value = v.customers
        else:
            v.partners += rng.randint(0, 5)
            value = v.partners
        e = _base("MetricReported", event_id, v)
        e["metric"] = metric
        e["value"] = value
    elif kind == "offer":
        v.offers += 1
        e = _base("OfferLaunched", event_id, v)
        e["offer"] = f"Offer {v.offers}"
        if rng.random() < 0.5:
            e["segment"] = rng.choice(SEGMENTS)
    elif kind == "partner":
        count = rng.randint(1, 20)
        v.partners += count
        e = _base("PartnerSigned", event_id, v)
        e["partner"] = f"Partner batch {v.partners}"
        e["kind"] = rng.choice(PARTNER_KINDS)
        e["count"] = count
    elif kind == "return":
        e = _base("ReturnReceived", event_id, v)
        e["amount"] = money(s * rng.uniform(1e4, 5e5))
        e["kind"] = rng.choice(("dividend", "interest", "repayment"))
        if rng.random() < 0.1:
            e["public"] = False
    elif kind == "valuation":
        e = _base("StakeValued", event_id, v)
        e["value"] = money(max(v.committed, s * 1e6) * rng.uniform(0.1, 2.5))
    elif kind == "correction":
        if not v.candidates:
            return None
        target, name, old = rng.choice(v.candidates)
        e = {"type": "EventCorrected", "id": event_id, "event": target,
             "changes": {name: _restated(old, name, rng)},
             "reason": "restated in the audited accounts"}
    elif kind == "retraction":
        if not v.candidates:
            return None
        target, _, _ = v.candidates.pop(rng.randrange(len(v.candidates)))
        e = {"type": "EventRetracted", "id": event_id, "event": target,
             "reason": "withdrawn by its source"}
    elif kind == "close":
        outcome = rng.choice(OUTCOMES)
        e = _base("VentureClosed", event_id, v)
        e["outcome"] = outcome
        if outcome in ("acquired", "merged"):
            e["acquirer"] = rng.choice(PRIVATE[:-1])
        v.closed = True
        v.candidates.clear()  # nothing of a closed venture is corrected in this generator
    elif kind == "after_close":
        # Only returns, valuations, reports, corrections and retractions after a closure.
        if rng.random() < 0.5:
            e = _base("StakeValued", event_id, v)
            e["value"] = "0.00"
        else:
            e = _base("ReturnReceived", event_id, v)
            e["amount"] = money(max(v.committed, s * 1e6) * rng.uniform(0.01, 0.5))
            e["kind"] = "stake_sale"
    else:
        raise ValueError(f"unknown kind {kind!r}")
    if "amount" in e and rng.random() < 0.05:
        e["currency"] = "EUR"
    return _finish(e, day, v, rng)


def _restated(old: Any, name: str, rng: random.Random) -> Any:
    """A corrected value near the original, written the way the original was."""
    if name == "segment" or old is None:
        return rng.choice(SEGMENTS)
    factor = rng.uniform(0.8, 1.2)
    if isinstance(old, int):
        return max(1, round(old * factor))
    if "." in old:
        return money(float(old) * factor)
    return str(max(1, round(int(old) * factor)))


def _fallback(v: Venture, day: int, event_id: str, rng: random.Random) -> dict[str, Any]:
    e = _event("metric", v, day, event_id, rng, None)
    assert e is not None
    return e


def _venture_lines(v: Venture, budget: int, start: float, end: float, close: bool,
                   program: dict[str, Any] | None, seed: int) -> Iterator[tuple[float, str]]:
    """(time, line) for each of the venture's `budget` events (plus its program's
    registration when it is the program's first venture), times never decreasing."""
    rng = random.Random(seed * 1_000_003 + v.index)
    suffix = ("close", "after_close") if close else ()
    plan = list(OPENING[:max(1, budget - len(suffix))])
    reported: set[str] = set()
    step = (end - start) / max(budget - 1, 1)
    for k in range(budget):
        t = start + step * k
        day = min(SPAN, max(0, int(t * SPAN)))
        event_id = f"{v.slug}-{k:04d}"
        if k < len(plan):
            kind = plan[k]
        elif k >= budget - len(suffix):
            kind = suffix[k - (budget - len(suffix))]
        else:
            kind = MIX_KINDS[_pick(MIX_CUM, rng.random())]
        if kind == "register":
            if program is not None:
                program["occurred_on"] = ISO[day]
                yield t, json.dumps(program)
            e: dict[str, Any] | None = {
                "type": "VentureRegistered", "id": event_id, "venture": v.slug,
                "name": f"Venture {v.index}", "program": v.program}
            if rng.random() < 0.5:
                e["identifier"] = f"{rng.randrange(10**8, 10**9)}"  # type: ignore[index]
            e = _finish(e, day, v, rng)  # type: ignore[arg-type]
        else:
            e = _event(kind, v, day, event_id, rng, reported) or _fallback(v, day, event_id, rng)
        v.remember(e)
        yield t, json.dumps(e)


def _pick(cum: list[float], x: float) -> int:
    return min(bisect.bisect_right(cum, x), len(cum) - 1)


def _program_event(j: int, rng: random.Random) -> dict[str, Any]:
    slug = program_slug(j)
    return {"type": "ProgramRegistered", "id": slug, "program": slug, "name": f"Program {j}",
            "funder": rng.choice(FUNDERS), "currency": "EUR",
            "budget": money(rng.uniform(50e6, 2e9)), "occurred_on": None,
            "source": f"https://example.org/{slug}/decree"}


def generate(n_events: int, n_programs: int | None = None, n_ventures: int | None = None,
             seed: int = 0, extra: int = 0) -> Iterator[str]:
    """Yield `n_events` (then `extra`) JSON lines, without their newline characters."""
    v_count = n_ventures if n_ventures is not None else default_ventures(n_events)
    k_count = n_programs if n_programs is not None else default_programs(v_count)
    if v_count < 1 or not 1 <= k_count <= v_count:
        raise ValueError("need at least one venture and 1 <= programs <= ventures")
    if n_events < k_count + MIN_PER_VENTURE * v_count:
        raise ValueError(f"{n_events} events are too few for {k_count} programs and "
                         f"{v_count} ventures (at least {MIN_PER_VENTURE} per venture)")
    rng = random.Random(seed)
    total = n_events - k_count
    base, rem = divmod(total, v_count)
    budgets = [base + (1 if i < rem else 0) for i in range(v_count)]
    for a in range(0, v_count - 1, 2):
        room = min(budgets[a], budgets[a + 1]) - MIN_PER_VENTURE
        d = rng.randint(0, room // 2) if room > 0 else 0
        if rng.random() < 0.5:
            d = -d
        budgets[a] += d
        budgets[a + 1] -= d
    ventures: list[Venture] = []
    heap: list[tuple[float, int, str | None, Iterator[tuple[float, str]] | None]] = []
    plans = []
    for i in range(v_count):
        birth = 0.9 * (i + rng.random()) / v_count
        end = min(1.0, birth + rng.uniform(0.12, 0.4))
        close = i > 0 and budgets[i] >= MIN_PER_VENTURE + 2 and rng.random() < CLOSE_SHARE
        j = i * k_count // v_count
        first = i == 0 or (i - 1) * k_count // v_count != j
        program = _program_event(j, rng) if first else None
        v = Venture(i, program_slug(j), 10 ** rng.uniform(0, 2), int(birth * SPAN))
        ventures.append(v)
        plans.append((birth, end, close, program))
        heap.append((birth, i, None, None))
    heapq.heapify(heap)
    emitted = 0
    while heap:
        t, i, line, lines = heapq.heappop(heap)
        if lines is None:
            birth, end, close, program = plans[i]
            plans[i] = None  # type: ignore[call-overload]
            lines = _venture_lines(ventures[i], budgets[i], birth, end, close, program, seed)
        else:
            emitted += 1
            yield line  # type: ignore[misc]
        following = next(lines, None)
        if following is not None:
            heapq.heappush(heap, (following[0], i, following[1], lines))
    assert emitted == n_events, (emitted, n_events)
    yield from _tail(ventures, extra, seed)


def _tail(ventures: list[Venture], extra: int, seed: int) -> Iterator[str]:
    """`extra` events dated 2024-12-31 on open ventures, valid after the main history."""
    rng = random.Random(seed * 7_919 + 1)
    open_ventures = [v for v in ventures if not v.closed]
    for n in range(extra):
        v = rng.choice(open_ventures)
        event_id = f"tail-{n + 1:07d}"
        kind = TAIL_KINDS[_pick(TAIL_CUM, rng.random())]
        e = _event(kind, v, SPAN, event_id, rng, None) or _fallback(v, SPAN, event_id, rng)
        v.remember(e)
        yield json.dumps(e)


def write(path: str, lines: Iterator[str], count: int | None = None) -> int:
    """Write lines (adding newlines) to `path` ('-' for stdout); at most `count` of them."""
    out = sys.stdout if path == "-" else open(path, "w", encoding="utf-8")  # noqa: SIM115
    written = 0
    try:
        for line in lines:
            out.write(line + "\n")
            written += 1
            if count is not None and written >= count:
                break
    finally:
        if out is not sys.stdout:
            out.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate",
                                     description="Write a synthetic, valid outcomes ledger "
                                     "as JSON Lines.")
    parser.add_argument("events", type=int, help="number of events (N)")
    parser.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--programs", type=int, help="K (default: ventures / 100, at least 1)")
    parser.add_argument("--ventures", type=int, help="V (default: N / 100)")
    parser.add_argument("--extra", type=int, default=0,
                        help="also write this many later events (dated 2024-12-31)")
    parser.add_argument("--extra-out", help="file for the --extra events")
    args = parser.parse_args(argv)
    if args.extra and not args.extra_out:
        parser.error("--extra needs --extra-out")
    try:
        lines = generate(args.events, args.programs, args.ventures, args.seed, args.extra)
        write(args.output, lines, args.events)
        if args.extra:
            write(args.extra_out, lines, args.extra)
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
