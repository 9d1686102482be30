"""Registry structured fields (age limits, sex, healthy volunteers) as ``structured/...`` criteria."""

from __future__ import annotations

import re

from .model import Constraint, Criterion, StructuredFields

AGE_CONCEPT = {"display": "Age", "code": "LOINC:30525-0"}
SEX_CONCEPT = {"display": "Sex", "code": "LOINC:76689-9"}

_AGE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(years?|yrs?|y|months?|mos?|weeks?|wks?|days?|d|hours?|hrs?|h|minutes?|min)\s*$",
    re.IGNORECASE,
)
_AGE_UNITS = {"y": "a", "m": "mo", "w": "wk", "d": "d", "h": "h"}
_NO_LIMIT = {"", "n/a", "na", "none", "no limit", "not applicable"}


def parse_age(value: str) -> tuple[float | int, str] | None:
    """``"18 Years"`` -> ``(18, "a")``; ``None`` when there is no limit or it cannot be read."""
    m = _AGE.match(value)
    if not m:
        return None
    number = float(m.group(1))
    unit_word = m.group(2).lower()
    unit = "min" if unit_word.startswith("min") else _AGE_UNITS[unit_word[0]]
    if unit_word.startswith("mo"):
        unit = "mo"
    return (int(number) if number.is_integer() else number), unit


def _sex(value: str) -> str | None:
    v = value.strip().lower()
    if v in ("male", "males", "men", "m"):
        return "male"
    if v in ("female", "females", "women", "f"):
        return "female"
    return None


def _healthy(value: str) -> bool | None:
    v = value.strip().lower()
    if v in ("yes", "true", "accepts healthy volunteers"):
        return True
    if v in ("no", "false"):
        return False
    return None


def structured_criteria(fields: StructuredFields) -> tuple[list[Criterion], list[str]]:
    """Criteria for the fields that restrict who may enrol, and warnings for unreadable ones."""
    out: list[Criterion] = []
    warnings: list[str] = []
    for key, label, comparator in (
        ("minimum_age", "Minimum age", ">="),
        ("maximum_age", "Maximum age", "<="),
    ):
        raw = getattr(fields, key)
        if raw is None or raw.strip().lower() in _NO_LIMIT:
            continue
        parsed = parse_age(raw)
        crit = Criterion(id=f"structured/{key}", section="structured", text=f"{label}: {raw}", span=None, value=raw)
        if parsed is None:
            warnings.append(f"structured field {key}: cannot read age {raw!r}")
        else:
            crit.constraints.append(Constraint(dict(AGE_CONCEPT), comparator, parsed[0], parsed[1]))
        out.append(crit)
    if fields.sex is not None and fields.sex.strip():
        sex = _sex(fields.sex)
        if sex is not None:
            crit = Criterion(
                id="structured/sex", section="structured", text=f"Sex: {fields.sex}", span=None, value=fields.sex
            )
            crit.constraints.append(Constraint(dict(SEX_CONCEPT), "==", sex, None))
            out.append(crit)
        elif fields.sex.strip().lower() not in ("all", "both", "any"):
            warnings.append(f"structured field sex: cannot read {fields.sex!r}")
    if fields.healthy_volunteers is not None and fields.healthy_volunteers.strip():
        accepts = _healthy(fields.healthy_volunteers)
        if accepts is None:
            warnings.append(f"structured field healthy_volunteers: cannot read {fields.healthy_volunteers!r}")
        else:
            out.append(
                Criterion(
                    id="structured/healthy_volunteers",
                    section="structured",
                    text=f"Accepts healthy volunteers: {'Yes' if accepts else 'No'}",
                    span=None,
                    value=accepts,
                )
            )
    return out, warnings
