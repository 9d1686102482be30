"""Read brat standoff annotations (``.ann`` next to ``.txt``), as used by Chia and LCT.

One record per line, the id's first character saying what it is::

    T12<TAB>Measurement 100 115<TAB>total bilirubin          text-bound entity
    T19<TAB>Condition 331 356;368 376<TAB>major ... function  discontinuous entity
    E2<TAB>Eq-Comparison:T10 Operator:T1 Value:T8           event (trigger, then role:arg)
    R5<TAB>Has_negation Arg1:T12 Arg2:T18                   binary relation
    *<TAB>OR T5 T6 T7                                       equivalence / OR group
    A1<TAB>Eq-Operator-Value T1 GT                          attribute (M is the old name)
    N1<TAB>Reference T1 UMLS:C0001<TAB>text                 normalisation
    #1<TAB>AnnotatorNotes T1<TAB>free text                  note

Offsets count characters of the ``.txt`` file decoded as UTF-8 *without*
newline translation (Chia's ``\\r\\n`` count as two characters), so
:func:`read_text` must be used rather than ``Path.read_text``.

Two real-corpus quirks are tolerated rather than rejected:

* an entity whose text spans a line break continues on the next physical
  line(s) of the ``.ann`` file (Chia); such lines are joined to the entity
  text with ``"\\n"`` as long as the text is still shorter than its spans;
* blank lines and trailing whitespace are ignored.

Anything else that does not parse raises :class:`~extractor.errors.FormatError`
naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FormatError, InputError

_RECORD_START = re.compile(r"^(?:[TREAMN]\d+|#\d*|\*)\t")
_ROLE_ARG = re.compile(r"^([^:\s]+):(\S+)$")


@dataclass(slots=True)
class Entity:
    """A text-bound annotation (``T``): a label over one or more character spans."""

    id: str
    label: str
    spans: list[tuple[int, int]]
    """``(start, end)`` fragments in file order (end exclusive)."""
    text: str
    """As written in the ``.ann`` file (fragments joined by one space)."""

    @property
    def start(self) -> int:
        return min(s for s, _ in self.spans)

    @property
    def end(self) -> int:
        return max(e for _, e in self.spans)

    @property
    def extent(self) -> tuple[int, int]:
        """The covering span ``(start, end)`` (gaps of a discontinuous entity included)."""
        return (self.start, self.end)


@dataclass(slots=True)
class Event:
    """An event (``E``): a trigger entity and its arguments, in file order.

    Roles can repeat (``Numeric-Filter:E2 Numeric-Filter:E3``) and are kept
    verbatim, numbered ones included (``Value2``).
    """

    id: str
    label: str
    trigger: str
    args: list[tuple[str, str]] = field(default_factory=list)
    """``(role, argument id)`` pairs."""

    @property
    def roles(self) -> dict[str, list[str]]:
        """Role -> argument ids (in file order)."""
        out: dict[str, list[str]] = {}
        for role, arg in self.args:
            out.setdefault(role, []).append(arg)
        return out

    def arg(self, role: str) -> str | None:
        """The first argument with exactly this role, or ``None``."""
        return next((a for r, a in self.args if r == role), None)


@dataclass(slots=True)
class Relation:
    """A binary relation (``R``)."""

    id: str
    label: str
    arg1: str
    arg2: str
    roles: tuple[str, str] = ("Arg1", "Arg2")


@dataclass(slots=True)
class Attribute:
    """An attribute (``A`` or ``M``); ``value`` is ``None`` for a binary attribute."""

    id: str
    name: str
    target: str
    value: str | None = None


@dataclass(slots=True)
class Group:
    """An equivalence line (``*``): ``OR T5 T6 T7`` (Chia), ``Equiv T1 T2`` (brat)."""

    label: str
    members: list[str]


@dataclass(slots=True)
class Note:
    """An annotator note (``#``) or normalisation (``N``; ``ref`` is ``DB:ID``)."""

    id: str
    kind: str
    target: str
    text: str
    ref: str | None = None


@dataclass(slots=True)
class BratDocument:
    entities: dict[str, Entity] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    attributes: dict[str, Attribute] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    source: str | None = None
    warnings: list[str] = field(default_factory=list)
    """Malformed lines skipped when read with ``strict=False`` (one-line messages)."""

    def attributes_of(self, target: str) -> dict[str, str | None]:
        """Attribute name -> value for one annotation id."""
        return {a.name: a.value for a in self.attributes.values() if a.target == target}

    def entity_of(self, ann_id: str) -> Entity | None:
        """The entity ``ann_id`` names, or an event's trigger entity; ``None`` if unknown."""
        if ann_id in self.entities:
            return self.entities[ann_id]
        event = self.events.get(ann_id)
        return self.entities.get(event.trigger) if event else None

    def misaligned(self, text: str) -> list[Entity]:
        """Entities whose text is not the ``.txt`` slice (fragments joined by one space).

        Whitespace is compared loosely (runs of blanks and line breaks are one
        space, ends stripped) because the ``.ann`` line structure cannot hold
        ``\\r`` and Chia's files lost them.
        """
        out = []
        for ent in self.entities.values():
            if ent.text == slice_text(text, ent.spans):
                continue
            if _loose(ent.text) != _loose(slice_text(text, ent.spans)):
                out.append(ent)
        return out


def _loose(s: str) -> str:
    return " ".join(s.split())


def slice_text(text: str, spans: list[tuple[int, int]]) -> str:
    """The text of ``spans`` as brat writes it: fragments joined by a single space."""
    return " ".join(text[s:e] for s, e in spans)


def _error(message: str, source: str | None, line_no: int) -> FormatError:
    where = f"{source}:line {line_no}" if source else f"line {line_no}"
    return FormatError(message, where=where)


def _parse_spans(ann_id: str, spec: str) -> list[tuple[int, int]]:
    spans = []
    for frag in spec.split(";"):
        parts = frag.split()
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"{ann_id}: bad span {frag.strip()!r} (expected 'START END')")
        start, end = int(parts[0]), int(parts[1])
        if end < start:
            raise ValueError(f"{ann_id}: span end {end} before start {start}")
        spans.append((start, end))
    return spans


