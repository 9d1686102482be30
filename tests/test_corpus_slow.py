"""Corpus-wide property test over ../shared/corpora/ctgov/trials.jsonl (marked slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.model import ParsedTrial
from extractor.pipeline import iter_parse
from extractor.segment import uncovered

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ctgov" / "trials.jsonl"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not beside the project"),
]


def test_every_corpus_trial_parses_and_keeps_its_text() -> None:
    is_batch, results = iter_parse(CORPUS)
    assert is_batch
    n = errors = 0
    nonws = missing = 0
    for item in results:
        n += 1
        if not isinstance(item, ParsedTrial):
            errors += 1
            continue
        free = [c for c in item.criteria if c.section != "structured"]
        text = item.eligibility_text
        nonws += sum(1 for ch in text if not ch.isspace())
        missing += sum(e - s for s, e in uncovered(text, free, item.headings))
        for root in free:
            for node in root.walk():
                assert node.span is not None and text[node.span[0] : node.span[1]] == node.text, node.id
    assert n == 11_574
    assert errors == 0
    assert missing / nonws < 0.005


def test_every_tenth_corpus_trial_tags_and_compiles() -> None:
    # the whole pipeline on a tenth of the corpus: tagging and compiling never fail (a crash found this way:
    # two exceptions with the criterion's own code, NCT00002378)
    import json

    from extractor.compile import compile_trial
    from extractor.pipeline import parse_record
    from extractor.readers import record_from_json

    lines = CORPUS.read_bytes().splitlines()[::10]
    for i, line in enumerate(lines):
        trial = parse_record(record_from_json(json.loads(line), f"line {i * 10 + 1}"), tag=True)
        json.dumps(compile_trial(trial))
    assert len(lines) == 1_158
