"""The benchmark runner: whole-process `outcomes` commands on a synthetic ledger of N events.

Every figure is the median of several runs of a separate process (interpreter start
included), timed with `time.perf_counter` around it; its peak memory is the process's
maximum resident set size, from `os.wait4` (both measured by bench/peak.py, which forks
the command from a small interpreter). The steps, in order:

1. generate the ledger (cached in the work folder by N, seed and generator version), split
   into two halves, plus a tail of later events in chunks of 1,000;
2. raw baseline: the same lines into a plain SQLite table with `executemany`, one transaction;
3. `import` of the whole file into a fresh ledger (`init` first, not timed);
4. build the large ledger L with two imports (the halves), so that it has two recording
   times and `--known-at` between them is "halfway through history";
5. on L: `rebuild`; `report roi` and `report targets` on an up-to-date read model (one
   untimed run first to bring the read model up to date); `report roi --known-at` halfway;
   `verify`;
6. each run: import 1,000 more events (untimed, reported for information), then time the
   next `report roi`;
7. `append` of one event (a new one each run);
8. every report as a table and as JSON (the whole ledger, one program and one venture),
   and `log` as a table and as CSV: a table's goal is at most 3 times its JSON's (its
   CSV's for the log) time, in the same run;
9. when `hledger` is installed: the ledger converted to a journal (bench/journal.py), and
   `hledger balance -Y` and `hledger balance --budget -Y` on it, the peer a user would
   pick instead. Each figure is also shown as a ratio to raw sqlite3 and to hledger.

A command that does not exist yet (exit 2, "No such command" or "No such option") is shown
as "n/a (command missing)" and the run goes on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import generate as gen
from bench.journal import JOURNAL_VERSION, write_journal

BENCH_VERSION = 1
TAIL_CHUNK = 1_000
TAIL_CHUNKS = 10  # the "report after 1,000 new events" measure runs at most this often
MEMORY_GOAL_MIB = 1024
DEFAULT_WORKDIR = Path(__file__).resolve().parent / "out"
RAW_SCRIPT = Path(__file__).resolve().parent / "raw.py"
PEAK_SCRIPT = Path(__file__).resolve().parent / "peak.py"
APPEND_VENTURE = gen.OPEN_VENTURE
APPEND_PROGRAM = gen.program_slug(0)  # the program of APPEND_VENTURE
IMPORT_GOAL = 100_000  # events/s (issue 16: about a tenth of raw executemany)
MISSING_MARKERS = ("No such command", "No such option")
VENTURE_REPORTS = ("roi", "targets", "timeline")
# Measures that time one pass over the whole ledger (or a report of it): compared with raw
# sqlite3 and hledger over the same events. The others (append, the tail) are not.
TABLE_FACTOR = 3  # a table may take at most this many times its JSON (the log: its CSV)
WHOLE_LEDGER = ("import", "rebuild", "report_after_append", "report_roi", "report_targets",
                "report_timeline", "report_roi_table", "report_targets_table",
                "report_timeline_table", "log_csv", "log_table", "verify", "report_known_at",
                "import_first_half", "import_second_half", "hledger_balance",
                "hledger_budget", *(f"{one}_{r}_{f}" for one in ("venture", "program")
                                    for r in VENTURE_REPORTS for f in ("table", "json")))
# The reports (every one must be faster than `hledger balance -Y`, issue 16).
REPORTS = tuple(k for k in WHOLE_LEDGER if k.startswith(("report_", "venture_", "program_")))


@dataclass
class Proc:
    """One finished process."""

    argv: list[str]
    seconds: float
    peak_kib: int
    returncode: int
    stderr: str
    stdout_path: Path | None = None

    @property
    def missing(self) -> bool:
        return self.returncode == 2 and any(m in self.stderr for m in MISSING_MARKERS)

    def problem(self) -> str:
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        last = lines[-1] if lines else "(no message)"
        return f"exit {self.returncode}: {last}"


def run_process(argv: Sequence[str], *, stdout: Path | None = None, scratch: Path,
                env: dict[str, str] | None = None, timeout: float | None = None) -> Proc:
    """Run `argv`, its output to `stdout` (or nowhere), and return its time and peak memory.

    The command runs under bench/peak.py, which forks it from a small interpreter and
    reports its own wall time and `ru_maxrss` (KiB on Linux): started directly from this
    process, a child would inherit this process's memory high-water mark (see peak.py).
    """
    err_path, report = scratch / "stderr.txt", scratch / "peak.json"
    report.unlink(missing_ok=True)
    wrapper = [sys.executable, str(PEAK_SCRIPT), str(report), *argv]
    out = open(stdout, "wb") if stdout else open(os.devnull, "wb")  # noqa: SIM115
    err = open(err_path, "wb")  # noqa: SIM115
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(wrapper, stdout=out, stderr=err, env=env,
                                start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        elapsed = time.perf_counter() - start
    finally:
        out.close()
        err.close()
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    if report.exists():
        measured = json.loads(report.read_text(encoding="utf-8"))
        return Proc(list(argv), measured["seconds"], measured["maxrss_kib"],
                    measured["returncode"], stderr, stdout)
    if timeout is not None and elapsed >= timeout:
        stderr += f"\nbench: killed after {timeout:g} s (--timeout)"
    return Proc(list(argv), elapsed, 0, proc.returncode or -1, stderr, stdout)


@dataclass
class Measure:
    """One row of the table."""

    key: str
    label: str
    unit: str  # "events/s" or "s"
    goal_text: str = ""
    check: Callable[[float], bool] | None = None  # is the value good enough?
    memory_goal: bool = True
    info: bool = False  # a figure for information, without a goal
    status: str = "pending"  # ok | missing | error | skipped
    note: str = ""
    seconds: list[float] = field(default_factory=list)
    peaks_kib: list[int] = field(default_factory=list)
    events: int = 0  # events per run, for rates

    @property
    def median_seconds(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def value(self) -> float | None:
        s = self.median_seconds
        if s is None or self.status != "ok":
            return None
        if self.unit == "events/s":
            return self.events / s if s > 0 else None
        return s

    @property
    def peak_mib(self) -> float | None:
        return max(self.peaks_kib) / 1024 if self.peaks_kib else None

    @property
    def ok(self) -> bool | None:
        value = self.value
        if value is None or self.check is None:
            return None
        return bool(self.check(value))

    @property
    def mem_ok(self) -> bool | None:
        if not self.memory_goal or self.peak_mib is None:
            return None
        return self.peak_mib < MEMORY_GOAL_MIB

    def add(self, proc: Proc) -> None:
        self.seconds.append(proc.seconds)
        self.peaks_kib.append(proc.peak_kib)

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "status": self.status, "value": self.value,
                "unit": self.unit, "goal": self.goal_text or None, "ok": self.ok,
                "median_seconds": self.median_seconds, "seconds": self.seconds,
                "events_per_run": self.events or None, "peak_mib": self.peak_mib,
                "peak_mib_runs": [k / 1024 for k in self.peaks_kib],
                "memory_goal_mib": MEMORY_GOAL_MIB if self.memory_goal else None,
                "mem_ok": self.mem_ok, "info": self.info, "note": self.note or None}


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.n = args.events
        self.runs = args.runs
        self.import_runs = args.import_runs or (args.runs if self.n <= 200_000 else 1)
        self.prefix = shlex.split(args.outcomes) if args.outcomes else [sys.executable, "-m",
                                                                         "outcomes.cli"]
        self.workdir = Path(args.workdir).resolve()
        self.data = self.workdir / "data"
        self.scratch = self.workdir / "run"
        # (PYTHONDONTWRITEBYTECODE: every process would compile the package again, about
        # 0.1 s; an installed package has its bytecode, written by pip or the first run)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("OUTCOMES_DB", "OUTCOMES_READ_MODEL", "PYTHONDONTWRITEBYTECODE")}
        self.env["OUTCOMES_ACTOR"] = "bench"
        self.started = time.perf_counter()
        self.files: dict[str, Any] = {}
        self.capabilities: dict[str, bool] = {}
        self.known_at: str | None = None
        self.measures = self._measures()

    # -- the rows ---------------------------------------------------------------------------

    def _measures(self) -> dict[str, Measure]:
        raw: dict[str, float | None] = {"rate": None}
        self._raw_rate = raw

        def import_ok(rate: float) -> bool:
            return rate >= IMPORT_GOAL

        def known_at_ok(seconds: float) -> bool:
            rebuild = self.measures["rebuild"].median_seconds
            return rebuild is not None and self.measures["rebuild"].status == "ok" \
                and seconds <= rebuild

        def within(base: str) -> Callable[[float], bool]:
            """A table's goal: at most TABLE_FACTOR times the `base` measure's time."""
            def check(seconds: float) -> bool:
                other = self.measures[base].median_seconds
                return other is not None and seconds <= TABLE_FACTOR * other
            return check

        beside = f"<= {TABLE_FACTOR}x"
        rows = [
            Measure("raw_baseline", "raw baseline: sqlite3 executemany, 1 transaction",
                    "events/s", memory_goal=False, info=True),
            Measure("raw_baseline_parsed", "raw baseline + json.loads of each line",
                    "events/s", memory_goal=False, info=True),
            Measure("import", "import of the whole file (fresh ledger)", "events/s",
                    f">= {IMPORT_GOAL:,}/s", import_ok),
            Measure("rebuild", "rebuild of the read model", "events/s", ">= 100,000/s",
                    lambda v: v >= 100_000),
            Measure("report_after_append", "report roi after importing 1,000 new events", "s",
                    "< 1 s", lambda v: v < 1.0),
            Measure("report_roi", "report roi, read model up to date", "s", "< 0.5 s",
                    lambda v: v < 0.5),
            Measure("report_targets", "report targets, read model up to date", "s", "< 2 s",
                    lambda v: v < 2.0),
            Measure("report_timeline", "report timeline, read model up to date", "s",
                    info=True),
            Measure("report_roi_table", "report roi as a table, up to date", "s",
                    f"{beside} JSON", within("report_roi")),
            Measure("report_targets_table", "report targets as a table, up to date", "s",
                    f"{beside} JSON", within("report_targets")),
            Measure("report_timeline_table", "report timeline as a table, up to date", "s",
                    f"{beside} JSON", within("report_timeline")),
            Measure("log_csv", "log -O csv", "s", info=True),
            Measure("log_table", "log as a table", "s", f"{beside} CSV", within("log_csv")),
            *(Measure(f"{one}_{report}_{fmt}", f"report {report} --{one}, {fmt}", "s",
                      "< 0.5 s", lambda v: v < 0.5)
              for one in ("venture", "program")
              for report in VENTURE_REPORTS for fmt in ("table", "json")),
            Measure("hledger_balance", "hledger balance -Y (the journal)", "s",
                    memory_goal=False, info=True),
            Measure("hledger_budget", "hledger balance --budget -Y (the journal)", "s",
                    memory_goal=False, info=True),
            Measure("append", "append of one event (whole process)", "s", "< 0.25 s",
                    lambda v: v < 0.25),
            Measure("verify", "verify", "events/s", ">= 200,000/s", lambda v: v >= 200_000),
            Measure("report_known_at", "report roi --known-at halfway", "s",
                    "<= rebuild time", known_at_ok),
            Measure("import_first_half", "import of the first half (fresh ledger)",
                    "events/s", info=True),
            Measure("import_second_half", "import of the second half (into N/2 events)",
                    "events/s", info=True),
            Measure("import_tail", "import of 1,000 events into the large ledger", "s",
                    info=True),
        ]
        return {m.key: m for m in rows}

    # -- helpers ----------------------------------------------------------------------------

    def log(self, message: str) -> None:
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:7.1f}s] {message}", file=sys.stderr, flush=True)

    def outcomes(self, db: Path, *args: str, stdout: Path | None = None) -> Proc:
        return run_process([*self.prefix, "--db", str(db), *args], stdout=stdout,
                           scratch=self.scratch, env=self.env, timeout=self.args.timeout)

    def probe(self, *command: str) -> Proc:
        return run_process([*self.prefix, *command, "--help"], stdout=self.scratch / "help.txt",
                           scratch=self.scratch, env=self.env, timeout=60)

    def fresh(self, name: str) -> Path:
        db = self.scratch / name
        remove_store(db)
        return db

    def record(self, measure: Measure, proc: Proc, what: str) -> bool:
        """Add a run to `measure`; False (and the row marked) if the command failed."""
        if proc.returncode == 0:
            measure.add(proc)
            measure.status = "ok"
            rate = ""
            if measure.unit == "events/s" and proc.seconds > 0:
                rate = f" = {measure.events / proc.seconds:,.0f} events/s"
            self.log(f"{what}: {proc.seconds:.3f} s{rate}, peak {proc.peak_kib / 1024:.0f} MiB")
            return True
        if proc.missing:
            measure.status, measure.note = "missing", "command missing"
        else:
            measure.status, measure.note = "error", proc.problem()
        self.log(f"{what}: {measure.status}: {proc.problem()}")
        return False

    def skip(self, keys: Sequence[str], why: str) -> None:
        for key in keys:
            m = self.measures[key]
            if m.status == "pending":
                m.status, m.note = "skipped", why

    # -- steps --------------------------------------------------------------------------------

    def prepare(self) -> None:
        """The ledger file, its halves and the tail, generated once per N and seed."""
        self.data.mkdir(parents=True, exist_ok=True)
        if self.scratch.exists():
            shutil.rmtree(self.scratch)
        self.scratch.mkdir(parents=True)
        stem = f"ledger-n{self.n}-s{self.args.seed}-g{gen.GENERATOR_VERSION}"
        self.ledger = self.data / f"{stem}.jsonl"
        self.halves = (self.data / f"{stem}.half1.jsonl", self.data / f"{stem}.half2.jsonl")
        self.tails = [self.data / f"{stem}.tail{k + 1}.jsonl" for k in range(TAIL_CHUNKS)]
        wanted = [self.ledger, *self.halves, *self.tails]
        if all(p.exists() for p in wanted):
            self.log(f"using the cached ledger {self.ledger}")
        else:
            self.log(f"generating {self.n:,} events (+{TAIL_CHUNK * TAIL_CHUNKS:,} later ones) "
                     f"into {self.data}")
            start = time.perf_counter()
            write_ledger(self.n, self.args.seed, self.ledger, self.halves, self.tails)
            self.log(f"generated in {time.perf_counter() - start:.1f} s")
        self.files["jsonl_bytes"] = self.ledger.stat().st_size
        self.files["jsonl"] = str(self.ledger)

    def check_command(self) -> None:
        proc = run_process([*self.prefix, "--help"], stdout=self.scratch / "help.txt",
                           scratch=self.scratch, env=self.env, timeout=60)
        if proc.returncode != 0:
            raise SystemExit(f"bench: `{shlex.join(self.prefix)} --help` failed "
                             f"({proc.problem()}); set --outcomes")
        for name, command in (("rebuild", ("rebuild",)), ("report_roi", ("report", "roi")),
                              ("report_targets", ("report", "targets")),
                              ("verify", ("verify",))):
            p = self.probe(*command)
            self.capabilities[name] = p.returncode == 0
            if name == "report_roi":
                text = (self.scratch / "help.txt").read_text(encoding="utf-8", errors="replace")
                self.capabilities["known_at"] = p.returncode == 0 and "--known-at" in text
        self.log("commands present: " + ", ".join(f"{k}={'yes' if v else 'no'}"
                                                   for k, v in self.capabilities.items()))

    def raw_baseline(self) -> None:
        for key, extra in (("raw_baseline", []), ("raw_baseline_parsed", ["--parse"])):
            m = self.measures[key]
            m.events = self.n
            for r in range(self.import_runs):
                db = self.fresh("raw.db")
                out = self.scratch / "raw-result.json"
                proc = run_process([sys.executable, str(RAW_SCRIPT), str(self.ledger), str(db),
                                    *extra], stdout=out, scratch=self.scratch, env=self.env)
                if proc.returncode != 0:
                    m.status, m.note = "error", proc.problem()
                    self.log(f"{key}: {m.note}")
                    break
                result = json.loads(out.read_text())
                proc.seconds = result["seconds"]  # in-process: interpreter start excluded
                self.record(m, proc, f"{key} run {r + 1}/{self.import_runs}")
                remove_store(db)
        rate = self.measures["raw_baseline"].value
        if rate is not None:
            self._raw_rate["rate"] = rate
            self.measures["import"].goal_text = (f">= {IMPORT_GOAL:,}/s "
                                                 f"({IMPORT_GOAL / rate:.0%} of raw)")

    def import_whole(self) -> None:
        m = self.measures["import"]
        m.events = self.n
        for r in range(self.import_runs):
            db = self.fresh(f"import-{r + 1}.db")
            init = self.outcomes(db, "init")
            if init.returncode != 0:
                m.status, m.note = "error", "init: " + init.problem()
                self.log(m.note)
                return
            ok = self.record(m, self.outcomes(db, "import", str(self.ledger)),
                             f"import run {r + 1}/{self.import_runs}")
            if ok and r == 0:
                self.store_sizes("import", db, self.n)
            if not self.args.keep:
                remove_store(db)
            if not ok:
                return

    def build_large(self) -> bool:
        """L: the two halves imported one after the other (two recording times)."""
        self.large = self.fresh("large.db")
        init = self.outcomes(self.large, "init")
        if init.returncode != 0:
            self.log("init of the large ledger failed: " + init.problem())
            return False
        first, second = self.measures["import_first_half"], self.measures["import_second_half"]
        first.events = count_lines(self.halves[0])
        second.events = count_lines(self.halves[1])
        if not self.record(first, self.outcomes(self.large, "import", str(self.halves[0])),
                           "large ledger: import of the first half"):
            return False
        # Every event of one import shares one recorded_at: a moment between the two imports
        # is "halfway through history" for --known-at.
        time.sleep(0.01)
        self.known_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        time.sleep(0.01)
        if not self.record(second, self.outcomes(self.large, "import", str(self.halves[1])),
                           "large ledger: import of the second half"):
            return False
        self.size = first.events + second.events
        return True

    def timed(self, key: str, args: Sequence[str], *, runs: int | None = None,
              warm: bool = False, capability: str | None = None) -> None:
        m = self.measures[key]
        if capability and not self.capabilities.get(capability, True):
            m.status, m.note = "missing", "command missing"
            self.log(f"{key}: n/a (command missing)")
            return
        m.events = self.size
        out = self.scratch / f"{key}.out"
        if warm:
            proc = self.outcomes(self.large, *args, stdout=out)
            if proc.returncode != 0:
                self.record(m, proc, f"{key} (warm-up)")
                return
            self.log(f"{key} warm-up: {proc.seconds:.3f} s")
        runs = runs or self.runs
        for r in range(runs):
            if not self.record(m, self.outcomes(self.large, *args, stdout=out),
                               f"{key} run {r + 1}/{runs}"):
                return

    def after_append(self) -> None:
        m, tail = self.measures["report_after_append"], self.measures["import_tail"]
        present = self.capabilities.get("report_roi", True)
        if not present:
            m.status, m.note = "missing", "command missing"
        for r in range(min(self.runs, TAIL_CHUNKS)):
            if not self.record(tail, self.outcomes(self.large, "import", str(self.tails[r])),
                               f"import of 1,000 new events {r + 1}"):
                self.skip(["report_after_append"], "the new events could not be imported")
                return
            self.size += TAIL_CHUNK
            if present and not self.record(
                    m, self.outcomes(self.large, "report", "roi", "-O", "json",
                                     stdout=self.scratch / "after-append.json"),
                    f"report after 1,000 new events, run {r + 1}"):
                present = False

    def append(self) -> None:
        m = self.measures["append"]
        for r in range(self.runs):
            proc = self.outcomes(self.large, "append", "offer-launched", "--venture",
                                 APPEND_VENTURE, "--offer", f"Bench offer {r + 1}",
                                 "--occurred-on", gen.TAIL_DATE, "--source", "bench")
            if not self.record(m, proc, f"append run {r + 1}/{self.runs}"):
                return
            self.size += 1

    def hledger(self) -> None:
        """hledger on the same ledger as a journal (bench/journal.py), when installed."""
        keys = ["hledger_balance", "hledger_budget"]
        program = shutil.which(self.args.hledger)
        if program is None:
            for key in keys:
                m = self.measures[key]
                m.status, m.note = "missing", f"{self.args.hledger} not installed"
            self.log("hledger: not installed, skipped")
            return
        journal = self.ledger.with_suffix(f".j{JOURNAL_VERSION}.journal")
        if not journal.exists():
            start = time.perf_counter()
            partial = journal.with_name(journal.name + ".partial")
            with partial.open("w", encoding="utf-8") as out:
                self.files["journal_transactions"] = write_journal(self.ledger, out)
            partial.replace(journal)
            self.log(f"journal written in {time.perf_counter() - start:.1f} s")
        self.files["journal_bytes"] = journal.stat().st_size
        self.files["journal"] = str(journal)
        version = subprocess.run([program, "--version"], capture_output=True, text=True)
        self.files["hledger_version"] = version.stdout.strip()
        for key, extra in (("hledger_balance", []), ("hledger_budget", ["--budget"])):
            m = self.measures[key]
            m.events = self.n
            for r in range(self.args.hledger_runs):
                proc = run_process([program, "-f", str(journal), "balance", *extra, "-Y"],
                                   stdout=self.scratch / f"{key}.txt", scratch=self.scratch,
                                   env=self.env, timeout=self.args.timeout)
                if not self.record(m, proc, f"{key} run {r + 1}/{self.args.hledger_runs}"):
                    break

    def store_sizes(self, prefix: str, db: Path, events: int) -> None:
        """Bytes of the store, and of the local files derived from it (read model, index)."""
        checkpoint(db)
        store = file_size(db)
        derived = {p.name: file_size(p) for p in derived_files(db)}
        total = sum(derived.values())
        self.files[f"{prefix}_events"] = events
        self.files[f"{prefix}_store_bytes"] = store
        self.files[f"{prefix}_derived_bytes"] = total
        self.files[f"{prefix}_derived_files"] = derived
        self.files[f"{prefix}_store_bytes_per_event"] = round(store / events, 1)
        self.files[f"{prefix}_derived_bytes_per_event"] = round(total / events, 1)

    # -- all of it ----------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.prepare()
        self.check_command()
        self.raw_baseline()
        self.import_whole()
        on_large = ["rebuild", "report_roi", "report_targets", "report_known_at", "verify",
                    "report_after_append", "import_tail", "append", "report_timeline",
                    "report_roi_table", "report_targets_table", "report_timeline_table",
                    "log_csv", "log_table"]
        if not self.build_large():
            self.skip(on_large, "the large ledger could not be built")
        else:
            self.timed("rebuild", ["rebuild"], capability="rebuild")
            rebuild = self.measures["rebuild"].value
            if rebuild is not None:
                self.measures["report_known_at"].goal_text = \
                    f"<= rebuild ({self.measures['rebuild'].median_seconds:.2f} s)"
            self.timed("report_roi", ["report", "roi", "-O", "json"], warm=True,
                       capability="report_roi")
            self.timed("report_targets", ["report", "targets", "-O", "json"], warm=True,
                       capability="report_targets")
            self.timed("report_timeline", ["report", "timeline", "-O", "json"], warm=True,
                       capability="report_targets")
            self.timed("report_roi_table", ["report", "roi"], warm=True,
                       capability="report_roi")
            self.timed("report_targets_table", ["report", "targets"], warm=True,
                       capability="report_targets")
            self.timed("report_timeline_table", ["report", "timeline"], warm=True,
                       capability="report_targets")
            self.timed("log_csv", ["log", "-O", "csv"])
            self.timed("log_table", ["log"])
            for one, slug in (("venture", APPEND_VENTURE), ("program", APPEND_PROGRAM)):
                for report in VENTURE_REPORTS:
                    for fmt in ("table", "json"):
                        self.timed(f"{one}_{report}_{fmt}",
                                   ["report", report, f"--{one}", slug,
                                    *(["-O", "json"] if fmt == "json" else [])],
                                   warm=True, capability=f"report_{report}")
            self.timed("report_known_at", ["report", "roi", "--known-at", str(self.known_at),
                                           "-O", "json"], capability="known_at")
            self.timed("verify", ["verify"], capability="verify")
            self.after_append()
            self.append()
            self.store_sizes("large", self.large, self.size)
        self.hledger()
        result = self.document()
        if not self.args.keep:
            shutil.rmtree(self.scratch, ignore_errors=True)
        return result

    def ratios(self, measures: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Each whole-ledger figure's time as a multiple of raw sqlite3's time for the same
        events (`executemany` of the lines) and of `hledger balance -Y`'s."""
        raw = self._raw_rate["rate"]
        peer = self.measures["hledger_balance"]
        hledger = peer.median_seconds if peer.status == "ok" else None
        for key, m in measures.items():
            m["x_raw"] = m["x_hledger"] = None
            seconds = m["median_seconds"]
            if key not in WHOLE_LEDGER or m["value"] is None or not seconds:
                continue
            events = m["events_per_run"] or self.n
            if raw:
                m["x_raw"] = round(seconds / (events / raw), 2)
            if hledger:
                m["x_hledger"] = round(seconds / hledger, 3)
        return measures

    def document(self) -> dict[str, Any]:
        return {
            "bench_version": BENCH_VERSION,
            "generator_version": gen.GENERATOR_VERSION,
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "n_events": self.n,
            "seed": self.args.seed,
            "runs": self.runs,
            "import_runs": self.import_runs,
            "command": shlex.join(self.prefix),
            "cwd": os.getcwd(),
            "git": git_describe(),
            "known_at": self.known_at,
            "append_venture": APPEND_VENTURE,
            "machine": machine(),
            "versions": versions(),
            "capabilities": self.capabilities,
            "files": self.files,
            "memory_goal_mib": MEMORY_GOAL_MIB,
            "measures": self.ratios({k: m.as_json() for k, m in self.measures.items()}),
            "total_seconds": round(time.perf_counter() - self.started, 1),
        }


