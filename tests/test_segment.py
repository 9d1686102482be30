"""Unit tests of the segmenter: every list style, headings, lead-ins, combine cues."""

from __future__ import annotations

import textwrap

import pytest

from extractor.errors import SegmentationError
from extractor.model import Criterion
from extractor.segment import segment, split_lines, uncovered


def shape(text: str) -> list[tuple[str, str]]:
    """(id, text) of every node in source order."""
    criteria, headings = segment(text)
    assert uncovered(text, criteria, headings) == []
    out: list[tuple[str, str]] = []
    for root in criteria:
        for node in root.walk():
            assert node.span is not None
            assert text[node.span[0] : node.span[1]] == node.text
            out.append((node.id, " ".join(node.text.split())))
    return out


def ids(text: str) -> list[str]:
    return [i for i, _ in shape(text)]


def find(text: str, criterion_id: str) -> Criterion:
    criteria, _ = segment(text)
    for root in criteria:
        for node in root.walk():
            if node.id == criterion_id:
                return node
    raise KeyError(criterion_id)


@pytest.mark.parametrize(
    ("items", "label"),
    [
        (["1. Age 18 or older", "2. ECOG 0-1", "3. Signed consent"], "1."),
        (["1) Age 18 or older", "2) ECOG 0-1", "3) Signed consent"], "1)"),
        (["(1) Age 18 or older", "(2) ECOG 0-1", "(3) Signed consent"], "(1)"),
        (["a. Age 18 or older", "b. ECOG 0-1", "c. Signed consent"], "a."),
        (["A) Age 18 or older", "B) ECOG 0-1", "C) Signed consent"], "A)"),
        (["i. Age 18 or older", "ii. ECOG 0-1", "iii. Signed consent"], "i."),
        (["(i) Age 18 or older", "(ii) ECOG 0-1", "(iii) Signed consent"], "(i)"),
        (["- Age 18 or older", "- ECOG 0-1", "- Signed consent"], "-"),
        (["* Age 18 or older", "* ECOG 0-1", "* Signed consent"], "*"),
        (["• Age 18 or older", "• ECOG 0-1", "• Signed consent"], "•"),
        (["o Age 18 or older", "o ECOG 0-1", "o Signed consent"], "o"),
        (["1.1 Age 18 or older", "1.2 ECOG 0-1", "1.3 Signed consent"], "1.1"),
    ],
)
def test_flat_list_styles(items: list[str], label: str) -> None:
    text = "Inclusion Criteria:\n" + "\n".join(items) + "\n"
    got = shape(text)
    assert [i for i, _ in got] == ["inclusion/1", "inclusion/2", "inclusion/3"]
    assert [t for _, t in got] == ["Age 18 or older", "ECOG 0-1", "Signed consent"]
    assert find(text, "inclusion/1").label == label


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        (("1.", "2."), ("a.", "b.")),
        (("1.", "2."), ("a)", "b)")),
        (("1)", "2)"), ("(a)", "(b)")),
        (("a.", "b."), ("i.", "ii.")),
        (("1.", "2."), ("-", "-")),
        (("-", "-"), ("o", "o")),
        (("•", "•"), ("-", "-")),
    ],
)
def test_nested_styles_without_indentation(outer: tuple[str, str], inner: tuple[str, str]) -> None:
    text = (
        f"Exclusion Criteria:\n{outer[0]} Any of the following infections:\n"
        f"{inner[0]} HIV\n{inner[1]} Hepatitis B\n{outer[1]} Pregnancy\n"
    )
    got = shape(text)
    assert got == [
        ("exclusion/1", "Any of the following infections:"),
        ("exclusion/1/1", "HIV"),
        ("exclusion/1/2", "Hepatitis B"),
        ("exclusion/2", "Pregnancy"),
    ]


def test_same_bullets_nest_by_indentation() -> None:
    text = textwrap.dedent(
        """\
        Inclusion Criteria:

          -  Histologically confirmed diagnosis of 1 of the following:

               -  Advanced solid tumor (part A)

                    -  Confirmation by core biopsy allowed

               -  Solid tumor (part B)

          -  Measurable disease
        """
    )
    assert ids(text) == [
        "inclusion/1",
        "inclusion/1/1",
        "inclusion/1/1/1",
        "inclusion/1/2",
        "inclusion/2",
    ]
    assert find(text, "inclusion/1").combine == "any"


