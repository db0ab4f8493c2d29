#!/usr/bin/env python3
"""Makes the benchmark photo set from the corpus's camera photos.

The corpus holds four real photos (2–9 MP, all baseline 4:2:0). The set below covers what
avatars are made from in practice: 2 to 24 megapixels, baseline and progressive, 4:2:0, 4:2:2
and 4:4:4, restart markers, a portrait stored sideways with an EXIF rotation, and panoramas
that a square crop cuts by more than half. Every file is made with libjpeg-turbo's own tools
(`djpeg` to decode, `cjpeg` to encode, `jpegtran` for lossless crops and progressive
rewrites, from Debian's libjpeg-turbo-progs); Pillow only tiles and scales pixels for the
larger sizes. The recipe of each file is written to `photos.tsv` beside them.

    python3 benches/peers/photos.py CORPUS_DIR OUT_DIR

Files already present are kept (delete OUT_DIR to make them again).
"""

import io
import os
import struct
import subprocess
import sys
import tempfile

from PIL import Image

SOURCES = {
    "hmd": "photos-exif-samples/HMD_Nokia_8.3_5G.jpg",  # 4608x1976 (2.33:1), 9.1 MP
    "iphone": "photos-exif-samples/iphone_hdr_NO.jpg",  # 3264x2448, 8.0 MP
    "camera6": "sharp-fixtures/2569067123_aca715a2ee_o.jpg",  # 2725x2225, 6.1 MP
    "landscape": "exif-orientation-examples/Landscape_1.jpg",  # 1800x1200, 2.2 MP
}


def run(args, data=None):
    out = subprocess.run(args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {out.stderr.decode(errors='replace')}")
    return out.stdout


def ppm(image):
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "PPM")
    return buf.getvalue()


def decoded(corpus, key):
    """A corpus photo as decoded by libjpeg-turbo (upright as stored: no EXIF rotation)."""
    data = run(["djpeg", "-pnm", os.path.join(corpus, SOURCES[key])])
    return Image.open(io.BytesIO(data)).convert("RGB")


