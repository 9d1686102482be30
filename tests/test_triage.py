"""The criterion triage classifier: data from brat, training, JSON round trip, the shipped model."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor import triage
from extractor.evaluate.brat import read_ann


def test_dataset_labels_lines_with_triage_annotations() -> None:
    text = "Signed informed consent\n\nHemoglobin >= 9 g/dL\nWilling to comply"
    ann = read_ann("T1\tInformed_consent 0 23\tSigned informed consent\nT2\tMeasurement 25 35\tHemoglobin")
    texts, labels = triage.dataset([("NCT1_inc", text, ann)])
    assert labels == [1, 0, 0]
    assert texts[0] == "__inclusion__ Signed informed consent"


def test_train_save_load_round_trip(tmp_path: Path) -> None:
    person = ["Signed informed consent", "Able to comply with the protocol", "Judged fit by the investigator"] * 8
    record = ["Hemoglobin >= 9 g/dL", "Platelets > 100,000/mm3", "Creatinine <= 1.5 mg/dL"] * 8
    texts, labels = person + record, [1] * len(person) + [0] * len(record)
    groups = [f"NCT{i % 6}" for i in range(len(texts))]  # six trials, so five folds by trial exist
    model = triage.train(texts, labels, groups)
    assert model["cv_macro_f1"] > 0.9
    path = triage.save(model, tmp_path / "m")
    loaded = triage.TriageModel.__new__(triage.TriageModel)
    loaded.__init__(__import__("json").loads(path.read_text()))
    consent, lab = loaded.needs_person(["Signed informed consent", "Hemoglobin >= 9 g/dL"])
    assert consent > 0.5 > lab


def test_shipped_model_separates_the_obvious() -> None:
    model = triage.load()
    if model is None:
        pytest.skip("no trained triage model in models/chia-triage")
    consent, judgement, lab = model.needs_person(
        [
            triage.with_section("The subject understands and voluntarily signs the informed consent form", "inclusion"),
            triage.with_section("Any condition that in the opinion of the investigator would interfere", "exclusion"),
            triage.with_section("Total bilirubin <= 1.5 x ULN", "inclusion"),
        ]
    )
    assert consent > 0.5 and judgement > 0.5 and lab < 0.5


def test_a_model_with_other_features_is_refused() -> None:
    with pytest.raises(ValueError, match="retrain"):
        triage.TriageModel({"version": 1, "n_features": 12, "threshold": 0, "intercept": 0, "weights": []})


def test_scores_are_the_vectorisers_dot_product_exactly() -> None:
    """``TriageModel.scores`` hashes n-grams itself (no sparse matrix per call); it must give what
    ``features(texts) @ weights`` gives, for any weights, texts with non-ASCII characters and empty ones."""
    import numpy as np

    rng = np.random.default_rng(13)
    columns = rng.choice(2 * triage.N_FEATURES, size=20_000, replace=False)
    weights = [[int(i), float(w)] for i, w in zip(columns, rng.normal(size=columns.size), strict=True)]
    model = triage.TriageModel(
        {"version": 1, "n_features": triage.N_FEATURES, "threshold": 0.1, "intercept": -0.7, "weights": weights}
    )
    texts = [
        triage.with_section("Serum creatinine ≤ 1.5 mg/dL or creatinine clearance ≥ 60 mL/min", "inclusion"),
        triage.with_section("Known hypersensitivity to Tâ€™s or µg doses; café-au-lait spots", "exclusion"),
        "",
        "   ",
        "İSTANBUL\u00a0criteria\t\tTwo  spaces\u2003em space\nnew line ÆØÅ ß",
        triage.with_section("Signed informed consent " * 30, "inclusion"),
    ]
    dense = np.zeros(2 * triage.N_FEATURES)
    for i, w in weights:
        dense[i] = w
    expected = triage.features(texts) @ dense - 0.7
    assert np.allclose(model.scores(texts), expected, rtol=0, atol=1e-9)
    assert model.scores([]) == []
