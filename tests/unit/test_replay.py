"""replay_report (bounded memory) gives exactly build_report's document."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from outcomes.fixtures import path as fixture_path
from outcomes.ledger.service import new_id
from outcomes.ledger.state import LedgerState
from outcomes.projections.present.documents import build_report
from outcomes.projections.readmodel.replay import replay_report
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


@pytest.mark.parametrize("events", [recorded(SCENARIO + MOVES), fixture_events()],
                         ids=["scenario+moves", "fixture"])
@pytest.mark.parametrize("kind", ["roi", "targets", "timeline"])
def test_replay_equals_build_report(events: list, kind: str) -> None:
    cuts = [None, *(events[i].recorded_at for i in (5, len(events) // 2, len(events) - 2))]
    slugs = sorted({e.fields["venture"] for e in events if e.type == "VentureRegistered"})
    program = next(e.fields["program"] for e in events if e.type == "ProgramRegistered")
    for known_at in cuts:
        for as_of in (date(2014, 12, 31), date(2016, 12, 31), date(2025, 1, 1)):
            for selection in ({}, {"venture": slugs[0]}, {"program": program}):
                expected = build_report(kind, events, as_of=as_of, known_at=known_at,
                                        **selection)
                assert replay_report(kind, iter(events), as_of=as_of, known_at=known_at,
                                     **selection) == expected, (known_at, as_of, selection)


def test_replay_equals_build_report_on_a_generated_ledger() -> None:
    from bench.generate import generate

    raws = [json.loads(line) for line in generate(3000, 2, 30, 7)]
    events = recorded(raws, step=timedelta(minutes=1), start=datetime(2026, 1, 1, tzinfo=UTC))
    for known_at in (events[1000].recorded_at, events[2500].recorded_at, None):
        for kind in ("roi", "targets"):
            expected = build_report(kind, events, as_of=date(2025, 1, 1), known_at=known_at)
            assert replay_report(kind, iter(events), as_of=date(2025, 1, 1),
                                 known_at=known_at) == expected
