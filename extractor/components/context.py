"""``extractor_context``: medspaCy's ConText with rules made for eligibility text.

The rules are ``resources/context_rules.jsonl`` (validated on load). ConText
needs clause boundaries: this component sets them itself at ``;`` and at
sentence ends instead of running a sentence splitter (PyRuSH costs ~0.5 s a
trial). It also finds exception and condition scopes (:mod:`extractor.scope`).
"""
# no "from __future__ import annotations": spaCy validates factory signatures at run time

import re
import warnings
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from ..rules import read_jsonl
from ..scope import condition_prefix, exception_scopes

MAX_SCOPE = 25
"""Tokens a cue reaches at most (clause ends stop it sooner)."""
CATEGORIES = ("NEGATED_EXISTENCE", "HISTORICAL", "HYPOTHETICAL", "FAMILY", "PSEUDO", "TERMINATE")
DIRECTIONS = ("FORWARD", "BACKWARD", "BIDIRECTIONAL", "PSEUDO", "TERMINATE")

# medspaCy's matcher warns (W036) on every call when a rule set has no token patterns: ours are phrases
warnings.filterwarnings("ignore", message=r"\[W036\]")

if not Doc.has_extension("exception_scopes"):
    Doc.set_extension("exception_scopes", default=None)
if not Doc.has_extension("condition_scope"):
    Doc.set_extension("condition_scope", default=None)


def load_rules(name: str = "context_rules.jsonl", text: str | None = None) -> list[Any]:
    """Our rules (validated), or ``"medspacy-default"``: medspaCy's own rule set, for comparison."""
    from medspacy.context import ConTextRule

    from ..errors import ResourceError

    if name == "medspacy-default":
        import medspacy

        path = Path(medspacy.__file__).resolve().parents[1] / "resources" / "en" / "context_rules.json"
        return list(ConTextRule.from_json(str(path)))

    rows = read_jsonl(
        name,
        required={"category": str, "literal": str, "direction": str},
        optional={"pattern": list, "max_scope": int},
        text=text,
    )
    out = []
    for row in rows:
        if row["category"] not in CATEGORIES:
            raise ResourceError(f"category must be one of {list(CATEGORIES)}", where=row["_where"])
        if row["direction"] not in DIRECTIONS:
            raise ResourceError(f"direction must be one of {list(DIRECTIONS)}", where=row["_where"])
        out.append(
            ConTextRule(
                literal=row["literal"],
                category=row["category"],
                direction=row["direction"],
                pattern=row.get("pattern"),
                max_scope=row.get("max_scope"),
            )
        )
    return out


@Language.factory(
    "extractor_context",
    default_config={"rules": "context_rules.jsonl"},
    assigns=["span._.is_negated", "span._.is_historical", "span._.is_hypothetical", "span._.is_family"],
)
def make_context(nlp: Language, name: str, *, rules: str) -> "ContextTagger":
    return ContextTagger(nlp, name, rules=rules)


class ContextTagger:
    """Stateless: its rules ship with the package."""

    def __init__(self, nlp: Language, name: str, *, rules: str) -> None:
        from medspacy.context import ConText

        from ..tagging import quiet_logs

        quiet_logs()
        self.name = name
        # a window instead of sentences: ";" "." ":" end a cue's reach as TERMINATE rules, so no
        # sentence boundaries (and no per-token loop to set them) are needed
        self.context = ConText(nlp, name=f"{name}_medspacy", rules=None, max_scope=MAX_SCOPE)
        loaded = load_rules(rules)
        self.context.add(loaded)
        # one pattern that any cue needs: most criteria hold none, and skip the matcher entirely
        literals = sorted({r.literal.lower() for r in loaded if r.category != "TERMINATE"}, key=len, reverse=True)
        self.any_cue = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(x) for x in literals) + r")(?!\w)", re.I)

    def __call__(self, doc: Doc) -> Doc:
        text = doc.user_data.get("extractor_text") or doc.text
        doc._.exception_scopes = exception_scopes(text)
        doc._.condition_scope = condition_prefix(text)
        # the mentions are the entities (``doc.ents`` rebuilds its spans from every token on each access)
        entities = doc._.mentions if doc._.mentions is not None else doc.ents
        if not entities or not self.any_cue.search(text):
            return doc  # nothing to modify, or nothing to modify it with
        return self.context(doc)

    def to_disk(self, path: Any, *, exclude: Any = tuple()) -> None:
        """Nothing to save: the rules ship with the package."""

    def from_disk(self, path: Any, *, exclude: Any = tuple()) -> "ContextTagger":
        return self
