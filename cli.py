"""The `outcomes` command line: argument parsing and printing only.

The write side lives in `ledger/`, the read side in `projections/`. Heavy modules
(eventsourcing, babel, sqlite-utils) are imported inside commands so `--help` is instant.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from outcomes.ledger.errors import LedgerError
from outcomes.ledger.schema import (
    EVENT_TYPES,
    METRICS,
    PROGRAM_REGISTERED,
    PROVENANCE_FIELDS,
    EventType,
    Field,
)

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
FORMAT_CHOICE = click.Choice(["table", "json", "csv", "markdown"])
# A report also writes one standalone HTML page (docs/publish.md).
REPORT_FORMAT_CHOICE = click.Choice(["table", "json", "csv", "markdown", "html"])


OUTPUT_OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("-O", "--output-format", "fmt"),
     {"type": FORMAT_CHOICE, "help": "Output format (default: table, or from the -o extension)."}),
    (("-o", "--output"),
     {"metavar": "FILE", "help": "Write to FILE (.json, .csv, .md or .txt picks the format).",
      "callback": lambda ctx, param, value: _check_output(ctx, value)}),
    (("--csv-raw-formulas", "csv_raw_formulas"),
     {"is_flag": True, "help": "CSV: write cells that start with = + - @ as recorded, for tools; "
      "by default they get a leading ' so that a spreadsheet shows them as text instead of "
      "running them as formulas (docs/reports.md)."}),
    (("--schema",),
     {"is_flag": True, "help": "CSV: also write datapackage.json beside the -o file: a "
      "Frictionless Table Schema of its columns (types, units, descriptions; "
      "docs/opendata.md)."}),
]


def output_params() -> list[click.Option]:
    """-O and -o, as every command that prints rows or reports takes them."""
    return [click.Option(list(decls), **attrs) for decls, attrs in OUTPUT_OPTIONS]


def check_schema(schema: bool, output: str | None, fmt: str) -> None:
    """--schema describes a CSV file: refuse it, before any work, for anything else, or
    when a datapackage.json outcomes cannot add to is in the way."""
    if not schema:
        return
    if not output or output == "-" or fmt != "csv":
        fail("--schema describes a CSV file: pass -o FILE.csv (datapackage.json is written "
             "beside it)")
    _package_for("log", output, [])


def _package_for(kind: str, output: str, columns: list[str]) -> tuple[str, dict[str, Any]]:
    """The path of the datapackage.json beside `output`, and its content with this CSV's
    resource added (or replaced) in the one already there."""
    import os

    from outcomes.projections.present.tableschema import (
        SchemaError,
        datapackage,
        datapackage_path,
    )

    path = datapackage_path(output)
    existing = _read_text(path, "--schema") if os.path.exists(path) else None
    try:
        return path, datapackage(kind, output, columns, existing)
    except SchemaError as error:
        fail(one_line(f"--schema: {path} exists and {error}: move it, or write the CSV "
                      "to another folder"))


def write_schema(kind: str, output: str, columns: list[Any]) -> None:
    """Write datapackage.json beside the CSV at `output` (`_package_for`)."""
    import json

    path, package = _package_for(kind, output, [c.key for c in columns])
    write_output(json.dumps(package, indent=2, ensure_ascii=False) + "\n", path)


def report_output_params() -> list[click.Option]:
    """A report's -O and -o: the formats of every command, and one HTML page."""
    params = output_params()
    params[0] = click.Option(["-O", "--output-format", "fmt"], type=REPORT_FORMAT_CHOICE,
                             help="Output format (default: table, or from the -o extension; "
                             "html: one standalone page with charts).")
    params[1] = click.Option(["-o", "--output"], metavar="FILE",
                             help="Write to FILE (.json, .csv, .md, .html or .txt picks the "
                             "format).", callback=lambda ctx, param, value: _check_output(ctx,
                                                                                          value))
    return params


def output_options(command: Any) -> Any:
    """Decorator form of output_params()."""
    for decls, attrs in reversed(OUTPUT_OPTIONS):
        command = click.option(*decls, **attrs)(command)
    return command


