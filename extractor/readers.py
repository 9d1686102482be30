"""Read protocol text in every form the project accepts, detecting which it is.

Formats (``fmt``):

``registry-page``
    A ClinicalTrials.gov page saved as plain text: the part under
    "Eligibility Criteria" plus the fields Minimum/Maximum Eligible Age,
    Eligible Sex and Accepts Healthy Volunteers.
``text``
    Bare eligibility text.
``ctgov-xml``
    ClinicalTrials.gov legacy XML (``<clinical_study>``; several under one
    root are read as a batch).
``ctgov-json``
    ClinicalTrials.gov API v2 JSON: one study (``protocolSection``), a search
    page (``{"studies": [...]}``) or a list of studies.
``jsonl``
    JSON Lines, one trial per line, in the corpus format (``nct_id``,
    ``criteria``, ``gender``, ``minimum_age``, ``maximum_age``,
    ``healthy_volunteers``) or as API v2 studies. Streamed: a bad line is
    reported and the rest are read.

Readers yield :class:`~extractor.model.TrialRecord` objects, or an
:class:`~extractor.errors.ExtractorError` in place of a record that could
not be read; a problem with the whole input raises.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from .errors import ExtractorError, FormatError, InputError
from .model import StructuredFields, TrialRecord

FORMATS = ("auto", "registry-page", "text", "ctgov-xml", "ctgov-json", "jsonl")
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""A single document (not JSON Lines) larger than this is refused."""
MAX_RECORD_CHARS = 2_000_000
"""Eligibility text of one trial larger than this is refused (the corpus maximum is ~18 KB)."""

_NCT = re.compile(r"\bNCT\d{8}\b")
_XML_START = re.compile(rb"^\s*<")


@dataclass(slots=True)
class Batch:
    """What :func:`open_input` returns: the detected format and the records."""

    format: str
    is_batch: bool
    records: Iterable[TrialRecord | ExtractorError]


def open_input(
    path: str | Path,
    *,
    fmt: str = "auto",
    encoding: str = "utf-8",
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_chars: int = MAX_RECORD_CHARS,
) -> Batch:
    """Open ``path`` (``-`` for standard input), detect its format and return its records lazily."""
    if fmt not in FORMATS:
        raise InputError(f"unknown input format {fmt!r}; choose one of {', '.join(FORMATS)}")
    name = "<stdin>" if str(path) == "-" else str(path)
    stream = _open(path, name)
    head = stream.read(65536)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        stream.close()
        raise InputError("input is empty", where=name)
    if fmt == "auto":
        fmt = _sniff(head, name)
    if fmt == "jsonl":
        return Batch("jsonl", True, _read_jsonl(head, stream, name, encoding, max_chars))
    rest = stream.read(max_bytes + 1 - len(head)) if len(head) <= max_bytes else b""
    data = head + rest
    stream.close()
    if len(data) > max_bytes:
        raise InputError(
            f"input is larger than {max_bytes / 2**20:.0f} MiB, the limit for a single document "
            "(use JSON Lines for many trials, or raise --max-bytes)",
            where=name,
        )
    text = decode(data, name, encoding)
    if fmt == "ctgov-xml":
        return _as_batch("ctgov-xml", list(read_ctgov_xml(text, name, max_chars)))
    if fmt == "ctgov-json":
        return _as_batch("ctgov-json", list(read_ctgov_json(text, name, max_chars)))
    if fmt == "registry-page":
        return Batch(fmt, False, [read_registry_page(text, name, max_chars)])
    return Batch("text", False, [read_bare_text(text, name, max_chars)])


def _as_batch(fmt: str, records: list[TrialRecord | ExtractorError]) -> Batch:
    return Batch(fmt, len(records) != 1, records)


def _open(path: str | Path, name: str) -> BinaryIO:
    if name == "<stdin>":
        return sys.stdin.buffer
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError("is a directory, not a file", where=name)
        return p.open("rb")
    except FileNotFoundError as e:
        raise InputError("no such file", where=name) from e
    except PermissionError as e:
        raise InputError("permission denied", where=name) from e
    except OSError as e:
        raise InputError(f"cannot open ({e.strerror or e})", where=name) from e


