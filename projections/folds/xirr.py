"""Every rate at which dated flows' net present value changes sign (XIRR, actual/365).

The net present value of flows c_i on dates d_i, at the annual rate r, is

    NPV(r) = sum_i c_i (1 + r) ** -t_i,    t_i = (d_i - d_0).days / 365

and an internal rate of return is a rate in (-100%, +inf) where NPV changes sign. With
x = log(1 + r), which maps (-100%, +inf) onto the whole real line, NPV is a sum of
exponentials, f(x) = sum_i c_i exp(-x t_i). The search sets every root apart on an
interval that holds it alone, then solves it there (`_Terms._solve`: Newton's steps kept
inside the interval, bisection where they would leave it). Four facts say where roots can
be:

1. **Bounds.** Above hi the first flow outweighs all the others together, below lo the
   last one does: no root lies outside [lo, hi] (`_Terms._bounds`).
2. **Descartes' rule of signs**, which holds for real exponents: f has at most as many
   roots as the flows, in date order, change sign. No change: no root. One change:
   exactly one, since f has the sign of the first flow at hi and of the last one at lo.
   Most flows (payments, then returns) end here.
3. **Laguerre's rule of partial sums**: with b_i = c_i exp(-x0 t_i), f has at most as many
   roots above x0 as the partial sums b_0, b_0 + b_1, ... change sign, and at most as
   many below x0 as the partial sums from the last flow back. (Above x0, f(x0 + y) / y
   is the Laplace transform of the step function of those partial sums, and a Laplace
   transform has no more sign changes than its function.) Where the bound for an
   interval is 0 or 1, the signs of f at its ends tell whether it holds a root.
4. **Bounds of each term.** On [a, b], each term of exp(x tau) f(x) (which has the roots
   of f) is monotone, so it lies between its values at a and b: if the positive terms'
   least sum outweighs the negative terms' greatest (or the reverse), f keeps one sign
   on [a, b]; if the same holds of the derivative's terms, exp(x tau) f(x) is monotone
   there and has at most one root. tau is the mean of the t_i weighted by the terms at
   the middle of [a, b], which keeps the terms that matter nearly constant.

The search starts from [lo, 0] and [0, hi], and cuts in two each interval that neither 3
nor 4 settles. Where roots lie so close together that this takes long (the terms cancel
each other, and their bounds say little), it turns to **Rolle's chain** (`_Terms._chain`),
the proof of Descartes' rule made a method: for tau between the dates of f's first sign
change, exp(x tau) g(x), with g(x) = sum_i c_i (tau - t_i) exp(-x t_i), is the derivative
of exp(x tau) f(x); g changes sign once less than f, and between two consecutive roots of
g, f has at most one. So the roots of each function down the chain, from the last (one
sign change, one root) up, set apart those of the one above it, however close they are.

Roots closer together than a float tells apart (an interval narrower than 1e-12,
relative) count as one if f changes sign across them and as none if it does not:
touching zeros are not sign changes. Everything is computed in floats, each term in
logarithms and scaled by the largest one (`_Terms._scaled`), so that neither a rate near
-100% (x -> -inf) nor a huge one overflows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# Below this width (relative to |x|), an interval is not cut again.
TINY = 1e-12
# Intervals the search looks at before it turns to Rolle's chain (plus 4 per sign change).
BUDGET = 60
# Wider intervals than this are cut before the bounds of their terms are tried.
WIDE = 4.0
# A sum of floats is trusted to this relative error only.
SLACK = 1e-9
# Where a partial sum is smaller than this share of the sum of its terms' magnitudes, its
# sign is not trusted (and Laguerre's bound is not used).
UNSURE = 1e-12
# The solver stops when its step is below this (relative to |x|).
CLOSE = 4e-16


@dataclass(frozen=True)
class Roots:
    """The sign changes of the flows' net present value, as log(1 + rate)."""

    logs: tuple[float, ...]  # x = log(1 + r) of each root, increasing
    flows: int  # nonzero flows, once summed per date
    sign_changes: int  # of those flows in date order (Descartes' bound)
    outflow_first: bool  # the first of them is negative

    @property
    def rates(self) -> tuple[Decimal, ...]:
        return tuple(to_rate(x) for x in self.logs)


