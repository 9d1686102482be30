"""Compile a tagged criteria tree into logic (:mod:`extractor.logic`).

What is compiled, and nothing more:

- thresholds on coded measurements and on age become comparisons (strata in
  ``when``; two thresholds joined by "or" become ``any``);
- a coded condition, drug or procedure becomes presence (``has``), inside the
  time window the criterion gives it; ``negated`` becomes ``not``; what an
  exception carves out becomes ``and not any(...)``; an opening "For patients
  with X," becomes ``implies``;
- lead-ins combine their children as the segmenter decided (``all``/``any``/``n_of``);
- everything else (consent, judgement, uncoded concepts, hypotheticals) is a
  ``manual`` leaf with the reason, so the screener says "needs review"
  instead of guessing.

A trial's verdict is: every inclusion holds, no exclusion holds, the
structured fields (age, sex) hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from itertools import pairwise
from typing import Any

from .logic import LOGIC_VERSION, _code_matches
from .model import Constraint, Criterion, ParsedTrial
from .thresholds import DOSE_UNITS

_SUBJECTIVE = re.compile(
    r"\b(?:investigator|researcher|physician|judg(?:e|ed|ment|ement)|opinion|believes?|deemed|discretion|"
    r"willing|able to|ability to|understand|comply|compliance|consent|sign(?:s|ed)?\b|agree|life expectancy|"
    r"expected survival|survival period)\b",
    re.IGNORECASE,
)
_NO_REQUIREMENT = re.compile(
    r"^\W*(?:not\s+specified|see\s+(?:disease|patient)\s+characteristics|no\s+restrictions?|none|n/?a)\W*$",
    re.IGNORECASE,
)
TRIAGE_CUTOFF = 0.8
"""A leaf the triage model scores at least this high (and with no threshold to test) needs a person."""
_CONDITION_REQUIRING = re.compile(
    r"^\W*(?:any\s+)?(?:other\s+)?(?:(?:medical|chronic|serious|significant)\s+)?"
    r"(?:conditions?|diseases?|illness(?:es)?|disorders?)\s+(?:that\s+|which\s+)?(?:requir\w*|need\w*)\b",
    re.IGNORECASE,
)
_TIME_UNITS = frozenset({"a", "mo", "wk", "d", "h", "min"})
_OR_BETWEEN = re.compile(r"\bor\b|and/or", re.IGNORECASE)
_KINDS = {"Condition": "condition", "Drug": "medication", "Procedure": "procedure"}


def _dose(c: Constraint) -> dict[str, Any] | None:
    """ "prednisone ≥ 10 mg/day": exposure to the drug at that dose (``has`` with ``dose``)."""
    code = c.concept.get("code") or ""
    if not code.startswith(("ATC:", "RXNORM:")) or c.unit not in DOSE_UNITS or not isinstance(c.value, (int, float)):
        return None
    dose: dict[str, Any] = {"comparator": c.comparator, "value": c.value, "unit": c.unit}
    if c.comparator == "between":
        dose["value_high"] = c.value_high
    return {
        "op": "has",
        "kind": "medication",
        "code": code,
        "display": c.concept.get("display"),
        "window": None,
        "dose": dose,
        "span": list(c.span) if c.span else None,
    }


@cache
def _units_by_code() -> dict[str, str | None]:
    from .lexicon import _load_one

    return {c.code: c.unit for c, _, _ in _load_one("measurements", "Measurement") if c.code}


def _measured_in(code: str) -> str | None:
    """The unit the packaged lexicon measures ``code`` in (``kg`` for body weight), if it names one."""
    return _units_by_code().get(code)


def _compare(c: Constraint) -> dict[str, Any] | None:
    code = c.concept.get("code")
    if not isinstance(c.value, (int, float)):
        return None
    if (dose := _dose(c)) is not None:
        return dose
    if code == "LOINC:30525-0":
        fact = "age"
    elif code and code.startswith("LOINC:"):
        fact = "observation"
    else:
        return None
    if fact == "observation" and not c.relative_to and c.unit == "%" and _measured_in(code) not in (None, "%"):
        return None  # "weight loss greater than 10% of current body weight": a change, not the weight
    if fact == "observation" and c.unit in _TIME_UNITS and _measured_in(code) not in _TIME_UNITS:
        return None  # "HIV-1 RNA < 50 copies/mL for 6 consecutive months": how long, not the viral load
    expr: dict[str, Any] = {
        "op": "compare",
        "fact": fact,
        "code": code,
        "display": c.concept.get("display"),
        "comparator": c.comparator,
        "value": c.value,
        "unit": c.unit,
        "relative_to": c.relative_to,
        "when": c.when,
        "span": list(c.span) if c.span else None,
    }
    if c.comparator == "between":
        expr["value_high"] = c.value_high
    return expr


_NOW_WORDS = r"concurrent(?:ly)?|current(?:ly)?|ongoing|on\s+(?:\w+\s+)?(?:therapy|treatment)\s+with"
_NOW = re.compile(rf"\b(?:{_NOW_WORDS})\b", re.IGNORECASE)
_LIST_LEAD = re.compile(r"[^:;]{0,300}?\b(?:following|these|below)\b[^:;]{0,200}:", re.IGNORECASE)
# "not currently taking potent CYP3A4 inhibitors such as itraconazole": the examples are taken currently too
_CURRENT = re.compile(
    rf"\b(?:{_NOW_WORDS}|on\s+active)\b(?:[^.;:]{{0,40}}|[^.;:]{{0,50}}\b(?:such\s+as|including|e\.g\.)[^.;:]{{0,30}})$",
    re.IGNORECASE,
)


# "No current or prior anti-HIV treatment": ever, not only now
_EVER = re.compile(
    r"\b(?:current(?:ly)?|ongoing|concurrent)\s+or\s+(?:prior|previous|past|former)\b"
    r"|\b(?:prior|previous|past|former)\s+or\s+(?:current|ongoing|concurrent)\b",
    re.IGNORECASE,
)


def _window_for(entity: dict[str, Any], constraints: list[Constraint]) -> dict[str, Any] | None:
    """The look-back (or look-ahead) window a criterion gives ``entity``, counted from a named event or ``as_of``.

    A window counted from something no record names ("within 12 months after the first remission")
    gives none. "More than 2 weeks since prior immunotherapy" names the entity itself as its
    reference: it is counted back from ``as_of``.
    """
    concept = entity.get("concept") or {}
    # a window of the entity's own concept first; then one that names no concept, which times the
    # criterion as a whole ("IV drug use within the past year", a lead-in's "Excluded within 15 days:")
    # and of two windows of one concept ("radiotherapy within 4 weeks, except local radiotherapy ... within 2
    # weeks"), the one written for this very mention
    here = tuple(entity["span"])
    ordered = sorted(
        constraints,
        key=lambda c: (c.concept.get("display") is None, c.concept_span is not None and tuple(c.concept_span) != here),
    )
    for c in ordered:
        if c.kind != "window" or c.concept.get("display") not in (concept.get("display"), None):
            continue
        own = c.reference_text is not None and entity["text"].lower() in c.reference_text.lower()
        if c.reference or c.reference_text is None or own:
            return {
                "comparator": c.comparator,
                "value": c.value,
                "unit": c.unit,
                "reference": c.reference if c.reference != "as_of" else None,
                "direction": c.direction or "before",
                "ago": bool(c.text and re.search(r"\bago\b", c.text, re.IGNORECASE)),
            }
    return None


_STUDIED: ContextVar[tuple[str, ...]] = ContextVar("studied_conditions", default=())
"""Codes of the conditions the trial's inclusion criteria require (set by :func:`compile_trial`)."""
_OTHER_BEFORE = re.compile(r"\b(?:other|another|second|additional)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)


def _has(entity: dict[str, Any], constraints: list[Constraint], text: str = "", base: int = 0) -> dict[str, Any] | None:
    """Presence of a coded entity, in its window; "more than 2 weeks since X" is *not* X within 2 weeks;
    "concurrent X" (a drug or a therapy) is X still under way at ``as_of``."""
    concept = entity.get("concept") or {}
    kind = _KINDS.get(entity["label"])
    if kind is None or not concept.get("code"):
        return None
    window = _window_for(entity, constraints)
    ago = window.pop("ago", False) if window is not None else False
    before = text[: max(0, entity["span"][0] - base)] if text else ""
    lead = _LIST_LEAD.match(before)
    if (
        window is None
        and kind != "condition"
        and (_CURRENT.search(before) or (lead and _NOW.search(lead.group())))
        and not _EVER.search(before)
    ):
        window = {"comparator": "<=", "value": 0, "unit": "d", "reference": None, "direction": "before"}
    # "at least 4 weeks since prior chemotherapy": none in the last 4 weeks (none at all will do); but
    # "undergone transplantation at least 5 years ago" asks for one, that long ago
    since = window is not None and window["comparator"] in (">", ">=") and window["direction"] == "before" and not ago
    if since and window is not None:
        window = {**window, "comparator": "<="}
    has: dict[str, Any] = {
        "op": "has",
        "kind": kind,
        "code": concept["code"],
        "display": concept.get("display"),
        "window": window,
        "span": entity["span"],
    }
    dose = next(
        (
            d
            for c in constraints
            if c.concept_span is not None
            and tuple(c.concept_span) == tuple(entity["span"])
            and (d := _dose(c)) is not None
        ),
        None,
    )
    if dose is not None:
        has["dose"] = dose["dose"]
    lasting = _duration_of(entity, constraints) if kind in ("medication", "condition") else None
    if lasting is not None and kind == "condition" and lasting["unit"] in ("h", "min"):
        lasting = None  # "an AF episode of at least 10 minutes": an episode, not the diagnosis, lasts that long
    if lasting is not None:  # "on FDA-approved antiretroviral agent(s) for at least 2 months"
        has["duration"] = lasting
    # "fungal infection": the mycoses B35 ... B49, no one code prefix covers them
    hases = [{**has, "code": code} for code in [concept["code"], *concept.get("also", [])]]
    # "prior chemotherapy": the record may hold the procedure or the antineoplastic drugs given
    hases += [{**has, "kind": "medication", "code": code} for code in concept.get("as_drugs", [])]
    if window is None:  # "prior HSCT": the transplant status on the problem list; it does not date the transplant
        hases += [{**has, "kind": "condition", "code": code} for code in concept.get("as_conditions", [])]
    if kind == "condition" and _OTHER_BEFORE.search(before):
        # "other primary malignant tumors" in a leukaemia trial: any cancer but the one studied;
        # "no other active fungal infection" in a histoplasmosis trial: any mycosis but histoplasmosis
        studied = _STUDIED.get()
        hases = [h for h in hases if not any(_code_matches(s, h["code"]) for s in studied)] or hases[:1]
        for h in hases:
            inside = [s for s in studied if s != h["code"] and _code_matches(h["code"], s)]
            if inside:
                h["except"] = inside
    out: dict[str, Any] = hases[0] if len(hases) == 1 else {"op": "any", "args": hases}
    return {"op": "not", "arg": out} if since else out


def _duration_of(entity: dict[str, Any], constraints: list[Constraint]) -> dict[str, Any] | None:
    """How long a drug or condition must have lasted, when a duration of the criterion is about this mention."""
    for c in constraints:
        if (
            c.kind == "duration"
            and c.concept_span is not None
            and tuple(c.concept_span) == tuple(entity["span"])
            and isinstance(c.value, (int, float))
            and c.unit in _TIME_UNITS
        ):
            out: dict[str, Any] = {"comparator": c.comparator, "value": c.value, "unit": c.unit}
            if c.comparator == "between":
                out["value_high"] = c.value_high
            return out
    return None


def _since(expr: dict[str, Any]) -> bool:
    """Is ``expr`` what a since-window negates: a windowed ``has`` (or the ``any`` of a concept's codes)?"""
    if expr["op"] == "any":
        return all(_since(a) for a in expr["args"])
    return expr["op"] == "has" and bool(expr.get("window"))


def _manual(node: Criterion, reason: str) -> dict[str, Any]:
    return {"op": "manual", "reason": reason, "source": node.id, "span": list(node.span) if node.span else None}


def _gaps(parts: list[dict[str, Any]], text: str, base: int) -> list[str]:
    """The text between consecutive parts written in order (parts with no span are skipped)."""
    spans = [_span_of(p) for p in parts]
    return [text[a[1] - base : b[0] - base] for a, b in pairwise(spans) if a and b and a[1] <= b[0]]


def _merge_runs(
    parts: list[dict[str, Any]], together: Callable[[dict[str, Any], dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Consecutive parts that ``together(previous, part)`` says go together become one ``all``, spanning them."""
    runs: list[list[dict[str, Any]]] = []
    for p in parts:
        if runs and together(runs[-1][-1], p):
            runs[-1].append(p)
        else:
            runs.append([p])
    out = []
    for run in runs:
        spans = [s for a in run if (s := _span_of(a))]
        out.append(
            run[0]
            if len(run) == 1
            else {"op": "all", "args": run, "span": [spans[0][0], spans[-1][1]] if spans else None}
        )
    return out


def _strata_together(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One threshold per stratum ("creatinine >= 1.5 mg/dL males, >= 1.4 mg/dL females") is one part: each
    holds for its stratum, so they go together (``all``) before any "or" joins the rest."""

    def strata(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return all(x["op"] == "compare" and x.get("when") for x in (a, b)) and a.get("code") == b["code"]

    return _merge_runs(parts, strata)


def _joined(parts: list[dict[str, Any]], text: str, base: int) -> dict[str, Any]:
    """Thresholds in one criterion: "CrCl ≥ 60 or creatinine ≤ 1.5×ULN" is any, else all."""
    if len(parts) == 1:
        return parts[0]
    if all(_span_of(p) for p in parts) and any(_OR_BETWEEN.search(g) for g in _gaps(parts, text, base)):
        return {"op": "any", "args": parts}
    return {"op": "all", "args": parts}


_RELATION = re.compile(
    r"\b(?:for|with|after|following|due\s+to|secondary\s+to|because\s+of|while\s+on|on|from)\b", re.I
)


def _or_after(text: str, base: int, left: dict[str, Any], right: dict[str, Any]) -> bool:
    """Is ``right`` written after ``left`` with an "or" (and no "and") between them?"""
    a, b = _span_of(left), _span_of(right)
    if not a or not b or a[1] > b[0]:
        return False
    gap = text[a[1] - base : b[0] - base]
    return bool(_OR_BETWEEN.search(gap)) and not re.search(r"\band\b", gap, re.IGNORECASE)


def _span_of(expr: dict[str, Any]) -> Any:
    """Where a leaf was written: its own span, or its first argument's (``not``, the ``any`` of a concept's codes)."""
    if expr.get("span"):
        return expr["span"]
    if expr.get("arg"):
        return _span_of(expr["arg"])
    return _span_of(expr["args"][0]) if expr.get("args") else None


_COMBINED_GAP = re.compile(
    r"^\s*(?:\(\s*)?(?:with|plus|in\s+combination\s+with|combined\s+with|together\s+with)\s+$", re.IGNORECASE
)


def _combined(parts: list[dict[str, Any]], text: str, base: int) -> list[dict[str, Any]]:
    """Drugs given together are one alternative: "Lantus (with short-acting insulin)", "metformin in
    combination with a sulfonylurea" (both must hold), however the rest is joined."""

    def given_with(a: dict[str, Any], b: dict[str, Any]) -> bool:
        x, y = _span_of(a), _span_of(b)
        return bool(
            x
            and y
            and x[1] <= y[0]
            and _COMBINED_GAP.match(text[x[1] - base : y[0] - base])
            and all(leaf.get("kind") == "medication" for leaf in _leaves_of(a) + _leaves_of(b))
        )

    return _merge_runs(parts, given_with)


def _join(node: Criterion, parts: list[dict[str, Any]]) -> str:
    """Concepts listed ("stroke or MI", "diabetes, hypertension") are alternatives: ``any``. Concepts in
    relation ("transplantation for hematologic malignancy", "infection with HIV") must all hold."""
    base = node.span[0] if node.span else 0
    if not all(_span_of(p) for p in parts):
        return "any"
    gaps = _gaps(parts, node.text, base)
    if gaps and all(
        len(g) <= 32 and _RELATION.search(g) and not _OR_BETWEEN.search(g) and not re.search(r"[,;:.()]", g)
        for g in gaps
    ):
        return "all"
    if (
        node.section == "inclusion"
        and gaps
        and not any(_OR_BETWEEN.search(g) for g in gaps)
        and all(re.search(r"\band\b(?!/)", g, re.IGNORECASE) and not re.search(r"[,;:]", g) for g in gaps)
    ):
        # "Clinical diagnosis of type 1 diabetes and using daily insulin therapy": an inclusion's "and" joins
        return "all"
    return "any"


_PERMISSIVE = re.compile(
    r"^(?!.*\b(?:no|not|never|if|unless|provided|only|must|except|within|at\s+least|more\s+than)\b)"
    r".*\b(?:allowed|permitted|acceptable)\W*$",
    re.IGNORECASE | re.DOTALL,
)


def _in_condition(node: Criterion, c: Constraint) -> bool:
    """Is the threshold written inside the criterion's condition (the "if" of its implication)?"""
    if node.condition is None or c.span is None:
        return False
    s, e = node.condition["span"]
    return bool(s <= c.span[0] and c.span[1] <= e)


def _judged_exception(text: str) -> bool:
    """Is every judgement word of the criterion inside an exception ("... (except those ... who, in the
    investigator's judgement, ...)")? Then only the carve-out needs a person, not the whole criterion."""
    from .scope import exception_scopes

    hits = [m.start() for m in _SUBJECTIVE.finditer(text)]
    scopes = exception_scopes(text) if hits else []
    # an exception in brackets runs to its closing bracket: "(except for subjects with ... more than 1 year
    # ago who are judged by the investigator to have no evidence of active tuberculosis)"
    scopes = [(s, _bracket_end(text, s, e)) for s, e in scopes]
    return bool(hits) and all(any(s <= h < e for s, e in scopes) for h in hits)


def _bracket_end(text: str, start: int, end: int) -> int:
    """``end``, or the closing bracket of the bracket ``start`` lies in."""
    if text.rfind("(", 0, start) <= text.rfind(")", 0, start):
        return end
    close = text.find(")", end)
    return close if close != -1 else len(text)


def compile_own(node: Criterion, inherited: tuple[Constraint, ...] = ()) -> dict[str, Any] | None:
    """The logic of a node's own text (not its children); ``None`` when it says nothing checkable.

    ``inherited``: windows a lead-in gives its items ("Excluded within 15 days prior to study entry:").
    """
    base = node.span[0] if node.span else 0
    if _CONDITION_REQUIRING.match(node.text):
        # "Any medical condition requiring ACE inhibitor or ARB therapy (e.g. diabetes, proteinuria > 300 mg/d)":
        # which conditions need the treatment is a clinical judgement; the examples only illustrate it
        return _manual(node, "whether a condition requires the treatment named is clinical judgement")
    windows = [*node.constraints, *inherited]
    drug_spans = {tuple(e["span"]) for e in node.entities if e["label"] == "Drug"}
    constraints = [
        c
        for c in node.constraints
        if c.kind not in ("window", "equivalent")
        and not _in_condition(node, c)
        # "corticosteroids (dose >= 10 mg/day of prednisone)": the dose goes with the drug's own leaf
        and not (_dose(c) is not None and c.concept_span is not None and tuple(c.concept_span) in drug_spans)
    ]
    compiled = [(c, _compare(c)) for c in constraints]
    if any(e is not None for _, e in compiled):
        # a threshold beside them that cannot be encoded ("survival > 6 months and Karnofsky >= 60%")
        # stays in the expression as a manual part: the criterion is then unknown, never true by omission
        terms = [
            _at_event(node, c, e, base)
            if e is not None
            else {**_manual(node, f"no standard code for the threshold {c.text!r}"), "span": list(c.span or ())}
            for c, e in compiled
        ]
        # one threshold written once for several concepts ("ALT, AST greater than 2 times the upper limit"):
        # each must meet it in an inclusion; in an exclusion, either one past it excludes
        groups: list[tuple[Any, list[dict[str, Any]]]] = []
        for (c, _), term in zip(compiled, terms, strict=True):
            if groups and c.span is not None and groups[-1][0] == c.span:
                groups[-1][1].append(term)
            else:
                groups.append((c.span, [term]))
        shared = "any" if node.section == "exclusion" else "all"
        parts: list[dict[str, Any]] = [
            group[0] if len(group) == 1 else {"op": shared, "args": group} for _, group in groups
        ]
        parts += _untimed_concepts(node, windows, base)
        parts += [{"op": "not", "arg": leaf} if n else leaf for n, leaf in _abnormal_measurements(node, base)]
        parts.sort(key=lambda p: tuple(_span_of(p) or (0, 0)))
        joined = _joined(_strata_together(parts), node.text, base)
        person = _asks_a_person(node, base)
        if person is not None:
            # "Provide the written informed consent of their parents (if the subject is under 18 years of age)":
            # the age says when a person must check; elsewhere both hold ("age >= 18 and willing to comply")
            conditional = any(
                c.span is not None and _IF_CLAUSE.search(node.text, 0, c.span[0] - base) for c in node.constraints
            )
            if conditional:
                return {"op": "implies", "if": joined, "then": person}
            joined = {"op": "all", "args": [joined, person]}
        own_qualifiers, _ = _qualifiers(node.text, node.exception, thresholds=True)
        if own_qualifiers:  # "Disease-free survivors at least 6 years of age": the age is half of it
            joined = {"op": "all", "args": [joined, _qualifier_leaf(node, own_qualifiers)]}
        return joined
    if _NO_REQUIREMENT.match(node.text) or (
        _PERMISSIVE.match(re.sub(r"\([^()]*\)", "", node.text)) and not node.constraints
    ):
        # "Any prior preparative regimen allowed": a permission restricts nobody
        return {"op": "const", "value": True}  # also PDQ's "Not specified", "See Disease Characteristics"
    judged = _judged_exception(node.text)
    person_part: tuple[str, tuple[int, int]] | None = None
    if _SUBJECTIVE.search(node.text) and not judged:
        person_part = _person_part(node, base)
        if person_part is None:
            return _manual(node, "consent, judgement or prognosis: a person decides")
    if (
        node.needs_person is not None
        and node.needs_person >= TRIAGE_CUTOFF
        and not node.children
        and person_part is None  # the rules found which part a person decides
    ):
        return _manual(node, f"the triage model says a person decides (score {node.needs_person:.2f})")
    # an item of an "except for the following:" list says what it carves out: its own entities are its content
    item = node.exception
    # a planned or needed treatment that the criterion also times in the past ("who need to receive steroids
    # within 2 weeks before signing the ICF or during the study") is checked for the past part
    past = {
        id(e)
        for e in node.entities
        if e["hypothetical"]
        and any(
            c.kind == "window"
            and c.direction != "after"
            and c.concept_span is not None
            and tuple(c.concept_span) == tuple(e["span"])
            for c in windows
        )
    }
    indications = _indications(node, base) | _irrelevant(node, base) | _shown_by(node, base)
    # "No more than 2 prior chemotherapy regimens": a threshold no code encodes is about its concept, so the
    # concept is not asked for as such; the threshold stays a manual part
    # "received metformin for at least three months": the drug is asked for, and how long it was taken when its
    # mention is coded (the record's start and end say it), else a person reads the duration
    timed = {
        tuple(e["span"])
        for e in node.entities
        if e["label"] in ("Drug", "Condition") and (e.get("concept") or {}).get("code")
    }
    uncounted = [
        c
        for c, e in compiled
        if e is None
        and c.concept_span is not None
        and not (c.kind == "duration" and c.unit in _TIME_UNITS - {"h", "min"} and tuple(c.concept_span) in timed)
    ]
    indications |= {
        (c.concept_span[0], c.concept_span[1]) for c in uncounted if c.concept_span is not None and c.kind != "duration"
    }
    if person_part is not None:  # the part a person decides is theirs alone
        lo, hi = person_part[1]
        indications |= {tuple(e["span"]) for e in node.entities if lo <= e["span"][0] - base < hi}
    allergens = _allergens(node, base)
    given_for = _given_for(node, base)
    indications |= {tuple(e["span"]) for e in [*allergens, *given_for]}
    asked = [
        e
        for e in node.entities
        # a device ("use of an insulin pump") is asked for too; no record lists devices, so a person checks it
        if (e["label"] in _KINDS or e["label"] == "Device")
        and tuple(e["span"]) not in indications
        and not ((e["exception"] and not item) or e["family"] or e.get("condition"))
    ]
    planned = [e for e in asked if e["hypothetical"] and id(e) not in past]
    plain = [e for e in asked if not (e["hypothetical"] and id(e) not in past)]
    excepted = [e for e in node.entities if e["label"] in _KINDS and e["exception"] and not item]
    if uncounted and not [
        e for e in node.entities if e["label"] in _KINDS and tuple(e["span"]) not in indications and not e["exception"]
    ]:
        return {
            **_manual(node, f"no standard code for the threshold {uncounted[0].text!r}"),
            "span": list(node.span or ()),
        }
    if allergens:
        # "Allergic to any drug component ..., including cyclophosphamide, fludarabine": the drugs are what the
        # allergy is to, not exposures; no record codes the allergen
        names = ", ".join(dict.fromkeys(e["text"] for e in allergens))
        allergen_leaf = {
            **_manual(node, f"allergy to {names}: the allergen is not on record"),
            "span": allergens[0]["span"],
        }
        if not plain:
            return allergen_leaf
    if not plain:
        return None
    checks = [_has(e, windows, node.text, base) for e in plain]
    if any(h is not None for h in checks):
        # "No prior treatment with any anti-retroviral agent": "treatment" names no concept of its own beside
        # the coded one; as a manual part it would only make the criterion unknown
        kept = [
            (e, h)
            for e, h in zip(plain, checks, strict=True)
            if h is not None
            or not (
                _GENERIC.match(e["text"])
                # "acute symptomatic infection with hepatitis B": the infection is the coded one
                or (_INFECTION.match(e["text"]) and _WITH_AFTER.match(node.text, e["span"][1] - base))
            )
        ]
        plain, checks = [e for e, _ in kept], [h for _, h in kept]
    if all(h is None for h in checks):
        return _manual(node, f"no standard code for: {', '.join(e['text'] for e in plain)}")
    # an uncoded concept stays in the expression as a manual part: "pregnant or nursing" is true when
    # the record says pregnant, unknown otherwise, never false because nursing has no code
    leaves: list[tuple[bool, dict[str, Any]]] = []
    seen: dict[str, dict[str, Any]] = {}
    leaf_of: dict[int, dict[str, Any]] = {}
    for e, h in zip(plain, checks, strict=True):
        leaf = h if h is not None else {**_manual(node, f"no standard code for: {e['text']}"), "span": e["span"]}
        key = repr({k: v for k, v in leaf.items() if k != "span"} if leaf["op"] != "manual" else e["text"].lower())
        if key not in seen:
            seen[key] = leaf
            leaves.append((bool(e["negated"]), leaf))
        leaf_of[id(e)] = seen[key]
    leaves += _abnormal_measurements(node, base)
    leaves.sort(key=lambda nl: tuple(_span_of(nl[1]) or (0, 0)))
    for e in planned:  # "or planned to receive vaccines during the screening period": plans are not on record
        key = f"planned {e['text'].lower()}"
        if key not in seen:
            seen[key] = {}
            leaf = {**_manual(node, f"planned or expected: {e['text']!r} (plans are not on record)"), "span": e["span"]}
            leaves.append((bool(e["negated"]), leaf))
    carve, uncodable = _carve(node, excepted, windows, base)
    if judged:  # "(except ... with no active TB by the investigator's judgement)": a person decides the carve-out
        person = _manual(node, "the exception is decided by a person")
        carve = [{"op": "all", "args": [*carve, person]}] if carve else [person]
    own_qualifiers, carve_qualifiers = _qualifiers(node.text, item)
    if carve_qualifiers:  # "except adequately treated basal cell carcinoma": the record cannot tell
        carve = [{"op": "all", "args": [*carve, _qualifier_leaf(node, carve_qualifiers)]}] if carve else []
    else:
        carve = _narrow([leaf for _, leaf in leaves], carve, node, uncodable)
    # a qualifier of one mention qualifies that mention only: "arrhythmias ... requiring antiarrhythmic treatment
    # (such as sustained ventricular tachycardia, ventricular fibrillation)": fibrillation on record decides it
    general: list[Found] = []
    qualified_for: dict[int, int] = {}  # leaf -> the mention its qualifier was written for
    for qualifier in own_qualifiers:
        if any(
            e["span"][0] - base <= qualifier[2]
            and qualifier[3] <= e["span"][1] - base
            and qualifier[1].lower() in ((e.get("concept") or {}).get("display") or "").lower()
            for e in plain
        ):
            continue  # part of the concept's own name: "severe persistent asthma" (J45.5)
        targets = [] if qualifier[0] in _whole_qualifiers() else _qualified(node.text, qualifier, plain, base)
        if not any(leaf_of.get(id(t)) for t in targets):
            general.append(qualifier)
            continue
        for t in targets:
            target_leaf = leaf_of.get(id(t))
            if not target_leaf:
                continue
            if qualified_for.get(id(target_leaf), id(t)) != id(t):
                # "severe asthma, uncontrolled mild or moderate asthma": two mentions of one concept, each with
                # its own qualifier, are two alternatives
                first = target_leaf["args"][0] if target_leaf["op"] == "all" else target_leaf
                extra = {"op": "all", "args": [dict(first), _qualifier_leaf(node, [qualifier])], "span": t["span"]}
                leaves.append((bool(t["negated"]), extra))
                continue
            qualified_for[id(target_leaf)] = id(t)
            _also_requires(target_leaf, _qualifier_leaf(node, [qualifier]))
    own_qualifiers = general
    negated = all(n for n, _ in leaves)
    if negated:  # "no CNS metastases or leptomeningeal disease": none of them
        parts = [leaf for _, leaf in leaves]
        op = _join(node, parts)
    else:
        # "must not be pregnant or breast-feeding and ...": a run of negated mentions is none of them, and the
        # runs and the rest all hold unless an "or" stands between them
        parts = []
        run: list[dict[str, Any]] = []
        closing: list[tuple[bool, dict[str, Any] | None]] = [*leaves, (False, None)]
        for n, written in closing:
            if written is not None and (n or (run and _or_after(node.text, base, run[-1], written))):
                # "must not have had X, Y ... or an anticipated need for radiation": the "or" keeps the "not"
                run.append(written)
                continue
            if run:
                parts.append({"op": "not", "arg": run[0] if len(run) == 1 else {"op": "any", "args": run}})
                run = []
            if written is not None:
                parts.append(written)
        parts = _combined(parts, node.text, base)
        op = _join(node, parts)
        if op == "any" and any(n for n, _ in leaves):
            op = "any" if any(_OR_BETWEEN.search(g) for g in _gaps(parts, node.text, base)) else "all"
    if any(p["op"] == "not" and _since(p["arg"]) for p in parts):
        op = "all"  # "at least 4 weeks since prior chemotherapy (6 weeks for mitomycin) and recovered": each holds
    core: dict[str, Any] = parts[0] if len(parts) == 1 else {"op": op, "args": parts}
    required = _required_treatment(node, parts, base) if op == "any" and len(parts) > 1 else None
    if required is not None:
        core = required
    if own_qualifiers:  # "localized basal cell carcinoma", "uncontrolled hypertension": the record says only half
        core = {"op": "all", "args": [core, _qualifier_leaf(node, own_qualifiers)]}
    if allergens:
        core = {"op": "all", "args": [core, allergen_leaf]}
    if given_for:  # "steroids as a preventive medication for allergic reactions": why it was given is not on record
        names = ", ".join(dict.fromkeys(e["text"] for e in given_for))
        core = {"op": "all", "args": [core, _manual(node, f"given for {names}: a drug's indication is not on record")]}
    if carve:  # an uncodable exception leaves the criterion unknown where it would hold, never silently true
        core = {"op": "all", "args": [core, {"op": "not", "arg": {"op": "any", "args": carve}}]}
    for c in uncounted:
        core = {"op": "all", "args": [core, _manual(node, f"no standard code for the threshold {c.text!r}")]}
    result = {"op": "not", "arg": core} if negated else core
    if node.span and _about_pregnant_women(node, core, base):
        # "Pregnant or lactating female": the sex is half of it; "women must not be pregnant": binds women only
        female = {"op": "sex", "value": "female"}
        result = {"op": "implies", "if": female, "then": result} if negated else {"op": "all", "args": [female, result]}
    if person_part is not None:
        # "Pregnancy, breastfeeding, or possibility of becoming pregnant (... as determined by the investigator)":
        # pregnancy on record decides it; "must not be pregnant and willing to avoid pregnancy": both must hold
        person = _manual(node, "consent, judgement or willingness: a person decides")
        result = {"op": person_part[0], "args": [result, person]}
    return result


_GENERIC = re.compile(
    r"^(?:(?:any|prior|previous|current|concurrent|concomitant|systemic|other|the|such)\s+)*"
    r"(?:treatments?|therap(?:y|ies)|medications?|medicines?|drugs?|use|intake|exposure|administration|agents?|"
    r"regimens?|products?|substances?|episodes?|evidence)$",
    re.IGNORECASE,
)
_INFECTION = re.compile(r"^(?:\w+\s+)?infections?$", re.IGNORECASE)
_WITH_AFTER = re.compile(r"\s+(?:with|by|due\s+to|caused\s+by)\b", re.IGNORECASE)
_INDICATION = re.compile(r"\s*\(\s*for\s+[^()]*\)", re.IGNORECASE)


_ALLERGY_CUE = re.compile(
    r"\b(?:allerg(?:y|ic|ies)|hypersensitiv(?:e|ity|ities)|intoleran(?:ce|t)|anaphyla(?:xis|ctic))\s+(?:reactions?\s+)?"
    r"(?:to|for|of|with|against)\b",
    re.IGNORECASE,
)


_ALLERGY_AFTER = re.compile(
    r"[\s-]*(?:allerg(?:y|ies)|hypersensitivit(?:y|ies)|intoleran(?:ce|t)|anaphylaxis)\b", re.IGNORECASE
)
_ALLERGEN_JOIN = re.compile(r"\s*(?:,|/|\bor\b|\band\b|\band/or\b)\s*", re.IGNORECASE)


def _allergens(node: Criterion, base: int) -> list[dict[str, Any]]:
    """Drugs named as what an allergy is to ("known allergy to any GLP 1 analogue, sitagliptin"), also before the
    word ("No known Nifedipine allergy", "documented complete metformin intolerance", "penicillin or sulfa
    allergy")."""
    out: list[dict[str, Any]] = []
    for cue in _ALLERGY_CUE.finditer(node.text):
        stop = re.search(r"[;.](?:\s|$)", node.text[cue.end() :])
        end = cue.end() + stop.start() if stop else len(node.text)
        out += [
            e for e in node.entities if e["label"] == "Drug" and cue.end() <= e["span"][0] - base < end and e not in out
        ]
    drugs = sorted((e for e in node.entities if e["label"] == "Drug"), key=lambda e: e["span"][0])
    next_allergen: int | None = None  # where the drug after this one starts, when it is named as an allergen
    for e in reversed(drugs):
        after = e["span"][1] - base
        named = _ALLERGY_AFTER.match(node.text, after) is not None or (
            next_allergen is not None and _ALLERGEN_JOIN.fullmatch(node.text, after, next_allergen) is not None
        )
        if named and e not in out:
            out.append(e)
        next_allergen = e["span"][0] - base if named else None
    return out


_GIVEN_FOR = re.compile(r"\s+(?:(?:as|is|are|used|given|taken)\s+(?:\w+\s+){0,3})?for\s+", re.IGNORECASE)


def _given_for(node: Criterion, base: int) -> list[dict[str, Any]]:
    """Conditions named as what a drug is given for, in the running text ("steroids as a preventive medication
    for allergic reactions"): the criterion is about the drug given for that reason."""
    out: list[dict[str, Any]] = []
    for e in node.entities:
        if e["label"] != "Drug":
            continue
        m = _GIVEN_FOR.match(node.text, e["span"][1] - base)
        if not m:
            continue
        stop = re.search(r"[,;()]|\.(?:\s|$)", node.text[m.end() :])
        end = m.end() + stop.start() if stop else len(node.text)
        out += [
            c
            for c in node.entities
            if c["label"] == "Condition" and m.end() <= c["span"][0] - base < end and c not in out
        ]
    return out


_ANTI = re.compile(r"\banti[-\s]?$", re.IGNORECASE)


def _indications(node: Criterion, base: int) -> set[tuple[int, int]]:
    """Spans of conditions named as what a drug or procedure is for, in an aside: "anti-arrhythmic drug
    therapy (for atrial fibrillation or any other arrhythmia)" asks about the drug, whatever it treats."""
    out: set[tuple[int, int]] = set()
    for e in node.entities:
        if e["label"] == "Condition" and _ANTI.search(node.text, max(0, e["span"][0] - base - 6), e["span"][0] - base):
            out.add(tuple(e["span"]))  # "anti-HIV treatment", "anti-HBV agents": what the drug is against
        if e["label"] not in ("Drug", "Procedure"):
            continue
        m = _INDICATION.match(node.text, e["span"][1] - base)
        if m:
            lo, hi = base + m.start(), base + m.end()
            out |= {tuple(c["span"]) for c in node.entities if c["label"] == "Condition" and lo <= c["span"][0] < hi}
    return out


_REQUIRING = re.compile(
    r"\b(?:requiring|requires|required|that\s+requires?|needing|treated\s+with)\s+(?:\w+\s+){0,2}$", re.IGNORECASE
)


def _required_treatment(node: Criterion, parts: list[dict[str, Any]], base: int) -> dict[str, Any] | None:
    """ "Any uncontrolled active infection ..., requiring antibiotic, antiviral or antifungal treatment": the
    treatments a condition requires go with it (all), not beside it (any)."""
    spans = [_span_of(p) for p in parts]
    if not all(spans):
        return None
    for i in range(1, len(parts)):
        cue = _REQUIRING.search(node.text, 0, spans[i][0] - base)
        if cue is None or cue.start() < spans[i - 1][1] - base:
            continue
        head, needed = parts[:i], parts[i:]
        kinds_needed = {leaf.get("kind") for p in needed for leaf in _leaves_of(p)}
        kinds_head = {leaf.get("kind") for p in head for leaf in _leaves_of(p)}
        if kinds_needed <= {"medication", "procedure", None} and kinds_head & {"condition", None}:
            return {
                "op": "all",
                "args": [
                    head[0] if len(head) == 1 else {"op": "any", "args": head},
                    needed[0] if len(needed) == 1 else {"op": "any", "args": needed},
                ],
            }
    return None


def _leaves_of(expr: dict[str, Any]) -> list[dict[str, Any]]:
    if expr.get("op") in ("has", "manual", "compare"):
        return [expr]
    out: list[dict[str, Any]] = []
    for a in [*expr.get("args", []), *([expr["arg"]] if expr.get("arg") else [])]:
        out += _leaves_of(a)
    return out


_OF_RELATION = re.compile(r"^\s*(?:of|for|to|in|on|with)\s+(?:the\s+|a\s+|an\s+|non-?\s*)?$", re.IGNORECASE)


def _known_without_code(text: str) -> bool:
    """Is ``text`` wholly a packaged lexicon concept that has no standard code ("CNS leukemia")?"""
    from .lexicon import matcher

    found = matcher().find(text)
    return len(found) == 1 and found[0].concept.code is None and found[0].end - found[0].start >= len(text.strip()) - 1


def _carve(
    node: Criterion, excepted: list[dict[str, Any]], windows: list[Constraint], base: int
) -> tuple[list[dict[str, Any]], set[int]]:
    """The exceptions of a criterion, one expression each: "local radiotherapy of non-target lesions" is one
    exception of two mentions (both must hold), "basal cell or squamous cell carcinoma" two; and the ids of
    the exceptions no code exists for ("CNS leukemia": no coded record can be it)."""
    out: list[dict[str, Any]] = []
    uncodable: set[int] = set()
    previous: dict[str, Any] | None = None
    for e in excepted:
        h = _has(e, windows, node.text, base)
        leaf = h if h is not None else {**_manual(node, f"exception {e['text']!r} has no code"), "span": e["span"]}
        if h is None and _known_without_code(e["text"]):
            uncodable.add(id(leaf))
        gap = node.text[previous["span"][1] - base : e["span"][0] - base] if previous is not None else ""
        if previous is not None and _OF_RELATION.match(gap):
            last = out[-1]
            out[-1] = {"op": "all", "args": [*(last["args"] if last["op"] == "all" else [last]), leaf]}
        else:
            out.append(leaf)
        previous = e
    return out, uncodable


Found = tuple[str, str, int, int]
"""A qualifier found: what it is, its words, and where (offsets in the criterion's text)."""


def _qualifiers(text: str, item: bool, thresholds: bool = False) -> tuple[list[Found], list[Found]]:
    """Qualifiers no record codes ("localized", "fully treated and cured", "uncontrolled"), as
    ``(what, words, start, end)``: those of the criterion itself, and those inside its exceptions. With
    ``thresholds``, those a threshold defines are left out."""
    from .rules import qualifiers
    from .scope import exception_scopes

    found = [
        (q.what, m) for q in qualifiers() if not (thresholds and q.threshold_defines) for m in q.pattern.finditer(text)
    ]
    if not found:
        return [], []
    scopes = [] if item else exception_scopes(text)
    own: list[Found] = []
    carved: list[Found] = []
    for what, m in sorted(found, key=lambda f: f[1].start()):
        inside = any(s <= m.start() < e for s, e in scopes)
        (carved if inside else own).append((what, " ".join(m.group().split()), m.start(), m.end()))
    return own, carved


@cache
def _whole_qualifiers() -> frozenset[str]:
    from .rules import qualifiers

    return frozenset(q.what for q in qualifiers() if q.whole)


_POSTPOSITIVE = re.compile(r"^(?:that|which|who|requir|need|with)", re.IGNORECASE)


def _qualified(text: str, found: Found, entities: list[dict[str, Any]], base: int) -> list[dict[str, Any]]:
    """The mentions a qualifier modifies: the one it precedes ("uncontrolled hypertension", "significant
    evidence of depression") and those coordinated with it ("clinically significant cardiovascular and/or
    cerebrovascular disease"), or for "that require treatment", "requiring antiarrhythmic treatment", the
    one before it; none when it is about the criterion as a whole."""
    inside = [e for e in entities if e["span"][0] - base <= found[2] and found[3] <= e["span"][1] - base]
    if inside:  # "Severe asthma" tagged whole: the qualifier is that mention's
        return inside[:1]
    first = _qualified_entity(text, found, entities, base)
    if first is None:
        return []
    out = [first]
    if first["span"][0] - base >= found[3]:
        for e in entities:
            if e["span"][0] <= out[-1]["span"][0]:
                continue
            gap = text[out[-1]["span"][1] - base : e["span"][0] - base]
            if not _COORDINATED_GAP.match(gap):
                break
            out.append(e)
    return out


_COORDINATED_GAP = re.compile(r"^\s*(?:,|and|or|and/or|/)\s*(?:and|or)?\s*$", re.IGNORECASE)


def _qualified_entity(text: str, found: Found, entities: list[dict[str, Any]], base: int) -> dict[str, Any] | None:
    """The first mention a qualifier modifies (see :func:`_qualified`)."""
    _, words, start, end = found
    before = [e for e in entities if e["span"][1] - base <= start]
    after = [e for e in entities if e["span"][0] - base >= end]

    def near_after() -> dict[str, Any] | None:
        if after:
            gap = text[end : after[0]["span"][0] - base]
            if len(gap) <= 30 and not re.search(r"[,;()]", gap):
                return after[0]
        return None

    def near_before() -> dict[str, Any] | None:
        if before:
            gap = text[before[-1]["span"][1] - base : start]
            if len(gap) <= 60 and not re.search(r"[;()]", gap):
                return before[-1]
        return None

    if _POSTPOSITIVE.match(words):
        return near_before()
    return near_after() or near_before()


_IF_CLAUSE = re.compile(r"\(?\b(?:if|when|in\s+case)\b[^();.]*$", re.IGNORECASE)
_CONSENT_AS_TIME = re.compile(
    r"\b(?:at\s+(?:the\s+)?time(?:\s+of)?|time\s+of|before|prior\s+to|after|since|until|from|date\s+of|day\s+of|of|when|"
    r"while|upon|on|at)\s+"
    r"(?:the\s+)?(?:signing|signature|obtaining|giving)?\s*(?:of\s+)?(?:the\s+)?(?:written\s+)?(?:informed\s+)?"
    r"(?:consent|ICF)(?:\s+form)?",
    re.IGNORECASE,
)


def _asks_a_person(node: Criterion, base: int) -> dict[str, Any] | None:
    """A manual leaf when a threshold criterion also asks for consent, judgement or willingness (not when
    consent only dates something: "aged 18 or over at the time of signing informed consent")."""
    text = node.text
    for c in node.constraints:
        if c.span is not None:
            s, e = c.span[0] - base, c.span[1] - base
            text = text[:s] + " " * (e - s) + text[e:]
    text = _CONSENT_AS_TIME.sub(lambda m: " " * len(m.group()), text)
    text = re.sub(r"\b(?:life\s+expectancy|expected\s+survival|survival\s+period)\b", "", text, flags=re.IGNORECASE)
    if not _SUBJECTIVE.search(text) or _judged_exception(node.text):
        return None
    return _manual(node, "consent, judgement or willingness: a person decides")


_JOINT_BEFORE = re.compile(r"(?:,\s*|\s)(?:(and|or)\s+)?$", re.IGNORECASE)


def _person_part(node: Criterion, base: int) -> tuple[str, tuple[int, int]] | None:
    """Where consent, judgement or willingness is one part of a criterion, that part and how it joins the
    rest: ``("any", span)`` after an "or" (and for a bracket in an exclusion), ``("all", span)`` after "and";
    ``None`` when it is the whole criterion, or the rest names nothing coded."""
    text = node.text
    hits = [m.start() for m in _SUBJECTIVE.finditer(text)]
    if not hits:
        return None
    first = hits[0]
    open_ = text.rfind("(", 0, first)
    if open_ > text.rfind(")", 0, first):  # in a bracket: that bracket
        close = text.find(")", open_)
        span = (open_, close + 1 if close != -1 else len(text))
        op = "any" if node.section == "exclusion" else "all"
    else:
        # the clause the first hit is in, from the coordinator before it to the end of the sentence
        start = max(text.rfind(", or", 0, first), text.rfind(" or ", 0, first), text.rfind(" and ", 0, first))
        if start <= 0:
            return None
        stop = re.search(r"[.;](?:\s|$)", text[first:])
        span = (start, first + stop.start() if stop else len(text))
        op = "any" if text[start:].lstrip(", ").lower().startswith("or") else "all"
    if any(not (span[0] <= h < span[1]) for h in hits):
        return None
    rest = [
        e
        for e in node.entities
        if e["label"] in _KINDS and not (span[0] <= e["span"][0] - base < span[1]) and e.get("concept", {}).get("code")
    ]
    return (op, span) if rest else None


_WITH_OR_WITHOUT = re.compile(
    r"\bwith\s+or\s+without\b|\bregardless\s+of\b|\birrespective\s+of\b"
    # "high-risk behavior for HIV infection", "at risk of bleeding": what one is at risk of is not had
    r"|\brisk\s+(?:\w+\s+){0,2}?(?:for|of)\b",
    re.IGNORECASE,
)


_SHOWN_BY = re.compile(
    r"\b(?:as\s+)?(?:demonstrated|documented|confirmed|shown|proven|evidenced|assessed|measured|determined|"
    r"detected|established|verified)\s+(?:by|on|using|via)\s+",
    re.IGNORECASE,
)


_FEMALE = re.compile(r"females?|wom[ae]n|female\s+(?:subjects?|patients?|participants?)", re.IGNORECASE)
_MALE = re.compile(r"\b(?:males?|men|man|boys?)\b", re.IGNORECASE)
_PREGNANCY = re.compile(r"pregnan|lactat|nursing|breast[-\s]?feed", re.IGNORECASE)
_OF_CHILDBEARING = re.compile(r"\s+(?:of\s+)?(?:child[-\s]?bearing|reproductive)")


def _about_pregnant_women(node: Criterion, core: dict[str, Any], base: int) -> bool:
    """Does the criterion name women as whom its pregnancy or lactation is about ("Pregnant or lactating
    female", "Female subject is pregnant ...")? Not "women of childbearing potential" (a further condition)."""
    women = [
        e
        for e in node.entities
        if e["label"] == "Demographic"
        and _FEMALE.fullmatch(e["text"].strip())
        and not _OF_CHILDBEARING.match(node.text, e["span"][1] - base)
    ]
    # "adult males and non-pregnant and non-lactating females": men are admitted too, so not women alone
    men = any(e["label"] == "Demographic" and _MALE.search(e["text"]) for e in node.entities)
    return (
        bool(women)
        and not men
        and any(
            str(leaf.get("code") or "").startswith("ICD10CM:Z33") or _PREGNANCY.search(leaf.get("reason") or "")
            for leaf in _leaves_of(core)
        )
    )


def _shown_by(node: Criterion, base: int) -> set[tuple[int, int]]:
    """Mentions of how a diagnosis was shown ("as demonstrated by MRI-PDFF", "as determined by the Structured
    Clinical Interview (SCID)", "confirmed by laboratory testing"): the method, not something to have had."""
    spans: set[tuple[int, int]] = set()
    for m in _SHOWN_BY.finditer(node.text):
        stop = re.search(r"[,;()]|\.(?:\s|$)|\s(?:and|or|with|within|in|at)\s", node.text[m.end() :])
        end = m.end() + stop.start() if stop else len(node.text)
        spans |= {(e["span"][0], e["span"][1]) for e in node.entities if m.end() <= e["span"][0] - base < end}
    return spans


_TOPIC_AFTER = re.compile(
    r"\s+(?:regimens?|therapy|treatment|medications?)\s+(?:involves?|includes?|consists?\s+of|comprises?|"
    r"must\s+(?:involve|include|consist\s+of))\b",
    re.IGNORECASE,
)
_STUDY_DRUG = re.compile(
    r"(?:the\s+)?(?:study|trial|investigational|experimental)\s+(?:medications?|drugs?|products?|treatments?|"
    r"agents?|vaccines?|interventions?)",
    re.IGNORECASE,
)
_DOSE_EVENT_BEFORE = re.compile(
    r"\b(?:prior\s+to|before|after|following|until|since)\s+(?:the\s+)?(?:(?:first|last|initial|final)\s+)?"
    r"(?:dos(?:e|es|ing)|administration|start|initiation|receipt)\s+(?:of|with)\s+(?:the\s+)?$",
    re.IGNORECASE,
)


def _irrelevant(node: Criterion, base: int) -> set[tuple[int, int]]:
    """Mentions the criterion says do not matter ("with or without major depression", "regardless of sex"), or
    are only at risk of ("no identifiable high-risk behavior for HIV infection")."""
    out: set[tuple[int, int]] = set()
    for e in node.entities:
        start, end = e["span"][0] - base, e["span"][1] - base
        if (
            # "within two weeks prior to dosing with study medications": the study drug dates, it is not asked for
            (_STUDY_DRUG.fullmatch(e["text"].strip()) and _DOSE_EVENT_BEFORE.search(node.text, 0, start))
            # "Insulin regimen involves either use of an insulin pump or Lantus": the regimen is the topic
            or _TOPIC_AFTER.match(node.text, end)
        ):
            out.add((e["span"][0], e["span"][1]))
    for m in _WITH_OR_WITHOUT.finditer(node.text):
        stop = re.search(r"[,;()]|\.(?:\s|$)", node.text[m.end() :])
        end = m.end() + stop.start() if stop else len(node.text)
        out |= {tuple(e["span"]) for e in node.entities if m.end() <= e["span"][0] - base < end}
    return out


_AT_EVENT = re.compile(
    r"\s*(?:(?:years?|yrs?)\s+(?:of\s+age|old)\s+)?at\s+(?:the\s+)?(?:time\s+of\s+)?(?:the\s+)?(?:first\s+|initial\s+)?"
    r"(?!(?:signing|screening|enrol|consent|informed|registration|randomi|entry|study|inclusion|baseline|visit|"
    r"the\s+time|least|most|any|time\s+of\s+(?:signing|screening|enrol|consent|informed|registration|randomi|entry)))"
    r"(?P<event>[a-z][\w-]*(?:\s+[a-z][\w-]*)?)",
    re.IGNORECASE,
)


def _at_event(node: Criterion, c: Constraint, expr: dict[str, Any], base: int) -> dict[str, Any]:
    """An age limit at a past event ("under 18 years of age at time of transplantation", "21 and under at
    diagnosis") is not one on the age now: an upper limit met now was met then; anything else is a
    person's to check."""
    if expr.get("fact") != "age" or c.span is None:
        return expr
    m = _AT_EVENT.match(node.text, c.span[1] - base)
    if m is None:
        return expr
    person = {**_manual(node, f"age at {m.group('event')}: not a recorded fact"), "span": [c.span[0], base + m.end()]}
    if c.comparator in ("<", "<="):
        return {"op": "any", "args": [expr, person]}
    return {"op": "all", "args": [expr, person]} if c.comparator in (">", ">=") else person


def _threshold_spans(node: Criterion) -> list[tuple[int, int]]:
    """Where a criterion's thresholds and the concepts they are about are written."""
    spans = [c.concept_span for c in node.constraints if c.concept_span is not None]
    return spans + [c.span for c in node.constraints if c.span is not None]


def _untimed_concepts(node: Criterion, windows: list[Constraint], base: int) -> list[dict[str, Any]]:
    """The coded conditions, drugs and procedures of a criterion that no threshold of it is about:
    "cirrhosis, biliary obstruction or ALT or AST elevation more than 3 times the upper limit"."""
    taken = _threshold_spans(node) + list(_irrelevant(node, base))
    for c in node.constraints:  # "under 18 years of age at time of transplantation": the event dates the age
        if c.span is None or c.kind != "age":
            continue
        m = _AT_EVENT.match(node.text, c.span[1] - base)
        if m is not None:
            taken.append((c.span[1], base + m.end()))
    out = []
    for e in node.entities:
        if e["label"] not in _KINDS or e["exception"] or e["hypothetical"] or e["family"] or e.get("condition"):
            continue
        if any(s < e["span"][1] and e["span"][0] < t for s, t in taken):
            continue
        if any(c.span is not None and 0 <= e["span"][0] - c.span[1] <= 2 for c in node.constraints):
            continue  # "NYHA grade II or above heart failure": what the threshold grades
        after = node.text[e["span"][1] - base :]
        paren = re.match(r"\s*\(([^()]*)\)", after)
        if paren and any(
            c.span is not None and e["span"][1] <= c.span[0] < e["span"][1] + paren.end() for c in node.constraints
        ):
            continue  # "poorly controlled hypertension (systolic blood pressure >= 150 ...)": defined by them
        h = _has(e, windows, node.text, base)
        if h is not None:
            out.append({"op": "not", "arg": h} if e["negated"] else h)
    return out


def _abnormal_measurements(node: Criterion, base: int) -> list[tuple[bool, dict[str, Any]]]:
    """Measurements a criterion calls abnormal without a threshold ("abnormal liver function", "a history of
    abnormal creatinine clearance"): a person reads the result against its reference range. ``(negated, leaf)``."""
    flags = ("exception", "family", "hypothetical")
    taken = _threshold_spans(node)
    abnormal = [
        e for e in node.entities if e["label"] == "Value" and (e.get("concept") or {}).get("display") == "Abnormal"
    ]
    out = []
    for m in node.entities:
        if m["label"] != "Measurement" or any(m.get(f) for f in flags):
            continue
        if any(s < m["span"][1] and m["span"][0] < t for s, t in taken):
            continue
        if any(0 <= m["span"][0] - v["span"][1] <= 1 or 0 <= v["span"][0] - m["span"][1] <= 1 for v in abnormal):
            leaf = {**_manual(node, f"abnormal {m['text']}: no threshold stated"), "span": m["span"]}
            out.append((bool(m["negated"]), leaf))
    return out


def _qualifier_leaf(node: Criterion, found: list[Found]) -> dict[str, Any]:
    what = ", ".join(sorted({q for q, _, _, _ in found}))
    words = ", ".join(repr(w) for _, w, _, _ in found)
    return _manual(node, f"{what} not coded: {words}")


def _narrow(
    leaves: list[dict[str, Any]], carve: list[dict[str, Any]], node: Criterion, uncodable: set[int]
) -> list[dict[str, Any]]:
    """Carve coded exceptions out of the concepts they narrow; return the exceptions left to carve globally.

    "Malignancy (C) except basal cell carcinoma of the skin (C44.91)": a malignancy other than that one,
    so a patient with both is still excluded. "CNS disease (G) except inactive CNS leukemia (C95)": no
    coded concept of the criterion covers the exception, so it carves nothing the record can show.
    An exception of another kind than every coded concept ("radiation therapy or chemotherapy (with the
    exception of local treatment of Kaposi's sarcoma)": a condition carved out of treatments) says what
    a treatment was for, which no record links: a person decides it.
    """

    def has_leaves(leaf: dict[str, Any]) -> list[dict[str, Any]]:
        if leaf["op"] == "has":
            return [leaf]
        if leaf["op"] == "any" and all(a["op"] == "has" for a in leaf["args"]):
            return list(leaf["args"])
        return []

    coded = [h for leaf in leaves for h in has_leaves(leaf)]
    every_leaf_coded = all(has_leaves(leaf) for leaf in leaves)
    left = []
    carved_from: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for c in carve:
        if id(c) in uncodable and coded and every_leaf_coded:
            # "CNS disease, including epilepsy, stroke, ... (except inactive CNS leukemia)": no code exists for
            # the exception, so none of the codes the criterion asks about can be it
            continue
        before = [leaf for leaf in leaves if _written_before(leaf, c)]
        if c["op"] == "manual" and before and before[-1]["op"] == "manual":
            # "laboratory abnormalities, ..., other than hyperglycemia, ... Treatment with any oral anti-diabetic":
            # an uncoded exception narrows the uncoded concept just before it, not the coded ones after it
            carved_from.setdefault(id(before[-1]), (before[-1], []))[1].append(c)
            continue
        if c["op"] != "has" or c.get("dose"):
            left.append(c)
            continue
        wider = [
            leaf
            for leaf in coded
            if leaf["kind"] == c["kind"] and leaf["code"] != c["code"] and _code_matches(leaf["code"], c["code"])
        ]
        if wider:
            for leaf in wider:
                leaf["except"] = [*leaf.get("except", []), c["code"]]
            continue
        same = [leaf for leaf in coded if leaf["kind"] == c["kind"] and leaf["code"] == c["code"]]
        if same:
            # "radiotherapy within 4 weeks, except local radiotherapy of non-target lesions within 2 weeks": one
            # code for both; what sets the exception apart (local, palliative) is for a person. It carves out of
            # that concept only: "radiation therapy or chemotherapy ... (local radiation therapy is allowed)"
            # still excludes for chemotherapy
            carve_out = {"op": "all", "args": [c, _manual(node, f"what sets the excepted {c.get('display')} apart")]}
            for leaf in same:
                carved_from.setdefault(id(leaf), (leaf, []))[1].append(carve_out)
            continue
        if coded and all(leaf["kind"] != c["kind"] for leaf in coded):
            left.append(_manual(node, f"exception {c.get('display')!r}: what the treatment was for is not on record"))
            continue
        overlap = any(leaf["kind"] == c["kind"] and _code_matches(c["code"], leaf["code"]) for leaf in coded)
        if every_leaf_coded and not overlap:
            continue
        manual = [leaf for leaf in leaves if leaf["op"] == "manual"]
        if coded and manual and not overlap:
            # "omalizumab, immunotherapy or biologic therapy ... (participants on steroids are not excluded)":
            # steroids are none of the coded concepts, so they can only be carved out of the uncoded ones
            for leaf in manual:
                carved_from.setdefault(id(leaf), (leaf, []))[1].append(c)
            continue
        left.append(c)
    for leaf, outs in carved_from.values():  # rewritten once every exception has been compared with it
        _also_requires(leaf, {"op": "not", "arg": outs[0] if len(outs) == 1 else {"op": "any", "args": outs}})
    return left


def _written_before(leaf: dict[str, Any], other: dict[str, Any]) -> bool:
    a, b = _span_of(leaf), _span_of(other)
    return bool(a and b and a[1] <= b[0])


def _also_requires(leaf: dict[str, Any], part: dict[str, Any]) -> None:
    """Rewrite ``leaf`` in place as ``all(leaf, part)``, keeping its span: every reference to it sees the change."""
    kept = dict(leaf)
    leaf.clear()
    leaf.update({"op": "all", "args": [kept, part], "span": kept.get("span")})


_EXAMPLES_LEADIN = re.compile(
    r"\b(?:including|include|includes|such\s+as|defined\s+as|as\s+follows|following\s+(?:requirements|criteria|"
    r"conditions|situations|circumstances))\b[^:]{0,40}:?\s*$",
    re.IGNORECASE,
)


def _drop_own(node: Criterion, own: dict[str, Any]) -> bool:
    """A lead-in's own words add nothing its children do not say: "Major organ functions must meet the
    following requirements:" (no code: it would only make the criterion unknown), "Clinically significant
    cardiovascular disease, including any of the following:" (the items are what the head concept means)."""
    if own["op"] == "manual" and not node.constraints:
        return True
    return bool(_EXAMPLES_LEADIN.search(node.text)) and not node.constraints


def _lead_in_windows(node: Criterion) -> tuple[Constraint, ...]:
    """The windows a lead-in sets for its items: those of its own that time no concept of its own."""
    return tuple(c for c in node.constraints if c.kind == "window" and not c.concept.get("display"))


def _only_for(section: str, case: dict[str, Any], expr: dict[str, Any]) -> dict[str, Any]:
    """``expr`` binding only the patients ``case`` names. An exclusion says what excludes: "Subjects who are
    on oral contraceptives need to discontinue ..." excludes those on them who do not (``all``); an inclusion
    binds only the patients its condition names (``implies``)."""
    if section == "exclusion":
        return {"op": "all", "args": [case, expr]}
    return {"op": "implies", "if": case, "then": expr}


def compile_node(
    node: Criterion, inherited: tuple[Constraint, ...] = (), into: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The logic of a criterion and its children; every node is decidable or a manual leaf.

    ``into``, when given, also receives the expression of every node of the subtree by id.
    """
    own = compile_own(node, inherited)
    if node.children and own is not None and _drop_own(node, own):
        own = None
    if node.children:
        passed = inherited + _lead_in_windows(node)
        kids = [compile_node(c, passed, into) for c in node.children if not c.exception]
        exceptions = [compile_node(c, passed, into) for c in node.children if c.exception]
        combined: dict[str, Any] | None = None
        if kids:
            if node.combine == "n_of":
                combined = {"op": "n_of", "n": node.n or 1, "args": kids}
            else:
                combined = {"op": node.combine, "args": kids}
        parts = [p for p in (own, combined) if p is not None]
        expr: dict[str, Any] = parts[0] if len(parts) == 1 else {"op": "all", "args": parts}
        if not parts:
            expr = _manual(node, "nothing checkable in the text")
        if exceptions:
            expr = {"op": "all", "args": [expr, {"op": "not", "arg": {"op": "any", "args": exceptions}}]}
    else:
        expr = own if own is not None else _manual(node, "nothing the record can decide")
    if node.condition is not None:
        cond_entities = [e for e in node.entities if e.get("condition")]
        checks = [h for e in cond_entities if (h := _has(e, [])) is not None]
        # a threshold inside the condition ("whose CD4+ count is less than 500/mm3") is part of the "if"
        checks += [cmp for c in node.constraints if _in_condition(node, c) and (cmp := _compare(c)) is not None]
        if checks:
            expr = _only_for(node.section, checks[0] if len(checks) == 1 else {"op": "any", "args": checks}, expr)
        else:
            expr = _manual(node, f"applies only {node.condition['text']!r}, which the record cannot decide")
    expr.setdefault("source", node.id)
    if into is not None:
        into[node.id] = expr
    return expr


def studied_conditions(trial: ParsedTrial) -> tuple[str, ...]:
    """Codes of the conditions the inclusion criteria ask for (not negated, not excepted)."""
    codes = []
    for node in trial.walk():
        if node.section != "inclusion":
            continue
        for e in node.entities:
            code = (e.get("concept") or {}).get("code")
            if e["label"] == "Condition" and code and not (e["negated"] or e["exception"] or e["hypothetical"]):
                codes.append(code)
    return tuple(dict.fromkeys(codes))


def compile_trial(trial: ParsedTrial) -> dict[str, Any]:
    """Every criterion's logic, keyed by id, and the trial's verdict expression."""
    token = _STUDIED.set(studied_conditions(trial))
    try:
        return _compile_trial(trial)
    finally:
        _STUDIED.reset(token)


_ENDS_WITH_OR = re.compile(r"\b(?:or|and/or)\s*[,;:]?\s*$", re.IGNORECASE)


def _join_alternatives(roots: list[Criterion], criteria: dict[str, dict[str, Any]]) -> None:
    """ "Creatinine less than 1.5 mg/dL OR" / "Creatinine clearance at least 60 mL/min": inclusion items
    that a trailing "or" chains are alternatives; each one's logic becomes the ``any`` of the chain, so
    the trial's verdict (every inclusion holds) asks for one of them."""
    chain: list[Criterion] = []
    for i, root in enumerate(roots):
        chain.append(root)
        follows = i + 1 < len(roots) and roots[i + 1].section == root.section
        if follows and root.section == "inclusion" and _ENDS_WITH_OR.search(root.text):
            continue
        if len(chain) > 1:
            exprs = [criteria[c.id] for c in chain]
            for c in chain:
                criteria[c.id] = {"op": "any", "args": exprs, "source": c.id}
        chain = []


_COHORT_HEADING = re.compile(
    r"^(?!.*\b(?:must|will|may|should|can|are|is|if|following|eligible|excluded|included|all|criteria|"
    r"characteristics|exclusion|inclusion|and)\b)"
    r"(?:[\w+/-]+\s+){1,3}(?:volunteers|subjects|patients|participants|controls|group|cohort)"
    r"|(?:cohort|arm|group|part)\s+[\w-]{1,4}",
    re.IGNORECASE,
)


def cohort(heading: str | None) -> str | None:
    """The study group a sub-heading names ("Normal Volunteers", "Hypertensive Subjects", "Cohort 2"), if it
    names one; not a heading every subject falls under ("Patients must have", "PATIENT CHARACTERISTICS")."""
    text = " ".join((heading or "").strip(" :-–").split())
    return text if text and _COHORT_HEADING.fullmatch(text) else None


def _compile_trial(trial: ParsedTrial) -> dict[str, Any]:
    criteria: dict[str, dict[str, Any]] = {}
    for root in trial.criteria:
        if root.section == "structured":  # registry fields: one flat criterion each
            if root.id == "structured/sex" and root.constraints:
                criteria[root.id] = {"op": "sex", "value": root.constraints[0].value, "source": root.id}
            elif root.constraints:
                compare = _compare(root.constraints[0])
                if compare is not None:
                    compare["source"] = root.id
                    criteria[root.id] = compare
            continue
        subtree: dict[str, dict[str, Any]] = {}
        compile_node(root, (), subtree)  # one pass over the tree; every node's expression kept, in source order
        criteria.update((node.id, subtree[node.id]) for node in root.walk())
        group = cohort(root.heading)
        if group is not None:
            # "Hypertensive Subjects:" then its criteria: they bind the subjects of that group only, and which
            # group a subject is enrolled in is not on record
            member = _manual(root, f"subject enrolled in the {group!r} group")
            criteria[root.id] = {**_only_for(root.section, member, criteria[root.id]), "source": root.id}
    roots = [r for r in trial.criteria if r.id in criteria]
    _join_alternatives(roots, criteria)
    verdict = {
        "op": "all",
        "args": [
            *({"ref": r.id} for r in roots if r.section in ("inclusion", "structured")),
            *({"not": r.id} for r in roots if r.section == "exclusion"),
        ],
    }
    return {"logic_version": LOGIC_VERSION, "trial_id": trial.trial_id, "criteria": criteria, "eligible": verdict}
