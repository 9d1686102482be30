"""The evaluation harness: brat reading, span metrics, LCT thresholds, Chia entities, the fixed split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.errors import FormatError, InputError
from extractor.evaluate import split_ids, trial_of
from extractor.evaluate.brat import load_corpus, read_ann, slice_text
from extractor.evaluate.chia import (
    evaluate_entities,
    gold_entities,
    gold_negations,
    load_chia,
    unannotated_regions,
)
from extractor.evaluate.lct import (
    PredictedComparison,
    canonical_unit,
    evaluate_constraints,
    gold_comparisons,
    load_lct,
    normalise_operator,
    normalise_unit,
    parse_value,
    predicted_from_constraint,
    units_agree,
)
from extractor.evaluate.metrics import Counts, Scores, match_spans, score_spans
from extractor.model import Constraint

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPORA = SHARED / "corpora"

# --- brat --------------------------------------------------------------------------------------------------------

CHIA_TEXT = "no major impairment of renal or hepatic function; total bilirubin <1.5 X ULN; AST or ALT\r\nage 18"
CHIA_ANN = (
    "T1\tCondition 3 19;32 48\tmajor impairment renal or hepatic function\n"  # deliberately misaligned text
    "T2\tNegation 0 2\tno\n"
    "R1\tHas_negation Arg1:T1 Arg2:T2\t\n"
    "T3\tMeasurement 50 65\ttotal bilirubin\n"
    "T4\tValue 66 76\t<1.5 X ULN\n"
    "T5\tMeasurement 78 81\tAST\n"
    "T6\tMeasurement 85 88\tALT\n"
    "*\tOR T5 T6\n"
    "A1\tOptional T4\n"
    "T7\tPerson 90 93\tage\n"
    "T8\tScope 78 93\tAST or ALT\nage\n"  # entity text across a line break: continues on the next line
    "#1\tAnnotatorNotes T3\tchecked\n"
)


def test_read_ann_entities_relations_groups_attributes_notes() -> None:
    doc = read_ann(CHIA_ANN)
    assert list(doc.entities) == ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"]
    t1 = doc.entities["T1"]
    assert t1.label == "Condition" and t1.spans == [(3, 19), (32, 48)] and t1.extent == (3, 48)
    assert doc.relations["R1"].label == "Has_negation"
    assert (doc.relations["R1"].arg1, doc.relations["R1"].arg2) == ("T1", "T2")
    assert [(g.label, g.members) for g in doc.groups] == [("OR", ["T5", "T6"])]
    assert doc.attributes_of("T4") == {"Optional": None}
    assert [(n.kind, n.target, n.text) for n in doc.notes] == [("AnnotatorNotes", "T3", "checked")]
    assert doc.entities["T8"].text == "AST or ALT\nage"


def test_entity_text_is_checked_against_the_txt_slice() -> None:
    doc = read_ann(CHIA_ANN)
    assert slice_text(CHIA_TEXT, doc.entities["T3"].spans) == "total bilirubin"
    assert slice_text(CHIA_TEXT, [(3, 19), (32, 48)]) == "major impairment hepatic function"
    # T1's text says "renal or" where its spans say "hepatic"; T8 spans "\r\n", written as a line break
    assert [e.id for e in doc.misaligned(CHIA_TEXT)] == ["T1"]


LCT_TEXT = "Age > 21 or less than 2; ages 2-21 years; on folic acid; potassium >5.5 mmol/L; onset"
LCT_ANN = (
    "E1\tAge:T4 Numeric-Filter:E2 Numeric-Filter:E3\n"
    "E2\tEq-Comparison:T10 Operator:T1 Value:T8\n"
    "E3\tEq-Comparison:T11 Operator:T2 Value:T9\n"
    "E4\tEq-Comparison:T12 Operator:T5 Value:T6 Temporal-Unit:T3 Value2:T7\n"
    "E9\tEq-Comparison:T21 Temporal-Recency:T22\n"
    "E12\tProcedure:T26 \n"
    "E20\tEq-Comparison:T30 Operator:T31 Value:T32 Unit:T33 Per:T34\n"
    "T1\tEq-Operator 4 5\t>\n"
    "T2\tEq-Operator 12 21\tless than\n"
    "T3\tEq-Temporal-Unit 35 40\tyears\n"
    "T4\tAge 0 3\tAge\n"
    "T5\tEq-Operator 31 32\t-\n"
    "T6\tEq-Value 30 31\t2\n"
    "T7\tEq-Value 32 34\t21\n"
    "T8\tEq-Value 6 8\t21\n"
    "T9\tEq-Value 22 23\t2\n"
    "T10\tEq-Comparison 4 8\t> 21\n"
    "T11\tEq-Comparison 12 23\tless than 2\n"
    "T12\tEq-Comparison 30 40\t2-21 years\n"
    "T21\tEq-Comparison 80 85\tonset\n"
    "T22\tEq-Temporal-Recency 80 85\tonset\n"
    "T26\tProcedure 42 44\ton\n"
    "T30\tEq-Comparison 67 78\t>5.5 mmol/L\n"
    "T31\tEq-Operator 67 68\t>\n"
    "T32\tEq-Value 68 71\t5.5\n"
    "T33\tEq-Unit 72 76\tmmol\n"
    "T34\tEq-Unit 77 78\tL\n"
    "A1\tEq-Operator-Value T1 GT\n"
    "A2\tEq-Operator-Value T2 LT\n"
    "A3\tEq-Temporal-Unit-Value T3 year\n"
    "A4\tEq-Operator-Value T5 BETWEEN\n"
    "A5\tEq-Operator-Value T31 GT\n"
    "R1\tOr Arg1:E2 Arg2:E3"  # no final newline
)


def test_read_ann_events_keep_roles_in_order_and_repeated() -> None:
    doc = read_ann(LCT_ANN)
    e1 = doc.events["E1"]
    assert e1.label == "Age" and e1.trigger == "T4"
    assert e1.args == [("Numeric-Filter", "E2"), ("Numeric-Filter", "E3")]
    assert e1.roles == {"Numeric-Filter": ["E2", "E3"]}
    e4 = doc.events["E4"]
    assert e4.arg("Value2") == "T7" and e4.arg("Value") == "T6" and e4.arg("Unit") is None
    assert doc.events["E12"].args == []  # trailing blank after the trigger
    assert doc.attributes["A4"].value == "BETWEEN" and doc.attributes["A4"].target == "T5"
    assert doc.relations["R1"].arg2 == "E3"
    assert doc.entity_of("E2") is doc.entities["T10"] and doc.entity_of("T99") is None
    assert doc.misaligned(LCT_TEXT) == []


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("T1\tCondition 3 x\tfoo", "bad span"),
        ("T1\tCondition 9 3\tfoo", "before start"),
        ("T1\tCondition 3 6", "text field"),
        ("E1\tEq-Comparison:T1 Operator", "ROLE:ID"),
        ("R1\tOr Arg1:E2", "two arguments"),
        ("A1\tEq-Operator-Value", "attribute"),
        ("X1\tfoo bar", "unknown annotation id"),
        ("just some words", "no tab"),
    ],
)
def test_malformed_line_raises_format_error_with_file_and_line(line: str, fragment: str) -> None:
    text = "T5\tValue 0 2\tab\n\n" + line + "\n"
    with pytest.raises(FormatError) as info:
        read_ann(text, source="x.ann")
    message = str(info.value)
    assert message.startswith("x.ann:line 3: ")
    assert fragment in message
    assert "\n" not in message


def test_duplicate_id_is_an_error_and_lenient_mode_records_warnings() -> None:
    text = "T1\tValue 0 2\tab\nT1\tValue 0 2\tab\nstray words\n"
    with pytest.raises(FormatError, match="line 2: duplicate id T1"):
        read_ann(text)
    doc = read_ann(text, source="y.ann", strict=False)
    assert list(doc.entities) == ["T1"]
    assert doc.warnings == ["y.ann:line 2: duplicate id T1", "y.ann:line 3: no tab after the id in 'stray words'"]


def test_continuation_only_while_the_entity_text_is_short() -> None:
    # "ab" already fills span 0-2, so the next line is not a continuation but a malformed line
    with pytest.raises(FormatError, match="line 2"):
        read_ann("T1\tValue 0 2\tab\ncd\n")
    doc = read_ann("T1\tValue 0 5\tab\ncd\nT2\tValue 0 3\ta\n")
    assert doc.entities["T1"].text == "ab\ncd" and doc.entities["T2"].text == "a"  # the final newline ends a line


def test_load_corpus_reads_pairs_without_newline_translation(tmp_path: Path) -> None:
    (tmp_path / "NCT00000001_inc.txt").write_bytes(b"a\r\nbc")
    (tmp_path / "NCT00000001_inc.ann").write_text("T1\tValue 3 5\tbc\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    [(doc_id, text, doc)] = list(load_corpus(tmp_path))
    assert doc_id == "NCT00000001_inc" and text == "a\r\nbc"
    assert slice_text(text, doc.entities["T1"].spans) == "bc"
    (tmp_path / "NCT00000002_inc.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="no such file"):
        list(load_corpus(tmp_path))
    with pytest.raises(InputError, match="not a directory"):
        list(load_corpus(tmp_path / "missing"))


# --- metrics -----------------------------------------------------------------------------------------------------


def test_exact_versus_overlap() -> None:
    gold = [(0, 10, "Condition"), (20, 25, "Drug")]
    pred = [(0, 10, "Condition"), (21, 30, "Drug"), (40, 45, "Drug")]
    exact = score_spans(gold, pred, "exact")
    assert (exact["Condition"].tp, exact["Drug"].tp, exact["Drug"].fp, exact["Drug"].fn) == (1, 0, 2, 1)
    loose = score_spans(gold, pred, "overlap")
    assert (loose["Drug"].tp, loose["Drug"].fp, loose["Drug"].fn) == (1, 1, 0)


def test_labels_must_agree_and_touching_spans_do_not_overlap() -> None:
    counts = score_spans([(0, 10, "Condition")], [(0, 10, "Drug"), (10, 12, "Condition")], "overlap")
    assert (counts["Condition"].tp, counts["Condition"].fn, counts["Drug"].fp) == (0, 1, 1)


def test_matching_is_one_to_one_and_prefers_the_best_overlap() -> None:
    # one prediction over two gold spans counts once; two predictions over one gold give one tp and one fp
    assert match_spans([(0, 5), (6, 10)], [(0, 10)], "overlap") == [(0, 0)]  # 5 shared characters beat 4
    assert match_spans([(0, 10)], [(0, 3), (2, 10)], "overlap") == [(0, 1)]
    # greedy: the exact pair is taken first even though listed last
    assert match_spans([(0, 4), (0, 10)], [(0, 10), (0, 4)], "overlap") == [(0, 1), (1, 0)]
    assert match_spans([(0, 5)], [(0, 5)], "overlap", lambda i, j: False) == []
    with pytest.raises(ValueError):
        match_spans([], [], "fuzzy")  # type: ignore[arg-type]


def test_empty_cases_and_micro_average() -> None:
    assert score_spans([], [], "exact") == {}
    none_found = score_spans([(0, 1, "Drug")], [], "exact")["Drug"]
    assert (none_found.precision, none_found.recall, none_found.f1) == (0.0, 0.0, 0.0)
    scores = Scores()
    scores.counts("exact", "A").add(Counts(tp=3, fp=1, fn=0))
    scores.counts("exact", "B").add(Counts(tp=1, fp=0, fn=3))
    micro = scores.micro("exact")
    assert (micro.tp, micro.fp, micro.fn) == (4, 1, 3)
    assert micro.precision == pytest.approx(0.8) and micro.recall == pytest.approx(4 / 7)
    assert scores.as_dict()["criteria"]["exact"]["micro"]["f1"] == pytest.approx(round(micro.f1, 4))
    lines = scores.table().splitlines()
    assert lines[0].split() == ["criterion", "label", "gold", "pred", "tp", "fp", "fn", "P", "R", "F1"]
    assert lines[-1].split()[:2] == ["exact", "(micro)"]
    assert len({len(line) for line in lines}) == 1  # aligned columns


# --- LCT ---------------------------------------------------------------------------------------------------------


OPERATOR_CASES = [
    ("GT", ">"), ("GTEQ", ">="), ("LT", "<"), ("LTEQ", "<="), ("EQ", "=="), ("BETWEEN", "between"),
    ("PLUS-MINUS", None), ("≥", ">="), ("=<", "<="), ("between", "between"), ("about", None), (None, None),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "expected"), OPERATOR_CASES)
def test_normalise_operator(raw: str | None, expected: str | None) -> None:
    assert normalise_operator(raw) == expected


VALUE_CASES = [
    ("18", 18.0), ("1.5", 1.5), ("+1", 1.0), ("-2", -2.0), ("1,500", 1500.0), ("100,000", 100000.0),
    ("18,5", 18.5), ("two", 2.0), ("Twice", 2.0), ("½", 0.5), ("10^3", 1000.0), ("5 million", 5e6),
    ("III", None), ("20/40", None), ("Second", None), ("1st of january 2011", None), ("", None), (None, None),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "expected"), VALUE_CASES)
def test_parse_value(raw: str | None, expected: float | None) -> None:
    assert parse_value(raw) == expected


UNIT_CASES = [
    ("mg/dl", "mg/dL"), ("mm Hg", "mm[Hg]"), ("mmhg", "mm[Hg]"), ("years", "a"), ("yrs", "a"), ("y", "a"),
    ("months", "mo"), ("weeks", "wk"), ("days", "d"), ("hours", "h"), ("%", "%"), ("msec", "ms"),
    ("ml / min", "mL/min"), ("x ULN", "{ULN}"), ("times ULN", "{ULN}"), ("upper limit of normal", "{ULN}"),
    ("cells/mm3", "/mm3"), ("/µl", "/uL"), ("×10⁹/L", "10*9/L"), ("kg/m²", "kg/m2"), ("mg per day", "mg/d"),
    ("mm[Hg]", "mm[Hg]"), ("mIU/mL", "m[IU]/mL"), ("furlongs", "furlongs"), (None, None), (" ", None),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "code"), UNIT_CASES)
def test_canonical_unit(raw: str | None, code: str | None) -> None:
    assert canonical_unit(raw) == code
    assert canonical_unit(code) == code  # idempotent: a UCUM code maps to itself


def test_unit_agreement_accepts_equivalents_only() -> None:
    assert normalise_unit(" Mm HG ") == "mmhg"
    assert units_agree("cells/mm3", "/uL") and units_agree("mmHg", "mm[Hg]") and units_agree(None, None)
    assert units_agree("x 10^3/µL", "10*9/L")
    assert not units_agree("mg/dL", "mmol/L") and not units_agree("years", "mo") and not units_agree("%", None)


def test_gold_comparisons_from_lct_events() -> None:
    doc = read_ann(LCT_ANN)
    gold = {g.event_id: g for g in gold_comparisons(doc, LCT_TEXT, "NCT1")}
    assert set(gold) == {"E2", "E3", "E4", "E9", "E20"}
    e2 = gold["E2"]
    assert (e2.span, e2.operator, e2.value, e2.kind, e2.is_temporal) == ((4, 8), ">", 21.0, "age", False)
    assert gold["E3"].operator == "<" and gold["E3"].value == 2.0
    e4 = gold["E4"]
    assert (e4.operator, e4.value, e4.value_high, e4.unit, e4.ucum) == ("between", 2.0, 21.0, "years", "a")
    assert e4.kind == "temporal" and e4.is_temporal
    e9 = gold["E9"]
    assert e9.value is None and not e9.scorable and e9.is_temporal
    e20 = gold["E20"]
    assert (e20.unit, e20.unit_norm, e20.ucum, e20.kind) == ("mmol/L", "mmol/l", "mmol/L", "value")


def test_several_operators_and_missing_operator() -> None:
    text = "Age ≥20 and ≤40 years; last 6 months; = <1"
    ann = (
        "E1\tEq-Comparison:T1 Operator:T2 Value:T3 Operator2:T4 Operator3:T5 Value2:T6 Temporal-Unit:T7\n"
        "E2\tEq-Comparison:T8 Temporal-Period:T9 Value:T10 Temporal-Unit:T11\n"
        "E3\tEq-Comparison:T12 Operator:T13 Value:T14 Operator2:T15\n"
        "T1\tEq-Comparison 4 21\t≥20 and ≤40 years\nT2\tEq-Operator 4 5\t≥\nT3\tEq-Value 5 7\t20\n"
        "T4\tEq-Operator 8 11\tand\nT5\tEq-Operator 12 13\t≤\nT6\tEq-Value 13 15\t40\n"
        "T7\tEq-Temporal-Unit 16 21\tyears\nT8\tEq-Comparison 23 36\tlast 6 months\n"
        "T9\tEq-Temporal-Period 23 27\tlast\nT10\tEq-Value 28 29\t6\nT11\tEq-Temporal-Unit 30 36\tmonths\n"
        "T12\tEq-Comparison 38 42\t= <1\nT13\tEq-Operator 40 41\t<\nT14\tEq-Value 41 42\t1\n"
        "T15\tEq-Operator 38 39\t=\n"
        "A1\tEq-Operator-Value T2 GTEQ\nA2\tEq-Operator-Value T4 BETWEEN\nA3\tEq-Operator-Value T5 LTEQ\n"
        "A4\tEq-Operator-Value T13 LT\nA5\tEq-Operator-Value T15 EQ\n"
    )
    doc = read_ann(ann)
    assert doc.misaligned(text) == []
    g1, g2, g3 = gold_comparisons(doc, text)
    assert (g1.operator, g1.value, g1.value_high) == ("between", 20.0, 40.0)
    assert (g2.operator, g2.explicit_operator, g2.value, g2.ucum) == ("==", False, 6.0, "mo")
    assert (g3.operator, g3.value) == ("<", 1.0)


def test_two_bounds_without_between_and_a_slash_outside_the_unit() -> None:
    text = "-2 ≤ z < +1; blasts ≤ 200/μL; 3 per day"
    ann = (
        "E1\tEq-Comparison:T1 Operator:T2 Value:T3 Operator2:T4 Value2:T5\n"
        "E2\tEq-Comparison:T6 Operator:T7 Value:T8 Unit:T9\n"
        "E3\tEq-Comparison:T10 Value:T11 Per:T12\n"
        "T10\tEq-Comparison 30 39\t3 per day\nT11\tEq-Value 30 31\t3\nT12\tEq-Temporal-Unit 36 39\tday\n"
        "T1\tEq-Comparison 0 11\t-2 ≤ z < +1\nT2\tEq-Operator 3 4\t≤\nT3\tEq-Value 0 2\t-2\n"
        "T4\tEq-Operator 7 8\t<\nT5\tEq-Value 9 11\t+1\n"
        "T6\tEq-Comparison 20 28\t≤ 200/μL\nT7\tEq-Operator 20 21\t≤\nT8\tEq-Value 22 25\t200\n"
        "T9\tEq-Unit 26 28\tμL\n"
        "A1\tEq-Operator-Value T2 LTEQ\nA2\tEq-Operator-Value T4 LT\nA3\tEq-Operator-Value T7 LTEQ\n"
    )
    doc = read_ann(ann)
    assert doc.misaligned(text) == []
    g1, g2, g3 = gold_comparisons(doc, text)
    assert (g1.operator, g1.value, g1.value_high) == ("between", -2.0, 1.0)
    assert (g2.operator, g2.value, g2.unit, g2.ucum) == ("<=", 200.0, "/μL", "/uL")
    assert (g3.operator, g3.value, g3.unit, g3.ucum, g3.kind) == ("==", 3.0, "/day", "/d", "value")  # a rate


def test_evaluate_constraints_levels_and_categories() -> None:
    doc = read_ann(LCT_ANN)
    preds = [
        PredictedComparison((4, 8), ">", 21, unit="a"),  # age: right; "a" accepted for an age with no unit written
        PredictedComparison((12, 23), "<", 3),  # operator right, value wrong
        PredictedComparison((30, 40), "between", 2, 21, unit="mo"),  # unit wrong
        PredictedComparison((67, 78), "≥", 5.5, unit="mmol/L"),  # operator wrong
        PredictedComparison((80, 85), "==", 1),  # only over "onset" (no value): ignored, not false
    ]
    scores = evaluate_constraints(lambda text: preds, [("NCT1", LCT_TEXT, doc)])
    rows = scores.as_dict()["criteria"]
    op, val, unit = rows["operator"]["labels"], rows["operator+value"]["labels"], rows["operator+value+unit"]["labels"]
    assert (op["non-temporal"]["tp"], op["non-temporal"]["fp"], op["non-temporal"]["fn"]) == (2, 1, 1)
    assert (op["temporal"]["tp"], op["temporal"]["fn"]) == (1, 0)
    assert (val["non-temporal"]["tp"], val["temporal"]["tp"]) == (1, 1)
    assert (unit["non-temporal"]["tp"], unit["temporal"]["tp"], unit["temporal"]["fp"]) == (1, 0, 1)
    assert scores.info["gold"] == 5 and scores.info["gold_scored"] == 4 and scores.info["gold_no_value"] == 1
    assert scores.info["predictions_ignored"] == 1
    wrong_high = [PredictedComparison((30, 40), "between", 2, 20, unit="years")]
    scores = evaluate_constraints(lambda text: wrong_high, [("NCT1", LCT_TEXT, doc)])
    assert scores.rows["operator"]["temporal"].tp == 1 and scores.rows["operator+value"]["temporal"].tp == 0
    strict = evaluate_constraints(lambda text: [], [("NCT1", LCT_TEXT, doc)], implicit_equality=False)
    assert strict.micro("operator").fn == 4


def test_predicted_from_constraint() -> None:
    c = Constraint(concept={}, comparator="<=", value=2.5, relative_to="ULN", span=(3, 9), kind=None)
    p = predicted_from_constraint(c)
    assert p is not None and p.unit_key == "{ULN}" and p.operator == "<=" and p.temporal is None
    window = Constraint(concept={}, comparator="<=", value=6, unit="mo", span=(0, 1), kind="window")
    assert predicted_from_constraint(window).temporal is True  # type: ignore[union-attr]
    assert predicted_from_constraint(Constraint(concept={}, comparator="==", value="positive", span=(0, 1))) is None


# --- Chia --------------------------------------------------------------------------------------------------------


def test_chia_gold_entities_map_labels_and_mark_negation() -> None:
    doc = read_ann(CHIA_ANN)
    gold = gold_entities(doc)
    assert [(g.id, g.label) for g in gold] == [
        ("T1", "Condition"),
        ("T3", "Measurement"),
        ("T4", "Value"),
        ("T5", "Measurement"),
        ("T6", "Measurement"),
        ("T7", "Demographic"),
    ]
    assert gold[0].span == (3, 48) and gold[0].fragments == [(3, 19), (32, 48)]
    assert gold[0].negated and gold[0].cue == (0, 2) and not gold[1].negated
    [neg] = gold_negations(doc)
    assert neg.id == "T1" and neg.chia_label == "Condition"


def test_evaluate_entities_exact_and_overlap() -> None:
    doc = read_ann(CHIA_ANN)
    pred = [(3, 48, "Condition"), (50, 60, "Measurement"), (90, 93, "Demographic"), (0, 2, "Negation")]
    scores = evaluate_entities(lambda text: pred, [("NCT1_inc", CHIA_TEXT, doc)])
    exact, loose = scores.micro("exact"), scores.micro("overlap")
    assert (exact.tp, exact.fp, exact.fn) == (2, 1, 4)
    assert (loose.tp, loose.fp, loose.fn) == (3, 0, 3)
    assert scores.rows["exact"]["Measurement"].fn == 3 and scores.rows["overlap"]["Measurement"].tp == 1
    assert scores.info["predictions_other_label"] == 1


# Real Chia criteria, re-based to one text: NCT00926523_exc's Post-eligibility span and NCT00806273_exc's, with
# nothing annotated inside, and NCT01518946_exc's Non-query-able span, whose "enrollment failure" is annotated
# (Condition T32), so its inside is annotated.
WHOLE_TEXT = (
    "Subject is unable to perform tasks associated with study\n"
    "Unable to understand or sign consent form\n"
    "Prior enrollment failure or randomization in this study."
)
WHOLE_ANN = """T1\tPost-eligibility 0 56\tSubject is unable to perform tasks associated with study
T2\tPost-eligibility 57 98\tUnable to understand or sign consent form
T3\tNon-query-able 99 155\tPrior enrollment failure or randomization in this study.
T4\tCondition 105 123\tenrollment failure"""


def test_unannotated_regions_are_whole_criterion_spans_with_nothing_inside() -> None:
    assert unannotated_regions(read_ann(WHOLE_ANN)) == [(0, 56), (57, 98)]


def test_predictions_inside_unannotated_regions_are_not_scored_unless_strict() -> None:
    doc = read_ann(WHOLE_ANN)
    assert WHOLE_TEXT[105:123] == "enrollment failure" and WHOLE_TEXT[127:140] == "randomization"
    assert WHOLE_TEXT[29:34] == "tasks" and WHOLE_TEXT[86:93] == "consent"
    pred = [(29, 34, "Procedure"), (86, 93, "Procedure"), (127, 140, "Procedure"), (105, 123, "Condition")]
    scoped = evaluate_entities(lambda text: pred, [("NCT1_exc", WHOLE_TEXT, doc)])
    assert scoped.info["predictions_unannotated"] == 2
    # "randomization" lies where the annotators did annotate: a false positive either way
    assert (scoped.micro("overlap").tp, scoped.micro("overlap").fp, scoped.micro("overlap").fn) == (1, 1, 0)
    strict = evaluate_entities(lambda text: pred, [("NCT1_exc", WHOLE_TEXT, doc)], strict=True)
    assert strict.info["predictions_unannotated"] == 0 and strict.info["strict"] is True
    assert (strict.micro("overlap").tp, strict.micro("overlap").fp, strict.micro("overlap").fn) == (1, 3, 0)


# --- split -------------------------------------------------------------------------------------------------------


def test_split_is_deterministic_grouped_and_complete() -> None:
    ids = [f"NCT{n:08d}_{part}" for n in range(50) for part in ("inc", "exc")]
    split = split_ids(ids)
    assert split == split_ids(list(reversed(ids)))  # input order does not matter
    assert sorted(i for part in split.values() for i in part) == sorted(ids)
    assert [len(split[k]) for k in ("train", "dev", "test")] == [80, 10, 10]
    for part in split.values():
        assert {trial_of(i) + "_inc" in part for i in part} == {True}  # inc and exc stay together
    assert split_ids(ids, seed=14) != split
    singles = split_ids(ids, group=None)
    assert [len(singles[k]) for k in ("train", "dev", "test")] == [80, 10, 10]
    assert split_ids([]) == {"train": [], "dev": [], "test": []}
    with pytest.raises(ValueError):
        split_ids(ids, fractions=(0.8, 0.3, 0.1))


# --- the real corpora --------------------------------------------------------------------------------------------


def test_five_real_documents_of_each_corpus() -> None:
    if not CORPORA.is_dir():
        pytest.skip(f"{CORPORA} is absent")
    lct = [d for _, d in zip(range(5), load_lct(CORPORA / "lct"), strict=False)]
    chia = [d for _, d in zip(range(5), load_chia(CORPORA / "chia"), strict=False)]
    assert len(lct) == 5 and len(chia) == 5
    comparisons = 0
    for doc_id, text, doc in lct:
        assert doc_id.startswith("NCT") and text and doc.entities
        assert doc.misaligned(text) == []
        comparisons += sum(1 for g in gold_comparisons(doc, text, doc_id) if g.scorable)
    assert comparisons > 0
    entities = negations = 0
    for doc_id, text, doc in chia:
        assert doc_id.endswith(("_inc", "_exc")) and doc.warnings == []
        assert doc.misaligned(text) == []
        entities += len(gold_entities(doc))
        negations += len(gold_negations(doc))
    assert entities > 0 and negations > 0


def test_evaluate_chia_cli_says_what_it_left_unscored_and_strict_scores_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not CORPORA.is_dir():
        pytest.skip(f"{CORPORA} is absent")
    from extractor.cli import main

    # the first 40 Chia documents hold whole-criterion spans with nothing annotated inside
    args = ["evaluate", "chia", "--limit", "40", "--tagger", "rules", "--corpus-dir", str(CORPORA / "chia")]
    assert main([*args, "--json"]) == 0
    scoped = json.loads(capsys.readouterr().out)["chia"]
    assert main([*args, "--json", "--strict"]) == 0
    strict = json.loads(capsys.readouterr().out)["chia"]
    assert scoped["info"]["strict"] is False and strict["info"]["strict"] is True
    skipped = scoped["info"]["predictions_unannotated"]
    assert skipped > 0 and strict["info"]["predictions_unannotated"] == 0
    micro = [s["criteria"]["overlap"]["micro"] for s in (scoped, strict)]
    assert micro[0]["tp"] == micro[1]["tp"] and micro[0]["fn"] == micro[1]["fn"]  # the gold is the same
    assert micro[1]["fp"] - micro[0]["fp"] == skipped  # each one left out is a false positive when scored
    assert main(args) == 0
    assert f"({skipped} predictions inside Chia's unannotated whole-criterion spans" in capsys.readouterr().out


def test_only_the_learned_taggers_can_be_rescored(capsys: pytest.CaptureFixture[str]) -> None:
    from extractor.cli import main

    assert main(["train", "triage", "--rescore"]) == 2
    assert "--rescore is for ner and gazetteer" in capsys.readouterr().err
