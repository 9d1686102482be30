"""Precision, recall and F1 over character spans.

Matching is one-to-one and greedy: every (gold, predicted) pair that is
allowed (same span for ``exact``, any shared character for ``overlap``, and
whatever extra test the caller passes) is ranked — identical spans first,
then by the number of shared characters, then by how close the starts are,
then by position — and pairs are taken in that order while both sides are
still free. A predicted span therefore counts at most once, and so does a
gold span: two predictions over one gold give one true positive and one
false positive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Span = tuple[int, int]
Mode = Literal["exact", "overlap"]
MODES: tuple[Mode, ...] = ("exact", "overlap")


@dataclass(slots=True)
class Counts:
    """True positives, false positives and false negatives of one row."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def gold(self) -> int:
        return self.tp + self.fn

    @property
    def predicted(self) -> int:
        return self.tp + self.fp

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(slots=True)
class Scores:
    """One table of counts: ``rows[criterion][label]``.

    For entities the criteria are ``exact`` and ``overlap`` and the labels
    the entity types; for constraints the criteria are ``operator``,
    ``operator+value``, ``operator+value+unit`` and the labels
    ``non-temporal`` and ``temporal``. ``micro`` sums a criterion's labels.
    """

    rows: dict[str, dict[str, Counts]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    """Anything else worth reporting (documents read, gold items excluded…)."""

    def counts(self, criterion: str, label: str) -> Counts:
        """The row, created empty if missing."""
        return self.rows.setdefault(criterion, {}).setdefault(label, Counts())

    def micro(self, criterion: str) -> Counts:
        total = Counts()
        for c in self.rows.get(criterion, {}).values():
            total.add(c)
        return total

    def as_dict(self) -> dict[str, Any]:
        return {
            "criteria": {
                crit: {
                    "labels": {label: c.as_dict() for label, c in sorted(labels.items())},
                    "micro": self.micro(crit).as_dict(),
                }
                for crit, labels in self.rows.items()
            },
            "info": dict(self.info),
        }

    def table(self) -> str:
        """Plain-text table, one row per label and criterion, micro average last."""
        return format_table(self)


def side_by_side(runs: dict[str, Scores]) -> str:
    """Per-label F1 of several runs over the same documents: exact and overlap, one column pair per run."""
    names = list(runs)
    first = runs[names[0]]
    labels = list(first.rows.get("overlap", {}))
    head = f"{'label':<14}" + "".join(f"{n + ' exact':>16}{n + ' overlap':>18}" for n in names)
    lines = [head, "-" * len(head)]
    for label in [*labels, "(micro)"]:
        cells = []
        for name in names:
            for mode in ("exact", "overlap"):
                counts = runs[name].micro(mode) if label == "(micro)" else runs[name].counts(mode, label)
                cells.append(f"{counts.f1:>{16 if mode == 'exact' else 18}.3f}")
        lines.append(f"{label:<14}" + "".join(cells))
    return "\n".join(lines)


def format_table(scores: Scores) -> str:
    header = ("criterion", "label", "gold", "pred", "tp", "fp", "fn", "P", "R", "F1")
    lines: list[tuple[str, ...]] = [header]
    for crit, labels in scores.rows.items():
        rows = [(label, c) for label, c in sorted(labels.items())]
        if len(rows) > 1:
            rows.append(("(micro)", scores.micro(crit)))
        for label, c in rows:
            lines.append(
                (
                    crit,
                    label,
                    str(c.gold),
                    str(c.predicted),
                    str(c.tp),
                    str(c.fp),
                    str(c.fn),
                    f"{c.precision:.3f}",
                    f"{c.recall:.3f}",
                    f"{c.f1:.3f}",
                )
            )
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    out = []
    for row in lines:
        cells = [cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def overlap(a: Span, b: Span) -> int:
    """Characters ``a`` and ``b`` share (an empty span inside or equal to the other shares 0)."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def spans_overlap(a: Span, b: Span) -> bool:
    """True when the spans share a character, or are the same (possibly empty) span."""
    return a == b or overlap(a, b) > 0


def match_spans(
    gold: Sequence[Span],
    predicted: Sequence[Span],
    mode: Mode = "overlap",
    compatible: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int]]:
    """Greedy one-to-one matching; returns ``(gold index, predicted index)`` pairs.

    ``compatible(i, j)``, when given, must also hold for gold ``i`` and
    prediction ``j`` to be paired (same label, same operator…).
    """
    if mode not in MODES:
        raise ValueError(f"unknown match mode {mode!r}")
    candidates = []
    for i, g in enumerate(gold):
        for j, p in enumerate(predicted):
            allowed = g == p or (mode == "overlap" and overlap(g, p) > 0)
            if allowed and (compatible is None or compatible(i, j)):
                candidates.append((g != p, -overlap(g, p), abs(g[0] - p[0]), i, j))
    candidates.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for *_, i, j in candidates:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def score_spans(
    gold: Iterable[tuple[int, int, str]],
    predicted: Iterable[tuple[int, int, str]],
    mode: Mode = "exact",
) -> dict[str, Counts]:
    """Per-label counts for one document: a prediction matches a gold span of the same label."""
    gold_list = list(gold)
    pred_list = list(predicted)
    out: dict[str, Counts] = {}
    for label in sorted({lab for *_, lab in gold_list} | {lab for *_, lab in pred_list}):
        g = [(s, e) for s, e, lab in gold_list if lab == label]
        p = [(s, e) for s, e, lab in pred_list if lab == label]
        tp = len(match_spans(g, p, mode))
        out[label] = Counts(tp=tp, fp=len(p) - tp, fn=len(g) - tp)
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """``(precision, recall, f1)``; 0.0 where undefined."""
    c = Counts(tp, fp, fn)
    return c.precision, c.recall, c.f1
