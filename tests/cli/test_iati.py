"""`outcomes export --iati`: the ledger as IATI 2.03 activities (issue 17, point 2).

The expected codes and amounts are read by hand from the fixture files (the fixture's
lines are quoted by id); the XML is validated against the IATI 2.03 schema kept in
tests/data/iati-2.03/.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from freezegun import freeze_time

from outcomes.fixtures import path as fixture_path
from tests.conftest import DATA, Outcomes

FIXTURE = fixture_path("cloud-souverain.jsonl")
PROGRAM = "pia-cloud-souverain"

# The fixture's money, by hand: IATI TransactionType 2 (Outgoing Commitment) for every
# commitment, 8 (Purchase of Equity) for every payment (all are equity); no return is
# recorded (both exits were at undisclosed prices).
MONEY = {
    "cloudwatt-commitment-cdc-2012": ("cloudwatt", "2", "2012-04-20", "75000000"),
    "cloudwatt-commitment-private-2012": ("cloudwatt", "2", "2012-04-20", "150000000"),
    "numergy-commitment-cdc-2012": ("numergy", "2", "2012-05-10", "75000000"),
    "numergy-commitment-private-2012": ("numergy", "2", "2012-05-10", "150000000"),
    "cloudwatt-granted-cdc-2012-2014": ("cloudwatt", "8", "2014-12-31", "33300000"),
    "cloudwatt-granted-private-2012-2014": ("cloudwatt", "8", "2014-12-31", "66700000"),
    "numergy-granted-cdc-2012-2014": ("numergy", "8", "2014-12-31", "18480000"),
    "numergy-granted-private-2012-2014": ("numergy", "8", "2014-12-31", "37520000"),
}
# Every revenue claim of the fixture: venture, period, revenue, publication date.
CLAIMS = {
    "cloudwatt-revenue-2014-channelnews-21360": ("cloudwatt", "2014", "2000000", "2014-09-16"),
    "cloudwatt-revenue-2013-bestpractices": ("cloudwatt", "2013", "97500", "2015-01-01"),
    "cloudwatt-revenue-2014-bestpractices": ("cloudwatt", "2014", "2000000", "2015-01-01"),
    "cloudwatt-revenue-2013-frenchweb": ("cloudwatt", "2013", "97485", "2015-01-12"),
    "cloudwatt-revenue-2014-clubic": ("cloudwatt", "2014", "1000000", "2015-01-12"),
    "cloudwatt-revenue-2014-boursorama": ("cloudwatt", "2014", "3000000", "2015-03-20"),
    "cloudwatt-revenue-2014-lemagit": ("cloudwatt", "2014", "2000000", "2015-03-20"),
    "cloudwatt-revenue-2014-bfm-870942": ("cloudwatt", "2014", "3000000", "2015-03-20"),
    "cloudwatt-revenue-2013-channelnews-24544": ("cloudwatt", "2013", "100000", "2015-05-01"),
    "cloudwatt-revenue-2014-channelnews-24544": ("cloudwatt", "2014", "3000000", "2015-05-01"),
    "numergy-revenue-2014-channelnews-21360": ("numergy", "2014", "6000000", "2014-09-16"),
    "numergy-revenue-2013-channelnews-21458": ("numergy", "2013", "2000000", "2014-10-01"),
    "numergy-revenue-2014-channelnews-21458": ("numergy", "2014", "6000000", "2014-10-01"),
    "numergy-revenue-2014-cloud-temple": ("numergy", "2014", "6000000", "2015-01-01"),
    "numergy-revenue-2014-channelnews-23528": ("numergy", "2014", "6000000", "2015-03-01"),
    "numergy-revenue-2014-channelnews-24544": ("numergy", "2014", "5000000", "2015-05-01"),
    "numergy-revenue-2014-channelnews-56014": ("numergy", "2014", "5000000", "2015-09-01"),
    "numergy-revenue-2014-silicon-129611": ("numergy", "2014", "2000000", "2015-10-22"),
    "numergy-revenue-2014-bfmtv": ("numergy", "2014", "6000000", "2015-12-02"),
    "numergy-revenue-2014-itespresso-115291": ("numergy", "2014", "6000000", "2015-12-03"),
    "numergy-revenue-2014-clubic-788316": ("numergy", "2014", "2000000", "2015-12-03"),
    "numergy-revenue-2014-channelnews-58196": ("numergy", "2014", "2000000", "2015-12-03"),
}
CLAIM_RE = re.compile(r"Claims revenue of (\S+) (\w+) for (\S+) \(ledger event ([^,)]+)")


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(DATA / "iati-2.03" / "iati-activities-schema.xsd"))


def export(run: Outcomes, tmp_path: Path, *options: str) -> ET.Element:
    out = tmp_path / "activities.xml"
    result = run("export", "--iati", *options, "-o", str(out))
    assert result.exit_code == 0, result.output
    return ET.parse(out).getroot()


def activity(root: ET.Element, venture: str, program: str = PROGRAM) -> ET.Element:
    [found] = [a for a in root.iter("iati-activity")
               if a.findtext("iati-identifier") == f"OUTCOMES-{program}-{venture}"]
    return found


def transactions(root: ET.Element) -> dict[str, tuple[str, str, str, str]]:
    """ref -> (venture, type code, date, amount), the venture read from the activity."""
    out = {}
    for act in root.iter("iati-activity"):
        venture = act.findtext("iati-identifier").rsplit("-", 1)[-1]
        for t in act.iter("transaction"):
            out[t.get("ref")] = (venture, t.find("transaction-type").get("code"),
                                 t.find("transaction-date").get("iso-date"),
                                 t.findtext("value"))
    return out


def revenue_periods(act: ET.Element) -> dict[str, ET.Element]:
    """The revenue indicator's periods, by year."""
    [result] = [r for r in act.iter("result")
                if r.findtext("title/narrative").startswith("Revenue of ")]
    return {p.find("period-start").get("iso-date")[:4]: p for p in result.iter("period")}


