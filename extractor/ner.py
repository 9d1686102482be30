"""A statistical entity recogniser trained with spaCy's own training on Chia.

The data is Chia's brat annotation turned into spaCy ``DocBin`` files, one
``Doc`` per criterion line (the unit the pipeline tags), tokenised with the
pipeline's own tokenizer (:func:`make_tokenizer`), on the documented split of
:func:`extractor.evaluate.split_ids` (by trial, seed 13, 80/10/10). Where Chia's
spans overlap (nested or discontinuous entities), the longest span is kept; a
discontinuous entity is trained on its covering span, as it is scored.

The training configuration is ``extractor/resources/ner.cfg`` (a ``tok2vec`` +
``ner`` pipeline from ``spacy init config --optimize efficiency`` with the
project's tokenizer, a fixed seed and a bounded number of steps). The trained
pipeline lives in ``models/chia-ner/`` and runs inside the project's pipeline
as the ``extractor_ner`` component, after the rules: it only fills spans no rule
mention covers.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import spacy
from spacy.tokens import Doc, DocBin
from spacy.util import filter_spans

from .evaluate.brat import BratDocument

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "models" / "chia-ner"
LABELS: tuple[str, ...] = ("Condition", "Drug", "Procedure", "Measurement", "Observation", "Device")
"""What the model learns; values, times and demographics stay with the rules (their spans are exact)."""


@spacy.registry.tokenizers("extractor.tokenizer.v1")
def make_tokenizer() -> Any:
    """spaCy's English tokenizer without its special cases and URL matching: the pipeline's tokenizer
    (:func:`extractor.tagging.build_nlp`) and the one the model is trained with. Special cases ("don't",
    "e.g.") and URL matching cost a quarter of the tokenizer's time and change nothing where every stage
    works in character offsets."""

    default = spacy.registry.tokenizers.get("spacy.Tokenizer.v1")()

    def create(nlp: Any) -> Any:
        tokenizer: Any = default(nlp)
        tokenizer.rules = {}
        tokenizer.url_match = None
        return tokenizer

    return create


def config_text() -> str:
    return resources.files("extractor.resources").joinpath("ner.cfg").read_text(encoding="utf-8")


Spans = list[tuple[int, int, str]]

LCT_LABELS = {"Condition-Name": "Condition", "Drug-Name": "Drug", "Procedure-Name": "Procedure"}
"""LCT's name spans that mean what Chia's labels mean (``docs/corpus-mapping.md``)."""
LCT_UNSURE = ("Observation-Name", "Immunization-Name", "Allergy-Name", "Organism-Name")
"""LCT names whose Chia label varies: "Observation-Name" is Chia's Measurement ("BMI"), Observation ("smoker")
or Condition ("pain"); "Allergy-Name" a drug or a food. Their tokens are left out of the loss (missing), neither
an entity nor outside one."""


def _by_line(text: str, ents: list[tuple[int, int, str]]) -> list[tuple[str, Spans]]:
    """``text`` cut at line breaks, each non-empty line with the ``(start, end, label)`` inside it (offsets
    relative to the line; a span crossing a line break is dropped: Chia has a handful)."""
    out = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        stripped = line.rstrip("\r")
        if not stripped.strip():
            continue
        inside = [(s - start, e - start, label) for s, e, label in ents if start <= s and e <= start + len(stripped)]
        out.append((stripped, inside))
    return out


def line_examples(text: str, doc: BratDocument, labels: Iterable[str] = LABELS) -> list[tuple[str, Spans]]:
    """One ``(line, [(start, end, label), ...])`` per non-empty line of a Chia document.

    Overlapping entities are resolved later by length.
    """
    from .evaluate.chia import gold_entities

    wanted = set(labels)
    return _by_line(text, [(g.start, g.end, g.label) for g in gold_entities(doc) if g.label in wanted])


def lct_line_examples(text: str, doc: BratDocument) -> list[tuple[str, Spans, Spans]]:
    """One ``(line, entities, missing)`` per non-empty line of an LCT document: its condition, drug and
    procedure names as entities (:data:`LCT_LABELS`), the names of :data:`LCT_UNSURE` as spans to leave out
    of the loss."""
    ents = [(e.start, e.end, LCT_LABELS[e.label]) for e in doc.entities.values() if e.label in LCT_LABELS]
    unsure = [(e.start, e.end, e.label) for e in doc.entities.values() if e.label in LCT_UNSURE]
    return [
        (line, spans, missing)
        for (line, spans), (_, missing) in zip(_by_line(text, ents), _by_line(text, unsure), strict=True)
    ]


def to_doc(nlp: Any, text: str, spans: Spans, missing: Spans | None = None) -> Doc:
    """``text`` tokenised by ``nlp`` with ``spans`` as entities (token-expanded; longest wins on overlap) and the
    tokens of ``missing`` (where no entity lies) unannotated, so the model is not taught they are outside one."""
    doc = nlp.make_doc(text)

    def made(found: Spans, label: str | None = None) -> list[Any]:
        out = []
        for start, end, lab in found:
            span = doc.char_span(start, end, label=label or lab, alignment_mode="expand")
            if span is not None and len(span):
                out.append(span)
        return out

    ents = filter_spans(made(spans))
    taken = {i for e in ents for i in range(e.start, e.end)}
    unsure = [s for s in filter_spans(made(missing or [], "MISSING")) if not taken.intersection(range(s.start, s.end))]
    doc.set_ents(ents, missing=unsure, default="outside")
    return doc


def build_docbins(
    docs: Iterable[tuple[str, str, BratDocument]],
    split: dict[str, list[str]],
    out: Path,
    *,
    lct: Iterable[tuple[str, str, BratDocument]] = (),
) -> dict[str, int]:
    """Write ``train.spacy`` / ``dev.spacy`` / ``test.spacy`` under ``out``; return lines per split.

    ``lct`` documents (:func:`lct_line_examples`) join the train split only (counted as ``train_lct``): model
    selection and scores stay on Chia."""
    nlp = blank()
    of = {doc_id: name for name, ids in split.items() for doc_id in ids}
    bins = {name: DocBin(store_user_data=False) for name in split}
    counts = dict.fromkeys(split, 0)
    for doc_id, text, ann in docs:
        name = of.get(doc_id)
        if name is None:
            continue
        for line, spans in line_examples(text, ann):
            bins[name].add(to_doc(nlp, line, spans))
            counts[name] += 1
    for _, text, ann in lct:
        for line, spans, missing in lct_line_examples(text, ann):
            bins["train"].add(to_doc(nlp, line, spans, missing))
            counts["train_lct"] = counts.get("train_lct", 0) + 1
    out.mkdir(parents=True, exist_ok=True)
    for name, db in bins.items():
        db.to_disk(out / f"{name}.spacy")
    return counts


def blank() -> Any:
    """A blank English pipeline with the project's tokenizer."""
    return spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "extractor.tokenizer.v1"}}})


