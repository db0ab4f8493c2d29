"""Typical typed use of the API; ``test_package.py`` runs ``mypy --strict`` on this file."""

from __future__ import annotations

import io
from pathlib import Path

import thumbing


def make(path: Path, upload: io.BytesIO) -> list[tuple[int, int, str]]:
    jpeg: bytes = thumbing.avatar(path.read_bytes(), 256, quality=85, crop=(0.5, 0.3))
    webp: bytes = thumbing.avatar(upload, format="webp", background=(0, 0, 0))
    out = thumbing.process(str(path), sizes=(512, (640, 360)), fit="contain", crop="smart")
    out += thumbing.process(memoryview(jpeg + webp), sizes=[64], max_pixels=10_000_000, fail_on="never")
    info: thumbing.ImageInfo = thumbing.probe(bytearray(jpeg))
    width, height = info.upright_size
    assert info.orientation in range(1, 9) and width > 0 and height > 0
    return [(a.width, a.height, a.mime_type) for a in out]


def classify(data: bytes) -> str:
    try:
        thumbing.avatar(data)
    except thumbing.ImageTooLargeError:
        return "too large"
    except thumbing.ThumbingError as e:
        return e.code
    return "ok"
