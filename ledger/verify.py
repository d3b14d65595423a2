"""Proving that the stored ledger is the one the tool appended, and that it extends a
published checkpoint.

`verify` reads every row of the events table in the store's own global order (not only
the ledger's stream, so a row slipped in beside the ledger is seen), checks its shape,
then admits each event anew with the write side's own rules (`LedgerState.admit`, folded
over the events before it) and compares the node that gives with the node stored when it
was appended. The first thing found wrong is reported with its position.
What it cannot see without a checkpoint (a rewrite that recomputes every later node, or
events cut off the end) is explained in docs/integrity.md.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Notification

from outcomes.ledger import clock
from outcomes.ledger.codec import decode_state
from outcomes.ledger.errors import LedgerError
from outcomes.ledger.integrity import (
    EMPTY_ROOT,
    canonical_bytes,
    leaf_hash,
    node_at,
    root_hex,
)
from outcomes.ledger.model import Event
from outcomes.ledger.schema import ENVELOPE_FIELDS, EVENT_TYPES, ID_RE
from outcomes.ledger.state import LedgerState, RecordedEvents
from outcomes.ledger.store import (
    LEDGER_STREAM,
    RECORDED_TOPIC,
    CommittedEvents,
    EventStore,
    is_postgres,
)

STATE_KEYS = {"originator_id", "originator_version", "timestamp", "type", "event_id",
              "recorded_by", "data", "node"}
CHECKPOINT_RE = re.compile(r"([0-9]+):([0-9a-fA-F]{64})")
NODE_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Report:
    """The outcome of `verify`, in the contract's JSON shape.

    On failure `root` is null (no root of a damaged log is worth publishing) and `size`
    is the number of events checked before the problem was found; `first_bad_position`
    is null only when a checkpoint's root does not match: a root cannot tell which of
    the events it covers changed.
    """

    ok: bool
    size: int
    root: str | None
    first_bad_position: int | None = None
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def message(self) -> str:
        """One line for people about a failure."""
        if self.first_bad_position is None:
            return f"{self.problem}"
        return f"position {self.first_bad_position}: {self.problem}"


class Problem(Exception):
    """The first thing wrong, found while scanning."""

    def __init__(self, position: int | None, problem: str) -> None:
        super().__init__(problem)
        self.position = position
        self.problem = problem


class _Unreadable(Exception):
    """The store could not even list a row (e.g. a stream id that is not a UUID)."""


def parse_checkpoint(text: str) -> tuple[int, str]:
    """`SIZE:ROOT` -> (size, lowercase hex root); LedgerError if malformed."""
    match = CHECKPOINT_RE.fullmatch(text.strip())
    if not match:
        raise LedgerError(f"--checkpoint: malformed checkpoint {text!r}: use SIZE:ROOT as "
                          "printed by `outcomes checkpoint`, e.g. 42:3f2a...(64 hex digits)")
    return int(match[1]), match[2].lower()


def format_checkpoint(size: int, root: str) -> str:
    return f"{size}:{root}"


def checkpoint(store: EventStore) -> tuple[int, str]:
    """The current size and root, from the nodes stored at append time.

    Reads O(log n) nodes, not the whole log: it trusts the store, so a publisher should
    `verify` before printing a checkpoint.
    """
    size = store.head()
    return size, root_hex(size, store.node)


# From this many rows on, `verify` uses two processes (see `_two_processes`); below it,
# starting the second one costs more than it saves. Tests lower it.
TWO_PROCESSES_FROM = 50_000
# A second process first folds the rows before its share without checking them (see
# `_Scan.fold`): that costs about FOLD_COST of checking them (measured: 0.47 at 200,000
# events, plus the second process's start). The first process checks that many rows that
# both end together: split = rows / (2 - FOLD_COST).
FOLD_COST = 0.5


def verify(store: EventStore, checkpoint: tuple[int, str] | None = None,
           progress: Callable[[int], None] | None = None, *,
           two_from: int | None = None) -> Report:
    """Check every stored row of `store` (and, given one, a published checkpoint).

    From `two_from` rows on, a second process checks the rows after a split point while
    this one checks the rows before it; the report is the one a single process gives
    (see `_two_processes`). By default, from TWO_PROCESSES_FROM rows on when a core is
    idle (`_spare_core`); 0 means one process.
    """
    now = clock.now()
    rows = store.recorder.max_notification_id() or 0
    if two_from is None:  # (the idle cores are sampled only for a large ledger)
        two_from = TWO_PROCESSES_FROM if rows >= TWO_PROCESSES_FROM and _spare_core() else 0
    if two_from and rows >= max(two_from, 2) and _forkable(store):
        return _two_processes(store, checkpoint, progress, now,
                              max(1, int(rows / (2 - FOLD_COST))))
    recorded = CommittedEvents(store)
    try:
        report = _Scan(_state_of, checkpoint, now, recorded).run(_guarded(store.rows()),
                                                                 progress)
    finally:
        recorded.close()
    assert report is not None
    return report


def _state_of(row: Notification) -> dict[str, Any]:
    """A row's stored state as plain JSON: what the hashes bind is exactly these bytes'
    values, so no library decoding (and no object it could build) is involved."""
    state = decode_state(row.state)
    if not isinstance(state, dict):
        raise ValueError("the stored state is not a JSON object")
    return {"originator_id": row.originator_id,
            "originator_version": row.originator_version, **state}


def verify_rows(rows: Iterable[Notification], decode: Callable[[Notification], dict[str, Any]],
                checkpoint: tuple[int, str] | None = None,
                progress: Callable[[int], None] | None = None,
                recorded: RecordedEvents | None = None) -> Report:
    """The checks of `verify` over raw rows in global order; `decode` maps a row's state.

    `recorded` reads back an event already checked (a correction needs its target);
    without it, the checked events are kept in memory.
    """
    report = _Scan(decode, checkpoint, clock.now(), recorded).run(_guarded(rows), progress)
    assert report is not None
    return report


class _GiveUp(Exception):
    """A second process cannot vouch for its share: the first one checks it instead."""


class _Scan:
    """One pass of the checks over rows in global order, from the first row.

    `check` applies every check to the next row; `fold` only folds it into the state,
    trusting that another pass checks it (see `_two_processes`).
    """

    def __init__(self, decode: Callable[[Notification], dict[str, Any]],
                 checkpoint: tuple[int, str] | None, now: datetime,
                 recorded: RecordedEvents | None) -> None:
        self.decode = decode
        self.checkpoint = checkpoint
        self.now = now
        self.recorded = recorded
        self.state = LedgerState(recorded)  # the write side's rules, re-applied in order
        self.position = 0

    def run(self, stream: Iterator[Notification], progress: Callable[[int], None] | None,
            *, fold: int = 0, stop: int | None = None) -> Report | None:
        """Fold the first `fold` rows of `stream` (from `_guarded`), check the others: the
        report of the first problem, or of success at the end. With `stop`, None once
        that many rows are checked and good; `run` then goes on with the same stream."""
        checkpoint = self.checkpoint
        try:
            if checkpoint and not self.position and checkpoint[0] == 0 and \
                    checkpoint[1] != EMPTY_ROOT:
                raise Problem(None, _rewritten(checkpoint))
            for row in stream:
                if self.position < fold:
                    self.fold(row)
                    continue
                self.check(row, stream)
                if progress:
                    progress(1)
                if self.position == stop:
                    return None
            if checkpoint and checkpoint[0] > self.position:
                raise Problem(self.position + 1, f"the log has {self.position} events, fewer "
                              f"than the checkpoint's {checkpoint[0]}: history was cut off")
        except Problem as found:
            return Report(False, self.position, None, found.position, found.problem)
        except _Unreadable as error:
            return Report(False, self.position, None, self.position + 1,
                          f"a row the store cannot read stands here ({_short(error)}): "
                          "inserted")
        return Report(True, self.position,
                      root_hex(self.position, self.state.frontier.__getitem__))

    def check(self, row: Notification, stream: Iterator[Notification]) -> None:
        """Every check of the next row (docs/integrity.md, steps 1 to 5)."""
        expected = self.position + 1
        _check_place(row, expected, stream)
        event, stored_node = _decode(row, self.decode, expected)
        _readmit(self.state, event, stored_node, self.now)
        if self.recorded is not None:
            self.state.end_batch()  # read back from the store when needed
        self.position = expected
        checkpoint = self.checkpoint
        if checkpoint and expected == checkpoint[0] and \
                root_hex(expected, self.state.frontier.__getitem__) != checkpoint[1]:
            raise Problem(None, _rewritten(checkpoint))

    def fold(self, row: Notification) -> None:
        """Fold the next row into the state as `check` would, without checking it (as
        rebuilding the validation index does): valid only if another pass checks it and
        finds it good. _GiveUp where the row is not even shaped as a good one is."""
        expected = self.position + 1
        try:
            if row.originator_id != LEDGER_STREAM or row.originator_version != expected \
                    or row.topic != RECORDED_TOPIC:
                raise _GiveUp(f"row {expected}")
            state = self.decode(row)
            event = Event.from_wire(expected, state["event_id"], state["type"],
                                    _timestamp(state["timestamp"]), state["recorded_by"],
                                    state["data"])
            self.state.apply(event, bytes.fromhex(state["node"]))
        except _GiveUp:
            raise
        except Exception as error:
            raise _GiveUp(f"row {expected}: {error}") from None
        self.position = expected


def _spare_core() -> bool:
    """Are two cores idle, one for this process and one for the second? Measured, not
    assumed: on these shared machines a pair of processes that got one core between them
    (one other busy process was enough) took 20 to 40% longer than one process alone, and
    the load average lags by a minute (after a long command it still says 1 for an idle
    machine). So the cores' idle time is sampled for a tenth of a second (Linux; elsewhere
    the load average decides)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    if cores < 2:
        return False
    idle = _idle_cores()
    if idle is None:
        return os.getloadavg()[0] < cores - 1
    return idle >= SPARE_CORES


