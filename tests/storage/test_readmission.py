"""`verify` re-admits every stored event under the ledger's rules.

Each forged row below is written straight into the store with its Merkle node
recomputed from the nodes before it, as someone with write access to the database would
do (`EventStore.append` stores whatever it is given: it is the raw insert, on SQLite and
PostgreSQL alike). Its hashes are therefore consistent: only re-admitting the event, as
if it were appended anew, can tell that the tool would have refused it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from freezegun import freeze_time

from outcomes.ledger.integrity import canonical_bytes, leaf_hash, node_at
from outcomes.ledger.model import Event
from outcomes.ledger.service import record
from outcomes.ledger.store import EventStore
from tests.audit_support import SRC, base_events, ev
from tests.conftest import Outcomes

BUILT = "2016-02-01T10:00:00Z"  # the honest events are recorded then
LATER = datetime(2016, 2, 1, 11, 0, tzinfo=UTC)  # and the forged ones an hour later


def grant(**fields: Any) -> dict[str, Any]:
    """The wire form of a valid grant, to spoil one field at a time."""
    return {"occurred_on": "2015-07-01", "source": SRC, "venture": "numergy",
            "amount": "1000000", "funder": "CDC", "public": True, "instrument": "equity",
            **fields}


def closure(day: str) -> dict[str, Any]:
    return {"occurred_on": day, "source": SRC, "venture": "numergy", "outcome": "acquired"}


def forge(url: str, rows: list[tuple[str, str, dict[str, Any]] | tuple[
        str, str, dict[str, Any], datetime]]) -> None:
    """Append (type, id, wire fields[, recorded_at]) rows with recomputed nodes, no checks."""
    store = EventStore(url)
    try:
        for row in rows:
            type_, event_id, wire = row[:3]
            at = row[3] if len(row) == 4 else LATER  # type: ignore[misc]
            position = store.head() + 1
            event = Event(position, event_id, type_, at, "forger", {}, wire)
            node = node_at(position, leaf_hash(canonical_bytes(event)), store.node)
            store.append([(event, node)])
    finally:
        store.close()


def without(fields: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k != name}


RETRACT_NOTHING = {"occurred_on": "2016-01-01", "source": SRC, "event": "nope",
                   "reason": "forged"}
RETRACT_GRANT_2 = {**RETRACT_NOTHING, "event": "grant-2"}
CORRECT_GRANT_2 = {"occurred_on": "2016-01-01", "source": SRC, "event": "grant-2",
                   "changes": {"amount": "1"}, "reason": "forged"}

# name: (forged rows after the 12 honest events, first bad position, words in the problem)
FORGERIES: dict[str, tuple[list[Any], int, tuple[str, ...]]] = {
    "a negative amount": (
        [("FundingGranted", "f1", grant(amount="-5"))], 13, ("amount", "greater than 0")),
    "an amount of 'lots'": (
        [("FundingGranted", "f1", grant(amount="lots"))], 13, ("amount", "malformed")),
    "a missing field": (
        [("FundingGranted", "f1", without(grant(), "funder"))], 13, ("funder", "missing")),
    "a date of 2019-02-30": (
        [("FundingGranted", "f1", grant(occurred_on="2019-02-30"))], 13,
        ("occurred_on", "malformed date")),
    "an unknown field": (
        [("FundingGranted", "f1", grant(bonus="yes"))], 13, ("bonus", "unknown field")),
    "an unknown venture": (
        [("FundingGranted", "f1", grant(venture="ghost"))], 13, ("venture", "unknown venture")),
    "an unknown program": (
        [("VentureRegistered", "f1", {"occurred_on": "2015-01-01", "source": SRC,
                                      "venture": "ghost", "name": "Ghost",
                                      "program": "nowhere"})], 13,
        ("program", "unknown program")),
    "a second registration": (
        [("VentureRegistered", "f1", {"occurred_on": "2015-01-01", "source": SRC,
                                      "venture": "numergy", "name": "Again",
                                      "program": "pia-cloud"})], 13,
        ("venture", "already registered")),
    "another currency": (
        [("FundingGranted", "f1", grant(currency="USD"))], 13, ("currency", "differs")),
    "a duplicate id, other content": (
        [("FundingGranted", "grant-1", grant())], 13, ("id", "already recorded")),
    "a duplicate id, same content": (
        [("FundingGranted", "grant-1", grant(occurred_on="2012-12-01", amount="25000000"))],
        13, ("id", "already recorded")),
    "a retraction of nothing": (
        [("EventRetracted", "f1", RETRACT_NOTHING)], 13, ("event", "unknown event")),
    "a correction of a retracted event": (
        [("EventRetracted", "f1", RETRACT_GRANT_2), ("EventCorrected", "f2", CORRECT_GRANT_2)],
        14, ("event", "retracted")),
    "a correction of a correction": (
        [("EventCorrected", "f1", CORRECT_GRANT_2),
         ("EventCorrected", "f2", {**CORRECT_GRANT_2, "event": "f1"})],
        14, ("event", "itself a EventCorrected")),
    "a correction into an invalid event": (
        [("EventCorrected", "f1", {**CORRECT_GRANT_2, "changes": {"amount": "-1"}})], 13,
        ("changes.amount", "greater than 0")),
    "a second closure": (
        [("VentureClosed", "f1", closure("2016-01-01")),
         ("VentureClosed", "f2", closure("2016-01-02"))], 14, ("venture", "already closed")),
    "a grant after the closure": (
        [("VentureClosed", "f1", closure("2016-01-01")),
         ("FundingGranted", "f2", grant(occurred_on="2016-01-15"))], 14,
        ("venture", "was closed on 2016-01-01")),
    "a closure before the funding": (
        [("VentureClosed", "f1", closure("2012-10-01"))], 13,
        ("occurred_on", "events dated up to 2015-06-30")),
    "a correction moving a grant after the closure": (
        [("VentureClosed", "f1", closure("2016-01-01")),
         ("EventCorrected", "f2", {**CORRECT_GRANT_2, "changes": {"occurred_on": "2016-01-10"}})],
        14, ("changes.venture", "was closed on 2016-01-01")),
    "an event dated after its recording": (
        [("FundingGranted", "f1", grant(occurred_on="2016-02-02"))], 13,
        ("occurred_on", "after the recording date 2016-02-01")),
    "a recording time in 2099": (
        [("FundingGranted", "f1", grant(), datetime(2099, 1, 1, tzinfo=UTC))], 13,
        ("recorded_at", "2099-01-01T00:00:00.000000Z is in the future")),
    "a recording time going backwards": (
        [("FundingGranted", "f1", grant(occurred_on="2015-06-30"),
          datetime(2016, 1, 1, tzinfo=UTC))], 13,
        ("recorded_at", "earlier than the recording time of position 12")),
    "an amount in a form the tool never writes": (
        [("FundingGranted", "f1", grant(amount=1000000))], 13,
        ("not in the form the tool writes",)),
}


@pytest.fixture
def honest(outcomes: Outcomes) -> Outcomes:
    store = EventStore(outcomes.url, create=True)
    try:
        with freeze_time(BUILT):
            record(store, [(None, raw) for raw in base_events()], actor="tester")
    finally:
        store.close()
    return outcomes


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("case", list(FORGERIES))
def test_verify_refuses_what_append_would_refuse(honest: Outcomes, case: str) -> None:
    check_forgery(honest, case)


@pytest.mark.backends("postgres")  # the rules are the same code: a few cases suffice
@pytest.mark.parametrize("case", ["a negative amount", "a correction of a retracted event",
                                  "a recording time in 2099"])
def test_verify_refuses_forgeries_on_postgresql(honest: Outcomes, case: str) -> None:
    check_forgery(honest, case)


def check_forgery(honest: Outcomes, case: str) -> None:
    rows, position, words = FORGERIES[case]
    assert honest("verify").exit_code == 0
    forge(honest.url, rows)
    checkpoint = honest("checkpoint").stdout.strip()  # the forger's own, consistent root
    result = honest("verify", "--checkpoint", checkpoint)
    assert (result.exit_code, result.stdout) == (1, "")
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith(f"outcomes: verify failed: position {position}:")
    assert "would be refused today" in line and "hashes recomputed" in line
    for word in words:
        assert word in line, line
    report = json.loads(honest("verify", "-O", "json").stdout)
    assert report["ok"] is False and report["root"] is None
    assert report["first_bad_position"] == position and report["size"] == position - 1
    assert all(word in report["problem"] for word in words)


@pytest.mark.backends("sqlite")
def test_valid_forged_rows_are_indistinguishable_from_appended_ones(honest: Outcomes) -> None:
    """The forging helper itself writes what the tool writes: a valid event passes."""
    forge(honest.url, [("FundingGranted", "f1", grant())])
    assert honest("verify").exit_code == 0


@pytest.mark.backends("sqlite")
def test_a_recording_time_in_the_future_is_reported_once_the_clock_is_right(
        outcomes: Outcomes) -> None:
    """Recorded under a clock set forward to 2030, verified in 2026."""
    assert outcomes("init").exit_code == 0
    with freeze_time("2030-01-01T00:00:00Z"):
        assert outcomes("append", "program-registered", "--program", "p", "--name", "P",
                        "--funder", "F", "--occurred-on", "2025-01-01",
                        "--source", SRC).exit_code == 0
        assert outcomes("verify").exit_code == 0
    with freeze_time("2026-06-01T00:00:00Z"):
        result = outcomes("verify")
    assert result.exit_code == 1
    assert "position 1:" in result.stderr and "is in the future" in result.stderr


@pytest.mark.backends("sqlite")
def test_corrections_are_checked_against_the_corrected_event_as_it_stood(
        honest: Outcomes) -> None:
    """A correction re-admitted after the target's own earlier correction uses both."""
    forge(honest.url, [
        ("EventCorrected", "f1", {**CORRECT_GRANT_2, "changes": {"amount": "7"}}),
        ("EventCorrected", "f2", {**CORRECT_GRANT_2, "changes": {"funder": "Bpifrance"}}),
        ("VentureClosed", "f3", closure("2016-01-01")),
        ("ReturnReceived", "f4", {"occurred_on": "2016-01-20", "source": SRC,
                                  "venture": "numergy", "amount": "5", "kind": "dividend",
                                  "public": True}),
    ])
    assert honest("verify").exit_code == 0


@pytest.mark.backends("sqlite")
def test_an_honest_append_after_a_forged_event_is_still_reported_at_the_forgery(
        honest: Outcomes) -> None:
    forge(honest.url, [("FundingGranted", "f1", grant(venture="ghost"))])
    with freeze_time("2016-02-02T10:00:00Z"):
        assert honest("append", "stake-valued", "--venture", "numergy", "--value", "5",
                      "--occurred-on", "2016-01-31", "--source", SRC).exit_code == 0
    result = honest("verify")
    assert result.exit_code == 1 and "position 13:" in result.stderr


@pytest.mark.backends("sqlite")
def test_every_case_is_an_event_the_cli_refuses(honest: Outcomes) -> None:
    """The same rule set: an `import` of a forged event is refused too."""
    bad = ev("FundingGranted", "2015-07-01", venture="ghost", amount="1", funder="CDC")
    with freeze_time("2016-02-02T10:00:00Z"):
        result = honest("import", "-", input=json.dumps(bad) + "\n")
    assert result.exit_code == 2 and "unknown venture" in result.stderr
