"""The read model: incremental and exactly once, rebuilt identically, safe after a crash,
and answering every report exactly as `report_from_events` does from the events alone."""

from __future__ import annotations

import io
import itertools
import json
import re
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes.fixtures import path as fixture_path
from outcomes.ledger.errors import ReportError
from outcomes.ledger.service import record
from outcomes.ledger.store import EventStore
from outcomes.projections.present.render import to_json
from outcomes.projections.present.stream import JsonSink
from outcomes.projections.readmodel import ReadModel, read_model_path, report_from
from outcomes.projections.readmodel.replay import report_from_events
from outcomes.projections.readmodel.tables import TABLES
from tests.projection_scenario import AFTER, BEFORE, SCENARIO, ev

ROOT = Path(__file__).resolve().parents[2]
FIRST = SCENARIO[:30]  # registrations, money, claims ... (no amendments yet)
REST = SCENARIO[30:]  # the rest, corrections and retractions included
TODAY = date(2026, 1, 15)  # the frozen clock's date: reports default to today


@pytest.fixture(autouse=True)
def _frozen_clock():
    """The read model treats today's reports apart (its irr cache, a last recording date);
    a fixed today keeps every test the same whatever the calendar says."""
    with freeze_time("2026-01-15 12:00:00"):
        yield


class CountingStore:
    """An event store that counts the events handed out, to prove none is read twice."""

    def __init__(self, store: EventStore) -> None:
        self.store, self.handed_out = store, 0

    def read(self, after: int = 0, upto: int | None = None):
        for event in self.store.read(after, upto):
            self.handed_out += 1
            yield event

    def node(self, position: int):
        return self.store.node(position)


@pytest.fixture
def store(tmp_path):
    s = EventStore(str(tmp_path / "ledger.db"), create=True)
    yield s
    s.close()


def append(store, raws):
    record(store, [(None, r) for r in raws], actor="test")


def tables(model: ReadModel) -> dict[str, list[dict]]:
    return {name: model.table(name) for name in TABLES}


def test_default_path_is_beside_the_store():
    assert read_model_path("data/outcomes.db") == "data/outcomes.read.db"
    # PostgreSQL: in the current folder, one file per server, database and schema,
    # whichever role connects
    one = read_model_path("postgresql://u:secret@host/ledger")
    assert re.fullmatch(r"outcomes-ledger-[0-9a-f]{8}\.read\.db", one)
    assert read_model_path("postgresql://reader@host:5432/ledger") == one
    others = {read_model_path(u) for u in ("postgresql://u@host/ledger?schema=city",
                                           "postgresql://u@other/ledger",
                                           "postgresql://u@host:5433/ledger",
                                           "postgresql://u@host/ledger2")}
    assert len(others) == 4 and one not in others
    assert read_model_path("postgresql://u@host/ledger?schema=city").startswith(
        "outcomes-ledger-city-")
    assert read_model_path("outcomes.db", "elsewhere.db") == "elsewhere.db"


def test_appending_updates_the_next_report_without_reprocessing(store, tmp_path):
    append(store, FIRST)
    counting = CountingStore(store)
    model = ReadModel(str(tmp_path / "read.db"))
    assert model.catch_up(counting) == len(FIRST) == counting.handed_out
    before = model.report("roi", as_of=TODAY)
    assert model.catch_up(counting) == 0 and counting.handed_out == len(FIRST)
    append(store, REST)
    assert model.catch_up(counting) == len(REST)
    assert counting.handed_out == len(SCENARIO)  # the old events were not read again
    assert model.processed == len(SCENARIO) and model.position() == len(SCENARIO)
    after = model.report("roi", as_of=TODAY)
    assert before != after
    assert after == report_from_events("roi", store.read(), as_of=TODAY)
    # the duplicate payment is retracted now: 30 M instead of 60 M
    assert after["ventures"][0]["public_granted"] == "30000000"


