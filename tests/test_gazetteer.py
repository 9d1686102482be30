"""The learned gazetteer: training rules, rules-win filling, save/load, pipeline round trip."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import spacy

from extractor import gazetteer
from extractor.lexicon import Concept, ConceptMatcher, find_with
from extractor.tagging import build_nlp


@dataclass
class G:
    start: int
    end: int
    label: str


def _doc(text: str, spans: list[tuple[str, str]]) -> tuple[str, str, list[G]]:
    gold = []
    for surface, label in spans:
        i = text.index(surface)
        gold.append(G(i, i + len(surface), label))
    return ("d", text, gold)


def test_training_keeps_frequent_pure_precise_forms() -> None:
    docs = [
        _doc("History of sarcoidosis.", [("sarcoidosis", "Condition")]),
        _doc("Active sarcoidosis requiring treatment.", [("sarcoidosis", "Condition")]),
        _doc("Prior nivolumab or ipilimumab.", [("nivolumab", "Drug"), ("ipilimumab", "Drug")]),
        _doc("Nivolumab within 4 weeks.", [("Nivolumab", "Drug")]),
        _doc("Rare thing once.", [("thing", "Condition")]),  # seen once: dropped
        _doc("the patients", [("patients", "Condition")]),
        _doc("patients again", [("patients", "Condition")]),  # a stop word: dropped
        _doc("Fatigue is common.", [("Fatigue", "Condition")]),
        _doc("Fatigue again.", [("Fatigue", "Observation")]),  # 50/50 labels: impure, dropped
        _doc("Lupus here.", [("Lupus", "Condition")]),
        _doc("Lupus there.", [("Lupus", "Condition")]),
        _doc("lupus anticoagulant test, lupus panel, lupus screen, lupus ab", []),  # imprecise: dropped
    ]
    rows, report = gazetteer.train(docs, lambda gold: gold)
    assert {r["display"]: r["kind"] for r in rows} == {"sarcoidosis": "Condition", "nivolumab": "Drug"}
    assert report["kept"] == 2


def test_rules_win_and_the_model_fills_the_rest() -> None:
    rules = ConceptMatcher([(Concept("r", "Asthma", "ICD10CM:J45", "Condition"), ["asthma"], [])])
    model = ConceptMatcher(
        [
            (Concept("g1", "severe asthma", None, "Condition", source="gazetteer"), ["severe asthma"], []),
            (Concept("g2", "nivolumab", None, "Drug", source="gazetteer"), ["nivolumab"], []),
        ]
    )
    found = find_with(rules, model, "severe asthma and nivolumab")
    assert [(m.concept.id, m.start, m.end) for m in found] == [("r", 7, 13), ("g2", 18, 27)]
    assert find_with(rules, None, "severe asthma and nivolumab") == found[:1]


def test_save_load_and_pipeline_round_trip(tmp_path: Path) -> None:
    rows = [{"id": "g1", "display": "sarcoidosis", "code": None, "synonyms": ["sarcoidosis"],
             "abbreviations": [], "kind": "Condition"}]  # fmt: skip
    path = gazetteer.save(rows, tmp_path / "gaz")
    loaded = gazetteer.load(path)
    assert loaded is not None
    assert [(m.concept.label, m.concept.source) for m in loaded.find("Active sarcoidosis")] == [
        ("Condition", "gazetteer")
    ]
    nlp = build_nlp(gazetteer=False)
    nlp.remove_pipe("extractor_lexicon")
    nlp.add_pipe("extractor_lexicon", first=True, config={"gazetteer_path": str(path)})
    text = "Active sarcoidosis and hypertension"
    before = [(e.text, e.label_) for e in nlp(text).ents]
    assert ("sarcoidosis", "Condition") in before and ("hypertension", "Condition") in before
    nlp.to_disk(tmp_path / "pipe")
    again = spacy.load(tmp_path / "pipe")
    assert [(e.text, e.label_) for e in again(text).ents] == before


def test_missing_model_means_rules_only(tmp_path: Path) -> None:
    assert gazetteer.load(tmp_path / "nothing.jsonl") is None
