"""Concept lexicons (measurements, conditions, drugs, procedures) and a fast longest-match finder.

Each lexicon is ``resources/<name>.jsonl``: one concept per line with
``id``, ``display``, ``code`` (``LOINC:…``, ``ICD10CM:…``, ``ATC:…``,
``SNOMED:…`` or null), ``synonyms`` (matched case-insensitively),
``abbreviations`` (matched exactly) and ``kind`` (measurements also carry
their usual UCUM ``unit``). Adding a synonym never means editing Python.

Matching is a dictionary lookup over word n-grams, so it is linear in the
text and independent of the lexicon's size; the longest match wins and
matches never overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .errors import ResourceError
from .rules import read_jsonl

LEXICONS: dict[str, str] = {
    "measurements": "Measurement",
    "conditions": "Condition",
    "drugs": "Drug",
    "procedures": "Procedure",
    "observations": "Observation",
    "devices": "Device",
    "demographics": "Demographic",
    "temporal": "Temporal",
    "values": "Value",
}
"""Lexicon file stem -> the entity label its concepts get."""

_CODE = re.compile(
    r"^(?:LOINC:\d{1,6}-\d|ICD10CM:[A-Z](?:\d(?:[\dA-Z](?:\.[\dA-Z]{1,4})?)?)?|ATC:[A-Z](?:\d{2}(?:[A-Z](?:[A-Z](?:\d{2})?)?)?)?|SNOMED:\d{6,18})$"
)
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[^\w\s]", re.UNICODE)
MAX_WORDS = 10


@dataclass(frozen=True, slots=True)
class Concept:
    id: str
    display: str
    code: str | None
    label: str
    kind: str | None = None
    unit: str | None = None
    source: str = "rules"
    """``rules`` (a packaged lexicon) or ``gazetteer`` (learned, models/chia-gazetteer)."""
    also: tuple[str, ...] = ()
    """Further codes the concept covers where no one code prefix does (mycoses: ICD10CM:B35 ... B49)."""
    as_drugs: tuple[str, ...] = ()
    """For a procedure given as medicines, their ATC codes: a record may list chemotherapy as its drugs."""
    as_conditions: tuple[str, ...] = ()
    """For a procedure that leaves a status on the problem list, its ICD-10-CM codes (HSCT: Z94.81, Z94.84)."""

    def as_ref(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"display": self.display, "code": self.code}
        if self.also:
            ref["also"] = list(self.also)
        if self.as_drugs:
            ref["as_drugs"] = list(self.as_drugs)
        if self.as_conditions:
            ref["as_conditions"] = list(self.as_conditions)
        return ref


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    concept: Concept


def tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


class ConceptMatcher:
    """Longest-match lookup of concept surface forms in text."""

    def __init__(self, concepts: list[tuple[Concept, list[str], list[str]]]) -> None:
        self.lower: dict[tuple[str, ...], Concept] = {}
        self.exact: dict[tuple[str, ...], Concept] = {}
        self.concepts: dict[str, Concept] = {}
        self.max_words = 1
        for concept, synonyms, abbreviations in concepts:
            self.concepts[concept.id] = concept
            for form in [*synonyms, concept.display]:
                key = tuple(t for _, _, t in tokens(form.lower()))
                if key:
                    self.lower.setdefault(key, concept)
                    self.max_words = max(self.max_words, len(key))
            for form in abbreviations:
                key = tuple(t for _, _, t in tokens(form))
                if key:
                    self.exact.setdefault(key, concept)
                    self.max_words = max(self.max_words, len(key))
        self.max_words = min(self.max_words, MAX_WORDS)
        # longest entry starting with each first token: most tokens start no entry at all
        self.first_lower: dict[str, int] = {}
        for key in self.lower:
            self.first_lower[key[0]] = max(self.first_lower.get(key[0], 0), min(len(key), MAX_WORDS))
        self.first_exact: dict[str, int] = {}
        for key in self.exact:
            self.first_exact[key[0]] = max(self.first_exact.get(key[0], 0), min(len(key), MAX_WORDS))

    def __len__(self) -> int:
        return len(self.concepts)

    def find(self, text: str) -> list[Mention]:
        toks = tokens(text)
        return self.find_tokens(toks, [t for _, _, t in toks], [t.lower() for _, _, t in toks])

    def find_tokens(
        self, toks: list[tuple[int, int, str]], raw: list[str], low: list[str], taken: list[bool] | None = None
    ) -> list[Mention]:
        """Longest matches over already-split tokens; positions marked in ``taken`` are skipped."""
        out: list[Mention] = []
        i = 0
        n = len(toks)
        first_lower, first_exact = self.first_lower, self.first_exact
        while i < n:
            longest = max(first_lower.get(low[i], 0), first_exact.get(raw[i], 0))
            if not longest or (taken is not None and taken[i]):
                i += 1
                continue
            found = None
            for k in range(min(longest, n - i), 0, -1):
                if taken is not None and any(taken[i : i + k]):
                    continue
                concept = self.exact.get(tuple(raw[i : i + k])) or self.lower.get(tuple(low[i : i + k]))
                if concept is not None:
                    found = (k, concept)
                    break
            if found is None:
                i += 1
                continue
            k, concept = found
            out.append(Mention(toks[i][0], toks[i + k - 1][1], concept))
            i += k
        return out


_ABBREVIATION_GAP = re.compile(r"\s*\(\s*$")


def merge_abbreviations(text: str, mentions: list[Mention]) -> list[Mention]:
    """One mention for a long form and its abbreviation in brackets, "thiazolidinediones (TZDs)", when both
    name the same concept (the abbreviation is a restatement, not a second requirement)."""
    out: list[Mention] = []
    for m in mentions:
        if out and out[-1].concept.id == m.concept.id and _ABBREVIATION_GAP.match(text, out[-1].end, m.start):
            close = re.match(r"\s*\)", text[m.end :])
            if close:
                out[-1] = Mention(out[-1].start, m.end + close.end(), m.concept)
                continue
        out.append(m)
    return out


def find_with(rules: ConceptMatcher, model: ConceptMatcher | None, text: str) -> list[Mention]:
    """Rule mentions, then model mentions on tokens no rule mention covers (rules win), in one split."""
    toks = tokens(text)
    raw = [t for _, _, t in toks]
    low = [t.lower() for t in raw]
    found = merge_abbreviations(text, rules.find_tokens(toks, raw, low))
    if model is None:
        return found
    taken = [False] * len(toks)
    starts = {s: i for i, (s, _, _) in enumerate(toks)}
    for m in found:
        i = starts.get(m.start)
        while i is not None and i < len(toks) and toks[i][0] < m.end:
            taken[i] = True
            i += 1
    found.extend(model.find_tokens(toks, raw, low, taken))
    found.sort(key=lambda m: m.start)
    return found


def _load_one(stem: str, label: str, text: str | None = None) -> list[tuple[Concept, list[str], list[str]]]:
    name = f"{stem}.jsonl"
    if text is None:
        try:
            text = resources.files("extractor.resources").joinpath(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
    rows = read_jsonl(
        name,
        required={"id": str, "display": str, "code": (str, type(None)), "synonyms": list, "abbreviations": list},
        optional={
            "kind": (str, type(None)),
            "unit": (str, type(None)),
            "also": list,
            "as_drugs": list,
            "as_conditions": list,
        },
        text=text,
    )
    seen: set[str] = set()
    out = []
    for row in rows:
        where = row["_where"]
        if row["id"] in seen:
            raise ResourceError(f"duplicate id {row['id']!r}", where=where)
        seen.add(row["id"])
        if row["code"] is not None and not _CODE.match(row["code"]):
            raise ResourceError(f"code {row['code']!r} is not LOINC:/ICD10CM:/ATC:/SNOMED:", where=where)
        for key in ("synonyms", "abbreviations"):
            if not all(isinstance(s, str) and s.strip() for s in row[key]):
                raise ResourceError(f"{key} must be non-empty strings", where=where)
        also = row.get("also", [])
        if also and (row["code"] is None or not all(isinstance(c, str) and _CODE.match(c) for c in also)):
            raise ResourceError("'also' lists further codes of a coded concept", where=where)
        for key, system, what in (
            ("as_drugs", "ATC:", "ATC codes"),
            ("as_conditions", "ICD10CM:", "ICD-10-CM status codes"),
        ):
            codes = row.get(key, [])
            if codes and (label != "Procedure" or not all(isinstance(c, str) and c.startswith(system) for c in codes)):
                raise ResourceError(f"{key!r} lists {what} of a procedure", where=where)
        concept = Concept(
            row["id"],
            row["display"],
            row["code"],
            label,
            row.get("kind"),
            row.get("unit"),
            also=tuple(also),
            as_drugs=tuple(row.get("as_drugs", [])),
            as_conditions=tuple(row.get("as_conditions", [])),
        )
        out.append((concept, row["synonyms"], row["abbreviations"]))
    return out


@cache
def matcher(stems: tuple[str, ...] = tuple(LEXICONS)) -> ConceptMatcher:
    """The matcher over the packaged lexicons named by ``stems`` (measurements first wins ties)."""
    entries: list[tuple[Concept, list[str], list[str]]] = []
    for stem in stems:
        entries.extend(_load_one(stem, LEXICONS[stem]))
    return ConceptMatcher(entries)
