"""Byte-for-byte parity with the Rust crate.

Each case runs the same options through the command-line tool (``thumbing avatar``, which
calls ``thumbing::Options::process``) and through the Python module, and compares every output
byte, or the error category and message.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Union

import pytest

import thumbing
from conftest import FIXTURES, corpus_entries

#: (id, Python keyword arguments for process(), the same options as flags of `thumbing avatar`)
OPTION_SETS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("defaults", {}, []),
    (
        "sizes-and-boxes-png",
        {"sizes": (256, (320, 180), 48), "format": "png"},
        ["--sizes", "256,320x180,48", "--format", "png"],
    ),
    (
        "webp-contain-black",
        {"sizes": [(120, 60)], "format": "webp", "fit": "contain", "background": (0, 0, 0)},
        ["--sizes", "120x60", "--format", "webp", "--fit", "contain", "--background", "0,0,0"],
    ),
    (
        "smart-q92-progressive-mitchell",
        {"sizes": [200], "crop": "smart", "quality": 92, "progressive": True, "filter": "mitchell"},
        ["--size", "200", "--crop", "smart", "--quality", "92", "--progressive", "--filter", "mitchell"],
    ),
    (
        "focal-inside-png-smallest",
        {"sizes": [(300, 200), 64], "crop": (0.2, 0.8), "fit": "inside", "format": "png", "png_compression": "smallest"},
        ["--sizes", "300x200,64", "--crop", "0.2,0.8", "--fit", "inside", "--format", "png", "--png-compression", "smallest"],
    ),
    (
        "jpeg-background-best-effort",
        {"sizes": [96], "background": (20, 140, 60), "fail_on": "never", "quality": 40},
        ["--size", "96", "--background", "20,140,60", "--fail-on", "never", "--quality", "40"],
    ),
    (
        "tight-limits",
        {"sizes": [64], "max_pixels": 250_000, "max_input_bytes": 60_000},
        ["--size", "64", "--max-pixels", "250000", "--max-input-bytes", "60000"],
    ),
]

Result = Union[list[bytes], tuple[str, str]]


def rust(cli: Path, image: Path, args: list[str]) -> Result:
    """The outputs of ``thumbing avatar``, in order, or (error code, message)."""
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run(
            [str(cli), "avatar", str(image), "-o", out, "--json", "--jobs", "1", *args],
            capture_output=True,
            text=True,
            timeout=300,
        )
        reports = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        report = next((r for r in reports if "input" in r), None)
        assert report is not None, f"thumbing gave no report (exit {proc.returncode}): {proc.stderr}"
        if not report["ok"]:
            return report["error"]["code"], report["error"]["message"]
        return [Path(o["path"]).read_bytes() for o in report["outputs"]]


def python(image: Path, kwargs: dict[str, Any]) -> Result:
    try:
        return [a.data for a in thumbing.process(image.read_bytes(), **kwargs)]
    except thumbing.ThumbingError as e:
        return e.code, str(e)


def assert_same(py: Result, rs: Result) -> None:
    if isinstance(rs, tuple):
        assert py == rs, "the Python module and the Rust crate disagree about the error"
    else:
        assert isinstance(py, list), f"Python raised {py} where Rust succeeded"
        assert len(py) == len(rs)
        for i, (a, b) in enumerate(zip(py, rs)):
            assert a == b, f"output {i} differs: {len(a)} bytes from Python, {len(b)} from Rust"


FIXTURE_FILES = sorted(p for p in FIXTURES.iterdir() if p.is_file() and p.suffix.lower() != ".md")


@pytest.mark.parametrize("options", OPTION_SETS, ids=[o[0] for o in OPTION_SETS])
@pytest.mark.parametrize("image", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_fixtures_match_rust(cli: Path, image: Path, options: tuple[str, dict[str, Any], list[str]]) -> None:
    _, kwargs, args = options
    assert_same(python(image, kwargs), rust(cli, image, args))


def test_fixtures_cover_successes_and_failures(cli: Path) -> None:
    results = [rust(cli, image, []) for image in FIXTURE_FILES]
    assert sum(isinstance(r, list) for r in results) >= 10
    assert {r[0] for r in results if isinstance(r, tuple)} >= {"corrupt", "too_large", "unsupported_format"}


CORPUS = corpus_entries()


@pytest.mark.parametrize("entry", CORPUS, ids=[e.name for e in CORPUS])
def test_corpus_matches_rust(cli: Path, corpus: Path, entry) -> None:
    assert_same(python(entry.path, {"sizes": [128]}), rust(cli, entry.path, ["--size", "128"]))


def test_corpus_is_present(corpus: Path) -> None:
    assert len(CORPUS) >= 200
