"""The types, units and descriptions of every CSV output's columns, as a Frictionless
Table Schema in a `datapackage.json` beside the CSV (`--schema`, docs/opendata.md).

Each CSV column (layout.py's `*_csv`, history.py's and log.py's columns) has one entry
here: its Table Schema type, its description and, for amounts, its unit; the log's fields
are typed from their declaration in ledger/schema.py (the kind of each field). A test
checks that every column a CSV can have is typed. Numbers are written with `.` as the
decimal separator and no grouping; an empty cell is a missing value.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from typing import Any

from outcomes.ledger.schema import (
    CURRENCY_RE,
    GRADES,
    PERIOD_RE,
    SHA256_DIGITS,
    SLUG_RE,
    Field,
)

GRADE = ("evidence grade of its source, strongest first: audited, filed, official, company, "
         "press, estimate, unspecified")
CURRENCY_UNIT = "the row's currency (column currency)"
METRIC_UNIT = "the row's currency for revenue, a count for the other metrics"
CITATIONS = ("the corrections applied to the event, each as `ID (DATE, SOURCE[, GRADE])`, "
             "separated by `; `")

# The roi figures (readmodel/metadata.py describes the read model's with them too).
ROI = {
    "public_committed": "public money committed",
    "public_granted": "public money actually paid (grants, loans, equity)",
    "private_granted": "private money paid in beside the public money",
    "returned": "money returned to the public funder (dividends, repayments, sales)",
    "residual_value": "latest valuation of the public stake (empty: not disclosed)",
    "net": "returned + residual value - public money paid",
    "multiple": "(returned + residual value) / public money paid",
    "revenue_to_date": "revenue of every reported year (the claim used per period)",
    "revenue_per_public_euro": "revenue to date / public money paid",
    "leverage": "private money paid / public money paid",
    "jobs": "latest reported number of jobs",
    "cost_per_job": "public money paid / jobs, rounded to the cent",
}
RATIOS = ("multiple", "revenue_per_public_euro", "leverage")

# A Table Schema field: (type, description, extra properties)
Spec = tuple[str, str, dict[str, Any]]


def _money(text: str) -> Spec:
    return ("number", text, {"unit": CURRENCY_UNIT})


def _metric(text: str) -> Spec:
    return ("number", text, {"unit": METRIC_UNIT})


def _string(text: str, **extra: Any) -> Spec:
    return ("string", text, extra)


def _enum(text: str, values: Iterable[str]) -> Spec:
    return ("string", text, {"constraints": {"enum": list(values)}})


def _grade(text: str) -> Spec:
    return _enum(f"the {GRADE} ({text})", GRADES)


SLUG = {"pattern": SLUG_RE.pattern}
COMMON: dict[str, Spec] = {
    "venture": _string("the venture's slug", constraints=SLUG),
    "program": _string("the program's slug: the public scheme that funds the venture",
                       constraints=SLUG),
    "currency": _string("ISO 4217 code of the row's amounts",
                        constraints={"pattern": CURRENCY_RE.pattern}),
    "position": ("integer", "the event's position in the ledger (its order of recording)",
                 {}),
    "id": _string("the event's id"),
    "type": _string("the event type (FundingCommitted, SalesReported, ...)"),
    "source": _string("where it comes from (URLs and citations, as recorded)"),
    "evidence": _grade("of the row's figure"),
    "corrected": ("integer", "how many corrections were applied to the event", {}),
    "corrected_by": _string(CITATIONS),
    "note": _string("the recorder's note"),
    "year": ("integer", "calendar year", {}),
    "date": ("date", "the date of the row", {}),
    "claims": ("integer", "how many revenue claims the figure rests on (more than one: "
                          "a dispute)", {}),
}

ROI_CSV: dict[str, Spec] = {
    "scope": _enum("venture (one venture) or program (the sums of its ventures)",
                   ("venture", "program")),
    "venture": _string("the venture's slug (empty on a program's row)", constraints=SLUG),
    **{name: ("number", text, {}) if name in RATIOS
       else ("integer", text, {}) if name == "jobs" else _money(text)
       for name, text in ROI.items()},
    **{f"{name}_evidence": _grade(f"of {name}; a sum: its weakest part") for name in ROI},
    "irr": ("number", "internal rate of return of the public flows, a yearly rate "
                      "(0.05: 5%); empty when none is computed (see irr_note)", {}),
    "irr_note": _string("why no irr is given, where none is"),
    "irr_roots": _string("every rate at which the flows' net present value changes sign, "
                         "space-separated decimals"),
    "irr_lower_bound": ("boolean", "true when the irr is a lower bound (the residual value "
                                   "is unknown)", {"trueValues": ["true"],
                                                   "falseValues": ["false"]}),
    "disputed_periods": ("integer", "how many periods behind revenue_to_date have "
                                    "conflicting claims (each claim: `report timeline`)", {}),
}


def _target(which: str) -> dict[str, Spec]:
    return {f"{which}_value": _metric(f"the {which} target's value (revenue: a yearly "
                                      "amount)"),
            f"{which}_due": ("date", f"when the {which} target is due", {}),
            f"{which}_set_on": ("date", f"when the {which} target was set", {}),
            f"{which}_baseline": _metric(f"the {which} target's value at the start"),
            f"{which}_evidence": _grade(f"of the {which} target"),
            f"{which}_corrected_by": _string(CITATIONS + f" (to the {which} target)")}


TARGETS_CSV: dict[str, Spec] = {
    "metric": _enum("the targeted metric", ("revenue", "customers", "partners", "offers",
                                            "jobs")),
    **_target("initial"), **_target("current"),
    "revisions": ("integer", "how many times the target was set again after the initial",
                  {}),
    "date": ("date", "the date of the row: 31 December, or the as-of date in its year", {}),
    "expected": _metric("the value expected on that date, on a straight line from the "
                        "baseline to the initial target"),
    "actual": _metric("the year's revenue, or the level on that date"),
    "attainment": ("number", "actual / expected (1: on the line)", {}),
    "low": _metric("revenue: the lowest claim for the year"),
    "high": _metric("revenue: the highest claim for the year"),
    "evidence": _grade("of the actual"),
    "final_actual": _metric("what was reached when the target was judged (the revenue of the "
                            "due or last year, or the level on the due date or closure)"),
    "final_attainment": ("number", "what was reached / the initial target, once judged "
                                   "(at the due date or on closure)", {}),
    "status": _enum("on track, behind, achieved, missed or no data",
                    ("on track", "behind", "achieved", "missed", "no data")),
}

TIMELINE_CSV: dict[str, Spec] = {
    "date": ("date", "when it happened (the event's occurred_on)", {}),
    "summary": _string("what the event says, in words"),
    "figure": _metric("the event's main amount or count"),
    "evidence": _grade("of the event"),
}

HISTORY_CSV: dict[str, Spec] = {
    "figure": _string("the figure: revenue PERIOD, a level metric, target METRIC, or a sum "
                      "of money"),
    "recorded_at": ("datetime", "when the change was recorded (UTC)", {}),
    "set_by": _enum("what changed the figure",
                    ("claim", "report", "signing", "launch", "initial", "revision",
                     "commitment", "payment", "return", "valuation", "correction",
                     "retraction")),
    "event": _string("the corrected or retracted event's id"),
    "stated": _metric("what the event itself stated for the figure (empty: nothing)"),
    "evidence": _grade("of the change's own event"),
    "value": _metric("the figure's value once this change was known (empty: none)"),
    "value_evidence": _grade("of the figure's value"),
    "claims": ("integer", "revenue: the live claims for the period", {}),
    "occurred_on": ("date", "the event's occurred_on", {}),
    "detail": _string("the correction's changes, the reason, a target's due date"),
}

REPORTS = {"roi": ROI_CSV, "targets": TARGETS_CSV, "timeline": TIMELINE_CSV,
           "history": HISTORY_CSV}
TITLES = {"roi": "Return on public investment", "targets": "Progress against the initial "
          "targets", "timeline": "Timeline of the ventures' events", "history":
          "History of a venture's figures", "log": "The ledger's events"}

# ledger/schema.py's kinds of field -> Table Schema (type, extra properties)
KIND_TYPES: dict[str, tuple[str, dict[str, Any]]] = {
    "text": ("string", {}), "slug": ("string", {"constraints": SLUG}),
    "amount": ("number", {}), "count": ("integer", {}), "date": ("date", {}),
    "bool": ("boolean", {"trueValues": ["true"], "falseValues": ["false"]}),
    "period": ("string", {"constraints": {"pattern": PERIOD_RE.pattern}}),
    "currency": ("string", {"constraints": {"pattern": CURRENCY_RE.pattern}}),
    "event id": ("string", {}), "changes": ("object", {}),
    "url": ("string", {"format": "uri"}),
    "sha256": ("string", {"constraints": {"pattern": f"[0-9a-f]{{{SHA256_DIGITS}}}"}}),
}
LOG_HEAD: dict[str, Spec] = {
    "position": COMMON["position"], "id": COMMON["id"], "type": COMMON["type"],
    "recorded_at": ("datetime", "when the event was recorded (UTC)", {}),
    "recorded_by": _string("who recorded the event"),
}


def log_field(name: str, declared: list[tuple[str, Field]]) -> Spec:
    """A log column's type from its declarations: one type (an amount and a count make a
    number), each declaring event type's help, the union of their choices."""
    kinds = {f.kind.name for _, f in declared}
    if kinds == {"amount", "count"}:
        kind, extra = "number", {}
    else:
        (only,) = kinds
        kind, extra = KIND_TYPES[only]
    helps: dict[str, list[str]] = {}
    for etype, f in declared:
        helps.setdefault(f.help, []).append(etype)
    if len(helps) == 1:
        description = next(iter(helps))
    else:
        description = "; ".join(f"{', '.join(types)}: {text}" for text, types in helps.items())
    if all(f.choices for _, f in declared):
        choices = list(dict.fromkeys(c for _, f in declared for c in f.choices))
        extra = {**extra, "constraints": {**extra.get("constraints", {}), "enum": choices}}
    if kind == "number":
        extra = {**extra, "unit": "the currency of the event's program"
                 if kinds == {"amount"} else "an amount in the program's currency, or a "
                 "count"}
    return (kind, description, extra)


