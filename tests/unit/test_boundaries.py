"""Boundary cases: each rule at the value where a plausible wrong version differs.

Issue 11 found rules that survived when changed one at a time ("latest published" read as
"last recorded", `>` as `>=` on a closure day, 90% exactly, half-up read as half-even...).
Each test here sits on one such edge, its expected value derived by hand in the comments;
docs/testing.md names the mutant each one kills.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from outcomes.ledger.errors import FieldError
from outcomes.ledger.service import new_id
from outcomes.ledger.state import LedgerState
from outcomes.projections.folds.effective import effective
from outcomes.projections.folds.numbers import to_cents
from outcomes.projections.folds.roi import Money, combine
from outcomes.projections.present.numbers import ratio_number
from outcomes.projections.readmodel.replay import report_from_events
from tests.projection_scenario import admit, ev

LATER = datetime(2021, 1, 1, tzinfo=UTC)  # recording time of the events below
REG = [ev("ProgramRegistered", "2012-01-01", "p", program="p", name="P", funder="F"),
       ev("VentureRegistered", "2012-01-01", "r-v", venture="v", name="V", program="p")]


def report(kind: str, raws: list[dict[str, Any]], as_of: str, **options: Any) -> dict:
    return report_from_events(kind, admit(REG + raws, LATER), as_of=date.fromisoformat(as_of),
                              **options)


def venture_row(doc: dict, venture: str = "v") -> dict:
    return next(row for row in doc["ventures"] if row["venture"] == venture)


def grant(on: str, amount: str, venture: str = "v", public: bool = True) -> dict[str, Any]:
    return ev("FundingGranted", on, None, venture=venture, amount=amount, funder="F",
              public=public)


def claim(on: str, id_: str, period: str, revenue: str) -> dict[str, Any]:
    return ev("SalesReported", on, id_, venture="v", period=period, revenue=revenue)


# -- the latest published claim, not the last recorded ------------------------------------


def test_claim_published_later_but_recorded_earlier_is_the_one_used() -> None:
    # Recorded in this order: the claim published on 2016-06-01 (900) first, then the one
    # published on 2016-03-01 (700). The contract uses the latest *published* claim: 900
    # (a "last recorded" rule would take 700). low 700, high 900, 2 claims.
    raws = [grant("2015-01-01", "1000"),
            claim("2016-06-01", "late-pub", "2015", "900"),
            claim("2016-03-01", "early-pub", "2015", "700")]
    row = venture_row(report("roi", raws, "2017-01-01"))
    assert row["revenue_to_date"] == "900"
    assert row["revenue_per_public_euro"] == 0.9  # 900 / 1000
    assert row["disputes"] == [{"period": "2015", "claims": 2, "chosen": "900", "low": "700",
                                "high": "900", "source": "https://example.org/late-pub"}]
    timeline = {r["id"]: r["summary"] for r in report("timeline", raws, "2017-01-01")["timeline"]}
    assert "(one of 2 claims, used;" in timeline["late-pub"]
    assert "(one of 2 claims, not used;" in timeline["early-pub"]


def test_claims_published_on_one_day_the_later_recorded_is_used() -> None:
    # Same publication date: the contract order falls back to the position, so the claim
    # recorded second (800) is used.
    raws = [claim("2016-03-01", "first", "2015", "600"),
            claim("2016-03-01", "second", "2015", "800")]
    assert venture_row(report("roi", raws, "2017-01-01"))["revenue_to_date"] == "800"


# -- a venture's closure day -----------------------------------------------------------------


def closed_state() -> LedgerState:
    state = LedgerState(new_id=new_id)
    admit(REG + [ev("VentureClosed", "2015-06-30", "close", venture="v", outcome="liquidated")],
          LATER, state)
    return state


def test_event_on_the_closure_day_is_accepted() -> None:
    # Closed on 2015-06-30: an offer launched that same day happened before the end.
    [event] = admit([ev("OfferLaunched", "2015-06-30", None, venture="v", offer="Last")],
                    LATER, closed_state())
    assert event.occurred_on == date(2015, 6, 30)


def test_event_the_day_after_the_closure_is_refused() -> None:
    with pytest.raises(FieldError, match=r"^venture: 'v' was closed on 2015-06-30; after that"):
        admit([ev("OfferLaunched", "2015-07-01", None, venture="v", offer="Late")],
              LATER, closed_state())


def test_return_the_day_after_the_closure_is_accepted() -> None:
    # Returns are among the events allowed after a closure (liquidation proceeds).
    [event] = admit([ev("ReturnReceived", "2015-07-01", None, venture="v", amount="5",
                        kind="repayment")], LATER, closed_state())
    assert event.fields["amount"] == Decimal(5)


# -- targets: on track at exactly 90%, met exactly ----------------------------------------------
#
# A customers target of 1000 from a baseline of 0, set on 2020-01-01 and due 2020-04-10:
# 31 + 29 (2020 is a leap year) + 31 + 9 = 100 days. On 2020-02-20 (day 50) the straight
# line expects 1000 x 50/100 = 500.


def customers_target(*raws: dict[str, Any]) -> list[dict[str, Any]]:
    return [ev("TargetSet", "2020-01-01", "t", venture="v", metric="customers", value="1000",
               due="2020-04-10"), *raws]


def customers(on: str, value: int) -> dict[str, Any]:
    return ev("MetricReported", on, None, venture="v", metric="customers", value=value)


def target_row(raws: list[dict[str, Any]], as_of: str) -> dict:
    [target] = report("targets", raws, as_of)["targets"]
    return target


def test_on_track_at_exactly_ninety_percent_of_expected() -> None:
    # 450 customers against 500 expected: attainment 450/500 = 0.9 exactly -> on track.
    t = target_row(customers_target(customers("2020-02-01", 450)), "2020-02-20")
    assert t["series"] == [{"year": 2020, "date": "2020-02-20", "expected": "500.00",
                            "actual": "450", "attainment": 0.9,
                            "claims": None, "low": None, "high": None}]
    assert t["status"] == "on track"


def test_behind_just_under_ninety_percent_of_expected() -> None:
    # 449 / 500 = 0.898 -> behind.
    t = target_row(customers_target(customers("2020-02-01", 449)), "2020-02-20")
    assert (t["series"][0]["attainment"], t["status"]) == (0.898, "behind")


def test_target_met_exactly_on_its_due_date_is_achieved() -> None:
    # As of the due date itself the target is judged: 1000 customers on 2020-04-10 against
    # 1000 -> achieved, final attainment 1000/1000 = 1.
    t = target_row(customers_target(customers("2020-04-10", 1000)), "2020-04-10")
    assert (t["final_attainment"], t["status"]) == (1.0, "achieved")
    assert t["series"][-1]["expected"] == "1000.00"


def test_target_missed_by_one_on_its_due_date() -> None:
    # 999 / 1000 = 0.999 -> missed.
    t = target_row(customers_target(customers("2020-04-10", 999)), "2020-04-10")
    assert (t["final_attainment"], t["status"]) == (0.999, "missed")


def test_the_day_before_due_is_still_judged_on_the_line() -> None:
    # 2020-04-09 is day 99: expected 1000 x 99/100 = 990; 900 customers = 900/990 =
    # 0.909090... -> 0.909091 and on track; not judged yet, so no final attainment.
    t = target_row(customers_target(customers("2020-04-01", 900)), "2020-04-09")
    assert t["series"][-1]["expected"] == "990.00"
    assert (t["series"][-1]["attainment"], t["final_attainment"], t["status"]) == (
        0.909091, None, "on track")


def test_expected_at_the_start_and_the_end_of_the_line() -> None:
    # Baseline 100, value 1100, 100 days. On the day it is set (day 0): 100; on the due
    # date: 1100; a year later it stays clamped at 1100 (series rows of 2020 and 2021).
    raws = [ev("TargetSet", "2020-01-01", "t", venture="v", metric="customers", value="1100",
               baseline="100", due="2020-04-10")]
    assert target_row(raws, "2020-01-01")["series"][0]["expected"] == "100.00"
    assert target_row(raws, "2020-04-10")["series"][0]["expected"] == "1100.00"
    assert [r["expected"] for r in target_row(raws, "2021-06-30")["series"]] == [
        "1100.00", "1100.00"]


def test_closure_on_the_due_date_judges_the_target_on_that_date() -> None:
    # Closed on the due date: judged on that date with the level of that date (1000).
    raws = customers_target(customers("2020-04-10", 1000),
                            ev("VentureClosed", "2020-04-10", None, venture="v",
                               outcome="acquired"))
    t = target_row(raws, "2020-12-31")
    assert (t["final_attainment"], t["status"]) == (1.0, "achieved")


# -- a program with an unfunded venture that has no valuation -------------------------------


def test_unfunded_venture_without_valuation_leaves_the_program_valued() -> None:
    # v: 100 paid, valued at 50. w: registered, nothing paid, no valuation. Only a venture
    # that received public money can make the program's figures lower bounds, so the
    # program's residual value is 50 (known), net 50 - 100 = -50, multiple 0.5.
    raws = [ev("VentureRegistered", "2012-01-01", "r-w", venture="w", name="W", program="p"),
            grant("2013-01-01", "100"),
            ev("StakeValued", "2014-01-01", None, venture="v", value="50")]
    [program] = report("roi", raws, "2015-01-01")["programs"]
    assert (program["residual_value"], program["net"], program["multiple"]) == ("50", "-50", 0.5)


def test_funded_venture_without_valuation_makes_the_program_a_lower_bound() -> None:
    # The same with 10 paid to w: w's stake is unknown, so the program's residual value is
    # null and its net (50 - 110 = -60) a lower bound.
    raws = [ev("VentureRegistered", "2012-01-01", "r-w", venture="w", name="W", program="p"),
            grant("2013-01-01", "100"), grant("2013-01-01", "10", venture="w"),
            ev("StakeValued", "2014-01-01", None, venture="v", value="50")]
    [program] = report("roi", raws, "2015-01-01")["programs"]
    assert (program["residual_value"], program["net"]) == (None, "-60")


def test_combine_unvalued_only_for_funded_ventures() -> None:
    valued = Money(public_granted=Decimal(100), residual_value=Decimal(50))
    assert not combine([valued, Money()]).unvalued  # unfunded, unvalued: not counted
    assert not combine([valued, Money(public_granted=Decimal(0),
                                      private_granted=Decimal(5))]).unvalued
    assert combine([valued, Money(public_granted=Decimal("0.01"))]).unvalued


# -- ties in every rounding: half up, as docs/reports.md says ---------------------------------


def test_cost_per_job_tie_rounds_half_up() -> None:
    # 1000000.25 paid / 2 jobs = 500000.125 -> 500000.13 (half-even would give .12).
    raws = [grant("2013-01-01", "1000000.25"),
            ev("MetricReported", "2014-01-01", None, venture="v", metric="jobs", value=2)]
    assert venture_row(report("roi", raws, "2015-01-01"))["cost_per_job"] == "500000.13"


def test_ratio_ties_round_half_up_to_six_places() -> None:
    # 80000 paid; 1 returned, 1 private, revenue 1: multiple, leverage and revenue per
    # public euro are each 1/80000 = 0.0000125 -> 0.000013 (half-even: 0.000012).
    raws = [grant("2013-01-01", "80000"), grant("2013-01-01", "1", public=False),
            ev("ReturnReceived", "2014-01-01", None, venture="v", amount="1", kind="dividend"),
            claim("2014-03-01", "s", "2013", "1")]
    row = venture_row(report("roi", raws, "2015-01-01"))
    assert (row["multiple"], row["leverage"], row["revenue_per_public_euro"]) == (
        0.000013, 0.000013, 0.000013)


def test_expected_tie_rounds_half_up_to_the_cent() -> None:
    # A revenue target of 1000.25 from 0 over 100 days, on day 50: 500.125 -> 500.13.
    raws = [ev("TargetSet", "2020-01-01", "t", venture="v", metric="revenue", value="1000.25",
               due="2020-04-10")]
    assert target_row(raws, "2020-02-20")["series"][0]["expected"] == "500.13"


def test_attainment_tie_rounds_half_up_to_six_places() -> None:
    # A customers target of 160000 over 100 days, on day 50: expected 80000; 1 customer:
    # attainment 1/80000 = 0.0000125 -> 0.000013; behind.
    raws = [ev("TargetSet", "2020-01-01", "t", venture="v", metric="customers",
               value="160000", due="2020-04-10"), customers("2020-02-01", 1)]
    t = target_row(raws, "2020-02-20")
    assert (t["series"][0]["attainment"], t["status"]) == (0.000013, "behind")


@pytest.mark.parametrize(("value", "cents", "ratio"), [
    ("0.005", "0.01", 0.005), ("-0.005", "-0.01", -0.005), ("2.675", "2.68", 2.675),
    ("0.0000005", "0.00", 0.000001), ("-0.0000005", "-0.00", -0.000001),
    ("0.0000015", "0.00", 0.000002), ("0.0000024999", "0.00", 0.000002)])
def test_rounding_functions_half_up_away_from_zero(value: str, cents: str, ratio: float) -> None:
    # Half up means a tie goes away from zero: 0.005 -> 0.01, -0.005 -> -0.01,
    # 0.0000005 -> 0.000001, 0.0000015 -> 0.000002 (half-even would keep 0.000002 but give
    # 0 for 0.0000005); just under a tie rounds down.
    assert str(to_cents(Decimal(value))) == cents
    assert ratio_number(Decimal(value)) == ratio


# -- --as-of and --known-at at their own instant ----------------------------------------------

T1 = datetime(2015, 7, 1, 9, 30, 0, 250000, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def timed() -> list:
    """REG recorded at 2015-01-01, then a grant of 100 dated 2015-06-30 recorded at T1."""
    state = LedgerState(new_id=new_id)
    early = admit(REG, datetime(2015, 1, 1, tzinfo=UTC), state)
    return early + admit([grant("2015-06-30", "100")], T1, state)


def granted(as_of: str, known_at: datetime | None = None) -> str:
    doc = report_from_events("roi", timed(), as_of=date.fromisoformat(as_of), known_at=known_at)
    return venture_row(doc)["public_granted"]


def test_event_occurring_on_the_as_of_date_is_in() -> None:
    assert granted("2015-06-30") == "100"
    assert granted("2015-06-29") == "0"


def test_event_recorded_exactly_at_known_at_is_in() -> None:
    assert granted("2015-12-31", T1) == "100"
    assert granted("2015-12-31", T1 - ONE_MICROSECOND) == "0"


def test_effective_at_both_instants() -> None:
    events = timed()
    ids = [e.id for e in events]
    assert [e.id for e in effective(events, as_of=date(2015, 6, 30), known_at=T1).events] == ids
    assert [e.id for e in effective(events, as_of=date(2015, 6, 30),
                                    known_at=T1 - ONE_MICROSECOND).events] == ids[:2]
    assert [e.id for e in effective(events, as_of=date(2015, 6, 29)).events] == ids[:2]


def test_correction_recorded_exactly_at_known_at_applies() -> None:
    # The grant is corrected to 120 at T2; known at T2 the report shows 120, a microsecond
    # before it 100.
    state = LedgerState(new_id=new_id)
    events = admit(REG + [grant("2015-06-30", "100") | {"id": "g"}],
                   datetime(2015, 7, 1, tzinfo=UTC), state)
    t2 = datetime(2015, 8, 1, 12, 0, 0, 1, tzinfo=UTC)
    events += admit([ev("EventCorrected", "2015-08-01", None, event="g",
                        changes={"amount": "120"}, reason="typo")], t2, state)
    for known_at, expected in ((t2, "120"), (t2 - ONE_MICROSECOND, "100")):
        doc = report_from_events("roi", events, as_of=date(2015, 12, 31), known_at=known_at)
        assert venture_row(doc)["public_granted"] == expected


def test_correction_dated_on_the_as_of_date_applies() -> None:
    # A correction counts where it passes both filters itself: dated 2015-08-01, it applies
    # to a report as of 2015-08-01 (120) and not to one as of 2015-07-31 (100).
    events = admit(REG + [grant("2015-06-30", "100") | {"id": "g"},
                          ev("EventCorrected", "2015-08-01", None, event="g",
                             changes={"amount": "120"}, reason="typo")], LATER)
    for as_of, expected in (("2015-08-01", "120"), ("2015-07-31", "100")):
        doc = report_from_events("roi", events, as_of=date.fromisoformat(as_of))
        assert venture_row(doc)["public_granted"] == expected


def test_table_figures_round_ties_half_up_too() -> None:
    # The tables round as the JSON does: a multiple of 1/8 = 0.125 -> "0.13x"; a revenue per
    # public euro of 13/2000 = 0.0065 -> "0.7%" (one place); 2.5 EUR in whole euros -> 3;
    # 1.25 M -> "1.3 M". Half-even would print 0.12x, 0.6%, 2 EUR and 1.2 M.
    from outcomes.projections.present.render import compact, money, percent, times

    assert times(Decimal("0.125")) == "0.13x"
    assert percent(0.0065, places=1) == "0.7%" and percent(Decimal("0.125")) == "13%"
    assert money(Decimal("2.5"), "EUR", places=0) == "3 EUR"
    assert compact(Decimal("1250000")) == "1.3 M"
    assert compact(Decimal("0.125"), millions=False) == "0.13"
