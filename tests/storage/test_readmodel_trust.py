"""The read model answers only with what follows from the events: bound to the ledger's
Merkle root, every row a report reads checked against its digest, and never written into
a file that is not its own (the ledger, the index, another application's database)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from outcomes.projections.readmodel.tables import seal
from tests.audit_support import SRC, ev
from tests.conftest import Outcomes

REBUILD = "run `outcomes rebuild`"


def jsonl(path: Path, events: list[dict]) -> str:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return str(path)


def small(amount: str = "25000000") -> list[dict]:
    """A program, a venture with one grant, a target, two disputed sales claims."""
    return [
        ev("ProgramRegistered", "2012-01-10", id="prog", program="pia", name="PIA",
           funder="CDC"),
        ev("VentureRegistered", "2012-02-01", id="reg", venture="numergy", name="Numergy",
           program="pia"),
        ev("TargetSet", "2012-02-01", id="target", venture="numergy", metric="revenue",
           value="400000000", due="2016-12-31"),
        ev("FundingGranted", "2012-12-01", id="grant", venture="numergy", amount=amount,
           funder="CDC"),
        ev("SalesReported", "2014-03-01", id="sales-a", venture="numergy", period="2013",
           revenue="2500000"),
        ev("SalesReported", "2014-04-01", id="sales-b", venture="numergy", period="2013",
           revenue="3000000", source="https://example.org/other"),
    ]


def roi(run: Outcomes, *args: str) -> dict:
    result = run("report", "roi", "-O", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def figures(result) -> dict:
    """A JSON report without the moment it was computed."""
    return {k: v for k, v in json.loads(result.stdout).items() if k != "known_at"}


def refused(result, *words: str) -> str:
    """The one line of a refusal (exit 2), with nothing on standard output."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def execute(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    with con:
        for statement in statements:
            con.execute(statement)
    con.close()


# -- bound to the ledger's root ---------------------------------------------------------------


def test_a_ledger_re_created_with_the_same_ids_and_other_content_is_not_reported_stale(
        outcomes, new_store, postgres_server_if_any, tmp_path):
    """The issue's case: import, report, remove the ledger, init, import the same ids with
    one amount changed: the report prints the new amount (the read model used to compare
    only the event id at its position, and printed the old one)."""
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", small())).exit_code == 0
    assert roi(outcomes)["ventures"][0]["public_granted"] == "25000000"
    if outcomes.backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(outcomes.db) + suffix).unlink(missing_ok=True)
    else:  # drop the database and create it again under the same name
        name = outcomes.url.rsplit("/", 1)[1]
        postgres_server_if_any._drop(name)
        postgres_server_if_any.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    assert outcomes.read_model.exists()  # the read model of the old ledger stays
    assert outcomes("init").exit_code == 0
    assert outcomes("import", jsonl(tmp_path / "b.jsonl", small("26000000"))).exit_code == 0
    assert roi(outcomes)["ventures"][0]["public_granted"] == "26000000"


@pytest.fixture
def postgres_server_if_any(backend, request):
    return request.getfixturevalue("postgres_server") if backend == "postgres" else None


@pytest.mark.backends("sqlite")
def test_a_changed_tracked_position_starts_over(outcomes, tmp_path):
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", small())).exit_code == 0
    want = roi(outcomes)
    execute(outcomes.read_model, "UPDATE tracking SET position = 3")  # events 4.. skipped?
    assert roi(outcomes)["ventures"] == want["ventures"]  # no: the root differs, rebuilt


# -- rows checked against their digests -------------------------------------------------------


