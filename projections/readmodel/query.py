"""Every report from a fact log: the ventures selected, each folded from its facts, laid out.

The one way a report is computed from facts, at any as-of date and known-at time: the
read model answers so for a date before its last recording (its tables keep the folds over
all events), and a report from the events alone (`--known-at`, the demo, the IATI export)
answers so from a temporary fact log (replay.py). Ventures are folded in batches, so
memory holds one batch's facts and the folded figures, never the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from outcomes.ledger.errors import ReportError
from outcomes.ledger.model import Event
from outcomes.ledger.state import suggest
from outcomes.projections.folds.roi import Money, combine, rate_of_return
from outcomes.projections.folds.venture import (
    ProgramInfo,
    Registry,
    VentureFold,
    VentureInfo,
    fold_venture,
    present_programs,
    registry,
)
from outcomes.projections.present.documents import (
    KINDS,
    dispute,
    header,
    program_head,
    roi_document,
    roi_figures,
    roi_row,
    targets_document,
    timeline_document,
    unknown_kind,
    venture_head,
)

BATCH = 50  # ventures whose facts are read (and folded) together: a few MB of events


class Facts(Protocol):
    """What a report reads of a fact log (factlog.FactLog has it)."""

    def registrations(self) -> list[Event]: ...

    def facts_of(self, ventures: list[str]) -> dict[str, list[Event]]: ...


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

    def wants(self, info: VentureInfo) -> bool:
        return ((self.venture is None or info.venture == self.venture)
                and (self.program is None or info.program == self.program))

    def ventures(self, who: Registry) -> list[str]:
        """The registered ventures it selects, in slug order (checked first)."""
        self.check(who.programs, {v: i.program for v, i in who.ventures.items()})
        return [v for v, info in sorted(who.ventures.items()) if self.wants(info)]


def venture_folds(facts: Facts, ventures: list[str], *, as_of: date | None,
                  known_at: datetime | None = None, timeline: bool = True,
                  batch_size: int | None = None) -> Iterator[tuple[VentureFold, list[Event]]]:
    """Each of `ventures` present as of the date, folded from its facts (with them),
    `batch_size` ventures at a time (default BATCH)."""
    size = batch_size or BATCH
    for start in range(0, len(ventures), size):
        batch = ventures[start:start + size]
        for venture, events in facts.facts_of(batch).items():
            fold = fold_venture(venture, events, as_of=as_of, known_at=known_at,
                                timeline=timeline)
            if fold is not None:
                yield fold, events


def answer(kind: str, facts: Facts, *, as_of: date, known_at: datetime | None,
           selection: Selection) -> dict[str, Any]:
    """The report document of `kind` from a fact log, as of a date, as known at a time."""
    if kind not in KINDS:
        raise unknown_kind(kind)
    who = registry(facts.registrations(), known_at)
    folds = [fold for fold, _ in venture_folds(facts, selection.ventures(who), as_of=as_of,
                                                known_at=known_at, timeline=kind == "timeline")]
    if kind == "roi":
        body = roi(folds, who.programs, as_of, selection)
    elif kind == "targets":
        body = targets_document(((f.info, f.targets) for f in folds), as_of)
    else:
        body = timeline_document((f.info, f.timeline) for f in folds)
    return {**header(as_of, known_at), **body}


def roi(folds: list[VentureFold], programs: dict[str, ProgramInfo], as_of: date,
        selection: Selection) -> dict[str, Any]:
    """The roi document of folded ventures: theirs, then their programs' (unless one
    venture is asked for), each program's money the sum of its present ventures'."""
    ventures = [roi_row(venture_head(f.info.venture, f.info.program, f.info.currency),
                        roi_figures(f.money), rate_of_return(f.money, as_of), f.money.grades,
                        [dispute(c) for c in f.disputed]) for f in folds]
    rows = []
    if selection.venture is None:
        members: dict[str, list[Money]] = {}  # grouped once: not ventures x programs
        for f in folds:
            members.setdefault(f.info.program, []).append(f.money)
        shown = present_programs(programs, (f.info for f in folds), as_of)
        for slug, info in shown.items():
            if selection.program in (None, slug):
                money = combine(members.get(slug, []))
                rows.append(roi_row(program_head(slug, info.currency), roi_figures(money),
                                    rate_of_return(money, as_of), money.grades))
    return roi_document(ventures, rows)
