"""Plain aligned tables for people: as wide as the terminal, laid out row by row.

A table is drawn to a width (`terminal_width`: COLUMNS, else the terminal's width, else
80). Text is broken at spaces only, so an id, a slug, a date or a URL is never folded
mid-token: a word wider than its room stands alone on its line, whole. When the columns do
not fit side by side even so:

1. the columns that may move (`Column.detail`, the highest first: sources, long prose) leave
   the grid and are printed under their row, one labelled line each (`    source: ...`);
2. then, for a table held in memory, the remaining columns are split into several tables
   of the rows, each repeating the first column (the row's name) and any `heading` one, as a
   wide data frame is printed in parts;
3. a streamed table (`log`) keeps the widths it measured on its first rows; a later cell
   wider than its column pushes that one line out, never folds it.

Every cell and title is inert text (`inert`): nothing in it is markup or can drive the
terminal. Rows are laid out one at a time with str operations (no rich: 30 times faster on
a large report), so a streamed table starts printing at once.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from outcomes.ledger.inert import inert

DEFAULT_WIDTH = 80
MIN_WIDTH = 20
GAP = "  "
RULE = "─"
DETAIL_INDENT = 4
SAMPLE = 1000  # the rows a streamed table measures before printing
COMFORT = 30  # a prose column narrower than this makes a movable column leave the grid


def terminal_width() -> int:
    """The width to draw to: COLUMNS if set, else the terminal's if standard output is one,
    else 80 (a pipe or a file)."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return max(int(env), MIN_WIDTH)
    try:
        if sys.stdout.isatty():
            return max(os.get_terminal_size(sys.stdout.fileno()).columns, MIN_WIDTH)
    except (OSError, ValueError, AttributeError):
        pass
    return DEFAULT_WIDTH


def cells(text: str) -> int:
    """The terminal cells `text` takes (wide East Asian characters take two, combining
    marks none): its length for ASCII, measured in C."""
    if text.isascii():
        return len(text)
    from wcwidth import wcswidth, wcwidth

    width = wcswidth(text)
    return width if width >= 0 else sum(max(wcwidth(c), 0) for c in text)


_SPACES = re.compile(r"[ \t\r\n]+")
# A unit that stays on the line of the figure before it: "6,000,000 EUR", "0.6 %", "55.4 M EUR".
_UNIT = re.compile(r"(?:[A-Z]{3}|€|%|M)[)\].,;:]*")


def words(text: str) -> list[str]:
    """The words `text` may be broken between: at ASCII spaces only (a no-break space, as
    in French figures, `75 000 000 €`, holds), and never between a figure and its unit."""
    if " " not in text:  # most cells: one word (recorded text reaches here made inert)
        return [text] if text else []
    out: list[str] = []
    for word in _SPACES.split(text.strip()):
        if out and _UNIT.fullmatch(word) and (out[-1][-1:].isdigit() or out[-1].endswith(" M")):
            out[-1] += " " + word
        elif word:
            out.append(word)
    return out


def _longest_word(text: str) -> int:
    if text.isascii():
        return max(map(len, words(text)), default=0)
    return max(map(cells, words(text)), default=0)


def wrap(text: str, width: int, *, indent: str = "", hang: str = "") -> list[str]:
    """`text` in lines of at most `width` cells, broken at spaces only (`words`); the first line
    starts with `indent`, the others with `hang`. A word wider than the room is put on a
    line of its own, whole (so a URL can still be clicked and copied)."""
    if cells(indent) + cells(text) <= width:
        return [indent + text]
    lines: list[str] = []
    line, used = indent, cells(indent)
    fresh = True
    for word in words(text):
        w = cells(word)
        if fresh:
            line, used, fresh = line + word, used + w, False
        elif used + 1 + w <= width:
            line, used = line + " " + word, used + 1 + w
        else:
            lines.append(line)
            line, used = hang + word, cells(hang) + w
    lines.append(line)
    return lines


_MARK = re.compile(r"(\*|>=|\[\d+\]|-) ")


def paragraph(text: str, width: int | None = None) -> str:
    """A note or a sentence for people, wrapped at `width` (the terminal's): its lines
    after the first are indented under its text, past a leading mark (`* `, `[2] `, `>= `,
    `- `)."""
    width = width or terminal_width()
    body = text.lstrip(" ")
    indent = len(text) - len(body)
    lead = len(mark.group()) if (mark := _MARK.match(body)) else 2
    return "\n".join(wrap(body, width, indent=" " * indent, hang=" " * (indent + lead)))


