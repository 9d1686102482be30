"""Segmentation over the whole ctgov corpus: throughput, memory, coverage, tree shape.

    python benchmarks/segment_corpus.py [../shared/corpora/ctgov/trials.jsonl] [--limit N]

Runs on one core (a single process). Prints figures; asserts nothing. The
timed part is what `extractor parse` does per trial: decode the JSON line,
clean, segment, add structured criteria; a second pass also serialises to
JSON. Coverage (non-whitespace characters of the cleaned text that belong to
no criterion, marker or heading) is computed outside the timed part.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from extractor.output import to_json
from extractor.pipeline import parse_record
from extractor.readers import record_from_json
from extractor.segment import uncovered

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "ctgov" / "trials.jsonl"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    lines = Path(args.path).read_bytes().splitlines()
    if args.limit:
        lines = lines[: args.limit]
    n = len(lines)
    total_chars = 0

    t0 = time.perf_counter()
    parsed = []
    errors = 0
    for i, line in enumerate(lines, 1):
        try:
            trial = parse_record(record_from_json(json.loads(line), f"line {i}"))
        except Exception as e:
            errors += 1
            print(f"error: {e}", file=sys.stderr)
            continue
        parsed.append(trial)
        total_chars += len(trial.eligibility_text)
    t_parse = time.perf_counter() - t0

    t0 = time.perf_counter()
    out_bytes = sum(len(to_json(t, indent=None)) for t in parsed)
    t_json = time.perf_counter() - t0

    nonws = unc = 0
    items: list[int] = []
    depth: Counter[int] = Counter()
    worst: list[tuple[float, str]] = []
    for t in parsed:
        text = t.eligibility_text
        free = [c for c in t.criteria if c.section != "structured"]
        nodes = [node for c in free for node in c.walk()]
        items.append(len(nodes))
        depth[max((node.id.count("/") for node in nodes), default=0)] += 1
        k = sum(1 for ch in text if not ch.isspace())
        u = sum(e - s for s, e in uncovered(text, free, t.headings))
        nonws += k
        unc += u
        if u:
            worst.append((u / k, t.trial_id or "?"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"trials: {n}  parsed: {len(parsed)}  errors: {errors}")
    print(f"eligibility text: {total_chars / 1e6:.1f} M characters")
    print(
        f"parse (decode+clean+segment): {t_parse:.2f} s = {n / t_parse:,.0f} trials/s, "
        f"{total_chars / t_parse / 1e6:.2f} M chars/s"
    )
    print(
        f"serialise to JSON: {t_json:.2f} s ({out_bytes / 1e6:.0f} MB); "
        f"parse+serialise {n / (t_parse + t_json):,.0f} trials/s"
    )
    print(f"peak RSS (all trials held in memory): {peak_mb:.0f} MB")
    print(f"uncovered non-whitespace characters: {unc} of {nonws} = {100 * unc / max(nonws, 1):.4f} %")
    if worst:
        print("  worst:", sorted(worst, reverse=True)[:5])
    q = statistics.quantiles(items, n=10)
    print(
        f"criteria per trial: mean {statistics.mean(items):.1f}, median {statistics.median(items):.0f}, "
        f"p10 {q[0]:.0f}, p90 {q[-1]:.0f}, max {max(items)}"
    )
    print("max tree depth per trial (1 = flat):", dict(sorted(depth.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
