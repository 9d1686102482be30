"""Score the pipeline end to end against the hand-coded gold rules in ``annotations/``.

Each gold file (format and guide in ``annotations/README.md``) holds one trial's
expected criteria tree, thresholds, negated and excepted concepts, and the
logic of every criterion. :func:`evaluate_trial` parses the trial's source text
with the pipeline and reports:

- **segmentation**: node precision/recall/F1 (a node matches when its id and the
  start of its text agree) and tree-shape accuracy (matched nodes whose number
  of children and ``combine`` agree too);
- **thresholds**: constraint tuples (concept, comparator, value, high value,
  unit, ``relative_to``, ``when``) per criterion, P/R/F1;
- **negation and exceptions**: the concepts flagged negated or excepted, matched
  by their words within each top-level criterion, P/R/F1;
- **logic agreement**: synthetic patients probing every threshold boundary,
  stratum, presence/absence and missing fact of the gold *and* the compiled
  logic of each criterion are screened with both; the share of per-criterion
  verdicts that agree (three-valued: unknown must match unknown).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..errors import FormatError, InputError
from ..logic import _DAYS, evaluate
from ..model import Criterion, ParsedTrial
from ..patients import Patient
from .metrics import Counts

ANNOTATIONS = Path(__file__).resolve().parents[2] / "annotations"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
AS_OF = date(2025, 1, 1)

_NODE_KEYS = {"id", "section", "text", "combine", "children", "constraints", "negated", "exceptions", "logic"}
_TRIAL_KEYS = {"trial_id", "source", "text_sha256", "domain", "notes", "criteria"}
_CONSTRAINT_KEYS = {"concept", "comparator", "value", "value_high", "unit", "relative_to", "when", "inclusive"}
_ESCAPE = re.compile(r"\\([<>*_#\[\]()~`|-])")  # markdown escapes the cleaner removes ("\\>92%")
_MARKER = re.compile(r"^\s*(?:[-•*·o]|\(?[0-9]{1,3}[.)]|\(?[a-zA-Z][.)]|\(?[ivxIVX]{1,5}[.)])\s+")


# -- reading gold --------------------------------------------------------------------------------------------------


def _check_node(node: Any, where: str) -> None:
    if not isinstance(node, dict):
        raise FormatError("a criterion must be a JSON object", where=where)
    nid = node.get("id", "?")
    missing = _NODE_KEYS - set(node)
    unknown = set(node) - _NODE_KEYS - {"n"}
    if missing:
        raise FormatError(f"criterion {nid} lacks {', '.join(sorted(missing))}", where=where)
    if unknown:
        raise FormatError(f"criterion {nid} has unknown key(s) {', '.join(sorted(unknown))}", where=where)
    for c in node["constraints"]:
        bad = set(c) - _CONSTRAINT_KEYS
        if bad or not {"concept", "comparator", "value"} <= set(c):
            raise FormatError(f"criterion {nid}: malformed constraint {c}", where=where)
    for child in node["children"]:
        _check_node(child, where)


def load_gold(path: str | Path) -> dict[str, Any]:
    """One gold file, validated (unknown keys rejected)."""
    where = str(path)
    try:
        gold = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read gold file: {e}", where=where) from e
    except json.JSONDecodeError as e:
        raise FormatError(f"invalid JSON at line {e.lineno}: {e.msg}", where=where) from e
    if not isinstance(gold, dict) or set(gold) - _TRIAL_KEYS or not {"trial_id", "source", "criteria"} <= set(gold):
        raise FormatError("not a gold trial (keys: trial_id, source, text_sha256, criteria, …)", where=where)
    for node in gold["criteria"]:
        _check_node(node, where)
    return gold


def gold_files(directory: str | Path | None = None) -> list[Path]:
    folder = Path(directory) if directory else ANNOTATIONS
    if not folder.is_dir():
        raise InputError("gold annotations folder not found", where=str(folder))
    return sorted(p for p in folder.glob("NCT*.json"))


def source_record(gold: dict[str, Any], shared: Path = SHARED) -> Any:
    """The trial record the gold was written from, checked against ``text_sha256``."""
    from ..readers import open_input, record_from_json

    src = gold["source"]
    if "file" in src:
        path = shared / src["file"]
        data = path.read_bytes() if path.exists() else None
        if data is None:
            raise InputError("source protocol not found", where=str(path))
        record = next(iter(open_input(path).records))
        raw = data
    else:
        corpus = shared / "corpora" / src["corpus"]
        if not corpus.exists():
            raise InputError("source corpus not found", where=str(corpus))
        row = None
        with corpus.open(encoding="utf-8") as fh:
            for line in fh:
                if f'"{src["nct_id"]}"' in line:
                    obj = json.loads(line)
                    if obj.get("nct_id") == src["nct_id"]:
                        row = obj
                        break
        if row is None:
            raise InputError(f"{src['nct_id']} not in the corpus", where=str(corpus))
        record = record_from_json(row, f"{corpus}:{src['nct_id']}")
        raw = row["criteria"].encode("utf-8")
    want = gold.get("text_sha256")
    if want and hashlib.sha256(raw).hexdigest() != want:
        raise InputError("source text changed since the gold was written (text_sha256 differs)", where=gold["trial_id"])
    if isinstance(record, Exception):
        raise record
    return record


# -- matching ------------------------------------------------------------------------------------------------------


def norm_text(text: str) -> str:
    text = _MARKER.sub("", _ESCAPE.sub(r"\1", text))
    return " ".join(text.lower().split())


def _walk(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for n in nodes:
        yield n
        yield from _walk(n["children"])


def _texts_agree(gold: str, predicted: str) -> bool:
    g, p = norm_text(gold), norm_text(predicted)
    n = min(len(g), 40)
    return bool(g) and p[:n] == g[:n]


def _num(v: Any) -> Any:
    return round(float(v), 6) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def _when(w: Any) -> str:
    return json.dumps(w or None, sort_keys=True)


_STOPWORDS = {"the", "and", "with", "for", "any", "other", "before", "after", "prior", "time", "since", "use", "or"}


def _words(text: str | None) -> set[str]:
    """Content words cut to five letters, a crude stem ("immunoglobulins" ~ "immunoglobulin")."""
    words = re.findall(r"[a-z0-9]+", (text or "").lower())
    return {w[:5] for w in words if (len(w) > 2 or w.isdigit()) and w not in _STOPWORDS}


def _concept_agrees(g: dict[str, Any], p: dict[str, Any]) -> bool:
    gc, pc = g.get("code"), p.get("code")
    if gc and pc:
        return bool(gc == pc or pc.startswith(gc) or gc.startswith(pc))
    return (
        not _words(g.get("display"))
        or not _words(p.get("display"))
        or bool(_words(g.get("display")) & _words(p.get("display")))
    )


def constraint_key(c: dict[str, Any]) -> tuple[Any, ...]:
    return (
        c.get("comparator"),
        _num(c.get("value")),
        _num(c.get("value_high")),
        c.get("unit"),
        c.get("relative_to"),
        _when(c.get("when")),
    )


def bounds(constraints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An inclusive ``between`` is the pair ``>= low`` and ``<= high``: both spellings score alike."""
    out = []
    for c in constraints:
        if c.get("comparator") == "between" and c.get("inclusive", True) is not False:
            out.append({**c, "comparator": ">=", "value_high": None})
            out.append({**c, "comparator": "<=", "value": c.get("value_high"), "value_high": None})
        else:
            out.append(c)
    return out


