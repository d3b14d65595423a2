"""The numbers beside the read model's exact amounts (`X_cents`, `X_number`): the fast
path for whole amounts gives what rounding the Decimal gives, within SQLite's integers."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from outcomes.projections.readmodel.tables import _cents, _text_cents, numbered

AMOUNTS = st.decimals(min_value=-(10 ** 18), max_value=10 ** 18, places=10,
                      allow_nan=False, allow_infinity=False)


@given(AMOUNTS)
def test_cents_of_the_text_are_the_rounded_decimal(value):
    for text in (str(value), str(value.to_integral_value()), format(value, "f")):
        assert _text_cents(text) == _cents(Decimal(text))


def test_cents_by_hand():
    assert _text_cents("97485") == 9_748_500
    assert _text_cents("-33300000") == -3_330_000_000
    assert _text_cents("0.005") == 1  # half up, as people round money
    assert _text_cents("92233720368547758.07") == 2 ** 63 - 1
    assert _text_cents("92233720368547758.08") is None  # beyond SQLite's integers
    assert _text_cents("100000000000000000") is None
    assert _text_cents(None) is None


def test_a_metric_number_is_stored_exactly_where_whole():
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (actual TEXT, actual_number NUMERIC)")
    for row in numbered("target_actuals", [{"actual": "97485", "low": None, "high": None},
                                           {"actual": "2000000.5", "low": None,
                                            "high": None}]):
        con.execute("INSERT INTO t VALUES (?, ?)", (row["actual"], row["actual_number"]))
    assert con.execute("SELECT actual_number, typeof(actual_number) FROM t "
                       "ORDER BY actual_number").fetchall() == [
        (97485, "integer"), (2000000.5, "real")]
