"""UCUM units through pint: exact conversion between the units criteria and records use.

Every UCUM code the threshold extractor emits is listed in
``resources/units.jsonl`` with the pint expression of the same quantity.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .errors import ExtractorError
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
            "units.jsonl", required={"ucum": str, "pint": str, "spellings": list}, optional={"case_sensitive": bool}
        )
    )


@cache
def ucum_table() -> dict[str, str]:
    return {row["ucum"]: row["pint"] for row in unit_rows()}


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
    target = registry()(ucum_table()[to_ucum]) if to_ucum in ucum_table() else None
    if target is None:
        raise ExtractorError(f"unknown unit {to_ucum!r}")
    try:
        q = quantity(value, from_ucum).to(target.units)
    except pint.DimensionalityError as e:
        raise ExtractorError(f"cannot convert {from_ucum} to {to_ucum} ({e})") from e
    return float(q.magnitude / target.magnitude)
