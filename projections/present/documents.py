"""The contract's report documents (what `-O json` prints): each row formatted here, once.

The folds compute figures (Decimal, dates, counts); this module writes them as the
contract's JSON values: amounts as exact decimal strings, ratios as numbers rounded to 6
places, dates ISO, a timeline event's one-line summary. Whoever answers a report (the
read model's stored folds, or folds made again for another date: projections/readmodel)
hands its figures to these functions; the tables, CSV and Markdown are laid out from the
documents (layout.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from outcomes.ledger import schema
from outcomes.ledger.clock import format_timestamp
from outcomes.ledger.errors import ReportError
from outcomes.projections.folds.claims import PeriodClaims, graded
from outcomes.projections.folds.effective import Citation
from outcomes.projections.folds.numbers import to_cents
from outcomes.projections.folds.roi import GRADED, Money, Rate, evaluate
from outcomes.projections.folds.targets import Progress, SeriesRow, Target, TargetFacts
from outcomes.projections.folds.targets import evaluate as progress
from outcomes.projections.folds.timeline import TimelineEntry, figure_is_money
from outcomes.projections.folds.venture import VentureInfo
from outcomes.projections.present.numbers import amount_text, ratio_number
from outcomes.projections.present.render import count, money

KINDS = ("roi", "targets", "timeline")


def header(as_of: date, known_at: datetime | None) -> dict[str, Any]:
    return {"as_of": as_of.isoformat(),
            "known_at": None if known_at is None else format_timestamp(known_at)}


def grade_field(key: str, grade: str | None) -> dict[str, Any]:
    """`key: grade` beside a figure whose event has a grade; no key where it has none, as
    in the event format (so a ledger without grades reads as before grades existed)."""
    shown = graded(grade)
    return {key: shown} if shown else {}


def unknown_kind(kind: str) -> ReportError:
    return ReportError(f"unknown report {kind!r}; one of {', '.join(KINDS)}")


# -- roi ----------------------------------------------------------------------------------

def roi_figures(money: Money) -> dict[str, Any]:
    """A roi row's figures that do not depend on the as-of date (all but the irr), as the
    document writes them. The read model keeps these very values in its roi tables."""
    r = evaluate(money, None)
    return {
        "public_committed": amount_text(money.public_committed),
        "public_granted": amount_text(money.public_granted),
        "private_granted": amount_text(money.private_granted),
        "returned": amount_text(money.returned),
        "residual_value": None if money.residual_unknown else amount_text(money.residual_value),
        "net": amount_text(r.net),
        "multiple": ratio_number(r.multiple),
        "revenue_to_date": amount_text(money.revenue_to_date),
        "revenue_per_public_euro": ratio_number(r.revenue_per_public_euro),
        "leverage": ratio_number(r.leverage),
        "jobs": money.jobs,
        "cost_per_job": amount_text(r.cost_per_job),
    }


def irr_fields(rate: Rate) -> dict[str, Any]:
    """A roi row's figures as of its date: the irr (or why there is none), every rate at
    which the flows' net present value changes sign, and whether the irr is a lower bound."""
    return {"irr": ratio_number(rate.irr), "irr_note": rate.note,
            "irr_roots": [ratio_number(r) for r in rate.roots],
            "irr_lower_bound": rate.lower_bound}


def grades_field(grades: Mapping[str, str]) -> dict[str, Any]:
    """A roi row's `evidence`: the grade of each figure that has one (in the order of
    the row's keys), or no key at all when none has (a ledger without grades)."""
    shown = {name: grade for name in GRADED if (grade := graded(grades.get(name)))}
    return {"evidence": shown} if shown else {}


def roi_row(head: dict[str, Any], figures: dict[str, Any], rate: Rate,
            grades: Mapping[str, str], disputes: list[dict[str, Any]] | None = None
            ) -> dict[str, Any]:
    """One row of the roi document: who (`head`), the figures (`roi_figures`) with the irr
    after the multiple, their grades (`Money.grades`), and a venture's disputed claims
    (`dispute`)."""
    row = dict(head)
    for name, value in figures.items():
        row[name] = value
        if name == "multiple":
            row.update(irr_fields(rate))
    row.update(grades_field(grades))
    if disputes is not None:
        row["disputes"] = disputes
    return row


def venture_head(venture: str, program: str, currency: str) -> dict[str, Any]:
    return {"venture": venture, "program": program, "currency": currency}


def program_head(program: str, currency: str) -> dict[str, Any]:
    return {"program": program, "currency": currency}


