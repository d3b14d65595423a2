"""The folds' whole results, field by field, and the branches the report tests leave open.

Written against the mutants that survived `tools/mutate` (docs/testing.md): each test
compares a fold's full output (every field of its dataclasses, positions included) or
sits on a branch no other fast test takes. Expected values are derived by hand below.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from outcomes.ledger.schema import UNSPECIFIED as U
from outcomes.projections.folds.claims import Claim, PeriodClaims, choose
from outcomes.projections.folds.effective import effective
from outcomes.projections.folds.levels import Observation, YearRevenue, history, revenue_by_year
from outcomes.projections.folds.roi import Money, Rate, evaluate, fold_money
from outcomes.projections.folds.targets import Target, fold_targets
from tests.projection_scenario import SRC, admit, ev
from tests.unit.test_boundaries import LATER, REG, report

D = Decimal


def events(*raws):
    """REG (positions 1, 2) and `raws` from position 3, as the effective events."""
    return effective(admit(REG + list(raws), LATER)).events


def test_choose_keeps_the_chosen_claims_venture_position_date_and_source() -> None:
    # positions: 3 (2015, 700, published 2016-03-01), 4 (2015, 900, published 2016-06-01),
    # 5 (2016-Q1, 50). Chosen for 2015: position 4.
    claims = choose(events(
        ev("SalesReported", "2016-03-01", "a", venture="v", period="2015", revenue="700"),
        ev("SalesReported", "2016-06-01", "b", venture="v", period="2015", revenue="900"),
        ev("SalesReported", "2016-07-01", "c", venture="v", period="2016-Q1", revenue="50")))
    # No grades: every claim is unspecified; each claim listed in contract order.
    assert claims == {
        ("v", "2015"): PeriodClaims("v", "2015", D(900), 2, D(700), D(900), 4,
                                    date(2016, 6, 1), SRC + "b", U,
                                    (Claim("a", D(700), U, date(2016, 3, 1), 3),
                                     Claim("b", D(900), U, date(2016, 6, 1), 4))),
        ("v", "2016-Q1"): PeriodClaims("v", "2016-Q1", D(50), 1, D(50), D(50), 5,
                                       date(2016, 7, 1), SRC + "c", U,
                                       (Claim("c", D(50), U, date(2016, 7, 1), 5),))}


def test_revenue_by_year_exact() -> None:
    # 2015: quarters Q1 (100, or 80 in a second claim; the later one, 80, is used) and
    # Q2 (30): 80 + 30 = 110, low 80 + 30, high 100 + 30, 3 claims for 2 periods.
    # 2016: the annual claim (500) wins over its Q1 (60).
    es = events(
        ev("SalesReported", "2015-05-01", None, venture="v", period="2015-Q1", revenue="100"),
        ev("SalesReported", "2015-06-01", None, venture="v", period="2015-Q1", revenue="80"),
        ev("SalesReported", "2015-08-01", None, venture="v", period="2015-Q2", revenue="30"),
        ev("SalesReported", "2016-05-01", None, venture="v", period="2016-Q1", revenue="60"),
        ev("SalesReported", "2017-03-01", None, venture="v", period="2016", revenue="500"))
    assert revenue_by_year(choose(es).values()) == {
        2015: YearRevenue(2015, D(110), "quarters", ("2015-Q1", "2015-Q2"), 3, D(110), D(130),
                          U),
        2016: YearRevenue(2016, D(500), "annual", ("2016",), 1, D(500), D(500), U)}


def test_history_observations_with_their_positions() -> None:
    # partners: +10 (position 3), +1 (4), a reported total of 130 (5), +5 (6) -> 10, 11,
    # 130, 135, each at its event's date and position.
    es = events(
        ev("PartnerSigned", "2013-01-15", None, venture="v", partner="batch", count=10),
        ev("PartnerSigned", "2013-06-01", None, venture="v", partner="APX"),
        ev("MetricReported", "2014-09-15", None, venture="v", metric="partners", value=130),
        ev("PartnerSigned", "2014-11-01", None, venture="v", partner="b", count=5))
    assert history(es, "partners") == [
        Observation(date(2013, 1, 15), 3, 10, U), Observation(date(2013, 6, 1), 4, 11, U),
        Observation(date(2014, 9, 15), 5, 130, U), Observation(date(2014, 11, 1), 6, 135, U)]


def test_customers_of_a_sales_report_count_only_for_the_customers_metric() -> None:
    # A SalesReported with customers=40 sets the customers level, never the jobs level.
    es = events(
        ev("MetricReported", "2014-01-01", None, venture="v", metric="jobs", value=7),
        ev("SalesReported", "2014-03-01", None, venture="v", period="2013", revenue="1",
           customers=40))
    assert [o.level for o in history(es, "jobs")] == [7]
    assert [o.level for o in history(es, "customers")] == [40]


def grant(on: str, amount: str, public: bool = True) -> dict:
    return ev("FundingGranted", on, None, venture="v", amount=amount, funder="F",
              public=public)


def test_fold_money_adds_up_several_events_of_each_kind() -> None:
    # committed 75 + 25 = 100; public paid 20 + 10 = 30; private 45 + 5 = 50; returned
    # 1 + 2 = 3, both on 2014-01-01, so one flow of +3 that day.
    def commit(amount: str) -> dict:
        return ev("FundingCommitted", "2012-02-01", None, venture="v", amount=amount,
                  funder="F")

    def ret(amount: str) -> dict:
        return ev("ReturnReceived", "2014-01-01", None, venture="v", amount=amount,
                  kind="dividend")

    m = fold_money(events(commit("75"), commit("25"), grant("2012-03-01", "20"),
                          grant("2013-03-01", "10"), grant("2012-03-01", "45", False),
                          grant("2012-03-01", "5", False), ret("1"), ret("2")))
    assert (m.public_committed, m.public_granted, m.private_granted, m.returned) == (
        D(100), D(30), D(50), D(3))
    assert m.flows == ((date(2012, 3, 1), D(-20)), (date(2013, 3, 1), D(-10)),
                       (date(2014, 1, 1), D(3)))


def test_evaluate_uses_a_rate_it_is_given() -> None:
    # The read model passes the irr it cached: evaluate takes it as it is.
    money = Money(public_granted=D(100), returned=D(50),
                  flows=((date(2012, 1, 1), D(-100)), (date(2013, 1, 1), D(50))))
    r = evaluate(money, date(2014, 1, 1), Rate(D("0.125"), None, (D("0.125"),), True))
    assert (r.irr, r.irr_note, r.irr_roots, r.irr_lower_bound) == (
        D("0.125"), None, (D("0.125"),), True)
    r = evaluate(money, date(2014, 1, 1), Rate(None, "cached note", (D(1), D(2))))
    assert (r.irr_note, r.irr_roots, r.irr_lower_bound) == ("cached note", (D(1), D(2)), False)


def test_evaluate_without_a_date_leaves_the_irr_out() -> None:
    # With no as-of date there is no irr and no note, even for nothing granted (whose note
    # would otherwise be "nothing granted").
    r = evaluate(Money(), None)
    assert (r.irr, r.irr_note) == (None, None)


def test_a_residual_value_under_one_is_still_a_flow() -> None:
    # 100 paid on 2020-01-01, the stake worth 0.50 on 2021-01-01 (366 days, act/365):
    # (0.5 / 100) ** (365 / 366) - 1 = exp(0.997268 x ln 0.005) - 1 = -0.994927.
    money = Money(public_granted=D(100), residual_value=D("0.50"),
                  flows=((date(2020, 1, 1), D(-100)),))
    r = evaluate(money, date(2021, 1, 1))
    assert r.irr_note is None and round(r.irr, 6) == D("-0.994927")


def target(on: str, metric: str, value: str, due: str, id_: str) -> dict:
    return ev("TargetSet", on, id_, venture="v", metric=metric, value=value, due=due)


def test_fold_targets_keeps_positions_and_the_metric_order() -> None:
    # offers (position 3), then revenue (4) revised by position 5: reported in the
    # schema's metric order, revenue first; the offers target is kept too.
    es = events(target("2012-01-01", "offers", "3", "2014-12-31", "o"),
                target("2012-01-01", "revenue", "1000", "2015-12-31", "r1"),
                target("2013-01-01", "revenue", "500", "2016-12-31", "r2"))
    facts = fold_targets("v", es, {})
    assert [(f.metric, f.initial, f.current, f.revisions) for f in facts] == [
        ("revenue", Target(D(1000), date(2015, 12, 31), date(2012, 1, 1), D(0), SRC + "r1", 4,
                           U),
         Target(D(500), date(2016, 12, 31), date(2013, 1, 1), D(0), SRC + "r2", 5, U), 1),
        ("offers", Target(D(3), date(2014, 12, 31), date(2012, 1, 1), D(0), SRC + "o", 3, U),
         Target(D(3), date(2014, 12, 31), date(2012, 1, 1), D(0), SRC + "o", 3, U), 0)]


def one_target(raws: list, as_of: str) -> dict:
    [t] = report("targets", raws, as_of)["targets"]
    return t


def test_a_count_after_its_last_observation_is_the_latest_level() -> None:
    # Offers target 3 by 2024: one launch in 2020, another in 2020; as of 2022-06-30 the
    # rows of 2021 and 2022 carry the latest level, 2.
    t = one_target([target("2020-01-01", "offers", "3", "2024-12-31", "o"),
                    ev("OfferLaunched", "2020-03-01", None, venture="v", offer="A"),
                    ev("OfferLaunched", "2020-09-01", None, venture="v", offer="B")],
                   "2022-06-30")
    assert [(r["year"], r["actual"]) for r in t["series"]] == [
        (2020, "2"), (2021, "2"), (2022, "2")]


def test_a_target_due_on_the_day_it_is_set() -> None:
    # Due the day it is set: the line is its value at once (no division by zero days).
    t = one_target([target("2020-01-01", "customers", "50", "2020-01-01", "t")], "2020-01-01")
    assert t["series"][0]["expected"] == "50.00"
    assert t["status"] == "no data"


def test_targets_of_one_and_of_zero_met() -> None:
    # A target of 1 customer met with 1: final 1/1 = 1. A target of 0 met with 0:
    # achieved, with no final attainment (0/0).
    def met(value: str, level: int) -> dict:
        return one_target([target("2020-01-01", "customers", value, "2020-06-30", "t"),
                           ev("MetricReported", "2020-03-01", None, venture="v",
                              metric="customers", value=level)], "2020-12-31")

    assert (met("1", 1)["final_attainment"], met("1", 1)["status"]) == (1.0, "achieved")
    assert (met("0", 0)["final_attainment"], met("0", 0)["status"]) == (None, "achieved")


def test_history_of_every_kind_of_figure_in_report_order() -> None:
    # Positions from 3: t (revenue target 1000), o1 (offer), p1 (a partner, no count: 1),
    # o2, m (partners total 10), p2 (2 partners), c (customers 7), m2 (partners total 20),
    # s13 (2013 revenue 50, customers 9), s12 (2012 revenue 40), t2 (revision: 500).
    from outcomes.projections.folds.history import history
    from outcomes.projections.present.history import history_document

    es = events(
        target("2012-03-01", "revenue", "1000", "2016-12-31", "t"),
        ev("OfferLaunched", "2012-06-01", "o1", venture="v", offer="A"),
        ev("PartnerSigned", "2012-07-01", "p1", venture="v", partner="APX"),
        ev("OfferLaunched", "2013-01-01", "o2", venture="v", offer="B"),
        ev("MetricReported", "2013-02-01", "m", venture="v", metric="partners", value=10),
        ev("PartnerSigned", "2013-03-01", "p2", venture="v", partner="two", count=2),
        ev("MetricReported", "2013-04-01", "c", venture="v", metric="customers", value=7),
        ev("MetricReported", "2013-06-01", "m2", venture="v", metric="partners", value=20),
        ev("SalesReported", "2014-01-01", "s13", venture="v", period="2013", revenue="50",
           customers=9),
        ev("SalesReported", "2014-01-02", "s12", venture="v", period="2012", revenue="40"),
        target("2014-02-01", "revenue", "500", "2018-12-31", "t2"))
    doc = history_document(history(es, "v"), LATER)
    # Figures: revenue by period, then levels in the metric order (customers, partners,
    # offers), then targets. Each change: (id, set by, stated, value, claims, due).
    got = {f["figure"]: [(c["id"], c["set_by"], c["stated"], c["value"], c["claims"], c["due"])
                         for c in f["changes"]] for f in doc["figures"]}
    assert list(got) == ["revenue 2012", "revenue 2013", "customers", "partners", "offers",
                         "target revenue"]
    assert got == {
        "revenue 2012": [("s12", "claim", D(40), D(40), 1, None)],
        "revenue 2013": [("s13", "claim", D(50), D(50), 1, None)],
        # the latest report of customers is the sales report's 9, not 7 + 9
        "customers": [("c", "report", 7, 7, None, None), ("s13", "claim", 9, 9, None, None)],
        # 1 signing; a total of 10; +2 = 12; a new total of 20
        "partners": [("p1", "signing", 1, 1, None, None), ("m", "report", 10, 10, None, None),
                     ("p2", "signing", 2, 12, None, None), ("m2", "report", 20, 20, None, None)],
        "offers": [("o1", "launch", 1, 1, None, None), ("o2", "launch", 1, 2, None, None)],
        "target revenue": [("t", "initial", D(1000), D(1000), None, "2016-12-31"),
                           ("t2", "revision", D(500), D(500), None, "2018-12-31")]}


def test_registry_keeps_every_registration_field() -> None:
    from outcomes.projections.folds.venture import ProgramInfo, VentureInfo, registry

    es = admit([ev("ProgramRegistered", "2012-01-01", "p", program="p", name="P",
                   funder="F", budget="150"),
                ev("VentureRegistered", "2012-02-01", "r-v", venture="v", name="V",
                   program="p", identifier="SIREN 1")], LATER)
    who = registry(es)
    assert who.programs == {"p": ProgramInfo("p", "P", "F", "EUR", D(150), date(2012, 1, 1),
                                             SRC + "p")}
    assert who.ventures == {"v": VentureInfo("v", "V", "p", "EUR", "SIREN 1",
                                             date(2012, 2, 1), SRC + "r-v")}


def test_fold_venture_keeps_closure_claims_years_and_timeline() -> None:
    # v: a 2014 claim of 30 (position 3), closed on 2015-03-20 (acquired, position 4).
    from outcomes.projections.folds.venture import fold_venture

    es = events(ev("SalesReported", "2015-01-10", "s", venture="v", period="2014",
                   revenue="30"),
                ev("VentureClosed", "2015-03-20", "x", venture="v", outcome="acquired"))
    fold = fold_venture("v", es, as_of=date(2016, 1, 1))
    assert fold is not None
    assert (fold.closed_on, fold.outcome) == (date(2015, 3, 20), "acquired")
    assert [(c.period, c.chosen) for c in fold.claims] == [("2014", D(30))]
    assert [(y, r.revenue) for y, r in fold.years.items()] == [(2014, D(30))]
    # a timeline unless asked not to: each entry with its type, figure and position
    assert [(r.venture, r.type, r.figure, r.position) for r in fold.timeline] == [
        ("v", "VentureRegistered", None, 2), ("v", "SalesReported", D(30), 3),
        ("v", "VentureClosed", None, 4)]
    assert fold_venture("v", es, as_of=date(2016, 1, 1), timeline=False).timeline == []
    # not present before it is registered (2012-01-01) with no event by then
    assert fold_venture("v", es, as_of=date(2011, 12, 31)) is None


def test_a_program_is_present_once_registered_or_once_a_venture_is() -> None:
    # A program q registered on 2015-01-01 with no venture is in the report as of that very
    # day (registered on or before the as-of date), not the day before.
    q = ev("ProgramRegistered", "2015-01-01", "q", program="q", name="Q", funder="F")
    assert [p["program"] for p in report("roi", [q], "2015-01-01")["programs"]] == ["p", "q"]
    assert [p["program"] for p in report("roi", [q], "2014-12-31")["programs"]] == ["p"]
    # A program registered after the as-of date is still there when one of its ventures
    # is: money paid on 2011-06-01, before both registrations (2012-01-01).
    doc = report("roi", [grant("2011-06-01", "5")], "2011-12-31")
    assert [p["program"] for p in doc["programs"]] == ["p"]
    assert doc["programs"][0]["public_granted"] == "5"


def test_amounts_are_written_without_an_exponent() -> None:
    # Decimal("0.0000001") prints as 1E-7; the JSON has the plain digits.
    doc = report("roi", [grant("2013-01-01", "0.0000001")], "2014-01-01")
    assert doc["ventures"][0]["public_granted"] == "0.0000001"
    assert doc["ventures"][0]["net"] == "-0.0000001"


def test_history_of_corrections_retractions_and_one_metric() -> None:
    # s: 2013 revenue 50 with 9 customers (position 3); g: a grant of 10 (4), retracted (5:
    # no live payment is left, so no value); s corrected to 60, reason "typo" (6).
    from outcomes.projections.folds.history import history
    from outcomes.projections.present.history import history_document, history_rows

    es = admit(REG + [
        ev("SalesReported", "2014-01-01", "s", venture="v", period="2013", revenue="50",
           customers=9),
        grant("2014-02-01", "10") | {"id": "g"},
        ev("EventRetracted", "2014-03-01", "x", event="g", reason="never paid"),
        ev("EventCorrected", "2014-04-01", "c", event="s", changes={"revenue": "60"},
           reason="typo")], LATER)
    doc = history_document(history(es, "v"), LATER)
    assert doc["venture"] == "v"
    [revenue, customers, paid] = doc["figures"]
    assert [(c["id"], c["set_by"], c["event"], c["stated"], c["value"], c["reason"])
            for c in revenue["changes"]] == [("s", "claim", None, D(50), D(50), None),
                                             ("c", "correction", "s", D(60), D(60), "typo")]
    # The correction leaves the customers as they were: listed, nothing stated.
    assert [(c["id"], c["stated"], c["value"]) for c in customers["changes"]] == [
        ("s", 9, 9), ("c", None, 9)]
    # Money is a figure too (after the targets): the payment, then its retraction.
    assert (paid["figure"], paid["kind"], paid["metric"]) == (
        "public_granted", "money", "public_granted")
    assert [(c["id"], c["set_by"], c["event"], c["stated"], c["value"], c["reason"])
            for c in paid["changes"]] == [("g", "payment", None, D(10), D(10), None),
                                          ("x", "retraction", "g", None, None, "never paid")]
    # One metric: the customers of the sales report are kept, its revenue is not.
    only = history(es, "v", metric="customers")
    assert [f.label for f, _ in only.ordered()] == ["customers"]
    rows = history_rows(history(es, "v"))
    assert [(r["figure"], r["recorded_at"], r["detail"]) for r in rows] == [
        ("revenue 2013", "2021-01-01T00:00:00Z", ""),
        ("revenue 2013", "2021-01-01T00:00:00Z", "revenue=60; reason: typo"),
        ("customers", "2021-01-01T00:00:00Z", ""),
        ("customers", "2021-01-01T00:00:00Z", "revenue=60; reason: typo"),
        ("public_granted", "2021-01-01T00:00:00Z", ""),
        ("public_granted", "2021-01-01T00:00:00Z", "reason: never paid")]


def test_history_detail_lists_every_change_of_a_correction() -> None:
    # One correction of two fields: "period=2014 revenue=60; reason: typo" (changes in the
    # order given, then the reason).
    from outcomes.projections.folds.history import history
    from outcomes.projections.present.history import history_rows

    es = admit(REG + [
        ev("SalesReported", "2014-01-01", "s", venture="v", period="2013", revenue="50"),
        ev("EventCorrected", "2014-04-01", "c", event="s",
           changes={"period": "2014", "revenue": "60"}, reason="typo")], LATER)
    details = {r["detail"] for r in history_rows(history(es, "v")) if r["id"] == "c"}
    assert details == {"period=2014 revenue=60; reason: typo"}
