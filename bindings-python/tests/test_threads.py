"""The GIL is released during image work, so threads run in parallel."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import thumbing


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def work(photos: list[bytes]) -> list[bytes]:
    return [thumbing.avatar(p, 256) for p in photos]


def serial_and_parallel(photos: list[bytes]) -> tuple[float, float]:
    """Seconds for the photos processed twice in one thread, and once in each of two threads."""
    started = time.perf_counter()
    work(photos)
    work(photos)
    serial = time.perf_counter() - started
    with ThreadPoolExecutor(max_workers=2) as pool:
        started = time.perf_counter()
        futures = [pool.submit(work, photos) for _ in range(2)]
        results = [f.result(timeout=600) for f in futures]
        parallel = time.perf_counter() - started
    assert results[0] == results[1]
    return serial, parallel


def test_two_threads_are_clearly_faster_than_one(photos: list[bytes]) -> None:
    if cores() < 2:
        pytest.skip(f"SKIPPED: needs 2 cores, this machine gives the process {cores()}")
    work(photos)  # warm up: page in the code, size the allocator's arenas
    # The same work either way, so only the concurrency differs. A fully serialised (GIL-held)
    # call gives a ratio of about 1.0, two free cores about 0.5. The bound leaves room for
    # other load on the machine; the measurement is repeated before it is declared a failure.
    ratios = []
    for _ in range(3):
        serial, parallel = serial_and_parallel(photos)
        ratios.append(parallel / serial)
        if ratios[-1] < 0.75:
            break
    assert min(ratios) < 0.75, f"two threads took {min(ratios):.2f}x the serial time (ratios {ratios})"

