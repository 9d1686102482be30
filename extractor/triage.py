"""Criterion triage: can a record decide this criterion, or must a person?

A scikit-learn ``Pipeline`` (hashed word and character n-grams + logistic
regression) trained on Chia's train split. A criterion line is "needs a
person" when Chia marks it Non-query-able, Informed_consent,
Subjective_judgement, Post-eligibility, Competing_trial,
Pregnancy_considerations, Non-representable, Intoxication_considerations or
Not_a_criteria. The vectorisers are stateless (hashing), so the model is saved
as plain JSON weights (no pickle: it loads offline across library versions).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "models" / "chia-triage"
TRIAGE_LABELS = frozenset(
    {
        "Non-query-able",
        "Informed_consent",
        "Subjective_judgement",
        "Post-eligibility",
        "Competing_trial",
        "Pregnancy_considerations",
        "Non-representable",
        "Intoxication_considerations",
        "Not_a_criteria",
    }
)
N_FEATURES = 2**16


@cache
def _vectorisers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import HashingVectorizer

    words = HashingVectorizer(
        analyzer="word", ngram_range=(1, 2), n_features=N_FEATURES, alternate_sign=False, norm="l2"
    )
    chars = HashingVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), n_features=N_FEATURES, alternate_sign=False, norm="l2"
    )
    return words, chars


def features(texts: list[str]) -> Any:
    from scipy.sparse import hstack

    words, chars = _vectorisers()
    return hstack([words.transform(texts), chars.transform(texts)]).tocsr()


def with_section(text: str, section: str) -> str:
    """The text the model sees: the section matters (pregnancy and post-eligibility are exclusions)."""
    return f"__{section}__ {text}"


def dataset(docs: Iterable[tuple[str, str, Any]]) -> tuple[list[str], list[int]]:
    """One example per non-blank line (a criterion) of each Chia document; 1 = needs a person."""
    texts, labels, _ = dataset_with_groups(docs)
    return texts, labels


def dataset_with_groups(docs: Iterable[tuple[str, str, Any]]) -> tuple[list[str], list[int], list[str]]:
    """:func:`dataset`, with the trial each line comes from (folds never split a trial)."""
    texts: list[str] = []
    labels: list[int] = []
    groups: list[str] = []
    for doc_id, text, doc in docs:
        spans = [(e.start, e.end) for e in doc.entities.values() if e.label in TRIAGE_LABELS]
        section = "exclusion" if doc_id.endswith("_exc") else "inclusion"
        offset = 0
        for line in text.split("\n"):
            start, end = offset, offset + len(line)
            offset = end + 1
            if line.strip():
                texts.append(with_section(line.strip(), section))
                labels.append(int(any(s < end and start < e for s, e in spans)))
                groups.append(doc_id.rsplit("_", 1)[0])
    return texts, labels, groups


C_GRID = (0.5, 1.0, 2.0, 4.0)
FOLDS = 5


def train(texts: list[str], labels: list[int], groups: list[str]) -> dict[str, Any]:
    """Fit on train and dev together; C and the decision threshold are chosen for macro F1 on out-of-fold
    scores of a 5-fold split by trial (one dev split of 200 trials chose an unstable threshold)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold

    x, y = features(texts), np.array(labels)
    folds = list(GroupKFold(FOLDS).split(x, y, groups))
    best: tuple[float, float, float] | None = None
    for c in C_GRID:
        scores = np.zeros(len(y))
        for fit_rows, score_rows in folds:
            clf = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
            clf.fit(x[fit_rows], y[fit_rows])
            scores[score_rows] = clf.decision_function(x[score_rows])
        for threshold in [round(t / 8, 3) for t in range(-16, 17)]:
            f1 = float(f1_score(y, (scores >= threshold).astype(int), average="macro"))
            if best is None or f1 > best[0]:
                best = (f1, c, threshold)
    if best is None:  # pragma: no cover - the loops above always run
        raise RuntimeError("no triage model was fitted")
    f1, c, threshold = best
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    clf.fit(x, y)
    coef = clf.coef_[0]
    nonzero = [(int(i), round(float(coef[i]), 5)) for i in coef.nonzero()[0]]
    return {
        "version": 1,
        "n_features": N_FEATURES,
        "word_ngrams": [1, 2],
        "char_ngrams": [3, 5],
        "C": c,
        "threshold": threshold,
        "cv_macro_f1": round(f1, 4),
        "intercept": float(clf.intercept_[0]),
        "weights": nonzero,
    }