def _greedy(gold: list[Any], predicted: list[Any], agrees: Callable[[Any, Any], bool]) -> tuple[list[Any], list[Any]]:
    """One-to-one matching, each gold item to the first unmatched prediction it agrees with:
    ``(gold items matched, predictions left over)``."""
    left = list(predicted)
    matched = []
    for g in gold:
        for i, p in enumerate(left):
            if agrees(g, p):
                matched.append(g)
                del left[i]
                break
    return matched, left


def match_constraints(gold: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> Counts:
    """Greedy one-to-one matching: same comparator, value(s), unit, ``relative_to``, ``when``, and concept.

    Ranges are compared as their two bounds (:func:`bounds`). A prediction that repeats a matched gold
    threshold for another concept of the same criterion ("radiotherapy or chemotherapy within 30 days":
    the gold codes one window over both, the pipeline one per concept) is not counted as a false positive.
    """
    gold, predicted = bounds(gold), bounds(predicted)
    matched, left = _greedy(
        gold,
        predicted,
        lambda g, p: (
            constraint_key(g) == constraint_key(p) and _concept_agrees(g["concept"] or {}, p.get("concept") or {})
        ),
    )
    matched_keys = {constraint_key(g) for g in matched}
    fp = sum(1 for p in left if constraint_key(p) not in matched_keys)
    return Counts(tp=len(matched), fp=fp, fn=len(gold) - len(matched))


def _mention_agrees(gold: str, predicted: str) -> bool:
    g, p = " ".join(gold.lower().split()), " ".join(predicted.lower().split())
    return bool(g and p) and (g in p or p in g or bool(_words(g) & _words(p) - {"the", "and", "with"}))


def match_mentions(gold: list[str], predicted: list[str]) -> Counts:
    matched, left = _greedy(gold, predicted, _mention_agrees)
    return Counts(tp=len(matched), fp=len(left), fn=len(gold) - len(matched))


# -- logic probes --------------------------------------------------------------------------------------------------


def expand_refs(expr: Any, logic_by_id: dict[str, Any], depth: int = 0) -> Any:
    """Replace gold-only ``{"op": "ref", "id": ...}`` by the referenced criterion's logic."""
    if depth > 50:
        raise FormatError("gold logic refers to itself", where=str(expr)[:80])
    if isinstance(expr, list):
        return [expand_refs(e, logic_by_id, depth + 1) for e in expr]
    if not isinstance(expr, dict):
        return expr
    if expr.get("op") == "ref":
        target = logic_by_id.get(expr.get("id", ""))
        if target is None:
            raise FormatError(f"gold logic refers to unknown criterion {expr.get('id')}", where=str(expr)[:80])
        return expand_refs(target, logic_by_id, depth + 1)
    return {k: expand_refs(v, logic_by_id, depth + 1) for k, v in expr.items()}


def leaves(expr: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(expr, dict):
        return
    op = expr.get("op")
    if op in ("all", "any", "n_of"):
        for a in expr.get("args", []):
            yield from leaves(a)
    elif op == "not":
        yield from leaves(expr.get("arg"))
    elif op == "implies":
        yield from leaves(expr.get("if"))
        yield from leaves(expr.get("then"))
    elif op in ("compare", "has", "sex"):
        yield expr


@dataclass(slots=True)
class Facts:
    """A patient under construction: facts keyed so a variant can replace what a base set."""

    age: int | None = None
    sex: str | None = None
    observations: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    complete: set[str] = field(default_factory=set)

    def copy(self) -> Facts:
        return Facts(self.age, self.sex, dict(self.observations), dict(self.records), set(self.complete))

    def patient(self, pid: str) -> Patient:
        kinds: dict[str, list[dict[str, Any]]] = {"condition": [], "medication": [], "procedure": []}
        for (kind, _), rec in self.records.items():
            kinds[kind].append(rec)
        return Patient(
            id=pid,
            as_of=AS_OF,
            age=self.age,
            sex=self.sex,
            observations=list(self.observations.values()),
            conditions=kinds["condition"],
            medications=kinds["medication"],
            procedures=kinds["procedure"],
            events={
                name: AS_OF for name in ("informed_consent", "apheresis", "randomization", "enrollment", "screening")
            }
            | {"first_dose": AS_OF + timedelta(days=7)},
            complete=tuple(sorted(self.complete)),
        )


def _step(v: float) -> float:
    return 1.0 if float(v).is_integer() and abs(v) >= 5 else max(abs(v) * 0.05, 0.01)


def _values(leaf: dict[str, Any]) -> tuple[float, list[float]]:
    """A value inside the threshold, and the boundary probes."""
    v = float(leaf["value"])
    d = _step(v)
    c = leaf.get("comparator")
    if c == "between":
        hi = float(leaf.get("value_high", v))
        return (v + hi) / 2, [v - d, v, hi, hi + _step(hi)]
    inside = {"<": v - d, "<=": v - d, ">": v + d, ">=": v + d}.get(c or "", v)
    return inside, [v - d, v, v + d]


def _strata(leaf: dict[str, Any]) -> list[tuple[str | None, int | None]]:
    when = leaf.get("when") or {}
    sex = when.get("sex")
    age = when.get("age")
    ages: list[int | None] = [None]
    if isinstance(age, list) and len(age) == 2:
        lo, hi = age
        ages = [int(lo) if lo is not None else int(hi) - 1, int(hi) if hi is not None else int(lo) + 1]
    return [(sex, a) for a in ages] + ([("male" if sex == "female" else "female", ages[0])] if sex else [])


def _set_compare(f: Facts, leaf: dict[str, Any], value: float, sex: str | None = None, age: int | None = None) -> None:
    if sex:
        f.sex = sex
    if age is not None and leaf.get("fact") != "age":
        f.age = age
    if leaf.get("fact") == "age":
        years = value if leaf.get("unit") in (None, "a") else value * _DAYS.get(leaf["unit"], 1.0) / 365.25
        f.age = round(years)
        return
    code = leaf.get("code") or "unknown"
    obs: dict[str, Any] = {"code": code, "value": value, "date": AS_OF.isoformat()}
    if leaf.get("relative_to") in ("ULN", "LLN"):
        limit = 40.0
        obs["value"] = round(value * limit, 6)
        obs["reference_high" if leaf["relative_to"] == "ULN" else "reference_low"] = limit
        obs["unit"] = "U/L"
    elif leaf.get("unit"):
        obs["unit"] = leaf["unit"]
    f.observations[code] = obs


def _record(leaf: dict[str, Any], days_ago: float) -> dict[str, Any]:
    when = (AS_OF - timedelta(days=max(days_ago, 0))).isoformat()
    code = leaf.get("code") or "unknown"
    kind = leaf["kind"]
    if kind == "condition":
        return {"code": code, "onset": when, "status": "active"}
    if kind == "medication":
        return {"code": code, "start": when, "end": when}
    return {"code": code, "date": when}


def _window_days(leaf: dict[str, Any]) -> float | None:
    w = leaf.get("window")
    if not w:
        return None
    return float(w.get("value", 0)) * _DAYS.get(w.get("unit", "d"), 1.0)


def _true_facts(f: Facts, leaf: dict[str, Any]) -> None:
    op = leaf["op"]
    if op == "compare":
        inside, _ = _values(leaf)
        strata = _strata(leaf)
        sex, age = strata[0] if strata else (None, None)
        _set_compare(f, leaf, inside, sex, age)
    elif op == "sex":
        f.sex = leaf.get("value")
    elif op == "has":
        days = _window_days(leaf)
        f.records[(leaf["kind"], leaf.get("code") or "")] = _record(leaf, days / 2 if days else 30)


def _variants(base: Facts, leaf: dict[str, Any]) -> Iterator[Facts]:
    op = leaf["op"]
    if op == "compare":
        _, probes = _values(leaf)
        for sex, age in _strata(leaf) or [(None, None)]:
            for v in probes:
                f = base.copy()
                _set_compare(f, leaf, v, sex, age)
                yield f
        f = base.copy()  # the fact missing
        if leaf.get("fact") == "age":
            f.age = None
        else:
            f.observations.pop(leaf.get("code") or "unknown", None)
        yield f
    elif op == "sex":
        for s in ("male", "female", None):
            f = base.copy()
            f.sex = s
            yield f
    elif op == "has":
        key = (leaf["kind"], leaf.get("code") or "")
        days = _window_days(leaf)
        if days:
            f = base.copy()
            f.records[key] = _record(leaf, days * 2 + 1)
            yield f
        for complete in (True, False):
            f = base.copy()
            f.records.pop(key, None)
            if complete:
                f.complete.add(leaf["kind"] + "s")
            else:
                f.complete.discard(leaf["kind"] + "s")
            yield f


def probe_patients(exprs: list[Any]) -> list[Patient]:
    """Patients probing every leaf of ``exprs``: one with every leaf satisfied, then one leaf varied at a time."""
    found = [leaf for e in exprs for leaf in leaves(e)]
    base = Facts()
    for leaf in found:
        _true_facts(base, leaf)
    patients = [Facts().patient("empty"), base.patient("base")]
    seen: set[str] = set()
    for i, leaf in enumerate(found):
        key = json.dumps(leaf, sort_keys=True, default=str)
        if key in seen:
            continue
        seen.add(key)
        for j, f in enumerate(_variants(base, leaf)):
            patients.append(f.patient(f"leaf{i}-{j}"))
    return patients


def logic_agreement(gold: Any, compiled: Any) -> tuple[int, int, list[dict[str, Any]]]:
    """``(agreeing, probes, disagreements)`` for one criterion's gold and compiled logic."""
    compiled = compiled or {"op": "const", "value": None}
    agree = 0
    bad: list[dict[str, Any]] = []
    patients = probe_patients([gold, compiled])
    for p in patients:
        g = evaluate(gold, p).value
        c = evaluate(compiled, p).value
        if g == c:
            agree += 1
        elif len(bad) < 3:
            bad.append({"patient": p.id, "gold": g, "compiled": c})
    return agree, len(patients), bad


# -- one trial -----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class TrialReport:
    trial_id: str
    domain: str
    nodes: Counts = field(default_factory=Counts)
    shape_ok: int = 0
    shape_total: int = 0
    thresholds: Counts = field(default_factory=Counts)
    negated: Counts = field(default_factory=Counts)
    exceptions: Counts = field(default_factory=Counts)
    logic_agree: int = 0
    logic_probes: int = 0
    misses: list[str] = field(default_factory=list)
    criteria: list[dict[str, Any]] = field(default_factory=list)
    """Per gold criterion: text, gold and compiled logic, agreement (for the HTML report)."""
    eligibility_text: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def shape_accuracy(self) -> float:
        return self.shape_ok / self.shape_total if self.shape_total else 0.0

    @property
    def logic(self) -> float:
        return self.logic_agree / self.logic_probes if self.logic_probes else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "trial_id": self.trial_id,
            "domain": self.domain,
            "segmentation": {**self.nodes.as_dict(), "shape_accuracy": round(self.shape_accuracy, 4)},
            "thresholds": self.thresholds.as_dict(),
            "negated": self.negated.as_dict(),
            "exceptions": self.exceptions.as_dict(),
            "logic": {"agree": self.logic_agree, "probes": self.logic_probes, "agreement": round(self.logic, 4)},
            "misses": self.misses,
        }


def _root(cid: str) -> str:
    return "/".join(cid.split("/")[:2])


def evaluate_trial(gold: dict[str, Any], trial: ParsedTrial, compiled: dict[str, Any]) -> TrialReport:
    """Score one parsed-and-tagged ``trial`` (and its compiled logic) against its ``gold``."""
    report = TrialReport(trial_id=gold["trial_id"], domain=gold.get("domain", ""))
    report.eligibility_text = trial.eligibility_text
    predicted: dict[str, Criterion] = {n.id: n for n in trial.walk() if n.section != "structured"}
    golds = list(_walk(gold["criteria"]))
    gold_logic = {g["id"]: g["logic"] for g in golds if g["logic"] is not None}
    matched = 0
    for g in golds:
        p = predicted.get(g["id"])
        if p is not None and _texts_agree(g["text"], p.text):
            matched += 1
            report.shape_total += 1
            same = len(p.children) == len(g["children"]) and (not g["children"] or p.combine == g["combine"])
            if same and g.get("combine") == "n_of":
                same = p.n == g.get("n")
            report.shape_ok += int(same)
            if not same:
                report.misses.append(
                    f"{g['id']}: shape {len(p.children)} children/{p.combine}, gold {len(g['children'])}/{g['combine']}"
                )
        else:
            report.shape_total += 1
            why = "missing" if p is None else f"text differs ({norm_text(p.text)[:40]!r})"
            report.misses.append(f"{g['id']}: node {why}")
    report.nodes = Counts(tp=matched, fp=len(predicted) - matched, fn=len(golds) - matched)
    # thresholds, per criterion id
    gold_by_id = {g["id"]: g for g in golds}
    for cid in sorted(set(gold_by_id) | set(predicted)):
        gc = gold_by_id[cid]["constraints"] if cid in gold_by_id else []
        pc = [c.as_dict() for c in predicted[cid].constraints if c.kind != "equivalent"] if cid in predicted else []
        counts = match_constraints(gc, pc)
        report.thresholds.add(counts)
        if counts.fn or counts.fp:
            report.misses.append(f"{cid}: thresholds {counts.tp} right, {counts.fn} missed, {counts.fp} extra")
    # negation and exceptions, per top-level criterion
    roots = sorted({_root(c) for c in set(gold_by_id) | set(predicted)})
    for root in roots:
        for key, flag, counts in (
            ("negated", "negated", report.negated),
            ("exceptions", "exception", report.exceptions),
        ):
            gm = [m for g in golds if _root(g["id"]) == root for m in g[key]]
            pm = [
                e["text"]
                for n in predicted.values()
                if _root(n.id) == root
                for e in n.entities
                if e.get(flag) and e.get("label") not in ("Value", "Temporal")
            ]
            c = match_mentions(gm, pm)
            counts.add(c)
            if c.fn or c.fp:
                report.misses.append(f"{root}: {key} {c.tp} right, {c.fn} missed, {c.fp} extra")
    # logic
    compiled_logic = compiled.get("criteria", {})
    for g in golds:
        if g["logic"] is None:
            continue
        expr = expand_refs(g["logic"], gold_logic)
        agree, probes, bad = logic_agreement(expr, compiled_logic.get(g["id"]))
        report.logic_agree += agree
        report.logic_probes += probes
        if bad:
            report.misses.append(f"{g['id']}: logic agrees on {agree}/{probes} probes")
        p = predicted.get(g["id"])
        report.criteria.append(
            {
                "id": g["id"],
                "text": p.text if p is not None else g["text"],
                "span": list(p.span) if p is not None and p.span else None,
                "gold": expr,
                "compiled": compiled_logic.get(g["id"]),
                "agree": agree,
                "probes": probes,
                "disagreements": bad,
            }
        )
    report.entities = [
        {"span": e["span"], "label": e["label"], **{k: bool(e.get(k)) for k in ("negated", "exception")}}
        for n in predicted.values()
        for e in n.entities
        if e.get("span")
    ]
    return report


# -- the whole set -------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class GoldReport:
    trials: list[TrialReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def total(self, name: str) -> Counts:
        out = Counts()
        for t in self.trials:
            out.add(getattr(t, name))
        return out

    def totals(self) -> dict[str, Any]:
        shape_ok = sum(t.shape_ok for t in self.trials)
        shape_total = sum(t.shape_total for t in self.trials)
        agree = sum(t.logic_agree for t in self.trials)
        crits = [c for t in self.trials for c in t.criteria if c["probes"]]
        probes = sum(t.logic_probes for t in self.trials)
        return {
            "trials": len(self.trials),
            "segmentation": {
                **self.total("nodes").as_dict(),
                "shape_accuracy": round(shape_ok / shape_total, 4) if shape_total else 0.0,
            },
            "thresholds": self.total("thresholds").as_dict(),
            "negated": self.total("negated").as_dict(),
            "exceptions": self.total("exceptions").as_dict(),
            "logic": {
                "agree": agree,
                "probes": probes,
                "agreement": round(agree / probes, 4) if probes else 0.0,
                # the same per criterion: a criterion with many coded leaves has many probes
                "criterion_mean": round(sum(c["agree"] / c["probes"] for c in crits) / len(crits), 4) if crits else 0.0,
                "criteria": len(crits),
                "criteria_all_agree": sum(1 for c in crits if c["agree"] == c["probes"]),
            },
        }

    def as_dict(self) -> dict[str, Any]:
        return {"totals": self.totals(), "trials": [t.as_dict() for t in self.trials], "errors": self.errors}

    def table(self) -> str:
        head = (
            f"{'trial':<13}{'domain':<30}{'seg F1':>8}{'shape':>8}{'thr F1':>8}{'neg F1':>8}{'exc F1':>8}{'logic':>8}"
        )
        lines = [head, "-" * len(head)]

        def row(name: str, domain: str, seg: float, shape: float, thr: float, neg: float, exc: float, lg: float) -> str:
            return f"{name:<13}{domain[:29]:<30}{seg:>8.3f}{shape:>8.3f}{thr:>8.3f}{neg:>8.3f}{exc:>8.3f}{lg:>8.3f}"

        for t in self.trials:
            lines.append(
                row(
                    t.trial_id,
                    t.domain,
                    t.nodes.f1,
                    t.shape_accuracy,
                    t.thresholds.f1,
                    t.negated.f1,
                    t.exceptions.f1,
                    t.logic,
                )
            )
        tot = self.totals()
        lines.append("-" * len(head))
        lines.append(
            row(
                "TOTAL",
                f"{tot['trials']} trials",
                self.total("nodes").f1,
                tot["segmentation"]["shape_accuracy"],
                self.total("thresholds").f1,
                self.total("negated").f1,
                self.total("exceptions").f1,
                tot["logic"]["agreement"],
            )
        )
        lg = tot["logic"]
        lines.append(
            f"logic agreement {lg['agreement']:.3f} over {lg['probes']:,} probe verdicts; per criterion "
            f"{lg['criterion_mean']:.3f} on average, {lg['criteria_all_agree']} of {lg['criteria']} criteria agree "
            "on every probe"
        )
        for e in self.errors:
            lines.append(f"error: {e}")
        return "\n".join(lines)


def evaluate_gold(directory: str | Path | None = None, shared: str | Path | None = None) -> GoldReport:
    """Parse, tag and compile every gold trial's source; score each against its gold file."""
    from ..compile import compile_trial
    from ..pipeline import parse_record

    report = GoldReport()
    base = Path(shared) if shared else SHARED
    for path in gold_files(directory):
        try:
            gold = load_gold(path)
            record = source_record(gold, base)
            trial = parse_record(record, tag=True)
            compiled = compile_trial(trial)
            report.trials.append(evaluate_trial(gold, trial, compiled))
        except (InputError, FormatError) as e:
            report.errors.append(str(e))
    return report
