"""Static word vectors for the entity recogniser, learned from unlabelled criteria.

No pretrained vectors can be downloaded here, so the recogniser's static vectors
are built from the eligibility texts themselves: count how often each word
occurs near each other word (a window of ``window`` tokens either side,
weighted 1/distance), turn the counts into positive pointwise mutual
information (context counts smoothed to the power 0.75), and keep the top
``dim`` singular directions (scikit-learn's randomized SVD, fixed seed), scaled
by the square roots of their singular values and normalised to unit length.
This is the count-based equivalent of word2vec (Levy, Goldberg and Dagan, TACL
2015). Words are counted in lower case; each row is keyed by the word as
written in lower case, capitalised and in capitals, since spaCy's static
vector layer looks rows up by the token's exact text.

The texts are the ClinicalTrials.gov criteria of ``../shared/corpora/ctgov``
and the Chia and LCT documents, minus every trial of Chia's dev and test
splits, so no text the recogniser is scored on is seen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ExtractorError


def token_lists(texts: Iterable[str], nlp: Any) -> list[list[str]]:
    """The lower-cased tokens of each text (whitespace dropped), with the pipeline's tokenizer."""
    return [[t.lower_ for t in doc if not t.is_space] for doc in nlp.tokenizer.pipe(texts, batch_size=200)]


def vocabulary(docs: list[list[str]], min_count: int) -> list[str]:
    """Words seen at least ``min_count`` times, most frequent first (ties in alphabetical order)."""
    counts = Counter(w for doc in docs for w in doc)
    return sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))


def cooccurrence(docs: list[list[str]], vocab: list[str], window: int) -> Any:
    """Symmetric word-by-word counts within ``window`` tokens, each pair weighted 1/distance (scipy CSR)."""
    import scipy.sparse as sp

    index = {w: i for i, w in enumerate(vocab)}
    rows: list[Any] = []
    cols: list[Any] = []
    weights: list[Any] = []
    for doc in docs:
        ids = np.fromiter((index.get(w, -1) for w in doc), dtype=np.int64, count=len(doc))
        for d in range(1, window + 1):
            a, b = ids[:-d], ids[d:]
            keep = (a >= 0) & (b >= 0)
            rows += [a[keep], b[keep]]
            cols += [b[keep], a[keep]]
            weights += [np.full(2 * int(keep.sum()), 1.0 / d)]
    n = len(vocab)
    if not rows:
        return sp.csr_matrix((n, n))
    r, c = np.concatenate(rows), np.concatenate(cols)
    w = np.concatenate(weights)
    return sp.coo_matrix((w, (r, c)), shape=(n, n)).tocsr()


def ppmi(counts: Any, alpha: float = 0.75) -> Any:
    """Positive pointwise mutual information of a co-occurrence matrix, context counts smoothed by ``alpha``."""
    import scipy.sparse as sp

    coo = counts.tocoo()
    total = coo.data.sum()
    if total <= 0:
        return sp.csr_matrix(counts.shape)
    word = np.asarray(counts.sum(axis=1)).ravel() / total
    context = np.asarray(counts.sum(axis=0)).ravel() ** alpha
    context /= context.sum()
    pmi = np.log(coo.data / total) - np.log(word[coo.row]) - np.log(context[coo.col])
    keep = pmi > 0
    return sp.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=counts.shape)


def svd_vectors(matrix: Any, dim: int, seed: int = 13) -> Any:
    """Unit-length ``dim``-dimensional rows: U·sqrt(S) of a randomized truncated SVD."""
    from sklearn.utils.extmath import randomized_svd

    if dim >= min(matrix.shape):
        raise ExtractorError(f"vector size {dim} needs more than {min(matrix.shape)} words")
    u, s, _ = randomized_svd(matrix, n_components=dim, n_iter=5, random_state=seed)
    vectors = u * np.sqrt(s)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def build(
    texts: Iterable[str], out: Path, *, min_count: int = 5, dim: int = 100, window: int = 4, seed: int = 13
) -> dict[str, Any]:
    """Learn vectors from ``texts`` and save them as a spaCy pipeline (``out``) for ``[initialize] vectors``."""
    from spacy.vectors import Vectors

    from . import ner

    nlp = ner.blank()
    docs = token_lists(texts, nlp)
    vocab = vocabulary(docs, min_count)
    data = svd_vectors(ppmi(cooccurrence(docs, vocab, window)), dim, seed)
    keys = [nlp.vocab.strings.add(w) for w in vocab]
    table = Vectors(strings=nlp.vocab.strings, data=data, keys=keys)
    # spaCy looks vectors up by ORTH (a table's own key attribute is not saved with it): "Cirrhosis" and
    # "ECOG" share the row of "cirrhosis" and "ecog", as extra keys, not extra rows
    known = set(vocab)
    for row, word in enumerate(vocab):
        for variant in {word.capitalize(), word.upper()} - known:
            table.add(nlp.vocab.strings.add(variant), row=row)
            known.add(variant)
    nlp.vocab.vectors = table
    nlp.to_disk(out)
    return {"texts": len(docs), "tokens": sum(map(len, docs)), "words": len(vocab), "dim": dim, "window": window}
