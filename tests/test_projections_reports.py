"""The two-venture scenario of issue #3, computed by hand from the contract, against the
pure `build_report` at two as-of dates (before and after the correction, the retraction
and the revision).

Hand computation (contract formulas):
- numergy revenue target: 400 M by 2016-12-31, set 2012-09-05 -> 1578 days; expected at
  31 Dec 2012/13/14/15/16 = 400 M x 117, 482, 847, 1212, 1578 / 1578.
- numergy partners target: 200 by 2015-12-31, set 2012-09-05 -> 1212 days.
  Levels: 10 (2013-01-15), +1 (2013-06-01) = 11, total 130 (2014-09-15), +5 = 135,
  total 100 (2015-12-03).
- cloudwatt jobs target: 1000 by 2017-12-31, set 2012-10-02 -> 1916 days.
- IRRs: the root of sum(flow / (1 + r) ** (days / 365)), solved by bisection below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from projections.reports import ReportError, build_report
from tests.projection_scenario import AFTER, BEFORE, SRC, admit, ev, scenario_events

NO_INFLOW = "no inflow: nothing returned and the residual value is unknown"
TOTAL_LOSS = "total loss: nothing returned and the stake is written off"


def npv_root(flows: list[tuple[str, float]]) -> float:
    """XIRR by hand: bisection on the actual/365 net present value."""
    t0 = date.fromisoformat(flows[0][0])

    def npv(r: float) -> float:
        return sum(a / (1 + r) ** ((date.fromisoformat(d) - t0).days / 365) for d, a in flows)

    lo, hi = -0.999999, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if (npv(mid) > 0) == (npv(lo) > 0):
            lo = mid
        else:
            hi = mid
    return round((lo + hi) / 2, 6)


N_FLOWS = [("2012-09-05", -20e6), ("2013-09-05", -10e6), ("2014-06-30", 1e6)]
P_FLOWS_BEFORE = [("2012-09-05", -20e6), ("2012-10-02", -60e6), ("2013-09-05", -10e6),
                  ("2014-06-30", 1e6)]
P_FLOWS_AFTER = [("2012-09-05", -20e6), ("2012-10-02", -30e6), ("2013-09-05", -10e6),
                 ("2014-06-30", 1e6), ("2016-12-31", 5e6)]


def roi_row(committed, granted, private, returned, residual, net, multiple, irr, note,
            revenue, per_euro, leverage, jobs, cost):
    return {"public_committed": committed, "public_granted": granted,
            "private_granted": private, "returned": returned, "residual_value": residual,
            "net": net, "multiple": multiple, "irr": irr, "irr_note": note,
            "revenue_to_date": revenue, "revenue_per_public_euro": per_euro,
            "leverage": leverage, "jobs": jobs, "cost_per_job": cost}


ROI = {
    BEFORE: {
        "cloudwatt": roi_row("75000000", "60000000", "60000000", "0", None, "-60000000", 0.0,
                             None, NO_INFLOW, "0", 0.0, 1.0, 100, "600000.00"),
        "numergy": roi_row("75000000", "30000000", "45000000", "1000000", None, "-29000000",
                           0.033333, npv_root(N_FLOWS), None, "8500000", 0.283333, 1.5, 100,
                           "300000.00"),
        "pia-cloud": roi_row("150000000", "90000000", "105000000", "1000000", None,
                             "-89000000", 0.011111, npv_root(P_FLOWS_BEFORE), None,
                             "8500000", 0.094444, 1.166667, 200, "450000.00"),
    },
    AFTER: {
        # the duplicate payment is retracted; the stake is written off
        "cloudwatt": roi_row("75000000", "30000000", "60000000", "0", "0", "-30000000", 0.0,
                             None, TOTAL_LOSS, "97485", 0.00325, 2.0, 90, "333333.33"),
        # revenue 0.5 + 2.5 (corrected) + 2 (latest of two claims) + 2.5 (Q1 + Q2)
        # + 3 (the annual claim wins over Q1) = 10.5 M
        "numergy": roi_row("75000000", "30000000", "45000000", "1000000", "5000000",
                           "-24000000", 0.2, npv_root(N_FLOWS + [("2016-12-31", 5e6)]), None,
                           "10500000", 0.35, 1.5, 72, "416666.67"),
        "pia-cloud": roi_row("150000000", "60000000", "105000000", "1000000", "5000000",
                             "-54000000", 0.1, npv_root(P_FLOWS_AFTER), None, "10597485",
                             0.176625, 1.75, 162, "370370.37"),
    },
}


@pytest.fixture(scope="module")
def events():
    return scenario_events()


@pytest.mark.parametrize("as_of", [BEFORE, AFTER])
def test_roi_matches_hand_computation(events, as_of):
    doc = build_report("roi", events, as_of=date.fromisoformat(as_of))
    assert doc["as_of"] == as_of and doc["known_at"] is None
    assert [v["venture"] for v in doc["ventures"]] == ["cloudwatt", "numergy"]
    for row in doc["ventures"]:
        assert row["program"] == "pia-cloud" and row["currency"] == "EUR"
        got = {k: v for k, v in row.items()
               if k not in ("venture", "program", "currency", "disputes")}
        assert got == ROI[as_of][row["venture"]], row["venture"]
    [program] = doc["programs"]
    assert program["program"] == "pia-cloud" and program["currency"] == "EUR"
    assert {k: v for k, v in program.items() if k not in ("program", "currency")} \
        == ROI[as_of]["pia-cloud"]


def test_roi_shows_the_dispute_after_the_second_claim(events):
    before = build_report("roi", events, as_of=date.fromisoformat(BEFORE))
    after = build_report("roi", events, as_of=date.fromisoformat(AFTER))
    assert [v["disputes"] for v in before["ventures"]] == [[], []]
    assert after["ventures"][1]["disputes"] == [
        {"period": "2014", "claims": 2, "chosen": "2000000", "low": "2000000",
         "high": "6000000", "source": SRC + "n-sales-2014-b"}]


def series(target):
    return [(r["year"], r["date"], r["expected"], r["actual"], r["attainment"])
            for r in target["series"]]


def test_targets_before(events):
    doc = build_report("targets", events, as_of=date.fromisoformat(BEFORE))
    assert [(t["venture"], t["metric"]) for t in doc["targets"]] == [
        ("cloudwatt", "jobs"), ("numergy", "revenue"), ("numergy", "partners")]
    jobs, revenue, partners = doc["targets"]
    assert revenue["initial"] == {"value": "400000000", "due": "2016-12-31",
                                  "set_on": "2012-09-05", "source": SRC + "n-target-rev",
                                  "baseline": "0"}
    assert revenue["current"] == revenue["initial"] and revenue["revisions"] == 0
    assert series(revenue) == [
        (2012, "2012-12-31", "29657794.68", "500000", 0.016859),
        (2013, "2013-12-31", "122179974.65", "2000000", 0.016369),  # not yet corrected
        (2014, "2014-12-31", "214702154.63", "6000000", 0.027946),  # one claim so far
    ]
    assert (revenue["final_attainment"], revenue["status"]) == (None, "behind")
    assert series(partners) == [
        (2012, "2012-12-31", "19.31", None, None),
        (2013, "2013-12-31", "79.54", "11", 0.138299),
        (2014, "2014-12-31", "139.77", "135", 0.96588),  # total 130, then +5
    ]
    assert (partners["final_attainment"], partners["status"]) == (None, "on track")
    assert series(jobs) == [
        (2012, "2012-12-31", "46.97", None, None),
        (2013, "2013-12-31", "237.47", None, None),
        (2014, "2014-12-31", "427.97", "100", 0.233659),
    ]
    assert (jobs["final_attainment"], jobs["status"]) == (None, "behind")


def test_targets_after(events):
    doc = build_report("targets", events, as_of=date.fromisoformat(AFTER))
    jobs, revenue, partners = doc["targets"]
    assert revenue["revisions"] == 1
    assert revenue["current"] == {"value": "400000000", "due": "2020-12-31",
                                  "set_on": "2015-09-15", "source": SRC + "n-target-rev-2",
                                  "baseline": "0"}
    assert revenue["initial"]["due"] == "2016-12-31"  # the trajectory stays the initial one
    assert series(revenue) == [
        (2012, "2012-12-31", "29657794.68", "500000", 0.016859),
        (2013, "2013-12-31", "122179974.65", "2500000", 0.020462),  # corrected
        (2014, "2014-12-31", "214702154.63", "2000000", 0.009315),  # latest of 2 claims
        (2015, "2015-12-31", "307224334.60", "2500000", 0.008137),  # Q1 + Q2
        (2016, "2016-12-31", "400000000.00", "3000000", 0.0075),  # annual over Q1
    ]
    assert [(r["claims"], r["low"], r["high"]) for r in revenue["series"]] == [
        (1, "500000", "500000"), (1, "2500000", "2500000"), (2, "2000000", "6000000"),
        (2, "2500000", "2500000"), (1, "3000000", "3000000")]
    assert (revenue["final_attainment"], revenue["status"]) == (0.0075, "missed")
    assert series(partners) == [
        (2012, "2012-12-31", "19.31", None, None),
        (2013, "2013-12-31", "79.54", "11", 0.138299),
        (2014, "2014-12-31", "139.77", "135", 0.96588),
        (2015, "2015-12-31", "200.00", "100", 0.5),  # reset by the total of 2015-12-03
        (2016, "2016-12-31", "200.00", "100", 0.5),
    ]
    assert (partners["final_attainment"], partners["status"]) == (0.5, "missed")
    assert series(jobs) == [
        (2012, "2012-12-31", "46.97", None, None),
        (2013, "2013-12-31", "237.47", None, None),
        (2014, "2014-12-31", "427.97", "100", 0.233659),
        (2015, "2015-12-31", "618.48", "90", 0.145519),
        (2016, "2016-12-31", "809.50", "90", 0.11118),
    ]
    assert (jobs["final_attainment"], jobs["status"]) == (None, "behind")


def test_selection_and_unknown_slugs(events):
    as_of = date.fromisoformat(AFTER)
    doc = build_report("roi", events, as_of=as_of, venture="numergy")
    assert [v["venture"] for v in doc["ventures"]] == ["numergy"] and doc["programs"] == []
    doc = build_report("roi", events, as_of=as_of, program="pia-cloud")
    assert len(doc["ventures"]) == 2 and len(doc["programs"]) == 1
    with pytest.raises(ReportError, match="did you mean 'numergy'"):
        build_report("roi", events, as_of=as_of, venture="numergie")
    with pytest.raises(ReportError, match="unknown program"):
        build_report("targets", events, as_of=as_of, program="nope")


def test_known_at_hides_what_was_recorded_later():
    early = datetime(2015, 1, 1, tzinfo=UTC)
    late = datetime(2016, 1, 1, tzinfo=UTC)
    from ledger.state import LedgerState

    state = LedgerState()
    first = admit([
        ev("ProgramRegistered", "2012-01-01", "p", program="p", name="P", funder="F"),
        ev("VentureRegistered", "2012-01-01", "r", venture="v", name="V", program="p"),
        ev("FundingGranted", "2012-06-01", "g", venture="v", amount="100", funder="F"),
    ], early, state)
    second = admit([
        ev("EventCorrected", "2013-01-01", "fix", event="g", changes={"amount": "150"},
           reason="typo"),
        ev("ReturnReceived", "2013-06-01", "r1", venture="v", amount="10", kind="dividend"),
    ], late, state)
    events = first + second
    as_of = date(2014, 1, 1)
    old = build_report("roi", events, as_of=as_of, known_at=datetime(2015, 6, 1, tzinfo=UTC))
    new = build_report("roi", events, as_of=as_of)
    assert old["known_at"] == "2015-06-01T00:00:00.000000Z"
    assert (old["ventures"][0]["public_granted"], old["ventures"][0]["returned"]) == ("100", "0")
    assert (new["ventures"][0]["public_granted"], new["ventures"][0]["returned"]) == ("150", "10")
    # known at a time before the registrations: nothing at all, and the slug is unknown
    with pytest.raises(ReportError):
        build_report("roi", events, as_of=as_of, known_at=datetime(2014, 1, 1, tzinfo=UTC),
                     venture="v")
    empty = build_report("roi", events, as_of=as_of, known_at=datetime(2014, 1, 1, tzinfo=UTC))
    assert empty["ventures"] == [] and empty["programs"] == []


def test_no_data_at_all():
    for kind, key in (("roi", "ventures"), ("targets", "targets"), ("timeline", "timeline")):
        doc = build_report(kind, [], as_of=date(2020, 1, 1))
        assert doc[key] == [] and doc["as_of"] == "2020-01-01"


def test_timeline_in_date_order_with_sources(events):
    doc = build_report("timeline", events, as_of=date.fromisoformat(AFTER), venture="cloudwatt")
    rows = doc["timeline"]
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert all(r["source"].startswith(SRC) for r in rows)
    assert rows[0]["type"] == "VentureRegistered"  # same day as the money, recorded first
    assert "c-grant-dup" not in {r["id"] for r in rows}  # retracted
    assert [r["type"] for r in rows[-2:]] == ["StakeValued", "VentureClosed"]
    assert rows[-1]["summary"] == "closed: acquired by Orange"
    numergy = build_report("timeline", events, as_of=date.fromisoformat(AFTER),
                           venture="numergy")["timeline"]
    fixed = next(r for r in numergy if r["id"] == "n-sales-2013")
    assert fixed["corrected"] == 1 and fixed["figure"] == "2500000"
    claim = next(r for r in numergy if r["id"] == "n-sales-2014-a")
    assert "one of 2 claims, not used" in claim["summary"]
