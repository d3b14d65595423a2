"""The recording clock never trusts an earlier stamp from the future.

A command records at the later of the clock and the last recorded time only when the
last recorded time is at most `SKEW` (5 minutes) ahead; further ahead, it refuses.
"""

from __future__ import annotations

import json

from freezegun import freeze_time

from tests.audit_support import SRC
from tests.conftest import Outcomes


def program(outcomes: Outcomes, slug: str, day: str = "2025-01-01") -> tuple[int, str]:
    result = outcomes("append", "program-registered", "--program", slug, "--name", "P",
                      "--funder", "F", "--occurred-on", day, "--source", SRC)
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr.strip()


def stamps(outcomes: Outcomes) -> list[str]:
    return [e["recorded_at"] for e in json.loads(outcomes("log", "-O", "json").stdout)]


def test_a_stamp_from_a_clock_set_forward_is_not_carried_on(outcomes: Outcomes) -> None:
    assert outcomes("init").exit_code == 0
    with freeze_time("2030-01-01T00:00:00Z"):
        assert program(outcomes, "early")[0] == 0
    before = outcomes.digest()
    with freeze_time("2026-06-01T12:00:00Z"):
        code, err = program(outcomes, "later")
    assert code == 2 and "\n" not in err
    assert "position 1" in err and "2030-01-01T00:00:00.000000Z" in err
    assert "set it right" in err and "outcomes verify" in err
    assert outcomes.digest() == before
    assert stamps(outcomes) == ["2030-01-01T00:00:00.000000Z"]


def test_a_stamp_a_few_minutes_ahead_is_kept_so_time_never_goes_back(
        outcomes: Outcomes) -> None:
    assert outcomes("init").exit_code == 0
    with freeze_time("2026-06-01T12:00:00Z"):
        assert program(outcomes, "first")[0] == 0
    with freeze_time("2026-06-01T11:56:00Z"):  # a writer whose clock is 4 minutes behind
        assert program(outcomes, "second")[0] == 0
    assert stamps(outcomes) == ["2026-06-01T12:00:00.000000Z"] * 2
    with freeze_time("2026-06-01T11:54:59Z"):  # 5 minutes and 1 second behind
        code, err = program(outcomes, "third")
    assert code == 2 and "by more than 5 minutes" in err


def test_occurred_on_is_checked_against_the_real_date(outcomes: Outcomes) -> None:
    """A stamp kept from a clock 3 minutes ahead, past midnight, does not let an event
    dated tomorrow in."""
    assert outcomes("init").exit_code == 0
    with freeze_time("2026-01-02T00:02:00Z"):
        assert program(outcomes, "first")[0] == 0
    with freeze_time("2026-01-01T23:59:00Z"):
        code, err = program(outcomes, "tomorrow", day="2026-01-02")
        assert code == 2
        assert "occurred_on: 2026-01-02 is after the recording date 2026-01-01" in err
        assert program(outcomes, "today", day="2026-01-01")[0] == 0
    assert stamps(outcomes)[-1] == "2026-01-02T00:02:00.000000Z"
