"""Where exceptions and conditions reach in a criterion's text (plain functions).

``exception_scopes`` finds what an "except ..." carves out: from the cue to the
end of its clause (a ``;``, the closing bracket of a bracketed exception, a
sentence end, or a comma that opens a new clause). ``condition_prefix`` finds
the "For patients with Ph+ ALL, ..." or "If ..., then ..." part that makes a
criterion an implication.
"""

from __future__ import annotations

import re

_EXCEPT = r"except(?:\s+for|\s+in)?|other\s+than|excluding|with\s+the\s+exception\s+of|apart\s+from"
"""The cues that can also introduce a list of exceptions ("except for the following:")."""
EXCEPTION_CUE = re.compile(
    r"\b(?:" + _EXCEPT + r"|aside\s+from|"
    r"unless|save\s+for|besides|exceptions?\s+(?:for|to\s+the\s+above)|with\s+exception\s+of|"
    r"another\s+\w+\s+than)\b",
    re.IGNORECASE,
)
_LIST_EXCEPTION = re.compile(
    r"\b(?:" + _EXCEPT + r")\s+"
    r"(?:the\s+following|those\s+(?:listed\s+)?below|the\s+cases?\s+below)[^:]*:?\s*$",
    re.IGNORECASE,
)
_NEW_CLAUSE_AFTER_COMMA = re.compile(
    r",\s+(?:the|this|these|which|who|whose|that|if|and\s+the|or\s+the|it|they|he|she|patients?|subjects?)\b",
    re.IGNORECASE,
)
_SCOPE_STOP = re.compile(
    r"\s(?:known\s+to|that|which|who|whose|where|when|can|could|is|are|was|were|has|have|requiring|"
    r"associated\s+with|causing|affecting|"
    # "other than the study vaccine(s) within 30 days prior to the first vaccination": the window is the head's
    r"within|prior\s+to|before)\b|\s*\((?:i\.e\.|e\.g\.|such\s+as|including)"
    # "diagnosis other than schizophrenia, including schizoaffective disorder, ...": the examples are the head's
    r"|,\s*(?:including|such\s+as|e\.g\.)",
    re.IGNORECASE,
)
# a criterion run on into the next, its line break lost: "other than hyperglycemia ... and glycosuria at visit 1
# Treatment with any oral anti-diabetic other than metformin" (capitalised opener mid-sentence: case matters)
_RUN_ON = re.compile(
    r"(?<=[a-z0-9])\s+(?=(?:Treatment|Therapy|History|Use|Presence|Patients|Subjects|Participants|Women|Men)"
    r"\s+(?:with|of|on|who|whose)\b)"
)
_CONDITION = re.compile(
    r"^\W*(?:(?:for|in)\s+(?:patients|subjects|participants|those|women|men|females|males|children|individuals)"
    r"\s+(?:with|who|whose|of|receiving|undergoing|on)\b[^,;:]{2,160}?,"
    r"|if\s+[^,;:]{2,160}?,(?:\s*then\b)?)",
    re.IGNORECASE,
)


# "With an indication for cardioversion in the case of persistent AF": the case the criterion is written for
_CONDITION_AFTER = re.compile(
    r"\S\s*,?\s+(?P<cond>in\s+(?:the\s+)?case\s+of\s+[^,;:.()]{2,80}?)\s*[.;]?\s*$", re.IGNORECASE
)
_PERMISSION = re.compile(
    r"\b(?:participants?|patients?|subjects?|those|individuals?|women|men)\s+"
    r"(?:who\s+(?:have\s+taken|have\s+had|have|had|are|were|take|took)|with|taking|tolerating|receiving|on)\s+"
    r"(?P<x>[^.;()]{2,150}?)\s+(?:are|is|will)\s+(?:not\s+(?:be\s+)?excluded|(?:be\s+)?(?:allowed|permitted|eligible))"
    r"|\(\s*(?P<y>[^().;]{2,80}?)\s+(?:is|are)\s+(?:allowed|permitted|acceptable)\W{0,2}\)",
    re.IGNORECASE,
)


def permission_scopes(text: str) -> list[tuple[int, int]]:
    """What a criterion says is not excluded after all: "Participants who have asthma, atopic dermatitis,
    or rhinitis are not excluded", "(expanded access drugs are acceptable)"."""
    out = []
    for m in _PERMISSION.finditer(text):
        group = "x" if m.group("x") is not None else "y"
        out.append((m.start(group), m.end(group)))
    return out


def exception_scopes(text: str) -> list[tuple[int, int]]:
    """Character ranges carved out by inline exceptions ("except for alopecia and pigmentation"),
    and by permissions (:func:`permission_scopes`)."""
    scopes: list[tuple[int, int]] = []
    for cue in EXCEPTION_CUE.finditer(text):
        start = cue.start()
        if scopes and start < scopes[-1][1]:
            continue
        in_brackets = text.rfind("(", 0, start) > text.rfind(")", 0, start)
        end = len(text)
        for stop in (text.find(";", cue.end()), text.find(")", cue.end()) if in_brackets else -1):
            if stop != -1:
                end = min(end, stop)
        sentence = re.search(r"\.(?:\s|$)", text[cue.end() :])
        if sentence:
            end = min(end, cue.end() + sentence.start())
        comma = _NEW_CLAUSE_AFTER_COMMA.search(text, cue.end(), end)
        if comma:
            end = comma.start()
        clause = _SCOPE_STOP.search(text, cue.end(), end)
        if clause:
            end = clause.start()  # "other than T1D known to affect bone health (i.e., ...)"
        run_on = _RUN_ON.search(text, cue.end(), end)
        if run_on:
            end = run_on.start()
        while end > cue.end() and text[end - 1] in " \t\n,":
            end -= 1
        if end > cue.end():
            scopes.append((start, end))
    for s, e in permission_scopes(text):
        if not any(a < e and s < b for a, b in scopes):
            scopes.append((s, e))
    return sorted(scopes)


def is_exception_list(text: str) -> bool:
    """Does this lead-in introduce a list of exceptions ("..., except for the following:")?"""
    return bool(_LIST_EXCEPTION.search(text))


_WHOSE = re.compile(
    r"^\W*(?:patients|subjects|participants|those|women|men|individuals)\s+"
    r"(?P<cond>(?:whose|who\s+(?:have|are|had)|with)\s+[^,;:.]{2,160}?)"
    r"(?:\s*,)?\s+(?:must|should|will\s+need\s+to|need\s+to|are\s+(?:eligible|allowed)[^;:.]{0,60}?\bbut\s+must)\b",
    re.IGNORECASE,
)


def condition_prefix(text: str) -> tuple[int, int] | None:
    """The "For patients with Ph+ ALL," / "If ..., then" part of a criterion, when it opens it; or the
    "whose CD4+ count is less than 500/mm3" of "Patients whose CD4+ count is less than 500/mm3 at entry
    must have been on antiretrovirals" (the criterion binds only them)."""
    m = _CONDITION.match(text)
    if m:
        start = m.start() + (len(m.group()) - len(m.group().lstrip(" \t\n-•*")))
        return start, m.end() - 1
    w = _WHOSE.match(text)
    if w:
        return w.start("cond"), w.end("cond")
    after = _CONDITION_AFTER.search(text)
    if after:
        return after.start("cond"), after.end("cond")
    return None
