"""Run the pipeline as a predictor over the corpora and score it (``extractor evaluate lct|chia``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from ..clean import clean
from ..errors import InputError
from ..model import ParsedTrial, TrialRecord
from ..pipeline import parse_record
from . import split_ids
from .chia import evaluate_entities, load_chia
from .lct import PredictedComparison, evaluate_constraints, load_lct, predicted_from_constraint
from .metrics import Scores

_WRITTEN_VALUE = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|I|II|III|IV|V)\b", re.I
)
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"


MODES = ("both", "rules", "model", "gazetteer", "ner")
"""Entity taggers: rules + learned models (the default pipeline), rules alone, the learned models
alone (gazetteer + NER), and each learned model alone."""


def nlp_for(mode: str, ner_path: str | None = None) -> Any:
    from ..tagging import build_nlp, default_nlp

    if mode == "both":
        return default_nlp() if ner_path is None else build_nlp(ner_path=ner_path)
    if mode == "rules":
        return build_nlp(gazetteer=False, ner=False)
    if mode == "model":
        return build_nlp(lexicons=[], gazetteer=True, ner=True, ner_path=ner_path)
    if mode == "gazetteer":
        return build_nlp(lexicons=[], gazetteer=True, ner=False)
    if mode == "ner":
        return build_nlp(lexicons=[], gazetteer=False, ner=True, ner_path=ner_path)
    raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")


def _parse(text: str, nlp: Any = None) -> tuple[ParsedTrial, Any]:
    """Parse and tag ``text`` as one bare eligibility text; return the trial and its offset map."""
    from ..tagging import tag_trial

    record = TrialRecord(trial_id=None, eligibility=text, source="<corpus>", format="text")
    trial = parse_record(record, tag=False)
    return tag_trial(trial, nlp), clean(text)


@cache
def _written_units() -> dict[str, tuple[str, ...]]:
    from ..units import unit_rows

    return {row["ucum"]: tuple(sp.lower() for sp in row["spellings"]) for row in unit_rows()}


def _as_written(c: Any, units: dict[str, tuple[str, ...]]) -> Any:
    """LCT annotates what is written at each value; our constraints say what it means. A comparator
    carried over from a neighbouring limit ("at least 4 weeks since X (6 weeks for Y)") or a unit written
    once for coordinated limits ("less than 20 or greater than 30 kg/m2") is scored as not written."""
    from ..thresholds import comparator_rules

    shown = " ".join((c.text or "").lower().split())
    before, after = comparator_rules()
    changes: dict[str, Any] = {}
    written_comparator = re.search(r"[<>≤≥=+]", shown) or any(r.phrase in shown for r in (*before, *after))
    if c.comparator not in ("==", "between") and c.kind != "window" and not written_comparator:
        changes["comparator"] = "=="
    if c.unit and c.relative_to is None and c.kind not in ("age",):
        spellings = units.get(c.unit, ())
        if spellings and not any(sp in shown for sp in spellings) and c.unit.lower() not in shown:
            changes["unit"] = None
    return replace(c, **changes) if changes else c


def predict_constraints(text: str) -> list[PredictedComparison]:
    """Our constraints in ``text``, with spans in ``text``'s own offsets, as LCT would annotate them:
    one comparison per written limit (coordinated concepts and blood-pressure pairs share one)."""
    if not text.strip():
        return []
    trial, cleaned = _parse(text)
    units = _written_units()
    out = []
    seen: set[tuple[Any, ...]] = set()
    for node in trial.walk():
        for c in node.constraints:
            if c.text and not _WRITTEN_VALUE.search(c.text):
                continue  # an implicit limit ("Adults" -> age >= 18): LCT annotates written values only
            p = predicted_from_constraint(_as_written(c, units))
            if p is None:
                continue
            key = (p.span, p.operator)
            if key in seen:
                continue
            seen.add(key)
            p.span = cleaned.span_to_original(*p.span)
            out.append(p)
    return out


def _entities(text: str, nlp: Any = None) -> list[tuple[int, int, dict[str, Any]]]:
    """Our entities in ``text``, each with its span in ``text``'s own offsets."""
    if not text.strip():
        return []
    trial, cleaned = _parse(text, nlp)
    return [(*cleaned.span_to_original(*e["span"]), e) for node in trial.walk() for e in node.entities]


def predict_entities(text: str, nlp: Any = None) -> list[tuple[int, int, str]]:
    """Our entities in ``text`` as ``(start, end, label)`` in ``text``'s own offsets."""
    return [(s, t, e["label"]) for s, t, e in _entities(text, nlp)]


def _select(docs: Iterable[tuple[str, str, Any]], split: str, limit: int | None) -> Iterator[tuple[str, str, Any]]:
    docs = list(docs)
    if split != "all":
        keep = set(split_ids([d[0] for d in docs])[split])
        docs = [d for d in docs if d[0] in keep]
    return iter(docs[:limit] if limit else docs)


def corpus_dir(name: str, directory: str | None) -> Path:
    path = Path(directory) if directory else SHARED / name
    if not path.is_dir():
        raise InputError("corpus folder not found (pass --corpus-dir)", where=str(path))
    return path


