"""Load the rule files shipped in :mod:`extractor.resources`, validating each line.

Rules are data: adding a heading variant or a cue means adding a line to a
JSONL file, never editing Python. Each loader states the keys a line may
have; an unknown key, a missing key, a wrong type or a pattern that does
not compile is a :class:`~extractor.errors.ResourceError` naming the file
and line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .errors import ResourceError

_PACKAGE = "extractor.resources"


def read_jsonl(
    name: str,
    *,
    required: dict[str, type | tuple[type, ...]],
    optional: dict[str, type | tuple[type, ...]] | None = None,
    text: str | None = None,
) -> list[dict[str, Any]]:
    """Read and validate ``resources/<name>`` (or ``text`` standing in for it)."""
    optional = optional or {}
    if text is None:
        try:
            text = resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
        except (FileNotFoundError, OSError) as e:
            raise ResourceError(f"cannot read packaged rule file ({e})", where=name) from e
    rows: list[dict[str, Any]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        where = f"{name} line {lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ResourceError(f"invalid JSON ({e.msg})", where=where) from e
        if not isinstance(row, dict):
            raise ResourceError("each line must be a JSON object", where=where)
        unknown = set(row) - set(required) - set(optional)
        if unknown:
            raise ResourceError(f"unknown key(s) {sorted(unknown)}", where=where)
        missing = set(required) - set(row)
        if missing:
            raise ResourceError(f"missing key(s) {sorted(missing)}", where=where)
        for key, value in row.items():
            expected = required.get(key) or optional[key]
            if not isinstance(value, expected):
                raise ResourceError(f"key {key!r} has the wrong type {type(value).__name__}", where=where)
        row["_where"] = where
        rows.append(row)
    return rows


def compile_pattern(pattern: str, where: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as e:
        raise ResourceError(f"pattern does not compile ({e})", where=where) from e


@dataclass(frozen=True, slots=True)
class HeadingRule:
    section: str
    kind: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class CombineCue:
    combine: str
    pattern: re.Pattern[str]


def _choice(row: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = row[key]
    if value not in allowed:
        raise ResourceError(f"key {key!r} must be one of {list(allowed)}, not {value!r}", where=row["_where"])
    return str(value)


def parse_heading_rules(text: str | None = None) -> tuple[HeadingRule, ...]:
    rows = read_jsonl("sections.jsonl", required={"section": str, "kind": str, "pattern": str}, text=text)
    return tuple(
        HeadingRule(
            section=_choice(r, "section", ("inclusion", "exclusion", "unspecified")),
            kind=_choice(r, "kind", ("section", "subheading")),
            pattern=compile_pattern(r["pattern"], r["_where"]),
        )
        for r in rows
    )


def parse_combine_cues(text: str | None = None) -> tuple[CombineCue, ...]:
    rows = read_jsonl("combine_cues.jsonl", required={"combine": str, "pattern": str}, text=text)
    cues = []
    for r in rows:
        combine = _choice(r, "combine", ("all", "any", "n_of"))
        pattern = compile_pattern(r["pattern"], r["_where"])
        if combine == "n_of" and "n" not in pattern.groupindex:
            raise ResourceError("an n_of cue needs a named group (?P<n>...)", where=r["_where"])
        cues.append(CombineCue(combine=combine, pattern=pattern))
    return tuple(cues)


@dataclass(frozen=True, slots=True)
class Qualifier:
    what: str
    pattern: re.Pattern[str]
    threshold_defines: bool = False
    """A threshold in the same criterion says what the qualifier means ("poorly controlled (BP >= 150)")."""
    whole: bool = False
    """It qualifies the criterion as a whole ("cannot discontinue these medications"), not the mention beside it."""


def parse_qualifiers(text: str | None = None) -> tuple[Qualifier, ...]:
    rows = read_jsonl(
        "qualifiers.jsonl",
        required={"what": str, "pattern": str},
        optional={"threshold_defines": bool, "whole": bool},
        text=text,
    )
    return tuple(
        Qualifier(
            what=r["what"],
            pattern=compile_pattern(r["pattern"], r["_where"]),
            threshold_defines=r.get("threshold_defines", False),
            whole=r.get("whole", False),
        )
        for r in rows
    )


@cache
def qualifiers() -> tuple[Qualifier, ...]:
    """Qualifiers of a condition no coded record states ("localized", "fully treated and cured", "uncontrolled")."""
    return parse_qualifiers()


@cache
def heading_rules() -> tuple[HeadingRule, ...]:
    return parse_heading_rules()


@cache
def combine_cues() -> tuple[CombineCue, ...]:
    return parse_combine_cues()
