"""Typed CSV (issue 17, point 3): flat columns, one value per cell, and `--schema`, a
Frictionless data package beside the CSV, validated with the `frictionless` library.

Expected values are read by hand from the fixture's lines and tests/data/scenario.jsonl.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from outcomes.fixtures import path as fixture_path
from tests.conftest import SCENARIO, Outcomes

frictionless = pytest.importorskip("frictionless")

FIXTURE = fixture_path("cloud-souverain.jsonl")
OUTPUTS = {"roi.csv": ("report", "roi"), "targets.csv": ("report", "targets"),
           "timeline.csv": ("report", "timeline"), "log.csv": ("log",),
           "history.csv": ("history", "numergy")}


def ledger(folder: Path, events: Path) -> Outcomes:
    run = Outcomes(folder / "ledger.db")
    for args in (("init",), ("import", str(events))):
        result = run(*args)
        assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every CSV of the demo ledger with --schema, in one folder (one data package)."""
    folder = tmp_path_factory.mktemp("demo")
    run = ledger(folder, FIXTURE)
    out = folder / "csv"
    out.mkdir()
    for name, command in OUTPUTS.items():
        args = [*command, "--as-of", "2016-06-30"] if command[0] == "report" else command
        result = run(*args, "-o", str(out / name), "--schema")
        assert result.exit_code == 0, result.output
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fields(folder: Path, resource: str) -> dict[str, dict]:
    package = json.loads((folder / "datapackage.json").read_text())
    [found] = [r for r in package["resources"] if r["path"] == resource]
    return {f["name"]: f for f in found["schema"]["fields"]}