def to_rate(x: float) -> Decimal:
    """r where 1 + r = exp(x), as a Decimal (beyond a float's range too)."""
    if x < 700:
        return Decimal(repr(math.expm1(x)))
    return Decimal(repr(x)).exp() - 1


def find_roots(flows: Sequence[tuple[date, Decimal]]) -> Roots:
    """Every sign change of NPV(r) on (-100%, +inf), for flows in any order (flows on
    one date are summed, zero sums left out)."""
    by_day: dict[date, Decimal] = {}
    for on, amount in flows:
        by_day[on] = by_day.get(on, Decimal(0)) + amount
    nonzero = sorted((on, amount) for on, amount in by_day.items() if amount != 0)
    if not nonzero:
        return Roots((), 0, 0, False)
    first = nonzero[0][0]
    terms = _Terms([(on - first).days / 365 for on, _ in nonzero],
                   [_log_abs(amount) for _, amount in nonzero],
                   [1 if amount > 0 else -1 for _, amount in nonzero])
    return Roots(tuple(terms.roots()), len(nonzero), terms.changes, nonzero[0][1] < 0)


def _log_abs(amount: Decimal) -> float:
    magnitude = float(abs(amount))
    if 0 < magnitude < math.inf:
        return math.log(magnitude)
    return float(abs(amount).ln())  # beyond a float's range


@dataclass(frozen=True)
class _Point:
    x: float
    value: float  # f(x), scaled: only its sign and ratios at one x mean anything
    above: int  # Laguerre's bound on the roots above x (len(ts) where unsure)
    below: int  # ... and below x