def field(name: str, spec: Spec) -> dict[str, Any]:
    kind, description, extra = spec
    out = {"name": name, "type": kind, "description": description, **extra}
    if kind == "number":
        out.update(decimalChar=".", bareNumber=True)
    return out


def table_schema(kind: str, columns: Iterable[str]) -> dict[str, Any]:
    """The Table Schema of a CSV of `kind` (roi, targets, timeline, history, log) with
    these columns, in order."""
    if kind == "log":
        from outcomes.projections.present.log import declared_fields

        declared = declared_fields()
        specs = {**LOG_HEAD, **{n: log_field(n, d) for n, d in declared.items()}}
    else:
        specs = {**COMMON, **REPORTS[kind]}
    return {"fields": [field(c, specs[c]) for c in columns], "missingValues": [""]}


def resource_name(path: str) -> str:
    name = re.sub(r"[^a-z0-9._-]+", "-", os.path.basename(path).lower()).strip("-")
    return name or "outcomes"


def resource(kind: str, csv_path: str, columns: Iterable[str]) -> dict[str, Any]:
    """A tabular data resource: the CSV (by its file name) with its dialect and schema."""
    return {"name": resource_name(os.path.splitext(csv_path)[0]),
            "path": os.path.basename(csv_path), "profile": "tabular-data-resource",
            "title": TITLES[kind], "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "quoteChar": "\"", "doubleQuote": True,
                        "lineTerminator": "\n", "header": True},
            "schema": table_schema(kind, columns)}


class SchemaError(ValueError):
    """A datapackage.json beside the CSV that outcomes cannot add to."""


def datapackage_path(csv_path: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(csv_path)), "datapackage.json")


def datapackage(kind: str, csv_path: str, columns: Iterable[str],
                existing: str | None = None) -> dict[str, Any]:
    """The data package beside `csv_path`: the one already there (`existing`, its text)
    with this CSV's resource added or replaced, or a new one."""
    package: dict[str, Any] = {"profile": "tabular-data-package", "name": "outcomes",
                               "title": "Public investment outcomes", "resources": []}
    if existing is not None:
        try:
            package = json.loads(existing)
        except ValueError as error:
            raise SchemaError(f"it is not JSON ({error})") from None
        if not isinstance(package, dict) or not isinstance(package.get("resources"), list):
            raise SchemaError("it is not a data package (no resources)")
    new = resource(kind, csv_path, columns)
    kept = [r for r in package["resources"]
            if not (isinstance(r, dict) and r.get("path") == new["path"])]
    taken = {r.get("name") for r in kept if isinstance(r, dict)}
    while new["name"] in taken:
        new["name"] += "-csv"
    package["resources"] = [*kept, new]
    return package
