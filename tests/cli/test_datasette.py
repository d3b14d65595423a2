"""The read model in Datasette (`outcomes serve`, issue 17 point 1), through its JSON API.

Datasette runs in process (its test client) on the demo fixture's read model, and once as
`outcomes serve` in a process on a free port. The expected rows are read by hand from the
fixture's lines (quoted by id), and from tests/data/scenario.jsonl for the corrections.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from outcomes.fixtures import path as fixture_path
from outcomes.projections.readmodel.metadata import HIDDEN, TABLE_INFO
from outcomes.projections.readmodel.serve import database_name
from tests.conftest import SCENARIO, Outcomes

pytest.importorskip("datasette")

FIXTURE = fixture_path("cloud-souverain.jsonl")
ROOT = Path(__file__).resolve().parents[2]


def ledger(folder: Path, name: str, events: Path) -> Outcomes:
    run = Outcomes(folder / f"{name}.db")
    for args in (("init",), ("import", str(events)), ("rebuild",)):
        result = run(*args)
        assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    return ledger(tmp_path_factory.mktemp("cloud"), "cloud", FIXTURE)


class Client:
    """GET a path of a Datasette instance (in process) and decode its JSON."""

    def __init__(self, ds: Any) -> None:
        self.ds = ds
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(ds.invoke_startup())

    def get(self, path: str) -> Any:
        response = self.loop.run_until_complete(self.ds.client.get(path))
        assert response.status_code == 200, (path, response.text[:500])
        return response.json() if ".json" in path else response.text

    def rows(self, path: str) -> list[dict[str, Any]]:
        return self.get(path + ("&" if "?" in path else "?") + "_shape=array")


def client(run: Outcomes) -> Client:
    from outcomes.projections.readmodel.serve import datasette

    return Client(datasette(str(run.read_model)))


@pytest.fixture(scope="module")
def web(cloud: Outcomes) -> Client:
    return client(cloud)


def test_the_database_is_named_for_clean_urls(cloud, web):
    assert database_name(str(cloud.read_model)) == "cloud"  # not cloud.read (cloud~2Eread)
    assert [d["name"] for d in web.get("/-/databases.json")] == ["cloud"]
    assert database_name("/x/my ledger.v2.read.db") == "my-ledger-v2"


def test_money_sorts_as_numbers(web):
    # cloudwatt 2013's filed claim, 97,485 EUR (cloudwatt-revenue-2013-frenchweb), is the
    # smallest of the 22 claims; as text it would sort after 2,000,000 ("9" > "2")
    by_amount = web.rows("/cloud/revenue_claims.json?_sort=revenue_cents&_size=max")
    assert [r["revenue"] for r in by_amount][:3] == ["97485", "97500", "100000"]
    assert by_amount[0]["id"] == "cloudwatt-revenue-2013-frenchweb"
    assert by_amount[0]["revenue_cents"] == 9_748_500
    amounts = [r["revenue_cents"] for r in by_amount]
    assert amounts == sorted(amounts) and amounts[-1] == 600_000_000
    assert len(by_amount) == 22  # one row per SalesReported of the fixture
    # the disputed periods' lows, sorted as numbers: 97,485 below 1,000,000 and 2,000,000
    lows = web.rows("/cloud/claims.json?_sort=low_cents")
    assert [(r["venture"], r["period"], r["low"]) for r in lows] == [
        ("cloudwatt", "2013", "97485"), ("cloudwatt", "2014", "1000000"),
        ("numergy", "2013", "2000000"), ("numergy", "2014", "2000000")]
    # a metric's value as a number: the targets by initial value, largest first
    targets = web.rows("/cloud/targets.json?_sort_desc=initial_value_number")
    assert [t["initial_value_number"] for t in targets] == [500_000_000, 400_000_000, 1000, 400]


def test_one_row_per_event_with_a_column_per_field(web):
    events = web.rows("/cloud/events.json?_sort=position&_size=max")
    assert len(events) == 56
    granted = next(e for e in events if e["id"] == "numergy-granted-cdc-2012-2014")
    assert (granted["type"], granted["venture"], granted["amount"], granted["amount_number"],
            granted["public"], granted["occurred_on"]) == (
        "FundingGranted", "numergy", "18480000", 18_480_000, 1, "2014-12-31")
    claims = web.rows("/cloud/events.json?type=SalesReported&_sort=revenue_number")
    assert [c["revenue"] for c in claims][:2] == ["97485", "97500"]


def test_one_row_per_claim_and_per_dispute(web):
    claims = web.rows("/cloud/revenue_claims.json?venture=numergy&period=2014&_sort=position")
    assert len(claims) == 11
    [chosen] = [c for c in claims if c["chosen"]]
    # the three claims of 2015-12-03, all press: the last recorded is used
    assert chosen["id"] == "numergy-revenue-2014-channelnews-58196"
    assert chosen["revenue"] == "2000000" and chosen["evidence"] == "press"
    disputes = web.rows("/cloud/disputes.json")
    assert [(d["venture"], d["period"], d["claims"], d["chosen"], d["low"], d["high"])
            for d in disputes] == [
        ("cloudwatt", "2013", 3, "97485", "97485", "100000"),
        ("cloudwatt", "2014", 7, "3000000", "1000000", "3000000"),
        ("numergy", "2014", 11, "2000000", "2000000", "6000000")]


def test_descriptions_are_shown(web):
    meta = web.get("/-/metadata.json")
    db = meta["databases"]["cloud"]
    assert "first 56 events" in db["description"]  # the ledger's checkpoint
    assert "Merkle root" in db["description"]
    listed = {t["name"]: t["columns"] for t in web.get("/cloud.json")["tables"]}
    views = web.get("/cloud.json")["views"]
    assert sorted(v["name"] if isinstance(v, dict) else v for v in views) == [
        "disputes", "events"]
    for view in ("disputes", "events"):  # a view's columns, as SQLite gives them
        listed[view] = list(web.rows(f"/cloud/{view}.json?_size=1")[0])
    assert set(listed) - set(HIDDEN) == set(TABLE_INFO)
    for table in TABLE_INFO:
        described = db["tables"][table]["columns"]
        missing = [c for c in listed[table] if c not in described]
        assert not missing, (table, missing)
    page = web.get("/cloud/revenue_claims")
    assert "One row per revenue claim" in page
    assert "revenue in whole cents, an integer" in page


def test_internal_tables_are_hidden(web):
    tables = {t["name"]: t["hidden"] for t in web.get("/cloud.json")["tables"]}
    assert {name for name, hidden in tables.items() if hidden} >= set(HIDDEN)
    shown = {name for name, hidden in tables.items() if not hidden}
    assert shown == {"programs", "ventures", "roi_ventures", "roi_programs", "roi_flows",
                     "claims", "revenue_claims", "revenue_years", "targets",
                     "target_actuals", "timeline"}
    home = web.get("/cloud")
    for name in ("dirty", "irr_cache", "tracking", "seals"):
        assert f'href="/cloud/{name}"' not in home


def test_furthest_behind_their_initial_target(web):
    rows = web.rows("/cloud/furthest_behind.json")
    # reached / initial target, by hand: Numergy's revenue at its closure (2015-12-02) is
    # its 2014 revenue, 2,000,000 of 400,000,000; Cloudwatt's 3,000,000 of 500,000,000;
    # jobs on the closing dates: Cloudwatt 90 of 1,000 (cloudwatt-jobs-2015-01-clubic),
    # Numergy 70 of 400 (numergy-jobs-2015-12-jdn, the day of its closure)
    assert [(r["venture"], r["metric"], r["reached"], r["percent_of_initial_target"])
            for r in rows] == [("numergy", "revenue", "2000000", 0.5),
                               ("cloudwatt", "revenue", "3000000", 0.6),
                               ("cloudwatt", "jobs", "90", 9.0),
                               ("numergy", "jobs", "70", 17.5)]


def test_paid_vs_committed_per_program(web):
    # committed: 75,000,000 x 2 (the cdc commitments); paid: 33,300,000 + 18,480,000
    [row] = web.rows("/cloud/paid_vs_committed.json")
    assert (row["program"], row["public_committed"], row["public_granted"],
            row["percent_paid"], row["returned"]) == (
        "pia-cloud-souverain", "150000000", "51780000", 34.52, "0")


def test_figures_restated_after_publication(web):
    rows = web.rows("/cloud/restated_figures.json")
    # each claim that changed the figure published before it for its period (publication
    # order, then ledger order), by hand from the fixture's 22 claims
    assert [(r["venture"], r["what"], r["previous"], r["restated"], r["restated_by"])
            for r in rows] == [
        ("cloudwatt", "revenue 2013", "97500", "97485", "cloudwatt-revenue-2013-frenchweb"),
        ("cloudwatt", "revenue 2014", "2000000", "1000000", "cloudwatt-revenue-2014-clubic"),
        ("cloudwatt", "revenue 2014", "1000000", "3000000",
         "cloudwatt-revenue-2014-boursorama"),
        ("cloudwatt", "revenue 2014", "3000000", "2000000", "cloudwatt-revenue-2014-lemagit"),
        ("cloudwatt", "revenue 2014", "2000000", "3000000",
         "cloudwatt-revenue-2014-bfm-870942"),
        ("cloudwatt", "revenue 2013", "97485", "100000",
         "cloudwatt-revenue-2013-channelnews-24544"),
        ("numergy", "revenue 2014", "6000000", "5000000",
         "numergy-revenue-2014-channelnews-24544"),
        ("numergy", "revenue 2014", "5000000", "2000000", "numergy-revenue-2014-silicon-129611"),
        ("numergy", "revenue 2014", "2000000", "6000000", "numergy-revenue-2014-bfmtv"),
        ("numergy", "revenue 2014", "6000000", "2000000", "numergy-revenue-2014-clubic-788316"),
    ]


def test_corrections_are_restatements(tmp_path):
    web = client(ledger(tmp_path, "scenario", SCENARIO))
    rows = web.rows("/scenario/restated_figures.json")
    # scenario.jsonl: alpha's 2015 press claim (700000) then its accounts (650000.25);
    # fix-alpha-jobs sets m-alpha-jobs-2018 from 140 to 150; fix-beta-2016 sets
    # s-beta-2016 from 1500000 to 1450000
    assert [(r["venture"], r["what"], r["previous"], r["restated"], r["restated_on"],
             r["restated_by"], r["source"]) for r in rows] == [
        ("alpha", "revenue 2015", "700000", "650000.25", "2016-06-30",
         "s-alpha-2015-accounts", "https://registry.example.org/accounts-2015"),
        ("alpha", "MetricReported m-alpha-jobs-2018", "140", "150", "2018-04-01",
         "fix-alpha-jobs", "https://example.org/jobs-2018-restated"),
        ("beta", "SalesReported s-beta-2016", "1500000", "1450000", "2017-05-01",
         "fix-beta-2016", "https://registry.example.org/beta-2016")]
    # fractional money sorts and sums right too: 250,000.25 in cents
    [q3] = web.rows("/scenario/revenue_claims.json?period=2015-Q3")
    assert (q3["revenue"], q3["revenue_cents"]) == ("250000.25", 25_000_025)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_outcomes_serve_brings_the_read_model_up_to_date_and_serves_it(tmp_path):
    run = Outcomes(tmp_path / "cloud.db")
    for args in (("init",), ("import", str(FIXTURE))):  # no read model yet
        assert run(*args).exit_code == 0
    (tmp_path / "meta.json").write_text(json.dumps({"license": "CC-BY-4.0"}))
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "outcomes", "--db", str(run.db), "serve", "--port", str(port),
         "--metadata", str(tmp_path / "meta.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        meta = None
        for _ in range(600):  # until it answers (or has died)
            if server.poll() is not None:
                pytest.fail(server.stderr.read())
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/-/metadata.json", timeout=5) as response:
                    meta = json.load(response)
                break
            except OSError:
                time.sleep(0.1)
        assert meta is not None
        assert meta["license"] == "CC-BY-4.0"  # merged over the shipped metadata
        assert "first 56 events" in meta["databases"]["cloud"]["description"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/cloud/claims.json"
                                    "?_sort=low_cents&_shape=array", timeout=5) as response:
            rows = json.load(response)
        assert rows[0]["low"] == "97485"
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/cloud" in out


def test_serve_without_datasette_says_how_to_install_it(cloud, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "datasette" else real(name, *a))
    result = cloud("serve")
    assert result.exit_code == 2
    assert 'pip install "outcomes[web]"' in result.output


def test_serve_refuses_a_port_in_use(cloud):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cloud("serve", "--port", str(port))
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "serving" not in result.output
