"""The gold report's HTML page: escaping, entity highlighting, logic rendering, totals, and a headless-browser run."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from extractor.evaluate.gold import GoldReport, TrialReport
from extractor.evaluate.html import highlight, logic_lines, render_report, write_report
from extractor.evaluate.metrics import Counts

HOSTILE = '<script>alert("x")</script> & \'quotes\' "double" </pre></td> café ≤ 1.5×ULN 肝 🙂'
TEXT = 'Inclusion Criteria\n  1. No fever <38 °C & no "cough".\n  2. ALT ≤ 2.5 × ULN except <script>x</script>.\n'


def _span(text: str, words: str) -> list[int]:
    start = text.index(words)
    return [start, start + len(words)]


def _trial(trial_id: str = "NCT00000001", text: str = TEXT, domain: str = "oncology") -> TrialReport:
    t = TrialReport(trial_id=trial_id, domain=domain)
    t.nodes = Counts(tp=10, fp=0, fn=0)
    t.shape_ok, t.shape_total = 9, 10
    t.thresholds = Counts(tp=1, fp=1, fn=1)
    t.negated = Counts(tp=1, fp=0, fn=1)
    t.exceptions = Counts(tp=0, fp=1, fn=0)
    t.logic_agree, t.logic_probes = 48, 50
    t.eligibility_text = text
    t.entities = [
        {"span": _span(TEXT, "fever"), "label": "Condition", "negated": True, "exception": False},
        {"span": _span(TEXT, "<38 °C"), "label": "Value", "negated": False, "exception": False},
        {"span": _span(TEXT, "ALT"), "label": "Measurement", "negated": False, "exception": False},
        {"span": _span(TEXT, "<script>x</script>"), "label": "Drug", "negated": False, "exception": True},
    ]
    t.criteria = [
        {
            "id": "inclusion/1",
            "text": 'No fever <38 °C & no "cough".',
            "span": _span(TEXT, "No fever"),
            "gold": {"op": "not", "arg": {"op": "has", "kind": "condition", "code": "ICD10CM:R50", "window": None}},
            "compiled": {"op": "not", "arg": {"op": "has", "kind": "condition", "code": "ICD10CM:R50"}},
            "agree": 4,
            "probes": 4,
            "disagreements": [],
        },
        {
            "id": "inclusion/2",
            "text": HOSTILE,
            "span": None,
            "gold": {
                "op": "all",
                "args": [
                    {
                        "op": "compare",
                        "fact": "observation",
                        "code": "LOINC:1742-6",
                        "comparator": "<=",
                        "value": 2.5,
                        "unit": None,
                        "relative_to": "ULN",
                    },
                    {"op": "manual", "reason": HOSTILE},
                ],
            },
            "compiled": None,
            "agree": 1,
            "probes": 5,
            "disagreements": [{"patient": "base<>", "gold": True, "compiled": None}],
        },
    ]
    t.misses = ["inclusion/2: logic agrees on 1/5 probes", "<img src=x onerror=alert(1)>"]
    return t


def _report() -> GoldReport:
    return GoldReport(
        trials=[_trial(), _trial("NCT<script>2", domain=HOSTILE, text="")],
        errors=["<script>bad gold</script>"],
    )


class _Collect(HTMLParser):
    """Tags opened, and the text inside ``<pre class="elig">``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.in_elig = 0
        self.elig: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "pre" and ("class", "elig") in attrs:
            self.in_elig = 1
        elif self.in_elig and tag == "mark":
            self.in_elig += 1

    def handle_endtag(self, tag: str) -> None:
        if self.in_elig and tag in ("pre", "mark"):
            self.in_elig -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.in_elig:
            self.elig.append(data)


def _parse(page: str) -> _Collect:
    p = _Collect()
    p.feed(page)
    p.close()
    return p


# -- unit tests ----------------------------------------------------------------------------------------------------


