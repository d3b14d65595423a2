"""Every formula of "Levels and targets", on the pure folds and through report_from_events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from outcomes.projections.folds.targets import Target, expected
from outcomes.projections.readmodel.replay import report_from_events
from tests.projection_scenario import admit, ev

REG = [ev("ProgramRegistered", "2012-01-01", "p", program="p", name="P", funder="F"),
       ev("VentureRegistered", "2012-01-01", "r", venture="v", name="V", program="p")]


def target(on, metric, value, due, id_=None, **kw):
    return ev("TargetSet", on, id_, venture="v", metric=metric, value=value, due=due, **kw)


def sales(on, period, revenue):
    return ev("SalesReported", on, None, venture="v", period=period, revenue=revenue)


def jobs(on, value):
    return ev("MetricReported", on, None, venture="v", metric="jobs", value=value)


def report(*raws, as_of):
    events = admit(REG + list(raws), datetime(2020, 1, 1, tzinfo=UTC))
    return report_from_events("targets", events, as_of=date.fromisoformat(as_of))["targets"]


def one(*raws, as_of):
    [t] = report(*raws, as_of=as_of)
    return t


def rows(t):
    return [(r["year"], r["date"], r["expected"], r["actual"], r["attainment"])
            for r in t["series"]]


T = Target(Decimal(100), date(2014, 1, 1), date(2012, 1, 1), Decimal(20), "s", 1)


def test_trajectory_is_a_clamped_straight_line_in_days():
    assert expected(T, date(2012, 1, 1)) == Decimal(20)  # baseline at set_on
    assert expected(T, date(2011, 1, 1)) == Decimal(20)  # clamped before
    # 2013-01-01 is 366 of 731 days: 20 + 80 * 366 / 731 (not a finite decimal: compared
    # to 40 places, since the last of the context's digits depends on the order of operations)
    places = Decimal("1e-40")
    assert expected(T, date(2013, 1, 1)).quantize(places) == \
        (Decimal(20) + Decimal(80) * Decimal(366) / 731).quantize(places)
    assert expected(T, date(2014, 1, 1)) == Decimal(100)
    assert expected(T, date(2020, 1, 1)) == Decimal(100)  # clamped after


def test_a_target_due_before_it_was_set_expects_the_value_at_once():
    late = Target(Decimal(100), date(2012, 1, 1), date(2013, 6, 1), Decimal(0), "s", 1)
    assert expected(late, date(2013, 6, 1)) == Decimal(100)
    t = one(target("2013-06-01", "jobs", "100", "2012-12-31"), jobs("2012-06-01", 40),
            jobs("2013-03-01", 70), as_of="2014-06-30")
    # series from the year it was set; due already passed: final at once, on the due date
    assert rows(t) == [(2013, "2013-12-31", "100.00", "70", 0.7),
                       (2014, "2014-06-30", "100.00", "70", 0.7)]
    assert (t["final_attainment"], t["status"]) == (0.4, "missed")  # level on 2012-12-31


def test_series_one_row_per_year_up_to_the_as_of_date_never_beyond():
    t = one(target("2012-07-01", "jobs", "100", "2020-12-31"), as_of="2014-03-15")
    assert [(r["year"], r["date"]) for r in t["series"]] == [
        (2012, "2012-12-31"), (2013, "2013-12-31"), (2014, "2014-03-15")]


def test_expected_is_rounded_to_two_places_baseline_included():
    # 10 + (40 - 10) * 182 / 366 = 24.918...: 2012-07-01 is 182 of the 366 days
    t = one(target("2012-01-01", "jobs", "40", "2013-01-01", baseline="10"), as_of="2012-07-01")
    assert t["series"][0]["expected"] == "24.92"
    assert t["initial"]["baseline"] == "10"


def test_revenue_actual_is_the_year_claim_or_null():
    t = one(target("2012-01-01", "revenue", "1000", "2016-12-31"),
            sales("2013-02-01", "2012", "100"), sales("2015-02-01", "2014", "300"),
            as_of="2014-12-31")
    # the 2014 claim was published after the as-of date: null; 2013 has no claim: null
    assert [r["actual"] for r in t["series"]] == ["100", None, None]
    assert [r["attainment"] for r in t["series"]][1:] == [None, None]


def test_levels_are_null_before_the_first_observation():
    t = one(target("2012-01-01", "jobs", "100", "2016-12-31"), jobs("2013-05-01", 10),
            jobs("2015-02-01", 30), as_of="2015-06-30")
    assert [r["actual"] for r in t["series"]] == [None, "10", "10", "30"]


def test_attainment_is_null_where_expected_is_zero():
    t = one(target("2012-01-01", "jobs", "100", "2016-12-31"), jobs("2012-01-01", 5),
            as_of="2012-01-01")
    assert rows(t) == [(2012, "2012-01-01", "0.00", "5", None)]
    # actual >= 0.9 x expected (0): on track
    assert t["status"] == "on track"


def test_final_attainment_and_status_once_due():
    def final(*extra, as_of):
        t = one(target("2012-01-01", "revenue", "200", "2014-06-30"), *extra, as_of=as_of)
        return t["final_attainment"], t["status"]

    # revenue of the due year (2014), whenever it was published before the as-of date
    assert final(sales("2015-03-01", "2014", "250"), as_of="2015-06-30") == (1.25, "achieved")
    assert final(sales("2015-03-01", "2014", "200"), as_of="2015-06-30") == (1.0, "achieved")
    assert final(sales("2015-03-01", "2014", "150"), as_of="2015-06-30") == (0.75, "missed")
    assert final(sales("2014-03-01", "2013", "150"), as_of="2015-06-30") == (None, "no data")
    # not yet due: no final attainment
    assert final(sales("2014-03-01", "2013", "150"), as_of="2014-06-29")[0] is None


def test_level_at_due_is_taken_on_the_due_date():
    t = one(target("2012-01-01", "jobs", "100", "2013-12-31"), jobs("2013-06-01", 80),
            jobs("2014-02-01", 120), as_of="2014-06-30")
    assert (t["final_attainment"], t["status"]) == (0.8, "missed")


def test_status_before_due_uses_the_latest_row_with_an_actual():
    def status(*extra):
        return one(target("2012-01-01", "revenue", "1000", "2016-12-31"), *extra,
                   as_of="2014-06-30")["status"]

    # expected at 2013-12-31: 1000 x 730/1826 = 399.78; at 90%: 359.80
    assert status(sales("2014-02-01", "2013", "360")) == "on track"
    assert status(sales("2014-02-01", "2013", "359")) == "behind"
    # the 2014 row has no actual yet, so 2013 decides; no actual at all: no data
    assert status() == "no data"


def test_initial_current_and_revisions():
    ts = report(target("2013-01-01", "revenue", "300", "2016-12-31", "second"),
                target("2012-06-01", "revenue", "400", "2016-12-31", "first"),
                target("2014-01-01", "revenue", "200", "2020-12-31", "third"),
                target("2014-01-01", "revenue", "150", "2020-12-31", "fourth"),
                as_of="2014-06-30")
    [t] = ts
    assert (t["initial"]["value"], t["initial"]["set_on"]) == ("400", "2012-06-01")
    # same day: the later recorded one is the last
    assert (t["current"]["value"], t["current"]["source"]) == ("150",
                                                              "https://example.org/fourth")
    assert t["revisions"] == 3
    # the trajectory is the initial target's: from 2012-06-01 to 2016-12-31
    assert t["series"][0]["year"] == 2012
    before_revision = report(target("2013-01-01", "revenue", "300", "2016-12-31"),
                             target("2012-06-01", "revenue", "400", "2016-12-31"),
                             as_of="2012-12-31")[0]
    assert before_revision["revisions"] == 0


def test_a_corrected_set_on_date_can_change_the_initial_target():
    [t] = report(target("2012-06-01", "jobs", "10", "2016-12-31", "a"),
                 target("2013-06-01", "jobs", "20", "2016-12-31", "b"),
                 ev("EventCorrected", "2014-01-01", None, event="a",
                    changes={"occurred_on": "2014-01-01"}, reason="misdated"),
                 as_of="2015-01-01")
    assert (t["initial"]["value"], t["current"]["value"]) == ("20", "10")


def test_metrics_without_a_target_are_not_reported_and_order_is_the_schema_order():
    ts = report(target("2012-01-01", "jobs", "5", "2016-12-31"),
                target("2012-01-01", "revenue", "5", "2016-12-31"), jobs("2013-01-01", 3),
                as_of="2013-06-30")
    assert [t["metric"] for t in ts] == ["revenue", "jobs"]
    assert report(jobs("2013-01-01", 3), as_of="2013-06-30") == []
    # no data at all: no target yet on the as-of date
    assert report(target("2013-01-01", "jobs", "5", "2016-12-31"), as_of="2012-12-31") == []


def test_partners_target_counts_batches_and_totals():
    t = one(target("2012-01-01", "partners", "100", "2013-12-31"),
            ev("PartnerSigned", "2012-03-01", None, venture="v", partner="batch", count=30),
            ev("MetricReported", "2013-03-01", None, venture="v", metric="partners", value=20),
            ev("PartnerSigned", "2013-05-01", None, venture="v", partner="one"),
            as_of="2014-01-01")
    assert [r["actual"] for r in t["series"]] == ["30", "21", "21"]
    assert (t["final_attainment"], t["status"]) == (0.21, "missed")


def closed(on):
    return ev("VentureClosed", on, None, venture="v", outcome="acquired")


def test_a_venture_closed_before_due_is_judged_at_its_closure():
    # Revenue: the last year with revenue up to the closure year; series stop at closure.
    t = one(target("2012-03-01", "revenue", "100", "2016-12-31"),
            sales("2014-02-01", "2013", "2"), sales("2015-02-01", "2014", "4"),
            closed("2015-03-20"), as_of="2020-06-30")
    assert [r["year"] for r in t["series"]] == [2012, 2013, 2014, 2015]
    assert (t["final_attainment"], t["status"]) == (0.04, "missed")
    assert (t["judged_on"], t["closed_on"]) == ("2015-03-20", "2015-03-20")
    # Counts: the level on the closure date.
    t = one(target("2012-03-01", "jobs", "50", "2016-12-31"), jobs("2014-01-01", 10),
            jobs("2015-01-01", 60), closed("2015-03-20"), jobs("2015-06-01", 5),
            as_of="2020-06-30")
    assert (t["final_attainment"], t["status"]) == (1.2, "achieved")


def test_before_the_closure_date_a_target_is_still_in_progress():
    t = one(target("2012-03-01", "jobs", "50", "2016-12-31"), jobs("2014-01-01", 10),
            closed("2015-03-20"), as_of="2015-03-19")
    assert t["closed_on"] is None and t["status"] == "behind" and t["final_attainment"] is None


def test_a_venture_closed_after_due_is_judged_at_due():
    t = one(target("2012-03-01", "revenue", "100", "2014-12-31"),
            sales("2015-02-01", "2014", "40"), closed("2016-03-20"), as_of="2020-06-30")
    assert (t["judged_on"], t["final_attainment"], t["status"]) == ("2014-12-31", 0.4, "missed")
    assert t["series"][-1]["year"] == 2016  # the series still stops at the closure year


def test_closed_before_due_with_no_revenue_claim_is_no_data():
    t = one(target("2012-03-01", "revenue", "100", "2016-12-31"), closed("2013-03-20"),
            as_of="2020-06-30")
    assert (t["final_attainment"], t["status"]) == (None, "no data")
