"""`log --known-at T`: exactly what `log` printed at T, whatever was recorded since."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freezegun import freeze_time

from tests.audit_support import base_events, run

T1 = "2016-02-01T09:00:00Z"
T2 = "2016-06-01T14:30:00Z"
T3 = "2017-01-01T00:00:00Z"
FORMATS = ("table", "json", "csv", "markdown")
VIEWS = {
    "all": (),
    "venture": ("--venture", "numergy"),
    "type": ("--type", "sales-reported", "--type", "EventCorrected"),
    "since": ("--since", "2014-01-01"),
}


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture
def ledger(tmp_path: Path) -> tuple[Path, dict[tuple[str, str], str]]:
    """A ledger recorded at T1, the log printed at T1, then more recorded at T2."""
    db = str(tmp_path / "ledger.db")
    source = tmp_path / "events.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in base_events()))
    with freeze_time(T1, tick=False):
        ok("--db", db, "init")
        ok("--db", db, "--actor", "tester", "import", str(source))
        printed = {(view, fmt): ok("--db", db, "log", *args, "-O", fmt)
                   for view, args in VIEWS.items() for fmt in FORMATS}
    with freeze_time(T2, tick=False):
        ok("--db", db, "correct", "rev-2014-a", "--set", "revenue=5500000", "--reason",
           "annual accounts", "--source", "https://example.org/accounts-2014")
        ok("--db", db, "retract", "jobs-2014", "--reason", "wrong company",
           "--source", "https://example.org/erratum")
        ok("--db", db, "append", "sales-reported", "--venture", "numergy", "--period", "2015",
           "--revenue", "8000000", "--occurred-on", "2016-03-01", "--source",
           "https://example.org/press-2016")
        ok("--db", db, "append", "target-set", "--venture", "numergy", "--metric", "jobs",
           "--value", "500", "--due", "2017-12-31", "--occurred-on", "2016-05-01",
           "--source", "https://example.org/plan")
    return tmp_path / "ledger.db", printed


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("view", list(VIEWS))
def test_log_known_at_t1_printed_at_t3_equals_the_t1_output(
        ledger: tuple[Path, dict[tuple[str, str], str]], view: str, fmt: str) -> None:
    db, printed = ledger
    with freeze_time(T3, tick=False):
        now = ok("--db", str(db), "log", *VIEWS[view], "-O", fmt)
        then = ok("--db", str(db), "log", *VIEWS[view], "-O", fmt, "--known-at", T1)
        end_of_day = ok("--db", str(db), "log", *VIEWS[view], "-O", fmt,
                        "--known-at", T1[:10])
    assert then == printed[(view, fmt)]
    assert end_of_day == printed[(view, fmt)]
    assert now != then  # what was recorded at T2 shows without --known-at


def test_log_known_at_written_to_a_file(ledger: tuple[Path, dict[tuple[str, str], str]],
                                        tmp_path: Path) -> None:
    db, printed = ledger
    out = tmp_path / "log.json"
    with freeze_time(T3, tick=False):
        ok("--db", str(db), "log", "--known-at", T1, "-o", str(out))
    assert out.read_text() == printed[("all", "json")]


def test_known_at_is_inclusive_and_before_anything_shows_nothing(
        ledger: tuple[Path, dict[tuple[str, str], str]]) -> None:
    db, _ = ledger
    with freeze_time(T3, tick=False):
        before = json.loads(ok("--db", str(db), "log", "-O", "json",
                               "--known-at", "2016-02-01T08:59:59.999999Z"))
        at = json.loads(ok("--db", str(db), "log", "-O", "json", "--known-at", T1))
        offset = json.loads(ok("--db", str(db), "log", "-O", "json",
                               "--known-at", "2016-02-01T10:00:00+01:00"))
    assert before == []
    assert len(at) == len(base_events()) == len(offset)
    assert {e["recorded_at"] for e in at} == {"2016-02-01T09:00:00.000000Z"}


def test_malformed_known_at_is_bad_input(ledger: tuple[Path, dict[tuple[str, str], str]]
                                         ) -> None:
    db, _ = ledger
    result = run("--db", str(db), "log", "--known-at", "yesterday")
    assert result.exit_code == 2 and "malformed timestamp" in result.stderr
