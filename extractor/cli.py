"""Command line: thin wrappers over :mod:`extractor.pipeline`.

Exit codes: 0 success; 1 the input (or an option) could not be used and
nothing was written; 2 wrong usage; 3 a batch where some records failed
(each reported on stderr, every other record written).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TextIO

from . import __version__
from .errors import ExtractorError
from .output import to_json, to_tree
from .readers import FORMATS, MAX_DOCUMENT_BYTES, MAX_RECORD_CHARS

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def _error(message: str) -> None:
    print(f"extractor: error: {' '.join(str(message).split())}", file=sys.stderr)


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None or path == "-":
        yield sys.stdout
        return
    tmp = f"{path}.part"
    try:
        handle = open(tmp, "w", encoding="utf-8")  # noqa: SIM115 - renamed into place below
    except OSError as e:
        raise ExtractorError(f"cannot write output ({e.strerror or e})", where=path) from e
    try:
        yield handle
    except BaseException:
        handle.close()
        os.unlink(tmp)
        raise
    handle.close()
    os.replace(tmp, path)


def cmd_parse(args: argparse.Namespace) -> int:
    from .pipeline import iter_parse

    is_batch, results = iter_parse(
        args.path,
        fmt=args.input_format,
        encoding=args.encoding,
        max_bytes=args.max_bytes,
        max_chars=args.max_chars,
        tag=not args.no_tag,
        nlp=_nlp(args),
    )
    failures = 0
    done = 0
    progress = None
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    if is_batch and show:
        from tqdm import tqdm

        progress = tqdm(unit=" trials", file=sys.stderr, mininterval=0.5, dynamic_ncols=True)
    try:
        with _output(args.output) as out:
            for item in results:
                if progress is not None:
                    progress.update(1)
                if isinstance(item, ExtractorError):
                    if not is_batch:
                        raise item
                    failures += 1
                    if progress is not None:
                        progress.write(f"extractor: skipped {item}", file=sys.stderr)
                    else:
                        print(f"extractor: skipped {item}", file=sys.stderr)
                    continue
                done += 1
                if args.format == "tree":
                    out.write(to_tree(item))
                    if is_batch:
                        out.write("\n")
                elif is_batch:
                    out.write(to_json(item, indent=None) + "\n")
                else:
                    out.write(to_json(item, indent=2) + "\n")
    finally:
        if progress is not None:
            progress.close()
    if failures and is_batch:
        print(f"extractor: {done} trials parsed, {failures} skipped", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def _nlp(args: argparse.Namespace) -> Any:
    """The tagging pipeline the options ask for (``None``: the default, with every trained model)."""
    if not getattr(args, "no_ner", False):
        return None
    from .tagging import build_nlp

    return build_nlp(ner=False)


def cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from .evaluate.metrics import side_by_side
    from .evaluate.run import evaluate_chia, evaluate_context, evaluate_lct

    results: dict[str, Any] = {}
    unknown = [n for n in args.corpora if n not in ("gold", "lct", "chia", "context")]
    if unknown:
        _error(f"unknown evaluation {unknown[0]!r}; choose gold, lct, chia or context")
        return EXIT_USAGE
    for name in args.corpora or ["gold"]:
        if name == "gold":
            from .evaluate.gold import evaluate_gold

            report = evaluate_gold(args.gold_dir)
            results[name] = report.as_dict()
            if args.html:
                from .evaluate.html import write_report

                write_report(report, args.html)
            if not args.json:
                print(f"== Gold rules ({len(report.trials)} trials in annotations/)")
                print(report.table())
                if args.html:
                    print(f"report written to {args.html}")
                print()
            continue
        if name == "context":
            ours = evaluate_context(args.split, args.limit)
            medspacy_default = evaluate_context(args.split, args.limit, rules="medspacy-default")
            results[name] = {"ours": ours, "medspacy-default": medspacy_default}
            if not args.json:
                print(f"== Negation and exceptions, split {args.split} (ours | medspaCy default ConText rules)")
                print(f"{'measure':<16}{'P':>7}{'R':>7}{'F1':>7}   |{'P':>7}{'R':>7}{'F1':>7}")
                for key in ours:
                    a, b = ours[key], medspacy_default[key]
                    print(
                        f"{key:<16}{a['precision']:>7.3f}{a['recall']:>7.3f}{a['f1']:>7.3f}   |"
                        f"{b['precision']:>7.3f}{b['recall']:>7.3f}{b['f1']:>7.3f}"
                    )
                print()
            continue
        if name == "chia" and args.tagger == "compare":
            runs = {
                mode: evaluate_chia(args.corpus_dir, split=args.split, limit=args.limit, mode=mode, strict=args.strict)
                for mode in ("rules", "model", "both")
            }
            results[name] = {mode: s.as_dict() for mode, s in runs.items()}
            if not args.json:
                docs = runs["both"].info.get("documents", 0)
                print(f"== Chia entities F1, split {args.split}, {docs} documents: rules alone | models alone | both")
                print(side_by_side(runs))
                print(_unscored(runs["both"]))
                print()
            continue
        if name == "lct":
            scores = evaluate_lct(args.corpus_dir, split=args.split, limit=args.limit)
        else:
            scores = evaluate_chia(
                args.corpus_dir, split=args.split, limit=args.limit, mode=args.tagger, strict=args.strict
            )
        results[name] = scores
        if not args.json:
            title = {"lct": "LCT thresholds (Eq-Comparison)", "chia": "Chia entities"}[name]
            print(f"== {title}, split {args.split}, {scores.info.get('documents', 0)} documents")
            print(scores.table())
            if name == "chia":
                print(_unscored(scores))
            print()
    if args.json:
        print(json.dumps({n: r if isinstance(r, dict) else r.as_dict() for n, r in results.items()}, indent=2))
    return EXIT_OK


def _unscored(scores: Any) -> str:
    if scores.info.get("strict"):
        return "(strict: predictions inside Chia's unannotated whole-criterion spans are scored as false positives)"
    n = scores.info.get("predictions_unannotated", 0)
    return (
        f"({n} predictions inside Chia's unannotated whole-criterion spans, such as Post-eligibility or "
        "Informed_consent with no entity annotated inside, are not scored; --strict scores them)"
    )


def cmd_compile(args: argparse.Namespace) -> int:
    import json

    from .compile import compile_trial
    from .pipeline import parse_file

    with _output(args.output) as out:
        out.write(json.dumps(compile_trial(parse_file(args.path)), ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK


def cmd_screen(args: argparse.Namespace) -> int:
    import json

    from .patients import read_patients
    from .screen import Screener

    screener = Screener.from_file(args.path)
    failures = done = 0
    with _output(args.output) as out:
        for item in screener.screen_many(read_patients(args.patients)):
            if isinstance(item, ExtractorError):
                failures += 1
                print(f"extractor: skipped {item}", file=sys.stderr)
                continue
            if not args.reasons:
                item.pop("reasons", None)
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
            done += 1
    if failures:
        print(f"extractor: {done} patients screened, {failures} skipped", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .train import rescore_gazetteer, rescore_ner, train_gazetteer, train_ner, train_triage

    out = Path(args.out) if args.out else None
    if args.rescore:
        if args.artifact == "triage":
            _error("--rescore is for ner and gazetteer (the triage card is written from its own test run)")
            return EXIT_USAGE
        report = (rescore_ner if args.artifact == "ner" else rescore_gazetteer)(args.corpus_dir, out)
        both = report["test"]["both"]["criteria"]["overlap"]["micro"]["f1"]
        card = f"{out or 'models/chia-' + args.artifact}/README.md"
        print(f"test overlap micro F1 with the rules {both:.3f}; card in {card}")
        return EXIT_OK
    if args.artifact == "ner":
        report = train_ner(
            args.corpus_dir,
            out,
            ctgov=args.ctgov,
            pretrain_epochs=args.pretrain_epochs,
            max_steps=args.max_steps,
            vectors=args.vectors,
            lct=args.lct,
        )
        both = report["test"]["both"]["criteria"]["overlap"]["micro"]["f1"]
        print(
            f"dev exact F1 {report['dev']['ents_f']:.3f}; test overlap micro F1 with the rules {both:.3f}; "
            f"{report['total_seconds']} s; card in models/chia-ner/README.md"
        )
        return EXIT_OK
    if args.artifact == "triage":
        report = train_triage(args.corpus_dir, out)
        print(
            f"test macro F1 {report['test_macro_f1']} (5-fold CV on train+dev {report['cv_macro_f1']}); trained in "
            f"{report['train_seconds']} s; card in models/chia-triage/README.md"
        )
        return EXIT_OK
    report = train_gazetteer(args.corpus_dir, out)
    print(
        f"kept {report['kept']} of {report['candidates']} forms ({report['kept_per_label']}); "
        f"trained in {report['train_seconds']} s; test-split scores in models/chia-gazetteer/README.md"
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extractor",
        description="Turn clinical-trial eligibility criteria into structured, executable rules.",
    )
    parser.add_argument("--version", action="version", version=f"extractor {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "parse",
        help="segment a protocol's eligibility criteria into a tree of criteria",
        description=(
            "Read a registry page saved as text, bare eligibility text, ClinicalTrials.gov legacy XML "
            "or API v2 JSON, or JSON Lines (one trial per line), and print the criteria tree: one JSON "
            "object for one trial, JSON Lines for many."
        ),
    )
    p.add_argument("path", help="input file, or - for standard input")
    p.add_argument(
        "--format", choices=("json", "tree"), default="json", help="output: JSON (default) or an indented outline"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    p.add_argument("--input-format", choices=FORMATS, default="auto", help="skip detection and read as this format")
    p.add_argument("--encoding", default="utf-8", help="text encoding of the input (default utf-8)")
    p.add_argument("--max-bytes", type=int, default=MAX_DOCUMENT_BYTES, help="largest single document read (bytes)")
    p.add_argument(
        "--max-chars", type=int, default=MAX_RECORD_CHARS, help="largest eligibility text of one trial (characters)"
    )
    p.add_argument(
        "--no-tag",
        action="store_true",
        help="segment only: skip entity and threshold tagging (several times faster)",
    )
    p.add_argument(
        "--no-ner",
        action="store_true",
        help="tag without the statistical recogniser of models/chia-ner (about twice as fast; fewer entities)",
    )
    prog = p.add_mutually_exclusive_group()
    prog.add_argument(
        "--progress", dest="progress", action="store_true", default=None, help="show a progress bar for batches"
    )
    prog.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")
    p.set_defaults(func=cmd_parse)

    e = sub.add_parser(
        "evaluate",
        help="score the pipeline against the gold rules in annotations/ and the annotated corpora",
        description="With no argument: score the whole pipeline against the hand-coded gold rules in annotations/. "
        "Name lct, chia or context to score threshold extraction against LCT's Eq-Comparison events, entity "
        "tagging against Chia, or negation and exceptions against both.",
    )
    e.add_argument(
        "corpora",
        nargs="*",
        metavar="{gold,lct,chia,context}",
        help="gold (the hand-coded rules in annotations/: segmentation, thresholds, negation, logic agreement), "
        "lct (thresholds), chia (entities), context (negation and exceptions); default: gold",
    )
    e.add_argument("--gold-dir", help="folder of gold rule files (default: annotations/)")
    e.add_argument("--html", metavar="REPORT.html", help="also write the gold report as a self-contained HTML page")
    e.add_argument("--corpus-dir", help="folder of the one corpus named (default: ../shared/corpora/<name>)")
    e.add_argument(
        "--split", choices=("all", "train", "dev", "test"), default="all", help="documented split (default all)"
    )
    e.add_argument("--limit", type=int, help="score only the first N documents")
    e.add_argument("--json", action="store_true", help="print the scores as JSON")
    e.add_argument(
        "--strict",
        action="store_true",
        help="Chia entities: also score predictions inside Chia's unannotated whole-criterion spans (as false "
        "positives), as a token-level comparison with published results does",
    )
    e.add_argument(
        "--tagger",
        choices=("compare", "both", "rules", "model", "gazetteer", "ner"),
        default="compare",
        help="Chia entities: rules alone, learned models alone and both side by side (compare, the default); "
        "or one tagger: both (the pipeline), rules, model (gazetteer + NER), gazetteer, ner",
    )
    e.set_defaults(func=cmd_evaluate)

    c = sub.add_parser("compile", help="print a protocol's criteria as executable logic (JSON)")
    c.add_argument("path", help="protocol file")
    c.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    c.set_defaults(func=cmd_compile)

    s = sub.add_parser("screen", help="screen patient records against a protocol: one verdict per patient (JSON Lines)")
    s.add_argument("path", help="protocol file")
    s.add_argument("--patients", required=True, help="patient records: JSON Lines, or a JSON list")
    s.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    s.add_argument("--no-reasons", dest="reasons", action="store_false", help="leave out the per-criterion reasons")
    s.set_defaults(func=cmd_screen)

    t = sub.add_parser("train", help="rebuild a learned artifact in models/ from ../shared/corpora")
    t.add_argument("artifact", choices=("gazetteer", "triage", "ner"), help="what to train")
    t.add_argument("--corpus-dir", help="the Chia folder (default ../shared/corpora/chia)")
    t.add_argument("--out", help="output folder (default models/chia-gazetteer, -triage or -ner)")
    t.add_argument(
        "--ctgov", help="unlabelled trials (JSON Lines) for the NER's static vectors and optional pretraining"
    )
    t.add_argument(
        "--vectors",
        action="store_true",
        help="NER: add static vectors learned from unlabelled criteria (better Chia F1, worse gold logic)",
    )
    t.add_argument(
        "--lct",
        action="store_true",
        help="NER: add LCT's condition, drug and procedure names to Chia's train split (better Chia F1, worse "
        "gold logic)",
    )
    t.add_argument(
        "--pretrain-epochs", type=int, default=0, help="NER: epochs of tok2vec pretraining on ctgov (default 0)"
    )
    t.add_argument("--max-steps", type=int, help="NER: cap on training steps (default: the config's)")
    t.add_argument(
        "--rescore",
        action="store_true",
        help="ner, gazetteer: score the shipped model again (today's lexicons and scoring) and rewrite its card, "
        "without retraining",
    )
    t.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except ExtractorError as e:
        _error(str(e))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): not an error of ours
        with suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except MemoryError:
        _error("out of memory")
        return EXIT_ERROR
    except Exception as e:  # an internal bug: one line, never a traceback, unless --debug
        if args.debug:
            raise
        _error(f"internal error: {type(e).__name__}: {e} (rerun with --debug and report it)")
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