def test_reports_match_the_events_for_every_date_kind_and_selection(store, tmp_path):
    append(store, SCENARIO)
    model = ReadModel(str(tmp_path / "read.db"))
    model.catch_up(store)
    events = list(store.read())
    dates = [date(2011, 6, 1) + timedelta(days=97 * i) for i in range(25)]
    dates += [date.fromisoformat(BEFORE), date.fromisoformat(AFTER), TODAY,
              TODAY + timedelta(days=400)]
    for as_of in dates:
        for kind in ("roi", "targets", "timeline"):
            for selection in ({}, {"program": "pia-cloud"}, {"venture": "numergy"},
                              {"venture": "cloudwatt", "program": "pia-cloud"}):
                got = model.report(kind, as_of=as_of, **selection)
                want = report_from_events(kind, events, as_of=as_of, **selection)
                assert got == want, (kind, as_of, selection)
                # the same keys in the same order: the JSON a user reads is the same
                assert json.dumps(got) == json.dumps(want), (kind, as_of, selection)


def test_graded_reports_match_report_from_events(store, tmp_path):
    # The graded fixture, then a correction that regrades a claim (Numergy's 2014 revenue
    # becomes AFP's 6 M "filed": a hypothetical regrade, to move a choice): the read model
    # carries every grade (figures, disputes and each claim, targets, series, timeline)
    # exactly as the fold over the events, in the same key order.
    lines = [json.loads(x) for x in fixture_path("cloud-souverain.jsonl").read_text()
             .splitlines()]
    append(store, lines)
    model = ReadModel(str(tmp_path / "read.db"))
    model.catch_up(store)
    append(store, [ev("EventCorrected", "2016-01-10", "regrade",
                      event="numergy-revenue-2014-bfmtv", changes={"evidence": "filed"},
                      reason="hypothetical", evidence="press"),
                   # and corrections of a target and a commitment, which reports cite
                   ev("EventCorrected", "2016-01-11", "fix-target",
                      event="numergy-target-revenue-2012", changes={"value": "390000000"},
                      reason="hypothetical"),
                   ev("EventCorrected", "2016-01-12", "fix-commit",
                      event="cloudwatt-commitment-cdc-2012", changes={"amount": "70000000"},
                      reason="hypothetical", evidence="filed")])
    model.catch_up(store)
    events = list(store.read())
    for as_of in (date(2013, 6, 30), date(2015, 6, 30), date(2015, 12, 31), TODAY):
        for kind in ("roi", "targets", "timeline"):
            for selection in ({}, {"venture": "numergy"}):
                got = model.report(kind, as_of=as_of, **selection)
                want = report_from_events(kind, events, as_of=as_of, **selection)
                assert json.dumps(got) == json.dumps(want), (kind, as_of, selection)
    roi = model.report("roi", as_of=TODAY)
    numergy = next(v for v in roi["ventures"] if v["venture"] == "numergy")
    assert (numergy["disputes"][0]["chosen"], numergy["disputes"][0]["evidence"]) == (
        "6000000", "filed")
    assert numergy["evidence"]["revenue_to_date"] == "estimate"  # 2013: Tavernier's
    assert [c["id"] for c in numergy["disputes"][0]["corrected_by"]] == ["regrade"]
    [target] = [t for t in model.report("targets", as_of=TODAY, venture="numergy")["targets"]
                if t["metric"] == "revenue"]
    assert target["initial"]["corrected_by"][0]["id"] == "fix-target"


def test_report_checks_the_slugs(store, tmp_path):
    append(store, SCENARIO)
    with pytest.raises(ReportError, match="did you mean 'cloudwatt'"):
        report_from(store, str(tmp_path / "read.db"), "roi", as_of=TODAY,
                    venture="cloudwat")


def test_rebuild_gives_identical_tables_and_reports(store, tmp_path):
    incremental = ReadModel(str(tmp_path / "a.db"))
    for start in range(0, len(SCENARIO), 7):  # appended and caught up in small steps
        append(store, SCENARIO[start:start + 7])
        incremental.catch_up(store, batch=3)
    rebuilt = ReadModel(str(tmp_path / "b.db"))
    assert rebuilt.catch_up(store) == len(SCENARIO)
    assert tables(incremental) == tables(rebuilt)
    before = tables(incremental)
    assert incremental.rebuild(store) == len(SCENARIO)  # drop and rebuild in place
    assert tables(incremental) == before
    for kind in ("roi", "targets", "timeline"):
        for as_of in (date.fromisoformat(BEFORE), TODAY):
            assert incremental.report(kind, as_of=as_of) == rebuilt.report(kind, as_of=as_of)


