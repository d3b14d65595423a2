"""Archives: the whole ledger as one text file that anyone can check without a store.

Plain `export` writes what a person records (a file to import again, recording times
left out); an archive keeps everything each Merkle leaf binds (position, recording time,
recorder, id, type and fields) and the node stored beside each event, so `verify
--archive` recomputes the tree from the file alone and `restore` rebuilds an identical
ledger. The format is in docs/integrity.md: a header line, then one line per event, each
the canonical JSON of the leaf bytes (sorted keys, no spaces, UTF-8), so that any change
of a byte either breaks the form or changes a hash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from outcomes.ledger.clock import format_timestamp, stored_time
from outcomes.ledger.errors import ConflictError, LedgerError
from outcomes.ledger.integrity import root_hex
from outcomes.ledger.model import Event, canonical_json
from outcomes.ledger.store import EventStore, StoredEvents

if TYPE_CHECKING:
    from outcomes.ledger.service import Outcome

FORMAT = "outcomes-archive/v1"
HEADER_KEYS = {"format", "root", "size"}
# Keys an archive line has besides the event's fields; the rest are its content fields.
ENVELOPE_KEYS = ("position", "id", "type", "recorded_at", "recorded_by", "node")


class Damaged(Exception):
    """A line of an archive is not one `export --archive` writes."""

    def __init__(self, location: str, problem: str, position: int | None = None) -> None:
        super().__init__(f"{location}: {problem}")
        self.position = position


@dataclass(frozen=True)
class Archived:
    """One event line of an archive, checked for form only (the hashes are verify's)."""

    location: str
    position: int
    recorded_at: datetime
    recorded_by: str
    node: str
    line: dict[str, Any]

    def to_file(self) -> dict[str, Any]:
        """The event as `import` reads it (recorded_by kept)."""
        return {k: v for k, v in self.line.items() if k not in ("position", "recorded_at",
                                                                "node")}

    def stored_state(self) -> dict[str, Any]:
        """The event in the store's JSON shape (what `verify` reads from a row)."""
        line = self.line
        return {"timestamp": {"_type_": "datetime_iso", "_data_": line["recorded_at"]},
                "type": line["type"], "event_id": line["id"],
                "recorded_by": line["recorded_by"], "node": line["node"],
                "data": {k: v for k, v in line.items() if k not in ENVELOPE_KEYS}}


def header_line(size: int, root: str) -> bytes:
    return canonical_json({"format": FORMAT, "root": root, "size": size}) + b"\n"


def event_line(event: Event, node: str) -> bytes:
    return canonical_json({**event.to_log(), "node": node}) + b"\n"


def write_archive(store: EventStore, out: IO[bytes]) -> int:
    """Write the header and every event up to the head read first; the event count."""
    size = store.head()
    out.write(header_line(size, root_hex(size, store.node)))
    count = 0
    for event, node in store.read_with_nodes(upto=size):
        out.write(event_line(event, node))
        count += 1
    return count


def _canonical(data: bytes, location: str) -> Any:
    """The JSON value of one line, if the line is exactly its canonical form."""
    if not data.endswith(b"\n"):
        raise Damaged(location, "the line does not end with a newline: cut off or altered")
    try:
        value = json.loads(data)
    except ValueError as error:  # UnicodeDecodeError included
        raise Damaged(location, f"not a JSON line ({_first_line(error)}): altered") from None
    try:
        canonical = canonical_json(value)
    except ValueError:  # e.g. a surrogate escape that UTF-8 cannot encode
        canonical = b""
    if canonical + b"\n" != data:
        raise Damaged(location, "not in the canonical form `export --archive` writes "
                      "(sorted keys, no spaces, UTF-8): altered")
    return value


def read_header(stream: IO[bytes], name: str) -> tuple[int, str]:
    """(size, root) of the header line; Damaged if it is not one."""
    location = f"{name}:1"
    first = stream.readline()
    if not first:
        raise Damaged(location, f"the file is empty, not an archive ({FORMAT})")
    value = _canonical(first, location)
    if not isinstance(value, dict) or set(value) != HEADER_KEYS or value["format"] != FORMAT:
        raise Damaged(location, f"not an archive header ({{\"format\":\"{FORMAT}\","
                      "\"root\":...,\"size\":...}): not an archive, or altered")
    size, root = value["size"], value["root"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0 or \
            not isinstance(root, str) or len(root) != 64 or \
            any(c not in "0123456789abcdef" for c in root):
        raise Damaged(location, "the header's size or root is malformed: altered")
    return size, root


def read_events(stream: IO[bytes], name: str) -> Iterator[Archived]:
    """The event lines after the header, checked for form; Damaged at the first bad one."""
    for number, data in enumerate(stream, start=2):
        location = f"{name}:{number}"
        line = _canonical(data, location)
        if not isinstance(line, dict) or not set(ENVELOPE_KEYS) <= set(line):
            raise Damaged(location, "not an archived event (position, id, type, "
                          "recorded_at, recorded_by and node are required): altered")
        position, when, by, node = (line[k] for k in ("position", "recorded_at",
                                                      "recorded_by", "node"))
        if isinstance(position, bool) or not isinstance(position, int):
            raise Damaged(location, "the position is not a number: altered")
        recorded_at = _time(when)
        if recorded_at is None:
            raise Damaged(location, "recorded_at is not a UTC time as the archive writes it "
                          "(YYYY-MM-DDTHH:MM:SS.ffffffZ): altered", position)
        if not isinstance(by, str) or not isinstance(node, str):
            raise Damaged(location, "recorded_by or node is not text: altered", position)
        yield Archived(location, position, recorded_at, by, node, line)


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = stored_time(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None and format_timestamp(when) == text else None


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


# -- restore ---------------------------------------------------------------------------


def restore(store: EventStore, path: str, index_path: str | None = None) -> Outcome:
    """Append every event of the archive at `path` to an empty `store`, with its own
    position, recording time and recorder; what was restored (with a warning if the
    local index could not be saved once the events were stored, as for `import`).

    The archive is verified first (form, hashes, header); then each event is admitted
    again through the write side's rules, and its recomputed node must equal the
    archived one. All or nothing: LedgerError (nothing written) on any problem.
    """
    from outcomes.ledger.index import LedgerIndex
    from outcomes.ledger.service import Outcome, save_index
    from outcomes.ledger.state import LedgerState
    from outcomes.ledger.verify import verify_archive

    report = verify_archive(path)
    if not report.ok:
        raise LedgerError(f"{path} does not verify, nothing restored: {report.message()}")
    store.ensure_writable()
    index = LedgerIndex(index_path) if index_path else None
    outcome = Outcome()
    count = 0
    try:
        with store.writer_turn():
            state = index.begin(store) if index else LedgerState(StoredEvents(store))
            head = store.head()
            if head:
                raise LedgerError(f"{store.location} already holds {head} events: restore "
                                  "only into a new or empty ledger (pass --db NEW)")

            def admitted() -> Iterator[tuple[Event, bytes]]:
                nonlocal count
                with open(path, "rb") as stream:
                    read_header(stream, path)
                    for item in read_events(stream, path):
                        try:
                            event = state.admit_stored(item.to_file(),
                                                       recorded_at=item.recorded_at,
                                                       actor=item.recorded_by)
                        except LedgerError as error:
                            raise error.at(item.location) from None
                        node = state.frontier[event.position] if event else None
                        if event is None or node is None or node.hex() != item.node:
                            raise LedgerError("the event is not admitted again as it was "
                                              "recorded (a repeated id, or rules that "
                                              "changed since)", location=item.location)
                        count += 1
                        yield event, node

            try:
                store.append(admitted())
            except Damaged as error:  # the file changed since it was verified
                raise LedgerError(f"{error}; nothing restored") from None
            except ConflictError:
                raise LedgerError(f"another writer appended to {store.location} meanwhile: "
                                  "nothing restored; restore only into a new ledger") from None
            finally:
                state.end_batch()
            outcome.count = count
            if index is not None:
                save_index(index, state, store.location, outcome)
    except BaseException:
        if index is not None:
            index.rollback()
        raise
    finally:
        if index is not None:
            index.close()
    return outcome
