"""Tag every criterion of a parsed trial: entities and thresholds (constraints).

One spaCy pipeline (``spacy.blank("en")`` + the project's registered
components) runs over the criterion texts with ``nlp.pipe``; results are
written back onto the :class:`~extractor.model.Criterion` nodes with spans
in the trial's cleaned eligibility text.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from itertools import pairwise
from typing import Any

from .model import Constraint, Criterion, ParsedTrial

FLAGS = ("negated", "historical", "hypothetical", "family", "exception")
_TIMED = {"Condition", "Drug", "Procedure", "Device"}
"""Concepts a window can time ("4 weeks since prior radiotherapy"): kept even inside the window's span."""
_NEGATED_LIST = re.compile(
    r"^\W*(?:(?:must|should|may|will|do|does)\s+not\s+(?:have|be|take|receive|use|need)|no|not|without)\b"
    r"[^:;.]{0,200}?\b(?:following|these|below)\b[^:;]{0,200}:",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"(?:informed\s+consent(?:\s+form)?|ICF|consent|(?:leuk)?apheresis|screening|randomi[sz]ation|enrol(?:l)?ment|"
    r"registration|study\s+entry|first\s+dose|infusion|baseline)",
    re.IGNORECASE,
)
"""A window's reference event ("4 weeks before apheresis"): not an entity of its own."""


def quiet_logs() -> None:
    """medspaCy logs at DEBUG through loguru; keep library logging quiet."""
    try:
        from loguru import logger

        logger.remove()
    except ImportError:  # pragma: no cover - loguru comes with medspaCy
        pass
    logging.getLogger("spacy").setLevel(logging.ERROR)


def build_nlp(
    *,
    lexicons: list[str] | None = None,
    gazetteer: bool = True,
    ner: bool = True,
    ner_path: str | None = None,
    context_rules: str | None = None,
) -> Any:
    """A fresh pipeline: tokenizer, ``extractor_lexicon`` (with the learned gazetteer when
    ``gazetteer`` and it has been trained), ``extractor_ner`` (when ``ner`` and
    ``models/chia-ner`` has been trained), ``extractor_context``, ``extractor_thresholds``."""
    from . import components  # noqa: F401  (registers the factories)
    from .ner import blank

    quiet_logs()
    nlp = blank()  # the project's tokenizer, the one the NER model was trained with
    config: dict[str, Any] = {"use_gazetteer": gazetteer}
    if lexicons is not None:
        config["lexicons"] = lexicons
    nlp.add_pipe("extractor_lexicon", config=config)
    if ner:
        from pathlib import Path

        from .ner import DEFAULT_DIR

        model = Path(ner_path) if ner_path else DEFAULT_DIR / "model"
        if (model / "config.cfg").exists():
            nlp.add_pipe("extractor_ner", config={"model_path": str(model)})
    nlp.add_pipe("extractor_context", config={"rules": context_rules} if context_rules else {})
    nlp.add_pipe("extractor_thresholds")
    return nlp


@cache
def default_nlp() -> Any:
    return build_nlp()


def _nodes(trial: ParsedTrial) -> list[Criterion]:
    return [n for n in trial.walk() if n.span is not None and n.section != "structured" and n.text.strip()]


def tag_trial(trial: ParsedTrial, nlp: Any = None) -> ParsedTrial:
    """Fill ``entities`` and ``constraints`` of every criterion of ``trial`` (in place; returned)."""
    tag_trials([trial], nlp)
    return trial


def tag_trials(trials: list[ParsedTrial], nlp: Any = None) -> list[ParsedTrial]:
    """:func:`tag_trial` for several trials at once: their criteria go through ``nlp.pipe`` and the triage
    model together, so the statistical recogniser works on full batches (a trial has a few dozen short
    criteria; batching many trials' criteria halved the recogniser's time, measured in
    ``benchmarks/tagging_vs_medspacy.py``). The result per trial is the same as tagging it alone."""
    from .scope import is_exception_list
    from .triage import load as load_triage
    from .triage import with_section

    nlp = nlp or default_nlp()
    nodes = [n for trial in trials for n in _nodes(trial)]
    for node, doc in zip(nodes, nlp.pipe(n.text for n in nodes), strict=True):
        apply_doc(node, doc)
        if node.heading and node.constraints:
            from_heading(node)
    model = load_triage()
    if model is not None and nodes:
        scores = model.needs_person([with_section(n.text, n.section) for n in nodes])
        for node, score in zip(nodes, scores, strict=True):
            node.needs_person = score
    # "..., except for the following: 1. ... 2. ...": the items carve out of their parent
    for trial in trials:
        for node in trial.walk():
            if node.children and is_exception_list(node.text):
                for child in node.children:
                    for item in child.walk():
                        item.exception = True
                        for entity in item.entities:
                            entity["exception"] = True
    return trials


