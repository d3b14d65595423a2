"""The golden copy: every report, log, history and demo output the CLI prints, byte for byte.

A safety net for refactors that must not change what a user sees. Each output is printed
by `outcomes` itself (in-process, as a user would type it) on two ledgers, and compared
with the copy kept in tests/golden/:

- the founding fixture (fixtures/cloud-souverain.jsonl, the demo's 56 events, in file
  order), imported in four parts at four frozen instants so that `--known-at` can cut it:
  every output in full, one file each under tests/golden/fixture/ (a diff shows what
  changed); the demo's story too (`outcomes demo`, `outcomes demo --db cloud.db`);
- a 20,000-event ledger from the benchmark's generator (bench/generate.py, seed 7),
  imported in four parts the same way: its outputs run to megabytes, so only their sha256
  (with their size in bytes and lines) are kept, in tests/golden/generated-20k.json. Its
  72 outputs take about 100 s to print (a table of 20,000 log lines alone takes 12 s), so
  each run prints and checks the 13 in QUICK (every command, format, as-of date and
  known-at at least once); OUTCOMES_GOLDEN_FULL=1 checks all 72.

Every report (`report roi | targets | timeline`) is printed at two `--as-of` dates, each
without and with `--known-at` (an instant between the second and the third import), in
every format (`-O table | json | csv | markdown`); `log` and `history VENTURE` (which have
no `--as-of`) without and with `--known-at`, in every format. The fixture adds a few
outputs with the other options (the default as-of date, filters, `--csv-raw-formulas`).

Determinism: the clock is frozen (each import at its instant, the reports at REPORT_NOW);
ids an event does not give come from a counter instead of `secrets` (every event of both
ledgers has its id, so none is drawn today); the demo's signing key comes from a fixed seed
instead of os.urandom (Ed25519 signatures are deterministic). Nothing depends on the time
zone or the terminal: COLUMNS is removed and the output is no terminal, so tables are 80
columns wide (projections/present/table.py), and no locale is set.

When a change of output is intended (and only then: docs/testing.md, "The golden copy"):

    OUTCOMES_UPDATE_GOLDEN=1 python -m pytest -q tests/cli/test_golden.py   # all 72 too
    git diff tests/golden/        # review every change before committing it

`OUTCOMES_GOLDEN_DUMP=DIR` also writes every output printed (the 20k ledger's in full) to
DIR/<ledger>/, to diff two commits' outputs: run it on each, then `diff -r`.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import os
import shlex
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from bench import generate as gen
from outcomes.cli import main
from outcomes.fixtures import path as fixture_path

GOLDEN = Path(__file__).parent.parent / "golden"
UPDATE_ENV = "OUTCOMES_UPDATE_GOLDEN"
DUMP_ENV = "OUTCOMES_GOLDEN_DUMP"
FULL_ENV = "OUTCOMES_GOLDEN_FULL"
UPDATE_HOWTO = f"{UPDATE_ENV}=1 python -m pytest -q tests/cli/test_golden.py"

REPORT_NOW = "2026-03-01T12:00:00Z"  # the frozen clock while the outputs are printed
ACTOR = "golden"
FORMATS = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md"}
DEMO_SEED = bytes(range(32))  # the demo's signing key (instead of os.urandom(32))


@dataclass(frozen=True)
class Output:
    name: str  # its file name in the golden copy
    argv: tuple[str, ...]  # what follows `outcomes --db LEDGER`


@dataclass(frozen=True)
class Ledger:
    """A ledger to print: its lines, imported in `parts` (sizes) at the `recorded` instants."""

    key: str
    lines: tuple[str, ...]
    parts: tuple[int, ...]
    recorded: tuple[str, ...]
    known_at: str
    as_of: tuple[str, str]
    histories: tuple[str, ...]
    extras: tuple[Output, ...] = field(default=())

    def outputs(self) -> list[Output]:
        out: list[Output] = []
        cuts = [((), "")] + [(("--known-at", self.known_at), "_known-at")]
        for report, as_of, (known, tag), (fmt, ext) in itertools.product(
                ("roi", "targets", "timeline"), self.as_of, cuts, FORMATS.items()):
            out.append(Output(f"report-{report}_as-of-{as_of}{tag}.{ext}",
                              ("report", report, "--as-of", as_of, *known, "-O", fmt)))
        for (known, tag), (fmt, ext) in itertools.product(cuts, FORMATS.items()):
            out.append(Output(f"log{tag}.{ext}", ("log", *known, "-O", fmt)))
        for venture, (known, tag), (fmt, ext) in itertools.product(
                self.histories, cuts, FORMATS.items()):
            out.append(Output(f"history-{venture}{tag}.{ext}",
                              ("history", venture, *known, "-O", fmt)))
        return out + list(self.extras)


def _fixture_extras(known_at: str) -> tuple[Output, ...]:
    """The other options, on the fixture: the default as-of date (today, frozen; or the
    known-at date), a known-at date (its end), filters, and CSV cells as recorded."""
    out = []
    for report in ("roi", "targets"):
        out += [Output(f"report-{report}_default-as-of.{ext}", ("report", report, "-O", fmt))
                for fmt, ext in (("table", "txt"), ("json", "json"))]
        out.append(Output(f"report-{report}_known-at-only.txt",
                          ("report", report, "--known-at", known_at)))
    return (*out,
            Output("report-roi_known-at-date.txt", ("report", "roi", "--known-at",
                                                    "2026-01-19")),
            Output("report-roi_venture-numergy.txt",
                   ("report", "roi", "--venture", "numergy", "--as-of", "2015-12-31")),
            Output("report-targets_program.txt",
                   ("report", "targets", "--program", "pia-cloud-souverain", "--as-of",
                    "2014-12-31")),
            Output("report-timeline_venture-cloudwatt.txt",
                   ("report", "timeline", "--venture", "cloudwatt", "--as-of", "2013-12-31")),
            Output("report-roi_csv-raw-formulas.csv",
                   ("report", "roi", "--as-of", "2015-12-31", "-O", "csv",
                    "--csv-raw-formulas")),
            Output("log_filtered.txt",
                   ("log", "--venture", "numergy", "--type", "sales-reported", "--type",
                    "MetricReported", "--since", "2014-10-01")),
            Output("history-numergy_metric-revenue.txt",
                   ("history", "numergy", "--metric", "revenue")),
            # Between Cloudwatt's closure and Numergy's (docs/iati.md).
            Output("export-iati_as-of-2015-06-30.xml",
                   ("export", "--iati", "--as-of", "2015-06-30")))


FIXTURE_LINES = tuple(fixture_path("cloud-souverain.jsonl").read_text(
    encoding="utf-8").splitlines())
FIXTURE_KNOWN_AT = "2026-01-15T12:00:00Z"  # 28 of the 56 events recorded
FIXTURE = Ledger(
    key="fixture",
    lines=FIXTURE_LINES,
    parts=(14, 14, 14, 14),
    recorded=("2026-01-05T09:00:00Z", "2026-01-12T09:00:00Z", "2026-01-19T09:00:00Z",
              "2026-01-26T09:00:00Z"),
    known_at=FIXTURE_KNOWN_AT,
    # Before the first revenue claim; between Cloudwatt's closure and Numergy's.
    as_of=("2013-06-30", "2015-06-30"),
    histories=("cloudwatt", "numergy"),
    extras=_fixture_extras(FIXTURE_KNOWN_AT),
)

LARGE_EVENTS, LARGE_SEED = 20_000, 7
LARGE = Ledger(
    key="generated-20k",
    lines=(),  # generated once per session (see `large_ledger`)
    parts=(5_000, 5_000, 5_000, 5_000),
    recorded=("2026-01-05T09:00:00Z", "2026-01-12T09:00:00Z", "2026-01-19T09:00:00Z",
              "2026-01-26T09:00:00Z"),
    known_at="2026-01-15T12:00:00Z",  # 10,000 of the 20,000 events recorded
    as_of=("2009-06-30", "2019-12-31"),
    # Each with corrections, retractions and revised targets, recorded on both sides of
    # the known-at instant.
    histories=("venture-000053", "venture-000116"),
)
# The 20k outputs printed on every run (about a sixth: every command, format, as-of date
# and known-at at least once, the figures of every report in JSON, few of the slow tables);
# OUTCOMES_GOLDEN_FULL=1 prints and checks all of them (about 100 s), and so does an update.
QUICK = frozenset({
    "report-roi_as-of-2009-06-30.txt",
    "report-roi_as-of-2019-12-31.json",
    "report-roi_as-of-2019-12-31_known-at.json",
    "report-roi_as-of-2019-12-31.md",
    "report-targets_as-of-2009-06-30.md",
    "report-targets_as-of-2019-12-31.json",
    "report-targets_as-of-2019-12-31_known-at.csv",
    "report-timeline_as-of-2009-06-30_known-at.json",
    "report-timeline_as-of-2019-12-31.csv",
    "log.csv",
    "log_known-at.json",
    "history-venture-000053.txt",
    "history-venture-000116_known-at.json",
})


# -- running the CLI -----------------------------------------------------------------------


def command_line(db: str, argv: tuple[str, ...]) -> str:
    return shlex.join(("outcomes", "--db", db, *argv))


@contextmanager
def deterministic() -> Iterator[None]:
    """Ids from a counter, the demo's key from a fixed seed, the environment cleared."""
    from outcomes.ledger import notes, service

    counter = itertools.count(1)
    generate = notes.Signer.generate.__func__  # type: ignore[attr-defined]

    def fixed_key(cls: type, name: str) -> object:
        with mock.patch("os.urandom", lambda n: DEMO_SEED[:n]):
            return generate(cls, name)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(service, "new_id", lambda: f"{next(counter):012x}")
        mp.setattr(notes.Signer, "generate", classmethod(fixed_key))
        for name in ("OUTCOMES_DB", "OUTCOMES_READ_MODEL", "OUTCOMES_ACTOR", "OUTCOMES_LOCALE",
                     "COLUMNS"):
            mp.delenv(name, raising=False)
        yield


