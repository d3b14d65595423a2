"""The hostile-input corpus: every refusal is one line, exit 2, no traceback, nothing written.

Each case is data: an import file (bytes), command-line options, or a `--db` file, with
the start of the one line it must print. Every case checks the same promise: exit code
2 (`verify` included: a store that cannot be opened is bad input), exactly one line on
stderr, no "Traceback", and the store byte for byte (SQLite) or row for row (PostgreSQL)
as it was.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from outcomes.ledger.index import index_path
from outcomes.ledger.schema import LIMITS
from tests.conftest import ROOT, SCENARIO, Outcomes

PROGRAM = {"type": "ProgramRegistered", "program": "hostile", "name": "Hostile",
           "funder": "State", "occurred_on": "2015-01-01", "source": "https://example.org/x"}
DEEP = "[" * 20_000 + "]" * 20_000


def line(**fields: Any) -> bytes:
    """One JSON line: a valid registration with `fields` changed (None drops a field)."""
    event = {k: v for k, v in {**PROGRAM, **fields}.items() if v is not None}
    return json.dumps(event, ensure_ascii=False).encode() + b"\n"


def raw_line(text: str) -> bytes:
    return text.encode() + b"\n"


def one_line(result: Result, prefix: str, code: int = 2) -> str:
    """The refusal's single line, once the promise is checked."""
    assert result.exit_code == code, (result.exit_code, result.output[-500:])
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stderr.endswith("\n"), result.stderr[-500:]
    assert lines[0].startswith("outcomes: error: " + prefix), (lines[0][:300], prefix)
    return lines[0]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcomes]:
    """One scenario ledger per backend, shared by the cases: each leaves it unchanged."""
    server = None
    if request.param == "sqlite":
        url = str(tmp_path_factory.mktemp("hostile") / "ledger.db")
    else:
        server = request.getfixturevalue("postgres_server")
        name = server.create_database()
        url = server.url_for(name)
    run = Outcomes(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OUTCOMES_ACTOR", "tester")
        assert run("init").exit_code == 0
        assert run("import", str(SCENARIO)).exit_code == 0
    yield run
    if server is not None:
        server.drop_database(name)


# -- import files ------------------------------------------------------------------------

BAD_UTF8 = line(name="X").replace(b'"X"', b'"\xff"')
LATIN1 = json.dumps({**PROGRAM, "name": "Café"}, ensure_ascii=False).encode("latin-1") + b"\n"
TEXT = json.dumps(PROGRAM) + "\n"
BAD_AT = BAD_UTF8.index(b"\xff") + 1  # the column of the bad byte (ASCII before it)
LATIN1_AT = LATIN1.index(b"\xe9") + 1

IMPORT_CASES: list[tuple[str, bytes, str]] = [
    ("invalid UTF-8", BAD_UTF8,
     f"1: not UTF-8 text: byte 0xff at column {BAD_AT}; save the file as UTF-8"),
    ("Latin-1", LATIN1, f"1: not UTF-8 text: byte 0xe9 at column {LATIN1_AT}"),
    ("bad UTF-8 on line 2", line() + BAD_UTF8, "2: not UTF-8 text: byte 0xff"),
    ("UTF-16 with BOM", TEXT.encode("utf-16"), "1: the file is UTF-16 or UTF-32"),
    ("UTF-16 BE with BOM", b"\xfe\xff" + TEXT.encode("utf-16-be"),
     "1: the file is UTF-16 or UTF-32"),
    ("UTF-32 with BOM", TEXT.encode("utf-32"), "1: the file is UTF-16 or UTF-32"),
    ("UTF-16 without BOM", TEXT.encode("utf-16-le"), "1: NUL byte: the file is not UTF-8"),
    ("UTF-8 BOM on line 2", line() + b"\xef\xbb\xbf" + line(),
     "2: invalid JSON: Unexpected UTF-8 BOM"),
    ("lone surrogate in a text field", raw_line(json.dumps(PROGRAM)[:-1] + ', "note": "\\ud800"}'),
     "1: note: not valid Unicode: a lone surrogate '\\ud800' at character 1"),
    ("lone low surrogate", line(name="ab\\udc80").replace(b"\\\\udc80", b"\\udc80"),
     "1: name: not valid Unicode: a lone surrogate '\\udc80' at character 3"),
    ("lone surrogate as a field name", raw_line('{"type": "ProgramRegistered", "\\ud800": 1}'),
     "1: \\ud800: unknown field for ProgramRegistered"),
    ("newline in a field name", raw_line('{"type": "ProgramRegistered", "a\\nb": 1}'),
     "1: a\\nb: unknown field for ProgramRegistered"),
    ("escape sequence in a field name", raw_line('{"type": "ProgramRegistered", '
                                                 '"\\u001b[2J": 1}'),
     "1: \\x1b[2J: unknown field"),
    ("line nested 20,000 deep", raw_line('{"type": "ProgramRegistered", "x": ' + DEEP + "}"),
     "1: invalid JSON: nested too deeply"),
    ("changes nested 20,000 deep",
     raw_line('{"type": "EventCorrected", "event": "g-alpha-1", "reason": "r", '
              '"occurred_on": "2020-01-01", "source": "s", "changes": {"amount": '
              + DEEP + "}}"), "1: invalid JSON: nested too deeply"),
    ("a 10 MB source", line(source="x" * 10_000_000), "1: line longer than 1,000,000 bytes"),
    ("a line without newline", b"a" * 2_000_000, "1: line longer than 1,000,000 bytes"),
    ("1e6 keys", raw_line("{" + ",".join(f'"k{i}": 1' for i in range(10**6)) + "}"),
     "1: line longer than 1,000,000 bytes"),
    ("50,000 keys", raw_line('{"type": "ProgramRegistered", '
                             + ",".join(f'"k{i}": 1' for i in range(50_000)) + "}"),
     "1: k0: unknown field for ProgramRegistered"),
    ("source past its limit", line(source="x" * (LIMITS.text_chars + 1)),
     "1: source: too long: 10,001 characters, at most 10,000"),
    ("note past its limit", line(note="x" * (LIMITS.text_chars + 1)), "1: note: too long"),
    ("name past its limit", line(name="x" * (LIMITS.name_chars + 1)),
     "1: name: too long: 2,001 characters, at most 2,000"),
    ("recorded_by past its limit", line(recorded_by="x" * (LIMITS.name_chars + 1)),
     "1: recorded_by: too long"),
    ("amount of 19 digits", line(budget="1" * 19),
     "1: budget: amount too large: 19 digits before the point, at most 18"),
    ("amount of 5,000 digits as a JSON number", raw_line(
        json.dumps(PROGRAM)[:-1] + ', "budget": ' + "9" * 5000 + "}"),
     "1: budget: amount too large: 5,000 digits"),
    ("amount with 11 decimals", line(budget="1." + "1" * 11),
     "1: budget: too many decimals: 11 digits after the point, at most 10"),
    ("count of 16 digits", raw_line(json.dumps(
        {"type": "MetricReported", "venture": "alpha", "metric": "jobs", "value": "9" * 16,
         "occurred_on": "2016-01-01", "source": "s"})),
     "1: value: count too large: 16 digits, at most 15"),
]


@pytest.mark.parametrize("content,prefix", [c[1:] for c in IMPORT_CASES],
                         ids=[c[0] for c in IMPORT_CASES])
def test_hostile_import_file_is_refused_in_one_line(ledger: Outcomes, tmp_path: Path,
                                                    content: bytes, prefix: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(content)
    before = ledger.digest()
    one_line(ledger("import", str(path)), f"{path}:{prefix}")
    assert ledger.digest() == before


def test_hostile_standard_input_is_refused_in_one_line(ledger: Outcomes) -> None:
    before = ledger.digest()
    one_line(ledger("import", "-", input=line() + LATIN1), "<stdin>:2: not UTF-8 text")
    assert ledger.digest() == before


def test_a_huge_bad_value_is_quoted_short(ledger: Outcomes, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(line(budget="x" * 100_000))
    text = one_line(ledger("import", str(path)), f"{path}:1: budget: malformed amount 'xxx")
    assert "(100,000 characters)" in text and len(text) < 400


def test_a_utf8_byte_order_mark_at_the_start_is_skipped(outcomes: Outcomes,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "notepad.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + line(id="bom"))
    assert outcomes("import", str(path)).exit_code == 0
    logged = json.loads(outcomes("log", "-O", "json").stdout)
    assert [(e["id"], e["type"], e["name"]) for e in logged] == [
        ("bom", "ProgramRegistered", "Hostile")]


@pytest.mark.backends("sqlite")
def test_text_and_amounts_at_their_limits_are_recorded(outcomes: Outcomes,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "limits.jsonl"
    path.write_bytes(line(name="n" * LIMITS.name_chars, source="s" * LIMITS.text_chars,
                          budget="9" * 18 + "." + "9" * 10))
    assert outcomes("import", str(path)).exit_code == 0
    (event,) = json.loads(outcomes("log", "-O", "json").stdout)
    assert (len(event["name"]), len(event["source"])) == (2_000, 10_000)
    assert event["budget"] == "999999999999999999.9999999999"


# -- options -------------------------------------------------------------------------------

GRANT = ["append", "metric-reported", "--venture", "alpha", "--metric", "jobs", "--value", "3",
         "--occurred-on", "2016-01-01"]
REGISTER = ["append", "program-registered", "--program", "hostile", "--name", "H",
            "--funder", "F", "--occurred-on", "2015-01-01", "--source", "s"]
OUT_OF_RANGE = "0001-01-01T00:00:00+01:00"

OPTION_CASES: list[tuple[str, list[str], str]] = [
    # Python hands non-UTF-8 bytes of argv over as lone surrogates (U+DC80..U+DCFF).
    ("non-UTF-8 source", [*GRANT, "--source", "\udcff"],
     "--source: not valid UTF-8 (byte 0xff); outcomes takes its arguments as UTF-8 text"),
    ("non-UTF-8 in --opt=value", [*GRANT, "--source=ab\udced\udca0\udc80"],
     "--source: not valid UTF-8 (byte 0xed)"),
    ("non-UTF-8 slug", ["log", "--venture", "\udce9t\udce9"],
     "--venture: not valid UTF-8 (byte 0xe9)"),
    ("non-UTF-8 actor", ["--actor", "\udcff", "log"], "--actor: not valid UTF-8"),
    ("non-UTF-8 argument", ["history", "\udcff"], "argument "),
    ("source past its limit", [*GRANT, "--source", "x" * (LIMITS.text_chars + 1)],
     "source: too long: 10,001 characters, at most 10,000"),
    ("a 10 MB source", [*GRANT, "--source", "x" * 10_000_000],
     "source: too long: 10,000,000 characters, at most 10,000"),
    ("name past its limit", [*REGISTER[:5], "x" * 2_001, *REGISTER[6:]],
     "name: too long: 2,001 characters"),
    ("budget of 19 digits", [*REGISTER, "--budget", "1" * 19], "budget: amount too large"),
    ("budget with 11 decimals", [*REGISTER, "--budget", "0.00000000001"],
     "budget: too many decimals"),
    ("count of 16 digits", [*GRANT[:7], "1" * 16, *GRANT[8:], "--source", "s"],
     "value: count too large"),
    ("--changes nested 20,000 deep",
     ["append", "event-corrected", "--event", "g-alpha-1", "--changes",
      '{"amount": ' + DEEP + "}", "--reason", "r", "--source", "s",
      "--occurred-on", "2020-01-01"], "changes: invalid JSON object: nested too deeply"),
    ("--set nested 20,000 deep",
     ["correct", "g-alpha-1", "--set", "amount=" + DEEP, "--reason", "r", "--source", "s"],
     "changes.amount: malformed amount '[[[["),
    ("--set note past its limit",
     ["correct", "g-alpha-1", "--set", "note=" + "x" * 10_001, "--reason", "r",
      "--source", "s"], "changes.note: too long"),
    ("log --known-at before year 1 in UTC", ["log", "--known-at", OUT_OF_RANGE],
     f"--known-at: timestamp '{OUT_OF_RANGE}' is out of range in UTC (years 0001 to 9999)"),
    ("log --known-at after 9999 in UTC", ["log", "--known-at", "9999-12-31T23:59:59-01:00"],
     "--known-at: timestamp '9999-12-31T23:59:59-01:00' is out of range in UTC"),
    ("history --known-at out of range", ["history", "alpha", "--known-at", OUT_OF_RANGE],
     "--known-at: timestamp"),
    ("report --known-at out of range", ["report", "roi", "--known-at", OUT_OF_RANGE],
     "--known-at: timestamp"),
    ("report targets --known-at out of range",
     ["report", "targets", "--known-at", OUT_OF_RANGE], "--known-at: timestamp"),
    ("a huge malformed --known-at", ["log", "--known-at", "x" * 100_000],
     "--known-at: malformed timestamp"),
]


@pytest.mark.parametrize("args,prefix", [c[1:] for c in OPTION_CASES],
                         ids=[c[0] for c in OPTION_CASES])
def test_hostile_option_is_refused_in_one_line(ledger: Outcomes, args: list[str],
                                               prefix: str) -> None:
    before = ledger.digest()
    text = one_line(ledger(*args), prefix)
    assert len(text) < 1_200  # quoted input is cut short
    assert ledger.digest() == before


@pytest.mark.parametrize("args", [
    ["log", "--since", "0001-01-01"], ["log", "--since", "9999-12-31"],
    ["log", "--known-at", "0001-01-01"], ["log", "--known-at", "9999-12-31T23:59:59Z"],
    ["history", "alpha", "--known-at", "9999-12-31T23:59:59Z"],
    ["report", "roi", "--as-of", "9999-12-31"], ["report", "roi", "--as-of", "0001-01-01"],
    ["report", "targets", "--as-of", "9999-12-31"],
    ["report", "timeline", "--as-of", "0001-01-01"],
    ["report", "roi", "--as-of", "0001-01-01", "--known-at", "9999-12-31"],
], ids=" ".join)
def test_extreme_dates_are_answered(ledger: Outcomes, args: list[str]) -> None:
    result = ledger(*args)
    assert result.exit_code == 0 and result.stderr == "", result.output[-500:]


@pytest.mark.backends("sqlite")
def test_non_utf8_argument_bytes_from_a_real_command_line(outcomes: Outcomes) -> None:
    before = outcomes.digest()
    for args, prefix in (
            ([b"--source", b"\xff"], b"--source: not valid UTF-8 (byte 0xff)"),
            ([b"--source", b"caf\xe9"], b"--source: not valid UTF-8 (byte 0xe9)"),
            ([b"--source", b"\xed\xa0\x80"], b"--source: not valid UTF-8 (byte 0xed)")):
        command = [sys.executable, "-m", "outcomes.cli", "--db", str(outcomes.db).encode(),
                   *(a.encode() for a in GRANT), *args]
        done = subprocess.run(command, capture_output=True, cwd=ROOT, timeout=60)
        assert done.returncode == 2 and done.stdout == b""
        assert done.stderr.startswith(b"outcomes: error: " + prefix)
        assert done.stderr.count(b"\n") == 1 and b"Traceback" not in done.stderr
    assert outcomes.digest() == before


# -- the index lock --------------------------------------------------------------------------


def test_a_writer_waiting_too_long_for_the_lock_says_so(
        ledger: Outcomes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ledger(*GRANT, "--source", "s").exit_code == 0  # the index exists
    before = ledger.digest()
    monkeypatch.setattr("outcomes.ledger.index.LOCK_SECONDS", 0.1)
    holder = sqlite3.connect(index_path(str(ledger.read_model)), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer, mid-import
        one_line(ledger(*GRANT, "--source", "s"),
                 "another outcomes command has been writing to this ledger for over 0.1 s")
    finally:
        holder.close()
    assert ledger.digest() == before


# -- --db files -------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
COMMANDS = [["init"], ["log"], ["verify"], ["checkpoint"], ["export"], ["export", "--iati"],
            ["report", "roi"], ["rebuild"], ["import", str(SCENARIO)],
            [*GRANT, "--source", "s"]]


@pytest.fixture(scope="module")
def real_ledger(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a checkpointed scenario ledger, to damage."""
    path = tmp_path_factory.mktemp("real") / "ledger.db"
    run = Outcomes(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OUTCOMES_ACTOR", "tester")
        assert run("init").exit_code == 0 and run("import", str(SCENARIO)).exit_code == 0
    return path.read_bytes()


def other_application(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO users VALUES (1, 'ada')")
    con.commit()
    con.close()


def write(content: bytes) -> Any:
    return lambda path: path.write_bytes(content)


def damaged_page(ledger: bytes) -> bytes:
    page = 4096 * (len(ledger) // 4096 // 2)
    return ledger[:page] + b"\xde\xad" * 2048 + ledger[page + 4096:]


DB_CASES: list[tuple[str, Any, str]] = [
    ("a folder", lambda path: path.mkdir(), "{db} is a folder, not a ledger file"),
    ("a PNG", write(PNG), "{db} is not an outcomes ledger (not a SQLite database)"),
    ("a text file", write(b"hello\n"), "{db} is not an outcomes ledger (not a SQLite database)"),
    ("another application's SQLite file", other_application,
     "{db} is not an outcomes ledger (a SQLite database of other tables: users); check --db"),
    ("a header cut short", lambda path: path.write_bytes(b"SQLite format 3\x00" + b"\0" * 20),
     "{db} is cut off (36 of 100 bytes)"),
    ("a truncated ledger", "truncated", "{db} is cut off (8,192 of "),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("make,prefix", [c[1:] for c in DB_CASES], ids=[c[0] for c in DB_CASES])
def test_db_that_is_not_a_ledger_is_refused_in_one_line(
        tmp_path: Path, real_ledger: bytes, make: Any, prefix: str, command: list[str]) -> None:
    db = tmp_path / "store.db"
    if make == "truncated":
        db.write_bytes(real_ledger[:8192])
    else:
        make(db)
    before = snapshot(tmp_path)
    one_line(Outcomes(db)(*command), prefix.format(db=db))
    assert snapshot(tmp_path) == before  # no byte changed, no file added (no -wal)


@pytest.mark.parametrize("command", [["log"], ["verify"], ["export"], ["export", "--iati"],
                                     ["report", "roi"], [*GRANT, "--source", "s"]],
                         ids=" ".join)
def test_a_damaged_ledger_is_refused_in_one_line(tmp_path: Path, real_ledger: bytes,
                                                 command: list[str]) -> None:
    db = tmp_path / "store.db"
    db.write_bytes(damaged_page(real_ledger))
    one_line(Outcomes(db)(*command),
             f"storage error at {db}: database disk image is malformed; the file is damaged")


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != ["init"]], ids=" ".join)
def test_an_empty_file_is_not_a_ledger_until_init(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "new.db"
    db.touch()
    one_line(Outcomes(db)(*command), f"no ledger at {db} (an empty file): create it with")
    assert snapshot(tmp_path) == {"new.db": b""}


def test_init_makes_a_ledger_of_an_empty_file(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    db.touch()
    run = Outcomes(db)
    assert run("init").output == f"ledger ready at {db} (0 events)\n"
    assert run("import", str(SCENARIO)).exit_code == 0


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {p.name: None if p.is_dir() else p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("error,prefix", [
    (RecursionError("maximum recursion depth exceeded"), "input nested too deeply"),
    (OverflowError("date value out of range"), "a value out of range: date value out of range"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "not valid UTF-8 text"),
], ids=["RecursionError", "OverflowError", "UnicodeDecodeError"])
def test_what_the_checks_miss_is_still_one_line(outcomes: Outcomes,
                                                monkeypatch: pytest.MonkeyPatch,
                                                error: Exception, prefix: str) -> None:
    """The safety net: an input no check foresaw still gets one line and exit 2."""

    def raising(*_: Any, **__: Any) -> None:
        raise error

    monkeypatch.setattr("outcomes.ledger.service.record", raising)
    before = outcomes.digest()
    one_line(outcomes(*REGISTER), prefix)
    assert outcomes.digest() == before
