"""The irr: every sign change of the net present value found, one root or the reason why not.

The expected rates are derived by hand in the comments, built into the flows (flows whose
net present value is a product of chosen factors), or found by an independent
implementation written here (a scan of log10(1 + r) evaluated with plain powers, then
bisection; every rate checked in Decimal): `projections/folds/xirr.py` sets the roots apart with
Descartes' and Laguerre's rules, bounds of the terms and Rolle's chain instead, so the two
share no code and no method. Where pyxirr finds a rate of flows that have one, it must be
the same (pyxirr is a test dependency only).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Context, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyxirr import DayCount, InvalidPaymentsError, xirr

from outcomes.projections.folds.roi import Money, Rate, evaluate, percent, rate_of_return
from outcomes.projections.folds.xirr import find_roots
from outcomes.projections.present.layout import roi_sections
from outcomes.projections.readmodel.replay import report_from_events
from tests.projection_scenario import admit
from tests.unit.test_projections_roi import REG, grant, ret, value

D = Decimal
Flows = list[tuple[date, Decimal]]


def money(flows: Flows, residual: Decimal | None = None) -> Money:
    """The public money of these flows (payments negative, returns positive)."""
    return Money(public_granted=-sum((a for _, a in flows if a < 0), D(0)),
                 returned=sum((a for _, a in flows if a > 0), D(0)),
                 residual_value=residual, flows=tuple(sorted(flows)))


def years(start: date, *amounts: str) -> Flows:
    """Flows 365 days apart (one year each, act/365)."""
    return [(start + timedelta(days=365 * i), D(a)) for i, a in enumerate(amounts)]


# -- the cases of issue 14 --------------------------------------------------------------------

def test_microsofts_xirr_example():
    # Excel's XIRR documentation: -10,000 on 2008-01-01, then 2,750 (03-01), 4,250 (10-30),
    # 3,250 (2009-02-15), 2,750 (04-01): 0.373362535 (Excel stops within 1e-8: the rate to
    # the last bit is 0.37336253352).
    flows = [(date(2008, 1, 1), D(-10000)), (date(2008, 3, 1), D(2750)),
             (date(2008, 10, 30), D(4250)), (date(2009, 2, 15), D(3250)),
             (date(2009, 4, 1), D(2750))]
    r = rate_of_return(money(flows, D(0)), date(2009, 4, 1))
    assert r.irr == pytest.approx(D("0.373362535"), abs=D("1e-8"))
    assert round(r.irr, 11) == D("0.37336253352")
    assert (r.note, r.roots, r.lower_bound) == (None, (r.irr,), False)


def test_a_deep_loss_has_a_rate():
    # 1,000,000 paid on 2015-01-01 and on 2019-01-01, 100,000 back on 2019-06-01: the net
    # present value changes sign at -99.6174% (pyxirr said "no solution").
    flows = [(date(2015, 1, 1), D(-1000000)), (date(2019, 1, 1), D(-1000000)),
             (date(2019, 6, 1), D(100000))]
    r = rate_of_return(money(flows), date(2019, 6, 1))
    assert r.note is None and round(r.irr, 6) == D("-0.996174")
    assert npv(flows, D("-0.99617")) < 0 < npv(flows, D("-0.99618"))
    assert r.lower_bound  # payments, then a return, and the residual value unknown


def test_two_rates_give_no_irr_and_list_both():
    # -1000, +2300, -1320, a year apart: (1 + r) ** 2 x 1000 - 2300 (1 + r) + 1320 = 0,
    # 1 + r = (2300 +- 100) / 2000: 10% and 20%. It was ">= 10.0%".
    flows = years(date(2001, 1, 1), "-1000", "2300", "-1320")
    r = rate_of_return(money(flows), date(2003, 1, 1))
    assert r.irr is None and not r.lower_bound
    assert r.note == ("several solutions: the flows' net present value is zero at 10.0000% "
                      "and 20.0000%")
    assert [round(x, 9) for x in r.roots] == [D("0.1"), D("0.2")]


def test_a_residual_value_can_lower_a_rate_of_flows_that_change_sign_twice():
    # The same flows valued at 1 on the last date: -1000, 2300, -1319, 1 + r =
    # 1.15 -+ sqrt(2300 ** 2 - 4 x 1000 x 1319) / 2000 = 1.15 -+ 0.0591608:
    # 9.0839% (below the 10% the unvalued flows gave) and 20.9161%.
    flows = years(date(2001, 1, 1), "-1000", "2300", "-1320")
    r = rate_of_return(money(flows, D(1)), date(2003, 1, 1))
    low, high = (round(x, 6) for x in r.roots)
    root = D(14000).sqrt() / 2000
    assert (low, high) == (round(D("0.15") - root, 6), round(D("0.15") + root, 6))
    assert low < D("0.1")


def test_one_rate_of_flows_that_change_sign_three_times_is_not_a_lower_bound():
    # -100, +50, -10, +80 a year apart: f(v) = -100 + 50v - 10v^2 + 80v^3, f' = 50 - 20v +
    # 240v^2 > 0 (its discriminant is negative): one root, where Descartes allows three.
    flows = years(date(2001, 1, 1), "-100", "50", "-10", "80")
    r = rate_of_return(money(flows), date(2004, 1, 1))
    assert r.note is None and len(r.roots) == 1
    assert npv(flows, r.irr - D("1e-9")) > 0 > npv(flows, r.irr + D("1e-9"))
    assert not r.lower_bound  # three sign changes: no rule says a residual would raise it


def test_a_return_before_the_payment_is_not_a_lower_bound():
    # +50, then -100 a year later: 50 = 100 / (1 + r), r = 100%. A residual R a year later
    # adds a sign change and can lower it: with R = 10, 50 (1 + r)^2 - 100 (1 + r) + 10 = 0,
    # 1 + r = 1 + sqrt(0.8) = 1.894427: 89.4427%.
    flows = years(date(2001, 1, 1), "50", "-100")
    r = rate_of_return(money(flows), date(2002, 1, 1))
    assert r.irr == pytest.approx(D(1), abs=D("1e-12")) and not r.lower_bound
    valued = rate_of_return(money(flows, D(10)), date(2003, 1, 1))
    assert round(valued.roots[-1], 6) == round(D("0.8").sqrt(), 6) < 1


def test_payments_then_returns_are_a_lower_bound_and_a_residual_raises_them():
    flows = [(date(2010, 1, 1), D(-100)), (date(2011, 6, 1), D(-50)),
             (date(2012, 1, 1), D(30)), (date(2013, 1, 1), D(40))]
    unvalued = rate_of_return(money(flows), date(2014, 1, 1))
    assert unvalued.lower_bound
    for residual in ("0.01", "1", "100", "100000"):
        valued = rate_of_return(money(flows, D(residual)), date(2014, 1, 1))
        assert not valued.lower_bound and valued.irr > unvalued.irr


def test_notes_where_there_is_no_rate():
    day = date(2012, 1, 1)
    assert rate_of_return(money([(day, D(-100))]), day).note.startswith("no inflow")
    # +100, -300, +250 a year apart: 100 v^-2 ... no real root: 300^2 < 4 x 100 x 250
    r = rate_of_return(money(years(day, "100", "-300", "250")), date(2014, 1, 1))
    assert (r.irr, r.roots, r.note) == (
        None, (), "no solution: no rate makes the flows' net present value zero")
    # paid and returned in full on each of two dates: every rate is a solution
    r = rate_of_return(Money(public_granted=D(200), returned=D(200),
                             flows=((day, D(0)), (date(2013, 1, 1), D(0)))), date(2014, 1, 1))
    assert (r.irr, r.roots) == (None, ())
    assert r.note.startswith("no single solution: the flows net to zero on every date")


def test_a_rate_beyond_a_float_is_said_so():
    # 1 paid, 10 back the next day: 10 ** 365 - 1, far beyond 1e+300.
    r = rate_of_return(money([(date(2012, 1, 1), D(-1)), (date(2012, 1, 2), D(10))]),
                       date(2012, 1, 2))
    assert (r.irr, r.roots) == (None, ())
    assert r.note == ("no solution below 1e+300: the flows' net present value is zero only "
                      "at a rate above it")
    # 1 paid, 2 back the next day: 2 ** 365 - 1 = 7.515e+109, a number still
    r = rate_of_return(money([(date(2012, 1, 1), D(-1)), (date(2012, 1, 2), D(2))]),
                       date(2012, 1, 2))
    assert r.irr == pytest.approx(D(2) ** 365 - 1, rel=D("1e-12"))


def test_percent_rounds_as_json_rounds_ratios():
    assert percent(D("0.1")) == "10.0000%"
    assert percent(D("-0.9961736785")) == "-99.6174%"
    assert percent(D("0.0000005")) == "0.0001%"  # half up at the 6th place, as JSON


# -- in the reports -----------------------------------------------------------------------

def report(*raws, as_of: date) -> dict:
    from datetime import UTC, datetime
    return report_from_events("roi", admit(REG + list(raws), datetime(2020, 1, 1, tzinfo=UTC)),
                              as_of=as_of)


def test_several_rates_in_json_and_in_the_table():
    doc = report(grant("2001-01-01", "1000"), ret("2002-01-01", "2300"),
                 grant("2003-01-01", "1320"), as_of=date(2003, 1, 1))
    [row] = doc["ventures"]
    assert (row["irr"], row["irr_roots"], row["irr_lower_bound"]) == (None, [0.1, 0.2], False)
    [section, _], notes = roi_sections(doc)
    assert section[2][0]["irr"] == "– [1]"
    assert ("[1] v: irr not computed: several solutions: the flows' net present value is zero "
            "at 10.0000% and 20.0000%.") in notes


def test_the_table_marks_an_irr_that_is_no_lower_bound():
    doc = report(grant("2001-01-01", "100"), ret("2002-01-01", "50"),
                 grant("2003-01-01", "10"), ret("2004-01-01", "80"), as_of=date(2004, 1, 1))
    [row] = doc["ventures"]
    assert row["residual_value"] is None and row["irr_roots"] == [row["irr"]]
    assert row["irr_lower_bound"] is False
    [section, _], notes = roi_sections(doc)
    cells = section[2][0]
    assert cells["net"].startswith(">= ") and cells["irr"].endswith("% [1]")
    assert ("[1] v: irr not known to be a lower bound: its flows do not go from payments to "
            "returns in one sign change.") in notes


def test_an_ordinary_lower_bound_keeps_its_mark():
    doc = report(grant("2012-01-01", "100"), ret("2013-01-01", "50"), as_of=date(2015, 1, 1))
    [row] = doc["ventures"]
    assert row["irr_lower_bound"] is True
    [section, _], notes = roi_sections(doc)
    assert section[2][0]["irr"] == ">= -49.9%"  # 0.5 ** (365 / 366) - 1 = -0.49905
    assert not any("lower bound:" in n for n in notes if n.startswith("["))
    valued = report(grant("2012-01-01", "100"), ret("2013-01-01", "50"),
                    value("2014-01-01", "1"), as_of=date(2015, 1, 1))
    assert valued["ventures"][0]["irr_lower_bound"] is False


# -- against an independent implementation ------------------------------------------------

DECIMAL = Context(prec=60)


def npv(flows: Flows, r: Decimal) -> Decimal:
    """sum c (1 + r) ** -(days / 365), in Decimal (60 digits)."""
    first = min(on for on, _ in flows)
    base = DECIMAL.add(1, r)
    return sum((DECIMAL.multiply(c, DECIMAL.power(base, -D((on - first).days) / 365))
                for on, c in flows), D(0))


def npv_at_log(flows: Flows, x: Decimal) -> Decimal:
    """The same at 1 + r = exp(x), for rates too close to -100% for a Decimal 1 + r."""
    first = min(on for on, _ in flows)
    return sum((DECIMAL.multiply(c, DECIMAL.exp(-x * (on - first).days / 365))
                for on, c in flows), D(0))


LOW, HIGH, STEP = -10.0, 4.0, 0.005  # the scan: log10(1 + r), every 0.005


def independent_roots(flows: Flows) -> list[float]:
    """log10(1 + r) at every sign change of the net present value that a scan of
    log10(1 + r) in [-10, 4] every 0.005 brackets, bisected to the last bit."""
    summed: dict[date, Decimal] = {}
    for on, c in flows:
        summed[on] = summed.get(on, D(0)) + c
    first = min(summed)
    terms = [((on - first).days / 365, float(c)) for on, c in summed.items() if c]

    def f(u: float) -> float:
        return math.fsum(c * 10.0 ** (-u * t) for t, c in terms)

    grid = [LOW + k * STEP for k in range(round((HIGH - LOW) / STEP) + 1)]
    values = [f(u) for u in grid]
    signs = [(u, v) for u, v in zip(grid, values, strict=True) if v != 0]
    roots = []
    for (a, fa), (b, fb) in zip(signs, signs[1:], strict=False):
        if (fa > 0) == (fb > 0):
            continue
        for _ in range(200):
            m = (a + b) / 2
            if m in (a, b):
                break
            if (f(m) > 0) == (fa > 0):
                a = m
            else:
                b = m
        roots.append((a + b) / 2)
    return roots


def changes(flows: Flows) -> int:
    summed: dict[date, Decimal] = {}
    for on, c in flows:
        summed[on] = summed.get(on, D(0)) + c
    signs = [c > 0 for _, c in sorted(summed.items()) if c]
    return sum(a != b for a, b in zip(signs, signs[1:], strict=False))


DAY0 = date(2000, 1, 1)


def amount(sign: int):
    """Cents to a billion, over every order of magnitude."""
    return st.builds(lambda m, e: D(sign * m).scaleb(e - 2), st.integers(1, 999),
                     st.integers(0, 9))


@st.composite
def flow_sets(draw) -> Flows:
    kind = draw(st.sampled_from(["deep loss"] * 3 + ["sign changes"] * 3 + ["shared dates"]
                                + ["one date", "outflows"] + ["any"] * 2))
    n = draw(st.integers(1, 8))
    if kind == "deep loss":  # payments, then returns of a millionth to a tenth of them
        paid = [-draw(amount(1)) for _ in range(draw(st.integers(1, 4)))]
        back = [(-sum(paid) * D(10) ** -draw(st.integers(1, 6))).quantize(D("0.01"))
                for _ in range(draw(st.integers(1, 2)))]
        days = sorted(draw(st.lists(st.integers(0, 9000), min_size=len(paid) + len(back),
                                    max_size=len(paid) + len(back), unique=True)))
        return [(DAY0 + timedelta(d), a) for d, a in zip(days, paid + back, strict=True)
                if a != 0]
    if kind == "sign changes":  # alternating signs
        start = draw(st.sampled_from([-1, 1]))
        amounts = [draw(amount(start * (-1) ** i)) for i in range(max(n, 3))]
    elif kind == "outflows":
        amounts = [draw(amount(-1)) for _ in range(n)]
    else:
        amounts = [draw(amount(draw(st.sampled_from([-1, 1])))) for _ in range(n)]
    if kind == "one date":
        days = [draw(st.integers(0, 9000))] * len(amounts)
    elif kind == "shared dates":
        pool = draw(st.lists(st.integers(0, 9000), min_size=2, max_size=3, unique=True))
        days = [draw(st.sampled_from(pool)) for _ in amounts]
    else:
        days = draw(st.lists(st.integers(0, 9000), min_size=len(amounts),
                             max_size=len(amounts)))
    return [(DAY0 + timedelta(d), a) for d, a in zip(days, amounts, strict=True)]


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(flows=flow_sets())
def test_every_sign_change_against_an_independent_implementation(flows: Flows) -> None:
    found = find_roots(flows)
    ours = [x / math.log(10) for x in found.logs]  # as log10(1 + r)
    theirs = independent_roots(flows)
    # each root the scan brackets is one of ours
    for u in theirs:
        assert min((abs(u - o) for o in ours), default=1.0) < 1e-9 * max(1.0, abs(u)), (
            u, ours)
    # each of ours is a sign change, checked in Decimal on either side, and one the scan
    # finds unless it lies outside the scan or in the scan's cell next to another root
    for i, x in enumerate(found.logs):
        step = D(repr(1e-9 * max(1.0, abs(x))))
        left, right = npv_at_log(flows, D(repr(x)) - step), npv_at_log(flows, D(repr(x)) + step)
        assert left * right < 0, (x, left, right)
        u = ours[i]
        scanned = any(abs(u - t) < 1e-9 * max(1.0, abs(u)) for t in theirs)
        paired = any(abs(u - o) < 2 * STEP for j, o in enumerate(ours) if j != i)
        assert scanned or paired or not LOW + STEP < u < HIGH - STEP, (u, theirs)
    # Descartes' bound, and the parity the ends give (the first and last flows' signs)
    assert len(ours) <= found.sign_changes == changes(flows)
    assert len(ours) % 2 == found.sign_changes % 2
    # and the irr follows: one rate, or none with the reason
    m = money(flows)
    as_of = max(on for on, _ in flows)
    rate = rate_of_return(m, as_of)
    if m.public_granted == 0 or m.returned == 0 or len({on for on, _ in flows}) < 2:
        assert rate.irr is None and rate.roots == ()
    elif len(ours) == 1 and found.logs[0] < 690:
        assert rate.irr == rate.roots[0] and rate.note is None
        assert float(rate.irr) == pytest.approx(math.expm1(found.logs[0]), rel=1e-12)
        theirs = pyxirr_rate(list(m.flows))  # where pyxirr finds the rate, it is the same
        assert theirs is None or theirs == pytest.approx(float(rate.irr), rel=1e-8, abs=1e-9)
        assert rate.lower_bound == (found.sign_changes == 1 and flows_sorted_first(flows) < 0)
    elif not ours:
        assert rate.irr is None and rate.note.startswith(("no solution", "no single"))
    else:
        assert rate.irr is None and not rate.lower_bound
        for r in rate.roots:
            assert percent(r) in rate.note


def pyxirr_rate(flows: Flows) -> float | None:
    """pyxirr's XIRR (actual/365), or None where it finds none."""
    try:
        rate = xirr([on for on, _ in flows], [float(c) for _, c in flows],
                    day_count=DayCount.ACT_365F, silent=True)
    except InvalidPaymentsError:
        return None
    return rate if rate is not None and math.isfinite(rate) else None


