"""Rendering rows for people (aligned tables) and for other tools (JSON, CSV, Markdown).

Every command that prints rows goes through `render`; `-o FILE` picks the format from the
file's extension (`format_for`). Recorded text is anyone's: every format shows it inert
(`inert`, `json_inert`), so no cell can drive a terminal, forge a row or run as a formula
(docs/reports.md, "What output escapes and why").
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from outcomes.ledger.errors import LedgerError
from outcomes.ledger.inert import inert, json_inert
from outcomes.projections.present.localize import DEFAULT

EXTENSIONS = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown",
              ".txt": "table"}
# A report also writes one standalone page (docs/publish.md).
REPORT_EXTENSIONS = {**EXTENSIONS, ".html": "html", ".htm": "html"}


def format_for(path: str | None, requested: str | None,
               extensions: dict[str, str] = EXTENSIONS) -> str:
    """The output format: as requested, else from the -o file's extension, else a table.

    An extension none of the formats has (`-o roi.xlsx`) is refused rather than filled with
    a table: the file would not be what its name says. A name with no extension is a table.
    """
    if requested:
        return requested
    if path:
        for ext, fmt in extensions.items():
            if path.lower().endswith(ext):
                return fmt
        suffix = PurePath(path).suffix
        if suffix:
            known = ", ".join(sorted(set(extensions) - {".markdown", ".htm"}))
            raise LedgerError(f"-o {path}: no output format is written as {suffix!r} files; "
                              f"name the file {known}, or give the format with -O")
    return "table"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    align: str = "left"  # "right" for figures
    # Tables: whether a cell may be broken at spaces (default: left-aligned ones; figures
    # never), and how readily the column leaves the grid for a line under its row when the
    # table is too wide for the terminal (0: never; the highest moves first).
    wrap: bool | None = None
    detail: int = 0
    # Tables: the column names the row with the first one (a disputed figure's period), so
    # each part of a table split for a narrow terminal repeats it too.
    heading: bool = False


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


def to_csv(columns: Sequence[Column], rows: Iterable[dict[str, Any]], *,
           formulas: bool = False) -> str:
    return "".join(csv_pieces(columns, rows, formulas=formulas))


def csv_pieces(columns: Sequence[Column], rows: Iterable[dict[str, Any]], *,
               formulas: bool = False, chunk: int = 1000) -> Iterator[str]:
    """The CSV's text, `chunk` rows at a time, as the rows are read (a long log)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(c.key, formulas=formulas) for c in columns])
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_cell(row.get(c.key), formulas=formulas) for c in columns])
        if n % chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


# Characters Markdown (CommonMark, GFM tables, Python-Markdown) would read as a cell
# border, HTML, a link, emphasis, code or a quote; `\\` too, so escapes stay escapes.
# `<` and `&` become entities: Python-Markdown does not take `\<` as an escape.
_MARKDOWN = str.maketrans({"\\": "\\\\", "|": "\\|", "[": "\\[", "]": "\\]", "*": "\\*",
                           "`": "\\`", ">": "\\>", "&": "&amp;", "<": "&lt;"})


def markdown_text(text: str) -> str:
    """Inert text that Markdown renders as itself: one line, no HTML, no markup."""
    return inert(text).translate(_MARKDOWN)


def to_markdown(columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> str:
    return "".join(markdown_lines(columns, rows))


def markdown_lines(columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The Markdown table's lines (each with its newline), as the rows are read."""
    yield "| " + " | ".join(markdown_text(c.title) for c in columns) + " |\n"
    yield "|" + "|".join("---:" if c.align == "right" else "---" for c in columns) + "|\n"
    for row in rows:
        yield "| " + " | ".join(markdown_text(_cell(row.get(c.key))) for c in columns) + " |\n"


def to_table(columns: Sequence[Column], rows: Iterable[dict[str, Any]],
             title: str | None = None, *, width: int | None = None) -> str:
    """An aligned plain-text table as wide as the terminal (projections/present/table.py):
    prose wrapped at spaces, ids and URLs whole, every cell and title inert text."""
    return "".join(table_pieces(columns, rows, title, width=width))


def table_pieces(columns: Sequence[Column], rows: Iterable[dict[str, Any]],
                 title: str | None = None, *, width: int | None = None,
                 stream: bool = False, widest: dict[str, Any] | None = None) -> Iterator[str]:
    """`to_table`'s text a line at a time (each with its newline). `stream`: for a large
    table that must start printing at once (`log`), sized on its first rows
    (table.table_lines); `widest` holds a value as wide as the widest of a column, for
    columns whose first rows are not (a position)."""
    from outcomes.projections.present.table import table_lines

    for line in table_lines(columns, rows, _cell, title=title, width=width, stream=stream,
                            widest=widest):
        yield line + "\n"


def render(columns: Sequence[Column], rows: Sequence[dict[str, Any]], fmt: str, *,
           document: Any = None, title: str | None = None, formulas: bool = False,
           width: int | None = None) -> str:
    """Rows in the given format; JSON writes `document` when given (the contract's shape).

    `formulas`: CSV cells that look like formulas are written as they are (see csv_cell).
    `width`: a table's width (default: the terminal's, table.terminal_width).
    """
    if fmt == "json":
        return to_json(rows if document is None else document)
    if fmt == "csv":
        return to_csv(columns, rows, formulas=formulas)
    if fmt == "markdown":
        return to_markdown(columns, rows)
    return to_table(columns, rows, title, width=width)


# -- figures for people ----------------------------------------------------------------------
# In the tool's own, locale-free style; projections/present/localize.py (`figures(locale)`)
# writes the same figures for a reader's locale.

money = DEFAULT.money
count = DEFAULT.count
compact = DEFAULT.compact
percent = DEFAULT.percent
times = DEFAULT.times
budget = DEFAULT.budget
