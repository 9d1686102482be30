"""``extractor_ner``: the statistical recogniser of ``models/chia-ner`` filling what the rules left.

It runs after ``extractor_lexicon``: the trained ``tok2vec`` + ``ner`` predict on
a copy of the tokens, and a predicted entity is kept only where no rule mention
(or earlier entity) lies, so rules win on the spans they own. Kept entities get a
:class:`~extractor.lexicon.Concept` with no code (``source="model"``) and join
``doc._.mentions`` so thresholds and context see them like any other mention.
"""

# no "from __future__ import annotations": spaCy validates factory signatures at run time

from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .. import ner
from ..lexicon import Concept, Mention
from .lexicon import Span  # noqa: F401  (registers Span._.concept)


@Language.factory(
    "extractor_ner",
    default_config={"model_path": "", "labels": list(ner.LABELS)},
    assigns=["doc.ents", "span._.concept", "doc._.mentions"],
)
def make_ner(nlp: Language, name: str, *, model_path: str, labels: list[str]) -> "ModelTagger":
    return ModelTagger(nlp, name, model_path=model_path, labels=labels)


def merge(
    doc: Doc, predicted: list[tuple[int, int, str]], labels: set[str], ents: list[Any] | None = None
) -> list[Mention]:
    """Mentions for the ``(start_char, end_char, label)`` predictions no existing entity (``ents``, default
    ``doc.ents``) or mention touches."""
    taken = [(e.start_char, e.end_char) for e in (doc.ents if ents is None else ents)]
    taken.extend((m.start, m.end) for m in doc._.mentions or [])
    added = []
    for start, end, label in predicted:
        # a line break inside a criterion is a whitespace token the model can take in: "cytotoxic\n   "
        while start < end and doc.text[start].isspace():
            start += 1
        while end > start and doc.text[end - 1].isspace():
            end -= 1
        if start == end or label not in labels or any(s < end and start < e for s, e in taken):
            continue
        text = doc.text[start:end]
        concept = Concept(id=f"model:{label}:{text.lower()}", display=text, code=None, label=label, source="model")
        added.append(Mention(start, end, concept))
        taken.append((start, end))
    return added


class ModelTagger:
    """Adds the trained model's entities where the rules found none."""

    def __init__(self, nlp: Language, name: str, *, model_path: str = "", labels: list[str] | None = None) -> None:
        self.name = name
        self.labels = set(labels or ner.LABELS)
        self.path = Path(model_path) if model_path else ner.DEFAULT_DIR / "model"
        self.model: Any = ner.load(self.path)

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Any, batch_size: int = 256) -> Any:
        """Batch the model's work: its components run over copies of a batch of docs."""
        from spacy.util import minibatch

        if self.model is None:
            yield from docs
            return
        for batch in minibatch(docs, size=batch_size):
            copies = [
                Doc(self.model.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]) for d in batch
            ]
            for _, proc in self.model.pipeline:
                copies = list(proc.pipe(copies))
            for doc, copy in zip(batch, copies, strict=True):
                self._add(doc, [(e.start_char, e.end_char, e.label_) for e in copy.ents])
                yield doc

    def _add(self, doc: Doc, predicted: list[tuple[int, int, str]]) -> None:
        if not predicted:
            return
        spans = list(doc.ents)
        added = merge(doc, predicted, self.labels, spans)
        if not added:
            return
        for m in added:
            span = doc.char_span(m.start, m.end, label=m.concept.label)
            if span is not None:
                span._.concept = m.concept
                spans.append(span)
        doc.ents = sorted(spans, key=lambda s: s.start)
        doc._.mentions = sorted([*(doc._.mentions or []), *added], key=lambda m: m.start)

    # -- serialisation: the trained model travels with the pipeline ---------------
    def to_disk(self, path: str | Path, *, exclude: Any = tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self.model is not None:
            self.model.to_disk(path / "model")

    def from_disk(self, path: str | Path, *, exclude: Any = tuple()) -> "ModelTagger":
        path = Path(path)
        self.path = path / "model"
        self.model = ner.load(self.path)
        return self
