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
from functools import cache
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
    texts: list[str] = []
    labels: list[int] = []
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
    return texts, labels


def train(
    train_texts: list[str], train_labels: list[int], dev_texts: list[str], dev_labels: list[int]
) -> dict[str, Any]:
    """Fit, choose C and the decision threshold on dev for macro F1; return the JSON-able model."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    x_train, x_dev = features(train_texts), features(dev_texts)
    best: tuple[float, float, float, Any] | None = None
    for c in (0.5, 1.0, 2.0, 4.0, 8.0):
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
        clf.fit(x_train, train_labels)
        scores = clf.decision_function(x_dev)
        for threshold in [x / 4 for x in range(-8, 9)]:
            f1 = f1_score(dev_labels, (scores >= threshold).astype(int), average="macro")
            if best is None or f1 > best[0]:
                best = (f1, c, threshold, clf)
    if best is None:  # pragma: no cover - the loops above always run
        raise RuntimeError("no triage model was fitted")
    f1, c, threshold, clf = best
    # C and the threshold are chosen on dev; the final model learns from train and dev together
    from scipy.sparse import vstack

    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    clf.fit(vstack([x_train, x_dev]), [*train_labels, *dev_labels])
    coef = clf.coef_[0]
    nonzero = [(int(i), round(float(coef[i]), 5)) for i in coef.nonzero()[0]]
    return {
        "version": 1,
        "n_features": N_FEATURES,
        "word_ngrams": [1, 2],
        "char_ngrams": [3, 5],
        "C": c,
        "threshold": threshold,
        "dev_macro_f1": round(f1, 4),
        "intercept": float(clf.intercept_[0]),
        "weights": nonzero,
    }


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
        if not texts:
            return []
        # the same as features(texts) @ weights, without stacking the two blocks on every call
        words, chars = _vectorisers()
        margin = words.transform(texts) @ self.weights[:N_FEATURES] + chars.transform(texts) @ self.weights[N_FEATURES:]
        return list(margin + self.intercept)

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
