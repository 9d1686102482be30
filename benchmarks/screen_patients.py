"""Screening speed and memory: synthetic patients against the showcase protocol, one core.

    python benchmarks/screen_patients.py [--patients 100000]

Writes the patients to a temporary JSON Lines file and screens them streamed
(read, validate, evaluate, serialise), as `extractor screen` does. Prints
patient x criterion evaluations per second and peak memory; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from extractor.patients import read_patients
from extractor.screen import Screener

SHOWCASE = Path(__file__).resolve().parents[1] / "examples" / "NCT06581081.txt"
CODES = [("LOINC:1920-8", "U/L", 40), ("LOINC:1742-6", "U/L", 40), ("LOINC:1975-2", "mg/dL", 1.2),
         ("LOINC:2160-0", "mg/dL", 1.1), ("LOINC:2164-2", "mL/min", None), ("LOINC:8636-3", "ms", None),
         ("LOINC:10230-1", "%", None), ("LOINC:8480-6", "mm[Hg]", None), ("LOINC:8462-4", "mm[Hg]", None),
         ("LOINC:2708-6", "%", None), ("LOINC:89247-1", None, None)]  # fmt: skip
MEANS = {"LOINC:1920-8": 40, "LOINC:1742-6": 40, "LOINC:1975-2": 1.0, "LOINC:2160-0": 1.0, "LOINC:2164-2": 80,
         "LOINC:8636-3": 430, "LOINC:10230-1": 58, "LOINC:8480-6": 130, "LOINC:8462-4": 80, "LOINC:2708-6": 96,
         "LOINC:89247-1": 1}  # fmt: skip


def patient(i: int, rng: random.Random) -> dict:
    observations = []
    for code, unit, high in CODES:
        if rng.random() < 0.9:
            o = {"code": code, "value": round(MEANS[code] * rng.uniform(0.6, 1.6), 2), "date": "2025-02-20"}
            if unit:
                o["unit"] = unit
            if high:
                o["reference_high"] = high
            observations.append(o)
    return {
        "id": f"P{i:06d}", "as_of": "2025-03-01", "age": rng.randint(8, 80), "sex": rng.choice(["male", "female"]),
        "observations": observations,
        "conditions": [{"code": "ICD10CM:C91.0", "onset": "2024-01-01"}] + (
            [{"code": "ICD10CM:G40.909", "onset": "2019-01-01"}] if rng.random() < 0.05 else []),
        "events": {"informed_consent": "2025-03-01", "apheresis": "2025-03-10"}, "complete": ["conditions"],
    }  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=100_000)
    args = ap.parse_args()
    rng = random.Random(7)
    t0 = time.perf_counter()
    screener = Screener.from_file(SHOWCASE)
    t_compile = time.perf_counter() - t0
    n_criteria = len(screener.compiled["criteria"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "patients.jsonl"
        with path.open("w") as f:
            for i in range(args.patients):
                f.write(json.dumps(patient(i, rng)) + "\n")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        eligible = {True: 0, False: 0, None: 0}
        errors = 0
        out = open("/dev/null", "w")  # noqa: SIM115 - serialisation is part of the work measured
        for v in screener.screen_many(read_patients(path)):
            if isinstance(v, Exception):
                errors += 1
                continue
            eligible[v["eligible"]] += 1
            out.write(json.dumps(v) + "\n")
        elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    evals = args.patients * n_criteria
    print(f"parse + compile the protocol: {t_compile:.2f} s; {n_criteria} criteria")
    print(f"{args.patients:,} patients screened in {elapsed:.1f} s = {args.patients / elapsed:,.0f} patients/s, "
          f"{evals / elapsed:,.0f} patient x criterion evaluations/s (read, validate, evaluate, serialise)")
    print(f"verdicts: eligible {eligible[True]}, not eligible {eligible[False]}, needs review {eligible[None]}; "
          f"errors {errors}")
    print(f"peak RSS {peak:.0f} MB (before screening {rss_before:.0f} MB): patients are streamed, not held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