def fail(message: str) -> NoReturn:
    """Print a one-line error and exit 2 (bad input or usage)."""
    click.echo(f"outcomes: error: {one_line(message)}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def one_line(message: str, limit: int = 1000) -> str:
    """A message as one line of bounded length: newlines, control and format characters and
    lone surrogates (from input quoted in it) are shown escaped, as in every output
    (ledger.inert.message_inert)."""
    from outcomes.ledger.inert import message_inert

    if len(message) > limit:
        message = f"{message[:limit]}... ({len(message) - limit:,} more characters)"
    return message_inert(message)


SURROGATE = re.compile("[\ud800-\udfff]")


def undecodable(args: list[str]) -> str | None:
    """The refusal of the first argument that is not UTF-8 (Python hands such bytes over as
    lone surrogates, which could not be stored or printed), naming its option."""
    for i, arg in enumerate(args):
        found = SURROGATE.search(arg)
        if found is None:
            continue
        bad = found.group()
        name, _, _ = arg.partition("=")
        if not arg.startswith("--") or "=" not in arg:
            name = args[i - 1] if i and args[i - 1].startswith("-") else f"argument {i + 1}"
        byte = f"byte 0x{ord(bad) - 0xDC00:02x}" if bad >= "\udc80" else f"{bad!r}"
        return f"{name}: not valid UTF-8 ({byte}); outcomes takes its arguments as UTF-8 text"
    return None


class Main(click.Group):
    """Turns LedgerError (and other refusals) into a one-line message and exit code 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        problem = undecodable(args)
        if problem:
            fail(problem)
        return super().parse_args(ctx, args)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Click's own usage errors (an unknown option, a bad choice, a missing argument)
        in one line too, naming the command's --help, instead of click's usage block."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as error:
            if type(error).__name__ == "NoArgsIsHelpError":  # a group alone: its help
                error.show()
                sys.exit(error.exit_code)
            where = f"; see `{error.ctx.command_path} --help`" if error.ctx else ""
            fail(f"{error.format_message().rstrip('.')}{where}")
        except click.ClickException as error:  # e.g. a file option's file that is missing
            fail(error.format_message())
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LedgerError as error:
            fail(str(error))
        except BrokenPipeError:
            sys.exit(0)
        # Input the checks above missed must still be refused in one line, never a traceback.
        except UnicodeError as error:
            fail(f"not valid UTF-8 text: {error}")
        except RecursionError:
            fail("input nested too deeply")
        except OverflowError as error:
            fail(f"a value out of range: {error}")


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="OUTCOMES_DB", default="outcomes.db", show_default=True,
              metavar="PATH|URL", help="Event store: a SQLite file, or a postgresql:// URL "
              "(env OUTCOMES_DB).")
@click.option("--read-model", envvar="OUTCOMES_READ_MODEL", metavar="PATH",
              help="Local SQLite file of derived tables (env OUTCOMES_READ_MODEL; default: "
              "<store>.read.db beside a SQLite store; for PostgreSQL, "
              "./outcomes-<db>-<tag>.read.db, one per ledger).")
@click.option("--actor", envvar="OUTCOMES_ACTOR", metavar="NAME",
              help="Who records new events (env OUTCOMES_ACTOR; default: your user name).")
@click.option("--locale", envvar="OUTCOMES_LOCALE", metavar="LOCALE",
              help="Write the figures and dates of tables for readers of LOCALE, e.g. fr_FR "
              "(env OUTCOMES_LOCALE; default: 75,000,000 EUR and ISO dates). JSON and CSV "
              "stay locale-free.")
@click.version_option(package_name="outcomes")
@click.pass_context
def main(ctx: click.Context, db: str, read_model: str | None, actor: str | None,
         locale: str | None) -> None:
    """An append-only, sourced ledger of public investment outcomes.

    Record what was promised, paid, returned and reported about publicly funded
    ventures; report return on investment and progress against the initial targets,
    as of any date; prove that no recorded event was altered or removed.

    \b
    Start with:
      outcomes demo                      # the French sovereign cloud case
      outcomes init && outcomes import fixtures/cloud-souverain.jsonl
      outcomes log -O json
    """
    ctx.obj = {"db": db, "actor": actor, "read_model": read_model,
               "locale": _checked_locale(locale)}


def _checked_locale(locale: str | None) -> str | None:
    """The locale asked for, refused at once (exit 2) if babel does not know it."""
    if not locale:
        return None
    from outcomes.projections.present.localize import figures

    figures(locale)  # raises UnknownLocale, a one-line refusal
    return locale


@contextmanager
def open_ledger(ctx: click.Context, *, create: bool = False) -> Any:
    """The ledger of `--db` through the Python API (`outcomes.Ledger`)."""
    from eventsourcing.persistence import PersistenceError

    from outcomes import Ledger
    from outcomes.ledger.store import storage_error

    ledger = Ledger(ctx.obj["db"], read_model=ctx.obj["read_model"], create=create,
                    actor=ctx.obj["actor"])
    try:
        yield ledger
    except PersistenceError as error:  # e.g. the server went away: one line, no traceback
        raise storage_error(ledger.store, error) from None
    finally:
        ledger.close()


@contextmanager
def open_store(ctx: click.Context, *, create: bool = False) -> Any:
    with open_ledger(ctx, create=create) as ledger:
        yield ledger.store


def read_model_file(ctx: click.Context) -> str:
    """The local SQLite read model (derived tables) of this ledger."""
    from outcomes.ledger.index import read_model_path

    return read_model_path(ctx.obj["db"], ctx.obj["read_model"])


def index_file(ctx: click.Context) -> str:
    """The local validation index of this ledger (beside the read model)."""
    from outcomes.ledger.index import index_path

    return index_path(read_model_file(ctx))


def own_files(ctx: click.Context) -> dict[str, str]:
    """The files an -o must never write over: the SQLite store, the read model, the index."""
    from outcomes.ledger.store import is_postgres

    root = ctx.find_root()
    files = {"the read model": read_model_file(root), "the validation index": index_file(root)}
    if not is_postgres(root.obj["db"]):
        files["the ledger"] = root.obj["db"]
    return files


def _check_output(ctx: click.Context, path: str | None) -> str | None:
    """Refuse a bad -o before any work (the ledger's own files, a folder, a missing one)."""
    from outcomes.ledger.files import check_output

    if path and path != "-":
        check_output(path, own_files(ctx))
    return path


@contextmanager
def output_stream(ctx: click.Context, path: str | None, *, binary: bool = False) -> Any:
    """Standard output, or -o FILE written whole or not at all ('-' is standard output)."""
    if path and path != "-":
        from outcomes.ledger.files import output_file

        with output_file(path, own_files(ctx), binary=binary) as out:
            yield out
    else:
        yield sys.stdout.buffer if binary else sys.stdout


@contextmanager
def spooled_output(ctx: click.Context, path: str | None) -> Any:
    """Where a streamed report writes: -o FILE as `output_stream` writes it (whole or not
    at all), standard output through a temporary file, copied once the report is done, so
    that a report stopped part way (a row changed outside outcomes) prints nothing."""
    if path and path != "-":
        with output_stream(ctx, path) as out:
            yield out
        return
    import shutil
    import tempfile

    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        yield spool
        spool.seek(0)
        shutil.copyfileobj(spool, sys.stdout)


def table_width(path: str | None) -> int | None:
    """The width of a table written to -o FILE: COLUMNS, else 80 (not the terminal's);
    None for standard output (the terminal's width, or 80 when it is no terminal)."""
    if path and path != "-":
        from outcomes.projections.present.table import DEFAULT_WIDTH, MIN_WIDTH

        env = os.environ.get("COLUMNS", "")
        return max(int(env), MIN_WIDTH) if env.isdigit() and int(env) > 0 else DEFAULT_WIDTH
    return None


def write_output(text: str, path: str | None) -> None:
    """Print, or write to -o FILE ('-' is standard output)."""
    if path and path != "-":
        with output_stream(click.get_current_context(), path) as out:
            out.write(text)
    else:
        click.echo(text, nl=False)


# -- init ------------------------------------------------------------------------------


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create an empty ledger (does nothing to an existing one).

    \b
    Example:
      outcomes --db cloud.db init
    """
    with open_store(ctx, create=True) as store:
        head = store.head()
        location = store.location
    click.echo(one_line(f"ledger ready at {location} ({head} events)"))


# -- append ----------------------------------------------------------------------------


def _option_for(f: Field) -> click.Option:
    return click.Option([f.option, f.name], required=f.required, default=None, metavar=_metavar(f),
                        help=f"{f.help}; {f.describe()}.")


def _metavar(f: Field) -> str:
    if f.choices:
        return "[" + "|".join(f.choices) + "]"
    return f.kind.name.upper().replace(" ", "_")


def _append_command(etype: EventType) -> click.Command:
    def callback(**values: Any) -> None:
        ctx = click.get_current_context()
        raw = {name: value for name, value in values.items() if value is not None}
        if "changes" in raw:
            raw["changes"] = _parse_changes(raw["changes"])
        raw["type"] = etype.name
        _record_and_report(ctx.find_root(), [(None, raw)])

    params: list[click.Parameter] = [_option_for(f) for f in etype.all_fields]
    params.append(click.Option(["--id", "id"], metavar="ID",
                               help="Your own id for this event (default: generated)."))
    example = f"\n\n\b\nExample:\n  outcomes append {etype.command} {etype.example} " \
              f"--occurred-on 2012-05-10 --source https://..." if etype.example else ""
    return click.Command(etype.command, callback=callback, params=params,
                         help=f"Record a {etype.name}: {etype.help}{example}",
                         short_help=etype.help)


def _parse_changes(items: Any) -> dict[str, Any]:
    from outcomes.ledger.jsonl import loads

    if isinstance(items, str):
        try:
            changes = loads(items)
        except ValueError as error:
            fail(f"changes: invalid JSON object: {error}")
        return changes
    return _parse_assignments(items)


def _parse_assignments(items: tuple[str, ...]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail(f"--set: expected FIELD=VALUE, got {item!r}")
        changes[name.strip()] = value
    return changes


@main.group()
def append() -> None:
    """Record one event, given by options named after its fields.

    TYPE is an event type in kebab-case; `outcomes append TYPE --help` lists its fields.
    The new event's id and position are printed.

    \b
    Example:
      outcomes append funding-granted --venture numergy --amount 25000000 \\
          --funder "Caisse des Depots" --occurred-on 2013-06-30 \\
          --source "https://example.org/annual-report-2013.pdf"
    """


for _etype in EVENT_TYPES.values():
    append.add_command(_append_command(_etype))


def _record_and_report(ctx: click.Context, items: list[tuple[str | None, Any]],
                       progress: Callable[[int], None] | None = None) -> None:
    from outcomes.ledger.service import record

    with open_store(ctx) as store:
        outcome = record(store, items, actor=ctx.obj["actor"], progress=progress,
                         index_path=index_file(ctx))
    for event in outcome.added:
        click.echo(f"{event.id}\t{event.position}")
    if not outcome.added and outcome.skipped:
        click.echo(f"already recorded: {outcome.skipped} event(s), nothing added", err=True)
    _warn(outcome.warnings)


def _warn(warnings: list[str]) -> None:
    """After a write: what failed once the events were stored (the exit code stays 0)."""
    for warning in warnings:
        click.echo(f"outcomes: warning: {warning}", err=True)


# -- import / export -------------------------------------------------------------------


@main.command("import")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: for files over 10 MB on a terminal).")
@click.pass_context
def import_(ctx: click.Context, file: str, progress: bool | None) -> None:
    """Append every event of a JSON Lines FILE (or - for standard input), all or nothing.

    One bad line and nothing is written: the error names FILE:LINE and the field.
    Events already recorded with the same id and content are skipped, so importing
    the same file twice adds nothing.

    \b
    Example:
      outcomes import fixtures/cloud-souverain.jsonl
      outcomes --db copy.db init && outcomes export | outcomes --db copy.db import -
    """
    import os
    import shutil
    import tempfile

    from outcomes.ledger.jsonl import read_lines
    from outcomes.ledger.service import record

    with tempfile.TemporaryDirectory() as spool:
        path, name = file, file
        if file == "-":  # read twice if a concurrent writer forces a retry: spool it
            path, name = os.path.join(spool, "stdin.jsonl"), "<stdin>"
            with open(path, "wb") as out:
                shutil.copyfileobj(sys.stdin.buffer, out)
        elif not os.path.isfile(file):
            fail(f"FILE: cannot read {file!r}: no such file")

        def items() -> Any:
            with open(path, "rb") as stream:
                yield from read_lines(stream, name)

        size = os.path.getsize(path)
        show = progress if progress is not None else (size > 10_000_000 and sys.stderr.isatty())
        with open_store(ctx) as store:
            if show:
                with click.progressbar(length=_count_lines(path), label="importing",
                                       file=sys.stderr) as bar:
                    outcome = record(store, items, actor=ctx.obj["actor"], keep=False,
                                     index_path=index_file(ctx), progress=bar.update)
            else:
                outcome = record(store, items, actor=ctx.obj["actor"], keep=False,
                                 index_path=index_file(ctx))
    if outcome.first and outcome.last:
        click.echo(f"imported {outcome.count} events (positions {outcome.first.position}.."
                   f"{outcome.last.position}), {outcome.skipped} already recorded")
    else:
        click.echo(f"imported 0 events, {outcome.skipped} already recorded")
    _warn(outcome.warnings)


def _count_lines(path: str) -> int:
    with open(path, "rb") as stream:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))


@main.command()
@click.option("-o", "--output", "output", metavar="FILE", help="Write to FILE instead of stdout.",
              callback=lambda ctx, param, value: _check_output(ctx, value))
@click.option("--archive", is_flag=True, help="Write an archive: every event with its "
              "position, recording time, recorder and stored hash, for `restore` and "
              "`verify --archive`.")
@click.option("--iati", is_flag=True, help="Write IATI activities instead (IATI Activity "
              "Standard 2.03 XML): one per venture, with its transactions, results and "
              "sources (docs/iati.md).")
@click.option("--as-of", "as_of", metavar="DATE", help="With --iati: only what occurred on or "
              "before DATE, corrections and retractions included (default: today, or the "
              "--known-at date).")
@click.option("--known-at", "known_at", metavar="TIMESTAMP", help="With --iati: only what was "
              "recorded at or before TIMESTAMP (a date means its end).")
@click.pass_context
def export(ctx: click.Context, output: str | None, archive: bool, iati: bool,
           as_of: str | None, known_at: str | None) -> None:
    """Write every event as JSON Lines, in position order, ids included.

    `outcomes import` reads it back into a ledger with the same ids, fields and order;
    recording times are not exported: the new ledger records its own. With --archive,
    the file keeps everything the hashes bind: `outcomes restore` makes an identical
    ledger of it (same positions, times and checkpoints), and anyone can check it with
    `outcomes verify --archive FILE`, no store needed. With --iati, it writes the
    ventures as IATI activities (XML) as the reports see them, as of a date: money
    committed, paid and returned as IATI transactions, targets and actuals as results,
    sources as document links; docs/iati.md gives every mapping choice.

    \b
    Example:
      outcomes export -o ledger.jsonl
      outcomes export --archive -o ledger.archive.jsonl
      outcomes export --iati -o activities.xml
      outcomes export --iati --as-of 2014-12-31 -o activities-2014.xml
    """
    if iati:
        if archive:
            fail("--iati: not with --archive; choose one")
        _export_iati(ctx, output, as_of, known_at)
        return
    for option, value in (("--as-of", as_of), ("--known-at", known_at)):
        if value is not None:
            fail(f"{option}: only with --iati (an export of events holds them all)")
    if archive:
        _export_archive(ctx, output)
        return
    from outcomes.ledger.jsonl import write_events

    with open_store(ctx) as store, output_stream(ctx, output) as out:
        count = write_events(store.read(), out)
    if output and output != "-":
        click.echo(one_line(f"exported {count} events to {output}"), err=True)


def _export_iati(ctx: click.Context, output: str | None, as_of: str | None,
                 known_at: str | None) -> None:
    from outcomes.ledger.clock import now, today
    from outcomes.projections.present.iati import iati_xml
    from outcomes.projections.readmodel.replay import iati_from_events

    try:
        cutoff = _parse_known_at(known_at)
        day = _parse_date(as_of, "--as-of") or (cutoff.date() if cutoff else today())
    except ValueError as error:
        fail(str(error))
    with open_store(ctx) as store:
        root = iati_from_events(store.read(), as_of=day, known_at=cutoff, generated_at=now())
    with output_stream(ctx, output, binary=True) as out:
        out.write(iati_xml(root))
    if output and output != "-":
        click.echo(one_line(f"exported {len(root)} IATI activities (as of {day.isoformat()}) "
                            f"to {output}"), err=True)


# -- corrections -----------------------------------------------------------------------


def provenance_options(command: Any) -> Any:
    """The options of the provenance fields every event may carry (ledger/schema.py), for
    the commands that build an event themselves (correct, retract)."""
    for f in reversed(PROVENANCE_FIELDS):
        command = click.option(f.option, f.name, default=None, metavar=_metavar(f),
                               help=f"{f.help}; {f.describe()}.")(command)
    return command


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _today() -> str:
    from outcomes.ledger.clock import today

    return today().isoformat()


@main.command()
@click.argument("event_id")
@click.option("--set", "assignments", multiple=True, required=True, metavar="FIELD=VALUE",
              help="A field's new value (repeat for several fields).")
@click.option("--reason", required=True, help="Why the event is corrected.")
@click.option("--source", required=True, help="Where the corrected figure comes from.")
@click.option("--occurred-on", metavar="DATE", help="When the correction was published "
              "(default: today).")
@click.option("--id", "new_id", metavar="ID", help="Your own id for the correction.")
@provenance_options
@click.pass_context
def correct(ctx: click.Context, event_id: str, assignments: tuple[str, ...], reason: str,
            source: str, occurred_on: str | None, new_id: str | None,
            **provenance: str | None) -> None:
    """Supersede fields of event EVENT_ID with a new EventCorrected event.

    The original stays in the log; reports use the corrected values from the
    correction's occurred-on date. The corrected event must still be valid.
    --set evidence=GRADE regrades the corrected event; --evidence grades the
    correction's own source.

    \b
    Example:
      outcomes correct numergy-revenue-2014 --set revenue=2000000 \\
          --set evidence=filed --reason "annual accounts filed" \\
          --source https://example.org/accounts --evidence filed
    """
    from outcomes.ledger.service import correction

    raw = correction(event_id, _parse_assignments(assignments), reason=reason, source=source,
                     occurred_on=occurred_on or _today(), new_id=new_id,
                     provenance=_given(provenance))
    _record_and_report(ctx.find_root(), [(None, raw)])


@main.command()
@click.argument("event_id")
@click.option("--reason", required=True, help="Why the event is withdrawn.")
@click.option("--source", required=True, help="What shows it was wrong.")
@click.option("--occurred-on", metavar="DATE", help="When it was withdrawn (default: today).")
@click.option("--id", "new_id", metavar="ID", help="Your own id for the retraction.")
@provenance_options
@click.pass_context
def retract(ctx: click.Context, event_id: str, reason: str, source: str,
            occurred_on: str | None, new_id: str | None, **provenance: str | None) -> None:
    """Withdraw event EVENT_ID with a new EventRetracted event.

    Reports leave the retracted event out from the retraction's occurred-on date; the
    log keeps both.

    \b
    Example:
      outcomes retract dup-payment-7 --reason "duplicate of payment 6" \\
          --source https://example.org/erratum
    """
    from outcomes.ledger.service import retraction

    raw = retraction(event_id, reason=reason, source=source,
                     occurred_on=occurred_on or _today(), new_id=new_id,
                     provenance=_given(provenance))
    _record_and_report(ctx.find_root(), [(None, raw)])


# -- log -------------------------------------------------------------------------------


@main.command()
@click.option("--venture", metavar="SLUG", help="Only events about this venture (and their "
              "corrections and retractions).")
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="Only events of this type (CamelCase or kebab-case; repeatable).")
@click.option("--since", metavar="DATE", help="Only events that occurred on or after DATE.")
@click.option("--known-at", metavar="TIMESTAMP",
              help="Only events recorded at or before TIMESTAMP (a date means its end).")
@output_options
@click.pass_context
def log(ctx: click.Context, venture: str | None, types: tuple[str, ...], since: str | None,
        known_at: str | None, fmt: str | None, output: str | None,
        csv_raw_formulas: bool, schema: bool) -> None:
    """List recorded events in position order, corrections and retractions included.

    \b
    Example:
      outcomes log --venture numergy --type sales-reported
      outcomes log --known-at 2015-03-01 -O json
    """
    from outcomes.ledger.schema import BY_COMMAND, SLUG_RE
    from outcomes.projections.folds.log import log_rows
    from outcomes.projections.present.localize import figures
    from outcomes.projections.present.log import LOG_COLUMNS, log_csv, log_document, log_row
    from outcomes.projections.present.render import (
        csv_pieces,
        format_for,
        markdown_lines,
        table_pieces,
    )
    from outcomes.projections.present.stream import json_list_pieces

    wanted = set()
    for t in types:
        etype = EVENT_TYPES.get(t) or BY_COMMAND.get(t)
        if etype is None:
            fail(f"--type: unknown event type {t!r}; one of {', '.join(BY_COMMAND)}")
        wanted.add(etype.name)
    if venture is not None and not SLUG_RE.fullmatch(venture):
        fail(f"--venture: malformed slug {venture!r}")
    fmt = format_for(output, fmt)
    check_schema(schema, output, fmt)
    try:
        since_date = _parse_date(since, "--since")
        cutoff = _parse_known_at(known_at)
    except ValueError as error:
        fail(str(error))
    with open_store(ctx) as store:
        events = log_rows(store.read(), venture=venture, types=wanted, since=since_date,
                          known_at=cutoff)
        if fmt == "table":  # printed as it is read: a long log starts printing at once
            people = figures(ctx.find_root().obj["locale"])
            rows = (log_row(e, people) for e in events)
            widest = {"position": store.head()}  # the # column's width, known beforehand
            with output_stream(ctx.find_root(), output) as out:
                lines = []
                for line in table_pieces(LOG_COLUMNS, rows, widest=widest, stream=True,
                                         width=table_width(output)):
                    lines.append(line)
                    if len(lines) == 256:
                        out.write("".join(lines))
                        lines.clear()
                out.write("".join(lines))
            return
        # the other formats are written as they are read too: memory holds a chunk
        if fmt == "csv":
            columns, rows = log_csv(events)
            pieces = csv_pieces(columns, rows, formulas=csv_raw_formulas)
        elif fmt == "json":
            columns, pieces = LOG_COLUMNS, json_list_pieces(e.to_log() for e in events)
        else:
            columns, rows = log_document(events, figures(ctx.find_root().obj["locale"]))
            pieces = markdown_lines(columns, rows)
        with output_stream(ctx.find_root(), output) as out:
            for piece in pieces:
                out.write(piece)
    if schema:
        write_schema("log", output, columns)


# -- history ---------------------------------------------------------------------------


@main.command()
@click.argument("venture")
@click.option("--metric", type=click.Choice(METRICS),
              help="Only this metric's figures (and its targets).")
@click.option("--known-at", metavar="TIMESTAMP",
              help="As the ledger knew it at TIMESTAMP (a date means its end).")
@output_options
@click.pass_context
def history(ctx: click.Context, venture: str, metric: str | None, known_at: str | None,
            fmt: str | None, output: str | None, csv_raw_formulas: bool,
            schema: bool) -> None:
    """Every value each reported figure of VENTURE has had, in recording order.

    For each period's revenue, each level metric (customers, jobs, partners, offers)
    and each target: the claim, report, correction, retraction or revision that set it,
    when it was recorded, what it stated, the figure's value once it was known, and its
    source. Revenue follows the claim with the strongest evidence, then the one published
    last; the claims column counts the live claims for the period, so a dispute shows;
    where grades are recorded, the grade of what is stated and of the value show too.

    \b
    Example:
      outcomes history numergy --metric revenue
      outcomes history numergy --known-at 2015-06-30 -O json
    """
    from outcomes.ledger.state import suggest
    from outcomes.projections.folds.history import history as fold
    from outcomes.projections.folds.log import known_prefix
    from outcomes.projections.present.history import (
        history_columns,
        history_document,
        history_rows,
    )
    from outcomes.projections.present.localize import figures
    from outcomes.projections.present.render import format_for, render

    fmt = format_for(output, fmt)
    check_schema(schema, output, fmt)
    try:
        cutoff = _parse_known_at(known_at)
    except ValueError as error:
        fail(str(error))
    with open_store(ctx) as store:
        result = fold(known_prefix(store.read(), cutoff), venture, metric)
    if venture not in result.ventures:
        fail(f"unknown venture {venture!r}" + suggest(venture, result.ventures))
    document = history_document(result, cutoff)
    people = fmt in ("table", "markdown")  # CSV keeps the plain values
    rows = history_rows(result, figures(ctx.find_root().obj["locale"]) if people else None)
    write_output(render(history_columns(rows), rows, fmt, document=document,
                        title=f"history of {venture}", formulas=csv_raw_formulas,
                        width=table_width(output)), output)
    if schema:
        write_schema("history", output, history_columns(rows))


# -- integrity -------------------------------------------------------------------------


@main.command()
@click.option("-O", "--output-format", "fmt", type=click.Choice(["table", "json"]),
              default="table", show_default=True, help="Output format.")
@click.option("--sign", "keyfile", metavar="KEYFILE", type=click.Path(dir_okay=False),
              help="Print a signed checkpoint (C2SP tlog-checkpoint note), signed with the "
              "key `outcomes keygen` wrote to KEYFILE.")
@click.option("--origin", metavar="ORIGIN", help="The log's name in a signed checkpoint "
              "(default: the key's name).")
@click.pass_context
def checkpoint(ctx: click.Context, fmt: str, keyfile: str | None, origin: str | None) -> None:
    """Print the ledger's size and Merkle root as SIZE:ROOT, to publish.

    Anyone holding a later copy of the ledger can prove, with `outcomes verify
    --checkpoint SIZE:ROOT`, that it extends this one: nothing recorded before it was
    altered, removed, reordered or cut off. Run `outcomes verify` first: the
    checkpoint is read from the hashes stored at append time.

    \b
    With --sign, the checkpoint is a note signed with Ed25519 (C2SP tlog-checkpoint and
    signed-note, the formats of Go's checksum database and Certificate Transparency
    logs): a reader checks it with the verifier key, with `outcomes verify --checkpoint
    FILE --key VKEY` or with tools of their own (docs/integrity.md).

    \b
    Example:
      outcomes checkpoint            # 1234:5f0c...e9
      outcomes checkpoint -O json
      outcomes checkpoint --sign ledger.key > checkpoint.txt
    """
    from outcomes.ledger.verify import checkpoint as current
    from outcomes.ledger.verify import format_checkpoint

    if origin is not None and keyfile is None:
        fail("--origin: only with --sign KEYFILE")
    signer = _signer(keyfile) if keyfile else None
    with open_store(ctx) as store:
        size, root = current(store)
    text = format_checkpoint(size, root)
    if signer is not None:
        _print_signed_checkpoint(signer, origin, size, root, fmt)
    elif fmt == "json":
        from outcomes.projections.present.render import to_json

        click.echo(to_json({"size": size, "root": root, "checkpoint": text}), nl=False)
    else:
        click.echo(text)


@main.command()
@click.option("--checkpoint", "published", metavar="SIZE:ROOT|FILE",
              help="Also prove that the log extends this published checkpoint: SIZE:ROOT, "
              "or a signed checkpoint FILE (with --key).")
@click.option("--archive", metavar="FILE", type=click.Path(dir_okay=False),
              help="Check this archive file (from `export --archive`) instead of a store.")
@click.option("--key", metavar="VERIFIER_KEY", help="With a signed checkpoint FILE: the "
              "verifier key (NAME+ID+KEY, or a file holding it) that must have signed it.")
@click.option("-O", "--output-format", "fmt", type=click.Choice(["table", "json"]),
              default="table", show_default=True,
              help="table: silent when all is well; json: always print the result.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: for ledgers over 10,000 rows on a terminal).")
@click.pass_context
def verify(ctx: click.Context, published: str | None, archive: str | None, key: str | None,
           fmt: str, progress: bool | None) -> None:
    """Recompute every event's hash and re-admit it under the ledger's rules; exit 1 if not.

    Silent with exit code 0 when all is well. Otherwise one line names the first bad
    position and what is wrong (altered, removed, inserted, reordered, cut off, or an
    event the rules refuse, such as a recording time in the future), and the
    exit code is 1. With --checkpoint, also fails unless the log extends that
    published SIZE:ROOT, or that signed checkpoint (whose signature by --key is checked
    first). With --archive, checks an archive file instead, with no store.

    \b
    Example:
      outcomes --db copy.db verify --checkpoint 1234:5f0c...e9
      outcomes verify --checkpoint checkpoint.txt --key example.org/ledger+1a2b3c4d+AX...
      outcomes verify --archive ledger.archive.jsonl --checkpoint checkpoint.txt --key ...
    """
    from outcomes.ledger.verify import verify as check

    expected, report = _expected_checkpoint(published, key)
    if report is not None:
        pass  # the signed checkpoint itself does not verify
    elif archive is not None:
        report = _verify_archive(archive, expected, progress)
    else:
        with open_store(ctx) as store:
            total = store.recorder.max_notification_id() or 0
            show = progress if progress is not None else (total > 10_000
                                                          and sys.stderr.isatty())
            if show:
                with click.progressbar(length=total, label="verifying",
                                       file=sys.stderr) as bar:
                    report = check(store, expected, bar.update)
            else:
                report = check(store, expected)
    if fmt == "json":
        from outcomes.projections.present.render import to_json

        click.echo(to_json(report.to_json()), nl=False)
    if not report.ok:
        click.echo(f"outcomes: verify failed: {one_line(report.message())}", err=True)
        sys.exit(EXIT_CHECK_FAILED)


# -- publication: archives, signed checkpoints, proofs --------------------------------


def _export_archive(ctx: click.Context, output: str | None) -> None:
    from outcomes.ledger.archive import write_archive

    with open_store(ctx) as store, output_stream(ctx, output, binary=True) as out:
        count = write_archive(store, out)
    if output and output != "-":
        click.echo(one_line(f"archived {count} events to {output}"), err=True)


def _verify_archive(path: str, expected: tuple[int, str] | None,
                    progress: bool | None) -> Any:
    import os

    from outcomes.ledger.verify import verify_archive

    if not os.path.isfile(path):
        fail(f"--archive: cannot read {path!r}: no such file")
    large = os.path.getsize(path) > 10_000_000
    if progress if progress is not None else (large and sys.stderr.isatty()):
        with click.progressbar(length=max(_count_lines(path) - 1, 0), label="verifying",
                               file=sys.stderr) as bar:
            return verify_archive(path, expected, bar.update)
    return verify_archive(path, expected)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--db", "target", metavar="PATH|URL",
              help="The new ledger to make (default: the ledger of the main --db option).")
@click.pass_context
def restore(ctx: click.Context, file: str, target: str | None) -> None:
    """Make a new ledger identical to the one archived in FILE.

    Same events at the same positions, with the same recording times and recorders,
    so the same checkpoints: `outcomes verify --checkpoint` with a checkpoint of the
    original passes on the copy. The archive is verified first, and every event is
    checked again against the rules; refused into a ledger that already holds
    events. All or nothing.

    \b
    Example:
      outcomes export --archive -o ledger.archive.jsonl
      outcomes restore ledger.archive.jsonl --db copy.db
    """
    import os

    from outcomes.ledger.archive import restore as restore_archive
    from outcomes.ledger.store import is_postgres
    from outcomes.ledger.verify import checkpoint as current
    from outcomes.ledger.verify import format_checkpoint

    root = ctx.find_root()
    if target is not None:
        root.obj["db"] = target
    url = root.obj["db"]
    if not os.path.isfile(file):
        fail(f"FILE: cannot read {file!r}: no such file")
    new_file = not is_postgres(url) and not os.path.exists(url)
    try:
        with open_store(root, create=True) as store:
            restored = restore_archive(store, file, index_file(root))
            location, size_root = store.location, current(store)
    except (LedgerError, click.exceptions.Exit):
        if new_file:  # leave no empty ledger behind a refused restore
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(url + suffix):
                    os.remove(url + suffix)
        raise
    click.echo(one_line(f"restored {restored.count} events into {location} (checkpoint "
                        f"{format_checkpoint(*size_root)})"))
    _warn(restored.warnings)


DEMO_KEY_NAME = "demo.outcomes.example/cloud-souverain"
DEMO_PROVEN = "cloudwatt-granted-cdc-2012-2014"  # Cloudwatt's public money paid


def _demo_files(path: str) -> dict[str, str]:
    """Where `demo --db PATH` keeps its signed checkpoint and proof: beside the ledger."""
    import os

    stem = os.path.splitext(path)[0]
    return {"checkpoint": f"{stem}.checkpoint.txt", "proof": f"{stem}-cloudwatt.tlog-proof"}


def _demo_publication(store: Any, scratch: str, size: int, root: str) -> dict[str, str]:
    """A key made for the demo (its signer key in the temporary folder), the signed
    checkpoint and the proof of Cloudwatt's public money paid."""
    import os

    from outcomes.ledger.notes import Signer, read_signer, signed_checkpoint, write_private
    from outcomes.ledger.proofs import prove_event

    keyfile = os.path.join(scratch, "demo.key")
    write_private(keyfile, Signer.generate(DEMO_KEY_NAME)[1])
    signer = read_signer(keyfile)
    note = signed_checkpoint(DEMO_KEY_NAME, size, root, signer)
    return {"vkey": signer.verifier.text(), "note": note,
            "proof": prove_event(store, DEMO_PROVEN, note)}


def _say(text: str) -> None:
    """Prose for people, wrapped to the terminal's width as the tables are (never a command
    line or a signed note: they are printed as they are, to be copied)."""
    from outcomes.projections.present.table import paragraph

    click.echo("\n".join(paragraph(line) if line else "" for line in text.split("\n")))


def _print_demo_publication(published: dict[str, str], events: list[Any], path: str | None,
                            kept: dict[str, str]) -> None:
    import shlex

    from outcomes.ledger.proofs import parse_proof

    vkey, note, proof = published["vkey"], published["note"], published["proof"]
    _say("\nSigned checkpoint (C2SP tlog-checkpoint, signed with an Ed25519 key made for "
         f"this demo, whose verifier key is {vkey}):")
    for line in note.splitlines():
        click.echo(f"  {line}")
    event = next(e for e in events if e.id == DEMO_PROVEN)
    _, index, hashes, _ = parse_proof(proof)
    _say(f"Proof that the ledger holds Cloudwatt's public money paid ("
         f"{event.get('amount'):,} {event.get('currency', 'EUR')}, event "
               f"{DEMO_PROVEN}, position {index + 1}): a c2sp.org/tlog-proof of "
               f"{len(proof.encode()):,} bytes, the event and {len(hashes)} hashes.")
    if path:
        for kind, name in kept.items():
            with open(name, "w", encoding="utf-8") as out:
                out.write(published["note" if kind == "checkpoint" else "proof"])
        q = {k: shlex.quote(v) for k, v in kept.items()}
        _say(f"Kept as {kept['checkpoint']} and {kept['proof']}. A reader checks them with:")
        click.echo(f"  outcomes --db {shlex.quote(path)} verify --checkpoint "
                   f"{q['checkpoint']} --key {vkey}\n"
                   f"  outcomes verify-proof {q['proof']} --key {vkey}")
    else:
        _say("A reader checks them with `outcomes verify --checkpoint FILE --key "
                   "VERIFIER_KEY` and `outcomes verify-proof FILE --key VERIFIER_KEY` "
                   "(outcomes demo --db cloud.db keeps both files).")


def _publish_demo(site_dir: str, docs: dict[str, Any], events: list[Any], size: int,
                  root: str, published: dict[str, str], locale: str | None,
                  archive: bytes) -> None:
    from outcomes.ledger.verify import format_checkpoint
    from outcomes.projections.present import site
    from outcomes.projections.present.localize import figures
    from outcomes.projections.present.story import intro

    programs = site.registrations(events)
    program = next(iter(programs.values()))
    data = site.SiteData(
        title="The French sovereign cloud (Numergy and Cloudwatt, 2012-2016)",
        roi=docs["roi"], targets=docs["targets"], timeline=docs["timeline"],
        integrity=site.Integrity(size, root, format_checkpoint(size, root), published["note"],
                                 published["vkey"], site.ARCHIVE),
        histories=site.histories(events, [v["venture"] for v in docs["roi"]["ventures"]]),
        programs=programs, names=site.names(events),
        intro=intro(program, docs["roi"], len(events), "fixtures/cloud-souverain.jsonl, each "
                    "with its source", figures(locale)))
    files = site.pages(data, locale)
    site.write(site_dir, files)
    site.write_bytes(site_dir, site.ARCHIVE, lambda out: out.write(archive))
    pages = sum(name.endswith(".html") for name in files)
    click.echo("")
    click.echo(one_line(f"The published report: {pages} pages in {site_dir} (open "
                        f"{site_dir.rstrip('/')}/index.html)."))


def _signer(keyfile: str) -> Any:
    from outcomes.ledger.notes import read_signer

    return read_signer(keyfile)


def _print_signed_checkpoint(signer: Any, origin: str | None, size: int, root: str,
                             fmt: str) -> None:
    from outcomes.ledger.notes import signed_checkpoint
    from outcomes.ledger.verify import format_checkpoint

    note = signed_checkpoint(origin or signer.name, size, root, signer)
    if fmt == "json":
        from outcomes.projections.present.render import to_json

        click.echo(to_json({"size": size, "root": root, "checkpoint":
                            format_checkpoint(size, root), "note": note}), nl=False)
    else:
        click.echo(note, nl=False)


def _read_text(path: str, what: str) -> str:
    """A small text file (or - for standard input), as a one-line error if unreadable."""
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read(1 << 20)
    except FileNotFoundError:
        fail(f"{what}: cannot read {path!r}: no such file")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{what}: cannot read {path!r}: {getattr(error, 'strerror', None) or error}")


def _expected_checkpoint(published: str | None, key: str | None) -> tuple[Any, Any]:
    """(size, root) that the log must extend, or a failed Report when a signed checkpoint
    does not verify with the key."""
    import os

    from outcomes.ledger.verify import CHECKPOINT_RE, Report, parse_checkpoint

    if published is None:
        if key is not None:
            fail("--key: only with --checkpoint FILE (a signed checkpoint)")
        return None, None
    if not CHECKPOINT_RE.fullmatch(published.strip()) and not os.path.isfile(published):
        fail(f"--checkpoint: {published!r} is neither SIZE:ROOT (as printed by `outcomes "
             "checkpoint`) nor a signed checkpoint file (from `checkpoint --sign`)")
    if CHECKPOINT_RE.fullmatch(published.strip()):
        if key is not None:
            fail(f"--checkpoint: with --key, give the signed checkpoint FILE (no file "
                 f"{published!r})")
        return parse_checkpoint(published), None
    if key is None:
        fail("--checkpoint: a signed checkpoint FILE is checked with its verifier key: "
             "add --key VERIFIER_KEY")
    from outcomes.ledger.notes import NoteError, open_checkpoint, read_verifier

    verifier = read_verifier(key)
    try:
        signed = open_checkpoint(_read_text(published, "--checkpoint"), verifier)
    except NoteError as error:
        return None, Report(False, 0, None, None, f"{published}: {error}")
    return (signed.size, signed.root.hex()), None


@main.command()
@click.argument("name")
@click.option("-o", "--output", "keyfile", metavar="KEYFILE", type=click.Path(dir_okay=False),
              help="Where to write the signer key (a new file, readable by you only; "
              "default: NAME with / and other signs as -, then .key).")
def keygen(name: str, keyfile: str | None) -> None:
    """Make an Ed25519 key to sign checkpoints; print its verifier key.

    The signer key (PRIVATE+KEY+NAME+ID+KEY, the signed-note text form) goes to a new
    file readable by you only; keep it secret. The verifier key printed
    (NAME+ID+KEY) is what you publish: readers check signed checkpoints and proofs
    with it. NAME should be a schema-less URL naming the ledger.

    \b
    Example:
      outcomes keygen example.org/cloud-ledger -o ledger.key
    """
    import re

    from outcomes.ledger.notes import Signer, write_private

    signer, secret = Signer.generate(name)
    path = keyfile or re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") + ".key"
    write_private(path, secret)
    click.echo(signer.verifier.text())
    click.echo(one_line(f"signer key written to {path} (readable by you only: keep it "
                        "secret); publish the verifier key above"), err=True)


@main.command()
@click.argument("event_id", required=False)
@click.option("--checkpoint", "note_file", metavar="SIGNED_FILE",
              help="The signed checkpoint to prove the event against (required for an "
              "event; with --consistency, the new size: default the ledger's size).")
@click.option("--consistency", "old_size", type=click.IntRange(min=0), metavar="OLD_SIZE",
              help="Print the consistency proof from OLD_SIZE instead (RFC 9162, one base64 "
              "hash per line).")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.",
              callback=lambda ctx, param, value: _check_output(ctx, value))
@click.pass_context
def prove(ctx: click.Context, event_id: str | None, note_file: str | None,
          old_size: int | None, output: str | None) -> None:
    """Write a proof that the event EVENT_ID is in the ledger of a signed checkpoint.

    The proof is a C2SP tlog-proof (c2sp.org/tlog-proof@v1), one small file (1 to 3
    KB, mostly the event's own text): the event's leaf bytes, its audit path and the
    signed checkpoint. Anyone checks it
    with `outcomes verify-proof FILE --key VKEY`, or by hand (docs/integrity.md),
    without the ledger. With --consistency OLD_SIZE, prints instead the proof that the
    ledger (or the signed checkpoint) extends the one of size OLD_SIZE, checked with
    `outcomes verify-consistency`.

    \b
    Example:
      outcomes prove cloudwatt-granted-cdc-2012-2014 --checkpoint checkpoint.txt \\
          -o cloudwatt.tlog-proof
      outcomes prove --consistency 40 --checkpoint checkpoint.txt > 40-56.proof
    """
    from outcomes.ledger.proofs import b64, prove_consistency, prove_event

    note = _read_text(note_file, "--checkpoint") if note_file else None
    if old_size is not None:
        if event_id is not None:
            fail("EVENT_ID: give an event or --consistency OLD_SIZE, not both")
        with open_store(ctx) as store:
            hashes = prove_consistency(store, old_size, note)
        write_output("".join(b64(h) + "\n" for h in hashes), output)
        return
    if event_id is None or note is None:
        fail("give EVENT_ID and --checkpoint SIGNED_FILE (or --consistency OLD_SIZE)")
    from outcomes.ledger.index import indexed_position

    hint = indexed_position(index_file(ctx), event_id)  # saves a scan of the ledger
    with open_store(ctx) as store:
        text = prove_event(store, event_id, note, hint)
    write_output(text, output)
    if output and output != "-":
        click.echo(one_line(f"proof of {event_id} written to {output} "
                            f"({len(text.encode())} bytes)"), err=True)


@main.command("verify-proof")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--key", required=True, metavar="VERIFIER_KEY",
              help="The verifier key (NAME+ID+KEY, or a file holding it) of the ledger.")
