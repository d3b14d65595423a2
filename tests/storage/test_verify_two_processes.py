"""`verify` on two processes: the second one checks the rows after a split point (with its
own connection to the store) and sends back only its report. Whichever process finds the
first problem, the report is the one a single process gives: the same position, words,
size and root, and the same lines and exit codes from the command.

Each test runs verify both ways on the same store and compares; it also records which
runs this process made, to show that the second process's report was the one used (or,
when it fails, that this process checked on by itself).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import outcomes.ledger.verify as verifying
from outcomes.ledger.store import EventStore
from outcomes.ledger.verify import Report, verify
from tests.audit_support import build, copy_db, state_of, tamper
from tests.conftest import Outcomes
from tests.storage.test_readmission import forge, grant, honest  # noqa: F401 - a fixture

ONE = 10**9  # a threshold no test ledger reaches: one process
TWO = 2  # every test ledger: two processes


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The `_Scan.run` calls of this process (the second process's are its own)."""
    calls: list[dict[str, Any]] = []
    original = verifying._Scan.run

    def run(self: Any, stream: Any, progress: Any, *, fold: int = 0,
            stop: int | None = None) -> Report | None:
        report = original(self, stream, progress, fold=fold, stop=stop)
        calls.append({"fold": fold, "stop": stop, "stopped": report is None})
        return report

    monkeypatch.setattr(verifying._Scan, "run", run)
    return calls


def both_ways(url: str, checkpoint: tuple[int, str] | None = None
              ) -> tuple[Report, Report, int]:
    """The report of one process, of two, and the split point the two used."""
    store = EventStore(url)
    try:
        rows = store.recorder.max_notification_id() or 0
        one = verify(store, checkpoint, two_from=ONE)
        two = verify(store, checkpoint, two_from=TWO)
    finally:
        store.close()
    return one, two, int(rows / (2 - verifying.FOLD_COST))


def the_second_process_answered(runs: list[dict[str, Any]], split: int) -> bool:
    """This process checked the rows up to the split, found them good, and took the
    second process's report (it did not check on by itself)."""
    return runs[-1] == {"fold": 0, "stop": split, "stopped": True}


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return build(tmp_path / "ledger.db")  # 12 events: this process checks 1..8


def altered(ledger: Path, tmp_path: Path, position: int, old: bytes, new: bytes) -> Path:
    copy = copy_db(ledger, tmp_path / f"copy-{position}.db")
    state = state_of(copy, position)
    assert state.count(old) == 1, state
    tamper(copy, ("UPDATE stored_events SET state = ? WHERE originator_version = ?",
                  (state.replace(old, new), position)))
    return copy


def node_of(db: Path, position: int) -> bytes:
    return json.loads(state_of(db, position))["node"].encode()


def test_an_intact_ledger_gives_the_same_size_and_root(ledger: Path,
                                                       runs: list[dict[str, Any]]) -> None:
    one, two, split = both_ways(str(ledger))
    assert one.ok and one.size == 12
    assert two == one
    assert split == 8 and the_second_process_answered(runs, split)


@pytest.mark.parametrize(("position", "second"), [(3, False), (10, True), (12, True)])
def test_a_changed_stored_node_is_reported_as_by_one_process(
        ledger: Path, tmp_path: Path, runs: list[dict[str, Any]], position: int,
        second: bool) -> None:
    node = node_of(ledger, position)
    other = (b"0" if node[:1] != b"0" else b"1") + node[1:]
    copy = altered(ledger, tmp_path, position, node, other)
    one, two, split = both_ways(str(copy))
    assert (one.ok, one.first_bad_position, one.size) == (False, position, position - 1)
    assert "does not match the hash stored with it" in str(one.problem)
    assert two == one
    assert the_second_process_answered(runs, split) is second


