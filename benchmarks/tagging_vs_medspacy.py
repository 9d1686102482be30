"""Whole pipeline vs medspaCy's default pipeline on the same trials, one core, same run.

    python benchmarks/tagging_vs_medspacy.py [--limit 1000] [--corpus PATH]

Ours: the batch path of ``extractor parse trials.jsonl`` (``iter_parse``: read each JSON line, clean,
segment, tag entities and thresholds of every criterion, triage), once with the rules alone (``--no-ner``)
and once with the trained recogniser of ``models/chia-ner`` (the default); ``--per-trial`` tags each trial
alone instead (``parse_record(..., tag=True)``), as the API does for one trial. medspaCy: ``medspacy.load()``
(its default pipeline: PyRuSH sentence splitting, target matcher, ConText)
over the same trials' eligibility texts with ``nlp.pipe``. Prints trials/s,
the speed ratio and peak memory; asserts nothing. Run it pinned to one core
(``taskset -c 0``) for one-core figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "ctgov" / "trials.jsonl"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(DEFAULT))
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--skip-medspacy", action="store_true")
    ap.add_argument("--per-trial", action="store_true", help="tag each trial alone, not in batches")
    args = ap.parse_args()
    lines = Path(args.corpus).read_bytes().splitlines()[: args.limit]
    n = len(lines)
    print(f"trials: {n}", flush=True)

    import tempfile

    from extractor.pipeline import iter_parse, parse_record
    from extractor.readers import record_from_json
    from extractor.tagging import build_nlp

    sample = Path(tempfile.mkdtemp(prefix="extractor-bench-")) / "trials.jsonl"
    sample.write_bytes(b"\n".join(lines) + b"\n")

    def trials(nlp: Any) -> Iterator[Any]:
        if args.per_trial:
            for i, line in enumerate(lines, 1):
                yield parse_record(record_from_json(json.loads(line), f"line {i}"), tag=True, nlp=nlp)
        else:
            yield from iter_parse(sample, nlp=nlp)[1]

    timings: dict[bool, float] = {}
    for label, ner in (("rules only (--no-ner)", False), ("rules + NER (default)", True)):
        t0 = time.perf_counter()
        nlp = build_nlp(ner=ner)
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        constraints = entities = 0
        for trial in trials(nlp):
            if isinstance(trial, Exception):
                raise SystemExit(f"benchmark: {trial}")
            for node in trial.walk():
                constraints += len(node.constraints)
                entities += len(node.entities)
        elapsed = timings[ner] = time.perf_counter() - t0
        print(f"extractor, {label}: load {t_load:.2f} s; {elapsed:.2f} s = {n / elapsed:,.0f} trials/s; "
              f"{entities} entities, {constraints} constraints; peak RSS so far {rss_mb():.0f} MB", flush=True)
    sample.unlink()
    sample.parent.rmdir()
    t_rules, t_ours = timings[False], timings[True]
    if args.skip_medspacy:
        return 0

    import medspacy
    from loguru import logger

    logger.remove()  # medspaCy logs at DEBUG through loguru
    texts = [json.loads(line).get("criteria") or "" for line in lines]
    t0 = time.perf_counter()
    nlp = medspacy.load()
    t_mload = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _doc in nlp.pipe(texts):
        pass
    t_med = time.perf_counter() - t0
    print(f"medspacy.load() [{', '.join(nlp.pipe_names)}]: load {t_mload:.2f} s; {t_med:.2f} s = "
          f"{n / t_med:,.1f} trials/s; peak RSS {rss_mb():.0f} MB")
    print(f"speed ratio (medspaCy time / extractor time): {t_med / t_ours:.1f}x with NER, "
          f"{t_med / t_rules:.1f}x rules only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