def verify_proof(file: str, key: str) -> None:
    """Check a proof written by `outcomes prove`, with no ledger; print its event.

    Checks the checkpoint's signature with the verifier key, then that the audit path
    leads from the event's leaf to the signed root. Prints the event (as `log -O json`
    shows one) and exits 0, or names what failed and exits 1.

    \b
    Example:
      outcomes verify-proof cloudwatt.tlog-proof --key example.org/ledger+1a2b3c4d+AX...
    """
    import json

    from outcomes.ledger.inert import json_inert
    from outcomes.ledger.notes import NoteError, read_verifier
    from outcomes.ledger.proofs import check_proof

    verifier = read_verifier(key)
    try:
        proven = check_proof(_read_text(file, "FILE"), verifier)
    except NoteError as error:
        click.echo(f"outcomes: verify-proof failed: {one_line(str(error))}", err=True)
        sys.exit(EXIT_CHECK_FAILED)
    click.echo(one_line(f"proof holds: {proven.event['id']} is event {proven.position} of the "
                        f"{proven.size} in the log {proven.origin}, signed by {verifier.name}"),
               err=True)
    click.echo(json_inert(json.dumps(proven.event, ensure_ascii=False)))


@main.command("verify-consistency")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.argument("proof", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--key", required=True, metavar="VERIFIER_KEY",
              help="The verifier key (NAME+ID+KEY, or a file holding it) of the ledger.")
