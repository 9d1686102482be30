"""Find thresholds in criterion text and turn them into constraints.

Plain functions over text and concept mentions; the spaCy component in
:mod:`extractor.components.thresholds` only wraps them.

A *value expression* is a number (``1,500``, ``2.5``, ``two``, ``II`` after
"class"/"grade") with what qualifies it: a comparator before it (``≤``,
``no more than``, ``between``) or after it (``or more``), a range (``12-65``,
``10 to 13``, ``0, 1, or 2``), a unit (normalised to UCUM through
``resources/units.jsonl``), a multiple of a reference limit (``×ULN``,
``times the institutional upper limit of normal``), a sub-population it
applies to (``for males aged 13 to 16 years``), and, for time units, the
window's reference event (``within 4 weeks before apheresis``).

Each value is then linked to its concept: the measurement(s) named just
before it in the same clause (``AST and ALT ≤ 2.5×ULN`` gives two
constraints), age cues (``aged``, ``years old``), a blood-pressure pair
(``140/90 mmHg``), or what the window qualifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import pairwise
from typing import Any

from .errors import ResourceError
from .lexicon import ConceptMatcher, Mention, matcher
from .model import Constraint
from .rules import compile_pattern, read_jsonl
from .units import unit_rows

AGE = {"display": "Age", "code": "LOINC:30525-0"}
SYSTOLIC = {"display": "Systolic blood pressure", "code": "LOINC:8480-6"}
DIASTOLIC = {"display": "Diastolic blood pressure", "code": "LOINC:8462-4"}
LIFE_EXPECTANCY = {"display": "Life expectancy", "code": None}
GRADE = {"display": "Toxicity grade (CTCAE)", "code": None}

_WORD_NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
}  # fmt: skip
_ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}

_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.^/*,)])(?:(?P<num>(?:(?<=[<>=≤≥ ])-(?=\d))?"  # a minus sign only after a comparator or space
    r"(?:\d{1,3}(?:,\d{3})+|\d+(?:,\d{1,2}(?=\s?[a-zA-Zµ%]))?)(?:\.\d+)?|\.\d+)"  # 1,500 / 7,8 mmol / 2.5
    r"|(?P<word>" + "|".join(_WORD_NUMBERS) + r")\b"
    r"|(?<=class |grade |stage )(?P<roman>IV|V|I{1,3})\b)",
    re.IGNORECASE,
)
_SKIP_BEFORE = re.compile(
    r"\b(?:version|v|phase|part|cohort|arm|type|day|cycle|visit|step|section|protocol|chapter|p\.|trial|study|"
    r"dsm|recist|doi|pcl|iso|icd|n\s*=|n\s*:|circulation|axis|category|group|groups|experiment|substudy|"
    r"sub-study|period|mini|antigen|wave|round|site|center|centre|room|ward|item|items|question|"
    r"grade\s+[^\s]+\s+or|\#|no\.|number|table|figure|appendix|cd|covid|il|ifn)[\s:-]*$",
    re.IGNORECASE,
)
_AND_OR_END = re.compile(r"\b(?:and|or|and/or)$", re.IGNORECASE)
_GROUP_NAME = re.compile(
    r"\b(?:cohorts?|parts?|arms?|groups?|panels?|segments?)\s+(?:[A-Z]?\d+[A-Z]?\s*(?:,|and|or|&|/)\s*)*[A-Z]?$",
    re.IGNORECASE,
)
_ENUMERATOR_AT_START = re.compile(r"^[\s\-*•]*$")


def _is_label(text: str, start: int, end: int) -> bool:
    """Is the number at ``start:end`` a list label or part of a name rather than a value?"""
    after = text[end : end + 2]
    before = text[max(0, start - 12) : start].rstrip()
    if (
        after[:1] in (".", ")")
        and after[1:2] in (" ", "\t", "\n", "", ")")
        and _ENUMERATOR_AT_START.match(text[:start])
    ):
        return True  # a list label left inside the criterion's text ("- 1. diagnosed")
    if after[:1] == ")" and end - start <= 2 and (not before or before[-1] in ";:,.(" or _AND_OR_END.search(before)):
        return True  # "1)The office BP ...; 2)for patients", "(1) curves"
    if start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha():
        return True  # "DSM-5", "PD-1", "BC-418"
    nxt = text[end : end + 3]
    if nxt[:1] == "." and nxt[1:2].isupper():
        return True  # "1.Histologically confirmed", "PC 3.Chemotherapy-naive"
    boundary = not before or before[-1] in ".;:)" or bool(_AND_OR_END.search(before))
    if boundary and nxt[:1] in (".", "-") and (nxt[1:2].isalpha() or (nxt[1:2] == " " and nxt[2:3].isupper())):
        return True  # "... 12. 3. Daily access", "1-patient refusal. 2-psychiatric disorders"
    if nxt[:1] == "-" and nxt[1:3].isalpha() and _match_unit(text, end) is None:
        return True  # "6-MWT", "6-mercaptopurine", "16-item"
    if nxt[:1] == ":" and nxt[1:2].isdigit():
        return True  # a ratio "3:1"
    if start >= 2 and text[start - 1] == "(" and text[start - 2].isalpha():
        return True  # "t(9;22)"
    if (start >= 1 and text[start - 1] in "®™+") or (start >= 2 and text[start - 1] == " " and text[start - 2] in "®™"):
        return True  # "NovoMix® 30", "groups 1+2"
    if _GROUP_NAME.search(text, max(0, start - 40), start):
        return True  # "Both Cohorts 1 and 2:", "Part 2", "Arm B1": which group, not a value
    return after[:1] == "+" and after[1:2].isdigit()  # "groups 1+2"


_RANGE = re.compile(r"\s*(?:-|–|~|to|through|and)\s*(?:[<≤]=?\s*)?", re.IGNORECASE)
_LIST_RANGE = re.compile(r"(?:\s*,\s*(?:\d+)){0,6}\s*,?\s*(?:or|and)\s*(?P<last>\d+)\b")
_DIGIT_LIST = re.compile(r"(?:,\s?\d\b)*,\s?(?P<last>\d)\b(?![.,]\d)")  # Chia's "ECOG 0,1", "0,1,2"
_ROMAN = r"(?:class\s+|grade\s+|stage\s+)?(?:IV|V|I{1,3})\b"
_ROMAN_NEXT = re.compile(r"(?:class\s+|grade\s+|stage\s+)?(?P<roman>IV|V|I{1,3})\b", re.IGNORECASE)
"""A class after a class's range sign ("NYHA class III-IV"); a numeral alone elsewhere may be a word ("IV")."""
_ROMAN_LIST = re.compile(
    r"(?:\s*,\s*" + _ROMAN + r"){0,3}\s*,?\s*(?:or|and|and/or)\s+(?P<last>" + _ROMAN + r")", re.IGNORECASE
)
"""More classes after a first ("NYHA CHF Class III or IV", "class II, III or IV")."""


def _consecutive(first: float | int, listed: str) -> bool:
    """ "0, 1, or 2" and "0,1" list consecutive whole numbers (a range); "5, 10 or 20" do not."""
    numbers = [first, *(int(n) for n in re.findall(r"\d+", listed))]
    return all(isinstance(n, int) or float(n).is_integer() for n in numbers) and all(
        int(b) - int(a) == 1 for a, b in pairwise(numbers)
    )


