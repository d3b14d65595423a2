"""How each report reads for people (table, Markdown) and for spreadsheets (CSV).

The JSON document is the one truth: every other format is laid out from it. Tables
show amounts with thousands separators and the currency, ratios as percentages, lower
bounds as `>=`, and explain the marks in footnotes under the table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from outcomes.ledger.schema import EVIDENCE, GRADES
from outcomes.projections.folds.roi import GRADED
from outcomes.projections.present.documents import ROI_FIELDS
from outcomes.projections.present.localize import DEFAULT, Figures, figures
from outcomes.projections.present.render import (
    Column,
    inert,
    markdown_lines,
    markdown_text,
    render,
    table_pieces,
    to_json,
)
from outcomes.projections.present.table import paragraph

# A report's tables (title, columns, rows) and the notes printed under them.
Sections = tuple[list[tuple[str, list[Column], list[dict]]], list[str]]

LOWER = ">= "
UNKNOWN = "unknown"
# A figure's evidence grade in a table: one letter before it (A audited, F filed, ...);
# none for a figure without a grade. JSON carries the grade itself (`evidence`).
GRADE_MARKS = {grade: grade[0].upper() for grade in EVIDENCE}
assert len(set(GRADE_MARKS.values())) == len(GRADE_MARKS)
GRADE_LEGEND = ("Evidence of each figure: " + ", ".join(
    f"{mark} {grade}" for grade, mark in GRADE_MARKS.items())
    + " (a sum: its weakest part); no letter: none recorded.")


def graded_mark(text: str, grade: str | None) -> str:
    """A figure with its grade's letter before it (marks go before right-aligned figures,
    so the figures stay aligned)."""
    mark = GRADE_MARKS.get(grade or "")
    return f"{mark} {text}" if mark else text


def grade_counts(each: list[dict[str, Any]]) -> str:
    """How many claims of each grade, strongest first: "1 filed, 2 press"."""
    counts = {g: n for g in GRADES if (n := sum(c["evidence"] == g for c in each))}
    return ", ".join(f"{n} {g}" for g, n in counts.items())


def optional_columns(columns: list[Column], rows: Sequence[dict[str, Any]],
                     *extra: tuple[str, str | tuple[str, ...]]) -> list[Column]:
    """`columns` and each (key, after) column that some row has, placed after `after` (the
    first of them present); columns no row fills are left out (a ledger without grades or
    corrections prints as before)."""
    out = list(columns)
    for key, after in extra:
        if any(key in r for r in rows):
            keys = [c.key for c in out]
            anchor = next(a for a in ((after,) if isinstance(after, str) else after)
                          if a in keys)
            out.insert(keys.index(anchor) + 1, Column(key, key))
    return out


def cited_source(source: str, cited: list[dict[str, Any]] | None) -> str:
    """A source with the source of each correction applied after it."""
    return source + "".join(
        f"; corrected by {c['source']} ({c['occurred_on']}"
        + (f", {c['evidence']})" if "evidence" in c else ")") for c in cited or ())


def render_report(kind: str, doc: dict[str, Any], fmt: str, *, formulas: bool = False,
                  locale: str | None = None, width: int | None = None) -> str:
    """The report in `fmt` (table, json, csv or markdown); `formulas` as in `render`;
    `locale` (e.g. "fr_FR") writes the figures and dates of tables and Markdown for its
    readers (JSON and CSV stay locale-free)."""
    if fmt == "json":
        return to_json(doc)
    if fmt == "csv":
        columns, rows = csv_table(kind, doc)
        return render(columns, rows, "csv", formulas=formulas)
    return "".join(report_pieces(kind, doc, fmt, locale=locale, width=width))


def report_pieces(kind: str, doc: dict[str, Any], fmt: str, *, locale: str | None = None,
                  width: int | None = None) -> Iterator[str]:
    """The report as a table or in Markdown (`render_report`), a line at a time, to be
    written as it is laid out rather than held whole."""
    layout = {"roi": roi_sections, "targets": targets_sections,
              "timeline": timeline_sections}[kind]
    sections, notes = layout(doc, figures(locale))
    for n, (title, columns, rows) in enumerate(sections):
        if n:
            yield "\n"
        if fmt == "markdown":
            yield f"### {markdown_text(title)}\n\n"
            yield from markdown_lines(columns, rows)
        else:
            yield from table_pieces(columns, rows, title, width=width)
    if notes:
        yield "\n" + "\n".join("- " + markdown_text(n) if fmt == "markdown" else
                                paragraph(inert(n), width) for n in notes) + "\n"


def csv_table(kind: str, doc: dict[str, Any]) -> tuple[Sequence[Column], list[dict[str, Any]]]:
    """The report's CSV: flat columns, one typed value per cell (tableschema.py)."""
    return {"roi": roi_csv, "targets": targets_csv, "timeline": timeline_csv}[kind](doc)


