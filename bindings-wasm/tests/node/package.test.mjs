// The built package: its files, its entry points, and the size of the module.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";

import { pkgDir } from "../helpers.mjs";

/** The size budget of the module, gzipped: what a browser downloads. */
const BUDGET_GZIPPED = 400 * 1000;

const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const wasm = readFileSync(join(pkgDir, "thumbing_wasm_bg.wasm"));
const gzipped = gzipSync(wasm, { level: 9 }).length;

describe("package", () => {
  it("ships every file it lists, with types", () => {
    for (const file of pkg.files) assert.ok(existsSync(join(pkgDir, file)), `${file} is missing`);
    const types = readFileSync(join(pkgDir, "index.d.ts"), "utf8");
    for (const name of ["avatar", "process", "pixels", "render", "probe", "version", "imageData", "initSync"]) {
      assert.match(types, new RegExp(`export function ${name}\\(`), `index.d.ts declares ${name}`);
    }
    const generated = readFileSync(join(pkgDir, "thumbing_wasm.d.ts"), "utf8");
    for (const type of ["AvatarOptions", "ProcessOptions", "EncodedImage", "Pixels", "ImageInfo", "ThumbingError", "ErrorCode"]) {
      assert.match(generated, new RegExp(`(interface|type) ${type}\\b`), `thumbing_wasm.d.ts declares ${type}`);
    }
  });

  it("resolves the node, default, client and worker entry points", async () => {
    const require = createRequire(join(pkgDir, "..", "tests", "package.json"));
    assert.equal(require.resolve("thumbing-wasm/package.json"), join(pkgDir, "package.json"));
    assert.equal(pkg.exports["."].node, "./node.js");
    assert.equal(pkg.exports["."].default, "./index.js");
    const client = await import("thumbing-wasm/client");
    assert.equal(typeof client.ThumbingWorker, "function");
    assert.ok(existsSync(join(pkgDir, pkg.exports["./worker"])));
  });

  it("is built with SIMD (simd128)", () => {
    assert.ok(WebAssembly.validate(wasm));
    const module = new WebAssembly.Module(wasm);
    assert.ok(WebAssembly.Module.exports(module).some((e) => e.name === "avatar"));
    // rustc records the features the code was compiled with in this section.
    const sections = WebAssembly.Module.customSections(module, "target_features");
    assert.equal(sections.length, 1, "no target_features section");
    assert.match(Buffer.from(sections[0]).toString("latin1"), /simd128/);
  });

  // Most of the module is the codecs (zune-jpeg, png, image-webp with its encoder, gif), moxcms
  // for ICC profiles and the resize kernels; crates off a photo's hot path are built with
  // opt-level "z", and thumbing's `jpeg-extended` feature (lossless and 12-bit JPEG) is left out.
  it(`is at most ${BUDGET_GZIPPED / 1000} KB gzipped`, () => {
    console.log(`# thumbing_wasm_bg.wasm: ${wasm.length} bytes, ${gzipped} bytes gzipped`);
    assert.ok(gzipped <= BUDGET_GZIPPED, `${(gzipped / 1000).toFixed(0)} KB gzipped, over the ${BUDGET_GZIPPED / 1000} KB budget`);
  });
});
