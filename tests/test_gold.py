"""The gold-rule harness: reading gold files, matching, logic probes, and the whole annotations/ set."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.errors import FormatError
from extractor.evaluate.gold import (
    ANNOTATIONS,
    SHARED,
    bounds,
    evaluate_trial,
    expand_refs,
    load_gold,
    logic_agreement,
    match_constraints,
    match_mentions,
    norm_text,
    probe_patients,
)
from extractor.pipeline import parse_text

AST = {"display": "AST", "code": "LOINC:1920-8"}
AGE = {"display": "Age", "code": "LOINC:30525-0"}


def _c(concept: dict, comparator: str, value: float, **kw: object) -> dict:
    return {"concept": concept, "comparator": comparator, "value": value, "value_high": None, "unit": None,
            "relative_to": None, "when": None, **kw}  # fmt: skip


def _node(cid: str, text: str, **kw: object) -> dict:
    base = {"id": cid, "section": cid.split("/")[0], "text": text, "combine": "all", "children": [],
            "constraints": [], "negated": [], "exceptions": [], "logic": None}  # fmt: skip
    return {**base, **kw}


def test_load_gold_rejects_unknown_keys(tmp_path: Path) -> None:
    bad = {"trial_id": "NCT1", "source": {}, "criteria": [_node("inclusion/1", "x", colour="red")]}
    path = tmp_path / "NCT1.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(FormatError, match="unknown key"):
        load_gold(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(FormatError, match="invalid JSON"):
        load_gold(path)


def test_between_scores_like_its_two_bounds() -> None:
    gold = [_c({"display": "BMI", "code": "LOINC:39156-5"}, "between", 20, value_high=45, unit="kg/m2")]
    pred = [
        _c({"display": "BMI", "code": "LOINC:39156-5"}, ">=", 20, unit="kg/m2"),
        _c({"display": "BMI", "code": "LOINC:39156-5"}, "<=", 45, unit="kg/m2"),
    ]
    assert len(bounds(gold)) == 2
    counts = match_constraints(gold, pred)
    assert (counts.tp, counts.fp, counts.fn) == (2, 0, 0)


def test_threshold_mismatches_count() -> None:
    gold = [_c(AST, "<=", 2.5, relative_to="ULN")]
    assert match_constraints(gold, [_c(AST, "<=", 3, relative_to="ULN")]).f1 == 0.0
    assert match_constraints(gold, [_c(AST, "<", 2.5, relative_to="ULN")]).f1 == 0.0
    assert (
        match_constraints(gold, [_c({"display": "ALT", "code": "LOINC:1742-6"}, "<=", 2.5, relative_to="ULN")]).f1 == 0
    )
    assert match_constraints(gold, [_c(AST, "<=", 2.5, relative_to="ULN")]).f1 == 1.0


def test_one_gold_window_over_coordinated_concepts() -> None:
    gold = [_c({"display": "Radiation therapy or chemotherapy", "code": None}, "<=", 30, unit="d")]
    pred = [
        _c({"display": "Radiotherapy", "code": "SNOMED:108290001"}, "<=", 30, unit="d"),
        _c({"display": "Chemotherapy", "code": "SNOMED:367336001"}, "<=", 30, unit="d"),
    ]
    counts = match_constraints(gold, pred)
    assert (counts.tp, counts.fp, counts.fn) == (1, 0, 0)


def test_mentions_match_by_words() -> None:
    counts = match_mentions(["inactive CNS leukemia", "epilepsy"], ["CNS leukemia", "fever"])
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 1)


def test_norm_text_drops_markers_and_escapes() -> None:
    assert norm_text("1.  Blood oxygen saturation\\>92%;") == "blood oxygen saturation>92%;"


def test_refs_expand_and_cycles_are_errors() -> None:
    logic = {"inclusion/1": {"op": "ref", "id": "inclusion/1/1"}, "inclusion/1/1": {"op": "sex", "value": "male"}}
    assert expand_refs(logic["inclusion/1"], logic) == {"op": "sex", "value": "male"}
    with pytest.raises(FormatError):
        expand_refs({"op": "ref", "id": "x"}, {"x": {"op": "ref", "id": "x"}})
    with pytest.raises(FormatError):
        expand_refs({"op": "ref", "id": "missing"}, {})


def test_probes_cover_boundaries_strata_and_missing_facts() -> None:
    expr = {"op": "compare", "fact": "observation", "code": "LOINC:2160-0", "comparator": "<=", "value": 1.5,
            "unit": "mg/dL", "relative_to": None, "when": {"sex": "female"}}  # fmt: skip
    patients = probe_patients([expr])
    values = {o["value"] for p in patients for o in p.observations}
    assert {1.5}.issubset(values) and any(v < 1.5 for v in values) and any(v > 1.5 for v in values)
    assert {"male", "female"} <= {p.sex for p in patients}
    assert any(not p.observations for p in patients)


def test_logic_agreement_separates_right_from_wrong_thresholds() -> None:
    gold = {"op": "compare", "fact": "age", "comparator": ">=", "value": 18, "unit": "a"}
    agree, probes, bad = logic_agreement(gold, dict(gold))
    assert agree == probes and not bad
    agree, probes, bad = logic_agreement(gold, {**gold, "comparator": ">"})
    assert agree < probes and bad  # the patient aged exactly 18 tells them apart
    agree, probes, _ = logic_agreement(gold, None)  # nothing compiled: unknown for everyone
    assert agree < probes


def test_evaluate_trial_on_a_bare_text() -> None:
    text = "Inclusion Criteria:\n- Age 18 years or older\n- AST <= 2.5 x ULN\nExclusion Criteria:\n- Pregnancy\n"
    trial = parse_text(text, trial_id="T1")
    from extractor.compile import compile_trial

    gold = {
        "trial_id": "T1",
        "criteria": [
            _node("inclusion/1", "Age 18 years or older", constraints=[_c(AGE, ">=", 18, unit="a")],
                  logic={"op": "compare", "fact": "age", "comparator": ">=", "value": 18, "unit": "a"}),
            _node("inclusion/2", "AST <= 2.5 x ULN", constraints=[_c(AST, "<=", 2.5, relative_to="ULN")],
                  logic={"op": "compare", "fact": "observation", "code": "LOINC:1920-8", "comparator": "<=",
                         "value": 2.5, "unit": None, "relative_to": "ULN"}),
            _node("exclusion/1", "Pregnancy", logic={"op": "has", "kind": "condition", "code": "ICD10CM:Z33.1"}),
        ],
    }  # fmt: skip
    report = evaluate_trial(gold, trial, compile_trial(trial))
    assert report.nodes.f1 == 1.0 and report.shape_accuracy == 1.0
    assert report.thresholds.tp == 2
    assert report.logic_probes > 10
    assert 0 < report.logic <= 1.0


needs_shared = pytest.mark.skipif(
    not (SHARED / "corpora" / "ctgov").is_dir(), reason="../shared not beside the project"
)


def test_every_gold_file_is_valid_and_pinned() -> None:
    files = sorted(ANNOTATIONS.glob("NCT*.json"))
    assert len(files) >= 21
    index = json.loads((ANNOTATIONS / "index.json").read_text(encoding="utf-8"))
    assert {t["trial_id"] for t in index["trials"]} == {p.stem for p in files}
    for path in files:
        gold = load_gold(path)
        assert gold["trial_id"] == path.stem and len(gold["text_sha256"]) == 64


@needs_shared
def test_extractor_evaluate_with_no_arguments_scores_the_gold_set(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "extractor", "evaluate", "--json", "--html", str(tmp_path / "r.html")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr  # the one-line error says what went wrong
    totals = json.loads(out.stdout)["gold"]["totals"]
    assert totals["trials"] >= 21 and not json.loads(out.stdout)["gold"]["errors"]
    assert totals["segmentation"]["f1"] > 0.9  # a regression guard, well under the measured 0.97
    assert (tmp_path / "r.html").stat().st_size > 10_000
