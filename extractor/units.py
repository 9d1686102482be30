"""UCUM units through pint: exact conversion between the units criteria and records use.

Every UCUM code the threshold extractor emits is listed in
``resources/units.jsonl`` with the pint expression of the same quantity.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from .errors import ExtractorError, ResourceError
from .rules import read_jsonl


@cache
def registry() -> Any:
    import pint

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


@cache
def unit_rows() -> tuple[dict[str, Any], ...]:
    """The validated rows of ``resources/units.jsonl``, read once for extractor, screener and harness."""
    return tuple(
        read_jsonl(
            "units.jsonl",
            required={"ucum": str, "pint": str, "spellings": list},
            optional={"case_sensitive": bool, "log10_of": str},
        )
    )


@cache
def ucum_table() -> dict[str, str]:
    return {row["ucum"]: row["pint"] for row in unit_rows()}


@cache
def log_units() -> dict[str, str]:
    """Units that are the base-10 logarithm of another ("5.0 log10 IU/mL" is 100,000 IU/mL)."""
    table = ucum_table()
    out = {row["ucum"]: row["log10_of"] for row in unit_rows() if "log10_of" in row}
    for unit, of in out.items():
        if of not in table or of in out:
            raise ResourceError(f"{unit!r} is the log10 of {of!r}, which is no linear unit there", where="units.jsonl")
    return out


def quantity(value: float, ucum: str) -> Any:
    """``value`` in ``ucum`` as a pint quantity (raises ExtractorError for an unknown unit)."""
    expr = ucum_table().get(ucum)
    if expr is None:
        raise ExtractorError(f"unknown unit {ucum!r}")
    ureg = registry()
    return ureg.Quantity(value, ureg(expr).units) * ureg(expr).magnitude


def convert(value: float, from_ucum: str, to_ucum: str) -> float:
    """Convert exactly between two units of the same dimension (``s`` -> ``ms``, ``%`` -> ``1``)."""
    import pint

    if from_ucum == to_ucum:
        return value
    logs = log_units()
    if from_ucum in logs or to_ucum in logs:  # a log unit converts through its linear unit, never by a factor
        if from_ucum in logs:
            value, from_ucum = 10.0**value, logs[from_ucum]
        if to_ucum not in logs:
            return convert(value, from_ucum, to_ucum)
        linear = convert(value, from_ucum, logs[to_ucum])
        if linear <= 0:
            raise ExtractorError(f"cannot convert {linear} {logs[to_ucum]} to {to_ucum} (no logarithm)")
        return math.log10(linear)
    target = registry()(ucum_table()[to_ucum]) if to_ucum in ucum_table() else None
    if target is None:
        raise ExtractorError(f"unknown unit {to_ucum!r}")
    try:
        q = quantity(value, from_ucum).to(target.units)
    except pint.DimensionalityError as e:
        raise ExtractorError(f"cannot convert {from_ucum} to {to_ucum} ({e})") from e
    return float(q.magnitude / target.magnitude)
