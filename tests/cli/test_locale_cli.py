"""`--locale` (and OUTCOMES_LOCALE): tables for a reader's locale, JSON and CSV locale-free."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from outcomes.cli import main
from outcomes.fixtures import path as fixture_path

NNBSP, NBSP = "\u202f", "\u00a0"


def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    with freeze_time("2026-03-01T12:00:00Z"):
        result = CliRunner().invoke(main, list(argv), env={"OUTCOMES_LOCALE": None, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("locale") / "cloud.db")
    assert run("--db", path, "init")[0] == 0
    assert run("--db", path, "import", str(fixture_path("cloud-souverain.jsonl")))[0] == 0
    return path


def test_report_tables_in_french(db: str) -> None:
    code, out, _ = run("--db", db, "report", "roi", "--as-of", "2015-06-30", "--locale",
                       "fr_FR")
    assert code == 0
    assert "as of 30 juin 2015" in out
    assert f"O 75{NNBSP}000{NNBSP}000{NBSP}€" in out  # cloudwatt's committed money
    assert f"9,3{NBSP}%" in out  # its revenue per public euro
    assert "EUR" not in out.split("\n\n\n")[0]
    code, out, _ = run("--db", db, "--locale", "fr_FR", "report", "targets")
    assert code == 0 and f"(final 0,6{NBSP}%: 3,0 M € of 500,0 M €)" in out
    assert "by 31 déc. 2017" in out


def test_the_environment_and_the_report_option(db: str) -> None:
    by_env = run("--db", db, "report", "roi", env={"OUTCOMES_LOCALE": "fr_FR"})
    by_option = run("--db", db, "report", "roi", "--locale", "fr_FR")
    by_global = run("--db", db, "--locale", "fr_FR", "report", "roi")
    assert by_env == by_option == by_global and by_env[0] == 0
    # the report's own option wins over the environment
    german = run("--db", db, "report", "roi", "--locale", "de_DE",
                 env={"OUTCOMES_LOCALE": "fr_FR"})
    assert f"75.000.000{NBSP}€" in german[1]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_json_and_csv_stay_locale_free(db: str, fmt: str) -> None:
    for kind in ("roi", "targets", "timeline"):
        plain = run("--db", db, "report", kind, "-O", fmt)
        french = run("--db", db, "report", kind, "-O", fmt, "--locale", "fr_FR")
        assert plain == french and plain[0] == 0


@pytest.mark.parametrize("argv", [("--locale", "xx_YY", "report", "roi"),
                                  ("report", "roi", "--locale", "xx_YY")])
def test_an_unknown_locale_is_refused_in_one_line(db: str, argv: tuple[str, ...]) -> None:
    code, out, err = run("--db", db, *argv)
    assert code == 2 and out == ""
    assert err == ("outcomes: error: --locale: unknown locale 'xx_YY' (babel knows e.g. "
                   "fr_FR, en_GB, de_DE, es_ES; or leave it out for the default)\n")


def test_an_unknown_locale_in_the_environment_is_refused_too(db: str) -> None:
    code, _, err = run("--db", db, "report", "roi", env={"OUTCOMES_LOCALE": "xx_YY"})
    assert code == 2 and "unknown locale 'xx_YY'" in err


def test_demo_in_french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("--locale", "fr_FR", "demo")
    assert code == 0 and f"P 150{NNBSP}000{NNBSP}000{NBSP}€" in out


def test_log_and_history_tables_date_for_the_locale(db: str) -> None:
    log = run("--db", db, "--locale", "fr_FR", "log", "--venture", "numergy")
    assert log[0] == 0 and " 10 mai 2012 " in log[1] and "2012-05-10  " not in log[1]
    markdown = run("--db", db, "--locale", "fr_FR", "log", "-O", "markdown")[1]
    assert "| 20 avr. 2012 |" in markdown
    history = run("--db", db, "--locale", "fr_FR", "history", "numergy", "--metric", "jobs")
    assert "1 oct. 2014" in history[1]
    assert "recorded: 1 mars 2026, 12:00:00 UTC" in history[1]  # (the frozen import time)
    for argv in (("log",), ("history", "numergy")):  # CSV and JSON: as without a locale
        for fmt in ("csv", "json"):
            assert run("--db", db, "--locale", "fr_FR", *argv, "-O", fmt) == \
                run("--db", db, *argv, "-O", fmt)
