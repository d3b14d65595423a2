"""Every formula of "Return on taxpayer investment", on the pure folds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from outcomes.projections.folds.effective import effective
from outcomes.projections.folds.roi import Money, combine, evaluate, fold_money
from outcomes.projections.readmodel.replay import report_from_events
from tests.projection_scenario import admit, ev

REG = [ev("ProgramRegistered", "2012-01-01", "p", program="p", name="P", funder="F"),
       ev("VentureRegistered", "2012-01-01", "r", venture="v", name="V", program="p")]


def money(*raws, jobs=None, revenue="0") -> Money:
    es = effective(admit(REG + list(raws), datetime(2020, 1, 1, tzinfo=UTC))).events
    return fold_money(es, revenue_to_date=Decimal(revenue), jobs=jobs)


def grant(on, amount, public=True, id_=None):
    return ev("FundingGranted", on, id_, venture="v", amount=amount, funder="F", public=public)


def ret(on, amount, public=True):
    return ev("ReturnReceived", on, None, venture="v", amount=amount, kind="dividend",
              public=public)


def value(on, amount, id_=None):
    return ev("StakeValued", on, id_, venture="v", value=amount)


def test_sums_public_and_private():
    m = money(ev("FundingCommitted", "2012-02-01", None, venture="v", amount="75",
                 funder="F"),
              ev("FundingCommitted", "2012-02-01", None, venture="v", amount="999",
                 funder="F", public=False),
              grant("2012-03-01", "20"), grant("2012-04-01", "10.50"),
              grant("2012-03-01", "45", public=False),
              ret("2013-01-01", "1"), ret("2013-01-01", "7", public=False))
    assert (m.public_committed, m.public_granted, m.private_granted, m.returned) == (
        Decimal(75), Decimal("30.50"), Decimal(45), Decimal(1))
    assert m.flows == ((date(2012, 3, 1), Decimal(-20)), (date(2012, 4, 1), Decimal("-10.50")),
                       (date(2013, 1, 1), Decimal(1)))


def test_residual_value_is_the_latest_valuation_in_contract_order():
    # recorded later but dated earlier: the 2015 valuation is the latest
    m = money(grant("2012-01-01", "100"), value("2015-01-01", "40"), value("2014-01-01", "70"))
    assert m.residual_value == Decimal(40)
    assert money(grant("2012-01-01", "100")).residual_value is None


def test_net_and_multiple_with_a_residual_value():
    m = money(grant("2012-01-01", "100"), ret("2013-01-01", "10"), value("2014-01-01", "30"))
    r = evaluate(m, date(2014, 1, 1))
    assert (r.net, r.multiple, r.lower_bound) == (Decimal(-60), Decimal("0.4"), False)


def test_net_and_multiple_are_lower_bounds_without_a_valuation():
    m = money(grant("2012-01-01", "100"), ret("2013-01-01", "10"))
    r = evaluate(m, date(2014, 1, 1))
    assert (r.net, r.multiple, r.lower_bound) == (Decimal(-90), Decimal("0.1"), True)


def test_nothing_granted():
    m = money(ev("FundingCommitted", "2012-02-01", None, venture="v", amount="75",
                 funder="F"), jobs=3, revenue="500")
    r = evaluate(m, date(2014, 1, 1))
    assert (r.net, r.multiple, r.irr, r.irr_note) == (Decimal(0), None, None, "nothing granted")
    assert (r.revenue_per_public_euro, r.leverage) == (None, None)
    assert r.cost_per_job == Decimal("0.00")  # nothing paid, so nothing per job


def test_no_jobs_reported_or_zero_jobs():
    assert evaluate(money(grant("2012-01-01", "100")), date(2014, 1, 1)).cost_per_job is None
    assert evaluate(money(grant("2012-01-01", "100"), jobs=0),
                    date(2014, 1, 1)).cost_per_job is None


def test_revenue_per_public_euro_leverage_cost_per_job():
    m = money(grant("2012-01-01", "300"), grant("2012-01-01", "450", public=False), jobs=7,
              revenue="90")
    r = evaluate(m, date(2014, 1, 1))
    assert r.revenue_per_public_euro == Decimal("0.3")
    assert r.leverage == Decimal("1.5")
    assert r.cost_per_job == Decimal("42.86")  # 300 / 7 = 42.857..., half up to the cent


def test_irr_is_xirr_actual_365():
    # -100 on 2012-01-01, +110 on 2013-01-01: 366 days -> 1.1 ** (365 / 366) - 1
    r = evaluate(money(grant("2012-01-01", "100"), ret("2013-01-01", "110")), date(2013, 1, 1))
    assert float(r.irr) == pytest.approx(1.1 ** (365 / 366) - 1, abs=1e-9)
    assert r.irr_note is None


def test_irr_counts_the_residual_value_on_the_as_of_date():
    m = money(grant("2012-01-01", "100"), value("2013-01-01", "121"))
    r = evaluate(m, date(2014, 1, 1))  # 731 days
    assert float(r.irr) == pytest.approx(1.21 ** (365 / 731) - 1, abs=1e-9)
    r = evaluate(m, date(2016, 1, 1))  # the same value, held longer: a lower rate
    assert float(r.irr) == pytest.approx(1.21 ** (365 / 1461) - 1, abs=1e-9)


def test_irr_without_inflow_total_loss_one_date_no_solution():
    def note(*raws, as_of=date(2015, 1, 1)):
        r = evaluate(money(*raws), as_of)
        assert r.irr is None
        return r.irr_note

    assert note(grant("2012-01-01", "100")).startswith("no inflow")
    assert note(grant("2012-01-01", "100"), value("2013-01-01", "0")).startswith("total loss")
    assert note(grant("2012-01-01", "100"), ret("2012-01-01", "50"), value("2012-01-01", "0"),
                ).startswith("no solution: all flows fall on one date")
    # +100, -300, +250: no rate sets the net present value to zero
    assert note(ret("2012-01-01", "100"), grant("2013-01-01", "300"),
                ret("2014-01-01", "250")).startswith("no solution")


def test_irr_with_returns_but_no_valuation_is_computed():
    r = evaluate(money(grant("2012-01-01", "100"), ret("2013-01-01", "50")), date(2015, 1, 1))
    assert r.irr is not None and r.irr < 0 and r.lower_bound


def test_program_sums_residuals_jobs_and_irr_over_all_flows():
    a = Money(public_granted=Decimal(100), flows=((date(2012, 1, 1), Decimal(-100)),),
              residual_value=Decimal(50), jobs=3, revenue_to_date=Decimal(5))
    b = Money(public_granted=Decimal(100), returned=Decimal(110),
              flows=((date(2012, 1, 1), Decimal(-100)), (date(2013, 1, 1), Decimal(110))),
              jobs=None)
    c = Money()  # registered, never funded, never valued: does not make it unknown
    p = combine([a, b, c])
    assert (p.public_granted, p.returned, p.residual_value, p.jobs, p.revenue_to_date) == (
        Decimal(200), Decimal(110), Decimal(50), 3, Decimal(5))
    assert p.flows == ((date(2012, 1, 1), Decimal(-200)), (date(2013, 1, 1), Decimal(110)))
    # b was funded and has no valuation: the program's figures are lower bounds
    assert p.residual_unknown
    r = evaluate(p, date(2013, 1, 1))
    assert (r.net, r.multiple, r.lower_bound) == (Decimal(-40), Decimal("0.8"), True)
    assert float(r.irr) == pytest.approx(0.8 ** (365 / 366) - 1, abs=1e-9)
    valued = combine([a, Money(public_granted=Decimal(100), residual_value=Decimal(0),
                               flows=((date(2012, 1, 1), Decimal(-100)),))])
    assert not valued.residual_unknown and valued.residual_value == Decimal(50)


def test_program_with_no_ventures_and_roi_json_shape():
    events = admit([ev("ProgramRegistered", "2012-01-01", "p", program="p", name="P",
                       funder="F")], datetime(2020, 1, 1, tzinfo=UTC))
    doc = report_from_events("roi", events, as_of=date(2013, 1, 1))
    assert doc["ventures"] == []
    [p] = doc["programs"]
    assert p == {"program": "p", "currency": "EUR", "public_committed": "0",
                 "public_granted": "0", "private_granted": "0", "returned": "0",
                 "residual_value": None, "net": "0", "multiple": None, "irr": None,
                 "irr_note": "nothing granted", "irr_roots": [], "irr_lower_bound": False,
                 "revenue_to_date": "0",
                 "revenue_per_public_euro": None, "leverage": None, "jobs": None,
                 "cost_per_job": None}
    # as of before the program was registered: not there yet
    assert report_from_events("roi", events, as_of=date(2011, 1, 1))["programs"] == []


def test_money_registered_before_the_venture_still_counts():
    events = admit([
        ev("ProgramRegistered", "2012-01-01", "p", program="p", name="P", funder="F"),
        ev("VentureRegistered", "2012-09-01", "r", venture="v", name="V", program="p"),
        ev("FundingGranted", "2012-05-01", "g", venture="v", amount="10", funder="F"),
    ], datetime(2020, 1, 1, tzinfo=UTC))
    [v] = report_from_events("roi", events, as_of=date(2012, 6, 1))["ventures"]
    assert v["public_granted"] == "10"
    assert report_from_events("roi", events, as_of=date(2012, 4, 1))["ventures"] == []


def test_revenue_to_date_sums_every_year_partial_years_included():
    events = admit(REG + [
        ev("FundingGranted", "2012-01-01", None, venture="v", amount="1000", funder="F"),
        ev("SalesReported", "2013-02-01", None, venture="v", period="2012", revenue="100"),
        ev("SalesReported", "2013-05-01", None, venture="v", period="2013-Q1", revenue="30"),
        ev("SalesReported", "2013-08-01", None, venture="v", period="2013-Q2", revenue="40"),
        ev("SalesReported", "2014-02-01", None, venture="v", period="2013", revenue="150"),
    ], datetime(2020, 1, 1, tzinfo=UTC))

    def revenue(as_of):
        [v] = report_from_events("roi", events, as_of=date.fromisoformat(as_of))["ventures"]
        return v["revenue_to_date"], v["revenue_per_public_euro"]

    assert revenue("2013-01-31") == ("0", 0.0)  # nothing published yet
    assert revenue("2013-06-30") == ("130", 0.13)  # 2012 + the first quarter of 2013
    assert revenue("2013-12-31") == ("170", 0.17)  # 2012 + Q1 + Q2
    assert revenue("2014-12-31") == ("250", 0.25)  # the annual claim replaces the quarters