def run(db: str, argv: tuple[str, ...], *, at: str = REPORT_NOW,
        input: str | None = None) -> str:
    """`outcomes --db DB ARGV` at the frozen instant `at`: its standard output (it must
    succeed, and print nothing on standard error)."""
    with deterministic(), freeze_time(at):
        result = CliRunner().invoke(main, ["--db", db, *argv], input=input,
                                    catch_exceptions=False)
    assert result.exit_code == 0 and not result.stderr, (
        f"{command_line(db, argv)} exited with {result.exit_code}: {result.stderr}")
    return result.stdout


def build(ledger: Ledger, lines: tuple[str, ...], folder: Path) -> str:
    """A SQLite ledger of `lines`, imported part by part at the frozen instants."""
    assert sum(ledger.parts) == len(lines) and len(ledger.parts) == len(ledger.recorded)
    db = str(folder / "ledger.db")
    run(db, ("init",), at=ledger.recorded[0])
    start = 0
    for size, instant in zip(ledger.parts, ledger.recorded, strict=True):
        part = "".join(line + "\n" for line in lines[start:start + size])
        run(db, ("--actor", ACTOR, "import", "-"), at=instant, input=part)
        start += size
    return db


def print_all(db: str, outputs: list[Output]) -> dict[str, str]:
    return {o.name: run(db, o.argv) for o in outputs}


