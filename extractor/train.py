"""``extractor train``: rebuild the learned artifacts in ``models/`` from ``../shared/corpora``."""

from __future__ import annotations

import json
import platform
import time
from datetime import date
from pathlib import Path
from typing import Any

from . import gazetteer
from .errors import ExtractorError
from .evaluate import split_ids
from .evaluate.chia import gold_entities, load_chia
from .evaluate.run import corpus_dir, evaluate_chia


def train_gazetteer(directory: str | None = None, out: Path | None = None) -> dict[str, Any]:
    """Train on Chia's train split, score rules / model / both on its test split, write the model card."""
    out = out or gazetteer.DEFAULT_DIR
    started = time.perf_counter()
    chia = corpus_dir("chia", directory)
    docs = list(load_chia(chia))
    split = split_ids([d[0] for d in docs])
    train_ids = set(split["train"])
    rows, report = gazetteer.train((d for d in docs if d[0] in train_ids), gold_entities)
    gazetteer.save(rows, out)
    report["train_seconds"] = round(time.perf_counter() - started, 1)
    scores: dict[str, Any] = {}
    for mode in ("rules", "model", "both"):
        s = evaluate_chia(str(chia), split="test", mode=mode)
        scores[mode] = s
    report["test"] = {mode: s.as_dict() for mode, s in scores.items()}
    report["split"] = {name: len(ids) for name, ids in split.items()}
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "README.md").write_text(_card(report, scores, out), encoding="utf-8")
    return report


