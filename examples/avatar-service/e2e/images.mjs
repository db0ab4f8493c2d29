// Image helpers of the end-to-end test: the photos it uploads, JPEG decoding, and the pixel
// comparisons that tell an upright avatar from a turned or mirrored one.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import jpeg from "jpeg-js";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../../..");
export const corpusDir = resolve(process.env.THUMBING_CORPUS ?? join(repoRoot, "../shared/corpus"));
const inCi = process.env.CI === "true";

/**
 * The photos of the test:
 * - `rotated`: a JPEG stored turned, with an EXIF orientation of 5–8 (a phone held upright),
 * - `reference`: the same picture stored upright (orientation 1), to check the served avatar
 *   against something thumbing did not make,
 * - `corrupt`: a file that is no image (a JPEG header without image data).
 * From the shared corpus (its MANIFEST.tsv) when present; otherwise, unless CI=true, from the
 * repository's fixtures (small copies of the same picture).
 */
export function testPhotos() {
  const manifest = join(corpusDir, "MANIFEST.tsv");
  if (existsSync(manifest)) {
    const rows = readFileSync(manifest, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => {
        const [path, bytes, format, size, expected, note = ""] = line.split("\t");
        return { path, bytes: Number(bytes), format, size, expected, note };
      })
      .filter((row) => existsSync(join(corpusDir, row.path)));
    const orientation = (row) => Number(/EXIF Orientation=(\d)/.exec(row.note)?.[1] ?? 0);
    // A turned photo whose upright twin (same folder, same name but for the digit) is there too;
    // orientation 6 first, as a phone held upright writes it.
    const turned = rows
      .filter((row) => row.format === "jpeg" && row.expected === "ok" && orientation(row) >= 5)
      .sort((a, b) => (orientation(a) === 6 ? 0 : 1) - (orientation(b) === 6 ? 0 : 1));
    // A JPEG header without image data (sharp's corrupt-header.jpg) if listed, else any small
    // corrupt JPEG.
    const corrupts = rows.filter((row) => row.expected === "corrupt" && row.format === "jpeg" && row.bytes < 64 << 10);
    const corrupt = corrupts.find((row) => /corrupt-header/.test(row.path)) ?? corrupts[0];
    for (const row of turned) {
      const twin = rows.find(
        (other) => other.path === row.path.replace(/_(\d)\.jpg$/, "_1.jpg") && other !== row && orientation(other) === 1,
      );
      if (twin && corrupt) {
        return {
          source: `corpus ${corpusDir}`,
          rotated: join(corpusDir, row.path),
          orientation: orientation(row),
          reference: join(corpusDir, twin.path),
          corrupt: join(corpusDir, corrupt.path),
        };
      }
    }
    throw new Error(`${manifest} lists no turned JPEG with an upright twin and no small corrupt JPEG`);
  }
  if (inCi) throw new Error(`the test corpus (${corpusDir}) is missing, and CI=true requires it`);
  console.log(`# corpus ${corpusDir} is missing: using the repository's fixtures instead`);
  return {
    source: "fixtures",
    rotated: join(repoRoot, "fixtures/landscape_6.jpg"),
    orientation: 6,
    reference: join(repoRoot, "fixtures/landscape_1.jpg"),
    corrupt: join(repoRoot, "fixtures/corrupt-header.jpg"),
  };
}

/** Decodes a baseline or progressive JPEG to RGBA (jpeg-js ignores EXIF orientation). */
export function decodeJpeg(bytes) {
  const img = jpeg.decode(Buffer.from(bytes), { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
  return { width: img.width, height: img.height, data: img.data };
}

export function isJpeg(bytes) {
  return bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** The centre square of an RGBA image, averaged down to `n`×`n` RGB cells. */
export function centreSquareThumb(img, n) {
  const side = Math.min(img.width, img.height);
  const x0 = Math.floor((img.width - side) / 2);
  const y0 = Math.floor((img.height - side) / 2);
  const out = new Float64Array(n * n * 3);
  const counts = new Float64Array(n * n);
  for (let y = 0; y < side; y++) {
    const cy = Math.min(n - 1, Math.floor((y * n) / side));
    for (let x = 0; x < side; x++) {
      const cx = Math.min(n - 1, Math.floor((x * n) / side));
      const i = ((y0 + y) * img.width + x0 + x) * 4;
      const c = cy * n + cx;
      out[c * 3] += img.data[i];
      out[c * 3 + 1] += img.data[i + 1];
      out[c * 3 + 2] += img.data[i + 2];
      counts[c]++;
    }
  }
  for (let c = 0; c < n * n; c++) for (let k = 0; k < 3; k++) out[c * 3 + k] /= counts[c];
  return { n, data: out };
}

/**
 * The eight ways to turn or mirror a square thumbnail, named after the EXIF orientation that
 * would produce them from the upright picture.
 */
export function orientations(thumb) {
  const { n, data } = thumb;
  const at = (x, y) => (y * n + x) * 3;
  const transforms = {
    upright: (x, y) => [x, y],
    mirrored: (x, y) => [n - 1 - x, y],
    "turned 180°": (x, y) => [n - 1 - x, n - 1 - y],
    "mirrored vertically": (x, y) => [x, n - 1 - y],
    transposed: (x, y) => [y, x],
    "turned 90° clockwise": (x, y) => [y, n - 1 - x],
    transversed: (x, y) => [n - 1 - y, n - 1 - x],
    "turned 90° anticlockwise": (x, y) => [n - 1 - y, x],
  };
  const result = {};
  for (const [name, source] of Object.entries(transforms)) {
    const out = new Float64Array(data.length);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const [sx, sy] = source(x, y);
        out.set(data.subarray(at(sx, sy), at(sx, sy) + 3), at(x, y));
      }
    }
    result[name] = { n, data: out };
  }
  return result;
}

/** Mean absolute difference per channel value of two equally sized thumbnails. */
export function meanDiff(a, b) {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
  return sum / a.data.length;
}

/** Mean absolute difference and PSNR of two RGBA images of one size (alpha ignored). */
export function compareRgba(a, b) {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`sizes differ: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  let sum = 0;
  let squares = 0;
  let count = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let k = 0; k < 3; k++) {
      const d = a.data[i + k] - b.data[i + k];
      sum += Math.abs(d);
      squares += d * d;
      count++;
    }
  }
  const mse = squares / count;
  return { mean: sum / count, psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse) };
}

/** Standard deviation of the RGB values: near 0 for a blank (single-colour) image. */
export function spread(img) {
  let sum = 0;
  let squares = 0;
  let count = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    for (let k = 0; k < 3; k++) {
      sum += img.data[i + k];
      squares += img.data[i + k] ** 2;
      count++;
    }
  }
  const mean = sum / count;
  return Math.sqrt(Math.max(0, squares / count - mean * mean));
}