def write_raw_text(records: Iterable[Any], held_out: set[str], out: Path) -> int:
    """Unlabelled criterion texts for ``spacy pretrain``, one JSON line each; trials in ``held_out``
    (Chia's dev and test trials) are left out so no evaluation text is seen. Returns the lines written."""
    import json

    from .pipeline import parse_record

    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for record in records:
            if isinstance(record, Exception) or record.trial_id in held_out or not record.eligibility.strip():
                continue
            for node in parse_record(record).walk():
                text = " ".join(node.text.split())
                if len(text) >= 15 and node.section != "structured":
                    fh.write(json.dumps({"text": text}) + "\n")
                    n += 1
    return n


def pretrain(data: Path, out: Path, *, overrides: dict[str, Any] | None = None) -> Path:
    """Run ``spacy pretrain`` (characters objective) on ``data/raw.jsonl``; return the last epoch's weights."""
    from spacy.cli.pretrain import pretrain as spacy_pretrain
    from spacy.util import load_config

    config = data / "config.cfg"
    config.write_text(config_text(), encoding="utf-8")
    settings = {"paths.raw_text": str(data / "raw.jsonl"), **(overrides or {})}
    out.mkdir(parents=True, exist_ok=True)
    spacy_pretrain(load_config(config, overrides=settings, interpolate=True), out)
    return sorted(out.glob("model*.bin"), key=lambda p: p.stat().st_mtime)[-1]


def train(data: Path, out: Path, *, init_tok2vec: Path | None = None, overrides: dict[str, Any] | None = None) -> Path:
    """Run ``spacy train`` (in process) on ``data/{train,dev}.spacy``; return the best model's folder."""
    from spacy.cli.train import train as spacy_train

    config = data / "config.cfg"
    config.write_text(config_text(), encoding="utf-8")
    settings = {"paths.train": str(data / "train.spacy"), "paths.dev": str(data / "dev.spacy")}
    if init_tok2vec is not None:
        settings["paths.init_tok2vec"] = str(init_tok2vec)
    settings.update(overrides or {})
    spacy_train(config, output_path=out, overrides=settings)
    return out / "model-best"


def load(path: Path | None = None) -> Any | None:
    """The trained pipeline (``tok2vec`` + ``ner``), or ``None`` when none has been trained."""
    path = path or DEFAULT_DIR / "model"
    if not (path / "config.cfg").exists():
        return None
    return spacy.load(path)
