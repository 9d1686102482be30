"""Integration: the vendored corpus sample (tests/data/README.md) parses with no text lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.model import ParsedTrial
from extractor.pipeline import iter_parse, parse_record
from extractor.readers import record_from_json
from extractor.segment import uncovered

SAMPLE = Path(__file__).parent / "data" / "ctgov_sample.jsonl"
RECORDS = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def parse(nct_id: str) -> ParsedTrial:
    record = next(r for r in RECORDS if r["nct_id"] == nct_id)
    return parse_record(record_from_json(record, nct_id))


def check_invariants(trial: ParsedTrial) -> None:
    text = trial.eligibility_text
    free = [c for c in trial.criteria if c.section != "structured"]
    assert uncovered(text, free, trial.headings) == []
    seen: set[str] = set()
    for root in free:
        for node in root.walk():
            assert node.id not in seen
            seen.add(node.id)
            assert node.span is not None and text[node.span[0] : node.span[1]] == node.text
            for child in node.children:
                assert child.id.startswith(node.id + "/")
                assert child.span is not None and child.span[0] >= node.span[1]


@pytest.mark.parametrize("record", RECORDS, ids=[r["nct_id"] for r in RECORDS])
def test_every_sample_trial_keeps_all_its_text(record: dict) -> None:
    check_invariants(parse_record(record_from_json(record, record["nct_id"])))


def test_batch_reader_streams_the_sample() -> None:
    is_batch, results = iter_parse(SAMPLE)
    items = list(results)
    assert is_batch and len(items) == len(RECORDS)
    assert all(isinstance(t, ParsedTrial) for t in items)


def test_lead_in_with_dedented_lab_values() -> None:
    trial = parse("NCT02422199")
    node = trial.find("inclusion/6")
    assert node.text.endswith("following parameters:")
    assert [" ".join(c.text.split(":")[0].split()) for c in node.children] == [
        "ANC",
        "Platelet count",
        "Hemoglobin",
        "Total bilirubin",
        "ALT and AST",
        "BUN and creatine clearance rate",
        "LVEF",
        "QTcF",
    ]
    assert trial.find("inclusion/7").text == "Signed informed consent"
    assert len([c for c in trial.criteria if c.section == "exclusion"]) == 2


def test_qualified_headings_and_or_lists() -> None:
    trial = parse("NCT00001830")
    assert [h.section for h in trial.headings][:4] == ["inclusion", "inclusion", "exclusion", "exclusion"]
    leadin = trial.find("inclusion/1")
    assert leadin.text.endswith("The following diagnoses and ages will be considered:")
    cll = trial.find("inclusion/1/1")
    assert cll.text == "Chronic Lymphocytic Leukemia, Age 18-75"
    assert cll.combine == "any" and len(cll.children) == 2
    # the paragraph after the last list is a criterion of its own, not part of "2. Accelerated Phase CML"
    assert trial.find("inclusion/1/7/2").text == "Accelerated Phase CML"


def test_structured_fields_of_corpus_records() -> None:
    trial = parse("NCT00000102")
    got = {c.id: (c.constraints[0].comparator, c.constraints[0].value) for c in trial.criteria if c.constraints}
    assert got == {"structured/minimum_age": (">=", 14), "structured/maximum_age": ("<=", 35)}


@pytest.mark.parametrize("record", RECORDS, ids=[r["nct_id"] for r in RECORDS])
def test_every_sample_trial_compiles_and_screens(record: dict) -> None:
    # NCT00002378: two exceptions with the criterion's own code once crashed the compiler
    from extractor.compile import compile_trial
    from extractor.patients import patient_from_json
    from extractor.screen import Screener

    trial = parse_record(record_from_json(record, record["nct_id"]), tag=True)
    json.dumps(compile_trial(trial))
    verdict = Screener(trial).screen(patient_from_json({"id": "P", "as_of": "2025-03-01"}, "test"))
    assert verdict["eligible"] in (True, False, None)


def test_batch_tagging_gives_what_each_trial_tagged_alone_gives() -> None:
    """``iter_parse`` tags its trials' criteria together (``tag_trials``): the output must not depend on
    which other trials share the batch."""
    from extractor.output import trial_to_dict

    def output(trial: ParsedTrial) -> str:
        out = trial_to_dict(trial)
        del out["source"]  # names the file and line, or the record
        return json.dumps(out)

    alone = [output(parse_record(record_from_json(r, r["nct_id"]), tag=True)) for r in RECORDS]
    _, results = iter_parse(SAMPLE)
    together = [output(t) for t in results if isinstance(t, ParsedTrial)]
    assert together == alone
    assert all('"constraints": [{' in j and '"needs_person": 0.' in j for j in together)


def test_a_trial_whose_tagging_fails_is_reported_and_the_rest_of_its_batch_is_tagged(tmp_path: Path) -> None:
    from extractor.errors import ExtractorError
    from extractor.tagging import default_nlp

    class Failing:
        """The real pipeline, failing on one trial's criteria as a bad rule file or unit would."""

        def pipe(self, texts: object) -> object:
            for text in texts:  # type: ignore[attr-defined]
                if "Xanthomonas" in text:
                    raise ExtractorError("cannot tag this criterion", where="units.jsonl")
                yield default_nlp()(text)

    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[1])
    bad["criteria"] = "Inclusion Criteria:\n\n  - infected with Xanthomonas\n  - age 18 or over"
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([lines[0], json.dumps(bad), lines[2]]) + "\n", encoding="utf-8")
    items = list(iter_parse(path, nlp=Failing())[1])
    assert isinstance(items[1], ExtractorError) and "cannot tag this criterion" in str(items[1])
    assert str(items[1]).startswith(str(path))  # located at the record
    for item in (items[0], items[2]):
        assert isinstance(item, ParsedTrial)
        assert any(n.entities for n in item.walk())
