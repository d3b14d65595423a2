"""Rendering rows for people (aligned tables) and for other tools (JSON, CSV, Markdown).

Every command that prints rows goes through `render`; `-o FILE` picks the format from the
file's extension (`format_for`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

FORMATS = ("table", "json", "csv", "markdown")
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
        return "{\n" + ",\n".join(lines) + "\n}\n" if lines else "{}\n"
    return _records(value, "") + "\n"


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


def to_csv(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c.key)) for c in columns])
    return out.getvalue()


def to_markdown(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(c.title) for c in columns) + " |",
             "|" + "|".join("---:" if c.align == "right" else "---" for c in columns) + "|"]
    lines += ["| " + " | ".join(esc(_cell(row.get(c.key))) for c in columns) + " |"
              for row in rows]
    return "\n".join(lines) + "\n"


def to_table(columns: Sequence[Column], rows: Sequence[dict[str, Any]],
             title: str | None = None) -> str:
    """An aligned plain-text table (rich), as wide as its content."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", expand=False)
    for c in columns:
        table.add_column(c.title, justify=c.align, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(_cell(row.get(c.key)) for c in columns))
    console = Console(width=200, file=io.StringIO(), color_system=None, soft_wrap=False)
    with console.capture() as capture:
        console.print(table)
    return "\n".join(line.rstrip() for line in capture.get().splitlines()) + "\n"


def render(columns: Sequence[Column], rows: Sequence[dict[str, Any]], fmt: str, *,
           document: Any = None, title: str | None = None) -> str:
    """Rows in the given format; JSON writes `document` when given (the contract's shape)."""
    if fmt == "json":
        return to_json(rows if document is None else document)
    if fmt == "csv":
        return to_csv(columns, rows)
    if fmt == "markdown":
        return to_markdown(columns, rows)
    return to_table(columns, rows, title)


# -- figures for people ----------------------------------------------------------------------

MILLION = Decimal(1_000_000)


def _decimal(value: Decimal | str | int | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _fixed(d: Decimal, places: int) -> str:
    """`d` with thousands separators and `places` decimals, a tie rounded half up like the
    JSON's figures (docs/reports.md), not by Python's default (half even)."""
    with localcontext(rounding=ROUND_HALF_UP):
        return f"{d:,.{places}f}"


def money(value: Decimal | str | int | None, currency: str = "", *, places: int | None = None,
          unknown: str = "") -> str:
    """`75,000,000 EUR`: thousands separators, the decimals as recorded (or `places`)."""
    if value is None:
        return unknown
    d = _decimal(value)
    text = _fixed(d, places) if places is not None else f"{d:,f}"
    return f"{text} {currency}".rstrip()


def count(value: Decimal | str | int | None, unknown: str = "") -> str:
    """A count or level with thousands separators (`1,200`)."""
    return unknown if value is None else f"{_decimal(value):,f}"


def compact(value: Decimal | str | int | None, currency: str = "", *,
            millions: bool = True, unknown: str = "–") -> str:
    """`8.0 M EUR` (millions, one decimal) or, for counts, `72`."""
    if value is None:
        return unknown
    d = _decimal(value)
    if millions:
        return f"{_fixed(d / MILLION, 1)} M {currency}".rstrip()
    text = _fixed(d, 0) if d == d.to_integral_value() else _fixed(d, 2)
    return f"{text} {currency}".rstrip()


def percent(ratio: float | Decimal | None, *, places: int = 0, unknown: str = "–") -> str:
    """A ratio as a percentage: 0.0667 -> `7%` (places=1: `6.7%`)."""
    if ratio is None:
        return unknown
    return f"{_fixed(_decimal(ratio) * 100, places)}%"


def times(ratio: float | Decimal | None, *, unknown: str = "–") -> str:
    """A multiple as investors write it: 1.5 -> `1.50x`."""
    if ratio is None:
        return unknown
    return f"{_fixed(_decimal(ratio), 2)}x"


def budget(actual: Decimal | str | None, expected: Decimal | str | None,
           attainment: float | None, currency: str = "", *, millions: bool = True) -> str:
    """The budget-report cell: `8.0 M EUR [7% of 120.0 M EUR]`."""
    return (f"{compact(actual, currency, millions=millions)} "
            f"[{percent(attainment)} of {compact(expected, currency, millions=millions)}]")