def test_numbering_that_restarts_under_a_lead_in_nests_in_flat_text() -> None:
    # the showcase's inclusion 5 and 9, as its registry page prints them
    text = (
        "Inclusion Criteria\n\n"
        "4. ECOG physical performance score is 0-1 when signing the ICF;\n"
        "5. The subject must be diagnosed with relapsed/refractory B-ALL, and at least one of the "
        "following must be met:\n\n"
        "1. Relapse: including relapse within 12 months after the first remission;\n"
        "2. Refractory: including primary refractory.\n"
        "6. For patients with Ph+ ALL, they should have failed at least two TKI treatments;\n"
    )
    got = shape(text)
    assert [i for i, _ in got] == ["inclusion/1", "inclusion/2", "inclusion/2/1", "inclusion/2/2", "inclusion/3"]
    assert find(text, "inclusion/2").combine == "any"
    assert find(text, "inclusion/3").label == "6."


def test_restart_without_lead_in_is_a_new_run_of_siblings() -> None:
    text = "1. Age over 18\n2. Male\n1. Signed consent\n2. Able to swallow\n"
    assert ids(text) == ["unspecified/1", "unspecified/2", "unspecified/3", "unspecified/4"]


def test_wrapped_lines_continue_their_item() -> None:
    # registry XML wraps at a fixed width and indents the wrapped line under the text
    text = (
        "        Inclusion Criteria:\n\n"
        "          -  Patients must have a Karnofsky performance status great or equal to 70%.\n\n"
        "          -  All patients must sign informed consent approved by the Committee on the Use of Human\n"
        "             Subjects at the University of Minnesota\n\n"
        "        Exclusion Criteria:\n\n"
        "          -  Pregnant or lactating women.\n"
    )
    got = shape(text)
    assert got[1] == (
        "inclusion/2",
        "All patients must sign informed consent approved by the Committee on the Use of Human "
        "Subjects at the University of Minnesota",
    )
    assert [i for i, _ in got] == ["inclusion/1", "inclusion/2", "exclusion/1"]


def test_dedented_text_under_a_lead_in_becomes_its_children() -> None:
    # NCT02422199 in the corpus: the lab values follow the lead-in, dedented, ';'-separated
    text = (
        "        Inclusion Criteria:\n\n"
        "          -  Required laboratory values including following parameters:\n\n"
        "        ANC: ≥ 1.5 x 10^9/L;Platelet count: ≥ 100 x 10^9/L;Hemoglobin: ≥ 9.0 g/dL;Total bilirubin:\n"
        "        ≤ 1.5 x upper limit of normal (ULN);QTcF: < 470 ms for female and < 450 ms for male.\n\n"
        "          -  Signed informed consent\n"
    )
    got = shape(text)
    assert got == [
        ("inclusion/1", "Required laboratory values including following parameters:"),
        ("inclusion/1/1", "ANC: ≥ 1.5 x 10^9/L;"),
        ("inclusion/1/2", "Platelet count: ≥ 100 x 10^9/L;"),
        ("inclusion/1/3", "Hemoglobin: ≥ 9.0 g/dL;"),
        ("inclusion/1/4", "Total bilirubin: ≤ 1.5 x upper limit of normal (ULN);"),
        ("inclusion/1/5", "QTcF: < 470 ms for female and < 450 ms for male."),
        ("inclusion/2", "Signed informed consent"),
    ]


def test_semicolons_inside_parentheses_do_not_split() -> None:
    text = "Required values:\n\nANC ≥ 1500 (or ≥ 1000; if on G-CSF); platelets ≥ 100,000\n"
    assert [t for _, t in shape(text)][1:] == ["ANC ≥ 1500 (or ≥ 1000; if on G-CSF);", "platelets ≥ 100,000"]


