"""Exact amounts and ratios at the output edge.

Money stays `Decimal` through every fold; only here does a figure become the text or
JSON number the contract asks for: amounts as exact decimal strings, ratios as JSON
numbers rounded to 6 decimal places (docs/reports.md, "Numbers").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from outcomes.projections.folds.numbers import RATIO_PLACES, WIDE


def amount_text(value: Decimal | int | None) -> str | None:
    """An exact decimal string ("75000000.00"), never with an exponent; None stays None."""
    if value is None:
        return None
    return format(Decimal(value), "f")


def ratio_number(value: Decimal | None) -> float | None:
    """A ratio as a JSON number: the exact Decimal rounded half up to 6 places, then float.

    Floats appear only here, at the output edge; 6 places keep every figure a reader
    can check (0.026667) without pretending to more precision than the inputs have.
    """
    if value is None:
        return None
    try:
        return float(value.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP, context=WIDE))
    except InvalidOperation:  # beyond 60 digits: keep the float's own precision
        return float(value)