def _sniff(head: bytes, name: str) -> str:
    if b"\x00" in head:
        raise InputError("binary file (contains NUL bytes), not protocol text", where=name)
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson", ".jsonl.txt")):
        return "jsonl"
    if _XML_START.match(body):
        return "ctgov-xml"
    if body[:1] in (b"{", b"["):
        first, _, after = body.partition(b"\n")
        if body[:1] == b"{" and after.lstrip()[:1] == b"{":
            try:
                json.loads(first)
                return "jsonl"
            except (ValueError, RecursionError):
                pass
        return "ctgov-json"
    text = head.decode("utf-8", errors="replace")
    if re.search(r"^\s*NCT ID:\s*NCT\d{8}", text, re.M) or (
        re.search(r"^\s*Eligibility Criteria\s*$", text, re.M)
        and re.search(r"^\s*(?:Minimum Eligible Age|Eligible Sex|Brief Summary|Study Design)\s*$", text, re.M)
    ):
        return "registry-page"
    if len(head) == 65536 and re.search(rb"^\s*Eligibility Criteria\s*$", head, re.M):
        return "registry-page"
    return "text"


def decode(data: bytes, name: str, encoding: str = "utf-8") -> str:
    """Decode bytes strictly; refuse binary data and wrong encodings with one line."""
    if b"\x00" in data[:1_000_000]:
        raise InputError("binary file (contains NUL bytes), not protocol text", where=name)
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as e:
        raise InputError(
            f"not valid {encoding} at byte {e.start} (pass --encoding, e.g. --encoding cp1252)",
            where=name,
        ) from e
    except LookupError as e:
        raise InputError(f"unknown encoding {encoding!r}") from e
    sample = text[:100_000]
    if sample:
        controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\x0b\x0c")
        if controls * 100 > len(sample):
            raise InputError("binary file (many control characters), not protocol text", where=name)
    return text


def _check_text(text: Any, where: str, max_chars: int, field: str = "criteria") -> str:
    if text is None:
        raise FormatError(f"no eligibility criteria ({field} is missing)", where=where)
    if not isinstance(text, str):
        raise FormatError(f"{field} must be a string, not {type(text).__name__}", where=where)
    if not text.strip():
        raise FormatError(f"eligibility criteria are empty ({field})", where=where)
    if len(text) > max_chars:
        raise FormatError(f"eligibility text is {len(text):,} characters; the limit is {max_chars:,}", where=where)
    return text


# -- bare text and registry pages ----------------------------------------------


def read_bare_text(text: str, name: str, max_chars: int = MAX_RECORD_CHARS) -> TrialRecord:
    _check_text(text, name, max_chars, field="text")
    m = _NCT.search(Path(name).name)
    return TrialRecord(trial_id=m.group() if m else None, eligibility=text, source=name, format="text")


_PAGE_FIELDS = {
    "Minimum Eligible Age": "minimum_age",
    "Maximum Eligible Age": "maximum_age",
    "Eligible Sex": "sex",
    "Sex": "sex",
    "Accepts Healthy Volunteers": "healthy_volunteers",
}
_PAGE_SECTIONS = (
    "Sponsors",
    "Responsible Party",
    "Locations",
    "Countries",
    "Central Contacts",
    "Facility Contacts",
    "Other Identifiers",
    "More Related Trials",
    "Collaborators and Investigators",
    "Publications",
    "Outcome Measures",
    "Study Plan",
)
_PAGE_ELIG = re.compile(r"^[ \t]*Eligibility Criteria[ \t]*:?[ \t]*$", re.M)
_PAGE_BOILERPLATE = re.compile(r"[ \t]*Check the participation requirements[^\n]*\n?")
_PAGE_END = re.compile(
    r"^[ \t]*(?:" + "|".join(re.escape(k) for k in [*_PAGE_FIELDS, *_PAGE_SECTIONS]) + r")[ \t]*:?[ \t]*$",
    re.M,
)


