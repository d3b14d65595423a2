"""The closure rule holds for corrections and for the closure itself.

After a venture's closure only returns, valuations, reports, corrections and retractions
may be dated later; so a correction may not move a grant after the closure, and a closure
(new or corrected) may not be dated before a grant, commitment, target, offer or partner
of its venture still in force.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun import freeze_time

from outcomes.ledger.errors import LedgerError
from outcomes.ledger.service import record
from outcomes.ledger.store import EventStore
from tests.audit_support import SRC, base_events, build, ev, run

NOW = "2016-02-01T10:00:00Z"
LAST_RESTRICTED = "2015-06-30"  # grant-3, the last grant of base_events()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    with freeze_time(NOW):
        return build(tmp_path / "ledger.db")


def cli(db: Path, *args: str) -> tuple[int, str]:
    with freeze_time(NOW):
        result = run("--db", str(db), *args)
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr.strip()


def close(db: Path, day: str, event_id: str = "closed") -> tuple[int, str]:
    return cli(db, "append", "venture-closed", "--id", event_id, "--venture", "numergy",
               "--outcome", "acquired", "--occurred-on", day, "--source", SRC)


def correct(db: Path, event_id: str, change: str) -> tuple[int, str]:
    return cli(db, "correct", event_id, "--set", change, "--reason", "typo",
               "--source", SRC)


def stored(db: Path) -> int:
    store = EventStore(str(db))
    try:
        return store.head()
    finally:
        store.close()


def assert_refused(outcome: tuple[int, str], *words: str) -> None:
    code, err = outcome
    assert code == 2 and "\n" not in err, err
    for word in words:
        assert word in err, err


def test_a_correction_may_not_move_a_grant_after_the_closure(db: Path) -> None:
    assert close(db, "2015-12-31")[0] == 0
    assert_refused(correct(db, "grant-2", "occurred_on=2016-01-15"),
                   "changes.venture", "'numergy' was closed on 2015-12-31")
    assert stored(db) == 13
    assert correct(db, "grant-2", "occurred_on=2015-12-31")[0] == 0  # on the day: allowed
    assert run("--db", str(db), "verify").exit_code == 0


def test_a_closure_may_not_precede_the_funding(db: Path) -> None:
    assert_refused(close(db, "2012-10-01"), "occurred_on",
                   f"events dated up to {LAST_RESTRICTED}")
    assert stored(db) == 12
    assert close(db, LAST_RESTRICTED)[0] == 0


def test_a_closure_may_not_be_corrected_to_before_the_funding(db: Path) -> None:
    assert close(db, "2015-12-31")[0] == 0
    assert_refused(correct(db, "closed", "occurred_on=2012-10-01"),
                   "changes.occurred_on", f"events dated up to {LAST_RESTRICTED}")
    assert stored(db) == 13
    assert correct(db, "closed", "occurred_on=2015-07-01")[0] == 0
    assert run("--db", str(db), "verify").exit_code == 0


def test_retracted_and_corrected_events_no_longer_hold_the_closure_back(db: Path) -> None:
    for event_id in ("grant-3", "partner-1"):
        assert cli(db, "retract", event_id, "--reason", "never", "--source", SRC)[0] == 0
    # grant-2 (2013-06-30) is now the last of them; move it back to 2013-01-31.
    assert correct(db, "grant-2", "occurred_on=2013-01-31")[0] == 0
    assert_refused(close(db, "2013-01-30"), "events dated up to 2013-01-31")
    assert close(db, "2013-01-31")[0] == 0
    assert run("--db", str(db), "verify").exit_code == 0


def test_a_grant_moved_to_another_venture_follows_that_venture(db: Path) -> None:
    store = EventStore(str(db))
    try:
        with freeze_time(NOW):
            record(store, [(None, ev("VentureRegistered", "2012-09-06", venture="cloudwatt",
                                     name="Cloudwatt", program="pia-cloud")),
                           (None, ev("VentureClosed", "2014-01-01", venture="cloudwatt",
                                     outcome="acquired"))], actor="t")
    finally:
        store.close()
    assert_refused(correct(db, "grant-3", "venture=cloudwatt"), "was closed on 2014-01-01")
    assert correct(db, "grant-2", "venture=cloudwatt")[0] == 0  # 2013-06-30: before it
    # numergy's last grant is now grant-3 (2015-06-30); cloudwatt holds 2013-06-30.
    assert_refused(close(db, "2015-06-29"), "events dated up to 2015-06-30")


@pytest.mark.parametrize("indexed", [True, False])
def test_the_rule_is_the_same_with_and_without_the_index(tmp_path: Path,
                                                         indexed: bool) -> None:
    index = str(tmp_path / "l.index.db") if indexed else None
    store = EventStore(str(tmp_path / "l.db"), create=True)
    try:
        with freeze_time(NOW):
            record(store, [(None, raw) for raw in base_events()], actor="t", index_path=index)
            record(store, [(None, ev("EventRetracted", "2016-01-01", event="grant-3",
                                     reason="x"))], actor="t", index_path=index)
            # partner-1 (2014-05-01) is now the last event a closure must follow.
            with pytest.raises(LedgerError, match="events dated up to 2014-05-01"):
                record(store, [(None, ev("VentureClosed", "2014-04-30", venture="numergy",
                                         outcome="other"))], actor="t", index_path=index)
            record(store, [(None, ev("VentureClosed", "2014-05-01", id="c", venture="numergy",
                                     outcome="other"))], actor="t", index_path=index)
            with pytest.raises(LedgerError, match="was closed on 2014-05-01"):
                record(store, [(None, ev("EventCorrected", "2016-01-01", event="grant-2",
                                         changes={"occurred_on": "2014-05-02"}, reason="x"))],
                       actor="t", index_path=index)
    finally:
        store.close()
