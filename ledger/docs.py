"""The event format reference, generated from the declarations (`python -m outcomes.ledger.docs`).

docs/events.md is this module's output; a test fails when the two differ.
"""

from __future__ import annotations

from outcomes.ledger.schema import (
    COMMON_FIELDS,
    EVENT_TYPES,
    EVIDENCE,
    LIMITS,
    LONG_TEXT,
    PROVENANCE_FIELDS,
    RECORDED_BY,
    TEXT,
    UNSPECIFIED,
    URL,
    Field,
    Kind,
)


def _row(f: Field) -> str:
    required = "yes" if f.required else "no"
    return f"| `{f.name}` | `{f.option}` | {required} | {f.describe()} | {f.help} |"


def _named(*kinds: Kind) -> str:
    """The free-text fields of these kinds (fields with a fixed list of values left out)."""
    fields = [RECORDED_BY, *(f for t in EVENT_TYPES.values() for f in t.all_fields)]
    return ", ".join(f"`{name}`" for name in dict.fromkeys(
        f.name for f in fields if f.kind in kinds and not f.choices))


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
        f"| {_named(LONG_TEXT, URL)} | at most {LIMITS.text_chars:,} characters |",
        f"| amounts | at most {LIMITS.amount_integer_digits} digits before the point and "
        f"{LIMITS.amount_fraction_digits} after |",
        f"| counts | at most {LIMITS.count_digits} digits |",
        f"| one line of an import file | at most {LIMITS.line_bytes:,} bytes |",
        "| text | UTF-8; a UTF-8 byte order mark at the start of a file is skipped; "
        "other encodings (UTF-16, Latin-1), NUL bytes and lone surrogates (`\"\\ud800\"`) "
        "are refused |",
        "",
    ]


def grades() -> list[str]:
    return [
        "## Evidence grades",
        "",
        "`evidence` says how strong an event's source is. Where claims compete (several "
        "`SalesReported` for one venture and period), the strongest grade wins, then the "
        "one published last. A correction may change an event's grade "
        "(`outcomes correct ID --set evidence=filed ...`); a correction or a retraction "
        "carries its own `evidence` too, the grade of its own source "
        "(`outcomes correct ... --evidence filed`).",
        "",
        "| grade | meaning |",
        "|---|---|",
        *(f"| `{grade}` | {meaning} |" for grade, meaning in EVIDENCE.items()),
        f"| (none) | `{UNSPECIFIED}`: weaker than all of the above |",
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
        *(_row(f) for f in COMMON_FIELDS + PROVENANCE_FIELDS),
        "",
        *grades(),
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