_ULN = re.compile(
    r"\s*(?:[x×*]|times|fold|-fold)?\s*(?:the\s+)?(?:institutional\s+|local\s+|lab(?:oratory)?\s+)?"
    r"(?:(?P<u>upper\s+limits?\s+of\s+(?:the\s+)?normal(?:\s+range)?|I?ULN|maximum\s+normal\s+value|upper\s+normal\s+limit)|(?P<l>lower\s+limits?\s+of\s+(?:the\s+)?normal|LLN))"
    r"(?:\s*\(\s*I?(?:ULN|LLN)\s*\))?",
    re.IGNORECASE,
)
_BETWEEN_BEFORE = re.compile(
    # "between and including 35 and 85 years" (NCT01401517)
    r"(?:between(?:\s+and\s+including)?|from|range\s+of|ranging\s+from|aged|ages|age)\s*$",
    re.IGNORECASE,
)
_BETWEEN_REACH = 36
"""How far before a range its "between" may start ("between and including " is 22 characters)."""
_SEXES = r"males?|females?|men|women|man|woman|boys|girls"
_WHEN = re.compile(
    r"\s*,?\s*(?:\(\s*(?P<psex>" + _SEXES + r")\s*\)"
    r"|(?:for|in)\s+(?:(?P<sex>" + _SEXES + r")\b\s*)?"
    r"(?:(?:patients|subjects|participants|children)\s*)?"
    r"(?:(?:aged|age|ages)\s+)?"
    r"(?:(?P<a1>\d+)\s*(?:to|-|–)\s*(?P<a2>\d+)\s*(?:years?|yrs?)(?:\s+(?:old|of\s+age))?"
    r"|(?P<a3>\d+)\s*(?:years?|yrs?)(?:\s+(?:old|of\s+age))?\s+(?:and|or)\s+(?:above|older|over)"
    r"|(?P<a4>\d+)\s*(?:years?|yrs?)(?:\s+(?:old|of\s+age))?)?)",
    re.IGNORECASE,
)
_IF = re.compile(
    r"\s*,?\s*\(?\s*(?:if|in\s+case\s+of|in\s+the\s+presence\s+of|(?:in|for)\s+(?:patients|subjects|those)\s+with)"
    r"\s+(?P<cond>[^);,.]{3,60})",
    re.IGNORECASE,
)
_AGE_BEFORE = re.compile(r"\b(?:age[ds]?|ages|adults?)\b[^.;]{0,25}$", re.IGNORECASE)
# "for adults", "in adult subjects", "adults:": a sub-population; "Adults between the ages of ..." is the subject
_ADULT_STRATUM = re.compile(
    r"\b(?:for|in|of|among)\s+(?:the\s+)?adults?\b|\badults?\s*(?:subjects?|patients?)?\s*:", re.I
)
_ALTERNATIVE_VALUE = re.compile(r"\(\s*$")
_COORDINATED_VALUE = re.compile(r"[^;.()\d]{0,30}\b(?:and|or|by)\s*$", re.IGNORECASE)  # "at least 1 cm by 1 cm"
_EQUIVALENT = re.compile(r"\s*\(\s*(?:~|≈|approx(?:imately)?\.?|about|ca\.?|i\.e\.,?)?\s*$", re.IGNORECASE)
_AGE_AFTER = re.compile(
    r"^\s*(?:old|of\s+age|at\s+(?:the\s+time\s+of\s+)?(?:screening|enrol|consent|signing))", re.IGNORECASE
)
_WITHIN = re.compile(
    r"(?:within|in|during|over)\s+(?:the\s+)?(?:(?:past|last|previous|preceding|prior|first|next|coming|following)\s+)?$|(?:for|in)\s+the\s+(?:past|last)\s+$",
    re.IGNORECASE,
)
_DURATION_BEFORE = re.compile(
    r"(?:for|lasting|duration\s+of|of)\s+(?:at\s+least\s+|more\s+than\s+|over\s+)?$", re.IGNORECASE
)
_UPPER_IN_RANGE = re.compile(r"≤|<=|=<|<")
_RANGE_TAIL = re.compile(r"[\s,]*(?:-|–|~|to|through|and)?\s*$", re.IGNORECASE)
_WASHOUT = re.compile(
    r"\b(?:off|discontinu\w*|stop\w*|withdrawn?|withheld|free|abstain\w*|abstinen\w*|without)\b", re.I
)
_REFERENCE = re.compile(
    r"^\s*(?P<dir>before|prior\s+to|preceding|of|since|after|following|from|post|until|ago)?\s*"
    r"(?:the\s+)?(?:(?:date\s+of|time\s+of|day\s+of)\s+(?:the\s+)?)?"
    r"(?P<event>(?:signing\s+(?:of\s+)?(?:the\s+)?)?(?:informed\s+consent(?:\s+form)?|ICF|consent)"
    r"|apheresis|leukapheresis|screening|randomi[sz]ation|enrol(?:l)?ment|registration|study\s+entry|entry"
    r"|(?:the\s+)?first\s+dose(?:\s+of\s+(?:the\s+)?study\s+(?:drug|treatment|medication|intervention))?"
    r"|(?:start|initiation)\s+of\s+(?:the\s+)?study\s+(?:drug|treatment|therapy)|day\s+1"
    r"|(?:the\s+)?(?:use|administration|last\s+dose)\s+of\s+(?:the\s+)?study\s+(?:drug|treatment|medication)"
    r"|study\s+(?:drug|treatment|medication)\s+(?:administration|initiation|start)"
    # "prior to visit 1": the first visit is the screening visit
    r"|baseline|infusion|visit\s+(?:1|one)\b|(?:first|initial|screening)\s+visit)?",
    re.IGNORECASE,
)
_EVENT_NAMES = (
    (re.compile(r"consent|ICF", re.IGNORECASE), "informed_consent"),
    (re.compile(r"apheresis", re.IGNORECASE), "apheresis"),
    (re.compile(r"randomi", re.IGNORECASE), "randomization"),
    (re.compile(r"enrol|registration|entry", re.IGNORECASE), "enrollment"),
    (re.compile(r"screening|baseline|visit", re.IGNORECASE), "screening"),
    (re.compile(r"dose|study\s+(?:drug|treatment|medication|therapy)|day\s+1|infusion", re.IGNORECASE), "first_dose"),
)
_OTHER_REFERENCE = re.compile(r"^\s*\w+(?:\s+to)?\s+(?P<what>[^,;.()]{2,50})")
_LIFE = re.compile(
    r"(?:life\s+expectancy|expected\s+survival|survival\s+(?:period|time)|expected\s+to\s+live)", re.IGNORECASE
)
_CLAUSE_BREAK = re.compile(r";|\.(?:\s|$)|\n\s*\n")
_COORDINATION = re.compile(r"^(?:\s|,|/|\(|\)|\band\b|\bor\b|\band/or\b|&)*$", re.IGNORECASE)
_GRADE_CUE = re.compile(r"grade\s*$", re.IGNORECASE)
_BP_PAIR = re.compile(r"(?<![\d.])(?P<s>\d{2,3})\s*/\s*(?P<d>\d{2,3})(?![\d/])")
_BP_RANGE = re.compile(r"\s*(?:mm\s*Hg\s*)?(?:and|to|-|–)\s*(?P<s>\d{2,3})\s*/\s*(?P<d>\d{2,3})(?![\d/])", re.I)
_BETWEEN_END = re.compile(r"between\s*$", re.IGNORECASE)
_BP_BEFORE = re.compile(r"\b(?:blood\s+pressure|BP)\b[^.;\d]{0,40}$", re.IGNORECASE)
_OF_THE_FOLLOWING = re.compile(r"\s+(?:or\s+more\s+)?of\s+(?:the\s+following|these|them|the\s+criteria)", re.IGNORECASE)
_MAYBE_VALUE = re.compile(
    r"\d|\b(?:" + "|".join(_WORD_NUMBERS) + r"|adults?|ULN|LLN|upper\s+limits?\s+of\s+(?:the\s+)?normal"
    r"|lower\s+limits?\s+of\s+(?:the\s+)?normal|(?:past|last|previous|preceding|prior|next|coming|following)\s+"
    r"(?:year|month|week|day))\b"
    r"|\b(?:class|grade|stage)\s+[IV]",
    re.IGNORECASE,
)
_WITHIN_RANGE = re.compile(r"within\s*$", re.IGNORECASE)
# "has not recovered to grade 1": the criterion is about a grade above the one named
_NOT_RECOVERED = re.compile(
    r"\b(?:not|yet\s+to|failed\s+to|unable\s+to)\s+(?:(?:have|has|been)\s+)*(?:recovered|resolved|returned)\s+to"
    r"\s+(?:(?:CTCAE|NCI)\s+)*(?:grade\s*)?$",
    re.IGNORECASE,
)
# "at least 20 patients in each group", "at least 1 major criterion": counts of people or of criteria
_NOT_A_LIMIT_AFTER = re.compile(
    r"\s+(?:(?:more|additional|major|minor|other)\s+)?"
    r"(?:patients|subjects|participants|volunteers|individuals|persons|people|criteri(?:on|a))\b",
    re.IGNORECASE,
)
# "class I or class III anti-arrhythmic drugs": a drug class's name
_CLASS_BEFORE = re.compile(r"\bclass\s*$", re.IGNORECASE)
_CLASS_LIST = re.compile(r"(?:\s*(?:,|or|and|and/or|/)\s*(?:class\s+)?(?:[IV]+|\d)\b)*\s*", re.IGNORECASE)
_NOT_NUMBER_AFTER = re.compile(r"^(?:[a-zA-Z]|\+|')(?<!\d)")


