"""The contract's report documents (what `-O json` prints), built from folded ventures.

`build_report` is the pure entry point: events in, document out, for any as-of date and
known-at time. The read model calls `document` with the folds it keeps in its tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from outcomes.ledger.clock import format_timestamp
from outcomes.ledger.errors import LedgerError
from outcomes.ledger.model import Event
from outcomes.ledger.state import suggest
from outcomes.projections.folds.claims import PeriodClaims, graded
from outcomes.projections.folds.effective import Citation
from outcomes.projections.folds.numbers import amount_text, ratio_number, to_cents
from outcomes.projections.folds.roi import GRADED, Money, Rate, Returns, combine, evaluate
from outcomes.projections.folds.targets import Progress, SeriesRow, Target
from outcomes.projections.folds.targets import evaluate as progress
from outcomes.projections.folds.venture import Folded, VentureFold, fold_events, registry

KINDS = ("roi", "targets", "timeline")
# The irr of "venture:SLUG" or "program:SLUG" for this money (as of the report's date).
Rates = Callable[[str, Money], Rate]


class ReportError(LedgerError):
    """A report asked for something the ledger does not know (exit code 2)."""


@dataclass(frozen=True)
class Selection:
    """--program / --venture, checked against the registered slugs."""

    program: str | None = None
    venture: str | None = None

    def check(self, programs: dict[str, Any], venture_programs: dict[str, str]) -> None:
        if self.program is not None and self.program not in programs:
            raise ReportError(f"program: unknown program {self.program!r}"
                              + suggest(self.program, programs))
        if self.venture is not None:
            if self.venture not in venture_programs:
                raise ReportError(f"venture: unknown venture {self.venture!r}"
                                  + suggest(self.venture, venture_programs))
            home = venture_programs[self.venture]
            if self.program is not None and home != self.program:
                raise ReportError(f"venture: {self.venture!r} belongs to program {home!r}, "
                                  f"not {self.program!r}")

    def wants(self, fold: VentureFold) -> bool:
        return ((self.venture is None or fold.info.venture == self.venture)
                and (self.program is None or fold.info.program == self.program))


def header(as_of: date, known_at: datetime | None) -> dict[str, Any]:
    return {"as_of": as_of.isoformat(),
            "known_at": None if known_at is None else format_timestamp(known_at)}


# -- roi ----------------------------------------------------------------------------------

def money_fields(money: Money, returns: Returns) -> dict[str, Any]:
    return {
        "public_committed": amount_text(money.public_committed),
        "public_granted": amount_text(money.public_granted),
        "private_granted": amount_text(money.private_granted),
        "returned": amount_text(money.returned),
        "residual_value": None if money.residual_unknown else amount_text(money.residual_value),
        "net": amount_text(returns.net),
        "multiple": ratio_number(returns.multiple),
        "irr": ratio_number(returns.irr),
        "irr_note": returns.irr_note,
        "irr_roots": [ratio_number(r) for r in returns.irr_roots],
        "irr_lower_bound": returns.irr_lower_bound,
        "revenue_to_date": amount_text(money.revenue_to_date),
        "revenue_per_public_euro": ratio_number(returns.revenue_per_public_euro),
        "leverage": ratio_number(returns.leverage),
        "jobs": money.jobs,
        "cost_per_job": amount_text(returns.cost_per_job),
    }


# The key order of a roi row's figures (the read model fills them from its columns).
ROI_FIELDS = tuple(money_fields(Money(), evaluate(Money(), None)))
# Those that depend on the as-of date (the read model solves them, or keeps them solved).
IRR_FIELDS = ("irr", "irr_note", "irr_roots", "irr_lower_bound")


def grades_field(grades: Mapping[str, str]) -> dict[str, Any]:
    """A roi row's `evidence`: the grade of each figure that has one (in the order of
    the row's keys), or no key at all when none has (a ledger without grades)."""
    shown = {name: grade for name in GRADED if (grade := graded(grades.get(name)))}
    return {"evidence": shown} if shown else {}


def disputes(fold: VentureFold) -> list[dict[str, Any]]:
    """The disputed periods behind revenue_to_date (an extension of the contract's shape)."""
    return [dispute(c) for c in fold.disputed]


# A disputed period's keys, in order: the read model selects these very columns from
# its `claims` rows, which hold the same texts.
DISPUTE_FIELDS = ("period", "claims", "chosen", "low", "high", "source")


def dispute(c: PeriodClaims) -> dict[str, Any]:
    return graded_dispute(
        dict(zip(DISPUTE_FIELDS, (c.period, c.claims, amount_text(c.chosen),
                                  amount_text(c.low), amount_text(c.high), c.source),
                 strict=True)), c.evidence, claim_list(c), citations(c.corrected_by))


def citations(cited: Iterable[Citation]) -> list[dict[str, Any]] | None:
    """The corrections applied to a figure's event, each with its source (and grade), as a
    report cites them beside the original source; None when it was not corrected."""
    out = [{"id": c.id, "occurred_on": c.occurred_on.isoformat(), "source": c.source,
            **evidence_field(c.evidence)} for c in cited]
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


