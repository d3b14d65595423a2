"""outcomes: an append-only, sourced ledger of public investment outcomes, as a Python API.

The `outcomes` command is a thin layer over the same functions::

    import outcomes

    with outcomes.open("cloud.db", create=True) as ledger:
        ledger.record([{"type": "ProgramRegistered", "occurred_on": "2012-01-01", ...}])
        roi = ledger.report("roi", as_of="2016-12-31")      # the JSON document of the spec
        assert ledger.verify().ok

In the repository the package's parts keep the design card's layout at the top level
(`ledger/`, `projections/`, `cli.py`, `fixtures/`); `outcomes/` links to them, and an
install puts them all inside this one package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from outcomes.ledger.model import Event
    from outcomes.ledger.service import Outcome
    from outcomes.ledger.store import EventStore
    from outcomes.ledger.verify import Report

__all__ = ["Ledger", "REPORTS", "open"]


def __getattr__(name: str) -> Any:
    """`REPORTS`, the kinds `Ledger.report` answers, from the presentation's one list
    (imported on first use, so that `import outcomes` and the CLI start light)."""
    if name == "REPORTS":
        from outcomes.projections.present.documents import KINDS

        return KINDS
    raise AttributeError(f"module 'outcomes' has no attribute {name!r}")


class Ledger:
    """One ledger: its event store (a SQLite file or a postgresql:// URL) and the local
    files derived from it (the read model and the validation index)."""

    def __init__(self, db: str, *, read_model: str | None = None, create: bool = False,
                 actor: str | None = None) -> None:
        from outcomes.ledger.index import index_path, read_model_path
        from outcomes.ledger.store import EventStore

        self.db = str(db)
        self.actor = actor
        self.read_model = read_model_path(self.db, read_model)
        self.index = index_path(self.read_model)
        self.store: EventStore = EventStore(self.db, create=create)

    def record(self, events: Iterable[Mapping[str, Any]]) -> Outcome:
        """Validate and append events (objects in the JSONL form of docs/events.md), all or
        nothing; raises `LedgerError` naming the first bad field."""
        from outcomes.ledger.service import record

        items = [(f"event {n}", dict(event)) for n, event in enumerate(events, 1)]
        return record(self.store, items, actor=self.actor, index_path=self.index)

    def events(self) -> Iterator[Event]:
        """Every recorded event, in recording order."""
        from outcomes.ledger.store import to_event

        for stored in self.store.records():
            yield to_event(stored)

    def report(self, kind: str, *, as_of: dt.date | str | None = None,
               known_at: dt.datetime | str | None = None, program: str | None = None,
               venture: str | None = None,
               sink: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """A report document (`roi`, `targets` or `timeline`), as `outcomes report KIND -O
        json` prints it. `as_of` defaults to today (or the `known_at` date); a `known_at`
        replays what the ledger knew at that moment. With a `sink`, the document is
        handed to it instead (its long lists may be iterators, read as the sink writes
        them, in constant memory) and an empty dict is returned."""
        from outcomes.ledger.clock import parse_timestamp, today
        from outcomes.projections.present.documents import KINDS
        from outcomes.projections.readmodel import report_from

        if kind not in KINDS:
            raise ValueError(f"unknown report {kind!r} (one of: {', '.join(KINDS)})")
        cutoff = parse_timestamp(known_at) if isinstance(known_at, str) else known_at
        day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        day = day or (cutoff.date() if cutoff else today())
        return report_from(self.store, self.read_model, kind, as_of=day, known_at=cutoff,
                           program=program, venture=venture, sink=sink)

    def publish(self, directory: str, *, as_of: dt.date | str | None = None,
                known_at: dt.datetime | str | None = None, program: str | None = None,
                venture: str | None = None, signer: Any = None, origin: str | None = None,
                title: str | None = None, locale: str | None = None,
                archive: bool = True) -> dict[str, str]:
        """Write the published report (a static site, docs/publish.md) into `directory`:
        the reports as of the date (as known at the moment), each venture's history, and
        the ledger's checkpoint, signed when a `signer` (ledger.notes.Signer) is given.
        `locale` (e.g. "fr_FR") writes the pages' figures and dates for its readers; the
        data files stay locale-free. With `archive` (the default) the site also holds the
        ledger's archive (ARCHIVE, as `export --archive` writes it), so that readers verify
        the checkpoint with no copy of the store. Returns the files written (path in the
        site -> text; the archive's bytes are not among them)."""
        from outcomes.ledger.clock import parse_timestamp, today
        from outcomes.ledger.notes import signed_checkpoint
        from outcomes.ledger.verify import format_checkpoint
        from outcomes.projections.present import site

        cutoff = parse_timestamp(known_at) if isinstance(known_at, str) else known_at
        day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        day = day or (cutoff.date() if cutoff else today())
        docs = {kind: self.report(kind, as_of=day, known_at=cutoff, program=program,
                                  venture=venture) for kind in ("roi", "targets", "timeline")}
        size, root = self.checkpoint()
        note = None if signer is None else signed_checkpoint(origin or signer.name, size,
                                                             root, signer)
        integrity = site.Integrity(size, root, format_checkpoint(size, root), note,
                                   None if signer is None else signer.verifier.text(),
                                   site.ARCHIVE if archive else None)
        # read once: each venture's history is a fold of the events (which keeps most of
        # them in memory anyway, docs/publish.md)
        from outcomes.projections.folds.log import known_prefix

        events = list(known_prefix(self.events(), cutoff))
        programs = site.registrations(events)
        ventures = [v["venture"] for v in docs["roi"]["ventures"]]
        names = [programs.get(p["program"], {}).get("name") or p["program"]
                 for p in docs["roi"]["programs"]]
        data = site.SiteData(
            title=title or ("Public investment outcomes" + (f": {', '.join(names)}"
                                                            if names else "")),
            roi=docs["roi"], targets=docs["targets"], timeline=docs["timeline"],
            integrity=integrity, histories=site.histories(events, ventures, cutoff),
            programs=programs, names=site.names(events))
        files = site.pages(data, locale)
        site.write(directory, files)
        if archive:
            from outcomes.ledger.archive import write_archive

            site.write_bytes(directory, site.ARCHIVE,
                             lambda out: write_archive(self.store, out))
        return files

    def verify(self, checkpoint: tuple[int, str] | None = None) -> Report:
        """Check every stored event (its place, its Merkle node, its validity when it was
        recorded) and, given one, that the ledger extends a published (size, root)."""
        from outcomes.ledger.verify import verify

        return verify(self.store, checkpoint)

    def checkpoint(self) -> tuple[int, str]:
        """The ledger's size and Merkle root (RFC 6962), from the stored nodes."""
        from outcomes.ledger.verify import checkpoint

        return checkpoint(self.store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open(db: str, *, read_model: str | None = None, create: bool = False,  # noqa: A001
         actor: str | None = None) -> Ledger:
    """Open the ledger at `db` (a SQLite path or a postgresql:// URL); `create=True` makes
    it if missing, as `outcomes init` does."""
    return Ledger(db, read_model=read_model, create=create, actor=actor)
