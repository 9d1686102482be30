"""extractor: clinical-trial eligibility criteria as structured, executable rules."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ExtractorError, FormatError, InputError, SegmentationError
from .model import Criterion, ParsedTrial, StructuredFields, TrialRecord
from .pipeline import iter_parse, parse_file, parse_record, parse_text

__all__ = [
    "Criterion",
    "ExtractorError",
    "FormatError",
    "InputError",
    "ParsedTrial",
    "SegmentationError",
    "StructuredFields",
    "TrialRecord",
    "__version__",
    "iter_parse",
    "parse_file",
    "parse_record",
    "parse_text",
]
