"""The one data model that flows through the pipeline.

reader -> :class:`TrialRecord` (raw eligibility text + structured fields)
cleaner -> :class:`~extractor.clean.CleanText` (clean text + offset map)
segmenter -> :class:`ParsedTrial` (tree of :class:`Criterion`, headings)

Later stages (tagging, context, logic) add to the same objects rather
than inventing parallel ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Section = Literal["inclusion", "exclusion", "unspecified", "structured"]
Combine = Literal["all", "any", "n_of"]

SECTIONS: tuple[str, ...] = ("inclusion", "exclusion", "unspecified", "structured")
COMBINES: tuple[str, ...] = ("all", "any", "n_of")


@dataclass(slots=True)
class StructuredFields:
    """Registry fields next to the free text, as the source spelt them."""

    minimum_age: str | None = None
    maximum_age: str | None = None
    sex: str | None = None
    healthy_volunteers: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "minimum_age": self.minimum_age,
            "maximum_age": self.maximum_age,
            "sex": self.sex,
            "healthy_volunteers": self.healthy_volunteers,
        }


@dataclass(slots=True)
class TrialRecord:
    """What a reader hands on: one trial's raw eligibility text and fields."""

    trial_id: str | None
    eligibility: str
    source: str
    """Where it came from, for messages: ``path`` or ``path:line N``."""
    format: str
    """``registry-page``, ``text``, ``ctgov-xml``, ``ctgov-json`` or ``jsonl``."""
    structured: StructuredFields = field(default_factory=StructuredFields)
    source_offset: int | None = 0
    """Character offset of ``eligibility`` in the decoded source document, when
    it is a verbatim slice of it (``None`` when the text was unescaped by a
    JSON or XML parser, so offsets into the file are not meaningful)."""
    title: str | None = None


@dataclass(slots=True)
class Constraint:
    """A machine-readable threshold (filled by the tagging stage)."""

    concept: dict[str, Any]
    comparator: str
    value: Any
    unit: str | None = None
    relative_to: str | None = None
    when: dict[str, Any] | None = None
    negated: bool = False
    value_high: Any = None
    inclusive: bool | None = None
    span: tuple[int, int] | None = None
    """Where the threshold is written (in the cleaned eligibility text once attached to a criterion)."""
    text: str | None = None
    kind: str | None = None
    """``age``, ``window`` (a look-back or look-ahead), ``duration``, ``life_expectancy``, ``equivalent`` (the
    previous limit restated in another unit, "1.5 mg/dL (132 umol/L)": never compiled); else a plain threshold."""
    reference: str | None = None
    """For windows: the ``events`` name counted from (``informed_consent``, ``apheresis``…) or ``as_of``."""
    reference_text: str | None = None
    """For windows counted from something no record names ("the first remission")."""
    direction: str | None = None
    """For windows: ``before`` or ``after`` the reference."""
    concept_span: tuple[int, int] | None = None
    """Where the mention the threshold belongs to is written (two mentions may share one concept)."""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "concept": self.concept,
            "comparator": self.comparator,
            "value": self.value,
            "unit": self.unit,
            "relative_to": self.relative_to,
            "when": self.when,
            "negated": self.negated,
        }
        if self.comparator == "between":
            out["value_high"] = self.value_high
            out["inclusive"] = True if self.inclusive is None else self.inclusive
        for key in ("span", "text", "kind", "reference", "reference_text", "direction", "concept_span"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if key in ("span", "concept_span") else value
        return out


@dataclass(slots=True)
class Criterion:
    """One node of the criteria tree.

    ``span`` is the node's own text in the cleaned eligibility text (its
    list marker excluded, its children excluded); ``label_span`` is the
    marker (``1.``, ``a)``, ``-``) when there is one.
    """

    id: str
    section: str
    text: str
    span: tuple[int, int] | None
    combine: str = "all"
    n: int | None = None
    label: str | None = None
    label_span: tuple[int, int] | None = None
    source_span: tuple[int, int] | None = None
    heading: str | None = None
    """The sub-heading the node stands under (``PATIENT CHARACTERISTICS``, ``Part A``)."""
    children: list[Criterion] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    value: Any = None
    """For ``structured`` criteria: the field's value as the registry gave it."""
    exception: bool = False
    """True for an item of an exception list ("..., except for the following: 1. ... 2. ...")."""
    needs_person: float | None = None
    """The triage model's score that no record can decide this criterion (models/chia-triage)."""
    condition: dict[str, Any] | None = None
    """The "For patients with Ph+ ALL, ..." part that makes the criterion an implication:
    ``{"text", "span"}``; the criterion applies only when it holds."""

    def walk(self) -> list[Criterion]:
        """This node and all its descendants in source order (iterative: no recursion limit)."""
        out: list[Criterion] = []
        stack: list[Criterion] = [self]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


@dataclass(slots=True)
class Heading:
    """A section or sub-section heading: text that belongs to no criterion."""

    text: str
    span: tuple[int, int]
    section: str
    kind: str = "section"
    """``section`` (switches inclusion/exclusion) or ``subheading``."""


@dataclass(slots=True)
class ParsedTrial:
    trial_id: str | None
    source: str
    format: str
    eligibility_text: str
    criteria: list[Criterion]
    headings: list[Heading] = field(default_factory=list)
    structured: StructuredFields = field(default_factory=StructuredFields)
    title: str | None = None
    warnings: list[str] = field(default_factory=list)

    def walk(self) -> list[Criterion]:
        out: list[Criterion] = []
        for node in self.criteria:
            out.extend(node.walk())
        return out

    def find(self, criterion_id: str) -> Criterion:
        for node in self.walk():
            if node.id == criterion_id:
                return node
        raise KeyError(criterion_id)
