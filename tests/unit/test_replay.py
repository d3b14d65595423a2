"""A report as known at a time is the report of the ledger as it stood then.

`--known-at T` files the events recorded by T in a temporary fact log and folds each
venture with the known-at filter; the same document must come from the events recorded by
T given as a whole ledger (no filter): two routes through the filter, one answer. With a
correction that moves an event to another venture and is then corrected again, and a
generated ledger.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from outcomes.fixtures import path as fixture_path
from outcomes.ledger.clock import format_timestamp
from outcomes.ledger.service import new_id
from outcomes.ledger.state import LedgerState
from outcomes.projections.readmodel.replay import report_from_events
from tests.projection_scenario import SCENARIO, ev

T0 = datetime(2020, 1, 1, tzinfo=UTC)
MOVES = [  # a correction moves a grant to another venture, then the grant is corrected again
    ev("EventCorrected", "2016-02-01", "mv", event="n-grant-2", changes={"venture": "cloudwatt"},
       reason="paid to the other venture"),
    ev("EventCorrected", "2016-03-01", "mv2", event="n-grant-2", changes={"amount": "9000000"},
       reason="restated"),
    ev("EventRetracted", "2016-04-01", "rt", event="n-sales-2013", reason="withdrawn"),
]


def recorded(raws: list[dict], step: timedelta = timedelta(hours=1),
             start: datetime = T0) -> list:
    """Admit raw events one recording time apart, so known-at can cut anywhere."""
    state, out = LedgerState(new_id=new_id), []
    for n, raw in enumerate(raws):
        event = state.admit(raw, recorded_at=start + n * step, actor="t")
        if event is not None:
            out.append(event)
    return out


def fixture_events() -> list:
    raws = [json.loads(line) for line in fixture_path("cloud-souverain.jsonl").read_text()
            .splitlines()]
    return recorded(raws)


def as_it_stood(events: list, known_at: datetime | None) -> list:
    return [e for e in events if known_at is None or e.recorded_at <= known_at]


@pytest.mark.parametrize("events", [recorded(SCENARIO + MOVES), fixture_events()],
                         ids=["scenario+moves", "fixture"])
@pytest.mark.parametrize("kind", ["roi", "targets", "timeline"])
def test_known_at_is_the_ledger_as_it_stood(events: list, kind: str) -> None:
    cuts = [None, *(events[i].recorded_at for i in (5, len(events) // 2, len(events) - 2))]
    slugs = sorted({e.fields["venture"] for e in events if e.type == "VentureRegistered"})
    program = next(e.fields["program"] for e in events if e.type == "ProgramRegistered")
    for known_at in cuts:
        for as_of in (date(2014, 12, 31), date(2016, 12, 31), date(2025, 1, 1)):
            for selection in ({}, {"venture": slugs[0]}, {"program": program}):
                expected = report_from_events(kind, as_it_stood(events, known_at),
                                              as_of=as_of, **selection)
                got = report_from_events(kind, iter(events), as_of=as_of, known_at=known_at,
                                         **selection)
                assert got.pop("known_at") == (None if known_at is None else
                                               format_timestamp(known_at))
                assert got == {k: v for k, v in expected.items() if k != "known_at"}, (
                    known_at, as_of, selection)


def test_known_at_is_the_ledger_as_it_stood_on_a_generated_ledger() -> None:
    from bench.generate import generate

    raws = [json.loads(line) for line in generate(3000, 2, 30, 7)]
    events = recorded(raws, step=timedelta(minutes=1), start=datetime(2026, 1, 1, tzinfo=UTC))
    for known_at in (events[1000].recorded_at, events[2500].recorded_at, None):
        for kind in ("roi", "targets"):
            expected = report_from_events(kind, as_it_stood(events, known_at),
                                          as_of=date(2025, 1, 1))
            got = report_from_events(kind, iter(events), as_of=date(2025, 1, 1),
                                     known_at=known_at)
            assert {**got, "known_at": None} == expected


def test_a_report_reads_the_facts_a_batch_of_ventures_at_a_time(monkeypatch) -> None:
    # A generated ledger of 30 ventures, folded in batches of 7: the fact log is asked for
    # 7, 7, 7, 7 and 2 ventures' facts, never for the ledger's; the document is the one a
    # single batch gives.
    from bench.generate import generate
    from outcomes.projections.readmodel import factlog, query

    raws = [json.loads(line) for line in generate(1500, 1, 30, 3)]
    events = recorded(raws, step=timedelta(minutes=1), start=datetime(2026, 1, 1, tzinfo=UTC))
    whole = report_from_events("targets", events, as_of=date(2025, 1, 1))
    asked: list[int] = []
    facts_of = factlog.FactLog.facts_of

    def counting(self: factlog.FactLog, ventures: list[str]) -> dict:
        asked.append(len(ventures))
        return facts_of(self, ventures)

    monkeypatch.setattr(factlog.FactLog, "facts_of", counting)
    monkeypatch.setattr(query, "BATCH", 7)
    assert report_from_events("targets", events, as_of=date(2025, 1, 1)) == whole
    assert asked == [7, 7, 7, 7, 2]