@dataclass(frozen=True, slots=True)
class UnitRule:
    ucum: str
    pint: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class ComparatorRule:
    phrase: str
    comparator: str
    position: str


@cache
def unit_rules() -> tuple[re.Pattern[str], dict[str, UnitRule]]:
    """One pattern of every unit spelling (longest first) and the rule of each spelling (lower-cased)."""
    rows = unit_rows()
    by_spelling: dict[str, UnitRule] = {}
    sensitive: list[str] = []
    insensitive: list[str] = []
    for row in rows:
        for sp in row["spellings"]:
            if not isinstance(sp, str) or not sp:
                raise ResourceError("spellings must be non-empty strings", where=row["_where"])
            rule = UnitRule(row["ucum"], row["pint"], re.compile(re.escape(sp)))
            key = sp if row.get("case_sensitive") else sp.lower()
            by_spelling.setdefault(key, rule)
            (sensitive if row.get("case_sensitive") else insensitive).append(sp)
    alts = [f"(?-i:{re.escape(s)})" for s in sensitive] + [re.escape(s) for s in insensitive]
    alts.sort(key=len, reverse=True)
    # a unit ends at a non-word character (so "m" does not match "mg", "d" not "days")
    # "3-mo", "18-35-year", "2-hour": a unit may hang on its number by a hyphen
    pattern = compile_pattern(r"\s*-?\s*(?:" + "|".join(alts) + r")(?![\w²³/^])", "units.jsonl")
    return pattern, by_spelling


@cache
def comparator_rules() -> tuple[tuple[ComparatorRule, ...], tuple[ComparatorRule, ...]]:
    rows = read_jsonl("comparators.jsonl", required={"phrase": str, "comparator": str, "position": str})
    before: list[ComparatorRule] = []
    after: list[ComparatorRule] = []
    for row in rows:
        if row["comparator"] not in ("<", "<=", ">", ">=", "=="):
            raise ResourceError(f"unknown comparator {row['comparator']!r}", where=row["_where"])
        if row["position"] not in ("before", "after"):
            raise ResourceError("position must be 'before' or 'after'", where=row["_where"])
        rule = ComparatorRule(row["phrase"].lower(), row["comparator"], row["position"])
        (before if rule.position == "before" else after).append(rule)
    before.sort(key=lambda r: len(r.phrase), reverse=True)
    after.sort(key=lambda r: len(r.phrase), reverse=True)
    return tuple(before), tuple(after)


@dataclass(slots=True)
class ValueExpr:
    start: int
    end: int
    value: float | int
    value_high: float | int | None = None
    comparator: str | None = None
    unit: str | None = None
    unit_text: str | None = None
    relative_to: str | None = None
    when: dict[str, Any] | None = None
    value_start: int = 0
    kind: str | None = None
    reference: str | None = None
    reference_text: str | None = None
    direction: str | None = None
    high_comparator: tuple[str, int] | None = None
    """A range's own upper comparator and where it starts: "12 to < 18 years"."""


