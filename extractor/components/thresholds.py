"""``extractor_thresholds``: thresholds of a criterion as constraints, plus Value/Temporal/Demographic spans."""

# no "from __future__ import annotations": spaCy validates factory signatures at run time

from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from ..lexicon import Mention
from ..thresholds import Found, extract, temporal_phrases, value_label

if not Doc.has_extension("constraints"):
    Doc.set_extension("constraints", default=None)
if not Doc.has_extension("values"):
    Doc.set_extension("values", default=None)


def values_as_spans(doc: Doc) -> list[Any]:
    """The Value/Temporal character spans of ``doc`` as spaCy spans."""
    out = []
    for start, end, label in doc._.values or []:
        span = doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is not None:
            out.append(span)
    return out


@Language.factory("extractor_thresholds", default_config={}, assigns=["doc._.constraints", "doc._.values"])
def make_thresholds(nlp: Language, name: str) -> "ThresholdTagger":
    return ThresholdTagger(nlp, name)


class ThresholdTagger:
    """Stateless: its rules are the packaged ``comparators.jsonl`` and ``units.jsonl``."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        mentions = doc._.mentions
        if mentions is None:  # entities set by another component
            mentions = [Mention(e.start_char, e.end_char, e._.concept) for e in doc.ents if e._.concept is not None]
        text = doc.user_data.get("extractor_text") or doc.text
        found: list[Found] = extract(text, mentions)
        doc._.constraints = found
        # Value / Temporal spans as character offsets (a SpanGroup per doc costs more than the
        # whole threshold search); ``values_as_spans`` turns them into spaCy spans on demand
        values: list[tuple[int, int, str]] = []
        for f in found:
            # as Chia marks them: "within the last 6 months" is Temporal, "18 years or older" a Value
            label = value_label(f, text)
            if (f.span[0], f.span[1], label) not in values:
                values.append((f.span[0], f.span[1], label))
        for start, end in temporal_phrases(text):
            if not any(vs < end and start < ve for vs, ve, _ in values):
                values.append((start, end, "Temporal"))
        values.sort()
        doc._.values = values
        return doc

    def to_disk(self, path: Any, *, exclude: Any = tuple()) -> None:
        """Nothing to save: the rules ship with the package."""

    def from_disk(self, path: Any, *, exclude: Any = tuple()) -> "ThresholdTagger":
        return self
