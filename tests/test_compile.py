"""Compiling criteria to logic: the readings the gold rules in annotations/ showed were needed.

Each case is a real criterion from a gold trial (trial id in the comment), screened for a few
hand-made patients; the expected verdicts are the gold's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from extractor import parse_text
from extractor.compile import _leaves_of, compile_trial
from extractor.patients import patient_from_json
from extractor.screen import Screener


def screen(text: str, **record: Any) -> bool | None:
    screener = Screener(parse_text(f"Inclusion Criteria:\n- {text}\n", trial_id="T"))
    patient = patient_from_json({"id": "P", "as_of": "2025-03-01", **record}, "test")
    return screener.screen(patient)["criteria"]["inclusion/1"]


def logic(text: str) -> dict[str, Any]:
    return compile_trial(parse_text(f"Inclusion Criteria:\n- {text}\n", trial_id="T"))["criteria"]["inclusion/1"]


RT = {"code": "SNOMED:108290001", "display": "Radiotherapy"}


@pytest.mark.parametrize(
    ("when", "expected"),
    [("2025-02-25", False), ("2025-01-01", True)],  # 4 days ago: too recent; two months ago: fine
)
def test_more_than_n_weeks_since_prior_therapy(when: str, expected: bool) -> None:
    # NCT00005794 "At least 4 weeks since prior radiotherapy"
    record = {"procedures": [{**RT, "date": when}], "complete": ["procedures"]}
    assert screen("At least 4 weeks since prior radiotherapy", **record) is expected


def test_since_with_no_prior_therapy_on_a_complete_list_holds() -> None:
    assert screen("At least 4 weeks since prior radiotherapy", procedures=[], complete=["procedures"]) is True


def test_concurrent_means_under_way_at_as_of() -> None:
    # NCT00006483 "No concurrent immunosuppressive agents"
    drug = {"code": "ATC:L04AX01", "display": "azathioprine"}
    stopped = {"medications": [{**drug, "start": "2024-01-01", "end": "2024-06-01"}], "complete": ["medications"]}
    ongoing = {"medications": [{**drug, "start": "2024-01-01", "end": None}], "complete": ["medications"]}
    assert screen("No concurrent immunosuppressive agents", **stopped) is True
    assert screen("No concurrent immunosuppressive agents", **ongoing) is False


def test_no_a_or_b_is_neither() -> None:
    # NCT00006483 "Not pregnant or nursing": pregnant fails; nothing known about nursing stays unknown
    assert screen("Not pregnant or nursing", conditions=[{"code": "ICD10CM:Z33.1"}], complete=["conditions"]) is False
    assert screen("Not pregnant or nursing", conditions=[], complete=["conditions"]) is None
    expr = logic("Not pregnant or nursing")
    assert expr["op"] == "not" and expr["arg"]["op"] == "any"


def test_an_uncoded_concept_is_a_manual_part_not_the_whole_criterion() -> None:
    expr = logic("Not pregnant or nursing")
    ops = [a["op"] for a in expr["arg"]["args"]]
    assert "has" in ops and "manual" in ops


def test_permissions_restrict_nobody() -> None:
    # NCT00009711 "Any prior preparative regimen allowed"; not "No prior chemotherapy allowed"
    assert logic("Any prior preparative regimen allowed")["op"] == "const"
    assert logic("No prior chemotherapy allowed")["op"] != "const"
    assert logic("Investigational drugs (expanded access drugs are acceptable).")["op"] != "const"


def test_cross_references_are_true() -> None:
    assert logic("See Disease Characteristics") == {"op": "const", "value": True, "source": "inclusion/1"}
    assert logic("Not specified")["value"] is True


def test_concepts_in_relation_must_all_hold() -> None:
    # NCT00009711 "bone marrow transplantation for hematologic malignancy"
    expr = logic("Prior stem cell transplantation for leukemia")
    assert expr["op"] == "all"
    assert logic("History of stroke or myocardial infarction")["op"] == "any"


def test_a_lead_in_adds_no_conjunct_of_its_own() -> None:
    # showcase inclusion 9: "Major organ functions must meet the following requirements:"
    text = (
        "Inclusion Criteria:\n1. Major organ functions must meet the following requirements:\n"
        "   1. Total bilirubin ≤ 2×ULN;\n   2. ALT ≤ 2.5×ULN;\n"
    )
    trial = parse_text(text, trial_id="T")
    expr = compile_trial(trial)["criteria"]["inclusion/1"]
    assert not any(a["op"] == "manual" for a in expr["args"]) if expr["op"] == "all" else expr["op"] != "manual"
    patient = patient_from_json(
        {"id": "P", "observations": [
            {"code": "LOINC:1975-2", "value": 10, "reference_high": 20},
            {"code": "LOINC:1742-6", "value": 30, "reference_high": 40},
        ]},
        "test",
    )  # fmt: skip
    assert Screener(trial).screen(patient)["criteria"]["inclusion/1"] is True


PRED = "ATC:H02AB07"


@pytest.mark.parametrize(
    ("dose", "unit", "expected"),
    [(20, "mg/d", True), (10, "mg/d", True), (5, "mg/d", False), (None, None, None), (0.02, "g/d", True)],
)
def test_medication_dose_is_compared(dose: float | None, unit: str | None, expected: bool | None) -> None:
    # NCT06581081 exclusion 15: "systemic corticosteroids (dose equivalent to or higher than 10 mg/day of prednisone)"
    text = "Requires prednisone at a dose of 10 mg/day or more"
    med: dict[str, Any] = {"code": PRED, "start": "2025-02-01", "end": None}
    if dose is not None:
        med.update(dose=dose, unit=unit)
    expr = logic(text)
    assert expr["op"] == "has" and expr["dose"] == {"comparator": ">=", "value": 10, "unit": "mg/d"}
    assert screen(text, medications=[med], complete=["medications"]) is expected


def test_no_record_of_the_drug_on_a_complete_list_is_false() -> None:
    assert (
        screen("Requires prednisone at a dose of 10 mg/day or more", medications=[], complete=["medications"]) is False
    )


def test_a_lead_in_window_times_its_items() -> None:
    # NCT00002438: "Excluded within 15 days prior to study entry:" over a list of drugs
    text = "Exclusion Criteria:\nExcluded within 15 days prior to study entry:\n  - Rifampin.\n  - Rifabutin.\n"
    trial = parse_text(text, trial_id="T")
    compiled = compile_trial(trial)["criteria"]
    assert compiled["exclusion/1/1"]["window"]["value"] == 15
    screener = Screener(trial)
    rifampin = {"code": "ATC:J04AB02", "start": "2024-01-01", "end": "2024-02-01"}
    recent = {**rifampin, "start": "2025-02-20", "end": "2025-02-25"}
    base = {"as_of": "2025-03-01", "events": {"enrollment": "2025-03-01"}, "complete": ["medications"]}
    old = patient_from_json({"id": "P", "medications": [rifampin], **base}, "t")
    new = patient_from_json({"id": "Q", "medications": [recent], **base}, "t")
    assert screener.screen(old)["criteria"]["exclusion/1"] is False
    assert screener.screen(new)["criteria"]["exclusion/1"] is True


def test_a_negated_lead_in_negates_its_inline_list() -> None:
    # NCT00001968: "Must not have current or anticipated future need for the following anticonvulsants: ..."
    text = (
        "Must not have current or anticipated future need for the following anticonvulsants: phenobarbital, phenytoin."
    )
    expr = logic(text)
    assert expr["op"] == "not"
    has = [a for a in expr["arg"]["args"] if a["op"] == "has"]
    assert [a["display"] for a in has] == ["Phenobarbital", "Phenytoin"]
    assert all(a["window"]["value"] == 0 for a in has)  # "current": under way at as_of
    # "anticipated future need": no record holds plans, so a manual part keeps the criterion honest
    assert [a["op"] for a in expr["arg"]["args"] if a["op"] != "has"] == ["manual"]
    on = {"code": "ATC:N03AB02", "start": "2024-01-01", "end": None}
    assert screen(text, medications=[on], complete=["medications"]) is False
    # none now; whether one will be needed is for a person
    assert screen(text, medications=[], complete=["medications"]) is None


def test_patients_whose_x_must_y_is_an_implication() -> None:
    # ctgov NCT00001409: only patients with a low CD4 count are bound to have had antiretrovirals
    text = (
        "Patients whose CD4+ count is less than 500/mm(3) at entry must have been on FDA-approved "
        "antiretroviral agent(s) for at least 2 months."
    )
    expr = logic(text)
    assert expr["op"] == "implies"
    assert expr["if"]["code"] == "LOINC:24467-3" and expr["if"]["unit"] == "/mm3"
    cd4 = {"code": "LOINC:24467-3", "unit": "/mm3"}
    art = {"code": "ATC:J05AF07", "start": "2024-01-01", "end": None}
    high = {"observations": [{**cd4, "value": 700}], "medications": [], "complete": ["medications"]}
    low_untreated = {"observations": [{**cd4, "value": 300}], "medications": [], "complete": ["medications"]}
    low_treated = {"observations": [{**cd4, "value": 300}], "medications": [art], "complete": ["medications"]}
    assert screen(text, **high) is True  # the requirement does not apply
    assert screen(text, **low_untreated) is False
    assert screen(text, **low_treated) is True


MALIGNANCY_EXCEPT_BCC = "History of malignancy except basal cell carcinoma of the skin"
BREAST = {"code": "ICD10CM:C50.911"}
BCC = {"code": "ICD10CM:C44.91"}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([BREAST, BCC], True),  # a malignancy other than the excepted one: the exception does not rescue
        ([BCC], False),  # only the excepted one
        ([], False),
    ],
)
def test_a_coded_exception_narrows_the_concept_it_belongs_to(conditions: list[Any], expected: bool) -> None:
    # showcase exclusion 20 and NCT00006483 "No other malignancy ... except basal cell skin cancer"
    assert screen(MALIGNANCY_EXCEPT_BCC, conditions=conditions, complete=["conditions"]) is expected
    assert logic(MALIGNANCY_EXCEPT_BCC)["except"] == ["ICD10CM:C44"]


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [([{"code": "ICD10CM:I10"}], None), ([], False)],
)
def test_a_qualifier_no_record_codes_is_a_manual_part(conditions: list[Any], expected: bool | None) -> None:
    # NCT00004922 "uncontrolled ... heart failure": hypertension on record, its control unknown
    assert screen("Uncontrolled hypertension", conditions=conditions, complete=["conditions"]) is expected


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [([BREAST], True), ([BCC], None), ([], False)],
)
def test_a_qualified_exception_leaves_its_carve_out_to_a_person(conditions: list[Any], expected: bool | None) -> None:
    # "except adequately treated basal cell carcinoma": whether it was adequately treated is not on record
    text = "Prior malignancy except adequately treated basal cell carcinoma of the skin"
    assert screen(text, conditions=conditions, complete=["conditions"]) is expected


def test_qualifier_words_that_are_names_are_not_qualifiers() -> None:
    from extractor.rules import parse_qualifiers, qualifiers

    hits = [m.group() for q in qualifiers() for m in q.pattern.finditer("placebo-controlled trial; unstable angina")]
    assert hits == []
    with pytest.raises(Exception, match="unknown key"):
        parse_qualifiers('{"what": "x", "pattern": "y", "extra": 1}')


def _screen_trial(text: str, cid: str, **record: Any) -> bool | None:
    screener = Screener(parse_text(text, trial_id="T"))
    patient = patient_from_json({"id": "P", "as_of": "2025-03-01", **record}, "test")
    return screener.screen(patient)["criteria"][cid]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ICD10CM:B37.9", False), ("ICD10CM:B44.1", False), ("ICD10CM:B39.4", True), ("ICD10CM:A15.0", True)],
)
def test_a_concept_of_several_code_blocks_minus_the_studied_one(code: str, expected: bool) -> None:
    # NCT00002438 (a histoplasmosis trial) "No other active fungal infection.": the mycoses are B35-B49,
    # no one prefix; "other" leaves out histoplasmosis (B39), the condition studied
    text = "Inclusion Criteria:\n- Histoplasmosis\n- No other active fungal infection.\n"
    record = {"conditions": [{"code": "ICD10CM:B39.4"}, {"code": code}], "complete": ["conditions"]}
    assert _screen_trial(text, "inclusion/2", **record) is expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [("2015-06-01", True), ("2023-06-01", False), (None, False)],
)
def test_n_years_ago_asks_for_the_event_that_long_ago(when: str | None, expected: bool) -> None:
    # NCT00009711 "Patients who have undergone bone marrow transplantation for hematologic malignancy at
    # least 5 years ago": unlike "at least 4 weeks since prior chemotherapy", no transplant is no pass
    text = "Patients who have undergone bone marrow transplantation for hematologic malignancy at least 5 years ago"
    procedures = [{"code": "SNOMED:234336002", "date": when}] if when else []
    record = {
        "conditions": [{"code": "ICD10CM:C91.00"}],
        "procedures": procedures,
        "complete": ["conditions", "procedures"],
    }
    assert screen(text, **record) is expected


def test_an_exception_naming_what_a_treatment_was_for_needs_a_person() -> None:
    # NCT00001968: "... radiation therapy or cytotoxic chemotherapeutic agents within 30 days of study drug
    # administration (with the exception of local treatment of Kaposi's sarcoma)"
    text = (
        "Must not have had radiation therapy or cytotoxic chemotherapeutic agents within 30 days of study drug "
        "administration (with the exception of local treatment of Kaposi's sarcoma)."
    )
    expr = logic(text)
    carve = expr["arg"]["args"][1]["arg"]["args"]
    assert [c["op"] for c in carve] == ["manual"] and "Kaposi" in carve[0]["reason"]
    windows = [a["window"] for a in expr["arg"]["args"][0]["args"]]
    assert all(w == {"comparator": "<=", "value": 30, "unit": "d", "reference": "first_dose", "direction": "before"}
               for w in windows)  # fmt: skip


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ICD10CM:F10.20", True), ("ICD10CM:F14.10", True), ("ICD10CM:F32.9", False)],
)
def test_alcohol_or_drugs_is_either(code: str, expected: bool) -> None:
    # NCT00002420 "Abuse alcohol or drugs."
    assert screen("Abuse alcohol or drugs.", conditions=[{"code": code}], complete=["conditions"]) is expected


@pytest.mark.parametrize(
    ("medications", "expected"),
    [
        ([], None),  # nothing given, but "and recovered" is for a person
        ([{"code": "ATC:L01AD01", "start": "2025-01-20", "end": "2025-02-01"}], False),  # carmustine 4 weeks ago
        ([{"code": "ATC:L01AD01", "start": "2024-11-01", "end": "2024-12-01"}], None),  # 3 months ago: fine
    ],
)
def test_since_windows_and_their_alternatives_must_all_hold(medications: list[Any], expected: bool | None) -> None:
    # NCT00005794 "At least 4 weeks since prior chemotherapy (6 weeks for mitomycin and nitrosoureas) and recovered"
    text = "At least 4 weeks since prior chemotherapy (6 weeks for mitomycin and nitrosoureas) and recovered"
    record = {"medications": medications, "procedures": [], "complete": ["medications", "procedures"]}
    assert screen(text, **record) is expected
    assert logic(text)["op"] == "all"


def test_inclusion_items_chained_by_a_trailing_or_are_alternatives() -> None:
    # NCT00002738: "Creatinine less than 1.5 mg/dL OR" / "Creatinine clearance at least 60 mL/min"
    text = "Inclusion Criteria:\n- Creatinine less than 1.5 mg/dL OR\n- Creatinine clearance at least 60 mL/min\n"
    screener = Screener(parse_text(text, trial_id="T"))
    high_creatinine_good_clearance = {
        "id": "P",
        "as_of": "2025-03-01",
        "observations": [
            {"code": "LOINC:2160-0", "value": 1.8, "unit": "mg/dL", "date": "2025-02-27"},
            {"code": "LOINC:2164-2", "value": 75, "unit": "mL/min", "date": "2025-02-27"},
        ],
    }
    verdict = screener.screen(patient_from_json(high_creatinine_good_clearance, "test"))
    assert verdict["criteria"]["inclusion/1"] is True and verdict["criteria"]["inclusion/2"] is True
    assert verdict["eligible"] is True


def test_a_generic_treatment_word_beside_a_coded_drug_adds_nothing() -> None:
    # NCT00001968 "No prior treatment with any anti-retroviral agent."
    text = "No prior treatment with any anti-retroviral agent."
    assert screen(text, medications=[], complete=["medications"]) is True
    assert screen(text, medications=[{"code": "ATC:J05AF07", "start": "2020-01-01"}], complete=["medications"]) is False


@pytest.mark.parametrize(
    ("code", "expected"), [("ICD10CM:E11.9", True), ("ICD10CM:E10.9", True), ("ICD10CM:E23.2", False)]
)
def test_diabetes_mellitus_is_any_of_its_types(code: str, expected: bool) -> None:
    # NCT00001969 "Existing diabetes mellitus"
    assert screen("Existing diabetes mellitus", conditions=[{"code": code}], complete=["conditions"]) is expected


@pytest.mark.parametrize(
    ("text", "conditions", "expected"),
    [
        ("HIV negative", [{"code": "ICD10CM:Z21"}], False),  # asymptomatic HIV status is HIV too
        ("HIV negative", [], True),
        ("Negative ELISA for HIV.", [{"code": "ICD10CM:B20"}], False),
        ("Patients with a history of opioid dependence within the past month.", [], False),
    ],
)
def test_negative_after_the_concept_and_codes_the_gold_set_needed(
    text: str, conditions: list[Any], expected: bool
) -> None:
    # NCT00003757 "HIV negative", NCT00001019 "Negative ELISA for HIV.", NCT00463346 exclusion 3
    assert screen(text, conditions=conditions, complete=["conditions", "medications"], medications=[]) is expected


def test_a_qualifier_a_threshold_defines_adds_nothing_but_others_stay() -> None:
    # showcase exclusion 10/5: "Poorly controlled hypertension (systolic blood pressure >= 150 mm Hg ...)"
    expr = logic("Poorly controlled hypertension (systolic blood pressure >= 150 mm Hg and/or diastolic >= 95 mm Hg)")
    assert "manual" not in str(expr)
    # NCT00009711 "Disease-free survivors at least 6 years of age": the age is only half of it
    expr = logic("Disease-free survivors at least 6 years of age")
    assert expr["op"] == "all" and expr["args"][1]["op"] == "manual"


def _exclusion(text: str) -> dict[str, Any]:
    return compile_trial(parse_text(f"Exclusion Criteria:\n- {text}\n", trial_id="T"))["criteria"]["exclusion/1"]


def test_one_threshold_for_several_concepts_in_an_exclusion_is_either() -> None:
    # NCT00494884 exclusion 3/1: "ALT, AST greater than 2 times the upper limit of the normal range at visit 1."
    expr = _exclusion("ALT, AST greater than 2 times the upper limit of the normal range at visit 1.")
    assert expr["op"] == "any" and [a["code"] for a in expr["args"]] == ["LOINC:1742-6", "LOINC:1920-8"]
    # ... and in an inclusion, both: showcase inclusion 9/1 "AST and ALT <= 2.5 x ULN"
    assert logic("AST, ALT less than 2.5 times the upper limit of normal")["op"] == "all"


def test_coded_concepts_beside_a_threshold_are_kept() -> None:
    # NCT00461903 exclusion 20
    expr = _exclusion(
        "Severe known liver disease including cirrhosis, biliary obstruction or alanine aminotransferase (ALT) or "
        "aspartate aminotransferase (AST) elevation more than 3 times the upper limit of normal"
    )
    codes = {leaf.get("code") for a in expr["args"] for leaf in (a.get("args") or [a])}
    assert expr["op"] == "any" and {"LOINC:1742-6", "LOINC:1920-8"} <= codes and len(codes) > 2


def test_what_a_drug_is_for_in_an_aside_is_not_asked() -> None:
    # NCT00461903 exclusion 10
    expr = _exclusion(
        "Currently requiring class I or class III anti-arrhythmic drug therapy (for atrial fibrillation or any other "
        "arrhythmia)"
    )
    assert expr["op"] == "has" and expr["code"] == "ATC:C01B"


def test_examples_after_such_as_share_the_negation() -> None:
    # NCT03508687 "Are not currently taking potent CYP3A4 inhibitors such as itraconazole or a macrolide antibiotic."
    text = "Are not currently taking potent CYP3A4 inhibitors such as itraconazole or a macrolide antibiotic."
    on = [{"code": "ATC:J01FA09", "start": "2025-02-01", "end": None}]  # clarithromycin, still taken
    assert screen(text, medications=on, complete=["medications"]) is False


@pytest.mark.parametrize(
    ("procedures", "expected"),
    [
        ([{"code": "SNOMED:367336001", "date": "2025-02-20"}], True),  # chemotherapy: the permission is not for it
        (
            [{"code": "SNOMED:367336001", "date": "2025-02-20"}, {"code": "SNOMED:108290001", "date": "2025-02-20"}],
            True,
        ),
        ([{"code": "SNOMED:108290001", "date": "2025-02-20"}], None),  # radiotherapy: it may be the local one
        ([], False),
    ],
)
def test_a_same_code_permission_carves_out_of_its_own_concept_only(procedures: list[Any], expected: bool) -> None:
    # NCT00002420 exclusion 5
    text = (
        "Have received radiation therapy or chemotherapy within 30 days of study entry. (Local radiation therapy is "
        "allowed.)"
    )
    record = {"procedures": procedures, "medications": [], "complete": ["procedures", "medications"]}
    screener = Screener(parse_text(f"Exclusion Criteria:\n- {text}\n", trial_id="T"))
    patient = patient_from_json(
        {"id": "P", "as_of": "2025-03-01", "events": {"enrollment": "2025-03-01"}, **record}, "t"
    )
    assert screener.screen(patient)["criteria"]["exclusion/1"] is expected


def test_a_need_for_treatment_is_for_a_person() -> None:
    # NCT00006483 "No CNS metastases that require treatment"
    text = "No CNS metastases that require treatment"
    assert screen(text, conditions=[{"code": "ICD10CM:C79.31"}], complete=["conditions"]) is None
    assert screen(text, conditions=[], complete=["conditions"]) is True


def test_an_exception_no_code_exists_for_carves_nothing_from_coded_concepts() -> None:
    # showcase exclusion 3: "... (except inactive CNS leukemia)": epilepsy on record excludes
    text = (
        "Previous history of CNS disease, including but not limited to epilepsy, paralysis, aphasia, stroke, severe "
        "brain injury, dementia, Parkinson's disease, neuropathy (except inactive CNS leukemia);"
    )
    assert screen(text, conditions=[{"code": "ICD10CM:G40.909"}], complete=["conditions"]) is True
    assert screen(text, conditions=[], complete=["conditions"]) is False
    assert "uncodable" not in str(logic(text))


@pytest.mark.parametrize(
    "text",
    [
        "Histologically proven metastatic or unresectable high grade neuroendocrine tumor",  # NCT00004922
        "Relapsed or refractory acute lymphoblastic leukemia",
        "Stable seated morning home blood pressure of over 135 mmHg",  # NCT00460213
    ],
)
def test_what_no_record_states_keeps_a_manual_part(text: str) -> None:
    # histologic proof, extent and disease status, home measurements: the gold guide codes them as manual
    assert "manual" in str(logic(text))


def test_a_qualifier_qualifies_the_mention_it_belongs_to() -> None:
    # showcase exclusion 10/6: ventricular fibrillation on record excludes, whatever "requiring antiarrhythmic
    # treatment" says about arrhythmias in general
    text = (
        "Arrhythmias with clinical significance or requiring antiarrhythmic treatment (such as sustained ventricular "
        "tachycardia, ventricular fibrillation, torsade de pointes tachycardia and complete left bundle branch block, "
        "etc.);"
    )
    assert screen(text, conditions=[{"code": "ICD10CM:I49.01"}], complete=["conditions"], medications=[]) is True
    # ... and "clinically significant" reaches every coordinated mention; "cannot discontinue these medications"
    # qualifies the whole list
    expr = logic("Patients who are on B-blockers, thiazides, and/or glucocorticoids and cannot discontinue these.")
    assert expr["op"] == "all" and expr["args"][-1]["op"] == "manual"


def test_what_an_allergy_is_to_is_not_an_exposure() -> None:
    # showcase exclusion 11, NCT01098539 exclusion 9
    text = (
        "Allergic to any drug component to be used in this study, including but not limited to S1904, clearing drugs "
        "(cyclophosphamide, fludarabine), etc.;"
    )
    took_it = [{"code": "ATC:L01AA01", "start": "2024-01-01", "end": "2024-02-01"}]  # cyclophosphamide, no allergy
    assert screen(text, medications=took_it, conditions=[], complete=["medications", "conditions"]) is False
    assert "allergen is not on record" in str(logic(text))


@pytest.mark.parametrize(
    ("text", "drug", "expected"),
    [
        ("No known Nifedipine allergy.", "ATC:C08CA05", True),  # NCT00496184 inclusion 4
        ("have documented complete metformin intolerance", "ATC:A10BA02", None),  # NCT02131272: no code, a person
        ("Documented penicillin or aspirin allergy.", "ATC:B01AC06", False),  # NCT00924001, a second allergen joined
    ],
)
def test_a_drug_named_before_allergy_is_the_allergen_not_an_exposure(text: str, drug: str, expected: bool) -> None:
    # before, the drug was asked for beside the allergy: any(has the drug, has an allergy), so a patient on
    # nifedipine failed "No known Nifedipine allergy" and one on aspirin met "aspirin allergy"
    assert '"medication"' not in json.dumps(logic(text))
    on_it = [{"code": drug, "start": "2024-01-01", "end": None}]
    assert screen(text, medications=on_it, conditions=[], complete=["medications", "conditions"]) is expected


def test_what_a_drug_was_given_for_is_a_manual_part() -> None:
    # showcase exclusion 15/3 "Steroids as a preventive medication for allergic reactions ..."
    expr = logic("Steroids as a preventive medication for allergic reactions")
    assert expr["op"] == "all" and "indication is not on record" in expr["args"][-1]["reason"]
    assert "T78.4" not in str(expr)  # the allergic reaction is why, not what is asked


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("No psychosis", "ICD10CM:F20.9", False),  # schizophrenia is a psychosis (NCT00003757)
        ("Existing peripheral vascular disease", "ICD10CM:I70.21", True),  # NCT00001969
        ("Systemically-active antifungals.", "ATC:D01BA02", True),  # terbinafine (NCT00002438)
    ],
)
def test_class_concepts_cover_their_code_blocks(text: str, code: str, expected: bool) -> None:
    kind = "medications" if code.startswith("ATC") else "conditions"
    record = {kind: [{"code": code, "start": "2025-02-01", "end": None} if kind == "medications" else {"code": code}]}
    assert screen(text, **record, complete=[kind]) is expected


def test_consent_beside_a_threshold_is_not_dropped() -> None:
    # NCT00460486 "Provide the written informed consent of their parents / legal guardian (if the subject is under
    # 18 years of age);": for a minor a person checks; an adult is not excluded by the age
    text = (
        "Provide the written informed consent of their parents / legal guardian (if the subject is under 18 years of "
        "age);"
    )
    expr = logic(text)
    assert expr["op"] == "implies" and expr["then"]["op"] == "manual"
    assert screen(text, age=30) is True
    assert screen(text, age=15) is None
    # consent as a point in time asks nobody anything (showcase inclusion 2)
    assert "manual" not in str(logic("Male or female, aged 12-65 years when signing the informed consent form;"))


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([{"code": "ICD10CM:A15.0", "onset": "2024-10-01"}], True),  # active TB 5 months before consent
        ([{"code": "ICD10CM:A15.0", "onset": "2022-01-01"}], False),  # over a year ago, outside the window
        ([], False),
    ],
)
def test_a_judged_exception_carves_only_its_own_case(conditions: list[Any], expected: bool) -> None:
    # showcase exclusion 17: the investigator judges only those with TB more than a year ago
    text = (
        "Subjects with a history of active tuberculosis infection within 1 year before signing the ICF (except for "
        "subjects with a history of active tuberculosis infection more than 1 year ago who are judged by the "
        "investigator to have no evidence of active tuberculosis);"
    )
    screener = Screener(parse_text(f"Exclusion Criteria:\n- {text}\n", trial_id="T"))
    record = {"id": "P", "as_of": "2025-03-01", "events": {"informed_consent": "2025-03-01"}}
    patient = patient_from_json({**record, "conditions": conditions, "complete": ["conditions"]}, "t")
    assert screener.screen(patient)["criteria"]["exclusion/1"] is expected


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("Patients with dementia, amnestic and other cognitive disorders.", "ICD10CM:G30.9", True),  # NCT00463346
        ("Burkitt's lymphoma/leukemia;", "ICD10CM:C91.A0", True),  # showcase exclusion 2
        ("interstitial lung disease or interstitial pneumonia", "ICD10CM:J70.4", True),  # showcase exclusion 19
        ("Patients with secondary hypertension or malignant hypertension.", "ICD10CM:I10", None),  # NCT00460213
    ],
)
def test_more_concepts_that_span_code_blocks(text: str, code: str, expected: bool | None) -> None:
    # essential hypertension is neither secondary (I15) nor known to be malignant (no code of its own)
    assert screen(text, conditions=[{"code": code}], complete=["conditions"]) is expected


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [([{"code": "ICD10CM:Z33.1"}], True), ([], None)],
)
def test_a_judged_part_in_brackets_leaves_the_rest_decidable(conditions: list[Any], expected: bool | None) -> None:
    # NCT00461903 exclusion 2: pregnancy on record excludes; otherwise the investigator's part is open
    text = (
        "Pregnancy, breastfeeding, or possibility of becoming pregnant during the study (patients must have adequate "
        "contraception as determined by the investigator)."
    )
    screener = Screener(parse_text(f"Exclusion Criteria:\n- {text}\n", trial_id="T"))
    patient = patient_from_json(
        {"id": "P", "as_of": "2025-03-01", "conditions": conditions, "complete": ["conditions"]}, "t"
    )
    assert screener.screen(patient)["criteria"]["exclusion/1"] is expected


def test_with_or_without_x_does_not_ask_for_x() -> None:
    # NCT00001969 inclusion 1
    expr = logic(
        "Adults between the ages of 21 and 55, with or without major depression as diagnosed with The Structured "
        "Clinical Interview of Diagnosis (SCID) of the Diagnostic and Statistical Manual of Mental Disorder"
    )
    assert expr["op"] == "compare" and expr["fact"] == "age"


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [([{"code": "ICD10CM:Z33.1"}], False), ([], None)],
)
def test_a_negated_list_is_none_of_it_beside_a_willingness(conditions: list[Any], expected: bool | None) -> None:
    # NCT00001968 "Must not be pregnant or breast-feeding and willing to avoid pregnancy ...": pregnant fails;
    # otherwise breast-feeding and the willingness are open
    text = "Must not be pregnant or breast-feeding and willing to avoid pregnancy by the use of birth control."
    assert screen(text, conditions=conditions, complete=["conditions"]) is expected


def test_chemotherapy_on_record_as_its_drugs() -> None:
    # NCT00002738 inclusion 19: a record may list chemotherapy as the antineoplastic drugs given
    text = "At least 2 weeks since prior systemic chemotherapy"
    recent = [{"code": "ATC:L01XA01", "start": "2025-02-20", "end": "2025-02-20"}]  # cisplatin 9 days ago
    record = {"medications": recent, "procedures": [], "complete": ["medications", "procedures"]}
    assert screen(text, **record) is False
    assert screen(text, medications=[], procedures=[], complete=["medications", "procedures"]) is True


def test_a_count_no_code_encodes_does_not_ask_for_its_concept() -> None:
    # NCT00004922 "No more than 2 prior chemotherapy regimens": a patient who had chemotherapy is not thereby in
    expr = logic("No more than 2 prior chemotherapy regimens")
    assert expr["op"] == "manual" and "threshold" in expr["reason"]


def test_recovered_from_is_a_relation_and_recovery_is_for_a_person() -> None:
    # NCT00003757 "Recovered from prior chemotherapy"
    expr = logic("Recovered from prior chemotherapy")
    assert expr["op"] == "all" and "manual" in str(expr)
    assert (
        screen(
            "Recovered from prior chemotherapy", procedures=[], medications=[], complete=["procedures", "medications"]
        )
        is not True
    )


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [([{"code": "ICD10CM:J45.50"}], True), ([{"code": "ICD10CM:J45.20"}], None), ([], False)],
)
def test_two_qualified_mentions_of_one_concept_are_alternatives(conditions: list[Any], expected: bool | None) -> None:
    # NCT00461097 exclusion 6 "Severe asthma, uncontrolled mild or moderate asthma."
    assert (
        screen("Severe asthma, uncontrolled mild or moderate asthma.", conditions=conditions, complete=["conditions"])
        is expected
    )


def test_what_a_condition_requires_goes_with_it() -> None:
    # showcase exclusion 6: antibiotics alone are no infection
    expr = _exclusion(
        "Any uncontrolled active infection at the time of signing the ICF or within 4 weeks before apheresis, "
        "requiring antibiotic, antiviral or antifungal treatment;"
    )
    assert expr["op"] == "all" and expr["args"][1]["op"] == "any"
    # NCT00493935 exclusion 3/1: asthma only if treated with (systemic or inhaled) corticosteroids
    expr = _exclusion("Asthma if treated with systemic or inhaled corticosteroids in the last 6 months")
    assert expr["op"] == "all" and expr["args"][0]["code"] == "ICD10CM:J45"


@pytest.mark.parametrize(
    ("text", "age", "expected"),
    [
        ("Age 21 and under at diagnosis", 15, True),  # NCT00002738 (under "Age:"): 15 now, so 21 or under then
        ("Age 21 and under at diagnosis", 40, None),  # 40 now: diagnosed when?
        ("Under 18 years of age at time of transplantation", 30, None),  # NCT00009711
        ("Aged 12-65 years at the time of signing the informed consent form", 30, True),  # a plain age limit
    ],
)
def test_an_age_at_a_past_event_is_not_the_age_now(text: str, age: int, expected: bool | None) -> None:
    assert screen(text, age=age, procedures=[], complete=["procedures"]) is expected


def test_what_one_is_at_risk_of_is_not_had() -> None:
    # NCT00001019 inclusion 2 "No identifiable high-risk behavior for HIV infection."
    assert logic("No identifiable high-risk behavior for HIV infection.")["op"] == "manual"


def test_an_uncoded_exception_narrows_the_uncoded_concept_before_it() -> None:
    # gold NCT00494884 exclusion/3/5: "other than hyperglycemia" is about the lab abnormalities, so a recent
    # oral anti-diabetic excludes whatever the labs show; metformin is carved out of the drug class
    text = (
        "Clinically significant laboratory abnormalities, confirmed by repeat measurement, other than "
        "hyperglycemia, hyperinsulinemia, and glycosuria at visit 1 Treatment with any oral anti-diabetic "
        "other than metformin within 3 months prior to visit 1"
    )
    sulfonylurea = {"code": "ATC:A10BB12", "start": "2025-02-01", "end": None}
    metformin = {"code": "ATC:A10BA02", "start": "2025-02-01", "end": None}
    visit = {"screening": "2025-03-01"}
    assert screen(text, medications=[sulfonylurea], complete=["medications"], events=visit) is True
    assert screen(text, medications=[metformin], complete=["medications"], events=visit) is None


def test_examples_of_a_current_drug_are_current_too() -> None:
    # gold NCT03508687 unspecified/10
    expr = logic("Are not currently taking potent CYP3A4 inhibitors such as itraconazole or a macrolide antibiotic.")
    windows = [a.get("window") for a in expr["arg"]["args"] if a["op"] == "has"]
    assert windows and all(w is not None and w["value"] == 0 for w in windows)


def test_abnormal_measurement_without_threshold_is_a_manual_alternative() -> None:
    # gold NCT00494884 exclusion/3/3: the creatinine limits by sex go together, "or" the uncoded history
    text = (
        "Serum creatinine levels equal to or greater than 1.5 mg/dL (132 umol/L) males, equal to or greater "
        "than 1.4 mg/dL (123 umol/L) females, or a history of abnormal creatinine clearance at visit 1."
    )
    creatinine = {"code": "LOINC:2160-0", "value": 1.45, "unit": "mg/dL", "date": "2025-02-20"}
    assert screen(text, sex="female", observations=[creatinine]) is True
    assert screen(text, sex="male", observations=[creatinine]) is None  # below his limit; the history unknown


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ("WHO 0-2", "LOINC:89247-1"),  # gold NCT00003757: "WHO" names no code, the heading does
        ("Karnofsky 70-100%", "LOINC:89243-0"),  # a coded concept of its own is kept
    ],
)
def test_a_pdq_heading_names_what_a_bare_score_measures(item: str, code: str) -> None:
    text = f"PATIENT CHARACTERISTICS:\n\nPerformance status:\n\n  -  {item}\n"
    criteria = compile_trial(parse_text(text, trial_id="T"))["criteria"]
    (expr,) = criteria.values()
    assert expr["op"] == "compare" and expr["code"] == code


@pytest.mark.parametrize(
    ("lexicon", "label", "row", "key"),
    [
        (
            "procedures",
            "Procedure",
            '{"id": "x", "display": "X", "code": "SNOMED:234336002", "as_conditions": ["ATC:L01"], '
            '"synonyms": ["x"], "abbreviations": []}',
            "as_conditions",
        ),
        (
            "conditions",
            "Condition",
            '{"id": "x", "display": "X", "code": "ICD10CM:C50", "as_drugs": ["ATC:L01"], "synonyms": ["x"], '
            '"abbreviations": []}',
            "as_drugs",
        ),
    ],
)
def test_only_a_procedure_is_given_as_drugs_or_status_codes(lexicon: str, label: str, row: str, key: str) -> None:
    from extractor.errors import ResourceError
    from extractor.lexicon import _load_one

    with pytest.raises(ResourceError, match=key):
        _load_one(lexicon, label, row)


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([{"code": "ICD10CM:Z94.84", "onset": "2020-01-01"}], True),  # stem cells transplant status
        ([{"code": "ICD10CM:Z94.81", "onset": "2020-01-01"}], True),  # bone marrow transplant status
        ([], False),
    ],
)
def test_a_prior_transplant_shows_as_its_status_too(conditions: list[Any], expected: bool) -> None:
    # gold NCT06581081 exclusion/4, NCT00009711 inclusion/2
    record = {"conditions": conditions, "procedures": [], "complete": ["conditions", "procedures"]}
    assert screen("Previous hematopoietic stem cell transplantation;", **record) is expected


def test_a_dated_transplant_is_the_procedure_only() -> None:
    # gold NCT00009711 inclusion/1: a status code does not date the transplant
    expr = logic("Patients who have undergone bone marrow transplantation at least 5 years ago")
    assert expr["op"] == "has" and expr["kind"] == "procedure"


@pytest.mark.parametrize(
    ("text", "manual"),
    [
        # gold NCT00461903 exclusion/12
        (
            "Any medical condition requiring ACE inhibitor or angiotensin-receptor blocker therapy (e.g. diabetes, "
            "known proteinuria of more than 300 mg per day)",
            True,
        ),
        # the showcase's exclusion 16: a named condition keeps its code
        ("History of autoimmune disease requiring systemic immunosuppressive drug treatment", False),
    ],
)
def test_a_generic_condition_requiring_a_treatment_is_judged(text: str, manual: bool) -> None:
    assert (logic(text)["op"] == "manual") is manual


@pytest.mark.parametrize(
    ("heading", "group"),
    [
        # sub-headings of ClinicalTrials.gov records (trials.jsonl)
        ("Hypertensive Subjects:", "Hypertensive Subjects"),
        ("NORMAL VOLUNTEERS", "NORMAL VOLUNTEERS"),
        ("Part A", "Part A"),
        ("Cohort C:", "Cohort C"),
        ("PATIENT CHARACTERISTICS", None),
        ("Patients must have", None),
        ("Patients with the following prior conditions are excluded", None),
        ("CONTROLS AND PATIENTS", None),  # every subject is one or the other
        (None, None),
    ],
)
def test_a_cohort_heading(heading: str | None, group: str | None) -> None:
    from extractor.compile import cohort

    assert cohort(heading) == group


def test_criteria_under_a_cohort_heading_bind_that_cohort_only() -> None:
    # gold NCT00001625: "Normal Volunteers:" / "Obese Subjects:" each with their own BMI range
    text = (
        "INCLUSION CRITERIA:\n\nNormal Volunteers:\n\nAdults between the ages of 21 and 55, a normal body mass index "
        "(20-26 kg/m(2)).\n\nObese Subjects:\n\nAdults between the ages of 21 and 55 and a body mass index between "
        "30 and 35 kg/m(2).\n\nEXCLUSION CRITERIA:\n\nNormal Volunteers:\n\nPregnancy.\n"
    )
    criteria = compile_trial(parse_text(text, trial_id="T"))["criteria"]
    assert criteria["inclusion/1"]["op"] == "implies" and criteria["inclusion/1"]["if"]["op"] == "manual"
    assert criteria["inclusion/2"]["op"] == "implies"
    assert criteria["exclusion/1"]["op"] == "all" and criteria["exclusion/1"]["args"][0]["op"] == "manual"


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        # gold NCT03508687 unspecified/2: the MRI is how the steatosis was shown, not an alternative to it
        ("Hepatic steatosis as demonstrated by MRI-PDFF;", {"ICD10CM:K76.0", "ICD10CM:K75.81"}),
        # gold NCT00463346 inclusion/2
        (
            "Patients with a diagnosis of schizophrenia as determined by the Structured Clinical Interview for "
            "DSM-IV Axis I Disorders (SCID)",
            {"ICD10CM:F20"},
        ),
    ],
)
def test_how_a_diagnosis_was_shown_is_not_asked_for(text: str, codes: set[str]) -> None:
    assert {leaf.get("code") for leaf in _leaves_of(logic(text))} == codes


@pytest.mark.parametrize(
    ("text", "sex", "expected"),
    [
        # gold NCT00494884 exclusion/1: read as an inclusion here, so True means "holds"
        ("Pregnant or lactating female", "male", False),
        ("Pregnant or lactating female", "female", True),
        # gold NCT03508687 unspecified/6: binds women only
        ("Women patients must not be pregnant or lactating", "male", True),
        ("Women patients must not be pregnant or lactating", "female", False),
    ],
)
def test_pregnancy_of_women_named_as_such_is_about_women(text: str, sex: str, expected: bool) -> None:
    pregnant = [{"code": "ICD10CM:Z33.1", "onset": "2025-01-01", "status": "active"}]
    assert screen(text, sex=sex, conditions=pregnant, complete=["conditions"]) is expected


@pytest.mark.parametrize(
    ("start", "end", "expected"), [("2024-01-01", None, None), ("2023-01-01", "2024-01-01", False)]
)
def test_on_therapy_with_a_conventional_dose_is_current_and_the_dose_for_a_person(
    start: str, end: str | None, expected: bool | None
) -> None:
    # gold NCT00460213 inclusion/3: an ARB under way now; whether its dose is conventional is not on record
    arb = {"code": "ATC:C09CA01", "start": start, "end": end}
    text = "Patients who are on therapy with conventional dosage of ARB."
    assert screen(text, medications=[arb], complete=["medications"]) is expected


def test_the_study_drug_as_a_time_reference_is_not_asked_for() -> None:
    # gold NCT00001968 unspecified/6
    expr = logic(
        "Pregnancy test (blood or urine) must be negative within two weeks prior to dosing with study medications."
    )
    assert "study medications" not in json.dumps(expr)


@pytest.mark.parametrize(
    ("medications", "expected"),
    [
        ([{"code": "ATC:A10AB01", "start": "2020-01-01", "end": None}], True),  # insulin for five years
        ([{"code": "ATC:A10AB01", "start": "2025-01-01", "end": None}], False),  # for two months only
        ([{"code": "ATC:A10AB01", "start": None, "end": None}], None),  # since when unknown
        ([], False),  # no insulin at all
    ],
)
def test_a_duration_keeps_its_concept_and_an_inclusion_and_joins(medications: list[Any], expected: bool | None) -> None:
    # gold NCT00493935 inclusion/1 (the judgement sentence left out)
    text = "Clinical diagnosis of type 1 diabetes and using daily insulin therapy for at least one year"
    record = {"conditions": [{"code": "ICD10CM:E10.9", "onset": "2010-01-01", "status": "active"}]}
    assert screen(text, **record, medications=medications, complete=["conditions", "medications"]) is expected


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"onset": "2020-01-01", "status": "active"}, True),  # five years and counting
        ({"onset": "2024-12-01", "status": "active"}, False),  # three months
        ({"onset": "2020-01-01", "abatement": "2020-03-01", "status": "resolved"}, False),  # two months, over
        ({"onset": "2020-01-01", "abatement": None, "status": "resolved"}, None),  # over, but when?
        ({"onset": None, "status": "active"}, None),
    ],
)
def test_a_condition_lasts_from_onset_to_abatement_or_as_of(record: dict[str, Any], expected: bool | None) -> None:
    from extractor.logic import evaluate

    expr = {
        "op": "has",
        "kind": "condition",
        "code": "ICD10CM:E11",
        "duration": {"comparator": ">=", "value": 1, "unit": "a"},
    }
    patient = patient_from_json(
        {
            "id": "P",
            "as_of": "2025-03-01",
            "conditions": [{"code": "ICD10CM:E11.9", **record}],
            "complete": ["conditions"],
        },
        "test",
    )
    assert evaluate(expr, patient).value is expected


def test_a_percent_change_of_a_measure_in_kg_is_not_the_measure() -> None:
    # gold NCT00005794 inclusion/16/1: a weight loss of 10% of body weight is not a body weight of 10%
    expr = logic("No recent history of weight loss greater than 10% of current body weight")
    assert "compare" not in json.dumps(expr)


def test_a_condition_written_after_the_requirement() -> None:
    # gold NCT00461903 inclusion/4/1: "in the case of persistent AF" binds only patients with AF
    expr = logic("With an indication for cardioversion in the case of persistent AF")
    assert expr["op"] == "implies" and expr["if"]["code"].startswith("ICD10CM:I48")
    assert (
        screen(
            "With an indication for cardioversion in the case of persistent AF", conditions=[], complete=["conditions"]
        )
        is True
    )


def test_a_conditioned_exclusion_excludes_those_it_names() -> None:
    # gold NCT00001969 exclusion/8: only those on oral contraceptives (who must stop them) are concerned
    text = (
        "Exclusion Criteria:\n"
        "- Patients who are on oral contraceptives must discontinue the medication before the study.\n"
    )
    expr = compile_trial(parse_text(text, trial_id="T"))["criteria"]["exclusion/1"]
    assert expr["op"] == "all" and expr["args"][0]["op"] == "has"


def test_cystic_fibrosis_is_coded() -> None:
    # gold NCT00493935 exclusion/3/2
    assert logic("Cystic fibrosis")["code"] == "ICD10CM:E84"


@pytest.mark.parametrize(
    ("text", "expected_ops"),
    [
        # gold NCT00003757 inclusion/2: the disease comes after the drug, both must hold
        ("Progressive or recurrent disease after prior treatment with cladribine", "all"),
    ],
)
def test_a_relation_a_little_longer_still_joins(text: str, expected_ops: str) -> None:
    assert logic(text)["op"] == expected_ops


def test_low_dose_is_a_qualifier_no_record_states() -> None:
    # gold NCT00003757 inclusion/2/2
    expr = logic("Greater than 3 months since low dose cladribine")
    assert expr["op"] == "all" and any(a["op"] == "manual" for a in expr["args"])


@pytest.mark.parametrize(
    ("medications", "expected"),
    [
        # gold NCT00493935 inclusion/5: glargine with a short-acting insulin, or a pump (a person checks)
        ([{"code": "ATC:A10AE04", "start": "2024-01-01"}, {"code": "ATC:A10AB04", "start": "2024-01-01"}], True),
        ([{"code": "ATC:A10AE04", "start": "2024-01-01"}], None),  # glargine alone: only the pump could make it
        ([{"code": "ATC:A10AC01", "start": "2024-01-01"}], None),  # another insulin is not "the regimen" itself
    ],
)
def test_drugs_given_together_and_a_device_as_alternatives(medications: list[Any], expected: bool | None) -> None:
    text = "Insulin regimen involves either use of an insulin pump or Lantus (with short-acting insulin)"
    assert screen(text, medications=medications, complete=["medications"]) is expected


def test_how_long_a_lab_value_held_is_for_a_person() -> None:
    # ctgov NCT02071082: the viral load is compared; "for 6 consecutive months" is a history no single
    # result holds, and had been compared with the viral load as "== 6 mo"
    expr = logic("Maintained plasma HIV-1 RNA < 50 copies/mL for 6 consecutive months prior to the screening visit")
    assert expr["op"] == "all"
    compares = [a for a in expr["args"] if a["op"] == "compare"]
    assert [(a["code"], a["comparator"], a["value"], a["unit"]) for a in compares] == [
        ("LOINC:20447-9", "<", 50, "{copies}/mL")
    ]
    assert any(a["op"] == "manual" and "6 consecutive months" in a["reason"] for a in expr["args"])
    on_record = [{"code": "LOINC:20447-9", "value": 20, "unit": "{copies}/mL", "date": "2025-02-20"}]
    assert screen("Maintained plasma HIV-1 RNA < 50 copies/mL for 6 consecutive months", observations=on_record) is None


def test_what_an_anti_drug_is_against_is_not_asked() -> None:
    # ctgov NCT02071082, a trial of HIV/HBV co-infected adults: "anti-HIV treatment" had compiled to
    # not(has HIV infection), which every subject of the trial fails
    expr = logic(
        "No current or prior anti-HIV treatment, including antiretroviral medications received for prevention (PrEP)"
    )
    codes = {leaf.get("code") for leaf in _leaves_of(expr)}
    assert "ICD10CM:B20" not in codes and "ATC:J05AE" in codes


def test_old_antiretrovirals_by_their_abbreviations() -> None:
    # gold NCT00002420 exclusion/3
    expr = _exclusion(
        "Have ever taken certain anti-HIV medications including non-nucleoside reverse transcriptase inhibitors "
        "(NNRTIs), ddI, or d4T."
    )
    assert {leaf.get("code") for leaf in _leaves_of(expr)} == {"ATC:J05AG", "ATC:J05AF02", "ATC:J05AF04"}


@pytest.mark.parametrize(
    ("text", "window"),
    [
        # ctgov NCT02071082: "current or prior" is at any time
        ("No current or prior anti-HIV treatment, including antiretroviral medications", None),
        ("Prior or current use of systemic corticosteroids", None),
        ("Current use of systemic corticosteroids", {"comparator": "<=", "value": 0, "unit": "d"}),
    ],
)
def test_current_or_prior_is_ever(text: str, window: dict[str, Any] | None) -> None:
    leaves = [leaf for leaf in _leaves_of(logic(text)) if leaf["op"] == "has"]
    got = [leaf["window"] and {k: leaf["window"][k] for k in ("comparator", "value", "unit")} for leaf in leaves]
    assert leaves and all(w == window for w in got)


def test_pregnancy_of_women_beside_men_does_not_bind_women_only() -> None:
    # ctgov NCT02071082: men are admitted too; before, the criterion compiled to all(sex female, ...)
    expr = logic("HIV/HBV co-infected adult males and non-pregnant and non-lactating females")
    assert {"op": "sex", "value": "female"} not in expr.get("args", [])
    assert (
        screen(
            "HIV/HBV co-infected adult males and non-pregnant and non-lactating females",
            sex="male",
            conditions=[
                {"code": "ICD10CM:B20", "onset": "2020-01-01"},
                {"code": "ICD10CM:B18.1", "onset": "2020-01-01"},
            ],
        )
        is not False
    )
