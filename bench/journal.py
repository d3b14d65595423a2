"""The bench's ledger as an hledger journal, so that hledger can be timed beside outcomes.

What a fair journal is (docs/performance.md, "hledger as a peer"): the same facts, in the
form a user of hledger would keep them, without the work outcomes does that hledger
cannot (corrections, retractions and competing claims are resolved here, once, in favour
of hledger):

- money flows are transactions of two postings: a grant or a commitment from its funder to
  the venture, a return from the venture to its funder, a period's revenue from customers
  to the venture (dated on the first day of its year or quarter);
- counts (jobs, customers, partners, offers) are postings in their own commodity (`JOBS`,
  ...), of the change since the venture's last reported total, so a balance is the level;
- targets are periodic budget rules: a revenue target `~ yearly` from the year it was set to
  its due date; a count target, the increase over its baseline in its due year;
- a corrected event is written as corrected, a retracted one not at all, and of several
  claims of revenue for one period only the last one recorded;
- valuations, closures and registrations carry no flow: no transaction.

Accounts are `programs:<program>:<venture>:<what>`, so `balance -Y` totals every venture
and program per year, as the reports do.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

JOURNAL_VERSION = 1  # the cached journal is written again when this changes
UNITS = {"jobs": "JOBS", "customers": "CUSTOMERS", "partners": "PARTNERS",
         "offers": "OFFERS"}


def _period_start(period: str) -> str:
    year, _, quarter = period.partition("-Q")
    month = 1 + 3 * (int(quarter) - 1) if quarter else 1
    return f"{year}-{month:02d}-01"


def effective(ledger: Path) -> Iterator[dict[str, Any]]:
    """The events of the file as corrected, in file order, without the retracted ones, the
    corrections and retractions themselves, and the earlier claims of revenue for one
    venture and period. Two passes over the file: what amends an event comes after it."""
    changes: dict[str, dict[str, Any]] = {}
    gone: set[str] = set()
    last_claim: dict[tuple[str, str], str] = {}
    with ledger.open(encoding="utf-8") as stream:
        for line in stream:
            e = json.loads(line)
            if e["type"] == "EventCorrected":
                changes.setdefault(e["event"], {}).update(e["changes"])
            elif e["type"] == "EventRetracted":
                gone.add(e["event"])
            elif e["type"] == "SalesReported":
                last_claim[(e["venture"], e["period"])] = e["id"]
    with ledger.open(encoding="utf-8") as stream:
        for line in stream:
            e = json.loads(line)
            if e["type"] in ("EventCorrected", "EventRetracted") or e["id"] in gone:
                continue
            if e["id"] in changes:
                e = {**e, **changes[e["id"]]}
            if e["type"] == "SalesReported" and last_claim.get((e["venture"], e["period"])) \
                    != e["id"]:
                e = {**e, "revenue": None}  # an earlier claim: its customers still count
            yield e


def write_journal(ledger: Path, out: TextIO) -> int:
    """Write the journal of the JSONL file `ledger` to `out`; the number of transactions."""
    program_of: dict[str, str] = {}
    currency: dict[str, str] = {}
    level: dict[tuple[str, str], int] = {}
    count = 0

    def account(venture: str, what: str) -> str:
        return f"programs:{program_of[venture]}:{venture}:{what}"

    def money(venture: str, amount: str) -> str:
        return f"{amount} {currency[program_of[venture]]}"

    def transaction(day: str, title: str, *postings: str) -> None:
        nonlocal count
        out.write(f"{day} {title}\n")
        for p in postings:
            out.write(f"    {p}\n")
        out.write("\n")
        count += 1

    def counted(day: str, venture: str, metric: str, total: int) -> None:
        before = level.get((venture, metric), 0)
        level[(venture, metric)] = total
        if total != before:
            transaction(day, f"{venture} {metric}",
                        f"{account(venture, metric)}  {total - before} {UNITS[metric]}",
                        "metrics:reported")

    for e in effective(ledger):
        kind, day = e["type"], e["occurred_on"]
        v = e.get("venture")
        if kind == "ProgramRegistered":
            currency[e["program"]] = e.get("currency") or "EUR"
        elif kind == "VentureRegistered":
            program_of[v] = e["program"]
        elif kind in ("FundingGranted", "FundingCommitted"):
            what = "granted" if kind == "FundingGranted" else "committed"
            transaction(day, f"{v} {what}", f"{account(v, what)}  {money(v, e['amount'])}",
                        f"funders:{e['funder']}:{what}")
        elif kind == "ReturnReceived":
            transaction(day, f"{v} return", f"{account(v, 'returned')}  "
                        f"-{money(v, e['amount'])}", "funders:returns")
        elif kind == "SalesReported":
            if e["revenue"] is not None:
                transaction(_period_start(e["period"]), f"{v} sales {e['period']}",
                            f"{account(v, 'revenue')}  -{money(v, e['revenue'])}",
                            "customers:sales")
            if e.get("customers") is not None:
                counted(day, v, "customers", int(e["customers"]))
        elif kind == "MetricReported":
            counted(day, v, e["metric"], int(e["value"]))
        elif kind == "OfferLaunched":
            counted(day, v, "offers", level.get((v, "offers"), 0) + 1)
        elif kind == "PartnerSigned":
            counted(day, v, "partners", level.get((v, "partners"), 0) + int(e.get("count", 1)))
        elif kind == "TargetSet":
            metric, due = e["metric"], e["due"]
            if metric == "revenue":
                out.write(f"~ yearly from {day[:4]}-01-01 to {due}  {v} revenue target\n"
                          f"    {account(v, 'revenue')}  -{money(v, e['value'])}\n"
                          "    customers:sales\n\n")
            else:
                rise = Decimal(e["value"]) - Decimal(e.get("baseline") or 0)
                out.write(f"~ yearly from {due[:4]}-01-01 to {int(due[:4]) + 1}-01-01  "
                          f"{v} {metric} target\n"
                          f"    {account(v, metric)}  {rise.normalize():f} {UNITS[metric]}\n"
                          "    metrics:reported\n\n")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.journal",
                                     description="Convert a JSONL ledger to an hledger journal.")
    parser.add_argument("ledger", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    with args.output.open("w", encoding="utf-8") as out:
        count = write_journal(args.ledger, out)
    print(f"{count} transactions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