# The figures of a roi row, in order, and all its fields (the CSV's columns).
ROI_FIGURES = tuple(roi_figures(Money()))
ROI_FIELDS = tuple(roi_row({}, roi_figures(Money()), Rate(None, None), {}))

# A disputed period's keys, in order (an extension of the contract's roi shape): the
# read model keeps these very values in its `claims` rows.
DISPUTE_FIELDS = ("period", "claims", "chosen", "low", "high", "source")


def dispute(c: PeriodClaims) -> dict[str, Any]:
    """A disputed period behind revenue_to_date: its claims, their range, the one used
    (with the corrections applied to it), and, where any claim is graded, the chosen one's
    grade and each claim's."""
    return graded_dispute(dispute_fields(c), c.evidence, claim_list(c),
                          citations(c.corrected_by))


def dispute_fields(c: PeriodClaims) -> dict[str, Any]:
    """A disputed period's figures, without the grades (DISPUTE_FIELDS)."""
    return dict(zip(DISPUTE_FIELDS, (c.period, c.claims, amount_text(c.chosen),
                                     amount_text(c.low), amount_text(c.high), c.source),
                    strict=True))


def citations(cited: Iterable[Citation]) -> list[dict[str, Any]] | None:
    """The corrections applied to a figure's event, each with its source (and grade), as a
    report cites them beside the original source; None when it was not corrected."""
    out = [{"id": c.id, "occurred_on": c.occurred_on.isoformat(), "source": c.source,
            **grade_field("evidence", c.evidence)} for c in cited]
    return out or None


def cited_field(cited: list[dict[str, Any]] | None) -> dict[str, Any]:
    """`corrected_by` beside a corrected figure's source; no key for one not corrected."""
    return {} if cited is None else {"corrected_by": cited}


def claim_list(c: PeriodClaims) -> list[dict[str, Any]] | None:
    """Each claim of a period with its grade, in contract order; None when no claim has
    a grade (the dispute then reads as before grades existed)."""
    if not c.graded:
        return None
    return [{"id": k.id, "revenue": amount_text(k.revenue), "evidence": k.evidence,
             "occurred_on": k.occurred_on.isoformat()} for k in c.each]


