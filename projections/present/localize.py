"""Figures for people, in a reader's locale: money, counts, ratios and dates in tables.

`Figures(None)` (`DEFAULT`) writes them as the tool always has, the same in every
environment: `75,000,000 EUR`, `6.7%`, `1.50x`, ISO dates. `Figures("fr_FR")` writes them
as babel's CLDR data has a French reader expect them: `75 000 000 €`, `6,7 %`, `1,50x`,
`20 avr. 2012` (the group separator is a narrow no-break space, U+202F). JSON and CSV never
go through here: they stay locale-free (docs/reports.md, "Locale").

Every figure is rounded half up here, like the JSON's figures, and only then handed to
babel with its decimals fixed, so a locale changes the characters, never the value. babel
is imported only when a locale is asked for.
"""

from __future__ import annotations

import copy
import functools
import os
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from outcomes.ledger.errors import LedgerError

LOCALE_ENV = "OUTCOMES_LOCALE"
MILLION = Decimal(1_000_000)
Number = Decimal | str | int | float


class UnknownLocale(LedgerError):
    """A --locale (or OUTCOMES_LOCALE) babel does not know: exit code 2."""


def _decimal(value: Number) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


_STEPS = [Decimal(1).scaleb(-places) for places in range(12)]


def _rounded(d: Decimal, places: int) -> Decimal:
    """`d` rounded half up to `places` decimals (as the JSON's figures are)."""
    step = _STEPS[places] if places < len(_STEPS) else Decimal(1).scaleb(-places)
    try:  # the usual case, in the default context (28 digits)
        return d.quantize(step, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds
        with localcontext(prec=len(d.as_tuple().digits) + places + 2):
            return d.quantize(step, rounding=ROUND_HALF_UP)


def _places(d: Decimal) -> int:
    """The decimals `d` is written with ("30000000.50": 2; "75000000": 0)."""
    exponent = d.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


class Figures:
    """Money, counts, ratios and dates as text for people, in one locale (None: the
    tool's own, locale-free style). Every method takes None for an unknown figure and
    prints `unknown` instead."""

    def __init__(self, locale: str | None = None) -> None:
        self.name = locale
        self._locale: Any = None
        self._patterns: dict[tuple[str, int], Any] = {}
        if locale is not None:
            from babel import Locale, UnknownLocaleError

            try:
                self._locale = Locale.parse(locale.replace("-", "_"))
            except (UnknownLocaleError, ValueError, TypeError):
                raise UnknownLocale(
                    f"--locale: unknown locale {locale!r} (babel knows e.g. fr_FR, en_GB, "
                    f"de_DE, es_ES; or leave it out for the default)") from None

    # -- the numbers themselves -----------------------------------------------------------

    def number(self, value: Number, places: int | None = None) -> str:
        """`value` with group separators and `places` decimals (rounded half up), or as
        many as it is written with."""
        d = _decimal(value)
        n = _places(d) if places is None else places
        d = _rounded(d, n)
        if self._locale is None:
            return f"{d:,.{n}f}"
        return self._pattern("decimal", n).apply(d, self._locale)

    def _with_currency(self, d: Decimal, places: int, currency: str) -> str:
        if self._locale is None or not currency:
            return f"{self.number(d, places)} {currency}".rstrip()
        return self._pattern("currency", places).apply(
            _rounded(d, places), self._locale, currency=currency, currency_digits=False)

    def _pattern(self, kind: str, places: int) -> Any:
        """The locale's decimal, currency or percent pattern with exactly `places`
        decimals (the figure is rounded before, half up, so babel never rounds)."""
        key = (kind, places)
        if key not in self._patterns:
            base = {"decimal": lambda: self._locale.decimal_formats[None],
                    "currency": lambda: self._locale.currency_formats["standard"],
                    "percent": lambda: self._locale.percent_formats[None]}[kind]()
            pattern = copy.copy(base)
            pattern.frac_prec = (places, places)
            self._patterns[key] = pattern
        return self._patterns[key]

    # -- what the tables print ------------------------------------------------------------

    def money(self, value: Number | None, currency: str = "", *, places: int | None = None,
              unknown: str = "") -> str:
        """`75,000,000 EUR` (fr_FR: `75 000 000 €`): the decimals as recorded (or
        `places`)."""
        if value is None:
            return unknown
        d = _decimal(value)
        return self._with_currency(d, _places(d) if places is None else places, currency)

    def count(self, value: Number | None, unknown: str = "") -> str:
        """A count or level with group separators (`1,200`; fr_FR: `1 200`)."""
        return unknown if value is None else self.number(value)

    def compact(self, value: Number | None, currency: str = "", *, millions: bool = True,
                unknown: str = "–") -> str:
        """`8.0 M EUR` (millions, one decimal; fr_FR: `8,0 M €`) or, for counts, `72`."""
        if value is None:
            return unknown
        d = _decimal(value)
        if millions:
            unit = currency if self._locale is None or not currency else \
                self._symbol(currency)
            return f"{self.number(d / MILLION, 1)} M {unit}".rstrip()
        text = self.number(d, 0 if d == d.to_integral_value() else 2)
        return f"{text} {currency}".rstrip() if self._locale is None or not currency else \
            f"{text} {self._symbol(currency)}"

    def _symbol(self, currency: str) -> str:
        from babel.numbers import get_currency_symbol

        return get_currency_symbol(currency, locale=self._locale)

    def percent(self, ratio: float | Decimal | None, *, places: int = 0,
                unknown: str = "–") -> str:
        """A ratio as a percentage: 0.0667 -> `7%` (places=1: `6.7%`; fr_FR: `6,7 %`)."""
        if ratio is None:
            return unknown
        hundredths = _rounded(_decimal(ratio) * 100, places)
        if self._locale is None:
            return f"{hundredths:,.{places}f}%"
        return self._pattern("percent", places).apply(hundredths / 100, self._locale)

    def times(self, ratio: float | Decimal | None, *, unknown: str = "–") -> str:
        """A multiple as investors write it: 1.5 -> `1.50x` (fr_FR: `1,50x`)."""
        if ratio is None:
            return unknown
        return f"{self.number(_decimal(ratio), 2)}x"

    def budget(self, actual: Number | None, expected: Number | None,
               attainment: float | Decimal | None, currency: str = "", *,
               millions: bool = True) -> str:
        """The budget-report cell: `8.0 M EUR [7% of 120.0 M EUR]`."""
        return (f"{self.compact(actual, currency, millions=millions)} "
                f"[{self.percent(attainment)} of "
                f"{self.compact(expected, currency, millions=millions)}]")

    def date(self, value: date | str | None, unknown: str = "") -> str:
        """A day: ISO (`2012-04-20`), or the locale's medium form (fr_FR: `20 avr. 2012`)."""
        if value is None:
            return unknown
        day = date.fromisoformat(value) if isinstance(value, str) else value
        if self._locale is None:
            return day.isoformat()
        from babel.dates import format_date

        return format_date(day, "medium", locale=self._locale)

    def timestamp(self, value: datetime | str | None, unknown: str = "") -> str:
        """A moment: as given (ISO 8601 UTC), or the locale's medium form with `UTC`."""
        if value is None:
            return unknown
        if self._locale is None:
            return value if isinstance(value, str) else value.isoformat()
        from babel.dates import format_datetime

        moment = datetime.fromisoformat(value.replace("Z", "+00:00")) \
            if isinstance(value, str) else value
        return format_datetime(moment, "medium", tzinfo=UTC,
                               locale=self._locale) + " UTC"


DEFAULT = Figures(None)


@functools.cache
def _figures(locale: str) -> Figures:
    return Figures(locale)


def figures(locale: str | None = None) -> Figures:
    """The figures of `locale` (`fr_FR`, `fr-FR`, `de`); None or "": the default style.
    An unknown locale raises UnknownLocale (one line, exit code 2 on the command line)."""
    return _figures(locale) if locale else DEFAULT


def locale_option(value: str | None) -> str | None:
    """The locale asked for: the option's value, else OUTCOMES_LOCALE, else None."""
    return value or os.environ.get(LOCALE_ENV) or None
