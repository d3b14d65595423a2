"""The one place that reads the clock. Recording times are UTC."""

from __future__ import annotations

import datetime as dt
import functools


def now() -> dt.datetime:
    """The current UTC time as a plain `datetime` (never a freezegun subclass).

    freezegun swaps `datetime.datetime` for a subclass that the eventsourcing transcoder
    cannot store, so the value is rebuilt with the real class found in its MRO.
    """
    t = dt.datetime.now(dt.UTC)
    real = next(c for c in type(t).__mro__
                if c.__module__ == "datetime" and c.__name__ == "datetime")
    return real(t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond,
                tzinfo=dt.UTC)


def today() -> dt.date:
    """The recording date: today in UTC."""
    return now().date()


@functools.lru_cache(maxsize=256)
def format_timestamp(t: dt.datetime) -> str:
    """ISO 8601 UTC with a Z, microseconds kept: the form used in JSON and the log."""
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.lru_cache(maxsize=1024)
def stored_time(text: str) -> dt.datetime:
    """A recording time as stored (ISO 8601 with offset); cached, because the events of
    one import share one recording time."""
    return dt.datetime.fromisoformat(text)


def parse_timestamp(text: str) -> dt.datetime:
    """A `--known-at` value: a date (end of that day) or an ISO timestamp (UTC if naive)."""
    text = text.strip()
    try:
        if len(text) == 10:
            d = dt.date.fromisoformat(text)
            return dt.datetime(d.year, d.month, d.day, 23, 59, 59, 999999,
                               tzinfo=dt.UTC)
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"malformed timestamp {text!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[Z]"
        ) from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    try:
        return t.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC
        raise ValueError(f"timestamp {text!r} is out of range in UTC (years 0001 to 9999)"
                         ) from None


# How far a recording time may be ahead of this machine's clock before it is distrusted:
# the clocks of writers sharing a ledger may disagree a little (Kerberos allows 5 minutes).
SKEW = dt.timedelta(minutes=5)
