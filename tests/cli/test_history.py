"""`history`: each reported figure's values over recording time, with what set them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from outcomes.ledger.service import record
from outcomes.ledger.store import EventStore
from outcomes.projections.folds.history import Change, Figure, History, history
from tests.audit_support import SRC, base_events, build, ev, run

REV_2014 = Figure("revenue", "revenue", "2014")


def fold(tmp_path: Path, extra: list[dict[str, Any]], metric: str | None = None) -> History:
    db = build(tmp_path / "h.db", base_events() + extra)
    store = EventStore(str(db))
    try:
        return history(store.read(), "numergy", metric)
    finally:
        store.close()


def correction(target: str, occurred_on: str, source: str, /,
               **changes: Any) -> dict[str, Any]:
    return {"type": "EventCorrected", "event": target, "changes": changes,
            "reason": "annual accounts", "source": source, "occurred_on": occurred_on}


def retraction(target: str, occurred_on: str = "2016-06-01") -> dict[str, Any]:
    return {"type": "EventRetracted", "event": target, "reason": "wrong",
            "source": "https://example.org/erratum", "occurred_on": occurred_on}


def summary(changes: list[Change]) -> list[tuple[Any, ...]]:
    return [(c.set_by, c.stated, c.value, c.claims, c.source) for c in changes]


def test_two_claims_and_a_correction_give_three_values_in_recording_order(
        tmp_path: Path) -> None:
    result = fold(tmp_path, [
        ev("SalesReported", "2015-03-01", id="rev-2014-b", venture="numergy", period="2014",
           revenue="4000000", source="https://example.org/lemonde-2015"),
        correction("rev-2014-b", "2016-01-15", "https://example.org/accounts-2014",
                   revenue="2000000"),
    ])
    changes = result.figures[REV_2014]
    assert summary(changes) == [
        ("claim", Decimal("6000000"), Decimal("6000000"), 1,
         "https://example.org/lesechos-2015"),
        ("claim", Decimal("4000000"), Decimal("4000000"), 2,
         "https://example.org/lemonde-2015"),
        ("correction", Decimal("2000000"), Decimal("2000000"), 2,
         "https://example.org/accounts-2014"),
    ]
    assert [c.position for c in changes] == sorted(c.position for c in changes)
    assert changes[2].event == "rev-2014-b" and changes[2].changes == {"revenue": "2000000"}


def test_the_chosen_claim_is_the_one_published_last_not_recorded_last(tmp_path: Path) -> None:
    result = fold(tmp_path, [
        ev("SalesReported", "2014-12-01", id="rev-2014-early", venture="numergy",
           period="2014", revenue="9000000"),
    ])
    # Recorded after the 6 M claim but published before it: the 6 M claim stays chosen.
    assert summary(result.figures[REV_2014])[-1][1:4] == (
        Decimal("9000000"), Decimal("6000000"), 2)


def test_retractions_withdraw_a_claim(tmp_path: Path) -> None:
    result = fold(tmp_path, [
        ev("SalesReported", "2015-03-01", id="rev-2014-b", venture="numergy", period="2014",
           revenue="4000000"),
        retraction("rev-2014-b"),
        retraction("rev-2014-a"),
    ])
    assert [(c.set_by, c.stated, c.value, c.claims, c.event)
            for c in result.figures[REV_2014]] == [
        ("claim", Decimal("6000000"), Decimal("6000000"), 1, None),
        ("claim", Decimal("4000000"), Decimal("4000000"), 2, None),
        ("retraction", None, Decimal("6000000"), 1, "rev-2014-b"),
        ("retraction", None, None, 0, "rev-2014-a"),
    ]


def test_a_correction_that_moves_a_claim_to_another_period_changes_both(
        tmp_path: Path) -> None:
    result = fold(tmp_path, [correction("rev-2014-a", "2016-01-15", SRC, period="2015")])
    assert summary(result.figures[REV_2014])[-1][:4] == ("correction", None, None, 0)
    moved = result.figures[Figure("revenue", "revenue", "2015")]
    assert summary(moved) == [("correction", Decimal("6000000"), Decimal("6000000"), 1, SRC)]


def test_a_correction_of_the_source_only_is_listed_with_nothing_stated(
        tmp_path: Path) -> None:
    result = fold(tmp_path, [correction("rev-2014-a", "2016-01-15", SRC,
                                        source="https://example.org/lesechos-archive")])
    assert summary(result.figures[REV_2014])[-1][:4] == (
        "correction", None, Decimal("6000000"), 1)


def test_levels_follow_the_latest_report_and_count_later_signings(tmp_path: Path) -> None:
    result = fold(tmp_path, [
        ev("SalesReported", "2015-03-01", id="rev-2014-b", venture="numergy", period="2014",
           revenue="4000000", customers=300),
        ev("MetricReported", "2015-06-01", id="partners-total", venture="numergy",
           metric="partners", value=40),
        ev("PartnerSigned", "2015-07-01", id="partner-2", venture="numergy",
           partner="Integrators", count=5),
        ev("MetricReported", "2015-08-01", id="jobs-2015", venture="numergy", metric="jobs",
           value=90),
    ])
    assert summary(result.figures[Figure("level", "customers")]) == [
        ("claim", 300, 300, None, SRC)]
    # 10 signed (2014), then a total of 40 replaces the running count, then 5 more.
    assert [(c.set_by, c.stated, c.value) for c in result.figures[Figure("level", "partners")]
            ] == [("signing", 10, 10), ("report", 40, 40), ("signing", 5, 45)]
    assert [(c.stated, c.value) for c in result.figures[Figure("level", "jobs")]] == [
        (120, 120), (90, 90)]


def test_targets_initial_then_revisions(tmp_path: Path) -> None:
    result = fold(tmp_path, [
        ev("TargetSet", "2014-01-01", id="target-rev-2", venture="numergy", metric="revenue",
           value="300000000", due="2017-12-31"),
        # Recorded later, published earlier: it becomes the initial target.
        ev("TargetSet", "2012-06-01", id="target-rev-0", venture="numergy", metric="revenue",
           value="500000000", due="2016-12-31"),
    ])
    changes = result.figures[Figure("target", "revenue")]
    assert [(c.id, c.set_by, c.stated, c.value, c.due.isoformat()) for c in changes] == [
        ("target-rev", "initial", Decimal("400000000"), Decimal("400000000"), "2016-12-31"),
        ("target-rev-2", "revision", Decimal("300000000"), Decimal("300000000"), "2017-12-31"),
        ("target-rev-0", "initial", Decimal("500000000"), Decimal("300000000"), "2016-12-31"),
    ]


def test_metric_filter_and_other_ventures(tmp_path: Path) -> None:
    result = fold(tmp_path, [
        ev("VentureRegistered", "2012-09-06", venture="cloudwatt", name="Cloudwatt",
           program="pia-cloud"),
        ev("SalesReported", "2015-03-01", venture="cloudwatt", period="2014",
           revenue="1000000"),
    ], metric="revenue")
    assert {f.metric for f in result.figures} == {"revenue"}
    assert {f.kind for f in result.figures} == {"revenue", "target"}
    assert result.figures[REV_2014][-1].claims == 1  # Cloudwatt's claim is not Numergy's
    assert result.ventures == {"numergy", "cloudwatt"}


# -- the command ----------------------------------------------------------------------------


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    db = build(tmp_path / "ledger.db")
    extra = [
        ev("SalesReported", "2015-03-01", id="rev-2014-b", venture="numergy", period="2014",
           revenue="4000000", source="https://example.org/lemonde-2015"),
        correction("rev-2014-b", "2016-01-15", "https://example.org/accounts-2014",
                   revenue="2000000"),
    ]
    store = EventStore(str(db))
    try:
        record(store, [(None, raw) for raw in extra], actor="tester")
    finally:
        store.close()
    return db


def test_history_json_shape(ledger: Path) -> None:
    result = run("--db", str(ledger), "history", "numergy", "--metric", "revenue", "-O", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"venture", "known_at", "figures"}
    assert [f["figure"] for f in doc["figures"]] == [
        "revenue 2013", "revenue 2014", "target revenue"]
    rev = doc["figures"][1]
    assert (rev["kind"], rev["metric"], rev["period"]) == ("revenue", "revenue", "2014")
    assert [(c["set_by"], c["stated"], c["value"], c["source"]) for c in rev["changes"]] == [
        ("claim", "6000000", "6000000", "https://example.org/lesechos-2015"),
        ("claim", "4000000", "4000000", "https://example.org/lemonde-2015"),
        ("correction", "2000000", "2000000", "https://example.org/accounts-2014"),
    ]
    assert set(rev["changes"][0]) == {
        "position", "id", "recorded_at", "set_by", "event", "stated", "value", "claims",
        "occurred_on", "source", "changes", "reason", "due"}


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_history_lists_every_value_with_its_source(ledger: Path, fmt: str) -> None:
    result = run("--db", str(ledger), "history", "numergy", "-O", fmt)
    assert result.exit_code == 0
    text = result.stdout
    # people's formats write the values with group separators, CSV keeps them plain
    plain = fmt == "csv"
    for value in ("6,000,000", "4,000,000", "2,000,000"):
        assert (value.replace(",", "") if plain else value) in text
    assert ("6,000,000" in text) is not plain and ("6000000" in text) is plain
    assert text.index("lesechos") < text.index("lemonde") < text.index("accounts")


def test_history_writes_a_file_in_the_format_of_its_extension(ledger: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "history.csv"
    assert run("--db", str(ledger), "history", "numergy", "-o", str(out)).exit_code == 0
    assert out.read_text().startswith("figure,position,recorded_at,set_by,")


def test_unknown_venture_is_bad_input_with_a_suggestion(ledger: Path) -> None:
    result = run("--db", str(ledger), "history", "numergi")
    assert result.exit_code == 2
    assert result.stderr == "outcomes: error: unknown venture 'numergi'; did you mean " \
                            "'numergy'?\n"


def test_history_known_at_shows_what_was_known_then(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    with freeze_time("2016-02-01T09:00:00Z", tick=False):
        build(db)
        then = {fmt: run("--db", str(db), "history", "numergy", "-O", fmt).stdout
                for fmt in ("table", "json", "csv", "markdown")}
    with freeze_time("2016-06-01T09:00:00Z", tick=False):
        store = EventStore(str(db))
        try:
            record(store, [(None, correction("rev-2014-a", "2016-01-15", SRC,
                                             revenue="2000000")),
                           (None, retraction("jobs-2014", "2016-01-20"))], actor="tester")
        finally:
            store.close()
    with freeze_time("2017-01-01T00:00:00Z", tick=False):
        for fmt, expected in then.items():
            result = run("--db", str(db), "history", "numergy", "-O", fmt,
                         "--known-at", "2016-02-01T09:00:00Z")
            if fmt == "json":  # it names the moment it replays; the first print did not
                expected = expected.replace('"known_at": null',
                                            '"known_at": "2016-02-01T09:00:00.000000Z"')
            assert result.stdout == expected, fmt
        now = run("--db", str(db), "history", "numergy", "-O", "json").stdout
        assert now != then["json"]
    assert run("--db", str(db), "history", "numergy", "--known-at", "2011-01-01").exit_code == 2
