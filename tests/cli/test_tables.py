"""Terminal tables that fit (issue 15): drawn to the terminal's width, 80 columns readable,
ids and URLs never folded, column titles whole, a long log printed as it is read."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from outcomes.cli import main
from outcomes.fixtures import path as fixture_path
from outcomes.projections.present.render import Column, table_pieces, to_table
from outcomes.projections.present.table import cells, terminal_width, wrap

URL = re.compile(r"https?://\S+")
TABLES = {  # what each table command prints (the fixture's ledger)
    "log": ("log",),
    "roi": ("report", "roi", "--as-of", "2015-06-30"),
    "targets": ("report", "targets", "--as-of", "2015-12-31"),
    "timeline": ("report", "timeline", "--as-of", "2016-12-31"),
    "history-numergy": ("history", "numergy"),
    "history-cloudwatt": ("history", "cloudwatt"),
}
# (the number of the acceptance: at 80 columns, 356 of 358 log lines overflowed)


def run(*argv: str, env: dict[str, str | None] | None = None) -> str:
    with freeze_time("2026-03-01T12:00:00Z"):
        result = CliRunner().invoke(main, list(argv), env={
            "COLUMNS": None, "OUTCOMES_LOCALE": None, **(env or {})})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("tables") / "cloud.db")
    run("--db", path, "init")
    run("--db", path, "import", str(fixture_path("cloud-souverain.jsonl")))
    return path


@pytest.fixture(scope="module")
def events(db: str) -> list[dict]:
    return json.loads(run("--db", db, "log", "-O", "json"))


def too_wide(text: str, width: int) -> list[str]:
    """The lines wider than `width`, but for a line holding one word alone (a URL wider
    than the terminal: it is never folded)."""
    return [line for line in text.splitlines()
            if cells(line) > width and len(line.split()) > 1]


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("width", [80, 120])
def test_every_line_fits_the_terminal(db: str, name: str, width: int) -> None:
    out = run("--db", db, *TABLES[name], env={"COLUMNS": str(width)})
    assert too_wide(out, width) == []
    # a line wider than the terminal is a URL alone, and only where the URL is that wide
    for line in out.splitlines():
        if cells(line) > width:
            assert URL.fullmatch(line.strip()), line


def test_not_a_terminal_means_80_columns(db: str) -> None:
    assert run("--db", db, "log") == run("--db", db, "log", env={"COLUMNS": "80"})
    assert too_wide(run("--db", db, "report", "roi"), 80) == []


def test_the_log_shows_every_id_and_url_whole(db: str, events: list[dict]) -> None:
    words = set(run("--db", db, "log").split())
    for e in events:
        assert e["id"] in words, e["id"]
        for url in URL.findall(e["source"]):
            assert url in words, url


def test_the_timeline_shows_every_source_url_whole(db: str) -> None:
    doc = json.loads(run("--db", db, "report", "timeline", "-O", "json"))
    words = set(run("--db", db, "report", "timeline").split())
    urls = {u for r in doc["timeline"] for u in URL.findall(r["source"])}
    assert urls and urls <= words


def test_history_shows_every_id_and_url_whole(db: str) -> None:
    doc = json.loads(run("--db", db, "history", "numergy", "-O", "json"))
    words = set(run("--db", db, "history", "numergy").split())
    changes = [c for f in doc["figures"] for c in f["changes"]]
    assert {c["id"] for c in changes} <= words
    assert {u for c in changes for u in URL.findall(c["source"])} <= words


def test_column_titles_print_whole_on_one_line(db: str) -> None:
    for width in (80, 200):
        targets = run("--db", db, "report", "targets", env={"COLUMNS": str(width)})
        assert "Actual [attainment of expected]" in targets.splitlines()[2]
        roi = run("--db", db, "report", "roi", env={"COLUMNS": str(width)})
        for title in ("Paid (public)", "Paid (private)", "Revenue / public", "Cost per job"):
            assert title in roi, (width, title)


def test_a_wide_terminal_keeps_one_line_per_row(db: str, events: list[dict]) -> None:
    """At 2,000 columns the fixture's log has room for its ids, what and sources (several
    URLs each) in the grid: one line per event, after the title line and the rule."""
    out = run("--db", db, "log", "--type", "venture-registered", env={"COLUMNS": "2000"})
    lines = out.splitlines()
    assert len(lines) == 2 + sum(e["type"] == "VentureRegistered" for e in events)
    assert lines[0].split() == ["#", "id", "occurred", "type", "venture", "/", "program",
                                "what", "source"]


def test_recorded_markup_is_printed_literally() -> None:
    columns = [Column("a", "[bold]Title[/bold] [attainment]"), Column("b", "b", "right")]
    rows = [{"a": "[red]x[/red] [link=https://e.vil]y[/link] \x1b[31m", "b": "[1]"}]
    out = to_table(columns, rows, title="[blink]T[/blink]", width=80)
    assert out.splitlines()[0] == "[blink]T[/blink]"
    assert "[bold]Title[/bold] [attainment]" in out
    assert "[red]x[/red] [link=https://e.vil]y[/link] \\x1b[31m" in out and "[1]" in out
    assert "\x1b" not in out


def test_words_are_never_folded() -> None:
    url = "https://example.org/" + "a" * 90
    assert wrap(f"see {url} (press)", 40) == ["see", url, "(press)"]
    assert wrap("one two three", 7, indent="> ", hang="  ") == ["> one", "  two", "  three"]
    assert cells("日本") == 4 and cells("e\u0301") == 1


def test_width_from_columns_or_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "132")
    assert terminal_width() == 132
    monkeypatch.delenv("COLUMNS")
    assert terminal_width() == 80  # pytest's captured output is no terminal


def test_a_streamed_table_prints_its_first_lines_before_reading_every_row() -> None:
    read = itertools.count()

    def rows():
        for i in range(100_000):
            next(read)
            yield {"n": i, "text": f"event {i}"}

    lines = table_pieces([Column("n", "#", "right"), Column("text", "what")], rows(),
                         width=80, stream=True)
    first = list(itertools.islice(lines, 3))
    # the first SAMPLE rows measured (the # column is 3 wide), not the rest
    assert first[2] == "  0  event 0\n" and next(read) <= 1_001


def test_the_demo_fits_80_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = run("demo")
    # (command lines and the signed note are printed as they are, to be copied)
    prose = [line for line in out.splitlines()
             if not line.startswith(("  outcomes ", "  — "))]
    assert too_wide("\n".join(prose), 80) == []


def test_a_terminal_gives_its_width_a_file_80(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import sys

    from outcomes.cli import table_width

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "fileno", lambda: 1, raising=False)
    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((200, 50)))
    assert terminal_width() == 200
    assert table_width(None) is None and table_width("-") is None  # the terminal's
    assert table_width("report.txt") == 80  # a file is read elsewhere: 80 columns
    monkeypatch.setenv("COLUMNS", "100")
    assert table_width("report.txt") == 100 and terminal_width() == 100


def test_a_split_table_repeats_its_heading_columns() -> None:
    # 5 columns of 4 to 13 cells (61 with gaps) cannot share 50 columns: cut in two, and
    # each part repeats the row's name (the first column) and the period (a heading one)
    columns = [Column("v", "Venture"), Column("p", "Period", heading=True),
               Column("a", "Lowest", "right"), Column("b", "Highest", "right"),
               Column("c", "Used", "right")]
    rows = [{"v": "cloudwatt", "p": "2013", "a": "97,485 EUR", "b": "100,000 EUR",
             "c": "97,485 EUR"},
            {"v": "cloudwatt", "p": "2014", "a": "1,000,000 EUR", "b": "3,000,000 EUR",
             "c": "3,000,000 EUR"}]
    out = to_table(columns, rows, width=50)
    headers = [line.split() for line in out.splitlines() if line.startswith("Venture")]
    assert len(headers) == 2
    assert all(h[:2] == ["Venture", "Period"] for h in headers)
    assert sorted(t for h in headers for t in h[2:]) == ["Highest", "Lowest", "Used"]
    assert out.count("cloudwatt  2014") == 2 and out.count("cloudwatt  2013") == 2
    assert all(cells(line) <= 50 for line in out.splitlines())


def test_a_figure_keeps_its_unit_and_a_no_break_space_holds() -> None:
    # "from 2,000,000 EUR to 6,000,000 EUR" at 30 cells broke as "6,000,000" / "EUR"
    assert wrap("11 claims, from 2,000,000 EUR to 6,000,000 EUR; the latest", 30) == [
        "11 claims, from 2,000,000 EUR", "to 6,000,000 EUR; the latest"]
    assert wrap("revenue 3.0 M EUR, down", 12) == ["revenue", "3.0 M EUR,", "down"]
    assert wrap("an attainment of 0.6 % only", 16) == ["an attainment of", "0.6 % only"]
    # French figures: babel's narrow no-break spaces (U+202F) between the digit groups and
    # a no-break space (U+00A0) before the euro sign are kept, never broken at
    french = "de 1\u202f000\u202f000\u00a0€ à 3\u202f000\u202f000\u00a0€ en 2014"
    assert wrap(french, 14) == ["de 1\u202f000\u202f000\u00a0€",
                                "à 3\u202f000\u202f000\u00a0€", "en 2014"]
    assert wrap(french, 8) == ["de", "1\u202f000\u202f000\u00a0€", "à",
                               "3\u202f000\u202f000\u00a0€", "en 2014"]