def graded_dispute(base: dict[str, Any], evidence: str, each: list[dict[str, Any]] | None,
                   cited: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A dispute with the corrections of the chosen claim (if any), and the chosen claim's
    grade and each claim's, where any is graded."""
    grading = {} if each is None else {"evidence": evidence, "each": each}
    return {**base, **cited_field(cited), **grading}


def roi_document(ventures: list[dict[str, Any]], programs: list[dict[str, Any]]
                 ) -> dict[str, Any]:
    """Venture rows, then program rows (`roi_row`)."""
    return {"ventures": ventures, "programs": programs}


# -- targets ------------------------------------------------------------------------------

def target_fields(target: Target) -> dict[str, Any]:
    return {"value": amount_text(target.value), "due": target.due.isoformat(),
            "set_on": target.set_on.isoformat(), "source": target.source,
            "baseline": amount_text(target.baseline),
            **grade_field("evidence", target.evidence),
            **cited_field(citations(target.corrected_by))}


def series_row(r: SeriesRow) -> dict[str, Any]:
    a = r.actual
    return {"year": r.year, "date": r.on.isoformat(),
            "expected": amount_text(to_cents(r.expected)),
            "actual": None if a is None else amount_text(a.value),
            "attainment": ratio_number(r.attainment),
            "claims": None if a is None else a.claims,
            "low": None if a is None else amount_text(a.low),
            "high": None if a is None else amount_text(a.high),
            **grade_field("evidence", None if a is None else a.evidence)}


def progress_fields(info: VentureInfo, p: Progress) -> dict[str, Any]:
    f = p.facts
    return {
        "venture": f.venture, "metric": f.metric, "program": info.program,
        # the unit of the values: the venture's currency for revenue, none for a count
        "currency": info.currency if f.metric == "revenue" else None,
        "initial": target_fields(f.initial), "current": target_fields(f.current),
        "revisions": f.revisions,
        "series": [series_row(r) for r in p.series],
        # what final_attainment measures: the actual when the target was judged
        "final_actual": amount_text(f.at_due) if p.status in ("achieved", "missed") else None,
        "final_attainment": ratio_number(p.final_attainment),
        "status": p.status,
        "judged_on": f.end.isoformat(),
        "closed_on": None if f.closed_on is None else f.closed_on.isoformat(),
    }


def targets_document(ventures: Iterable[tuple[VentureInfo, list[TargetFacts]]],
                     as_of: date, *, lazy: bool = False) -> dict[str, Any]:
    """Each venture's targets (in the schema's metric order), evaluated as of the date;
    `lazy`: the rows as an iterator, made as they are read (a streamed report)."""
    rows = (row for info, targets in ventures for row in target_records(info, targets, as_of))
    return {"targets": rows if lazy else list(rows)}


def target_records(info: VentureInfo, targets: list[TargetFacts], as_of: date
                   ) -> Iterable[dict[str, Any]]:
    """One venture's records of the targets report, as of the date."""
    return (progress_fields(info, progress(t, as_of)) for t in targets)


# -- timeline -----------------------------------------------------------------------------

def _public(f: dict[str, Any]) -> str:
    return "public" if f.get("public", True) else "private"


def summary(entry: TimelineEntry, currency: str) -> str:
    """A one-line description of a timeline event (from its fields' exact text)."""
    f = entry.fields
    t = entry.type
    if t == schema.VENTURE_REGISTERED:
        ident = f" ({f['identifier']})" if f.get("identifier") else ""
        return f"registered: {f['name']}{ident}, program {f['program']}"
    if t in (schema.FUNDING_COMMITTED, schema.FUNDING_GRANTED):
        verb = "committed" if t == schema.FUNDING_COMMITTED else "granted"
        return (f"{verb} {money(f['amount'], currency)} by {f['funder']} "
                f"({f['instrument']}, {_public(f)})")
    if t == schema.RETURN_RECEIVED:
        return (f"returned {money(f['amount'], currency)} "
                f"({f['kind'].replace('_', ' ')}, {_public(f)})")
    if t == schema.STAKE_VALUED:
        off = " (write-off)" if Decimal(f["value"]) == 0 else ""
        return f"stake valued at {money(f['value'], currency)}{off}"
    if t == schema.TARGET_SET:
        word = "target" if entry.rank == 0 else f"revised target ({entry.rank})"
        shown = money(f["value"], currency) if f["metric"] == "revenue" else count(f["value"])
        return (f"{word}: {f['metric']} {shown} by {f['due']} "
                f"(baseline {count(f.get('baseline', 0))})")
    if t == schema.OFFER_LAUNCHED:
        segment = f" ({f['segment']})" if f.get("segment") else ""
        return f"offer launched: {f['offer']}{segment}"
    if t == schema.PARTNER_SIGNED:
        kind = f" ({f['kind']})" if f.get("kind") else ""
        n = f.get("count", 1)
        head = "partner signed" if n == 1 else f"{n} partners signed"
        return f"{head}: {f['partner']}{kind}"
    if t == schema.SALES_REPORTED:
        text = f"revenue {f['period']}: {money(f['revenue'], currency)}"
        if "customers" in f:
            text += f", {count(f['customers'])} customers"
        d = entry.dispute
        if d is not None:
            text += (f" (one of {d.claims} claims, {'used' if d.used else 'not used'}; "
                     f"low {money(d.low, currency)}, high {money(d.high, currency)})")
        return text
    if t == schema.METRIC_REPORTED:
        return f"{f['metric']} reported: {count(f['value'])}"
    if t == schema.VENTURE_CLOSED:
        by = f" by {f['acquirer']}" if f.get("acquirer") else ""
        return f"closed: {f['outcome'].replace('_', ' ')}{by}"
    return t


def timeline_document(ventures: Iterable[tuple[VentureInfo, list[TimelineEntry]]],
                      *, lazy: bool = False) -> dict[str, Any]:
    """Each venture's events in contract order, ventures in slug order; `lazy`: the rows
    as an iterator, made as they are read (a streamed report)."""
    rows = (row for info, entries in ventures for row in timeline_records(info, entries))
    return {"timeline": rows if lazy else list(rows)}


def timeline_records(info: VentureInfo, entries: list[TimelineEntry]
                     ) -> Iterable[dict[str, Any]]:
    """One venture's records of the timeline report."""
    return (
        {"venture": r.venture, "program": info.program, "date": r.on.isoformat(),
         "position": r.position, "id": r.id, "type": r.type,
         "summary": summary(r, info.currency), "figure": amount_text(r.figure),
         "currency": info.currency if figure_is_money(r) else None,
         "source": r.source, **grade_field("evidence", r.evidence),
         "corrected": r.corrected, **cited_field(citations(r.corrected_by)), "note": r.note}
        for r in entries)