@dataclass(slots=True)
class Found:
    """A constraint with where it was found (offsets in the text given)."""

    constraint: Constraint
    span: tuple[int, int]
    concept_span: tuple[int, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _number(m: re.Match[str]) -> float | int:
    if m.group("num") is not None:
        raw = m.group("num")
        # "7,8 mmol/l" is a decimal comma; "1,500" a thousands separator
        raw = raw.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", raw) else raw.replace(",", "")
        value = float(raw)
        return int(value) if value.is_integer() and "." not in raw else value
    if m.group("word") is not None:
        return _WORD_NUMBERS[m.group("word").lower()]
    return _ROMAN_VALUES[m.group("roman").upper()]


def _match_unit(text: str, pos: int) -> tuple[str, str, int] | None:
    pattern, by_spelling = unit_rules()
    m = pattern.match(text, pos)
    if not m:
        return None
    spelled = m.group().strip().lstrip("-").strip()
    rule = by_spelling.get(spelled) or by_spelling.get(spelled.lower())
    if rule is None:  # pragma: no cover - every alternative comes from the table
        return None
    return rule.ucum, spelled, m.end()


_SPACES = re.compile(r"\s+")


def _squash(text: str, base: int) -> tuple[str, list[int]]:
    """``text`` lower-cased with every whitespace run as one space, and each character's offset
    (``base`` + its index): a comparator phrase wrapped across lines ("greater than or\n   equal
    to 60%") reads as written."""
    out: list[str] = []
    where: list[int] = []
    pos = 0
    for m in _SPACES.finditer(text):
        out.append(text[pos : m.start()].lower())
        where.extend(range(base + pos, base + m.start()))
        out.append(" ")
        where.append(base + m.start())
        pos = m.end()
    out.append(text[pos:].lower())
    where.extend(range(base + pos, base + len(text)))
    where.append(base + len(text))
    return "".join(out), where


def _comparator_before(text: str, pos: int) -> tuple[str, int] | None:
    before, _ = comparator_rules()
    lo = max(0, pos - 60)
    head, where = _squash(text[lo:pos], lo)
    stripped = head.rstrip()
    for rule in before:
        if stripped.endswith(rule.phrase):
            start = len(stripped) - len(rule.phrase)
            # a word phrase must start at a word boundary ("cover" is not "over")
            if rule.phrase[0].isalpha() and start > 0 and stripped[start - 1].isalnum():
                continue
            return rule.comparator, where[start]
    return None


def _comparator_after(text: str, pos: int) -> tuple[str, int] | None:
    _, after = comparator_rules()
    tail, where = _squash(text[pos : pos + 40], pos)
    stripped = tail.lstrip()
    offset = len(tail) - len(stripped)
    for rule in after:
        if (
            stripped.startswith(rule.phrase)
            and (len(stripped) == len(rule.phrase) or not stripped[len(rule.phrase)].isalnum())
            and not stripped[len(rule.phrase) :].lstrip().startswith(("than", "then"))
            and not re.match(r"\s*(?:the\s+age\s+of\s+)?[<>≤≥=]?\s*\d", stripped[len(rule.phrase) :])
        ):  # "21 or less than 2" and "below 18 and above 65" are two limits each
            return rule.comparator, where[offset + len(rule.phrase)]
    return None


def find_values(text: str) -> list[ValueExpr]:
    """Every value expression in ``text``, in order, none overlapping."""
    out: list[ValueExpr] = []
    pos = 0
    for m in _NUMBER.finditer(text):
        if m.start() < pos:
            continue
        start, end = m.span()
        if (
            end < len(text)
            and _NOT_NUMBER_AFTER.match(text[end:])
            and _match_unit(text, end) is None
            and not _ULN.match(text, end)
        ):
            continue  # "T315I", "1c", "19-positive"
        if (
            m.group("num") is not None
            and _SKIP_BEFORE.search(text, max(0, start - 20), start)
            and _match_unit(text, end) is None
            and not re.match(r"\s*[-–]\s*\d+\s*(?:days?|weeks?|months?|years?)", text[end : end + 16])
        ):
            continue  # "version 5.0", "Day 1" (but "cycle 21-35 days" is a value)
        if m.group("num") is not None and _is_label(text, start, end):
            continue  # "- 1. diagnosed", "1)The office", "DSM-5", "PD-1", "groups 1+2"
        raw = m.group("num")
        if raw is not None and len(raw) == 4 and raw[:2] in ("19", "20") and _match_unit(text, end) is None:
            continue  # a calendar year
        if _OF_THE_FOLLOWING.match(text, end):
            continue  # "at least one of the following": a lead-in's count, not a threshold
        value = _number(m)
        expr = ValueExpr(start, end, value, value_start=start)
        cmp_before = _comparator_before(text, start)
        if (
            m.group("word") is not None
            and cmp_before is None
            and _match_unit(text, end) is None
            and _comparator_after(text, end) is None
        ):
            continue  # a number written as a word is a value only with a comparator or a unit
        j = end
        # range: 12-65, 10 to 13, 0, 1, or 2
        rng = _RANGE.match(text, j)
        unit_first = _match_unit(text, j)
        if unit_first is not None and rng is not None and rng.end() > unit_first[2]:
            unit_first = None
        if unit_first is not None:
            expr.unit, expr.unit_text, j2 = unit_first
            rng2 = _RANGE.match(text, j2)
            second = _NUMBER.match(text, rng2.end()) if rng2 else None
            if rng2 and second and second.group("num") is not None and _range_ok(text, j2, rng2, cmp_before):
                expr.value_high = _number(second)
                expr.high_comparator = _upper_comparator(rng2)
                j = second.end()
                again = _match_unit(text, j)
                if again is not None and again[0] == expr.unit:
                    j = again[2]
            else:
                j = j2
        else:
            second = _NUMBER.match(text, rng.end()) if rng else None
            # "III-IV": the class after the first, which _NUMBER reads only after "class"
            roman_high = _ROMAN_NEXT.match(text, rng.end()) if rng and m.group("roman") else None
            if (
                rng
                and second
                and (second.group("num") or second.group("roman"))
                and _range_ok(text, j, rng, cmp_before)
            ):
                expr.value_high = _number(second)
                expr.high_comparator = _upper_comparator(rng)
                j = second.end()
            elif rng and roman_high and _range_ok(text, j, rng, cmp_before):
                expr.value_high = _ROMAN_VALUES[roman_high.group("roman").upper()]
                expr.high_comparator = _upper_comparator(rng)
                j = roman_high.end()
            else:
                lst = _LIST_RANGE.match(text, j) or _DIGIT_LIST.match(text, j)
                classes = _ROMAN_LIST.match(text, j) if m.group("roman") else None
                if lst and (cmp_before is None or cmp_before[0] == "==") and _consecutive(value, lst.group()):
                    expr.value_high = int(lst.group("last"))
                    j = lst.end()
                elif classes and (cmp_before is None or cmp_before[0] == "=="):
                    listed = [_ROMAN_VALUES[r.upper()] for r in re.findall(r"IV|V|I{1,3}", classes.group(), re.I)]
                    if all(b - a == 1 for a, b in pairwise([value, *listed])):  # "III or IV", not "I or III"
                        expr.value_high = listed[-1]
                        j = classes.end()
            unit = _match_unit(text, j)
            if unit is None and expr.value_high is not None and text[j : j + 1] == ")":
                unit = _match_unit(text, j + 1)  # "between (16-24) weeks"
            if unit is not None:
                expr.unit, expr.unit_text, j = unit
        uln = _ULN.match(text, j)
        if uln and (expr.unit is None or expr.unit_text in ("x", "×")):
            expr.relative_to = "ULN" if uln.group("u") else "LLN"
            expr.unit = None
            expr.unit_text = None
            j = uln.end()
        if after_plus := (text[j : j + 1] == "+" and not text[j + 1 : j + 2].isdigit()):
            j += 1  # "18+ years", "60+"
            late = _match_unit(text, j) if expr.unit is None else None
            if late is not None:
                expr.unit, expr.unit_text, j = late
        after = None if after_plus else _comparator_after(text, j)
        if after_plus:
            expr.comparator = ">="
        if after is not None and expr.value_high is None:
            expr.comparator = after[0]
            if expr.unit is None and re.search(r"older|younger", text[j : after[1]], re.IGNORECASE):
                expr.unit, expr.kind = "a", "age"  # "18 and older"
            j = after[1]
            if expr.unit is None and expr.relative_to is None:
                late = _match_unit(text, j)  # "3 or more years"
                if late is not None:
                    expr.unit, expr.unit_text, j = late
        if (
            cmp_before is None
            and expr.unit_text is not None
            and text[end : end + 1] == "-"
            and expr.value_high is None
            and re.match(r"\s+[A-Za-z]", text[j : j + 3])
            and not _WITHIN.search(text[max(0, start - 40) : start])
        ):
            continue  # "2-hour post-load glucose", "6-minute walk test": a name, not a threshold
        if cmp_before is not None and expr.comparator is None:
            expr.comparator = cmp_before[0]
            expr.start = cmp_before[1]
        if expr.value_high is not None:
            if (
                expr.comparator in (None, "==")
                or _BETWEEN_BEFORE.search(text, max(0, expr.start - _BETWEEN_REACH), expr.start)
                or _WITHIN_RANGE.match(text, expr.start, expr.value_start)
                # "Body mass index ≥ 18.5 to ≤ 35.0 kg/m2": both bounds inclusive, so between them
                or (expr.comparator == ">=" and expr.high_comparator is not None)
            ):  # "within 1 to 2 weeks": between the two, not within the first
                expr.comparator = "between"
                b = _BETWEEN_BEFORE.search(text, max(0, expr.start - _BETWEEN_REACH), expr.start)
                if b and b.group().lower().startswith(("between", "from", "range")):
                    expr.start = b.start()
            if expr.value_high < expr.value:
                expr.value, expr.value_high = expr.value_high, expr.value
        if expr.comparator is None:
            expr.comparator = "=="
        expr.end = j
        if (
            expr.unit is None
            and expr.relative_to is None
            and _AGE_BEFORE.search(text, max(0, expr.start - 30), expr.start)
        ):
            expr.unit, expr.kind = "a", "age"  # "Age ≥ 18", "aged ≥18 and ≤70 years"
        when = _WHEN.match(text, j)
        if when and any(when.group(g) for g in ("psex", "sex", "a1", "a3", "a4")):
            expr.when = _when(when)
            expr.end = when.end()
        cond = _IF.match(text, expr.end)
        if cond:
            expr.when = {**(expr.when or {}), "condition": " ".join(cond.group("cond").split())}
        if expr.kind is None:
            _temporal(text, expr)
        while expr.end > expr.start and text[expr.end - 1].isspace():
            expr.end -= 1
        out.extend(_open_bounds(text, expr, cmp_before))
        pos = expr.end
    return _bare_limits(text, _one_period(text, out))


_ONE_PERIOD = re.compile(
    r"\b(?:within|in|during|over)\s+the\s+(?P<d>past|last|previous|preceding|prior|next|coming|following)\s+"
    r"(?P<u>year|month|week|day|twelve\s+months)\b",
    re.IGNORECASE,
)
_PERIOD_UNITS = {"year": "a", "month": "mo", "week": "wk", "day": "d", "twelve months": "mo"}


def _one_period(text: str, found: list[ValueExpr]) -> list[ValueExpr]:
    """ "within the past year", "in the last month": a look-back of one unit with no number written."""
    extra = []
    for m in _ONE_PERIOD.finditer(text):
        if any(e.start < m.end() and m.start() < e.end for e in found):
            continue
        word = " ".join(m.group("u").lower().split())
        expr = ValueExpr(
            m.start(), m.end(), 12 if word == "twelve months" else 1, comparator="<=", value_start=m.start()
        )
        expr.unit, expr.unit_text = _PERIOD_UNITS[word], m.group("u")
        _temporal(text, expr)
        if expr.kind != "window":
            expr.kind, expr.reference, expr.direction = "window", "as_of", "before"
        if m.group("d").lower() in ("next", "coming", "following"):
            expr.direction = "after"  # "not intending to become pregnant during the next month"
        extra.append(expr)
    return sorted([*found, *extra], key=lambda e: e.start) if extra else found


_BARE_LIMIT = re.compile(
    r"(?:the\s+)?(?:institutional\s+|local\s+|lab(?:oratory)?\s+)?"
    r"(?:(?P<u>upper\s+limits?\s+of\s+(?:the\s+)?normal(?:\s+range)?|I?ULN\b|upper\s+normal\s+limit)"
    r"|(?P<l>lower\s+limits?\s+of\s+(?:the\s+)?normal(?:\s+range)?|LLN\b))(?:\s*\(\s*I?(?:ULN|LLN)\s*\))?",
    re.IGNORECASE,
)


def _bare_limits(text: str, found: list[ValueExpr]) -> list[ValueExpr]:
    """Add "no greater than the upper limit of normal", "> ULN": a limit of 1×ULN with no number written."""
    if "normal" not in text.lower() and "ULN" not in text.upper() and "LLN" not in text.upper():
        return found
    extra = []
    for m in _BARE_LIMIT.finditer(text):
        if any(e.start <= m.start() < e.end or m.start() <= e.start < m.end() for e in found):
            continue
        before = _comparator_before(text, m.start())
        if before is None or before[0] == "==" or re.search(r"[\d.]\s*(?:[x×*]|times)?\s*$", text[: m.start()]):
            continue
        expr = ValueExpr(before[1], m.end(), 1, comparator=before[0], value_start=m.start())
        expr.relative_to = "ULN" if m.group("u") else "LLN"
        extra.append(expr)
    return sorted([*found, *extra], key=lambda e: e.start) if extra else found


def _upper_comparator(rng: re.Match[str]) -> tuple[str, int] | None:
    """The comparator written before a range's second number ("to < 100"), with where it starts."""
    m = _UPPER_IN_RANGE.search(rng.string, rng.start(), rng.end())
    if m is None:
        return None
    return ("<" if m.group() == "<" else "<=", m.start())


def _open_bounds(text: str, expr: ValueExpr, cmp_before: tuple[str, int] | None) -> list[ValueExpr]:
    """A range with an open bound is two limits, as ``between`` has both bounds inclusive:
    "weight >= 50 to < 100 kg" is ``>= 50`` and ``< 100``; "> 10 ug/L to < 20 ug/L" is ``> 10``
    and ``< 20``; "12 to < 18 years" is ``>= 12`` and ``< 18``."""
    high = expr.high_comparator
    low_cmp = ">" if cmp_before is not None and cmp_before[0] == ">" else ">="
    if (
        high is None
        or expr.value_high is None
        or expr.value_high <= expr.value
        or expr.comparator not in ("between", ">", ">=")
        or (low_cmp, high[0]) == (">=", "<=")
    ):
        return [expr]
    high_cmp, high_start = high
    lower = replace(expr, comparator=low_cmp, value_high=None, end=high_start, high_comparator=None)
    sep = _RANGE_TAIL.search(text, lower.start, lower.end)
    if sep is not None and sep.start() > lower.value_start:
        lower.end = sep.start()
    upper = replace(
        expr,
        comparator=high_cmp,
        value=expr.value_high,
        value_high=None,
        start=high_start,
        value_start=high_start,
        high_comparator=None,
    )
    return [lower, upper]


def _range_ok(text: str, j: int, rng: re.Match[str], cmp_before: tuple[str, int] | None) -> bool:
    sep = rng.group().strip().lower().rstrip("<≤= \t")
    if sep == "and":
        # "between 11 and 42 weeks" (not "AST and ALT"; not "> 18 and < 65")
        return (
            re.search(
                r"\bbetween\s+(?:and\s+including\s+)?(?:the\s+ages?\s+of\s+)?[\d.,]+\s*\S{0,12}\s*$",
                text[max(0, j - 50) : j],
                re.IGNORECASE,
            )
            is not None
        )
    # "< 5-fold": a dash after a comparator is no range
    return not (sep in ("-", "–") and cmp_before is not None and cmp_before[0] != "==")


def _sex(word: str) -> str:
    """``male`` or ``female`` for a sex word of :data:`_SEXES` ("men", "Girls")."""
    return "male" if word.lower().startswith(("male", "men", "man", "boy")) else "female"


def _when(m: re.Match[str]) -> dict[str, Any]:
    when: dict[str, Any] = {}
    sex = (m.group("psex") or m.group("sex") or "").lower()
    if sex:
        when["sex"] = _sex(sex)
    if m.group("a1"):
        when["age"] = [int(m.group("a1")), int(m.group("a2"))]
    elif m.group("a3"):
        when["age"] = [int(m.group("a3")), None]
    elif m.group("a4"):
        when["age"] = [int(m.group("a4")), int(m.group("a4"))]
    return when


_COUNTED = re.compile(
    r"^\s*(?:(?:prior|previous|different|separate|consecutive|more|additional)\s+)?(?:(?:lines?|courses?|cycles?|doses?|regimens?|episodes?|types?|kinds?)\s+of\s+)?$"
)
DOSE_UNITS = {"mg", "mg/d", "mg/kg", "mg/m2", "ug", "g"}
"""UCUM units of a dose: a threshold in one belongs to a drug (and compiles to exposure at that dose)."""
_OF_DRUG = re.compile(r"\s*(?:of|as)\s+(?:the\s+)?")
_TIME_UNITS = {"a", "mo", "wk", "d", "h", "min"}


def _temporal(text: str, expr: ValueExpr) -> None:
    """Classify a time-valued expression: age, life expectancy, window or duration."""
    if expr.unit not in _TIME_UNITS:
        return
    left = text[max(0, expr.start - 60) : expr.start]
    right = text[expr.end : expr.end + 80]
    if expr.unit == "a" and (
        _AGE_BEFORE.search(left)
        or re.search(r"\b(?:older|younger)\b", text[expr.start : expr.end + 12], re.IGNORECASE)
        or _AGE_AFTER.match(right)
        or (expr.unit_text or "").lower()
        in ("years old", "year old", "years of age", "yrs of age", "y/o", "yo", "y.o.")
    ):
        expr.kind = "age"
        return
    if _LIFE.search(text, max(0, expr.start - 60), expr.start):
        expr.kind = "life_expectancy"
        return
    ref = _REFERENCE.match(right)
    direction = (ref.group("dir") or "").lower() if ref else ""
    event = ref.group("event") if ref else None
    # "within" may already be the comparator: look before the number, not before the comparator
    within = _WITHIN.search(text[max(0, expr.value_start - 60) : expr.value_start])
    if direction == "ago":
        expr.kind, expr.reference, expr.direction = "window", "as_of", "before"
        expr.end += len(right[: ref.end()].rstrip()) if ref else 0
        return
    if (
        not within
        and direction in ("before", "prior to", "preceding")
        and _DURATION_BEFORE.search(left)
        and not _WASHOUT.search(left)
    ):
        # "received metformin for at least three months prior to visit 1": how long, not how recently; but
        # "taken off all antihypertensive drugs for at least one week prior to study" is a window
        expr.kind = "duration"
        return
    if within or event or direction in ("before", "prior to", "preceding", "since", "after", "following", "until"):
        expr.kind = "window"
        if within and expr.comparator == "==":
            expr.comparator = "<="
            expr.start = min(expr.start, expr.start - len(left) + within.start())
        if event:
            expr.reference = next((name for pat, name in _EVENT_NAMES if pat.search(event)), "as_of")
            expr.end += ref.end() if ref else 0
        elif direction:
            # a reference point no record names ("after the first remission"): keep its words
            other = _OTHER_REFERENCE.match(right)
            expr.reference = None
            expr.reference_text = " ".join(other.group("what").split()) if other else None
        else:
            expr.reference = "as_of"
        ahead = within is not None and re.search(r"\b(?:next|coming|following)\b", within.group(), re.IGNORECASE)
        # "within the next 48 weeks": ahead of the reference, not behind it
        expr.direction = "after" if direction in ("after", "following", "until", "post") or ahead else "before"
        return
    if _DURATION_BEFORE.search(left):
        expr.kind = "duration"


def _clause(text: str, pos: int) -> int:
    """Start of the clause containing ``pos``."""
    start = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, pos):
        start = m.end()
    return start