def when(doc: dict[str, Any], f: Figures = DEFAULT) -> str:
    text = f"as of {f.date(doc['as_of'])}"
    return text + (f", as known at {f.timestamp(doc['known_at'])}" if doc.get("known_at")
                   else "")


# -- roi ----------------------------------------------------------------------------------

MONEY_COLUMNS = [
    Column("name", "Venture", wrap=False), Column("program", "Program"),
    Column("public_committed", "Committed", "right"),
    Column("public_granted", "Paid (public)", "right"),
    Column("private_granted", "Paid (private)", "right"),
    Column("returned", "Returned", "right"), Column("residual_value", "Residual", "right"),
    Column("net", "Net", "right"), Column("multiple", "Multiple", "right"),
    Column("irr", "IRR", "right"),
]
OUTCOME_COLUMNS = [
    Column("name", "Venture", wrap=False), Column("revenue_to_date", "Revenue to date", "right"),
    Column("revenue_per_public_euro", "Revenue / public", "right"),
    Column("leverage", "Leverage", "right"), Column("jobs", "Jobs", "right"),
    Column("cost_per_job", "Cost per job", "right"),
]


def _roi_cells(row: dict[str, Any], notes: list[str], label: str, f: Figures
               ) -> dict[str, Any]:
    cur = row["currency"]
    grades = row.get("evidence", {})

    def graded(name: str, text: str) -> str:
        return graded_mark(text, grades.get(name))

    bound = LOWER if row["residual_value"] is None else ""
    irr = f.percent(row["irr"], places=1)
    if row["irr"] is None:
        notes.append(f"[{len(notes) + 1}] {label}: irr not computed: {row['irr_note']}.")
        irr = f"– [{len(notes)}]"
    elif row["irr_lower_bound"]:
        irr = LOWER + irr
    elif bound:  # the residual is unknown, and yet the irr is no lower bound
        notes.append(f"[{len(notes) + 1}] {label}: irr not known to be a lower bound: its "
                     "flows do not go from payments to returns in one sign change.")
        irr = f"{irr} [{len(notes)}]"
    # marks go before right-aligned figures, so the figures stay aligned
    revenue = ("* " if row.get("disputes") else "") + graded(
        "revenue_to_date", f.money(row["revenue_to_date"], cur))
    return {
        "public_committed": graded("public_committed", f.money(row["public_committed"], cur)),
        "public_granted": graded("public_granted", f.money(row["public_granted"], cur)),
        "private_granted": graded("private_granted", f.money(row["private_granted"], cur)),
        "returned": graded("returned", f.money(row["returned"], cur)),
        "residual_value": graded("residual_value",
                                 f.money(row["residual_value"], cur, unknown=UNKNOWN)),
        "net": bound + f.money(row["net"], cur),
        "multiple": bound + f.times(row["multiple"]) if row["multiple"] is not None else "–",
        "irr": irr, "revenue_to_date": revenue,
        "revenue_per_public_euro": f.percent(row["revenue_per_public_euro"], places=1),
        "leverage": f.percent(row["leverage"], places=1),
        "jobs": graded("jobs", f.count(row["jobs"], unknown="–")),
        "cost_per_job": f.money(row["cost_per_job"], cur, places=0, unknown="–"),
    }


