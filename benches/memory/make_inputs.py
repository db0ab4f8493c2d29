"""Writes the large inputs of scripts/bench-memory.sh into a folder (about 60 MB in all).

    python make_inputs.py OUT_DIR PHOTO

PHOTO is any real photo (a JPEG of the shared corpus): the JPEG inputs are it, enlarged, so
that they have the detail, and the file sizes, of camera photos. The PNGs are synthetic
(smooth gradients with a fine pattern), which is what makes a 100-megapixel PNG small enough
to upload: the case an attacker or a screenshot tool produces. Needs Pillow.
"""

import sys
from pathlib import Path

from PIL import Image, ImageDraw

Image.MAX_IMAGE_PIXELS = None


def gradient_png(path, size, mode):
    w, h = size
    # A gradient with a grid of thin lines: compresses to a few hundred kilobytes, yet
    # every row differs.
    base = Image.linear_gradient("L").resize((w, h))
    other = base.rotate(90).resize((w, h))
    img = Image.merge("RGB", (base, other, Image.new("L", (w, h), 96)))
    draw = ImageDraw.Draw(img)
    for x in range(0, w, 97):
        draw.line([(x, 0), (x, h)], fill=(255, 255, 255))
    for y in range(0, h, 89):
        draw.line([(0, y), (w, y)], fill=(0, 0, 0))
    if mode == "RGBA":
        img.putalpha(other)
    img.save(path, optimize=False, compress_level=9)


def main():
    out = Path(sys.argv[1])
    photo = Image.open(sys.argv[2]).convert("RGB")
    out.mkdir(parents=True, exist_ok=True)
    gradient_png(out / "png-10000x10000-rgb.png", (10000, 10000), "RGB")
    gradient_png(out / "png-10000x10000-rgba.png", (10000, 10000), "RGBA")
    big = photo.resize((8000, 6000), Image.Resampling.LANCZOS)
    big.save(out / "jpeg-8000x6000-420.jpg", quality=90, subsampling=2)
    big.save(out / "jpeg-8000x6000-420-progressive.jpg", quality=90, subsampling=2, progressive=True)
    huge = photo.resize((10000, 10000), Image.Resampling.LANCZOS)
    huge.save(out / "jpeg-10000x10000-444.jpg", quality=85, subsampling=0)
    huge.save(out / "jpeg-10000x10000-444-progressive.jpg", quality=85, subsampling=0, progressive=True)
    for p in sorted(out.iterdir()):
        print(f"{p.name}\t{p.stat().st_size}")


if __name__ == "__main__":
    main()