class Layout:
    """How one table (or one part of a split table) is drawn: its grid columns and their
    widths, and the columns printed under each row."""

    def __init__(self, grid: Sequence[Any], widths: Sequence[int], details: Sequence[Any],
                 width: int) -> None:
        self.grid, self.widths, self.details, self.width = list(grid), list(widths), \
            list(details), width
        self.wraps = [wraps(c) for c in self.grid]
        self.right = [c.align == "right" for c in self.grid]

    def header(self) -> list[str]:
        titled = [[inert(c.title)] for c in self.grid]
        lines = self._lines(titled)
        total = sum(self.widths) + len(GAP) * (len(self.widths) - 1)
        return lines + [RULE * min(total, self.width)]

    def row(self, texts: Sequence[str], extra: Sequence[tuple[str, str]] = ()) -> list[str]:
        """A row's lines: its grid cells (each wrapped in its column), then its details."""
        laid = [wrap(t, w) if flag and cells(t) > w else [t]
                for t, w, flag in zip(texts, self.widths, self.wraps, strict=True)]
        lines = self._lines(laid)
        # each detail as `title: text`; short ones share a line, a long one has its own
        indent, hang = " " * DETAIL_INDENT, " " * (DETAIL_INDENT + 2)
        line = ""
        for title, text in extra:
            if not text:
                continue
            item = f"{inert(title)}: {text}"
            if line and cells(line) + len(GAP) + cells(item) <= self.width:
                line += GAP + item
                continue
            if line:
                lines.append(line)
                line = ""
            if DETAIL_INDENT + cells(item) <= self.width:
                line = indent + item
            else:
                lines += wrap(item, self.width, indent=indent, hang=hang)
        if line:
            lines.append(line)
        return lines

    def _lines(self, laid: list[list[str]]) -> list[str]:
        height = max(map(len, laid), default=1)
        last = len(laid) - 1
        if height == 1:  # the usual row: one line, laid out at once
            parts = []
            for j, ((text,), w) in enumerate(zip(laid, self.widths, strict=True)):
                pad = w - (len(text) if text.isascii() else cells(text))
                parts.append(" " * pad + text if self.right[j] else
                             text if j == last else text + " " * pad)
            return [GAP.join(parts).rstrip()]
        out = []
        for i in range(height):
            parts = []
            for j, (column_lines, w) in enumerate(zip(laid, self.widths, strict=True)):
                text = column_lines[i] if i < len(column_lines) else ""
                pad = w - cells(text)
                if self.grid[j].align == "right":
                    parts.append(" " * pad + text)
                elif j == last:
                    parts.append(text)
                else:
                    parts.append(text + " " * pad)
            out.append(GAP.join(parts).rstrip())
        return out


def wraps(column: Any) -> bool:
    """Whether a column's cells may be broken at spaces (prose, sources); figures are
    never broken."""
    flag = getattr(column, "wrap", None)
    return column.align != "right" if flag is None else bool(flag)


def _measure(columns: Sequence[Any], rows: Sequence[Sequence[str]]
             ) -> tuple[list[int], list[int]]:
    """Each column's natural width (its widest cell or title) and its least width (its
    widest word, for a column that wraps; else its natural width)."""
    natural, least = [], []
    for j, c in enumerate(columns):
        texts = [r[j] for r in rows]
        title = cells(inert(c.title))  # a title is never broken: it prints whole
        nat = max(max(map(cells, texts), default=0), title)
        low = max(max(map(_longest_word, texts), default=0), title) if wraps(c) else nat
        natural.append(nat)
        least.append(min(low, nat))
    return natural, least


