"""The event format reference, generated from the declarations (`python -m ledger.docs`).

docs/events.md is this module's output; a test fails when the two differ.
"""

from __future__ import annotations

from ledger.schema import COMMON_FIELDS, EVENT_TYPES, Field


def _row(f: Field) -> str:
    required = "yes" if f.required else "no"
    return f"| `{f.name}` | `{f.option}` | {required} | {f.describe()} | {f.help} |"


def reference() -> str:
    header = "| field | `append` option | required | type and checks | meaning |\n" \
             "|---|---|---|---|---|"
    parts = [
        "# Event reference",
        "",
        "Generated from `ledger/schema.py` by `python -m ledger.docs > docs/events.md`;"
        " do not edit by hand.",
        "",
        "Each line of an event file is one JSON object with a `type`, an optional `id` "
        "(yours; re-importing the same id with the same content adds nothing) and an "
        "optional `recorded_by`, plus the fields below. Amounts are exact decimals, as "
        "JSON strings or numbers (`\"75000000.00\"`); exponents, NaN and infinity are "
        "refused. With `outcomes append TYPE`, each field is an option in kebab-case.",
        "",
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
