"""What Datasette shows of the read model: titles, descriptions, units, hidden tables and
canned queries (`outcomes serve`, docs/opendata.md).

The read model's tables are declared in tables.py; this module describes each table and
each of its columns for a reader (a test checks that every visible column has a
description), hides the bookkeeping a reader has no use for, and keeps the SQL of the
questions people ask. The numbers beside the exact amounts (`X_cents`, `X_number`) are
described from their amount's description; their units are in the descriptions (whole
cents of the row's currency, or the metric's unit), not in Datasette's `units`, which
would show 9,748,500 cents as "9.7485 Mcent".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from outcomes.projections.folds.timeline import FIGURE_FIELDS
from outcomes.projections.present.tableschema import GRADE, RATIOS
from outcomes.projections.present.tableschema import ROI as ROI_FIGURES
from outcomes.projections.readmodel.tables import (
    CACHES,
    TABLES,
    VIEWS,
)

# The read model's bookkeeping and the fact log's internals: not shown in Datasette's lists
# (still readable by SQL; the facts' events are the `events` view, and as each venture sees
# them, corrected, the `timeline`).
HIDDEN = ("facts", "fact_ventures", "venture_states", "tracking", "meta", "dirty", "seals",
          "irr_cache", "texts")

CITED = ("the corrections applied, as JSON: [[id, date, source, grade], ...] in the order "
         "applied; empty when the event was not corrected")
AMOUNT = "exact decimal, as text (in the currency)"

# Columns with the same meaning wherever they appear.
COMMON = {
    "venture": "the venture's slug (its id in the ledger)",
    "program": "the program's slug: the public scheme that funds the venture",
    "currency": "ISO 4217 code of every amount of the row",
    "name": "name as registered",
    "source": "where the figure comes from (URLs and citations, as recorded)",
    "evidence": f"the {GRADE}",
    "position": "position of the event in the ledger (its order of recording, from 1)",
    "id": "the event's id",
    "period": "the period a revenue claim covers: YYYY (a year) or YYYY-Qn (a quarter)",
    "year": "calendar year",
    "claims": "how many revenue claims the period has (more than one: a dispute)",
    "low": f"lowest revenue claimed for the period: {AMOUNT}",
    "high": f"highest revenue claimed for the period: {AMOUNT}",
    "used": "1 when the period counts in its year's revenue (annual figures win over "
            "quarters), else 0",
    "corrected_by": CITED,
    "registered_on": "date the registration event occurred",
    "closed_on": "date the venture ended as an independent company (empty: still running)",
}

ROI = {**ROI_FIGURES,
       "evidence": "the evidence grade of each figure made of events, as JSON "
                   "(figure -> weakest grade of its events)"}


def _roi(who: str) -> dict[str, str]:
    out = {k: (v if k in (*RATIOS, "jobs", "evidence") else f"{v}: {AMOUNT}")
           for k, v in ROI.items()}
    return {**out, "currency": f"ISO 4217 code of {who}'s amounts"}


def _target(prefix: str, which: str) -> dict[str, str]:
    return {f"{prefix}_value": f"the {which} target's value (revenue: a yearly amount in the "
                               "currency; other metrics: a count), exact text",
            f"{prefix}_due": f"when the {which} target is due",
            f"{prefix}_set_on": f"when the {which} target was set",
            f"{prefix}_baseline": f"the {which} target's value at the start",
            f"{prefix}_source": f"source of the {which} target",
            f"{prefix}_position": f"ledger position of the {which} target's event",
            f"{prefix}_evidence": f"{GRADE} (the {which} target's)",
            f"{prefix}_corrected_by": CITED}


TABLE_INFO: dict[str, tuple[str, dict[str, str]]] = {
    "programs": ("Programs: the public schemes that fund ventures, one row each.", {
        "name": "the program's name", "funder": "who provides the public money",
        "budget": f"the program's announced budget: {AMOUNT}"}),
    "ventures": ("Ventures: the publicly funded companies or projects, one row each.", {
        "name": "the venture's name", "identifier": "company registry number, where recorded",
        "outcome": "how the venture ended (acquired, liquidated, merged, ...), where it did"}),
    "roi_ventures": ("Return on taxpayer investment per venture, as of the last recorded "
                     "event (the IRR is in `outcomes report roi`).", _roi("the venture")),
    "roi_programs": ("Return on taxpayer investment per program: the sums of its ventures.",
                     {**_roi("the program"), "ventures": "how many ventures the program has"}),
    "roi_flows": ("The public money flows of each venture, dated (paid: negative; returned "
                  "and the residual value: positive), from which the IRR is solved.", {
        "date": "date of the flow", "amount": f"the flow: {AMOUNT}"}),
    "claims": ("Revenue per venture and period: the claim the reports use, and the range of "
               "all claims (`claims` > 1: a dispute; each claim: table revenue_claims).", {
        "chosen": f"revenue of the claim used (strongest evidence, then latest): {AMOUNT}",
        "chosen_position": "ledger position of the claim used",
        "chosen_on": "publication date of the claim used",
        "source": "source of the claim used", "evidence": f"the claim used's {GRADE}",
        "each": "every claim with its grade, as JSON (when any is graded); one row per "
                "claim: table revenue_claims",
        "corrected_by": f"{CITED} (of the claim used)"}),
    "revenue_claims": ("One row per revenue claim (a SalesReported event) of every period: "
                       "who said what and when; `chosen` marks the one the reports use.", {
        "published_on": "publication date of the claim (the event's occurred_on)",
        "revenue": f"revenue claimed for the period: {AMOUNT}",
        "chosen": "1 for the claim the reports use for its period (strongest evidence, then "
                  "published last), else 0",
        "corrected": "how many corrections were applied to the claim"}),
    "revenue_years": ("Revenue per venture and year, from its annual claim or the sum of its "
                      "quarters.", {
        "revenue": f"the year's revenue: {AMOUNT}",
        "basis": "annual (one yearly claim) or quarters (the sum of the quarters reported)",
        "periods": "the periods summed, comma-separated",
        "claims": "claims behind the year's figure (counting every period used)",
        "low": f"the year's lowest possible revenue from the claims: {AMOUNT}",
        "high": f"the year's highest possible revenue from the claims: {AMOUNT}",
        "evidence": f"the weakest {GRADE} among the periods used"}),
    "targets": ("Targets per venture and metric: the initial one, the current one after "
                "revisions, and what was reached.", {
        "metric": "revenue, customers, partners, offers or jobs",
        **_target("initial", "initial"), **_target("current", "current"),
        "revisions": "how many times the target was set again after the initial one",
        "last_year": "counts: year of the last report of the metric",
        "latest": "counts: the level after every report (exact text)",
        "latest_evidence": f"counts: the latest level's {GRADE}",
        "at_due": "what was reached when the target was judged: the revenue of the due "
                  "year (or of the last year before the venture closed), or the level on "
                  "that date (exact text)",
        "closed_on": "date the venture closed (the target is then judged on that date)"}),
    "target_actuals": ("What each venture reported for each targeted metric, year by year.", {
        "metric": "revenue, customers, partners, offers or jobs",
        "actual": "the year's revenue (in the currency) or the level at the year's end "
                  "(a count), exact text",
        "claims": "revenue: how many claims the year's figure rests on",
        "low": "revenue: the lowest claim (exact text)",
        "high": "revenue: the highest claim (exact text)",
        "evidence": f"the figure's {GRADE}"}),
    "timeline": ("Every event of each venture in date order, as corrected (retracted events "
                 "left out).", {
        "date": "when it happened (the event's occurred_on)",
        "type": "the event type (FundingCommitted, SalesReported, ...)",
        "fields": "the event's own fields as JSON (as corrected)",
        "figure": "the event's main amount or count (exact text)",
        "evidence": f"the event's {GRADE}",
        "corrected": "how many corrections were applied to the event",
        "note": "the recorder's note", "rank": "TargetSet: how many targets of its metric "
                                               "came before it (0: the initial target)",
        "claims": "SalesReported in a disputed period: how many claims the period has",
        "used": "SalesReported in a disputed period: 1 for the claim the reports use"}),
    "disputes": ("The disputed periods: more than one revenue claim (each claim: table "
                 "revenue_claims).", {
        "chosen": f"revenue of the claim used (strongest evidence, then latest): {AMOUNT}",
        "chosen_on": "publication date of the claim used",
        "source": "source of the claim used", "evidence": f"the claim used's {GRADE}"}),
}

# An event's main figure as first recorded (before any correction), from its facts row.
FIRST_RECORDED = ("CASE t.type " + " ".join(
    f"WHEN '{etype}' THEN CAST(json_extract(f.data, '$.{name}') AS TEXT)"
    for etype, name in FIGURE_FIELDS.items()) + " END")



def _event_columns() -> dict[str, str]:
    """The events view's columns: described as the log's CSV columns (tableschema.py, from
    each field's declaration in ledger/schema.py)."""
    from outcomes.projections.present.log import declared_fields
    from outcomes.projections.present.tableschema import LOG_HEAD, log_field

    out = {name: spec[1] for name, spec in LOG_HEAD.items()}
    for name, declared in declared_fields().items():
        out[name] = log_field(name, declared)[1]
    return out


TABLE_INFO["events"] = (
    "Every event as recorded, in ledger order, one column per declared field (corrections "
    "and retractions are events of their own: a figure as corrected is in the other tables).",
    _event_columns())

QUERIES: dict[str, dict[str, str]] = {
    "furthest_behind": {
        "title": "Ventures furthest behind their initial target",
        "description": "For each venture and targeted metric: the initial target, what was "
                       "reached (at the due date, or on closure; otherwise the last year "
                       "reported) and its share of the initial target, lowest first.",
        "sql": """SELECT t.venture, t.metric, t.initial_value, t.initial_due,
  COALESCE(t.at_due, a.actual) AS reached,
  CASE WHEN t.at_due IS NOT NULL THEN 'at due date or closure' ELSE a.year END AS reached_in,
  ROUND(100.0 * COALESCE(t.at_due_number, a.actual_number) / t.initial_value_number, 2)
    AS percent_of_initial_target,
  t.initial_source
FROM targets t
LEFT JOIN (SELECT venture, metric, year, actual, actual_number,
                  ROW_NUMBER() OVER (PARTITION BY venture, metric ORDER BY year DESC) AS n
           FROM target_actuals) a
  ON a.venture = t.venture AND a.metric = t.metric AND a.n = 1
WHERE t.initial_value_number > 0
ORDER BY percent_of_initial_target IS NULL, percent_of_initial_target, t.venture, t.metric""",
    },
    "paid_vs_committed": {
        "title": "Public money paid vs committed, per program",
        "description": "Per program: public money committed, actually paid, the share paid, "
                       "and what came back.",
        "sql": """SELECT program, currency, ventures, public_committed, public_granted,
  ROUND(100.0 * public_granted_cents / public_committed_cents, 2) AS percent_paid,
  returned, residual_value
FROM roi_programs
ORDER BY public_committed_cents DESC, program""",
    },
    "restated_figures": {
        "title": "Figures restated after publication",
        "description": "Revenue claims that changed the figure published before them for "
                       "the same period (in publication order; previous: that figure), and "
                       "events changed by a correction (previous: the figure as first "
                       "recorded), with the source and grade of each restatement and its "
                       "position in the ledger.",
        "sql": """SELECT venture, what, previous, previous_on, restated, restated_on,
  restated_by, position, source, evidence
FROM (
  SELECT venture, 'revenue ' || period AS what, previous, previous_on, revenue AS restated,
    published_on AS restated_on, id AS restated_by, position, source, evidence
  FROM (SELECT *, LAG(revenue) OVER w AS previous, LAG(revenue_cents) OVER w AS previous_cents,
               LAG(published_on) OVER w AS previous_on
        FROM revenue_claims
        WINDOW w AS (PARTITION BY venture, period ORDER BY published_on, position))
  WHERE previous IS NOT NULL AND previous_cents != revenue_cents
  UNION ALL
  SELECT t.venture, t.type || ' ' || t.id, """ + FIRST_RECORDED + """, t.date, t.figure,
    json_extract(c.value, '$[1]'), json_extract(c.value, '$[0]'),
    (SELECT position FROM facts WHERE id = json_extract(c.value, '$[0]')),
    json_extract(c.value, '$[2]'), json_extract(c.value, '$[3]')
  FROM timeline t JOIN facts f ON f.id = t.id, json_each(t.corrected_by) c
)
ORDER BY venture, restated_on, position""",
    },
}


def _number_description(column: str, columns: Iterable[str]) -> str | None:
    """The number beside an amount (`numbered`, or a view's copy of one)."""
    for suffix, text in (("_cents", "in whole cents, an integer"), ("_number", "as a number")):
        name = column.removesuffix(suffix)
        if name != column and name in columns:
            return f"{name} {text}: sorts and sums right"
    return None


def column_descriptions(table: str) -> dict[str, str]:
    """Every column of a visible table (or view) and its description."""
    own = TABLE_INFO[table][1]
    columns = TABLES[table][0] if table in TABLES else VIEWS[table][0]
    out = {}
    for column in columns:
        text = own.get(column) or _number_description(column, columns) or COMMON.get(column)
        if text is not None:
            out[column] = text
    return out


def database_metadata(checkpoint: dict[str, Any] | None = None) -> dict[str, Any]:
    """The metadata of the read model's database: its tables, hidden ones, canned queries;
    `checkpoint`: the ledger's size and Merkle root the read model was built from."""
    tables: dict[str, Any] = {}
    for name, (description, _) in TABLE_INFO.items():
        tables[name] = {"description": description, "columns": column_descriptions(name)}
    for name in HIDDEN:
        tables[name] = {"hidden": True}
    tables["ventures"]["label_column"] = "name"
    tables["programs"]["label_column"] = "name"
    description = ("The read model of an outcomes ledger: sourced events of public investment "
                   "(what was promised, paid, returned and reported), folded into tables. "
                   "Amounts are exact decimal text; the `_cents` (whole cents of the row's "
                   "currency; empty beyond 92,233,720,368,547,758.07) and `_number` columns "
                   "beside them sort and sum right.")
    if checkpoint:
        description += (f" Built from the ledger's first {checkpoint['size']:,} events "
                        f"(checkpoint: Merkle root {checkpoint['root']}; check it with "
                        "`outcomes checkpoint` and `outcomes verify`).")
    return {"description": description, "tables": tables, "queries": QUERIES}


def metadata(db_name: str, checkpoint: dict[str, Any] | None = None,
             title: str | None = None) -> dict[str, Any]:
    """Datasette's metadata for the read model served as `db_name`."""
    meta = {"title": title or "Public investment outcomes",
            "description": "Browse the ledger's reports as tables: return on taxpayer "
                           "investment, targets, revenue claims and disputes, timelines. "
                           "Each figure carries its source and evidence grade.",
            "databases": {db_name: database_metadata(checkpoint)}}
    return meta


# every table in TABLE_INFO is a table of the read model or a view
assert set(TABLE_INFO) <= set(TABLES) | set(VIEWS)
assert set(HIDDEN) <= set(TABLES) | set(CACHES)
