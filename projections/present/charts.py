"""Charts of the published report: Vega-Lite specifications (altair), drawn to SVG here.

Each chart is built from a report document's rows (documents.py formats them once); none of
its figures is computed here. A chart comes with its text alternative and its data as a
table, one row per point drawn (the tests count the SVG marks against those rows), and the
sources of what it shows. vl-convert draws the SVG in process: no browser, no network.
altair and vl-convert-python are an optional extra (`pip install "outcomes[publish]"`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from outcomes.ledger.errors import ReportError
from outcomes.projections.present.localize import DEFAULT, Figures
from outcomes.projections.present.render import Column

MISSING = ("the published report draws its charts with altair and vl-convert-python, which "
           "are not installed: pip install \"outcomes[publish]\"")
# The one named layer whose marks are the chart's data points (`<g class="... points_marks">`).
POINTS = "points"
# Where values span this ratio or more, the value axis is logarithmic (symlog: 0 stays 0).
SPAN = Decimal(100)
WIDTH = 560
# Each tick labelled on its own (100k, 1M, 10M), not with the axis's shared SI prefix.
SI = "format(datum.value, '~s')"
FONT = "sans-serif"
COLORS = {"initial": "#1f5fa8", "revision": "#8a5a00", "actual": "#b3261e",
          "range": "#b3261e"}


@dataclass
class Chart:
    """A chart as the page shows it: its SVG, what it shows in words, its data and sources."""

    id: str
    title: str
    description: str
    svg: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _libraries() -> tuple[Any, Any]:
    try:
        import altair
        import vl_convert
    except ImportError:
        raise ReportError(MISSING) from None
    return altair, vl_convert


def available() -> bool:
    try:
        _libraries()
    except ReportError:
        return False
    return True


_NAMESPACES = re.compile(r' xmlns(:xlink)?="[^"]*"')


def to_svg(spec: dict[str, Any], description: str, f: Figures = DEFAULT) -> str:
    """The specification drawn as inline SVG: no XML namespaces (HTML needs none, and
    the page then names no http address but its sources), and the description as the
    image's accessible name. Nothing is fetched (no base URL is allowed); the axes'
    numbers and dates follow the locale of `f` where d3 knows it."""
    _, vl_convert = _libraries()
    options: dict[str, Any] = {"allowed_base_urls": []}
    if f.name:
        options.update(format_locale=f.name.replace("_", "-"),
                       time_format_locale=f.name.replace("_", "-"))
    try:
        svg = vl_convert.vegalite_to_svg(spec, **options)
    except ValueError:  # a locale d3 does not know: the axes in the default style
        svg = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    svg = _NAMESPACES.sub("", svg, count=2)
    from html import escape

    label = escape(description, quote=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1).replace(
        ">", f"><desc>{escape(description, quote=False)}</desc>", 1)


# Every chart's look (Vega-Lite `config`).
CONFIG = {"font": FONT, "padding": {"left": 24, "top": 8, "right": 8, "bottom": 8},
          "view": {"stroke": None},
          "axis": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 220},
          "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom",
                     "columns": 2, "labelLimit": 320},
          "title": {"fontSize": 14, "anchor": "start"}}


def _spec(chart: Any, description: str, datasets: dict[str, list[dict[str, Any]]],
          **size: Any) -> dict[str, Any]:
    """The chart's Vega-Lite specification, with its look and its data.

    altair writes the specification from known fields without validating it against the
    Vega-Lite schema (which took longer than drawing); the data are named datasets added
    afterwards, and the look a plain `config`, since altair copies the whole chart at each
    step of building it."""
    spec = chart.properties(description=description, **size).to_dict(validate=False)
    spec["config"] = CONFIG
    spec["datasets"] = datasets
    return spec


def _spans(values: list[Decimal]) -> bool:
    positive = [v for v in values if v > 0]
    return len(positive) > 1 and max(positive) / min(positive) >= SPAN


def _decades(values: list[Decimal]) -> list[float]:
    """Ticks of a logarithmic axis: 0, then each power of ten from below the smallest
    positive value to above the largest."""
    positive = [v for v in values if v > 0]
    low = min(positive).adjusted()
    high = max(positive).adjusted() + (0 if max(positive) == 10 ** max(positive).adjusted()
                                       else 1)
    return [0.0] + [float(10 ** k) for k in range(low, high + 1)]


def _log_axis(values: list[Decimal]) -> dict[str, Any]:
    return {"values": _decades(values)}


def _log_scale(alt: Any, values: list[Decimal]) -> Any:
    """A logarithmic scale that still shows 0 (symlog), linear only below a tenth of the
    smallest positive value's power of ten, so that no decade below it is left empty."""
    low = min(v for v in values if v > 0).adjusted()
    return alt.Scale(type="symlog", constant=float(Decimal(10) ** (low - 1)))