def mosaic(tiles, width, height):
    """Real photo detail at sizes the corpus lacks: tiles of different photos side by side
    (each scaled to the tile with Lanczos), not one photo blown up."""
    cols = 2
    rows = (len(tiles) + cols - 1) // cols
    out = Image.new("RGB", (width, height))
    tw, th = width // cols, height // rows
    for i, tile in enumerate(tiles):
        x, y = (i % cols) * tw, (i // cols) * th
        w = width - x if i % cols == cols - 1 else tw
        h = height - y if i // cols == rows - 1 else th
        out.paste(tile.resize((w, h), Image.LANCZOS), (x, y))
    return out


def with_orientation(jpeg, orientation):
    """Inserts an EXIF block holding only an Orientation tag after SOI."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    tiff += struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    segment = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + jpeg[2:]


SCANS_BY_COMPONENT = """0: 0 0 0 1;
1: 0 0 0 1;
2: 0 0 0 1;
0: 1 5 0 2;
2: 1 63 0 1;
1: 1 63 0 1;
0: 6 63 0 2;
0: 1 63 2 1;
0 1 2: 0 0 1 0;
2: 1 63 1 0;
1: 1 63 1 0;
0: 1 63 1 0;
"""


def build(corpus, out_dir):
    """Yields (name, recipe, make) for every file of the set; `make()` returns its bytes."""
    cache = {}

    def src(key):
        if key not in cache:
            cache[key] = decoded(corpus, key)
        return cache[key]

    def cjpeg(image, *args):
        return run(["cjpeg", *args], ppm(image))

    def original(key):
        with open(os.path.join(corpus, SOURCES[key]), "rb") as f:
            return f.read()

    scans = os.path.join(out_dir, "scans-by-component.txt")
    with open(scans, "w") as f:
        f.write(SCANS_BY_COMPONENT)

    yield ("hmd-9mp-pano-420.jpg", "the HMD camera file as shipped: 4608x1976 (2.33:1), baseline 4:2:0", lambda: original("hmd"))
    yield ("iphone-8mp-420.jpg", "the iPhone camera file as shipped: 3264x2448, baseline 4:2:0", lambda: original("iphone"))
    yield ("camera-6mp-420.jpg", "a 6 MP camera file as shipped: 2725x2225, baseline 4:2:0", lambda: original("camera6"))
    yield (
        "landscape-2mp-420-q75.jpg",
        "Landscape_1 re-encoded: 1800x1200, cjpeg -quality 75, baseline 4:2:0",
        lambda: cjpeg(src("landscape"), "-quality", "75"),
    )
    yield (
        "hmd-9mp-pano-420-progressive.jpg",
        "the HMD photo, jpegtran -progressive (libjpeg's standard scan script), lossless",
        lambda: run(["jpegtran", "-progressive", "-copy", "all", os.path.join(corpus, SOURCES["hmd"])]),
    )
    yield (
        "iphone-8mp-420-q90-progressive.jpg",
        "the iPhone photo re-encoded: cjpeg -quality 90 -progressive, 4:2:0",
        lambda: cjpeg(src("iphone"), "-quality", "90", "-progressive"),
    )
    yield (
        "camera-6mp-422-q92-restart.jpg",
        "the 6 MP photo re-encoded: cjpeg -quality 92 -sample 2x1 -restart 1 (4:2:2, a restart marker per MCU row)",
        lambda: cjpeg(src("camera6"), "-quality", "92", "-sample", "2x1", "-restart", "1"),
    )
    yield (
        "iphone-8mp-444-q95.jpg",
        "the iPhone photo re-encoded: cjpeg -quality 95 -sample 1x1 (4:4:4), baseline",
        lambda: cjpeg(src("iphone"), "-quality", "95", "-sample", "1x1"),
    )
    yield (
        "camera-3mp-crop-progressive.jpg",
        "jpegtran -crop 2048x1536+336+344 -progressive of the 6 MP photo: 3.1 MP, lossless",
        lambda: run(["jpegtran", "-crop", "2048x1536+336+344", "-progressive", os.path.join(corpus, SOURCES["camera6"])]),
    )
    def portrait():
        return cjpeg(mosaic([src("iphone"), src("camera6"), src("hmd"), src("landscape")], 4000, 3000), "-quality", "85")

    yield (
        "mosaic-12mp-portrait-exif6-420-q85.jpg",
        "4000x3000 tiles of the four photos, cjpeg -quality 85 (4:2:0), with EXIF orientation 6: a 3000x4000 portrait",
        lambda: with_orientation(portrait(), 6),
    )
    yield (
        "iphone-upscaled-16mp-420-q80.jpg",
        "the iPhone photo scaled to 4608x3456 (Lanczos), cjpeg -quality 80: a very compressible 16 MP file",
        lambda: cjpeg(src("iphone").resize((4608, 3456), Image.LANCZOS), "-quality", "80"),
    )
    yield (
        "mosaic-24mp-420-q90-progressive.jpg",
        "6000x4000 tiles of the four photos, cjpeg -quality 90 -progressive (4:2:0)",
        lambda: cjpeg(mosaic([src("hmd"), src("iphone"), src("landscape"), src("camera6")], 6000, 4000), "-quality", "90", "-progressive"),
    )
    yield (
        "mosaic-12mp-pano-422-progressive.jpg",
        "5280x2296 (2.3:1) tiles of the HMD and iPhone photos, cjpeg -quality 88 -sample 2x1 -scans (one component per DC scan, bands refined bit by bit)",
        lambda: cjpeg(mosaic([src("hmd"), src("iphone")], 5280, 2296), "-quality", "88", "-sample", "2x1", "-scans", scans),
    )
    yield (
        "hmd-4mp-crop-444-q90-restart.jpg",
        "the HMD photo's centre 2400x1600, cjpeg -quality 90 -sample 1x1 -restart 8B (4:4:4)",
        lambda: cjpeg(src("hmd").crop((1104, 188, 3504, 1788)), "-quality", "90", "-sample", "1x1", "-restart", "8B"),
    )


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    corpus, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    manifest = os.path.join(out_dir, "photos.tsv")
    rows = []
    for name, recipe, make in build(corpus, out_dir):
        path = os.path.join(out_dir, name)
        if not os.path.exists(path):
            fd, tmp = tempfile.mkstemp(dir=out_dir)
            with os.fdopen(fd, "wb") as f:
                f.write(make())
            os.replace(tmp, path)
        with Image.open(path) as im:
            w, h = im.size
            sampling = {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0"}.get(tuple(im.layer[0][1:3]), "?")
            progressive = "progressive" if im.info.get("progressive") else "baseline"
        size = os.path.getsize(path)
        rows.append(f"{name}\t{w}x{h}\t{w * h / 1e6:.1f}\t{sampling}\t{progressive}\t{size}\t{recipe}\n")
    with open(manifest, "w") as f:
        f.write("file\tstored size\tMP\tsampling\tcoding\tbytes\trecipe\n")
        f.writelines(rows)
    print(f"{len(rows)} photos in {out_dir}")


if __name__ == "__main__":
    main()
