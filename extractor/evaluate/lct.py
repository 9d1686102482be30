"""Score numeric thresholds against the LCT corpus's ``Eq-Comparison`` events.

An LCT comparison is an event ``Eq-Comparison:T10 Operator:T1 Value:T8 ...``
whose arguments are entities (roles may be numbered: ``Value2``,
``Operator2``, ``Unit2``, ``Per2``)::

    Operator         Eq-Operator entity; attribute Eq-Operator-Value gives
                     GT GTEQ LT LTEQ EQ BETWEEN PLUS-MINUS
    Value, Value2…   Eq-Value entities ("18", "1,500", "two", "III")
    Unit, Unit2      Eq-Unit (rarely a Drug event): "mg", "%", "mmHg", "ULN"
    Per              Eq-Unit or Eq-Temporal-Unit: the "dL" of "mg/dL"
    Temporal-Unit    Eq-Temporal-Unit: "years", "months"
    Temporal-Period  Eq-Temporal-Period: "past", "within", "history"
    Temporal-Recency Eq-Temporal-Recency: "onset", "first"

:func:`gold_comparisons` turns each event into a :class:`GoldComparison`;
:func:`evaluate_constraints` scores a predictor against them at three
levels (operator; operator and value; operator, value and unit), for
temporal and non-temporal comparisons separately. See
``docs/corpus-mapping.md`` for the counts and the choices made.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from .brat import BratDocument, Entity, Event, load_corpus
from .metrics import Counts, Scores, match_spans, overlap, spans_overlap

Span = tuple[int, int]

OPERATORS: dict[str, str | None] = {
    "GT": ">",
    "GTEQ": ">=",
    "GTE": ">=",
    "LT": "<",
    "LTEQ": "<=",
    "LTE": "<=",
    "EQ": "==",
    "BETWEEN": "between",
    "PLUS-MINUS": None,  # "± 2 years" is a tolerance, not a bound: such comparisons are not scored
}
"""LCT ``Eq-Operator-Value`` -> our comparator."""

CANONICAL_OPERATORS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "between")

_OPERATOR_SPELLINGS: dict[str, str] = {
    "<": "<",
    "lt": "<",
    "˂": "<",
    "<=": "<=",
    "=<": "<=",
    "≤": "<=",
    "≦": "<=",
    "le": "<=",
    "lte": "<=",
    "lteq": "<=",
    ">": ">",
    "gt": ">",
    "˃": ">",
    "＞": ">",
    ">=": ">=",
    "=>": ">=",
    "≥": ">=",
    "≧": ">=",
    "ge": ">=",
    "gte": ">=",
    "gteq": ">=",
    "=": "==",
    "==": "==",
    "eq": "==",
    "between": "between",
    "range": "between",
    "-": "between",
}

TEMPORAL_ROLES: tuple[str, ...] = ("Temporal-Unit", "Temporal-Period", "Temporal-Recency")

# --- units -------------------------------------------------------------------------------------------------------

ULN = "{ULN}"
"""Canonical unit of a multiple of the upper limit of normal ("2.5 x ULN")."""
LLN = "{LLN}"

UNIT_SPELLINGS: dict[str, str] = {
    # time
    "a": "a", "y": "a", "yr": "a", "yrs": "a", "year": "a", "years": "a", "yo": "a", "y/o": "a", "y.o": "a",
    "yearsold": "a", "yearold": "a", "yearsofage": "a", "years-old": "a", "year-old": "a",
    "mo": "mo", "mos": "mo", "mth": "mo", "mths": "mo", "month": "mo", "months": "mo",
    "wk": "wk", "wks": "wk", "week": "wk", "weeks": "wk",
    "d": "d", "day": "d", "days": "d", "daily": "/d",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "min": "min", "mins": "min", "minute": "min", "minutes": "min",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "ms": "ms", "msec": "ms", "msecs": "ms", "millisecond": "ms", "milliseconds": "ms",
    # pressure, temperature, rates
    "mmhg": "mm[Hg]", "mm[hg]": "mm[Hg]", "mmofhg": "mm[Hg]", "mmofmercury": "mm[Hg]",
    "millimetersofmercury": "mm[Hg]",
    "cel": "Cel", "°c": "Cel", "ºc": "Cel", "℃": "Cel", "degc": "Cel", "degreesc": "Cel", "degreec": "Cel",
    "degreescelsius": "Cel", "celsius": "Cel",
    "bpm": "/min", "beats/min": "/min", "beatsperminute": "/min", "breaths/min": "/min", "/min": "/min",
    # fractions
    "%": "%", "percent": "%", "percentage": "%", "percentile": "{percentile}",
    # counts per volume (mm3 = uL)
    "/mm3": "/mm3", "mm3": "/mm3", "cells/mm3": "/mm3", "/cmm": "/mm3", "cells/cmm": "/mm3",
    "/ul": "/uL", "cells/ul": "/uL", "/microl": "/uL", "/microliter": "/uL", "/mcl": "/uL",
    "x109/l": "10*9/L", "x10*9/l": "10*9/L", "109/l": "10*9/L", "10*9/l": "10*9/L", "g/l(cells)": "10*9/L",
    "x103/ul": "10*3/uL", "x10*3/ul": "10*3/uL", "103/ul": "10*3/uL", "10*3/ul": "10*3/uL", "k/ul": "10*3/uL",
    "x103/mm3": "10*3/uL", "k/mm3": "10*3/uL",
    "copies/ml": "{copies}/mL", "cp/ml": "{copies}/mL",
    # mass, length
    "kg": "kg", "kgs": "kg", "kilogram": "kg", "kilograms": "kg",
    "g": "g", "gm": "g", "gr": "g", "gram": "g", "grams": "g",
    "mg": "mg", "milligram": "mg", "milligrams": "mg",
    "ug": "ug", "mcg": "ug", "microgram": "ug", "micrograms": "ug",
    "lb": "[lb_av]", "lbs": "[lb_av]", "pound": "[lb_av]", "pounds": "[lb_av]",
    "cm": "cm", "centimeter": "cm", "centimeters": "cm", "mm": "mm", "millimeter": "mm", "millimeters": "mm",
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "l": "L", "liter": "L", "liters": "L", "litre": "L", "litres": "L", "ml": "mL", "cc": "mL",
    "ul": "uL", "microl": "uL", "microliter": "uL", "㎕": "uL",
    "cmh2o": "cm[H2O]", "cmh20": "cm[H2O]", "cmofwater": "cm[H2O]", "weekly": "/wk", "/weekly": "/wk", "/daily": "/d",
    "gm%": "g/dL", "g%": "g/dL", "mg%": "mg/dL",
    "kg/sqm": "kg/m2", "ml/min/1.73m2": "mL/min/{1.73_m2}", "ml/min/1.73sqm": "mL/min/{1.73_m2}",
    "ml/min/{1.73_m2}": "mL/min/{1.73_m2}", "ml/min/1.73": "mL/min/{1.73_m2}",
    # relative to a reference limit
    "uln": ULN, "iuln": ULN, "upperlimitofnormal": ULN, "upperlimitsofnormal": ULN, "upperlimitofthenormal": ULN,
    "normalupperlimit": ULN, "uppernormallimit": ULN, "upperlimit": ULN, "upperlimitsofthenormalrange": ULN,
    "upperlimitofnormalrange": ULN, "maximumnormalvalue": ULN, "highestreferencevalue": ULN,
    "upperlimitofnormal(uln)": ULN, "normalupperlimit(uln)": ULN, "{uln}": ULN,
    "lln": LLN, "lowerlimitofnormal": LLN, "lowerlimitsofnormal": LLN, "lowerlimitofnormalvalue": LLN,
    "lowerlimitofnormal(lln)": LLN, "{lln}": LLN,
}  # fmt: skip
"""Normalised spelling (see :func:`normalise_unit`) -> UCUM code (``{ULN}``/``{LLN}`` for multiples of a limit)."""

_UNIT_ATOMS: dict[str, str] = {
    "mg": "mg", "g": "g", "gm": "g", "gr": "g", "kg": "kg", "ug": "ug", "mcg": "ug", "ng": "ng", "pg": "pg",
    "mmol": "mmol", "umol": "umol", "micromol": "umol", "nmol": "nmol", "pmol": "pmol", "mol": "mol",
    "meq": "meq", "iu": "[IU]", "miu": "m[IU]", "u": "U", "units": "U", "copies": "{copies}", "cells": "",
    "l": "L", "dl": "dL", "ml": "mL", "ul": "uL", "microl": "uL", "mm3": "mm3", "cmm": "mm3",
    "m2": "m2", "sqm": "m2", "m": "m", "kg2": "kg2", "1.73m2": "{1.73_m2}",
    "mu": "mU", "ku": "kU", "beats": "", "breaths": "",
    "min": "min", "minute": "min", "minutes": "min", "h": "h", "hr": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d", "24h": "d", "wk": "wk", "week": "wk", "weeks": "wk",
    "mo": "mo", "month": "mo", "months": "mo", "a": "a", "y": "a", "year": "a", "years": "a", "s": "s", "sec": "s",
}  # fmt: skip
"""Pieces of a ``num/den`` unit, each normalised as in :data:`UNIT_SPELLINGS` (codes map to themselves)."""
_UNIT_ATOMS.update({code.lower(): code for code in list(_UNIT_ATOMS.values())})
_UNIT_ATOMS[""] = ""  # "/mL", "cells/mL"

EQUIVALENT_UNITS: dict[str, str] = {
    "/mm3": "/uL",  # 1 mm3 = 1 uL
    "10*3/mm3": "10*9/L",
    "10*3/uL": "10*9/L",
    "U/L": "[IU]/L",
    "mL/min/{1.73_m2}": "mL/min/{1.73_m2}",
}
"""Codes of the very same quantity, folded together by :func:`units_agree`."""

TIME_UNITS: frozenset[str] = frozenset({"a", "mo", "wk", "d", "h", "min", "s", "ms"})

_ULN_TEXT = re.compile(r"(upper|uln|maximum normal|highest reference)")
_LLN_TEXT = re.compile(r"(lower limit|lln)")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SQUARED = {"㎕": "ul", "㎖": "ml", "㎗": "dl", "㎎": "mg", "㎏": "kg", "㎍": "ug", "㎜": "mm", "㎝": "cm", "℃": "°c"}


def normalise_unit(text: str | None) -> str | None:
    """Lower-case, spaces removed, ``µ``/``μ`` -> ``u``, superscripts -> digits, ``^`` dropped, ``per`` -> ``/``."""
    if text is None:
        return None
    s = text.strip().lower().translate(_SUPERSCRIPTS)
    for char, spelt in _SQUARED.items():
        s = s.replace(char, spelt)
    s = s.replace("µ", "u").replace("μ", "u").replace("×", "x").replace("^", "")
    s = re.sub(r"\s+per\s+", "/", s)
    s = re.sub(r"^per\s+", "/", s)
    s = "".join(s.split()).rstrip(".")
    return s or None


def canonical_unit(text: str | None) -> str | None:
    """The UCUM code of a unit written as text or given as a code; the normalised text when unknown.

    ``"mg/dl"`` -> ``"mg/dL"``, ``"mm Hg"`` -> ``"mm[Hg]"``, ``"years"`` -> ``"a"``,
    ``"x ULN"`` -> ``"{ULN}"``, ``"cells/mm3"`` -> ``"/mm3"``, ``"ml / min"`` -> ``"mL/min"``.
    """
    n = normalise_unit(text)
    if n is None:
        return None
    if n in UNIT_SPELLINGS:
        return UNIT_SPELLINGS[n]
    if n in _CODES_LOWER:
        return _CODES_LOWER[n]
    ours = _extractor_spellings().get(n)
    if ours is not None:
        return ours
    bare = re.sub(r"^(x|times|-?fold|folds?)(?=\D)", "", n)
    if bare != n and bare in UNIT_SPELLINGS:
        return UNIT_SPELLINGS[bare]
    if "/" in n:
        head, *rest = n.split("/")
        head = re.sub(r"^x", "", head)
        parts = [_UNIT_ATOMS.get(head)] + [_UNIT_ATOMS.get(p) for p in rest]
        if all(p is not None for p in parts):
            return "/".join(p for p in parts if p is not None)
    return n


@cache
def _extractor_spellings() -> dict[str, str]:
    """Every unit spelling of the extractor's ``units.jsonl``, normalised, -> its UCUM code.

    Gold unit text is read through the same table the extractor reads text
    with, so "drinks/week" and ``{drinks}/wk`` agree; the extractor's own
    codes map to themselves.
    """
    from ..units import unit_rows

    rows = unit_rows()
    table: dict[str, str] = {}
    for row in rows:
        for spelling in [row["ucum"], *row["spellings"]]:
            key = normalise_unit(spelling)
            if key:
                table.setdefault(key, row["ucum"])
    return table


def _codes_lower() -> dict[str, str]:
    codes = set(UNIT_SPELLINGS.values()) | set(EQUIVALENT_UNITS) | set(EQUIVALENT_UNITS.values())
    codes |= {"mg/dL", "g/dL", "g/L", "mg/L", "ug/L", "ug/dL", "ng/mL", "pg/mL", "ng/dL", "mmol/L", "umol/L"}
    codes |= {"nmol/L", "meq/L", "[IU]/mL", "mL/min", "kg/m2", "mg/m2", "mg/kg", "mg/d", "mmol/mol"}
    return {c.lower(): c for c in codes}


_CODES_LOWER = _codes_lower()


SCALE_WORDS: frozenset[str] = frozenset(
    {"score", "scores", "grade", "stage", "class", "points", "point", "{score}", "level"}
)
"""Words LCT marks as the unit of a score ("score 8 to 23", "grade 3-4"); in our schema a score has no unit."""


def units_agree(a: str | None, b: str | None) -> bool:
    """Both absent, or the same unit once canonical (UCUM equivalents accepted: ``/mm3`` = ``/uL``).

    A scale word (:data:`SCALE_WORDS`) counts as no unit.
    """
    ca, cb = canonical_unit(a), canonical_unit(b)
    ca = None if ca in SCALE_WORDS else ca
    cb = None if cb in SCALE_WORDS else cb
    return EQUIVALENT_UNITS.get(ca or "", ca) == EQUIVALENT_UNITS.get(cb or "", cb)


# --- values ------------------------------------------------------------------------------------------------------

NUMBER_WORDS: dict[str, float] = {
    "zero": 0, "none": 0, "one": 1, "once": 1, "single": 1, "a single": 1, "two": 2, "twice": 2, "double": 2,
    "three": 3, "thrice": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "half": 0.5,
}  # fmt: skip
_FRACTIONS = {"½": 0.5, "¼": 0.25, "¾": 0.75, "⅓": 1 / 3, "⅔": 2 / 3}
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d{1,2}")
_PLAIN = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
_POWER = re.compile(r"(?:(\d+(?:\.\d+)?)\s*[x×*]\s*)?10\s*\^\s*(\d+)")
_SCALE = re.compile(r"(\d+(?:\.\d+)?)\s*(thousand|million|billion)")
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


def parse_value(text: str | None) -> float | None:
    """A number as LCT writes it, or ``None``.

    ``"18"``, ``"1.5"``, ``"+1"``, ``"1,500"`` (thousands), ``"18,5"`` (decimal comma),
    ``"two"``, ``"twice"``, ``"½"``, ``"10^3"``, ``"5 million"``. Roman numerals
    (stages, classes), ordinals, dates and scores like ``20/40`` are not numbers.
    """
    if text is None:
        return None
    s = text.strip().replace("−", "-").replace("–", "-")
    if not s:
        return None
    low = s.lower()
    if low in NUMBER_WORDS:
        return float(NUMBER_WORDS[low])
    if s in _FRACTIONS:
        return _FRACTIONS[s]
    if _THOUSANDS.fullmatch(s):
        return float(s.replace(",", ""))
    if _DECIMAL_COMMA.fullmatch(s):
        return float(s.replace(",", "."))
    if _PLAIN.fullmatch(s):
        return float(s)
    m = _POWER.fullmatch(s)
    if m:
        return float(m.group(1) or 1) * 10 ** int(m.group(2))
    m = _SCALE.fullmatch(low)
    if m:
        return float(m.group(1)) * _SCALES[m.group(2)]
    return None


def values_agree(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def normalise_operator(op: str | None) -> str | None:
    """Our comparator for an LCT attribute value (``GTEQ``) or a spelling (``≥``, ``>=``, ``between``)."""
    if op is None:
        return None
    if op in OPERATORS:
        return OPERATORS[op]
    return _OPERATOR_SPELLINGS.get(op.strip().lower())


# --- gold --------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class GoldComparison:
    """One LCT ``Eq-Comparison`` event, normalised."""

    doc_id: str
    event_id: str
    span: Span
    """The trigger entity's span (it covers operator, values and units in all but 34 of 5,297 events)."""
    text: str
    operator: str | None
    """``<``, ``<=``, ``>``, ``>=``, ``==``, ``between``; ``None`` for ``PLUS-MINUS`` alone."""
    explicit_operator: bool
    """False when no Operator argument is annotated ("in the past 6 months"): ``operator`` is then ``==``."""
    value: float | None
    value_high: float | None
    value_text: str | None
    unit: str | None
    """Raw text of the unit: ``Unit`` (joined with ``Per`` as ``mg/dL``), else ``Temporal-Unit``."""
    unit_norm: str | None
    """``unit`` lower-cased, spaces removed (:func:`normalise_unit`)."""
    ucum: str | None
    """:func:`canonical_unit` of ``unit``."""
    kind: str
    """``age`` (an argument of an Age event), ``temporal`` (has a temporal role), else ``value``."""

    @property
    def is_temporal(self) -> bool:
        """Has a Temporal-Unit/Period/Recency argument and is not an age."""
        return self.kind == "temporal"

    @property
    def category(self) -> str:
        return "temporal" if self.is_temporal else "non-temporal"

    @property
    def scorable(self) -> bool:
        return self.value is not None and self.operator is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "event_id": self.event_id,
            "span": list(self.span),
            "text": self.text,
            "operator": self.operator,
            "explicit_operator": self.explicit_operator,
            "value": self.value,
            "value_high": self.value_high,
            "unit": self.unit,
            "unit_norm": self.unit_norm,
            "ucum": self.ucum,
            "kind": self.kind,
        }


