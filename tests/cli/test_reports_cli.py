"""`outcomes report roi | targets | timeline` and `outcomes rebuild`, end to end.

The two-venture scenario is imported with `outcomes import`; its reports must give the
figures computed by hand (tests/projection_scenario.py) at both as-of dates, from the
read model and in every format.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time

from outcomes.ledger.store import EventStore
from outcomes.projections.readmodel import ReadModel
from outcomes.projections.readmodel.replay import report_from_events
from outcomes.projections.readmodel.tables import TABLES
from tests.projection_scenario import (
    AFTER,
    BEFORE,
    SCENARIO,
    check_roi,
    check_targets,
)


def write_jsonl(path: Path, raws: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in raws), encoding="utf-8")
    return path


@pytest.fixture
def ledger(outcomes, tmp_path):
    """The `outcomes` runner (see conftest) with the scenario imported."""
    result = outcomes("import", str(write_jsonl(tmp_path / "scenario.jsonl", SCENARIO)))
    assert result.exit_code == 0, result.output
    return outcomes


def read_model(outcomes) -> ReadModel:
    return ReadModel(str(outcomes.read_model))


def json_report(outcomes, *args: str) -> dict:
    result = outcomes("report", *args, "-O", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("as_of", [BEFORE, AFTER])
def test_roi_and_targets_json_match_the_hand_computation(ledger, as_of):
    check_roi(json_report(ledger, "roi", "--as-of", as_of), as_of)
    check_targets(json_report(ledger, "targets", "--as-of", as_of), as_of)


@freeze_time("2031-03-04 05:06:07")
def test_reports_default_to_today_and_use_the_read_model(ledger):
    """Without --known-at, a report leaves out the moment it was computed (`known_at` is
    null) and is what --known-at with that moment replays."""
    doc = json_report(ledger, "roi")
    assert doc["as_of"] == "2031-03-04" and doc["known_at"] is None
    with EventStore(ledger.url) as store:
        events = list(store.read())
    replayed = report_from_events("roi", events, as_of=date(2031, 3, 4),
                                  known_at=datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC))
    assert replayed["known_at"] == "2031-03-04T05:06:07.000000Z"
    assert doc == {**replayed, "known_at": None}
    model = read_model(ledger)
    assert model.position() == len(SCENARIO) and model.db["roi_ventures"].count == 2


def test_appending_updates_the_next_report_incrementally(ledger):
    json_report(ledger, "roi")
    model = read_model(ledger)
    facts_before = model.db["facts"].count
    result = ledger("append", "metric-reported", "--venture", "numergy", "--metric", "jobs",
                    "--value", "60", "--occurred-on", "2016-03-01", "--source", "s")
    assert result.exit_code == 0, result.output
    doc = json_report(ledger, "roi", "--venture", "numergy")
    assert doc["ventures"][0]["jobs"] == 60 and doc["ventures"][0]["cost_per_job"] == "500000.00"
    assert model.db["facts"].count == facts_before + 1  # one more event processed, once
    assert model.position() == len(SCENARIO) + 1


@freeze_time("2031-03-04 05:06:07")  # the reports say when they were computed
def test_rebuild_gives_identical_tables_and_reports(ledger):
    reports = {k: ledger("report", k, "-O", "json").output
               for k in ("roi", "targets", "timeline")}
    model = read_model(ledger)
    before = {name: model.table(name) for name in TABLES}
    result = ledger("rebuild")
    assert result.exit_code == 0 and f"from {len(SCENARIO)} events" in result.output
    assert {name: model.table(name) for name in TABLES} == before
    for kind, text in reports.items():
        assert ledger("report", kind, "-O", "json").output == text


def test_table_output_is_made_for_people(ledger):
    text = ledger("report", "roi", "--as-of", BEFORE).output
    assert "30,000,000 EUR" in text  # thousands separators and currency
    assert ">= -29,000,000 EUR" in text and ">= 0.03x" in text  # lower bounds marked
    assert "unknown" in text and "-94.7%" in text
    assert "no inflow" in text  # the irr note as a footnote
    text = ledger("report", "roi", "--as-of", AFTER).output
    assert "* 10,500,000 EUR" in text
    assert "numergy, 2014: 2 claims from 2,000,000 EUR to 6,000,000 EUR" in text
    text = ledger("report", "targets", "--as-of", AFTER).output
    assert "0.5 M EUR [2% of 29.7 M EUR]" in text  # the budget-report style
    assert "* 2.0 M EUR [1% of 214.7 M EUR]" in text  # a disputed year
    # numergy's 2016 revenue, 3,000,000 of its initial 400,000,000: 0.75% -> 0.8%
    assert "missed (final 0.8%: 3.0 M EUR of 400.0 M EUR)" in text and "revised once" in text
    assert "135 [97% of 139.77]" in text
    text = ledger("report", "timeline", "--venture", "cloudwatt").output
    # (the Source column is printed under each row at 80 columns)
    assert "closed: acquired by Orange\n    Source: https://example.org/c-closed\n" in text


def test_csv_markdown_and_output_files(ledger, tmp_path):
    rows = list(csv.DictReader(io.StringIO(
        ledger("report", "targets", "--as-of", AFTER, "-O", "csv").output)))
    assert len(rows) == 14 and rows[0]["venture"] == "cloudwatt"  # 4 + 5 + 5 series rows
    revenue_2014 = next(r for r in rows if r["metric"] == "revenue" and r["year"] == "2014")
    assert (revenue_2014["actual"], revenue_2014["claims"], revenue_2014["high"]) == (
        "2000000", "2", "6000000")
    roi = list(csv.DictReader(io.StringIO(
        ledger("report", "roi", "--as-of", AFTER, "-O", "csv").output)))
    assert [r["scope"] for r in roi] == ["venture", "venture", "program"]
    assert roi[1]["net"] == "-24000000"
    markdown = ledger("report", "roi", "-O", "markdown").output
    assert "|---|" in markdown and "### Return on public investment" in markdown
    for name, check in (("r.json", lambda t: json.loads(t)["ventures"]),
                        ("r.csv", lambda t: t.startswith("scope,venture")),
                        ("r.md", lambda t: "|---|" in t)):
        out = tmp_path / name
        assert ledger("report", "roi", "-o", str(out)).exit_code == 0
        assert check(out.read_text(encoding="utf-8")), name


def test_known_at_reports_what_the_ledger_knew(outcomes, tmp_path):
    amendments = ("EventCorrected", "EventRetracted")
    early = [e for e in SCENARIO
             if e["occurred_on"] <= "2015-12-31" and e["type"] not in amendments]
    late = [e for e in SCENARIO if e not in early]  # 2016 events, and the amendments
    with freeze_time("2016-01-10 12:00:00"):
        assert outcomes("import", str(write_jsonl(tmp_path / "a.jsonl", early))).exit_code == 0
    with freeze_time("2017-01-10 12:00:00"):
        assert outcomes("import", str(write_jsonl(tmp_path / "b.jsonl", late))).exit_code == 0
    doc = json_report(outcomes, "roi", "--as-of", AFTER, "--known-at", "2016-06-30")
    assert doc["known_at"] == "2016-06-30T23:59:59.999999Z"
    # the retraction was not known yet: the duplicate payment still counts
    assert doc["ventures"][0]["public_granted"] == "60000000"
    assert json_report(outcomes, "roi", "--as-of", AFTER)["ventures"][0]["public_granted"] \
        == "30000000"
    with EventStore(outcomes.url) as store:
        events = list(store.read())
    assert doc == report_from_events("roi", events, as_of=date.fromisoformat(AFTER),
                                     known_at=datetime(2016, 6, 30, 23, 59, 59, 999999, tzinfo=UTC))
    nothing = json_report(outcomes, "roi", "--known-at", "2015-01-01T00:00:00Z")
    assert nothing["ventures"] == [] and nothing["programs"] == []


def test_bad_input_exits_2_with_one_line(ledger):
    for args, words in ((["roi", "--venture", "numergie"], "did you mean 'numergy'"),
                        (["targets", "--program", "nope"], "unknown program"),
                        (["roi", "--venture", "Not A Slug"], "malformed slug"),
                        (["roi", "--as-of", "2016-13-01"], "--as-of: malformed date"),
                        (["timeline", "--known-at", "yesterday"], "malformed timestamp"),
                        (["roi", "--venture", "numergy", "--program", "other"],
                         "unknown program")):
        result = ledger("report", *args)
        assert result.exit_code == 2, args
        assert words in result.output and result.output.count("\n") == 1, result.output


def test_help_has_examples(outcomes):
    for args in (["report"], ["report", "roi"], ["report", "targets"],
                 ["report", "timeline"], ["rebuild"]):
        result = outcomes(*args, "--help")
        assert result.exit_code == 0 and "Example" in result.output, args


def test_a_fresh_ledger_reports_nothing(outcomes):
    assert json_report(outcomes, "targets")["targets"] == []
    assert "Timeline" in outcomes("report", "timeline").output


def test_timeline_gives_a_currency_only_to_money_figures(ledger):
    # A jobs target, a metric, an offer and a partner count are no amounts of EUR; a revenue
    # target, a grant and a sale are (the scenario's currency, tests/projection_scenario.py).
    rows = {r["id"]: r for r in json_report(ledger, "timeline")["timeline"]}
    money = {"n-target-rev": "400000000", "n-grant-1": "20000000", "n-value": "5000000"}
    counts = {"n-target-partners": "200", "c-target-jobs": "1000", "n-jobs-2": "72",
              "n-partners-total-1": "130", "n-offer": "1", "n-partners-1": "10"}
    for event_id, figure in money.items():
        assert (rows[event_id]["figure"], rows[event_id]["currency"]) == (figure, "EUR")
    for event_id, figure in counts.items():
        assert (rows[event_id]["figure"], rows[event_id]["currency"]) == (figure, None)
    assert all(r["currency"] == "EUR" for r in rows.values()
               if r["type"] in ("FundingGranted", "SalesReported", "ReturnReceived"))
    assert all(r["currency"] is None for r in rows.values() if r["figure"] is None)
    csv_rows = list(csv.DictReader(io.StringIO(ledger("report", "timeline", "-O", "csv").output)))
    assert {r["id"]: r["currency"] for r in csv_rows}["c-target-jobs"] == ""


def test_targets_give_a_currency_only_to_revenue(ledger):
    # the scenario's revenue target is in EUR; its partners and jobs targets are counts
    targets = {(t["venture"], t["metric"]): t for t in json_report(ledger, "targets")["targets"]}
    assert {k: t["currency"] for k, t in targets.items()} == {
        ("numergy", "revenue"): "EUR", ("numergy", "partners"): None,
        ("cloudwatt", "jobs"): None}
