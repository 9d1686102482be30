"""Negation, pseudo-negation, history, hypotheticals, family, exceptions and conditions.

Sentences are real: from the showcase protocol, Chia (chia:NCT…) and LCT (lct:NCT…).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extractor import ParsedTrial, parse_file, parse_text
from extractor.components.context import load_rules
from extractor.errors import ResourceError
from extractor.scope import condition_prefix, exception_scopes, is_exception_list

SHOWCASE = Path(__file__).resolve().parents[1] / "examples" / "NCT06581081.txt"
FLAGS = ("negated", "historical", "hypothetical", "family", "exception")


def flags_of(text: str, surface: str) -> set[str]:
    trial = parse_text(text)
    for node in trial.walk():
        for e in node.entities:
            if surface.lower() in e["text"].lower() and e["label"] not in ("Value", "Temporal"):
                return {f for f in FLAGS if e[f]}
    raise AssertionError(f"{surface!r} not tagged in {text!r}")


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        # negation
        ("No history of seizures", "seizures", {"negated"}),  # chia: "no history of" is one cue
        ("No history of seizures", "history", set()),  # ... and "history" is part of it, not negated
        ("Patients without brain metastases", "brain metastases", {"negated"}),
        ("Negative for HIV", "HIV", {"negated"}),
        ("No evidence of active tuberculosis", "tuberculosis", {"negated"}),
        ("Absence of heart failure", "heart failure", {"negated"}),
        # pseudo-negations of this genre are not negation
        (
            "History of CNS disease, including but not limited to epilepsy, paralysis, aphasia",
            "epilepsy",
            {"historical"},
        ),
        ("No more than 2 prior chemotherapy regimens", "chemotherapy", {"historical"}),  # chia-style
        ("Expected survival period is not less than 12 weeks", "expected survival period", set()),  # showcase
        ("Systemic corticosteroid treatment not exceeding 10 mg/day of prednisone", "prednisone", set()),  # showcase
        # "those with X need to be excluded" excludes the patient; X is not negated (showcase exclusion 9)
        ("Those who tested positive for hepatitis C virus antibody need to be excluded", "hepatitis C", set()),
        # history
        ("Previous hematopoietic stem cell transplantation", "hematopoietic stem cell transplantation", {"historical"}),
        ("History of autoimmune disease", "autoimmune disease", {"historical"}),
        # hypothetical / planned
        ("Planned major surgery during the study", "major surgery", {"hypothetical"}),
        ("Subjects who are expected to undergo major surgery during the study", "major surgery", {"hypothetical"}),
        # family
        ("Family history of sudden cardiac death or long QT syndrome", "long QT syndrome", {"family"}),
        # exception
        (
            "Other malignancy within 5 years except adequately treated basal cell carcinoma",
            "basal cell carcinoma",
            {"exception"},
        ),
        ("Major surgery (except routine biopsy) within 4 weeks", "routine biopsy", {"exception"}),
    ],
)
def test_context_families(text: str, surface: str, expected: set[str]) -> None:
    assert flags_of(text, surface) == expected


@pytest.fixture(scope="module")
def showcase() -> ParsedTrial:
    return parse_file(SHOWCASE)


def entity(trial: ParsedTrial, node_id: str, surface: str) -> dict[str, Any]:
    return next(e for e in trial.find(node_id).entities if e["text"] == surface)


def test_showcase_exclusion_3(showcase: ParsedTrial) -> None:
    for example in ("epilepsy", "paralysis", "aphasia", "stroke", "dementia", "Parkinson's disease", "neuropathy"):
        assert not entity(showcase, "exclusion/3", example)["negated"], example
        assert not entity(showcase, "exclusion/3", example)["exception"], example
    assert entity(showcase, "exclusion/3", "inactive CNS leukemia")["exception"]


def test_showcase_inline_and_list_exceptions(showcase: ParsedTrial) -> None:
    assert entity(showcase, "exclusion/14", "alopecia")["exception"]
    assert entity(showcase, "exclusion/14", "pigmentation")["exception"]
    assert not entity(showcase, "exclusion/14", "toxicity")["exception"]
    for parent, n in (("exclusion/15", 4), ("exclusion/20", 2)):
        node = showcase.find(parent)
        assert len(node.children) == n and all(child.exception for child in node.children)
        assert not node.exception
    assert entity(showcase, "exclusion/20/2", "Localized basal cell carcinoma")["exception"]


def test_showcase_inclusion_6_is_an_implication_with_an_exception(showcase: ParsedTrial) -> None:
    node = showcase.find("inclusion/6")
    assert node.condition is not None
    assert node.condition["text"] == "For patients with Philadelphia chromosome-positive ALL (Ph+ ALL)"
    s, e = node.condition["span"]
    assert showcase.eligibility_text[s:e] == node.condition["text"]
    assert entity(showcase, "inclusion/6", "T315I mutations")["exception"]
    # the long form and its abbreviation are one mention
    assert not entity(showcase, "inclusion/6", "tyrosine kinase inhibitor (TKI)")["exception"]
    assert not entity(showcase, "inclusion/6", "TKI treatment")["exception"]


@pytest.mark.parametrize(
    ("text", "scoped"),
    [
        (
            "Prior malignancy, except for adequately treated basal cell carcinoma; HIV",
            ["except for adequately treated basal cell carcinoma"],
        ),
        ("Surgery (other than minor procedures) within 4 weeks", ["other than minor procedures"]),
        (
            "Any steroid use, unless for adrenal replacement, the patient must be off",
            ["unless for adrenal replacement"],
        ),
        ("including but not limited to epilepsy", []),
        ("Diagnosed with any other respiratory disease besides asthma", ["besides asthma"]),  # lct
        ("conditions other than T1D known to affect bone health (i.e., hypothyroidism)", ["other than T1D"]),  # lct
        ("overweight but not obese", []),  # lct: a negation, not an exception
        # permissions carve out too (gold NCT00461097, NCT00002438, NCT00002420)
        (
            "Chronic disease requiring therapy. Participants who have asthma, atopic dermatitis, or rhinitis are "
            "not excluded.",
            ["asthma, atopic dermatitis, or rhinitis"],
        ),
        ("Investigational drugs (expanded access drugs are acceptable).", ["expanded access drugs"]),
        (
            "Radiation therapy within 30 days of study entry. (Local radiation therapy is allowed.)",
            ["Local radiation therapy"],
        ),
        ("Patients who are not excluded by the investigator", []),
        # gold NCT00494884 exclusion/3/5: two criteria run together, the line break lost
        (
            "Clinically significant laboratory abnormalities, confirmed by repeat measurement, other than "
            "hyperglycemia, hyperinsulinemia, and glycosuria at visit 1 Treatment with any oral anti-diabetic "
            "other than metformin within 3 months prior to visit 1",
            [
                "other than hyperglycemia, hyperinsulinemia, and glycosuria at visit 1",
                "other than metformin",  # the window times the anti-diabetic, not the exception
            ],
        ),
    ],
)
def test_exception_scopes(text: str, scoped: list[str]) -> None:
    assert [text[s:e] for s, e in exception_scopes(text)] == scoped


def test_exception_list_and_condition_cues() -> None:
    assert is_exception_list("…within 5 years before signing the ICF, except for the following:")
    assert not is_exception_list("Major organ functions must meet the following requirements:")
    text = "If female, must not be of childbearing potential or must agree to use contraception"  # lct
    span = condition_prefix(text)
    assert span is not None and text[span[0] : span[1]] == "If female"
    assert condition_prefix("Patients with diabetes, hypertension or both") is None


def test_context_rules_are_validated() -> None:
    with pytest.raises(ResourceError, match="category must be one of"):
        load_rules(text='{"category": "MAYBE", "literal": "perhaps", "direction": "FORWARD"}')
    with pytest.raises(ResourceError, match="unknown key"):
        load_rules(text='{"category": "PSEUDO", "literal": "x", "direction": "PSEUDO", "scope": 3}')
    assert len(load_rules()) > 150


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        # chia:NCT00962364_inc: "with or without" negates nothing
        ("ischemic cardiomyopathy with or without previous myocardial infarction", "myocardial infarction", set()),
        # chia:NCT00650312_inc, NCT01217671_inc: "non-" negates the mention it prefixes ...
        ("Sex: Male and non-pregnant, non-lactating female", "lactating", {"negated"}),
        ("Non-pregnant, non-lactating female patients", "pregnant", {"negated"}),
        # ... but not a name that starts with it
        ("Histologically confirmed non-small cell lung cancer", "lung cancer", set()),
        ("Non-insulin dependent diabetes mellitus controlled with oral hypoglycemic agents", "diabetes", set()),
        # chia:NCT02804646_exc: a negation ends at ";"
        (
            "female patients of childbearing potential but did not take contraceptive measures; existing severe "
            "acute infection",
            "infection",
            set(),
        ),
        # chia:NCT03376763_exc: the examples after ", including" are the head's, not the exception's
        (
            "Subjects with a current DSM-IV-TR diagnosis other than schizophrenia, including schizoaffective "
            "disorder, major depressive disorder, bipolar disorder",
            "bipolar disorder",
            set(),
        ),
        # a negation ends where a time anchor begins: what is done "before surgery" is negated, not the surgery
        ("No narcotic before surgery as premedication", "narcotic", {"negated"}),  # chia:NCT03132259_inc
        ("No narcotic before surgery as premedication", "surgery", set()),
        ("Patients weighing = 80 pounds who are not -intubated prior to surgery,", "surgery", set()),  # NCT02822001
        # chia:NCT00397215_exc: the window after the exception is the head's ("other than the study vaccine")
        (
            "Use of any investigational or non-registered product (drug or vaccine) other than the study "
            "vaccine(s) within 30 days prior to the first vaccination",
            "vaccination",
            set(),
        ),
        # chia:NCT02003339_exc: what "No" negates is unnamed; its examples, past the anchor, are negated with it
        (
            "No antiangiogenic concomitant treatment, 15 days before and 15 days after radioembolization, "
            "including Sorafenib",
            "Sorafenib",
            {"negated"},
        ),
    ],
)
def test_context_found_on_chia(text: str, surface: str, expected: set[str]) -> None:
    assert flags_of(text, surface) - {"historical"} == expected


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        ("HIV negative", "HIV", {"negated"}),  # gold NCT00003757
        ("Hepatitis B surface antigen negative and HIV negative", "Hepatitis B surface antigen", {"negated"}),
        ("Negative ELISA for HIV.", "HIV", {"negated"}),  # gold NCT00001019
        # "negative" looks back two tokens only: the cancer of a HER2-negative cancer is there
        ("Patients with metastatic breast cancer that is HER2 negative", "breast cancer", set()),
    ],
)
def test_negative_after_what_it_negates(text: str, surface: str, expected: set[str]) -> None:
    assert flags_of(text, surface) == expected


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        # ctgov NCT02071082: "negative" is the antibody test's result, so the infection is negated too
        ("Acute Hepatitis A virus (HAV) immunoglobulin M (IgM) negative", "Hepatitis A", {"negated"}),
        ("Acute Hepatitis A virus (HAV) immunoglobulin M (IgM) negative", "IgM", {"negated"}),
        ("Acute Hepatitis A virus (HAV) immunoglobulin M (IgM) positive", "Hepatitis A", set()),
    ],
)
def test_a_negative_antibody_test_negates_its_infection(text: str, surface: str, expected: set[str]) -> None:
    assert flags_of(text, surface) == expected


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("With an indication for cardioversion in the case of persistent AF", "in the case of persistent AF"),
        ("Persistent atrial fibrillation lasting at least 7 days", None),
        ("Pregnancy (in the case of women of childbearing potential, a positive test)", None),
    ],
)
def test_a_condition_after_the_requirement(text: str, condition: str | None) -> None:
    found = condition_prefix(text)
    assert (text[found[0] : found[1]] if found else None) == condition
