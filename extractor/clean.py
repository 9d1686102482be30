"""Clean eligibility text while keeping a map back to the original characters.

What is undone: markdown escapes (``\\>5%``, ``Senl\\_B19``, ``\\[CT\\]``),
HTML entities (``&gt;=``, ``&#8805;``), CR/LF line ends, and odd unicode
(non-breaking and typographic spaces, zero-width characters, full-width
ASCII, typographic dashes and quotes, line/paragraph separators,
control characters). Signs that carry meaning are kept as they are
(``≥ ≤ × µ ⁹ ³``): later stages read them.

All replacements are found by one compiled regular expression, so the
cost is linear in the text and text with nothing to clean is returned
with an identity map at almost no cost.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from dataclasses import dataclass, field

# Characters that map to something else (or to nothing).
_CHAR_MAP: dict[str, str] = {
    "\r\n": "\n",
    "\r": "\n",
    "\u2028": "\n",  # line separator
    "\u2029": "\n",  # paragraph separator
    "\u0085": "\n",  # next line
    "\x0b": "\n",
    "\x0c": "\n",
    "\t": "    ",
    "\u00a0": " ",  # no-break space
    "\u1680": " ",
    "\u202f": " ",
    "\u205f": " ",
    "\u3000": " ",
    "\u200b": "",  # zero-width space
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",  # BOM / zero-width no-break space
    "\u00ad": "",  # soft hyphen
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",  # minus sign
    "\ufe63": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2264": "≤",  # kept: listed so the table documents it
    "\u2265": "≥",
    "\u2266": "≤",  # LESS-THAN OVER EQUAL TO
    "\u2267": "≥",
    "\u2a7d": "≤",  # slanted forms
    "\u2a7e": "≥",
    "\u03bc": "µ",  # Greek mu used as micro sign
    "\u2024": ".",
    "\u2044": "/",  # fraction slash
    "\u2215": "/",
}
for _i in range(0x2000, 0x200B):  # en quad .. hair space
    _CHAR_MAP[chr(_i)] = " "
for _i in range(0xFF01, 0xFF5F):  # full-width ASCII
    _CHAR_MAP[chr(_i)] = chr(_i - 0xFEE0)
for _i in (
    list(range(0x00, 0x09)) + list(range(0x0E, 0x20)) + [0x7F] + list(range(0x80, 0x85)) + list(range(0x86, 0xA0))
):  # C0/C1 controls other than tab and line ends
    _CHAR_MAP[chr(_i)] = ""

_MARKDOWN_ESCAPABLE = "\\`*_{}[]()<>#+-.!|~=^&$%'\"/:;,@?"

_PATTERN = re.compile(
    r"\r\n"
    r"|\\[" + re.escape(_MARKDOWN_ESCAPABLE) + r"]"
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
    r"|[" + re.escape("".join(k for k in _CHAR_MAP if len(k) == 1)) + r"]"
)


def _replace(match: str) -> str:
    if match[0] == "\\" and len(match) == 2:
        return match[1]
    if match[0] == "&" and len(match) > 2:
        decoded = html.unescape(match)
        if decoded == match:
            return match
        # An entity can decode to something that itself needs cleaning.
        return "".join(_CHAR_MAP.get(c, c) for c in decoded)
    return _CHAR_MAP.get(match, match)


@dataclass(slots=True)
class CleanText:
    """Cleaned text and a piecewise map from cleaned to original offsets.

    ``_clean_starts[k]``/``_raw_starts[k]`` open segment ``k``; inside an
    unchanged segment offsets move together, inside a replacement every
    cleaned character maps to the start of what it replaced.
    """

    text: str
    original: str
    _clean_starts: list[int] = field(default_factory=list)
    _raw_starts: list[int] = field(default_factory=list)
    _verbatim: list[bool] = field(default_factory=list)

    def to_original(self, index: int) -> int:
        """Offset in the original text of cleaned offset ``index`` (0..len(text))."""
        if not self._clean_starts:
            return index
        if index >= len(self.text):
            return len(self.original)
        k = bisect_right(self._clean_starts, index) - 1
        if k < 0:
            return index
        if self._verbatim[k]:
            return self._raw_starts[k] + (index - self._clean_starts[k])
        return self._raw_starts[k]

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original range covering the cleaned range ``[start, end)``."""
        if end <= start:
            pos = self.to_original(start)
            return pos, pos
        raw_start = self.to_original(start)
        last = end - 1
        if not self._clean_starts:
            return start, end
        k = bisect_right(self._clean_starts, last) - 1
        if k >= 0 and not self._verbatim[k]:
            # the last character came from a replacement: cover all of it
            nxt = self._raw_starts[k + 1] if k + 1 < len(self._raw_starts) else len(self.original)
            return raw_start, nxt
        return raw_start, self.to_original(last) + 1


def clean(text: str) -> CleanText:
    """Return the cleaned text with its offset map (see module doc)."""
    matches = list(_PATTERN.finditer(text))
    if not matches:
        return CleanText(text=text, original=text)
    parts: list[str] = []
    clean_starts: list[int] = []
    raw_starts: list[int] = []
    verbatim: list[bool] = []
    pos = 0
    out_len = 0
    for m in matches:
        start, end = m.span()
        if start > pos:
            clean_starts.append(out_len)
            raw_starts.append(pos)
            verbatim.append(True)
            parts.append(text[pos:start])
            out_len += start - pos
        repl = _replace(m.group())
        if repl == m.group():
            clean_starts.append(out_len)
            raw_starts.append(start)
            verbatim.append(True)
        else:
            clean_starts.append(out_len)
            raw_starts.append(start)
            verbatim.append(False)
        parts.append(repl)
        out_len += len(repl)
        pos = end
    if pos < len(text):
        clean_starts.append(out_len)
        raw_starts.append(pos)
        verbatim.append(True)
        parts.append(text[pos:])
    return CleanText(
        text="".join(parts),
        original=text,
        _clean_starts=clean_starts,
        _raw_starts=raw_starts,
        _verbatim=verbatim,
    )
