"""The damage generator: damaged copies of good JPEGs and PNGs, judged against Pillow.

Pillow's defaults (``Image.open(f).load()``) are the oracle:

* every copy that Pillow opens, thumbing must make an avatar from, of the right size and not
  a flat grey field (unless Pillow's own image is flat), with a warning where the damage is
  of a kind that needs recovering from (junk between markers, a bad checksum);
* every copy that Pillow refuses gives one of thumbing's typed errors or an avatar with a
  warning, never anything else, and never a hang (pytest-timeout).

The generator's seed is fixed, so a failure names a reproducible copy; each copy that failed
once is committed under ``fixtures/damaged/`` and checked by the same rule below (and by
``core/tests/tolerance.rs``).
"""

from __future__ import annotations

import io
import random
import statistics
import struct
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from conftest import FIXTURES
from PIL import Image

import thumbing

SEED = 17
COPIES_PER_SOURCE = 40
SIZE = 64


@dataclass(frozen=True)
class Copy:
    name: str
    data: bytes
    #: The damage is of a kind that thumbing must report (it cannot be invisible).
    must_warn: bool


def jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of the segments up to and including the first SOS header."""
    out, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        out.append((marker, pos, pos + 2 + length))
        pos += 2 + length
        if marker == 0xDA:
            break
    return out


def png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of every chunk."""
    out, pos = [], 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((data[pos + 4 : pos + 8], pos, pos + 12 + length))
        pos += 12 + length
    return out


def junk(rng: random.Random, low: int, high: int) -> bytes:
    """Random bytes without 0xFF (which could form a marker)."""
    return bytes(rng.randrange(0, 0xFF) for _ in range(rng.randint(low, high)))


def jpeg_copies(name: str, data: bytes, rng: random.Random, count: int) -> Iterator[Copy]:
    segments = jpeg_segments(data)
    scan_start, scan_end = segments[-1][2], len(data) - 2
    tables = [s for s in segments[1:] if s[0] != 0xDA]  # after the first (APP0/APP1)
    kinds = ["flip", "flip", "flip", "junk_between", "junk_in_scan", "junk_before_soi", "cut", "cut", "length"]
    for i in range(count):
        kind = rng.choice(kinds)
        b = bytearray(data)
        if kind == "flip":  # bits flipped inside the entropy-coded data
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(scan_start, scan_end)] ^= 1 << rng.randrange(8)
        elif kind == "junk_between":  # libjpeg: "extraneous bytes before marker"
            _, start, _ = rng.choice(tables + [segments[-1]])
            b[start:start] = junk(rng, 1, 16)
        elif kind == "junk_in_scan":
            at = rng.randrange(scan_start, scan_end)
            b[at:at] = junk(rng, 1, 8)
        elif kind == "junk_before_soi":
            b[0:0] = junk(rng, 1, 32)
        elif kind == "cut":
            del b[rng.randrange(2, len(b) - 1) :]
        else:  # a segment length broken
            _, start, _ = rng.choice(segments[:-1])
            struct.pack_into(">H", b, start + 2, rng.randrange(0, 65536))
        yield Copy(f"{name}-{i:03d}-{kind}", bytes(b), kind == "junk_between")


def png_copies(name: str, data: bytes, rng: random.Random, count: int) -> Iterator[Copy]:
    chunks = png_chunks(data)
    idats = [c for c in chunks if c[0] == b"IDAT"]
    kinds = ["flip_idat", "crc", "crc_idat", "cut", "cut_after_idat", "length", "extra_idat"]
    for i in range(count):
        kind = rng.choice(kinds)
        b = bytearray(data)
        if kind == "flip_idat":
            _, start, end = rng.choice(idats)
            b[rng.randrange(start + 8, end - 4)] ^= 1 << rng.randrange(8)
        elif kind in ("crc", "crc_idat"):
            _, _, end = rng.choice(idats if kind == "crc_idat" else chunks)
            b[end - 1] ^= 0x5A
        elif kind == "cut":
            del b[rng.randrange(8, len(b) - 1) :]
        elif kind == "cut_after_idat":
            del b[rng.randrange(idats[-1][2] + 1, len(b)) :]
        elif kind == "length":
            _, start, _ = rng.choice(chunks)
            struct.pack_into(">I", b, start, rng.randrange(0, 1 << 20))
        else:  # an extra IDAT chunk after the image data
            _, _, end = idats[-1]
            extra = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
            chunk = struct.pack(">I", len(extra)) + b"IDAT" + extra
            b[end:end] = chunk + struct.pack(">I", zlib.crc32(b"IDAT" + extra))
        yield Copy(f"{name}-{i:03d}-{kind}", bytes(b), kind in ("crc", "crc_idat"))