def roi_document(folded: Folded, as_of: date, selection: Selection,
                 rates: Rates | None = None) -> dict[str, Any]:
    """Venture rows, then program rows; `rates` may supply already computed irrs."""

    def returns(key: str, money: Money) -> Returns:
        return evaluate(money, as_of, rates(key, money) if rates is not None else None)

    ventures = [v for v in folded.ventures.values() if selection.wants(v)]
    rows = [{"venture": v.info.venture, "program": v.info.program,
             "currency": v.info.currency,
             **money_fields(v.money, returns(f"venture:{v.info.venture}", v.money)),
             **grades_field(v.money.grades), "disputes": disputes(v)} for v in ventures]
    programs = []
    if selection.venture is None:
        members: dict[str, list[Money]] = {}  # grouped once: not ventures x programs
        for v in folded.ventures.values():
            members.setdefault(v.info.program, []).append(v.money)
        for slug, info in folded.programs.items():
            if selection.program is not None and slug != selection.program:
                continue
            money = combine(members.get(slug, []))
            programs.append({"program": slug, "currency": info.currency,
                             **money_fields(money, returns(f"program:{slug}", money)),
                             **grades_field(money.grades)})
    return {"ventures": rows, "programs": programs}


# -- targets ------------------------------------------------------------------------------

def target_fields(target: Target) -> dict[str, Any]:
    return {"value": amount_text(target.value), "due": target.due.isoformat(),
            "set_on": target.set_on.isoformat(), "source": target.source,
            "baseline": amount_text(target.baseline), **evidence_field(target.evidence),
            **cited_field(citations(target.corrected_by))}


def evidence_field(grade: str | None) -> dict[str, Any]:
    """`evidence` beside a figure whose event has a grade; no key where it has none, as
    in the event format (so a ledger without grades reads as before grades existed)."""
    shown = graded(grade)
    return {"evidence": shown} if shown else {}


def series_row(r: SeriesRow) -> dict[str, Any]:
    a = r.actual
    return {"year": r.year, "date": r.on.isoformat(),
            "expected": amount_text(to_cents(r.expected)),
            "actual": None if a is None else amount_text(a.value),
            "attainment": ratio_number(r.attainment),
            "claims": None if a is None else a.claims,
            "low": None if a is None else amount_text(a.low),
            "high": None if a is None else amount_text(a.high),
            **evidence_field(None if a is None else a.evidence)}


def progress_fields(fold: VentureFold, p: Progress) -> dict[str, Any]:
    f = p.facts
    return {
        "venture": f.venture, "metric": f.metric, "program": fold.info.program,
        "currency": fold.info.currency,
        "initial": target_fields(f.initial), "current": target_fields(f.current),
        "revisions": f.revisions,
        "series": [series_row(r) for r in p.series],
        "final_attainment": ratio_number(p.final_attainment),
        "status": p.status,
        "judged_on": f.end.isoformat(),
        "closed_on": None if f.closed_on is None else f.closed_on.isoformat(),
    }


def targets_document(folded: Folded, as_of: date, selection: Selection) -> dict[str, Any]:
    return {"targets": [progress_fields(v, progress(t, as_of))
                        for v in folded.ventures.values() if selection.wants(v)
                        for t in v.targets]}


# -- timeline -----------------------------------------------------------------------------

def timeline_document(folded: Folded, selection: Selection) -> dict[str, Any]:
    return {"timeline": [
        {"venture": r.venture, "program": v.info.program, "date": r.on.isoformat(),
         "position": r.position, "id": r.id, "type": r.type, "summary": r.summary,
         "figure": amount_text(r.figure), "currency": v.info.currency, "source": r.source,
         **evidence_field(r.evidence), "corrected": r.corrected,
         **cited_field(citations(r.corrected_by)), "note": r.note}
        for v in folded.ventures.values() if selection.wants(v) for r in v.timeline]}


# -- entry points -------------------------------------------------------------------------

def document(kind: str, folded: Folded, *, as_of: date, known_at: datetime | None,
             selection: Selection, rates: Rates | None = None) -> dict[str, Any]:
    """The JSON document of one report kind over already folded ventures."""
    if kind == "roi":
        body = roi_document(folded, as_of, selection, rates)
    elif kind == "targets":
        body = targets_document(folded, as_of, selection)
    elif kind == "timeline":
        body = timeline_document(folded, selection)
    else:
        raise ReportError(f"unknown report {kind!r}; one of {', '.join(KINDS)}")
    return {**header(as_of, known_at), **body}


def build_report(kind: str, events: Iterable[Event], *, as_of: date,
                 known_at: datetime | None = None, program: str | None = None,
                 venture: str | None = None) -> dict[str, Any]:
    """A report computed from the events alone (never from the read model).

    The reference for the read model, and the way `--known-at` is answered.
    """
    events = list(events)
    who = registry(events, known_at)
    selection = Selection(program, venture)
    selection.check(who.programs, {v: i.program for v, i in who.ventures.items()})
    folded = fold_events(events, as_of=as_of, known_at=known_at)
    return document(kind, folded, as_of=as_of, known_at=known_at, selection=selection)
