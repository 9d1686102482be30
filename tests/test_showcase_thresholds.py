"""Every threshold of the showcase protocol (examples/NCT06581081.txt), read as a clinician would.

Each row: criterion id, concept (its code, or its display when it has no
code), comparator, value, value_high, unit, relative_to, when, and for time
windows (kind, reference event, direction).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extractor import ParsedTrial, parse_file

SHOWCASE = Path(__file__).resolve().parents[1] / "examples" / "NCT06581081.txt"

W = "window"
EXPECTED: list[tuple[Any, ...]] = [
    ("inclusion/2", "LOINC:30525-0", "between", 12, 65, "a", None, None, None),
    ("inclusion/3", "Life expectancy", ">=", 12, None, "wk", None, None, None),
    ("inclusion/4", "LOINC:89247-1", "between", 0, 1, None, None, None, None),
    ("inclusion/5/1", "Relapse", "<=", 12, None, "mo", None, None, (W, None, "after")),
    ("inclusion/5/1", "relapse", ">=", 2, None, None, None, None, None),
    ("inclusion/5/2", "induction therapy", ">=", 2, None, None, None, None, None),
    ("inclusion/5/2", "salvage therapy", ">=", 1, None, None, None, None, None),
    ("inclusion/6", "ATC:L01E", ">=", 2, None, None, None, None, None),
    ("inclusion/7", "Bone marrow blasts", ">", 5, None, "%", None, None, None),
    ("inclusion/9/1", "LOINC:1920-8", "<=", 2.5, None, None, "ULN", None, None),
    ("inclusion/9/1", "LOINC:1742-6", "<=", 2.5, None, None, "ULN", None, None),
    ("inclusion/9/2", "LOINC:1975-2", "<=", 2, None, None, "ULN", None, None),
    ("inclusion/9/3", "LOINC:2164-2", ">=", 60, None, "mL/min", None, {"age": [18, None]}, None),
    ("inclusion/9/3", "LOINC:2160-0", "<=", 1.5, None, None, "ULN", {"age": [18, None]}, None),
    ("inclusion/9/4", "LOINC:2160-0", "<=", 1.2, None, "mg/dL", None, {"age": [10, 13]}, None),
    ("inclusion/9/4", "LOINC:2160-0", "<=", 1.5, None, "mg/dL", None, {"sex": "male", "age": [13, 16]}, None),
    ("inclusion/9/4", "LOINC:2160-0", "<=", 1.4, None, "mg/dL", None, {"sex": "female", "age": [13, 18]}, None),
    ("inclusion/9/4", "LOINC:2160-0", "<=", 1.7, None, "mg/dL", None, {"sex": "male", "age": [16, 18]}, None),
    ("inclusion/10", "LOINC:2708-6", ">", 92, None, "%", None, None, None),
    ("inclusion/11", "Contraception", "<=", 2, None, "a", None, None, (W, "first_dose", "after")),
    # "women within 2 years after menopause": part of the definition of childbearing age
    # (its concept is left unchecked: "menopause" is what it counts from, kept in reference_text)
    ("inclusion/11", None, "<=", 2, None, "a", None, None, (W, None, "after")),
    ("exclusion/5", "ATC:L04", "<=", 2, None, "a", None, None, (W, "informed_consent", "before")),
    ("exclusion/6", "Infection", "<=", 4, None, "wk", None, None, (W, "apheresis", "before")),
    ("exclusion/10/1", "LOINC:8636-3", ">=", 470, None, "ms", None, None, None),
    ("exclusion/10/2", "LOINC:88020-3", ">=", 2, None, None, None, None, None),
    ("exclusion/10/3", "ICD10CM:I20.0", "<=", 6, None, "mo", None, None, (W, "informed_consent", "before")),
    ("exclusion/10/3", "ICD10CM:I21", "<=", 6, None, "mo", None, None, (W, "informed_consent", "before")),
    ("exclusion/10/4", "LOINC:10230-1", "<", 50, None, "%", None, None, None),
    ("exclusion/10/5", "LOINC:8480-6", ">=", 150, None, "mm[Hg]", None, None, None),
    ("exclusion/10/5", "LOINC:8462-4", ">=", 95, None, "mm[Hg]", None, None, None),
    ("exclusion/12", "ATC:L01", "<=", 4, None, "wk", None, None, (W, "apheresis", "before")),
    ("exclusion/13", "SNOMED:108290001", "<=", 4, None, "wk", None, None, (W, "informed_consent", "before")),
    ("exclusion/13", "SNOMED:108290001", "<=", 2, None, "wk", None, None, (W, "informed_consent", "before")),
    # "has not recovered to grade 1": the exclusion is about a toxicity above grade 1
    ("exclusion/14", "Toxicity grade (CTCAE)", ">", 1, None, None, None, None, None),
    ("exclusion/15", "ATC:H02AB07", ">=", 10, None, "mg/d", None, None, None),
    ("exclusion/15", "ATC:H02", "<=", 2, None, "wk", None, None, (W, "informed_consent", "before")),
    ("exclusion/15", "ATC:L04", "<=", 2, None, "wk", None, None, (W, "informed_consent", "before")),
    ("exclusion/15", "ATC:H02", "<=", 2, None, "wk", None, None, (W, "apheresis", "before")),
    ("exclusion/15", "ATC:L04", "<=", 2, None, "wk", None, None, (W, "apheresis", "before")),
    ("exclusion/15/2", "ATC:H02AB07", "<=", 10, None, "mg/d", None, None, None),
    ("exclusion/16", "Major surgery", "<=", 4, None, "wk", None, None, (W, "informed_consent", "before")),
    ("exclusion/17", "ICD10CM:A15", "<=", 1, None, "a", None, None, (W, "informed_consent", "before")),
    ("exclusion/17", "ICD10CM:A15", ">", 1, None, "a", None, None, (W, "as_of", "before")),
    ("exclusion/20", "ICD10CM:C", "<=", 5, None, "a", None, None, (W, "informed_consent", "before")),
    ("exclusion/21", "ATC:J07", "<=", 4, None, "wk", None, None, (W, "informed_consent", "before")),
]

# Known miss, kept visible: "(or 5 half-lives of the drug, ...)" in exclusion/12 is an alternative
# window ("within 5 half-lives"), which no record can evaluate; it is read as "== 5 {half-lives}".
KNOWN_MISREAD = [("exclusion/12", 5, "{half-lives}")]


@pytest.fixture(scope="module")
def trial() -> ParsedTrial:
    return parse_file(SHOWCASE)


def _concept_key(concept: dict[str, Any]) -> Any:
    return concept.get("code") or concept.get("display")


def _row(node_id: str, c: Any) -> tuple[Any, ...]:
    window = (c.kind, c.reference, c.direction) if c.kind == "window" else None
    return (node_id, c.comparator, c.value, c.value_high, c.unit, c.relative_to, c.when, window)


def test_every_threshold_is_extracted(trial: ParsedTrial) -> None:
    got = [
        _row(node.id, c)
        for node in trial.walk()
        if node.section != "structured"
        for c in node.constraints
        if (node.id, c.value, c.unit) not in KNOWN_MISREAD
    ]
    expected = [(r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in EXPECTED]
    assert got == expected


def test_the_known_misread_is_still_there(trial: ParsedTrial) -> None:
    """When this fails the half-lives window is read right: move it into EXPECTED."""
    got = [(c.comparator, c.value, c.unit) for c in trial.find("exclusion/12").constraints]
    assert ("==", 5, "{half-lives}") in got


@pytest.mark.parametrize("row", [r for r in EXPECTED if r[1] is not None], ids=lambda r: f"{r[0]}:{r[1]}")
def test_concepts(trial: ParsedTrial, row: tuple[Any, ...]) -> None:
    node = trial.find(row[0])
    keys = [
        str(_concept_key(c.concept)).lower()
        for c in node.constraints
        if (c.comparator, c.value, c.unit, c.when) == (row[2], row[3], row[5], row[7])
    ]
    assert str(row[1]).lower() in keys or any(str(row[1]).lower() in k for k in keys), keys


def test_structured_fields(trial: ParsedTrial) -> None:
    got = {
        c.id: [(k.comparator, k.value, k.unit) for k in c.constraints]
        for c in trial.criteria
        if c.section == "structured"
    }
    assert got == {
        "structured/minimum_age": [(">=", 12, "a")],
        "structured/maximum_age": [("<=", 65, "a")],
        "structured/healthy_volunteers": [],
    }
