"""Evidence grades in the reports: the strongest claim wins, then the latest published;
every figure a report uses shows its grade (JSON `evidence`, a letter in tables), and a
ledger without grades reads exactly as before. Expected values derived by hand below.

The ledger (REG: program p, venture v, registered 2012-01-01), in position order:

    3  a  SalesReported 2014  6,000,000  press     published 2015-03-01
    4  b  SalesReported 2014  2,000,000  filed     published 2015-01-10
    5  c  SalesReported 2014  9,000,000  (none)    published 2016-01-01
    6  d  SalesReported 2014  4,000,000  filed     published 2015-01-10 (as b, recorded later)
    7  q  SalesReported 2015-Q1 1,000,000 press    published 2015-05-01
    8  commitments 75 M official, 9: 25 M press; 10: public grant 30 M estimate;
   11  private grant 10 M (none); 12: return 1 M company; 13: valuation 5 M press (2015-06-01);
   14  valuation 3 M filed (2016-02-01); 15: jobs 50 company (2015-07-01);
   16  revenue target 100 M by 2016-12-31 set 2012-01-01, official;
   17  its revision to 80 M by 2018-12-31 on 2015-06-01, company.

- 2014: the filed claims b and d beat press a and ungraded c, though c is the latest; of b
  and d (same day) the later recorded, d: 4,000,000, filed. 4 claims, 2 M to 9 M.
  Without grades: the latest published, c: 9,000,000.
- revenue to date: 4,000,000 (2014, filed) + 1,000,000 (2015, Q1, press) = 5,000,000;
  its grade is its weakest part: press.
- committed 75 + 25 = 100 M: official and press, so press. Paid 30 M: estimate. Private
  paid 10 M: none, so no grade shown. Returned 1 M: company. Residual value: the latest
  valuation (3 M, 2016-02-01), filed. Jobs 50: company.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal as D
from typing import Any

import pytest

from outcomes.ledger.schema import EVIDENCE
from outcomes.projections.folds.history import history
from outcomes.projections.present.history import change_json, history_columns, history_rows
from outcomes.projections.present.layout import GRADE_LEGEND, GRADE_MARKS, render_report
from tests.projection_scenario import SRC, admit, ev
from tests.unit.test_boundaries import LATER, REG, report, venture_row

AS_OF = "2016-06-30"
WIDE = 1000  # tables this wide keep each row on one line (80 columns: tests/cli/test_tables.py)


def claim(id_: str, period: str, revenue: str, published: str, grade: str | None) -> dict:
    return ev("SalesReported", published, id_, venture="v", period=period, revenue=revenue,
              **({"evidence": grade} if grade else {}))


def graded(type_: str, on: str, grade: str | None, **fields: Any) -> dict:
    return ev(type_, on, None, venture="v", **fields, **({"evidence": grade} if grade else {}))


LEDGER = [
    claim("a", "2014", "6000000", "2015-03-01", "press"),
    claim("b", "2014", "2000000", "2015-01-10", "filed"),
    claim("c", "2014", "9000000", "2016-01-01", None),
    claim("d", "2014", "4000000", "2015-01-10", "filed"),
    claim("q", "2015-Q1", "1000000", "2015-05-01", "press"),
    graded("FundingCommitted", "2012-02-01", "official", amount="75000000", funder="F"),
    graded("FundingCommitted", "2012-03-01", "press", amount="25000000", funder="F"),
    graded("FundingGranted", "2013-01-01", "estimate", amount="30000000", funder="F"),
    graded("FundingGranted", "2013-01-01", None, amount="10000000", funder="P", public=False),
    graded("ReturnReceived", "2015-01-01", "company", amount="1000000", kind="dividend"),
    graded("StakeValued", "2015-06-01", "press", value="5000000"),
    graded("StakeValued", "2016-02-01", "filed", value="3000000"),
    graded("MetricReported", "2015-07-01", "company", metric="jobs", value=50),
    ev("TargetSet", "2012-01-01", "t1", venture="v", metric="revenue", value="100000000",
       due="2016-12-31", evidence="official"),
    ev("TargetSet", "2015-06-01", "t2", venture="v", metric="revenue", value="80000000",
       due="2018-12-31", evidence="company"),
]


def ungraded(raws: list[dict]) -> list[dict]:
    return [{k: v for k, v in raw.items() if k != "evidence"} for raw in raws]


def each(id_: str, revenue: str, grade: str, on: str) -> dict:
    return {"id": id_, "revenue": revenue, "evidence": grade, "occurred_on": on}


def test_the_strongest_claim_wins_then_the_latest_published() -> None:
    row = venture_row(report("roi", LEDGER, AS_OF))
    assert row["disputes"] == [{
        "period": "2014", "claims": 4, "chosen": "4000000", "low": "2000000",
        "high": "9000000", "source": SRC + "d", "evidence": "filed",
        "each": [each("b", "2000000", "filed", "2015-01-10"),
                 each("d", "4000000", "filed", "2015-01-10"),
                 each("a", "6000000", "press", "2015-03-01"),
                 each("c", "9000000", "unspecified", "2016-01-01")]}]
    assert row["revenue_to_date"] == "5000000"


def test_without_grades_the_latest_published_wins_and_nothing_is_added() -> None:
    row = venture_row(report("roi", ungraded(LEDGER), AS_OF))
    assert row["disputes"] == [{"period": "2014", "claims": 4, "chosen": "9000000",
                                "low": "2000000", "high": "9000000", "source": SRC + "c"}]
    assert row["revenue_to_date"] == "10000000"  # 9 M + 1 M
    assert "evidence" not in row


def test_each_roi_figure_carries_its_grade() -> None:
    doc = report("roi", LEDGER, AS_OF)
    assert venture_row(doc)["evidence"] == {
        "public_committed": "press", "public_granted": "estimate", "returned": "company",
        "residual_value": "filed", "revenue_to_date": "press", "jobs": "company"}
    # the program's figures: its one venture's
    assert doc["programs"][0]["evidence"] == venture_row(doc)["evidence"]
    # the key sits after the figures, before the disputes
    keys = list(venture_row(doc))
    assert keys.index("cost_per_job") + 1 == keys.index("evidence") == keys.index("disputes") - 1


def test_a_grade_weakens_a_program_sum() -> None:
    # a second venture w, whose commitment has no grade: the program's commitment is then
    # unspecified (no key), while v's own stays press.
    second = [ev("VentureRegistered", "2012-01-01", "r-w", venture="w", name="W", program="p"),
              ev("FundingCommitted", "2012-02-01", None, venture="w", amount="1", funder="F")]
    doc = report("roi", LEDGER + second, AS_OF)
    assert venture_row(doc)["evidence"]["public_committed"] == "press"
    assert "public_committed" not in doc["programs"][0]["evidence"]
    assert doc["programs"][0]["evidence"]["jobs"] == "company"


def test_targets_carry_the_grades_of_the_target_and_of_each_actual() -> None:
    [t] = report("targets", LEDGER, AS_OF)["targets"]
    assert (t["initial"]["evidence"], t["current"]["evidence"]) == ("official", "company")
    assert [(r["year"], r["actual"], r.get("evidence")) for r in t["series"]] == [
        (2012, None, None), (2013, None, None), (2014, "4000000", "filed"),
        (2015, "1000000", "press"), (2016, None, None)]
    [plain] = report("targets", ungraded(LEDGER), AS_OF)["targets"]
    assert "evidence" not in plain["initial"]
    assert all("evidence" not in r for r in plain["series"])


def test_level_grades_follow_the_level() -> None:
    # partners: a reported total of 10 (company), then a signing (press): 11, press (the
    # weaker); a new total of 20 (filed): filed again.
    raws = [ev("TargetSet", "2012-01-01", "tp", venture="v", metric="partners", value="30",
               due="2016-12-31"),
            graded("MetricReported", "2013-03-01", "company", metric="partners", value=10),
            graded("PartnerSigned", "2014-03-01", "press", partner="X"),
            graded("MetricReported", "2015-03-01", "filed", metric="partners", value=20)]
    [t] = report("targets", raws, "2015-12-31")["targets"]
    assert [(r["year"], r["actual"], r.get("evidence")) for r in t["series"]] == [
        (2012, None, None), (2013, "10", "company"), (2014, "11", "press"),
        (2015, "20", "filed")]


def test_the_timeline_shows_each_events_grade() -> None:
    rows = report("timeline", LEDGER, AS_OF)["timeline"]
    by_id = {r["id"]: r for r in rows}
    assert by_id["d"]["evidence"] == "filed" and "evidence" not in by_id["c"]
    assert "one of 4 claims, used" in by_id["d"]["summary"]
    assert "one of 4 claims, not used" in by_id["c"]["summary"]
    keys = list(by_id["d"])
    assert keys.index("source") + 1 == keys.index("evidence")


def test_a_correction_regrades_a_claim_and_so_changes_the_choice() -> None:
    # regrading a (press) to audited makes it the strongest: 6,000,000.
    fix = ev("EventCorrected", "2016-03-01", "fix", event="a",
             changes={"evidence": "audited"}, reason="the audited accounts say so")
    row = venture_row(report("roi", [*LEDGER, fix], AS_OF))
    [d] = row["disputes"]
    assert (d["chosen"], d["evidence"], d["source"]) == ("6000000", "audited", SRC + "a")
    assert d["each"][2] == each("a", "6000000", "audited", "2015-03-01")


def test_history_follows_the_rule_and_shows_grades_and_their_changes() -> None:
    # the correction's own source is graded filed; it regrades a to audited
    fix = ev("EventCorrected", "2016-03-01", "fix", event="a",
             changes={"evidence": "audited"}, reason="audited", evidence="filed")
    result = history(admit(REG + [*LEDGER, fix], LATER), "v", "revenue")
    changes = [change_json(c) for f, cs in result.ordered() if f.period == "2014" for c in cs]
    got = [(c["id"], c["stated"], c.get("evidence"), c["value"], c.get("value_evidence"),
            c["claims"]) for c in changes]
    assert got == [
        ("a", D(6000000), "press", D(6000000), "press", 1),
        ("b", D(2000000), "filed", D(2000000), "filed", 2),  # filed beats press
        ("c", D(9000000), None, D(2000000), "filed", 3),  # ungraded: no key, not used
        ("d", D(4000000), "filed", D(4000000), "filed", 4),  # same day as b, later
        # the regrade states no new value; its own grade is filed; a is audited now, and used
        ("fix", None, "filed", D(6000000), "audited", 4)]
    # JSON keys: the grade beside what is stated and beside the value
    assert list(changes[0])[5:9] == ["stated", "evidence", "value", "value_evidence"]
    # the table gains two columns only where a grade is recorded
    rows = history_rows(result)
    assert [c.key for c in history_columns(rows)][6:10] == [
        "stated", "evidence", "value", "value_evidence"]
    plain = history_rows(history(admit(REG + ungraded(LEDGER), LATER), "v", "revenue"))
    assert [c.key for c in history_columns(plain)][6:8] == ["stated", "value"]
    assert [r["value"] for r in plain if r["figure"] == "revenue 2014"] == [
        D(6000000), D(6000000), D(9000000), D(9000000)]  # the latest published, as before


# -- tables -------------------------------------------------------------------------------

def cells(text: str, first: str) -> list[str]:
    """The cells of the table line that starts with `first`."""
    line = next(x for x in text.splitlines() if x.strip().startswith(first))
    return re.split(r"\s{2,}", line.strip())


def test_marks_are_one_letter_each() -> None:
    assert GRADE_MARKS == {"audited": "A", "filed": "F", "official": "O", "company": "C",
                           "press": "P", "estimate": "E"}
    assert set(GRADE_MARKS) == set(EVIDENCE)


def test_the_roi_table_marks_each_figure() -> None:
    text = render_report("roi", report("roi", LEDGER, AS_OF), "table", width=WIDE)
    # committed, paid (public), paid (private), returned, residual, net, multiple, irr
    assert cells(text, "v ")[2:7] == ["P 100,000,000 EUR", "E 30,000,000 EUR",
                                      "10,000,000 EUR", "C 1,000,000 EUR", "F 3,000,000 EUR"]
    # revenue to date (disputed, press), ..., jobs (company)
    outcomes = [c for c in text.split("Outcomes for")[1].splitlines()
                if c.strip().startswith("v ")][0]
    assert "* P 5,000,000 EUR" in outcomes and "C 50" in outcomes
    assert GRADE_LEGEND in text
    assert ("* v, 2014: 4 claims (2 filed, 1 press, 1 unspecified) from 2,000,000 EUR to "
            "9,000,000 EUR; the strongest evidence, then the latest published, is used: "
            "4,000,000 EUR (filed).") in text


def test_tables_of_a_ledger_without_grades_have_no_marks() -> None:
    text = render_report("roi", report("roi", ungraded(LEDGER), AS_OF), "table", width=WIDE)
    assert cells(text, "v ")[2:7] == ["100,000,000 EUR", "30,000,000 EUR", "10,000,000 EUR",
                                      "1,000,000 EUR", "3,000,000 EUR"]
    assert "Evidence" not in text
    assert ("* v, 2014: 4 claims from 2,000,000 EUR to 9,000,000 EUR; the latest published "
            "(9,000,000 EUR) is used.") in text
    for kind in ("targets", "timeline"):
        doc = report(kind, ungraded(LEDGER), AS_OF)
        for fmt in ("table", "csv", "markdown"):
            assert "evidence" not in render_report(kind, doc, fmt).lower()


def test_the_targets_and_timeline_tables_show_grades() -> None:
    text = render_report("targets", report("targets", LEDGER, AS_OF), "table", width=WIDE)
    assert "100.0 M EUR by 2016-12-31 (set 2012-01-01, official)" in text
    assert "revised once, now 80.0 M EUR by 2018-12-31 (company)" in text
    assert "* F 4.0 M EUR [" in text and "P 1.0 M EUR [" in text
    assert GRADE_LEGEND in text
    timeline = render_report("timeline", report("timeline", LEDGER, AS_OF), "table", width=WIDE)
    assert cells(timeline, "Venture") == ["Venture", "Date", "What", "Evidence", "Source"]


@pytest.mark.parametrize("kind", ["roi", "targets", "timeline"])
def test_csv_has_an_evidence_column_where_graded(kind: str) -> None:
    header = render_report(kind, report(kind, LEDGER, AS_OF), "csv").splitlines()[0]
    if kind != "roi":
        assert "evidence" in header.split(",")
        return
    # the roi: each graded figure's grade in its own column, beside the figure
    lines = render_report(kind, report(kind, LEDGER, AS_OF), "csv").splitlines()
    cells = dict(zip(_csv_cells(lines[0]), _csv_cells(lines[1]), strict=True))
    grades = venture_row(report("roi", LEDGER, AS_OF))["evidence"]
    assert grades and {k: cells[f"{k}_evidence"] for k in grades} == grades
    names = lines[0].split(",")
    for figure in grades:
        assert names.index(f"{figure}_evidence") == names.index(figure) + 1


def _csv_cells(line: str) -> list[str]:
    return next(csv.reader([line]))
