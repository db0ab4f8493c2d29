// The whole test corpus through thumbing-wasm: every file gives what the manifest expects
// (an avatar, or the right error code), and the same outcome and pixels as the native CLI.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import * as thumbing from "thumbing-wasm";

import {
  comparePixels,
  corpusDir,
  corpusManifest,
  corpusTolerated,
  decodeImage,
  haveCorpus,
  haveNativeCli,
  missing,
  nativeCli,
  needsJpegExtended,
  runCli,
} from "../helpers.mjs";

const SIZE = 96;

/** What the manifest allows for each `expected` value: error codes, or "ok". */
const ALLOWED = {
  ok: ["ok"],
  bomb: ["too_large"],
  unsupported: ["unsupported_format"],
  // A damaged file is an error by default; a few damaged files still decode (the corpus says
  // "a Corrupt error or a best-effort image").
  corrupt: ["corrupt", "ok"],
};

function wasmOutcome(bytes, options = {}) {
  try {
    const [out] = thumbing.process(bytes, { size: SIZE, format: "png", ...options });
    return { code: "ok", png: out.data, warnings: out.warnings };
  } catch (error) {
    assert.equal(error.name, "ThumbingError", `not a ThumbingError: ${error.stack}`);
    return { code: error.code, message: error.message };
  }
}

describe("corpus", () => {
  let native = null;
  let outDir = null;

  before(() => {
    if (!haveCorpus() || !haveNativeCli()) return;
    // The CLI writes every file named on its command line to one directory, named after the
    // input's stem, so files with the same stem (a/x.jpg, a/x.png, b/x.png) go to separate
    // runs and directories: batch 0, 1, ...
    outDir = mkdtempSync(join(tmpdir(), "thumbing-corpus-"));
    native = new Map();
    const batches = [];
    for (const entry of corpusManifest()) {
      const file = join(corpusDir, entry.path);
      const stem = entry.path.replace(/^.*\//, "").replace(/\.[^.]*$/, "");
      let batch = batches.find((b) => !b.stems.has(stem));
      if (!batch) batches.push((batch = { stems: new Set(), files: [] }));
      batch.stems.add(stem);
      batch.files.push(file);
    }
    batches.forEach((batch, i) => {
      const run = runCli(["avatar", ...batch.files, "-o", join(outDir, String(i)), "--size", String(SIZE), "--format", "png", "--json"]);
      for (const line of run.stdout.trim().split("\n")) {
        const report = JSON.parse(line);
        if (!report.summary) native.set(report.input, report);
      }
    });
  });

  after(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("has the corpus and the native CLI", (t) => {
    if (!haveCorpus()) return missing(t, `the test corpus (${corpusDir}; set THUMBING_CORPUS)`);
    if (!haveNativeCli()) return missing(t, `the native CLI (${nativeCli}; cargo build --release -p thumbing-cli)`);
  });

  it("every file: the expected outcome, the native outcome, the native pixels", (t) => {
    if (!haveCorpus()) return missing(t, `the test corpus (${corpusDir})`);
    if (!native) return missing(t, `the native CLI (${nativeCli})`);
    const manifest = corpusManifest();
    assert.ok(manifest.length > 100, `only ${manifest.length} files in the manifest`);
    const counts = {};
    const failures = [];
    for (const entry of manifest) {
      const file = join(corpusDir, entry.path);
      const bytes = readFileSync(file);
      const wasm = wasmOutcome(bytes);
      counts[`${entry.expected} -> ${wasm.code}`] = (counts[`${entry.expected} -> ${wasm.code}`] ?? 0) + 1;
      const report = native.get(file);
      const nativeCode = report?.ok ? "ok" : report?.error?.code;
      if (entry.expected === "ok" && needsJpegExtended(bytes)) {
        // The one documented difference from the server: lossless and 12-bit JPEGs need the
        // `jpeg-extended` feature, which the WebAssembly build leaves out to stay in budget.
        if (wasm.code !== "unsupported_format" || !/jpeg-extended/.test(wasm.message)) {
          failures.push(`${entry.path}: a lossless or 12-bit JPEG should be unsupported_format naming jpeg-extended, got ${wasm.code} ${wasm.message ?? ""}`);
        }
        if (nativeCode !== "ok") failures.push(`${entry.path}: native ${nativeCode}, expected an avatar`);
        continue;
      }
      if (!ALLOWED[entry.expected]?.includes(wasm.code)) {
        failures.push(`${entry.path}: expected ${entry.expected}, got ${wasm.code} ${wasm.message ?? ""}`);
      }
      if (wasm.code !== nativeCode) {
        failures.push(`${entry.path}: WASM ${wasm.code}, native ${nativeCode} (${report?.error?.message ?? ""})`);
        continue;
      }
      if (wasm.code === "ok") {
        const nativePng = readFileSync(report.outputs[0].path);
        const cmp = comparePixels(decodeImage(wasm.png), decodeImage(nativePng));
        if (!cmp.sameSize || cmp.maxDiff !== 0) {
          failures.push(`${entry.path}: ${cmp.differing} channel values differ from native, by up to ${cmp.maxDiff}`);
        }
      }
    }
    console.log(`# corpus outcomes (manifest -> WASM): ${JSON.stringify(counts)}`);
    assert.deepEqual(failures, []);
  });

  it("error files give the right code", (t) => {
    if (!haveCorpus()) return missing(t, `the test corpus (${corpusDir})`);
    const expectCode = (path, code) => {
      const outcome = wasmOutcome(readFileSync(join(corpusDir, path)));
      assert.equal(outcome.code, code, `${path}: ${outcome.message ?? "no error"}`);
    };
    expectCode("sharp-fixtures/65536-uint32-limit.png", "too_large");
    expectCode("sharp-fixtures/giant-image.jpg", "too_large");
    expectCode("sharp-fixtures/8bit_depth.tiff", "unsupported_format");
    expectCode("sharp-fixtures/truncated.jpg", "corrupt");
    expectCode("sharp-fixtures/truncated.png", "corrupt");
    expectCode("sharp-fixtures/corrupt-header.jpg", "corrupt");
    expectCode("pngsuite/xs1n0g01.png", "corrupt");
    // Damage the tolerant default recovers from: an avatar with a warning, and still a
    // `corrupt` error with failOn: "warning".
    const tolerated = [...corpusTolerated()];
    assert.ok(tolerated.includes("pngsuite/xcsn0g01.png"), "fixtures/corpus-tolerated.tsv lists xcsn0g01.png");
    for (const path of tolerated) {
      const bytes = readFileSync(join(corpusDir, path));
      const outcome = wasmOutcome(bytes);
      assert.equal(outcome.code, "ok", `${path}: ${outcome.message ?? ""}`);
      assert.ok(outcome.warnings.length > 0, `${path}: an avatar without a warning`);
      assert.equal(wasmOutcome(bytes, { failOn: "warning" }).code, "corrupt", `${path} with failOn: "warning"`);
    }
  });
});
