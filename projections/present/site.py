"""The published report: static HTML pages built from the report documents.

Pure functions: documents in (roi, targets, timeline, each venture's history, the
checkpoint), pages out as text, keyed by their path in the site. Every figure comes from
the documents (documents.py formats each row once; the tables are laid out by layout.py);
nothing is computed again here. Recorded text is anyone's: the templates escape everything
(Jinja2's autoescape), and what is shown is inert as in every output (no bidi override or
control character acts on the page). The pages fetch nothing: the style is inline, the charts
are inline SVG (charts.py), and the only addresses are the sources' own links.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from outcomes.ledger import schema
from outcomes.ledger.errors import ReportError
from outcomes.ledger.inert import inert
from outcomes.projections.present import charts
from outcomes.projections.present.charts import Chart
from outcomes.projections.present.layout import (
    roi_sections,
    targets_sections,
    timeline_sections,
    when,
)
from outcomes.projections.present.localize import DEFAULT, Figures, figures
from outcomes.projections.present.render import Column, to_json
from outcomes.projections.present.story import verdicts

TEMPLATES = Path(__file__).parent / "templates"
MISSING = ("the published report is written with Jinja2, which is not installed: "
           "pip install \"outcomes[publish]\"")
URL = re.compile(r"https?://[^\s<>\"'`]+")
MONEY_TYPES = (schema.FUNDING_COMMITTED, schema.FUNDING_GRANTED, schema.RETURN_RECEIVED,
               schema.STAKE_VALUED)


@dataclass
class Integrity:
    """The ledger's checkpoint when the site was published, signed when a key was given."""

    size: int
    root: str
    checkpoint: str  # SIZE:ROOT
    note: str | None = None  # the signed checkpoint (C2SP tlog-checkpoint)
    verifier: str | None = None  # the verifier key that checks it
    archive: str | None = None  # the site's copy of the ledger's archive (path in the site)


@dataclass
class SiteData:
    """What the site is built from: the report documents and the ledger's checkpoint."""

    title: str
    roi: dict[str, Any]
    targets: dict[str, Any]
    timeline: dict[str, Any]
    integrity: Integrity
    histories: dict[str, dict[str, Any]] = field(default_factory=dict)  # venture -> history
    programs: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug -> registration
    names: dict[str, str] = field(default_factory=dict)  # venture slug -> its registered name
    intro: str | None = None


# -- text for HTML --------------------------------------------------------------------------


def _markup() -> Any:
    try:
        from markupsafe import Markup, escape
    except ImportError:
        raise ReportError(MISSING) from None
    return Markup, escape


def linked(text: str | None) -> Any:
    """Recorded text, escaped and inert, with each http(s) address in it as a link."""
    Markup, escape = _markup()
    if not text:
        return Markup("")
    text = inert(text)
    out, at = [], 0
    for m in URL.finditer(text):
        url = m.group().rstrip(".,;:)]")
        end = m.start() + len(url)
        out.append(escape(text[at:m.start()]))
        out.append(Markup('<a href="{0}" rel="noreferrer noopener">{0}</a>').format(url))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def lines(text: str) -> Any:
    """Text of several lines (a signed note), each line inert and escaped, the line
    breaks kept (for a <pre>)."""
    Markup, escape = _markup()
    return Markup("\n").join(escape(inert(line)) for line in text.splitlines())


def words(text: str | None) -> Any:
    """Text broken only at its spaces: each word (a slug: never at its hyphens) kept on
    one line, escaped and inert."""
    Markup, escape = _markup()
    if not text:
        return Markup("")
    return Markup(" ").join(Markup('<span class="word">{}</span>').format(escape(w))
                            for w in inert(str(text)).split(" "))


def _finalize(value: Any) -> Any:
    """Every value a template prints is inert text, unless it is markup made here."""
    Markup, _ = _markup()
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return inert(str(value))


@functools.cache
def environment() -> Any:
    try:
        import jinja2
    except ImportError:
        raise ReportError(MISSING) from None
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=True, finalize=_finalize,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["linked"] = linked
    env.filters["lines"] = lines
    env.filters["words"] = words
    env.globals["css"] = (TEMPLATES / "site.css").read_text(encoding="utf-8")
    return env


def _render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


# -- tables ---------------------------------------------------------------------------------


