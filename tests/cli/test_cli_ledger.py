"""The foundation's acceptance: import, log, export round trip, refusals, append-only."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pytest
from freezegun import freeze_time

from outcomes.cli import main
from outcomes.ledger.schema import EVENT_TYPES
from tests.conftest import SCENARIO, Outcomes, in_ci, pg_connect

SCENARIO_LINES = [json.loads(line) for line in SCENARIO.read_text().splitlines()]


def log_json(run: Outcomes) -> list[dict]:
    result = run("log", "-O", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_scenario_covers_every_event_type() -> None:
    assert {line["type"] for line in SCENARIO_LINES} == set(EVENT_TYPES)
    assert len(SCENARIO_LINES) == 40


@freeze_time("2026-02-01 10:00:00")
def test_import_then_log_gives_events_in_file_order_with_fields_as_given(
        outcomes: Outcomes) -> None:
    result = outcomes("import", str(SCENARIO))
    assert result.exit_code == 0
    assert "imported 40 events (positions 1..40)" in result.output
    events = log_json(outcomes)
    assert [e["position"] for e in events] == list(range(1, 41))
    for given, logged in zip(SCENARIO_LINES, events, strict=True):
        assert logged["recorded_at"] == "2026-02-01T10:00:00.000000Z"
        assert logged["recorded_by"] == "tester"
        for name, value in given.items():
            expected = str(value) if isinstance(value, int) and not isinstance(value, bool) \
                and EVENT_TYPES[given["type"]].field(name) is not None \
                and EVENT_TYPES[given["type"]].field(name).kind.name == "amount" else value
            if name == "value" and given["type"] == "MetricReported":
                expected = int(value)
            assert logged[name] == expected, (given["id"], name)
    amounts = {e["id"]: e.get("amount") for e in events}
    assert amounts["g-beta-1"] == "12500000.50"
    assert amounts["c-alpha-priv"] == "25000000"


def test_export_import_export_round_trip(scenario: Outcomes,
                                        new_store: Callable[[], str]) -> None:
    first = scenario("export").stdout
    copy = Outcomes(new_store())
    copy("init")
    assert copy("import", "-", input=first).exit_code == 0
    assert copy("export").stdout == first
    strip = [{k: v for k, v in e.items() if k != "recorded_at"} for e in log_json(scenario)]
    assert [{k: v for k, v in e.items() if k != "recorded_at"} for e in log_json(copy)] == strip


def test_export_to_file(scenario: Outcomes, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert scenario("export", "-o", str(out)).exit_code == 0
    assert out.read_text() == scenario("export").stdout


def test_reimport_adds_nothing(scenario: Outcomes) -> None:
    before = log_json(scenario)
    result = scenario("import", str(SCENARIO))
    assert result.exit_code == 0 and "imported 0 events, 40 already recorded" in result.output
    assert log_json(scenario) == before


def test_append_prints_id_and_position(scenario: Outcomes) -> None:
    result = scenario("append", "offer-launched", "--venture", "alpha", "--offer", "Wind",
                      "--occurred-on", "2018-01-01", "--source", "https://x.org", "--id", "o-w")
    assert result.exit_code == 0
    assert result.stdout == "o-w\t41\n"
    result = scenario("append", "sales-reported", "--venture", "alpha", "--period", "2017",
                      "--revenue", "3000000.10", "--occurred-on", "2018-02-01",
                      "--source", "https://x.org")
    event_id, position = result.stdout.split()
    assert position == "42"
    assert log_json(scenario)[-1] == log_json(scenario)[-1] | {
        "id": event_id, "revenue": "3000000.10", "period": "2017"}


def test_correct_and_retract_commands(scenario: Outcomes) -> None:
    result = scenario("correct", "s-alpha-2016", "--set", "revenue=2200000", "--reason",
                      "restated", "--source", "https://x.org/r", "--occurred-on", "2018-01-01")
    assert result.exit_code == 0, result.output
    result = scenario("retract", "r-alpha-div", "--reason", "never paid",
                      "--source", "https://x.org/r", "--id", "x-div")
    assert result.stdout.startswith("x-div\t")
    last = log_json(scenario)[-2:]
    assert last[0]["changes"] == {"revenue": "2200000"} and last[0]["event"] == "s-alpha-2016"
    assert last[1]["type"] == "EventRetracted" and last[1]["event"] == "r-alpha-div"


def test_log_filters(scenario: Outcomes) -> None:
    beta = json.loads(scenario("log", "--venture", "beta", "-O", "json").stdout)
    ids = [e["id"] for e in beta]
    assert "x-beta-dup" in ids and "fix-beta-2016" in ids and "v-alpha" not in ids
    sales = json.loads(scenario("log", "--type", "sales-reported", "--since", "2017-01-01",
                                "-O", "json").stdout)
    assert [e["id"] for e in sales] == ["s-beta-2016", "s-alpha-2016"]
    csv_out = scenario("log", "--type", "StakeValued", "-O", "csv").stdout.splitlines()
    assert csv_out[0].startswith("position,id,type,recorded_at,recorded_by,occurred_on")
    assert len(csv_out) == 3
    table = scenario("log", "--venture", "alpha").stdout
    assert "s-alpha-2016" in table and "v-beta" not in table


@pytest.mark.parametrize(("args", "message"), [
    (["append", "funding-granted", "--venture", "gamma", "--amount", "1", "--funder", "S",
      "--occurred-on", "2016-01-01", "--source", "s"], "venture: unknown venture 'gamma'"),
    (["append", "funding-granted", "--venture", "alpah", "--amount", "1", "--funder", "S",
      "--occurred-on", "2016-01-01", "--source", "s"], "did you mean 'alpha'"),
    (["append", "funding-granted", "--venture", "alpha", "--amount", "-1", "--funder", "S",
      "--occurred-on", "2016-01-01", "--source", "s"], "amount: must be greater than 0"),
    (["append", "funding-granted", "--venture", "alpha", "--amount", "1E6", "--funder", "S",
      "--occurred-on", "2016-01-01", "--source", "s"], "amount: malformed amount"),
    (["append", "funding-granted", "--venture", "alpha", "--amount", "NaN", "--funder", "S",
      "--occurred-on", "2016-01-01", "--source", "s"], "amount: malformed amount 'NaN'"),
    (["append", "funding-granted", "--venture", "alpha", "--amount", "1", "--funder", "S",
      "--occurred-on", "2016-02-30", "--source", "s"], "occurred_on: malformed date"),
    (["append", "funding-granted", "--venture", "alpha", "--amount", "1", "--funder", "S",
      "--occurred-on", "2099-01-01", "--source", "s"], "occurred_on: 2099-01-01 is after"),
    (["append", "funding-granted", "--venture", "Alpha!", "--amount", "1", "--funder", "S",
      "--occurred-on", "2016-01-01", "--source", "s"], "venture: malformed slug"),
    (["append", "funding-granted", "--venture", "alpha", "--amount", "1", "--funder", "S",
      "--currency", "USD", "--occurred-on", "2016-01-01", "--source", "s"],
     "currency: USD differs from EUR"),
    (["append", "partner-signed", "--venture", "alpha", "--partner", "P", "--count", "-2",
      "--occurred-on", "2016-01-01", "--source", "s"], "count: negative count"),
    (["append", "venture-registered", "--venture", "alpha", "--name", "A", "--program",
      "green-fund", "--occurred-on", "2016-01-01", "--source", "s"],
     "venture: 'alpha' is already registered"),
    (["append", "program-registered", "--program", "green-fund", "--name", "G", "--funder",
      "S", "--occurred-on", "2016-01-01", "--source", "s"],
     "program: 'green-fund' is already registered"),
    (["append", "offer-launched", "--venture", "beta", "--offer", "X",
      "--occurred-on", "2018-01-01", "--source", "s"], "venture: 'beta' was closed on 2017-09-30"),
    (["append", "funding-granted", "--venture", "alpha", "--amount", "1", "--funder", "S",
      "--occurred-on", "2016-01-01", "--source", "s", "--id", "g-alpha-1"],
     "id: 'g-alpha-1' is already recorded"),
    (["correct", "nope", "--set", "amount=1", "--reason", "r", "--source", "s"],
     "event: cannot correct unknown event 'nope'"),
    (["correct", "g-beta-dup", "--set", "amount=1", "--reason", "r", "--source", "s"],
     "event: cannot correct event 'g-beta-dup': it was retracted"),
    (["correct", "fix-beta-2016", "--set", "reason=x", "--reason", "r", "--source", "s"],
     "cannot correct 'fix-beta-2016': it is itself a EventCorrected"),
    (["retract", "x-beta-dup", "--reason", "r", "--source", "s"],
     "cannot retract 'x-beta-dup': it is itself a EventRetracted"),
    (["retract", "nope", "--reason", "r", "--source", "s"],
     "event: cannot retract unknown event 'nope'"),
    (["correct", "g-alpha-1", "--set", "amount=-3", "--reason", "r", "--source", "s"],
     "changes.amount: must be greater than 0"),
    (["correct", "g-alpha-1", "--set", "size=3", "--reason", "r", "--source", "s"],
     "changes.size: FundingGranted has no field 'size'"),
    (["correct", "g-alpha-1", "--set", "amount", "--reason", "r", "--source", "s"],
     "--set: expected FIELD=VALUE"),
    (["log", "--type", "Bogus"], "--type: unknown event type 'Bogus'"),
    (["log", "--since", "2015-1-1"], "--since: malformed date"),
])
def test_refusals_exit_2_name_the_problem_and_change_nothing(
        scenario: Outcomes, args: list[str], message: str) -> None:
    before, digest = log_json(scenario), scenario.digest()
    result = scenario(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert scenario.digest() == digest
    assert log_json(scenario) == before


@pytest.mark.parametrize(("line", "message"), [
    ('{"type": "Bogus", "occurred_on": "2016-01-01", "source": "s"}', "type: unknown event type"),
    ('{"type": "OfferLaunched", "venture": "alpha", "offer": "X", "occurred_on": "2016-01-01",'
     ' "source": "s", "colour": "red"}', "colour: unknown field for OfferLaunched"),
    ('{"type": "OfferLaunched", "venture": "alpha", "occurred_on": "2016-01-01", "source": "s"}',
     "offer: missing required field"),
    ('{"type": "OfferLaunched", "venture": "alpha", "offer": "X", "occurred_on": "2016-01-01"}',
     "source: missing required field"),
    ('{"type": "StakeValued", "venture": "alpha", "value": NaN, "occurred_on": "2016-01-01",'
     ' "source": "s"}', "value: malformed amount 'NaN'"),
    ('{"type": "StakeValued", "venture": "alpha", "value": Infinity, "occurred_on": '
     '"2016-01-01", "source": "s"}', "value: malformed amount 'Infinity'"),
    ('{"type": "StakeValued", "venture": "alpha", "value": 1e400, "occurred_on": "2016-01-01",'
     ' "source": "s"}', "value: malformed amount '1e400'"),
    ('{"type": "StakeValued", "venture": "alpha", "value": -5, "occurred_on": "2016-01-01",'
     ' "source": "s"}', "value: must not be negative"),
    ('{"type": "StakeValued", "venture": "alpha", "value": "5", "occurred_on": "2016-01-01",'
     ' "source": "   "}', "source: must not be empty"),
    ('{"type": "OfferLaunched", "venture": "alpha", "offer": "X", "offer": "Y", '
     '"occurred_on": "2016-01-01", "source": "s"}', "invalid JSON: field 'offer' appears twice"),
    ('{"type": "OfferLaunched", ', "invalid JSON"),
    ('["OfferLaunched"]', "expected a JSON object"),
])
def test_bad_file_line_names_file_line_and_writes_nothing(
        scenario: Outcomes, tmp_path: Path, line: str, message: str) -> None:
    good = '{"type": "OfferLaunched", "venture": "alpha", "offer": "O%d", ' \
           '"occurred_on": "2016-01-01", "source": "https://x.org"}'
    lines = [good % i for i in range(4)] + [line] + [good % 9]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n")
    before, digest = log_json(scenario), scenario.digest()
    result = scenario("import", str(path))
    assert result.exit_code == 2
    assert f"{path}:5: " in result.stderr and message in result.stderr
    assert scenario.digest() == digest
    assert log_json(scenario) == before


def test_stdin_errors_are_located(scenario: Outcomes) -> None:
    result = scenario("import", "-", input='\n{"type": "Nope"}\n')
    assert result.exit_code == 2 and "<stdin>:2: type: unknown event type" in result.stderr


def test_missing_ledger_is_a_clear_error(store_url: str) -> None:
    result = Outcomes(store_url)("log")
    assert result.exit_code == 2
    assert "no ledger at" in result.stderr and " init` first" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    if store_url.startswith("postgresql://"):  # nothing created, password never shown
        assert f":{urlparse(store_url).password}@" not in result.stderr
        with pg_connect(store_url) as conn:
            assert conn.execute("SELECT to_regclass('outcomes_events')").fetchone()[0] is None
    else:
        assert not Path(store_url).exists()


def test_missing_file_is_a_usage_error(outcomes: Outcomes, tmp_path: Path) -> None:
    result = outcomes("import", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2


@pytest.mark.backends("sqlite")
def test_store_refuses_update_and_delete(scenario: Outcomes) -> None:
    con = sqlite3.connect(scenario.db, isolation_level=None)
    for statement in ("UPDATE stored_events SET state = x'00' WHERE rowid = 3",
                      "DELETE FROM stored_events WHERE rowid = 3",
                      "DELETE FROM stored_events"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(statement)
    con.close()
    assert len(log_json(scenario)) == 40


@pytest.mark.backends("sqlite")
def test_sqlite3_shell_cannot_update_or_delete(scenario: Outcomes) -> None:
    shell = shutil.which("sqlite3")
    if not shell:
        if in_ci():  # .ci/run installs it: missing there is a broken setup, not a skip
            pytest.fail("the sqlite3 shell is not installed (CI installs the sqlite3 package)")
        pytest.skip("the sqlite3 shell is not installed (Debian: apt-get install sqlite3)")
    for statement in ("UPDATE stored_events SET topic = 'x';", "DELETE FROM stored_events;"):
        done = subprocess.run([shell, str(scenario.db), statement], capture_output=True,
                              text=True)
        assert done.returncode != 0 and "append-only" in done.stderr
    assert len(log_json(scenario)) == 40


def test_every_command_has_help_with_an_example() -> None:
    from click.testing import CliRunner

    runner = CliRunner()
    for name, command in main.commands.items():
        out = runner.invoke(main, [name, "--help"]).output
        assert "Example" in out, name
        for sub in getattr(command, "commands", {}):
            out = runner.invoke(main, [name, sub, "--help"]).output
            assert "Example" in out or name == "append", (name, sub)
    for etype in EVENT_TYPES.values():
        out = runner.invoke(main, ["append", etype.command, "--help"]).output
        assert "--occurred-on" in out and "--source" in out
        assert "Example" in out or not etype.example


def test_actor_option_sets_recorded_by(outcomes: Outcomes) -> None:
    assert outcomes("--actor", "alice", "import", str(SCENARIO)).exit_code == 0
    assert {e["recorded_by"] for e in log_json(outcomes)} == {"alice"}
