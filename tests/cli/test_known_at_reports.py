"""Issue 4: a report replayed with --known-at T1 prints exactly what was printed at T1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freezegun import freeze_time

from tests.conftest import Outcomes
from tests.projection_scenario import SCENARIO, ev

T1, T2, T3 = "2026-02-01 10:00:00", "2026-02-15 09:30:00", "2026-03-01 08:00:00"
T1_ISO = "2026-02-01T10:00:00.000000Z"
KINDS = ("roi", "targets", "timeline")
FORMATS = ("table", "json", "csv", "markdown")
SELECTIONS = ((), ("--venture", "numergy"), ("--as-of", "2014-12-31"))

# What changes between T1 and T2: corrections, retractions, more (conflicting) claims.
LATER = [
    ev("EventCorrected", "2026-02-10", "t2-fix", event="n-grant-2",
       changes={"amount": "12000000"}, reason="restated"),
    ev("EventRetracted", "2026-02-10", "t2-undo", event="n-dividend", reason="never paid"),
    ev("SalesReported", "2026-02-11", "t2-claim", venture="numergy", period="2014",
       revenue="9000000"),
    ev("MetricReported", "2026-02-11", "t2-jobs", venture="numergy", metric="jobs", value=5),
]


def write(path: Path, raws: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in raws), encoding="utf-8")
    return str(path)


def outputs(run: Outcomes, *extra: str) -> dict[tuple, str]:
    out = {}
    for kind in KINDS:
        for fmt in FORMATS:
            for sel in SELECTIONS:
                result = run("report", kind, *sel, "-O", fmt, *extra)
                assert result.exit_code == 0, result.output
                out[(kind, fmt, sel)] = result.output
    return out


def test_known_at_reprints_every_report_in_every_format(outcomes: Outcomes,
                                                        tmp_path: Path) -> None:
    with freeze_time(T1):
        assert outcomes("import", write(tmp_path / "a.jsonl", SCENARIO)).exit_code == 0
        printed = outputs(outcomes)
    with freeze_time(T2):
        assert outcomes("import", write(tmp_path / "b.jsonl", LATER)).exit_code == 0
    with freeze_time(T3):
        now = outputs(outcomes)
        replayed = outputs(outcomes, "--known-at", "2026-02-01T10:00:00Z")
    assert now != printed  # the later events do change the reports...
    for key, text in printed.items():  # ...but the replay is what was printed at T1,
        # except that it names the moment it replays (a report without --known-at does not)
        kind, fmt, _ = key
        if fmt == "json":
            assert json.loads(replayed[key]) == {**json.loads(text), "known_at": T1_ISO}, key
            assert replayed[key].replace(f'"{T1_ISO}"', "null") == text, key
        else:  # (a table's title may wrap elsewhere)
            assert words(replayed[key]).replace(f", as known at {T1_ISO}", "") == \
                words(text), key


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.backends("sqlite")  # (the rule is the same on both: once is enough)
def test_the_same_ledger_prints_the_same_reports_whenever_asked(outcomes: Outcomes,
                                                               tmp_path: Path) -> None:
    """No report prints the moment it was computed, unless --known-at is given: two runs
    on the same day, hours apart, print the same bytes in every format (and with
    --as-of, two runs days apart)."""
    with freeze_time(T1):
        assert outcomes("import", write(tmp_path / "a.jsonl", SCENARIO)).exit_code == 0

    def everything() -> dict[tuple, str]:
        out = outputs(outcomes)
        out.update({("as-of", *k): v for k, v in outputs(outcomes, "--as-of", "2015-06-30")
                    .items()})
        for fmt in FORMATS:
            for argv in (("history", "numergy"), ("log",)):
                result = outcomes(*argv, "-O", fmt)
                assert result.exit_code == 0, result.output
                out[(*argv, fmt)] = result.output
        return out

    with freeze_time("2026-03-01 08:00:00"):
        morning = everything()
    with freeze_time("2026-03-01 23:59:59.999999"):
        evening = everything()
    assert morning == evening
    with freeze_time("2027-11-30 13:00:00"):
        later = outputs(outcomes, "--as-of", "2015-06-30")
    assert {("as-of", *k): v for k, v in later.items()} == {
        k: v for k, v in morning.items() if k[0] == "as-of"}
    assert all("known at" not in text for key, text in morning.items() if "json" not in key)
