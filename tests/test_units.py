"""UCUM units through pint: every unit the extractor emits converts exactly."""

from __future__ import annotations

import pytest

from extractor.errors import ExtractorError
from extractor.units import convert, quantity, ucum_table


def test_every_ucum_code_has_a_pint_quantity() -> None:
    for code in ucum_table():
        assert quantity(1.0, code) is not None, code


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (0.47, "s", "ms", 470.0),
        (470, "ms", "s", 0.47),
        (0.5, "1", "%", 50.0),
        (55, "%", "1", 0.55),
        (1.5, "10*9/L", "/uL", 1500.0),
        (100_000, "/mm3", "10*9/L", 100.0),
        (150, "10*3/uL", "10*9/L", 150.0),
        (1.2, "mg/dL", "mg/L", 12.0),
        (9, "g/dL", "g/L", 90.0),
        (2, "a", "mo", 24.0),
        (4, "wk", "d", 28.0),
        (90, "kg", "kg", 90),
        # log units convert through their linear unit: 5 log10 IU/mL is 100,000 IU/mL
        (5.0, "{Log_IU}/mL", "[IU]/mL", 100_000.0),
        (2_000, "[IU]/mL", "{Log_IU}/mL", 3.30103),
        (4, "{Log_copies}/mL", "{copies}/mL", 10_000.0),
        (6, "{Log_IU}/mL", "{Log_IU}/mL", 6),
    ],
)
def test_conversions(value: float, source: str, target: str, expected: float) -> None:
    assert convert(value, source, target) == pytest.approx(expected)


def test_incompatible_units_are_an_error() -> None:
    with pytest.raises(ExtractorError, match="cannot convert"):
        convert(1, "mg/dL", "ms")


def test_unknown_unit_is_an_error() -> None:
    with pytest.raises(ExtractorError, match="unknown unit"):
        convert(1, "furlong", "m")


def test_a_log_unit_of_nothing_positive_is_an_error() -> None:
    with pytest.raises(ExtractorError, match="no logarithm"):
        convert(0, "[IU]/mL", "{Log_IU}/mL")
