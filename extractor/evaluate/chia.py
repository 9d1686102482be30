"""Score entity spans against the Chia corpus.

Chia annotates each trial's inclusion and exclusion criteria separately
(``NCTxxxxxxxx_inc`` / ``_exc``). Its entity types map onto ours through
:data:`LABELS`; everything else (Scope, Qualifier, Multiplier,
Reference_point, Negation, Mood, the triage labels such as Non-query-able or
Informed_consent, the error labels) is not an entity we extract and is
dropped from entity scoring. Negation cues are used by :func:`gold_negations`.
See ``docs/corpus-mapping.md`` for counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..triage import TRIAGE_LABELS
from .brat import BratDocument, Entity, load_corpus
from .metrics import MODES, Counts, Scores, score_spans

Span = tuple[int, int]

LABELS: dict[str, str] = {
    "Condition": "Condition",
    "Drug": "Drug",
    "Procedure": "Procedure",
    "Measurement": "Measurement",
    "Observation": "Observation",
    "Value": "Value",
    "Temporal": "Temporal",
    "Device": "Device",
    "Person": "Demographic",
}
"""Chia entity label -> ours. Labels not listed are dropped."""

OUR_LABELS: tuple[str, ...] = tuple(sorted(set(LABELS.values())))

WHOLE_CRITERION_LABELS = TRIAGE_LABELS
"""Chia's judgements of a whole criterion or clause (Non-query-able, Informed_consent, Post-eligibility, ...):
spans whose inside the annotators mostly left unannotated (:func:`unannotated_regions`)."""


@dataclass(slots=True)
class GoldEntity:
    """One Chia entity, with our label."""

    id: str
    start: int
    end: int
    """The covering span: a discontinuous entity runs from its first fragment's start to its last's end."""
    label: str
    """Our label (:data:`LABELS`); the Chia label for entities we do not map (negation targets only)."""
    chia_label: str
    text: str
    fragments: list[Span] = field(default_factory=list)
    negated: bool = False
    """The entity is the ``Arg1`` of a ``Has_negation`` relation."""
    cue: Span | None = None
    """Span of the negation cue (the relation's ``Arg2``), when negated."""

    @property
    def span(self) -> Span:
        return (self.start, self.end)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "span": [self.start, self.end],
            "label": self.label,
            "chia_label": self.chia_label,
            "text": self.text,
            "fragments": [list(f) for f in self.fragments],
            "negated": self.negated,
            "cue": list(self.cue) if self.cue else None,
        }


def _negation_cues(doc: BratDocument) -> dict[str, Span]:
    cues: dict[str, Span] = {}
    for rel in doc.relations.values():
        if rel.label != "Has_negation":
            continue
        cue = doc.entities.get(rel.arg2)
        if rel.arg1 in doc.entities and rel.arg1 not in cues:
            cues[rel.arg1] = cue.extent if cue else (0, 0)
    return cues


def _gold(ent: Entity, label: str, cues: dict[str, Span]) -> GoldEntity:
    return GoldEntity(
        id=ent.id,
        start=ent.start,
        end=ent.end,
        label=label,
        chia_label=ent.label,
        text=ent.text,
        fragments=list(ent.spans),
        negated=ent.id in cues,
        cue=cues.get(ent.id),
    )


def gold_entities(doc: BratDocument) -> list[GoldEntity]:
    """The entities of one Chia document whose label we extract, in text order."""
    cues = _negation_cues(doc)
    out = [_gold(e, LABELS[e.label], cues) for e in doc.entities.values() if e.label in LABELS]
    out.sort(key=lambda g: (g.start, g.end, g.id))
    return out


def gold_negations(doc: BratDocument) -> list[GoldEntity]:
    """Entities negated by a ``Has_negation`` relation (its ``Arg1``: the concept, not the cue).

    All labels are kept — about a sixth are ``Scope`` spans covering several
    concepts — with ``label`` ours when mapped, else the Chia label.
    """
    cues = _negation_cues(doc)
    out = [_gold(e, LABELS.get(e.label, e.label), cues) for e in doc.entities.values() if e.id in cues]
    out.sort(key=lambda g: (g.start, g.end, g.id))
    return out


Prediction = tuple[int, int, str]


def unannotated_regions(doc: BratDocument) -> list[Span]:
    """The spans of :data:`WHOLE_CRITERION_LABELS` inside which no other entity is annotated.

    Chia marks 2,441 such spans ("Any concomitant medical condition that, according to the investigator, would
    contraindicate participation": Post-eligibility) and annotates entities inside only 438 of them: the
    rest were judged as a whole and never annotated further. Inside them there is no gold to agree with.
    """
    inner = [(e.start, e.end) for e in doc.entities.values() if e.label not in WHOLE_CRITERION_LABELS]
    return [
        (e.start, e.end)
        for e in doc.entities.values()
        if e.label in WHOLE_CRITERION_LABELS and not any(e.start <= s and t <= e.end for s, t in inner)
    ]


def evaluate_entities(
    predict: Callable[[str], Iterable[Prediction]],
    docs: Iterable[tuple[str, str, BratDocument]],
    labels: Iterable[str] | None = None,
    *,
    strict: bool = False,
) -> Scores:
    """Score ``predict(text) -> [(start, end, label), ...]`` against Chia entities, exact and overlap.

    ``docs`` are ``(doc_id, text, annotations)`` from :func:`load_chia`;
    offsets are into ``text`` exactly as read (Chia's ``\\r\\n`` count as
    two characters). Gold spans are covering spans (discontinuous entities
    included whole). Only ``labels`` (default: all of ours) are scored;
    predictions with other labels are counted under ``info["predictions_other_label"]``.
    A prediction wholly inside an :func:`unannotated_regions` span is not scored (counted under
    ``info["predictions_unannotated"]``) unless ``strict``, which scores it as a false positive.
    """
    wanted = set(labels) if labels is not None else set(OUR_LABELS)
    scores = Scores(rows={mode: {label: Counts() for label in sorted(wanted)} for mode in MODES})
    info = scores.info
    info.update(documents=0, gold=0, predictions=0, predictions_other_label=0, predictions_unannotated=0)
    info["strict"] = strict
    for _doc_id, text, doc in docs:
        gold = [(g.start, g.end, g.label) for g in gold_entities(doc) if g.label in wanted]
        skip = [] if strict else unannotated_regions(doc)
        predicted = []
        for start, end, label in predict(text):
            if label not in wanted:
                info["predictions_other_label"] += 1
            elif any(s <= start and end <= t for s, t in skip):
                info["predictions_unannotated"] += 1
            else:
                predicted.append((int(start), int(end), label))
        info["documents"] += 1
        info["gold"] += len(gold)
        info["predictions"] += len(predicted)
        for mode in MODES:
            for label, counts in score_spans(gold, predicted, mode).items():
                scores.counts(mode, label).add(counts)
    return scores


def load_chia(directory: str | Path) -> Iterable[tuple[str, str, BratDocument]]:
    """The Chia documents, leniently (one ``.ann`` line in the release is an orphan fragment: skipped)."""
    return load_corpus(directory, "*.txt", strict=False)
