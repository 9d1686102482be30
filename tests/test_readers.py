"""Each input format, read through open_input and parsed through the pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.clean import clean
from extractor.errors import ExtractorError, FormatError
from extractor.model import ParsedTrial, TrialRecord
from extractor.pipeline import iter_parse, parse_file
from extractor.readers import open_input

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "NCT06581081.txt"

BOILERPLATE = (
    "Check the participation requirements, including inclusion and exclusion rules, "
    "age limits, and whether healthy volunteers are accepted."
)
REGISTRY_PAGE = f"""A Synthetic Trial of Something in Adults

NCT ID: NCT01234567

Last Updated: 2025-01-01

Eligibility Criteria

{BOILERPLATE}

Inclusion Criteria

1. Women aged 18 years or older;
2. Signed informed consent.

Exclusion Criteria

1. Pregnancy or lactation.
Minimum Eligible Age

18 Years

Maximum Eligible Age

N/A

Eligible Sex

FEMALE

Accepts Healthy Volunteers

No

Sponsors

Some Hospital
"""


def _records(path: Path, **options: object) -> tuple[str, bool, list[TrialRecord | ExtractorError]]:
    batch = open_input(path, **options)  # type: ignore[arg-type]
    return batch.format, batch.is_batch, list(batch.records)


def _results(path: Path) -> tuple[bool, list[ParsedTrial | ExtractorError]]:
    is_batch, results = iter_parse(path)
    return is_batch, list(results)


def _ids(trial: ParsedTrial, section: str | None = None) -> list[str]:
    return [n.id for n in trial.walk() if section is None or n.section == section]


def _top(trial: ParsedTrial, section: str) -> list[str]:
    return [c.id for c in trial.criteria if c.section == section]


def _check_spans(trial: ParsedTrial) -> None:
    text = trial.eligibility_text
    for node in trial.walk():
        if node.span is not None:
            assert text[node.span[0] : node.span[1]] == node.text, node.id


# -- registry page saved as text ---------------------------------------------------


@pytest.fixture
def registry_page(tmp_path: Path) -> Path:
    path = tmp_path / "page.txt"
    path.write_text(REGISTRY_PAGE, encoding="utf-8")
    return path


def test_registry_page_record(registry_page: Path) -> None:
    fmt, is_batch, records = _records(registry_page)
    assert (fmt, is_batch, len(records)) == ("registry-page", False, 1)
    record = records[0]
    assert isinstance(record, TrialRecord)
    assert record.trial_id == "NCT01234567"
    assert record.title == "A Synthetic Trial of Something in Adults"
    elig = record.eligibility
    assert elig.startswith("Inclusion Criteria")
    assert "Pregnancy or lactation." in elig
    assert "Check the participation requirements" not in elig
    for label in ("Minimum Eligible Age", "Maximum Eligible Age", "Eligible Sex", "Accepts Healthy"):
        assert label not in elig
    assert "Sponsors" not in elig and "18 Years" not in elig
    assert record.source_offset is not None
    assert REGISTRY_PAGE[record.source_offset :].startswith(elig)
    assert record.structured.as_dict() == {
        "minimum_age": "18 Years",
        "maximum_age": "N/A",
        "sex": "FEMALE",
        "healthy_volunteers": "No",
    }


def test_registry_page_parsed(registry_page: Path) -> None:
    trial = parse_file(registry_page)
    assert trial.format == "registry-page"
    assert trial.trial_id == "NCT01234567"
    assert _top(trial, "inclusion") == ["inclusion/1", "inclusion/2"]
    assert _top(trial, "exclusion") == ["exclusion/1"]
    assert trial.find("inclusion/2").text == "Signed informed consent."
    assert trial.find("exclusion/1").text == "Pregnancy or lactation."
    assert "Check the participation" not in trial.eligibility_text
    assert "Eligible" not in trial.eligibility_text

    structured = {c.id: c for c in trial.criteria if c.section == "structured"}
    assert "structured/maximum_age" not in structured  # "N/A" is no limit
    (age,) = structured["structured/minimum_age"].constraints
    assert (age.comparator, age.value, age.unit) == (">=", 18, "a")
    (sex,) = structured["structured/sex"].constraints
    assert (sex.comparator, sex.value) == ("==", "female")
    assert structured["structured/healthy_volunteers"].value is False
    assert trial.warnings == []


def test_registry_page_source_spans_point_into_the_file(registry_page: Path) -> None:
    original = registry_page.read_text(encoding="utf-8")
    trial = parse_file(registry_page)
    _check_spans(trial)
    text_nodes = [n for n in trial.walk() if n.section != "structured"]
    assert len(text_nodes) == 3
    for node in text_nodes:
        assert node.source_span is not None, node.id
        s, e = node.source_span
        assert original[s:e] == node.text, node.id


# -- the showcase page -------------------------------------------------------------


@pytest.fixture(scope="module")
def showcase() -> ParsedTrial:
    return parse_file(EXAMPLE)


def test_showcase_sections(showcase: ParsedTrial) -> None:
    assert showcase.format == "registry-page"
    assert showcase.trial_id == "NCT06581081"
    assert len(_top(showcase, "inclusion")) == 11
    assert len(_top(showcase, "exclusion")) == 23
    assert _top(showcase, "unspecified") == []
    assert showcase.structured.minimum_age == "12 Years"
    assert showcase.structured.maximum_age == "65 Years"
    assert showcase.structured.sex == "ALL"
    assert showcase.eligibility_text.rstrip().endswith("Pregnancy or lactation.")
    _check_spans(showcase)


@pytest.mark.parametrize(
    ("node_id", "children", "combine"),
    [
        ("inclusion/5", 2, "any"),
        ("inclusion/9", 4, None),
        ("exclusion/10", 6, "any"),
        ("exclusion/15", 4, None),
        ("exclusion/20", 2, None),
    ],
)
def test_showcase_nested_lists(showcase: ParsedTrial, node_id: str, children: int, combine: str | None) -> None:
    node = showcase.find(node_id)
    assert len(node.children) == children
    assert [c.id for c in node.children] == [f"{node_id}/{i}" for i in range(1, children + 1)]
    if combine is not None:
        assert node.combine == combine


def test_showcase_nested_texts(showcase: ParsedTrial) -> None:
    assert showcase.find("inclusion/5/1").text.startswith("Relapse:")
    assert showcase.find("inclusion/6").text.startswith("For patients with Philadelphia")
    assert showcase.find("inclusion/9/4").text.startswith("Serum creatinine for children")
    assert showcase.find("exclusion/10/6").text.startswith("Arrhythmias")
    assert showcase.find("exclusion/11").text.startswith("Allergic to any drug")


def test_showcase_markdown_escapes_undone(showcase: ParsedTrial) -> None:
    inc7 = showcase.find("inclusion/7").text
    assert ">5%" in inc7 and "\\" not in inc7
    ct = showcase.find("exclusion/15/3").text
    assert "[CT]" in ct and "\\" not in ct
    assert "\\" not in showcase.eligibility_text


def test_showcase_source_spans_map_back(showcase: ParsedTrial) -> None:
    original = EXAMPLE.read_text(encoding="utf-8")
    nodes = [n for n in showcase.walk() if n.section != "structured"]
    assert nodes
    for node in nodes:
        assert node.source_span is not None, node.id
        s, e = node.source_span
        # the file still has the markdown escapes; cleaning its slice gives the node's text
        assert clean(original[s:e]).text == node.text, node.id
    s, e = showcase.find("inclusion/7").source_span or (0, 0)
    assert original[s:e].endswith("\\>5%;")


# -- bare text ---------------------------------------------------------------------


def test_bare_text(tmp_path: Path) -> None:
    path = tmp_path / "criteria.txt"
    path.write_text(
        "Inclusion Criteria:\n- Age >= 18\n- Signed consent\nExclusion Criteria:\n- Pregnancy\n",
        encoding="utf-8",
    )
    fmt, is_batch, records = _records(path)
    assert (fmt, is_batch, len(records)) == ("text", False, 1)
    trial = parse_file(path)
    assert trial.format == "text"
    assert trial.trial_id is None
    assert [(n.id, n.text) for n in trial.walk()] == [
        ("inclusion/1", "Age >= 18"),
        ("inclusion/2", "Signed consent"),
        ("exclusion/1", "Pregnancy"),
    ]
    assert [h.section for h in trial.headings] == ["inclusion", "exclusion"]


def test_bare_text_trial_id_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "NCT01111111.txt"
    path.write_text("- Adults\n", encoding="utf-8")
    trial = parse_file(path)
    assert trial.trial_id == "NCT01111111"
    assert [(n.id, n.text) for n in trial.walk()] == [("unspecified/1", "Adults")]


# -- ClinicalTrials.gov legacy XML ---------------------------------------------------

XML_TEXTBLOCK = """
        Inclusion Criteria:

          -  Age 18 years or older

          -  Histologically confirmed prostate cancer

        Exclusion Criteria:

          -  Prior chemotherapy
      """


def _xml_study(nct_id: str, eligibility: bool = True) -> str:
    elig = (
        f"<eligibility><criteria><textblock>{XML_TEXTBLOCK}</textblock></criteria>"
        "<gender>Male</gender><minimum_age>18 Years</minimum_age><maximum_age>N/A</maximum_age>"
        "<healthy_volunteers>No</healthy_volunteers></eligibility>"
    )
    return (
        f"<clinical_study><id_info><nct_id>{nct_id}</nct_id></id_info>"
        f"<brief_title>T</brief_title>{elig if eligibility else ''}</clinical_study>"
    )


def test_ctgov_xml_single(tmp_path: Path) -> None:
    path = tmp_path / "study.xml"
    path.write_text(_xml_study("NCT00000001"), encoding="utf-8")
    fmt, is_batch, records = _records(path)
    assert (fmt, is_batch, len(records)) == ("ctgov-xml", False, 1)
    record = records[0]
    assert isinstance(record, TrialRecord)
    assert record.trial_id == "NCT00000001"
    assert record.title == "T"
    assert record.source_offset is None
    assert record.structured.as_dict() == {
        "minimum_age": "18 Years",
        "maximum_age": "N/A",
        "sex": "Male",
        "healthy_volunteers": "No",
    }
    trial = parse_file(path)
    assert trial.format == "ctgov-xml"
    assert [(n.id, n.text) for n in trial.walk() if n.section != "structured"] == [
        ("inclusion/1", "Age 18 years or older"),
        ("inclusion/2", "Histologically confirmed prostate cancer"),
        ("exclusion/1", "Prior chemotherapy"),
    ]
    assert all(n.source_span is None for n in trial.walk())
    sex = trial.find("structured/sex")
    assert sex.constraints[0].value == "male"
    assert "structured/maximum_age" not in _ids(trial)
    _check_spans(trial)


def test_ctgov_xml_batch_with_a_bad_study(tmp_path: Path) -> None:
    path = tmp_path / "studies.xml"
    path.write_text(
        f"<search_results>{_xml_study('NCT00000001')}{_xml_study('NCT00000003', eligibility=False)}</search_results>",
        encoding="utf-8",
    )
    fmt, is_batch, records = _records(path)
    assert (fmt, is_batch, len(records)) == ("ctgov-xml", True, 2)
    is_batch, results = _results(path)
    assert is_batch is True
    first, second = results
    assert isinstance(first, ParsedTrial)
    assert first.trial_id == "NCT00000001"
    assert _top(first, "inclusion") == ["inclusion/1", "inclusion/2"]
    assert isinstance(second, ExtractorError)
    assert "NCT00000003" in str(second)
    assert "eligibility" in str(second)
    assert "\n" not in str(second)


# -- ClinicalTrials.gov API v2 JSON ----------------------------------------------------


def _api_study(nct_id: str = "NCT00000002") -> dict[str, object]:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": "x"},
            "eligibilityModule": {
                "eligibilityCriteria": (
                    "Inclusion Criteria:\n\n* Age 18 or older\n* ECOG 0-1\n\n  * nested item\n\n"
                    "Exclusion Criteria:\n\n* Pregnant"
                ),
                "sex": "ALL",
                "minimumAge": "18 Years",
                "healthyVolunteers": False,
            },
        }
    }


def test_ctgov_json_single(tmp_path: Path) -> None:
    path = tmp_path / "study.json"
    path.write_text(json.dumps(_api_study()), encoding="utf-8")
    fmt, is_batch, records = _records(path)
    assert (fmt, is_batch, len(records)) == ("ctgov-json", False, 1)
    record = records[0]
    assert isinstance(record, TrialRecord)
    assert record.trial_id == "NCT00000002"
    assert record.title == "x"
    assert record.structured.as_dict() == {
        "minimum_age": "18 Years",
        "maximum_age": None,
        "sex": "ALL",
        "healthy_volunteers": "No",
    }
    trial = parse_file(path)
    assert trial.format == "ctgov-json"
    assert [(n.id, n.text) for n in trial.walk() if n.section != "structured"] == [
        ("inclusion/1", "Age 18 or older"),
        ("inclusion/2", "ECOG 0-1"),
        ("inclusion/2/1", "nested item"),
        ("exclusion/1", "Pregnant"),
    ]
    structured = _ids(trial, "structured")
    assert "structured/minimum_age" in structured
    assert "structured/sex" not in structured  # ALL restricts nobody
    assert trial.find("structured/healthy_volunteers").value is False
    assert trial.warnings == []
    _check_spans(trial)


def test_ctgov_json_search_page(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"studies": [_api_study("NCT00000002"), _api_study("NCT00000004")]}))
    fmt, is_batch, records = _records(path)
    assert (fmt, is_batch, len(records)) == ("ctgov-json", True, 2)
    is_batch, results = _results(path)
    assert is_batch is True
    assert all(isinstance(r, ParsedTrial) for r in results)
    assert [r.trial_id for r in results] == ["NCT00000002", "NCT00000004"]  # type: ignore[union-attr]


# -- JSON Lines (corpus format) -------------------------------------------------------


def _corpus_line(n: int, criteria: object = None) -> str:
    return json.dumps(
        {
            "nct_id": f"NCT0000001{n}",
            "source": "corpus",
            "title": f"Trial {n}",
            "phase": "PHASE2",
            "conditions": ["Asthma"],
            "gender": "Female",
            "minimum_age": "18 Years",
            "maximum_age": "65 Years",
            "healthy_volunteers": "No",
            "criteria": (
                "Inclusion Criteria:\n- Adults with asthma\nExclusion Criteria:\n- Smokers"
                if criteria is None
                else criteria
            ),
        }
    )


def test_jsonl_bad_line_in_the_middle(tmp_path: Path) -> None:
    path = tmp_path / "trials.jsonl"
    path.write_text(
        _corpus_line(1) + "\n" + '{"nct_id": "NCT00000012", "criteria": \n' + _corpus_line(3) + "\n",
        encoding="utf-8",
    )
    fmt, is_batch, records = _records(path)
    assert (fmt, is_batch, len(records)) == ("jsonl", True, 3)
    is_batch, results = _results(path)
    assert len(results) == 3
    first, bad, third = results
    assert isinstance(first, ParsedTrial) and isinstance(third, ParsedTrial)
    assert (first.trial_id, third.trial_id) == ("NCT00000011", "NCT00000013")
    assert isinstance(bad, FormatError)
    assert ":2" in str(bad)
    assert "invalid JSON" in str(bad)
    assert first.title == "Trial 1"
    assert [(n.id, n.text) for n in first.walk() if n.section != "structured"] == [
        ("inclusion/1", "Adults with asthma"),
        ("exclusion/1", "Smokers"),
    ]
    max_age = first.find("structured/maximum_age").constraints[0]
    assert (max_age.comparator, max_age.value, max_age.unit) == ("<=", 65, "a")
    assert first.find("structured/sex").constraints[0].value == "female"


def test_jsonl_wrong_type_and_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "trials.jsonl"
    path.write_text(
        _corpus_line(1) + "\n\n" + _corpus_line(2, criteria=42) + "\n" + _corpus_line(3) + "\n",
        encoding="utf-8",
    )
    _, _, records = _records(path)
    assert len(records) == 3  # the blank line is skipped, not an error
    is_batch, results = _results(path)
    assert is_batch is True
    ok1, bad, ok3 = results
    assert isinstance(ok1, ParsedTrial) and isinstance(ok3, ParsedTrial)
    assert isinstance(bad, FormatError)
    assert ":3" in str(bad)  # line numbers count the blank line
    assert "NCT00000012" in str(bad)
    assert "must be a string" in str(bad)
    assert ok3.source.startswith(f"{path}:4")


def test_jsonl_detected_without_extension(tmp_path: Path) -> None:
    path = tmp_path / "trials.data"
    path.write_text(_corpus_line(1) + "\n" + _corpus_line(2) + "\n", encoding="utf-8")
    fmt, is_batch, records = _records(path)
    assert (fmt, is_batch, len(records)) == ("jsonl", True, 2)


# -- cleaning on the way in -------------------------------------------------------------


def test_windows_text_with_entities_and_odd_unicode(tmp_path: Path) -> None:
    raw = (
        "Inclusion Criteria:\r\n"
        "- Age &gt;= 18\u00a0years\r\n"
        "- ECOG \uff10\uff0d\uff11\r\n"
        "- Hemoglobin &#8805; 9 g/dL\r\n"
        "Exclusion Criteria:\r\n"
        "- Pregnancy\r\n"
    )
    path = tmp_path / "windows.txt"
    path.write_bytes(raw.encode("utf-8"))
    trial = parse_file(path)
    text = trial.eligibility_text
    assert "\r" not in text
    assert "\u00a0" not in text
    assert "&gt;" not in text and "&#8805;" not in text
    assert [(n.id, n.text) for n in trial.walk()] == [
        ("inclusion/1", "Age >= 18 years"),
        ("inclusion/2", "ECOG 0-1"),
        ("inclusion/3", "Hemoglobin ≥ 9 g/dL"),
        ("exclusion/1", "Pregnancy"),
    ]
    _check_spans(trial)
    for node in trial.walk():
        assert node.source_span is not None
        s, e = node.source_span
        assert clean(raw[s:e]).text == node.text, node.id
    s, e = trial.find("inclusion/3").source_span or (0, 0)
    assert raw[s:e] == "Hemoglobin &#8805; 9 g/dL"