# Idle cores (over a tenth of a second) that `verify` needs to start a second process.
SPARE_CORES = 1.5


def _idle_cores(seconds: float = 0.1) -> float | None:
    """How many cores were idle over the next `seconds` (/proc/stat: idle and iowait
    against all time, steal included); None where there is no /proc/stat."""
    import time

    def sample() -> tuple[int, int]:
        with open("/proc/stat", "rb") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return values[3] + values[4], sum(values[:8])  # (idle + iowait, all but guests)

    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    if total1 <= total0:
        return None
    return (idle1 - idle0) / (total1 - total0) * (os.cpu_count() or 1)


def _forkable(store: EventStore) -> bool:
    """Can a second process open this store by itself (a file or a server, not memory)?"""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and \
        (is_postgres(store.url) or Path(store.url).is_file())


def _two_processes(store: EventStore, checkpoint: tuple[int, str] | None,
                   progress: Callable[[int], None] | None, now: datetime,
                   split: int) -> Report:
    """`verify` on both cores: this process checks the first `split` rows while a second
    one (forked, with its own connection to the store) folds them unchecked into its
    state and checks the rest; it sends back only its report.

    The report is the one a single pass gives: a problem among the first `split` rows
    is found here, and it is the first (the second process's report is then dropped);
    when they are all good, the state the second process folded from them is the one
    checking them gives (admitting an event folds it, and each is admitted with the
    bytes stored), so its report is the single pass's. If the second process cannot
    vouch for its share (it fails, or gives up on a row it cannot fold), this one
    checks on by itself.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child: Any = context.Process(target=_second_process, daemon=True,
                                 args=(store.url, checkpoint, now, split, writer))
    try:
        child.start()
    except (AssertionError, OSError):  # a daemonic process cannot start one; no memory
        child = None
    writer.close()
    recorded = CommittedEvents(store)
    try:
        scan = _Scan(_state_of, checkpoint, now, recorded)
        stream = _guarded(store.rows())
        report = scan.run(stream, progress, stop=split if child else None)
        if report is not None:
            return report  # found among the first rows, or the log ends before the split
        try:
            theirs = reader.recv()
        except (EOFError, OSError):  # it died without a word
            theirs = None
        if isinstance(theirs, Report) and theirs.size >= split:
            if progress:
                progress(theirs.size - split)
            return theirs
        report = scan.run(stream, progress)
        assert report is not None
        return report
    finally:
        recorded.close()
        reader.close()
        if child is not None:
            if child.is_alive():
                child.terminate()
            child.join()


def _second_process(url: str, checkpoint: tuple[int, str] | None, now: datetime,
                    split: int, writer: Any) -> None:
    """The second process of `_two_processes`: its report, or None if it cannot vouch
    for it."""
    report = None
    try:
        store = EventStore(url)
        recorded = CommittedEvents(store)
        try:
            scan = _Scan(_state_of, checkpoint, now, recorded)
            report = scan.run(_guarded(store.rows()), None, fold=split)
        finally:
            recorded.close()
            store.close()
    except Exception:  # _GiveUp, or anything else: the first process checks on
        report = None
    writer.send(report)
    writer.close()


def _readmit(state: LedgerState, event: Event, stored_node: bytes, now: datetime) -> None:
    """Admit the stored event anew, as `append` would have (same id, author and time):
    the ledger's rules must accept it and give it the node stored with it.

    When they do not, the row's own hash tells whether it was altered after it was
    appended (its bytes no longer give its node) or written with its hashes recomputed.
    """
    frontier = dict(state.frontier)  # the earlier nodes, as admit() replaces some
    raw = {"type": event.type, "id": event.id, **event.wire_fields(),
           "recorded_by": event.recorded_by}
    try:
        admitted = state.admit_stored(raw, recorded_at=event.recorded_at,
                                      actor=event.recorded_by, now=now)
        refusal = None if admitted else f"id: {event.id!r} is already recorded (position " \
            f"{state.entries[event.id].position}) with the same content"
    except LedgerError as error:
        admitted, refusal = None, _short(error)
    if admitted is not None and state.frontier[event.position] == stored_node:
        return
    if node_at(event.position, _leaf(event), frontier.__getitem__) != stored_node:
        raise Problem(event.position, "the event does not match the hash stored with it: "
                      "altered, replaced or moved")
    if refusal is None:
        refusal = "its fields are not in the form the tool writes"
    raise Problem(event.position, f"the event would be refused today ({refusal}): "
                  "inserted or altered with its hashes recomputed")

def _rewritten(checkpoint: tuple[int, str]) -> str:
    size, root = checkpoint
    return (f"the log does not extend checkpoint {format_checkpoint(size, root)}: history at "
            f"or before position {size} was rewritten (or the checkpoint is not this "
            "ledger's)")


def _guarded(rows: Iterable[Notification]) -> Iterator[Notification]:
    it = iter(rows)
    while True:
        try:
            row = next(it)
        except StopIteration:
            return
        except (ValueError, TypeError, AttributeError) as error:  # from converting the id
            raise _Unreadable(str(error) or type(error).__name__) from None
        yield row


def _check_place(row: Notification, expected: int, stream: Iterator[Notification]) -> None:
    """The row belongs to the ledger and stands at the next position."""
    if row.originator_id != LEDGER_STREAM:
        raise Problem(expected, f"a row that is not a ledger event stands here (stream "
                      f"{row.originator_id}, row id {row.id}): inserted")
    version = row.originator_version
    if version == expected:
        return
    if not isinstance(version, int):  # SQLite keeps whatever was written
        raise Problem(expected, f"the stored position {version!r} is not a number: altered")
    if 0 < version < expected:
        raise Problem(expected, f"a second row for position {version} stands here: inserted")
    if version < 1:
        raise Problem(expected, f"a row with the impossible position {version} stands here: "
                      "inserted")
    later: set[int] = set()
    with contextlib.suppress(_Unreadable):  # look as far as the store can list rows
        for r in stream:
            if r.originator_id == LEDGER_STREAM:
                later.add(r.originator_version)
    if expected in later:
        raise Problem(expected, f"position {expected} is stored after position {version}: "
                      "reordered")
    raise Problem(expected, f"no event is stored at position {expected} (the next one is "
                  f"{version}): removed")


def _decode(row: Notification, decode: Callable[[Notification], dict[str, Any]],
            position: int) -> tuple[Event, bytes]:
    """The typed event and its stored node, or Problem if the stored state is not one the
    tool writes (bad JSON, missing or extra keys, an invalid or non-canonical field)."""
    if row.topic != RECORDED_TOPIC:
        raise Problem(position, f"unexpected topic {row.topic!r}: altered or inserted")
    try:
        state = decode(row)
    except Exception as error:  # bad JSON, bad UTF-8
        raise Problem(position, f"the stored event cannot be decoded ({_short(error)}): "
                      "altered") from None
    if set(state) != STATE_KEYS:
        raise Problem(position, "the stored event has "
                      f"{'unexpected' if set(state) - STATE_KEYS else 'missing'} keys: altered")
    etype = EVENT_TYPES.get(state["type"]) if isinstance(state["type"], str) else None
    data, node = state["data"], state["node"]
    if etype is None:
        raise Problem(position, f"unknown event type {state['type']!r}: altered")
    when = _timestamp(state["timestamp"])
    if when is None:
        raise Problem(position, "the recording time is not a UTC timestamp: altered")
    if not isinstance(node, str) or not NODE_RE.fullmatch(node):
        raise Problem(position, "the stored hash is malformed: altered")
    event_id, by = state["event_id"], state["recorded_by"]
    if not isinstance(event_id, str) or not ID_RE.fullmatch(event_id):
        raise Problem(position, "the event id is malformed: altered")
    if not isinstance(by, str) or not by.strip():
        raise Problem(position, "recorded_by is empty or not text: altered")
    if not isinstance(data, dict) or not set(data).isdisjoint(ENVELOPE_FIELDS):
        raise Problem(position, "the event's fields are not an object of fields: altered")
    # The node check binds every value: the content is hashed as stored (wire form);
    # re-admitting it then checks each field against the schema.
    return Event(position, event_id, etype.name, when, by, {}, data), bytes.fromhex(node)


@functools.lru_cache(maxsize=1024)
def _parse_time(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _timestamp(stored: Any) -> datetime | None:
    """The recording time as the library's transcoder stores it, or None if malformed."""
    if not isinstance(stored, dict) or stored.get("_type_") != "datetime_iso" \
            or not isinstance(stored.get("_data_"), str) or len(stored) != 2:
        return None
    return _parse_time(stored["_data_"])


