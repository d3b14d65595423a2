"""Rendering rows for people (aligned tables) and for other tools (JSON, CSV, Markdown).

Every command that prints rows goes through `render`; `-o FILE` picks the format from the
file's extension (`format_for`). Recorded text is anyone's: every format shows it inert
(`inert`, `json_inert`), so no cell can drive a terminal, forge a row or run as a formula
(docs/reports.md, "What output escapes and why").
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from outcomes.ledger.inert import inert, json_inert
from outcomes.projections.present.localize import DEFAULT

EXTENSIONS = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown",
              ".txt": "table"}


def format_for(path: str | None, requested: str | None) -> str:
    """The output format: as requested, else from the -o file's extension, else a table."""
    if requested:
        return requested
    if path:
        for ext, fmt in EXTENSIONS.items():
            if path.lower().endswith(ext):
                return fmt
    return "table"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    align: str = "left"  # "right" for figures


def to_json(value: Any) -> str:
    """JSON with exact decimals written as strings, one record per line.

    The top level is indented; each record (an event, a venture's row, a target with its
    series) is written compactly on its own line. Readable, easy to grep, and fast: Python
    only uses its C encoder without indentation, and a fully indented million-row
    document would be built from tens of millions of small strings.
    """
    if isinstance(value, dict):
        lines = [f"  {_COMPACT.encode(key)}: {_records(item, '  ')}" for key, item in value.items()]
        return json_inert("{\n" + ",\n".join(lines) + "\n}\n" if lines else "{}\n")
    return json_inert(_records(value, "") + "\n")


def _records(value: Any, indent: str) -> str:
    if isinstance(value, list) and value:
        rows = ",\n".join(f"{indent}  {_COMPACT.encode(item)}" for item in value)
        return f"[\n{rows}\n{indent}]"
    return _COMPACT.encode(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


_COMPACT = json.JSONEncoder(ensure_ascii=False, default=_json_default)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return str(value)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def csv_cell(value: Any, *, formulas: bool = False) -> str:
    """An inert CSV cell. A spreadsheet runs a cell starting with = + - @ (or tab, CR) as a
    formula: such a cell gets a leading `'` (OWASP), unless it is a plain number such as
    `-5.00`, or `formulas` is set (for tools that want the text as recorded)."""
    # a list or an object is a JSON cell: inert as JSON is, so that tools can still parse it
    text = json_inert(_cell(value)) if isinstance(value, dict | list) else inert(_cell(value))
    if not formulas and text.startswith(FORMULA_START) and not NUMBER_RE.fullmatch(text):
        return "'" + text
    return text


def to_csv(columns: Sequence[Column], rows: Sequence[dict[str, Any]], *,
           formulas: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(c.key, formulas=formulas) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(row.get(c.key), formulas=formulas) for c in columns])
    return out.getvalue()


# Characters Markdown (CommonMark, GFM tables, Python-Markdown) would read as a cell
# border, HTML, a link, emphasis, code or a quote; `\\` too, so escapes stay escapes.
# `<` and `&` become entities: Python-Markdown does not take `\<` as an escape.
_MARKDOWN = str.maketrans({"\\": "\\\\", "|": "\\|", "[": "\\[", "]": "\\]", "*": "\\*",
                           "`": "\\`", ">": "\\>", "&": "&amp;", "<": "&lt;"})


def markdown_text(text: str) -> str:
    """Inert text that Markdown renders as itself: one line, no HTML, no markup."""
    return inert(text).translate(_MARKDOWN)


def to_markdown(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(markdown_text(c.title) for c in columns) + " |",
             "|" + "|".join("---:" if c.align == "right" else "---" for c in columns) + "|"]
    lines += ["| " + " | ".join(markdown_text(_cell(row.get(c.key))) for c in columns) + " |"
              for row in rows]
    return "\n".join(lines) + "\n"


def to_table(columns: Sequence[Column], rows: Sequence[dict[str, Any]],
             title: str | None = None) -> str:
    """An aligned plain-text table (rich), as wide as its content.

    Cells and titles are rich `Text`, never markup (`[paywall]` is text); each cell renders
    line by line (`_folded_class`), so a long cell costs time in proportion to its size.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=_folded(title) if title is not None else None,
                  box=box.SIMPLE_HEAD, title_justify="left", expand=False)
    for c in columns:
        table.add_column(_folded(c.title), justify=c.align,  # type: ignore[arg-type]
                         overflow="fold")
    for row in rows:
        table.add_row(*(_folded(_cell(row.get(c.key))) for c in columns))
    console = Console(width=200, file=io.StringIO(), color_system=None, soft_wrap=False,
                      markup=False, emoji=False, highlight=False)
    with console.capture() as capture:
        console.print(table)
    return "\n".join(line.rstrip() for line in capture.get().splitlines()) + "\n"


@functools.cache
def _folded_class() -> type:
    """rich's Text, rendered one segment per wrapped line.

    Text joins a cell's wrapped lines into one segment that rich then splits line by line,
    copying the rest of the text each time: quadratic (a 10 MB source took 75 s in `log`).
    """
    from rich.measure import Measurement
    from rich.segment import Segment
    from rich.text import Text

    class Folded(Text):
        def __rich_measure__(self, console: Any, options: Any) -> Measurement:
            text = self.plain
            if not text.isascii():
                return super().__rich_measure__(console, options)
            # inert ASCII text is printable: one cell per character, measured in C
            longest = max(map(len, text.splitlines()), default=0)
            return Measurement(max(map(len, text.split()), default=longest), longest)

        def __rich_console__(self, console: Any, options: Any) -> Any:
            lines = self.wrap(console, options.max_width,
                              justify=self.justify or options.justify or "default",
                              overflow=self.overflow or options.overflow or "fold",
                              no_wrap=bool(options.no_wrap))
            for i, line in enumerate(lines):
                if i:
                    yield Segment.line()
                yield from line.render(console)
            if self.end:
                yield Segment(self.end)

    return Folded


def _folded(text: str) -> Any:
    """A table cell or title: inert text, never markup (rich is imported on first use)."""
    return _folded_class()(inert(text))


def render(columns: Sequence[Column], rows: Sequence[dict[str, Any]], fmt: str, *,
           document: Any = None, title: str | None = None, formulas: bool = False) -> str:
    """Rows in the given format; JSON writes `document` when given (the contract's shape).

    `formulas`: CSV cells that look like formulas are written as they are (see csv_cell).
    """
    if fmt == "json":
        return to_json(rows if document is None else document)
    if fmt == "csv":
        return to_csv(columns, rows, formulas=formulas)
    if fmt == "markdown":
        return to_markdown(columns, rows)
    return to_table(columns, rows, title)


# -- figures for people ----------------------------------------------------------------------
# In the tool's own, locale-free style; projections/present/localize.py (`figures(locale)`)
# writes the same figures for a reader's locale.

money = DEFAULT.money
count = DEFAULT.count
compact = DEFAULT.compact
percent = DEFAULT.percent
times = DEFAULT.times
budget = DEFAULT.budget