def test_tables_hold_exact_amounts(store, tmp_path):
    append(store, SCENARIO)
    model = ReadModel(str(tmp_path / "read.db"))
    model.catch_up(store)
    numergy = model.db["roi_ventures"].get("numergy")
    assert numergy["public_granted"] == "30000000"
    assert numergy["public_granted_cents"] == 3_000_000_000
    assert numergy["residual_value"] == "5000000" and numergy["multiple"] == 0.2
    program = model.db["roi_programs"].get("pia-cloud")
    assert (program["ventures"], program["public_granted"]) == (2, "60000000")
    claim = model.db["claims"].get(("numergy", "2014"))
    assert (claim["chosen"], claim["claims"], claim["low"], claim["high"]) == (
        "2000000", 2, "2000000", "6000000")
    assert Decimal(model.db["revenue_years"].get(("numergy", 2015))["revenue"]) == 2500000
    assert model.db["facts"].count == len(SCENARIO)
    assert model.db["dirty"].count == 0


def test_a_crash_before_the_commit_leaves_nothing_of_the_batch(store, tmp_path):
    append(store, SCENARIO)
    path = str(tmp_path / "read.db")
    model = ReadModel(path)
    batches = []

    def crash_on_second(stage, position):
        batches.append(position)
        if len(batches) == 2:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        model.catch_up(store, batch=10, hook=crash_on_second)
    model.close()
    model = ReadModel(path)  # as after a restart
    assert model.position() == 10 and model.db["facts"].count == 10
    counting = CountingStore(store)
    assert model.catch_up(counting) == len(SCENARIO) - 10  # neither skipped nor doubled
    assert counting.handed_out == len(SCENARIO) - 10
    clean = ReadModel(str(tmp_path / "clean.db"))
    clean.catch_up(store)
    assert tables(model) == tables(clean)


def test_a_first_build_cut_short_gets_its_indexes_back(store, tmp_path):
    """A first build indexes the facts only once they are in; if it is cut short, the
    next catch-up creates the indexes (reports would otherwise scan every fact)."""
    append(store, SCENARIO)
    path = str(tmp_path / "read.db")
    model = ReadModel(path)

    def indexes(m):
        return {r[0] for r in m.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}

    every = indexes(model)
    assert "idx_facts_venture_program" in every and "idx_fact_ventures_venture" in every

    def cut(stage, position):
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        model.catch_up(store, batch=10, hook=cut)
    assert indexes(model) < every  # dropped for the build, not yet back
    model.close()
    model = ReadModel(path)
    model.catch_up(store)
    assert indexes(model) == every
    clean = ReadModel(str(tmp_path / "clean.db"))
    clean.catch_up(store)
    assert indexes(clean) == every and tables(model) == tables(clean)


def test_a_crash_while_refolding_is_finished_by_the_next_run(store, tmp_path):
    append(store, SCENARIO)
    model = ReadModel(str(tmp_path / "read.db"))

    def crash_when_deriving(stage, position):
        if stage == "derive":
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        model.catch_up(store, hook=crash_when_deriving)
    # the facts are in, the ventures still marked to refold, no derived row half written
    assert model.position() == len(SCENARIO) and model.db["dirty"].count > 0
    assert model.db["roi_ventures"].count == 0
    assert model.catch_up(store) == 0
    assert model.db["dirty"].count == 0
    clean = ReadModel(str(tmp_path / "clean.db"))
    clean.catch_up(store)
    assert tables(model) == tables(clean)