def read_registry_page(text: str, name: str, max_chars: int = MAX_RECORD_CHARS) -> TrialRecord:
    """Find the eligibility part of a registry page saved as text, and its structured fields."""
    m_id = re.search(r"^\s*NCT ID:\s*(NCT\d{8})", text, re.M) or _NCT.search(text)
    trial_id = m_id.group(1) if m_id and m_id.groups() else (m_id.group() if m_id else None)
    heads = list(_PAGE_ELIG.finditer(text))
    if not heads:
        raise FormatError("registry page has no 'Eligibility Criteria' section", where=name)
    start = heads[-1].end()
    if start < len(text) and text[start] == "\n":
        start += 1
    # the page's own one-line description of the section is not eligibility text
    while True:
        blank = re.match(r"[ \t]*\n", text[start:])
        if blank:
            start += blank.end()
            continue
        bp = _PAGE_BOILERPLATE.match(text, start)
        if bp:
            start = bp.end()
            continue
        break
    end_m = _PAGE_END.search(text, start)
    end = end_m.start() if end_m else len(text)
    fields: dict[str, str] = {}
    for m in _PAGE_END.finditer(text, start):
        label = m.group().strip().rstrip(":").strip()
        key = _PAGE_FIELDS.get(label)
        if key and key not in fields:
            nxt = re.compile(r"^[ \t]*(\S[^\n]*?)[ \t]*$", re.M).search(text, m.end())
            if nxt:
                fields[key] = nxt.group(1)
    eligibility = text[start:end]
    _check_text(eligibility, name, max_chars, field="Eligibility Criteria section")
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), None)
    return TrialRecord(
        trial_id=trial_id,
        eligibility=eligibility,
        source=name,
        format="registry-page",
        structured=StructuredFields(**fields),
        source_offset=start,
        title=first,
    )


# -- ClinicalTrials.gov legacy XML ---------------------------------------------


def _xml_text(elem: Any, path: str) -> str | None:
    found = elem.find(path)
    if found is None:
        return None
    return "".join(found.itertext())


def read_ctgov_xml(text: str, name: str, max_chars: int = MAX_RECORD_CHARS) -> Iterator[TrialRecord | ExtractorError]:
    try:
        root = SafeET.fromstring(text)
    except DefusedXmlException as e:
        raise FormatError(
            f"XML refused for safety ({type(e).__name__}: entities or DTDs are not allowed)", where=name
        ) from e
    except SafeET.ParseError as e:
        raise FormatError(f"malformed XML ({e})", where=name) from e
    except RecursionError as e:
        raise FormatError("XML nested too deeply", where=name) from e
    studies = [root] if root.tag == "clinical_study" else list(root.iter("clinical_study"))
    if not studies:
        if root.find(".//eligibility") is None:
            raise FormatError(
                f"XML is not a ClinicalTrials.gov study (root <{root.tag}> has no <eligibility>)", where=name
            )
        studies = [root]
    for i, study in enumerate(studies, 1):
        trial_id = (_xml_text(study, "id_info/nct_id") or "").strip() or None
        where = name if len(studies) == 1 else f"{name} study {i}" + (f" ({trial_id})" if trial_id else "")
        try:
            elig = study.find("eligibility")
            if elig is None:
                raise FormatError("no <eligibility> element", where=where)
            criteria = _xml_text(elig, "criteria/textblock")
            if criteria is None:
                criteria = _xml_text(elig, "criteria")
            criteria = _check_text(criteria, where, max_chars, field="<criteria><textblock>")
            yield TrialRecord(
                trial_id=trial_id,
                eligibility=criteria,
                source=where,
                format="ctgov-xml",
                structured=StructuredFields(
                    minimum_age=_strip(_xml_text(elig, "minimum_age")),
                    maximum_age=_strip(_xml_text(elig, "maximum_age")),
                    sex=_strip(_xml_text(elig, "gender")),
                    healthy_volunteers=_strip(_xml_text(elig, "healthy_volunteers")),
                ),
                source_offset=None,
                title=_strip(_xml_text(study, "brief_title")),
            )
        except ExtractorError as e:
            yield e


