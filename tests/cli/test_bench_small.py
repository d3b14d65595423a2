"""The benchmark keeps working: the generator at small scale, and the runner end to end.

The large run (1,000,000 events, `python -m bench`) is not part of the test suite; see
docs/performance.md.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench import generate as gen
from bench.journal import write_journal
from bench.runner import main as bench_main
from outcomes.ledger.schema import EVENT_TYPES, SLUG_RE

ROOT = Path(__file__).resolve().parents[2]
N = 3_000
MEASURES = ("raw_baseline", "raw_baseline_parsed", "import", "rebuild", "report_after_append",
            "report_roi", "report_targets", "append", "verify", "report_known_at",
            "import_first_half", "import_second_half", "import_tail", "report_roi_table",
            "report_targets_table", "report_timeline", "report_timeline_table", "log_csv",
            "log_table", "hledger_balance", "hledger_budget",
            *(f"{one}_{r}_{f}" for one in ("venture", "program")
              for r in ("roi", "targets", "timeline") for f in ("table", "json")))
HLEDGER = ("hledger_balance", "hledger_budget")  # timed only where hledger is installed
# The command (capability) each measure needs.
NEEDS = {"rebuild": "rebuild", "report_roi": "report_roi", "report_after_append": "report_roi",
         "report_targets": "report_targets", "verify": "verify", "report_known_at": "known_at"}


def test_generator_is_deterministic_and_realistic() -> None:
    lines = list(gen.generate(N, seed=3, extra=500))
    assert lines == list(gen.generate(N, seed=3, extra=500))
    assert lines[:N] == list(gen.generate(N, seed=3))  # the tail never changes the ledger
    assert lines != list(gen.generate(N, seed=4, extra=500))
    events = [json.loads(line) for line in lines]
    assert len(events) == N + 500
    assert len({e["id"] for e in events}) == len(events)
    dates = [e["occurred_on"] for e in events]
    assert dates == sorted(dates) and dates[0] >= "2000-01-01" and dates[-1] <= "2024-12-31"
    types = Counter(e["type"] for e in events[:N])
    assert set(types) == set(EVENT_TYPES)
    assert types["VentureRegistered"] == gen.default_ventures(N)
    assert 0.01 <= types["EventCorrected"] / N <= 0.04
    assert 0.004 <= types["EventRetracted"] / N <= 0.02
    claims = Counter((e["venture"], e["period"]) for e in events if e["type"] == "SalesReported")
    disputed = sum(1 for c in claims.values() if c > 1)
    assert 0.03 <= disputed / len(claims) <= 0.3
    for e in events:
        for name in ("venture", "program"):
            if name in e:
                assert SLUG_RE.fullmatch(e[name])
        for name in ("amount", "revenue", "budget"):
            if name in e:
                assert e[name].split(".")[1].isdigit() and len(e[name].split(".")[1]) == 2


def test_generator_refuses_too_few_events() -> None:
    with pytest.raises(ValueError, match="too few"):
        list(gen.generate(50, n_programs=1, n_ventures=10))


def test_generated_ledger_imports_cleanly(tmp_path: Path, outcomes) -> None:
    ledger, tail = tmp_path / "ledger.jsonl", tmp_path / "tail.jsonl"
    assert gen.main([str(N), "-o", str(ledger), "--seed", "11", "--extra", "1000",
                     "--extra-out", str(tail)]) == 0
    result = outcomes("import", str(ledger))
    assert result.exit_code == 0, result.output
    assert f"imported {N} events" in result.output
    result = outcomes("import", str(tail))
    assert result.exit_code == 0, result.output
    assert "imported 1000 events" in result.output
    result = outcomes("append", "offer-launched", "--venture", gen.OPEN_VENTURE, "--offer", "X",
                      "--occurred-on", gen.TAIL_DATE, "--source", "bench")
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_runner_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    # The child processes run this checkout's cli.py, whatever is installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    monkeypatch.chdir(ROOT)
    out = tmp_path / "bench.json"
    code = bench_main(["--events", str(N), "--runs", "1", "--workdir", str(tmp_path / "w"),
                       "--json", str(out), "--outcomes", f"{sys.executable} -m outcomes.cli",
                       "--timeout", "120"])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["n_events"] == N
    assert set(doc["machine"]) >= {"nproc", "cpu", "ram_gib"}
    assert set(doc["versions"]) >= {"python", "sqlite"}
    measures = doc["measures"]
    assert set(measures) == set(MEASURES)
    # Every command the runner needs exists in this checkout: a missing one (a probe that
    # fails, a measure reported "missing") is a failure here, not a quiet gap in the table.
    assert doc["capabilities"] == dict.fromkeys(set(NEEDS.values()), True)
    for key, m in measures.items():
        if key in HLEDGER and not shutil.which("hledger"):
            assert m["status"] == "missing" and m["note"] == "hledger not installed"
            continue
        assert m["status"] == "ok", (key, m)
        assert m["value"] > 0 and len(m["seconds"]) >= 1 and m["peak_mib"] > 0, (key, m)
    assert doc["files"]["large_store_bytes"] > 0
    assert measures["verify"]["x_raw"] > 0 and measures["append"]["x_raw"] is None
    printed = capsys.readouterr().out
    for m in measures.values():
        assert m["label"] in printed
    if shutil.which("hledger"):  # issue 16: every report against hledger's yearly balance
        assert "every report faster than `hledger balance -Y`: " in printed
    assert not (tmp_path / "w" / "run").exists()  # stores removed without --keep


def test_the_journal_holds_the_flows_as_corrected_and_targets_as_budget_rules(
        tmp_path: Path) -> None:
    common = {"occurred_on": "2015-03-01", "source": "s"}
    events = [
        {"type": "ProgramRegistered", "id": "p", "program": "p", "currency": "EUR"},
        {"type": "VentureRegistered", "id": "v", "venture": "v", "program": "p"},
        {"type": "FundingGranted", "id": "g1", "venture": "v", "amount": "10.00",
         "funder": "State"},
        {"type": "FundingGranted", "id": "g2", "venture": "v", "amount": "5.00",
         "funder": "State"},
        {"type": "SalesReported", "id": "s1", "venture": "v", "period": "2014-Q3",
         "revenue": "7.00", "customers": 3},
        {"type": "SalesReported", "id": "s2", "venture": "v", "period": "2014-Q3",
         "revenue": "8.00", "customers": 4},
        {"type": "MetricReported", "id": "m1", "venture": "v", "metric": "jobs", "value": 2},
        {"type": "MetricReported", "id": "m2", "venture": "v", "metric": "jobs", "value": 5},
        {"type": "TargetSet", "id": "t1", "venture": "v", "metric": "revenue",
         "value": "100.00", "due": "2017-12-31"},
        {"type": "TargetSet", "id": "t2", "venture": "v", "metric": "jobs", "value": "12",
         "baseline": "2", "due": "2018-06-30"},
        {"type": "EventCorrected", "id": "c", "event": "g1", "changes": {"amount": "11.00"}},
        {"type": "EventRetracted", "id": "r", "event": "g2"},
    ]
    ledger = tmp_path / "l.jsonl"
    ledger.write_text("".join(json.dumps({**common, **e}) + "\n" for e in events))
    out = tmp_path / "l.journal"
    with out.open("w") as stream:
        assert write_journal(ledger, stream) == 6  # transactions; the rules are not
    v = "programs:p:v"
    assert out.read_text() == (
        f"2015-03-01 v granted\n    {v}:granted  11.00 EUR\n    funders:State:granted\n\n"
        f"2015-03-01 v customers\n    {v}:customers  3 CUSTOMERS\n    metrics:reported\n\n"
        f"2014-07-01 v sales 2014-Q3\n    {v}:revenue  -8.00 EUR\n    customers:sales\n\n"
        f"2015-03-01 v customers\n    {v}:customers  1 CUSTOMERS\n    metrics:reported\n\n"
        f"2015-03-01 v jobs\n    {v}:jobs  2 JOBS\n    metrics:reported\n\n"
        f"2015-03-01 v jobs\n    {v}:jobs  3 JOBS\n    metrics:reported\n\n"
        f"~ yearly from 2015-01-01 to 2017-12-31  v revenue target\n"
        f"    {v}:revenue  -100.00 EUR\n    customers:sales\n\n"
        f"~ yearly from 2018-01-01 to 2019-01-01  v jobs target\n"
        f"    {v}:jobs  10 JOBS\n    metrics:reported\n\n")
