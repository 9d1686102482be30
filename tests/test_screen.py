"""Screening the showcase protocol: thresholds at and around their limits, strata, units, missing data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from extractor.cli import main
from extractor.logic import evaluate, kleene_all, kleene_any
from extractor.patients import patient_from_json
from extractor.screen import Screener

SHOWCASE = Path(__file__).resolve().parents[1] / "examples" / "NCT06581081.txt"


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener.from_file(SHOWCASE)


def obs(code: str, value: float, unit: str | None = None, high: float | None = None) -> dict[str, Any]:
    o: dict[str, Any] = {"code": code, "value": value, "date": "2025-02-27"}
    if unit:
        o["unit"] = unit
    if high is not None:
        o["reference_high"] = high
    return o


def verdict(screener: Screener, **fields: Any) -> dict[str, Any]:
    record = {"id": "P", "as_of": "2025-03-01", "age": 30, "sex": "female", **fields}
    return screener.screen(patient_from_json(record, "test"))


def value(screener: Screener, criterion: str, **fields: Any) -> bool | None:
    return verdict(screener, **fields)["criteria"][criterion]


AST, ALT, TBIL = "LOINC:1920-8", "LOINC:1742-6", "LOINC:1975-2"
CREAT, CRCL, QTC, LVEF = "LOINC:2160-0", "LOINC:2164-2", "LOINC:8636-3", "LOINC:10230-1"
SBP, DBP, SPO2, ECOG = "LOINC:8480-6", "LOINC:8462-4", "LOINC:2708-6", "LOINC:89247-1"


@pytest.mark.parametrize(
    ("ast", "alt", "expected"),
    [(100, 40, True), (100.4, 40, False), (99, 101, False), (20, 20, True)],  # ULN 40: 2.5x = 100
)
def test_liver_enzymes_as_multiples_of_uln(screener: Screener, ast: float, alt: float, expected: bool) -> None:
    observations = [obs(AST, ast, "U/L", 40), obs(ALT, alt, "U/L", 40)]
    assert value(screener, "inclusion/9/1", observations=observations) is expected


def test_uln_multiple_without_a_reference_limit_is_unknown(screener: Screener) -> None:
    assert value(screener, "inclusion/9/1", observations=[obs(AST, 30, "U/L"), obs(ALT, 30, "U/L", 40)]) is None
    assert value(screener, "inclusion/9/1", observations=[]) is None


@pytest.mark.parametrize(("bili", "expected"), [(2.4, True), (2.41, False), (1.0, True)])  # ULN 1.2: 2x = 2.4
def test_total_bilirubin(screener: Screener, bili: float, expected: bool) -> None:
    assert value(screener, "inclusion/9/2", observations=[obs(TBIL, bili, "mg/dL", 1.2)]) is expected


@pytest.mark.parametrize(
    ("crcl", "creat", "expected"),
    [(60, 2.0, True), (59, 1.5, True), (59, 1.6, False), (None, 1.4, True), (None, None, None)],  # creat ULN 1.0
)
def test_adult_renal_function_either_measure(
    screener: Screener, crcl: float | None, creat: float | None, expected: bool | None
) -> None:
    observations = []
    if crcl is not None:
        observations.append(obs(CRCL, crcl, "mL/min"))
    if creat is not None:
        observations.append(obs(CREAT, creat, "mg/dL", 1.0))
    assert value(screener, "inclusion/9/3", observations=observations) is expected


@pytest.mark.parametrize(
    ("age", "sex", "creat_mg_dl", "expected"),
    [
        (11, "female", 1.2, True),  # 10 to 13 years: <= 1.2
        (11, "female", 1.21, False),
        (14, "male", 1.5, True),  # males 13 to 16: <= 1.5
        (14, "male", 1.51, False),
        (14, "female", 1.4, True),  # females 13 and above: <= 1.4
        (14, "female", 1.45, False),
        (17, "male", 1.7, True),  # males 16 and above: <= 1.7
        (17, "male", 1.71, False),
        (30, "male", 5.0, True),  # an adult: the children's limits do not apply
    ],
)
def test_childrens_creatinine_strata(
    screener: Screener, age: int, sex: str, creat_mg_dl: float, expected: bool
) -> None:
    observations = [obs(CREAT, creat_mg_dl, "mg/dL")]
    assert value(screener, "inclusion/9/4", age=age, sex=sex, observations=observations) is expected


def test_creatinine_in_micromoles_is_converted(screener: Screener) -> None:
    # 1.5 mg/dL = 132.6 umol/L (molar mass 113.12 g/mol)
    assert value(screener, "inclusion/9/4", age=14, sex="male", observations=[obs(CREAT, 132, "umol/L")]) is True
    assert value(screener, "inclusion/9/4", age=14, sex="male", observations=[obs(CREAT, 134, "umol/L")]) is False


def test_stratum_unknown_when_sex_is_unknown(screener: Screener) -> None:
    assert value(screener, "inclusion/9/4", age=14, sex="unknown", observations=[obs(CREAT, 1.45, "mg/dL")]) is None


@pytest.mark.parametrize(
    ("qtc", "unit", "expected"), [(469, "ms", False), (470, "ms", True), (0.47, "s", True), (0.469, "s", False)]
)
def test_qtc_exclusion_with_unit_conversion(screener: Screener, qtc: float, unit: str, expected: bool) -> None:
    assert value(screener, "exclusion/10/1", observations=[obs(QTC, qtc, unit)]) is expected


@pytest.mark.parametrize(("lvef", "unit", "expected"), [(49.9, "%", True), (50, "%", False), (0.45, "1", True)])
def test_lvef_exclusion_with_fractions(screener: Screener, lvef: float, unit: str, expected: bool) -> None:
    assert value(screener, "exclusion/10/4", observations=[obs(LVEF, lvef, unit)]) is expected


@pytest.mark.parametrize(
    ("sbp", "dbp", "expected"), [(150, 80, True), (149, 95, True), (149, 94, False), (149, None, None)]
)
def test_blood_pressure_either_limit_excludes(
    screener: Screener, sbp: float, dbp: float | None, expected: bool | None
) -> None:
    observations = [obs(SBP, sbp, "mm[Hg]")] + ([obs(DBP, dbp, "mm[Hg]")] if dbp is not None else [])
    assert value(screener, "exclusion/10/5", observations=observations) is expected


@pytest.mark.parametrize(("spo2", "expected"), [(92, False), (92.5, True), (0.95, True)])
def test_oxygen_saturation(screener: Screener, spo2: float, expected: bool) -> None:
    unit = "1" if spo2 < 1 else "%"
    assert value(screener, "inclusion/10", observations=[obs(SPO2, spo2, unit)]) is expected


@pytest.mark.parametrize(("ecog", "expected"), [(0, True), (1, True), (2, False)])
def test_ecog(screener: Screener, ecog: int, expected: bool) -> None:
    assert value(screener, "inclusion/4", observations=[obs(ECOG, ecog)]) is expected


@pytest.mark.parametrize(("age", "expected"), [(11, False), (12, True), (65, True), (66, False)])
def test_age_limits(screener: Screener, age: int, expected: bool) -> None:
    v = verdict(screener, age=age)
    assert v["criteria"]["inclusion/2"] is expected
    assert kleene_all([v["criteria"]["structured/minimum_age"], v["criteria"]["structured/maximum_age"]]) is expected
    if not expected:
        assert v["eligible"] is False


def test_prior_transplant_needs_a_complete_list_to_be_false(screener: Screener) -> None:
    hsct = {"code": "SNOMED:234336002", "display": "HSCT", "date": "2021-05-04"}
    assert value(screener, "exclusion/4", procedures=[hsct]) is True
    # the transplant may show as a procedure or as its status on the problem list (Z94.81, Z94.84)
    complete = ["procedures", "conditions"]
    assert value(screener, "exclusion/4", procedures=[], conditions=[], complete=complete) is False
    assert value(screener, "exclusion/4", procedures=[], complete=["procedures"]) is None
    assert value(screener, "exclusion/4", procedures=[]) is None


def test_windowed_exclusion(screener: Screener) -> None:
    events = {"informed_consent": "2025-03-01"}
    recent = {"code": "ICD10CM:I21.9", "display": "MI", "onset": "2024-11-01"}
    old = {"code": "ICD10CM:I21.9", "display": "MI", "onset": "2023-01-01"}
    assert value(screener, "exclusion/10/3", conditions=[recent], events=events) is True
    assert value(screener, "exclusion/10/3", conditions=[old], events=events, complete=["conditions"]) is False


def test_judgement_and_consent_need_review(screener: Screener) -> None:
    v = verdict(screener)
    assert v["criteria"]["inclusion/1"] is None and "inclusion/1" in v["needs_review"]
    assert v["criteria"]["exclusion/22"] is None and "exclusion/22" in v["needs_review"]
    assert v["eligible"] in (None, False)


def test_kleene_logic() -> None:
    assert kleene_all([True, None]) is None and kleene_all([False, None]) is False
    assert kleene_any([True, None]) is True and kleene_any([False, None]) is None
    patient = patient_from_json({"id": "x"}, "t")
    n_of = {"op": "n_of", "n": 2, "args": [{"op": "const", "value": True}, {"op": "const", "value": None}]}
    assert evaluate(n_of, patient).value is None
    implies = {"op": "implies", "if": {"op": "const", "value": False}, "then": {"op": "const", "value": False}}
    assert evaluate(implies, patient).value is True


def test_screen_cli_reports_bad_patients_and_screens_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patients = tmp_path / "p.jsonl"
    patients.write_text(
        "\n".join(
            [
                json.dumps({"id": "ok1", "as_of": "2025-03-01", "age": 30}),
                "{not json",
                json.dumps({"id": "bad", "observations": [{"code": AST, "value": "high"}]}),
                json.dumps({"id": "future", "as_of": "2025-03-01", "birth_date": "2030-01-01"}),
                json.dumps({"id": "unit", "observations": [{"code": AST, "value": 3, "unit": "furlongs"}]}),
                json.dumps({"id": "ok2", "as_of": "2025-03-01", "age": 70}),
            ]
        ),
        encoding="utf-8",
    )
    rc = main(["screen", str(SHOWCASE), "--patients", str(patients)])
    out, err = capsys.readouterr()
    verdicts = [json.loads(line) for line in out.splitlines()]
    assert rc == 3
    assert [v["patient"] for v in verdicts] == ["ok1", "ok2"]
    assert verdicts[1]["eligible"] is False
    skipped = [line for line in err.splitlines() if line.startswith("extractor: skipped")]
    assert len(skipped) == 4
    assert "p.jsonl:2" in skipped[0]
    assert "patient bad" in skipped[1] and "value must be a number" in skipped[1]
    assert "patient future" in skipped[2] and "after as_of" in skipped[2]
    assert "patient unit" in skipped[3] and "furlongs" in skipped[3]
    assert set(verdicts[0]) >= {"patient", "trial_id", "eligible", "criteria", "needs_review"}


def test_compile_cli_prints_versioned_logic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", str(SHOWCASE)]) == 0
    logic = json.loads(capsys.readouterr().out)
    assert logic["logic_version"] == "1"
    assert logic["criteria"]["inclusion/9/1"]["op"] == "all"
    assert logic["criteria"]["exclusion/10/5"]["op"] == "any"


def test_patients_as_a_json_list_and_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = tmp_path / "patients.json"
    listed.write_text(json.dumps([{"id": "a", "age": 30}, {"id": 7}, {"id": "b", "age": 40}]), encoding="utf-8")
    assert main(["screen", str(SHOWCASE), "--patients", str(listed), "--no-reasons"]) == 3
    out, err = capsys.readouterr()
    assert [json.loads(line)["patient"] for line in out.splitlines()] == ["a", "b"]
    assert "item 2" in err and "'id'" in err
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert main(["screen", str(SHOWCASE), "--patients", str(deep)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nested too deeply" in err
    assert main(["screen", str(SHOWCASE), "--patients", str(tmp_path / "missing.jsonl")]) == 1
    assert "no such patient file" in capsys.readouterr().err


def test_an_uncodable_threshold_beside_a_coded_one_leaves_the_criterion_unknown() -> None:
    # ctgov NCT00001409: "Anticipated survival greater than 6 months and Karnofsky ... >= 60%"
    from extractor import parse_text

    text = (
        "Inclusion Criteria:\n- Anticipated survival greater than 6 months and Karnofsky Performance Status >= 60%.\n"
    )
    screener = Screener(parse_text(text, trial_id="T"))
    karnofsky = "LOINC:89243-0"
    low = patient_from_json({"id": "a", "observations": [obs(karnofsky, 50)]}, "t")
    high = patient_from_json({"id": "b", "observations": [obs(karnofsky, 70)]}, "t")
    assert screener.screen(low)["criteria"]["inclusion/1"] is False
    assert screener.screen(high)["criteria"]["inclusion/1"] is None
    assert "inclusion/1" in screener.screen(high)["needs_review"]


def test_other_malignancies_exclude_a_second_cancer_not_the_studied_leukaemia(screener: Screener) -> None:
    # exclusion 20: "other primary malignant tumors within 5 years before signing the ICF"
    all_dx = {"code": "ICD10CM:C91.00", "onset": "2024-06-01", "status": "active"}
    breast = {"code": "ICD10CM:C50.911", "onset": "2023-01-01", "status": "resolved"}
    base = {"events": {"informed_consent": "2025-03-01"}, "complete": ["conditions"]}
    assert value(screener, "exclusion/20", conditions=[all_dx], **base) is False
    assert value(screener, "exclusion/20", conditions=[all_dx, breast], **base) is True


EVENTS = {"informed_consent": "2025-03-01", "apheresis": "2025-03-05"}
RT = "SNOMED:108290001"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2025-01-20", False),  # 40 days before consent: outside the 4-week window
        ("2025-02-08", True),  # 3 weeks before: inside, and too early for the 2-week local-palliative exception
        ("2025-02-22", None),  # 1 week before: it may be the local palliative radiotherapy the text allows
        (None, False),
    ],
)
def test_radiotherapy_window_and_its_same_code_exception(screener: Screener, when: str | None, expected: bool) -> None:
    # exclusion 13: "Received extensive radiotherapy within 4 weeks before signing the ICF, except for local
    # radiotherapy of non-target lesions for symptom relief within 2 weeks before signing the ICF ..."
    procedures = [{"code": RT, "date": when}] if when else []
    assert value(screener, "exclusion/13", procedures=procedures, events=EVENTS, complete=["procedures"]) is expected


@pytest.mark.parametrize(("nyha", "expected"), [(1, False), (2, True), (3, True)])
def test_nyha_class_two_or_above(screener: Screener, nyha: int, expected: bool) -> None:
    # exclusion 10/2: "New York Heart Association (NYHA) grade II or above heart failure"
    assert value(screener, "exclusion/10/2", observations=[obs("LOINC:88020-3", nyha)]) is expected


@pytest.mark.parametrize(("when", "expected"), [("2025-02-15", True), ("2024-12-01", None)])
def test_vaccines_received_or_planned(screener: Screener, when: str, expected: bool | None) -> None:
    # exclusion 21: "received attenuated/inactivated vaccines within 4 weeks before signing the ICF, or ... are
    # planned to receive attenuated/inactivated vaccines during the screening period": a plan is not on record
    vaccine = {"code": "ATC:J07BB02", "start": when, "end": when}
    assert value(screener, "exclusion/21", medications=[vaccine], events=EVENTS, complete=["medications"]) is expected


@pytest.mark.parametrize(
    ("load", "unit", "expected"),
    [(250_000, "[IU]/mL", True), (50_000, "[IU]/mL", False), (5.2, "{Log_IU}/mL", True), (4.9, "{Log_IU}/mL", False)],
)
def test_viral_load_in_log_units(tmp_path: Path, load: float, unit: str, expected: bool) -> None:
    # ctgov NCT01448200: "Serum HCV RNA > 5 log10 IU/mL at Screen": 10^5 IU/mL, never compared as 5 IU/mL
    protocol = tmp_path / "hcv.txt"
    protocol.write_text("Inclusion Criteria:\n- Serum HCV RNA > 5 log10 IU/mL at Screen\n", encoding="utf-8")
    screener = Screener.from_file(protocol)
    assert value(screener, "inclusion/1", observations=[obs("LOINC:11011-4", load, unit)]) is expected