EDITS = {  # what a hand edit (sqlite3, Datasette, a script) does, and the report it fools
    "an amount": ("UPDATE roi_ventures SET public_granted = '1'", "roi"),
    "a cents column": ("UPDATE roi_ventures SET public_granted_cents = 1", "roi"),
    "a deleted venture row": ("DELETE FROM roi_ventures", "roi"),
    "a deleted dispute": ("DELETE FROM claims", "roi"),
    "a forged dispute": ("UPDATE claims SET claims = 1", "roi"),
    "a program's figures": ("UPDATE roi_programs SET returned = '99'", "roi"),
    "a cached irr": ("UPDATE irr_cache SET irr = '0.5'", "roi"),
    # (the first report kept its text for the day, which a report reads then: not these
    # rows; the next day's, or the next after a catch-up, reads them)
    "a target": ("UPDATE targets SET initial_value = '1'; DELETE FROM texts",
                 "targets"),
    "a yearly actual": ("UPDATE target_actuals SET actual = '1'; DELETE FROM texts",
                        "targets"),
    "a kept targets text": ("UPDATE texts SET records = "
                            "replace(records, '400000000', '1')", "targets"),
    "a timeline row": ("DELETE FROM timeline WHERE type = 'FundingGranted'; DELETE FROM texts",
                       "timeline"),
    "a kept timeline text": ("UPDATE texts SET records = replace(records, '25000000', '1')",
                             "timeline"),
    "a venture moved to another program": ("UPDATE ventures SET program = 'x'", "timeline"),
    "a venture moved out of the program asked for": ("UPDATE ventures SET program = 'x'",
                                                      "timeline --program pia"),
    "a venture removed with its seals": (
        "DELETE FROM ventures; DELETE FROM seals WHERE key = 'numergy'", "targets"),
    "the last recording date": ("UPDATE meta SET value = '2013-01-01' "
                                "WHERE key = 'last_recorded_on'", "roi"),
    "an event copied in the read model": (
        "UPDATE facts SET data = replace(data, '25000000', '1')", "roi --as-of 2013-01-01"),
    "a deleted event": ("DELETE FROM facts WHERE position = 4", "roi --as-of 2013-01-01"),
}


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("edit", EDITS)
def test_a_report_refuses_rows_changed_outside_outcomes(outcomes, tmp_path, edit):
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", small())).exit_code == 0
    statements, report = EDITS[edit]
    kind, *options = report.split()
    want = outcomes("report", kind, "-O", "json", *options)
    assert want.exit_code == 0
    execute(outcomes.read_model, *statements.split("; "))
    refused(outcomes("report", kind, "-O", "json", *options), "changed outside outcomes",
            REBUILD)
    check = outcomes("rebuild", "--check")
    assert check.exit_code == 1 and "does not follow from the events" in check.stderr
    assert outcomes("rebuild").exit_code == 0
    assert figures(outcomes("report", kind, "-O", "json", *options)) == figures(want)
    assert outcomes("rebuild", "--check").exit_code == 0


@pytest.mark.backends("sqlite")
def test_a_forger_who_recomputes_the_digest_is_caught_by_rebuild_check(outcomes, tmp_path):
    """The digests' recipe is public: someone who edits a row and recomputes its seal
    fools the report (docs/integrity.md says so), not `rebuild --check`."""
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", small())).exit_code == 0
    roi(outcomes)
    con = sqlite3.connect(outcomes.read_model)
    with con:
        con.execute("UPDATE roi_ventures SET public_granted = '1'")
        rows = con.execute("SELECT * FROM roi_ventures WHERE venture = 'numergy'").fetchall()
        con.execute("UPDATE seals SET digest = ? WHERE tbl = 'roi_ventures' AND key = ?",
                    [seal("roi_ventures", "numergy", rows), "numergy"])
    con.close()
    assert roi(outcomes)["ventures"][0]["public_granted"] == "1"  # fooled
    check = outcomes("rebuild", "--check")
    assert check.exit_code == 1
    assert check.stderr.strip() == (
        f"outcomes: read model {outcomes.read_model} does not follow from the events: table "
        "roi_ventures, row ('numergy',): public_granted is '1' where the events give "
        "'25000000' (run `outcomes rebuild`)")


@pytest.mark.backends("sqlite")
def test_a_forged_targets_text_is_caught_by_rebuild_check(outcomes, tmp_path):
    """The kept text of a targets report has a digest of the same public recipe: a forger
    who recomputes it fools the report of that day, not `rebuild --check`."""
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", small())).exit_code == 0
    assert outcomes("report", "targets", "-O", "json").exit_code == 0
    con = sqlite3.connect(outcomes.read_model)
    with con:
        (day, text), = con.execute("SELECT as_of, records FROM texts WHERE kind = 'targets'")
        forged = text.replace('"status": "no data"', '"status": "achieved"')
        assert forged != text
        con.execute("UPDATE texts SET records = ?, digest = ? WHERE kind = 'targets'",
                    [forged, seal("texts", "targets", "numergy", day, forged)])
    con.close()
    fooled = json.loads(outcomes("report", "targets", "-O", "json").stdout)
    assert fooled["targets"][0]["status"] == "achieved"
    check = outcomes("rebuild", "--check")
    assert check.exit_code == 1
    assert check.stderr.startswith(
        f"outcomes: read model {outcomes.read_model} does not follow from the events: table "
        f"texts, row ('targets', 'numergy', '{day}'): records are ")
    assert outcomes("rebuild").exit_code == 0
    assert json.loads(outcomes("report", "targets", "-O", "json").stdout)["targets"][0][
        "status"] == "no data"


