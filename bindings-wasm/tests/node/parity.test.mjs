// Parity: the avatar made by thumbing-wasm has the pixels of the avatar the native library
// (the server, here its CLI) makes from the same image with the same options.
//
// Every fixture and the corpus photos, for several option sets:
// - the pipeline's pixels (PNG output, and the RGBA pixels a browser preview draws) must be
//   identical;
// - the JPEG files must decode to identical pixels (the encoder is deterministic, so the files
//   are then identical too);
// - an image the native library rejects must be rejected with the same error code.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import * as thumbing from "thumbing-wasm";

import {
  comparePixels,
  decodeImage,
  haveCorpus,
  haveNativeCli,
  missing,
  nativeCli,
  nativeRun,
  parityPhotos,
  shortName,
} from "../helpers.mjs";

/** The option sets compared, as CLI flags and as thumbing-wasm options. */
const VARIANTS = [
  { name: "512 cover, centre", cli: { sizes: [512] }, wasm: { size: 512 } },
  { name: "256 and 64, smart", cli: { sizes: [256, 64], crop: "smart" }, wasm: { sizes: [256, 64], crop: "smart" } },
  { name: "200 contain", cli: { sizes: [200], fit: "contain" }, wasm: { size: 200, fit: "contain" } },
];

function wasmRun(fn) {
  try {
    return { code: "ok", value: fn() };
  } catch (error) {
    assert.equal(error.name, "ThumbingError", error.stack);
    return { code: error.code, message: error.message };
  }
}

function pixelDiff(actual, expected) {
  const cmp = comparePixels(actual, expected);
  if (!cmp.sameSize) return `${actual.width}x${actual.height} vs native ${expected.width}x${expected.height}`;
  return cmp.maxDiff === 0 ? null : `${cmp.differing} channel values differ, by up to ${cmp.maxDiff}`;
}

const photos = parityPhotos({ withCorpus: haveCorpus() });

describe("parity with the native library", () => {
  it("has the native CLI and the corpus", (t) => {
    if (!haveNativeCli()) return missing(t, `the native CLI (${nativeCli}; cargo build --release -p thumbing-cli)`);
    if (!haveCorpus()) return missing(t, "the test corpus (THUMBING_CORPUS)");
  });

  it("pipeline pixels: PNG output and preview pixels are identical", (t) => {
    if (!haveNativeCli()) return missing(t, `the native CLI (${nativeCli})`);
    const failures = [];
    for (const photo of photos) {
      const bytes = readFileSync(photo);
      const name = shortName(photo);
      for (const variant of VARIANTS) {
        const native = nativeRun(photo, { ...variant.cli, format: "png" });
        const wasm = wasmRun(() => thumbing.process(bytes, { ...variant.wasm, format: "png" }));
        if (wasm.code !== native.code) {
          failures.push(`${name} (${variant.name}): WASM ${wasm.code}, native ${native.code} ${native.message ?? ""}`);
          continue;
        }
        if (native.code !== "ok") continue;
        const preview = thumbing.render(bytes, { ...variant.wasm, format: "png" });
        native.files.forEach(({ size, data }, i) => {
          const expected = decodeImage(data);
          const what = `${name} (${variant.name}, ${size} px)`;
          const png = pixelDiff(decodeImage(wasm.value[i].data), expected);
          if (png) failures.push(`${what} PNG: ${png}`);
          else if (!Buffer.from(wasm.value[i].data).equals(data)) failures.push(`${what}: same pixels, different PNG files`);
          const px = pixelDiff(preview[i], expected);
          if (px) failures.push(`${what} preview pixels: ${px}`);
        });
      }
    }
    assert.deepEqual(failures, []);
  });

  // thumbing builds jpeg-encoder without its x86 SIMD DCT, so native and WebAssembly builds
  // write the same JPEG files.
  it("JPEG files decode to identical pixels", (t) => {
    if (!haveNativeCli()) return missing(t, `the native CLI (${nativeCli})`);
    const failures = [];
    let compared = 0;
    for (const photo of photos) {
      const bytes = readFileSync(photo);
      const name = shortName(photo);
      for (const variant of VARIANTS) {
        const native = nativeRun(photo, variant.cli);
        const wasm = wasmRun(() => thumbing.process(bytes, variant.wasm));
        if (wasm.code !== native.code) {
          failures.push(`${name} (${variant.name}): WASM ${wasm.code}, native ${native.code} ${native.message ?? ""}`);
          continue;
        }
        if (native.code !== "ok") continue;
        native.files.forEach(({ size, data }, i) => {
          compared++;
          const diff = pixelDiff(decodeImage(wasm.value[i].data), decodeImage(data));
          if (diff) failures.push(`${name} (${variant.name}, ${size} px) JPEG: ${diff}`);
          else if (!Buffer.from(wasm.value[i].data).equals(data)) failures.push(`${name}: same pixels, different JPEG files`);
        });
      }
    }
    assert.ok(compared > 0);
    assert.deepEqual(failures, []);
  });
});