def verify_consistency(old: str, new: str, proof: str, key: str) -> None:
    """Check that the log of signed checkpoint NEW extends the one of checkpoint OLD.

    No ledger needed: both signatures are checked with the verifier key, then the
    consistency PROOF (from `outcomes prove --consistency`, - for standard input)
    must rebuild both roots (RFC 9162). Exit 0 when it holds, 1 otherwise.

    \b
    Example:
      outcomes prove --consistency 40 --checkpoint new.txt \\
          | outcomes verify-consistency old.txt new.txt - --key example.org/ledger+...
    """
    from outcomes.ledger.notes import NoteError, read_verifier
    from outcomes.ledger.proofs import check_consistency

    verifier = read_verifier(key)
    texts = [_read_text(path, name) for path, name in ((old, "OLD"), (new, "NEW"),
                                                        (proof, "PROOF"))]
    try:
        before, after = check_consistency(*texts, verifier)
    except NoteError as error:
        click.echo(f"outcomes: verify-consistency failed: {one_line(str(error))}", err=True)
        sys.exit(EXIT_CHECK_FAILED)
    click.echo(one_line(f"the log {after.origin} of size {after.size} extends the one of size "
                        f"{before.size}"))


def _parse_known_at(text: str | None) -> Any:
    from outcomes.ledger.clock import parse_timestamp

    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError as error:
        raise ValueError(f"--known-at: {error}") from None


