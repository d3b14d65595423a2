"""The Python API (`import outcomes`): the same ledger, reports and checks as the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freezegun import freeze_time

import outcomes
from outcomes.fixtures import path as fixture_path
from outcomes.ledger.errors import LedgerError


def fixture_events() -> list[dict]:
    return [json.loads(line) for line in fixture_path("cloud-souverain.jsonl").read_text()
            .splitlines() if line.strip()]


@freeze_time("2026-01-01 12:00:00")
def test_record_report_and_verify_agree_with_the_command_line(outcomes_cli, tmp_path: Path):
    db = tmp_path / "api.db"
    with outcomes.open(str(db), create=True, actor="tester") as ledger:
        outcome = ledger.record(fixture_events())
        assert outcome.count == 56
        roi = ledger.report("roi", as_of="2016-12-31")
        size, root = ledger.checkpoint()
        report = ledger.verify((size, root))
        assert [e.type for e in ledger.events()][:1] == ["ProgramRegistered"]

    paid = {v["venture"]: v["public_granted"] for v in roi["ventures"]}
    assert paid == {"cloudwatt": "33300000", "numergy": "18480000"}  # the fixture's notes
    assert (size, report.ok, report.root) == (56, True, root)

    cli = outcomes_cli(db)
    printed = cli("report", "roi", "--as-of", "2016-12-31", "-O", "json")
    assert json.loads(printed.stdout) == roi
    assert cli("checkpoint").stdout == f"{size}:{root}\n"


def test_a_bad_event_is_refused_and_nothing_is_stored(tmp_path: Path):
    with outcomes.open(str(tmp_path / "api.db"), create=True, actor="tester") as ledger:
        good, bad = fixture_events()[:2]
        bad = bad | {"occurred_on": "2012-13-01"}
        with pytest.raises(LedgerError, match="occurred_on"):
            ledger.record([good, bad])
        assert ledger.checkpoint()[0] == 0


def test_an_unknown_report_is_refused_with_the_known_ones(tmp_path: Path):
    with (outcomes.open(str(tmp_path / "api.db"), create=True) as ledger,
          pytest.raises(ValueError, match="roi, targets, timeline")):
        ledger.report("balance")


@pytest.fixture
def outcomes_cli():
    from tests.conftest import Outcomes

    return lambda db: Outcomes(db)
