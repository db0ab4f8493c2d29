"""Shared paths and fixtures for the thumbing Python tests.

* ``fixtures/`` (committed, small) is always there.
* The public corpus is at ``$THUMBING_CORPUS``, by default ``../shared/corpus`` next to the
  repository. Without it, corpus tests are skipped with a plain message, except with
  ``CI=true``, where they fail: CI must not pass by testing nothing.
* The command-line tool ``thumbing`` (``cli/``), which the parity tests compare with, is at
  ``$THUMBING_CLI``, by default ``$CARGO_TARGET_DIR/release/thumbing``; the same rule
  applies. ``scripts/test-python.sh`` builds it.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
CORPUS = Path(os.environ.get("THUMBING_CORPUS") or REPO.parent / "shared" / "corpus")
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
if not TARGET.is_absolute():
    TARGET = REPO / TARGET
CLI = Path(os.environ.get("THUMBING_CLI") or TARGET / "release" / "thumbing")
IN_CI = os.environ.get("CI", "").lower() == "true"

#: Large real photos from the corpus (camera JPEGs with EXIF, ICC).
PHOTOS = [
    "photos-exif-samples/HMD_Nokia_8.3_5G.jpg",
    "photos-exif-samples/iphone_hdr_NO.jpg",
    "sharp-fixtures/2569067123_aca715a2ee_o.jpg",
    "sharp-fixtures/flowers.jpeg",
]


def missing(what: str) -> None:
    """Fails under CI, otherwise skips, saying plainly what is missing."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: this is a failure, not a skip)", pytrace=False)
    pytest.skip(f"SKIPPED: {what}")


@dataclass(frozen=True)
class CorpusEntry:
    """One line of the corpus's MANIFEST.tsv."""

    path: Path
    format: str
    expected: str  # ok, corrupt, bomb or unsupported
    note: str

    @property
    def name(self) -> str:
        return self.path.relative_to(CORPUS).as_posix()


def corpus_entries() -> list[CorpusEntry]:
    """The corpus manifest, or an empty list when the corpus is absent."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [
        CorpusEntry(CORPUS / row["path"], row["format"], row["expected"], row["note"])
        for row in rows
    ]


def tolerated_corpus_files() -> set[str]:
    """Corpus files that MANIFEST.tsv marks ``corrupt`` (a strict decoder's view) and that the
    tolerant default opens with a warning: ``fixtures/corpus-tolerated.tsv``, shared with the
    Rust tests, which says why for each."""
    with (FIXTURES / "corpus-tolerated.tsv").open(newline="", encoding="utf-8") as f:
        return {row["path"] for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The corpus directory; skips (or fails under CI) when it is missing."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        missing(f"the test corpus is not at {CORPUS} (set THUMBING_CORPUS to its directory)")
    return CORPUS


@pytest.fixture(scope="session")
def photos(corpus: Path) -> list[bytes]:
    """The bytes of the large corpus photos."""
    return [(corpus / p).read_bytes() for p in PHOTOS]


@pytest.fixture(scope="session")
def cli() -> Path:
    """The ``thumbing`` command; skips (or fails under CI) when it is not built."""
    if not CLI.is_file():
        missing(
            f"the thumbing command is not at {CLI}; build it with "
            "`cargo build --release -p thumbing-cli` (or set THUMBING_CLI)"
        )
    return CLI


@pytest.fixture(scope="session")
def landscape() -> bytes:
    """A small committed JPEG with EXIF orientation 6."""
    return (FIXTURES / "landscape_6.jpg").read_bytes()