def apply_doc(node: Criterion, doc: Any) -> None:
    """Copy a processed doc's entities and constraints onto ``node`` (spans made absolute)."""
    base = node.span[0] if node.span else 0
    entities: list[dict[str, Any]] = []
    text = doc.user_data.get("extractor_text") or doc.text
    values = doc._.values or []
    mentions = doc._.mentions
    if mentions is None:  # entities set by another component
        from .lexicon import Mention

        mentions = [Mention(e.start_char, e.end_char, e._.concept) for e in doc.ents if e._.concept is not None]
    flags = _context_flags(doc)
    scopes = doc._.exception_scopes or []
    condition = doc._.condition_scope
    if condition is not None:
        node.condition = {"text": text[condition[0] : condition[1]], "span": [base + condition[0], base + condition[1]]}
    for m in mentions:
        if any(vs <= m.start and m.end <= ve for vs, ve, _ in values) and (
            m.concept.label not in _TIMED or _EVENT.fullmatch(text[m.start : m.end])
        ):
            # "past" inside the window "within the past 6 months", "apheresis" in "4 weeks before apheresis";
            # not "radiotherapy" in "4 weeks since prior radiotherapy"
            continue
        entity = _entity(text[m.start : m.end], m.concept.label, base + m.start, base + m.end, m.concept)
        for (fs, fe), f in flags.items():
            if fs <= m.start and m.end <= fe:
                entity.update(f)
                break
        if m.concept.kind == "history":
            entity["negated"] = False  # "No history of X": X is negated, "history" is part of the cue
        elif _NON_PREFIX.search(text, max(0, m.start - 5), m.start):
            # "non-pregnant, non-lactating female", "nondiabetic": a name starting "non-" ("non-small cell
            # lung cancer") is matched whole, so a mention right after "non-" is negated by it
            entity["negated"] = True
        if any(s <= m.start and m.end <= e for s, e in scopes):
            entity["exception"] = True
            entity["negated"] = False  # "... are not excluded": the "not" negates the exclusion, not X
        if condition is not None and condition[0] <= m.start and m.end <= condition[1]:
            entity["condition"] = True
        entities.append(entity)
    for vs, ve, label in values:
        entities.append(_entity(text[vs:ve], label, base + vs, base + ve, None))
    entities.sort(key=lambda e: e["span"])
    lead = _NEGATED_LIST.match(text)
    if lead:  # "Must not have ... any of the following drugs: A, B, C": the listed items are negated too
        for e in entities:
            if e["span"][0] - base >= lead.end() and e["label"] not in ("Value", "Temporal"):
                e["negated"] = True
    _examples_share_negation(text, entities, base)
    _negative_test_of(text, entities, base)
    node.entities = entities
    constraints: list[Constraint] = []
    for found in doc._.constraints or []:
        c = found.constraint
        s, e = found.span
        c.span = (base + s, base + e)
        c.text = text[s:e]
        c.kind = found.extra.get("kind")
        c.reference = found.extra.get("reference")
        c.reference_text = found.extra.get("reference_text")
        c.direction = found.extra.get("direction")
        if found.concept_span is not None:
            c.concept_span = (base + found.concept_span[0], base + found.concept_span[1])
        constraints.append(c)
    node.constraints = constraints


_AGE_HEADING = re.compile(r"(?:patient\s+)?age(?:\s+at\s+(?:entry|enrol(?:l)?ment|diagnosis))?", re.I)


@cache
def heading_concept(heading: str) -> dict[str, Any] | None:
    """The concept a category heading names ("Age", "Performance status", "Life expectancy"), if it is one."""
    from .lexicon import matcher
    from .thresholds import AGE

    heading = heading.strip(" :-–")
    if _AGE_HEADING.fullmatch(heading):
        return dict(AGE)
    mentions = matcher().find(heading)
    if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end == len(heading):
        return mentions[0].concept.as_ref()
    return None