_SCALE_BEFORE = re.compile(
    r"\b(?:grade|stage|class|score|scores|level|status|scale|index|phase|type|category|ecog|who|asa|kps|nyha|"
    r"gcs|apgar|tanner|gleason|ps|mrs|edss|bmi)\b\W{0,3}(?:of\s+|is\s+|=\s*|:\s*)?$",
    re.IGNORECASE,
)
_CHILDREN = re.compile(r"\b(?:for|in)\s+(?:children|paediatric|pediatric|minors|adolescents)\b", re.IGNORECASE)
_PARENS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def _in_closed_parens(text: str, pos: int, until: int) -> bool:
    """Is ``pos`` inside a bracket that closes before ``until``?"""
    depth = 0
    for ch in text[pos:until]:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            if depth == 0:
                return True
            depth -= 1
    return False


_OF_GAP = re.compile(r"^\s+of\s+(?:the\s+|a\s+|an\s+|non-?\s*)?$", re.IGNORECASE)
_MODIFIER_AFTER_COORDINATOR = re.compile(
    r"(?:(?<=\bor)|(?<=\band)|(?<=,))\s+(?:cytotoxic|systemic|oral|intravenous|topical|inhaled|investigational|prior|previous|"
    r"concurrent|local|adjuvant|neoadjuvant|high-dose|experimental|immunosuppressive)\s*$",
    re.IGNORECASE,
)
_FOR_GAP = re.compile(r"^\s+for\s+(?:the\s+|a\s+|an\s+)?(?:[A-Za-z-]+\s+)?$", re.IGNORECASE)
_CUE_KINDS = {"history", "administrative", "language", "prognosis"}


