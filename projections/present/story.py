"""The demo's story: report documents told in plain words for a newcomer.

Pure functions of the report documents (roi, targets, timeline); every figure
comes from them, none is written here. Recorded text in the lines is shown inert.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from outcomes.ledger.schema import VENTURE_CLOSED
from outcomes.projections.present.layout import cited_source, grade_counts
from outcomes.projections.present.localize import DEFAULT, Figures
from outcomes.projections.present.render import Column, inert, money

DISPUTE_COLUMNS = [
    Column("venture", "Venture"), Column("period", "Period", heading=True),
    Column("claims", "Claims", "right"), Column("low", "Lowest", "right"),
    Column("high", "Highest", "right"), Column("chosen", "Used", "right"),
    Column("source", "Used claim's source", detail=2),
]
# Where the claims are graded: the grade of the claim used, and how many of each grade.
GRADED_DISPUTE_COLUMNS = [*DISPUTE_COLUMNS[:6], Column("evidence", "Its evidence"),
                          Column("grades", "Claims by evidence", detail=1), DISPUTE_COLUMNS[6]]


def disputed_figures(roi: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per disputed revenue figure: how many claims, their range, the one used
    (and, where the claims are graded, its grade and how many claims have each)."""
    rows = []
    for v in roi["ventures"]:
        cur = v["currency"]
        for d in v.get("disputes", []):
            rows.append({"venture": v["venture"], "period": d["period"], "claims": d["claims"],
                         "low": money(d["low"], cur), "high": money(d["high"], cur),
                         "chosen": money(d["chosen"], cur),
                         "source": cited_source(d["source"], d.get("corrected_by")),
                         **({"evidence": d["evidence"], "grades": grade_counts(d["each"])}
                            if "each" in d else {})})
    return rows


def dispute_columns(rows: list[dict[str, Any]]) -> list[Column]:
    return GRADED_DISPUTE_COLUMNS if any("evidence" in r for r in rows) else DISPUTE_COLUMNS


def _graded(text: str, grades: dict[str, str], name: str) -> str:
    return f"{text} ({grades[name]})" if name in grades else text


def _closure(timeline: dict[str, Any], venture: str) -> dict[str, Any] | None:
    closed = [r for r in timeline["timeline"]
              if r["venture"] == venture and r["type"] == VENTURE_CLOSED]
    return closed[-1] if closed else None


def verdict(target: dict[str, Any], roi_row: dict[str, Any],
            closure: dict[str, Any] | None, f: Figures = DEFAULT) -> str:
    """How far a venture's sales stayed from its initial revenue target, in one line (its
    figures and dates for the readers of `f`'s locale)."""
    cur = target["currency"]
    initial = target["initial"]
    goal = f"{f.compact(initial['value'], cur)} of revenue a year by {initial['due'][:4]}"
    measured = [r for r in target["series"] if r["actual"] is not None]
    if not measured:
        sales = "no revenue figure was ever published"
    else:
        last = measured[-1]
        claims = ""
        if (last.get("claims") or 0) > 1 and "evidence" not in last:
            claims = (f" (the latest of {last['claims']} conflicting claims, from "
                      f"{f.compact(last['low'], cur)} to {f.compact(last['high'], cur)})")
        elif (last.get("claims") or 0) > 1:
            claims = (f" ({last['claims']} conflicting claims, from "
                      f"{f.compact(last['low'], cur)} to {f.compact(last['high'], cur)}: the "
                      f"latest of the strongest evidence, {last['evidence']}, is used)")
        elif "evidence" in last:
            claims = f" ({last['evidence']})"
        share = f.percent(Decimal(last["actual"]) / Decimal(initial["value"]), places=1) \
            if Decimal(initial["value"]) else "–"
        sales = (f"its last reported year, {last['year']}, brought "
                 f"{f.compact(last['actual'], cur)}{claims}: {share} of the target")
    end = ""
    if closure is not None:
        how = inert(closure["summary"].removeprefix("closed: "))
        end = f"; it ended on {f.date(closure['date'])} ({how})"
        if target.get("judged_on") == closure["date"]:
            end += ", before the target was due"
    grades = roi_row.get("evidence", {})
    paid = (f" Public money paid: "
            f"{_graded(f.money(roi_row['public_granted'], cur), grades, 'public_granted')} of "
            f"{_graded(f.money(roi_row['public_committed'], cur), grades, 'public_committed')} "
            f"committed; returned: "
            f"{_graded(f.money(roi_row['returned'], cur), grades, 'returned')}")
    residual = "; the public stake's value at exit was not disclosed." \
        if roi_row["residual_value"] is None else \
        f"; residual value {f.money(roi_row['residual_value'], cur)}."
    status = target["status"]
    return (f"{target['venture'].capitalize()}: promised {goal}; {sales}{end}. Target {status}."
            f"{paid}{residual}")


def verdicts(roi: dict[str, Any], targets: dict[str, Any],
             timeline: dict[str, Any], f: Figures = DEFAULT) -> list[str]:
    """One line per venture with a revenue target."""
    rows = {v["venture"]: v for v in roi["ventures"]}
    return [verdict(t, rows[t["venture"]], _closure(timeline, t["venture"]), f)
            for t in targets["targets"] if t["metric"] == "revenue" and t["venture"] in rows]


def intro(program: dict[str, Any], roi: dict[str, Any], events: int, where: str,
          f: Figures = DEFAULT) -> str:
    """What the newcomer is looking at, from the program's registration and the totals."""
    totals = next(p for p in roi["programs"] if p["program"] == program["program"])
    cur = totals["currency"]
    names = " and ".join(v["venture"].capitalize() for v in roi["ventures"]
                         if v["program"] == program["program"])
    return (f"{inert(program['funder'])} committed {f.compact(totals['public_committed'], cur)} of "
            f"public money to {names}, with revenue targets set at launch (program "
            f"{program['program']}).\n{events} sourced events ({where}) "
            f"are loaded into a fresh ledger; here is what they add up to, as of "
            f"{f.date(roi['as_of'])}.")