def _f1_table(scores: dict[str, Any]) -> str:
    labels = [
        "Condition",
        "Drug",
        "Procedure",
        "Measurement",
        "Observation",
        "Device",
        "Value",
        "Temporal",
        "Demographic",
    ]
    lines = [
        "| label | rules exact | rules overlap | model overlap | both exact | both overlap |",
        "|---|---|---|---|---|---|",
    ]
    for label in [*labels, "(micro)"]:
        cells = []
        for mode, crit in (
            ("rules", "exact"),
            ("rules", "overlap"),
            ("model", "overlap"),
            ("both", "exact"),
            ("both", "overlap"),
        ):
            counts = scores[mode].micro(crit) if label == "(micro)" else scores[mode].rows[crit].get(label)
            cells.append(f"{counts.f1:.3f}" if counts is not None else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _card(report: dict[str, Any], scores: dict[str, Any], out: Path) -> str:
    size = (out / "gazetteer.jsonl").stat().st_size
    kept = ", ".join(f"{k} {v}" for k, v in report["kept_per_label"].items())
    return f"""# chia-gazetteer

A gazetteer (surface form -> entity label) learned from the **train** split of the Chia
corpus (Kury et al. 2020, CC BY 4.0). It fills, at run time, only the spans the hand-made
lexicons in `extractor/resources/` did not claim (rules win), and is switched off with
`build_nlp(gazetteer=False)` or the component setting `use_gazetteer = false`.

- **Data:** Chia `NCT*_inc/_exc` brat files, labels mapped as in `docs/corpus-mapping.md`.
- **Split:** `extractor.evaluate.split_ids` (documents grouped by trial, sorted, shuffled with
  seed 13, 80/10/10): {report["split"]} documents (train/dev/test). Trained on train only,
  scored on test only.
- **Method:** keep a lower-cased surface form annotated at least {report["settings"]["min_count"]}
  times in train, with one label at least {report["settings"]["min_purity"]:.0%} of the time, and
  whose occurrences in the train texts are annotated with that label at least
  {report["settings"]["min_precision"]:.0%} of the time. {report["candidates"]} candidates,
  {report["kept"]} kept ({kept}). No codes: a learned form has no standard code.
- **Size:** {size / 1024:.0f} KB. **Trained:** {date.today().isoformat()} on {platform.machine()},
  {report["train_seconds"]} s to train (2 cores; scoring the test split takes a few seconds more).
- **Retrain:** `extractor train gazetteer` (reads `../shared/corpora/chia`).

## Test split, F1 per label (exact and overlap span match)

{_f1_table(scores)}

Rules = packaged lexicons and threshold rules; model = this gazetteer alone (threshold rules
still give Value/Temporal); both = the pipeline's default.
"""


def train_triage(directory: str | None = None, out: Path | None = None) -> dict[str, Any]:
    """Train the criterion triage classifier on Chia's train split; score it on test; write the card."""
    from sklearn.metrics import classification_report, confusion_matrix, f1_score

    from . import triage

    out = out or triage.DEFAULT_DIR
    started = time.perf_counter()
    docs = list(load_chia(corpus_dir("chia", directory)))
    split = split_ids([d[0] for d in docs])
    parts = {name: triage.dataset(d for d in docs if d[0] in set(ids)) for name, ids in split.items()}
    model = triage.train(*parts["train"], *parts["dev"])
    seconds = round(time.perf_counter() - started, 1)
    path = triage.save(model, out)
    triage.load.cache_clear()
    loaded = triage.load(path)
    if loaded is None:  # pragma: no cover - just saved
        raise ExtractorError("the triage model just saved cannot be read", where=str(path))
    test_texts, test_labels = parts["test"]
    predicted = [int(s >= loaded.threshold) for s in loaded.scores(test_texts)]
    macro = f1_score(test_labels, predicted, average="macro")
    matrix = confusion_matrix(test_labels, predicted).tolist()
    per_class = classification_report(
        test_labels, predicted, target_names=["machine-checkable", "needs a person"], output_dict=True
    )
    report = {
        "examples": {name: len(t) for name, (t, _) in parts.items()},
        "positives": {name: sum(y) for name, (_, y) in parts.items()},
        "C": model["C"],
        "threshold": model["threshold"],
        "dev_macro_f1": model["dev_macro_f1"],
        "test_macro_f1": round(macro, 4),
        "test_confusion_matrix": matrix,
        "test_per_class": per_class,
        "train_seconds": seconds,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    size = path.stat().st_size
    rows = "\n".join(
        f"| {name} | {per_class[name]['precision']:.3f} | {per_class[name]['recall']:.3f} | "
        f"{per_class[name]['f1-score']:.3f} | {int(per_class[name]['support'])} |"
        for name in ("machine-checkable", "needs a person")
    )
    (out / "README.md").write_text(
        f"""# chia-triage

Predicts whether a criterion can be decided from a structured patient record or needs a person.
A scikit-learn model: hashed word 1-2-grams and character 3-5-grams ({2 * triage.N_FEATURES:,}
features, stateless `HashingVectorizer`s) and a class-balanced logistic regression; saved as JSON
weights (no pickle).

- **Data:** Chia (Kury et al. 2020, CC BY 4.0), one example per criterion line; "needs a person"
  when Chia marks the line Non-query-able, Informed_consent, Subjective_judgement,
  Post-eligibility, Competing_trial, Pregnancy_considerations, Non-representable,
  Intoxication_considerations or Not_a_criteria.
- **Split:** `extractor.evaluate.split_ids` (by trial, seed 13, 80/10/10): {report["examples"]} lines,
  of which needs-a-person {report["positives"]}. C ({model["C"]}) and the decision threshold
  ({model["threshold"]}) were chosen on dev (macro F1 {model["dev_macro_f1"]}); scores below are on test.
- **Size:** {size / 1024:.0f} KB. **Trained:** {date.today().isoformat()}, {seconds} s on 2 cores.
- **Retrain:** `extractor train triage`.

## Test split

Macro F1 **{macro:.3f}**.

| class | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

Confusion matrix (rows: truth, columns: prediction; machine-checkable, needs a person):

| | predicted machine-checkable | predicted needs a person |
|---|---|---|
| machine-checkable | {matrix[0][0]} | {matrix[0][1]} |
| needs a person | {matrix[1][0]} | {matrix[1][1]} |
""",
        encoding="utf-8",
    )
    return report