def flows_sorted_first(flows: Flows) -> Decimal:
    summed: dict[date, Decimal] = {}
    for on, c in flows:
        summed[on] = summed.get(on, D(0)) + c
    return next(c for _, c in sorted(summed.items()) if c)


def test_evaluate_carries_the_rate():
    flows = years(date(2001, 1, 1), "-1000", "2300", "-1320")
    r = evaluate(money(flows), date(2003, 1, 1))
    assert (r.irr, len(r.irr_roots), r.irr_lower_bound, r.lower_bound) == (None, 2, False, True)
    given_rate = Rate(D("0.5"), None, (D("0.5"),), True)
    assert evaluate(money(flows), date(2003, 1, 1), given_rate).irr_lower_bound is True


# -- rates known by construction ----------------------------------------------------------

def with_rates(*rates: str) -> Flows:
    """Yearly flows (365 days apart) whose net present value is the product of
    ((1 + r_k) v - 1), v = 1 / (1 + r): zero exactly at each r_k, and changing sign there."""
    coefficients = [D(1)]
    for r in rates:
        grown = 1 + D(r)
        product = [D(0)] * (len(coefficients) + 1)
        for j, c in enumerate(coefficients):
            product[j + 1] += c * grown
            product[j] -= c
        coefficients = product
    return years(date(2001, 1, 1), *map(str, coefficients))


