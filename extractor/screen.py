"""Screen patients against a compiled trial: verdicts as in ``shared/spec/outputs.md``.

Parse the protocol once, then screen any number of patients, streamed::

    from extractor.screen import Screener
    screener = Screener.from_file("examples/NCT06581081.txt")
    verdict = screener.screen(patient)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .compile import compile_trial
from .errors import ExtractorError
from .logic import evaluate, kleene_all, kleene_any
from .model import ParsedTrial
from .patients import Patient, read_patients


def _has_manual(expr: Any) -> bool:
    if isinstance(expr, dict):
        if expr.get("op") == "manual":
            return True
        return any(_has_manual(v) for v in expr.values())
    if isinstance(expr, list):
        return any(_has_manual(v) for v in expr)
    return False


class Screener:
    def __init__(self, trial: ParsedTrial) -> None:
        self.trial = trial
        self.compiled = compile_trial(trial)
        self.sections = {n.id: n.section for root in trial.criteria for n in root.walk()}
        self.roots = [r.id for r in trial.criteria if r.id in self.compiled["criteria"]]
        self.manual = {cid for cid, expr in self.compiled["criteria"].items() if _has_manual(expr)}

    @classmethod
    def from_file(cls, path: str | Path) -> Screener:
        from .pipeline import parse_file

        return cls(parse_file(path))

    def screen(self, patient: Patient) -> dict[str, Any]:
        values: dict[str, bool | None] = {}
        reasons: dict[str, str] = {}
        for cid, expr in self.compiled["criteria"].items():
            out = evaluate(expr, patient)
            values[cid] = out.value
            reasons[cid] = out.reason
        required = [values[r] for r in self.roots if self.sections[r] in ("inclusion", "unspecified", "structured")]
        excluded = [values[r] for r in self.roots if self.sections[r] == "exclusion"]
        eligible = kleene_all([*required, *(None if v is None else not v for v in excluded)])
        if kleene_any(excluded) is True or any(v is False for v in required):
            eligible = False
        return {
            "patient": patient.id,
            "trial_id": self.trial.trial_id,
            "eligible": eligible,
            "criteria": values,
            "needs_review": [c for c, v in values.items() if v is None and c in self.manual],
            "reasons": reasons,
        }

    def screen_many(self, patients: Iterable[Patient | ExtractorError]) -> Iterator[dict[str, Any] | ExtractorError]:
        for p in patients:
            yield p if isinstance(p, ExtractorError) else self.screen(p)


def screen_file(protocol: str | Path, patients: str | Path) -> Iterator[dict[str, Any] | ExtractorError]:
    return Screener.from_file(protocol).screen_many(read_patients(patients))
