"""The cloud souverain fixture pinned: every figure of its reports, and the demo line by line.

test_fixture_demo.py checks the fixture's shape (sources, order, loose bounds); here each
figure is asserted exactly, so that a changed rule or a changed fixture line shows.
Hand derivations (the fixture's events, as of 2026-01-01):

- Paid (public FundingGranted): cloudwatt 33,300,000, numergy 18,480,000, program
  51,780,000; private: 66,700,000, 37,520,000, 104,220,000; committed 75 M each.
- Nothing returned, no valuation (exits at undisclosed prices): net = -paid (a lower bound),
  multiple 0, irr null ("no inflow").
- Revenue to date: the strongest evidence, then the latest published (fixtures/README.md,
  "Evidence grades"): cloudwatt 2013 97,485 (FrenchWeb's filed accounts, the only `filed`
  of 3 claims; the latest, ChannelNews' 100,000, is `press`) + 2014 3,000,000 (the latest
  of the six `press` claims among 7) = 3,097,485; numergy 2013 2,000,000 + 2014 2,000,000
  (the latest of the nine `press` claims among 11) = 4,000,000.
- Without grades (the same file, `evidence` taken out), the latest published is chosen:
  cloudwatt 2013 is 100,000 and its revenue to date 3,100,000, as before grades existed.
- Ratios: 3,097,485/33,300,000 = 0.0930175.. -> 0.093018 (ungraded: 3.1/33.3 = 0.0930930..
  -> 0.093093); 66.7/33.3 = 2.003003..; 4/18.48 = 0.2164502.. -> 0.21645; 37.52/18.48 =
  2.030303..; 7,097,485/51,780,000 = 0.1370700.. -> 0.13707 (ungraded 7.1/51.78 =
  0.1371185.. -> 0.137119); 104.22/51.78 = 2.0127462.. -> 2.012746.
- Grades of the figures (each the weakest of the events it sums): committed cloudwatt
  official (the State's announcement), numergy press, program press; paid, public and
  private, estimate (derived); revenue to date cloudwatt press (filed 2013, press 2014),
  numergy estimate (2013 is Tavernier's figure read as 2013), program estimate; jobs press
  (Clubic's 90, ITespresso's 72).
- Cost per job: 33,300,000/90 = 370,000.00; 18,480,000/72 = 256,666.666.. -> 256,666.67;
  51,780,000/(90 + 72) = 319,629.629.. -> 319,629.63.
- Target lines: cloudwatt, set 2012-04-20, due 2017-12-31: 255 + 365 x 5 + 1 = 2081 days;
  day 255 (2012-12-31), 620, 985, 1350 (2015-12-31). Revenue 500 M x 255/2081 =
  61,268,620.86; x 620/2081 = 148,966,842.86; x 985/2081 = 236,665,064.87; x 1350/2081 =
  324,363,286.88. Jobs 1000 x the same shares: 122.54, 297.93, 473.33, 648.73.
  numergy, set 2012-05-10, due 2016-12-31: 235 + 365 x 4 + 1 = 1696 days; days 235, 600,
  965, 1330. Revenue 400 M: 55,424,528.30, 141,509,433.96, 227,594,339.62, 313,679,245.28;
  jobs 400: 55.42, 141.51, 227.59, 313.68.
- Attainments: 97,485/148,966,842.86 = 0.000654 (ungraded: 100,000 -> 0.000671);
  3 M/236,665,064.87 = 0.012676;
  100/473.33 = 0.211269; 90/648.73 = 0.138733; 2 M/141,509,433.96 = 0.014133;
  2 M/227,594,339.62 = 0.008788; 100/227.59 = 0.439378; 72/313.68 = 0.229534.
- Both ventures closed before due (cloudwatt 2015-03-20, numergy 2015-12-02), so each
  target is judged at its closure: revenue of the last year up to it (3 M/500 M = 0.006,
  2 M/400 M = 0.005), jobs on the closure date (90/1000 = 0.09, 70/400 = 0.175): missed.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from outcomes.cli import main
from outcomes.fixtures import path as fixture_path
from outcomes.ledger.service import record
from outcomes.ledger.store import EventStore
from outcomes.projections.readmodel.replay import report_from_events
from tests.cli.test_fixture_demo import LINES

AS_OF = date(2026, 1, 1)
NO_INFLOW = "no inflow: nothing returned and the residual value is unknown"
CW_SOURCE = ("https://www.channelnews.fr/plus-de-100-millions-de-pertes-cumulees-pour-"
             "cloudwatt-et-numergy-24544 (ChannelNews relaying BFM Business, ~2015-05, date "
             "inferred)")
NU_SOURCE = ("https://www.channelnews.fr/sfr-va-racheter-la-totalite-de-numergy-58196 "
             "(ChannelNews, ~2015-12-03, date inferred)")


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> list:
    store = EventStore(str(tmp_path_factory.mktemp("pin") / "l.db"), create=True)
    record(store, [(f"fixture:{n}", raw) for n, raw in enumerate(LINES, 1)], actor="test")
    out = list(store.read())
    store.close()
    return out


@pytest.fixture(scope="module")
def ungraded(tmp_path_factory: pytest.TempPathFactory) -> list:
    """The fixture with every `evidence` taken out: a ledger without grades."""
    store = EventStore(str(tmp_path_factory.mktemp("plain") / "l.db"), create=True)
    record(store, [(f"fixture:{n}", {k: v for k, v in raw.items() if k != "evidence"})
                   for n, raw in enumerate(LINES, 1)], actor="test")
    out = list(store.read())
    store.close()
    return out


def money(committed: str, paid: str, private: str) -> dict:
    return {"public_committed": committed, "public_granted": paid, "private_granted": private,
            "returned": "0", "residual_value": None, "net": f"-{paid}", "multiple": 0.0,
            "irr": None, "irr_note": NO_INFLOW, "irr_roots": [], "irr_lower_bound": False}


CW_2013 = [("cloudwatt-revenue-2013-bestpractices", "97500", "press", "2015-01-01"),
           ("cloudwatt-revenue-2013-frenchweb", "97485", "filed", "2015-01-12"),
           ("cloudwatt-revenue-2013-channelnews-24544", "100000", "press", "2015-05-01")]
CW_2014 = [("cloudwatt-revenue-2014-channelnews-21360", "2000000", "press", "2014-09-16"),
           ("cloudwatt-revenue-2014-bestpractices", "2000000", "press", "2015-01-01"),
           ("cloudwatt-revenue-2014-clubic", "1000000", "estimate", "2015-01-12"),
           ("cloudwatt-revenue-2014-boursorama", "3000000", "press", "2015-03-20"),
           ("cloudwatt-revenue-2014-lemagit", "2000000", "press", "2015-03-20"),
           ("cloudwatt-revenue-2014-bfm-870942", "3000000", "press", "2015-03-20"),
           ("cloudwatt-revenue-2014-channelnews-24544", "3000000", "press", "2015-05-01")]
NU_2014 = [("numergy-revenue-2014-channelnews-21360", "6000000", "press", "2014-09-16"),
           ("numergy-revenue-2014-channelnews-21458", "6000000", "estimate", "2014-10-01"),
           ("numergy-revenue-2014-cloud-temple", "6000000", "estimate", "2015-01-01"),
           ("numergy-revenue-2014-channelnews-23528", "6000000", "press", "2015-03-01"),
           ("numergy-revenue-2014-channelnews-24544", "5000000", "press", "2015-05-01"),
           ("numergy-revenue-2014-channelnews-56014", "5000000", "press", "2015-09-01"),
           ("numergy-revenue-2014-silicon-129611", "2000000", "press", "2015-10-22"),
           ("numergy-revenue-2014-bfmtv", "6000000", "press", "2015-12-02"),
           ("numergy-revenue-2014-itespresso-115291", "6000000", "press", "2015-12-03"),
           ("numergy-revenue-2014-clubic-788316", "2000000", "press", "2015-12-03"),
           ("numergy-revenue-2014-channelnews-58196", "2000000", "press", "2015-12-03")]
FRENCHWEB = "https://frenchweb.fr/?p=179337 (FrenchWeb, 2015-01-12)"


def each(claims: list[tuple[str, str, str, str]]) -> list[dict]:
    return [{"id": i, "revenue": r, "evidence": g, "occurred_on": on} for i, r, g, on in claims]


def test_roi_figures_pinned(events: list) -> None:
    doc = report_from_events("roi", events, as_of=AS_OF)
    cloudwatt, numergy = doc["ventures"]
    assert cloudwatt == {
        "venture": "cloudwatt", "program": "pia-cloud-souverain", "currency": "EUR",
        **money("75000000", "33300000", "66700000"),
        "revenue_to_date": "3097485", "revenue_per_public_euro": 0.093018,
        "leverage": 2.003003, "jobs": 90, "cost_per_job": "370000.00",
        "evidence": {"public_committed": "official", "public_granted": "estimate",
                     "private_granted": "estimate", "revenue_to_date": "press",
                     "jobs": "press"},
        "disputes": [
            {"period": "2013", "claims": 3, "chosen": "97485", "low": "97485",
             "high": "100000", "source": FRENCHWEB, "evidence": "filed",
             "each": each(CW_2013)},
            {"period": "2014", "claims": 7, "chosen": "3000000", "low": "1000000",
             "high": "3000000", "source": CW_SOURCE, "evidence": "press",
             "each": each(CW_2014)}]}
    assert numergy == {
        "venture": "numergy", "program": "pia-cloud-souverain", "currency": "EUR",
        **money("75000000", "18480000", "37520000"),
        "revenue_to_date": "4000000", "revenue_per_public_euro": 0.21645,
        "leverage": 2.030303, "jobs": 72, "cost_per_job": "256666.67",
        "evidence": {"public_committed": "press", "public_granted": "estimate",
                     "private_granted": "estimate", "revenue_to_date": "estimate",
                     "jobs": "press"},
        "disputes": [{"period": "2014", "claims": 11, "chosen": "2000000", "low": "2000000",
                      "high": "6000000", "source": NU_SOURCE, "evidence": "press",
                      "each": each(NU_2014)}]}
    assert doc["programs"] == [{
        "program": "pia-cloud-souverain", "currency": "EUR",
        **money("150000000", "51780000", "104220000"),
        "revenue_to_date": "7097485", "revenue_per_public_euro": 0.13707,
        "leverage": 2.012746, "jobs": 162, "cost_per_job": "319629.63",
        "evidence": {"public_committed": "press", "public_granted": "estimate",
                     "private_granted": "estimate", "revenue_to_date": "estimate",
                     "jobs": "press"}}]


def test_without_grades_the_figures_are_those_before_grades(ungraded: list) -> None:
    # The same ledger without `evidence`: the latest published claim, no grade anywhere.
    doc = report_from_events("roi", ungraded, as_of=AS_OF)
    cloudwatt, numergy = doc["ventures"]
    assert cloudwatt == {
        "venture": "cloudwatt", "program": "pia-cloud-souverain", "currency": "EUR",
        **money("75000000", "33300000", "66700000"),
        "revenue_to_date": "3100000", "revenue_per_public_euro": 0.093093,
        "leverage": 2.003003, "jobs": 90, "cost_per_job": "370000.00",
        "disputes": [
            {"period": "2013", "claims": 3, "chosen": "100000", "low": "97485",
             "high": "100000", "source": CW_SOURCE},
            {"period": "2014", "claims": 7, "chosen": "3000000", "low": "1000000",
             "high": "3000000", "source": CW_SOURCE}]}
    assert numergy == {
        "venture": "numergy", "program": "pia-cloud-souverain", "currency": "EUR",
        **money("75000000", "18480000", "37520000"),
        "revenue_to_date": "4000000", "revenue_per_public_euro": 0.21645,
        "leverage": 2.030303, "jobs": 72, "cost_per_job": "256666.67",
        "disputes": [{"period": "2014", "claims": 11, "chosen": "2000000", "low": "2000000",
                      "high": "6000000", "source": NU_SOURCE}]}
    assert doc["programs"] == [{
        "program": "pia-cloud-souverain", "currency": "EUR",
        **money("150000000", "51780000", "104220000"),
        "revenue_to_date": "7100000", "revenue_per_public_euro": 0.137119,
        "leverage": 2.012746, "jobs": 162, "cost_per_job": "319629.63"}]
    [cw_revenue] = [t for t in report_from_events("targets", ungraded, as_of=AS_OF)["targets"]
                    if (t["venture"], t["metric"]) == ("cloudwatt", "revenue")]
    assert [tuple(r.values()) for r in cw_revenue["series"]][1] == row(
        2013, "148966842.86", "100000", 0.000671, (3, "97485", "100000"))
    assert "evidence" not in cw_revenue["initial"]


def row(year: int, expected: str, actual: str | None = None, attainment: float | None = None,
        claims: tuple | None = None, evidence: str | None = None) -> tuple:
    return (year, f"{year}-12-31", expected, actual, attainment,
            *(claims if claims else (None, None, None)), *((evidence,) if evidence else ()))


SERIES = {
    ("cloudwatt", "revenue"): [
        row(2012, "61268620.86"),
        row(2013, "148966842.86", "97485", 0.000654, (3, "97485", "100000"), "filed"),
        row(2014, "236665064.87", "3000000", 0.012676, (7, "1000000", "3000000"), "press"),
        row(2015, "324363286.88")],
    ("cloudwatt", "jobs"): [
        row(2012, "122.54"), row(2013, "297.93"),
        row(2014, "473.33", "100", 0.211269, evidence="press"),
        row(2015, "648.73", "90", 0.138733, evidence="press")],
    ("numergy", "revenue"): [
        row(2012, "55424528.30"),
        row(2013, "141509433.96", "2000000", 0.014133, (1, "2000000", "2000000"), "estimate"),
        row(2014, "227594339.62", "2000000", 0.008788, (11, "2000000", "6000000"), "press"),
        row(2015, "313679245.28")],
    ("numergy", "jobs"): [
        row(2012, "55.42"), row(2013, "141.51"),
        # 100 is Tavernier's (company); 72 ITespresso's (press)
        row(2014, "227.59", "100", 0.439378, evidence="company"),
        row(2015, "313.68", "72", 0.229534, evidence="press")],
}
# the grades of the initial and of the current target
TARGET_GRADES = {("cloudwatt", "revenue"): ("press", "company"),
                 ("cloudwatt", "jobs"): ("company", "company"),
                 ("numergy", "revenue"): ("press", "press"),
                 ("numergy", "jobs"): ("press", "press")}
# (initial value, due, set on; current value, due, set on; revisions, final, status)
OUTCOME = {
    ("cloudwatt", "revenue"): ("500000000", "2017-12-31", "2012-04-20",
                               "200000000", "2020-12-31", "2015-01-12", 1, 0.006, "missed"),
    ("cloudwatt", "jobs"): ("1000", "2017-12-31", "2012-04-20",
                            "1000", "2017-12-31", "2012-04-20", 0, 0.09, "missed"),
    ("numergy", "revenue"): ("400000000", "2016-12-31", "2012-05-10",
                             "400000000", "2020-12-31", "2014-09-16", 1, 0.005, "missed"),
    ("numergy", "jobs"): ("400", "2016-12-31", "2012-05-10",
                          "400", "2016-12-31", "2012-05-10", 0, 0.175, "missed"),
}


def test_targets_figures_pinned(events: list) -> None:
    doc = report_from_events("targets", events, as_of=AS_OF)
    assert [(t["venture"], t["metric"]) for t in doc["targets"]] == list(SERIES)
    for t in doc["targets"]:
        key = (t["venture"], t["metric"])
        assert [tuple(r.values()) for r in t["series"]] == SERIES[key], key
        i, c = t["initial"], t["current"]
        assert (i["value"], i["due"], i["set_on"], c["value"], c["due"], c["set_on"],
                t["revisions"], t["final_attainment"], t["status"]) == OUTCOME[key], key
        assert i["baseline"] == c["baseline"] == "0"
        assert (i["evidence"], c["evidence"]) == TARGET_GRADES[key], key


# -- the demo, line by line (clock frozen: "as of" is today) -----------------------------------


def cells(line: str) -> list[str]:
    """A table line's cells (columns are at least two spaces apart)."""
    return re.split(r"\s{2,}", line.strip())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    with pytest.MonkeyPatch.context() as mp, freeze_time("2026-01-01 12:00:00"):
        mp.chdir(tmp_path_factory.mktemp("demo"))
        for name in ("OUTCOMES_DB", "OUTCOMES_READ_MODEL"):
            mp.delenv(name, raising=False)
        mp.setenv("OUTCOMES_ACTOR", "tester")
        mp.setenv("COLUMNS", "1000")  # a wide terminal: each row and sentence on one line
        result = CliRunner().invoke(main, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_demo_story_pinned(demo: list[str]) -> None:
    assert demo[:7] == [
        "The French sovereign cloud (Numergy and Cloudwatt, 2012-2016)",
        "",
        "Caisse des Depots (FSN, Programme d'investissements d'avenir) committed 150.0 M EUR "
        "of public money to Cloudwatt and Numergy, with revenue targets set at launch "
        "(program pia-cloud-souverain).",
        f"{len(LINES)} sourced events (fixtures/cloud-souverain.jsonl, each with its source) "
        "are loaded into a fresh ledger; here is what they add up to, as of 2026-01-01.",
        "",
        "How far the sales stayed from the initial revenue targets:",
        # the claim used, and the grades of the money figures (the roi report's)
        "  - Cloudwatt: promised 500.0 M EUR of revenue a year by 2017; its last reported "
        "year, 2014, brought 3.0 M EUR (7 conflicting claims, from 1.0 M EUR to 3.0 M EUR: "
        "the latest of the strongest evidence, press, is used): 0.6% of the target; it ended "
        "on 2015-03-20 (acquired by Orange), before the target was due. Target missed. "
        "Public money paid: 33,300,000 EUR (estimate) of 75,000,000 EUR (official) "
        "committed; returned: 0 EUR; the public stake's value at exit was not disclosed.",
    ]
    assert demo[7] == (
        "  - Numergy: promised 400.0 M EUR of revenue a year by 2016; its last reported year, "
        "2014, brought 2.0 M EUR (11 conflicting claims, from 2.0 M EUR to 6.0 M EUR: the "
        "latest of the strongest evidence, press, is used): 0.5% of the target; it ended on "
        "2015-12-02 (acquired by SFR), before the target was due. Target missed. Public "
        "money paid: 18,480,000 EUR (estimate) of 75,000,000 EUR (press) committed; "
        "returned: 0 EUR; the public stake's value at exit was not disclosed.")


def table_rows(demo: list[str], title: str, first: str) -> list[list[str]]:
    """The rows of the table under `title`, each split into cells, up to a blank line."""
    start = demo.index(title)
    rows = []
    for line in demo[start + 1:]:
        if line.strip() and not set(line.strip()) <= {"─"} and rows is not None:
            rows.append(cells(line))
        elif rows and not line.strip():
            break
    assert rows[0][0] == first
    return rows[1:]


def test_demo_roi_tables_pinned(demo: list[str]) -> None:
    program = "pia-cloud-souverain"
    assert table_rows(demo, "Return on public investment, as of 2026-01-01", "Venture") == [
        # each figure's grade as a letter: O official, P press, E estimate; nothing was
        # returned (no event, no grade)
        ["cloudwatt", program, "O 75,000,000 EUR", "E 33,300,000 EUR", "E 66,700,000 EUR",
         "0 EUR", "unknown", ">= -33,300,000 EUR", ">= 0.00x", "– [1]"],
        ["numergy", program, "P 75,000,000 EUR", "E 18,480,000 EUR", "E 37,520,000 EUR",
         "0 EUR", "unknown", ">= -18,480,000 EUR", ">= 0.00x", "– [2]"],
        [f"all of {program}", program, "P 150,000,000 EUR", "E 51,780,000 EUR",
         "E 104,220,000 EUR", "0 EUR", "unknown", ">= -51,780,000 EUR", ">= 0.00x", "– [3]"]]
    # Revenue / public and leverage as percentages to one place: 0.093018 -> 9.3%, ...
    assert table_rows(demo, "Outcomes for the public money, as of 2026-01-01", "Venture") == [
        ["cloudwatt", "* P 3,097,485 EUR", "9.3%", "200.3%", "P 90", "370,000 EUR"],
        ["numergy", "* E 4,000,000 EUR", "21.6%", "203.0%", "P 72", "256,667 EUR"],
        [f"all of {program}", "E 7,097,485 EUR", "13.7%", "201.3%", "P 162", "319,630 EUR"]]
    assert ("* cloudwatt, 2013: 3 claims (1 filed, 2 press) from 97,485 EUR to 100,000 EUR; "
            "the strongest evidence, then the latest published, is used: 97,485 EUR "
            "(filed).") in demo


def test_demo_targets_table_pinned(demo: list[str]) -> None:
    rows = table_rows(demo, "Progress against the initial targets, as of 2026-01-01", "Venture")
    # Actual [attainment of expected]: 97,485 of 148,966,842.86 is 0.07% -> "0%";
    # 3.0 M of 236.7 M -> 1%; jobs 100 of 473.33 -> 21%, 90 of 648.73 -> 14%, ...; each
    # actual with its grade's letter, each target with its grade; the status with what was
    # reached when judged (at the closure: numergy's jobs were 70 then, 72 on 2015-12-31)
    assert [r for r in rows if r[0] in ("cloudwatt", "numergy")] == [
        ["cloudwatt", "revenue", "2012", "– [– of 61.3 M EUR]",
         "initial 500.0 M EUR by 2017-12-31 (set 2012-04-20, press)"],
        ["cloudwatt", "jobs", "2012", "– [– of 122.54]",
         "initial 1,000 by 2017-12-31 (set 2012-04-20, company)"],
        ["numergy", "revenue", "2012", "– [– of 55.4 M EUR]",
         "initial 400.0 M EUR by 2016-12-31 (set 2012-05-10, press)"],
        ["numergy", "jobs", "2012", "– [– of 55.42]",
         "initial 400 by 2016-12-31 (set 2012-05-10, press)"]]
    assert [r for r in rows if r[0] not in ("cloudwatt", "numergy")] == [
        ["2013", "* F 0.1 M EUR [0% of 149.0 M EUR]",
         "revised once, now 200.0 M EUR by 2020-12-31 (company)"],
        ["2014", "* P 3.0 M EUR [1% of 236.7 M EUR]"],
        ["2015", "– [– of 324.4 M EUR]",
         "missed (final 0.6%: 3.0 M EUR of 500.0 M EUR), closed 2015-03-20 before due"],
        ["2013", "– [– of 297.93]"],
        ["2014", "P 100 [21% of 473.33]"],
        ["2015", "P 90 [14% of 648.73]",
         "missed (final 9.0%: 90 of 1,000), closed 2015-03-20 before due"],
        ["2013", "E 2.0 M EUR [1% of 141.5 M EUR]",
         "revised once, now 400.0 M EUR by 2020-12-31 (press)"],
        ["2014", "* P 2.0 M EUR [1% of 227.6 M EUR]"],
        ["2015", "– [– of 313.7 M EUR]",
         "missed (final 0.5%: 2.0 M EUR of 400.0 M EUR), closed 2015-12-02 before due"],
        ["2013", "– [– of 141.51]"],
        ["2014", "C 100 [44% of 227.59]"],
        ["2015", "P 72 [23% of 313.68]",
         "missed (final 17.5%: 70 of 400), closed 2015-12-02 before due"]]


def test_demo_disputes_table_pinned(demo: list[str]) -> None:
    # each disputed figure: the claim used, its grade and how many claims have each grade
    rows = table_rows(demo, "Disputed figures: the press and the companies published "
                      "conflicting revenue; the ledger keeps every claim, each graded by its "
                      "source, and uses the one with the strongest evidence, then the one "
                      "published last.", "Venture")
    assert [r[:8] for r in rows if r[0] in ("cloudwatt", "numergy")] == [
        ["cloudwatt", "2013", "3", "97,485 EUR", "100,000 EUR", "97,485 EUR", "filed",
         "1 filed, 2 press"],
        ["cloudwatt", "2014", "7", "1,000,000 EUR", "3,000,000 EUR", "3,000,000 EUR", "press",
         "6 press, 1 estimate"],
        ["numergy", "2014", "11", "2,000,000 EUR", "6,000,000 EUR", "2,000,000 EUR", "press",
         "9 press, 2 estimate"]]


def test_demo_integrity_line_pinned(demo: list[str]) -> None:
    # Recorded at the frozen time by "tester": the Merkle root of the 56 events is fixed
    # (docs/integrity.md); any change to the fixture or to the canonical bytes moves it.
    [line] = [x for x in demo if x.startswith("Integrity:")]
    assert line == ("Integrity: 56 events, checkpoint 56:6bfe720105d84df321a4dcac52d6e686255106e0"
                    "368c0028cd9c9271fdfc73d2; the ledger verifies.")


def test_fixture_is_the_one_pinned() -> None:
    # The figures above are those of this fixture: 56 events.
    assert len(Path(fixture_path("cloud-souverain.jsonl")).read_text().splitlines()) == 56
