"""Property tests: the cleaner's offset map and the segmenter's coverage guarantees."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.clean import clean
from extractor.errors import SegmentationError
from extractor.model import Criterion
from extractor.segment import segment, uncovered

FUZZ = settings(max_examples=150, deadline=None)

# -- the cleaner ---------------------------------------------------------------

# Pieces that the cleaner rewrites, mixed into arbitrary text.
SPECIAL = [
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\u00a0",
    "\u2028",
    "\u2029",
    "\u200b",
    "\ufeff",
    "\u2013",
    "\u201c",
    "\u2265",
    "&gt;",
    "&gt;=",
    "&lt;",
    "&amp;",
    "&amp;gt;",
    "&#8805;",
    "&#x2264;",
    "&#13;",
    "&nbsp;",
    "&NotEqualTilde;",
    "&gtx;",
    "&bogus;",
    "&",
    ";",
    "\\",
    "\\>",
    "\\<",
    "\\[",
    "\\]",
    "\\_",
    "\\\\",
    "\uff10",
    "\uff11",
    "\uff19",
    "\uff21",
    "\x00",
    "\x0c",
    "\x85",
]
raw_text = st.lists(st.one_of(st.characters(), st.sampled_from(SPECIAL), st.text(max_size=5)), max_size=40).map("".join)
# Latin text with no character the cleaner rewrites (no controls, escapes or entities).
plain_char = st.characters(
    min_codepoint=0x20,
    max_codepoint=0x24F,
    blacklist_categories=("Cc",),
    blacklist_characters="\\&\u00a0\u00ad",
)
plain_text = st.text(alphabet=st.one_of(plain_char, st.just(" "), st.just("\n")), max_size=80)


@FUZZ
@given(raw_text)
def test_clean_offset_map_is_monotone_and_in_range(text: str) -> None:
    cleaned = clean(text)
    assert cleaned.original == text
    previous = 0
    for i in range(len(cleaned.text) + 1):
        pos = cleaned.to_original(i)
        assert 0 <= pos <= len(text), (i, pos)
        assert pos >= previous, (i, pos, previous)
        previous = pos
    assert cleaned.to_original(len(cleaned.text)) == len(text)


@FUZZ
@given(raw_text)
def test_clean_removes_what_it_promises(text: str) -> None:
    out = clean(text).text
    for bad in ("\r", "\u00a0", "\u2028", "\u2029", "\u200b", "\ufeff", "\x00"):
        assert bad not in out, (bad, out)
    assert not any("\uff01" <= c <= "\uff5e" for c in out), out


@FUZZ
@given(raw_text)
def test_clean_spans_map_back_to_text_that_cleans_the_same(text: str) -> None:
    cleaned = clean(text)
    n = len(cleaned.text)
    if n:
        start, end = cleaned.span_to_original(0, n)
        assert 0 <= start < end <= len(text)
        # the whole cleaned text comes from this one stretch of the original
        assert clean(text[start:end]).text == cleaned.text
    for i in range(n):
        start, end = cleaned.span_to_original(i, i + 1)
        assert 0 <= start < end <= len(text), (i, start, end)
        # every cleaned character comes from the original stretch it maps to
        assert cleaned.text[i] in clean(text[start:end]).text, (i, start, end)


@FUZZ
@given(raw_text, st.data())
def test_clean_span_to_original_covers_subranges(text: str, data: st.DataObject) -> None:
    cleaned = clean(text)
    n = len(cleaned.text)
    i = data.draw(st.integers(0, n))
    j = data.draw(st.integers(i, n))
    start, end = cleaned.span_to_original(i, j)
    assert 0 <= start <= end <= len(text)
    if j > i:
        assert cleaned.text[i:j] in clean(text[start:end]).text


@FUZZ
@given(plain_text)
def test_clean_is_identity_when_there_is_nothing_to_clean(text: str) -> None:
    cleaned = clean(text)
    assert cleaned.text == text
    assert all(cleaned.to_original(i) == i for i in range(len(text) + 1))
    if text:
        assert cleaned.span_to_original(0, len(text)) == (0, len(text))


def test_clean_examples() -> None:
    """A fixed sample of every kind of rewrite, so a regression names itself."""
    raw = "A\r\nB\u00a0\uff11\uff12 &gt;= 5 &#8805;6 \\>5% \\[CT\\] Senl\\_B19\u2028x"
    cleaned = clean(raw)
    assert cleaned.text == "A\nB 12 >= 5 ≥6 >5% [CT] Senl_B19\nx"
    at = cleaned.text.index("≥")
    assert cleaned.span_to_original(at, at + 1) == (raw.index("&#8805;"), raw.index("&#8805;") + 7)


# -- the segmenter --------------------------------------------------------------

MARKERS = ["1.", "2.", "3.", "10.", "1)", "a)", "b)", "a.", "i.", "(ii)", "(a)", "-", "*", "•", "o", ""]
HEADINGS = ["Inclusion Criteria:", "Exclusion Criteria:", "INCLUSION CRITERIA", "Exclusion criteria -"]
WORDS = [
    "age",
    "Patients",
    "ECOG",
    "0-1;",
    "or",
    "and",
    "the",
    "following:",
    "at least one of the following:",
    ">=",
    "18",
    "years",
    "(see",
    "below)",
    "must",
    "have",
    "E.",
    "coli",
    "2.",
    "a",
    "i.e.",
    "HIV;",
    "x",
]


@st.composite
def list_line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["item", "item", "item", "text", "heading", "blank"]))
    if kind == "blank":
        return draw(st.sampled_from(["", "   "]))
    indent = " " * draw(st.integers(0, 12))
    if kind == "heading":
        return indent + draw(st.sampled_from(HEADINGS))
    words = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8)))
    if kind == "text":
        return indent + words
    marker = draw(st.sampled_from(MARKERS))
    return indent + (f"{marker} {words}" if marker else words)


list_text = st.lists(list_line(), min_size=1, max_size=30).map("\n".join)


def _check_tree(text: str, criteria: list[Criterion]) -> None:
    ids: list[str] = []
    for root in criteria:
        for node in root.walk():
            ids.append(node.id)
            assert node.span is not None
            s, e = node.span
            assert 0 <= s <= e <= len(text), (node.id, node.span)
            assert text[s:e] == node.text, node.id
            if node.label_span is not None:
                ls, le = node.label_span
                assert 0 <= ls < le <= s, (node.id, node.label_span, node.span)
                assert text[ls:le] == node.label
            for child in node.children:
                cs, ce = child.span or (0, 0)
                assert ce <= s or cs >= e, (node.id, node.span, child.id, child.span)
                assert child.id.startswith(node.id + "/")
    assert len(ids) == len(set(ids)), ids


@FUZZ
@given(list_text)
def test_segment_keeps_every_character(text: str) -> None:
    try:
        criteria, headings = segment(text)
    except SegmentationError:
        return
    assert uncovered(text, criteria, headings) == []
    _check_tree(text, criteria)
    for h in headings:
        assert text[h.span[0] : h.span[1]] == h.text


@FUZZ
@given(raw_text)
def test_segment_of_cleaned_arbitrary_text(text: str) -> None:
    cleaned = clean(text).text
    try:
        criteria, headings = segment(cleaned)
    except SegmentationError:
        return
    assert uncovered(cleaned, criteria, headings) == []
    _check_tree(cleaned, criteria)


def test_segment_reports_absurd_nesting() -> None:
    text = "1. all of the following:\n" * 200
    with pytest.raises(SegmentationError, match="nesting"):
        segment(text)


@pytest.mark.parametrize(
    "text",
    ["a" * 1_000_000, "1. " + "x " * 500_000, "((((" * 250_000],
    ids=["letters", "numbered-words", "open-parens"],
)
def test_segment_one_megabyte_line(text: str) -> None:
    criteria, headings = segment(text)
    assert uncovered(text, criteria, headings) == []
    assert len(criteria) == 1
    assert criteria[0].text == text[criteria[0].span[0] : criteria[0].span[1]]