def _parse_date(text: str | None, option: str) -> Any:
    from datetime import date

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option}: malformed date {text!r}: use YYYY-MM-DD") from None


# -- reports ---------------------------------------------------------------------------

REPORTS = {
    "roi": ("Return on taxpayer investment per venture and per program.",
            "Money committed, paid (public and private) and returned, the residual value "
            "of the public stake, net, multiple and XIRR, revenue per public euro, leverage "
            "and cost per job. Where the residual value is unknown, net and multiple are "
            "lower bounds (marked >=).",
            "outcomes report roi --as-of 2015-12-31\n"
            "  outcomes report roi --program pia-cloud -O json -o roi.json"),
    "targets": ("Progress against the initial targets, year by year.",
                "For each target: the initial and the current (revised) target, one row "
                "per year from the year it was set to the as-of year with the expected "
                "value on the initial trajectory, the actual and the attainment, and a "
                "status (on track, behind, achieved, missed, no data).",
                "outcomes report targets --venture numergy\n"
                "  outcomes report targets --as-of 2014-12-31 -O markdown"),
    "timeline": ("A venture's events in date order, with their sources.",
                 "Registration, money, targets, offers, partners, revenue claims (disputed "
                 "ones marked), reported figures and closure, as corrected, retracted "
                 "events left out.",
                 "outcomes report timeline --venture cloudwatt\n"
                 "  outcomes report timeline -o timeline.csv"),
}