# -- files that are not a read model -----------------------------------------------------------


@pytest.mark.backends("sqlite")
def test_read_model_onto_the_ledger_or_its_index_is_refused(outcomes, tmp_path):
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", small())).exit_code == 0
    index = outcomes.db.with_name(outcomes.db.stem + ".index.db")
    assert index.exists()
    os.link(outcomes.db, tmp_path / "hardlink.db")
    (tmp_path / "symlink.db").symlink_to(outcomes.db)
    before = outcomes.digest(), index.read_bytes()
    for target, what in ((outcomes.db, "is the ledger"), (tmp_path / "hardlink.db",
                                                          "is the ledger"),
                         (tmp_path / "symlink.db", "is the ledger"),
                         (index, "is the ledger's validation index")):
        for command in (["report", "roi"], ["rebuild"], ["rebuild", "--check"]):
            result = outcomes("--read-model", str(target), *command)
            refused(result, f"--read-model {target} {what}")
    assert (outcomes.digest(), index.read_bytes()) == before
    assert outcomes("verify").exit_code == 0


@pytest.mark.backends("sqlite")
def test_another_applications_database_is_left_alone(outcomes, tmp_path):
    foreign = tmp_path / "photos.db"
    execute(foreign, "CREATE TABLE albums (id INTEGER PRIMARY KEY, title TEXT)",
            "INSERT INTO albums (title) VALUES ('holidays')")
    before = foreign.read_bytes()
    for command in (["report", "roi"], ["rebuild"]):
        refused(outcomes("--read-model", str(foreign), *command),
                "is another application's database (tables: albums)",
                "nothing was written to it")
    assert foreign.read_bytes() == before  # not even switched to WAL
    assert not Path(str(foreign) + "-wal").exists()
    # another ledger, or an index, given as a read model: refused by content too
    other = Outcomes(tmp_path / "other.db")
    assert other("init").exit_code == 0
    refused(outcomes("--read-model", str(other.db), "report", "roi"), "is an outcomes ledger")