def from_heading(node: Criterion) -> None:
    """Thresholds with no concept of their own under a category heading take its concept.

    PDQ records write "Age:" or "Performance status:" on a line of their own and the threshold
    ("18 and over", "ECOG 0-2") on the items below; the heading is not a criterion, but it says
    what the bare number measures.
    """
    concept = heading_concept(node.heading or "")
    if concept is None:
        return
    for c in node.constraints:
        # "Performance status: WHO 0-2": a concept no code names ("WHO") yields to the heading's
        if (
            c.kind in ("window", "duration")
            or (c.concept or {}).get("code")
            or ((c.concept or {}).get("display") and concept.get("code") == "LOINC:30525-0")
        ):
            continue
        c.concept = dict(concept)
        if concept.get("code") == "LOINC:30525-0":
            c.kind = "age"
            if c.unit is None:
                c.unit = "a"


_CATEGORY_FLAGS = {
    "NEGATED_EXISTENCE": "negated",
    "HISTORICAL": "historical",
    "HYPOTHETICAL": "hypothetical",
    "FAMILY": "family",
}


def _context_flags(doc: Any) -> dict[tuple[int, int], dict[str, bool]]:
    """ConText's verdicts per entity span (character offsets), read off its few edges."""
    out: dict[tuple[int, int], dict[str, bool]] = {}
    graph = doc._.context_graph if doc.has_extension("context_graph") else None
    if graph is None or not graph.edges:
        return out
    for target, modifier in graph.edges:
        flag = _CATEGORY_FLAGS.get(modifier.category)
        if flag:
            out.setdefault((target.start_char, target.end_char), {})[flag] = True
    return out


_NON_PREFIX = re.compile(r"\bnon(?:-|\s)?$", re.IGNORECASE)
_EXAMPLES = re.compile(r"\b(?:including(?:\s+but\s+not\s+limited\s+to)?|such\s+as|e\.g\.|for\s+example)", re.I)
_CLAUSE_END = re.compile(r"[;.:](?:\s|$)")
_NEGATION_OPENS = re.compile(r"\W*(?:no|without|never|not)\b", re.IGNORECASE)


_NEGATIVE_AFTER = re.compile(r"[\s)\]]*(?:negative|neg\b)", re.IGNORECASE)


def _negative_test_of(text: str, entities: list[dict[str, Any]], base: int) -> None:
    """ "Hepatitis A virus (HAV) immunoglobulin M (IgM) negative": a negative antibody test of a condition
    negates the condition, which "negative" looks too far back to reach."""
    concepts = [e for e in entities if e["label"] not in ("Value", "Temporal")]
    for before, test in pairwise(concepts):
        if (
            before["label"] == "Condition"
            and test["label"] == "Measurement"
            and not (test.get("concept") or {}).get("code")
            and test["negated"]
            and not text[before["span"][1] - base : test["span"][0] - base].strip(" \t\n()[]")
            and _NEGATIVE_AFTER.match(text, test["span"][1] - base)
        ):
            before["negated"] = True


def _examples_share_negation(text: str, entities: list[dict[str, Any]], base: int) -> None:
    """ "No antiangiogenic treatment, 15 days before radioembolization, including Sorafenib": the examples
    of what "No" negates are negated with it, wherever the cue's own reach stopped."""
    concepts = [e for e in entities if e["label"] not in ("Value", "Temporal") and not e["exception"]]
    for cue in _EXAMPLES.finditer(text):
        end = _CLAUSE_END.search(text, cue.end())
        stop = end.start() if end else len(text)
        opened = [m.end() for m in _CLAUSE_END.finditer(text, 0, cue.start())]
        clause = opened[-1] if opened else 0
        before = [e for e in concepts if clause <= e["span"][0] - base and e["span"][1] - base <= cue.start()]
        # an unnamed head right after "No" ("No antiangiogenic treatment ..., including Sorafenib"); a named
        # head's examples keep their own flags (Chia and LCT do not mark them negated)
        if before or not _NEGATION_OPENS.match(text, clause, cue.start()):
            continue
        for e in concepts:
            if cue.end() <= e["span"][0] - base and e["span"][1] - base <= stop:
                e["negated"] = True


def _entity(text: str, label: str, start: int, end: int, concept: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"text": text, "label": label, "span": [start, end]}
    out.update({flag: False for flag in FLAGS})
    if concept is not None:
        out["concept"] = concept.as_ref()
    return out