def _timeable(m: Mention) -> bool:
    """Can a time window be about this mention? Not a cue word ("history of", "ICF", "female", "prior")."""
    if m.concept.label in ("Temporal", "Demographic", "Value"):
        return False
    return not (m.concept.label == "Observation" and m.concept.kind in _CUE_KINDS)


_EXCEPT_GAP = re.compile(
    r"^\s*,?\s*(?:other\s+than|except(?:\s+for)?|excluding|besides|apart\s+from)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE
)


def _concepts_before(text: str, mentions: list[Mention], expr: ValueExpr, clause_start: int) -> list[Mention]:
    """The mentions a value belongs to: the nearest one before it, and those coordinated with it.

    A lab or vital threshold belongs to a measurement; a time window or a
    duration to whatever it times (a condition, drug, procedure or measurement).
    """
    timed = expr.kind in ("window", "duration")
    candidates = [
        m
        for m in mentions
        if clause_start <= m.start
        and m.end <= expr.start
        and (
            _timeable(m)
            if timed
            else m.concept.label == "Measurement" or (expr.unit in DOSE_UNITS and m.concept.label == "Drug")
        )
    ]
    # a mention inside a parenthesis that closes before the value is an aside:
    # "corticosteroids (dose ... of prednisone) or other immunosuppressants within 2 weeks"
    candidates = [m for m in candidates if not _in_closed_parens(text, m.start, expr.start)]
    if not candidates:
        return []
    chain = [candidates[-1]]
    if (
        timed
        and len(candidates) > 1
        and (
            _OF_GAP.match(text[candidates[-2].end : candidates[-1].start])
            or (
                candidates[-2].concept.label in ("Procedure", "Drug")
                and candidates[-1].concept.label == "Condition"
                and _FOR_GAP.match(text[candidates[-2].end : candidates[-1].start])
            )
            # "any oral anti-diabetic other than metformin within 3 months": the excepted drug is timed with it
            or _EXCEPT_GAP.match(text[candidates[-2].end : candidates[-1].start])
        )
    ):
        # "local radiotherapy of non-target lesions ... within 2 weeks", "bone marrow transplantation for
        # hematologic malignancy at least 5 years ago": the window is the head's
        chain = [candidates[-2]]
        candidates = candidates[:-1]
    for prev in reversed(candidates[:-1]):
        gap = _PARENS.sub(" ", text[prev.end : chain[-1].start])
        gap = re.sub(r"\b(?:other|any|all)\b", " ", gap, flags=re.IGNORECASE)
        gap = _MODIFIER_AFTER_COORDINATOR.sub(" ", gap)  # "radiation therapy or cytotoxic chemotherapeutic agents"
        if _COORDINATION.match(gap) and gap.strip():  # mere adjacency is no coordination
            chain.append(prev)
        else:
            break
    chain.reverse()
    out: list[Mention] = []
    seen: set[str] = set()
    for m in chain:
        if m.concept.id not in seen:
            seen.add(m.concept.id)
            out.append(m)
    return out