def _base_role(role: str) -> str:
    return role.rstrip("0123456789")


def _args(doc: BratDocument, event: Event, base: str) -> list[Entity]:
    out = []
    for role, arg in event.args:
        if _base_role(role) == base:
            ent = doc.entity_of(arg)
            if ent is not None:
                out.append(ent)
    return out


_PER_BEFORE = re.compile(r"(?:/|\bper)\s*$", re.IGNORECASE)
_UNIT_GAP = re.compile(r"\s*(?:/|per|a|an|each)?\s*", re.IGNORECASE)


def _unit_text(doc: BratDocument, text: str, event: Event) -> str | None:
    units = sorted(_args(doc, event, "Unit"), key=lambda e: e.start)
    pers = sorted(_args(doc, event, "Per"), key=lambda e: e.start)
    if not units and not pers:
        temporal = _args(doc, event, "Temporal-Unit")
        return temporal[0].text if temporal else None
    pieces = units + pers
    if all(a.end <= b.start and _UNIT_GAP.fullmatch(text[a.end : b.start]) for a, b in pairwise(pieces)):
        unit = text[pieces[0].start : pieces[-1].end]
    else:
        unit = "/".join([units[0].text if units else "", *(p.text for p in pers)])
    if not units:  # "per day", "weekly": a rate
        return "/" + unit.lstrip("/")
    if _PER_BEFORE.search(text[max(0, pieces[0].start - 6) : pieces[0].start]):
        unit = "/" + unit  # "200/μL", "50,000 per ul": the slash is not part of the annotated unit
    return unit