@cache
def _analyzers() -> tuple[Any, Any]:
    words, chars = _vectorisers()
    return words.build_analyzer(), chars.build_analyzer()


@lru_cache(maxsize=2**16)
def _index(gram: str) -> int:
    """The column ``HashingVectorizer`` gives ``gram`` (signed murmurhash3 of its UTF-8 bytes, seed 0;
    ``abs(h) % n``; Python's integers make ``abs(-2**31)`` exact, as sklearn special-cases it)."""
    from sklearn.utils import murmurhash3_32

    return abs(int(murmurhash3_32(gram, seed=0))) % N_FEATURES


@lru_cache(maxsize=2**15)
def _word_columns(word: str) -> tuple[int, ...]:
    """The character-n-gram columns of one lower-cased word (the ``char_wb`` analyzer pads each word alone)."""
    return tuple(_index(g) for g in _analyzers()[1](word))


class TriageModel:
    def __init__(self, data: dict[str, Any]) -> None:
        import numpy as np

        if data.get("version") != 1 or data.get("n_features") != N_FEATURES:
            raise ValueError("triage model was built with other features; retrain with 'extractor train triage'")
        self.threshold = float(data["threshold"])
        self.intercept = float(data["intercept"])
        self.weights = np.zeros(2 * N_FEATURES)
        for i, w in data["weights"]:
            self.weights[i] = w

    def scores(self, texts: list[str]) -> list[float]:
        """``features(texts) @ weights + intercept``, without a sparse matrix: on a trial's few short criteria,
        scipy's and sklearn's per-call overhead was most of the pipeline's triage time. Each block (words,
        characters) is L2-normalised per text, as the vectorisers' ``norm="l2"``."""
        import numpy as np

        if not texts:
            return []
        margin = np.full(len(texts), self.intercept)
        words = _analyzers()[0]
        blocks = (
            (0, [[_index(g) for g in words(t)] for t in texts]),
            # character n-grams never cross a word ("char_wb"): a word's columns are computed once
            (N_FEATURES, [[i for w in t.lower().split() for i in _word_columns(w)] for t in texts]),
        )
        for offset, grams in blocks:
            rows = np.repeat(np.arange(len(texts)), [len(g) for g in grams])
            columns = np.fromiter((i for g in grams for i in g), dtype=np.int64, count=len(rows))
            # n-gram counts per (text, column): the squared norm of each text's row
            keys, counts = np.unique(rows * N_FEATURES + columns, return_counts=True)
            norm = np.sqrt(np.bincount(keys // N_FEATURES, weights=counts.astype(float) ** 2, minlength=len(texts)))
            dot = np.bincount(rows, weights=self.weights[offset + columns], minlength=len(texts))
            margin += np.divide(dot, norm, out=np.zeros(len(texts)), where=norm > 0)
        return [float(m) for m in margin]

    def needs_person(self, texts: list[str]) -> list[float]:
        """Probability-like score (logistic of the margin, shifted so 0.5 is the chosen threshold)."""
        return [1 / (1 + math.exp(-(s - self.threshold))) for s in self.scores(texts)]


def save(model: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "model.json"
    path.write_text(json.dumps(model, separators=(",", ":")), encoding="utf-8")
    return path


@cache
def load(path: Path | None = None) -> TriageModel | None:
    """The trained model, or ``None`` when none has been trained (everything runs without it)."""
    path = path or DEFAULT_DIR / "model.json"
    if not path.exists():
        return None
    return TriageModel(json.loads(path.read_text(encoding="utf-8")))
