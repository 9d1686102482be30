"""The CLI on input it cannot use: a non-zero exit and one line on stderr, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.cli import main
from extractor.readers import MAX_DOCUMENT_BYTES


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["parse", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc: int, out: str, err: str) -> str:
    """The CLI refused the input with exactly one ``extractor:`` line; return that line."""
    assert rc != 0
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("extractor:"), lines
    assert "internal error" not in lines[0]
    assert out == ""
    return lines[0]


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


# -- the whole input is unusable ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\t\r\n   \n", "empty"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 512, "binary"),
        ("bad.xml", b"<clinical_study><eligibility>", "malformed XML"),
        ("bad.json", b'{"protocolSection": ', "invalid JSON"),
        ("deep.json", b"[" * 10000 + b"]" * 10000, "nested too deeply"),
    ],
    ids=["empty", "whitespace", "binary", "malformed-xml", "malformed-json", "deep-json"],
)
def test_unusable_input(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, data: bytes, words: str) -> None:
    path = write(tmp_path, name, data)
    line = assert_one_line_error(*run(capsys, str(path)))
    assert words in line
    assert str(path) in line


def test_xml_bomb_is_refused_not_expanded(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    laughs = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE clinical_study [<!ENTITY lol0 "lol">{laughs}]>\n'
        "<clinical_study><eligibility><criteria><textblock>&lol9;</textblock></criteria>"
        "</eligibility></clinical_study>"
    )
    path = write(tmp_path, "bomb.xml", bomb)
    rc, out, err = run(capsys, str(path))
    line = assert_one_line_error(rc, out, err)
    assert "refused" in line
    assert "lol" not in out


def test_not_utf8_then_with_encoding(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.txt", "Inclusion Criteria:\n- caf\xe9 au lait\n".encode("latin-1"))
    line = assert_one_line_error(*run(capsys, str(path)))
    assert "utf-8" in line and "--encoding" in line
    rc, out, err = run(capsys, "--encoding", "latin-1", str(path))
    assert rc == 0, err
    assert err == ""
    trial = json.loads(out)
    assert trial["criteria"][0]["text"] == "café au lait"


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = assert_one_line_error(*run(capsys, str(tmp_path / "nope.txt")))
    assert "no such file" in line


def test_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = assert_one_line_error(*run(capsys, str(tmp_path)))
    assert "directory" in line


def test_file_over_the_size_limit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    chunk = ("- item\n" * 150_000).encode()  # ~1 MB
    with path.open("wb") as f:
        for _ in range(50):
            f.write(chunk)
    assert path.stat().st_size > 50_000_000
    line = assert_one_line_error(*run(capsys, str(path)))
    assert "larger than" in line
    assert f"{MAX_DOCUMENT_BYTES // 2**20} MiB" in line


def test_eligibility_text_over_the_character_limit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "long.txt", "- item\n" * 1000)
    line = assert_one_line_error(*run(capsys, "--max-chars", "1000", str(path)))
    assert "limit" in line


# -- absurd list nesting ---------------------------------------------------------------------

# 10,000 numbered lead-ins ("1. ... the following:"), each opening a list under the last.
DEEP_LEADINS = "1. Patients must meet all of the following:\n" * 10_000
# Bullets, each indented one more space than the last. Indentation costs bytes, so this
# stops short of 10,000 lines to stay under the default size limits (16 MiB, 2,000,000
# characters); it is still ~950 levels, far past the segmenter's 40.
DEEP_INDENT = "".join(" " * i + "- x\n" for i in range(1_900))


@pytest.mark.parametrize("text", [DEEP_LEADINS, DEEP_INDENT], ids=["lead-ins", "indentation"])
def test_deep_nesting_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "deep.txt", text)
    line = assert_one_line_error(*run(capsys, str(path)))
    assert "nesting" in line
    assert "skipped" not in line  # a single trial's error is reported once, as an error


def test_single_xml_study_without_eligibility(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "study.xml",
        "<clinical_study><id_info><nct_id>NCT00000009</nct_id></id_info></clinical_study>",
    )
    line = assert_one_line_error(*run(capsys, str(path)))
    assert "eligibility" in line
    assert "skipped" not in line


# -- batches: a bad record is skipped, the rest written ----------------------------------------


def _corpus_line(n: int) -> str:
    return json.dumps(
        {
            "nct_id": f"NCT0000010{n}",
            "source": "corpus",
            "title": f"Trial {n}",
            "phase": "PHASE3",
            "conditions": ["Gout"],
            "gender": "All",
            "minimum_age": "18 Years",
            "maximum_age": "N/A",
            "healthy_volunteers": "No",
            "criteria": "Inclusion Criteria:\n- Gout\nExclusion Criteria:\n- Renal failure",
        }
    )


def test_jsonl_batch_with_one_bad_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lines = [_corpus_line(1), _corpus_line(2), '{"nct_id": "NCT00000103", ', _corpus_line(4)]
    path = write(tmp_path, "batch.jsonl", "\n".join(lines) + "\n")
    rc, out, err = run(capsys, str(path))
    assert rc == 3
    assert "Traceback" not in err
    written = [json.loads(line) for line in out.splitlines()]
    assert [t["trial_id"] for t in written] == ["NCT00000101", "NCT00000102", "NCT00000104"]
    assert all(t["criteria"][0]["id"] == "inclusion/1" for t in written)
    skipped = [line for line in err.splitlines() if line.startswith("extractor: skipped")]
    assert len(skipped) == 1, err
    assert f"{path}:3" in skipped[0]
    assert all(line.startswith("extractor:") for line in err.splitlines())


# -- output options ----------------------------------------------------------------------------

GOOD = "Inclusion Criteria:\n1. Adults\n2. Signed consent\nExclusion Criteria:\n1. Pregnancy\n"


def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "good.txt", GOOD)
    target = tmp_path / "out.json"
    rc, out, err = run(capsys, "-o", str(target), str(path))
    assert rc == 0, err
    assert out == ""
    assert err == ""
    trial = json.loads(target.read_text(encoding="utf-8"))
    assert [c["id"] for c in trial["criteria"]] == ["inclusion/1", "inclusion/2", "exclusion/1"]
    assert not (tmp_path / "out.json.part").exists()


def test_output_file_not_written_on_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "empty.txt", "")
    target = tmp_path / "out.json"
    assert_one_line_error(*run(capsys, "-o", str(target), str(path)))
    assert not target.exists()
    assert not (tmp_path / "out.json.part").exists()


def test_tree_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "good.txt", GOOD)
    rc, out, err = run(capsys, "--format", "tree", str(path))
    assert rc == 0, err
    lines = out.splitlines()
    assert any("inclusion/1" in line and "Adults" in line for line in lines)
    assert any("exclusion/1" in line and "Pregnancy" in line for line in lines)