@main.group()
def report() -> None:
    """Reports: return on investment, progress against targets, timeline.

    Reports are answered from the read model (a local SQLite file beside the store),
    first brought up to date with the events appended since the last report. With
    --known-at they are computed from the event store alone.

    \b
    Example:
      outcomes report roi
      outcomes report targets --as-of 2014-12-31 --known-at 2015-06-01 -O json
    """


def _report_command(kind: str) -> click.Command:
    short, long, example = REPORTS[kind]

    def callback(program: str | None, venture: str | None, as_of: str | None,
                 known_at: str | None, locale: str | None, fmt: str | None,
                 output: str | None, csv_raw_formulas: bool, schema: bool) -> None:
        from outcomes.ledger.clock import today
        from outcomes.ledger.schema import SLUG_RE
        from outcomes.projections.present.layout import (
            csv_table,
            render_report,
            report_pieces,
            spooled_timeline_csv,
        )
        from outcomes.projections.present.render import REPORT_EXTENSIONS, csv_pieces, format_for

        for option, slug in (("--program", program), ("--venture", venture)):
            if slug is not None and not SLUG_RE.fullmatch(slug):
                fail(f"{option}: malformed slug {slug!r}")
        fmt = format_for(output, fmt, REPORT_EXTENSIONS)
        check_schema(schema, output, fmt)
        try:
            cutoff = _parse_known_at(known_at)
            # What the tool printed at that moment: "today" was the known-at date then.
            day = _parse_date(as_of, "--as-of") or (cutoff.date() if cutoff else today())
        except ValueError as error:
            fail(str(error))
        ctx = click.get_current_context().find_root()
        locale = _checked_locale(locale) or ctx.obj["locale"]
        if fmt == "json":  # written as it is read: constant memory for any ledger
            from outcomes.projections.present.stream import JsonSink

            with spooled_output(ctx, output) as out, open_ledger(ctx) as ledger:
                ledger.report(kind, as_of=day, known_at=cutoff, program=program,
                              venture=venture, sink=JsonSink(out))
            return
        if kind == "timeline" and fmt in ("table", "markdown"):
            # laid out as its records are read: they are not held too (a million at 1 M)
            def lay_out(doc: dict[str, Any]) -> None:
                with output_stream(ctx.find_root(), output) as out:
                    for piece in report_pieces(kind, doc, fmt, locale=locale,
                                               width=table_width(output)):
                        out.write(piece)

            with open_ledger(ctx) as ledger:
                ledger.report(kind, as_of=day, known_at=cutoff, program=program,
                              venture=venture, sink=lay_out)
            return
        if kind == "timeline" and fmt == "csv":  # the same, its rows spooled (layout.py)
            written: list[Any] = []

            def spool_out(doc: dict[str, Any]) -> None:
                with spooled_timeline_csv(doc) as (columns, rows), \
                        output_stream(ctx.find_root(), output) as out:
                    for piece in csv_pieces(columns, rows, formulas=csv_raw_formulas):
                        out.write(piece)
                written.extend(columns)

            with open_ledger(ctx) as ledger:
                ledger.report(kind, as_of=day, known_at=cutoff, program=program,
                              venture=venture, sink=spool_out)
            if schema:
                write_schema(kind, output, written)
            return
        with open_ledger(ctx) as ledger:
            doc = ledger.report(kind, as_of=day, known_at=cutoff, program=program,
                                venture=venture)
        if fmt == "html":
            from outcomes.projections.present.site import report_page

            write_output(report_page(kind, doc, locale=locale), output)
            return
        write_output(render_report(kind, doc, fmt, formulas=csv_raw_formulas, locale=locale,
                                   width=table_width(output)), output)
        if schema:
            write_schema(kind, output, csv_table(kind, doc)[0])

    params = [
        click.Option(["--program"], metavar="SLUG", help="Only this program's ventures."),
        click.Option(["--venture"], metavar="SLUG", help="Only this venture."),
        click.Option(["--as-of", "as_of"], metavar="DATE",
                     help="Only what occurred on or before DATE, with the corrections and "
                     "retractions that had occurred by then (default: today, or the "
                     "--known-at date)."),
        click.Option(["--known-at", "known_at"], metavar="TIMESTAMP",
                     help="Only what was recorded at or before TIMESTAMP (a date means its "
                     "end); computed from the event store, not the read model."),
        click.Option(["--locale"], metavar="LOCALE",
                     help="Figures and dates of the table (and Markdown) for readers of "
                     "LOCALE, e.g. fr_FR (as the global --locale, or OUTCOMES_LOCALE); JSON "
                     "and CSV stay locale-free."),
        *report_output_params(),
    ]
    return click.Command(kind, callback=callback, params=params, short_help=short,
                         help=f"{short}\n\n{long}\n\n\b\nExample:\n  {example}")


