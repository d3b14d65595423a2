"""Figures for a reader's locale (projections/present/localize.py), with babel's CLDR data.

The expected strings are written by hand. French groups digits with a narrow no-break
space (U+202F, NNBSP below) and puts a no-break space (U+00A0, NBSP) before `€` and `%`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from outcomes.projections.present.localize import DEFAULT, UnknownLocale, figures
from outcomes.projections.present.render import budget, compact, count, money, percent, times

NNBSP = "\u202f"
NBSP = "\u00a0"
FR = figures("fr_FR")


def test_the_default_style_is_the_tools_own_and_the_old_functions_keep_it() -> None:
    assert money(Decimal("75000000"), "EUR") == "75,000,000 EUR"
    assert money("30000000.50", "EUR") == "30,000,000.50 EUR"
    assert money(None, "EUR", unknown="unknown") == "unknown"
    assert money("184799.5", "EUR", places=0) == "184,800 EUR"  # half up, not half even
    assert count(1200) == "1,200"
    assert compact("8049999", "EUR") == "8.0 M EUR"
    assert compact("72", millions=False) == "72"
    assert percent(0.0667) == "7%" and percent(Decimal("0.00625"), places=1) == "0.6%"
    assert times(1.5) == "1.50x"
    assert budget("8000000", "120000000", 0.0667, "EUR") == "8.0 M EUR [7% of 120.0 M EUR]"
    assert DEFAULT.date("2012-04-20") == "2012-04-20"
    assert DEFAULT.timestamp("2026-03-01T12:00:00.000000Z") == "2026-03-01T12:00:00.000000Z"


def test_french_money_groups_with_narrow_spaces_and_puts_the_euro_after() -> None:
    assert FR.money(Decimal("75000000"), "EUR") == f"75{NNBSP}000{NNBSP}000{NBSP}€"
    assert FR.money("30000000.50", "EUR") == f"30{NNBSP}000{NNBSP}000,50{NBSP}€"
    assert FR.money("-18480000", "EUR") == f"-18{NNBSP}480{NNBSP}000{NBSP}€"
    assert FR.money("184799.5", "EUR", places=0) == f"184{NNBSP}800{NBSP}€"
    assert FR.money("0", "EUR") == f"0{NBSP}€"
    assert FR.money(None, "EUR", unknown="–") == "–"


def test_french_ratios_counts_and_compact_figures() -> None:
    assert FR.percent(Decimal("0.00625"), places=1) == f"0,6{NBSP}%"
    assert FR.percent(2.003) == f"200{NBSP}%"
    assert FR.times(1.5) == "1,50x"
    assert FR.count(1200) == f"1{NNBSP}200"
    assert FR.count(None, unknown="–") == "–"
    assert FR.compact("61300000", "EUR") == "61,3 M €"
    assert FR.compact("122.54", millions=False) == "122,54"
    assert FR.budget("3000000", "236700000", 0.0127, "EUR") == (
        f"3,0 M € [1{NBSP}% of 236,7 M €]")


def test_french_dates_as_babel_writes_them() -> None:
    assert FR.date("2012-04-20") == "20 avr. 2012"
    assert FR.date(date(2015, 3, 20)) == "20 mars 2015"
    assert FR.timestamp("2026-03-01T12:00:00.000000Z") == "1 mars 2026, 12:00:00 UTC"
    assert FR.timestamp(datetime(2026, 3, 1, 12, tzinfo=UTC)) == "1 mars 2026, 12:00:00 UTC"


def test_other_locales_and_spellings() -> None:
    assert figures("fr-FR").money("1000", "EUR") == f"1{NNBSP}000{NBSP}€"
    assert figures("en_US").money("1000.5", "USD") == "$1,000.5"
    assert figures("de_DE").money("1000", "EUR") == f"1.000{NBSP}€"
    assert figures("de_DE").date("2012-04-20") == "20.04.2012"
    assert figures(None) is DEFAULT and figures("") is DEFAULT


@pytest.mark.parametrize("name", ["xx_YY", "french", "fr_XX_YY_ZZ", "../etc"])
def test_an_unknown_locale_is_one_clear_refusal(name: str) -> None:
    with pytest.raises(UnknownLocale) as raised:
        figures(name)
    assert str(raised.value).startswith(f"--locale: unknown locale {name!r}")
    assert "\n" not in str(raised.value)
