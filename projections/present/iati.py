"""The ledger as IATI activities (IATI Activity Standard 2.03): one `iati-activity` per venture.

`iati_activities` lays out the `iati-activities` element from each present venture's fold
and facts, as of a date and as known at a time (readmodel.replay.iati_from_events files
the events and folds them, as for any report); `iati_xml` writes it. The figures come
from the same places as the reports: the effective events (corrections applied,
retractions left out), the folds and the targets report document; nothing here decides
anew which claim counts or how a year's revenue adds up. Every mapping choice, and every
IATI element left out because the ledger does not hold it, is in docs/iati.md: change both
together.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from outcomes.ledger import schema
from outcomes.ledger.clock import format_timestamp
from outcomes.ledger.errors import ReportError
from outcomes.ledger.model import Event
from outcomes.projections.folds.effective import effective, passes
from outcomes.projections.folds.venture import ProgramInfo, VentureFold
from outcomes.projections.present.documents import targets_document
from outcomes.projections.present.numbers import amount_text

IATI_VERSION = "2.03"
# IATI needs an organisation identifier for the reporting organisation (and an activity
# identifier that starts with it). The ledger holds none: the rule is REF_PREFIX + "-" +
# the program's slug, a prefix that is no registration agency of IATI's
# OrganisationRegistrationAgency codelist, so it cannot pass for a registered identifier.
REF_PREFIX = "OUTCOMES"

# TransactionType (IATI 2.03, embedded codelist).
INCOMING_FUNDS = "1"
OUTGOING_COMMITMENT = "2"
DISBURSEMENT = "3"
INTEREST_PAYMENT = "5"
LOAN_REPAYMENT = "6"
PURCHASE_OF_EQUITY = "8"
SALE_OF_EQUITY = "9"
CREDIT_GUARANTEE = "10"
RETURN_CODES = {"stake_sale": SALE_OF_EQUITY, "repayment": LOAN_REPAYMENT,
                "interest": INTEREST_PAYMENT, "dividend": INCOMING_FUNDS,
                "other": INCOMING_FUNDS}

# ActivityStatus: a venture closed by the as-of date is Closed, any other Implementation.
CLOSED, IMPLEMENTATION = "4", "2"
# ActivityDateType.
ACTUAL_START, ACTUAL_END = "2", "4"
# OrganisationRole.
FUNDING, IMPLEMENTING = "1", "4"
# OrganisationType of the reporting organisation (required by the schema): the program's
# funder funds "a publicly funded program"; which public body it is, the ledger does not
# say: 15, Other Public Sector.
REPORTING_ORG_TYPE = "15"
# OtherIdentifierType: the venture's official identifier (e.g. a SIREN).
OTHER_ORGANISATION_IDENTIFIER = "B9"
# ResultType: what the venture itself produces (offers, partners) is an Output; what
# follows from it (revenue, customers, jobs) an Outcome.
RESULT_TYPES = {"revenue": "2", "customers": "2", "jobs": "2", "partners": "1",
                "offers": "1"}
UNIT = "1"  # IndicatorMeasure: every metric is a number (an amount or a count)
# DocumentCategory of a source, by the type of the events that cite it.
OBJECTIVES, BUDGET, REVIEW, RESULTS = "A02", "A05", "A07", "A08"
CATEGORIES = {
    schema.PROGRAM_REGISTERED: OBJECTIVES, schema.VENTURE_REGISTERED: OBJECTIVES,
    schema.TARGET_SET: OBJECTIVES, schema.FUNDING_COMMITTED: BUDGET,
    schema.FUNDING_GRANTED: BUDGET, schema.RETURN_RECEIVED: REVIEW, schema.STAKE_VALUED: REVIEW,
    schema.VENTURE_CLOSED: REVIEW, schema.SALES_REPORTED: RESULTS,
    schema.METRIC_REPORTED: RESULTS, schema.OFFER_LAUNCHED: RESULTS,
    schema.PARTNER_SIGNED: RESULTS,
}
METRIC_TITLES = {"revenue": "Revenue", "customers": "Customers", "partners": "Partners",
                 "offers": "Offers on the market", "jobs": "Jobs"}
OUTCOME_WORDS = {"acquired": "acquired", "merged": "merged", "liquidated": "liquidated",
                 "wound_down": "wound down", "other": "closed"}

URL_RE = re.compile(r"https?://[^\s<>\"]+")
# Characters XML 1.0 cannot carry, even escaped: shown as Python writes them ("\x1b").
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class IatiError(ReportError):
    """An export that IATI cannot represent (exit code 2, one line)."""


# -- text --------------------------------------------------------------------------------

def xml_text(text: str) -> str:
    """Recorded text as XML can hold it: kept exactly, but for the few control characters
    XML 1.0 forbids (shown as `\\x1b`, as in every other output)."""
    if not XML_UNSAFE.search(text):
        return text
    return XML_UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                          else f"\\u{ord(m.group()):04x}", text)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str | None
        ) -> ET.Element:
    """A child element; attributes given as None are left out, names use - for _."""
    child = ET.SubElement(parent, tag, {k.replace("_", "-"): xml_text(v)
                                        for k, v in attrs.items() if v is not None})
    if text is not None:
        child.text = xml_text(text)
    return child


def _narrative(parent: ET.Element, tag: str, text: str, **attrs: str | None) -> ET.Element:
    """`<tag><narrative>text</narrative></tag>`."""
    element = _el(parent, tag, **attrs)
    _el(element, "narrative", text)
    return element


def _trim_url(url: str) -> str:
    """A URL without the punctuation that closes the sentence around it."""
    while url and (url[-1] in ".,;:!?" or (url[-1] == ")" and url.count("(") < url.count(")"))
                   or (url[-1] == "]" and url.count("[") < url.count("]"))):
        url = url[:-1]
    return url


@dataclass(frozen=True)
class Link:
    """One URL of a source, with the citation written beside it (or None)."""

    url: str
    citation: str | None


def source_links(source: str) -> list[Link]:
    """The http(s) URLs of a source text, each with its citation: the text after it up to
    the next URL (the fixture's `URL (Journal, date) ; URL (...)`), else the text before
    it. A source without a URL gives none (IATI's document-link requires one)."""
    found = list(URL_RE.finditer(source))
    links = []
    for i, match in enumerate(found):
        url = _trim_url(match.group())
        start, end = match.start(), match.start() + len(url)
        after = source[end:found[i + 1].start() if i + 1 < len(found) else len(source)]
        before = source[found[i - 1].end() if i else 0:start]
        citation = _citation(after) or _citation(before)
        links.append(Link(url, citation))
    return links


def _citation(text: str) -> str | None:
    """The words beside a URL, without the separators and brackets around them."""
    punctuation = " \t\r\n;,.:"
    text = text.strip(punctuation)
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    elif text.startswith("(") and ")" not in text:
        text = text[1:]
    elif text.endswith(")") and "(" not in text:
        text = text[:-1]
    return text.strip(punctuation) or None


def media_type(url: str) -> str:
    """The document's IANA media type, which IATI requires and the ledger does not hold:
    application/pdf for a path ending in .pdf, text/html (a web page) otherwise."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    return "application/pdf" if path.lower().endswith(".pdf") else "text/html"


def _document_link(parent: ET.Element, link: Link, categories: Iterable[str], *,
                   description: str | None = None, on: date | None = None) -> None:
    element = _el(parent, "document-link", url=link.url, format=media_type(link.url))
    _narrative(element, "title", link.citation or link.url)
    if description:
        _narrative(element, "description", description)
    for code in sorted(set(categories)):
        _el(element, "category", code=code)
    if on is not None:
        _el(element, "document-date", iso_date=on.isoformat())


# -- the ledger's side ------------------------------------------------------------------

@dataclass
class VentureEvents:
    """The events an activity is made of, in contract order."""

    registration: list[Event] = field(default_factory=list)  # the program's and the venture's
    effective: list[Event] = field(default_factory=list)  # the venture's, as of the date
    corrections: list[Event] = field(default_factory=list)  # applied to those


def _gather(venture: str, events: list[Event], *, as_of: date,
            known_at: datetime | None) -> tuple[VentureEvents, dict[str, int]]:
    """A present venture's events, from its facts: registrations as the registry reads
    them (whatever the date), the rest as the reports see them, and the corrections
    applied to them, each under the same date rule as what it corrects; and how many
    corrections each of its effective events has had."""
    out = VentureEvents()
    registrations = [e for e in effective(events, known_at=known_at).events
                     if e.type in schema.REGISTRATIONS]
    programs = {e.fields["program"]: e for e in registrations
                if e.type == schema.PROGRAM_REGISTERED}
    for e in registrations:
        if e.type == schema.VENTURE_REGISTERED and e.fields["venture"] == venture:
            program = programs.get(e.fields["program"])
            out.registration = [p for p in (program, e) if p is not None]
    registered = {e.id for e in out.registration}
    used = set(registered)  # the ids of the events the activity is made of
    eff = effective(events, as_of=as_of, known_at=known_at)
    for e in eff.events:
        if e.venture == venture and e.type not in schema.REGISTRATIONS:
            out.effective.append(e)
            used.add(e.id)
    for e in sorted(events, key=lambda e: e.position):  # as effective() applies them
        target = e.fields.get("event") if e.type == schema.EVENT_CORRECTED else None
        if target in used and passes(e, None if target in registered else as_of, known_at):
            out.corrections.append(e)
    return out, eff.corrections


# -- one activity -----------------------------------------------------------------------

def reporting_ref(program: str) -> str:
    return f"{REF_PREFIX}-{program}"


def activity_identifier(program: str, venture: str) -> str:
    return f"{reporting_ref(program)}-{venture}"


def _amount(value: Decimal) -> str:
    return amount_text(value) or ""


def _public(fields: Mapping[str, Any]) -> str:
    return "Public" if fields["public"] else "Private"


def transaction_code(event: Event) -> str:
    """The IATI TransactionType code of a money event (docs/iati.md, "Transactions")."""
    f = event.fields
    if event.type == schema.FUNDING_COMMITTED:
        return CREDIT_GUARANTEE if f["instrument"] == "guarantee" else OUTGOING_COMMITMENT
    if event.type == schema.FUNDING_GRANTED:
        return PURCHASE_OF_EQUITY if f["instrument"] == "equity" else DISBURSEMENT
    if event.type == schema.RETURN_RECEIVED:
        return RETURN_CODES[f["kind"]]
    raise ValueError(f"no IATI transaction for {event.type}")


def _transaction(activity: ET.Element, event: Event, venture_name: str, program: str,
                 program_funder: str) -> None:
    f = event.fields
    on = event.occurred_on.isoformat()
    element = _el(activity, "transaction", ref=event.id)
    _el(element, "transaction-type", code=transaction_code(event))
    _el(element, "transaction-date", iso_date=on)
    amount = f["amount"]
    _el(element, "value", _amount(amount), value_date=on)
    if event.type == schema.RETURN_RECEIVED:
        words = f"{_public(f)} money returned: {f['kind'].replace('_', ' ')}"
    else:
        verb = "committed" if event.type == schema.FUNDING_COMMITTED else "paid"
        words = f"{_public(f)} money {verb}, as {f['instrument']}"
    _narrative(element, "description", words)
    if event.type == schema.RETURN_RECEIVED:
        _narrative(element, "provider-org", venture_name)
    else:
        ref = reporting_ref(program) if f["funder"] == program_funder else None
        _narrative(element, "provider-org", f["funder"], ref=ref)
        _narrative(element, "receiver-org", venture_name)


def _activity_links(activity: ET.Element, mine: VentureEvents) -> None:
    """One document-link per URL cited by the activity's events, in order of first
    citation, with the ids of the events that cite it and their categories."""
    corrected_type = {e.id: e.type for e in [*mine.registration, *mine.effective]}
    cited: dict[str, tuple[Link, list[str], set[str]]] = {}
    for event in [*mine.registration, *mine.effective, *mine.corrections]:
        if event.type == schema.EVENT_CORRECTED:
            target = event.fields["event"]
            label, category = f"{event.id} (correction of {target})", \
                CATEGORIES[corrected_type[target]]
        else:
            label, category = event.id, CATEGORIES[event.type]
        for link in source_links(event.source):
            entry = cited.setdefault(link.url, (link, [], set()))
            if label not in entry[1]:
                entry[1].append(label)
            entry[2].add(category)
    for link, labels, categories in cited.values():
        _document_link(activity, link, categories,
                       description="Source of the ledger's events " + ", ".join(labels))


def _status_words(target: Mapping[str, Any], as_of: date) -> str:
    """The targets report's verdict, in its own words and numbers."""
    status = f"Status as of {as_of.isoformat()}: {target['status']}"
    if target["final_attainment"] is not None:
        status += f", final attainment {target['final_attainment']} (actual / initial target)"
    if target["judged_on"] != target["initial"]["due"]:
        status += f", judged on {target['judged_on']}, when the venture closed"
    return status + "."


def _unit(metric: str, currency: str) -> str:
    return f"{currency} a year" if metric == "revenue" else "number"


def _target_words(which: str, t: Mapping[str, Any], metric: str, currency: str) -> str:
    value = f"{t['value']} {currency} a year" if metric == "revenue" else t["value"]
    return f"{which} target: {value} by {t['due']}, set on {t['set_on']}, baseline {t['baseline']}"


@dataclass(frozen=True)
class Claim:
    """A revenue claim, as the ledger holds it (corrected)."""

    event: Event
    corrected: bool

    @property
    def year(self) -> int:
        return int(self.event.fields["period"][:4])


def _claims_comment(year: int, claims: list[Claim], fold: VentureFold, currency: str
                    ) -> str | None:
    """How the year's figure was reached from its claims (the fold's numbers)."""
    made = fold.years.get(year)
    if made is None:
        return None
    words = []
    if made.basis == "quarters":
        words.append("Sum of the claims for " + ", ".join(made.periods))
    if made.disputed:
        words.append(f"{made.claims} conflicting claims for the periods used, from "
                     f"{_amount(made.low)} to {_amount(made.high)} {currency}; the figure is "
                     "the one the reports use")
    unlinked = [c for c in claims if not source_links(c.event.source)]
    if unlinked:
        words.append("claims whose source has no URL: " + "; ".join(
            f"{_amount(c.event.fields['revenue'])} {currency} for {c.event.fields['period']}, "
            f"published {c.event.occurred_on.isoformat()} (ledger event {c.event.id})"
            for c in unlinked))
    return ". ".join(words) + "." if words else None


def _actual(period: ET.Element, value: str | None, year: int | None, claims: list[Claim],
            fold: VentureFold, currency: str) -> None:
    """The period's actual; for revenue, with every claim for its year linked."""
    if value is None and not claims:
        return
    actual = _el(period, "actual", value=value)
    if year is None:
        return
    comment = _claims_comment(year, claims, fold, currency)
    if comment:
        _narrative(actual, "comment", comment)
    for claim in claims:
        f = claim.event.fields
        words = (f"Claims revenue of {_amount(f['revenue'])} {currency} for {f['period']} "
                 f"(ledger event {claim.event.id}{', corrected' if claim.corrected else ''})")
        for link in source_links(claim.event.source):
            _document_link(actual, link, [RESULTS], description=words,
                           on=claim.event.occurred_on)


def _result(activity: ET.Element, metric: str, name: str, currency: str, as_of: date,
            target: Mapping[str, Any] | None, claims: list[Claim], fold: VentureFold) -> None:
    """One result per metric with a target, and one for revenue claimed without a target."""
    result = _el(activity, "result", type=RESULT_TYPES[metric])
    _narrative(result, "title", f"{METRIC_TITLES[metric]} of {name}")
    if target is not None:
        words = [_target_words("Initial", target["initial"], metric, currency)]
        if target["revisions"]:
            words.append(_target_words("current", target["current"], metric, currency)
                         + f" ({target['revisions']} revision(s) since the initial one)")
        _narrative(result, "description",
                   "; ".join(words) + ". " + _status_words(target, as_of))
        sources = [("initial", target["initial"]["source"])]
        if target["revisions"] and target["current"]["source"] != target["initial"]["source"]:
            sources.append(("current", target["current"]["source"]))
        for which, source in sources:
            for link in source_links(source):
                _document_link(result, link, [OBJECTIVES],
                               description=f"Source of the {which} target")
    else:
        _narrative(result, "description", f"Revenue claimed for {name}, with no target set.")
    indicator = _el(result, "indicator", measure=UNIT, ascending="1")
    _narrative(indicator, "title", f"{METRIC_TITLES[metric]} ({_unit(metric, currency)})")
    rows: dict[int, Mapping[str, Any]] = {}
    if target is not None:
        initial = target["initial"]
        _narrative(indicator, "description",
                   f"Each period's target is the value expected at its end on the straight "
                   f"line from the baseline ({initial['baseline']} on {initial['set_on']}) to "
                   f"the initial target ({initial['value']} by {initial['due']}), as the "
                   "targets report computes it (docs/reports.md): not a figure a source stated, "
                   "unlike the initial target itself.")
        _el(indicator, "baseline", year=initial["set_on"][:4], iso_date=initial["set_on"],
            value=initial["baseline"])
        rows = {row["year"]: row for row in target["series"]}
    by_year: dict[int, list[Claim]] = {}
    for claim in claims:
        by_year.setdefault(claim.year, []).append(claim)
    # Revenue: every year with a claim has a period, within the series or not.
    years = sorted(set(rows) | (set(by_year) if metric == "revenue" else set()))
    for year in years:
        row = rows.get(year)
        period = _el(indicator, "period")
        _el(period, "period-start", iso_date=f"{year:04d}-01-01")
        _el(period, "period-end", iso_date=row["date"] if row else f"{year:04d}-12-31")
        if row is not None:
            _el(period, "target", value=row["expected"])
            value = row["actual"]
        else:
            made = fold.years.get(year)
            value = None if made is None else _amount(made.revenue)
        _actual(period, value, year if metric == "revenue" else None, by_year.get(year, []),
                fold, currency)


def _activity(root: ET.Element, fold: VentureFold, mine: VentureEvents,
              targets: list[Mapping[str, Any]], *, program_name: str, program_funder: str,
              as_of: date, corrected: Mapping[str, int]) -> None:
    info = fold.info
    used = [*mine.registration, *mine.effective, *mine.corrections]
    updated = max((e.recorded_at for e in used), default=None)
    activity = _el(root, "iati-activity", default_currency=info.currency,
                   last_updated_datetime=None if updated is None else format_timestamp(updated))
    _el(activity, "iati-identifier", activity_identifier(info.program, info.venture))
    _narrative(activity, "reporting-org", program_funder, ref=reporting_ref(info.program),
               type=REPORTING_ORG_TYPE)
    _narrative(activity, "title", info.name)
    _narrative(activity, "description",
               f"{info.name}: a venture of the program \"{program_name}\", funded by "
               f"{program_funder}.", type="1")
    funders = [program_funder]
    for e in mine.effective:
        if e.type in (schema.FUNDING_COMMITTED, schema.FUNDING_GRANTED) \
                and e.fields["funder"] not in funders:
            funders.append(e.fields["funder"])
    for funder in funders:
        ref = reporting_ref(info.program) if funder == program_funder else None
        _narrative(activity, "participating-org", funder, ref=ref, role=FUNDING)
    _narrative(activity, "participating-org", info.name, role=IMPLEMENTING)
    if info.identifier:
        _el(activity, "other-identifier", ref=info.identifier,
            type=OTHER_ORGANISATION_IDENTIFIER)
    _el(activity, "activity-status", code=CLOSED if fold.closed_on else IMPLEMENTATION)
    _el(activity, "activity-date", iso_date=info.registered_on.isoformat(), type=ACTUAL_START)
    if fold.closed_on is not None:
        closure = [e for e in mine.effective if e.type == schema.VENTURE_CLOSED][-1]
        words = f"Venture closed ({OUTCOME_WORDS[closure.fields['outcome']]})"
        if closure.fields.get("acquirer"):
            words += f", acquirer: {closure.fields['acquirer']}"
        _narrative(activity, "activity-date", words, iso_date=fold.closed_on.isoformat(),
                   type=ACTUAL_END)
    for e in mine.effective:
        if e.type in (schema.FUNDING_COMMITTED, schema.FUNDING_GRANTED, schema.RETURN_RECEIVED):
            _transaction(activity, e, info.name, info.program, program_funder)
    _activity_links(activity, mine)
    claims = [Claim(e, e.id in corrected) for e in mine.effective
              if e.type == schema.SALES_REPORTED]
    by_metric = {t["metric"]: t for t in targets}
    if "revenue" not in by_metric and claims:
        _result(activity, "revenue", info.name, info.currency, as_of, None, claims, fold)
    for t in targets:
        _result(activity, t["metric"], info.name, info.currency, as_of, t,
                claims if t["metric"] == "revenue" else [], fold)


# -- the document -----------------------------------------------------------------------

def iati_activities(ventures: Iterable[tuple[VentureFold, list[Event]]],
                    programs: Mapping[str, ProgramInfo], *, as_of: date,
                    known_at: datetime | None, generated_at: datetime) -> ET.Element:
    """The `iati-activities` element: one activity per venture present as of the date,
    from each venture's fold and facts (projections/readmodel/query.py)."""
    root = ET.Element("iati-activities", {"version": IATI_VERSION,
                                          "generated-datetime": format_timestamp(generated_at)})
    seen: dict[str, str] = {}
    for fold, events in ventures:
        slug = fold.info.venture
        ident = activity_identifier(fold.info.program, slug)
        if ident in seen:
            raise IatiError(f"ventures {seen[ident]!r} and {slug!r} would both get the IATI "
                            f"identifier {ident!r} (program slug + venture slug): IATI needs "
                            "one per activity")
        seen[ident] = slug
        mine, corrected = _gather(slug, events, as_of=as_of, known_at=known_at)
        targets = targets_document([(fold.info, fold.targets)], as_of)["targets"]
        program = programs[fold.info.program]
        _activity(root, fold, mine, targets, program_name=program.name,
                  program_funder=program.funder, as_of=as_of, corrected=corrected)
    if not seen:
        known = "" if known_at is None else f", as known at {format_timestamp(known_at)}"
        raise IatiError(f"no venture registered as of {as_of.isoformat()}{known}: an IATI "
                        "file holds at least one activity")
    return root


def iati_xml(root: ET.Element) -> bytes:
    """The XML file of an `iati-activities` element: UTF-8, declared, indented."""
    ET.indent(root, "  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()
