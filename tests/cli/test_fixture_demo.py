"""The cloud souverain fixture and `outcomes demo` (issue 5's acceptance)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from outcomes.cli import main
from outcomes.fixtures import path as fixture_path
from outcomes.ledger.service import record
from outcomes.ledger.store import EventStore
from outcomes.projections.readmodel.replay import report_from_events

FIXTURE = fixture_path("cloud-souverain.jsonl")
LINES = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    store = EventStore(str(tmp_path_factory.mktemp("fx") / "l.db"), create=True)
    record(store, [(f"fixture:{n}", raw) for n, raw in enumerate(LINES, 1)], actor="test")
    events = list(store.read())
    store.close()
    return {kind: report_from_events(kind, events, as_of=AS_OF)
            for kind in ("roi", "targets", "timeline")}


def test_every_line_is_valid_sourced_and_in_date_order(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "l.db"), create=True)
    out = record(store, [(f"fixture:{n}", raw) for n, raw in enumerate(LINES, 1)], actor="t")
    assert out.count == len(LINES) and out.skipped == 0
    store.close()
    for raw in LINES:
        assert re.search(r"https?://\S+", raw["source"]), raw["id"]
        assert raw.get("id"), "every fixture event has a stable id"
    dates = [raw["occurred_on"] for raw in LINES]
    assert dates == sorted(dates)


def test_every_event_is_graded_as_the_readme_justifies() -> None:
    # fixtures/README.md, "Evidence grades": one row per event, `id` | grade | why.
    readme = (FIXTURE.parent / "README.md").read_text()
    section = readme.split("### Evidence grades")[1].split("###")[0]
    table = {m[1]: m[2] for m in re.finditer(r"^\| `([a-z0-9-]+)` \| ([a-z]+) \| \S",
                                             section, re.MULTILINE)}
    assert table == {raw["id"]: raw["evidence"] for raw in LINES}
    assert all(not {"archive", "source_sha256"} & set(raw) for raw in LINES)


def test_money_committed_and_paid(reports: dict[str, dict]) -> None:
    roi = reports["roi"]
    ventures = {v["venture"]: v for v in roi["ventures"]}
    assert {v: Decimal(r["public_committed"]) for v, r in ventures.items()} == {
        "cloudwatt": 75_000_000, "numergy": 75_000_000}
    [program] = roi["programs"]
    assert Decimal(program["public_committed"]) == 150_000_000
    assert Decimal(program["public_granted"]) < Decimal(program["public_committed"]) / 2


def test_initial_revenue_targets_kept_beside_their_revisions(reports: dict[str, dict]) -> None:
    revenue = {t["venture"]: t for t in reports["targets"]["targets"]
               if t["metric"] == "revenue"}
    assert Decimal(revenue["numergy"]["initial"]["value"]) == 400_000_000
    assert Decimal(revenue["cloudwatt"]["initial"]["value"]) == 500_000_000
    assert Decimal(revenue["cloudwatt"]["current"]["value"]) == 200_000_000
    for t in revenue.values():
        assert t["revisions"] >= 1
        assert t["status"] == "missed"
        assert t["final_attainment"] < 0.05


def test_disputed_2014_revenue_shows_claims_and_range(reports: dict[str, dict]) -> None:
    for v in reports["roi"]["ventures"]:
        [d2014] = [d for d in v["disputes"] if d["period"] == "2014"]
        assert d2014["claims"] >= 2 and Decimal(d2014["low"]) < Decimal(d2014["high"])


def test_exits_at_undisclosed_prices_are_lower_bounds(reports: dict[str, dict]) -> None:
    for row in reports["roi"]["ventures"] + reports["roi"]["programs"]:
        assert row["residual_value"] is None
        assert Decimal(row["net"]) < 0
    closures = [r for r in reports["timeline"]["timeline"] if r["type"] == "VentureClosed"]
    assert {r["venture"] for r in closures} == {"cloudwatt", "numergy"}


def test_demo_tells_the_story_in_a_fresh_ledger(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0
    out = " ".join(result.output.split())  # (the prose is wrapped to the terminal's width)
    for phrase in ("committed 150.0 M EUR of public money to Cloudwatt and Numergy",
                   "Cloudwatt: promised 500.0 M EUR", "Numergy: promised 400.0 M EUR",
                   "0.6% of the target", "0.5% of the target", "acquired by Orange",
                   "acquired by SFR", "Target missed", "not disclosed", ">= -33,300,000 EUR",
                   "Disputed figures", "the ledger verifies"):
        assert phrase in out, phrase
    assert list(tmp_path.iterdir()) == []  # nothing left behind: a temporary ledger


def test_demo_keeps_a_new_ledger_and_never_touches_an_existing_one(tmp_path: Path) -> None:
    db = tmp_path / "cloud.db"
    result = CliRunner().invoke(main, ["demo", "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0 and f"kept at {db}" in " ".join(result.output.split())
    before = db.read_bytes()
    again = CliRunner().invoke(main, ["demo", "--db", str(db)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert db.read_bytes() == before
    log = CliRunner().invoke(main, ["--db", str(db), "log", "-O", "json"])
    assert len(json.loads(log.stdout)) == len(LINES)


def test_demo_refuses_a_postgresql_ledger() -> None:
    result = CliRunner().invoke(main, ["demo", "--db", "postgresql://u:p@localhost/x"])
    assert result.exit_code == 2 and "a PostgreSQL ledger" in result.stderr
