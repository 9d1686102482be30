"""``extractor_lexicon``: tag concept mentions from the packaged lexicons as ``doc.ents``."""

# no "from __future__ import annotations": spaCy validates factory signatures at run time

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .. import gazetteer
from ..lexicon import LEXICONS, Concept, ConceptMatcher, _load_one, find_with, matcher

if not Span.has_extension("concept"):
    Span.set_extension("concept", default=None)
if not Doc.has_extension("mentions"):
    # the matcher's own character offsets: a token can be wider than a mention ("saturation>92%")
    Doc.set_extension("mentions", default=None)


@Language.factory(
    "extractor_lexicon",
    default_config={"lexicons": list(LEXICONS), "use_gazetteer": True, "gazetteer_path": ""},
    assigns=["doc.ents", "span._.concept", "doc._.mentions"],
)
def make_lexicon(
    nlp: Language, name: str, *, lexicons: list[str], use_gazetteer: bool, gazetteer_path: str
) -> "LexiconTagger":
    return LexiconTagger(nlp, name, lexicons=lexicons, use_gazetteer=use_gazetteer, gazetteer_path=gazetteer_path)


class LexiconTagger:
    """Finds concept mentions with :class:`~extractor.lexicon.ConceptMatcher` and sets them as entities."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        lexicons: list[str],
        use_gazetteer: bool = True,
        gazetteer_path: str = "",
    ) -> None:
        unknown = [s for s in lexicons if s not in LEXICONS]
        if unknown:
            raise ValueError(f"unknown lexicon(s) {unknown}; known: {list(LEXICONS)}")
        self.name = name
        self.lexicons = list(lexicons)
        self.matcher: ConceptMatcher = matcher(tuple(lexicons))
        self._texts: dict[str, str] | None = None  # set when loaded from disk
        # the learned gazetteer (models/chia-gazetteer) fills what the rules leave, when trained
        self.gazetteer: ConceptMatcher | None = None
        self._gazetteer_text: str | None = None
        if use_gazetteer:
            path = Path(gazetteer_path) if gazetteer_path else gazetteer.DEFAULT_DIR / "gazetteer.jsonl"
            if path.exists():
                self._gazetteer_text = path.read_text(encoding="utf-8")
                self.gazetteer = gazetteer.load(path)

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        text = doc.text  # spaCy rebuilds this from the tokens on every access: once is enough
        doc.user_data["extractor_text"] = text
        mentions = find_with(self.matcher, self.gazetteer, text)
        doc._.mentions = mentions
        for m in mentions:
            span = doc.char_span(m.start, m.end, label=m.concept.label, alignment_mode="expand")
            if span is None:
                continue
            span._.concept = m.concept
            spans.append(span)
        existing = list(doc.ents) if doc.has_annotation("ENT_IOB") else []
        if existing or any(a.end > b.start for a, b in pairwise(spans)):
            spans = filter_spans([*existing, *spans])  # "expand" made two mentions share a token
        doc.ents = spans
        return doc

    def concept(self, concept_id: str) -> Concept | None:
        return self.matcher.concepts.get(concept_id)

    # -- serialisation: the lexicons themselves travel with the pipeline --------
    def to_disk(self, path: str | Path, *, exclude: Any = tuple()) -> None:
        from importlib import resources

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "cfg.json").write_text(json.dumps({"lexicons": self.lexicons}), encoding="utf-8")
        if self._gazetteer_text is not None:
            (path / "gazetteer.jsonl").write_text(self._gazetteer_text, encoding="utf-8")
        for stem in self.lexicons:
            if self._texts is not None:
                text = self._texts.get(stem, "")
            else:
                try:
                    text = resources.files("extractor.resources").joinpath(f"{stem}.jsonl").read_text(encoding="utf-8")
                except FileNotFoundError:
                    text = ""
            (path / f"{stem}.jsonl").write_text(text, encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Any = tuple()) -> "LexiconTagger":
        path = Path(path)
        cfg = json.loads((path / "cfg.json").read_text(encoding="utf-8"))
        self.lexicons = list(cfg["lexicons"])
        self._texts = {}
        entries = []
        for stem in self.lexicons:
            text = (path / f"{stem}.jsonl").read_text(encoding="utf-8")
            self._texts[stem] = text
            entries.extend(_load_one(stem, LEXICONS[stem], text))
        self.matcher = ConceptMatcher(entries)
        gaz = path / "gazetteer.jsonl"
        self._gazetteer_text = gaz.read_text(encoding="utf-8") if gaz.exists() else None
        self.gazetteer = gazetteer.load(gaz) if gaz.exists() else None
        return self