def _leaf(event: Event) -> bytes:
    try:
        return leaf_hash(canonical_bytes(event))
    except (TypeError, ValueError) as error:  # e.g. an object the transcoder decoded
        raise Problem(event.position, f"the event's fields cannot be hashed ({_short(error)}): "
                      "altered") from None


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


# -- archives (export --archive) ----------------------------------------------------------


def verify_archive(path: str, checkpoint: tuple[int, str] | None = None,
                   progress: Callable[[int], None] | None = None) -> Report:
    """The checks of `verify` over an archive file, with no store: the same checks of each
    event (`verify_rows`), then the header's size and root against the events'.

    Any damage to the file is a failed check (one line naming FILE:LINE), never an error:
    the file is what is being verified. A missing file is LedgerError.
    """
    from outcomes.ledger.archive import Damaged, read_events, read_header

    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, the rows are lazy
    except OSError as error:
        raise LedgerError(f"--archive: cannot read {path!r}: {error.strerror}") from None
    with stream:
        try:
            size, root = read_header(stream, path)
        except Damaged as error:
            return Report(False, 0, None, None, str(error))
        states: dict[int, dict[str, Any]] = {}

        def rows() -> Iterator[Notification]:
            try:
                for number, item in enumerate(read_events(stream, path), start=2):
                    states[number] = item.stored_state()
                    yield Notification(originator_id=LEDGER_STREAM,
                                       originator_version=item.position,
                                       topic=RECORDED_TOPIC, state=b"", id=number)
            except Damaged as error:
                raise Problem(error.position, str(error)) from None

        def decode(row: Notification) -> dict[str, Any]:
            return {"originator_id": row.originator_id,
                    "originator_version": row.originator_version, **states.pop(row.id)}

        report = verify_rows(rows(), decode, checkpoint, progress)
    if report.ok and (report.size, report.root) != (size, root):
        return Report(False, report.size, None, None,
                      f"{path}:1: the header says {format_checkpoint(size, root)}, the "
                      f"events make {format_checkpoint(report.size, report.root or '')}: "
                      "altered or cut off")
    return report
