"""The statistical recogniser: Chia to training docs, rules winning over the model, save and load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from extractor import ner
from extractor.components.ner import merge
from extractor.evaluate.brat import read_ann
from extractor.lexicon import Concept, Mention
from extractor.tagging import build_nlp

CHIA_TEXT = "Histologically confirmed breast cancer\nNo prior chemotherapy or trastuzumab\n"
CHIA_ANN = (
    "T1\tCondition 25 38\tbreast cancer\n"
    "T2\tScope 0 38\tHistologically confirmed breast cancer\n"
    "T3\tDrug 64 75\ttrastuzumab\n"
    "T4\tProcedure 48 60\tchemotherapy\n"
    "T5\tCondition 30 38\tcancer\n"
)


def test_line_examples_are_per_line_with_line_offsets() -> None:
    examples = ner.line_examples(CHIA_TEXT, read_ann(CHIA_ANN))
    assert [line for line, _ in examples] == [
        "Histologically confirmed breast cancer",
        "No prior chemotherapy or trastuzumab",
    ]
    first, second = (spans for _, spans in examples)
    assert ("breast cancer", "Condition") in [(examples[0][0][s:e], lab) for s, e, lab in first]
    assert sorted(examples[1][0][s:e] for s, e, _ in second) == ["chemotherapy", "trastuzumab"]
    assert all(lab in ner.LABELS for _, spans in examples for _, _, lab in spans)  # Scope is not learned


def test_overlapping_gold_keeps_the_longest_span() -> None:
    line, spans = ner.line_examples(CHIA_TEXT, read_ann(CHIA_ANN))[0]
    doc = ner.to_doc(ner.blank(), line, spans)
    assert [(e.text, e.label_) for e in doc.ents] == [("breast cancer", "Condition")]


# The first lines of LCT's NCT03860012 (text and the .ann lines of these spans as released)
LCT_TEXT = (
    "Inclusion Criteria:\n  1. inflammatory bowel disease\n  2. on methotrexate at appropriate dosing\n"
    "  3. normal folate levels at onset of study\n"
)
LCT_ANN = (
    "T13\tCondition 25 51\tinflammatory bowel disease\n"
    "T14\tCondition-Name 25 51\tinflammatory bowel disease\n"
    "T16\tDrug-Name 60 72\tmethotrexate\n"
    "T18\tObservation-Name 107 120\tfolate levels\n"
)


def test_lct_names_map_to_our_labels_and_unsure_ones_are_left_out_of_the_loss() -> None:
    examples = ner.lct_line_examples(LCT_TEXT, read_ann(LCT_ANN))
    assert [line for line, _, _ in examples][1:] == [
        "  1. inflammatory bowel disease",
        "  2. on methotrexate at appropriate dosing",
        "  3. normal folate levels at onset of study",
    ]
    nlp = ner.blank()
    docs = [ner.to_doc(nlp, line, spans, missing) for line, spans, missing in examples]
    assert [(e.text, e.label_) for d in docs for e in d.ents] == [
        ("inflammatory bowel disease", "Condition"),  # the Condition event's span is not a label we learn
        ("methotrexate", "Drug"),
    ]
    folate = docs[3]
    # "folate levels" (Observation-Name: Chia would say Measurement) is neither an entity nor outside one
    assert [(t.text, t.ent_iob_) for t in folate if t.text in ("normal", "folate", "levels")] == [
        ("normal", "O"),
        ("folate", ""),
        ("levels", ""),
    ]
    # the missing annotation survives the DocBin that spacy train reads
    from spacy.tokens import DocBin

    stored = DocBin(store_user_data=False, docs=[folate]).to_bytes()
    (back,) = DocBin().from_bytes(stored).get_docs(nlp.vocab)
    assert [t.ent_iob_ for t in back] == [t.ent_iob_ for t in folate]


def test_blank_uses_the_pipelines_tokenizer() -> None:
    assert [t.text for t in ner.blank()("AST>2.5 e.g. don't")] == [
        t.text for t in build_nlp(ner=False)("AST>2.5 e.g. don't")
    ]


def test_rules_win_and_the_model_fills_the_rest() -> None:
    nlp = spacy.blank("en")
    doc = nlp("Prior trastuzumab or pertuzumab therapy")
    rule = Concept("trastuzumab", "Trastuzumab", "ATC:L01FD01", "Drug")
    doc.ents = [doc.char_span(6, 17, label="Drug")]
    doc._.mentions = [Mention(6, 17, rule)]
    predicted = [(0, 17, "Drug"), (21, 31, "Drug"), (21, 39, "Procedure"), (32, 39, "Condition")]
    added = merge(doc, predicted, {"Drug", "Procedure"})
    # the model's span over the rule mention is dropped; of the two overlapping at 21, the first wins;
    # Condition was not asked for
    assert [(m.start, m.end, m.concept.label, m.concept.source, m.concept.code) for m in added] == [
        (21, 31, "Drug", "model", None)
    ]


def test_model_spans_leave_out_the_whitespace_of_a_line_break() -> None:
    # gold NCT00001968 unspecified/10: "... radiation therapy or cytotoxic\n        chemotherapeutic agents"
    doc = spacy.blank("en")("or cytotoxic\n        chemotherapeutic agents")
    added = merge(doc, [(3, 21, "Drug"), (12, 21, "Condition")], {"Drug", "Condition"})
    assert [(doc.text[m.start : m.end], m.concept.display) for m in added] == [("cytotoxic", "cytotoxic")]


needs_model = pytest.mark.skipif(not (ner.DEFAULT_DIR / "model" / "config.cfg").exists(), reason="no trained model")


@needs_model
def test_component_adds_model_entities_and_round_trips(tmp_path: Path) -> None:
    nlp = build_nlp()
    text = "History of idiopathic pulmonary fibrosis or sarcoidosis treated with pirfenidone"
    before = nlp(text)
    labels = {e.label_ for e in before.ents}
    assert "Condition" in labels
    assert any(m.concept.source == "model" for m in before._.mentions)
    nlp.to_disk(tmp_path / "pipeline")
    after = spacy.load(tmp_path / "pipeline")(text)
    assert [(e.text, e.label_) for e in after.ents] == [(e.text, e.label_) for e in before.ents]


@needs_model
def test_model_can_be_switched_off() -> None:
    text = "History of idiopathic pulmonary fibrosis or sarcoidosis treated with pirfenidone"
    assert not any(m.concept.source == "model" for m in build_nlp(ner=False)(text)._.mentions or [])


def _tiny_chia(folder: Path) -> None:
    """Twenty made-up trials in Chia's brat layout: enough for a split and a few training steps."""
    drugs = ["cisplatin", "metformin", "warfarin", "insulin", "aspirin"]
    conditions = ["asthma", "diabetes", "epilepsy", "hepatitis", "psoriasis"]
    for i in range(20):
        drug, condition = drugs[i % 5], conditions[(i * 2) % 5]
        text = f"History of {condition}\nPrior {drug} therapy\n"
        c0 = len("History of ")
        d0 = len(f"History of {condition}\nPrior ")
        ann = f"T1\tCondition {c0} {c0 + len(condition)}\t{condition}\nT2\tDrug {d0} {d0 + len(drug)}\t{drug}\n"
        for part in ("inc", "exc"):
            (folder / f"NCT{i:08d}_{part}.txt").write_text(text, encoding="utf-8")
            (folder / f"NCT{i:08d}_{part}.ann").write_text(ann, encoding="utf-8")


