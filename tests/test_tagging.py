"""The spaCy pipeline: components, save/load round trip, tags attached to criteria."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from extractor import parse_text
from extractor.ner import DEFAULT_DIR as NER_DIR
from extractor.tagging import FLAGS, build_nlp


def test_pipeline_components_and_round_trip(tmp_path: Path) -> None:
    nlp = build_nlp()
    expected = ["extractor_lexicon", "extractor_context", "extractor_thresholds"]
    if (NER_DIR / "model" / "config.cfg").exists():  # the trained recogniser joins after the rules
        expected.insert(1, "extractor_ner")
    assert nlp.pipe_names == expected
    assert build_nlp(ner=False).pipe_names == [n for n in expected if n != "extractor_ner"]
    text = "Total bilirubin ≤ 1.5 x ULN and creatinine clearance ≥ 60 mL/min within 4 weeks before screening"
    before = nlp(text)
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    after = loaded(text)
    assert [(e.text, e.label_) for e in after.ents] == [(e.text, e.label_) for e in before.ents]
    got = [f.constraint.as_dict() for f in after._.constraints]
    assert got == [f.constraint.as_dict() for f in before._.constraints]
    assert len(after._.constraints) >= 2


def test_constraints_and_entities_are_attached_with_absolute_spans() -> None:
    text = "Inclusion Criteria:\n- Age 18 to 65 years\n- LVEF < 50% within 6 months before screening\n"
    trial = parse_text(text)
    age = trial.find("inclusion/1")
    assert [(c.concept["code"], c.comparator, c.value, c.value_high, c.unit) for c in age.constraints] == [
        ("LOINC:30525-0", "between", 18, 65, "a")
    ]
    for node in trial.walk():
        for c in node.constraints:
            assert c.span is not None and trial.eligibility_text[c.span[0] : c.span[1]] == c.text
        for e in node.entities:
            assert trial.eligibility_text[e["span"][0] : e["span"][1]] == e["text"]
            assert all(e[flag] is False for flag in FLAGS)
    window = [c for c in trial.find("inclusion/2").constraints if c.kind == "window"]
    assert [(c.comparator, c.value, c.unit, c.reference, c.direction) for c in window] == [
        ("<=", 6, "mo", "screening", "before")
    ]


def test_untagged_parse_has_no_constraints() -> None:
    trial = parse_text("- LVEF < 50%\n", tag=False)
    assert trial.find("unspecified/1").constraints == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # gold NCT03508687: one drug, written twice
        ("and/or thiazolidinediones (TZDs) within the last 12 weeks", ["thiazolidinediones (TZDs)"]),
        # two concepts: both stay
        ("metformin (insulin allowed)", ["metformin", "insulin"]),
    ],
)
def test_a_long_form_and_its_abbreviation_are_one_mention(text: str, expected: list[str]) -> None:
    from extractor.lexicon import find_with, matcher

    assert [text[m.start : m.end] for m in find_with(matcher(), None, text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Chia sentences whose drug the lexicons had no code for
        ("calcium antagonists, Alimentary tract treatments, opioid analgesics", "ATC:C08"),
        ("In case of use of oral contraception women should have been stable", "ATC:G03A"),
        ("non-steroidal anti-inflammatory drugs(including COX-2 inhibitors)", "ATC:M01AH"),
        ("one additional cytotoxic regimen and/or PARP inhibitor for management of recurrent", "ATC:L01XK"),
        ("dextromethorphan in any form (eg, OTC cold medicines)", "ATC:R05DA09"),
        ("documented adverse reaction to acetaminophen or naproxen or celecoxib", "ATC:M01AH01"),
        ("barbiturates, benzodiazepine, cannabinoid, cocaine, opiates", "ATC:N01BC01"),
        # ctgov NCT00000268: the disorder, not the substance
        ("current adult ADHD current cocaine dependence", "ICD10CM:F14"),
    ],
)
def test_drug_lexicon_entries(text: str, expected: str) -> None:
    from extractor.lexicon import matcher

    assert expected in [m.concept.code for m in matcher().find(text)]
