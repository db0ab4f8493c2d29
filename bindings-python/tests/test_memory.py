"""No leaks: thousands of calls, through every input form and the error paths, keep RSS flat."""

from __future__ import annotations

import gc
import io
import os
from pathlib import Path

import pytest

import thumbing
from conftest import FIXTURES

CALLS = 2000
#: Allowed RSS growth over the measured calls. A leak of the input (27 kB) or of the output
#: per call would be over 50 MB here.
ALLOWED_GROWTH = 4 * 1024 * 1024


def rss() -> int:
    """Resident set size of this process, in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc (Linux)")
def test_rss_stays_flat_over_2000_calls(tmp_path: Path) -> None:
    raw = (FIXTURES / "landscape_1.jpg").read_bytes()
    path = tmp_path / "photo.jpg"
    path.write_bytes(raw)
    corrupt = raw[: len(raw) // 2]
    bomb = (FIXTURES / "bomb-100000x100000.png").read_bytes()

    def call(i: int) -> None:
        kind = i % 8
        if kind == 0:
            thumbing.avatar(raw, 64)
        elif kind == 1:
            thumbing.process(bytearray(raw), sizes=[64, (48, 32)], format="png")
        elif kind == 2:
            thumbing.avatar(memoryview(raw), 64, format="webp")
        elif kind == 3:
            thumbing.avatar(path, 64)
        elif kind == 4:
            thumbing.avatar(io.BytesIO(raw), 64)
        elif kind == 5:
            thumbing.probe(raw)
        elif kind == 6:
            with pytest.raises(thumbing.CorruptImageError):
                thumbing.avatar(corrupt, 64)
        else:
            with pytest.raises(thumbing.ImageTooLargeError):
                thumbing.avatar(bomb, 64)

    # Warm up: let the allocators reach their steady state.
    for i in range(400):
        call(i)
    gc.collect()
    before = rss()
    for i in range(CALLS):
        call(i)
    gc.collect()
    growth = rss() - before
    assert growth < ALLOWED_GROWTH, f"RSS grew by {growth / 2**20:.1f} MiB over {CALLS} calls"