def _operator(doc: BratDocument, event: Event) -> tuple[str | None, bool, list[str]]:
    """(primary operator, explicit?, all normalised operators)."""
    ops: list[tuple[str, str | None]] = []
    for role, arg in event.args:
        if _base_role(role) == "Operator":
            raw = doc.attributes_of(arg).get("Eq-Operator-Value")
            ops.append((role, normalise_operator(raw) if raw else None))
    if not ops:
        return "==", False, []
    mapped = [op for _, op in ops if op is not None]
    primary = next((op for role, op in ops if role == "Operator" and op is not None), mapped[0] if mapped else None)
    return primary, True, mapped


def gold_comparisons(doc: BratDocument, text: str = "", doc_id: str = "") -> list[GoldComparison]:
    """Every ``Eq-Comparison`` event of one LCT document, in trigger order.

    Operators: the ``Operator`` argument's attribute through :data:`OPERATORS`.
    With several operators (``≥20 and ≤40``, ``4 to < 17``) the comparison is
    ``between`` when one of them is BETWEEN or when two numeric values come
    with two different operators; otherwise the unnumbered ``Operator`` wins
    (``= <1`` is ``<``). No operator at all: ``==`` with ``explicit_operator``
    false. Values: the numeric ``Value*`` arguments in role order; ``between``
    takes the smallest and largest. ``text`` is the document text (needed to
    join ``Unit`` and ``Per`` as written, e.g. ``ml / min``).
    """
    age_args: set[str] = set()
    for ev in doc.events.values():
        if ev.label == "Age":
            age_args.update(arg for _, arg in ev.args)
    out = []
    for ev in doc.events.values():
        if ev.label != "Eq-Comparison":
            continue
        trigger = doc.entities.get(ev.trigger)
        if trigger is None:
            continue
        primary, explicit, ops = _operator(doc, ev)
        values_ents = [
            doc.entity_of(arg)
            for role, arg in sorted(ev.args, key=lambda ra: _role_index(ra[0]))
            if _base_role(role) == "Value"
        ]
        texts = [e.text for e in values_ents if e is not None]
        numbers = [v for v in (parse_value(t) for t in texts) if v is not None]
        value_text = texts[0] if texts else None
        value = numbers[0] if numbers else None
        value_high = None
        distinct = sorted(set(numbers))
        if "between" in ops or (len(set(ops)) > 1 and len(distinct) > 1):
            primary = "between"
        if primary == "between" and len(distinct) >= 2:
            value, value_high = distinct[0], distinct[-1]
        unit = _unit_text(doc, text, ev) if text else _unit_fallback(doc, ev)
        roles = {_base_role(r) for r, _ in ev.args}
        if ev.id in age_args:
            kind = "age"
        elif roles & set(TEMPORAL_ROLES):
            kind = "temporal"
        else:
            kind = "value"
        out.append(
            GoldComparison(
                doc_id=doc_id,
                event_id=ev.id,
                span=trigger.extent,
                text=trigger.text,
                operator=primary,
                explicit_operator=explicit,
                value=value,
                value_high=value_high,
                value_text=value_text,
                unit=unit,
                unit_norm=normalise_unit(unit),
                ucum=canonical_unit(unit),
                kind=kind,
            )
        )
    out.sort(key=lambda g: (g.span, g.event_id))
    return out


