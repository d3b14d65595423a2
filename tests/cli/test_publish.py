"""`outcomes publish`, `demo --publish` and `report ... -O html` (issue 15): the pages, their
figures, the escaping of recorded text and the no-network property, without a browser
(tests/browser/ opens the same site in Chromium)."""

from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from outcomes.cli import main
from outcomes.fixtures import path as fixture_path
from tests.conftest import Outcomes

FIXTURE = fixture_path("cloud-souverain.jsonl")
LINES = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
PAGES = {"index.html", "integrity.html", "program-pia-cloud-souverain.html",
         "venture-cloudwatt.html", "venture-numergy.html"}
DATA = {"data/roi.json", "data/targets.json", "data/timeline.json", "data/checkpoint.txt",
        "data/history-cloudwatt.json", "data/history-numergy.json",
        "data/ledger.archive.jsonl"}
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>\u202e&amp;'


def files(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


def text(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """`outcomes demo --db L --publish DIR`: the site, the kept ledger and the output."""
    root = tmp_path_factory.mktemp("demo")
    site, db = root / "site", root / "cloud.db"
    result = CliRunner().invoke(main, ["demo", "--db", str(db), "--publish", str(site)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return site, db, result.output


@pytest.fixture
def fixture_ledger(tmp_path: Path) -> Outcomes:
    run = Outcomes(tmp_path / "l.db")
    assert run("init").exit_code == 0
    result = run("import", str(FIXTURE))
    assert result.exit_code == 0, result.output
    return run


def test_demo_publish_writes_every_page(demo_site: tuple[Path, Path, str]) -> None:
    site, _, output = demo_site
    assert files(site) == PAGES | DATA
    assert f"The published report: 5 pages in {site}" in output
    index = text(site, "index.html")
    # the demo's verdicts, in plain words, then the return on investment
    assert index.index("promised 500.0 M EUR of revenue a year by 2017") < \
        index.index("Return on public investment")
    assert "Target missed." in index and "33,300,000 EUR (estimate)" in index
    for venture in ("cloudwatt", "numergy"):
        assert f'href="venture-{venture}.html"' in index
    cloudwatt = text(site, "venture-cloudwatt.html")
    assert "cloudwatt: revenue against the initial target" in cloudwatt
    assert "Revision 1 (set 2015-01-12)" in cloudwatt  # the revised target, drawn dashed
    assert "claim used of 7, from 1,000,000 EUR to 3,000,000 EUR (press)" in cloudwatt
    assert "Logarithmic value axis" in cloudwatt  # 97,485 EUR to 500 M EUR
    assert "cloudwatt: revenue 2014, as recorded" in cloudwatt  # a restated figure
    assert "acquired by Orange" in cloudwatt  # the timeline, with its sources as links
    assert '<a href="https://itforbusiness.fr/?p=734" rel="noreferrer noopener">' in cloudwatt


def test_demo_site_data_are_the_reports(demo_site: tuple[Path, Path, str]) -> None:
    site, db, _ = demo_site
    published = json.loads(text(site, "data/roi.json"))
    run = Outcomes(db)
    result = run("report", "roi", "--as-of", published["as_of"], "-O", "json")
    again = json.loads(result.output)
    assert {k: v for k, v in published.items() if k != "known_at"} == \
        {k: v for k, v in again.items() if k != "known_at"}


def test_demo_integrity_page_checkpoint_verifies(demo_site: tuple[Path, Path, str]) -> None:
    site, db, output = demo_site
    # (the demo's prose is wrapped to the terminal's width)
    vkey = re.search(r"verifier key is (\S+)\):", " ".join(output.split())).group(1)
    page = text(site, "integrity.html")
    note = text(site, "data/checkpoint.txt")
    assert note.splitlines()[1] == "56"  # origin, size, root, blank line, signature
    assert f"--checkpoint data/checkpoint.txt --key {vkey}" in page
    assert f'<pre class="note">{note.rstrip()}</pre>' in page  # line by line, as signed
    result = Outcomes(db)("verify", "--checkpoint", str(site / "data/checkpoint.txt"),
                          "--key", vkey)
    assert result.exit_code == 0, result.output


def test_charts_draw_one_point_per_data_row(demo_site: tuple[Path, Path, str]) -> None:
    site, _, _ = demo_site
    charts = 0
    for name in PAGES:
        page = text(site, name)
        for figure in re.findall(r'<figure class="chart".*?</figure>', page, re.DOTALL):
            charts += 1
            marks = re.search(r'points_marks"[^>]*>(.*?)</g>', figure, re.DOTALL).group(1)
            rows = re.search(r"<tbody>(.*?)</tbody>", figure, re.DOTALL).group(1)
            assert marks.count("<path") == rows.count("<tr>") > 0, name
            assert 'role="img" aria-label="' in figure and "<desc>" in figure
    # overview 1, program 1, each venture: money, 2 targets, restated figures
    assert charts >= 8


def test_roi_tables_fit_a_laptop(demo_site: tuple[Path, Path, str]) -> None:
    """With one program, the overview's and the program page's roi tables leave out the
    Program column (the "all of" row and the page name it), and a slug is never broken at
    its hyphens (each word of a venture or program cell stays on one line)."""
    site, _, _ = demo_site
    for name in ("index.html", "program-pia-cloud-souverain.html"):
        table = re.search(r"<table>.*?</table>", text(site, name), re.DOTALL).group()
        heads = re.findall(r'<th scope="col" class="\w+">([^<]*)</th>', table)
        assert heads == ["Venture", "Committed", "Paid (public)", "Paid (private)",
                         "Returned", "Residual", "Net", "Multiple", "IRR"], name
        assert ('<a href="program-pia-cloud-souverain.html"><span class="word">all</span> '
                '<span class="word">of</span> <span class="word">pia-cloud-souverain</span>'
                '</a>') in table
    assert ".word { white-space: nowrap; }" in text(site, "index.html")


def test_money_legend_lists_only_the_figures_drawn(demo_site: tuple[Path, Path, str]) -> None:
    """The demo returned 0 and its residual values are unknown: neither has a bar, so the
    legend does not list them, and a note under the chart says why."""
    site, _, _ = demo_site
    for name in ("index.html", "venture-cloudwatt.html"):
        figure = re.search(r'<figure class="chart" id="money-.*?</figure>', text(site, name),
                           re.DOTALL).group()
        svg = re.search(r"<svg .*?</svg>", figure, re.DOTALL).group()
        labels = re.findall(r">([^<>]+)</text>", svg)
        assert {"Committed (public)", "Paid (public)", "Paid (private)"} <= set(labels)
        assert "Returned" not in labels and "Residual value" not in labels, name
        assert "Returned: 0 for each, so no bar (not in the legend)." in figure


def test_publish_signs_with_a_key_and_the_reader_verifies(fixture_ledger: Outcomes,
                                                          tmp_path: Path) -> None:
    key = tmp_path / "ledger.key"
    vkey = CliRunner().invoke(main, ["keygen", "example.org/cloud", "-o", str(key)]
                              ).output.splitlines()[0]
    site = tmp_path / "site"
    result = fixture_ledger("publish", str(site), "--key", str(key))
    assert result.exit_code == 0, result.output
    assert result.output == f"published 5 pages to {site} (open {site}/index.html)\n"
    assert files(site) == PAGES | DATA
    assert text(site, "data/checkpoint.txt").startswith("example.org/cloud\n56\n")
    assert vkey in text(site, "integrity.html")
    assert fixture_ledger("verify", "--checkpoint", str(site / "data/checkpoint.txt"),
                          "--key", vkey).exit_code == 0
    # a reader with the site alone: its archive extends its signed checkpoint, as the
    # integrity page says; the same archive with one event's text changed does not
    page = text(site, "integrity.html")
    command = (f"outcomes verify --archive data/ledger.archive.jsonl --checkpoint "
               f"data/checkpoint.txt --key {vkey}")
    assert command in page and '<a href="data/ledger.archive.jsonl">' in page
    args = command.split()[1:]  # no --db: no store at all
    args[2], args[4] = str(site / args[2]), str(site / args[4])
    assert CliRunner().invoke(main, args).exit_code == 0
    archive = (site / "data/ledger.archive.jsonl").read_bytes()
    assert archive.count(b"Cloudwatt") > 0
    (site / "data/ledger.archive.jsonl").write_bytes(archive.replace(b"Cloudwatt",
                                                                     b"Cl0udwatt", 1))
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "does not match the hash" in result.output


def test_publish_without_the_archive(fixture_ledger: Outcomes, tmp_path: Path) -> None:
    assert fixture_ledger("publish", str(tmp_path / "s"), "--no-archive").exit_code == 0
    assert files(tmp_path / "s") == PAGES | DATA - {"data/ledger.archive.jsonl"}
    page = text(tmp_path / "s", "integrity.html")
    assert "data/ledger.archive.jsonl" not in page and "outcomes export --archive" in page


def test_publish_unsigned_shows_the_checkpoint(fixture_ledger: Outcomes,
                                               tmp_path: Path) -> None:
    checkpoint = fixture_ledger("checkpoint").output.strip()
    assert fixture_ledger("publish", str(tmp_path / "s")).exit_code == 0
    page = text(tmp_path / "s", "integrity.html")
    assert f"verify --checkpoint {checkpoint}" in page and "not signed" in page
    assert text(tmp_path / "s", "data/checkpoint.txt") == checkpoint + "\n"


def test_publish_one_venture_as_of_a_date(fixture_ledger: Outcomes, tmp_path: Path) -> None:
    site = tmp_path / "s"
    result = fixture_ledger("publish", str(site), "--venture", "cloudwatt", "--as-of",
                            "2014-12-31", "--known-at", "2030-01-01")
    assert result.exit_code == 0, result.output
    # one venture: no program's totals, so no program page
    assert files(site) == {"index.html", "integrity.html", "venture-cloudwatt.html",
                           "data/roi.json", "data/targets.json", "data/timeline.json",
                           "data/checkpoint.txt", "data/history-cloudwatt.json",
                           "data/ledger.archive.jsonl"}
    expected = fixture_ledger("report", "roi", "--venture", "cloudwatt", "--as-of",
                              "2014-12-31", "--known-at", "2030-01-01", "-O", "json").output
    assert text(site, "data/roi.json") == expected
    assert "Figures as of 2014-12-31, as known at 2030-01-01" in text(site, "index.html")
    # Cloudwatt's exit (2015) is after the date: not in the timeline
    assert "acquired by Orange" not in text(site, "venture-cloudwatt.html")


def test_publish_refuses_a_folder_of_other_files(fixture_ledger: Outcomes,
                                                 tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = fixture_ledger("publish", str(tmp_path))
    assert result.exit_code == 2
    assert "is not empty and holds no site published before" in result.output
    assert (tmp_path / "notes.txt").read_text() == "mine"
    # a site published before is written over
    assert fixture_ledger("publish", str(tmp_path / "s")).exit_code == 0
    assert fixture_ledger("publish", str(tmp_path / "s")).exit_code == 0


def test_missing_chart_libraries_are_named(fixture_ledger: Outcomes, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # as if not installed
    result = fixture_ledger("publish", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert 'pip install "outcomes[publish]"' in result.output
    assert not (tmp_path / "s").exists()


def _hostile_ledger(tmp_path: Path) -> Outcomes:
    lines = []
    for raw in LINES:
        raw = dict(raw)
        raw["source"] = f"{HOSTILE} https://example.org/a?b=1&c=<b>2</b> javascript:alert(1)"
        for name in ("name", "funder", "acquirer", "partner", "offer", "note"):
            if name in raw:
                raw[name] = f"{raw[name]} {HOSTILE}"
        lines.append(json.dumps(raw))
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n")
    run = Outcomes(tmp_path / "h.db")
    assert run("init").exit_code == 0
    assert run("import", str(path)).exit_code == 0
    return run


def _assert_inert(page: str) -> None:
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "\u202e" not in page  # shown as \u202e, never acting on the text around it
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" \
        "\\u202e&amp;amp;" in page
    assert 'href="javascript' not in page
    # the address in the text is a link, cut where the markup starts, and escaped
    assert '<a href="https://example.org/a?b=1&amp;c=" rel="noreferrer noopener">' in page


def test_recorded_text_is_escaped_everywhere(tmp_path: Path) -> None:
    run = _hostile_ledger(tmp_path)
    site = tmp_path / "s"
    assert run("publish", str(site), "--title", HOSTILE).exit_code == 0
    for name in PAGES:
        page = text(site, name)
        assert "<script" not in page and "<img" not in page and "\u202e" not in page
    _assert_inert(text(site, "venture-cloudwatt.html"))
    _assert_inert(text(site, "program-pia-cloud-souverain.html"))
    assert run("report", "timeline", "-o", str(tmp_path / "t.html")).exit_code == 0
    _assert_inert(text(tmp_path, "t.html"))


ADDRESS = re.compile(r"https?://[^\s\"'<>`]+")


def _sources_addresses() -> set[str]:
    return {m.group().rstrip(".,;:)]") for raw in LINES
            for m in ADDRESS.finditer(raw["source"] + " " + raw.get("note", ""))}


def test_site_fetches_nothing(demo_site: tuple[Path, Path, str]) -> None:
    """No page names an address but the sources' own links: no CDN, no font, no script."""
    site, _, _ = demo_site
    allowed = _sources_addresses()
    for name in files(site):
        page = text(site, name)
        for m in ADDRESS.finditer(page):
            assert m.group().rstrip(".,;:)]").replace("&amp;", "&") in allowed, (name, m.group())
        if name.endswith(".html"):
            assert not re.search(r"<(script|link|iframe|object|embed|img|video|audio|source)\b",
                                 page), name
            assert not re.search(r"\b(src|srcset|xlink:href)\s*=", page), name
            assert "url(" not in page and "@import" not in page and "@font-face" not in page
            for href in re.findall(r'href="([^"]*)"', page):
                assert href.startswith(("https://", "http://", "#")) or \
                    (site / href.split("#")[0]).is_file(), (name, href)
            assert "default-src 'none'" in page  # and the browser holds the page to it


@pytest.mark.parametrize("kind", ["roi", "targets", "timeline"])
def test_report_as_one_html_page(fixture_ledger: Outcomes, tmp_path: Path, kind: str) -> None:
    out = tmp_path / f"{kind}.html"
    when = ["--as-of", "2016-12-31", "--known-at", "2030-01-01"]
    assert fixture_ledger("report", kind, *when, "-o", str(out)).exit_code == 0
    page = out.read_text()
    by_option = fixture_ledger("report", kind, *when, "-O", "html").output
    assert page == by_option
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r'href="(?!https?://|#)', page)  # one file: no link to a page
    charts = page.count('<figure class="chart"')
    assert charts == {"roi": 1, "targets": 4, "timeline": 0}[kind]
    if kind == "roi":
        assert "33,300,000 EUR" in page and "Return on public investment, as of 2016-12-31" \
            in page
    if kind == "targets":
        assert "numergy: revenue against the initial target" in page
    if kind == "timeline":
        assert "acquired by SFR" in page


def test_publish_for_french_readers(fixture_ledger: Outcomes, tmp_path: Path) -> None:
    when = ["--as-of", "2016-12-31", "--known-at", "2030-01-01"]
    assert fixture_ledger("publish", str(tmp_path / "en"), *when).exit_code == 0
    result = fixture_ledger("--locale", "fr_FR", "publish", str(tmp_path / "fr"), *when)
    assert result.exit_code == 0, result.output
    page = text(tmp_path / "fr", "venture-cloudwatt.html")
    # babel's French: a narrow no-break space between groups, the euro sign after
    roi = page.split('<section aria-labelledby="roi">')[1].split("</section>")[0]
    assert "33\u202f300\u202f000\u00a0€" in roi and "EUR" not in roi
    # (the timeline's one-line summaries are the document's own text, locale-free)
    assert "20 avr. 2012" in page
    # the data files are the same documents, locale-free
    for name in ("data/roi.json", "data/targets.json", "data/timeline.json"):
        assert text(tmp_path / "fr", name) == text(tmp_path / "en", name)
    html = fixture_ledger("report", "roi", *when, "-O", "html", "--locale", "fr_FR").output
    assert "33\u202f300\u202f000\u00a0€" in html
    assert fixture_ledger("publish", str(tmp_path / "x"), "--locale", "xx_YY").exit_code == 2


def test_a_money_chart_of_many_ventures_keeps_the_largest() -> None:
    from outcomes.projections.folds.roi import Money, Rate
    from outcomes.projections.present.documents import roi_figures, roi_row, venture_head
    from outcomes.projections.present.localize import DEFAULT
    from outcomes.projections.present.site import MAX_BARS, _money_chart

    ventures = [roi_row(venture_head(f"v{n:02d}", "p", "EUR"),
                        roi_figures(Money(public_committed=Decimal(n * 1000))), Rate(None, None),
                        {}) for n in range(1, 26)]
    roi = {"as_of": "2020-01-01", "known_at": None, "ventures": ventures, "programs": []}
    chart = _money_chart("m", "Money", roi, [v["venture"] for v in ventures], [], [], DEFAULT)
    drawn = {r["who"] for r in chart.rows}
    assert drawn == {f"v{n:02d}" for n in range(6, 26)} and len(drawn) == MAX_BARS
    assert chart.notes[0].startswith("The 20 ventures with the most public money committed")
    assert chart.svg.count("<path") > 0


def test_restatements_over_the_recording_time(fixture_ledger: Outcomes, tmp_path: Path) -> None:
    import freezegun

    with freezegun.freeze_time("2031-05-04 10:00:00"):
        result = fixture_ledger("correct", "cloudwatt-revenue-2014-channelnews-21360",
                                "--set", "revenue=2500000", "--reason", "restated",
                                "--source", "https://example.org/restated",
                                "--occurred-on", "2015-01-01")
        assert result.exit_code == 0, result.output
    assert fixture_ledger("publish", str(tmp_path / "s")).exit_code == 0
    page = text(tmp_path / "s", "venture-cloudwatt.html")
    figure = page.split('id="history-cloudwatt-revenue-2014"')[1].split("</figure>")[0]
    assert "Recorded (UTC)" in figure and "2031-05-04T10:00:00" in figure
    assert "correction of cloudwatt-revenue-2014-channelnews-21360" in figure
    # a figure recorded at one moment (the import) keeps the ledger's order
    other = page.split('id="history-cloudwatt-revenue-2013"')[1].split("</figure>")[0]
    assert "Recorded (position in the ledger, all at one moment)" in other
