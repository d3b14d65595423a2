"""Output is inert: recorded text is shown, never obeyed (issue 10, point 4).

A corpus of hostile texts (terminal escape sequences, bidi overrides, rich markup, spreadsheet
formulas, Markdown rows and HTML) is recorded through `import`, `append` and `correct`; then
every format of `log`, `report roi | targets | timeline` and `history` must carry no control
or invisible character, show each text whole in its visible form (written out by hand below),
keep JSON exact, neutralise formulas in CSV (unless --csv-raw-formulas) and keep Markdown
tables to their rows. docs/reports.md, "What output escapes and why", states the rules.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from outcomes.ledger.inert import inert, json_inert, message_inert
from outcomes.projections.present.render import Column, csv_cell, render
from outcomes.projections.present.story import intro, verdict
from tests.conftest import BACKENDS, Outcomes

# (name, recorded text, how every table, CSV and Markdown cell shows it), by hand.
CORPUS = [
    ("csi", "\x1b[2J\x1b[H ledger verified OK", r"\x1b[2J\x1b[H ledger verified OK"),
    ("osc8", "\x1b]8;;https://e.vil/\x1b\\https://gov.fr/\x1b]8;;\x1b\\",
     r"\x1b]8;;https://e.vil/\x1b\\https://gov.fr/\x1b]8;;\x1b\\"),
    ("osc52", "\x1b]52;c;Y2FsYw==\x07", r"\x1b]52;c;Y2FsYw==\x07"),
    ("title", "\x1b]0;owned\x07 report", r"\x1b]0;owned\x07 report"),
    ("controls", "nul\x00 bel\x07 del\x7f csi\x9b2J nel\x85",
     r"nul\x00 bel\x07 del\x7f csi\x9b2J nel\x85"),
    ("bidi", "invoice \u202egnp.exe", r"invoice \u202egnp.exe"),
    ("zero-width", "pay\u200bpal", r"pay\u200bpal"),
    ("close", "[/]", "[/]"),
    ("bold", "[bold]x[/bold]", "[bold]x[/bold]"),
    ("paywall", "Les Echos [paywall]", "Les Echos [paywall]"),
    ("dde", "=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0"),
    ("plus", "+1+1", "+1+1"),
    ("minus", "-2+3", "-2+3"),
    ("at", "@SUM(A1)", "@SUM(A1)"),
    ("tab", "\t=1+1", r"\t=1+1"),
    ("cr", "\r=1+1", r"\r=1+1"),
    ("rows", "a|b\nc\r\n| d | e |", r"a|b\nc\r\n| d | e |"),
    ("html", "<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("backslash", "C:\\new\\x1b", r"C:\\new\\x1b"),
    ("french", "Caisse des Dépôts, 75\u202f000\u00a0€ 😀",
     "Caisse des Dépôts, 75\u202f000\u00a0€ 😀"),
]
# How CSV writes the cells a spreadsheet would run (OWASP: a leading quote).
GUARDED = {"dde": "'=cmd|' /C calc'!A0", "plus": "'+1+1", "minus": "'-2+3",
           "at": "'@SUM(A1)"}
APPENDED = ("appended", "\x1b]0;title\x07", r"\x1b]0;title\x07")  # through `append`
REASON = ("reason", "[/] \x1b[31mred", r"[/] \x1b[31mred")  # through `correct`
ACQUIRER = "[/]"  # VentureClosed's acquirer: the timeline's summary
CLAIMED = "\x1b[2J \u202e \"quoted\" \\ é"  # the source of the revenue claim used (roi)

FORMATS = ("table", "csv", "markdown", "json")
COMMANDS = {"log": ["log"], "roi": ["report", "roi", "--as-of", "2016-12-31"],
            "targets": ["report", "targets", "--as-of", "2016-12-31"],
            "timeline": ["report", "timeline", "--as-of", "2016-12-31"],
            "history": ["history", "alpha"]}
# The recorded texts each command shows: sources in the log, timeline and history.
SHOWS = {"log": CORPUS + [APPENDED, REASON], "timeline": CORPUS + [APPENDED],
         "history": CORPUS + [REASON], "roi": [], "targets": []}


def events() -> list[dict[str, Any]]:
    base = {"venture": "alpha", "source": "https://example.org/alpha"}
    out: list[dict[str, Any]] = [
        {"type": "ProgramRegistered", "id": "prog", "program": "p", "name": "P",
         "funder": "State", "occurred_on": "2015-01-05", "source": "https://example.org/p"},
        {"type": "VentureRegistered", "id": "v-alpha", "name": "Alpha", "program": "p",
         "occurred_on": "2015-02-01", **base},
        {"type": "FundingCommitted", "id": "commit", "amount": "100.00", "funder": "State",
         "occurred_on": "2015-02-02", **base},
        {"type": "FundingGranted", "id": "grant", "amount": "40.00", "funder": "State",
         "occurred_on": "2015-02-03", **base},
        {"type": "TargetSet", "id": "target", "metric": "customers", "value": "100",
         "due": "2016-12-31", "occurred_on": "2015-02-03", **base},
    ]
    for i, (_, text, _) in enumerate(CORPUS):
        day = f"2015-03-{i + 1:02d}"
        out.append({"type": "OfferLaunched", "id": f"offer-{i}", "venture": "alpha",
                    "offer": f"o{i}", "occurred_on": day, "source": text})
        out.append({"type": "MetricReported", "id": f"m-{i}", "venture": "alpha",
                    "metric": "customers", "value": i, "occurred_on": day, "source": text})
    for i, (revenue, source) in enumerate([("10", "=1+1"), ("12", CLAIMED)]):
        out.append({"type": "SalesReported", "id": f"sales-{i}", "venture": "alpha",
                    "period": "2015", "revenue": revenue, "occurred_on": f"2015-06-0{i + 1}",
                    "source": source})
    out.append({"type": "VentureClosed", "id": "close", "outcome": "acquired",
                "acquirer": ACQUIRER, "occurred_on": "2016-06-30", **base})
    return out


def record_corpus(outcomes: Outcomes, folder: Path) -> None:
    """The corpus, recorded through import, append and correct."""
    path = folder / "hostile.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events()), encoding="utf-8")
    for args in (["init"], ["import", str(path)],
                 ["append", "offer-launched", "--venture", "alpha", "--offer", "o-app",
                  "--occurred-on", "2015-04-01", "--source", APPENDED[1]],
                 ["correct", "m-1", "--set", "value=5", "--reason", REASON[1],
                  "--source", "https://example.org/fix", "--occurred-on", "2015-05-01"]):
        result = outcomes(*args)
        assert result.exit_code == 0, result.output


@pytest.fixture(scope="module", params=BACKENDS)
def printed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[tuple[str, ...], str]:
    """What every command prints in every format (and CSV with --csv-raw-formulas) from a
    ledger holding the corpus: run once per backend, read by the tests below."""
    folder = tmp_path_factory.mktemp("inert")
    with pytest.MonkeyPatch.context() as env:  # as conftest's _hermetic_env, for the module
        for name in ("OUTCOMES_DB", "OUTCOMES_READ_MODEL"):
            env.delenv(name, raising=False)
        env.setenv("OUTCOMES_ACTOR", "tester")
        if request.param == "postgres":
            server = request.getfixturevalue("postgres_server")
            database = server.create_database()
            request.addfinalizer(lambda: server.drop_database(database))
            outcomes = Outcomes(server.url_for(database))
        else:
            outcomes = Outcomes(folder / "ledger.db")
        record_corpus(outcomes, folder)
        out = {}
        for command, args in COMMANDS.items():
            for fmt, *extra in [(f,) for f in FORMATS] + [("csv", "--csv-raw-formulas")]:
                result = outcomes(*args, "-O", fmt, *extra)
                assert result.exit_code == 0 and result.stderr == "", result.output
                out[(command, fmt, *extra)] = result.stdout
    return out


def unsafe_characters(text: str) -> set[str]:
    """Characters a terminal or a reader could obey: controls but newline, invisible ones."""
    return {c for c in text if c != "\n" and unicodedata.category(c) in
            ("Cc", "Cf", "Cs", "Zl", "Zp")}


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


# -- every command, every format ----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", COMMANDS)
def test_no_control_or_invisible_character_reaches_the_output(printed, command, fmt):
    out = printed[command, fmt]
    assert unsafe_characters(out) == set()


def column(table: str, title: str) -> str:
    """The text of a table's (left-aligned) column, its wrapped lines put back together: a
    column of the grid, or one printed under each row (`    title: text`, its next lines
    indented by 6) when the table is too wide for the terminal."""
    lines = table.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.strip().startswith("─"))
    header = lines[rule - 1]
    if f" {title}" not in f" {header}":
        return detail(lines[rule + 1:], title)
    start = f" {header}".index(f" {title}")
    after = header[start + len(title):]
    end = start + len(title) + (len(after) - len(after.lstrip()) if after.strip() else 10**9)
    return "".join(line[start:end] for line in lines[rule + 1:])


def detail(lines: list[str], title: str) -> str:
    """The text of the details titled `title` under the rows (table.py, Layout.row)."""
    out, inside = [], False
    for line in lines:
        if line.startswith("      ") and inside:  # the item's next line
            out.append(line)
            continue
        inside = False
        if line.startswith("    ") and not line.startswith("     "):
            head = f"    {title}: "
            if line.startswith(head):
                out.append(line[len(head):])
                inside = True
            elif f"  {title}: " in line:  # a short item sharing its line
                out.append(line.split(f"  {title}: ", 1)[1])
                inside = True
    return " ".join(out)


def whole(shown: str, text: str) -> bool:
    """`shown` appears in `text`, whatever line breaks and padding folding put in it."""
    return "".join(shown.split()) in "".join(text.split())


@pytest.mark.parametrize(("command", "title"), [("log", "source"), ("timeline", "Source"),
                                                ("history", "source")])
def test_tables_show_each_text_whole_and_visible(printed, command, title):
    out = printed[command, "table"]
    sources = column(out, title)
    for name, _, shown in CORPUS:
        assert whole(shown, sources), name


@pytest.mark.parametrize("command", ["log", "timeline", "history"])
def test_json_keeps_each_text_exact(printed, command):
    out = printed[command, "json"]
    values = strings(json.loads(out))
    for name, text, _ in SHOWS[command]:
        assert text in values, name
    assert "\\u001b" in out and "\\u202e" in out and "\\u0085" in out  # escaped by JSON


def sources(rows: list[dict[str, str]]) -> list[str]:
    return [r["source"] for r in rows]


@pytest.mark.parametrize("command", ["log", "timeline", "history"])
def test_csv_cells_are_visible_and_formulas_neutralised(printed, command):
    shown = sources(csv_rows(printed[command, "csv"]))
    for name, _, visible in CORPUS:
        assert GUARDED.get(name, visible) in shown, name
    for cell in shown:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize("command", ["log", "timeline", "history"])
def test_csv_raw_formulas_keeps_formulas_but_not_controls(printed, command):
    shown = sources(csv_rows(printed[command, "csv", "--csv-raw-formulas"]))
    for name, _, visible in CORPUS:
        assert visible in shown, name
    assert "=cmd|' /C calc'!A0" in shown and "'=cmd|' /C calc'!A0" not in shown


def test_csv_numbers_stay_numbers(printed):
    """A negative amount is a number, not a formula: no quote (the net is -40.00 by hand)."""
    rows = csv_rows(printed["roi", "csv"])
    venture = next(r for r in rows if r["scope"] == "venture")
    assert venture["net"] == "-40.00"


def test_a_json_cell_in_csv_stays_json(printed):
    """The log's `changes` cell (a correction's) is JSON: inert as JSON is, parsed back;
    roi's CSV counts the disputed periods (their claims and sources: the timeline's)."""
    correction = next(r for r in csv_rows(printed["log", "csv"]) if r["type"] == "EventCorrected")
    assert json.loads(correction["changes"]) == {"value": 5}
    rows = csv_rows(printed["roi", "csv"])
    venture = next(r for r in rows if r["scope"] == "venture")
    assert venture["disputed_periods"] == "1"


def markdown_tables(text: str) -> list[list[list[str]]]:
    """The tables a CommonMark + GFM-tables renderer sees: rows of cell texts."""
    from html.parser import HTMLParser

    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script" not in html

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tables: list[list[list[str]]] = []
            self.cell: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag == "table":
                self.tables.append([])
            elif tag == "tr":
                self.tables[-1].append([])
            elif tag in ("td", "th"):
                self.cell = []
            elif self.cell is not None:
                raise AssertionError(f"markup <{tag}> in a cell")

        def handle_endtag(self, tag: str) -> None:
            if tag in ("td", "th") and self.cell is not None:
                self.tables[-1][-1].append("".join(self.cell))
                self.cell = None

        def handle_data(self, data: str) -> None:
            if self.cell is not None:
                self.cell.append(data)

    parser = Cells()
    parser.feed(html)
    return parser.tables


@pytest.mark.parametrize("command", ["log", "timeline", "history"])
def test_markdown_renders_each_text_as_one_cell(printed, command):
    """Rendered, the Markdown shows the same visible text as the table, in the right rows."""
    out = printed[command, "markdown"]
    [table] = markdown_tables(out)
    header, *rows = table
    assert len(rows) == len(csv_rows(printed[command, "csv"]))
    assert all(len(row) == len(header) for row in rows)
    shown = {row[header.index("source" if command != "timeline" else "Source")]
             for row in rows}
    for name, _, visible in CORPUS:
        assert visible in shown, name
    assert "&lt;script\\>" in out and "<script" not in out


def test_column_titles_and_markup_like_text_are_text(printed):
    """`[...]` is neither markup in a title nor in a cell (issue 15: the targets title)."""
    targets = printed["targets", "table"]
    assert "Actual [attainment of expected]" in targets
    log = printed["log", "table"]
    assert "Les Echos [paywall]" in log and "[bold]x[/bold]" in log and "[/]" in log
    assert whole(REASON[2], column(log, "what")) and whole(APPENDED[2], column(log, "source"))
    timeline = printed["timeline", "table"]
    assert whole("closed: acquired by [/]", column(timeline, "What"))


# -- messages -----------------------------------------------------------------------------


@pytest.mark.backends("sqlite")
def test_an_error_quoting_user_input_is_inert(outcomes):
    result = outcomes("history", "\x1b[2J\u202eevil")
    assert result.exit_code == 2
    assert unsafe_characters(result.stderr) == set()
    assert r"\x1b[2J\u202eevil" in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.backends("sqlite")
def test_an_error_naming_a_hostile_file_is_inert(outcomes, tmp_path):
    path = tmp_path / "x\x1b]0;t\x07.jsonl"
    path.write_text("{not json\n", encoding="utf-8")
    result = outcomes("import", str(path))
    assert result.exit_code == 2
    assert unsafe_characters(result.stderr) == set()
    assert r"x\x1b]0;t\x07.jsonl:1" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.backends("sqlite")
def test_a_failed_verify_prints_its_message_inert(outcomes, monkeypatch):
    """Whatever a failure names (a stored value, an id), it reaches the terminal inert."""
    import outcomes.ledger.verify as verify_module

    class Failed:
        ok = False

        def message(self) -> str:
            return "position 3: source '\x1b]52;c;eA==\x07' \u202e\nverified OK"

        def to_json(self) -> dict[str, Any]:
            return {"ok": False, "problem": "\x1b[2J\u202e\x9b"}

    monkeypatch.setattr(verify_module, "verify", lambda *args, **kwargs: Failed())
    result = outcomes("verify", "-O", "json")
    assert result.exit_code == 1
    assert unsafe_characters(result.output) == set()
    assert json.loads(result.stdout)["problem"] == "\x1b[2J\u202e\x9b"
    [line] = result.stderr.splitlines()
    assert line == r"outcomes: verify failed: position 3: source '\x1b]52;c;eA==\x07' \u202e\n" \
                   "verified OK"


def test_the_demo_story_shows_recorded_text_inert():
    roi = {"programs": [{"program": "p", "currency": "EUR", "public_committed": "1000000"}],
           "ventures": [{"venture": "alpha", "program": "p"}], "as_of": "2016-12-31"}
    text = intro({"program": "p", "funder": "\x1b]0;x\x07State"}, roi, 3, "a file")
    assert text.startswith(r"\x1b]0;x\x07State committed 1.0 M EUR")
    target = {"currency": "EUR", "initial": {"value": "100", "due": "2016-12-31"},
              "series": [], "status": "no data", "venture": "alpha"}
    row = {"public_granted": "1", "public_committed": "2", "returned": "0",
           "residual_value": None}
    line = verdict(target, row, {"date": "2016-06-30",
                                 "summary": "closed: acquired by \x1b[2J\u202e"})
    assert r"it ended on 2016-06-30 (acquired by \x1b[2J\u202e)" in line
    assert unsafe_characters(line) == set()


# -- the escaping rules themselves ----------------------------------------------------------


def test_inert_escapes_every_unsafe_character_as_python_writes_it():
    assert inert("\x1b\x00\x7f\x9b\n\r\t\\") == r"\x1b\x00\x7f\x9b\n\r\t\\"
    assert inert("\u202e\u2066\u200b\u200d\u00ad\ufeff\u2028\u2029") == \
        r"\u202e\u2066\u200b\u200d\xad\ufeff\u2028\u2029"
    assert inert("\U000e0041\ud800") == r"\U000e0041\ud800"  # a tag character, a surrogate
    kept = "é € 😀 中文 \u00a0\u202f Ελληνικά עברית"  # letters, emoji, no-break spaces: as is
    assert inert(kept) == kept


def test_inert_covers_every_unsafe_character_of_the_bmp():
    """The fast search class lists the BMP's unsafe characters: check it against Unicode."""
    for code in range(0x10000):
        char = chr(code)
        unsafe = unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        assert (inert(char) != char) == (unsafe or char == "\\"), hex(code)