def _role_args(ann_id: str, tokens: list[str]) -> list[tuple[str, str]]:
    out = []
    for tok in tokens:
        m = _ROLE_ARG.match(tok)
        if not m:
            raise ValueError(f"{ann_id}: expected ROLE:ID, got {tok[:30]!r}")
        out.append((m.group(1), m.group(2)))
    return out


def read_ann(text: str, source: str | None = None, *, strict: bool = True) -> BratDocument:
    """Parse the content of one ``.ann`` file.

    ``source`` (a path) is only used in messages. A malformed line or a
    repeated id raises :class:`~extractor.errors.FormatError` naming the
    line; with ``strict=False`` the line is skipped and the message appended
    to :attr:`BratDocument.warnings` instead (Chia has one orphan line).
    """
    doc = BratDocument(source=source)
    seen: set[str] = set()
    pending: Entity | None = None  # entity whose text may continue on the next line
    pending_len = 0
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start an empty one
    for line_no, raw in enumerate(lines, start=1):
        line = raw.removesuffix("\r")
        if line_no == 1:
            line = line.removeprefix("\ufeff")
        if pending is not None and not _RECORD_START.match(line) and len(pending.text) < pending_len:
            pending.text += "\n" + line
            continue
        pending = None
        if not line.strip():
            continue
        try:
            record = _parse_line(line, seen)
        except ValueError as e:
            error = _error(str(e), source, line_no)
            if strict:
                raise error from e
            doc.warnings.append(str(error))
            continue
        if isinstance(record, Entity):
            doc.entities[record.id] = pending = record
            pending_len = sum(e - s for s, e in record.spans) + len(record.spans) - 1
        elif isinstance(record, Event):
            doc.events[record.id] = record
        elif isinstance(record, Relation):
            doc.relations[record.id] = record
        elif isinstance(record, Attribute):
            doc.attributes[record.id] = record
        elif isinstance(record, Group):
            doc.groups.append(record)
        else:
            doc.notes.append(record)
    return doc