def roi_sections(doc: dict[str, Any], f: Figures = DEFAULT) -> Sections:
    """Two tables (money, then what it bought), ventures first, then their programs."""
    irr_notes: list[str] = []
    rows = [{"name": v["venture"], "program": v["program"],
             **_roi_cells(v, irr_notes, v["venture"], f)} for v in doc["ventures"]]
    rows += [{"name": f"all of {p['program']}", "program": p["program"],
              **_roi_cells(p, irr_notes, f"program {p['program']}", f)} for p in doc["programs"]]
    sections = [(f"Return on public investment, {when(doc, f)}", MONEY_COLUMNS, rows),
                (f"Outcomes for the public money, {when(doc, f)}", OUTCOME_COLUMNS, rows)]
    notes = []
    if any(r["residual_value"] is None for r in doc["ventures"] + doc["programs"]):
        notes.append(">= a lower bound: the residual value of the public stake is unknown "
                     "(no valuation recorded, e.g. an exit at an undisclosed price).")
    for v in doc["ventures"]:
        for d in v.get("disputes", []):
            cur = v["currency"]
            if "each" not in d:
                notes.append(f"* {v['venture']}, {d['period']}: {d['claims']} claims from "
                             f"{f.money(d['low'], cur)} to {f.money(d['high'], cur)}; the latest "
                             f"published ({f.money(d['chosen'], cur)}) is used.")
            else:
                notes.append(f"* {v['venture']}, {d['period']}: {d['claims']} claims "
                             f"({grade_counts(d['each'])}) from {f.money(d['low'], cur)} to "
                             f"{f.money(d['high'], cur)}; the strongest evidence, then the "
                             f"latest published, is used: {f.money(d['chosen'], cur)} "
                             f"({d['evidence']}).")
    if any(r.get("evidence") for r in doc["ventures"] + doc["programs"]):
        notes.append(GRADE_LEGEND)
    notes += irr_notes
    notes.append("Multiple = (returned + residual) / public money paid; Revenue / public = "
                 "revenue to date per public euro paid; Leverage = private / public money paid.")
    return sections, notes


def roi_csv(doc: dict[str, Any]) -> tuple[list[Column], list[dict[str, Any]]]:
    """Flat columns, one value per cell: each figure's grade in its own `X_evidence`
    column (where any row has one), the irr's roots space-separated, and the number of
    disputed periods behind revenue_to_date (their claims: the timeline's CSV)."""
    columns = [Column(k, k) for k in ["scope", "venture", "program", "currency",
                                      *(f for f in ROI_FIELDS if f != "evidence"),
                                      "disputed_periods"]]
    rows = [_roi_csv_row({"scope": "venture", **v}) for v in doc["ventures"]]
    rows += [_roi_csv_row({"scope": "program", "venture": None, **p}) for p in doc["programs"]]
    return optional_columns(columns, rows, *((f"{name}_evidence", name) for name in GRADED
                                            if name in ROI_FIELDS)), rows


def _roi_csv_row(row: dict[str, Any]) -> dict[str, Any]:
    disputes = row.pop("disputes", None)
    grades = row.pop("evidence", {})
    return {**row, "irr_roots": " ".join(str(r) for r in row["irr_roots"]) or None,
            **{f"{name}_evidence": grade for name, grade in grades.items()},
            "disputed_periods": None if disputes is None else len(disputes)}


def citation_text(cited: list[dict[str, Any]] | None) -> str | None:
    """The corrections applied to a figure's event, in one cell: `ID (DATE, SOURCE[,
    GRADE])`, separated by `; `."""
    if not cited:
        return None
    return "; ".join(f"{c['id']} ({c['occurred_on']}, {c['source']}"
                     + (f", {c['evidence']})" if "evidence" in c else ")") for c in cited)


