"""Evidence grades, archives and source digests through the command line: `append` options
(from the schema), `correct` and `retract` (the correction's own source, and a regrade of
the corrected event), one-line refusals with nothing written, the log and a round trip."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
from freezegun import freeze_time

from tests.conftest import Outcomes

DIGEST = hashlib.sha256(b"annual accounts 2014").hexdigest()
ARCHIVE = "https://web.archive.org/web/2016/https://example.org/accounts"


@pytest.fixture
def ledger(outcomes: Outcomes) -> Outcomes:
    with freeze_time("2026-02-01 10:00:00"):
        for argv in (
            ("program-registered", "--program", "p", "--name", "P", "--funder", "State",
             "--occurred-on", "2012-01-01", "--source", "https://example.org/decree",
             "--evidence", "filed"),
            ("venture-registered", "--venture", "v", "--name", "V", "--program", "p",
             "--occurred-on", "2012-01-02", "--source", "https://example.org/v"),
            ("sales-reported", "--venture", "v", "--period", "2014", "--revenue", "6000000",
             "--occurred-on", "2015-03-01", "--source", "https://example.org/paper",
             "--evidence", "press", "--archive", ARCHIVE, "--source-sha256", DIGEST.upper(),
             "--id", "claim"),
        ):
            result = outcomes("append", *argv)
            assert result.exit_code == 0, result.output
    return outcomes


def events(run: Outcomes) -> list[dict]:
    return json.loads(run("log", "-O", "json").stdout)


def test_append_takes_the_three_fields(ledger: Outcomes) -> None:
    program, venture, claim = events(ledger)
    assert program["evidence"] == "filed"
    assert not {"evidence", "archive", "source_sha256"} & set(venture)  # none given
    assert (claim["evidence"], claim["archive"], claim["source_sha256"]) == (
        "press", ARCHIVE, DIGEST)


def test_the_log_table_shows_the_grade(ledger: Outcomes) -> None:
    # (the archive and the digest are in the JSON log: the table's "what" stays short)
    # (at 80 columns the "what" of each event is printed under its row)
    [line] = [x for x in ledger("log").stdout.splitlines()
              if x.startswith("    what: ") and "period=2014" in x]
    assert "period=2014 revenue=6000000 evidence=press" in line
    assert ARCHIVE not in line and DIGEST not in line


@freeze_time("2026-02-02 10:00:00")
def test_correct_regrades_and_grades_its_own_source(ledger: Outcomes) -> None:
    result = ledger("correct", "claim", "--set", "revenue=2000000", "--set", "evidence=filed",
                    "--reason", "accounts filed", "--source", "https://example.org/greffe",
                    "--occurred-on", "2016-01-10", "--evidence", "filed", "--archive", ARCHIVE,
                    "--source-sha256", DIGEST, "--id", "fix")
    assert result.exit_code == 0, result.output
    fix = events(ledger)[-1]
    assert fix["changes"] == {"revenue": "2000000", "evidence": "filed"}
    assert (fix["evidence"], fix["archive"], fix["source_sha256"]) == ("filed", ARCHIVE, DIGEST)


@freeze_time("2026-02-02 10:00:00")
def test_retract_grades_its_own_source(ledger: Outcomes) -> None:
    result = ledger("retract", "claim", "--reason", "a misprint", "--source",
                    "https://example.org/erratum", "--occurred-on", "2016-01-10",
                    "--evidence", "press")
    assert result.exit_code == 0, result.output
    assert events(ledger)[-1]["evidence"] == "press"


@freeze_time("2026-02-02 10:00:00")
@pytest.mark.parametrize(("argv", "line"), [
    (("append", "sales-reported", "--venture", "v", "--period", "2015", "--revenue", "1",
      "--occurred-on", "2016-01-01", "--source", "s", "--evidence", "rumour"),
     "outcomes: error: evidence: unknown value 'rumour': choose one of audited, filed, "
     "official, company, press, estimate"),
    (("append", "sales-reported", "--venture", "v", "--period", "2015", "--revenue", "1",
      "--occurred-on", "2016-01-01", "--source", "s", "--archive", "example.org/x"),
     "outcomes: error: archive: malformed URL 'example.org/x': an http:// or https:// "
     "address with a host; write the whole address, e.g. "
     "https://web.archive.org/web/2015/https://example.org"),
    (("append", "sales-reported", "--venture", "v", "--period", "2015", "--revenue", "1",
      "--occurred-on", "2016-01-01", "--source", "s", "--source-sha256", "abc"),
     "outcomes: error: source_sha256: malformed SHA-256 'abc': 3 digits; write the 64 "
     "hexadecimal digits that `sha256sum FILE` prints"),
    (("correct", "claim", "--set", "evidence=official!", "--reason", "r", "--source", "s"),
     "outcomes: error: changes.evidence: unknown value 'official!': choose one of audited, "
     "filed, official, company, press, estimate"),
    (("correct", "claim", "--set", "revenue=1", "--reason", "r", "--source", "s",
      "--evidence", "hearsay"),
     "outcomes: error: evidence: unknown value 'hearsay': choose one of audited, filed, "
     "official, company, press, estimate"),
    (("retract", "claim", "--reason", "r", "--source", "s", "--source-sha256", "z" * 64),
     "outcomes: error: source_sha256: malformed SHA-256 '" + "z" * 49 + "... (64 "
     "characters): character 1 ('z') is not a hexadecimal digit; write the 64 hexadecimal "
     "digits that `sha256sum FILE` prints"),
])
def test_refusals_are_one_line_and_write_nothing(ledger: Outcomes, argv: tuple[str, ...],
                                                line: str) -> None:
    before = ledger.digest()
    result = ledger(*argv)
    assert result.exit_code == 2
    assert result.stderr == line + "\n"
    assert ledger.digest() == before


def test_export_and_import_keep_the_three_fields(ledger: Outcomes,
                                                 new_store: Callable[[], str]) -> None:
    exported = ledger("export").stdout
    copy = Outcomes(new_store())
    copy("init")
    assert copy("import", "-", input=exported).exit_code == 0
    assert copy("export").stdout == exported
    assert [{k: e.get(k) for k in ("evidence", "archive", "source_sha256")}
            for e in events(copy)] == [
        {"evidence": "filed", "archive": None, "source_sha256": None},
        {"evidence": None, "archive": None, "source_sha256": None},
        {"evidence": "press", "archive": ARCHIVE, "source_sha256": DIGEST}]
    # importing the same file again adds nothing (the digest was kept in lower case)
    assert "imported 0 events, 3 already recorded" in copy("import", "-",
                                                            input=exported).output
