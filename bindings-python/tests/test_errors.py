"""The exception classes, raised by real damaged, oversized and foreign files."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import thumbing
from conftest import FIXTURES, CorpusEntry, corpus_entries, tolerated_corpus_files
from thumbing import _thumbing

EXPECTED_CLASS = {
    "corrupt": thumbing.CorruptImageError,
    "bomb": thumbing.ImageTooLargeError,
    "unsupported": thumbing.UnsupportedFormatError,
}

CLASSES = {
    "unsupported_format": thumbing.UnsupportedFormatError,
    "corrupt": thumbing.CorruptImageError,
    "too_large": thumbing.ImageTooLargeError,
    "encode": thumbing.EncodeError,
}


def test_hierarchy_and_codes() -> None:
    assert issubclass(thumbing.ThumbingError, Exception)
    assert not issubclass(thumbing.ThumbingError, ValueError)
    assert thumbing.ThumbingError.code == "error"
    for code, cls in CLASSES.items():
        assert issubclass(cls, thumbing.ThumbingError)
        assert cls.code == code
        assert cls.__module__ == "thumbing"
        assert cls.__doc__
    assert len(set(CLASSES.values())) == 4


@pytest.mark.parametrize("code", sorted(CLASSES))
def test_every_core_category_maps_to_its_class(code: str) -> None:
    # No valid image makes the encoders fail, so the mapping of every category is also
    # checked directly, through the same conversion that real failures use.
    with pytest.raises(CLASSES[code]) as excinfo:
        _thumbing._raise_for_code(code, "details")
    assert excinfo.value.code == code
    assert str(excinfo.value).endswith(": details")


def test_invalid_options_category_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="^invalid options: details$"):
        _thumbing._raise_for_code("invalid_options", "details")


def test_fixture_failures() -> None:
    with pytest.raises(thumbing.ImageTooLargeError) as too_large:
        thumbing.avatar(FIXTURES / "bomb-100000x100000.png")
    assert str(too_large.value) == (
        "image too large: 100000x100000 is 10000000000 pixels, more than the limit of 100000000 pixels"
    )
    assert too_large.value.code == "too_large"
    with pytest.raises(thumbing.UnsupportedFormatError, match="^unsupported format: TIFF is not a supported"):
        thumbing.avatar(FIXTURES / "8bit_depth.tiff")
    with pytest.raises(thumbing.CorruptImageError, match="^corrupt image: jpeg: "):
        thumbing.avatar(FIXTURES / "corrupt-header.jpg")
    with pytest.raises(thumbing.UnsupportedFormatError, match="not a supported image: 19 bytes"):
        thumbing.avatar(b"not an image at all")


def test_a_bomb_is_rejected_even_with_generous_byte_limits() -> None:
    with pytest.raises(thumbing.ImageTooLargeError):
        thumbing.process(FIXTURES / "bomb-100000x100000.png", sizes=[16], max_input_bytes=10**12)


def test_exceptions_can_be_caught_by_the_base_class_and_pickled() -> None:
    try:
        thumbing.avatar(b"\x89PNG\r\n\x1a\n truncated")
    except thumbing.ThumbingError as e:
        err = e
    else:
        pytest.fail("no exception")
    assert isinstance(err, thumbing.CorruptImageError)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is thumbing.CorruptImageError
    assert str(again) == str(err)
    assert again.code == "corrupt"


TOLERATED = tolerated_corpus_files()
FAILING = [e for e in corpus_entries() if e.expected in EXPECTED_CLASS and e.name not in TOLERATED]
OPENED_WITH_WARNING = [e for e in corpus_entries() if e.name in TOLERATED]


def test_the_corpus_has_files_of_every_failing_kind(corpus: Path) -> None:
    kinds = {e.expected for e in FAILING}
    assert kinds == set(EXPECTED_CLASS), kinds


@pytest.mark.parametrize("entry", OPENED_WITH_WARNING, ids=[e.name for e in OPENED_WITH_WARNING])
def test_tolerated_corpus_files_warn_by_default_and_fail_when_strict(entry: CorpusEntry, corpus: Path) -> None:
    data = entry.path.read_bytes()
    with pytest.warns(thumbing.ImageWarning):
        [out] = thumbing.process(data, sizes=[64])
    assert out.width == out.height == 64
    assert out.warnings, "the avatar says what was wrong"
    with pytest.raises(thumbing.CorruptImageError):
        thumbing.avatar(data, 64, fail_on="warning")


@pytest.mark.parametrize("entry", FAILING, ids=[e.name for e in FAILING])
def test_corpus_files_raise_the_right_class(entry: CorpusEntry, corpus: Path) -> None:
    cls = EXPECTED_CLASS[entry.expected]
    data = entry.path.read_bytes()
    with pytest.raises(cls) as excinfo:
        thumbing.avatar(data, 64)
    assert excinfo.value.code == cls.code
    # Same class whatever the input form and entry point.
    with pytest.raises(cls):
        thumbing.process(entry.path, sizes=[64, 32])
    if entry.expected == "bomb":
        # probe() applies no limits: it reports the declared size.
        info = thumbing.probe(data)
        assert info.width * info.height > thumbing.DEFAULT_MAX_PIXELS
    elif entry.expected == "unsupported":
        with pytest.raises(cls):
            thumbing.probe(data)
