"""Usage errors in one line, naming the command's --help, and -o names that no format has.

Click's own refusals (an unknown option, a bad choice, a value out of range, an unknown
command) used to print its usage block ("Usage: ... Try ... Error: ..."): four lines, where
every other refusal of the tool is one (README, "errors").
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from outcomes.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(("args", "expected"), [
    (["report", "roi", "--bogus"],
     "outcomes: error: No such option '--bogus'; see `main report roi --help`"),
    (["report", "roi", "-O", "xml"],
     "outcomes: error: Invalid value for '-O' / '--output-format': 'xml' is not one of "
     "'table', 'json', 'csv', 'markdown', 'html'; see `main report roi --help`"),
    (["serve", "--port", "0"],
     "outcomes: error: Invalid value for '--port' / '-p': 0 is not in the range "
     "1<=x<=65535; see `main serve --help`"),
    (["nosuch"], "outcomes: error: No such command 'nosuch'; see `main --help`"),
])
def test_click_usage_errors_are_one_line(args: list[str], expected: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.output == expected + "\n"


def test_a_group_alone_still_shows_its_help() -> None:
    result = run("report")
    assert result.exit_code == 2
    assert result.output.startswith("Usage: main report [OPTIONS] COMMAND [ARGS]...")
    assert "roi       Return on taxpayer investment" in result.output


@pytest.mark.parametrize(("args", "known"), [
    (["report", "roi"], ".csv, .html, .json, .md, .txt"),
    (["log"], ".csv, .json, .md, .txt"),
    (["history", "numergy"], ".csv, .json, .md, .txt"),
])
def test_an_output_file_no_format_has_is_refused(outcomes, tmp_path, args, known) -> None:
    target = tmp_path / "out.xlsx"
    result = outcomes(*args, "-o", str(target))
    assert result.exit_code == 2
    assert result.output == (f"outcomes: error: -o {target}: no output format is written as "
                             f"'.xlsx' files; name the file {known}, or give the format with "
                             "-O\n")
    assert not target.exists()


def test_report_html_a_name_without_extension_and_o_with_its_format(outcomes, tmp_path
                                                                     ) -> None:
    assert outcomes("report", "roi", "-o", str(tmp_path / "r.html")).exit_code == 0
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert outcomes("report", "roi", "-o", str(tmp_path / "plain")).exit_code == 0
    assert (tmp_path / "plain").read_text(encoding="utf-8").startswith(
        "Return on public investment")
    assert outcomes("report", "roi", "-O", "csv", "-o", str(tmp_path / "r.xlsx")).exit_code == 0
    assert (tmp_path / "r.xlsx").read_text(encoding="utf-8").startswith("scope,venture,")