def _role_index(role: str) -> int:
    digits = role[len(_base_role(role)) :]
    return int(digits) if digits else 1


def _unit_fallback(doc: BratDocument, event: Event) -> str | None:
    units = _args(doc, event, "Unit")
    pers = _args(doc, event, "Per")
    if units or pers:
        return "/".join([units[0].text if units else "", *(p.text for p in pers)])
    temporal = _args(doc, event, "Temporal-Unit")
    return temporal[0].text if temporal else None


# --- predictions and scoring -------------------------------------------------------------------------------------


@dataclass(slots=True)
class PredictedComparison:
    """What a predictor returns for one threshold it found in the text."""

    span: Span
    operator: str
    """``<``, ``<=``, ``>``, ``>=``, ``==``, ``between`` (spellings like ``≥`` are accepted)."""
    value: float | None = None
    value_high: float | None = None
    unit: str | None = None
    """Unit as written or as a UCUM code (``mg/dL``, ``mm[Hg]``, ``a``); ``None`` when unitless."""
    relative_to: str | None = None
    """``ULN``/``LLN`` when the value is a multiple of a reference limit (then ``unit`` is ignored)."""
    temporal: bool | None = None
    """Category for reporting an unmatched prediction; ``None``: guessed (overlapping gold, else time unit)."""

    @property
    def unit_key(self) -> str | None:
        if self.relative_to:
            rel = self.relative_to.strip().upper()
            return ULN if rel in ("ULN", "IULN") else LLN if rel == "LLN" else self.relative_to
        return self.unit