@pytest.mark.backends("sqlite")
def test_a_read_model_of_random_bytes_is_refused_in_one_line(outcomes, tmp_path):
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", small())).exit_code == 0
    garbage = os.urandom(3000)
    outcomes.read_model.write_bytes(garbage)
    for command in (["report", "roi"], ["rebuild"]):
        refused(outcomes(*command), "file is not a database", "delete it")
    assert outcomes.read_model.read_bytes() == garbage  # maybe not ours: left as it was


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("command", [["report", "roi", "-O", "json"], ["rebuild"]])
def test_a_damaged_read_model_is_rebuilt(outcomes, tmp_path, command):
    """A truncated (or otherwise damaged) file that starts as our read model holds only
    what the events give again: it is replaced silently."""
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", small())).exit_code == 0
    want = roi(outcomes)
    data = outcomes.read_model.read_bytes()
    assert not Path(str(outcomes.read_model) + "-wal").exists() or \
        Path(str(outcomes.read_model) + "-wal").stat().st_size == 0
    outcomes.read_model.write_bytes(data[: len(data) // 2])
    result = outcomes(*command)
    assert result.exit_code == 0, result.output
    assert roi(outcomes)["ventures"] == want["ventures"]


@pytest.mark.backends("sqlite")
def test_a_read_only_read_model_is_refused_in_one_line(outcomes, tmp_path, monkeypatch):
    """(The tests run as root, who may write anything: the check is patched.)"""
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", small())).exit_code == 0
    roi(outcomes)
    monkeypatch.setattr("outcomes.projections.readmodel.model._writable", lambda path: False)
    for command in (["report", "roi"], ["rebuild"]):
        refused(outcomes(*command), "is read-only for you", "--known-at")
    assert outcomes("report", "roi", "--known-at", "2099-01-01").exit_code == 0


@pytest.mark.backends("sqlite")
def test_a_read_model_path_that_cannot_be_opened_is_one_line(outcomes, tmp_path):
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", small())).exit_code == 0
    for path, words in ((tmp_path, "is a folder"),
                        (tmp_path / "missing" / "x.read.db", "unable to open database file")):
        for command in (["report", "roi"], ["rebuild"]):
            refused(outcomes("--read-model", str(path), *command), f"read model {path}", words)


# -- amounts beyond 64-bit cents ----------------------------------------------------------------


@pytest.mark.backends("sqlite")
def test_sums_beyond_64_bit_cents_are_reported_exactly(outcomes, tmp_path):
    """Two commitments of 5e16 VND (about 1.8 bn EUR each) sum to 1e17: 1e19 cents, past
    SQLite's integers (9.2e18). The exact text is kept, the cents column is NULL."""
    events = [
        ev("ProgramRegistered", "2012-01-10", id="prog", program="vn", name="VN",
           funder="State", currency="VND"),
        ev("VentureRegistered", "2012-02-01", id="reg", venture="big", name="Big",
           program="vn"),
        ev("FundingCommitted", "2012-03-01", id="c1", venture="big",
           amount="50000000000000000", funder="State"),
        ev("FundingCommitted", "2012-03-02", id="c2", venture="big",
           amount="50000000000000000", funder="State"),
    ]
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", events)).exit_code == 0
    doc = roi(outcomes)
    assert doc["ventures"][0]["public_committed"] == "100000000000000000"
    assert doc["programs"][0]["public_committed"] == "100000000000000000"
    con = sqlite3.connect(outcomes.read_model)
    assert con.execute("SELECT public_committed, public_committed_cents FROM roi_ventures"
                       ).fetchall() == [("100000000000000000", None)]
    con.close()
    retraction = ev("EventRetracted", "2013-01-01", event="c2", reason="duplicate")
    assert outcomes("import", jsonl(tmp_path / "b.jsonl", [retraction])).exit_code == 0
    assert roi(outcomes)["ventures"][0]["public_committed"] == "50000000000000000"
    before = roi(outcomes, "--as-of", "2012-12-31")  # before the retraction
    assert before["ventures"][0]["public_committed"] == "100000000000000000"
    for kind in ("targets", "timeline"):
        assert outcomes("report", kind).exit_code == 0
    con = sqlite3.connect(outcomes.read_model)
    assert con.execute("SELECT public_committed_cents FROM roi_ventures").fetchall() == [
        (5_000_000_000_000_000_000,)]  # in range again: sortable in Datasette
    con.close()
    assert SRC  # (the events' source)


def test_sums_of_the_largest_amounts_stay_exact(outcomes, tmp_path):
    """Two grants of the largest amount the schema admits (18 + 10 digits) sum to
    1,999,999,999,999,999,999.9999999998 (by hand: 2 x 1e18 - 2 x 1e-10), 29 digits: in
    Python's default 28-digit context it would print rounded to 2e18."""
    top = "999999999999999999.9999999999"
    events = [
        ev("ProgramRegistered", "2012-01-10", id="prog", program="vn", name="VN",
           funder="State", currency="VND"),
        ev("VentureRegistered", "2012-02-01", id="reg", venture="big", name="Big",
           program="vn"),
        ev("FundingGranted", "2012-03-01", id="g1", venture="big", amount=top, funder="State"),
        ev("FundingGranted", "2012-03-02", id="g2", venture="big", amount=top, funder="State"),
    ]
    assert outcomes("import", jsonl(tmp_path / "a.jsonl", events)).exit_code == 0
    doc = roi(outcomes)
    assert doc["ventures"][0]["public_granted"] == "1999999999999999999.9999999998"
    assert doc["programs"][0]["public_granted"] == "1999999999999999999.9999999998"
    known = roi(outcomes, "--known-at", "2099-01-01")  # the replay path sums too
    assert known["ventures"][0]["public_granted"] == "1999999999999999999.9999999998"