@pytest.mark.parametrize("position", [5, 11])
def test_a_changed_amount_is_reported_as_by_one_process(
        ledger: Path, tmp_path: Path, runs: list[dict[str, Any]], position: int) -> None:
    amount = json.loads(state_of(ledger, position))["data"]["amount"].encode()
    copy = altered(ledger, tmp_path, position, b'"amount":"' + amount + b'"',
                   b'"amount":"1' + amount + b'"')
    one, two, split = both_ways(str(copy))
    assert (one.ok, one.first_bad_position) == (False, position)
    assert "altered" in str(one.problem)
    assert two == one
    assert the_second_process_answered(runs, split) is (position > split)


def test_a_problem_in_each_part_is_reported_at_the_first(
        ledger: Path, tmp_path: Path, runs: list[dict[str, Any]]) -> None:
    """Both processes find a problem: the lower position is the report."""
    copy = altered(ledger, tmp_path, 11, b'"_data_":"', b'"_data_":"1')
    state = state_of(copy, 2)
    tamper(copy, ("UPDATE stored_events SET state = ? WHERE originator_version = 2",
                  (state.replace(b'"_data_":"', b'"_data_":"1'),)))
    one, two, _ = both_ways(str(copy))
    assert (one.first_bad_position, two) == (2, one)


def test_a_checkpoint_is_checked_in_either_part(ledger: Path, tmp_path: Path) -> None:
    short = copy_db(ledger, tmp_path / "short.db")
    tamper(short, ("DELETE FROM stored_events WHERE originator_version > 4", ()))
    early = (4, both_ways(str(short))[0].root or "")
    for checkpoint in [early, (10, "0" * 64), (13, "0" * 64), (0, "0" * 64)]:
        one, two, _ = both_ways(str(ledger), checkpoint)
        assert two == one, checkpoint
    assert both_ways(str(ledger), early)[1].ok
    assert both_ways(str(ledger), (10, "0" * 64))[1].first_bad_position is None
    assert both_ways(str(ledger), (13, "0" * 64))[1].first_bad_position == 13