def predicted_from_constraint(constraint: Any) -> PredictedComparison | None:
    """Adapt an :class:`extractor.model.Constraint` (or anything with the same attributes).

    ``None`` when it has no span or no numeric value. ``kind`` ``window``,
    ``duration`` or ``life_expectancy`` is temporal, ``age`` is not, others are guessed.
    """
    span = getattr(constraint, "span", None)
    op = normalise_operator(getattr(constraint, "comparator", None))
    try:
        value = float(constraint.value)
    except (TypeError, ValueError, AttributeError):
        return None
    if span is None or op is None:
        return None
    high = getattr(constraint, "value_high", None)
    try:
        value_high = float(high) if high is not None else None
    except (TypeError, ValueError):
        value_high = None
    kind = getattr(constraint, "kind", None)
    temporal = True if kind in ("window", "duration", "life_expectancy") else False if kind == "age" else None
    return PredictedComparison(
        span=(int(span[0]), int(span[1])),
        operator=op,
        value=value,
        value_high=value_high,
        unit=getattr(constraint, "unit", None),
        relative_to=getattr(constraint, "relative_to", None),
        temporal=temporal,
    )


LEVELS: tuple[str, ...] = ("operator", "operator+value", "operator+value+unit")
CATEGORIES: tuple[str, ...] = ("non-temporal", "temporal")


