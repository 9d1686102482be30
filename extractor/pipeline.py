"""The stages wired together: read -> clean -> segment -> (tag, context, logic).

This is the importable API the CLI wraps::

    from extractor import parse_file, parse_text
    trial = parse_file("examples/NCT06581081.txt")
    trial.find("inclusion/9/1").text
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .clean import clean
from .errors import ExtractorError, InputError, SegmentationError
from .model import ParsedTrial, StructuredFields, TrialRecord
from .readers import MAX_DOCUMENT_BYTES, MAX_RECORD_CHARS, open_input, read_bare_text
from .segment import MAX_DEPTH, segment
from .structured import structured_criteria


def parse_record(record: TrialRecord, *, max_depth: int = MAX_DEPTH, tag: bool = False, nlp: Any = None) -> ParsedTrial:
    """Clean and segment one trial's eligibility text; add its structured criteria.

    With ``tag``, also tag entities and thresholds (:mod:`extractor.tagging`) with ``nlp``
    (default: the full pipeline, :func:`extractor.tagging.default_nlp`).
    """
    cleaned = clean(record.eligibility)
    try:
        criteria, headings = segment(cleaned.text, max_depth=max_depth)
    except ExtractorError as e:
        raise e.at(record.source) from e
    except RecursionError as e:  # pragma: no cover - the segmenter is iterative
        raise SegmentationError("criteria nested too deeply", where=record.source) from e
    if record.source_offset is not None:
        base = record.source_offset
        for node in (n for root in criteria for n in root.walk()):
            if node.span is not None:
                start, end = cleaned.span_to_original(*node.span)
                node.source_span = (base + start, base + end)
    extra, warnings = structured_criteria(record.structured)
    trial = ParsedTrial(
        trial_id=record.trial_id,
        source=record.source,
        format=record.format,
        eligibility_text=cleaned.text,
        criteria=criteria + extra,
        headings=headings,
        structured=record.structured,
        title=record.title,
        warnings=warnings,
    )
    if tag:
        from .tagging import tag_trial

        tag_trial(trial, nlp)
    return trial


def parse_text(
    text: str,
    *,
    trial_id: str | None = None,
    structured: StructuredFields | None = None,
    source: str = "<text>",
    tag: bool = True,
) -> ParsedTrial:
    """Parse bare eligibility text given as a string (tagged unless ``tag`` is false)."""
    record = read_bare_text(text, source, MAX_RECORD_CHARS)
    record.trial_id = trial_id
    if structured is not None:
        record.structured = structured
    return parse_record(record, tag=tag)


def iter_parse(
    path: str | Path,
    *,
    fmt: str = "auto",
    encoding: str = "utf-8",
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_chars: int = MAX_RECORD_CHARS,
    tag: bool = True,
    nlp: Any = None,
) -> tuple[bool, Iterator[ParsedTrial | ExtractorError]]:
    """Parse every trial in ``path``; a trial that fails is yielded as its error.

    Returns ``(is_batch, results)``. Raises for a problem with the whole input.
    """
    batch = open_input(path, fmt=fmt, encoding=encoding, max_bytes=max_bytes, max_chars=max_chars)

    def results() -> Iterator[ParsedTrial | ExtractorError]:
        chunk: list[ParsedTrial | ExtractorError] = []
        for record in batch.records:
            item: ParsedTrial | ExtractorError = record if isinstance(record, ExtractorError) else _parse(record)
            chunk.append(item)
            if len(chunk) >= TAG_CHUNK:
                yield from _tagged(chunk, tag, nlp)
                chunk = []
        yield from _tagged(chunk, tag, nlp)

    return batch.is_batch, results()


def _parse(record: TrialRecord) -> ParsedTrial | ExtractorError:
    try:
        return parse_record(record)
    except ExtractorError as e:
        return e


TAG_CHUNK = 64
"""Trials of a batch tagged together (:func:`extractor.tagging.tag_trials`): the recogniser is faster on full
batches, and a batch's output waits for at most this many trials."""


def _tagged(
    chunk: list[ParsedTrial | ExtractorError], tag: bool, nlp: Any
) -> Iterator[ParsedTrial | ExtractorError]:
    """``chunk`` in order, its parsed trials tagged together when ``tag``; should that fail, each is tagged
    alone, so the one that fails is yielded as its error and the others as they are."""
    if tag:
        from .tagging import tag_trials

        try:
            tag_trials([t for t in chunk if isinstance(t, ParsedTrial)], nlp)
        except ExtractorError:
            for i, item in enumerate(chunk):
                if isinstance(item, ParsedTrial):
                    try:
                        tag_trials([item], nlp)
                    except ExtractorError as e:
                        chunk[i] = e.at(item.source)
    yield from chunk


def parse_file(path: str | Path, **options: object) -> ParsedTrial:
    """Parse a file holding exactly one trial (raises on error or on a batch)."""
    is_batch, results = iter_parse(path, **options)  # type: ignore[arg-type]
    items = list(results)
    if is_batch and len(items) != 1:
        raise InputError(f"holds {len(items)} trials; use iter_parse for a batch", where=str(path))
    item = items[0]
    if isinstance(item, ExtractorError):
        raise item
    return item
