"""The IATI mapping's pure parts: transaction codes, source links, text XML cannot hold."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from typing import Any

import pytest
import xmlschema

from outcomes.projections.present.iati import (
    IatiError,
    Link,
    iati_xml,
    media_type,
    source_links,
    transaction_code,
    xml_text,
)
from outcomes.projections.readmodel.replay import iati_from_events
from tests.conftest import DATA
from tests.projection_scenario import admit

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SCHEMA = DATA / "iati-2.03" / "iati-activities-schema.xsd"


def program(slug: str = "fund", **fields: Any) -> dict[str, Any]:
    return {"type": "ProgramRegistered", "program": slug, "name": "A fund", "funder": "State",
            "occurred_on": "2015-01-01", "source": "https://example.org/decree", **fields}


def venture(slug: str = "v", prog: str = "fund", **fields: Any) -> dict[str, Any]:
    return {"type": "VentureRegistered", "venture": slug, "name": "V", "program": prog,
            "occurred_on": "2015-01-02", "source": "https://example.org/v", **fields}


def money(type_: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "venture": "v", "amount": "10", "occurred_on": "2015-02-01",
            "source": "https://example.org/m", **fields}


@pytest.mark.parametrize(("raw", "code"), [
    (money("FundingCommitted", funder="State"), "2"),
    (money("FundingCommitted", funder="State", instrument="loan"), "2"),
    (money("FundingCommitted", funder="State", instrument="guarantee"), "10"),
    (money("FundingGranted", funder="State"), "8"),  # equity by default
    (money("FundingGranted", funder="State", instrument="grant"), "3"),
    (money("FundingGranted", funder="State", instrument="loan"), "3"),
    (money("FundingGranted", funder="State", instrument="guarantee"), "3"),
    (money("FundingGranted", funder="State", instrument="other"), "3"),
    (money("ReturnReceived", kind="stake_sale"), "9"),
    (money("ReturnReceived", kind="repayment"), "6"),
    (money("ReturnReceived", kind="interest"), "5"),
    (money("ReturnReceived", kind="dividend"), "1"),
    (money("ReturnReceived", kind="other"), "1"),
])
def test_transaction_codes(raw: dict[str, Any], code: str) -> None:
    *_, event = admit([program(), venture(), raw])
    assert transaction_code(event) == code


def test_source_links() -> None:
    assert source_links("https://a.org/x (La Tribune, 2012-04-20) ; http://b.org/y?z=1 "
                        "(copy of Les Echos)") == [
        Link("https://a.org/x", "La Tribune, 2012-04-20"),
        Link("http://b.org/y?z=1", "copy of Les Echos")]
    assert source_links("Annual report 2015, https://c.org/report.pdf.") == [
        Link("https://c.org/report.pdf", "Annual report 2015")]
    assert source_links("(see https://en.wikipedia.org/wiki/Cloud_(computing))") == [
        Link("https://en.wikipedia.org/wiki/Cloud_(computing)", "see")]
    assert source_links("https://d.org/only") == [Link("https://d.org/only", None)]
    assert source_links("Journal officiel, 2012-04-20, p. 7") == []


def test_media_type() -> None:
    assert media_type("https://c.org/report.PDF?page=2") == "application/pdf"
    assert media_type("https://c.org/article") == "text/html"
    assert media_type("https://c.org/a.pdf.html") == "text/html"


def test_text_xml_cannot_hold_is_shown_escaped() -> None:
    assert xml_text("plain <&> \u202e text") == "plain <&> \u202e text"
    assert xml_text("a\x1bb\x00c\ufffe") == "a\\x1bb\\x00c\\ufffe"


def test_hostile_names_stay_valid_xml_and_read_back() -> None:
    name = "Evil\x1b[31m <b>&amp;</b> \u202eX\nY"
    events = admit([program(funder="State\x07"), venture(name=name),
                    money("FundingGranted", funder="Other\x01")])
    xml = iati_xml(iati_from_events(events, as_of=date(2016, 1, 1), known_at=None,
                                   generated_at=NOW))
    xmlschema.XMLSchema(str(SCHEMA)).validate(xml.decode())
    root = ET.fromstring(xml)
    assert root.findtext("iati-activity/title/narrative") == "Evil\\x1b[31m <b>&amp;</b> " \
        "\u202eX\nY"
    assert root.findtext("iati-activity/reporting-org/narrative") == "State\\x07"


def test_a_claim_without_a_url_is_named_in_the_comment() -> None:
    events = admit([program(), venture(), {
        "type": "SalesReported", "id": "claim", "venture": "v", "period": "2015",
        "revenue": "5", "occurred_on": "2016-01-10", "source": "Annual accounts, p. 3"}])
    root = iati_from_events(events, as_of=date(2016, 12, 31), known_at=None, generated_at=NOW)
    actual = root.find("iati-activity/result/indicator/period/actual")
    assert actual.get("value") == "5"
    assert actual.find("document-link") is None
    assert actual.findtext("comment/narrative") == (
        "claims whose source has no URL: 5 EUR for 2015, published 2016-01-10 (ledger "
        "event claim).")


def test_identifiers_that_would_collide_are_refused() -> None:
    events = admit([program("a"), program("a-b"), venture("b-c", "a"), venture("c", "a-b")])
    with pytest.raises(IatiError, match="ventures 'b-c' and 'c' would both get the IATI "
                       "identifier 'OUTCOMES-a-b-c'"):
        iati_from_events(events, as_of=date(2016, 1, 1), known_at=None, generated_at=NOW)


def test_a_corrected_registration_is_shown_corrected_with_its_source() -> None:
    events = admit([program(), venture(id="reg"), {
        "type": "EventCorrected", "id": "fix", "event": "reg", "changes": {"name": "W"},
        "reason": "renamed", "occurred_on": "2017-01-01",
        "source": "https://example.org/rename (Journal, 2017)"}])
    root = iati_from_events(events, as_of=date(2016, 1, 1), known_at=None, generated_at=NOW)
    # Registrations are read whatever the date, as the reports read them.
    assert root.findtext("iati-activity/title/narrative") == "W"
    links = {d.get("url"): d for d in root.iter("document-link")}
    fix = links["https://example.org/rename"]
    assert fix.findtext("title/narrative") == "Journal, 2017"
    assert fix.findtext("description/narrative") == \
        "Source of the ledger's events fix (correction of reg)"
    assert [c.get("code") for c in fix.iter("category")] == ["A02"]
