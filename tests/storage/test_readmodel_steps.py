"""A catch-up steps the new events of a venture onto its stored fold state (most catch-ups)
or replays the venture from its facts (a correction, a retraction, a back-dated event, a
moved event): in any pieces, the tables (the stored states included) and the reports are
byte for byte those of a one-shot rebuild, and those folded from the events alone."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import generate
from outcomes.ledger.errors import LedgerError
from outcomes.ledger.schema import GRADES
from outcomes.ledger.service import record
from outcomes.ledger.store import EventStore
from outcomes.projections.folds import venture as venture_fold
from outcomes.projections.readmodel import ReadModel
from outcomes.projections.readmodel.replay import report_from_events
from outcomes.projections.readmodel.tables import TABLES

TODAY = date(2026, 1, 15)
KINDS = ("late_claim", "back_dated_claim", "move", "redate", "retract", "revise", "metric")
# (the bench's generator: 4 ventures in 2 programs, ~45 events each, corrections included)
BASE = [json.loads(line) for line in generate(180, n_programs=2, n_ventures=4, seed=3,
                                                extra=40)]


@pytest.fixture(autouse=True)
def _frozen_clock():
    with freeze_time("2026-01-15 12:00:00"):
        yield


def extra(kind: str, seen: list[dict], rng: random.Random, n: int) -> dict | None:
    """One more event about what `seen` holds: a claim dated last (it may dispute a period,
    with a grade), a back-dated one, a correction moving an event to another venture or to
    an earlier date, a retraction, a corrected revenue, a metric dated last. The ledger may
    refuse it (a closed venture, a registration): then it is left out. None before any
    venture has an event."""
    ventures = sorted({e["venture"] for e in seen if e["type"] == "VentureRegistered"})
    own = [e for e in seen if "venture" in e and e["type"] != "VentureRegistered"]
    if not own:
        return None
    venture = rng.choice(ventures)
    base = {"id": f"x-{n}", "source": f"https://example.org/x/{n}"}
    grade = {"evidence": rng.choice(GRADES[:-1])} if rng.random() < 0.5 else {}
    if kind in ("late_claim", "back_dated_claim"):
        periods = [e["period"] for e in own if e["type"] == "SalesReported"] or ["2010-Q1"]
        on = "2024-12-31" if kind == "late_claim" else f"20{rng.randint(1, 23):02d}-06-30"
        return {**base, "type": "SalesReported", "venture": venture, "occurred_on": on,
                "period": rng.choice(periods), "revenue": str(rng.randint(1, 10 ** 7)),
                **grade}
    if kind == "metric":
        return {**base, "type": "MetricReported", "venture": venture, "metric": "jobs",
                "value": rng.randint(0, 500), "occurred_on": "2024-12-31"}
    target = rng.choice(own)
    if kind == "retract":
        return {**base, "type": "EventRetracted", "event": target["id"],
                "occurred_on": "2024-12-31", "reason": "twice"}
    changes = ({"venture": venture} if kind == "move"
               else {"occurred_on": f"20{rng.randint(1, 23):02d}-01-15"} if kind == "redate"
               else {"revenue": str(rng.randint(1, 10 ** 7))})
    if kind == "revise":
        sales = [e for e in own if e["type"] == "SalesReported"]
        target = rng.choice(sales) if sales else target
    return {**base, "type": "EventCorrected", "event": target["id"], "changes": changes,
            "occurred_on": "2024-12-31", "reason": "restated"}


def tables(model: ReadModel) -> dict[str, list[dict]]:
    return {name: model.table(name) for name in TABLES}


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 32),
       extras=st.lists(st.tuples(st.integers(0, len(BASE)), st.sampled_from(KINDS)),
                       max_size=14),
       cuts=st.lists(st.integers(1, len(BASE)), max_size=6, unique=True),
       batch=st.integers(1, 40))
def test_a_catch_up_in_random_pieces_gives_the_tables_and_reports_of_a_rebuild(
        tmp_path_factory, seed, extras, cuts, batch):
    tmp = tmp_path_factory.mktemp("steps")
    rng = random.Random(seed)
    store = EventStore(str(tmp / "ledger.db"), create=True)
    model = ReadModel(str(tmp / "read.db"))
    recorded: list[dict] = []

    def append(lines: list[dict]) -> None:
        """Record the lines (one transaction), or one by one where the ledger refuses them
        (an event the extras made invalid: its target retracted, its venture closed)."""
        if not lines:
            return
        try:
            record(store, [(None, e) for e in lines], actor="test")
            recorded.extend(lines)
        except LedgerError:
            for line in lines:
                try:
                    record(store, [(None, line)], actor="test")
                    recorded.append(line)
                except LedgerError:
                    pass

    stops = sorted({*cuts, *(where for where, _ in extras), len(BASE)})
    start = 0
    for stop in stops:
        append(BASE[start:stop])
        start = stop
        for k, (where, kind) in enumerate(sorted(extras)):
            if where == stop and (line := extra(kind, recorded, rng, k)) is not None:
                append([line])
                if k % 2:  # an extra caught up alone, or with the base lines after it
                    model.catch_up(store, batch=batch)
        if stop in cuts:
            model.catch_up(store, batch=batch)
    model.catch_up(store, batch=batch)
    rebuilt = ReadModel(str(tmp / "rebuilt.db"))
    rebuilt.catch_up(store)
    assert tables(model) == tables(rebuilt)
    events = list(store.read())
    for kind in ("roi", "targets", "timeline"):
        want = report_from_events(kind, events, as_of=TODAY)
        assert model.report(kind, as_of=TODAY) == want
        assert rebuilt.report(kind, as_of=TODAY) == want
    store.close()


def test_most_catch_ups_step_the_stored_state(tmp_path, monkeypatch):
    """New events dated after a venture's last are stepped, not replayed; a correction
    replays its venture only."""
    replayed: list[str] = []
    real = venture_fold.replay

    def counting(venture, events, **kwargs):
        replayed.append(venture)
        return real(venture, events, **kwargs)

    from outcomes.projections.readmodel import model as model_module

    monkeypatch.setattr(model_module, "replay", counting)
    store = EventStore(str(tmp_path / "ledger.db"), create=True)
    record(store, [(None, e) for e in BASE[:180]], actor="test")
    model = ReadModel(str(tmp_path / "read.db"))
    model.catch_up(store)
    assert sorted(replayed) == sorted({e["venture"] for e in BASE
                                       if e["type"] == "VentureRegistered"})
    replayed.clear()
    tail = [e for e in BASE[180:] if e["type"] not in ("EventCorrected", "EventRetracted")]
    record(store, [(None, e) for e in tail], actor="test")
    model.catch_up(store)
    assert replayed == []
    victim = tail[-1]
    record(store, [(None, {"type": "EventRetracted", "event": victim["id"],
                           "occurred_on": "2024-12-31", "reason": "twice",
                           "source": "https://example.org/r"})], actor="test")
    model.catch_up(store)
    assert replayed == [victim["venture"]]
    rebuilt = ReadModel(str(tmp_path / "rebuilt.db"))
    rebuilt.catch_up(store)
    assert tables(model) == tables(rebuilt)
    store.close()


def late(type_: str, n: int, **fields) -> dict:
    return {"type": type_, "id": f"late-{n}", "venture": "venture-000000",
            "occurred_on": "2025-06-30", "source": f"https://example.org/late/{n}", **fields}


# One late event of every type a venture's catch-up steps (the last closes the venture).
LATE = [
    late("FundingCommitted", 1, amount="1000.50", funder="State", public=True),
    late("FundingGranted", 2, amount="700", funder="State", public=True),
    late("FundingGranted", 3, amount="300", funder="Orange", public=False),
    late("ReturnReceived", 4, amount="90", kind="interest"),
    late("StakeValued", 5, value="123456"),
    late("TargetSet", 6, metric="jobs", value="40", due="2027-12-31"),
    late("OfferLaunched", 7, offer="Offer late"),
    late("PartnerSigned", 8, partner="Partner late", count=2),
    late("SalesReported", 9, period="2025-Q1", revenue="5000", customers=12),
    late("SalesReported", 10, period="2025-Q1", revenue="5200", evidence="filed"),
    late("MetricReported", 11, metric="jobs", value=33),
    late("MetricReported", 12, metric="customers", value=14),
    late("MetricReported", 13, metric="partners", value=9),
    late("MetricReported", 14, metric="offers", value=4),
    late("VentureClosed", 15, outcome="acquired"),
]


def test_each_type_of_event_stepped_alone_writes_what_a_rebuild_writes(tmp_path):
    """Each late event caught up alone is stepped, and the tables it leaves as they were
    (STEPPED_TABLES) are those a rebuild gives too."""
    store = EventStore(str(tmp_path / "ledger.db"), create=True)
    record(store, [(None, e) for e in BASE[:180]], actor="test")
    model = ReadModel(str(tmp_path / "read.db"))
    model.catch_up(store)
    for n, event in enumerate(LATE):
        record(store, [(None, event)], actor="test")
        model.catch_up(store)
        rebuilt = ReadModel(str(tmp_path / f"rebuilt-{n}.db"))
        rebuilt.catch_up(store)
        assert tables(model) == tables(rebuilt), event["type"]
    store.close()