def extract(text: str, mentions: list[Mention] | None = None, lexicon: ConceptMatcher | None = None) -> list[Found]:
    """All constraints of one criterion's ``text`` (offsets relative to it)."""
    if not _MAYBE_VALUE.search(text):
        return []  # most criteria hold no number at all
    if mentions is None:
        mentions = (lexicon or matcher()).find(text)
    found: list[Found] = []
    consumed: list[tuple[int, int]] = []
    # blood-pressure pairs first: "140/90 mmHg"
    for m in _BP_PAIR.finditer(text):
        if any(s <= m.start() < e for s, e in consumed):
            continue
        bp_unit = _match_unit(text, m.end())
        if bp_unit is not None and bp_unit[0] != "mm[Hg]":
            continue
        if bp_unit is None:
            # "blood pressure exceeds 180/110", "BP between 140/95 and 170/109": the unit goes without saying
            if not _BP_BEFORE.search(text, max(0, m.start() - 60), m.start()):
                continue
            bp_unit = ("mm[Hg]", "", m.end())
        span_ = _BP_RANGE.match(text, bp_unit[2])
        between = _BETWEEN_END.search(text, max(0, m.start() - 12), m.start())
        if span_ is not None and between is not None:
            end = span_.end()
            written = _match_unit(text, end)
            end = written[2] if written is not None and written[0] == "mm[Hg]" else end
            start = between.start()
            for concept, lo, hi in (
                (SYSTOLIC, int(m.group("s")), int(span_.group("s"))),
                (DIASTOLIC, int(m.group("d")), int(span_.group("d"))),
            ):
                c = Constraint(dict(concept), "between", lo, "mm[Hg]", value_high=hi, inclusive=True)
                found.append(Found(c, (start, end), None))
            consumed.append((start, end))
            continue
        cmp_ = _comparator_before(text, m.start())
        after = _comparator_after(text, bp_unit[2])
        comparator = after[0] if after else (cmp_[0] if cmp_ else "==")
        start = cmp_[1] if cmp_ else m.start()
        end = after[1] if after else bp_unit[2]
        for concept, value in ((SYSTOLIC, int(m.group("s"))), (DIASTOLIC, int(m.group("d")))):
            found.append(Found(Constraint(dict(concept), comparator, value, "mm[Hg]"), (start, end), None))
        consumed.append((start, end))
    adult_clauses: set[int] = set()
    for expr in find_values(text):
        if any(s <= expr.value_start < e for s, e in consumed):
            continue
        clause_start = _clause(text, expr.start)
        extra = {
            k: v
            for k, v in (
                ("kind", expr.kind),
                ("reference", expr.reference),
                ("reference_text", expr.reference_text),
                ("direction", expr.direction),
            )
            if v
        }
        inclusive = True if expr.comparator == "between" else None
        if expr.kind == "age" or (
            expr.unit == "a" and expr.kind is None and _AGE_BEFORE.search(text, clause_start, expr.start)
        ):
            c = Constraint(
                dict(AGE),
                expr.comparator or "==",
                expr.value,
                "a",
                None,
                expr.when,
                value_high=expr.value_high,
                inclusive=inclusive,
            )
            found.append(Found(c, (expr.start, expr.end), None, {"kind": "age"}))
            continue
        if expr.kind == "life_expectancy":
            c = Constraint(
                dict(LIFE_EXPECTANCY),
                expr.comparator or "==",
                expr.value,
                expr.unit,
                None,
                None,
                value_high=expr.value_high,
                inclusive=inclusive,
            )
            found.append(Found(c, (expr.start, expr.end), None, extra))
            continue
        concepts = _concepts_before(text, mentions, expr, clause_start)
        if not concepts and expr.kind in ("window", "duration"):
            # "at least 4 weeks since prior chemotherapy": what is timed comes after
            concepts = [m for m in mentions if expr.end <= m.start <= expr.end + 40 and _timeable(m)][:1]
        if not concepts and expr.unit is None and expr.relative_to is None:
            if _NOT_A_LIMIT_AFTER.match(text, expr.end):
                continue  # "at least 20 patients in each group", "at least 1 MAJOR criterion"
            if _CLASS_BEFORE.search(text, max(0, expr.value_start - 8), expr.value_start):
                named = _CLASS_LIST.match(text, expr.end)
                at = named.end() if named else expr.end
                if any(m.start == at and m.concept.label == "Drug" for m in mentions):
                    continue  # "class I or class III anti-arrhythmic drug therapy": a drug class's name
            # a count: "2 or more relapses", "at least two tyrosine kinase inhibitor (TKI) treatments",
            # "at least 2 courses of induction therapy", "no more than 2 prior chemotherapy regimens"
            for mention in mentions:
                if mention.concept.label in ("Temporal", "Value", "Demographic"):
                    continue
                if mention.start >= expr.end and _COUNTED.match(text[expr.end : mention.start]):
                    concepts = [mention]
                    break
        if expr.unit in DOSE_UNITS:
            # "10 mg/day of prednisone": the drug named after the dose wins over one before it
            of = _OF_DRUG.match(text, expr.end)
            nxt = [m for m in mentions if of and m.start == of.end() and m.concept.label == "Drug"]
            concepts = nxt[:1] or concepts
        if (
            not any(m.concept.source == "rules" for m in concepts)
            and expr.comparator == "=="
            and expr.unit is None
            and expr.relative_to is None
            and expr.value_high is None
            and not _SCALE_BEFORE.search(text, max(0, expr.start - 30), expr.start)
        ):
            continue  # a bare number with nothing to compare it to is no threshold ("in 328 schools")
        op: str | None = expr.comparator
        if op in ("==", "<=") and _NOT_RECOVERED.search(text, max(0, expr.start - 50), expr.value_start):
            op = ">"  # "toxicity ... has not recovered to grade 1": a grade above 1
        implicit = op in (None, "==") and expr.value_start == expr.start and expr.value_high is None
        prev = found[-1] if found else None
        if (
            implicit
            and prev is not None
            and prev.constraint.comparator not in ("==", "between")
            and prev.constraint.unit == expr.unit
            and expr.unit is not None
            and _COORDINATED_VALUE.match(text, prev.span[1], expr.start)
        ):
            op = prev.constraint.comparator  # "less than 20 g per day in females and 30 g per day in males"
        elif (
            implicit
            and prev is not None
            and prev.constraint.comparator not in ("==", "between")
            and _ALTERNATIVE_VALUE.search(text, max(0, expr.start - 3), expr.start)
            and (prev.constraint.unit == expr.unit or {prev.constraint.unit, expr.unit} <= _TIME_UNITS)
        ):
            # "at least 4 weeks since prior chemotherapy (6 weeks for mitomycin)": the same limit, another value
            op = prev.constraint.comparator
            extra = {**prev.extra, **extra}
            following = [m for m in mentions if expr.end <= m.start <= expr.end + 12]
            if following:
                # "since prior chemotherapy" named the first concept; the alternative's own concepts are counted
                # back the same way, from as_of
                extra.pop("reference_text", None)
                concepts = following[:1]
                # "(6 weeks for mitomycin and nitrosoureas)": and those coordinated with it
                for other in mentions:
                    gap = text[concepts[-1].end : other.start]
                    if other.start >= concepts[-1].end and gap.strip() and _COORDINATION.match(gap) and ")" not in gap:
                        concepts.append(other)
                    elif other.start >= concepts[-1].end:
                        break
        elif implicit and expr.kind == "window" and expr.direction != "after":
            op = "<="  # "investigational drugs 90 days prior to study entry": a look-back window
        when = expr.when
        lead = _SEX_LEAD.match(text, clause_start)
        if lead and concepts and not (when or {}).get("sex"):
            when = {**(when or {}), "sex": _sex(lead.group(1))}  # "For females, subject not intending to ..."
        if _ADULT_STRATUM.search(text[clause_start : expr.start]) and concepts:
            when = {**(when or {}), "age": [18, None]}
            adult_clauses.add(clause_start)
        elif _CHILDREN.search(text, clause_start, expr.start) and concepts:
            # "Serum creatinine for children: ... for males aged 16 years and above": still under 18
            lo, hi = (when or {}).get("age") or [None, None]
            when = {**(when or {}), "age": [lo, 18 if hi is None else min(hi, 18)]}
        unit = expr.unit
        if concepts and concepts[-1].concept.kind == "score" and unit == "%":
            unit = None  # Karnofsky 70% is a score of 70
        if not concepts:
            grade = _GRADE_CUE.search(text, max(0, expr.value_start - 12), expr.value_start)
            refs: list[tuple[dict[str, Any], tuple[int, int] | None]] = (
                [(dict(GRADE), None)] if grade else [({"display": None, "code": None}, None)]
            )
        else:
            refs = [(m.concept.as_ref(), (m.start, m.end)) for m in concepts]
        for concept, cspan in refs:
            c = Constraint(
                concept,
                op or "==",
                expr.value,
                unit,
                expr.relative_to,
                when,
                value_high=expr.value_high,
                inclusive=inclusive,
            )
            found.append(Found(c, (expr.start, expr.end), cspan, dict(extra)))
    # "adults" alone: an age limit of its own
    if not any(f.constraint.concept.get("code") == AGE["code"] for f in found):
        for m in re.finditer(r"\badults?\b", text, re.IGNORECASE):
            if _clause(text, m.start()) in adult_clauses:
                continue
            # "Adults with asthma", "Adult patients": the population, said first
            if not re.match(
                r"^[\W_]*(?:(?:healthy|male|female|consenting|ambulatory)\s+)?$", text[: m.start()], re.IGNORECASE
            ):
                continue
            if re.match(r"\s+(?:under|in)\s+(?:guardianship|protection|custody)", text[m.end() :], re.IGNORECASE):
                continue
            found.append(Found(Constraint(dict(AGE), ">=", 18, "a"), m.span(), None, {"kind": "age", "implicit": True}))
            break
    found.sort(key=lambda f: f.span)
    found = _drop_equivalents(text, found)
    _share_units(text, found)
    _open_ranges(text, found)
    for i, f in enumerate(found):  # "men (≤ 10 mm) and women (≤ 22 mm)": the sex named just before a bracketed limit
        sex = _SEX_BEFORE.search(text, max(0, f.span[0] - 14), f.span[0])
        if sex is None and f.extra.get("kind") != "equivalent":
            # "1.5 mg/dL (132 umol/L) males": the sex named after the limit and its restatement
            rest = [g for g in found[i + 1 :] if g.span[0] >= f.span[1]]
            end = f.span[1]
            for g in rest:
                if g.extra.get("kind") != "equivalent":
                    break
                end = g.span[1]
            sex = _SEX_AFTER.match(text, end) if end > f.span[1] else None
        if sex and not (f.constraint.when or {}).get("sex"):
            f.constraint.when = {**(f.constraint.when or {}), "sex": _sex(sex.group(1))}
    for i, f in enumerate(found):
        # "blood pressure of over 135 mmHg and/or diastolic ... over 85": the first is the systolic
        if f.constraint.concept.get("display") == "Blood pressure" and any(
            g.constraint.concept.get("code") == DIASTOLIC["code"] for g in found[i + 1 :]
        ):
            f.constraint.concept = dict(SYSTOLIC)
    return found


