"""The gold-evaluation report as one self-contained HTML page.

:func:`write_report` renders a :class:`~.gold.GoldReport` (``extractor evaluate
--html REPORT.html``): the totals against the targets, inline-SVG charts of the
per-trial scores, and per trial the eligibility text with the tagged entities
highlighted, the gold and compiled logic of every criterion side by side with
their agreement on the probe patients, and the misses. Nothing is fetched: the
CSS, the SVG and a small script (filter trials, show only disagreeing
criteria) are inline, and a Content-Security-Policy forbids any request. Every
string that comes from the data goes through :func:`esc`; none is put inside
the script.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .gold import GoldReport, TrialReport
    from .metrics import Counts

TARGETS: dict[str, float] = {"segmentation": 0.97, "thresholds": 0.93, "logic": 0.95}
"""Minimum totals: segmentation F1, threshold F1, logic agreement."""

LABELS: dict[str, str] = {
    "Condition": "#ffc078",
    "Drug": "#8ce99a",
    "Procedure": "#74c0fc",
    "Measurement": "#b197fc",
    "Observation": "#faa2c1",
    "Value": "#ffe066",
    "Temporal": "#66d9e8",
    "Demographic": "#ced4da",
    "Device": "#d8b48a",
}
"""Entity label → highlight colour; any other label is drawn grey."""

_METRICS = (  # key in TARGETS, title, bar colour
    ("segmentation", "Segmentation F1", "#1c7ed6"),
    ("thresholds", "Threshold F1", "#f08c00"),
    ("logic", "Logic agreement", "#2f9e44"),
)
_TARGET_COLOUR = "#c92a2a"
_CTRL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_MAX_DEPTH = 60


def esc(value: Any) -> str:
    """``value`` as text safe in HTML content and in double- or single-quoted attributes.

    Control characters HTML does not allow become U+FFFD one for one, so the
    text keeps its length (entity offsets stay valid when escaping piecewise).
    """
    return html.escape(_CTRL.sub("\ufffd", str(value)), quote=True)


def _num(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:g}"
    return str(v)


def _truth(v: Any) -> str:
    if v is None:
        return "unknown"
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


# -- logic, as readable text ---------------------------------------------------------------------------------------


def _compact(v: Any) -> str:
    try:
        return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(v)


def _when(when: Any) -> str:
    if not when:
        return ""
    if not isinstance(when, dict):
        return f" when {_compact(when)}"
    parts = []
    for k, v in when.items():
        if k == "age" and isinstance(v, (list, tuple)) and len(v) == 2:
            lo, hi = v
            if lo is not None and hi is not None:
                parts.append(f"age {_num(lo)}–{_num(hi)}")
            elif lo is not None:
                parts.append(f"age ≥ {_num(lo)}")
            elif hi is not None:
                parts.append(f"age ≤ {_num(hi)}")
        else:
            parts.append(f"{k} {v if isinstance(v, str) else _compact(v)}")
    return " when " + ", ".join(parts) if parts else ""


def _window(w: Any) -> str:
    if not w:
        return ""
    if not isinstance(w, dict):
        return f" window {_compact(w)}"
    comp = w.get("comparator") or "<="
    text = " within" if comp in ("<=", "<") else f" {comp}"
    text += f" {_num(w.get('value'))} {w.get('unit') or ''}".rstrip()
    direction = w.get("direction")
    if direction and direction != "before":
        text += f" {direction}"
    if w.get("reference") not in (None, "as_of"):
        text += f" {'after' if direction == 'after' else 'before'} {w['reference']}"
    return text


def _leaf(expr: dict[str, Any]) -> str:
    op = expr.get("op")
    if op == "compare":
        fact = expr.get("fact")
        subject = "age" if fact == "age" else str(expr.get("code") or "?")
        if fact != "age" and expr.get("display"):
            subject += f" ({expr['display']})"
        rel = expr.get("relative_to")
        unit = f"×{rel}" if rel else (f" {expr['unit']}" if expr.get("unit") else "")
        comp = expr.get("comparator") or "?"
        if comp == "between":
            bound = f"between {_num(expr.get('value'))} and {_num(expr.get('value_high'))}{unit}"
        else:
            bound = f"{comp} {_num(expr.get('value'))}{unit}"
        return f"compare {subject} {bound}{_when(expr.get('when'))}"
    if op == "has":
        text = f"has {expr.get('kind') or '?'} {expr.get('code') or '(no code)'}"
        if expr.get("display"):
            text += f" ({expr['display']})"
        for key, word in (("dose", "dose"), ("duration", "lasting")):
            limit = expr.get(key)
            if isinstance(limit, dict) and limit.get("comparator"):
                high = f"-{_num(limit.get('value_high'))}" if limit["comparator"] == "between" else ""
                comp = "" if high else f"{limit['comparator']} "
                text += f" {word} {comp}{_num(limit.get('value'))}{high} {limit.get('unit') or ''}".rstrip()
        if expr.get("except"):
            text += f" except {', '.join(map(str, expr['except']))}"
        return text + _window(expr.get("window"))
    if op == "sex":
        return f"sex {expr.get('value')}"
    if op == "manual":
        return f"manual: {expr.get('reason') or ''}".rstrip()
    if op == "const":
        return f"const {_truth(expr.get('value'))}"
    if op == "ref":
        return f"ref {expr.get('id')}"
    return _compact({k: v for k, v in expr.items() if k not in ("source", "span")})


def logic_lines(expr: Any, depth: int = 0) -> list[str]:
    """An indented rendering of a logic expression, one line per node, closing brackets on the last line.

    ``all(`` / ``any(`` / ``at least 2 of(`` / ``not`` / ``implies(`` open a
    level; leaves read ``compare LOINC:1975-2 <= 1.5×ULN``, ``has condition
    ICD10CM:C34 within 4 wk``, ``manual: reason``. Anything malformed is shown
    as compact JSON rather than raising.
    """
    pad = "  " * depth
    if depth > _MAX_DEPTH:
        return [pad + "…"]
    if expr is None:
        return [pad + "(none)"]
    if not isinstance(expr, dict):
        return [pad + _compact(expr)]
    op = expr.get("op")
    if op in ("all", "any", "n_of"):
        args = expr.get("args")
        head = f"at least {_num(expr.get('n'))} of(" if op == "n_of" else f"{op}("
        if not isinstance(args, list) or not args:
            return [pad + head + ("" if args in (None, []) else _compact(args)) + ")"]
        lines = [pad + head]
        for a in args:
            lines += logic_lines(a, depth + 1)
        lines[-1] += ")"
        return lines
    if op == "not":
        inner = logic_lines(expr.get("arg"), depth + 1)
        if len(inner) == 1:
            return [pad + "not " + inner[0][len(pad) + 2 :]]
        return [pad + "not(", *inner[:-1], inner[-1] + ")"]
    if op == "implies":
        lines = [pad + "implies("]
        for key in ("if", "then"):
            inner = logic_lines(expr.get(key), depth + 2)
            if len(inner) == 1:
                lines.append(f"{pad}  {key} {inner[0][len(pad) + 4 :]}")
            else:
                lines += [f"{pad}  {key}", *inner]
        lines[-1] += ")"
        return lines
    return [pad + _leaf(expr)]


def format_logic(expr: Any) -> str:
    return "\n".join(logic_lines(expr))


def logic_html(expr: Any) -> str:
    """:func:`logic_lines` as escaped HTML, one block per line, wrapped lines hanging under their own indent."""
    out = []
    for line in logic_lines(expr):
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        out.append(f'<div style="padding-left:{indent + 2}ch;text-indent:-2ch">{esc(body)}</div>')
    return "".join(out)


# -- entities ------------------------------------------------------------------------------------------------------


def _valid_span(span: Any, size: int) -> tuple[int, int] | None:
    if not isinstance(span, (list, tuple)) or len(span) != 2:
        return None
    start, end = span
    if isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int):
        return None
    start, end = max(start, 0), min(end, size)
    return (start, end) if start < end else None


def highlight(text: str, entities: list[dict[str, Any]]) -> tuple[str, int]:
    """``text`` escaped, the entities wrapped in ``<mark>``; and how many entities were left out.

    Entities may overlap; they are drawn without nesting: by start, the longest
    first, an entity overlapping one already drawn is left out (and counted).
    Spans out of range or empty are left out too.
    """
    spans: list[tuple[int, int, dict[str, Any]]] = []
    dropped = 0
    for e in entities:
        span = _valid_span(e.get("span") if isinstance(e, dict) else None, len(text))
        if span is None:
            dropped += 1
            continue
        spans.append((span[0], span[1], e))
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[str] = []
    pos = 0
    for start, end, e in spans:
        if start < pos:
            dropped += 1
            continue
        out.append(esc(text[pos:start]))
        label = str(e.get("label") or "")
        classes = ["ent", f"ent-{label}" if label in LABELS else "ent-other"]
        notes = [label or "entity"]
        if e.get("negated"):
            classes.append("neg")
            notes.append("negated")
        if e.get("exception"):
            classes.append("exc")
            notes.append("exception")
        out.append(f'<mark class="{" ".join(classes)}" title="{esc(", ".join(notes))}">{esc(text[start:end])}</mark>')
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out), dropped


def legend() -> str:
    items = [f'<span class="ent ent-{label}">{label}</span>' for label in LABELS]
    items.append('<span class="ent ent-other">other</span>')
    items.append('<span class="ent ent-Condition neg">negated</span>')
    items.append('<span class="ent ent-Condition exc">exception</span>')
    return '<div class="legend">' + " ".join(items) + "</div>"


# -- charts --------------------------------------------------------------------------------------------------------


def _svg_text(x: float, y: float, text: str, anchor: str = "start", cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{c}>{esc(text)}</text>'


def trial_chart(report: GoldReport) -> str:
    """Small multiples: one horizontal bar per trial (and the total) for each metric, with its target line."""
    rows: list[tuple[str, str | None, dict[str, float]]] = [
        (t.trial_id, _anchor(i, t), {"segmentation": t.nodes.f1, "thresholds": t.thresholds.f1, "logic": t.logic})
        for i, t in enumerate(report.trials)
    ]
    tot = report.totals()
    total = {
        "segmentation": report.total("nodes").f1,
        "thresholds": report.total("thresholds").f1,
        "logic": float(tot["logic"]["agreement"]),
    }
    label_w, panel_w, gap, bar_area = 112, 250, 26, 200
    row_h, bar_h, top, bottom = 18, 12, 46, 26
    n = len(rows)
    total_y = top + n * row_h + 8
    height = total_y + row_h + bottom
    width = label_w + len(_METRICS) * (panel_w + gap)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Per-trial scores against the targets">'
    ]
    for i, (name, anchor, _) in enumerate([*rows, ("TOTAL", None, total)]):
        y = (total_y if i == n else top + i * row_h) + bar_h - 1
        label = _svg_text(label_w - 8, y, name, "end", "lab total" if i == n else "lab")
        parts.append(f'<a href="#{esc(anchor)}">{label}</a>' if anchor else label)
    for m, (key, title, colour) in enumerate(_METRICS):
        x0 = label_w + m * (panel_w + gap)
        target = TARGETS[key]
        parts.append(_svg_text(x0, 16, title, "start", "ptitle"))
        parts.append(_svg_text(x0, 32, f"target ≥ {target:.2f}", "start", "ptarget"))
        axis_y = total_y + row_h + 4
        for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
            x = x0 + tick * bar_area
            parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y}" class="grid"/>')
            parts.append(_svg_text(x, axis_y + 14, f"{tick:g}", "middle", "tick"))
        for i, (name, _, values) in enumerate([*rows, ("TOTAL", None, total)]):
            y = total_y if i == n else top + i * row_h
            v = min(max(values[key], 0.0), 1.0)
            ok = values[key] >= target
            parts.append(
                f'<rect x="{x0}" y="{y}" width="{v * bar_area:.1f}" height="{bar_h}" fill="{colour}"'
                f' fill-opacity="{1.0 if i == n else 0.8}"><title>{esc(name)}: {esc(title)} {values[key]:.3f}'
                f" ({'meets' if ok else 'below'} target {target:.2f})</title></rect>"
            )
            parts.append(_svg_text(x0 + v * bar_area + 4, y + bar_h - 2, f"{values[key]:.2f}", "start", "val"))
        tx = x0 + target * bar_area
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{axis_y}" stroke="{_TARGET_COLOUR}" '
            f'stroke-width="1.5" stroke-dasharray="4 3"><title>target {target:.2f}</title></line>'
        )
    parts.append("</svg>")
    return "".join(parts)


def totals_chart(report: GoldReport) -> str:
    """Grouped bars: precision, recall and F1 of each total; logic agreement; the targets as dashed lines."""
    groups: list[tuple[str, list[tuple[str, float]], float | None]] = []
    for key, name, target in (
        ("nodes", "Segmentation", TARGETS["segmentation"]),
        ("thresholds", "Thresholds", TARGETS["thresholds"]),
        ("negated", "Negation", None),
        ("exceptions", "Exceptions", None),
    ):
        c = report.total(key)
        groups.append((name, [("P", c.precision), ("R", c.recall), ("F1", c.f1)], target))
    groups.append(("Logic", [("agree", float(report.totals()["logic"]["agreement"]))], TARGETS["logic"]))
    colours = {"P": "#74c0fc", "R": "#ffa94d", "F1": "#1c7ed6", "agree": "#2f9e44"}
    bar_w, group_gap, left, top, plot_h, bottom = 20, 40, 36, 40, 150, 40
    width = left + sum(len(bars) * bar_w + group_gap for _, bars, _ in groups) + 10
    height = top + plot_h + bottom
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Totals">',
        _svg_text(left, 16, "Totals", "start", "ptitle"),
        f'<line x1="{width - 90}" y1="12" x2="{width - 66}" y2="12" stroke="{_TARGET_COLOUR}" stroke-width="1.5" '
        'stroke-dasharray="4 3"/>',
        _svg_text(width - 62, 16, "target", "start", "ptarget"),
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 6}" y2="{y:.1f}" class="grid"/>')
        parts.append(_svg_text(left - 4, y + 4, f"{tick:g}", "end", "tick"))
    x = left + group_gap / 2
    for name, bars, target in groups:
        x_start = x
        for bar, v in bars:
            v = min(max(v, 0.0), 1.0)
            h = v * plot_h
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2}" height="{h:.1f}" '
                f'fill="{colours[bar]}"><title>{esc(name)} {bar} {v:.3f}</title></rect>'
            )
            parts.append(_svg_text(x + (bar_w - 2) / 2, top + plot_h + 12, bar, "middle", "tick"))
            x += bar_w
        if target is not None:
            ty = top + plot_h * (1 - target)
            parts.append(
                f'<line x1="{x_start - 3:.1f}" y1="{ty:.1f}" x2="{x + 1:.1f}" y2="{ty:.1f}" stroke="{_TARGET_COLOUR}" '
                f'stroke-width="1.5" stroke-dasharray="4 3"><title>target {target:.2f}</title></line>'
            )
        parts.append(_svg_text((x_start + x - 2) / 2, top + plot_h + 28, name, "middle", "glabel"))
        x += group_gap
    parts.append("</svg>")
    return "".join(parts)


# -- the page ------------------------------------------------------------------------------------------------------


def _anchor(index: int, trial: TrialReport) -> str:
    return f"trial-{index + 1}-" + re.sub(r"[^A-Za-z0-9_-]", "_", trial.trial_id)[:60]


def _score_class(value: float, target: float | None) -> str:
    if target is None:
        return "good" if value >= 0.9 else "fair" if value >= 0.5 else "poor"
    return "good" if value >= target else "fair" if value >= target - 0.2 else "poor"


def _card(title: str, main: str, detail: str, target: float | None = None, value: float | None = None) -> str:
    status = ""
    if target is not None and value is not None:
        word = "met" if value >= target else "not met"
        status = f'<div class="status {"met" if value >= target else "unmet"}">target ≥ {target:.2f}: {word}</div>'
    return (
        f'<div class="card"><div class="ctitle">{esc(title)}</div><div class="cmain">{esc(main)}</div>'
        f'<div class="cdetail">{esc(detail)}</div>{status}</div>'
    )


def _prf(c: dict[str, Any]) -> str:
    return f"P {c['precision']:.3f} · R {c['recall']:.3f} · tp {c['tp']} fp {c['fp']} fn {c['fn']}"


def header(report: GoldReport) -> str:
    tot = report.totals()
    seg, thr, neg, exc, lg = (tot[k] for k in ("segmentation", "thresholds", "negated", "exceptions", "logic"))
    cards = [
        _card("Trials", str(tot["trials"]), f"{sum(len(t.criteria) for t in report.trials)} criteria with logic"),
        _card(
            "Segmentation F1",
            f"{seg['f1']:.3f}",
            f"{_prf(seg)} · shape accuracy {seg['shape_accuracy']:.3f}",
            TARGETS["segmentation"],
            seg["f1"],
        ),
        _card("Threshold F1", f"{thr['f1']:.3f}", _prf(thr), TARGETS["thresholds"], thr["f1"]),
        _card("Negation F1", f"{neg['f1']:.3f}", _prf(neg)),
        _card("Exception F1", f"{exc['f1']:.3f}", _prf(exc)),
        _card(
            "Logic agreement",
            f"{lg['agreement']:.3f}",
            f"{lg['agree']} of {lg['probes']} probe verdicts agree",
            TARGETS["logic"],
            lg["agreement"],
        ),
    ]
    errors = ""
    if report.errors:
        items = "".join(f"<li>{esc(e)}</li>" for e in report.errors)
        errors = f'<div class="errors"><b>{len(report.errors)} gold file(s) not scored:</b><ul>{items}</ul></div>'
    return f'<header><h1>Gold evaluation</h1><div class="cards">{"".join(cards)}</div>{errors}</header>'


def _metrics_table(t: TrialReport) -> str:
    def row(name: str, c: Counts, extra: str = "") -> str:
        return (
            f"<tr><th>{name}</th><td>{c.precision:.3f}</td><td>{c.recall:.3f}</td><td>{c.f1:.3f}</td>"
            f"<td>{c.tp}</td><td>{c.fp}</td><td>{c.fn}</td><td>{esc(extra)}</td></tr>"
        )

    return (
        '<table class="metrics"><tr><th></th><th>P</th><th>R</th><th>F1</th><th>tp</th><th>fp</th><th>fn</th><th></th>'
        "</tr>"
        + row("segmentation", t.nodes, f"shape accuracy {t.shape_accuracy:.3f} ({t.shape_ok}/{t.shape_total})")
        + row("thresholds", t.thresholds)
        + row("negation", t.negated)
        + row("exceptions", t.exceptions)
        + f'<tr><th>logic</th><td colspan="7">agreement {t.logic:.3f} ({t.logic_agree} of {t.logic_probes} probes)'
        "</td></tr></table>"
    )


def _criterion_row(c: dict[str, Any]) -> tuple[str, bool]:
    agree, probes = c.get("agree", 0), c.get("probes", 0)
    bad = c.get("disagreements") or []
    ok = agree == probes and not bad
    share = agree / probes if isinstance(probes, int) and probes and isinstance(agree, int) else 0.0
    cls = "full" if ok else "fair" if share >= 0.5 else "poor"
    details = "".join(
        f"<li>{esc(d.get('patient', '?'))}: gold {esc(_truth(d.get('gold')))}, "
        f"compiled {esc(_truth(d.get('compiled')))}</li>"
        if isinstance(d, dict)
        else f"<li>{esc(d)}</li>"
        for d in bad
    )
    span = c.get("span")
    where = f'<div class="span">chars {esc(span[0])}–{esc(span[1])}</div>' if isinstance(span, list) and span else ""
    compiled = c.get("compiled")
    row = (
        f'<tr class="crit {"agree" if ok else "disagree"}">'
        f'<td class="cid">{esc(c.get("id", ""))}</td>'
        f'<td class="ctext">{esc(c.get("text", ""))}{where}</td>'
        f'<td><div class="logic">{logic_html(c.get("gold"))}</div></td>'
        f'<td><div class="logic{" none" if compiled is None else ""}">{logic_html(compiled)}</div></td>'
        f'<td class="ag {cls}"><b>{esc(agree)}/{esc(probes)}</b>'
        + (f'<ul class="dis">{details}</ul>' if details else "")
        + "</td></tr>"
    )
    return row, ok


def trial_section(index: int, t: TrialReport) -> str:
    text_html, dropped = highlight(t.eligibility_text or "", t.entities)
    rows = [_criterion_row(c) for c in t.criteria]
    disagreeing = sum(not ok for _, ok in rows)
    badges = "".join(
        f'<span class="badge {_score_class(v, TARGETS[key])}" title="{esc(title)}">{esc(short)} {v:.2f}</span>'
        for key, title, short, v in (
            ("segmentation", "Segmentation F1", "seg", t.nodes.f1),
            ("thresholds", "Threshold F1", "thr", t.thresholds.f1),
            ("logic", "Logic agreement", "logic", t.logic),
        )
    )
    note = f'<p class="note">{dropped} overlapping or out-of-range entities not drawn.</p>' if dropped else ""
    table = (
        '<table class="criteria"><thead><tr><th>id</th><th>text</th><th>gold logic</th><th>compiled logic</th>'
        "<th>agree/probes</th></tr></thead><tbody>" + "".join(r for r, _ in rows) + "</tbody></table>"
        if rows
        else '<p class="note">No criterion with gold logic.</p>'
    )
    misses = (
        f'<details class="misses"><summary>Misses ({len(t.misses)})</summary><ul>'
        + "".join(f"<li>{esc(m)}</li>" for m in t.misses)
        + "</ul></details>"
        if t.misses
        else '<p class="note">No misses.</p>'
    )
    body = f'<pre class="elig">{text_html}</pre>' if t.eligibility_text else '<p class="note">(no eligibility text)</p>'
    return (
        f'<details class="trial" id="{esc(_anchor(index, t))}" data-disagree="{disagreeing}">'
        f'<summary><span class="tid">{esc(t.trial_id)}</span> <span class="dom">{esc(t.domain)}</span> {badges}'
        f'<span class="ndis">{disagreeing} of {len(rows)} criteria disagree</span></summary>'
        f'<div class="tbody">{_metrics_table(t)}<h3>Eligibility text</h3>{legend()}{body}{note}'
        f"<h3>Criteria</h3>{table}<h3>Misses</h3>{misses}</div></details>"
    )


_CSS = """
:root { --fg: #212529; --muted: #6c757d; --line: #dee2e6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0;
  padding: 16px 24px 48px; background: #f8f9fa; }
h1 { margin: 0 0 12px; font-size: 22px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; flex: 1 1 170px;
  max-width: 300px; }
.ctitle { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.cmain { font-size: 24px; font-weight: 600; }
.cdetail { color: var(--muted); font-size: 12px; }
.status { margin-top: 4px; font-size: 12px; font-weight: 600; border-radius: 3px; padding: 1px 6px;
  display: inline-block; }
.status.met { background: #d3f9d8; color: #2b8a3e; }
.status.unmet { background: #ffe3e3; color: #c92a2a; }
.errors { margin-top: 10px; background: #fff4e6; border: 1px solid #ffc078; padding: 6px 10px; border-radius: 6px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.chartbox { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow-x: auto;
  max-width: 100%; }
svg.chart { display: block; max-width: none; }
svg text { font: 11px system-ui, sans-serif; fill: var(--fg); }
svg text.ptitle { font-size: 13px; font-weight: 600; }
svg text.ptarget { fill: #c92a2a; }
svg text.tick, svg text.val { fill: var(--muted); font-size: 10px; }
svg text.total, svg text.glabel { font-weight: 600; }
svg a text.lab { fill: #1864ab; }
svg line.grid { stroke: #e9ecef; stroke-width: 1; }
.controls { position: sticky; top: 0; background: #f8f9fa; padding: 8px 0; z-index: 2; display: flex; gap: 14px;
  align-items: center; flex-wrap: wrap; border-bottom: 1px solid var(--line); }
.controls input[type=search] { padding: 4px 8px; width: 260px; }
.controls button { padding: 3px 10px; }
#shown { color: var(--muted); }
details.trial { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; }
details.trial > summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 8px; align-items: center;
  flex-wrap: wrap; }
details.trial[open] > summary { border-bottom: 1px solid var(--line); }
.tid { font-weight: 600; font-family: ui-monospace, monospace; }
.dom { color: var(--muted); min-width: 230px; }
.badge { font-size: 12px; border-radius: 3px; padding: 0 6px; font-family: ui-monospace, monospace; }
.good, .full { background: #d3f9d8; color: #2b8a3e; }
.fair { background: #fff3bf; color: #e67700; }
.poor { background: #ffe3e3; color: #c92a2a; }
.ndis { color: var(--muted); font-size: 12px; margin-left: auto; }
.tbody { padding: 4px 12px 12px; }
table { border-collapse: collapse; }
table.metrics td, table.metrics th { padding: 2px 8px; text-align: right; border-bottom: 1px solid #f1f3f5;
  font-variant-numeric: tabular-nums; }
table.metrics th:first-child, table.metrics td:last-child { text-align: left; }
pre.elig { white-space: pre-wrap; word-wrap: break-word; background: #fcfcfd; border: 1px solid var(--line);
  padding: 8px; max-height: 480px; overflow: auto; font: 12.5px/1.6 ui-monospace, "DejaVu Sans Mono", monospace; }
.legend { display: flex; flex-wrap: wrap; gap: 4px; margin-bottom: 6px; font-size: 12px; }
.ent { border-radius: 3px; padding: 0 1px; color: inherit; }
.legend .ent { padding: 0 6px; }
.ent-other { background: #e9ecef; }
.ent.neg { text-decoration: line-through; text-decoration-color: #c92a2a; text-decoration-thickness: 2px; }
.ent.neg::before { content: "¬"; color: #c92a2a; font-weight: 700; }
.ent.exc { outline: 2px dashed #5f3dc4; outline-offset: 1px; }
.ent.exc::after { content: "exc"; color: #5f3dc4; font-size: 9px; vertical-align: super; margin-left: 1px; }
table.criteria { width: 100%; table-layout: fixed; }
table.criteria th { text-align: left; background: #f1f3f5; padding: 4px 6px; font-size: 12px; }
table.criteria th:nth-child(1) { width: 9em; } table.criteria th:nth-child(2) { width: 24%; }
table.criteria th:nth-child(5) { width: 11em; }
table.criteria td { vertical-align: top; border-top: 1px solid var(--line); padding: 4px 6px; overflow-wrap: anywhere; }
td.cid { font-family: ui-monospace, monospace; font-size: 12px; }
td.ctext { font-size: 13px; }
.span { color: var(--muted); font-size: 11px; }
div.logic { overflow-wrap: anywhere; font: 11.5px/1.45 ui-monospace, monospace; }
div.logic.none { color: var(--muted); }
td.ag b { font-variant-numeric: tabular-nums; }
ul.dis { margin: 4px 0 0; padding-left: 14px; font-size: 11px; }
.note { color: var(--muted); font-size: 12px; }
details.misses ul { font-family: ui-monospace, monospace; font-size: 12px; margin: 4px 0; }
body.only-disagree tr.crit.agree { display: none; }
body.only-disagree details.trial[data-disagree="0"] { display: none; }
.hidden { display: none !important; }
"""

_ONERROR = """
window.onerror = function (message, source, line, column) {
  var body = document.body, note = String(message) + " (line " + line + ":" + column + ")";
  if (body) { body.dataset.scriptErrors = (body.dataset.scriptErrors ? body.dataset.scriptErrors + " | " : "") + note; }
  return false;
};
"""

_SCRIPT = """
(function () {
  var trials = Array.prototype.slice.call(document.querySelectorAll("details.trial"));
  var box = document.getElementById("filter"), only = document.getElementById("only-disagree");
  var shown = document.getElementById("shown");
  var texts = trials.map(function (d) { return d.textContent.toLowerCase(); });
  function apply() {
    var q = box.value.trim().toLowerCase(), n = 0;
    trials.forEach(function (d, i) {
      var hit = !q || texts[i].indexOf(q) !== -1;
      d.classList.toggle("hidden", !hit);
      if (hit && !(only.checked && d.dataset.disagree === "0")) { n += 1; }
    });
    document.body.classList.toggle("only-disagree", only.checked);
    shown.textContent = n + " of " + trials.length + " trials shown";
  }
  function openHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS") { target.open = true; target.scrollIntoView(); }
  }
  function setAll(open) { trials.forEach(function (d) { d.open = open; }); }
  box.addEventListener("input", apply);
  only.addEventListener("change", apply);
  document.getElementById("expand").addEventListener("click", function () { setAll(true); });
  document.getElementById("collapse").addEventListener("click", function () { setAll(false); });
  window.addEventListener("hashchange", openHash);
  apply();
  openHash();
  document.body.dataset.rendered = "ok";
})();
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def render_report(report: GoldReport) -> str:
    """The whole page as a string."""
    trials = "".join(trial_section(i, t) for i, t in enumerate(report.trials))
    label_css = "".join(f".ent-{label} {{ background: {colour}; }}\n" for label, colour in LABELS.items())
    controls = (
        '<div class="controls"><input type="search" id="filter" placeholder="Filter trials (id, domain, any text)"'
        ' aria-label="Filter trials"><label><input type="checkbox" id="only-disagree"> only disagreeing criteria'
        '</label><button type="button" id="expand">expand all</button>'
        '<button type="button" id="collapse">collapse all</button><span id="shown"></span></div>'
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Gold evaluation: {len(report.trials)} trials</title><style>{_CSS}{label_css}</style></head>\n"
        f"<body><script>{_ONERROR}</script>\n"
        f"{header(report)}\n"
        '<h2>Scores</h2><div class="charts">'
        f'<div class="chartbox">{trial_chart(report)}</div><div class="chartbox">{totals_chart(report)}</div></div>\n'
        f"<h2>Trials</h2>{controls}\n{trials}\n"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def write_report(report: GoldReport, path: str | Path) -> None:
    """Write ``report`` as one self-contained HTML page to ``path``."""
    Path(path).write_text(render_report(report), encoding="utf-8", errors="replace")
