"""Every form of ``data``: bytes, buffers, paths, file objects; and wrong ones."""

from __future__ import annotations

import array
import io
import mmap
import os
from pathlib import Path

import pytest

import thumbing
from conftest import FIXTURES

SOURCE = FIXTURES / "landscape_6.jpg"


@pytest.fixture(scope="module")
def raw() -> bytes:
    return SOURCE.read_bytes()


@pytest.fixture(scope="module")
def expected(raw: bytes) -> bytes:
    return thumbing.avatar(raw, 64)


class PathLike:
    """A minimal os.PathLike that is not a pathlib.Path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __fspath__(self) -> str:
        return str(self.path)


class TrickleReader:
    """A binary stream returning at most ``step`` bytes per read(), like a socket."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.pos, self.step, self.calls = data, 0, step, 0

    def read(self, n: int = -1) -> bytes:
        self.calls += 1
        take = self.step if n < 0 else min(n, self.step)
        chunk = self.data[self.pos : self.pos + take]
        self.pos += len(chunk)
        return chunk


def make_inputs(raw: bytes, tmp_path: Path):
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(raw)
    doubled = array.array("B", raw)
    return {
        "bytes": lambda: raw,
        "bytearray": lambda: bytearray(raw),
        "memoryview": lambda: memoryview(raw),
        "memoryview of bytearray": lambda: memoryview(bytearray(raw)),
        "memoryview slice": lambda: memoryview(b"xx" + raw + b"yy")[2:-2],
        "non-contiguous memoryview": lambda: memoryview(bytes(b for pair in zip(raw, raw) for b in pair))[::2],
        "array.array": lambda: doubled,
        "str path": lambda: str(copy),
        "pathlib.Path": lambda: copy,
        "os.PathLike": lambda: PathLike(copy),
        "open file": lambda: open(copy, "rb"),  # noqa: SIM115 (closed by the test)
        "unbuffered file": lambda: open(copy, "rb", buffering=0),  # noqa: SIM115
        "BytesIO": lambda: io.BytesIO(raw),
        "BufferedReader(BytesIO)": lambda: io.BufferedReader(io.BytesIO(raw)),
        "trickling stream": lambda: TrickleReader(raw, 1000),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "bytes",
        "bytearray",
        "memoryview",
        "memoryview of bytearray",
        "memoryview slice",
        "non-contiguous memoryview",
        "array.array",
        "str path",
        "pathlib.Path",
        "os.PathLike",
        "open file",
        "unbuffered file",
        "BytesIO",
        "BufferedReader(BytesIO)",
        "trickling stream",
    ],
)
def test_every_input_kind_gives_the_same_avatar(raw: bytes, expected: bytes, tmp_path: Path, kind: str) -> None:
    make = make_inputs(raw, tmp_path)[kind]
    for fn in (
        lambda d: thumbing.avatar(d, 64),
        lambda d: thumbing.process(d, sizes=[64])[0].data,
    ):
        data = make()
        try:
            assert fn(data) == expected
        finally:
            if hasattr(data, "close"):
                data.close()
    data = make()
    try:
        assert thumbing.probe(data) == thumbing.probe(raw)
    finally:
        if hasattr(data, "close"):
            data.close()


def test_mmap(raw: bytes, expected: bytes, tmp_path: Path) -> None:
    path = tmp_path / "mapped.jpg"
    path.write_bytes(raw)
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        assert thumbing.avatar(m, 64) == expected


def test_file_objects_are_read_from_their_position(raw: bytes, expected: bytes) -> None:
    stream = io.BytesIO(b"HEADER" + raw)
    stream.seek(6)
    assert thumbing.avatar(stream, 64) == expected
    assert stream.read() == b""  # read to the end


def test_a_stream_is_read_in_chunks(raw: bytes, expected: bytes) -> None:
    reader = TrickleReader(raw, 4096)
    assert thumbing.avatar(reader, 64) == expected
    assert reader.calls == len(raw) // 4096 + 2  # the chunks, then the empty read at the end