@dataclass
class Table:
    title: str | None
    columns: list[Column]
    rows: list[dict[str, Any]]
    links: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> value -> href
    notes: list[str] = field(default_factory=list)
    linked: tuple[str, ...] = ("source",)  # columns whose addresses are links


def _without(table: Table, key: str) -> Table:
    table.columns = [c for c in table.columns if c.key != key]
    return table


def _sections(sections: Iterable[tuple[str, list[Column], list[dict[str, Any]]]],
              notes: list[str], links: dict[str, dict[str, str]]) -> list[Table]:
    tables = [Table(title, list(columns), list(rows), links) for title, columns, rows in sections]
    if tables:
        tables[-1].notes = notes
    return tables


# -- pieces of pages ------------------------------------------------------------------------


def _page(slug: str, kind: str) -> str:
    return f"{kind}-{slug}.html"


def _unique(items: Iterable[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return list(seen)


def _money_sources(timeline: dict[str, Any], ventures: set[str]) -> list[str]:
    return _unique(r["source"] for r in timeline["timeline"]
                   if r["venture"] in ventures and r["type"] in MONEY_TYPES)


# A money chart draws at most this many ventures and programs (five bars each); the
# others are in the table above it.
MAX_BARS = 20
# The navigation names each venture up to this many; beyond, the overview's and programs'
# tables link to them.
MAX_NAV = 12


def _money_chart(chart_id: str, title: str, roi: dict[str, Any], ventures: list[str],
                 programs: list[str], sources: list[str], f: Figures) -> Chart:
    """Money of the ventures and programs, as the roi document has them. With more than
    MAX_BARS, the chart keeps the programs' totals if the ventures are many, then the
    largest by public money committed, and says so."""
    rows = [{**v, "label": v["venture"]} for v in roi["ventures"] if v["venture"] in ventures]
    totals = [{**p, "label": f"all of {p['program']}"} for p in roi["programs"]
              if p["program"] in programs]
    note = None
    if len(rows) + len(totals) > MAX_BARS:
        kept = totals if len(totals) > 1 else rows
        what = "programs" if len(totals) > 1 else "ventures"
        if len(kept) > MAX_BARS:
            kept = sorted(kept, key=lambda r: -Decimal(r["public_committed"]))[:MAX_BARS]
            note = (f"The {MAX_BARS} {what} with the most public money committed; the table "
                    "above has them all.")
        else:
            note = f"The {what} only; the table above has every venture."
        rows, totals = kept, []
    chart = charts.money_chart(chart_id, title, rows + totals, sources, f)
    if note:
        chart.notes.insert(0, note)
    return chart


def _revisions(target: dict[str, Any], history: dict[str, Any] | None, as_of: str
               ) -> list[dict[str, Any]]:
    """The target's revisions as its history has them (each with its date, value and due),
    up to the as-of date; without a history, the current target if it was revised."""
    if history is None:
        current = target["current"]
        return [{"set_on": current["set_on"], "value": current["value"], "due": current["due"],
                 "baseline": current["baseline"]}] if target["revisions"] else []
    figure = next((f for f in history["figures"] if f["kind"] == "target"
                   and f["metric"] == target["metric"]), None)
    if figure is None:
        return []
    return [{"set_on": c["occurred_on"], "value": c["stated"], "due": c["due"],
             "baseline": target["current"]["baseline"]}
            for c in figure["changes"] if c["set_by"] == "revision"
            and c["occurred_on"] <= as_of and c["stated"] is not None and c["due"]]


def _target_sources(target: dict[str, Any], history: dict[str, Any] | None) -> list[str]:
    sources = [target["initial"]["source"], target["current"]["source"]]
    if history is not None:
        sources += [c["source"] for f in history["figures"] if f["metric"] == target["metric"]
                    and f["kind"] in ("revenue", "level", "target") for c in f["changes"]]
    return _unique(sources)


def target_charts(targets: dict[str, Any], histories: dict[str, dict[str, Any]],
                  ventures: set[str] | None = None, f: Figures = DEFAULT) -> list[Chart]:
    return [charts.target_chart(t, _revisions(t, histories.get(t["venture"]),
                                              targets["as_of"]),
                                _target_sources(t, histories.get(t["venture"])), f)
            for t in targets["targets"] if ventures is None or t["venture"] in ventures]


def history_charts(venture: str, history: dict[str, Any], currency: str,
                   f: Figures = DEFAULT) -> list[Chart]:
    """The restated figures: those whose value changed after it was first recorded."""
    out = []
    for figure in history["figures"]:
        values = [c["value"] for c in figure["changes"]]
        if len(figure["changes"]) > 1 and len(set(map(str, values))) > 1:
            out.append(charts.history_chart(venture, figure, currency, f))
    return out


def _timeline_tables(timeline: dict[str, Any], ventures: set[str], f: Figures
                     ) -> list[Table]:
    doc = {**timeline, "timeline": [r for r in timeline["timeline"] if r["venture"] in ventures]}
    sections, notes = timeline_sections(doc, f)
    return _sections(sections, notes, {})


def _roi_tables(roi: dict[str, Any], ventures: set[str] | None, programs: set[str] | None,
                f: Figures) -> list[Table]:
    doc = {**roi,
           "ventures": [v for v in roi["ventures"] if ventures is None or v["venture"] in ventures],
           "programs": [p for p in roi["programs"] if programs is None or p["program"] in programs]}
    sections, notes = roi_sections(doc, f)
    return _sections(sections, notes, {})


# -- the site -------------------------------------------------------------------------------


def pages(site: SiteData, locale: str | None = None) -> dict[str, str]:
    """Every file of the site, by its path in the site's folder; the figures of its
    tables and charts for readers of `locale` (None: the tool's own style; the data files
    stay locale-free)."""
    f = figures(locale)
    roi, targets, timeline = site.roi, site.targets, site.timeline
    ventures = [v["venture"] for v in roi["ventures"]]
    programs = [p["program"] for p in roi["programs"]]
    currency = {v["venture"]: v["currency"] for v in roi["ventures"]}
    venture_links = {v: _page(v, "venture") for v in ventures}
    program_links = {p: _page(p, "program") for p in programs}
    links = {**venture_links, **{f"all of {p}": program_links[p] for p in programs}}
    said = {line.split(":", 1)[0].lower(): line for line in verdicts(roi, targets, timeline, f)}
    nav = {"ventures": venture_links if len(venture_links) <= MAX_NAV else {},
           "programs": program_links}
    common = {"site_title": site.title, "when": when(roi, f), "nav": nav,
              "integrity": site.integrity}
    out: dict[str, str] = {}

    def table_links(tables: list[Table]) -> list[Table]:
        for t in tables:
            t.links = {"name": links, "program": program_links}
        return tables

    overview = table_links(_roi_tables(roi, None, None, f))
    if len({v["program"] for v in roi["ventures"]} | set(programs)) <= 1:
        # one program (or none): the intro and the "all of" row name it, and the table
        # then fits a laptop's width
        overview = [_without(t, "program") for t in overview]
    out["index.html"] = _render(
        "index.html", **common, page_title="Overview",
        intro=site.intro.splitlines() if site.intro else [],
        verdicts=[(v, venture_links.get(v), line) for v, line in said.items()],
        tables=overview,
        charts=[_money_chart("money-all", "Money per venture and program", roi, ventures,
                             programs, _money_sources(timeline, set(ventures)), f)],
        data=["data/roi.json", "data/targets.json", "data/timeline.json"])
    for p in programs:
        members = {v["venture"] for v in roi["ventures"] if v["program"] == p}
        out[program_links[p]] = _render(
            "program.html", **common, page_title=f"Program {p}", program=p,
            registration=site.programs.get(p),
            verdicts=[(v, venture_links[v], said[v]) for v in sorted(members) if v in said],
            members=[(v, venture_links[v]) for v in sorted(members)],
            tables=[_without(t, "program")  # the page is the program's
                    for t in table_links(_roi_tables(roi, members, {p}, f))],
            charts=[_money_chart(f"money-{p}", f"Money of program {p}", roi,
                                 sorted(members), [p], _money_sources(timeline, members), f)],
            data=["data/roi.json"])
    for v in ventures:
        row = next(r for r in roi["ventures"] if r["venture"] == v)
        history = site.histories.get(v)
        drawn = [_money_chart(f"money-{v}", f"Money of {v}", roi, [v], [],
                              _money_sources(timeline, {v}), f)]
        drawn += target_charts(targets, site.histories, {v}, f)
        restated = history_charts(v, history, currency[v], f) if history else []
        out[venture_links[v]] = _render(
            "venture.html", **common, page_title=site.names.get(v) or f"Venture {v}",
            venture=v, row=row,
            program_link=program_links.get(row["program"]), verdict=said.get(v),
            tables=[_without(t, "program")  # the page names the venture's program
                    for t in table_links(_roi_tables(roi, {v}, set(), f))],
            charts=drawn, restated=restated,
            timeline=_timeline_tables(timeline, {v}, f),
            data=["data/roi.json", "data/targets.json", "data/timeline.json"]
            + ([f"data/history-{v}.json"] if history else []))
    out["integrity.html"] = _render("integrity.html", **common, page_title="Integrity",
                                    data=["data/checkpoint.txt"])
    out["data/roi.json"] = to_json(roi)
    out["data/targets.json"] = to_json(targets)
    out["data/timeline.json"] = to_json(timeline)
    for v, history in site.histories.items():
        if v in venture_links:
            out[f"data/history-{v}.json"] = to_json(history)
    out["data/checkpoint.txt"] = site.integrity.note or site.integrity.checkpoint + "\n"
    return out


def report_page(kind: str, doc: dict[str, Any], locale: str | None = None) -> str:
    """One report as one standalone HTML file (`report KIND -O html`): its tables, and its
    charts with their data, as the site shows them; nothing links outside but the sources."""
    f = figures(locale)
    drawn: list[Chart] = []
    if kind == "roi":
        sections, notes = roi_sections(doc, f)
        ventures = [v["venture"] for v in doc["ventures"]]
        programs = [p["program"] for p in doc["programs"]]
        if ventures or programs:
            drawn.append(_money_chart("money-all", "Money per venture and program", doc,
                                      ventures, programs, [], f))
        title = "Return on public investment"
    elif kind == "targets":
        sections, notes = targets_sections(doc, f)
        drawn = target_charts(doc, {}, None, f)
        title = "Progress against the initial targets"
    elif kind == "timeline":
        sections, notes = timeline_sections(doc, f)
        title = "Timeline"
    else:
        from outcomes.projections.present.documents import unknown_kind

        raise unknown_kind(kind)
    return _render("report.html", site_title=title, page_title=title, when=when(doc, f),
                   tables=_sections(sections, notes, {}), charts=drawn)


# Where the site keeps its copy of the ledger's archive (`export --archive`).
ARCHIVE = "data/ledger.archive.jsonl"


def write_bytes(directory: str | Path, name: str, writer: Callable[[IO[bytes]], Any]) -> None:
    """One binary file of the site, written whole by `writer`."""
    import os

    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as out:
        writer(out)
    os.replace(tmp, path)


def write(directory: str | Path, files: dict[str, str]) -> None:
    """The site's files into `directory` (made if missing), each written whole."""
    import os

    root = Path(directory)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)


def histories(events: Iterable[Any], ventures: Iterable[str],
              known_at: Any = None) -> dict[str, dict[str, Any]]:
    """Each venture's history document (`history VENTURE -O json`), as known at the
    moment (all recorded: None). `events`: the ledger's events (an iterable read once
    per venture, e.g. a function's fresh iterator each time, or a list)."""
    from outcomes.ledger.clock import now
    from outcomes.projections.folds.history import history as fold
    from outcomes.projections.folds.log import known_prefix
    from outcomes.projections.present.history import history_document

    moment = known_at or now()
    out = {}
    for v in ventures:
        source = events() if callable(events) else events
        out[v] = history_document(fold(known_prefix(source, known_at), v), moment)
    return out


def names(events: Iterable[Any]) -> dict[str, str]:
    """Each venture's registered name, by slug."""
    return {e.get("venture"): e.get("name") for e in events
            if e.type == schema.VENTURE_REGISTERED}


def registrations(events: Iterable[Any], known_at: Any = None) -> dict[str, dict[str, Any]]:
    """The programs' registrations (name, funder, date, source), by slug."""
    from outcomes.projections.folds.log import known_prefix

    return {e.get("program"): {**e.wire_fields()}
            for e in known_prefix(events, known_at) if e.type == schema.PROGRAM_REGISTERED}


def check_directory(directory: str | Path) -> None:
    """Refuse a folder the site must not be written into: a file, or a folder that holds
    something other than a site published before (its data/roi.json and index.html)."""
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise ReportError(f"DIR: {str(root)!r} is a file, not a folder")
    if root.is_dir() and any(root.iterdir()) and not (
            (root / "index.html").is_file() and (root / "data" / "roi.json").is_file()):
        raise ReportError(f"DIR: {str(root)!r} is not empty and holds no site published "
                          "before; choose a new or empty folder")
