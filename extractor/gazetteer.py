"""A gazetteer learned from Chia's training split: the long tail the hand-made lexicons miss.

Training keeps the surface forms annotated in the *train* split (see
:func:`extractor.evaluate.split_ids`) that are frequent enough, that carry
one label most of the time, and that, wherever they occur in the training
texts, are annotated with that label often enough (precision on train).
The result is a lexicon in the same JSONL format as the packaged ones, saved
under ``models/chia-gazetteer/`` with its model card; at run time it fills
only spans the rule lexicons did not claim.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .lexicon import Concept, ConceptMatcher

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "models" / "chia-gazetteer"
LABELS = ("Condition", "Drug", "Procedure", "Measurement", "Observation", "Device", "Temporal", "Value", "Demographic")
_STOP = {
    "the", "of", "and", "or", "with", "in", "to", "for", "a", "an", "on", "at", "by", "any", "other", "all",
    "patients", "patient", "subjects", "subject", "participants", "study", "use", "treatment", "therapy",
    "medication", "medications", "medicine", "medicines", "drug", "drugs", "agent", "agents", "regimen", "regimens",
    "disease", "diseases", "condition", "conditions", "history", "known", "severe", "significant",
}  # fmt: skip
_CUE_START = re.compile(r"^(?:prior|previous|history of|known history|no |not |without |family history|planned )")
_NUMBERISH = re.compile(r"^[\d\s.,%<>=≤≥/+-]*$")


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(slots=True)
class GazetteerSettings:
    min_count: int = 2
    min_purity: float = 0.6
    min_precision: float = 0.5
    labels: tuple[str, ...] = ("Condition", "Drug", "Procedure", "Measurement", "Observation", "Device")


def train(
    docs: Iterable[tuple[str, str, Any]],
    gold: Any,
    settings: GazetteerSettings | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Learn the gazetteer from ``docs`` (``(doc_id, text, annotations)``); ``gold(ann)`` gives gold entities.

    Returns the JSONL rows and a report (counts, kept per label).
    """
    settings = settings or GazetteerSettings()
    docs = list(docs)
    by_label: dict[str, Counter[str]] = defaultdict(Counter)
    for _doc_id, text, ann in docs:
        for g in gold(ann):
            if g.label in settings.labels and "\n" not in text[g.start : g.end]:
                by_label[normalise(text[g.start : g.end])][g.label] += 1
    candidates: dict[str, str] = {}
    for surface, labels in by_label.items():
        label, count = labels.most_common(1)[0]
        total = sum(labels.values())
        if (
            count >= settings.min_count
            and count / total >= settings.min_purity
            and len(surface) >= 3
            and surface not in _STOP
            and not _NUMBERISH.match(surface)
            and not _CUE_START.match(surface)
        ):
            candidates[surface] = label
    # precision on train: of the places the matcher finds a form, how many are gold of its label?
    matcher = _matcher(candidates)
    found: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    for _doc_id, text, ann in docs:
        spans = {(g.start, g.end, g.label) for g in gold(ann)}
        gold_by_label: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for s, e, lab in spans:
            gold_by_label[lab].append((s, e))
        for m in matcher.find(text):
            surface = m.concept.display
            found[surface] += 1
            if any(s < m.end and m.start < e for s, e in gold_by_label[m.concept.label]):
                hit[surface] += 1
    rows: list[dict[str, Any]] = []
    kept: Counter[str] = Counter()
    for surface, label in sorted(candidates.items()):
        precision = hit[surface] / found[surface] if found[surface] else 0.0
        if precision < settings.min_precision:
            continue
        kept[label] += 1
        rows.append(
            {
                "id": f"g{len(rows) + 1}",
                "display": surface,
                "code": None,
                "synonyms": [surface],
                "abbreviations": [],
                "kind": label,
            }
        )
    report = {
        "documents": len(docs),
        "candidates": len(candidates),
        "kept": len(rows),
        "kept_per_label": dict(sorted(kept.items())),
        "settings": {
            "min_count": settings.min_count,
            "min_purity": settings.min_purity,
            "min_precision": settings.min_precision,
        },
    }
    return rows, report


def _matcher(forms: dict[str, str]) -> ConceptMatcher:
    entries: list[tuple[Concept, list[str], list[str]]] = [
        (Concept(f"g:{s}", s, None, label), [s], []) for s, label in forms.items()
    ]
    return ConceptMatcher(entries)


def save(rows: list[dict[str, Any]], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "gazetteer.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def load(path: Path | None = None) -> ConceptMatcher | None:
    """The trained gazetteer, or ``None`` when no model has been trained (the pipeline runs on rules)."""
    path = path or DEFAULT_DIR / "gazetteer.jsonl"
    if not path.exists():
        return None
    entries: list[tuple[Concept, list[str], list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            concept = Concept(row["id"], row["display"], None, row["kind"], source="gazetteer")
            entries.append((concept, row["synonyms"], []))
    return ConceptMatcher(entries)