def test_an_endless_stream_is_cut_off_at_the_limit() -> None:
    class Endless:
        def __init__(self) -> None:
            self.delivered = 0

        def read(self, n: int = -1) -> bytes:
            assert n > 0, "an unbounded read() of an endless stream would never return"
            self.delivered += n
            return b"\xff" * n

    stream = Endless()
    with pytest.raises(thumbing.ImageTooLargeError, match="more than the limit of 100000 bytes"):
        thumbing.avatar(stream, 64, max_input_bytes=100_000)
    assert stream.delivered == 100_001


def test_a_file_over_the_limit_is_rejected_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    with big.open("wb") as f:
        f.truncate(2_000_000)  # sparse: no real data to read
    with pytest.raises(thumbing.ImageTooLargeError, match="input is 2000000 bytes, more than the limit of 1000 bytes"):
        thumbing.avatar(big, 64, max_input_bytes=1000)


def test_changing_a_bytearray_after_the_call_does_not_matter(raw: bytes, expected: bytes) -> None:
    buf = bytearray(raw)
    [a] = thumbing.process(buf, sizes=[64])
    buf[:] = b"\0" * len(buf)
    assert a.data == expected


def test_missing_file_raises_file_not_found_with_the_name(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jpg"
    with pytest.raises(FileNotFoundError) as excinfo:
        thumbing.avatar(missing)
    assert excinfo.value.filename == str(missing)
    assert excinfo.value.errno == 2
    assert "No such file or directory" in str(excinfo.value)
    with pytest.raises(FileNotFoundError):
        thumbing.probe(str(missing))


def test_directory_raises_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        thumbing.avatar(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root can read any file")
def test_unreadable_file_raises_permission_error(tmp_path: Path) -> None:
    path = tmp_path / "secret.jpg"
    path.write_bytes(b"x")
    path.chmod(0)
    with pytest.raises(PermissionError):
        thumbing.avatar(path)


def test_text_file_is_a_type_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(SOURCE.read_bytes())
    with path.open("r", encoding="latin-1") as f, pytest.raises(TypeError, match=r"open it in binary mode"):
        thumbing.avatar(f)
    with pytest.raises(TypeError, match="open it in binary mode"):
        thumbing.avatar(io.StringIO("hello"))


@pytest.mark.parametrize(
    ("data", "type_name"),
    [(None, "NoneType"), (42, "int"), (3.5, "float"), ([1, 2, 3], "list"), (object(), "object")],
)
def test_wrong_data_types_are_type_errors(data: object, type_name: str) -> None:
    message = rf"data must be bytes, a bytes-like object, a path \(str or os.PathLike\) or a binary file object, not {type_name}$"
    for fn in (thumbing.avatar, thumbing.process, thumbing.probe):
        with pytest.raises(TypeError, match=message):
            fn(data)  # type: ignore[arg-type]


def test_read_returning_something_else_is_a_type_error() -> None:
    class Weird:
        def read(self, n: int = -1) -> object:
            return 12

    with pytest.raises(TypeError, match="data.read\\(\\) must return bytes, not int"):
        thumbing.avatar(Weird())

    class NonBlocking:
        def read(self, n: int = -1) -> None:
            return None

    with pytest.raises(TypeError, match="non-blocking"):
        thumbing.avatar(NonBlocking())


def test_exceptions_from_read_propagate() -> None:
    class Broken:
        def read(self, n: int = -1) -> bytes:
            raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError, match="peer went away"):
        thumbing.avatar(Broken())


def test_empty_input_is_unsupported() -> None:
    for empty in (b"", bytearray(), io.BytesIO()):
        with pytest.raises(thumbing.UnsupportedFormatError, match="0 bytes with no JPEG, PNG, WebP or GIF signature"):
            thumbing.avatar(empty)