def _along(start: str, end: str, share: float) -> str:
    """The date at `share` of the way from `start` to `end` (ISO dates), for drawing."""
    from datetime import date, timedelta

    a, b = date.fromisoformat(start), date.fromisoformat(end)
    return (a + timedelta(days=round((b - a).days * share))).isoformat()


def _float(value: str | None) -> float | None:
    # Floats only for drawing: the table beneath shows the document's exact text.
    return None if value is None else float(Decimal(value))


# -- targets --------------------------------------------------------------------------------


def target_chart(target: dict[str, Any], revisions: list[dict[str, Any]],
                 sources: list[str], f: Figures = DEFAULT) -> Chart:
    """A target of the targets document: the initial trajectory (solid), each revision's
    (dashed), and the actual of each year (the claim used), with the range of the
    competing claims where there are several. `revisions`: the target's revisions as the
    venture's history has them (set on, value, due), in recording order."""
    alt, _ = _libraries()
    cur = target["currency"] if target["metric"] == "revenue" else ""
    millions = bool(cur) and Decimal(target["initial"]["value"]) >= 1_000_000

    def shown(value: str) -> str:  # in the words of the description
        return f.compact(value, cur, millions=millions) if cur else f.count(value)

    def exact(value: str) -> str:  # in the table: the document's figure, whole
        return f.money(value, cur) if cur else f.count(value)

    initial = target["initial"]
    lines = [("Initial target", initial["set_on"], initial["baseline"], initial["due"],
              initial["value"], "initial")]
    for n, r in enumerate(revisions, 1):
        lines.append((f"Revision {n} (set {f.date(r['set_on'])})", r["set_on"], r["baseline"],
                      r["due"], r["value"], "revision"))
    rows: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    for name, start, base, due, value, kind in lines:
        for on, v, what in ((start, base, "baseline, when set"), (due, value, "target, due")):
            rows.append({"line": name, "date": f.date(on), "value": exact(v), "what": what})
            points.append({"line": name, "date": on, "value": _float(v), "kind": kind,
                           "shape": "circle"})
    ranges = []
    for r in target["series"]:
        if r["actual"] is None:
            continue
        several = (r.get("claims") or 0) > 1 and r["low"] != r["high"]
        what = f"claim used of {r['claims']}, from {exact(r['low'])} to {exact(r['high'])}" \
            if several else "reported"
        if r.get("evidence"):
            what += f" ({r['evidence']})"
        rows.append({"line": f"Actual {r['year']}", "date": f.date(r["date"]),
                     "value": exact(r["actual"]), "what": what})
        points.append({"line": "Actual (claim used)", "date": r["date"],
                       "value": _float(r["actual"]), "kind": "actual", "shape": "diamond"})
        if several:
            ranges.append({"date": r["date"], "low": _float(r["low"]),
                           "high": _float(r["high"])})
    values = [Decimal(str(p["value"])) for p in points] + \
        [Decimal(str(v)) for r in ranges for v in (r["low"], r["high"])]
    log = _spans(values)
    unit = f" ({cur})" if cur else ""
    y_scale = _log_scale(alt, values) if log else alt.Scale(zero=True)
    # each year's label stands just after its first day, over the year it names (an actual
    # is drawn at its year's end, at the right of its year)
    x = alt.X("date:T", title="Year (actuals at each year's end)", scale=alt.Scale(type="utc"),
              axis=alt.Axis(format="%Y", tickCount="year", labelAlign="left", labelOffset=4))
    y = alt.Y("value:Q", title=f"{target['metric'].capitalize()}{unit}"
              + (", log scale" if log else ""), scale=y_scale,
              axis=alt.Axis(labelExpr=SI, tickCount=6, **(_log_axis(values) if log else {})))
    color = alt.Color("line:N", title=None, scale=alt.Scale(
        domain=[ln[0] for ln in lines] + ["Actual (claim used)"],
        range=[COLORS["initial"]] + [COLORS["revision"]] * len(revisions)
        + [COLORS["actual"]]))
    # The trajectories are straight lines; on a logarithmic axis a straight line is a curve,
    # so each is drawn through points along it (drawing only: the table keeps the figures).
    steps = 48 if log else 1
    drawn = [{"line": name, "kind": kind, "date": _along(start, due, i / steps),
              "value": float(Decimal(base) + (Decimal(value) - Decimal(base)) * i / steps)}
             for name, start, base, due, value, kind in lines for i in range(steps + 1)]
    layers = [
        alt.Chart(alt.NamedData(name="initial"))
        .mark_line(strokeWidth=2).encode(x=x, y=y, color=color),
    ]
    if revisions:
        layers.append(alt.Chart(alt.NamedData(name="revisions"))
                      .mark_line(strokeDash=[6, 4], strokeWidth=2)
                      .encode(x=x, y=y, color=color, detail="line:N"))
    if ranges:
        layers.append(alt.Chart(alt.NamedData(name="ranges"))
                      .mark_rule(strokeWidth=6, opacity=0.3, color=COLORS["range"])
                      .encode(x=x, y=alt.Y("low:Q", scale=y_scale), y2="high:Q"))
    layers.append(alt.Chart(alt.NamedData(name="points"))
                  .mark_point(filled=True, size=70, opacity=1)
                  .encode(x=x, y=y, color=color,
                          shape=alt.Shape("shape:N", scale=None, legend=None),
                          tooltip=[alt.Tooltip("line:N"), alt.Tooltip("date:T", format="%Y-%m-%d"),
                                   alt.Tooltip("value:Q", format=",")])
                  .properties(name=POINTS))
    title = f"{target['venture']}: {target['metric']} against the initial target"
    status = target["status"]
    measured = [r for r in target["series"] if r["actual"] is not None]
    last = f"; the last actual, {measured[-1]['year']}, is {shown(measured[-1]['actual'])}" \
        if measured else "; no actual was reported"
    description = (f"{title}. The initial target: {shown(initial['value'])} by "
                   f"{f.date(initial['due'])}, from {shown(initial['baseline'])} on "
                   f"{f.date(initial['set_on'])}" + "".join(
                       f"; revised on {f.date(r['set_on'])} to {shown(r['value'])} by "
                       f"{f.date(r['due'])}" for r in revisions) + f"{last}. Status: {status}."
                   + (" The value axis is logarithmic." if log else ""))
    datasets = {"initial": [d for d in drawn if d["kind"] == "initial"],
                "revisions": [d for d in drawn if d["kind"] == "revision"],
                "ranges": ranges, "points": points}
    spec = _spec(alt.layer(*layers), description, datasets, width=WIDTH, height=300)
    notes = []
    if ranges:
        notes.append("The shaded bar spans the competing claims for a year; the diamond marks "
                     "the claim used (the strongest evidence, then the latest published).")
    if log:
        notes.append("Logarithmic value axis: the values span orders of magnitude.")
    return Chart(id=f"target-{target['venture']}-{target['metric']}", title=title,
                 description=description, svg=to_svg(spec, description, f),
                 columns=[Column("line", "Line"), Column("date", "Date"),
                          Column("value", "Value", "right"), Column("what", "What")],
                 rows=rows, sources=sources, notes=notes)