def test_the_demo_csvs_pass_frictionless_validate(demo):
    report = frictionless.validate(str(demo / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((demo / "datapackage.json").read_text())
    assert sorted(r["path"] for r in package["resources"]) == sorted(OUTPUTS)
    for r in package["resources"]:  # every column of each CSV is described, in order
        with (demo / r["path"]).open(encoding="utf-8") as f:
            header = next(csv.reader(f))
        assert [f["name"] for f in r["schema"]["fields"]] == header
        assert all(f["description"] for f in r["schema"]["fields"])
        assert r["schema"]["missingValues"] == [""]


def test_a_wrong_cell_fails_validation(demo, tmp_path):
    # the validation checks the cells: an amount with a thousands separator is refused
    for name in ("roi.csv", "datapackage.json"):
        (tmp_path / name).write_bytes((demo / name).read_bytes())
    package = json.loads((tmp_path / "datapackage.json").read_text())
    package["resources"] = [r for r in package["resources"] if r["path"] == "roi.csv"]
    (tmp_path / "datapackage.json").write_text(json.dumps(package))
    text = (tmp_path / "roi.csv").read_text()
    (tmp_path / "roi.csv").write_text(text.replace(",75000000,", ",75 000 000,", 1))
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert [e[2] for e in report.flatten(["rowNumber", "fieldName", "type"])] == ["type-error"]


def test_typed_values_read_back(demo):
    # Frictionless reads the roi CSV with its schema: amounts as exact decimals, the
    # flags as booleans, counts as integers (cloudwatt-commitment-cdc-2012: 75,000,000;
    # cloudwatt-granted-cdc-2012-2014: 33,300,000; jobs: 90 (cloudwatt-jobs-2015-01-clubic))
    package = frictionless.Package(str(demo / "datapackage.json"))
    roi = {r["venture"] or "all": r for r in package.get_resource("roi").read_rows()}
    cloudwatt = roi["cloudwatt"]
    assert cloudwatt["public_committed"] == Decimal("75000000")
    assert cloudwatt["public_granted"] == Decimal("33300000")
    assert cloudwatt["net"] == Decimal("-33300000")
    assert cloudwatt["jobs"] == 90
    assert cloudwatt["irr_lower_bound"] is False
    assert cloudwatt["public_committed_evidence"] == "official"
    assert cloudwatt["disputed_periods"] == 2  # 2013 (3 claims) and 2014 (7 claims)
    assert roi["numergy"]["disputed_periods"] == 1  # 2014 (11 claims; 2013 has one)
    assert roi["all"]["scope"] == "program" and roi["all"]["disputed_periods"] is None
    log = package.get_resource("log").read_rows()
    commitment = next(r for r in log if r["id"] == "cloudwatt-commitment-private-2012")
    assert (commitment["amount"], commitment["public"], commitment["type"]) == (
        Decimal("150000000"), False, "FundingCommitted")
    assert str(commitment["occurred_on"]) == "2012-04-20"


def test_no_json_in_the_cells(demo):
    for name in OUTPUTS:
        for row in rows(demo / name):
            for key, cell in row.items():
                assert not cell.startswith(("[", "{")), (name, key, cell)


def test_the_log_has_a_column_per_declared_field(demo):
    schema = fields(demo, "log.csv")
    # types from each field's kind in ledger/schema.py
    assert {k: schema[k]["type"] for k in ("position", "occurred_on", "amount", "public",
                                           "customers", "value", "changes", "archive",
                                           "recorded_at")} == {
        "position": "integer", "occurred_on": "date", "amount": "number",
        "public": "boolean", "customers": "integer", "value": "number",
        "changes": "object", "archive": "string", "recorded_at": "datetime"}
    assert schema["metric"]["constraints"]["enum"] == ["revenue", "customers", "partners",
                                                       "offers", "jobs"]
    assert schema["amount"]["decimalChar"] == "."
    log = {r["id"]: r for r in rows(demo / "log.csv")}
    assert len(log) == 56
    claim = log["cloudwatt-revenue-2013-frenchweb"]
    assert (claim["type"], claim["venture"], claim["period"], claim["revenue"],
            claim["evidence"]) == ("SalesReported", "cloudwatt", "2013", "97485", "filed")
    assert claim["amount"] == "" and claim["program"] == ""
    assert "summary" not in claim


def test_corrections_are_written_as_text(tmp_path):
    run = ledger(tmp_path, SCENARIO)
    for name, command in (("timeline.csv", ("report", "timeline")),
                          ("log.csv", ("log",))):
        result = run(*command, "-o", str(tmp_path / name), "--schema")
        assert result.exit_code == 0, result.output
    assert frictionless.validate(str(tmp_path / "datapackage.json")).valid
    timeline = {r["id"]: r for r in rows(tmp_path / "timeline.csv")}
    # fix-beta-2016 corrected s-beta-2016's revenue to 1,450,000 on 2017-05-01
    assert timeline["s-beta-2016"]["figure"] == "1450000"
    assert timeline["s-beta-2016"]["corrected_by"] == (
        "fix-beta-2016 (2017-05-01, https://registry.example.org/beta-2016)")
    log = {r["id"]: r for r in rows(tmp_path / "log.csv")}
    assert json.loads(log["fix-beta-2016"]["changes"]) == {"revenue": "1450000"}
    assert log["fix-beta-2016"]["event"] == "s-beta-2016"


def test_a_second_csv_joins_the_package_and_a_rewrite_replaces_its_resource(tmp_path):
    run = ledger(tmp_path, SCENARIO)
    for name in ("roi.csv", "roi.csv", "other.csv"):
        assert run("report", "roi", "-o", str(tmp_path / name), "--schema").exit_code == 0
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert [r["path"] for r in package["resources"]] == ["roi.csv", "other.csv"]


@pytest.mark.parametrize("args", [("--schema",), ("-o", "-", "--schema"),
                                  ("-O", "json", "-o", "x.json", "--schema")])
def test_schema_needs_a_csv_file(tmp_path, args):
    run = ledger(tmp_path, SCENARIO)
    result = run("report", "roi", *args)
    assert result.exit_code == 2
    assert "--schema describes a CSV file: pass -o FILE.csv" in result.output


def test_a_foreign_datapackage_is_left_alone(tmp_path):
    run = ledger(tmp_path, SCENARIO)
    (tmp_path / "datapackage.json").write_text("not json")
    result = run("log", "-o", str(tmp_path / "log.csv"), "--schema")
    assert result.exit_code == 2
    assert "datapackage.json exists and it is not JSON" in result.output
    assert (tmp_path / "datapackage.json").read_text() == "not json"
    assert not (tmp_path / "log.csv").exists()  # refused before any work


def test_every_column_a_csv_can_have_is_typed():
    from outcomes.projections.folds.roi import GRADED
    from outcomes.projections.present.documents import ROI_FIELDS
    from outcomes.projections.present.history import GRADE_COLUMNS, HISTORY_COLUMNS
    from outcomes.projections.present.layout import TARGET_FIELDS, TIMELINE_FIELDS
    from outcomes.projections.present.log import log_csv
    from outcomes.projections.present.tableschema import table_schema

    possible = {
        "roi": ["scope", "venture", "program", "currency", "disputed_periods",
                *(f for f in ROI_FIELDS if f != "evidence"),
                *(f"{g}_evidence" for g in GRADED if g in ROI_FIELDS)],
        "targets": [*TARGET_FIELDS, "initial_evidence", "initial_corrected_by",
                    "current_evidence", "current_corrected_by", "evidence"],
        "timeline": [*TIMELINE_FIELDS, "evidence", "corrected_by"],
        "history": [c.key for c in [*HISTORY_COLUMNS, *GRADE_COLUMNS]],
        "log": [c.key for c in log_csv([])[0]],
    }
    for kind, columns in possible.items():
        schema = table_schema(kind, columns)  # (a column without a type: KeyError)
        assert [f["name"] for f in schema["fields"]] == columns