def sources() -> list[tuple[str, bytes, str]]:
    """Baseline and progressive JPEGs, one with a restart marker per MCU row, PNGs."""
    landscape = (FIXTURES / "landscape_1.jpg").read_bytes()
    restarts = io.BytesIO()
    Image.open(io.BytesIO(landscape)).save(restarts, "JPEG", quality=85, restart_marker_rows=1)
    return [
        ("baseline", landscape, "jpeg"),
        ("progressive", (FIXTURES / "progressive-cat.jpg").read_bytes(), "jpeg"),
        ("restarts", restarts.getvalue(), "jpeg"),
        ("gray-alpha", (FIXTURES / "grey-8bit-alpha.png").read_bytes(), "png"),
        ("rgba", (FIXTURES / "with-alpha.png").read_bytes(), "png"),
    ]


def copies() -> list[Copy]:
    rng = random.Random(SEED)
    out: list[Copy] = []
    for name, data, kind in sources():
        make = jpeg_copies if kind == "jpeg" else png_copies
        out.extend(make(name, data, rng, COPIES_PER_SOURCE))
    return out


def pillow_image(data: bytes) -> Image.Image | None:
    """Pillow's decode with its defaults, or None when Pillow refuses the file."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except Exception:  # noqa: BLE001 - any refusal counts, whatever Pillow raises
        return None


def is_flat(image: Image.Image) -> bool:
    """Whether an image is one flat field (transparency composited onto white first)."""
    base = Image.new("RGBA", image.size, (255, 255, 255, 255))
    base.alpha_composite(image.convert("RGBA"))
    return statistics.pstdev(base.convert("L").get_flattened_data()) < 2


def judge(data: bytes, must_warn: bool) -> str | None:
    """None when thumbing's outcome follows the oracle, else what is wrong."""
    reference = pillow_image(data)
    try:
        with warnings.catch_warnings(record=True) as issued:
            warnings.simplefilter("always")
            out = thumbing.process(data, sizes=[SIZE])
    except thumbing.ThumbingError as e:
        return f"Pillow opens it, thumbing raised {type(e).__name__}: {e}" if reference is not None else None
    avatar = out[0]
    if [str(w.message) for w in issued] != [str(w) for w in avatar.warnings]:
        return f"warnings.warn issued {issued}, Avatar.warnings is {avatar.warnings}"
    if (avatar.width, avatar.height) != (SIZE, SIZE):
        return f"avatar is {avatar.width}x{avatar.height}"
    if reference is None:
        return None if avatar.warnings else "Pillow refuses it, thumbing made an avatar without a warning"
    if must_warn and not avatar.warnings:
        return "damage that needs recovering from gave no warning"
    if is_flat(Image.open(io.BytesIO(avatar.data))) and not is_flat(reference):
        return "the avatar is a flat field"
    return None


def test_damaged_copies_follow_pillow() -> None:
    cases = copies()
    assert len(cases) == 5 * COPIES_PER_SOURCE
    failures = [f"{c.name}: {why}" for c in cases if (why := judge(c.data, c.must_warn))]
    assert not failures, "\n".join(failures)
    # The generator does make damage thumbing recovers from, and damage Pillow refuses.
    opened = sum(pillow_image(c.data) is not None for c in cases)
    assert 0 < opened < len(cases)


@pytest.mark.parametrize("path", sorted((FIXTURES / "damaged").glob("*.*g")), ids=lambda p: p.name)
def test_damage_regressions_follow_pillow(path) -> None:
    assert judge(path.read_bytes(), must_warn=False) is None


def test_warnings_reach_python_and_strict_refuses() -> None:
    data = bytearray((FIXTURES / "landscape_6.jpg").read_bytes())
    at = data.index(b"\xff\xdb")
    data[at:at] = b"junk"
    with pytest.warns(thumbing.ImageWarning, match="4 extraneous bytes before marker 0xDB") as record:
        (avatar,) = thumbing.process(bytes(data), sizes=[32])
    (warning,) = avatar.warnings
    assert isinstance(warning, thumbing.ImageWarning)
    assert (warning.code, warning.offset) == ("extraneous_bytes", at)
    assert record[0].message.code == "extraneous_bytes"
    assert "warnings=1" in repr(avatar)
    with pytest.warns(thumbing.ImageWarning):
        assert thumbing.avatar(bytes(data), 32)[:2] == b"\xff\xd8"
    with pytest.raises(thumbing.CorruptImageError, match="extraneous bytes"):
        thumbing.process(bytes(data), sizes=[32], fail_on="warning")
    # An intact file: no warning at all.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (intact,) = thumbing.process(FIXTURES / "landscape_6.jpg", sizes=[32])
    assert intact.warnings == ()