def _fit(natural: Sequence[int], least: Sequence[int], width: int) -> list[int] | None:
    """Column widths within `width`: the natural ones if they fit, else each at least its
    least width with the room left shared out in proportion to what each lacks; None if
    even the least widths do not fit."""
    gaps = len(GAP) * (len(natural) - 1)
    if sum(natural) + gaps <= width:
        return list(natural)
    spare = width - gaps - sum(least)
    if spare < 0:
        return None
    want = [n - m for n, m in zip(natural, least, strict=True)]
    total = sum(want)
    widths = [m + spare * w // total for m, w in zip(least, want, strict=True)]
    left = width - gaps - sum(widths)
    for j in sorted(range(len(want)), key=lambda j: -want[j]):
        if left <= 0:
            break
        if widths[j] < natural[j]:
            widths[j] += 1
            left -= 1
    return widths


def plan(columns: Sequence[Any], rows: Sequence[Sequence[str]], width: int, *,
         split: bool = True) -> list[Layout]:
    """The layouts of a table drawn to `width`: one, or (`split`) one per part."""
    natural, least = _measure(columns, rows)
    order = {id(c): j for j, c in enumerate(columns)}
    grid = list(columns)
    movable = sorted((c for c in columns if getattr(c, "detail", 0)),
                     key=lambda c: (-c.detail, order[id(c)]))
    details: list[Any] = []

    def fit(cols: Sequence[Any]) -> list[int] | None:
        return _fit([natural[order[id(c)]] for c in cols],
                    [least[order[id(c)]] for c in cols], width)

    def squeezed(widths: list[int]) -> bool:
        """Whether some prose column is left narrower than COMFORT (or its text)."""
        return any(wraps(c) and w < min(natural[order[id(c)]], COMFORT)
                   for c, w in zip(grid, widths, strict=True))

    # Movable columns leave the grid while it does not fit, or squeezes its prose.
    while ((widths := fit(grid)) is None or squeezed(widths)) and movable:
        moved = movable.pop(0)
        grid.remove(moved)
        details.append(moved)
    details.sort(key=lambda c: order[id(c)])
    if widths is not None:
        return [Layout(grid, widths, details, width)]
    head = [c for j, c in enumerate(grid) if j == 0 or getattr(c, "heading", False)]
    rest = [c for c in grid if not any(c is h for h in head)]
    if split and len(rest) > 1:
        parts: list[list[Any]] = []
        part = list(head)
        for c in rest:
            if len(part) > len(head) and fit([*part, c]) is None:
                parts.append(part)
                part = [*head, c]
            else:
                part.append(c)
        parts.append(part)
        parts = _balanced(head, rest, len(parts), fit) or parts
        layouts = [Layout(p, fit(p) or [least[order[id(c)]] for c in p], [], width)
                   for p in parts]
        layouts[-1].details = details
        return layouts
    # Nothing fits (a word wider than the terminal): the wrapping columns share the room
    # left by the others, and such a word stands alone on its line, whole.
    fixed = sum(least[order[id(c)]] for c in grid if not wraps(c)) + len(GAP) * (len(grid) - 1)
    room = max(width - fixed, 10)
    capped = [least[order[id(c)]] if not wraps(c) else
              min(least[order[id(c)]], max(room // sum(map(wraps, grid)), 10)) for c in grid]
    widths = _fit([natural[order[id(c)]] for c in grid], capped, width) or capped
    return [Layout(grid, widths, details, width)]


def _balanced(head: list[Any], rest: list[Any], count: int, fit: Any
              ) -> list[list[Any]] | None:
    """The columns after the heading ones cut into `count` parts (each repeating the
    heading columns) that all fit and whose widest is the narrowest: parts of even widths,
    not a last part of one column. None if there are too many ways to try."""
    if math.comb(len(rest) - 1, count - 1) > 2000:
        return None
    best, best_width = None, None
    for cuts in itertools.combinations(range(1, len(rest)), count - 1):
        bounds = (0, *cuts, len(rest))
        parts = [[*head, *rest[a:b]] for a, b in itertools.pairwise(bounds)]
        widths = [fit(p) for p in parts]
        if any(w is None for w in widths):
            continue
        widest = max(sum(w) + len(GAP) * (len(w) - 1) for w in widths)
        if best_width is None or widest < best_width:
            best, best_width = parts, widest
    return best


def _texts(columns: Sequence[Any], row: dict[str, Any], cell: Any) -> list[str]:
    return [inert(cell(row.get(c.key))) for c in columns]


def table_lines(columns: Sequence[Any], rows: Iterable[dict[str, Any]], cell: Any, *,
                title: str | None = None, width: int | None = None,
                stream: bool = False, widest: dict[str, Any] | None = None
                ) -> Iterator[str]:
    """The table's lines (without newlines). `cell` turns a value into text. In memory
    (the default), every row is measured and the table may be split; `stream` measures
    the first SAMPLE rows only and never splits, so the first lines come at once."""
    width = width or terminal_width()
    rows = iter(rows)
    head = list(itertools.islice(rows, SAMPLE)) if stream else list(rows)
    measured = [_texts(columns, r, cell) for r in head]
    extra = [_texts(columns, widest, cell)] if widest else []
    layouts = plan(columns, measured + extra, width, split=not stream)
    if title is not None:
        yield from wrap(inert(title), width)
        yield ""
    index = {id(c): j for j, c in enumerate(columns)}
    for n, layout in enumerate(layouts):
        if n:
            yield ""
        grid = [index[id(c)] for c in layout.grid]
        details = [(c.title, index[id(c)]) for c in layout.details]
        yield from layout.header()
        for texts in measured:
            yield from layout.row([texts[j] for j in grid],
                                  [(t, texts[j]) for t, j in details])
        if stream:
            for r in rows:
                texts = _texts(columns, r, cell)
                yield from layout.row([texts[j] for j in grid],
                                      [(t, texts[j]) for t, j in details])