def test_train_ner_rebuilds_the_artifact_and_its_card(tmp_path: Path) -> None:
    from extractor.train import train_ner

    chia = tmp_path / "chia"
    chia.mkdir()
    _tiny_chia(chia)
    ctgov = tmp_path / "trials.jsonl"
    rows = [{"nct_id": f"NCT9{i:07d}", "criteria": f"Inclusion Criteria:\n- History of asthma {i}"} for i in range(10)]
    ctgov.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "chia-ner"
    report = train_ner(str(chia), out, ctgov=str(ctgov), pretrain_epochs=0, max_steps=20, vectors=True, vector_dim=8)
    assert report["vectors"]["dim"] == 8 and report["vectors"]["texts"] > 10  # ctgov's ten and Chia's train split
    assert spacy.load(out / "model").vocab.vectors.shape[1] == 8  # the static vectors travel with the model
    assert (out / "model" / "config.cfg").exists() and (out / "config.cfg").exists()
    assert report["lines"]["train"] > 0 and set(report["test"]) == {"rules", "ner", "model", "both"}
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "# chia-ner" in card and "| Condition |" in card and "extractor train ner" in card
    nlp = build_nlp(ner_path=str(out / "model"))
    assert "extractor_ner" in nlp.pipe_names
    nlp("History of asthma")  # loads and runs


def test_parse_cli_can_leave_the_model_out(tmp_path: Path) -> None:
    import json

    from extractor.cli import main

    showcase = Path(__file__).resolve().parents[1] / "examples" / "NCT06581081.txt"
    runs = {}
    for flags in ([], ["--no-ner"]):
        out = tmp_path / f"out{len(flags)}.json"
        assert main(["parse", str(showcase), "-o", str(out), *flags]) == 0
        trial = json.loads(out.read_text(encoding="utf-8"))
        runs[bool(flags)] = sum(len(n["entities"]) for n in _walk(trial["criteria"]))
    if (ner.DEFAULT_DIR / "model" / "config.cfg").exists():
        assert runs[True] < runs[False]  # the model adds entities the rules miss
    else:
        assert runs[True] == runs[False]


def _walk(nodes: list) -> list:
    out = []
    for n in nodes:
        out.append(n)
        out.extend(_walk(n["children"]))
    return out


def test_lct_lines_join_the_train_split_only(tmp_path: Path) -> None:
    from spacy.tokens import DocBin

    chia = [("NCT1_inc", CHIA_TEXT, read_ann(CHIA_ANN))]
    split = {"train": [], "dev": ["NCT1_inc"], "test": []}
    counts = ner.build_docbins(chia, split, tmp_path, lct=[("NCT03860012", LCT_TEXT, read_ann(LCT_ANN))])
    assert counts == {"train": 0, "dev": 2, "test": 0, "train_lct": 4}
    nlp = ner.blank()
    train = list(DocBin().from_disk(tmp_path / "train.spacy").get_docs(nlp.vocab))
    dev = list(DocBin().from_disk(tmp_path / "dev.spacy").get_docs(nlp.vocab))
    assert [d.text for d in train][1] == "  1. inflammatory bowel disease" and len(dev) == 2