def dump(key: str, printed: dict[str, str]) -> None:
    folder = os.environ.get(DUMP_ENV)
    if folder:
        target = Path(folder) / key
        target.mkdir(parents=True, exist_ok=True)
        for name, text in printed.items():
            (target / name).write_text(text, encoding="utf-8")


def updating() -> bool:
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def full() -> bool:
    return updating() or os.environ.get(FULL_ENV, "") not in ("", "0")


def digest(text: str) -> dict[str, object]:
    data = text.encode()
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
            "lines": text.count("\n")}


# -- the ledgers, built once per session -------------------------------------------------


@pytest.fixture(scope="session")
def fixture_ledger(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build(FIXTURE, FIXTURE_LINES, tmp_path_factory.mktemp("golden-fixture"))


@pytest.fixture(scope="session")
def large_lines() -> tuple[str, ...]:
    return tuple(gen.generate(LARGE_EVENTS, seed=LARGE_SEED))


@pytest.fixture(scope="session")
def large_ledger(tmp_path_factory: pytest.TempPathFactory, large_lines: tuple[str, ...]) -> str:
    return build(LARGE, large_lines, tmp_path_factory.mktemp("golden-20k"))


# -- the comparisons -----------------------------------------------------------------------


def first_difference(expected: str, actual: str, path: Path) -> str:
    diff = difflib.unified_diff(expected.splitlines(keepends=True),
                                actual.splitlines(keepends=True),
                                f"{path.relative_to(GOLDEN.parent.parent)} (golden)",
                                f"{path.name} (printed now)")
    lines = list(diff)
    shown = "".join(lines[:200])
    more = f"\n... {len(lines) - 200} more diff lines" if len(lines) > 200 else ""
    return shown + more


def compare_files(folder: Path, printed: dict[str, str], commands: dict[str, str]) -> None:
    """Each output against its file in `folder`; on a mismatch, the unified diff of the
    first that differs (in the order printed), and the names of all that differ."""
    kept = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*") if p.is_file()}
    if updating():
        folder.mkdir(parents=True, exist_ok=True)
        for name in kept.keys() - printed.keys():
            (folder / name).unlink()
        changed = [n for n, text in printed.items() if kept.get(n) != text]
        for name in changed:
            (folder / name).write_text(printed[name], encoding="utf-8")
        if changed or kept.keys() - printed.keys():
            warnings.warn(f"golden copy updated in {folder}: {len(changed)} output(s) "
                          f"written, {len(kept.keys() - printed.keys())} removed",
                          stacklevel=2)
        return
    missing = [n for n in printed if n not in kept]
    stale = sorted(kept.keys() - printed.keys())
    differ = [n for n in printed if n in kept and kept[n] != printed[n]]
    if not (missing or stale or differ):
        return
    lines = [f"the CLI's outputs differ from the golden copy in {folder}:"]
    if differ:
        lines.append(f"{len(differ)} of {len(printed)} differ: {', '.join(differ)}")
    if missing:
        lines.append(f"{len(missing)} not in the golden copy: {', '.join(missing)}")
    if stale:
        lines.append(f"{len(stale)} in the golden copy but no longer printed: "
                     f"{', '.join(stale)}")
    lines.append(f"if the change is intended: {UPDATE_HOWTO} (docs/testing.md)")
    if differ:
        name = differ[0]
        lines += [f"first difference, {name}: {commands[name]}",
                  first_difference(kept[name], printed[name], folder / name)]
    pytest.fail("\n".join(lines), pytrace=False)


# -- the tests -----------------------------------------------------------------------------


def test_fixture_outputs_match_the_golden_copy(fixture_ledger: str) -> None:
    outputs = FIXTURE.outputs()
    printed = print_all(fixture_ledger, outputs)
    dump(FIXTURE.key, printed)
    compare_files(GOLDEN / FIXTURE.key, printed,
                  {o.name: command_line(fixture_ledger, o.argv) for o in outputs})


DEMOS = (("demo.txt", ("demo",)), ("demo_db.txt", ("demo", "--db", "cloud.db")))


def demo_outputs(folder: Path) -> dict[str, str]:
    """`outcomes demo` (a temporary ledger) and `outcomes demo --db cloud.db` (kept), run
    in an empty folder."""
    printed = {}
    for name, argv in DEMOS:
        cwd = folder / name.split(".")[0]
        cwd.mkdir()
        with pytest.MonkeyPatch.context() as mp, deterministic(), freeze_time(REPORT_NOW):
            mp.chdir(cwd)
            result = CliRunner().invoke(main, list(argv), catch_exceptions=False)
        assert result.exit_code == 0 and not result.stderr, (name, result.output)
        printed[name] = result.stdout
    return printed


def test_demo_matches_the_golden_copy(tmp_path: Path) -> None:
    printed = demo_outputs(tmp_path)
    dump("demo", printed)
    compare_files(GOLDEN / "demo", printed, {name: f"outcomes {' '.join(argv)} (in an empty "
                                                 "folder)" for name, argv in DEMOS})


@pytest.mark.slow
def test_generated_ledger_outputs_match_the_golden_digests(
        large_ledger: str, large_lines: tuple[str, ...], tmp_path: Path) -> None:
    outputs = [o for o in LARGE.outputs() if full() or o.name in QUICK]
    assert full() or len(outputs) == len(QUICK), "QUICK names an output that is not printed"
    printed = print_all(large_ledger, outputs)
    dump(LARGE.key, printed)
    path = GOLDEN / f"{LARGE.key}.json"
    ledger_digest = hashlib.sha256("".join(line + "\n" for line in large_lines)
                                   .encode()).hexdigest()
    now = {"ledger": {"generator": f"bench.generate.generate({LARGE_EVENTS}, seed="
                                   f"{LARGE_SEED})",
                      "generator_version": gen.GENERATOR_VERSION,
                      "sha256": ledger_digest,
                      "parts": list(LARGE.parts), "recorded": list(LARGE.recorded),
                      "known_at": LARGE.known_at, "report_now": REPORT_NOW},
           "outputs": {o.name: {"command": shlex.join(("outcomes", *o.argv)),
                                **digest(printed[o.name])} for o in outputs}}
    if updating():
        text = json.dumps(now, indent=1, ensure_ascii=False) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            warnings.warn(f"golden digests updated in {path}", stacklevel=1)
        return
    kept = json.loads(path.read_text(encoding="utf-8"))
    assert kept["ledger"] == now["ledger"], (
        "the generated ledger is not the one the golden digests were made from (the "
        "generator, its seed or the way it is imported changed, not the CLI): "
        f"{kept['ledger']} != {now['ledger']}; if intended: {UPDATE_HOWTO}")
    differ = [n for n in now["outputs"] if kept["outputs"].get(n) != now["outputs"][n]]
    stale = sorted(kept["outputs"].keys() - now["outputs"].keys()) if full() else []
    if not (differ or stale):
        return
    lines = [f"the CLI's outputs on the 20,000-event ledger differ from the golden digests "
             f"in {path}:"]
    if differ:
        lines.append(f"{len(differ)} of {len(outputs)} differ: {', '.join(differ)}")
    if stale:
        lines.append(f"{len(stale)} kept but no longer printed: {', '.join(stale)}")
    if differ:
        name = differ[0]
        was, got = kept["outputs"].get(name), now["outputs"][name]
        written = tmp_path / name
        written.write_text(printed[name], encoding="utf-8")
        lines += [
            f"first difference, {name}:",
            f"  golden:  {was}",
            f"  printed: {got}",
            f"  printed now, in full: {written}",
            f"  reproduce: {command_line(large_ledger, tuple(shlex.split(got['command'])[1:]))}"
            f" with the clock at {REPORT_NOW} (the reports print the current time)",
            "  to see the difference, run on the commit before the change and on this one: "
            f"{DUMP_ENV}=/tmp/<before|after> {FULL_ENV}=1 python -m pytest -q "
            f"tests/cli/test_golden.py -k generated, then: diff -u /tmp/before/{LARGE.key}/{name} "
            f"/tmp/after/{LARGE.key}/{name}"]
    lines.append(f"if the change is intended: {UPDATE_HOWTO} (docs/testing.md)")
    pytest.fail("\n".join(lines), pytrace=False)
