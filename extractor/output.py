"""Render parsed trials: JSON as in ``shared/spec/outputs.md``, and a readable outline."""

from __future__ import annotations

import json
from typing import Any

from .model import Criterion, ParsedTrial

SCHEMA_VERSION = "1.0"


def criterion_to_dict(node: Criterion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": node.id,
        "section": node.section,
        "text": node.text,
        "span": list(node.span) if node.span is not None else None,
        "combine": node.combine,
    }
    if node.combine == "n_of":
        out["n"] = node.n
    out["children"] = [criterion_to_dict(c) for c in node.children]
    out["constraints"] = [c.as_dict() for c in node.constraints]
    out["entities"] = list(node.entities)
    out["label"] = node.label
    out["label_span"] = list(node.label_span) if node.label_span is not None else None
    out["source_span"] = list(node.source_span) if node.source_span is not None else None
    out["heading"] = node.heading
    out["exception"] = node.exception
    out["condition"] = node.condition
    out["needs_person"] = None if node.needs_person is None else round(node.needs_person, 3)
    if node.section == "structured":
        out["value"] = node.value
    return out


def trial_to_dict(trial: ParsedTrial) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "trial_id": trial.trial_id,
        "title": trial.title,
        "source": trial.source,
        "format": trial.format,
        "criteria": [criterion_to_dict(c) for c in trial.criteria],
        "headings": [
            {"text": h.text, "span": list(h.span), "section": h.section, "kind": h.kind} for h in trial.headings
        ],
        "structured_fields": trial.structured.as_dict(),
        "warnings": list(trial.warnings),
        "eligibility_text": trial.eligibility_text,
    }


def to_json(trial: ParsedTrial, *, indent: int | None = 2) -> str:
    return json.dumps(trial_to_dict(trial), ensure_ascii=False, indent=indent)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _describe(node: Criterion) -> str:
    bits = []
    if node.children:
        bits.append(f"n_of {node.n}" if node.combine == "n_of" else node.combine)
    for c in node.constraints:
        unit = f" {c.unit}" if c.unit else ""
        rel = f"×{c.relative_to}" if c.relative_to else ""
        value = f"{c.value}-{c.value_high}" if c.comparator == "between" else f"{c.comparator} {c.value}"
        name = c.concept.get("display") or "value"
        bits.append(f"{name} {value}{rel}{unit}")
    return f"  [{'; '.join(bits)}]" if bits else ""


def to_tree(trial: ParsedTrial) -> str:
    """An indented outline: one line per criterion with its id, marker and text."""
    lines = [f"{trial.trial_id or '(no trial id)'}  ({trial.format}: {trial.source})"]
    for w in trial.warnings:
        lines.append(f"  warning: {w}")
    heading_by_section: dict[str, list[str]] = {}
    for h in trial.headings:
        heading_by_section.setdefault(h.section, []).append(_one_line(h.text))
    section = None
    for root in trial.criteria:
        if root.section != section:
            section = root.section
            heads = heading_by_section.get(section)
            lines.append("")
            lines.append(section.upper() + (f"  ({' / '.join(heads)})" if heads else ""))
        stack: list[tuple[Criterion, int]] = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            label = f"{node.label} " if node.label else ""
            lines.append(f"{'  ' * depth}{node.id}  {label}{_one_line(node.text)}{_describe(node)}")
            stack.extend((c, depth + 1) for c in reversed(node.children))
    return "\n".join(lines) + "\n"