# -- targets ------------------------------------------------------------------------------

TARGET_COLUMNS = [Column("venture", "Venture"), Column("metric", "Metric", heading=True),
                  Column("year", "Year", heading=True),
                  Column("progress", "Actual [attainment of expected]", "right"),
                  Column("target", "Target", detail=1),
                  Column("status", "Status", detail=2)]


def _scale(t: dict[str, Any]) -> tuple[bool, str]:
    """Revenue of a million or more in M units with the currency; counts as they are."""
    if t["metric"] != "revenue":
        return False, ""
    return Decimal(t["initial"]["value"]) >= 1_000_000, t["currency"]


def _goal(t: dict[str, Any], which: str, f: Figures) -> str:
    millions, cur = _scale(t)
    g = t[which]
    return f"{f.compact(g['value'], cur, millions=millions)} by {f.date(g['due'])}"


def targets_sections(doc: dict[str, Any], f: Figures = DEFAULT) -> Sections:
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    marked = False
    for t in doc["targets"]:
        millions, cur = _scale(t)
        initial, current = t["initial"], t["current"]
        graded = ", " + initial["evidence"] if "evidence" in initial else ""
        labels = [f"initial {_goal(t, 'initial', f)} (set {f.date(initial['set_on'])}{graded})"]
        if t["revisions"]:
            times = "once" if t["revisions"] == 1 else f"{t['revisions']} times"
            graded = f" ({current['evidence']})" if "evidence" in current else ""
            labels.append(f"revised {times}, now {_goal(t, 'current', f)}{graded}")
        last = len(t["series"]) - 1
        for i, r in enumerate(t["series"]):
            cell = graded_mark(f.budget(r["actual"], r["expected"], r["attainment"], cur,
                                      millions=millions), r.get("evidence"))
            marked = marked or "evidence" in r
            if r.get("claims") and r["low"] != r["high"]:
                cell = "* " + cell
                rule = ("the latest published per period is used" if "evidence" not in r
                        else "per period, the strongest evidence, then the latest "
                        "published, is used")
                notes.append(f"* {t['venture']} {t['metric']} {r['year']}: {r['claims']} "
                             f"claims, {f.money(r['low'], cur)} to {f.money(r['high'], cur)}; "
                             f"{rule}.")
            status = ""
            if i == last:
                status = t["status"]
                if t["final_attainment"] is not None:  # 17.5%: 70 of 400
                    reached, goal = (f.compact(v, cur, millions=millions) if cur
                                     else f.count(v)
                                     for v in (t["final_actual"], t["initial"]["value"]))
                    status += (f" (final {f.percent(t['final_attainment'], places=1)}: "
                               f"{reached} of {goal})")
                if t["closed_on"] is not None and t["judged_on"] == t["closed_on"]:
                    status += f", closed {f.date(t['closed_on'])} before due"
            rows.append({"venture": t["venture"] if i == 0 else "",
                         "metric": t["metric"] if i == 0 else "", "year": r["year"],
                         "progress": cell, "target": labels[i] if i < len(labels) else "",
                         "status": status})
        if len(labels) > len(t["series"]):
            rows[-1]["target"] += "; " + labels[-1]
    notes.append("Expected: a straight line from the baseline on the day the initial target "
                 "was set to its value on its due date; the last row of each target is as of "
                 "the report date.")
    if marked:
        notes.append(GRADE_LEGEND)
    return [(f"Progress against the initial targets, {when(doc, f)}", TARGET_COLUMNS, rows)], notes


TARGET_FIELDS = ["venture", "metric", "program", "currency", "initial_value", "initial_due",
                 "initial_set_on", "initial_baseline", "current_value", "current_due",
                 "current_set_on", "revisions", "year", "date", "expected", "actual",
                 "attainment", "claims", "low", "high", "final_actual", "final_attainment",
                 "status"]


