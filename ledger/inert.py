"""Text shown, never obeyed: how recorded text is escaped in every output.

Recorded text is anyone's. Tables, CSV and Markdown show unsafe characters the way Python
writes them in a string literal (`inert`); JSON, `export` included, writes them as `\\uXXXX`
(`json_inert`), the same data once decoded; error lines use `message_inert`
(docs/reports.md, "What output escapes and why").
"""

from __future__ import annotations

import re
import unicodedata

UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Controls (C0, DEL, C1), invisible format characters (bidi controls, zero-width
characters, soft hyphen, tags), lone surrogates, line and paragraph separators."""

# The code points of UNSAFE_CATEGORIES in the BMP (Unicode 14), and every astral one as a
# candidate: a search for this class is fast; `_visible` then decides by category.
# tests/cli/test_inert_output.py checks that every unsafe BMP character is in it.
_CONTROLS = "\x00-\x1f"
_CANDIDATES = ("\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
               "\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
               "\ud800-\udfff\ufeff\ufff9-\ufffb\U00010000-\U0010ffff")
_TEXT_UNSAFE = re.compile(f"[{_CONTROLS}{_CANDIDATES}\\\\]")
_JSON_UNSAFE = re.compile(f"[{_CANDIDATES}]")  # JSON itself escapes C0, quotes, backslashes
_SHORT = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in UNSAFE_CATEGORIES


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    if not _unsafe(char):
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else \
        f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def inert(text: str) -> str:
    """Text shown, never obeyed: unsafe characters as Python writes them in a string
    literal (`\\x1b`, `\\n`, `\\u202e`), and `\\` as `\\\\` so that an escape
    always means an escaped character. Used for every table, CSV and Markdown cell."""
    if text.isprintable() and "\\" not in text:  # the usual case, checked in C: nothing to do
        return text
    return _TEXT_UNSAFE.sub(_visible, text)


def message_inert(text: str) -> str:
    """A one-line message: unsafe characters escaped, backslashes kept (the values a
    message quotes are already written with `repr`, whose escapes must stay single)."""
    return _TEXT_UNSAFE.sub(lambda m: m.group() if m.group() == "\\" else _visible(m), text)


def _json_visible(match: re.Match[str]) -> str:
    char = match.group()
    if not _unsafe(char):
        return char
    data = char.encode("utf-16-be", "surrogatepass")
    return "".join(f"\\u{data[i]:02x}{data[i + 1]:02x}" for i in range(0, len(data), 2))


def json_inert(text: str) -> str:
    """JSON text with the unsafe characters JSON leaves raw (DEL, C1, format characters,
    separators, lone surrogates) written as `\\uXXXX`: the same data once decoded."""
    if (text.isascii() and "\x7f" not in text) or not _JSON_UNSAFE.search(text):
        return text
    return _JSON_UNSAFE.sub(_json_visible, text)
