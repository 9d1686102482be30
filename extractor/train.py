"""``extractor train``: rebuild the learned artifacts in ``models/`` from ``../shared/corpora``."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from . import gazetteer
from . import vectors as vectors_mod
from .errors import ExtractorError
from .evaluate import split_ids, trial_of
from .evaluate.chia import gold_entities, load_chia
from .evaluate.run import corpus_dir, evaluate_chia_both_ways


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
    report["trained"] = date.today().isoformat()
    report["split"] = {name: len(ids) for name, ids in split.items()}
    return _score_gazetteer(report, str(chia), out)


def _score_gazetteer(report: dict[str, Any], chia: str, out: Path) -> dict[str, Any]:
    # the card's "model" column: this gazetteer alone
    modes = {"rules": "rules", "model": "gazetteer", "both": "both"}
    return _write_scores(report, chia, out, modes, None, lambda scores, strict: _card(report, scores, strict, out))


def _write_scores(
    report: dict[str, Any],
    chia: str,
    out: Path,
    modes: dict[str, str],
    ner_path: str | None,
    card: Callable[[dict[str, Any], dict[str, Any]], str],
) -> dict[str, Any]:
    """Score each tagger of ``modes`` (card column -> :func:`evaluate_chia` mode) on Chia's test split, as scored
    by default and ``strict``; write both into ``report.json`` and the ``card`` (scores, strict) into README.md."""
    both_ways = {
        column: evaluate_chia_both_ways(chia, split="test", mode=mode, ner_path=ner_path)
        for column, mode in modes.items()
    }
    scores = {column: scoped for column, (scoped, _) in both_ways.items()}
    strict = {column: s for column, (_, s) in both_ways.items()}
    report["test"] = {column: s.as_dict() for column, s in scores.items()}
    report["test_strict"] = {column: s.as_dict() for column, s in strict.items()}
    report["scored"] = date.today().isoformat()
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "README.md").write_text(card(scores, strict), encoding="utf-8")
    return report


def _saved_report(out: Path, artifact: Path, what: str) -> dict[str, Any]:
    """The ``report.json`` beside a trained ``artifact``, for scoring it again (``what``: the train command's)."""
    path = out / "report.json"
    if not artifact.exists() or not path.exists():
        raise ExtractorError(f"no trained {what} with a report to score (run 'extractor train {what}')", where=str(out))
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


def rescore_gazetteer(directory: str | None = None, out: Path | None = None) -> dict[str, Any]:
    """Score the learned gazetteer in ``out`` again with today's lexicons and scoring, without relearning it."""
    out = out or gazetteer.DEFAULT_DIR
    report = _saved_report(out, out / "gazetteer.jsonl", "gazetteer")
    return _score_gazetteer(report, str(corpus_dir("chia", directory)), out)


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


def _card(report: dict[str, Any], scores: dict[str, Any], strict: dict[str, Any], out: Path) -> str:
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
- **Size:** {size / 1024:.0f} KB. **Trained:** {report.get("trained", "(date not recorded)")} on {platform.machine()},
  {report["train_seconds"]} s to train (2 cores; scoring the test split takes a few seconds more).
  **Scored:** {report.get("scored", report.get("trained", "(date not recorded)"))}.
- **Retrain:** `extractor train gazetteer` (reads `../shared/corpora/chia`).

## Test split, F1 per label (exact and overlap span match)

{_f1_table(scores)}

Rules = packaged lexicons and threshold rules; model = this gazetteer alone (threshold rules
still give Value/Temporal); both = the pipeline's default (rules, this gazetteer and the NER of models/chia-ner).

{_strict_line(strict, {"model": "this gazetteer alone", "rules": "rules", "both": "both"})}
"""


def train_triage(directory: str | None = None, out: Path | None = None) -> dict[str, Any]:
    """Train the criterion triage classifier on Chia's train split; score it on test; write the card."""
    from sklearn.metrics import classification_report, confusion_matrix, f1_score

    from . import triage

    out = out or triage.DEFAULT_DIR
    started = time.perf_counter()
    docs = list(load_chia(corpus_dir("chia", directory)))
    split = split_ids([d[0] for d in docs])
    parts = {name: triage.dataset_with_groups(d for d in docs if d[0] in set(ids)) for name, ids in split.items()}
    fit = [row for name in ("train", "dev") for row in zip(*parts[name], strict=True)]
    model = triage.train([t for t, _, _ in fit], [y for _, y, _ in fit], [g for _, _, g in fit])
    seconds = round(time.perf_counter() - started, 1)
    path = triage.save(model, out)
    triage.load.cache_clear()
    loaded = triage.load(path)
    if loaded is None:  # pragma: no cover - just saved
        raise ExtractorError("the triage model just saved cannot be read", where=str(path))
    test_texts, test_labels, _ = parts["test"]
    predicted = [int(s >= loaded.threshold) for s in loaded.scores(test_texts)]
    macro = f1_score(test_labels, predicted, average="macro")
    matrix = confusion_matrix(test_labels, predicted).tolist()
    per_class = classification_report(
        test_labels, predicted, target_names=["machine-checkable", "needs a person"], output_dict=True
    )
    report = {
        "examples": {name: len(t) for name, (t, _, _) in parts.items()},
        "positives": {name: sum(y) for name, (_, y, _) in parts.items()},
        "C": model["C"],
        "threshold": model["threshold"],
        "cv_macro_f1": model["cv_macro_f1"],
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
  of which needs-a-person {report["positives"]}. The model learns from train and dev together; C
  ({model["C"]}) and the decision threshold ({model["threshold"]}) were chosen by macro F1 on the out-of-fold
  scores of a {triage.FOLDS}-fold split of train and dev by trial (macro F1 {model["cv_macro_f1"]}). Scores
  below are on test, which played no part in training or in either choice.
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


def train_ner(
    directory: str | None = None,
    out: Path | None = None,
    *,
    ctgov: str | None = None,
    pretrain_epochs: int = 0,
    max_steps: int | None = None,
    vectors: bool = False,
    vector_dim: int = 100,
    lct: bool = False,
) -> dict[str, Any]:
    """Train the spaCy recogniser on Chia's train split (dev for model selection), optionally with static
    vectors learned from unlabelled criteria (:mod:`extractor.vectors`) or its ``tok2vec`` pretrained on ctgov
    criteria; score it on test beside the rules; write the card."""
    import shutil
    import tempfile

    from . import ner
    from .evaluate.run import SHARED
    from .readers import open_input

    out = out or ner.DEFAULT_DIR
    started = time.perf_counter()
    chia = corpus_dir("chia", directory)
    docs = list(load_chia(chia))
    split = split_ids([d[0] for d in docs])
    overrides: dict[str, Any] = {}
    if max_steps:
        overrides = {"training.max_steps": max_steps, "training.eval_frequency": min(500, max_steps)}
    report: dict[str, Any] = {"split": {name: len(ids) for name, ids in split.items()}, "labels": list(ner.LABELS)}
    held = {trial_of(i) for name in ("dev", "test") for i in split[name]}
    corpus = Path(ctgov) if ctgov else SHARED / "ctgov" / "trials.jsonl"
    if (vectors or pretrain_epochs > 0) and not corpus.exists():
        raise ExtractorError(
            "unlabelled criteria for vectors or pretraining not found (pass --ctgov)", where=str(corpus)
        )
    with tempfile.TemporaryDirectory(prefix="extractor-ner-") as tmp:
        work = Path(tmp)
        lct_docs: list[Any] = []
        if lct:
            from .evaluate.lct import load_lct

            lct_dir = corpus_dir("lct", str(_lct_beside(directory)))
            lct_docs = [d for d in load_lct(lct_dir) if trial_of(d[0]) not in held]
        report["lines"] = ner.build_docbins(docs, split, work, lct=lct_docs)
        if vectors:
            t0 = time.perf_counter()
            texts = _unlabelled_texts(corpus, docs, held, directory)
            report["vectors"] = vectors_mod.build(texts, work / "vectors", dim=vector_dim)
            report["vectors"]["seconds"] = round(time.perf_counter() - t0, 1)
            overrides = {
                **overrides,
                "paths.vectors": str(work / "vectors"),
                "components.tok2vec.model.embed.include_static_vectors": True,
                # with vectors the model overfits sooner: more dropout, and dev checked twice as often
                "training.dropout": 0.25,
                "training.eval_frequency": min(250, overrides.get("training.eval_frequency", 250)),
            }
        init = None
        if pretrain_epochs > 0:
            report["pretrain_lines"] = ner.write_raw_text(open_input(corpus).records, held, work / "raw.jsonl")
            t0 = time.perf_counter()
            init = ner.pretrain(work, work / "pretrain", overrides={"pretraining.max_epochs": pretrain_epochs})
            report["pretrain_seconds"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        best = ner.train(work, work / "trained", init_tok2vec=init, overrides=overrides)
        report["train_seconds"] = round(time.perf_counter() - t0, 1)
        meta = json.loads((best / "meta.json").read_text(encoding="utf-8"))
        report["dev"] = {k: meta.get("performance", {}).get(k) for k in ("ents_f", "ents_p", "ents_r")}
        if (out / "model").exists():
            shutil.rmtree(out / "model")
        out.mkdir(parents=True, exist_ok=True)
        shutil.copytree(best, out / "model")
        shutil.copy(work / "config.cfg", out / "config.cfg")
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    report["trained"] = date.today().isoformat()
    report["size_mb"] = round(sum(p.stat().st_size for p in (out / "model").rglob("*") if p.is_file()) / 2**20, 1)
    return _score_ner(report, str(chia), out)


def _score_ner(report: dict[str, Any], chia: str, out: Path) -> dict[str, Any]:
    """Score the model in ``out`` on Chia's test split (alone, and beside the rules), both ways; write
    ``report.json`` and the card."""
    from .tagging import default_nlp

    default_nlp.cache_clear()
    modes = {mode: mode for mode in ("rules", "ner", "model", "both")}
    return _write_scores(
        report, chia, out, modes, str(out / "model"), lambda scores, strict: _ner_card(report, scores, strict)
    )


def rescore_ner(directory: str | None = None, out: Path | None = None) -> dict[str, Any]:
    """Score the trained NER in ``out`` again with today's lexicons and scoring, without retraining;
    rewrite its ``report.json`` and card."""
    from . import ner

    out = out or ner.DEFAULT_DIR
    report = _saved_report(out, out / "model" / "config.cfg", "ner")
    return _score_ner(report, str(corpus_dir("chia", directory)), out)


def _unlabelled_texts(
    corpus: Path, chia: list[tuple[str, str, Any]], held: set[str], directory: str | None
) -> list[str]:
    """Criteria for the static vectors: ctgov's, Chia's and LCT's, without the trials of Chia's dev and test."""
    from .evaluate.lct import load_lct
    from .readers import open_input

    texts = [
        r.eligibility
        for r in open_input(corpus).records
        if not isinstance(r, Exception) and r.trial_id not in held and r.eligibility.strip()
    ]
    texts += [text for doc_id, text, _ in chia if trial_of(doc_id) not in held]
    lct = _lct_beside(directory)
    if lct.is_dir():
        texts += [text for doc_id, text, _ in load_lct(lct) if trial_of(doc_id) not in held]
    return texts


def _lct_beside(chia: str | None) -> Path:
    """The LCT corpus folder beside the Chia folder ``chia`` (default: the shared corpora's)."""
    from .evaluate.run import SHARED

    return Path(chia).parent / "lct" if chia else SHARED / "lct"


def _counts(by_split: dict[str, int]) -> str:
    return ", ".join(f"{name} {n:,}" for name, n in by_split.items())


def _strict_line(strict: dict[str, Any], names: dict[str, str]) -> str:
    micro = ", ".join(f"{name} {strict[mode].micro('overlap').f1:.3f}" for mode, name in names.items())
    return (
        "Predictions wholly inside Chia's whole-criterion spans with nothing annotated inside (Post-eligibility, "
        "Informed_consent, ...: `docs/corpus-mapping.md`, \"Unannotated regions\") are not scored above. Scored "
        f"as false positives (`extractor evaluate chia --strict`), overlap micro F1 is {micro}; per label in "
        "`report.json` (`test_strict`)."
    )


def _ner_card(report: dict[str, Any], scores: dict[str, Any], strict: dict[str, Any]) -> str:
    rows = []
    for label in ("Condition", "Drug", "Procedure", "Measurement", "Observation", "Device"):
        cells = []
        for mode in ("ner", "rules", "both"):
            for crit in ("exact", "overlap"):
                counts = scores[mode].rows[crit].get(label)
                cells.append(f"{counts.f1:.3f}" if counts is not None else "-")
        ner_overlap = scores["ner"].rows["overlap"][label]
        cells.append(f"{ner_overlap.precision:.3f} / {ner_overlap.recall:.3f}")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    micro = " | ".join(f"{scores[m].micro(c).f1:.3f}" for m in ("ner", "rules", "both") for c in ("exact", "overlap"))
    pre = (
        f"its `tok2vec` first pretrained with `spacy pretrain` (characters objective) on "
        f"{report['pretrain_lines']:,} unlabelled criteria of `ctgov/trials.jsonl` (the trials of Chia's dev and "
        f"test splits left out), {report['pretrain_seconds']} s;"
        if "pretrain_lines" in report
        else "no pretraining;"
    )
    vec = report.get("vectors")
    vectors = (
        f"static word vectors ({vec['words']:,} words × {vec['dim']}) learned by `extractor.vectors` from "
        f"{vec['texts']:,} unlabelled eligibility texts (ctgov, Chia and LCT without the trials of Chia's dev and "
        f"test splits; {vec['tokens']:,} tokens; PPMI of a ±{vec['window']}-word window, truncated SVD; "
        f"{vec['seconds']} s)"
        if vec
        else "no static vectors"
    )
    trained = report.get("trained", date.today().isoformat())
    scored = report.get("scored", trained)
    lct = (
        f" The train split also has {report['lines']['train_lct']:,} lines of LCT (Dobbins et al. 2022, CC BY 4.0; "
        "its trials of Chia's dev and test splits left out, none found): its condition, drug and procedure names "
        "as those labels, its observation, immunization, allergy and organism names left out of the loss "
        "(`extractor.ner.LCT_LABELS`, `LCT_UNSURE`)."
        if report.get("lines", {}).get("train_lct")
        else ""
    )
    targets = {"Condition": 0.80, "Drug": 0.80, "Procedure": 0.70, "Measurement": 0.75}
    f1 = {k: scores["ner"].rows["overlap"][k].f1 for k in targets}
    met = [f"{k} {f1[k]:.3f}" for k, t in targets.items() if f1[k] >= t]
    unmet = [f"{k} {f1[k]:.3f}" for k, t in targets.items() if f1[k] < t]
    verdict = (
        f"Against the issue's overlap targets (Condition and Drug ≥ 0.80, Procedure ≥ 0.70, Measurement ≥ 0.75), "
        f"this model alone meets {', '.join(met) or 'none'} and misses {', '.join(unmet) or 'none'}."
    )
    return f"""# chia-ner

A spaCy entity recogniser (`tok2vec` CNN + transition-based `ner`, spaCy's "efficiency" architecture,
with {vectors}) for {", ".join(report["labels"])},
trained with spaCy's own training on the Chia corpus (Kury et al. 2020, CC BY 4.0). In the pipeline it is
the `extractor_ner` component, after the rules: it only adds entities where no rule mention lies
(rules win), its entities carry no code, and it is switched off with `build_nlp(ner=False)`.

- **Data:** Chia brat files, one example per criterion line ({_counts(report["lines"])} lines),
  tokenised with the pipeline's tokenizer; labels mapped as in `docs/corpus-mapping.md`; where Chia's
  entities overlap the longest is kept, a discontinuous entity is learned on its covering span.{lct}
- **Split:** `extractor.evaluate.split_ids` (by trial, seed 13, 80/10/10): {_counts(report["split"])} documents.
  Trained on train, best model chosen on dev (dev exact F1 {report["dev"]["ents_f"]:.3f}), scored on test.
- **Training:** `extractor/resources/ner.cfg` (copied here as `config.cfg`); {pre} training
  {report["train_seconds"]} s; {report["total_seconds"]} s in all on 2 cores.
- **Size:** {report["size_mb"]} MB. **Trained:** {trained} on {platform.machine()}. **Scored:** {scored}.
- **Retrain:** `extractor train ner`. `--pretrain-epochs 3` first pretrains `tok2vec` on ctgov (measured:
  +0.007 dev F1, no gain on test, 20 minutes more). `--vectors` adds static vectors learned from the
  unlabelled criteria (`extractor/vectors.py`; measured 2026-12-04: this model alone on the test split,
  overlap micro F1 0.656 -> 0.684, Condition 0.755 -> 0.788, Measurement 0.663 -> 0.715, Drug 0.695 ->
  0.685; but the gold rules' logic agreement fell 0.955 -> 0.947, as it also finds more spans no code
  names, "therapy", "conventional dosage", each a manual part of a criterion's logic; so it is not the
  default). `--lct` adds LCT's condition, drug and procedure names to the train split (measured 2026-12-08:
  this model alone on the test split, overlap micro F1 with every prediction scored 0.657 -> 0.665,
  Condition 0.755 -> 0.780, Procedure 0.547 -> 0.578, Measurement 0.664 -> 0.694, but Device 0.219 -> 0.000
  and Observation 0.339 -> 0.224, which LCT does not label; the gold rules' logic agreement fell 0.955 ->
  0.920, as it tags generic words, "drug treatment", "fully treated", "allogeneic", each a manual part; so it
  is not the default).

## Test split, F1 per label

| label | NER exact | NER overlap | rules exact | rules overlap | both exact | both overlap | NER overlap P / R |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}
| (micro, all labels) | {micro} | |

"NER" is this model alone; "rules" the packaged lexicons and threshold rules; "both" the pipeline's
default (rules, learned gazetteer, this model). Exact: same start and end; overlap: any shared character
and the same label. For comparison, transformer models fine-tuned on Chia reach micro F1 0.658 exact
and 0.798 relaxed at best (RoBERTa pretrained on MIMIC-III notes and eligibility criteria; Li X. et al.,
ACM BCB 2021, PMC8373041), with other label sets and splits: this small CNN (no pretrained language model,
{report["size_mb"]} MB, CPU-fast) is below them. {verdict}

{_strict_line(strict, {"ner": "this model alone", "rules": "rules", "both": "both"})}
"""