def test_data_is_escaped_and_only_our_scripts_run() -> None:
    page = render_report(_report())
    parsed = _parse(page)
    assert parsed.tags.count("script") == 2  # the onerror hook and the page script, nothing from the data
    assert parsed.tags.count("img") == 0
    assert "<script>alert" not in page and "<script>x" not in page and "<script>bad" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    text = "".join(parsed.text)
    assert HOSTILE in text  # round-trips through the parser unchanged (quotes, <, &, unicode)
    assert "<img src=x onerror=alert(1)>" in text
    assert "<script>bad gold</script>" in text
    assert 'id="trial-2-NCT_script_2"' in page  # ids are slugs, never raw data


def test_eligibility_text_round_trips_with_entities_highlighted() -> None:
    page = render_report(GoldReport(trials=[_trial()]))
    parsed = _parse(page)
    assert "".join(parsed.elig) == TEXT
    assert '<mark class="ent ent-Condition neg" title="Condition, negated">fever</mark>' in page
    assert '<mark class="ent ent-Value" title="Value">&lt;38 °C</mark>' in page
    assert '<mark class="ent ent-Drug exc" title="Drug, exception">&lt;script&gt;x&lt;/script&gt;</mark>' in page
    for label in ("Condition", "Drug", "Procedure", "Measurement", "Observation", "Value", "Temporal", "Device"):
        assert f'<span class="ent ent-{label}">{label}</span>' in page  # the legend


def test_highlight_spans_adjacent_and_unknown_labels() -> None:
    out, dropped = highlight("a<b&c d", [{"span": [1, 2], "label": "Drug"}, {"span": [2, 4], "label": "<odd>"}])
    assert dropped == 0
    assert out == (
        'a<mark class="ent ent-Drug" title="Drug">&lt;</mark>'
        '<mark class="ent ent-other" title="&lt;odd&gt;">b&amp;</mark>c d'
    )


@pytest.mark.parametrize(
    "spans",
    [
        [[0, 10], [2, 5]],  # nested
        [[0, 6], [3, 9]],  # crossing
        [[4, 8], [4, 8], [4, 6]],  # identical, same start
        [[-5, 3], [8, 99], [5, 5], [7, 2]],  # out of range, empty, reversed
        [None, "0-3", [1], [True, 3], ["1", "3"], [1.0, 3.0]],  # malformed
    ],
)
def test_overlapping_or_bad_entities_do_not_crash(spans: list[object]) -> None:
    text = "abc <def> & ghi"
    entities: list[dict[str, object]] = [{"span": s, "label": "Condition"} for s in spans]
    out, dropped = highlight(text, entities)
    drawn = out.count("<mark")
    assert drawn + dropped == len(spans)
    assert "<mark" not in "".join(re.findall(r"<mark[^>]*>(.*?)</mark>", out))  # never nested
    parsed = _Collect()
    parsed.feed(f'<pre class="elig">{out}</pre>')
    assert "".join(parsed.elig) == text


def test_entities_not_a_dict_are_skipped() -> None:
    out, dropped = highlight("abc", ["x", 3, None])  # type: ignore[list-item]
    assert (out, dropped) == ("abc", 3)


def test_totals_and_targets_in_the_header() -> None:
    page = render_report(_report())
    header = page[page.index("<header>") : page.index("</header>")]
    # two trials: segmentation 20/0/0 -> F1 1.000 (met), thresholds 2/2/2 -> 0.500 (not met), logic 96/100 (met)
    assert ">2</div>" in header  # trials
    assert "1.000" in header and "shape accuracy 0.900" in header
    assert "0.500" in header
    assert "0.960" in header and "96 of 100 probe verdicts agree" in header
    assert "Negation F1" in header and "Exception F1" in header
    assert header.count("not met") == 1
    assert "target ≥ 0.97: met" in header and "target ≥ 0.93: not met" in header and "target ≥ 0.95: met" in header
    assert "1 gold file(s) not scored" in header