# -- money ----------------------------------------------------------------------------------

MONEY_FIGURES = [("public_committed", "Committed (public)"),
                 ("public_granted", "Paid (public)"),
                 ("private_granted", "Paid (private)"),
                 ("returned", "Returned"),
                 ("residual_value", "Residual value")]


def money_chart(chart_id: str, title: str, rows: list[dict[str, Any]],
                sources: list[str], f: Figures = DEFAULT) -> Chart:
    """Money per venture or program (roi document rows, each with a `label`): committed,
    paid (public and private), returned and residual value. An unknown residual value has
    no bar: a note under the chart says so."""
    alt, _ = _libraries()
    data, table, notes = [], [], []
    for row in rows:
        cur = row["currency"]
        for key, name in MONEY_FIGURES:
            if row[key] is None:
                notes.append(f"{row['label']}: {name.lower()} unknown (no valuation recorded, "
                             "e.g. an exit at an undisclosed price).")
                continue
            data.append({"who": row["label"], "figure": name, "amount": _float(row[key])})
            grade = row.get("evidence", {}).get(key)
            table.append({"who": row["label"], "figure": name,
                          "amount": f.money(row[key], cur), "evidence": grade or ""})
    currency = ", ".join(sorted({r["currency"] for r in rows}))
    names = [n for _, n in MONEY_FIGURES]
    # The legend lists only the figures with a bar somewhere; the others (0 or unknown for
    # every row) are in the table beneath, and a note says why they have no bar.
    shown = [n for n in names if any(d["figure"] == n and d["amount"] for d in data)]
    for key, name in MONEY_FIGURES:
        known = [row for row in rows if row[key] is not None]
        if name not in shown and known:
            notes.append(f"{name}: 0 {'for each' if len(known) == len(rows) else 'where known'}"
                         ", so no bar (not in the legend).")
    chart = alt.Chart(alt.NamedData(name="money")).mark_bar().encode(
        y=alt.Y("who:N", title=None, sort=[r["label"] for r in rows]),
        yOffset=alt.YOffset("figure:N", sort=names),
        x=alt.X("amount:Q", title=f"Amount ({currency})",
                axis=alt.Axis(labelExpr=SI, tickCount=6)),
        color=alt.Color("figure:N", title=None, sort=names,
                        legend=alt.Legend(values=shown) if shown else None,
                        scale=alt.Scale(domain=names, range=["#1f5fa8", "#4b8fd6", "#9cc3ea",
                                                             "#2e7d32", "#8a5a00"])),
        tooltip=[alt.Tooltip("who:N"), alt.Tooltip("figure:N"),
                 alt.Tooltip("amount:Q", format=",")],
    ).properties(name=POINTS)
    per = {r["label"]: r for r in rows}
    description = f"{title}. " + " ".join(
        f"{who}: " + ", ".join(f"{t['figure'].lower()} {t['amount']}" for t in table
                               if t["who"] == who) + "." for who in per)
    spec = _spec(chart, description, {"money": data}, width=WIDTH, height={"step": 14})
    columns = [Column("who", "Venture or program"), Column("figure", "Figure"),
               Column("amount", "Amount", "right")]
    if any(t["evidence"] for t in table):
        columns.append(Column("evidence", "Evidence"))
    return Chart(id=chart_id, title=title, description=description,
                 svg=to_svg(spec, description, f), columns=columns, rows=table,
                 sources=sources, notes=notes)