class _Terms:
    """f(x) = sum sign_i exp(log_i - x t_i), t_i increasing from 0."""

    def __init__(self, ts: list[float], logs: list[float], signs: list[int]) -> None:
        self.ts, self.logs, self.signs = ts, logs, signs
        self.changes = sum(1 for a, b in zip(signs, signs[1:], strict=False) if a != b)

    def roots(self) -> list[float]:
        if self.changes == 0:
            return []
        lo, hi = self._bounds()  # f has the last flow's sign at lo, the first's at hi
        if self.changes == 1:  # Descartes: exactly one
            return [self._solve(lo, self.signs[-1], hi)]
        roots: list[float] = []
        many = len(self.ts)  # no bound
        middle = self._point(0.0)  # r = 0: where most roots are, on either side
        if middle.value == 0:
            middle = self._split(lo, hi)
        stack = [(middle, _Point(hi, self.signs[0], 0, many)),
                 (_Point(lo, self.signs[-1], many, 0), middle)]
        budget = BUDGET + 4 * self.changes
        while stack:
            budget -= 1
            if budget < 0:  # many roots close together: Rolle's chain, exact whatever
                return self._chain()  # their number, in time linear in it
            a, b = stack.pop()
            ends_differ = (a.value > 0) != (b.value > 0)
            bound = min(a.above, b.below)
            if bound <= 1:  # Laguerre: at most one root in (a, b)
                if ends_differ:
                    roots.append(self._solve(a.x, a.value, b.x))
                continue
            # the bounds of the terms settle narrow intervals; wide ones are cut first
            one_sign, monotone = self._ranges(a.x, b.x) if b.x - a.x <= WIDE else (
                False, False)
            if one_sign:
                continue
            if monotone or b.x - a.x <= TINY * max(1.0, abs(a.x), abs(b.x)):
                if ends_differ:
                    roots.append(self._solve(a.x, a.value, b.x))
                continue
            m = self._split(a.x, b.x)
            stack += [(m, b), (a, m)]  # the lower half first: roots in increasing order
        return roots

    def _chain(self) -> list[float]:
        """Every sign change of f, from those of the functions down Rolle's chain: g,
        the derivative of exp(x tau) f(x) for tau inside f's first sign change, changes
        sign once less, and between two consecutive roots of g f has at most one."""
        chain = [self]
        while chain[-1].changes > 1:
            chain.append(chain[-1]._reduced())
        lo = min(level._bounds()[0] for level in chain)
        hi = max(level._bounds()[1] for level in chain)
        roots: list[float] = []  # those of the last level (one sign change): none known
        for level in reversed(chain):
            roots = level._between([lo, *roots, hi])
        return roots

    def _reduced(self) -> _Terms:
        """g(x) = sum c_i (tau - t_i) exp(-x t_i): exp(x tau) g(x) is the derivative of
        exp(x tau) f(x). With tau between the t of f's first sign change, the terms
        before it keep their sign and the ones after it flip: one sign change less."""
        j = next(i for i, sign in enumerate(self.signs) if sign != self.signs[0])
        tau = (self.ts[j - 1] + self.ts[j]) / 2
        return _Terms(self.ts,
                      [log + math.log(abs(tau - t)) for t, log in zip(self.ts, self.logs,
                                                                       strict=True)],
                      [sign if t < tau else -sign for t, sign in zip(self.ts, self.signs,
                                                                      strict=True)])

    def _between(self, points: list[float]) -> list[float]:
        """The sign changes of f, given points between which it has at most one root;
        the first and last points are beyond every root."""
        values = [math.fsum(self._scaled(x)) for x in points]
        roots = []
        for i in range(1, len(points)):
            left, right = values[i - 1], values[i]
            if left == 0:
                continue
            if right == 0:  # exactly on a point: a sign change if the sign differs after
                after = next((v for v in values[i + 1:] if v != 0), 0.0)
                if after * left < 0:
                    roots.append(points[i])
            elif (left > 0) != (right > 0):
                roots.append(self._solve(points[i - 1], left, points[i]))
        return roots

    def _bounds(self) -> tuple[float, float]:
        """lo < every root < hi: above hi the first term outweighs all the others
        together, below lo the last one does."""
        ts, logs = self.ts, self.logs
        hi = max(0.0, (_log_sum(logs[1:]) - logs[0]) / ts[1])
        lo = min(0.0, (logs[-1] - _log_sum(logs[:-1])) / (ts[-1] - ts[-2]))
        return lo - 1, hi + 1

    def _scaled(self, x: float) -> list[float]:
        """The terms at x, divided by the largest one's magnitude (no overflow)."""
        exps = [log - x * t for t, log in zip(self.ts, self.logs, strict=True)]
        top = max(exps)
        return [s * math.exp(e - top) for s, e in zip(self.signs, exps, strict=True)]

    def _point(self, x: float) -> _Point:
        """f(x), and Laguerre's bounds on the roots above and below x."""
        terms = self._scaled(x)
        return _Point(x, math.fsum(terms), _partial_changes(terms, len(terms)),
                      _partial_changes(terms[::-1], len(terms)))

    def _split(self, a: float, b: float) -> _Point:
        """A point inside (a, b) where f is not exactly 0: the middle, or where the
        interval lies on one side of 0 and is wide, one unit or twice as far from 0 as
        its nearer end (most rates lie near 0: |x| < 1 is -63% to +172%)."""
        middle = a + (b - a) / 2
        if a >= 0:
            middle = min(middle, max(2 * a, a + 1))
        elif b <= 0:
            middle = max(middle, min(2 * b, b - 1))
        for shift in (0.0, 0.0625, -0.0625, 0.125, -0.125):
            m = self._point(middle + (b - a) * shift)
            if m.value != 0:
                break
        return m

    def _ranges(self, a: float, b: float) -> tuple[bool, bool]:
        """Whether f keeps one sign on [a, b], and whether exp(x tau) f(x) is monotone
        there (then f has at most one root in [a, b]), from the bounds of each term."""
        ts, logs, signs = self.ts, self.logs, self.signs
        m = a + (b - a) / 2
        weights = self._scaled(m)
        tau = math.fsum(abs(w) * t for w, t in zip(weights, ts, strict=True)) / math.fsum(
            abs(w) for w in weights)
        at_a = [log - a * (t - tau) for t, log in zip(ts, logs, strict=True)]
        at_b = [log - b * (t - tau) for t, log in zip(ts, logs, strict=True)]
        top = max(max(at_a), max(at_b))
        pos_lo = pos_hi = neg_lo = neg_hi = 0.0  # the terms of F = exp(x tau) f(x)
        up_lo = up_hi = down_lo = down_hi = 0.0  # the rising and falling terms of F'
        for t, sign, ea, eb in zip(ts, signs, at_a, at_b, strict=True):
            big, small = (math.exp(ea - top), math.exp(eb - top)) if ea > eb else (
                math.exp(eb - top), math.exp(ea - top))
            if sign > 0:
                pos_lo += small
                pos_hi += big
            else:
                neg_lo += small
                neg_hi += big
            slope = t - tau  # F's term is sign exp(-x (t - tau)): F' has -(t - tau) x it
            if (sign > 0) == (slope < 0):
                up_lo += abs(slope) * small
                up_hi += abs(slope) * big
            else:
                down_lo += abs(slope) * small
                down_hi += abs(slope) * big
        floor = len(ts) * 1e-300  # terms too small for a float, together
        one_sign = (pos_lo > neg_hi * (1 + SLACK) + floor
                    or neg_lo > pos_hi * (1 + SLACK) + floor)
        monotone = (up_lo > down_hi * (1 + SLACK) + floor
                    or down_lo > up_hi * (1 + SLACK) + floor)
        return one_sign, monotone

    def _solve(self, a: float, fa: float, b: float) -> float:
        """The root of f in (a, b), where f(a) (of sign fa) and f(b) differ in sign.

        Newton's steps on g(x) = log P(x) - log N(x), P and N the sums of the positive
        and of the negative terms (g has the sign of f, and is nearly linear where one
        term of each sign dominates, so a few steps do even from far away), while they
        stay inside the bracket and shrink it fast enough; bisection otherwise (rtsafe,
        Numerical Recipes 9.4).
        """
        ts, logs, signs = self.ts, self.logs, self.signs
        low_negative = fa < 0
        step = old = b - a
        x = min(max(0.0, a), b)  # from r = 0 if it is in the bracket: most rates are near
        for _ in range(2000):
            exps = [log - x * t for t, log in zip(ts, logs, strict=True)]
            top = max(exps)
            weights = [math.exp(e - top) for e in exps]
            pos = math.fsum(w for w, sign in zip(weights, signs, strict=True) if sign > 0)
            neg = math.fsum(w for w, sign in zip(weights, signs, strict=True) if sign < 0)
            if pos == neg:
                return x
            if pos == 0 or neg == 0:  # one side is below a float's range here
                gx, slope = (1.0 if pos else -1.0), 0.0
            else:
                gx = math.log(pos) - math.log(neg)
                slope = (sum(t * w for t, w, sign in zip(ts, weights, signs, strict=True)
                             if sign < 0) / neg
                         - sum(t * w for t, w, sign in zip(ts, weights, signs, strict=True)
                               if sign > 0) / pos)
            if (gx < 0) == low_negative:
                a = x
            else:
                b = x
            if slope == 0 or not a < x - gx / slope < b or abs(2 * gx) > abs(old * slope):
                old, step = step, (b - a) / 2
                x = a + step
            else:
                old, step = step, gx / slope
                x -= step
            if abs(step) <= CLOSE * max(1.0, abs(x)) or b - a <= CLOSE * max(
                    1.0, abs(a), abs(b)):
                return x
        return x


def _log_sum(logs: list[float]) -> float:
    top = max(logs)
    return top + math.log(math.fsum(math.exp(lg - top) for lg in logs))


def _partial_changes(terms: list[float], unsure: int) -> int:
    """Sign changes of the partial sums of `terms`; `unsure` if a partial sum is too
    close to 0 for its sign to be trusted."""
    total = magnitude = 0.0
    sign = 0
    changes = 0
    for term in terms:
        total += term
        magnitude += abs(term)
        if abs(total) <= UNSURE * magnitude:
            return unsure
        now = 1 if total > 0 else -1
        if sign and now != sign:
            changes += 1
        sign = now
    return changes