for _kind in REPORTS:
    report.add_command(_report_command(_kind))


@main.command()
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--program", metavar="SLUG", help="Only this program's ventures.")
@click.option("--venture", metavar="SLUG", help="Only this venture.")
@click.option("--as-of", "as_of", metavar="DATE", help="Only what occurred on or before DATE "
              "(default: today, or the --known-at date).")
@click.option("--known-at", "known_at", metavar="TIMESTAMP", help="Only what was recorded at "
              "or before TIMESTAMP (a date means its end).")
@click.option("--key", "keyfile", metavar="KEYFILE", type=click.Path(dir_okay=False),
              help="Sign the checkpoint on the integrity page with the key `outcomes keygen` "
              "wrote to KEYFILE.")
@click.option("--origin", metavar="ORIGIN", help="The log's name in the signed checkpoint "
              "(default: the key's name).")
@click.option("--title", metavar="TEXT", help="The site's title (default: from the programs' "
              "names).")
@click.option("--locale", metavar="LOCALE", help="Figures and dates of the pages for readers "
              "of LOCALE, e.g. fr_FR (as the global --locale, or OUTCOMES_LOCALE); the data "
              "files stay locale-free.")
@click.option("--archive/--no-archive", default=True, show_default=True,
              help="Put the ledger's archive (every event, as `export --archive` writes it) "
              "in the site, so that readers verify the checkpoint with no copy of the store.")
@click.pass_context
def publish(ctx: click.Context, directory: str, program: str | None, venture: str | None,
            as_of: str | None, known_at: str | None, keyfile: str | None,
            origin: str | None, title: str | None, locale: str | None,
            archive: bool) -> None:
    """Write the reports as a static web site into DIR, to open from the file system.

    An overview (each venture's verdict against its initial revenue target, the return on
    investment), one page per program and per venture (charts of money, of each target
    against its trajectory, and of restated figures, each with its data as a table and
    its sources), and the ledger's integrity page (its checkpoint, signed with --key, and
    how to verify it). The pages fetch nothing from the network. Needs the `publish`
    extra: pip install "outcomes[publish]" (docs/publish.md).

    \b
    Example:
      outcomes publish site/ && xdg-open site/index.html
      outcomes publish site-2014/ --as-of 2014-12-31 --key ledger.key
    """
    from outcomes.ledger.schema import SLUG_RE
    from outcomes.projections.present.site import check_directory

    for option, slug in (("--program", program), ("--venture", venture)):
        if slug is not None and not SLUG_RE.fullmatch(slug):
            fail(f"{option}: malformed slug {slug!r}")
    if origin is not None and keyfile is None:
        fail("--origin: only with --key KEYFILE")
    try:
        cutoff = _parse_known_at(known_at)
        day = _parse_date(as_of, "--as-of")
    except ValueError as error:
        fail(str(error))
    locale = _checked_locale(locale) or ctx.find_root().obj["locale"]
    check_directory(directory)
    _publish_libraries()
    signer = _signer(keyfile) if keyfile else None
    with open_ledger(ctx) as ledger:
        files = ledger.publish(directory, as_of=day, known_at=cutoff, program=program,
                               venture=venture, signer=signer, origin=origin, title=title,
                               locale=locale, archive=archive)
    pages = sum(name.endswith(".html") for name in files)
    click.echo(one_line(f"published {pages} pages to {directory} (open "
                        f"{directory.rstrip('/')}/index.html)"))