def test_unmarked_paragraphs_and_pdq_subheadings() -> None:
    text = textwrap.dedent(
        """\
        DISEASE CHARACTERISTICS:

        Histologically proven malignancy considered refractory to standard therapy.

        No leukemia.

        PATIENT CHARACTERISTICS:

        Age: 21 and under.

        Hematopoietic:

        AGC at least 1,500/mm3.

        Platelet count at least 100,000/mm3.

        Hepatic:

        Bilirubin no greater than 2 times normal.
        """
    )
    criteria, headings = segment(text)
    # PDQ's category labels ("Hematopoietic:", "Hepatic:") are headings, not criteria: the items
    # under them are requirements in their own right (annotations/README.md)
    assert [h.kind for h in headings] == ["subheading"] * 4
    assert [h.text.strip() for h in headings][2:] == ["Hematopoietic:", "Hepatic:"]
    assert {c.section for c in criteria} == {"inclusion"}
    assert ids(text) == [f"inclusion/{i}" for i in range(1, 7)]
    assert find(text, "inclusion/4").text == "AGC at least 1,500/mm3."
    assert find(text, "inclusion/4").heading == "Hematopoietic"
    assert find(text, "inclusion/3").text == "Age: 21 and under."


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("Inclusion Criteria:", "inclusion"),
        ("INCLUSION CRITERIA", "inclusion"),
        ("Key Inclusion Criteria:", "inclusion"),
        ("Main inclusion criteria", "inclusion"),
        ("Inclusion criteria for Part A:", "inclusion"),
        ("-  INCLUSION CRITERIA - Patient:", "inclusion"),
        ("INCLUSION CRITERIA (Phase 2):", "inclusion"),
        ("Patients must meet all of the following criteria to be eligible:", "inclusion"),
        ("Exclusion Criteria:", "exclusion"),
        ("Key exclusion criteria:", "exclusion"),
        ("Non-inclusion criteria:", "exclusion"),
        ("Subjects meeting any of the following criteria will be excluded:", "exclusion"),
        ("Patients will be excluded if they have any of the following:", "exclusion"),
        ("Eligibility Criteria:", "unspecified"),
    ],
)
def test_heading_variants(heading: str, section: str) -> None:
    text = f"{heading}\n\n1. Age 18 or older\n2. Signed consent\n"
    criteria, headings = segment(text)
    assert len(headings) == 1
    assert headings[0].section == section
    assert [c.id for c in criteria] == [f"{section}/1", f"{section}/2"]


def test_heading_with_criterion_on_the_same_line() -> None:
    text = "Inclusion Criteria: Age 18 or older\nExclusion criteria: pregnancy\n"
    assert shape(text) == [("inclusion/1", "Age 18 or older"), ("exclusion/1", "pregnancy")]


def test_exclusion_heading_sentence_after_colon_is_part_of_the_heading() -> None:
    text = "Exclusion criteria: Patients with any of the following will be excluded:\n- HIV\n"
    criteria, headings = segment(text)
    assert [c.text for c in criteria] == ["HIV"]
    assert headings[0].text.endswith("excluded:")


def test_sentence_mentioning_criteria_is_not_a_heading() -> None:
    text = "Inclusion Criteria:\n- Patients meeting the exclusion criteria of the parent study\n"
    criteria, headings = segment(text)
    assert len(headings) == 1 and criteria[0].section == "inclusion"


def test_text_before_any_heading_is_unspecified() -> None:
    assert ids("Healthy adults\n\nInclusion Criteria:\n- Age 18 or older\n") == ["unspecified/1", "inclusion/1"]


@pytest.mark.parametrize(
    ("lead_in", "combine", "n"),
    [
        ("at least one of the following must be met:", "any", None),
        ("any of the following:", "any", None),
        ("one or more of the following:", "any", None),
        ("either of the following:", "any", None),
        ("except for the following:", "any", None),
        ("at least two of the following:", "n_of", 2),
        ("two or more of the following features:", "n_of", 2),
        ("at least 3 of the following criteria:", "n_of", 3),
        ("all of the following:", "all", None),
        ("the following requirements:", "all", None),
    ],
)
def test_combine_cues(lead_in: str, combine: str, n: int | None) -> None:
    text = f"1. Patients must have {lead_in}\n   a. fever\n   b. cough\n   c. dyspnoea\n2. Consent\n"
    node = find(text, "unspecified/1")
    assert len(node.children) == 3
    assert (node.combine, node.n) == (combine, n)


def test_children_joined_by_or_combine_any() -> None:
    text = "1. Prior therapy with:\n   a. cisplatin, or\n   b. carboplatin, or\n   c. oxaliplatin\n"
    assert find(text, "unspecified/1").combine == "any"


