// Shared helpers of the thumbing-wasm tests: paths, the test corpus, the native CLI (the
// "server" side of the parity tests), image decoding and pixel comparison.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import jpeg from "jpeg-js";
import { PNG } from "pngjs";

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root. */
export const repoRoot = resolve(here, "../..");
/** The built npm package (bindings-wasm/build.sh). */
export const pkgDir = resolve(repoRoot, "bindings-wasm/pkg");
/** The committed fixtures. */
export const fixturesDir = resolve(repoRoot, "fixtures");
/** Where screenshots and other test artefacts go (git-ignored). */
export const outputDir = resolve(here, "output");

const inCi = process.env.CI === "true";

/**
 * Marks a test as needing something that is missing: a failure when `CI=true`, a skip (saying
 * so plainly) otherwise. Returns true when the test must stop.
 */
export function missing(t, what) {
  if (inCi) {
    throw new Error(`${what} is missing, and CI=true requires it`);
  }
  t.skip(`SKIPPED: ${what} is missing`);
  console.log(`# SKIPPED ${t.name}: ${what} is missing`);
  return true;
}

/** The test corpus directory: $THUMBING_CORPUS, or ../shared/corpus next to the repository. */
export const corpusDir = resolve(process.env.THUMBING_CORPUS ?? resolve(repoRoot, "../shared/corpus"));

/** Whether the corpus (with its MANIFEST.tsv) is there. */
export function haveCorpus() {
  return existsSync(join(corpusDir, "MANIFEST.tsv"));
}

/** The corpus manifest: `{ path, bytes, format, size, expected, note }` per file. */
export function corpusManifest() {
  const lines = readFileSync(join(corpusDir, "MANIFEST.tsv"), "utf8").trim().split("\n");
  return lines.slice(1).map((line) => {
    const [path, bytes, format, size, expected, note] = line.split("\t");
    return { path, bytes: Number(bytes), format, size, expected, note };
  });
}

/**
 * The corpus files that the manifest marks `corrupt` (a strict decoder's view) and that the
 * tolerant default opens with a warning: fixtures/corpus-tolerated.tsv, shared with the Rust
 * and Python tests, which says why for each.
 */
export function corpusTolerated() {
  const lines = readFileSync(join(fixturesDir, "corpus-tolerated.tsv"), "utf8").trim().split("\n");
  return new Set(lines.slice(1).map((line) => line.split("\t")[0]));
}

/**
 * The images of the parity test: every fixture (decodable or not: the damaged ones must fail
 * the same way), and the corpus photos.
 */
export function parityPhotos({ withCorpus }) {
  const photos = readdirSync(fixturesDir)
    .filter((name) => !/\.(md|txt|tsv)$/i.test(name) && statSync(join(fixturesDir, name)).isFile())
    .sort()
    .map((name) => join(fixturesDir, name));
  if (withCorpus) {
    const exif = join(corpusDir, "photos-exif-samples");
    photos.push(
      ...readdirSync(exif)
        .filter((name) => /\.jpe?g$/i.test(name))
        .sort()
        .map((name) => join(exif, name)),
      join(corpusDir, "sharp-fixtures/2569067123_aca715a2ee_o.jpg"),
      join(corpusDir, "sharp-fixtures/flowers.jpeg"),
    );
  }
  return photos;
}

/** The native CLI binary: $THUMBING_CLI, or <target>/release/thumbing. */
export const nativeCli = resolve(
  process.env.THUMBING_CLI ?? join(process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target"), "release/thumbing"),
);

export function haveNativeCli() {
  return existsSync(nativeCli);
}

/** Runs the native CLI; throws with its stderr when it fails to run at all. */
export function runCli(args) {
  const run = spawnSync(nativeCli, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (run.error) throw run.error;
  return run;
}

/**
 * Makes avatars of `file` with the native CLI (what the server stores): `{ code: "ok", files }`
 * with `files` as `[{ size, data }]` in the order of `sizes`, or `{ code, message }` with the
 * error code the CLI reports.
 */
export function nativeRun(file, { sizes = [512], format = "jpeg", crop, fit, quality } = {}) {
  const out = mkdtempSync(join(tmpdir(), "thumbing-native-"));
  try {
    const args = ["avatar", file, "-o", out, "--format", format, "-j", "1", "--json"];
    args.push(sizes.length === 1 ? "--size" : "--sizes", sizes.join(","));
    if (crop) args.push("--crop", crop);
    if (fit) args.push("--fit", fit);
    if (quality) args.push("--quality", String(quality));
    const run = runCli(args);
    const report = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .find((r) => r.input !== undefined);
    if (!report) throw new Error(`native thumbing gave no report for ${file} (exit ${run.status}): ${run.stderr}`);
    if (!report.ok) return { code: report.error.code, message: report.error.message };
    return { code: "ok", files: report.outputs.map((o, i) => ({ size: sizes[i], data: readFileSync(o.path) })) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Like `nativeRun`, for a file that must succeed: its `[{ size, data }]`. */
export function nativeAvatars(file, options) {
  const result = nativeRun(file, options);
  if (result.code !== "ok") throw new Error(`native thumbing failed on ${file}: ${result.message} (${result.code})`);
  return result.files;
}

/** Decodes a PNG or JPEG to `{ width, height, data }` with 8-bit RGBA `data`. */
export function decodeImage(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf[0] === 0x89 && buf[1] === 0x50) {
    const png = PNG.sync.read(buf);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
  }
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error(`decodeImage: not a PNG or JPEG (first bytes ${buf.subarray(0, 4).toString("hex")})`);
}

/**
 * Compares two RGBA images: `{ sameSize, maxDiff, differing }` (`differing` counts channel
 * values that are not equal).
 */
export function comparePixels(a, b) {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length) {
    return { sameSize: false, maxDiff: 255, differing: Infinity };
  }
  let maxDiff = 0;
  let differing = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (d) {
      differing++;
      if (d > maxDiff) maxDiff = d;
    }
  }
  return { sameSize: true, maxDiff, differing };
}

export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Whether `bytes` is a lossless (SOF3) or 12-bit JPEG: thumbing decodes those with its
 * `jpeg-extended` feature, which the WebAssembly build leaves out (bindings-wasm/README.md,
 * "Size"). Walks the marker segments up to the first frame header.
 */
export function needsJpegExtended(bytes) {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return false;
  let pos = 2;
  while (pos + 4 < bytes.length) {
    if (bytes[pos] !== 0xff) return false;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos += 1;
    } else if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      pos += 2;
    } else if (marker === 0xd9 || marker === 0xda) {
      return false;
    } else if (marker >= 0xc0 && marker <= 0xc3) {
      return marker === 0xc3 || bytes[pos + 4] !== 8;
    } else {
      pos += 2 + ((bytes[pos + 2] << 8) | bytes[pos + 3]);
    }
  }
  return false;
}

/** A path relative to the corpus or the repository, for messages. */
export function shortName(file) {
  for (const base of [corpusDir, repoRoot]) {
    if (file.startsWith(base + "/")) return file.slice(base.length + 1);
  }
  return file;
}