def test_charts_are_inline_svg_with_target_lines() -> None:
    page = render_report(_report())
    assert page.count("<svg") == 2
    assert page.count('stroke-dasharray="4 3"><title>target') == 3 + 3  # per-trial panels and the totals chart
    assert 'href="#trial-1-NCT00000001"' in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def test_logic_lines() -> None:
    expr = {
        "op": "all",
        "args": [
            {
                "op": "compare",
                "fact": "observation",
                "code": "LOINC:1975-2",
                "comparator": "<=",
                "value": 1.5,
                "unit": None,
                "relative_to": "ULN",
                "when": {"age": [18, None]},
            },
            {
                "op": "not",
                "arg": {
                    "op": "has",
                    "kind": "condition",
                    "code": "ICD10CM:C34",
                    "display": "Lung cancer",
                    "window": {"comparator": "<=", "value": 4, "unit": "wk", "reference": None},
                },
            },
            {
                "op": "implies",
                "if": {"op": "sex", "value": "female"},
                "then": {
                    "op": "any",
                    "args": [
                        {
                            "op": "compare",
                            "fact": "age",
                            "comparator": "between",
                            "value": 18.0,
                            "value_high": 65,
                            "unit": "a",
                        },
                        {"op": "const", "value": None},
                    ],
                },
            },
            {"op": "n_of", "n": 2, "args": [{"op": "manual", "reason": "consent"}, {"op": "ref", "id": "inclusion/9"}]},
        ],
    }
    assert logic_lines(expr) == [
        "all(",
        "  compare LOINC:1975-2 <= 1.5×ULN when age ≥ 18",
        "  not has condition ICD10CM:C34 (Lung cancer) within 4 wk",
        "  implies(",
        "    if sex female",
        "    then",
        "      any(",
        "        compare age between 18 and 65 a",
        "        const unknown))",
        "  at least 2 of(",
        "    manual: consent",
        "    ref inclusion/9))",
    ]
    assert logic_lines(None) == ["(none)"]
    for odd in ({"op": "all"}, {"op": "all", "args": "x"}, {"op": "weird", "x": [1]}, {"op": "not"}, [1, 2], "s", 3):
        assert logic_lines(odd)  # shown somehow, never raises
    deep: dict[str, object] = {"op": "const", "value": True}
    for _ in range(200):
        deep = {"op": "not", "arg": deep}
    assert logic_lines(deep)


def test_write_report_survives_unencodable_text(tmp_path: Path) -> None:
    trial = _trial(text="lone surrogate \ud800 and NUL \x00 here")
    trial.entities = [{"span": [0, 4], "label": "Condition"}]
    path = tmp_path / "r.html"
    write_report(GoldReport(trials=[trial]), path)
    page = path.read_text(encoding="utf-8")
    assert "\x00" not in page and "NUL \ufffd here" in page


def test_empty_report() -> None:
    page = render_report(GoldReport())
    assert page.count("<svg") == 2 and "<header>" in page


# -- the page in a browser -----------------------------------------------------------------------------------------


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_page_renders_in_headless_chromium_without_script_errors(tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary (CI installs Debian's chromium)")
    page = tmp_path / "report.html"
    write_report(_report(), page)
    url = page.resolve().as_uri() + "#trial-1-NCT00000001"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--dump-dom",
        url,
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, errors="replace")
    dom, log = run.stdout, run.stderr
    assert run.returncode == 0, log[-2000:]
    body = re.search(r"<body[^>]*>", dom)
    assert body is not None, dom[:2000]
    assert 'data-rendered="ok"' in body.group(0), body.group(0)
    assert "data-script-errors" not in dom
    assert "Uncaught" not in log
    console = [line for line in log.splitlines() if "CONSOLE" in line and "report.html" in line]
    assert not console, console
    # the script ran: the count is written and the trial named in the URL's fragment is open
    assert "2 of 2 trials shown" in dom
    opened = re.search(r'<details[^>]*id="trial-1-NCT00000001"[^>]*>', dom)
    assert opened is not None and " open" in opened.group(0)
    closed = re.search(r'<details[^>]*id="trial-2-NCT_script_2"[^>]*>', dom)
    assert closed is not None and " open" not in closed.group(0)
