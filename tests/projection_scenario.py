"""The two-venture scenario of issue #3, and a helper to turn raw events into `Event`s.

Shared by the projection, read-model and CLI tests (`from tests.projection_scenario ...`).

numergy: a partial loss with a dividend and a valuation; a corrected revenue figure
(2013), two conflicting claims for 2014, quarterly (2015) and annual revenue (2016 has
both: the annual one wins), a revised revenue target, partner batches reset by reported
totals. cloudwatt: a total loss with a retracted duplicate payment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ledger.model import Event
from ledger.state import LedgerState

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
    state = state or LedgerState()
    return [e for raw in raws
            if (e := state.admit(raw, recorded_at=recorded_at, actor="test")) is not None]


def scenario_events() -> list[Event]:
    return admit(SCENARIO)