def claims(root: ET.Element) -> dict[str, tuple[str, str, str, str]]:
    """Event id -> (venture, year of the period it is linked under, amount, date)."""
    out = {}
    for act in root.iter("iati-activity"):
        venture = act.findtext("iati-identifier").rsplit("-", 1)[-1]
        for year, period in revenue_periods(act).items():
            for link in period.iter("document-link"):
                amount, currency, claimed, event = CLAIM_RE.match(
                    link.findtext("description/narrative")).groups()
                assert currency == "EUR" and claimed[:4] == year
                out[event] = (venture, claimed, amount,
                              link.find("document-date").get("iso-date"))
    return out


@pytest.mark.backends("sqlite")
def test_the_demo_ledger_validates_and_holds_every_grant_and_claim(
        outcomes: Outcomes, tmp_path: Path, schema: xmlschema.XMLSchema) -> None:
    assert outcomes("import", str(FIXTURE)).exit_code == 0
    out = tmp_path / "activities.xml"
    result = outcomes("export", "--iati", "--as-of", "2026-01-01", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"exported 2 IATI activities (as of 2026-01-01) to {out}" in result.output
    schema.validate(str(out))
    root = ET.parse(out).getroot()
    assert root.get("version") == "2.03"
    assert transactions(root) == MONEY
    assert claims(root) == CLAIMS
    # The figure of each year is the one the reports use (the strongest evidence, then the
    # claim published last: cloudwatt 2013 is FrenchWeb's filed 97,485).
    actual = {(v, y): p.find("actual").get("value")
              for v in ("cloudwatt", "numergy")
              for y, p in revenue_periods(activity(root, v)).items()
              if p.find("actual") is not None}
    assert actual == {("cloudwatt", "2013"): "97485", ("cloudwatt", "2014"): "3000000",
                      ("numergy", "2013"): "2000000", ("numergy", "2014"): "2000000"}


@pytest.mark.backends("sqlite")
def test_organisations_status_dates_and_identifiers(outcomes: Outcomes, tmp_path: Path) -> None:
    assert outcomes("import", str(FIXTURE)).exit_code == 0
    root = export(outcomes, tmp_path, "--as-of", "2026-01-01")
    cdc = "Caisse des Depots (FSN, Programme d'investissements d'avenir)"
    for venture, name, private, closed, acquirer in (
            ("cloudwatt", "Cloudwatt", "Orange and Thales", "2015-03-20", "Orange"),
            ("numergy", "Numergy", "SFR and Bull", "2015-12-02", "SFR")):
        act = activity(root, venture)
        assert act.get("default-currency") == "EUR"
        reporting = act.find("reporting-org")
        assert (reporting.get("ref"), reporting.get("type"), reporting.findtext("narrative")) \
            == ("OUTCOMES-pia-cloud-souverain", "15", cdc)
        assert act.findtext("title/narrative") == name
        assert [(o.get("role"), o.get("ref"), o.findtext("narrative"))
                for o in act.iter("participating-org")] == [
            ("1", "OUTCOMES-pia-cloud-souverain", cdc), ("1", None, private), ("4", None, name)]
        assert act.find("activity-status").get("code") == "4"  # Closed
        dates = {d.get("type"): (d.get("iso-date"), d.findtext("narrative"))
                 for d in act.iter("activity-date")}
        assert dates["4"] == (closed, f"Venture closed (acquired), acquirer: {acquirer}")
        assert act.find("other-identifier") is None  # no SIREN in the fixture
    assert activity(root, "cloudwatt").find("activity-date[@type='2']").get("iso-date") \
        == "2012-04-20"
    assert activity(root, "numergy").find("activity-date[@type='2']").get("iso-date") \
        == "2012-05-10"


@pytest.mark.backends("sqlite")
def test_results_hold_the_targets_report(outcomes: Outcomes, tmp_path: Path) -> None:
    assert outcomes("import", str(FIXTURE)).exit_code == 0
    root = export(outcomes, tmp_path, "--as-of", "2026-01-01")
    act = activity(root, "cloudwatt")
    results = {r.findtext("title/narrative"): r for r in act.iter("result")}
    assert sorted(results) == ["Jobs of Cloudwatt", "Revenue of Cloudwatt"]
    revenue = results["Revenue of Cloudwatt"]
    assert revenue.get("type") == "2"
    words = revenue.findtext("description/narrative")
    assert "Initial target: 500000000 EUR a year by 2017-12-31, set on 2012-04-20" in words
    assert "current target: 200000000 EUR a year by 2020-12-31, set on 2015-01-12" in words
    assert "missed, final attainment 0.006" in words
    indicator = revenue.find("indicator")
    assert (indicator.get("measure"), indicator.get("ascending")) == ("1", "1")
    baseline = indicator.find("baseline")
    assert (baseline.get("year"), baseline.get("iso-date"), baseline.get("value")) == (
        "2012", "2012-04-20", "0")
    # Expected on the straight line 0 (2012-04-20) -> 500 M (2017-12-31): 2081 days; at
    # 2012-12-31, 255 days: 500 M x 255 / 2081 = 61,268,620.86.
    periods = revenue_periods(act)
    assert sorted(periods) == ["2012", "2013", "2014", "2015"]
    assert periods["2012"].find("target").get("value") == "61268620.86"
    assert periods["2012"].find("actual") is None
    assert periods["2014"].find("period-end").get("iso-date") == "2014-12-31"
    comment = periods["2014"].findtext("actual/comment/narrative")
    assert "7 conflicting claims for the periods used, from 1000000 to 3000000 EUR" in comment
    jobs = results["Jobs of Cloudwatt"].find("indicator")
    assert {p.find("period-start").get("iso-date")[:4]: p.find("actual").get("value")
            for p in jobs.iter("period") if p.find("actual") is not None} == {
        "2014": "100", "2015": "90"}


@pytest.mark.backends("sqlite")
def test_every_source_url_is_a_document_link(outcomes: Outcomes, tmp_path: Path) -> None:
    assert outcomes("import", str(FIXTURE)).exit_code == 0
    root = export(outcomes, tmp_path, "--as-of", "2026-01-01")
    act = activity(root, "numergy")
    links = {d.get("url"): d for d in act.findall("document-link")}
    tribune = links["http://www.latribune.fr/technos-medias/20120510trib000697801/cloud-"
                    "francais-l-etat-investira-75-millions-d-euros-dans-un-projet-reunissant"
                    "-sfr-et-bull.html"]
    assert tribune.get("format") == "text/html"
    assert tribune.findtext("title/narrative") == "La Tribune, 2012-05-10"
    described = tribune.findtext("description/narrative")
    for event in ("numergy-registered", "numergy-commitment-cdc-2012",
                  "numergy-target-jobs-2012", "numergy-granted-cdc-2012-2014"):
        assert event in described
    assert {c.get("code") for c in tribune.iter("category")} == {"A02", "A05"}
    assert "https://www.channelbp.com/content/sfr-sauve-numergy-mais-%C3%A0-quel-prix" in links
    assert not any(url.startswith("https://clubic.com/pro/it-business/cloud-computing/"
                                  "actualite-749215") for url in links)  # Cloudwatt's only


@pytest.mark.backends("sqlite")
def test_as_of_replays_the_past(outcomes: Outcomes, tmp_path: Path,
                                schema: xmlschema.XMLSchema) -> None:
    assert outcomes("import", str(FIXTURE)).exit_code == 0
    out = tmp_path / "2014.xml"
    assert outcomes("export", "--iati", "--as-of", "2014-12-31", "-o", str(out)).exit_code == 0
    schema.validate(str(out))
    root = ET.parse(out).getroot()
    for venture in ("cloudwatt", "numergy"):
        act = activity(root, venture)
        assert act.find("activity-status").get("code") == "2"  # Implementation
        assert act.find("activity-date[@type='4']") is None
    assert transactions(root) == MONEY  # all dated 2014-12-31 or before
    assert claims(root) == {k: v for k, v in CLAIMS.items() if v[3] <= "2014-12-31"}
    assert revenue_periods(activity(root, "numergy"))["2014"].find("actual").get("value") \
        == "6000000"


@pytest.mark.backends("sqlite")
def test_scenario_returns_loans_corrections_and_retractions(
        scenario: Outcomes, tmp_path: Path, schema: xmlschema.XMLSchema) -> None:
    out = tmp_path / "activities.xml"
    assert scenario("export", "--iati", "--as-of", "2020-01-01", "-o", str(out)).exit_code == 0
    schema.validate(str(out))
    root = ET.parse(out).getroot()
    # tests/data/scenario.jsonl by hand: the duplicate payment g-beta-dup is retracted.
    assert transactions(root) == {
        "c-alpha": ("alpha", "2", "2015-02-10", "50000000.00"),
        "c-alpha-priv": ("alpha", "2", "2015-02-10", "25000000"),
        "g-alpha-1": ("alpha", "8", "2015-03-01", "20000000.00"),
        "g-alpha-priv": ("alpha", "8", "2015-03-01", "10000000"),
        "g-alpha-2": ("alpha", "8", "2016-02-01", "5000000"),
        "r-alpha-div": ("alpha", "1", "2016-07-01", "1000000"),  # a dividend: Incoming Funds
        "c-beta": ("beta", "2", "2015-02-12", "30000000"),
        "g-beta-1": ("beta", "3", "2015-03-15", "12500000.50"),  # a loan: Disbursement
        "r-beta-repay": ("beta", "6", "2017-12-01", "250000"),  # Loan Repayment
    }
    alpha, beta = activity(root, "alpha", "green-fund"), activity(root, "beta", "green-fund")
    dividend = alpha.find("transaction[@ref='r-alpha-div']")
    assert dividend.findtext("description/narrative") == "Public money returned: dividend"
    assert dividend.findtext("provider-org/narrative") == "Alpha SAS"
    identifier = alpha.find("other-identifier")
    assert (identifier.get("ref"), identifier.get("type")) == ("123456789", "B9")
    assert beta.find("activity-date[@type='4']").findtext("narrative") \
        == "Venture closed (liquidated)"
    # Beta has no revenue target: its revenue is a result without target, the corrected
    # claim at its corrected value, the correction's source linked.
    periods = revenue_periods(beta)
    assert list(periods) == ["2016"]
    assert periods["2016"].find("target") is None
    assert periods["2016"].find("actual").get("value") == "1450000"
    assert claims(root)["s-beta-2016"] == ("beta", "2016", "1450000", "2017-02-01")
    fix = [d for d in beta.findall("document-link")
           if d.get("url") == "https://registry.example.org/beta-2016"]
    assert "fix-beta-2016 (correction of s-beta-2016)" in fix[0].findtext(
        "description/narrative")
    assert not [d for d in beta.findall("document-link")
                if d.get("url") == "https://example.org/pay-beta-copy"]  # retracted
    # Alpha's 2015: the annual claims win over the quarters (all four linked).
    year = revenue_periods(alpha)["2015"]
    assert year.find("actual").get("value") == "650000.25"
    assert {e for e, c in claims(root).items() if c[1].startswith("2015")} == {
        "s-alpha-2015q3", "s-alpha-2015q4", "s-alpha-2015-press", "s-alpha-2015-accounts"}


@pytest.mark.backends("sqlite")
def test_known_at_and_standard_output(scenario: Outcomes) -> None:
    with freeze_time("2030-01-01 00:00:00"):
        first = scenario("export", "--iati", "--as-of", "2020-01-01")
        again = scenario("export", "--iati", "--as-of", "2020-01-01")
    assert first.exit_code == 0 and first.stdout_bytes == again.stdout_bytes
    assert first.stdout_bytes.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n'
                                         b'<iati-activities version="2.03" '
                                         b'generated-datetime="2030-01-01T00:00:00.000000Z">')
    known = scenario("export", "--iati", "--known-at", "2000-01-01")
    assert known.exit_code == 2
    assert known.output == ("outcomes: error: no venture registered as of 2000-01-01, as "
                            "known at 2000-01-01T23:59:59.999999Z: an IATI file holds at "
                            "least one activity\n")


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("args", "message"), [
    (["--iati", "--archive"], "--iati: not with --archive; choose one"),
    (["--as-of", "2015-01-01"], "--as-of: only with --iati (an export of events holds them "
                                "all)"),
    (["--known-at", "2015-01-01"], "--known-at: only with --iati (an export of events "
                                   "holds them all)"),
    (["--iati", "--as-of", "2015-13-01"], "--as-of: malformed date '2015-13-01': use "
                                          "YYYY-MM-DD"),
    (["--iati"], "no venture registered as of 2026-01-01: an IATI file holds at least one "
                 "activity"),
])
def test_bad_input_is_one_line(outcomes: Outcomes, args: list[str], message: str) -> None:
    with freeze_time("2026-01-01 12:00:00"):
        result = outcomes("export", *args)
    assert result.exit_code == 2
    assert result.output == f"outcomes: error: {message}\n"


@pytest.mark.backends("sqlite")
def test_o_never_writes_over_the_ledger(scenario: Outcomes) -> None:
    before = scenario.digest()
    result = scenario("export", "--iati", "-o", str(scenario.db))
    assert result.exit_code == 2
    assert result.output == (f"outcomes: error: -o {scenario.db}: that is the ledger "
                             f"({scenario.db}); writing there would destroy it: choose "
                             "another file name\n")
    assert scenario.digest() == before


def test_help_shows_an_example() -> None:
    result = Outcomes("unused.db")("export", "--help")
    assert result.exit_code == 0
    assert "outcomes export --iati -o activities.xml" in result.output


@pytest.mark.backends("sqlite", "postgres")
def test_on_each_backend(scenario: Outcomes, schema: xmlschema.XMLSchema) -> None:
    result = scenario("export", "--iati", "--as-of", "2020-01-01")
    assert result.exit_code == 0
    schema.validate(result.stdout_bytes.decode())

