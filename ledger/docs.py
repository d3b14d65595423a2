"""The event format reference, generated from the declarations (`python -m outcomes.ledger.docs`).

docs/events.md is this module's output; a test fails when the two differ.
"""

from __future__ import annotations

from outcomes.ledger.schema import (
    COMMON_FIELDS,
    EVENT_TYPES,
    LIMITS,
    LONG_TEXT,
    RECORDED_BY,
    TEXT,
    Field,
    Kind,
)


def _row(f: Field) -> str:
    required = "yes" if f.required else "no"
    return f"| `{f.name}` | `{f.option}` | {required} | {f.describe()} | {f.help} |"


def _named(kind: Kind) -> str:
    """The free-text fields of one kind (fields with a fixed list of values left out)."""
    fields = [RECORDED_BY, *(f for t in EVENT_TYPES.values() for f in t.all_fields)]
    return ", ".join(f"`{name}`" for name in dict.fromkeys(
        f.name for f in fields if f.kind is kind and not f.choices))


def limits() -> list[str]:
    return [
        "## Limits",
        "",
        "Checked when an event is recorded (`append`, `import`, `correct`, `retract`): a "
        "value past a limit is refused in one line naming the field (and FILE:LINE), "
        "and nothing is written.",
        "",
        "| what | limit |",
        "|---|---|",
        f"| {_named(TEXT)} | at most {LIMITS.name_chars:,} characters |",
        f"| {_named(LONG_TEXT)} | at most {LIMITS.text_chars:,} characters |",
        f"| amounts | at most {LIMITS.amount_integer_digits} digits before the point and "
        f"{LIMITS.amount_fraction_digits} after |",
        f"| counts | at most {LIMITS.count_digits} digits |",
        f"| one line of an import file | at most {LIMITS.line_bytes:,} bytes |",
        "| text | UTF-8; a UTF-8 byte order mark at the start of a file is skipped; "
        "other encodings (UTF-16, Latin-1), NUL bytes and lone surrogates (`\"\\ud800\"`) "
        "are refused |",
        "",
    ]


def reference() -> str:
    header = "| field | `append` option | required | type and checks | meaning |\n" \
             "|---|---|---|---|---|"
    parts = [
        "# Event reference",
        "",
        "Generated from `ledger/schema.py` by `python -m outcomes.ledger.docs > docs/events.md`;"
        " do not edit by hand.",
        "",
        "Each line of an event file is one JSON object with a `type`, an optional `id` "
        "(yours; re-importing the same id with the same content adds nothing) and an "
        "optional `recorded_by`, plus the fields below. Amounts are exact decimals, as "
        "JSON strings or numbers (`\"75000000.00\"`); exponents, NaN and infinity are "
        "refused. With `outcomes append TYPE`, each field is an option in kebab-case.",
        "",
        *limits(),
        "## Fields of every event",
        "",
        header,
        *(_row(f) for f in COMMON_FIELDS),
        "",
    ]
    for etype in EVENT_TYPES.values():
        parts += [f"## {etype.name}", "", etype.help, "",
                  f"`outcomes append {etype.command}`", "", header,
                  *(_row(f) for f in etype.fields), ""]
        if etype.venture_scoped and not etype.allowed_after_close:
            parts += ["Refused for a venture closed before its `occurred_on`.", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
