"""The GIL is released during image work, so other Python threads run meanwhile.

Checked as an interleaving, not as a speed-up: while one thread is inside a thumbing call,
another thread notes the times at which it gets to run Python code. Had the call held the
GIL, no other thread could run Python code anywhere inside it, however idle or busy the
machine; released, the other thread runs all along.
"""

from __future__ import annotations

import threading
import time

import thumbing


def test_other_threads_run_python_inside_a_call(photos: list[bytes]) -> None:
    photo = max(photos, key=len)
    thumbing.avatar(photo, 256)  # warm up: page in the code, size the allocator's arenas
    call: list[float] = []
    done = threading.Event()

    def worker() -> None:
        # One long call: several sizes from the largest photo.
        call.append(time.perf_counter())
        thumbing.process(photo, sizes=(512, 384, 256, 128), format="png")
        call.append(time.perf_counter())
        done.set()

    seen: list[float] = []
    thread = threading.Thread(target=worker)
    thread.start()
    while not done.is_set():
        now = time.perf_counter()
        if not seen or now - seen[-1] > 0.0005:
            seen.append(now)
    thread.join(timeout=600)
    start, end = call
    # The middle half of the call, away from its edges, where the worker is in Rust code.
    margin = (end - start) / 4
    inside = [t for t in seen if start + margin < t < end - margin]
    assert inside, f"no other thread ran during the {1000 * (end - start):.0f} ms call: the GIL was held"


def test_threads_give_the_same_bytes(photos: list[bytes]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    serial = [thumbing.avatar(p, 128) for p in photos]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda p: thumbing.avatar(p, 128), photos))
    assert parallel == serial