def _strip(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    s = str(value).strip()
    return s or None


# -- JSON: API v2 and corpus records --------------------------------------------


# JSON names of (minimum_age, maximum_age, sex, healthy_volunteers)
_V2_FIELDS = ("minimumAge", "maximumAge", "sex", "healthyVolunteers")
_CORPUS_FIELDS = ("minimum_age", "maximum_age", "gender", "healthy_volunteers")


def _structured(obj: dict[str, Any], names: tuple[str, str, str, str]) -> StructuredFields:
    return StructuredFields(*(_strip(obj.get(name)) for name in names))


def record_from_json(obj: Any, where: str, max_chars: int = MAX_RECORD_CHARS) -> TrialRecord:
    """One trial from a decoded JSON value: an API v2 study or a corpus record."""
    if not isinstance(obj, dict):
        raise FormatError(f"expected a JSON object for a trial, found {type(obj).__name__}", where=where)
    if "protocolSection" in obj:
        ps = obj["protocolSection"]
        if not isinstance(ps, dict):
            raise FormatError("protocolSection must be an object", where=where)
        ident = ps.get("identificationModule") or {}
        em = ps.get("eligibilityModule")
        trial_id = ident.get("nctId") if isinstance(ident, dict) else None
        if trial_id:
            where = f"{where} ({trial_id})" if trial_id not in where else where
        if not isinstance(em, dict):
            raise FormatError("protocolSection has no eligibilityModule", where=where)
        text = _check_text(em.get("eligibilityCriteria"), where, max_chars, field="eligibilityCriteria")
        return TrialRecord(
            trial_id=trial_id if isinstance(trial_id, str) else None,
            eligibility=text,
            source=where,
            format="ctgov-json",
            structured=_structured(em, _V2_FIELDS),
            source_offset=None,
            title=_strip(ident.get("briefTitle")) if isinstance(ident, dict) else None,
        )
    if "criteria" in obj or "nct_id" in obj:
        trial_id = obj.get("nct_id")
        if trial_id is not None and not isinstance(trial_id, str):
            raise FormatError(f"nct_id must be a string, not {type(trial_id).__name__}", where=where)
        if trial_id and trial_id not in where:
            where = f"{where} ({trial_id})"
        text = _check_text(obj.get("criteria"), where, max_chars)
        return TrialRecord(
            trial_id=trial_id or None,
            eligibility=text,
            source=where,
            format="jsonl",
            structured=_structured(obj, _CORPUS_FIELDS),
            source_offset=None,
            title=_strip(obj.get("title")),
        )
    keys = ", ".join(list(obj)[:6]) or "none"
    raise FormatError(
        f"JSON object is neither a ClinicalTrials.gov API v2 study nor a corpus record (keys: {keys})",
        where=where,
    )


def _loads(text: str | bytes, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise FormatError(f"invalid JSON ({e.msg}; line {e.lineno} column {e.colno})", where=where) from e
    except RecursionError as e:
        raise FormatError("JSON nested too deeply", where=where) from e
    except UnicodeDecodeError as e:
        raise InputError(f"not valid UTF-8 at byte {e.start}", where=where) from e


def read_ctgov_json(text: str, name: str, max_chars: int = MAX_RECORD_CHARS) -> Iterator[TrialRecord | ExtractorError]:
    obj = _loads(text, name)
    if isinstance(obj, dict) and isinstance(obj.get("studies"), list):
        items: list[Any] = obj["studies"]
    elif isinstance(obj, list):
        items = obj
    else:
        yield record_from_json(obj, name, max_chars)
        return
    if not items:
        raise FormatError("JSON holds no studies", where=name)
    for i, item in enumerate(items, 1):
        try:
            yield record_from_json(item, f"{name} study {i}", max_chars)
        except ExtractorError as e:
            yield e


class _Prefixed(io.RawIOBase):
    """A binary stream that first replays the bytes already read for sniffing."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = memoryview(head)
        self._pos = 0
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._pos < len(self._head):
            n = min(len(buffer), len(self._head) - self._pos)
            buffer[:n] = self._head[self._pos : self._pos + n]
            self._pos += n
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_jsonl(
    head: bytes, stream: BinaryIO, name: str, encoding: str, max_chars: int
) -> Iterator[TrialRecord | ExtractorError]:
    """Stream JSON Lines; each bad line becomes an error in place of its record."""
    limit = max_chars * 4 + 65536  # bytes: generous for escapes and the other fields
    reader = io.BufferedReader(_Prefixed(head, stream), 1 << 20)
    lineno = 0
    try:
        while True:
            line = reader.readline(limit + 1)
            if not line:
                break
            lineno += 1
            where = f"{name}:{lineno}"
            if len(line) > limit and not line.endswith(b"\n"):
                while True:  # skip the rest of the oversized line without keeping it
                    more = reader.readline(1 << 20)
                    if not more or more.endswith(b"\n"):
                        break
                yield FormatError(f"line is longer than {limit:,} bytes", where=where)
                continue
            if not line.strip():
                continue
            try:
                if lineno == 1:
                    line = line.removeprefix(b"\xef\xbb\xbf")
                if b"\x00" in line:
                    raise InputError("binary data (NUL bytes) in line", where=where)
                try:
                    decoded = line.decode(encoding)
                except UnicodeDecodeError as e:
                    raise InputError(f"not valid {encoding} at byte {e.start} of the line", where=where) from e
                except LookupError as e:
                    raise InputError(f"unknown encoding {encoding!r}") from e
                yield record_from_json(_loads(decoded, where), where, max_chars)
            except ExtractorError as e:
                yield e
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
