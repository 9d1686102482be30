"""Static word vectors from unlabelled criteria: counts, PPMI, SVD, and the saved vector table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from extractor import ner
from extractor.errors import ExtractorError
from extractor.vectors import build, cooccurrence, ppmi, svd_vectors, token_lists, vocabulary


def test_tokens_are_lower_case_without_whitespace() -> None:
    assert token_lists(["No prior  Chemotherapy\n- ECOG 0-1"], ner.blank()) == [
        ["no", "prior", "chemotherapy", "-", "ecog", "0", "-", "1"]
    ]


def test_vocabulary_keeps_frequent_words_most_frequent_first() -> None:
    docs = [["b", "a", "b", "c"], ["a", "b"]]
    assert vocabulary(docs, 2) == ["b", "a"]  # c is seen once
    assert vocabulary(docs, 1) == ["b", "a", "c"]


def test_cooccurrence_is_symmetric_and_weighted_by_distance() -> None:
    counts = cooccurrence([["a", "b", "c"]], ["a", "b", "c"], window=2).toarray()
    assert counts[0, 1] == counts[1, 0] == 1.0  # neighbours
    assert counts[0, 2] == counts[2, 0] == 0.5  # two apart
    assert counts[0, 0] == 0.0
    assert cooccurrence([["a", "x", "b"]], ["a", "b"], window=1).nnz == 0  # an unknown word between them


def test_ppmi_keeps_only_positive_association() -> None:
    counts = cooccurrence([["a", "b"], ["a", "b"], ["c", "d"], ["a", "d"]], ["a", "b", "c", "d"], window=1)
    scores = ppmi(counts).toarray()
    assert (scores >= 0).all()
    assert scores[2, 3] > 0 and scores[0, 2] == 0  # c only ever beside d; a never beside c


def _corpus() -> list[list[str]]:
    """Cats and dogs share their contexts; cars have their own."""
    docs = []
    for i in range(30):
        docs += [["the", "cat", "eats", f"food{i % 3}"], ["the", "dog", "eats", f"food{i % 3}"]]
        docs += [["a", "car", "needs", f"fuel{i % 3}"], ["a", "truck", "needs", f"fuel{i % 3}"]]
    return docs


def test_svd_vectors_put_words_of_shared_contexts_together() -> None:
    docs = _corpus()
    vocab = vocabulary(docs, 1)
    table = svd_vectors(ppmi(cooccurrence(docs, vocab, 2)), dim=4)
    assert table.shape == (len(vocab), 4) and table.dtype == np.float32
    assert np.allclose(np.linalg.norm(table, axis=1), 1.0, atol=1e-5)
    v = {w: table[i] for i, w in enumerate(vocab)}
    assert v["cat"] @ v["dog"] > v["cat"] @ v["car"]
    assert v["car"] @ v["truck"] > v["car"] @ v["dog"]


def test_svd_needs_more_words_than_dimensions() -> None:
    docs = [["a", "b", "c"]]
    with pytest.raises(ExtractorError, match="vector size 5"):
        svd_vectors(ppmi(cooccurrence(docs, vocabulary(docs, 1), 2)), dim=5)


def test_build_saves_one_row_per_word_for_every_casing(tmp_path: Path) -> None:
    texts = [" ".join(doc) for doc in _corpus()]
    texts[0] = texts[0].replace("cat", "Cat")
    report = build(texts, tmp_path / "vectors", min_count=2, dim=4)
    assert report["dim"] == 4 and report["texts"] == len(texts) and report["words"] > 4
    nlp = ner.blank().from_disk(tmp_path / "vectors")
    vectors = nlp.vocab.vectors
    assert vectors.shape == (report["words"], 4)  # rows: words counted in lower case
    rows = {vectors.find(key=k) for k in ("cat", "Cat", "CAT")}
    assert len(rows) == 1 and rows != {-1}  # spaCy looks up the text as written: every casing finds the row
    assert vectors.find(key="dog") != vectors.find(key="cat")