def _operators_agree(gold: GoldComparison, pred: PredictedComparison) -> bool:
    op = normalise_operator(pred.operator)
    if op == gold.operator:
        return True
    # LCT annotates no operator for "in the past 6 months" (a Temporal-Period): the look-back
    # window the text means is what the extractor writes as "<= 6 mo"; both readings agree
    return gold.is_temporal and not gold.explicit_operator and gold.operator == "==" and op == "<="


def _agrees(level: str, gold: GoldComparison, pred: PredictedComparison) -> bool:
    if not _operators_agree(gold, pred):
        return False
    if level == "operator":
        return True
    if not values_agree(gold.value, pred.value):
        return False
    if gold.operator == "between" and not values_agree(gold.value_high, pred.value_high):
        return False
    if level == "operator+value":
        return True
    if gold.unit is None and gold.kind == "age":
        return canonical_unit(pred.unit_key) in (None, "a")  # "age > 21": years go without saying
    return units_agree(gold.unit, pred.unit_key)


def _compatible(
    level: str, gold: list[GoldComparison], predicted: list[PredictedComparison]
) -> Callable[[int, int], bool]:
    return lambda i, j: _agrees(level, gold[i], predicted[j])


def _category(pred: PredictedComparison, gold: list[GoldComparison]) -> str:
    if pred.temporal is not None:
        return "temporal" if pred.temporal else "non-temporal"
    best = max(gold, key=lambda g: overlap(g.span, pred.span), default=None)
    if best is not None and spans_overlap(best.span, pred.span):
        return best.category
    return "temporal" if canonical_unit(pred.unit_key) in TIME_UNITS else "non-temporal"


