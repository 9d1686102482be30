"""The logic language criteria compile to, and its three-valued (Kleene) evaluator.

Expressions are plain data (JSON objects with an ``op``), versioned by
:data:`LOGIC_VERSION`; the evaluator walks the structure, nothing is ever
turned into code. Missing data gives ``None`` (unknown), never ``False``.

``{"op": "all" | "any", "args": [...]}``, ``{"op": "not", "arg": ...}``,
``{"op": "n_of", "n": 2, "args": [...]}``, ``{"op": "implies", "if": ..., "then": ...}``,
``{"op": "compare", "fact": "observation" | "age", "code", "comparator", "value", "value_high",
"unit", "relative_to", "when"}``, ``{"op": "sex", "value": "female"}``,
``{"op": "has", "kind": "condition" | "medication" | "procedure", "code", "display", "window", "dose"}``
(``dose``: ``{"comparator", "value", "unit"}``, a medication taken at that dose; ``duration``:
``{"comparator", "value", "unit"}``, how long the record runs, start to end or to ``as_of`` while under way
("on antiretrovirals for at least 2 months"); ``except``: codes of the class that do not count, "other
malignancies" in a leukaemia trial),
``{"op": "manual", "reason"}``, ``{"op": "const", "value": true | false | null}``.
Every expression may carry ``source`` (the criterion id) and ``span``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .patients import Patient
from .units import convert

LOGIC_VERSION = "1"
Truth = bool | None

# molar masses for the mass <-> molar conversions records need (g/mol)
_MOLAR_MASS = {"LOINC:2160-0": 113.12, "LOINC:1975-2": 584.66, "LOINC:2345-7": 180.16, "LOINC:1558-6": 180.16}
_DAYS = {"a": 365.25, "mo": 30.4375, "wk": 7.0, "d": 1.0, "h": 1 / 24, "min": 1 / 1440}


@dataclass(slots=True)
class Outcome:
    value: Truth
    reason: str


def kleene_all(values: list[Truth]) -> Truth:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def kleene_any(values: list[Truth]) -> Truth:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def evaluate(expr: dict[str, Any], patient: Patient) -> Outcome:
    """The truth of ``expr`` for ``patient`` with the fact that decided it."""
    op = expr["op"]
    if op in ("all", "any"):
        outs = [evaluate(a, patient) for a in expr["args"]]
        value = (kleene_all if op == "all" else kleene_any)([o.value for o in outs])
        deciding = [o.reason for o in outs if o.value == value] or [o.reason for o in outs]
        return Outcome(value, "; ".join(deciding[:3]))
    if op == "not":
        out = evaluate(expr["arg"], patient)
        return Outcome(None if out.value is None else not out.value, f"not ({out.reason})")
    if op == "n_of":
        outs = [evaluate(a, patient) for a in expr["args"]]
        true = sum(o.value is True for o in outs)
        unknown = sum(o.value is None for o in outs)
        n = int(expr["n"])
        value = True if true >= n else False if true + unknown < n else None
        return Outcome(value, f"{true} of {len(outs)} hold, {n} needed")
    if op == "implies":
        cond = evaluate(expr["if"], patient)
        if cond.value is False:
            return Outcome(True, f"does not apply ({cond.reason})")
        then = evaluate(expr["then"], patient)
        if cond.value is True:
            return then
        return Outcome(True if then.value is True else None, f"{cond.reason}; {then.reason}")
    if op == "compare":
        return _compare(expr, patient)
    if op == "sex":
        if patient.sex in (None, "unknown"):
            return Outcome(None, "sex unknown")
        return Outcome(patient.sex == expr["value"], f"sex {patient.sex}")
    if op == "has":
        return _has(expr, patient)
    if op == "manual":
        return Outcome(None, f"needs review: {expr['reason']}")
    if op == "const":
        return Outcome(expr["value"], "constant")
    raise ValueError(f"unknown logic op {op!r}")


def _applies(when: dict[str, Any] | None, patient: Patient) -> Truth:
    if not when:
        return True
    checks: list[Truth] = []
    if "sex" in when:
        checks.append(None if patient.sex in (None, "unknown") else patient.sex == when["sex"])
    if "age" in when:
        age = patient.age_years()
        lo, hi = when["age"]
        if age is None:
            checks.append(None)
        else:
            checks.append((lo is None or age >= lo) and (hi is None or age < hi or (hi == lo and age == hi)))
    if "condition" in when:
        checks.append(None)  # a free-text sub-population ("if liver metastases"): not decidable from a record
    return kleene_all(checks)


def _compare(expr: dict[str, Any], patient: Patient) -> Outcome:
    applies = _applies(expr.get("when"), patient)
    if applies is False:
        return Outcome(True, "threshold for another sub-population")
    label = expr.get("display") or expr.get("code") or expr["fact"]
    if expr["fact"] == "age":
        value: float | None = patient.age_years()
        shown = f"age {value}" if value is not None else "age unknown"
        if value is not None and expr.get("unit") not in (None, "a"):
            value = convert(value, "a", expr["unit"])
    else:
        obs = patient.latest(expr["code"])
        if obs is None:
            return Outcome(None, f"no {label} on record")
        value, shown = _observed(expr, obs, label)
    if value is None:
        return Outcome(None, shown)
    result: Truth = _test(value, expr)
    if applies is None:
        result = True if result is True else None  # holds whichever stratum applies, else unknown
    return Outcome(result, f"{shown} {'meets' if result else 'fails' if result is False else '?'} {_threshold(expr)}")


def _observed(expr: dict[str, Any], obs: dict[str, Any], label: str) -> tuple[float | None, str]:
    value = obs.get("value")
    if not isinstance(value, (int, float)):
        return None, f"{label} has no numeric value"
    rel = expr.get("relative_to")
    if rel:
        limit = obs.get("reference_high" if rel == "ULN" else "reference_low")
        if not isinstance(limit, (int, float)) or limit == 0:
            return None, f"{label} {value} {obs.get('unit') or ''} has no {rel} on record"
        return value / limit, f"{label} {value} = {value / limit:.2f}×{rel}"
    target = expr.get("unit")
    unit = obs.get("unit")
    if target is None or unit is None or unit == target:
        return float(value), f"{label} {value} {unit or ''}".rstrip()
    try:
        return convert(float(value), unit, target), f"{label} {value} {unit}"
    except Exception:
        mass = _MOLAR_MASS.get(expr.get("code", ""))
        converted = _molar(float(value), unit, target, mass) if mass else None
        if converted is None:
            return None, f"{label} in {unit} cannot be compared with {target}"
        return converted, f"{label} {value} {unit}"


def _molar(value: float, unit: str, target: str, mass: float) -> float | None:
    """mg/dL <-> umol/L (and mmol/L) through the molar mass."""
    to_mg_dl = {"umol/L": mass / 10_000, "mmol/L": mass / 10, "mg/dL": 1.0}
    if unit in to_mg_dl and target in to_mg_dl:
        return value * to_mg_dl[unit] / to_mg_dl[target]
    return None


def _test(value: float, expr: dict[str, Any]) -> bool:
    c, v = expr["comparator"], expr["value"]
    if c == "between":
        return v <= value <= expr["value_high"]
    return {"<": value < v, "<=": value <= v, ">": value > v, ">=": value >= v, "==": value == v}[c]


def _threshold(expr: dict[str, Any]) -> str:
    unit = f"×{expr['relative_to']}" if expr.get("relative_to") else f" {expr['unit']}" if expr.get("unit") else ""
    if expr["comparator"] == "between":
        return f"{expr['value']}-{expr['value_high']}{unit}"
    return f"{expr['comparator']} {expr['value']}{unit}"


def _has(expr: dict[str, Any], patient: Patient) -> Outcome:
    kind = expr["kind"]
    items = patient.records(kind)
    label = expr.get("display") or expr.get("code")
    matches = [r for r in items if _code_matches(expr.get("code"), r.get("code"))]
    if expr.get("except"):  # "other malignancies": any of the class but the codes listed
        matches = [r for r in matches if not any(_code_matches(x, r.get("code")) for x in expr["except"])]
    dose = expr.get("dose")
    if dose and matches:
        kept = _meeting(matches, [_dose_meets(r, dose) for r in matches])
        if kept is None:
            return Outcome(None, f"{label} on record, dose unknown or not comparable with {_threshold(dose)}")
        matches = kept
        label = label if kept else f"{label} at {_threshold(dose)}"
    duration = expr.get("duration")
    if duration and matches:
        kept = _meeting(matches, [_lasted(r, kind, duration, patient) for r in matches])
        if kept is None:
            return Outcome(None, f"{label} on record, for how long unknown")
        matches = kept
        label = label if kept else f"{label} for {_threshold(duration)}"
    window = expr.get("window")
    if window and matches:
        inside = [_in_window(r, kind, window, patient) for r in matches]
        if any(v is True for v in inside):
            return Outcome(True, f"{label} within {window['value']} {window['unit']}")
        if all(v is False for v in inside):
            matches = []
        else:
            return Outcome(None, f"{label} on record, date unknown")
    if matches:
        return Outcome(True, f"{label} on record")
    if kind + "s" in patient.complete or kind in patient.complete:
        return Outcome(False, f"no {label} on the complete {kind} list")
    return Outcome(None, f"no {label} on record (list not complete)")


def _meeting(records: list[dict[str, Any]], truths: list[Truth]) -> list[dict[str, Any]] | None:
    """The records a test holds for; ``[]`` when it fails for every one; ``None`` when it is unknown for some
    and holds for none."""
    if any(t is True for t in truths):
        return [r for r, t in zip(records, truths, strict=True) if t is True]
    return [] if all(t is False for t in truths) else None


def _lasted(record: dict[str, Any], kind: str, duration: dict[str, Any], patient: Patient) -> Truth:
    """Has a medication or condition record run for ``duration`` (start or onset to its end, or to ``as_of``
    while under way)? Unknown for a procedure (one date) or a record without dates."""
    start = record.get("start") if kind == "medication" else record.get("onset") if kind == "condition" else None
    if not start:
        return None
    end = record.get("end") if kind == "medication" else record.get("abatement")
    if end is None and kind == "condition" and record.get("status") not in (None, "active"):
        return None  # resolved, no date it ended
    try:
        first = date.fromisoformat(str(start))
        last = date.fromisoformat(str(end)) if end else patient.reference("as_of")
    except ValueError:
        return None
    if last is None:
        return None
    days = (last - first).days / _DAYS.get(duration["unit"], 1.0)
    return _test(days, duration)


def _dose_meets(record: dict[str, Any], dose: dict[str, Any]) -> Truth:
    """Does a medication record's dose meet ``dose`` (``{"comparator", "value", "unit"}``)? Unknown without one."""
    value, unit = record.get("dose"), record.get("unit")
    if not isinstance(value, (int, float)) or not unit:
        return None
    try:
        amount = convert(float(value), unit, dose["unit"])
    except Exception:
        return None
    return _test(amount, dose)


def _code_matches(code: str | None, recorded: str | None) -> bool:
    """Prefix match within one system: ICD10CM:G40 covers ICD10CM:G40.909, ATC:L01E covers ATC:L01EA01."""
    if not code or not recorded:
        return False
    return recorded == code or (recorded.split(":")[0] == code.split(":")[0] and recorded.startswith(code))


def _in_window(record: dict[str, Any], kind: str, window: dict[str, Any], patient: Patient) -> Truth:
    when = record.get("date") or record.get("onset") or record.get("start")
    ongoing = kind == "medication" and record.get("start") and record.get("end") is None
    reference = patient.reference(window.get("reference") or "as_of")
    if reference is None or (when is None and not ongoing):
        return None
    try:
        day = date.fromisoformat(str(record.get("end") or when)) if not ongoing else reference
    except ValueError:
        return None
    days = (reference - day).days if window.get("direction", "before") == "before" else (day - reference).days
    span = float(window["value"]) * _DAYS.get(window["unit"], 1.0)
    if days < 0:
        return False
    return days <= span if window["comparator"] in ("<=", "<", "==") else days > span
