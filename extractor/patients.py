"""Patient records as in ``shared/spec/patient-record.md``: read, validated, streamed.

A bad record (invalid JSON on line N, a string where a number belongs, a date
after ``as_of``, an unknown unit) is reported as one line naming the patient
and the field; the other records are still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .errors import FormatError, InputError

EVENTS = ("informed_consent", "apheresis", "randomization", "first_dose", "enrollment", "screening")
LISTS = ("observations", "conditions", "medications", "procedures")


@dataclass(slots=True)
class Patient:
    id: str
    as_of: date
    age: int | None = None
    birth_date: date | None = None
    sex: str | None = None
    observations: list[dict[str, Any]] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    medications: list[dict[str, Any]] = field(default_factory=list)
    procedures: list[dict[str, Any]] = field(default_factory=list)
    events: dict[str, date] = field(default_factory=dict)
    complete: tuple[str, ...] = ()

    def age_years(self) -> int | None:
        if self.age is not None:
            return self.age
        if self.birth_date is None:
            return None
        b, t = self.birth_date, self.as_of
        return t.year - b.year - ((t.month, t.day) < (b.month, b.day))

    def latest(self, code: str) -> dict[str, Any] | None:
        found = [o for o in self.observations if o.get("code") == code]
        if not found:
            return None
        return max(found, key=lambda o: str(o.get("date") or ""))

    def records(self, kind: str) -> list[dict[str, Any]]:
        return {"condition": self.conditions, "medication": self.medications, "procedure": self.procedures}[kind]

    def reference(self, name: str) -> date | None:
        return self.as_of if name == "as_of" else self.events.get(name)


def _date(value: Any, where: str, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as e:
        raise FormatError(f"field {name!r} is not a date (YYYY-MM-DD): {value!r}", where=where) from e


def patient_from_json(obj: Any, where: str) -> Patient:
    """Validate one decoded record; raise a one-line :class:`FormatError` naming patient and field."""
    if not isinstance(obj, dict):
        raise FormatError("a patient must be a JSON object", where=where)
    pid = obj.get("id")
    if not isinstance(pid, str) or not pid:
        raise FormatError("field 'id' is missing or not a string", where=where)
    where = f"{where} (patient {pid})"
    as_of = _date(obj["as_of"], where, "as_of") if obj.get("as_of") is not None else date.today()
    patient = Patient(id=pid, as_of=as_of)
    if obj.get("age") is not None:
        if not isinstance(obj["age"], int) or isinstance(obj["age"], bool) or obj["age"] < 0:
            raise FormatError(f"field 'age' must be a whole number of years, not {obj['age']!r}", where=where)
        patient.age = obj["age"]
    if obj.get("birth_date") is not None:
        patient.birth_date = _date(obj["birth_date"], where, "birth_date")
        if patient.birth_date > as_of:
            raise FormatError(f"field 'birth_date' {patient.birth_date} is after as_of {as_of}", where=where)
    if obj.get("sex") is not None:
        if obj["sex"] not in ("male", "female", "other", "unknown"):
            raise FormatError(f"field 'sex' must be male, female, other or unknown, not {obj['sex']!r}", where=where)
        patient.sex = obj["sex"]
    for name in LISTS:
        items = obj.get(name) or []
        if not isinstance(items, list):
            raise FormatError(f"field {name!r} must be a list", where=where)
        for i, item in enumerate(items):
            _check_item(item, f"{name}[{i}]", where, as_of)
        setattr(patient, name, items)
    events = obj.get("events") or {}
    if not isinstance(events, dict):
        raise FormatError("field 'events' must be an object", where=where)
    for name, value in events.items():
        if value is not None:
            patient.events[name] = _date(value, where, f"events.{name}")
    complete = obj.get("complete") or []
    if not isinstance(complete, list) or not all(isinstance(c, str) for c in complete):
        raise FormatError("field 'complete' must be a list of list names", where=where)
    patient.complete = tuple(complete)
    return patient


def _check_item(item: Any, name: str, where: str, as_of: date) -> None:
    if not isinstance(item, dict):
        raise FormatError(f"{name} must be an object", where=where)
    if name.startswith("observations"):
        if "code" not in item:
            raise FormatError(f"{name}.code is missing", where=where)
        value = item.get("value")
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            raise FormatError(f"{name}.value must be a number, not {value!r}", where=where)
        for limit in ("reference_low", "reference_high"):
            if item.get(limit) is not None and not isinstance(item[limit], (int, float)):
                raise FormatError(f"{name}.{limit} must be a number, not {item[limit]!r}", where=where)
        unit = item.get("unit")
        if unit is not None:
            from .units import ucum_table

            if unit not in ucum_table() and unit not in ("U/L", "[IU]/L", "mg/g", "m[IU]/L", "pg/mL"):
                raise FormatError(f"{name}.unit {unit!r} is not a UCUM code this tool knows", where=where)
    for key in ("date", "onset", "start", "end", "abatement"):
        if item.get(key) is not None:
            day = _date(item[key], where, f"{name}.{key}")
            if day > as_of and key != "end":
                raise FormatError(f"{name}.{key} {day} is after as_of {as_of}", where=where)


def read_patients(path: str | Path) -> Iterator[Patient | FormatError | InputError]:
    """Patients from a JSON file (one object or a list) or JSON Lines, streamed; bad ones as errors."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such patient file", where=str(path))
    with p.open("rb") as handle:
        head = handle.read(1)
        while head in (b" ", b"\n", b"\r", b"\t"):
            head = handle.read(1)
    if head == b"[":
        try:
            items = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise FormatError(f"invalid JSON ({e})", where=str(path)) from e
        except RecursionError as e:
            raise FormatError("JSON nested too deeply", where=str(path)) from e
        for i, obj in enumerate(items, 1):
            try:
                yield patient_from_json(obj, f"{path} item {i}")
            except FormatError as e:
                yield e
        return
    with p.open("rb") as handle:
        for n, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            where = f"{path}:{n}"
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                yield FormatError(f"invalid JSON ({getattr(e, 'msg', e)})", where=where)
                continue
            except RecursionError:
                yield FormatError("JSON nested too deeply", where=where)
                continue
            try:
                yield patient_from_json(obj, where)
            except FormatError as e:
                yield e