def test_too_deep_nesting_is_an_error_not_a_crash() -> None:
    text = "\n".join(" " * i + "- x" for i in range(200))
    with pytest.raises(SegmentationError, match="nesting deeper than"):
        segment(text)


def test_letter_at_line_start_of_wrapped_text_is_not_a_marker() -> None:
    text = "- Patients with documented infection by\n  E. coli within 2 weeks\n- Pregnancy\n"
    assert shape(text) == [
        ("unspecified/1", "Patients with documented infection by E. coli within 2 weeks"),
        ("unspecified/2", "Pregnancy"),
    ]


def test_split_lines_classifies_markers() -> None:
    lines = split_lines("1. a\n  - b\n(iv) c\nplain\n\n")
    assert [ln.marker.style[0] if ln.marker else None for ln in lines] == ["num", "bullet", "roman", None, None]
    assert [ln.indent for ln in lines] == [0, 2, 0, 0, 0]


def test_an_or_chain_closes_an_at_least_one_group() -> None:
    # NCT03508687: the first item is less indented than the rest; only the OR-chained two are its alternatives
    text = (
        "  -  Clinical diagnosis of lipodystrophy, and at least 1 MAJOR criterion (below):\n\n"
        "    -  Low skinfold thickness in anterior thigh OR\n\n"
        "    -  Genetic diagnosis of familial partial lipodystrophy\n\n"
        "    -  Hepatic steatosis (>10%) as demonstrated by MRI-PDFF;\n\n"
        "    -  Mean fasting triglyceride value ≥ 250 mg/dL;\n"
    )
    assert ids(text) == ["unspecified/1", "unspecified/1/1", "unspecified/1/2", "unspecified/2", "unspecified/3"]
    assert find(text, "unspecified/1").combine == "any"
    assert find(text, "unspecified/3").text.startswith("Mean fasting")


def test_one_criterion_per_line_lists_do_not_join_lower_case_lines() -> None:
    # Chia (NCT02872090_exc): no markers, no blank lines, not hard-wrapped: every line is a criterion
    text = "Not pregnant\ndysautonomia\nrenal failure\nBody Mass Index >35\n"
    assert [c.text for c in segment(text)[0]] == [
        "Not pregnant",
        "dysautonomia",
        "renal failure",
        "Body Mass Index >35",
    ]
    # hard-wrapped registry text still joins a lower-case continuation
    wrapped = (
        "- Patients with a history of myocardial infarction or unstable angina within the six months\n"
        "  preceding the first dose of study drug and patients with uncontrolled arrhythmias requiring\n"
        "  treatment at screening\n- Second item that is long enough to look like the wrapped lines above\n"
    )
    assert len(segment(wrapped)[0]) == 2


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [
        # two short lines: no wrapper breaks a line at 31 characters
        (
            "chia:NCT00502567_exc",
            "Inadequate bone marrow reserve \nhistory of poorly controlled hypertension       \n    \n",
            2,
        ),
        # a few long criteria among short ones are not hard wrapping
        (
            "chia:NCT03434951_exc",
            "rearthroplasty\nASA IV-V\ninadequate spoken finnish for reliable pain assessment\n"
            "Dementia or otherwise impaired cognition\n"
            "contraindication for any medication or substance used in survey protocol\n"
            "weight <50kg or BMI =35 kg/m2\npreoperative SpO2 less than 93%\n"
            "clinical suspicion that subject can not use PCA adequately\n"
            "history of substance abuse or current excessive use of alcohol\n"
            "preoperative use of either pregabalin, gabapentin or strong opiates\n",
            10,
        ),
        # a sentence that ends with its line, then a capital: the next criterion
        (
            "chia:NCT00061308_inc",
            "Have had one prior platinum-based chemotherapy regimen for the treatment of primary disease. \n"
            "At least 4 weeks since last surgery or radiation therapy. \n"
            "Must have had a treatment-free interval of greater than 6 months following response to platinum. \n"
            "ECOG performance status of 0,1, or 2. \n",
            4,
        ),
    ],
)
def test_one_criterion_per_line_in_chia_shapes(source: str, text: str, expected: int) -> None:
    assert len(segment(text)[0]) == expected, source
