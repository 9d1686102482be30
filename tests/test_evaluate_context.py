"""Scoring of negation and exception flags (extractor evaluate context)."""

from __future__ import annotations

from extractor.evaluate.brat import read_ann
from extractor.evaluate.run import _lct_gold, _score_flag

LCT_ANN = "\n".join(
    "\t".join(fields)
    for fields in [
        ("T1", "Condition 10 18", "seizures"),
        ("T2", "Condition-Name 10 18", "seizures"),
        ("E1", "Condition:T1 Name:T2"),
        ("T3", "Negation 0 2", "no"),
        ("E2", "Negation:T3 Negates:E1"),
        ("T4", "Condition 30 40", "malignancy"),
        ("T5", "Condition-Name 30 40", "malignancy"),
        ("E3", "Condition:T4 Name:T5"),
        ("T6", "Condition 48 51", "BCC"),
        ("T7", "Condition-Name 48 51", "BCC"),
        ("E4", "Condition:T6 Name:T7"),
        ("T8", "Exception 41 47", "except"),
        ("E5", "Exception:T8 From:E3 Except:E4"),
    ]
)


def test_lct_gold_reads_negation_and_exception_events() -> None:
    doc = read_ann(LCT_ANN)
    concepts, negated, excepted = _lct_gold(doc)
    assert sorted(concepts) == [(10, 18), (30, 40), (48, 51)]
    assert negated == [(10, 18)]
    assert excepted == [(48, 51)]


def test_flags_are_scored_only_on_concepts_both_sides_found() -> None:
    concepts = [(0, 5), (10, 15), (20, 25)]
    negated = [(10, 15)]
    predicted = [
        (0, 5, True),  # gold says not negated: a false positive
        (10, 15, True),  # agreed
        (20, 25, False),  # agreed (not negated)
        (40, 45, True),  # a concept the gold lacks: no flag decision
    ]
    assert _score_flag(concepts, negated, predicted) == (1, 1, 0)
    assert _score_flag(concepts, negated, [(10, 15, False)]) == (0, 0, 1)
