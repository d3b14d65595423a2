"""Evidence grades, archives and source digests on every event (the contract's "Evidence
grades"): declared once in ledger/schema.py, checked on admission, corrected like any field.

The refusal lines are written out whole, from the parsers in ledger/schema.py.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from outcomes.ledger.errors import FieldError
from outcomes.ledger.model import Event
from outcomes.ledger.schema import EVENT_TYPES, EVIDENCE, GRADES, UNSPECIFIED, Number
from tests.unit.test_schema import COMMON, NOW, VALID, admit, base

CLAIM = {"type": "SalesReported", **COMMON, "venture": "v", "period": "2014",
         "revenue": "5"}
DIGEST = hashlib.sha256(b"the page as it was read").hexdigest()
ARCHIVE = "https://web.archive.org/web/2015/https://example.org/x"
SHA_HINT = "write the 64 hexadecimal digits that `sha256sum FILE` prints"
URL_HINT = "write the whole address, e.g. https://web.archive.org/web/2015/https://example.org"


def refusal(raw: dict[str, Any]) -> str:
    with pytest.raises(FieldError) as error:
        admit(raw)
    return str(error.value)


def test_the_grades_strongest_first() -> None:
    # The contract's table, in its order; "unspecified" (no grade) is the weakest.
    assert list(EVIDENCE) == ["audited", "filed", "official", "company", "press", "estimate"]
    assert GRADES == ("audited", "filed", "official", "company", "press", "estimate",
                      "unspecified")


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_event_type_takes_the_three_fields(name: str) -> None:
    event = admit({"type": name, **COMMON, **VALID[name], "evidence": "filed",
                   "archive": ARCHIVE, "source_sha256": DIGEST})
    assert (event.fields["evidence"], event.fields["archive"],
            event.fields["source_sha256"]) == ("filed", ARCHIVE, DIGEST)


@pytest.mark.parametrize("grade", list(EVIDENCE))
def test_each_grade_is_accepted(grade: str) -> None:
    assert admit(CLAIM | {"evidence": grade}).fields["evidence"] == grade


def test_absent_fields_stay_absent() -> None:
    # No grade is written for an event that has none: its content (and hash) is the same
    # as before grades existed, and it reads as unspecified.
    event = admit(CLAIM)
    assert not {"evidence", "archive", "source_sha256"} & set(event.wire_fields())
    assert event.content() == (b'{"occurred_on":"2015-03-01","period":"2014","revenue":"5",'
                               b'"source":"https://example.org/x","type":"SalesReported",'
                               b'"venture":"v"}')


def test_a_digest_is_kept_in_lower_case() -> None:
    event = admit(CLAIM | {"source_sha256": DIGEST.upper()})
    assert event.wire_fields()["source_sha256"] == DIGEST
    # the same event given in upper case again is the same content
    assert event.content() == admit(CLAIM | {"source_sha256": DIGEST}).content()


@pytest.mark.parametrize(("raw", "line"), [
    # evidence: one of the six grades, spelled so
    (CLAIM | {"evidence": "pres"}, "evidence: unknown value 'pres': choose one of audited, "
     "filed, official, company, press, estimate"),
    (CLAIM | {"evidence": "Press"}, "evidence: unknown value 'Press': choose one of audited, "
     "filed, official, company, press, estimate"),
    (CLAIM | {"evidence": UNSPECIFIED}, "evidence: unknown value 'unspecified': choose one of "
     "audited, filed, official, company, press, estimate"),
    (CLAIM | {"evidence": 3}, "evidence: must be a string"),
    (CLAIM | {"evidence": ""}, "evidence: must not be empty"),
    # archive: an http(s) URL with a host, one unbroken line
    (CLAIM | {"archive": "web.archive.org/web/2015/x"},
     "archive: malformed URL 'web.archive.org/web/2015/x': an http:// or https:// address "
     f"with a host; {URL_HINT}"),
    (CLAIM | {"archive": "ftp://example.org/x"}, "archive: malformed URL "
     f"'ftp://example.org/x': an http:// or https:// address with a host; {URL_HINT}"),
    (CLAIM | {"archive": "https:///x"}, "archive: malformed URL 'https:///x': an http:// or "
     f"https:// address with a host; {URL_HINT}"),
    (CLAIM | {"archive": "https://example.org/a page"}, "archive: malformed URL "
     f"'https://example.org/a page': character 22 (' ') cannot be in a URL; {URL_HINT}"),
    (CLAIM | {"archive": "https://example.org/\u202ex"}, "archive: malformed URL "
     f"'https://example.org/\\u202ex': character 21 ('\\u202e') cannot be in a URL; {URL_HINT}"),
    (CLAIM | {"archive": "https://[::1/x"}, "archive: malformed URL 'https://[::1/x': "
     f"Invalid IPv6 URL; {URL_HINT}"),
    (CLAIM | {"archive": 5}, "archive: must be a string"),
    (CLAIM | {"archive": "https://e.org/" + "x" * 9987},
     "archive: too long: 10,001 characters, at most 10,000"),
    # source_sha256: exactly 64 hexadecimal digits; a long value is shown cut, as every
    # value is: its repr's first 50 characters (the quote and 49), then its length
    (CLAIM | {"source_sha256": DIGEST[:63]}, f"source_sha256: malformed SHA-256 "
     f"'{DIGEST[:49]}... (63 characters): 63 digits; {SHA_HINT}"),
    (CLAIM | {"source_sha256": DIGEST + "0"}, f"source_sha256: malformed SHA-256 "
     f"'{DIGEST[:49]}... (65 characters): 65 digits; {SHA_HINT}"),
    (CLAIM | {"source_sha256": "sha256:" + DIGEST}, f"source_sha256: malformed SHA-256 "
     f"'sha256:{DIGEST[:42]}... (71 characters): character 1 ('s') is not a hexadecimal "
     f"digit; {SHA_HINT}"),
    (CLAIM | {"source_sha256": "g" * 64}, "source_sha256: malformed SHA-256 "
     f"'{'g' * 49}... (64 characters): character 1 ('g') is not a hexadecimal digit; "
     f"{SHA_HINT}"),
    (CLAIM | {"source_sha256": Number("1" * 64)}, "source_sha256: malformed SHA-256 "
     f"'{'1' * 49}... (64 characters): must be a string; {SHA_HINT}"),
    (CLAIM | {"source_sha256": ""}, f"source_sha256: malformed SHA-256 '': 0 digits; {SHA_HINT}"),
])
def test_refusal_lines(raw: dict[str, Any], line: str) -> None:
    assert refusal(raw) == line


def corrected(changes: dict[str, Any], **own: Any) -> tuple[Event, Event]:
    """Admit a graded claim, then a correction of it; the correction and the claim as
    corrected."""
    state = base()
    state.admit(CLAIM | {"id": "c", "evidence": "press"}, recorded_at=NOW,
                actor="t")
    correction = state.admit({"type": "EventCorrected", **COMMON, "event": "c",
                              "changes": changes, "reason": "filed accounts", **own},
                             recorded_at=NOW, actor="t")
    return correction, state.current("c")


def test_a_correction_changes_a_grade() -> None:
    correction, claim = corrected({"evidence": "filed", "revenue": "4"}, evidence="filed")
    assert (claim.fields["evidence"], claim.fields["revenue"]) == ("filed", 4)
    # the correction's own grade is the grade of its own source
    assert correction.fields["evidence"] == "filed"
    assert correction.fields["changes"] == {"evidence": "filed", "revenue": "4"}


def test_a_correction_removes_a_grade_with_null() -> None:
    _, claim = corrected({"evidence": None})
    assert "evidence" not in claim.fields


def test_a_correction_adds_an_archive_and_a_digest() -> None:
    _, claim = corrected({"archive": ARCHIVE, "source_sha256": DIGEST.upper()})
    assert (claim.fields["archive"], claim.fields["source_sha256"]) == (ARCHIVE, DIGEST)


@pytest.mark.parametrize(("changes", "line"), [
    ({"evidence": "rumour"}, "changes.evidence: unknown value 'rumour': choose one of "
     "audited, filed, official, company, press, estimate"),
    ({"archive": "not a url"}, "changes.archive: malformed URL 'not a url': character 4 "
     f"(' ') cannot be in a URL; {URL_HINT}"),
    ({"source_sha256": "abc"}, f"changes.source_sha256: malformed SHA-256 'abc': 3 digits; "
     f"{SHA_HINT}"),
])
def test_a_correction_to_a_bad_value_is_refused(changes: dict[str, Any], line: str) -> None:
    with pytest.raises(FieldError) as error:
        corrected(changes)
    assert str(error.value) == line
