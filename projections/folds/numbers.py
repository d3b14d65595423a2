"""Exact arithmetic for the folds: money stays `Decimal`, rounded only where a formula says.

Amounts that need a division (`cost_per_job`, a target's expected value) are rounded to
the cent, half up (as people round money by hand); a ratio's denominator may be zero.
How a figure is written out is presentation's (projections/present/numbers.py).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")
RATIO_PLACES = Decimal("0.000001")  # a ratio's places where it is written (present/numbers.py)
WIDE = Context(prec=60)  # room for any amount's digits when rounding


def to_cents(value: Decimal) -> Decimal:
    """Rounded to the cent, half up (as people round money by hand)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=WIDE)


def divide(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator in Decimal, or None when the denominator is zero."""
    if denominator == 0:
        return None
    return numerator / denominator