def _publish_libraries() -> None:
    """Refuse at once, in one line, when the publish extra is missing."""
    from outcomes.projections.present import charts, site

    site.environment()
    charts.available() or fail(charts.MISSING)


@main.command()
@click.option("--check", is_flag=True, help="Change nothing: build a fresh read model in a "
              "temporary folder and compare; exit 1 at the first difference.")
@click.pass_context
def rebuild(ctx: click.Context, check: bool) -> None:
    """Drop the read model and rebuild it from every event.

    Reports catch up by themselves, start over when the ledger was replaced, and stop
    when a row they read was changed outside outcomes: rebuild then. --check compares
    the read model with a fresh fold of the events, row by row (as slow as a rebuild).
    The read model is a SQLite file: browse it with `outcomes serve` (Datasette).

    \b
    Example:
      outcomes rebuild
      outcomes rebuild --check
      outcomes --db cloud.db --read-model /tmp/cloud.read.db rebuild
    """
    from outcomes.projections import readmodel

    path = read_model_file(ctx)
    with open_store(ctx) as store:
        if not check:
            count = readmodel.rebuild(store, path)
            click.echo(one_line(f"read model rebuilt at {path} from {count} events"))
            return
        count, difference = readmodel.compare(store, path)
    if difference is not None:
        click.echo(one_line(f"outcomes: read model {path} does not follow from the events: "
                            f"{difference} (run `outcomes rebuild`)"), err=True)
        sys.exit(EXIT_CHECK_FAILED)
    click.echo(one_line(f"read model {path} follows from the {count} events"))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface, for others to see).")
@click.option("--port", "-p", default=8001, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--metadata", "metadata_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="A JSON file of Datasette metadata merged over the shipped one (title, "
              "license, license_url, source, source_url, descriptions).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, metadata_file: str | None) -> None:
    """Browse the read model in Datasette, with descriptions and canned queries.

    Brings the read model up to date with the ledger, then serves it read-only at
    http://HOST:PORT/NAME, NAME being the ledger's file name without .db (`cloud.db`:
    /cloud). Needs the optional extra: pip install "outcomes[web]" (docs/opendata.md).

    \b
    Example:
      outcomes --db cloud.db serve            # then open http://127.0.0.1:8001/cloud
      outcomes serve --port 8080 --metadata license.json
    """
    import json
    from importlib.util import find_spec

    from outcomes.projections import readmodel
    from outcomes.projections.readmodel.serve import INSTALL, check_address, database_name

    if find_spec("datasette") is None:
        fail(INSTALL)
    check_address(host, port)
    extra = None
    if metadata_file is not None:
        try:
            extra = json.loads(_read_text(metadata_file, "--metadata"))
        except ValueError as error:
            fail(one_line(f"--metadata {metadata_file}: not JSON: {error}"))
        if not isinstance(extra, dict):
            fail(f"--metadata {metadata_file}: a JSON object is needed")
    path = read_model_file(ctx)
    with open_store(ctx) as store:
        readmodel.using(store, path, lambda model: model.catch_up(store))
    from outcomes.projections.readmodel.serve import serve as run

    click.echo(one_line(f"serving {path} at http://{host}:{port}/{database_name(path)} "
                        "(Ctrl-C to stop)"))
    run(path, host=host, port=port, extra=extra)


@main.command()
@click.option("--db", "path", metavar="PATH", help="Keep the demo ledger at PATH (a new "
              "file) to explore it afterwards; default: a temporary ledger.")
@click.option("--publish", "site_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Also write the demo's published report (a static web site) into DIR, "
              "as `outcomes publish` does (docs/publish.md).")
@click.pass_context
def demo(ctx: click.Context, path: str | None, site_dir: str | None) -> None:
    """Load the French sovereign cloud case into a fresh ledger and tell its story.

    Numergy and Cloudwatt, 2012-2016: 150 M EUR of public money committed, revenue
    targets of 400 and 500 M EUR, a few million of sales, conflicting figures in the
    press, and exits at undisclosed prices. The demo never touches an existing ledger.

    \b
    Example:
      outcomes demo
      outcomes demo --db cloud.db && outcomes --db cloud.db report timeline
      outcomes demo --publish site/ && xdg-open site/index.html
    """
    import os
    import tempfile

    from outcomes import fixtures
    from outcomes.ledger.clock import today
    from outcomes.ledger.jsonl import read_lines
    from outcomes.ledger.service import record
    from outcomes.ledger.store import EventStore, is_postgres
    from outcomes.ledger.verify import checkpoint, format_checkpoint, verify
    from outcomes.projections.present.layout import render_report
    from outcomes.projections.present.localize import figures
    from outcomes.projections.present.render import render
    from outcomes.projections.present.story import (
        dispute_columns,
        disputed_figures,
        intro,
        verdicts,
    )
    from outcomes.projections.readmodel.replay import report_from_events

    if path is not None and (is_postgres(path) or os.path.exists(path)):
        fail(f"--db: {'a PostgreSQL ledger' if is_postgres(path) else path + ' already exists'}"
             "; the demo only writes a new SQLite file (choose a new path, or leave --db "
             "out for a temporary one; to load the case into another ledger: outcomes --db "
             "URL import fixtures/cloud-souverain.jsonl)")
    if site_dir is not None:
        from outcomes.projections.present.site import check_directory

        check_directory(site_dir)
        _publish_libraries()
    kept = _demo_files(path) if path else {}
    for name in kept.values():
        if os.path.exists(name):
            fail(f"--db: {name} already exists; the demo writes its signed checkpoint and "
                 "proof beside the new ledger (choose another path)")
    fixture = fixtures.path("cloud-souverain.jsonl")
    with tempfile.TemporaryDirectory() as scratch:
        db = path or os.path.join(scratch, "demo.db")
        store = EventStore(db, create=True)
        try:
            with open(fixture, "rb") as stream:
                record(store, read_lines(stream, "fixtures/cloud-souverain.jsonl"),
                       actor="outcomes demo", keep=False)
            events = list(store.read())
            as_of = today()
            docs = {kind: report_from_events(kind, events, as_of=as_of) for kind in REPORTS}
            size, root = checkpoint(store)
            checked = verify(store, (size, root))
            published = _demo_publication(store, scratch, size, root)
            if site_dir is not None:  # the site's copy of the archive, for its readers
                import io

                from outcomes.ledger.archive import write_archive

                archive = io.BytesIO()
                write_archive(store, archive)
        finally:
            store.close()
    program = next(e for e in events if e.type == PROGRAM_REGISTERED)
    locale = ctx.find_root().obj["locale"]
    say = _say
    say("The French sovereign cloud (Numergy and Cloudwatt, 2012-2016)\n")
    say(intro({**program.wire_fields()}, docs["roi"], len(events),
              "fixtures/cloud-souverain.jsonl, each with its source", figures(locale)))
    say("\nHow far the sales stayed from the initial revenue targets:")
    for line in verdicts(docs["roi"], docs["targets"], docs["timeline"], figures(locale)):
        say(f"  - {line}")
    click.echo("\n" + render_report("roi", docs["roi"], "table", locale=locale))
    click.echo(render_report("targets", docs["targets"], "table", locale=locale))
    say("Disputed figures: the press and the companies published conflicting revenue; "
        "the ledger keeps every claim, each graded by its source, and uses the one "
        "with the strongest evidence, then the one published last.")
    disputed = disputed_figures(docs["roi"])
    click.echo(render(dispute_columns(disputed), disputed, "table"))
    status = "verifies" if checked.ok else f"does NOT verify: {checked.message()}"
    say(f"Integrity: {size} events, checkpoint {format_checkpoint(size, root)}; the "
               f"ledger {status}.")
    _print_demo_publication(published, events, path, kept)
    if site_dir is not None:
        _publish_demo(site_dir, docs, events, size, root, published, locale,
                      archive.getvalue())
    if path:
        say(f"\nThe ledger is kept at {path}. Try:")
        click.echo(f"  outcomes --db {path} report timeline --venture cloudwatt\n"
                   f"  outcomes --db {path} history numergy --metric revenue\n"
                   f"  outcomes --db {path} report targets --as-of 2014-12-31")
    else:
        say("\nTo explore it: outcomes demo --db cloud.db, then outcomes --db cloud.db "
            "report timeline (or history numergy, or report targets --as-of 2014-12-31).")


if __name__ == "__main__":
    main()
