"""Evaluation against annotated corpora: Chia (entities, negation) and LCT (numeric thresholds).

Both corpora are brat standoff files (:mod:`.brat`); :mod:`.metrics` holds
the span matching and P/R/F1 tables; :mod:`.chia` and :mod:`.lct` turn each
corpus into gold items and score a predictor passed in as a callable.
:func:`split_ids` fixes the train/dev/test split used for any later model
training. The schema mapping and corpus counts are in ``docs/corpus-mapping.md``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable

from .brat import BratDocument, load_corpus, read_ann
from .chia import evaluate_entities, gold_entities, gold_negations, load_chia
from .lct import PredictedComparison, evaluate_constraints, gold_comparisons, load_lct
from .metrics import Counts, Scores

__all__ = [
    "SPLITS",
    "BratDocument",
    "Counts",
    "PredictedComparison",
    "Scores",
    "evaluate_constraints",
    "evaluate_entities",
    "gold_comparisons",
    "gold_entities",
    "gold_negations",
    "load_chia",
    "load_corpus",
    "load_lct",
    "read_ann",
    "split_ids",
    "trial_of",
]

SPLITS: tuple[str, str, str] = ("train", "dev", "test")
_NCT = re.compile(r"NCT\d{8}")


def trial_of(doc_id: str) -> str:
    """The trial a document belongs to: ``NCT00050349_inc`` -> ``NCT00050349`` (else the id itself)."""
    m = _NCT.search(doc_id)
    return m.group(0) if m else doc_id


def split_ids(
    ids: Iterable[str],
    seed: int = 13,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    group: Callable[[str], str] | None = trial_of,
) -> dict[str, list[str]]:
    """Deterministic ``{"train": [...], "dev": [...], "test": [...]}`` split of document ids.

    Ids are grouped by ``group`` (default: the NCT number, so a Chia
    trial's ``_inc`` and ``_exc`` files always land together; ``None``
    splits ids individually). The distinct groups are sorted, shuffled with
    ``random.Random(seed)`` and cut in order: the first ``round(n * train)``
    groups train, the next ``round(n * dev)`` dev, the rest test. The
    result depends only on the set of ids, the seed and the fractions (not
    on input order or ``PYTHONHASHSEED``); each list is sorted. Adding
    documents changes the split, so record the seed with any result.
    """
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions!r}")
    key = group or (lambda doc_id: doc_id)
    members: dict[str, list[str]] = {}
    for doc_id in sorted(set(ids)):
        members.setdefault(key(doc_id), []).append(doc_id)
    groups = sorted(members)
    random.Random(seed).shuffle(groups)
    n = len(groups)
    n_train = round(n * fractions[0])
    n_dev = min(n - n_train, round(n * fractions[1]))
    cuts = {"train": groups[:n_train], "dev": groups[n_train : n_train + n_dev], "test": groups[n_train + n_dev :]}
    return {name: sorted(doc_id for g in cuts[name] for doc_id in members[g]) for name in SPLITS}