def targets_csv(doc: dict[str, Any]) -> tuple[list[Column], list[dict[str, Any]]]:
    rows = []
    for t in doc["targets"]:
        flat = {k: t[k] for k in ("venture", "metric", "program", "currency", "revisions",
                                  "final_actual", "final_attainment", "status")}
        for which in ("initial", "current"):
            for k, v in t[which].items():
                flat[f"{which}_{k}"] = citation_text(v) if k == "corrected_by" else v
        rows += [{**flat, **r} for r in t["series"]]
    return optional_columns([Column(k, k) for k in TARGET_FIELDS], rows,
                            ("initial_evidence", "initial_baseline"),
                            ("initial_corrected_by", ("initial_evidence", "initial_baseline")),
                            ("current_evidence", "current_set_on"),
                            ("current_corrected_by", ("current_evidence", "current_set_on")),
                            ("evidence", "high")), rows


# -- timeline -----------------------------------------------------------------------------

TIMELINE_COLUMNS = [Column("venture", "Venture"), Column("date", "Date"),
                    Column("summary", "What"), Column("source", "Source", detail=1)]
TIMELINE_FIELDS = ["venture", "program", "date", "position", "id", "type", "summary",
                   "figure", "currency", "source", "corrected", "note"]


def timeline_sections(doc: dict[str, Any], f: Figures = DEFAULT) -> Sections:
    """The timeline's table; its records are read once (they may be an iterator: a whole
    ledger's timeline is a million records, not held)."""
    rows = []
    previous = None
    corrected = False
    for r in doc["timeline"]:
        text = r["summary"] + (" (corrected)" if r["corrected"] else "")
        corrected = corrected or bool(r["corrected"])
        rows.append({"venture": r["venture"] if r["venture"] != previous else "",
                     "date": f.date(r["date"]), "summary": text,
                     "source": cited_source(r["source"], r.get("corrected_by")),
                     **({"evidence": r["evidence"]} if "evidence" in r else {})})
        previous = r["venture"]
    notes = ["(corrected): shown with its corrections applied, each one's source after the "
             "original's; `outcomes log` keeps every version."] if corrected else []
    columns = TIMELINE_COLUMNS
    if any("evidence" in r for r in rows):  # the grade of each event's source, if any
        columns = [*columns[:3], Column("evidence", "Evidence"), columns[3]]
    return [(f"Timeline, {when(doc, f)}", columns, rows)], notes


def timeline_csv(doc: dict[str, Any]) -> tuple[Sequence[Column], list[dict[str, Any]]]:
    rows = [_timeline_csv_row(r) for r in doc["timeline"]]
    return _timeline_csv_columns(rows), rows


def _timeline_csv_row(r: dict[str, Any]) -> dict[str, Any]:
    return {**r, "corrected_by": citation_text(r["corrected_by"])} if "corrected_by" in r else r


def _timeline_csv_columns(rows: Sequence[dict[str, Any]]) -> list[Column]:
    return optional_columns([Column(k, k) for k in TIMELINE_FIELDS], rows,
                            ("evidence", "source"), ("corrected_by", "corrected"))


@contextmanager
def spooled_timeline_csv(doc: dict[str, Any]
                         ) -> Iterator[tuple[Sequence[Column], Iterator[dict[str, Any]]]]:
    """`timeline_csv` for a timeline read once, as an iterator (a whole ledger's holds a
    million records): its columns depend on every row, so the rows are spooled to a
    temporary file as they are read, then read back one at a time."""
    import json
    import tempfile

    keys: set[str] = set()
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n") as spool:
        for r in doc["timeline"]:
            row = _timeline_csv_row(r)
            keys.update(k for k in ("evidence", "corrected_by") if k in row)
            spool.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        spool.seek(0)
        yield (_timeline_csv_columns([dict.fromkeys(keys)]),
               (json.loads(line) for line in spool))
