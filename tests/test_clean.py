"""Unit tests of the cleaner and its offset map."""

from __future__ import annotations

import pytest

from extractor.clean import clean


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("lymphocytes was \\>5%;", "lymphocytes was >5%;"),
        ("Senl\\_B19 autologous", "Senl_B19 autologous"),
        ("tomography \\[CT\\])", "tomography [CT])"),
        ("AST &lt;= 2.5 &times; ULN", "AST <= 2.5 × ULN"),
        ("creatinine &#8804; 1.5 mg/dL", "creatinine ≤ 1.5 mg/dL"),
        ("age&nbsp;&ge;&nbsp;18", "age ≥ 18"),
        ("line one\r\nline two\rline three", "line one\nline two\nline three"),
        ("age\u00a0\u2265\u202f18", "age ≥ 18"),
        ("ANC ≥ １,５００/mm³", "ANC ≥ 1,500/mm³"),
        ("10\u20135 years \u2014 or \u2212 1", "10-5 years - or - 1"),
        ("zero\u200bwidth\ufeff soft\u00adhyphen", "zerowidth softhyphen"),
        ("\u201cquoted\u201d and \u2018single\u2019", "\"quoted\" and 'single'"),
        ("para\u2028graph\u2029end", "para\ngraph\nend"),
        ("50 \u03bcg", "50 µg"),
        ("R&D; fish & chips", "R&D; fish & chips"),
    ],
)
def test_cleaning(raw: str, expected: str) -> None:
    assert clean(raw).text == expected


def test_meaningful_signs_are_kept() -> None:
    text = "≥ ≤ × µ ⁹ ³ ±"
    assert clean(text).text == text


def test_offsets_map_back_to_the_original() -> None:
    raw = "1. AST \\>2.5&times;ULN\r\n2. caf\u00e9&nbsp;au lait"
    c = clean(raw)
    assert c.text == "1. AST >2.5×ULN\n2. café au lait"
    # every unchanged character maps to itself in the original
    for i, ch in enumerate(c.text):
        j = c.to_original(i)
        if ch not in ">×\n ":
            assert raw[j] == ch
    start = c.text.index("2.5×ULN")
    s, e = c.span_to_original(start, start + len("2.5×ULN"))
    assert raw[s:e] == "2.5&times;ULN"
    s, e = c.span_to_original(c.text.index(">"), c.text.index(">") + 1)
    assert raw[s:e] == "\\>"
    assert c.span_to_original(0, len(c.text)) == (0, len(raw))


def test_nothing_to_clean_is_identity() -> None:
    raw = "Inclusion Criteria:\n- Age 18 or older"
    c = clean(raw)
    assert c.text == raw
    assert c.to_original(5) == 5 and c.span_to_original(3, 9) == (3, 9)