def test_json_inert_is_the_same_data():
    text = "\x7f\x85\u202e\u200b\U000e0041 é 😀"
    encoded = json_inert(json.dumps({"s": text}, ensure_ascii=False))
    assert unsafe_characters(encoded) == set()
    assert encoded == '{"s": "\\u007f\\u0085\\u202e\\u200b\\udb40\\udc41 é 😀"}'
    assert json.loads(encoded) == {"s": text}


def test_message_inert_keeps_backslashes_of_repr():
    assert message_inert("value '\\x1b' and \x1b\n") == "value '\\x1b' and \\x1b\\n"


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@A1", "'@A1"), ("-", "'-"),
    ("\t=1", "\\t=1"), ("-5", "-5"), ("-5.25", "-5.25"), (-5, "-5"), (-0.25, "-0.25"),
    (-1e-06, "-1e-06"), ("a=b", "a=b"), (None, ""),
])
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


def test_a_long_cell_is_wrapped_whole():
    """A cell longer than the table's width is wrapped over lines at spaces, every
    character kept; a word wider than the table stands alone on its line, whole."""
    text = "".join(f"word{i} " for i in range(5000)) + "x" * 1000
    out = render([Column("c", "c")], [{"c": text}], "table")
    lines = out.splitlines()
    assert len(lines) > 100 and max(map(len, lines[:-1])) <= 80 and lines[-1] == "x" * 1000
    assert "".join(column(out, "c").split()) == "".join(text.split())


