"""Run the pipeline as a predictor over the corpora and score it (``extractor evaluate lct|chia``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
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


MODES = ("both", "rules", "model")
"""Entity taggers to compare: rule lexicons + learned gazetteer, rules alone, gazetteer alone."""


def nlp_for(mode: str) -> Any:
    from ..tagging import build_nlp, default_nlp

    if mode == "both":
        return default_nlp()
    if mode == "rules":
        return build_nlp(gazetteer=False)
    if mode == "model":
        return build_nlp(lexicons=[], gazetteer=True)
    raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")


def _parse(text: str, nlp: Any = None) -> tuple[ParsedTrial, Any]:
    """Parse and tag ``text`` as one bare eligibility text; return the trial and its offset map."""
    from ..tagging import tag_trial

    record = TrialRecord(trial_id=None, eligibility=text, source="<corpus>", format="text")
    trial = parse_record(record, tag=False)
    return tag_trial(trial, nlp), clean(text)


def predict_constraints(text: str) -> list[PredictedComparison]:
    """Our constraints in ``text``, with spans in ``text``'s own offsets."""
    if not text.strip():
        return []
    trial, cleaned = _parse(text)
    out = []
    for node in trial.walk():
        for c in node.constraints:
            if c.text and not _WRITTEN_VALUE.search(c.text):
                continue  # an implicit limit ("Adults" -> age >= 18): LCT annotates written values only
            p = predicted_from_constraint(c)
            if p is None:
                continue
            p.span = cleaned.span_to_original(*p.span)
            out.append(p)
    return out


def predict_entities(text: str, nlp: Any = None) -> list[tuple[int, int, str]]:
    """Our entities in ``text`` as ``(start, end, label)`` in ``text``'s own offsets."""
    if not text.strip():
        return []
    trial, cleaned = _parse(text, nlp)
    out = []
    for node in trial.walk():
        for e in node.entities:
            s, t = cleaned.span_to_original(*e["span"])
            out.append((s, t, e["label"]))
    return out


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
    directory: str | None = None, *, split: str = "all", limit: int | None = None, mode: str = "both"
) -> Scores:
    nlp = nlp_for(mode)
    return evaluate_entities(
        lambda text: predict_entities(text, nlp), _select(load_chia(corpus_dir("chia", directory)), split, limit)
    )