def _drop_equivalents(text: str, found: list[Found]) -> list[Found]:
    """ "1.5 mg/dL (132 umol/L)", "50 kg (~110 lbs)": the bracketed value restates the limit in
    another unit; it is no limit of its own (``kind`` ``equivalent``: kept as written, never compiled)."""
    out: list[Found] = []
    for f in found:
        prev = next((g for g in reversed(out) if g.extra.get("kind") != "equivalent"), None)
        c = f.constraint
        if (
            prev is not None
            and c.unit is not None
            and prev.constraint.unit is not None
            and c.unit != prev.constraint.unit
            and c.concept.get("display") in (None, prev.constraint.concept.get("display"))
            and prev.span[1] <= f.span[0]
            and _EQUIVALENT.fullmatch(text[prev.span[1] : f.span[0]])
        ):
            f.extra["kind"] = "equivalent"
        out.append(f)
    return out


_SEX_BEFORE = re.compile(r"\b(" + _SEXES + r")\s*\(\s*$", re.IGNORECASE)
_SEX_LEAD = re.compile(r"[\W_]*(?:for|in)\s+(" + _SEXES + r")\s*[,:]", re.IGNORECASE)
_SEX_AFTER = re.compile(r"\s*\)?\s*,?\s*(?:(?:in|for)\s+)?(" + _SEXES + r")\b", re.IGNORECASE)
_TO = re.compile(r"\s*(?:to|through|-|–)\s*", re.IGNORECASE)


def _open_ranges(text: str, found: list[Found]) -> None:
    """ "Age 8.0 years to less than 18.0 years": a lower bound (>=) and an upper one, one concept."""
    for a, b in pairwise(found):
        ca, cb = a.constraint, b.constraint
        if (
            ca.comparator == "=="
            and cb.comparator in ("<", "<=")
            and ca.unit == cb.unit
            and a.span[1] <= b.span[0]
            and _TO.fullmatch(text[a.span[1] : b.span[0]])
        ):
            ca.comparator = ">="
            if not cb.concept.get("display"):
                cb.concept = dict(ca.concept)
                cb.kind = cb.kind or ca.kind
                b.extra.setdefault("kind", a.extra.get("kind"))


_COORDINATED_LIMIT = re.compile(r"^\s*(?:,|and|or|and/or|but)?\s*(?:,\s*)?$", re.IGNORECASE)


def _share_units(text: str, found: list[Found]) -> None:
    """ "less than 20 or greater than 30 kg/m2", "greater than 8,000 and less than 60,000 copies/mL":
    the unit written once, after the last limit, is every coordinated limit's."""
    for i in range(len(found) - 2, -1, -1):
        a, b = found[i].constraint, found[i + 1].constraint
        if a.unit is not None or a.relative_to is not None or b.unit is None or b.unit in _TIME_UNITS:
            continue
        if a.concept.get("display") != b.concept.get("display") or found[i].extra.get("kind"):
            continue
        gap = text[found[i].span[1] : found[i + 1].span[0]]
        if _COORDINATED_LIMIT.match(gap):
            a.unit = b.unit


_TEMPORAL_PHRASE = re.compile(
    r"\b(?:(?:prior\s+to|before|after|following|during|throughout|since|until|while|post)\s+"
    r"|at\s+(?:the\s+)?(?:time\s+of|visit\s+\d+|screening|baseline|enrol(?:l)?ment|randomi[sz]ation|study\s+entry|entry)\b\s*)"
    r"(?:(?:the|a|an|any|this|study|their|first|last|initial|each|start\s+of|end\s+of|completion\s+of|"
    r"signing|taking|receiving|participating\s+in)\s+)*"
    r"(?:[A-Za-z][\w/-]*)(?:\s+(?:of\s+|the\s+)?[A-Za-z][\w/-]*){0,4}",
    re.IGNORECASE,
)
_TEMPORAL_HEADS = re.compile(
    r"(?:study|trial|screening|baseline|enrol|randomi|entry|consent|icf|surgery|treatment|therapy|dose|"
    r"infusion|visit|day|week|month|year|procedure|period|participation|diagnosis|admission|delivery|"
    r"transplant|chemotherapy|radiotherapy|operation|drug|medication|birth|pregnancy|menopause|onset|"
    r"discharge|hospitalization|course|cycle|intervention|apheresis|bronchodilator)",
    re.IGNORECASE,
)


_GESTATION_OR_AGE_AFTER = re.compile(
    r"\s*(?:of\s+)?(?:gestation|gestational|pregnancy|old|of\s+age|postmenstrual)\b", re.IGNORECASE
)


def value_label(found: Found, text: str) -> str:
    """How a found threshold is labelled as a span: ``Temporal`` for a time window, a duration, or a bare
    span of time that times nothing named ("Chronic pain more than 3 months", "(less than 3 months)");
    ``Value`` for everything else, ages and gestational ages included ("less than 37 weeks of gestation")."""
    kind = found.extra.get("kind")
    if kind in ("window", "duration"):
        return "Temporal"
    c = found.constraint
    untimed_span = kind is None and c.unit in _TIME_UNITS and not c.concept.get("display") and c.relative_to is None
    if untimed_span and not _GESTATION_OR_AGE_AFTER.match(text, found.span[1]):
        return "Temporal"
    return "Value"


def temporal_phrases(text: str) -> list[tuple[int, int]]:
    """Reference phrases with no number: "prior to study entry", "at the time of enrollment", "throughout the study"."""
    out = []
    for m in _TEMPORAL_PHRASE.finditer(text):
        if _TEMPORAL_HEADS.search(m.group()):
            out.append(m.span())
    return out