def evaluate_lct(directory: str | None = None, *, split: str = "all", limit: int | None = None) -> Scores:
    return evaluate_constraints(predict_constraints, _select(load_lct(corpus_dir("lct", directory)), split, limit))


def evaluate_chia(
    directory: str | None = None,
    *,
    split: str = "all",
    limit: int | None = None,
    mode: str = "both",
    ner_path: str | None = None,
    strict: bool = False,
) -> Scores:
    """Entities against Chia; ``strict`` also scores what lies in its unannotated whole-criterion spans
    (:func:`~extractor.evaluate.chia.unannotated_regions`) as false positives."""
    nlp = nlp_for(mode, ner_path)
    return evaluate_entities(
        lambda text: predict_entities(text, nlp),
        _select(load_chia(corpus_dir("chia", directory)), split, limit),
        strict=strict,
    )


def evaluate_chia_both_ways(
    directory: str | None = None, *, split: str = "all", mode: str = "both", ner_path: str | None = None
) -> tuple[Scores, Scores]:
    """:func:`evaluate_chia` as scored by default and ``strict``, from one run of the tagger."""
    nlp = nlp_for(mode, ner_path)
    docs = list(_select(load_chia(corpus_dir("chia", directory)), split, None))
    predicted = {text: predict_entities(text, nlp) for _, text, _ in docs}
    return (
        evaluate_entities(predicted.__getitem__, docs),
        evaluate_entities(predicted.__getitem__, docs, strict=True),
    )


# -- negation and exceptions ---------------------------------------------------------------------------------------


def predict_flags(text: str, nlp: Any = None) -> list[tuple[int, int, dict[str, bool]]]:
    """Our concept entities in ``text`` with their negation and exception flags."""
    return [
        (s, t, {k: bool(e.get(k)) for k in ("negated", "exception")})
        for s, t, e in _entities(text, nlp)
        if e["label"] not in ("Value", "Temporal")
    ]


def _trigger_span(doc: Any, ref: str) -> tuple[int, int] | None:
    """The span of an event's trigger (or of an entity) that ``ref`` names."""
    event = doc.events.get(ref)
    ent = doc.entities.get(event.trigger if event is not None else ref)
    return (ent.start, ent.end) if ent is not None else None


def _lct_gold(doc: Any) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """LCT's concept spans, the negated ones (``Negates``), and the excepted ones (``Except``)."""
    concepts = [(e.start, e.end) for e in doc.entities.values() if e.label.endswith("-Name")]
    negated, excepted = [], []
    for ev in doc.events.values():
        if ev.label == "Negation":
            negated += [s for ref in ev.roles.get("Negates", []) if (s := _trigger_span(doc, ref))]
        elif ev.label == "Exception":
            excepted += [s for ref in ev.roles.get("Except", []) if (s := _trigger_span(doc, ref))]
    return concepts, negated, excepted


def _score_flag(
    gold_concepts: list[tuple[int, int]], gold_flagged: list[tuple[int, int]], predicted: list[tuple[int, int, bool]]
) -> tuple[int, int, int]:
    """On the concepts both sides found (overlap), how the flag agrees: (tp, fp, fn)."""
    tp = fp = fn = 0
    for s, e, flagged in predicted:
        if not any(gs < e and s < ge for gs, ge in gold_concepts + gold_flagged):
            continue  # a concept the gold does not have: not a flag decision
        gold = any(gs < e and s < ge for gs, ge in gold_flagged)
        tp += flagged and gold
        fp += flagged and not gold
        fn += gold and not flagged
    return tp, fp, fn


def evaluate_context(
    split: str = "all", limit: int | None = None, rules: str | None = None
) -> dict[str, dict[str, float | int]]:
    """Negation (Chia ``Has_negation``, LCT ``Negation``) and exception (LCT ``Exception``) agreement.

    ``rules``: ``None`` for ours, ``"medspacy-default"`` for medspaCy's default ConText rules.
    """
    from ..tagging import build_nlp, default_nlp
    from .chia import gold_entities, gold_negations

    nlp = build_nlp(context_rules=rules) if rules else default_nlp()
    counts: dict[str, list[int]] = {"chia negation": [0, 0, 0], "lct negation": [0, 0, 0], "lct exception": [0, 0, 0]}
    for _doc_id, text, doc in _select(load_chia(corpus_dir("chia", None)), split, limit):
        predicted = predict_flags(text, nlp)
        concepts = [(g.start, g.end) for g in gold_entities(doc)]
        negated = [(g.start, g.end) for g in gold_negations(doc)]
        # Chia has no exception label: "except X", "other than X" are marked as negation there
        flags = [(s, e, f["negated"] or f["exception"]) for s, e, f in predicted]
        for i, v in enumerate(_score_flag(concepts, negated, flags)):
            counts["chia negation"][i] += v
    for _doc_id, text, doc in _select(load_lct(corpus_dir("lct", None)), split, limit):
        predicted = predict_flags(text, nlp)
        concepts, negated, excepted = _lct_gold(doc)
        for key, gold, flag in (("lct negation", negated, "negated"), ("lct exception", excepted, "exception")):
            for i, v in enumerate(_score_flag(concepts, gold, [(s, e, f[flag]) for s, e, f in predicted])):
                counts[key][i] += v
    out: dict[str, dict[str, float | int]] = {}
    for key, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[key] = {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)}
    return out