RATES = ["-0.999", "-0.99", "-0.9", "-0.5", "-0.2", "-0.05", "0", "0.01", "0.05", "0.1",
         "0.1001", "0.15", "0.2", "0.5", "1", "2", "5", "20"]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(rates=st.lists(st.sampled_from(RATES), min_size=1, max_size=6, unique=True))
def test_every_rate_of_flows_built_from_their_rates(rates: list[str]) -> None:
    found = find_roots(with_rates(*rates)).rates
    expected = sorted(D(r) for r in rates)
    assert len(found) == len(expected)
    # as close as floats allow: where the net present value is within a float's rounding
    # of the flows' sum (1e-13 of it), any rate is as good as another
    flows = with_rates(*rates)
    for f, e in zip(found, expected, strict=True):
        size = sum(abs(c) * (1 + e) ** -(i) for i, (_, c) in enumerate(flows))
        slope = abs(sum(-i * c * (1 + e) ** (-i - 1) for i, (_, c) in enumerate(flows)))
        assert abs(f - e) <= D("1e-13") * size / slope + D("1e-12") * max(1, abs(e))


def test_two_rates_a_hundredth_of_a_percent_apart_are_both_found():
    r = rate_of_return(money(with_rates("0.1", "0.1001")), date(2003, 1, 1))
    assert r.note == ("several solutions: the flows' net present value is zero at 10.0000% "
                      "and 10.0100%")


def test_five_rates_close_together():
    # the terms cancel each other between these roots: Rolle's chain sets them apart
    found = find_roots(with_rates("-0.05", "0.01", "0.05", "0.2", "1")).rates
    assert [round(r, 6) for r in found] == [D("-0.05"), D("0.01"), D("0.05"), D("0.2"), D(1)]
