"""The two-venture scenario of issue #3 against `report_from_events`, at two as-of
dates (before and after the correction, the retraction and the revision); the figures
computed by hand are in tests/projection_scenario.py. Also: selection, known-at, no data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from outcomes.ledger.errors import ReportError
from outcomes.projections.readmodel.replay import report_from_events
from tests.projection_scenario import (
    AFTER,
    BEFORE,
    SRC,
    admit,
    check_roi,
    check_targets,
    ev,
    scenario_events,
)


@pytest.fixture(scope="module")
def events():
    return scenario_events()


@pytest.mark.parametrize("as_of", [BEFORE, AFTER])
def test_roi_matches_hand_computation(events, as_of):
    doc = report_from_events("roi", events, as_of=date.fromisoformat(as_of))
    assert doc["known_at"] is None
    check_roi(doc, as_of)


@pytest.mark.parametrize("as_of", [BEFORE, AFTER])
def test_targets_match_hand_computation(events, as_of):
    check_targets(report_from_events("targets", events, as_of=date.fromisoformat(as_of)), as_of)


def test_roi_shows_the_dispute_after_the_second_claim(events):
    before = report_from_events("roi", events, as_of=date.fromisoformat(BEFORE))
    after = report_from_events("roi", events, as_of=date.fromisoformat(AFTER))
    assert [v["disputes"] for v in before["ventures"]] == [[], []]
    assert after["ventures"][1]["disputes"] == [
        {"period": "2014", "claims": 2, "chosen": "2000000", "low": "2000000",
         "high": "6000000", "source": SRC + "n-sales-2014-b"}]


def test_targets_initial_current_and_claims(events):
    jobs, revenue, partners = report_from_events("targets", events,
                                                 as_of=date.fromisoformat(BEFORE))["targets"]
    assert revenue["initial"] == {"value": "400000000", "due": "2016-12-31",
                                  "set_on": "2012-09-05", "source": SRC + "n-target-rev",
                                  "baseline": "0"}
    assert revenue["current"] == revenue["initial"]
    jobs, revenue, partners = report_from_events("targets", events,
                                                 as_of=date.fromisoformat(AFTER))["targets"]
    assert revenue["current"] == {"value": "400000000", "due": "2020-12-31",
                                  "set_on": "2015-09-15", "source": SRC + "n-target-rev-2",
                                  "baseline": "0"}
    assert revenue["initial"]["due"] == "2016-12-31"  # the trajectory stays the initial one
    assert [(r["claims"], r["low"], r["high"]) for r in revenue["series"]] == [
        (1, "500000", "500000"), (1, "2500000", "2500000"), (2, "2000000", "6000000"),
        (2, "2500000", "2500000"), (1, "3000000", "3000000")]
    assert {r["claims"] for r in jobs["series"] + partners["series"]} == {None}


def test_selection_and_unknown_slugs(events):
    as_of = date.fromisoformat(AFTER)
    doc = report_from_events("roi", events, as_of=as_of, venture="numergy")
    assert [v["venture"] for v in doc["ventures"]] == ["numergy"] and doc["programs"] == []
    doc = report_from_events("roi", events, as_of=as_of, program="pia-cloud")
    assert len(doc["ventures"]) == 2 and len(doc["programs"]) == 1
    with pytest.raises(ReportError, match="did you mean 'numergy'"):
        report_from_events("roi", events, as_of=as_of, venture="numergie")
    with pytest.raises(ReportError, match="unknown program"):
        report_from_events("targets", events, as_of=as_of, program="nope")


def test_known_at_hides_what_was_recorded_later():
    early = datetime(2015, 1, 1, tzinfo=UTC)
    late = datetime(2016, 1, 1, tzinfo=UTC)
    from outcomes.ledger.service import new_id
    from outcomes.ledger.state import LedgerState

    state = LedgerState(new_id=new_id)
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
    old = report_from_events("roi", events, as_of=as_of, known_at=datetime(2015, 6, 1, tzinfo=UTC))
    new = report_from_events("roi", events, as_of=as_of)
    assert old["known_at"] == "2015-06-01T00:00:00.000000Z"
    assert (old["ventures"][0]["public_granted"], old["ventures"][0]["returned"]) == ("100", "0")
    assert (new["ventures"][0]["public_granted"], new["ventures"][0]["returned"]) == ("150", "10")
    # known at a time before the registrations: nothing at all, and the slug is unknown
    with pytest.raises(ReportError):
        report_from_events("roi", events, as_of=as_of, known_at=datetime(2014, 1, 1, tzinfo=UTC),
                           venture="v")
    empty = report_from_events("roi", events, as_of=as_of,
                               known_at=datetime(2014, 1, 1, tzinfo=UTC))
    assert empty["ventures"] == [] and empty["programs"] == []


def test_no_data_at_all():
    for kind, key in (("roi", "ventures"), ("targets", "targets"), ("timeline", "timeline")):
        doc = report_from_events(kind, [], as_of=date(2020, 1, 1))
        assert doc[key] == [] and doc["as_of"] == "2020-01-01"


def test_timeline_in_date_order_with_sources(events):
    doc = report_from_events("timeline", events, as_of=date.fromisoformat(AFTER),
                             venture="cloudwatt")
    rows = doc["timeline"]
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert all(r["source"].startswith(SRC) for r in rows)
    assert rows[0]["type"] == "VentureRegistered"  # same day as the money, recorded first
    assert "c-grant-dup" not in {r["id"] for r in rows}  # retracted
    assert [r["type"] for r in rows[-2:]] == ["StakeValued", "VentureClosed"]
    assert rows[-1]["summary"] == "closed: acquired by Orange"
    numergy = report_from_events("timeline", events, as_of=date.fromisoformat(AFTER),
                                 venture="numergy")["timeline"]
    fixed = next(r for r in numergy if r["id"] == "n-sales-2013")
    assert fixed["corrected"] == 1 and fixed["figure"] == "2500000"
    claim = next(r for r in numergy if r["id"] == "n-sales-2014-a")
    assert "one of 2 claims, not used" in claim["summary"]