def score_document(
    gold: list[GoldComparison],
    predicted: list[PredictedComparison],
    scores: Scores,
    *,
    implicit_equality: bool = True,
) -> None:
    """Add one document's counts to ``scores`` (see :func:`evaluate_constraints`)."""
    scored = [g for g in gold if g.scorable and (implicit_equality or g.explicit_operator)]
    ignored = [g for g in gold if g not in scored]
    info = scores.info
    for level in LEVELS:
        pairs = match_spans(
            [g.span for g in scored], [p.span for p in predicted], "overlap", _compatible(level, scored, predicted)
        )
        matched_g = {i for i, _ in pairs}
        matched_p = {j for _, j in pairs}
        for i, g in enumerate(scored):
            counts = scores.counts(level, g.category)
            if i in matched_g:
                counts.tp += 1
            else:
                counts.fn += 1
        for j, p in enumerate(predicted):
            if j in matched_p:
                continue
            if any(spans_overlap(g.span, p.span) for g in ignored) and not any(
                spans_overlap(g.span, p.span) for g in scored
            ):
                if level == LEVELS[0]:
                    info["predictions_ignored"] = info.get("predictions_ignored", 0) + 1
                continue
            scores.counts(level, _category(p, scored)).fp += 1


def evaluate_constraints(
    predict: Callable[[str], Iterable[PredictedComparison]],
    docs: Iterable[tuple[str, str, BratDocument]],
    *,
    implicit_equality: bool = True,
) -> Scores:
    """Score ``predict(text)`` against the LCT comparisons of ``docs`` (``(doc_id, text, annotations)``).

    A prediction matches a gold comparison (one-to-one, greedy, largest
    overlap first) when the spans overlap and, per criterion, ``operator``
    agrees; ``operator+value`` also agree (``value_high`` too for
    ``between``); ``operator+value+unit`` also agree (:func:`units_agree`).
    Rows are ``non-temporal`` (lab, vital, score and age thresholds) and
    ``temporal`` (look-backs, durations). Gold comparisons without a numeric
    value or with only a ``PLUS-MINUS`` operator — and, with
    ``implicit_equality=False``, those without an annotated operator — are
    not scored; a prediction overlapping only such gold is ignored rather
    than counted false. ``info`` reports the counts.
    """
    scores = Scores(rows={level: {cat: Counts() for cat in CATEGORIES} for level in LEVELS})
    info = scores.info
    info.update(documents=0, gold=0, gold_scored=0, gold_no_value=0, gold_plus_minus=0, gold_no_operator=0)
    info["predictions"] = 0
    info["predictions_ignored"] = 0
    for doc_id, text, doc in docs:
        gold = gold_comparisons(doc, text, doc_id)
        predicted = [_as_prediction(p) for p in predict(text)]
        info["documents"] += 1
        info["gold"] += len(gold)
        info["predictions"] += len(predicted)
        for g in gold:
            if g.value is None:
                info["gold_no_value"] += 1
            elif g.operator is None:
                info["gold_plus_minus"] += 1
            elif not g.explicit_operator and not implicit_equality:
                info["gold_no_operator"] += 1
            else:
                info["gold_scored"] += 1
        score_document(gold, predicted, scores, implicit_equality=implicit_equality)
    return scores


def _as_prediction(p: Any) -> PredictedComparison:
    if isinstance(p, PredictedComparison):
        return p
    if isinstance(p, dict):
        return PredictedComparison(**p)
    adapted = predicted_from_constraint(p)
    if adapted is None:
        raise TypeError(f"cannot score prediction {p!r}")
    return adapted


def load_lct(directory: str | Path) -> Iterable[tuple[str, str, BratDocument]]:
    """The LCT documents: ``directory`` is the corpus root (with ``docs/``) or ``docs/`` itself."""
    root = Path(directory)
    if (root / "docs").is_dir():
        root = root / "docs"
    return load_corpus(root, "*.txt")
