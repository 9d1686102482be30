"""The packaged rule files load, and bad rule lines are rejected with where they are."""

from __future__ import annotations

import pytest

from extractor.errors import ResourceError
from extractor.rules import combine_cues, heading_rules, parse_combine_cues, parse_heading_rules


def test_packaged_rules_load() -> None:
    assert len(heading_rules()) >= 10
    assert {r.section for r in heading_rules()} == {"inclusion", "exclusion", "unspecified"}
    assert {c.combine for c in combine_cues()} == {"all", "any", "n_of"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"section": "inclusion", "kind": "section", "pattern": "x", "flags": "i"}', "unknown key"),
        ('{"section": "inclusion", "pattern": "x"}', "missing key"),
        ('{"section": "inclusion", "kind": "section", "pattern": 3}', "wrong type"),
        ('{"section": "inclusion", "kind": "section", "pattern": "(unclosed"}', "does not compile"),
        ('{"section": "screening", "kind": "section", "pattern": "x"}', "must be one of"),
        ('{"section": "inclusion", "kind": "section", "pattern": "x"', "invalid JSON"),
        ('["not", "an", "object"]', "JSON object"),
    ],
)
def test_bad_heading_rule_lines(line: str, message: str) -> None:
    with pytest.raises(ResourceError, match=message) as info:
        parse_heading_rules("\n" + line)
    assert "sections.jsonl line 2" in str(info.value)


def test_n_of_cue_needs_its_count_group() -> None:
    with pytest.raises(ResourceError, match="named group"):
        parse_combine_cues('{"combine": "n_of", "pattern": "at least two of"}')


def test_comment_and_blank_lines_are_ignored() -> None:
    rules = parse_combine_cues('// a comment\n\n{"combine": "any", "pattern": "any of"}\n')
    assert len(rules) == 1


def test_further_codes_need_a_code_of_their_own() -> None:
    from extractor.errors import ResourceError
    from extractor.lexicon import _load_one

    row = '{"id": "x", "display": "X", "code": null, "also": ["ICD10CM:B35"], "synonyms": ["x"], "abbreviations": []}'
    with pytest.raises(ResourceError, match="'also'"):
        _load_one("conditions", "Condition", row)
    ok = row.replace('"code": null', '"code": "ICD10CM:B49"')
    assert _load_one("conditions", "Condition", ok)[0][0].also == ("ICD10CM:B35",)