# -- restatements ---------------------------------------------------------------------------


def history_chart(venture: str, figure: dict[str, Any], currency: str,
                  f: Figures = DEFAULT) -> Chart:
    """A figure of the venture's history (`history -O json`) as a step chart: its value
    after each change, in recording order (the ledger's positions)."""
    alt, _ = _libraries()
    money_like = figure["kind"] in ("revenue", "money") or (
        figure["kind"] == "target" and figure["metric"] == "revenue")
    cur = currency if money_like else ""

    def shown(value: Any) -> str:
        if value is None:
            return "none"
        return f.money(value, cur) if cur else f.count(value)

    data, table = [], []
    for c in figure["changes"]:
        stated = "" if c["stated"] is None else shown(c["stated"])
        table.append({"position": c["position"], "recorded_at": f.timestamp(c["recorded_at"]),
                      "set_by": c["set_by"] + (f" of {c['event']}" if c["event"] else ""),
                      "stated": stated, "value": shown(c["value"]),
                      "claims": "" if c["claims"] is None else c["claims"],
                      "occurred_on": f.date(c["occurred_on"])})
        data.append({"position": c["position"], "recorded": c["recorded_at"],
                     "value": None if c["value"] is None else float(Decimal(str(c["value"]))),
                     "set_by": c["set_by"]})
    values = [Decimal(str(d["value"])) for d in data if d["value"] is not None]
    log = _spans(values)
    # Over the recording time; where every change was recorded at one moment (one import),
    # in recording order: the position, which follows the recording time.
    if len({c["recorded_at"] for c in figure["changes"]}) > 1:
        x = alt.X("recorded:T", title="Recorded (UTC)", scale=alt.Scale(type="utc"),
                  axis=alt.Axis(format="%Y-%m-%d %H:%M", tickCount=4, labelOverlap=True))
    else:
        x = alt.X("position:Q", title="Recorded (position in the ledger, all at one moment)",
                  scale=alt.Scale(zero=False, nice=False, padding=12),
                  axis=alt.Axis(format="d", tickMinStep=1))
    y = alt.Y("value:Q", title=f"{figure['figure']}" + (f" ({cur})" if cur else "")
              + (", log scale" if log else ""),
              scale=_log_scale(alt, values) if log else alt.Scale(zero=True),
              axis=alt.Axis(labelExpr=SI, tickCount=5, **(_log_axis(values) if log else {})))
    base = alt.Chart(alt.NamedData(name="changes"))
    chart = alt.layer(
        base.mark_line(interpolate="step-after", color="#1f5fa8", strokeWidth=2)
        .encode(x=x, y=y),
        base.mark_point(filled=True, size=60, color="#1f5fa8", opacity=1)
        .encode(x=x, y=y, shape=alt.Shape("set_by:N", title="Set by"),
                tooltip=[alt.Tooltip("position:Q"), alt.Tooltip("recorded:N"),
                         alt.Tooltip("set_by:N"),
                         alt.Tooltip("value:Q", format=",")])
        .properties(name=POINTS),
    )
    title = f"{venture}: {figure['figure']}, as recorded"
    description = (f"{title}: " + "; ".join(
        f"position {t['position']} ({t['set_by']}) {t['value']}" for t in table) + "."
        + (" The value axis is logarithmic." if log else ""))
    spec = _spec(chart, description, {"changes": data}, width=WIDTH, height=200)
    sources = [c["source"] for c in figure["changes"]]
    notes = [f"Position {t['position']} ({t['set_by']}): no value left, so no point."
             for t, d in zip(table, data, strict=True) if d["value"] is None]
    drawn = [t for t, d in zip(table, data, strict=True) if d["value"] is not None]
    return Chart(id=f"history-{venture}-{re.sub(r'[^a-z0-9]+', '-', figure['figure'])}",
                 title=title, description=description, svg=to_svg(spec, description, f),
                 columns=[Column("position", "#", "right"), Column("recorded_at", "Recorded"),
                          Column("set_by", "Set by"), Column("stated", "Stated", "right"),
                          Column("value", "Value", "right"),
                          Column("claims", "Claims", "right"),
                          Column("occurred_on", "Occurred")],
                 rows=drawn, sources=sources, notes=notes)