def test_when_the_second_process_fails_this_one_checks_on(
        ledger: Path, tmp_path: Path, runs: list[dict[str, Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    copy = altered(ledger, tmp_path, 10, b'"_data_":"', b'"_data_":"1')

    def broken(url: str) -> EventStore:
        raise OSError("no second connection")

    monkeypatch.setattr(verifying, "EventStore", broken)  # only the second process opens one
    one, two, split = both_ways(str(copy))
    assert (one.first_bad_position, two) == (10, one)
    assert runs[-2:] == [{"fold": 0, "stop": split, "stopped": True},
                         {"fold": 0, "stop": None, "stopped": False}]


def test_when_no_second_process_can_start_this_one_checks_everything(
        ledger: Path, tmp_path: Path, runs: list[dict[str, Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    copy = altered(ledger, tmp_path, 10, b'"_data_":"', b'"_data_":"1')

    def refuse(self: Any) -> None:
        raise OSError("cannot fork")

    monkeypatch.setattr(type(multiprocessing.get_context("fork").Process(target=print)),
                        "start", refuse)
    one, two, _ = both_ways(str(copy))
    assert (one.first_bad_position, two) == (10, one)
    assert runs[-1] == {"fold": 0, "stop": None, "stopped": False}


def test_the_command_prints_the_same_lines(ledger: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    copy = altered(ledger, tmp_path, 10, b'"_data_":"', b'"_data_":"1')
    run = Outcomes(copy)
    outputs = []
    monkeypatch.setattr(verifying, "_spare_core", lambda: True)
    for threshold in (ONE, TWO):
        monkeypatch.setattr(verifying, "TWO_PROCESSES_FROM", threshold)
        plain, as_json = run("verify"), run("verify", "-O", "json")
        outputs.append((plain.exit_code, plain.stdout, plain.stderr, as_json.exit_code,
                        as_json.stdout, as_json.stderr))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 1 and "position 10:" in outputs[0][2]


def test_a_forgery_only_the_rules_refuse_is_found_by_the_second_process(
        honest: Outcomes, runs: list[dict[str, Any]]) -> None:  # noqa: F811
    """On each backend: rows with recomputed hashes, refused by the rules, after the
    split point (12 honest events, then 4 valid forged ones and a negative amount)."""
    forge(honest.url, [("FundingGranted", f"f{i}", grant()) for i in range(4)]
          + [("FundingGranted", "bad", grant(amount="-5"))])
    one, two, split = both_ways(honest.url)
    assert (one.first_bad_position, two) == (17, one)
    assert "would be refused today" in str(one.problem)
    assert split < 17 and the_second_process_answered(runs, split)


def test_a_small_ledger_stays_in_one_process(ledger: Path, runs: list[dict[str, Any]],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def not_asked() -> bool:
        raise AssertionError("the idle cores are sampled (0.1 s) only for a large ledger")

    monkeypatch.setattr(verifying, "_spare_core", not_asked)
    store = EventStore(str(ledger))
    try:
        assert verify(store).ok  # 12 rows, far under TWO_PROCESSES_FROM
    finally:
        store.close()
    assert runs == [{"fold": 0, "stop": None, "stopped": False}]


@pytest.mark.parametrize(("idle", "processes"), [(2.0, 2), (1.6, 2), (1.2, 1), (0.1, 1),
                                                 (None, 1)])
def test_a_second_process_only_with_two_idle_cores(
        ledger: Path, runs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch,
        idle: float | None, processes: int) -> None:
    """Two idle cores: this process's and the second's (without /proc/stat, None, the load
    average decides: 1.0 here, one core busy)."""
    monkeypatch.setattr(verifying, "TWO_PROCESSES_FROM", TWO)
    monkeypatch.setattr(verifying.os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(verifying, "_idle_cores", lambda: idle)
    monkeypatch.setattr(verifying.os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    store = EventStore(str(ledger))
    try:
        assert verify(store).ok
    finally:
        store.close()
    assert runs[-1]["stopped"] is (processes == 2)


def test_idle_cores_are_measured_between_none_and_all() -> None:
    idle = verifying._idle_cores(0.01)
    assert idle is None or 0 <= idle <= (os.cpu_count() or 1)


# -- reading back the events that corrections name ----------------------------------------


def test_committed_events_are_the_events_the_store_reads_back(scenario: Outcomes) -> None:
    """`verify` reads targets through its own read-only connection (SQLite), or the
    store's reads (PostgreSQL): the same events, field for field."""
    from outcomes.ledger.store import CommittedEvents, StoredEvents

    store = EventStore(scenario.url)
    try:
        size = store.head()
        fast, slow = CommittedEvents(store), StoredEvents(store)
        try:
            assert size >= 40
            assert [fast[p] for p in range(1, size + 1)] == \
                [slow[p] for p in range(1, size + 1)]
            assert (fast.con is not None) is (scenario.backend == "sqlite")
            with pytest.raises(LookupError):
                fast[size + 1]
        finally:
            fast.close()
    finally:
        store.close()


# -- the premise: folding good rows unchecked builds the state that checking them builds --


def test_folding_the_rows_builds_the_state_checking_them_builds(scenario: Outcomes) -> None:
    """The scenario's events (corrections, retractions, closures, several programs): after
    every row, checked or folded, the two states agree in everything the rules read."""
    from outcomes.ledger import clock
    from outcomes.ledger.store import CommittedEvents

    store = EventStore(scenario.url)
    recorded = CommittedEvents(store)
    try:
        now = clock.now()
        checked = verifying._Scan(verifying._state_of, None, now, recorded)
        folded = verifying._Scan(verifying._state_of, None, now, recorded)
        rows = list(store.rows())
        assert len(rows) >= 40
        types = set()
        for row in rows:
            checked.check(row, iter(()))
            folded.fold(row)
            a, b = checked.state, folded.state
            assert (a.position, a.recorded_at, a.frontier) == \
                (b.position, b.recorded_at, b.frontier)
            assert dict(a.entries) == dict(b.entries)
            assert (a.programs, a.ventures, a.closures, a.activity) == \
                (b.programs, b.ventures, b.closures, b.activity)
            types.add(json.loads(row.state)["type"])
        assert {"EventCorrected", "EventRetracted", "VentureClosed"} <= types
    finally:
        recorded.close()
        store.close()
