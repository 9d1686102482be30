"""Segment cleaned eligibility text into sections and a tree of nested criteria.

The algorithm works line by line and never backtracks, so its cost is
linear in the text:

1. Each line is classified: blank, heading (``Inclusion Criteria:``,
   ``DISEASE CHARACTERISTICS:``), list item (a marker such as ``1.``,
   ``a)``, ``(iv)``, ``-``, ``•``, ``o``) or plain text.
2. Plain text either continues the current criterion (a wrapped line), or
   belongs under a lead-in ending in ``:`` (one child per paragraph, split at
   top-level ``;``), or starts a new unmarked criterion.
3. Items are placed with a stack of open list levels. A level is a list
   style (``1.`` differs from ``1)`` and from ``-``) at an indentation. An
   item joins the innermost open level of its own style whose numbering it
   continues (``6.`` after ``5.``), or whose indentation it shares; numbering
   that restarts at 1 under a lead-in opens a child list even in flat text
   with no indentation (the showcase's "5. ... following must be met: 1.
   Relapse 2. Refractory 6. ...").
4. Each parent's ``combine`` comes from cues in its own text (``at least one
   of the following`` -> ``any``, ``two or more of`` -> ``n_of``) or from
   its children joined by "or".

Every non-blank character ends up in a criterion's span, a list marker or
a heading: :func:`uncovered` measures that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import SegmentationError
from .model import Criterion, Heading
from .rules import CombineCue, HeadingRule, combine_cues, heading_rules

MAX_DEPTH = 40
"""Deeper list nesting than this is reported as an error, not silently flattened."""


_BULLETS = "-*•·▪◦●○■□➢►‣⁃∙➤✓✔❖♦◆\uf0b7\uf0a7\uf0d8\uf076\uf0fc\uf0a8"
_MARKER = re.compile(
    r"(?P<bullet>[" + re.escape(_BULLETS) + r"]+|o(?=[ \t]))(?=[ \t]|(?![\d.,]))"
    r"|(?P<dotted>\d{1,2}(?:\.\d{1,2}){1,3})\.?(?=[ \t]+[A-Z(\"'])"
    r"|\((?P<pord>\d{1,3}|[a-zA-Z]|[ivxIVX]{1,6})\)"
    r"|(?P<nord>\d{1,3})(?P<nsep>\.\)|[.)\]])(?![\d])"
    r"|(?P<aord>[a-zA-Z]|[ivxIVX]{2,6})(?P<asep>[.)\]])(?=[ \t]|$)"
)
_MARKER_FIRST = frozenset(_BULLETS + "(o")
_ROMAN = {"i": 1, "v": 5, "x": 10}
_CONNECTOR_END = re.compile(
    r"(?:[,(/&+\-–]|\b(?:and|or|of|with|without|to|than|the|a|an|in|for|by|at|on|as|from|"
    r"including|include|includes|e\.g\.|i\.e\.|such|who|which|that|is|are|be|have|has|not|no|"
    r"per|within|after|before|prior|least|more|less|greater|following|both|either))\s*$",
    re.IGNORECASE,
)
_WINDOW_WORDS = re.compile(r"\bwithin\b|\bprior\s+to\b|\bsince\b|\d+\s*(?:hours?|days?|weeks?|months?|years?)\b", re.I)
_LEADIN_END = re.compile(
    r"(?::|\b(?:the\s+following|as\s+follows|following\s+criteria|below|either|any\s+of)\s*[.:]?)\s*$",
    re.IGNORECASE,
)
_NON_SPACE = re.compile(r"\S+")
_HEADING_WORDS = re.compile(r"inclusion|exclusion|eligib|characteristics|therap|entry", re.IGNORECASE)
_OR_END = re.compile(r"(?:\bor|\band/or)\s*[.,;:]?\s*$", re.IGNORECASE)
_ANY_CUE = re.compile(r"\b(?:at\s+least\s+(?:one|1)|one\s+of|either|any\s+of)\b", re.IGNORECASE)
_AND_END = re.compile(r"\band\s*[.,;:]?\s*$", re.IGNORECASE)
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _roman_value(s: str) -> int | None:
    s = s.lower()
    if not s or any(c not in _ROMAN for c in s):
        return None
    total = 0
    for i, c in enumerate(s):
        v = _ROMAN[c]
        total += -v if i + 1 < len(s) and _ROMAN[s[i + 1]] > v else v
    return total if 0 < total < 40 else None


@dataclass(slots=True)
class Marker:
    style: tuple[str, ...]
    ordinal: int | None
    start: int
    end: int
    content_start: int
    alt: tuple[tuple[str, ...], int] | None = None
    """A second reading (``i.`` may be the letter i or roman one)."""


@dataclass(slots=True)
class Line:
    number: int
    start: int
    end: int
    """Offset after the last non-space character."""
    text_start: int
    indent: int
    marker: Marker | None


def _parse_marker(text: str, pos: int, end: int) -> Marker | None:
    m = _MARKER.match(text, pos, end)
    if not m:
        return None
    content = m.end()
    while content < end and text[content] in " \t":
        content += 1
    if content >= end and m.group("bullet"):
        # A bullet alone on its line is text (e.g. a "-" divider); a numbered
        # label alone on its line is a label whose text follows.
        return None
    if m.group("bullet"):
        b = m.group("bullet")
        return Marker(("bullet", b[0] * min(len(b), 2)), None, m.start(), m.end(), content)
    if m.group("dotted"):
        parts = m.group("dotted").split(".")
        return Marker(("dotted", str(len(parts))), int(parts[-1]), m.start(), m.end(), content)
    if m.group("pord") is not None:
        o = m.group("pord")
        return _ordinal_marker(o, "(", m.start(), m.end(), content)
    if m.group("nord") is not None:
        return Marker(("num", m.group("nsep")), int(m.group("nord")), m.start(), m.end(), content)
    o = m.group("aord")
    return _ordinal_marker(o, m.group("asep"), m.start(), m.end(), content)


def _ordinal_marker(o: str, sep: str, start: int, end: int, content: int) -> Marker:
    if o.isdigit():
        return Marker(("num", sep), int(o), start, end, content)
    case = "lower" if o.islower() else "upper"
    roman = _roman_value(o)
    if len(o) == 1:
        letter = ord(o.lower()) - ord("a") + 1
        if roman is not None:
            # "i." is roman one unless it continues a letter list (resolved when placed).
            return Marker(("roman", case, sep), roman, start, end, content, alt=(("alpha", case, sep), letter))
        return Marker(("alpha", case, sep), letter, start, end, content)
    return Marker(("roman", case, sep), roman, start, end, content)


def split_lines(text: str) -> list[Line]:
    """Classify every line of ``text`` (blank lines included, with ``end == text_start``)."""
    lines: list[Line] = []
    pos = 0
    raws = text.split("\n")
    if raws[-1] == "":
        raws.pop()  # the text's final newline ends the last line; it opens no new one
    for number, raw in enumerate(raws, 1):
        start = pos
        pos += len(raw) + 1
        left = raw.lstrip(" \t")
        if not left:
            lines.append(Line(number, start, start, start, 0, None))
            continue
        indent = len(raw) - len(left)
        s = start + indent
        e = start + len(raw.rstrip(" \t"))
        # the marker regex only runs where a marker could start
        c = left[0]
        maybe = c.isdigit() or c in _MARKER_FIRST or (len(left) > 1 and left[1] in ".)]") or c in "ivxIVX"
        marker = _parse_marker(text, s, e) if maybe else None
        lines.append(Line(number, start, e, s, indent, marker))
    return lines


def _is_first(ordinal: int | None) -> bool:
    return ordinal in (0, 1)


@dataclass(slots=True)
class _Node:
    crit: Criterion
    style: tuple[str, ...]
    indent: int
    last_line_start: int
    last_line_end: int
    leadin_para: bool = False
    """An unmarked paragraph that introduces a list (``Hematopoietic:``)."""
    children_nodes: list[_Node] = field(default_factory=list)


@dataclass(slots=True)
class _Level:
    style: tuple[str, ...] | None
    indent: int
    parent: _Node | None
    nodes: list[_Node]
    last: int | None = None
    leadin: bool = False
    para_indents: list[int] = field(default_factory=list)
    """Indentations of unmarked paragraphs that joined this list as siblings."""


_PARA: tuple[str, ...] = ("para",)


class _Builder:
    def __init__(
        self,
        text: str,
        headings: tuple[HeadingRule, ...],
        cues: tuple[CombineCue, ...],
        max_depth: int,
    ) -> None:
        self.text = text
        self.rules = headings
        self.any_heading = _any_of(headings)
        self.cues = cues
        self.max_depth = max_depth
        self.section = "unspecified"
        self.heading_text: str | None = None
        self.sections: dict[str, list[_Node]] = {}
        self.headings: list[Heading] = []
        self.stack: list[_Level] = []
        self.current: _Node | None = None
        self.blank_since = False
        self.line_per_item = _line_per_item(text)
        self.wrap_width = _wrap_width(text, strict=self.line_per_item)
        self._reset()

    # -- levels ---------------------------------------------------------
    def _reset(self) -> None:
        self.stack = [_Level(None, -1, None, self.sections.setdefault(self.section, []))]
        self.current = None

    def _new_node(self, line: Line, style: tuple[str, ...], start: int, marker: Marker | None) -> _Node:
        crit = Criterion(
            id="",
            section=self.section,
            text="",
            span=(start, line.end),
            label=self.text[marker.start : marker.end] if marker else None,
            label_span=(marker.start, marker.end) if marker else None,
            heading=self.heading_text,
        )
        return _Node(crit, style, line.indent, line.start, line.end)

    def _append(self, level: _Level, node: _Node, ordinal: int | None) -> None:
        if level.parent is None:
            level.nodes.append(node)
        else:
            level.parent.children_nodes.append(node)
        level.last = ordinal
        self.current = node

    def _last_node(self, level: _Level) -> _Node | None:
        if level.parent is None:
            # the root level's nodes list is shared by every root of the section
            return level.nodes[-1] if level.nodes and level.style is not None else None
        return level.parent.children_nodes[-1] if level.parent.children_nodes else None

    def _push_child(
        self, parent: _Node, style: tuple[str, ...], indent: int, line: Line, leadin: bool = False
    ) -> _Level:
        if len(self.stack) > self.max_depth:
            raise SegmentationError(f"list nesting deeper than {self.max_depth} levels", where=f"line {line.number}")
        level = _Level(style, indent, parent, [], leadin=leadin)
        self.stack.append(level)
        return level

    # -- classification -----------------------------------------------
    def _heading(self, line: Line, content_start: int, marked: bool = False) -> tuple[HeadingRule, int, int] | None:
        """Return (rule, heading_end, rest_start) when the line is a heading."""
        text = self.text
        s, e = content_start, line.end
        if e - s > 250 or not self.any_heading.match(text, s, e):
            return None  # one C-level match rejects the ordinary line
        for rule in self.rules:
            m = rule.pattern.match(text, s, e)
            if not m:
                continue
            h_end = m.end()
            tail = text[h_end:e]
            stripped = tail.lstrip(" \t-–")
            if not stripped:
                return rule, e, e
            if marked and not _HEADING_WORDS.search(m.group()):
                continue  # "1. Patients must have all of the following:" is a lead-in item
            colon = tail.find(":")
            qualifier = tail[:colon] if colon >= 0 else tail
            if rule.kind == "subheading" and qualifier.strip(" \t-–"):
                rest = h_end + len(tail) - len(tail.lstrip())
                if text[h_end - 1] == ":" and self._heading(line, rest) is not None:
                    return rule, h_end, rest  # "Risk Behavior: Excluded:": a heading on a heading
                continue  # "Prior therapy with:" is not the PDQ heading "PRIOR THERAPY:"
            if _WINDOW_WORDS.search(qualifier):
                continue  # "Excluded within 1 month prior to study entry:" is a lead-in with content
            # "Inclusion Criteria - Patient:", "INCLUSION CRITERIA (Phase 2):", "Exclusion criteria - Donor"
            if (
                len(qualifier) <= 60
                and not re.search(r"[.;!?]", qualifier)
                and (colon >= 0 or qualifier.lstrip()[:1] in ("-", "–", "(", ",") or not qualifier.strip())
                and (colon >= 0 or len(qualifier) <= 40)
            ):
                h_end = h_end + colon + 1 if colon >= 0 else e
                rest = h_end
                while rest < e and text[rest] in " \t":
                    rest += 1
                return rule, h_end, rest
            if text[h_end - 1] == ":":
                return rule, h_end, h_end
        return None

    def _is_leadin(self, node: _Node) -> bool:
        s, e = node.crit.span or (0, 0)
        if e <= s:
            return False
        return self._ends_like_leadin(s, e)

    def _ends_like_leadin(self, start: int, end: int) -> bool:
        """Does ``text[start:end]`` end like a lead-in ("...the following:", "...as follows")?"""
        return bool(_LEADIN_END.search(self.text, max(start, end - 60), end))

    def _continues(self, node: _Node, line: Line) -> bool:
        """Is ``line`` (no blank line before it) a wrapped continuation of ``node``?"""
        text = self.text
        if line.indent > node.indent:
            return True
        c = text[line.text_start]
        if c in ",;)]/&%" or (c.islower() and (self.wrap_width or not self.line_per_item)):
            # a lower-case start continues a hard-wrapped line; in a list of one criterion per line
            # (Chia's "Not pregnant" / "dysautonomia" / "renal failure") it starts the next one
            return True
        prev = text[node.last_line_start : node.last_line_end]
        if _CONNECTOR_END.search(prev[-25:]):
            return True
        if self.line_per_item and c.isupper() and re.search(r"[.;:]\s*$", prev):
            return False  # a sentence ended with its line, and a capital starts the next: a new criterion
        if self.wrap_width:
            word_end = line.text_start
            while word_end < line.end and not text[word_end].isspace():
                word_end += 1
            if len(prev) + 1 + (word_end - line.text_start) > self.wrap_width:
                return True
        return False

    # -- placement ------------------------------------------------------
    def _place_item(self, line: Line, marker: Marker) -> None:
        readings = [(marker.style, marker.ordinal)]
        if marker.alt:
            readings.append(marker.alt)
        indent = line.indent
        cur = self.current
        if (
            cur is not None
            and cur.style == _PARA
            and cur.leadin_para
            and not cur.children_nodes
            and indent >= cur.indent
            and self.text[cur.last_line_start : cur.last_line_end].rstrip().endswith(":")
        ):
            # "A history of:" then "- type 1 diabetes ..." at the list's own indentation: the items are its
            for k in range(len(self.stack) - 1, -1, -1):
                if self._last_node(self.stack[k]) is cur or (self.stack[k].nodes and self.stack[k].nodes[-1] is cur):
                    del self.stack[k + 1 :]
                    level = self._push_child(cur, marker.style, indent, line, leadin=True)
                    self._add(level, line, marker.style, marker.ordinal, marker)
                    return
        # 1. join an open level of the same style: first one whose numbering
        #    this item continues (6. after 5.), then one at the same indentation
        for exact in (True, False):
            for k in range(len(self.stack) - 1, -1, -1):
                level = self.stack[k]
                # a second reading ("i." as the letter i) only counts when it continues a list
                for style, ordinal in readings if exact else readings[:1]:
                    if level.style != style:
                        continue
                    if exact:
                        fits = (
                            ordinal is not None
                            and level.last is not None
                            and ordinal == level.last + 1
                            and abs(level.indent - indent) <= 2
                        )
                    elif ordinal is None:
                        fits = abs(level.indent - indent) <= 1
                    else:
                        fits = (
                            abs(level.indent - indent) <= 1
                            and not _is_first(ordinal)
                            and (level.last is None or ordinal > level.last)
                        )
                    if fits:
                        del self.stack[k + 1 :]
                        self._add(level, line, style, ordinal, marker)
                        return
        # 2. shallower than open levels: close them
        while len(self.stack) > 1 and self.stack[-1].indent > indent + 1:
            self.stack.pop()
        top = self.stack[-1]
        style, ordinal = readings[0]
        if marker.alt and not _is_first(marker.ordinal):
            style, ordinal = marker.alt
        if top.style is None:
            top.style, top.indent = style, indent
            self._add(top, line, style, ordinal, marker)
            return
        last = self._last_node(top)
        if last is None:
            self._add(top, line, style, ordinal, marker)
            return
        if _is_first(ordinal) and top.style == style and abs(top.indent - indent) <= 1 and not self._is_leadin(last):
            # numbering restarts in the same list: a new run of siblings
            self._add(top, line, style, ordinal, marker)
            return
        if indent < top.indent - 1 and len(self.stack) == 1:
            self._add(top, line, style, ordinal, marker)
            return
        level = self._push_child(last, style, indent, line)
        self._add(level, line, style, ordinal, marker)

    def _add(
        self, level: _Level, line: Line, style: tuple[str, ...], ordinal: int | None, marker: Marker | None
    ) -> None:
        start = marker.content_start if marker else line.text_start
        node = self._new_node(line, style, start, marker)
        if marker and marker.content_start >= line.end:
            node.crit.span = (line.end, line.end)  # label alone on its line; text may follow
        self._append(level, node, ordinal)

    def _place_para(self, line: Line, start: int | None = None) -> None:
        indent = line.indent
        text_start = line.text_start if start is None else start
        node_text_leadin = self._ends_like_leadin(text_start, line.end)
        for k in range(len(self.stack) - 1, -1, -1):
            level = self.stack[k]
            if not (level.style == _PARA and abs(level.indent - indent) <= 1) and not any(
                abs(i - indent) <= 1 for i in level.para_indents
            ):
                continue
            if node_text_leadin and level.leadin and level.parent is not None and level.parent.leadin_para:
                continue  # "Hepatic:" after "Hematopoietic:"'s children: a sibling of the lead-in
            del self.stack[k + 1 :]
            self._add_para(level, line, text_start)
            return
        while len(self.stack) > 1 and self.stack[-1].indent > indent + 1:
            self.stack.pop()
        top = self.stack[-1]
        if top.style is None:
            top.style, top.indent = _PARA, indent
            self._add_para(top, line, text_start)
            return
        last = self._last_node(top)
        if last is None or top.indent >= indent - 1:
            self._add_para(top, line, text_start)
            return
        level = self._push_child(last, _PARA, indent, line)
        self._add_para(level, line, text_start)

    def _add_para(self, level: _Level, line: Line, start: int) -> None:
        same = level.style == _PARA and abs(level.indent - line.indent) <= 1
        if not same and line.indent not in level.para_indents:
            level.para_indents.append(line.indent)
        node = _Node(
            Criterion(id="", section=self.section, text="", span=(start, line.end), heading=self.heading_text),
            _PARA,
            line.indent,
            line.start,
            line.end,
        )
        node.leadin_para = self._ends_like_leadin(start, line.end)
        self._append(level, node, None)

    def _extend(self, node: _Node, line: Line) -> None:
        s = node.crit.span[0] if node.crit.span else line.text_start
        if node.crit.span and node.crit.span[0] == node.crit.span[1]:
            s = line.text_start  # a label alone on its line: the text starts here
        node.crit.span = (s, line.end)
        node.last_line_start, node.last_line_end = line.start, line.end
        if node.style == _PARA:
            node.leadin_para = self._is_leadin(node)

    # -- main loop --------------------------------------------------------
    def run(self, lines: list[Line]) -> None:
        text = self.text
        for line in lines:
            if line.text_start >= line.end:
                self.blank_since = True
                continue
            cur = self.current
            wrapped = cur is not None and not self.blank_since and self._continues(cur, line)
            heading = None
            if line.end - line.text_start <= 250:
                heading = self._heading(line, line.text_start)
                if heading is None and line.marker is not None:
                    heading = self._heading(line, line.marker.content_start, marked=True)
                if heading is not None and wrapped and text[heading[1] - 1] != ":":
                    heading = None
            if heading is not None:
                self._on_heading(line, *heading)
                self.blank_since = False
                continue
            marker = line.marker
            if marker is not None and not self._accept_marker(marker, line, cur, wrapped):
                marker = None
            if marker is not None:
                self._place_item(line, marker)
            elif cur is not None and not self.blank_since and wrapped:
                self._extend(cur, line)
            elif cur is not None and self.blank_since and self._under(cur, line):
                pass
            else:
                self._place_para(line)
            self.blank_since = False

    def _accept_marker(self, marker: Marker, line: Line, cur: _Node | None, wrapped: bool) -> bool:
        if marker.ordinal is None or cur is None or self.blank_since or not wrapped:
            return True
        if line.indent <= cur.indent:
            return True
        # a wrapped line that happens to start with "E. coli" or "2. courses":
        # accept it as a marker only when it continues or starts a list
        for level in self.stack:
            if level.style == marker.style and level.last is not None and marker.ordinal == level.last + 1:
                return True
        return _is_first(marker.ordinal) and self._is_leadin(cur)

    def _under(self, cur: _Node, line: Line) -> bool:
        """Handle a plain paragraph after a blank line when it belongs to ``cur``."""
        if not cur.children_nodes and self._is_leadin(cur):
            level = self._push_child(cur, _PARA, line.indent, line, leadin=True)
            self._add_para(level, line, line.text_start)
            return True
        if cur.style != _PARA and line.indent > cur.indent:
            # indented under a list item: more of its text when the item's sentence
            # runs on, else a new paragraph (registry XML keeps a list's
            # indentation for the text that follows the list)
            s, e = cur.crit.span or (0, 0)
            first = self.text[line.text_start]
            if e > s and (first.islower() or _CONNECTOR_END.search(self.text, max(s, e - 25), e)):
                if not cur.children_nodes:
                    self._extend(cur, line)
                else:
                    level = self._push_child(cur, _PARA, line.indent, line)
                    self._add_para(level, line, line.text_start)
                return True
            del self.stack[1:]
            root = self.stack[0]
            if root.style is None:
                root.style, root.indent = _PARA, line.indent
            self._add_para(root, line, line.text_start)
            return True
        return False

    def _on_heading(self, line: Line, rule: HeadingRule, h_end: int, rest: int) -> None:
        start = line.marker.start if (line.marker and line.marker.start == line.text_start) else line.text_start
        heading_text = self.text[start:h_end]
        if rule.kind == "section" or self.section == "unspecified":
            self.section = rule.section
        self.heading_text = " ".join(heading_text.strip(" :-–").split())
        self.headings.append(Heading(heading_text, (start, h_end), self.section, rule.kind))
        self._reset()
        if rest < line.end:
            nested = self._heading(line, rest)
            if nested is not None and nested[0].kind == "section" and rule.kind == "subheading":
                self.section = nested[0].section  # "Risk Behavior: Excluded:"
                self.headings[-1].section = self.section
                self._reset()
            if nested is not None and (nested[0].section == rule.section or rule.kind == "subheading"):
                self.headings[-1].span = (start, nested[1])
                self.headings[-1].text = self.text[start : nested[1]]
                rest = nested[2]
            if rest < line.end:
                self._place_para(line, start=rest)

    # -- finishing ----------------------------------------------------------
    def split_semicolons(self) -> None:
        """Split each lead-in's plain-paragraph children at top-level ``;``."""
        for nodes in self.sections.values():
            stack = list(nodes)
            while stack:
                node = stack.pop()
                if node.children_nodes and any(c.style == _PARA for c in node.children_nodes):
                    new_children: list[_Node] = []
                    for child in node.children_nodes:
                        if child.style == _PARA and not child.children_nodes:
                            new_children.extend(self._split_node(child))
                        else:
                            new_children.append(child)
                    node.children_nodes = new_children
                stack.extend(node.children_nodes)

    def _tail(self, node: _Node) -> str:
        end = node.crit.span[1] if node.crit.span else 0
        return self.text[max(0, end - 12) : end]

    def close_or_groups(self) -> None:
        """End an "at least one of (below):" group where its chain of "... OR" items ends.

        "Diagnosis, and at least 1 MAJOR criterion (below): - A OR - B - C - D": A and B are the
        alternatives; C and D are criteria of their own that only followed at the same indentation.
        """
        for nodes in self.sections.values():
            stack: list[tuple[list[_Node], int]] = [(nodes, i) for i in range(len(nodes))]
            while stack:
                siblings, i = stack.pop()
                node = siblings[i]
                kids = node.children_nodes
                s, e = node.crit.span or (0, 0)
                if len(kids) >= 3 and self._ends_like_leadin(s, e) and _ANY_CUE.search(self.text, s, e):
                    k = 0
                    while k < len(kids) - 1 and _OR_END.search(self._tail(kids[k])):
                        k += 1
                    if 1 <= k < len(kids) - 1:
                        rest = kids[k + 1 :]
                        node.children_nodes = kids[: k + 1]
                        siblings[i + 1 : i + 1] = rest
                stack.extend((node.children_nodes, j) for j in range(len(node.children_nodes)))

    def _split_node(self, node: _Node) -> list[_Node]:
        s, e = node.crit.span or (0, 0)
        pieces = _split_top_level(self.text, s, e, ";")
        if len(pieces) < 2:
            return [node]
        out = []
        for ps, pe in pieces:
            crit = Criterion(id="", section=node.crit.section, text="", span=(ps, pe), heading=node.crit.heading)
            out.append(_Node(crit, _PARA, node.indent, ps, pe))
        return out