# -- files ----------------------------------------------------------------------------------


def write_ledger(n: int, seed: int, ledger: Path, halves: tuple[Path, Path],
                 tails: list[Path]) -> None:
    """The whole file, its two halves and the tail chunks, from one pass of the generator.
    Written under temporary names and renamed at the end, so the cache is never partial."""
    lines = gen.generate(n, seed=seed, extra=TAIL_CHUNK * len(tails))
    half = n // 2
    targets = [ledger, *halves, *tails]
    temps = [p.with_name(p.name + ".partial") for p in targets]
    whole, first, second, *chunks = (open(t, "w", encoding="utf-8") for t in temps)  # noqa: SIM115
    try:
        for i, line in enumerate(lines):
            text = line + "\n"
            if i < n:
                whole.write(text)
                (first if i < half else second).write(text)
            else:
                chunks[(i - n) // TAIL_CHUNK].write(text)
    finally:
        for f in (whole, first, second, *chunks):
            f.close()
    for temp, target in zip(temps, targets, strict=True):
        temp.replace(target)


def count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def file_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def derived_files(db: Path) -> list[Path]:
    """The local files beside a store `x.db` derived from it (`x.read.db`, `x.index.db`,
    ...), without the store's own WAL files."""
    return sorted(p for p in db.parent.glob(db.stem + ".*")
                  if p != db and not p.name.startswith(db.name + "-"))


def remove_store(db: Path) -> None:
    """A SQLite store with its WAL files and the derived files beside it."""
    for p in [db, *db.parent.glob(db.name + "-*"), *derived_files(db)]:
        if p.exists():
            p.unlink()


def checkpoint(db: Path) -> None:
    """Fold the WAL into the file, so its size is the store's size."""
    if not db.exists():
        return
    try:
        con = sqlite3.connect(db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
    except sqlite3.Error:
        pass


# -- the machine ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": ram,
            "platform": platform.platform(), "hostname": platform.node()}


def versions() -> dict[str, Any]:
    from importlib import metadata

    out: dict[str, Any] = {"python": platform.python_version(),
                           "sqlite": sqlite3.sqlite_version}
    for package in ("eventsourcing", "outcomes"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    return out


def git_describe() -> str | None:
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty", "--all", "--long"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


# -- the table ------------------------------------------------------------------------------


def format_value(m: dict[str, Any]) -> str:
    if m["status"] == "missing":
        return "n/a (command missing)"
    if m["status"] in ("error", "skipped"):
        return f"n/a ({m['status']})"
    value = m["value"]
    if value is None:
        return "n/a"
    if m["unit"] == "events/s":
        return f"{value:,.0f} events/s"
    return f"{value:.3f} s"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}x"


def yes_no(flag: bool | None) -> str:
    return "-" if flag is None else ("yes" if flag else "no")


def table(doc: dict[str, Any]) -> str:
    header = ("measure", "value", "goal", "ok", "x raw", "x hledger", "peak MiB",
              f"mem < {MEMORY_GOAL_MIB}")
    rows = []
    for m in doc["measures"].values():
        goal = m["goal"] or ("(information)" if m["info"] else "")
        peak = f"{m['peak_mib']:.0f}" if m["peak_mib"] is not None else "-"
        rows.append((m["label"], format_value(m), goal, yes_no(m["ok"]), ratio(m.get("x_raw")),
                     ratio(m.get("x_hledger")), peak, yes_no(m["mem_ok"])))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    machine_ = doc["machine"]
    files = doc["files"]
    head = [
        f"outcomes benchmark: {doc['n_events']:,} events (seed {doc['seed']}), "
        f"median of {doc['runs']} run(s), imports x{doc['import_runs']}",
        f"{machine_['cpu']}, {machine_['nproc']} CPUs, {machine_['ram_gib']} GiB; "
        f"Python {doc['versions']['python']}, SQLite {doc['versions']['sqlite']}; "
        f"{doc['date']}",
        f"command: {doc['command']}  ({doc['git'] or 'no git'})",
        "",
        line(header),
        "-+-".join("-" * w for w in widths),
        *(line(r) for r in rows),
        "",
    ]
    for m in doc["measures"].values():
        if m["status"] in ("error", "skipped") and m["note"]:
            head.append(f"{m['label']}: {m['status']}: {m['note']}")
    if "large_store_bytes" in files:
        head.append(f"large ledger ({files['large_events']:,} events): store "
                    f"{files['large_store_bytes'] / 2**20:,.1f} MiB "
                    f"({files['large_store_bytes_per_event']} B/event), derived files "
                    f"{files['large_derived_bytes'] / 2**20:,.1f} MiB "
                    f"({', '.join(files['large_derived_files']) or 'none'}); JSONL "
                    f"{files['jsonl_bytes'] / 2**20:,.1f} MiB")
    compared = {k: m["x_hledger"] for k, m in doc["measures"].items()
                if k in REPORTS and m.get("x_hledger") is not None}
    if compared:
        slower = [doc["measures"][k]["label"] for k, x in compared.items() if x >= 1]
        head.append("every report faster than `hledger balance -Y`: "
                    + ("yes" if not slower else "no: " + "; ".join(slower)))
    head.append(f"total time {doc['total_seconds']:.0f} s")
    return "\n".join(head) + "\n"


# -- command line ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark whole-process `outcomes` commands on a synthetic ledger of N "
        "events; print a table with the goals of issue 16 and write JSON.")
    parser.add_argument("--events", "-n", type=int, default=1_000_000,
                        help="ledger size N (default: 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measure; the median is "
                        "reported (default: 3)")
    parser.add_argument("--import-runs", type=int, help="runs of the raw baseline and of the "
                        "whole-file import (default: --runs up to 200,000 events, else 1)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default: 0)")
    parser.add_argument("--json", metavar="OUT", help="write the figures as JSON to OUT "
                        "(default: WORKDIR/bench-N.json)")
    parser.add_argument("--outcomes", metavar="CMD", help="command prefix that runs the CLI, "
                        "e.g. 'python -m outcomes' or 'outcomes' (default: this Python with "
                        "-m outcomes.cli, from the current folder)")
    parser.add_argument("--workdir", default=str(DEFAULT_WORKDIR), help="where generated "
                        "ledgers are cached and stores are built (default: bench/out)")
    parser.add_argument("--keep", action="store_true", help="keep the stores built (in "
                        "WORKDIR/run)")
    parser.add_argument("--hledger", default="hledger", help="the hledger program to time "
                        "beside outcomes (default: hledger; skipped if not installed)")
    parser.add_argument("--hledger-runs", type=int, default=1, help="runs of each hledger "
                        "command (default: 1; its budget report takes minutes at 1 M)")
    parser.add_argument("--timeout", type=float, help="kill any command after this many "
                        "seconds (default: none)")
    args = parser.parse_args(argv)
    if args.runs < 1 or (args.import_runs is not None and args.import_runs < 1):
        parser.error("runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    doc = bench.run()
    out = Path(args.json) if args.json else bench.workdir / f"bench-{args.events}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(table(doc), end="")
    print(f"figures written to {out}")
    return 0
