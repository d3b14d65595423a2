"""The irr sweep of issue 14: random flow sets, pyxirr (the reports' solver until then)
against `projections/folds/xirr.py`, both against the independent scan of tests/unit/test_irr.py.

    python -m tools.irr_sweep [--sets 400] [--seed 1]

Each set has 2 to 8 flows over 25 years, of one of three kinds: payments then one small
return (deep losses), a payment then flows of random signs, alternating signs. Amounts run
from 1 to 999 x 10^7. Every rate `projections/folds/xirr.py` finds is checked in Decimal on either
side; the scan (log10(1 + r) from -10 to 4) must find the same ones inside its range.
Needs the test extras (pyxirr, hypothesis).
"""

from __future__ import annotations

import argparse
import math
import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from pyxirr import DayCount, xirr

from outcomes.projections.folds.roi import rate_of_return
from outcomes.projections.folds.xirr import find_roots
from tests.unit.test_irr import HIGH, LOW, independent_roots, money, npv_at_log

Flows = list[tuple[date, Decimal]]
LINES = ["sets", "not solved: nothing returned or nothing paid", "sets with 0 rates",
         "sets with 1 rate", "sets with 2 rates", "sets with 3 rates or more",
         "one rate, pyxirr: 'no solution'", "one rate, pyxirr: another rate",
         "one rate, now: no irr", "several rates, pyxirr: one of them, unflagged",
         "  ... not the smallest", "several rates, now: an irr", "no rate, pyxirr: a rate"]


def flow_set(rng: random.Random) -> Flows:
    n = rng.randint(2, 8)
    days = sorted(rng.randint(0, 9000) for _ in range(n))
    kind = rng.choice(["loss", "mixed", "alternating"])
    flows = []
    for i, day in enumerate(days):
        size = Decimal(rng.randint(1, 999)).scaleb(rng.randint(0, 7))
        if kind == "loss":
            sign = -1 if i < n - 1 else 1
            if sign > 0:
                size = (size * Decimal(10) ** -rng.randint(0, 5)).quantize(Decimal("0.01"))
                size = size or Decimal(1)
        elif kind == "alternating":
            sign = -1 if i % 2 == 0 else 1
        else:
            sign = -1 if i == 0 else rng.choice([-1, 1])
        flows.append((date(2000, 1, 1) + timedelta(days=day), sign * size))
    return flows


def pyxirr_rate(flows: Flows) -> float | None:
    try:
        rate = xirr([d for d, _ in flows], [float(a) for _, a in flows],
                    day_count=DayCount.ACT_365F, silent=True)
    except Exception:  # noqa: BLE001 - pyxirr's errors, whatever they are: no rate
        return None
    return rate if rate is not None and math.isfinite(rate) else None


def sign_change(flows: Flows, x: float) -> bool:
    step = Decimal(repr(1e-9 * max(1.0, abs(x))))
    at = Decimal(repr(x))
    return npv_at_log(flows, at - step) * npv_at_log(flows, at + step) < 0


def sweep(sets: int, seed: int) -> tuple[Counter, list[float]]:
    rng = random.Random(seed)
    counts: Counter = Counter()
    missed: list[float] = []
    for _ in range(sets):
        flows = flow_set(rng)
        counts["sets"] += 1
        m = money(flows)
        as_of = max(d for d, _ in flows)
        if m.returned == 0 or m.public_granted == 0:
            counts["not solved: nothing returned or nothing paid"] += 1
            continue
        found = find_roots(flows)
        assert all(sign_change(flows, x) for x in found.logs), flows
        inside = [x for x in found.logs if LOW < x / math.log(10) < HIGH]
        assert len(independent_roots(flows)) == len(inside), flows
        rates = [math.expm1(x) if x < 700 else math.inf for x in found.logs]
        counts[["sets with 0 rates", "sets with 1 rate", "sets with 2 rates",
                "sets with 3 rates or more"][min(len(rates), 3)]] += 1
        old = pyxirr_rate(list(m.flows))
        new = rate_of_return(m, as_of)
        if len(rates) == 1:
            if old is None:
                counts["one rate, pyxirr: 'no solution'"] += 1
                missed.append(rates[0])
            elif abs(old - rates[0]) > 1e-6 * max(1.0, abs(rates[0])):
                counts["one rate, pyxirr: another rate"] += 1
            if new.irr is None:
                counts["one rate, now: no irr"] += 1
        elif len(rates) > 1:
            if old is not None:
                counts["several rates, pyxirr: one of them, unflagged"] += 1
                if abs(old - rates[0]) > 1e-6 * max(1.0, abs(rates[0])):
                    counts["  ... not the smallest"] += 1
            if new.irr is not None:
                counts["several rates, now: an irr"] += 1
        elif old is not None:
            counts["no rate, pyxirr: a rate"] += 1
    return counts, missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts, missed = sweep(args.sets, args.seed)
    for line in LINES:
        print(f"{counts[line]:5d}  {line}")
    if missed:
        print(f"pyxirr's false 'no solution': rates from {min(missed):.4%} to "
              f"{max(missed):.4%}, {sum(r < -0.9999 for r in missed)} below -99.99%")


if __name__ == "__main__":
    main()