@pytest.mark.backends("sqlite")
def test_verify_proof_prints_a_hostile_event_inert(outcomes, tmp_path):
    """A proof is anyone's file: the event it proves is printed as inert JSON, exact."""
    record_corpus(outcomes, tmp_path)
    keyfile = tmp_path / "ledger.key"
    vkey = outcomes("keygen", "example.org/ledger", "-o", str(keyfile)).stdout.strip()
    signed = tmp_path / "checkpoint.txt"
    signed.write_text(outcomes("checkpoint", "--sign", str(keyfile)).stdout, encoding="utf-8")
    for i, (name, text, _) in enumerate(CORPUS[:7]):  # the escape sequences and controls
        proof = outcomes("prove", f"offer-{i}", "--checkpoint", str(signed)).stdout
        result = outcomes("verify-proof", "-", "--key", vkey, input=proof)
        assert result.exit_code == 0, result.output
        assert unsafe_characters(result.output) == set(), name
        assert json.loads(result.stdout)["source"] == text, name


@pytest.mark.backends("sqlite")
def test_export_is_inert_and_imports_back_the_same_text(outcomes, tmp_path):
    """`export` to a terminal obeys nothing either: every unsafe character JSON would
    write raw (C1 CSI, bidi override) is a \\uXXXX escape, and the file imports back into
    a new ledger as the same events."""
    record_corpus(outcomes, tmp_path)
    exported = outcomes("export")
    assert exported.exit_code == 0
    assert unsafe_characters(exported.stdout) == set()
    assert "\\u202e" in exported.stdout and "\\u009b" in exported.stdout
    copy = Outcomes(tmp_path / "copy.db")
    assert copy("init").exit_code == 0
    (tmp_path / "e.jsonl").write_text(exported.stdout, encoding="utf-8")
    assert copy("import", str(tmp_path / "e.jsonl")).exit_code == 0
    assert copy("export").stdout == exported.stdout
    texts = {s for line in exported.stdout.splitlines() for s in strings(json.loads(line))}
    assert {text for _, text, _ in CORPUS} <= texts  # each text exact once parsed


def test_a_hostile_file_name_is_echoed_inert(tmp_path):
    """A ledger or output path is text too: `init`, `export -o` and `rebuild` echo it
    escaped, in one line (a file name may hold ESC or a newline)."""
    name = "a\x1b[2Jb\nc"
    store = Outcomes(tmp_path / f"{name}.db")
    created = store("init")
    assert created.exit_code == 0
    assert created.stdout == f"ledger ready at {tmp_path}/a\\x1b[2Jb\\nc.db (0 events)\n"
    exported = store("export", "-o", str(tmp_path / f"{name}.jsonl"))
    assert exported.exit_code == 0
    assert exported.stderr == f"exported 0 events to {tmp_path}/a\\x1b[2Jb\\nc.jsonl\n"
    rebuilt = store("rebuild")
    assert rebuilt.exit_code == 0 and unsafe_characters(rebuilt.stdout) == set()