def _split_top_level(text: str, start: int, end: int, sep: str) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` at ``sep`` outside brackets; trimmed pieces, separators kept on the left."""
    pieces: list[tuple[int, int]] = []
    depth = 0
    piece = start
    for i in range(start, end):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif c == sep and depth == 0:
            pieces.append((piece, i + 1))
            piece = i + 1
    pieces.append((piece, end))
    trimmed = []
    for a, b in pieces:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            trimmed.append((a, b))
    # a trailing lone ";" must not make a one-item "split"
    if len(trimmed) >= 2 and all(b - a <= 1 for a, b in trimmed[1:]):
        return [(trimmed[0][0], trimmed[-1][1])]
    # only split real lists: every piece must carry some words
    if len(trimmed) >= 2 and any(b - a < 3 for a, b in trimmed):
        return [(trimmed[0][0], trimmed[-1][1])]
    return trimmed


@lru_cache(maxsize=8)
def _any_of(rules: tuple[HeadingRule, ...]) -> re.Pattern[str]:
    """One pattern that matches where any heading rule could."""
    return re.compile("|".join(f"(?:{r.pattern.pattern})" for r in rules), re.IGNORECASE)


def _line_per_item(text: str) -> bool:
    """Is this a list of one criterion per line: several lines, no blank lines between them, no list
    markers, and not hard-wrapped (Chia's texts, some registry exports)?"""
    lines = [line for line in text.split("\n") if line.strip()]
    # two lines are two criteria when the first stops far short of any wrapping width
    # (Chia's "Inadequate bone marrow reserve" / "history of poorly controlled hypertension")
    too_few = len(lines) < 2 or (len(lines) == 2 and len(lines[0].strip()) >= 50)
    if too_few or re.search(r"\n[ \t\r]*\n", text.strip()):
        return False
    return not any(re.match(r"\s*(?:[-•*·]|\d{1,2}[.)]|[a-z][.)])\s", line) for line in lines)


def _wrap_width(text: str, strict: bool = False) -> int | None:
    """The column text was hard-wrapped at, if it looks hard-wrapped (registry XML is).

    ``strict`` for text that otherwise reads as one criterion per line: a few long lines among short
    ones are long criteria, not wrapping (Chia's "contraindication for any medication or substance used
    in survey protocol" beside "ASA IV-V"); half the lines must reach the width."""
    widths = [len(line.rstrip()) for line in text.split("\n")]
    widths = [w for w in widths if w]
    if len(widths) < 4:
        return None
    w = max(widths)
    if w < 50 or w > 200:
        return None
    near = sum(1 for x in widths if x >= w - 12)
    return w if near * (2 if strict else 4) >= len(widths) else None


def combine_for(
    text: str, children_texts: list[str], cues: tuple[CombineCue, ...], default: str = "all"
) -> tuple[str, int | None]:
    """Decide how a node's children join, from its own text, else from the children, else ``default``.

    The default is ``any`` for exclusion criteria: the items under an exclusion's lead-in ("A history
    of:", "Inadequate organ function:") are each a reason to exclude.
    """
    best: tuple[int, str, int | None] | None = None
    for cue in cues:
        for m in cue.pattern.finditer(text):
            n: int | None = None
            if cue.combine == "n_of":
                raw = m.group("n").lower()
                n = _NUMBER_WORDS.get(raw) or int(raw)
            if best is None or m.end() > best[0]:
                best = (m.end(), cue.combine, n)
    if best is not None:
        return best[1], best[2]
    if len(children_texts) >= 2:
        heads = children_texts[:-1]
        if all(_OR_END.search(t[-12:]) for t in heads):
            return "any", None
        if all(_AND_END.search(t[-12:]) for t in heads):
            return "all", None
    return default, None


def segment(
    text: str,
    *,
    headings: tuple[HeadingRule, ...] | None = None,
    cues: tuple[CombineCue, ...] | None = None,
    max_depth: int = MAX_DEPTH,
) -> tuple[list[Criterion], list[Heading]]:
    """Segment cleaned eligibility ``text`` into criteria (with ids) and headings."""
    headings = heading_rules() if headings is None else headings
    cues = combine_cues() if cues is None else cues
    builder = _Builder(text, headings, cues, max_depth)
    builder.run(split_lines(text))
    builder.split_semicolons()
    builder.close_or_groups()
    roots: list[Criterion] = []
    # source order of roots across sections; ids per section
    all_roots: list[tuple[int, str, _Node]] = []
    for section, nodes in builder.sections.items():
        for node in nodes:
            all_roots.append(((node.crit.span or (0, 0))[0], section, node))
    all_roots.sort(key=lambda t: t[0])
    counters: dict[str, int] = {}
    for _, section, node in all_roots:
        counters[section] = counters.get(section, 0) + 1
        roots.append(_finish(text, node, f"{section}/{counters[section]}", cues))
    return roots, builder.headings


def _finish(text: str, root: _Node, root_id: str, cues: tuple[CombineCue, ...]) -> Criterion:
    """Assign ids, texts and combine iteratively (deep trees must not hit the recursion limit)."""
    root.crit.id = root_id
    order: list[_Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        for i, child in enumerate(node.children_nodes, 1):
            child.crit.id = f"{node.crit.id}/{i}"
        stack.extend(node.children_nodes)
    for node in reversed(order):  # children before parents
        crit = node.crit
        s, e = crit.span or (0, 0)
        crit.text = text[s:e]
        crit.children = [c.crit for c in node.children_nodes]
        if crit.children:
            crit.combine, crit.n = combine_for(
                crit.text,
                [c.text for c in crit.children],
                cues,
                default="any" if crit.section == "exclusion" else "all",
            )
    return root.crit


def uncovered(text: str, criteria: list[Criterion], headings: list[Heading]) -> list[tuple[int, int]]:
    """Ranges of non-whitespace characters that belong to no criterion, marker or heading."""
    covered = bytearray(len(text))
    spans: list[tuple[int, int]] = [h.span for h in headings]
    stack = list(criteria)
    while stack:
        node = stack.pop()
        if node.span:
            spans.append(node.span)
        if node.label_span:
            spans.append(node.label_span)
        stack.extend(node.children)
    for s, e in spans:
        covered[s:e] = b"\x01" * (e - s)
    out: list[tuple[int, int]] = []
    for m in _NON_SPACE.finditer(text):
        s, e = m.span()
        if covered.find(0, s, e) < 0:
            continue
        i = s
        while i < e:  # report the uncovered runs inside this word
            if covered[i]:
                i += 1
                continue
            j = i
            while j < e and not covered[j]:
                j += 1
            if out and out[-1][1] == i:
                out[-1] = (out[-1][0], j)
            else:
                out.append((i, j))
            i = j
    return out
