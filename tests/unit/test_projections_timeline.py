"""The timeline's one-line summaries: every event type and every optional part of a line.

The expected lines follow the formats of projections/folds/timeline.py `summary`: amounts with
thousands separators and the decimals as recorded, the program's currency, a revised
target numbered by its rank, a disputed claim saying whether it is the one used.
"""

from __future__ import annotations

from tests.projection_scenario import ev
from tests.unit.test_boundaries import report

EVENTS = [
    ev("VentureRegistered", "2012-01-01", "r-w", venture="w", name="W", program="p",
       identifier="SIREN 123"),
    ev("FundingCommitted", "2012-02-01", "c", venture="v", amount="75000000", funder="CDC"),
    ev("FundingGranted", "2012-03-01", "g", venture="v", amount="20000000.50", funder="CDC",
       instrument="loan"),
    ev("FundingGranted", "2012-03-01", "gp", venture="v", amount="1000", funder="Bank",
       public=False),
    ev("TargetSet", "2012-03-02", "t1", venture="v", metric="revenue", value="400000000",
       due="2016-12-31"),
    ev("TargetSet", "2012-03-02", "t2", venture="v", metric="jobs", value="1200",
       due="2016-12-31", baseline="10"),
    ev("OfferLaunched", "2012-06-01", "o1", venture="v", offer="Cloud"),
    ev("OfferLaunched", "2012-06-02", "o2", venture="v", offer="Storage", segment="SMB"),
    ev("PartnerSigned", "2012-07-01", "ps1", venture="v", partner="APX", kind="reseller"),
    ev("PartnerSigned", "2012-07-02", "ps2", venture="v", partner="a batch", count=3),
    ev("TargetSet", "2013-01-01", "t3", venture="v", metric="revenue", value="200000000",
       due="2020-12-31"),
    ev("TargetSet", "2013-01-02", "t4", venture="v", metric="revenue", value="100000000",
       due="2021-12-31"),
    ev("SalesReported", "2013-03-01", "s1", venture="v", period="2012", revenue="500000",
       customers=1200, note="press release"),
    ev("SalesReported", "2013-04-01", "s2", venture="v", period="2012", revenue="400000"),
    ev("SalesReported", "2013-05-01", "s3", venture="v", period="2013-Q1", revenue="100"),
    ev("MetricReported", "2013-06-01", "m", venture="v", metric="jobs", value=1500),
    ev("ReturnReceived", "2014-01-01", "ret", venture="v", amount="1000000", kind="stake_sale"),
    ev("ReturnReceived", "2014-01-02", "retp", venture="v", amount="5", kind="dividend",
       public=False),
    ev("StakeValued", "2014-02-01", "sv1", venture="v", value="5000000"),
    ev("StakeValued", "2014-03-01", "sv0", venture="v", value="0"),
    ev("VentureClosed", "2015-03-20", "cl", venture="v", outcome="acquired", acquirer="Orange"),
    ev("VentureClosed", "2015-04-01", "clw", venture="w", outcome="wound_down"),
    ev("EventCorrected", "2015-05-01", None, event="s3", changes={"revenue": "150"},
       reason="typo"),
    ev("EventCorrected", "2015-06-01", None, event="s3", changes={"revenue": "175"},
       reason="second typo"),
]

# (id, summary, figure, corrections applied, note): ventures in slug order, events by date.
ROWS = [
    ("r-v", "registered: V, program p", None, 0, None),
    ("c", "committed 75,000,000 EUR by CDC (equity, public)", "75000000", 0, None),
    ("g", "granted 20,000,000.50 EUR by CDC (loan, public)", "20000000.50", 0, None),
    ("gp", "granted 1,000 EUR by Bank (equity, private)", "1000", 0, None),
    ("t1", "target: revenue 400,000,000 EUR by 2016-12-31 (baseline 0)", "400000000", 0, None),
    ("t2", "target: jobs 1,200 by 2016-12-31 (baseline 10)", "1200", 0, None),
    ("o1", "offer launched: Cloud", "1", 0, None),
    ("o2", "offer launched: Storage (SMB)", "1", 0, None),
    ("ps1", "partner signed: APX (reseller)", "1", 0, None),
    ("ps2", "3 partners signed: a batch", "3", 0, None),
    # the revenue target's first and second revisions; the jobs target is not revised
    ("t3", "revised target (1): revenue 200,000,000 EUR by 2020-12-31 (baseline 0)",
     "200000000", 0, None),
    ("t4", "revised target (2): revenue 100,000,000 EUR by 2021-12-31 (baseline 0)",
     "100000000", 0, None),
    # two claims for 2012: the one published on 2013-04-01 is used
    ("s1", "revenue 2012: 500,000 EUR, 1,200 customers (one of 2 claims, not used; "
     "low 400,000 EUR, high 500,000 EUR)", "500000", 0, "press release"),
    ("s2", "revenue 2012: 400,000 EUR (one of 2 claims, used; low 400,000 EUR, "
     "high 500,000 EUR)", "400000", 0, None),
    ("s3", "revenue 2013-Q1: 175 EUR", "175", 2, None),  # 100, corrected to 150, then 175
    ("m", "jobs reported: 1,500", "1500", 0, None),
    ("ret", "returned 1,000,000 EUR (stake sale, public)", "1000000", 0, None),
    ("retp", "returned 5 EUR (dividend, private)", "5", 0, None),
    ("sv1", "stake valued at 5,000,000 EUR", "5000000", 0, None),
    ("sv0", "stake valued at 0 EUR (write-off)", "0", 0, None),
    ("cl", "closed: acquired by Orange", None, 0, None),
    ("r-w", "registered: W (SIREN 123), program p", None, 0, None),
    ("clw", "closed: wound down", None, 0, None),
]


def test_every_summary_line() -> None:
    rows = report("timeline", EVENTS, "2016-01-01")["timeline"]
    assert [(r["id"], r["summary"], r["figure"], r["corrected"], r["note"]) for r in rows] \
        == ROWS
    assert [r["venture"] for r in rows] == ["v"] * 21 + ["w"] * 2
    assert {r["type"] for r in rows} >= {"VentureRegistered", "VentureClosed", "SalesReported"}
