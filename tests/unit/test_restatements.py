"""Complete restatements: `history` covers every figure a correction can change, money
included, and every report that shows a corrected figure cites the correction's source
beside the original's. Expected values derived by hand below.

The ledger (REG: program p, venture v at positions 1, 2), every event recorded at LATER:

     3 commit          FundingCommitted 75 M public, 2012-02-01, press
     4 commit-private  FundingCommitted 50 M private, 2012-02-01
     5 grant-1         FundingGranted 20 M public, 2013-01-01
     6 grant-2         FundingGranted 5 M public, 2013-06-01
     7 dividend        ReturnReceived 1 M, 2015-01-01
     8 value-1         StakeValued 8 M, 2015-06-01
     9 value-2         StakeValued 6 M, 2016-01-01
    10 target          TargetSet revenue 100 M by 2016-12-31, 2012-01-01
    11 k               SalesReported 2014: 5 M, published 2015-03-01
    12 k2              SalesReported 2014: 3 M, published 2015-01-01 (earlier)
    13 fix-commit      corrects commit: 70 M (on 2012-06-01; its own source graded filed)
    14 fix-grant       corrects grant-2: private (on 2014-01-01)
    15 drop-dividend   retracts dividend (2015-02-01)
    16 fix-value       corrects value-1's date to 2016-02-01, after value-2 (on 2016-03-01)
    17 fix-target      corrects target: 90 M (on 2013-01-01)
    18 fix-claim       corrects k: 4 M (on 2015-04-01)
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from outcomes.projections.folds.history import history
from outcomes.projections.present.history import history_rows
from outcomes.projections.present.layout import render_report
from outcomes.projections.present.story import disputed_figures
from tests.projection_scenario import SRC, admit, ev
from tests.unit.test_boundaries import LATER, REG, report, venture_row


def money(type_: str, on: str, id_: str, amount: str, **fields: Any) -> dict:
    return ev(type_, on, id_, venture="v", amount=amount, **fields)


def fix(on: str, id_: str, target: str, changes: dict, **fields: Any) -> dict:
    return ev("EventCorrected", on, id_, event=target, changes=changes, reason="erratum",
              **fields)


LEDGER = [
    money("FundingCommitted", "2012-02-01", "commit", "75000000", funder="CDC",
          evidence="press"),
    money("FundingCommitted", "2012-02-01", "commit-private", "50000000", funder="SFR",
          public=False),
    money("FundingGranted", "2013-01-01", "grant-1", "20000000", funder="CDC"),
    money("FundingGranted", "2013-06-01", "grant-2", "5000000", funder="CDC"),
    money("ReturnReceived", "2015-01-01", "dividend", "1000000", kind="dividend"),
    ev("StakeValued", "2015-06-01", "value-1", venture="v", value="8000000"),
    ev("StakeValued", "2016-01-01", "value-2", venture="v", value="6000000"),
    ev("TargetSet", "2012-01-01", "target", venture="v", metric="revenue", value="100000000",
       due="2016-12-31"),
    ev("SalesReported", "2015-03-01", "k", venture="v", period="2014", revenue="5000000"),
    ev("SalesReported", "2015-01-01", "k2", venture="v", period="2014", revenue="3000000"),
    fix("2012-06-01", "fix-commit", "commit", {"amount": "70000000"}, evidence="filed"),
    fix("2014-01-01", "fix-grant", "grant-2", {"public": False}),
    ev("EventRetracted", "2015-02-01", "drop-dividend", event="dividend", reason="never paid"),
    fix("2016-03-01", "fix-value", "value-1", {"occurred_on": "2016-02-01"}),
    fix("2013-01-01", "fix-target", "target", {"value": "90000000"}),
    fix("2015-04-01", "fix-claim", "k", {"revenue": "4000000"}),
]
AS_OF = "2016-12-31"


def changes(figure: str) -> list[tuple]:
    result = history(admit(REG + LEDGER, LATER), "v")
    [found] = [cs for f, cs in result.ordered() if f.label == figure]
    return [(c.id, c.set_by, c.event, c.stated, c.value) for c in found]


def test_history_lists_every_figure_money_included_in_order() -> None:
    result = history(admit(REG + LEDGER, LATER), "v")
    assert [f.label for f, _ in result.ordered()] == [
        "revenue 2014", "target revenue", "public_committed", "private_committed",
        "public_granted", "private_granted", "returned", "residual_value"]
    assert {f.kind for f, _ in result.ordered()} == {"revenue", "target", "money"}


def test_a_corrected_commitment_is_restated() -> None:
    # 75 M, then the erratum's 70 M: stated and the figure's value
    assert changes("public_committed") == [
        ("commit", "commitment", None, D(75000000), D(75000000)),
        ("fix-commit", "correction", "commit", D(70000000), D(70000000))]
    assert changes("private_committed") == [
        ("commit-private", "commitment", None, D(50000000), D(50000000))]


def test_a_payment_corrected_to_private_leaves_one_sum_for_the_other() -> None:
    # paid (public): 20, then 20 + 5 = 25; the correction takes the 5 M out (nothing stated
    # for this figure: 20 M left) and puts it in the private payments (5 M)
    assert changes("public_granted") == [
        ("grant-1", "payment", None, D(20000000), D(20000000)),
        ("grant-2", "payment", None, D(5000000), D(25000000)),
        ("fix-grant", "correction", "grant-2", None, D(20000000))]
    assert changes("private_granted") == [
        ("fix-grant", "correction", "grant-2", D(5000000), D(5000000))]


def test_a_retracted_return_and_a_moved_valuation() -> None:
    # returned: 1 M, then retracted: no live return, no value
    assert changes("returned") == [
        ("dividend", "return", None, D(1000000), D(1000000)),
        ("drop-dividend", "retraction", "dividend", None, None)]
    # residual value: the latest valuation; value-1 moved after value-2 is the latest again
    # (8 M): its amount is unchanged, so nothing is stated, but the value changes
    assert changes("residual_value") == [
        ("value-1", "valuation", None, D(8000000), D(8000000)),
        ("value-2", "valuation", None, D(6000000), D(6000000)),
        ("fix-value", "correction", "value-1", None, D(8000000))]


def test_history_rows_cite_each_correction_with_its_own_source_and_grade() -> None:
    rows = [r for r in history_rows(history(admit(REG + LEDGER, LATER), "v"))
            if r["figure"] == "public_committed"]
    assert [(r["source"], r.get("evidence"), r.get("value_evidence"), r["detail"])
            for r in rows] == [
        (SRC + "commit", "press", "press", ""),
        # the erratum's own grade; the commitment keeps its own (not regraded)
        (SRC + "fix-commit", "filed", "press", "amount=70000000; reason: erratum")]


def cite(id_: str, on: str, **grade: str) -> dict:
    return {"id": id_, "occurred_on": on, "source": SRC + id_, **grade}


def test_the_timeline_cites_the_correction_beside_the_original() -> None:
    rows = {r["id"]: r for r in report("timeline", LEDGER, AS_OF)["timeline"]}
    commit = rows["commit"]
    assert commit["summary"] == "committed 70,000,000 EUR by CDC (equity, public)"
    assert (commit["source"], commit["corrected"], commit["corrected_by"]) == (
        SRC + "commit", 1, [cite("fix-commit", "2012-06-01", evidence="filed")])
    keys = list(commit)
    assert keys.index("corrected") + 1 == keys.index("corrected_by")
    assert "corrected_by" not in rows["grant-1"]  # never corrected: no key
    text = render_report("timeline", report("timeline", LEDGER, AS_OF), "table")
    flat = " ".join(text.split())
    assert (f"{SRC}commit; corrected by {SRC}fix-commit (2012-06-01, filed)") in flat
    csv_header = render_report("timeline", report("timeline", LEDGER, AS_OF),
                               "csv").splitlines()[0]
    assert "corrected,corrected_by,note" in csv_header


def test_a_correction_not_yet_occurred_is_not_cited() -> None:
    # as of 2012-05-01 the erratum (2012-06-01) has not occurred: 75 M, original source only
    rows = {r["id"]: r for r in report("timeline", LEDGER, "2012-05-01")["timeline"]}
    assert rows["commit"]["figure"] == "75000000" and "corrected_by" not in rows["commit"]


def test_a_corrected_claim_in_a_dispute_cites_its_correction() -> None:
    # 2014: k (published 2015-03-01, corrected to 4 M) beats k2 (2015-01-01)
    doc = report("roi", LEDGER, AS_OF)
    [d] = venture_row(doc)["disputes"]
    assert d == {"period": "2014", "claims": 2, "chosen": "4000000", "low": "3000000",
                 "high": "4000000", "source": SRC + "k",
                 "corrected_by": [cite("fix-claim", "2015-04-01")]}
    [row] = disputed_figures(doc)
    assert row["source"] == f"{SRC}k; corrected by {SRC}fix-claim (2015-04-01)"


def test_a_corrected_target_cites_its_correction() -> None:
    [t] = report("targets", LEDGER, AS_OF)["targets"]
    for which in ("initial", "current"):
        assert t[which]["value"] == "90000000"
        assert t[which]["source"] == SRC + "target"
        assert t[which]["corrected_by"] == [cite("fix-target", "2013-01-01")]


def test_a_ledger_without_corrections_has_no_citation_key() -> None:
    plain = [e for e in LEDGER if e["type"] not in ("EventCorrected", "EventRetracted")]
    for kind in ("roi", "targets", "timeline"):
        assert "corrected_by" not in str(report(kind, plain, AS_OF))
    assert report("timeline", plain, AS_OF)["timeline"][1]["corrected"] == 0
