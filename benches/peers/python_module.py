#!/usr/bin/env python3
"""thumbing's Python module against Pillow and pyvips, in one Python process.

    python3 benches/peers/python_module.py [--rounds 11] [--size 512] [--out docs/benchmarks]

Run with any Python 3.9+, it sets itself up first: a virtualenv in ``.peers/python-module/``
(git-ignored) with Pillow, pyvips and pyvips-binary pinned, the thumbing module built from
``bindings-python/`` (``pip install``, release), and the peer harness
(``cargo build --release -p thumbing-benches --bin thumbing-peers``), whose worker gives the
pure-Rust figure.
It then re-runs itself inside that virtualenv.

The task is the avatar: a 512×512 centred cover crop, upright, JPEG quality 80, from the
encoded bytes in memory to the encoded bytes in memory. Every library is single-threaded
(``VIPS_CONCURRENCY=1``, libvips operation cache off; thumbing and Pillow are). Each round
runs every library on every file, the library order rotating from round to round, so that
background load hits all alike; the table gives the median of the rounds after one warm-up.

The pure-Rust figure is the same avatar timed in a Rust process (``thumbing-peers worker``,
the peer harness's worker) on the same files, its rounds interleaved with the Python rounds; the difference to the Python call is what the binding costs (argument handling, releasing and
taking back the GIL, copying the output into a ``bytes``).

Writes ``docs/benchmarks/python.md`` and ``docs/benchmarks/python.csv``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".peers" / "python-module"
PINS = ["Pillow==13.0.0", "pyvips==3.2.0", "pyvips-binary==8.18.7", "cffi==2.1.1", "pycparser==3.12", "maturin==1.16.0"]
PHOTOS = [
    "photos-exif-samples/HMD_Nokia_8.3_5G.jpg",
    "photos-exif-samples/iphone_hdr_NO.jpg",
    "sharp-fixtures/2569067123_aca715a2ee_o.jpg",
    "sharp-fixtures/flowers.jpeg",
]


def target_dir() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    return target if target.is_absolute() else REPO / target


def corpus_dir() -> Path:
    return Path(os.environ.get("THUMBING_CORPUS") or REPO.parent / "shared" / "corpus")


def run(cmd: list[str], **kwargs) -> None:
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, cwd=REPO, **kwargs)


def bootstrap(argv: list[str]) -> int:
    """Creates the virtualenv, installs everything, and re-runs this script inside it."""
    python = VENV / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(VENV)])
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    # maturin's PEP 517 hooks run the `maturin` executable of the venv.
    venv_env = dict(os.environ, PATH=f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    run([*pip, *PINS])
    run([*pip, "--no-build-isolation", "--no-deps", "--force-reinstall", "./bindings-python"], env=venv_env)
    run(["cargo", "build", "--release", "-p", "thumbing-benches", "--bin", "thumbing-peers"])
    env = dict(os.environ, VIPS_CONCURRENCY="1", OMP_NUM_THREADS="1", THUMBING_BENCH_INNER="1")
    return subprocess.run([str(python), __file__, *argv], env=env, cwd=REPO).returncode


def libraries(size: int) -> dict[str, tuple[str, Callable[[bytes], bytes]]]:
    """name -> (version, function from input bytes to avatar bytes)."""
    import PIL
    import pyvips
    from PIL import Image, ImageOps

    import thumbing

    pyvips.cache_set_max(0)
    if hasattr(pyvips, "concurrency_set"):
        pyvips.concurrency_set(1)

    def with_thumbing(data: bytes) -> bytes:
        return thumbing.avatar(data, size)

    def with_pillow(data: bytes, draft: bool) -> bytes:
        im = Image.open(io.BytesIO(data))
        if draft:
            im.draft("RGB", (size, size))  # JPEG DCT scaling, never below the box
        im = ImageOps.exif_transpose(im)
        if im.mode != "RGB":
            im = im.convert("RGB")
        im = ImageOps.fit(im, (size, size), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        im.save(out, "JPEG", quality=80, optimize=True)
        return out.getvalue()

    def with_pyvips(data: bytes) -> bytes:
        im = pyvips.Image.thumbnail_buffer(data, size, height=size, crop="centre")
        return im.write_to_buffer(".jpg", Q=80, optimize_coding=True, keep="none")

    vips = f"pyvips {pyvips.__version__}, libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    return {
        "thumbing (Python)": (f"thumbing {thumbing.__version__}", with_thumbing),
        "Pillow": (f"Pillow {PIL.__version__}", lambda d: with_pillow(d, draft=False)),
        "Pillow + draft": (f"Pillow {PIL.__version__}", lambda d: with_pillow(d, draft=True)),
        "pyvips": (vips, with_pyvips),
    }


class RustServer:
    """``thumbing-peers worker`` (the protocol of ``benches/src/protocol.rs``): a Rust process
    timing thumbing's avatar in-process, one round of the files per call of :meth:`round`, so
    that its rounds interleave with the Python ones."""

    def __init__(self, files: list[Path], size: int) -> None:
        worker = target_dir() / "release" / "thumbing-peers"
        self.requests = [
            json.dumps(
                {"op": "run", "task": f"cover{size}", "input": str(f.resolve()), "width": size, "height": size,
                 "format": "jpeg", "quality": 80}
            )
            for f in files
        ]
        self.proc = subprocess.Popen([str(worker), "worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def round(self) -> list[float]:
        assert self.proc.stdin and self.proc.stdout
        times = []
        for request in self.requests:
            self.proc.stdin.write(request + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the thumbing-peers worker exited")
            answer = json.loads(line)
            if "error" in answer:
                raise RuntimeError(f"thumbing-peers worker: {answer['error']}")
            times.append(float(answer["ms"]))
        return times

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def measure(args: argparse.Namespace) -> int:
    import thumbing

    corpus = corpus_dir()
    files = [corpus / p for p in PHOTOS]
    missing = [f for f in files if not f.is_file()]
    if missing:
        print(f"error: corpus photos missing (set THUMBING_CORPUS): {missing}", file=sys.stderr)
        return 1
    inputs = {f: f.read_bytes() for f in files}
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    libs = libraries(args.size)
    names = list(libs)
    samples: dict[tuple[str, Path], list[float]] = {(n, f): [] for n in names for f in files}
    out_bytes: dict[tuple[str, Path], int] = {}

    rust_samples: dict[Path, list[float]] = {f: [] for f in files}
    server = RustServer(files, args.size)
    try:
        server.round()  # warm-up
        for name in names:  # warm-up, and the output sizes
            for f in files:
                out_bytes[name, f] = len(libs[name][1](inputs[f]))
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            if r % 2 == 0:
                for f, ms in zip(files, server.round()):
                    rust_samples[f].append(ms)
            for f in files:
                for name in order:
                    fn = libs[name][1]
                    started = time.perf_counter_ns()
                    fn(inputs[f])
                    samples[name, f].append((time.perf_counter_ns() - started) / 1e6)
            if r % 2 == 1:
                for f, ms in zip(files, server.round()):
                    rust_samples[f].append(ms)
            print(f"round {r + 1}/{args.rounds}", file=sys.stderr, flush=True)
    finally:
        server.close()

    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rust = {f: statistics.median(v) for f, v in rust_samples.items()}
    median = {k: statistics.median(v) for k, v in samples.items()}

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "python.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "megapixels", "input_bytes", "library", "version", "median_ms", "min_ms", "max_ms", "rounds", "output_bytes"])
        for file in files:
            info = thumbing.probe(inputs[file])
            mp = f"{info.width * info.height / 1e6:.1f}"
            rel = file.relative_to(corpus).as_posix()
            for name in names:
                s = samples[name, file]
                w.writerow([rel, mp, len(inputs[file]), name, libs[name][0], f"{median[name, file]:.2f}", f"{min(s):.2f}", f"{max(s):.2f}", len(s), out_bytes[name, file]])
            s = rust_samples[file]
            w.writerow([rel, mp, len(inputs[file]), "thumbing (Rust)", f"thumbing {thumbing.__version__}", f"{rust[file]:.2f}", f"{min(s):.2f}", f"{max(s):.2f}", len(s), ""])

    lines = [
        "# thumbing's Python module vs Pillow and pyvips",
        "",
        f"Made by `python3 benches/peers/python_module.py --rounds {args.rounds} --size {args.size}`"
        f" on {cpu_model()} ({os.cpu_count()} cores), Python {platform.python_version()}, {platform.system()}.",
        f"1-minute load average {load_before:.1f} before and {load_after:.1f} after the run"
        " (above 1, other processes were competing for the cores: compare columns, not runs).",
        "",
        f"Task: a {args.size}×{args.size} avatar (centred cover crop, upright, JPEG quality 80) from the encoded",
        "bytes in memory to the encoded bytes in memory, in one Python process. Single-threaded:",
        "`VIPS_CONCURRENCY=1` and the libvips operation cache off; thumbing and Pillow use one thread.",
        f"Median of {args.rounds} interleaved rounds (library order rotating) after one warm-up, in milliseconds.",
        "",
        "| photo | MP | thumbing (Python) | thumbing (Rust) | Python overhead | Pillow | Pillow + draft | pyvips |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for file in files:
        info = thumbing.probe(inputs[file])
        py, rs = median["thumbing (Python)", file], rust[file]
        lines.append(
            f"| `{file.name}` | {info.width * info.height / 1e6:.1f} | {py:.1f} | {rs:.1f} | "
            f"{py - rs:+.2f} ms ({(py - rs) / rs * 100:+.1f}%) | {median['Pillow', file]:.1f} | "
            f"{median['Pillow + draft', file]:.1f} | {median['pyvips', file]:.1f} |"
        )
    geo = {n: statistics.geometric_mean([median[n, f] for f in files]) for n in names}
    geo_rust = statistics.geometric_mean([rust[f] for f in files])
    lines += [
        f"| **geometric mean** | | **{geo['thumbing (Python)']:.1f}** | **{geo_rust:.1f}** | "
        f"**{(geo['thumbing (Python)'] / geo_rust - 1) * 100:+.1f}%** | **{geo['Pillow']:.1f}** | "
        f"**{geo['Pillow + draft']:.1f}** | **{geo['pyvips']:.1f}** |",
        "",
        "Versions: " + "; ".join(sorted({v for v, _ in libs.values()})) + ".",
        "",
        "What each column does:",
        "",
        "- **thumbing (Python)**: `thumbing.avatar(data, 512)`: full decode, EXIF orientation, ICC",
        "  profile to sRGB, Lanczos3 on the exact crop window, JPEG with optimised Huffman tables.",
        "- **thumbing (Rust)**: the same avatar timed in a Rust process on the same files, its rounds",
        "  interleaved with the Python ones (the peer harness's worker, `thumbing-peers worker`).",
        "  *Python overhead* is the difference. The binding itself adds argument handling, releasing",
        "  the GIL and one copy of the (~40 kB) output; the rest is the Python process being shared",
        "  with Pillow and libvips (allocator and cache state) and noise between two processes.",
        "- **Pillow**: `Image.open`, `ImageOps.exif_transpose`, `ImageOps.fit(LANCZOS)`, JPEG",
        "  `quality=80, optimize=True`. No colour management.",
        "- **Pillow + draft**: the same after `im.draft('RGB', (512, 512))`, which lets libjpeg decode",
        "  at 1/2, 1/4 or 1/8 scale (never below the box), so less is decoded and resampled.",
        "- **pyvips**: `Image.thumbnail_buffer(data, 512, height=512, crop='centre')` (shrink-on-load,",
        "  auto-rotation, colour management), JPEG `Q=80, optimize_coding=True`.",
        "",
        "Raw numbers (median, min, max, output size): [`python.csv`](python.csv).",
        "",
    ]
    (out_dir / "python.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11, help="timed rounds (median of these; at least 7)")
    parser.add_argument("--size", type=int, default=512, help="avatar side in pixels")
    parser.add_argument("--out", default=str(REPO / "docs" / "benchmarks"), help="where python.md/.csv go")
    args = parser.parse_args()
    if args.rounds < 7:
        parser.error("--rounds must be at least 7")
    if os.environ.get("THUMBING_BENCH_INNER") != "1":
        return bootstrap(sys.argv[1:])
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
