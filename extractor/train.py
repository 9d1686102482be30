"""``extractor train``: rebuild the learned artifacts in ``models/`` from ``../shared/corpora``."""

from __future__ import annotations

import json
import platform
import time
from datetime import date
from pathlib import Path
from typing import Any

from . import gazetteer
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