def test_a_killed_process_leaves_the_read_model_consistent(store, tmp_path):
    """A real crash: the process dies (os._exit) between writing a batch and its commit."""
    append(store, SCENARIO)
    path = tmp_path / "read.db"
    script = textwrap.dedent(f"""
        import os
        from outcomes.ledger.store import EventStore
        from outcomes.projections.readmodel import ReadModel
        seen = []
        def die(stage, position):
            seen.append(position)
            if len(seen) == 3:
                os._exit(9)
        ReadModel({str(path)!r}).catch_up(EventStore({store.url!r}), batch=8, hook=die)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True)
    assert done.returncode == 9, done.stderr
    model = ReadModel(str(path))
    assert model.position() == 16 and model.db["facts"].count == 16
    assert model.catch_up(store) == len(SCENARIO) - 16
    clean = ReadModel(str(tmp_path / "clean.db"))
    clean.catch_up(store)
    assert tables(model) == tables(clean)


def test_a_batch_already_applied_by_another_process_is_skipped(store, tmp_path):
    append(store, SCENARIO)
    path = str(tmp_path / "read.db")
    one, two = ReadModel(path), ReadModel(path)
    events = list(store.read())
    assert one._apply(events[:20], store) == 20
    assert two._apply(events[:25], store) == 5  # re-reads the position under the lock
    assert one.db["facts"].count == 25


def test_another_store_behind_the_same_read_model_is_detected(tmp_path):
    path = str(tmp_path / "read.db")
    first = EventStore(str(tmp_path / "one.db"), create=True)
    append(first, SCENARIO)
    model = ReadModel(path)
    model.catch_up(first)
    other = EventStore(str(tmp_path / "two.db"), create=True)
    append(other, [ev("ProgramRegistered", "2012-01-01", "x", program="x", name="X",
                      funder="F")])
    assert model.catch_up(other) == 1  # started again from scratch
    assert [r["program"] for r in model.table("programs")] == ["x"]
    first.close()
    other.close()


def test_rebuild_drops_only_its_own_tables(store, tmp_path):
    """A table a user added to the read model (notes, a search index) survives a rebuild."""
    append(store, SCENARIO)
    path = str(tmp_path / "read.db")
    model = ReadModel(path)
    model.catch_up(store)
    model.db["my_notes"].insert({"venture": "numergy", "note": "ask the court of auditors"})
    model.rebuild(store)
    assert model.db["my_notes"].count == 1
    assert model.catch_up(store) == 0
    assert model.report("roi", as_of=date.today()) == report_from_events("roi", store.read(),
                                                                    as_of=date.today())


def test_empty_ledger(store, tmp_path):
    model = ReadModel(str(tmp_path / "read.db"))
    assert model.catch_up(store) == 0
    assert model.report("roi", as_of=TODAY) == {
        "as_of": TODAY.isoformat(), "known_at": None, "ventures": [], "programs": []}


def test_a_correction_can_move_an_event_to_another_venture(store, tmp_path):
    """Only registrations and closures keep their venture; a payment entered under the
    wrong venture can be corrected, even into another program's venture, and every
    correction of it (before and after the move) follows it."""
    moves = [
        ev("ProgramRegistered", "2012-01-01", "other", program="other", name="O", funder="F"),
        ev("VentureRegistered", "2012-01-01", "reg-x", venture="x", name="X", program="other"),
        ev("EventCorrected", "2013-01-01", "fix-amount", event="n-grant-2",
           changes={"amount": "12000000"}, reason="typo"),
    ]
    later = [ev("EventCorrected", "2014-01-01", "move", event="n-grant-2",
                changes={"venture": "x"}, reason="wrong venture"),
             ev("EventCorrected", "2014-02-01", "fix-again", event="n-grant-2",
                changes={"amount": "11000000"}, reason="typo")]
    append(store, SCENARIO + moves)
    model = ReadModel(str(tmp_path / "read.db"))
    model.catch_up(store)  # the first correction in one run, the move in the next
    append(store, later)
    model.catch_up(store)
    events = list(store.read())
    for as_of in (date(2013, 6, 1), date(2014, 1, 15), date(2016, 1, 1), TODAY):
        for kind in ("roi", "targets", "timeline"):
            for selection in ({}, {"venture": "x"}, {"venture": "numergy"},
                              {"program": "other"}, {"program": "pia-cloud"}):
                assert model.report(kind, as_of=as_of, **selection) == report_from_events(
                    kind, events, as_of=as_of, **selection), (kind, as_of, selection)
    x = model.report("roi", as_of=TODAY, venture="x")["ventures"][0]
    assert x["public_granted"] == "11000000"
    clean = ReadModel(str(tmp_path / "clean.db"))
    clean.catch_up(store, batch=4)
    assert tables(model) == tables(clean)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(1, len(SCENARIO) - 1), max_size=4, unique=True),
       batch=st.integers(1, 12),
       days=st.lists(st.integers(0, 7000), min_size=1, max_size=3))
def test_any_batching_gives_the_same_read_model_and_reports(tmp_path_factory, cuts, batch,
                                                            days):
    """Appending in any steps, caught up in any batch size: the same tables as a rebuild,
    and reports identical to report_from_events at any as-of date."""
    tmp = tmp_path_factory.mktemp("prop")
    store = EventStore(str(tmp / "ledger.db"), create=True)
    model = ReadModel(str(tmp / "read.db"))
    edges = [0, *sorted(cuts), len(SCENARIO)]
    for start, end in itertools.pairwise(edges):
        append(store, SCENARIO[start:end])
        model.catch_up(store, batch=batch)
    rebuilt = ReadModel(str(tmp / "rebuilt.db"))
    rebuilt.catch_up(store)
    assert tables(model) == tables(rebuilt)
    events = list(store.read())
    for n in days:
        as_of = date(2011, 1, 1) + timedelta(days=n)
        for kind in ("roi", "targets"):
            assert model.report(kind, as_of=as_of) == report_from_events(kind, events, as_of=as_of)
    store.close()


def test_irrs_are_solved_once_per_date_until_the_venture_changes(store, tmp_path,
                                                                 monkeypatch):
    import outcomes.projections.readmodel.model as readmodel

    solved = []
    real = readmodel.rate_of_return

    def counting(money, as_of):
        solved.append(as_of)
        return real(money, as_of)

    monkeypatch.setattr(readmodel, "rate_of_return", counting)
    append(store, SCENARIO)
    model = ReadModel(str(tmp_path / "read.db"))
    model.catch_up(store)
    today = TODAY
    first = model.report("roi", as_of=today)
    assert len(solved) == 3  # two ventures and their program
    assert model.report("roi", as_of=today) == first == report_from_events("roi", store.read(),
                                                                           as_of=today)
    assert model.report("roi", as_of=today, venture="numergy")["ventures"] == first[
        "ventures"][1:]
    assert len(solved) == 3  # all from the cache
    append(store, [ev("ReturnReceived", "2016-06-01", None, venture="numergy",
                      amount="500000", kind="dividend")])
    model.catch_up(store)
    second = model.report("roi", as_of=today)
    assert len(solved) == 5  # numergy and the program again, not cloudwatt
    assert second == report_from_events("roi", store.read(), as_of=today) != first
    tomorrow = today + timedelta(days=1)
    assert model.report("roi", as_of=tomorrow) == report_from_events("roi", store.read(),
                                                                     as_of=tomorrow)
    assert len(solved) == 8  # another date: solved again (only one date is kept)
    assert {r["as_of"] for r in model.db["irr_cache"].rows} == {tomorrow.isoformat()}


def test_a_report_reads_one_state_while_another_process_catches_up(store, tmp_path,
                                                                     monkeypatch):
    """A report reads rows and their seals in one snapshot: a catch-up committed between
    two of its reads neither fails its checks nor mixes two states into one document, and
    the irrs solved for the old state are not cached for the new one."""
    append(store, FIRST)
    path = str(tmp_path / "read.db")
    reader, writer = ReadModel(path), ReadModel(path)
    reader.catch_up(store)
    want = report_from_events("roi", store.read(), as_of=date.today())
    append(store, REST)
    grouped = ReadModel._grouped
    calls = []

    def meanwhile(self, *args):
        rows = grouped(self, *args)
        if self is reader and not calls:
            calls.append(writer.catch_up(store))  # commits between the rows and the seals
        return rows

    monkeypatch.setattr(ReadModel, "_grouped", meanwhile)
    assert reader.report("roi", as_of=date.today()) == want
    assert calls == [len(REST)]
    assert reader.report("roi", as_of=date.today()) == report_from_events(
        "roi", store.read(), as_of=date.today())


def streamed(model: ReadModel, kind: str, as_of: date, **selection: str) -> str:
    """The JSON a user gets (`report -O json`): written by the sink as it is read."""
    out = io.StringIO()
    assert model.report(kind, as_of=as_of, sink=JsonSink(out), **selection) == {}
    return out.getvalue()


def ventures_passed_to(monkeypatch, name: str) -> list[str]:
    """The venture of each call to documents.`name` (`progress` evaluates a target's
    series, `summary` words a timeline line): what a report made again, not kept."""
    import outcomes.projections.present.documents as documents

    seen: list[str] = []
    real = getattr(documents, name)

    def counting(first, *rest):
        seen.append(first.venture)
        return real(first, *rest)

    monkeypatch.setattr(documents, name, counting)
    return seen


def caught_up(store, tmp_path, events) -> ReadModel:
    append(store, events)
    model = ReadModel(str(tmp_path / "read.db"))
    model.catch_up(store)
    return model


def test_targets_texts_are_kept_per_date_until_the_venture_changes(store, tmp_path,
                                                                    monkeypatch):
    evaluated = ventures_passed_to(monkeypatch, "progress")
    model = caught_up(store, tmp_path, SCENARIO)
    later = TODAY + timedelta(days=400)
    for as_of in (TODAY, later):
        want = to_json(report_from_events("targets", store.read(), as_of=as_of))
        one = to_json(report_from_events("targets", store.read(), as_of=as_of,
                                         venture="numergy"))
        evaluated.clear()
        assert streamed(model, "targets", as_of) == want
        assert evaluated == ["cloudwatt", "numergy", "numergy"]  # (numergy: two targets)
        assert streamed(model, "targets", as_of) == want
        assert streamed(model, "targets", as_of, venture="numergy") == one
        assert len(evaluated) == 3  # all from the kept texts
    # one date is kept: the last one asked
    assert {r["as_of"] for r in model.db["texts"].rows} == {later.isoformat()}
    append(store, [ev("SalesReported", "2016-03-01", None, venture="numergy", period="2015",
                      revenue="7000000")])
    model.catch_up(store)
    want = to_json(report_from_events("targets", store.read(), as_of=later))
    evaluated.clear()
    got = streamed(model, "targets", later)
    assert got == want
    assert '"year": 2015, "date": "2015-12-31", "expected"' in got
    assert set(evaluated) == {"numergy"}  # cloudwatt's text was kept


def test_a_targets_report_cut_short_keeps_no_text(store, tmp_path):
    class Stop(Exception):
        pass

    class FirstRecordOnly:
        encoded = True

        def __call__(self, doc):
            next(iter(doc["targets"]))
            raise Stop

    append(store, SCENARIO)
    model = ReadModel(str(tmp_path / "read.db"))
    model.catch_up(store)
    with pytest.raises(Stop):
        model.report("targets", as_of=TODAY, sink=FirstRecordOnly())
    assert list(model.db["texts"].rows) == []
    later = TODAY + timedelta(days=1)
    assert streamed(model, "targets", later) == to_json(
        report_from_events("targets", store.read(), as_of=later))
    assert streamed(model, "targets", TODAY) == to_json(
        report_from_events("targets", store.read(), as_of=TODAY))


def test_timeline_texts_are_kept_for_any_date_until_the_venture_changes(store, tmp_path,
                                                                        monkeypatch):
    summarized = ventures_passed_to(monkeypatch, "summary")
    model = caught_up(store, tmp_path, SCENARIO)
    later = TODAY + timedelta(days=400)
    want = {day: to_json(report_from_events("timeline", store.read(), as_of=day))
            for day in (TODAY, later)}
    one = to_json(report_from_events("timeline", store.read(), as_of=TODAY, venture="numergy"))
    summarized.clear()
    assert streamed(model, "timeline", TODAY) == want[TODAY]
    assert set(summarized) == {"cloudwatt", "numergy"}
    summarized.clear()
    assert streamed(model, "timeline", later) == want[later]  # (any date: the same text)
    assert streamed(model, "timeline", TODAY, venture="numergy") == one
    assert summarized == []  # all from the kept texts
    append(store, [ev("MetricReported", "2015-06-01", None, venture="numergy",
                      metric="customers", value=321)])
    model.catch_up(store)
    want = to_json(report_from_events("timeline", store.read(), as_of=TODAY))
    summarized.clear()
    assert streamed(model, "timeline", TODAY) == want
    assert "customers reported: 321" in want
    assert set(summarized) == {"numergy"}  # cloudwatt's text was kept
