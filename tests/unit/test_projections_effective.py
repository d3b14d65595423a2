"""The as-of / known-at rule (projections.effective), and claims and levels."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from outcomes.ledger.service import new_id
from outcomes.ledger.state import LedgerState
from outcomes.projections.folds.claims import choose
from outcomes.projections.folds.effective import effective
from outcomes.projections.folds.levels import history, latest, level_at, revenue_by_year
from tests.projection_scenario import admit, ev

REG = [ev("ProgramRegistered", "2012-01-01", "p", program="p", name="P", funder="F"),
       ev("VentureRegistered", "2012-01-01", "r", venture="v", name="V", program="p")]
T1 = datetime(2015, 1, 1, tzinfo=UTC)
T2 = datetime(2016, 1, 1, tzinfo=UTC)


def events(*raws, recorded_at=datetime(2020, 1, 1, tzinfo=UTC)):
    return admit(REG + list(raws), recorded_at)


def ids(eff):
    return [e.id for e in eff.events]


def grant(id_, on, amount="100"):
    return ev("FundingGranted", on, id_, venture="v", amount=amount, funder="F")


def test_as_of_keeps_events_that_occurred_by_then_in_contract_order():
    es = events(grant("b", "2013-05-01"), grant("a", "2013-01-01"), grant("c", "2014-01-01"))
    assert ids(effective(es, as_of=date(2013, 12, 31))) == ["p", "r", "a", "b"]
    assert ids(effective(es, as_of=date(2013, 5, 1))) == ["p", "r", "a", "b"]  # inclusive
    assert ids(effective(es)) == ["p", "r", "a", "b", "c"]


def test_same_day_events_keep_their_recording_order():
    es = events(grant("x", "2013-01-01"), grant("y", "2013-01-01"))
    assert ids(effective(es))[-2:] == ["x", "y"]


def test_known_at_leaves_out_what_was_recorded_later():
    state = LedgerState(new_id=new_id)
    es = admit(REG + [grant("a", "2013-01-01")], T1, state)
    es += admit([grant("b", "2013-01-01")], T2, state)
    assert ids(effective(es, known_at=T1)) == ["p", "r", "a"]
    assert ids(effective(es, known_at=T2)) == ["p", "r", "a", "b"]


def test_a_correction_counts_only_when_it_passes_both_filters():
    state = LedgerState(new_id=new_id)
    es = admit(REG + [grant("a", "2013-01-01")], T1, state)
    es += admit([ev("EventCorrected", "2014-06-01", "fix", event="a",
                    changes={"amount": "250"}, reason="r")], T2, state)

    def amount(**kw):
        [a] = [e for e in effective(es, **kw).events if e.id == "a"]
        return a.fields["amount"]

    assert amount() == Decimal(250)
    assert amount(as_of=date(2014, 5, 31)) == Decimal(100)  # not yet occurred
    assert amount(known_at=T1) == Decimal(100)  # not yet recorded
    assert amount(as_of=date(2014, 6, 1), known_at=T2) == Decimal(250)
    assert effective(es).corrections == {"a": 1}
    assert effective(es, known_at=T1).corrections == {}


def test_corrections_apply_in_recording_order_and_can_move_an_event():
    es = events(grant("a", "2013-01-01"),
                ev("EventCorrected", "2013-02-01", "c1", event="a",
                   changes={"amount": "200", "occurred_on": "2013-06-01"}, reason="r"),
                ev("EventCorrected", "2013-03-01", "c2", event="a", changes={"amount": "300"},
                   reason="r"))
    [a] = [e for e in effective(es).events if e.id == "a"]
    assert (a.fields["amount"], a.occurred_on) == (Decimal(300), date(2013, 6, 1))
    # moved after the as-of date: out of the report
    assert "a" not in ids(effective(es, as_of=date(2013, 4, 1)))
    # before the corrections occurred, the original stands
    assert "a" in ids(effective(es, as_of=date(2013, 1, 15)))


def test_a_retraction_counts_only_when_it_passes_both_filters():
    state = LedgerState(new_id=new_id)
    es = admit(REG + [grant("a", "2013-01-01"), grant("b", "2013-01-02")], T1, state)
    es += admit([ev("EventRetracted", "2014-01-01", "x", event="b", reason="dup")], T2, state)
    assert "b" not in ids(effective(es))
    assert "b" in ids(effective(es, as_of=date(2013, 12, 31)))
    assert "b" in ids(effective(es, known_at=T1))
    # amendments themselves never appear
    assert "x" not in ids(effective(es))


def sales(id_, on, period, revenue, **kw):
    return ev("SalesReported", on, id_, venture="v", period=period, revenue=revenue, **kw)


def test_chosen_claim_is_the_latest_published_then_latest_recorded():
    es = events(sales("a", "2015-03-01", "2014", "6"), sales("b", "2015-01-01", "2014", "2"),
                sales("c", "2015-03-01", "2014", "5"))
    c = choose(effective(es).events)[("v", "2014")]
    assert (c.chosen, c.claims, c.low, c.high, c.source) == (
        Decimal(5), 3, Decimal(2), Decimal(6), "https://example.org/c")
    assert c.disputed


def test_revenue_of_a_year_annual_or_sum_of_quarters():
    es = events(sales("q1", "2014-04-01", "2014-Q1", "10"),
                sales("q2", "2014-07-01", "2014-Q2", "20"),
                sales("q2b", "2014-08-01", "2014-Q2", "25"),
                sales("y15q", "2015-04-01", "2015-Q1", "99"),
                sales("y15", "2015-12-01", "2015", "50"))
    years = revenue_by_year(choose(effective(es).events).values())
    y14, y15 = years[2014], years[2015]
    # no annual claim: the quarters add up, even only two of them; Q2 is disputed
    assert (y14.revenue, y14.basis, y14.periods) == (Decimal(35), "quarters", ("2014-Q1",
                                                                              "2014-Q2"))
    assert (y14.claims, y14.low, y14.high, y14.disputed) == (3, Decimal(30), Decimal(35), True)
    # an annual claim wins over the quarters
    assert (y15.revenue, y15.basis, y15.claims) == (Decimal(50), "annual", 1)
    # as of before the annual claim was published, the quarter counts
    years = revenue_by_year(choose(effective(es, as_of=date(2015, 6, 1)).events).values())
    assert years[2015].revenue == Decimal(99)


def metric(id_, on, name, value):
    return ev("MetricReported", on, id_, venture="v", metric=name, value=value)


def test_customers_and_jobs_latest_report_on_or_before_the_date():
    es = effective(events(metric("j1", "2013-01-01", "jobs", 10),
                          metric("j2", "2014-01-01", "jobs", 7),
                          sales("s", "2013-06-01", "2012", "1", customers=40),
                          metric("c", "2013-09-01", "customers", 35))).events
    jobs = history(es, "jobs")
    assert level_at(jobs, date(2012, 12, 31)) is None  # before the first observation
    assert level_at(jobs, date(2013, 1, 1)) == 10
    assert level_at(jobs, date(2015, 1, 1)) == 7 == latest(jobs)
    customers = history(es, "customers")
    assert level_at(customers, date(2013, 7, 1)) == 40  # from SalesReported.customers
    assert level_at(customers, date(2013, 9, 1)) == 35


def test_partners_and_offers_totals_reset_running_counts():
    es = effective(events(
        ev("PartnerSigned", "2013-01-01", "a", venture="v", partner="batch", count=10),
        ev("PartnerSigned", "2013-02-01", "b", venture="v", partner="one"),
        metric("t", "2013-03-01", "partners", 4),
        ev("PartnerSigned", "2013-03-01", "c", venture="v", partner="same day, after"),
        ev("PartnerSigned", "2013-04-01", "d", venture="v", partner="x", count=2),
        ev("OfferLaunched", "2013-01-01", "o1", venture="v", offer="A"),
        ev("OfferLaunched", "2013-05-01", "o2", venture="v", offer="B"),
        metric("ot", "2013-06-01", "offers", 5),
    )).events
    partners = history(es, "partners")
    assert level_at(partners, date(2012, 12, 31)) is None
    assert level_at(partners, date(2013, 2, 1)) == 11  # running count, no total yet
    assert level_at(partners, date(2013, 3, 1)) == 5  # total 4, +1 recorded after it
    assert level_at(partners, date(2013, 4, 1)) == 7
    offers = history(es, "offers")
    assert [level_at(offers, date(2013, m, 1)) for m in (1, 5, 6)] == [1, 2, 5]
