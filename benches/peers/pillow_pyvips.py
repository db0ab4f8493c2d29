#!/usr/bin/env python3
"""Peer-harness worker for Pillow and pyvips (protocol: benches/peers/README.md).

Usage: pillow_pyvips.py --lib pillow|pyvips [--once '<request json>']

Each library is used the way its documentation recommends for thumbnails:

* Pillow: ``draft()`` (JPEG DCT scaling, never below the box), ``ImageOps.exif_transpose``,
  ``ImageOps.fit(..., LANCZOS)`` (centred cover crop), then ``save``.
* Decode-only rows (format ``raw``, Pillow only): ``Image.open``, ``draft("RGB", size/n)``
  for a reduction by n, ``load()``: libjpeg-turbo's (scaled) decode and nothing else.
* pyvips: ``Image.thumbnail_buffer(data, w, height=h, crop="centre")`` (shrink-on-load,
  auto-rotation, colour management), then ``write_to_buffer`` keeping only the ICC profile.

Both run single-threaded: Pillow is, and libvips gets ``VIPS_CONCURRENCY=1`` plus
``concurrency_set(1)``; the libvips operation cache is off so repeated runs do real work.
"""

import argparse
import io
import json
import sys
import time


def proc_kb(field):
    """A kB field of /proc/self/status (VmRSS, VmHWM), or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Pillow:
    """Pillow: draft + exif_transpose + ImageOps.fit(LANCZOS)."""

    def __init__(self):
        import PIL
        from PIL import Image, ImageOps, features

        self.PIL, self.Image, self.ImageOps, self.features = PIL, Image, ImageOps, features

    def info(self):
        turbo = self.features.version("libjpeg_turbo")
        zlib = self.features.version("zlib")
        detail = ", ".join(x for x in [f"libjpeg-turbo {turbo}" if turbo else "", f"zlib {zlib}" if zlib else ""] if x)
        return {"lib": "pillow", "version": self.PIL.__version__, "detail": detail}

    def run(self, data, job):
        Image, ImageOps = self.Image, self.ImageOps
        if job["format"] == "raw":
            # Decode only: libjpeg-turbo's scaled decode through draft(), then load().
            im = Image.open(io.BytesIO(data))
            denominator = job.get("decode") or 1
            if denominator > 1:
                im.draft("RGB", (im.size[0] // denominator, im.size[1] // denominator))
            im.load()
            return im.size[0] * im.size[1] * len(im.getbands())  # the pixels' size; nothing to write
        box = (job["width"], job["height"])
        im = Image.open(io.BytesIO(data))
        # draft() keeps both sides at or above the requested size; ask for the larger box side
        # on both axes so a later EXIF rotation cannot leave a side too short.
        side = max(box)
        im.draft("RGB", (side, side))
        im = ImageOps.exif_transpose(im)
        if im.mode not in ("RGB", "RGBA", "L", "LA"):
            im = im.convert("RGBA" if im.has_transparency_data else "RGB")
        im = ImageOps.fit(im, box, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if job["format"] == "jpeg":
            if im.mode in ("RGBA", "LA"):
                flat = Image.new("RGB", im.size, (255, 255, 255))
                flat.paste(im, mask=im.getchannel("A"))
                im = flat
            im.save(out, "JPEG", quality=job["quality"])
        else:
            im.save(out, "PNG")
        return out.getvalue()


class Pyvips:
    """pyvips: thumbnail_buffer(crop='centre')."""

    def __init__(self):
        import pyvips

        self.pyvips = pyvips
        pyvips.cache_set_max(0)
        if hasattr(pyvips, "concurrency_set"):
            pyvips.concurrency_set(1)

    def info(self):
        v = self.pyvips
        libvips = f"{v.version(0)}.{v.version(1)}.{v.version(2)}"
        return {"lib": "pyvips", "version": v.__version__, "detail": f"libvips {libvips}, {v.API_mode and 'API' or 'ABI'} mode"}

    def run(self, data, job):
        im = self.pyvips.Image.thumbnail_buffer(data, job["width"], height=job["height"], crop="centre")
        if job["format"] == "jpeg":
            if im.hasalpha():
                im = im.flatten(background=[255, 255, 255])
            return im.write_to_buffer(".jpg", Q=job["quality"], keep="icc")
        return im.write_to_buffer(".png", keep="icc")


LIBS = {"pillow": Pillow, "pyvips": Pyvips}


class Worker:
    def __init__(self, lib):
        self.lib = LIBS[lib]()
        self.cache = {}

    def handle(self, request):
        try:
            op = request.get("op")
            if op == "info":
                return self.lib.info()
            if op != "run":
                return {"error": f"unknown op {op!r}"}
            data = self.cache.get(request["input"])
            if data is None:
                with open(request["input"], "rb") as f:
                    data = f.read()
                self.cache[request["input"]] = data
            start = time.perf_counter_ns()
            out = self.lib.run(data, request)
            ms = (time.perf_counter_ns() - start) / 1e6
            if isinstance(out, int):  # decode only: a size, no output file
                return {"ms": ms, "bytes": out}
            if request.get("output"):
                with open(request["output"], "wb") as f:
                    f.write(out)
            return {"ms": ms, "bytes": len(out)}
        except Exception as e:  # the harness reports the error and carries on
            return {"error": f"{type(e).__name__}: {e}"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", choices=sorted(LIBS), required=True)
    parser.add_argument("--once", metavar="REQUEST", help="run this one request and report memory")
    args = parser.parse_args()
    worker = Worker(args.lib)
    if args.once:
        idle = proc_kb("VmRSS")
        response = worker.handle(json.loads(args.once))
        worker.cache.clear()
        response.update(idle_kb=idle, peak_kb=proc_kb("VmHWM"))
        print(json.dumps(response), flush=True)
        return
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            response = worker.handle(json.loads(line))
        except json.JSONDecodeError as e:
            response = {"error": f"bad request: {e}"}
        print(json.dumps(response), flush=True)


if __name__ == "__main__":
    main()