def _parse_line(line: str, seen: set[str]) -> Entity | Event | Relation | Attribute | Group | Note:
    """One record; ``ValueError`` with a one-line reason when malformed."""
    ann_id, tab, rest = line.partition("\t")
    if not tab:
        raise ValueError(f"no tab after the id in {line[:40]!r}")
    if not _RECORD_START.match(ann_id + "\t"):
        raise ValueError(f"unknown annotation id {ann_id[:20]!r}")
    if ann_id != "*" and not ann_id.startswith("#"):
        if ann_id in seen:
            raise ValueError(f"duplicate id {ann_id}")
        seen.add(ann_id)
    kind = ann_id[0]
    fields = rest.split("\t")[0].split()
    if kind == "T":
        head, tab, ent_text = rest.partition("\t")
        label, _, spec = head.partition(" ")
        if not tab or not label or not spec.strip():
            raise ValueError(f"{ann_id}: entity needs a label, spans and a text field")
        return Entity(ann_id, label, _parse_spans(ann_id, spec), ent_text)
    if kind == "E":
        if not fields:
            raise ValueError(f"{ann_id}: event has no trigger")
        args = _role_args(ann_id, fields)
        return Event(ann_id, args[0][0], args[0][1], args[1:])
    if kind == "R":
        if len(fields) != 3:
            raise ValueError(f"{ann_id}: relation needs a label and two arguments, got {len(fields)} fields")
        (r1, a1), (r2, a2) = _role_args(ann_id, fields[1:])
        return Relation(ann_id, fields[0], a1, a2, (r1, r2))
    if kind in "AM":
        if len(fields) not in (2, 3):
            raise ValueError(f"{ann_id}: attribute needs a name, a target and an optional value")
        return Attribute(ann_id, fields[0], fields[1], fields[2] if len(fields) == 3 else None)
    if kind == "*":
        if len(fields) < 2:
            raise ValueError("group needs a label and at least one member")
        return Group(fields[0], fields[1:])
    head, _, note_text = rest.partition("\t")
    fields = head.split()
    if kind == "N":
        if len(fields) != 3:
            raise ValueError(f"{ann_id}: normalisation needs a type, a target and a reference")
        return Note(ann_id, fields[0], fields[1], note_text, ref=fields[2])
    if len(fields) != 2:
        raise ValueError(f"{ann_id}: note needs a type and a target")
    return Note(ann_id, fields[0], fields[1], note_text)


def read_text(path: str | Path) -> str:
    """A ``.txt`` or ``.ann`` file as brat counts it: UTF-8, newlines untranslated."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8", newline="") as f:
            return f.read()
    except FileNotFoundError as e:
        raise InputError("no such file", where=str(p)) from e
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 (byte {e.start})", where=str(p)) from e
    except OSError as e:
        raise InputError(f"cannot open ({e.strerror or e})", where=str(p)) from e


def load_document(txt_path: str | Path, *, strict: bool = True) -> tuple[str, str, BratDocument]:
    """``(doc_id, text, annotations)`` for one ``.txt`` and the ``.ann`` beside it."""
    txt = Path(txt_path)
    ann = txt.with_suffix(".ann")
    return txt.stem, read_text(txt), read_ann(read_text(ann), source=str(ann), strict=strict)


def load_corpus(
    directory: str | Path, pattern: str = "*.txt", *, strict: bool = True
) -> Iterator[tuple[str, str, BratDocument]]:
    """Yield ``(doc_id, text, annotations)`` for every ``.txt`` matching ``pattern``, sorted by name.

    ``doc_id`` is the file stem (``NCT00050349_inc`` for Chia, ``NCT03860012``
    for LCT). A ``.txt`` without its ``.ann`` raises
    :class:`~extractor.errors.InputError`; ``strict`` is passed to
    :func:`read_ann` (Chia needs ``strict=False``: one orphan line).
    """
    root = Path(directory)
    if not root.is_dir():
        raise InputError("not a directory", where=str(root))
    for txt in sorted(root.glob(pattern)):
        if txt.suffix == ".txt":
            yield load_document(txt, strict=strict)
