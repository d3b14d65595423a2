"""The two-venture scenario of issue #3, and a helper to turn raw events into `Event`s.

Shared by the projection, read-model and CLI tests (`from tests.projection_scenario ...`).

numergy: a partial loss with a dividend and a valuation; a corrected revenue figure
(2013), two conflicting claims for 2014, quarterly (2015) and annual revenue (2016 has
both: the annual one wins), a revised revenue target, partner batches reset by reported
totals. cloudwatt: a total loss with a retracted duplicate payment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from outcomes.ledger.model import Event
from outcomes.ledger.service import new_id
from outcomes.ledger.state import LedgerState

RECORDED = datetime(2020, 1, 1, tzinfo=UTC)
SRC = "https://example.org/"


def ev(type_: str, occurred_on: str, id_: str | None = None, **fields: Any) -> dict[str, Any]:
    raw = {"type": type_, "occurred_on": occurred_on, "source": SRC + (id_ or type_),
           **fields}
    return raw | ({"id": id_} if id_ else {})


SCENARIO: list[dict[str, Any]] = [
    ev("ProgramRegistered", "2012-04-20", "pia", program="pia-cloud", name="Cloud souverain",
       funder="Caisse des Depots", budget="150000000"),
    ev("VentureRegistered", "2012-09-05", "reg-numergy", venture="numergy", name="Numergy",
       program="pia-cloud"),
    ev("VentureRegistered", "2012-10-02", "reg-cloudwatt", venture="cloudwatt",
       name="Cloudwatt", program="pia-cloud"),
    # numergy: money
    ev("FundingCommitted", "2012-05-10", "n-commit", venture="numergy", amount="75000000",
       funder="CDC"),
    ev("FundingGranted", "2012-09-05", "n-grant-1", venture="numergy", amount="20000000",
       funder="CDC"),
    ev("FundingGranted", "2012-09-05", "n-private", venture="numergy", amount="45000000",
       funder="SFR and Bull", public=False),
    ev("FundingGranted", "2013-09-05", "n-grant-2", venture="numergy", amount="10000000",
       funder="CDC"),
    ev("ReturnReceived", "2014-06-30", "n-dividend", venture="numergy", amount="1000000",
       kind="dividend"),
    ev("StakeValued", "2015-12-02", "n-value", venture="numergy", value="5000000"),
    # numergy: targets (revised on 2015-09-15)
    ev("TargetSet", "2012-09-05", "n-target-rev", venture="numergy", metric="revenue",
       value="400000000", due="2016-12-31"),
    ev("TargetSet", "2012-09-05", "n-target-partners", venture="numergy", metric="partners",
       value="200", due="2015-12-31"),
    ev("TargetSet", "2015-09-15", "n-target-rev-2", venture="numergy", metric="revenue",
       value="400000000", due="2020-12-31"),
    # numergy: revenue claims
    ev("SalesReported", "2013-03-15", "n-sales-2012", venture="numergy", period="2012",
       revenue="500000"),
    ev("SalesReported", "2014-03-01", "n-sales-2013", venture="numergy", period="2013",
       revenue="2000000"),
    ev("SalesReported", "2014-10-01", "n-sales-2014-a", venture="numergy", period="2014",
       revenue="6000000"),
    ev("SalesReported", "2015-05-01", "n-sales-2015-q1", venture="numergy", period="2015-Q1",
       revenue="1000000"),
    ev("SalesReported", "2015-08-01", "n-sales-2015-q2", venture="numergy", period="2015-Q2",
       revenue="1500000"),
    ev("SalesReported", "2015-10-22", "n-sales-2014-b", venture="numergy", period="2014",
       revenue="2000000"),
    ev("SalesReported", "2016-05-01", "n-sales-2016-q1", venture="numergy", period="2016-Q1",
       revenue="600000"),
    ev("SalesReported", "2016-12-15", "n-sales-2016", venture="numergy", period="2016",
       revenue="3000000"),
    # numergy: partners and jobs
    ev("PartnerSigned", "2013-01-15", "n-partners-1", venture="numergy", partner="first batch",
       count=10),
    ev("PartnerSigned", "2013-06-01", "n-partners-2", venture="numergy", partner="APX"),
    ev("MetricReported", "2014-09-15", "n-partners-total-1", venture="numergy",
       metric="partners", value=130),
    ev("PartnerSigned", "2014-11-01", "n-partners-3", venture="numergy", partner="a batch",
       count=5),
    ev("MetricReported", "2015-12-03", "n-partners-total-2", venture="numergy",
       metric="partners", value=100),
    ev("MetricReported", "2014-09-15", "n-jobs-1", venture="numergy", metric="jobs", value=100),
    ev("MetricReported", "2015-10-22", "n-jobs-2", venture="numergy", metric="jobs", value=72),
    ev("OfferLaunched", "2012-09-05", "n-offer", venture="numergy", offer="Virtual servers"),
    # cloudwatt
    ev("FundingCommitted", "2012-10-02", "c-commit", venture="cloudwatt", amount="75000000",
       funder="CDC"),
    ev("FundingGranted", "2012-10-02", "c-grant", venture="cloudwatt", amount="30000000",
       funder="CDC"),
    ev("FundingGranted", "2012-10-02", "c-grant-dup", venture="cloudwatt", amount="30000000",
       funder="CDC", note="entered twice"),
    ev("FundingGranted", "2012-10-02", "c-private", venture="cloudwatt", amount="60000000",
       funder="Orange and Thales", public=False),
    ev("TargetSet", "2012-10-02", "c-target-jobs", venture="cloudwatt", metric="jobs",
       value="1000", due="2017-12-31"),
    ev("MetricReported", "2014-09-16", "c-jobs-1", venture="cloudwatt", metric="jobs",
       value=100),
    ev("MetricReported", "2015-01-12", "c-jobs-2", venture="cloudwatt", metric="jobs",
       value=90),
    ev("SalesReported", "2015-01-12", "c-sales-2013", venture="cloudwatt", period="2013",
       revenue="97485"),
    ev("StakeValued", "2015-03-20", "c-value", venture="cloudwatt", value="0"),
    ev("VentureClosed", "2015-03-20", "c-closed", venture="cloudwatt", outcome="acquired",
       acquirer="Orange"),
    # amendments, after the first as-of date
    ev("EventCorrected", "2015-02-01", "n-fix-2013", event="n-sales-2013",
       changes={"revenue": "2500000"}, reason="filed accounts"),
    ev("EventRetracted", "2015-06-01", "c-undup", event="c-grant-dup",
       reason="the same payment was entered twice"),
    ev("VentureClosed", "2016-01-15", "n-closed", venture="numergy", outcome="acquired",
       acquirer="SFR"),
]

BEFORE = "2014-12-31"  # before the correction, the retraction and the revision
AFTER = "2016-12-31"  # after all three; the due date of numergy's initial revenue target


def admit(raws: Iterable[dict[str, Any]], recorded_at: datetime = RECORDED,
          state: LedgerState | None = None) -> list[Event]:
    """Validate raw events as the ledger would and return them positioned (no store)."""
    state = state or LedgerState(new_id=new_id)
    return [e for raw in raws
            if (e := state.admit(raw, recorded_at=recorded_at, actor="test")) is not None]


def scenario_events() -> list[Event]:
    return admit(SCENARIO)


# -- the figures computed by hand from the contract -------------------------------------------
#
# - numergy revenue target: 400 M by 2016-12-31, set 2012-09-05 -> 1578 days; expected at
#   31 Dec 2012/13/14/15/16 = 400 M x 117, 482, 847, 1212, 1578 / 1578.
# - numergy partners target: 200 by 2015-12-31, set 2012-09-05 -> 1212 days. Levels: 10
#   (2013-01-15), +1 (2013-06-01) = 11, total 130 (2014-09-15), +5 = 135, total 100
#   (2015-12-03).
# - cloudwatt jobs target: 1000 by 2017-12-31, set 2012-10-02 -> 1916 days.
# - attainment = actual / expected, rounded to 6 places; expected rounded to 2 places.
# - IRRs: the root of sum(flow / (1 + r) ** (days / 365)), found by bisection (npv_root).

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
    # Every scenario's flows are payments, then returns (one sign change): the irr is the
    # only root, and a lower bound exactly when the residual value is unknown.
    return {"public_committed": committed, "public_granted": granted,
            "private_granted": private, "returned": returned, "residual_value": residual,
            "net": net, "multiple": multiple, "irr": irr, "irr_note": note,
            "irr_roots": [] if irr is None else [irr],
            "irr_lower_bound": irr is not None and residual is None,
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



# (year, date, expected, actual, attainment) per target, in report order
SERIES = {
    BEFORE: {
        ("cloudwatt", "jobs"): [
            (2012, "2012-12-31", "46.97", None, None),
            (2013, "2013-12-31", "237.47", None, None),
            (2014, "2014-12-31", "427.97", "100", 0.233659),
        ],
        ("numergy", "revenue"): [
            (2012, "2012-12-31", "29657794.68", "500000", 0.016859),
            (2013, "2013-12-31", "122179974.65", "2000000", 0.016369),  # not yet corrected
            (2014, "2014-12-31", "214702154.63", "6000000", 0.027946),  # one claim so far
        ],
        ("numergy", "partners"): [
            (2012, "2012-12-31", "19.31", None, None),
            (2013, "2013-12-31", "79.54", "11", 0.138299),
            (2014, "2014-12-31", "139.77", "135", 0.96588),  # total 130, then +5
        ],
    },
    AFTER: {
        ("cloudwatt", "jobs"): [
            (2012, "2012-12-31", "46.97", None, None),
            (2013, "2013-12-31", "237.47", None, None),
            (2014, "2014-12-31", "427.97", "100", 0.233659),
            (2015, "2015-12-31", "618.48", "90", 0.145519),
            # closed on 2015-03-20, before due: the series stops at the closure year
        ],
        ("numergy", "revenue"): [
            (2012, "2012-12-31", "29657794.68", "500000", 0.016859),
            (2013, "2013-12-31", "122179974.65", "2500000", 0.020462),  # corrected
            (2014, "2014-12-31", "214702154.63", "2000000", 0.009315),  # latest of 2 claims
            (2015, "2015-12-31", "307224334.60", "2500000", 0.008137),  # Q1 + Q2
            (2016, "2016-12-31", "400000000.00", "3000000", 0.0075),  # annual over Q1
        ],
        ("numergy", "partners"): [
            (2012, "2012-12-31", "19.31", None, None),
            (2013, "2013-12-31", "79.54", "11", 0.138299),
            (2014, "2014-12-31", "139.77", "135", 0.96588),
            (2015, "2015-12-31", "200.00", "100", 0.5),  # reset by the total of 2015-12-03
            (2016, "2016-12-31", "200.00", "100", 0.5),
        ],
    },
}
# (revisions, final_attainment, status) per target
OUTCOME = {
    BEFORE: {("cloudwatt", "jobs"): (0, None, "behind"),
             ("numergy", "revenue"): (0, None, "behind"),
             ("numergy", "partners"): (0, None, "on track")},
    # cloudwatt closed (2015-03-20) before its jobs target was due: judged at the closure,
    # on the level then (90 reported on 2015-01-12): 90 / 1000.
    AFTER: {("cloudwatt", "jobs"): (0, 0.09, "missed"),
            ("numergy", "revenue"): (1, 0.0075, "missed"),
            ("numergy", "partners"): (0, 0.5, "missed")},
}


def check_roi(doc: dict[str, Any], as_of: str) -> None:
    """Assert a `report roi` document against the hand-computed figures."""
    assert doc["as_of"] == as_of
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


def check_targets(doc: dict[str, Any], as_of: str) -> None:
    """Assert a `report targets` document against the hand-computed figures."""
    assert doc["as_of"] == as_of
    keys = [(t["venture"], t["metric"]) for t in doc["targets"]]
    assert keys == list(SERIES[as_of])
    for t in doc["targets"]:
        key = (t["venture"], t["metric"])
        assert [(r["year"], r["date"], r["expected"], r["actual"], r["attainment"])
                for r in t["series"]] == SERIES[as_of][key], key
        assert (t["revisions"], t["final_attainment"], t["status"]) == OUTCOME[as_of][key]
