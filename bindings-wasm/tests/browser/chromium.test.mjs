// thumbing-wasm in a real headless Chromium (Debian's `chromium`, driven by playwright-core
// without any browser download): the main thread, a Web Worker, error codes, and the
// examples/browser-preview demo, served by the documented one-line server.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { chromium } from "playwright-core";
import { PNG } from "pngjs";
import * as thumbing from "thumbing-wasm";

import {
  comparePixels,
  corpusDir,
  decodeImage,
  haveCorpus,
  haveNativeCli,
  missing,
  nativeAvatars,
  nativeCli,
  nativeRun,
  outputDir,
  parityPhotos,
  pkgDir,
  repoRoot,
  shortName,
} from "../helpers.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  // Screenshots in sRGB, whatever the machine's display profile.
  "--force-color-profile=srgb",
];

let server = null;
let baseUrl = null;
let context = null;
let profileDir = null;
let page = null;
const consoleErrors = [];
const jpegFailures = [];

/** Serves the repository root with the one-liner the demo's README gives. */
function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", ["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`http.server did not start: ${out}`)), 20_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const port = /port (\d+)/.exec(out)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${port}` });
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`http.server exited with ${code}: ${out}`)));
  });
}

const toBase64 = (bytes) => Buffer.from(bytes).toString("base64");
const fromBase64 = (text) => new Uint8Array(Buffer.from(text, "base64"));

before(async () => {
  if (!existsSync(CHROMIUM) || !existsSync(join(pkgDir, "index.js"))) return;
  ({ child: server, url: baseUrl } = await startServer());
  profileDir = mkdtempSync(join(tmpdir(), "thumbing-chromium-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
  });
  page = await context.newPage();
  page.on("console", (msg) => msg.type() === "error" && consoleErrors.push(msg.text()));
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  await page.goto(`${baseUrl}/bindings-wasm/tests/browser/harness.html`);
  await page.evaluate(async () => {
    const thumbing = await import("/bindings-wasm/pkg/index.js");
    await thumbing.default();
    const { ThumbingWorker } = await import("/bindings-wasm/pkg/client.js");
    const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const b64 = (data) => {
      let text = "";
      for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode(...data.subarray(i, i + 0x8000));
      return btoa(text);
    };
    const describeError = (e) => ({ name: e.name, code: e.code, message: e.message, isError: e instanceof Error });
    globalThis.tw = { thumbing, ThumbingWorker, bytes, b64, describeError };
  });
});

after(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  server?.kill();
});

/** Skips (or fails in CI) when Chromium, the package or the native CLI are missing. */
function needs(t, { cli = false } = {}) {
  if (!existsSync(CHROMIUM)) return missing(t, `Chromium (${CHROMIUM}; apt-get install chromium chromium-driver)`);
  if (!existsSync(join(pkgDir, "index.js"))) return missing(t, "the built package (bash bindings-wasm/build.sh)");
  if (cli && !haveNativeCli()) return missing(t, `the native CLI (${nativeCli})`);
  return false;
}

function assertSamePixels(actual, expected, what) {
  const cmp = comparePixels(actual, expected);
  assert.ok(cmp.sameSize, `${what}: ${actual.width}x${actual.height} vs ${expected.width}x${expected.height}`);
  assert.equal(cmp.maxDiff, 0, `${what}: ${cmp.differing} channel values differ, by up to ${cmp.maxDiff}`);
}

describe("headless Chromium", () => {
  it("runs without cross-origin isolation or SharedArrayBuffer", async (t) => {
    if (needs(t)) return;
    const env = await page.evaluate(() => ({
      isolated: globalThis.crossOriginIsolated,
      version: tw.thumbing.version(),
      ua: navigator.userAgent,
    }));
    assert.equal(env.isolated, false);
    assert.match(env.ua, /Chrome\/\d+/);
    assert.equal(env.version, JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version);
  });

  it("main thread: the avatar and the preview pixels are the native ones", async (t) => {
    if (needs(t, { cli: true })) return;
    const failures = [];
    jpegFailures.length = 0;
    for (const photo of parityPhotos({ withCorpus: haveCorpus() })) {
      const name = shortName(photo);
      const nativeJpeg = nativeRun(photo, { sizes: [512] });
      const got = await page.evaluate((input) => {
        const bytes = tw.bytes(input);
        try {
          const jpeg = tw.thumbing.avatar(bytes);
          // PNG options keep alpha, as in the native PNG it is compared with.
          const px = tw.thumbing.imageData(bytes, { size: 512, format: "png" });
          return { code: "ok", jpeg: tw.b64(jpeg), width: px.width, height: px.height, pixels: tw.b64(px.data), isImageData: px instanceof ImageData };
        } catch (e) {
          return tw.describeError(e);
        }
      }, toBase64(readFileSync(photo)));
      if (got.code !== nativeJpeg.code) {
        failures.push(`${name}: browser ${got.code} (${got.message ?? ""}), native ${nativeJpeg.code}`);
        continue;
      }
      if (got.code !== "ok") continue;
      assert.ok(got.isImageData, "imageData() returns an ImageData");
      const [nativePng] = nativeAvatars(photo, { sizes: [512], format: "png" });
      const preview = comparePixels({ width: got.width, height: got.height, data: fromBase64(got.pixels) }, decodeImage(nativePng.data));
      if (!preview.sameSize || preview.maxDiff) failures.push(`${name}: preview differs by up to ${preview.maxDiff}`);
      const jpeg = comparePixels(decodeImage(fromBase64(got.jpeg)), decodeImage(nativeJpeg.files[0].data));
      if (!jpeg.sameSize || jpeg.maxDiff) jpegFailures.push(`${name}: JPEG decodes to pixels that differ by up to ${jpeg.maxDiff}`);
    }
    assert.deepEqual(failures, []);
  });

  it("main thread: the JPEG files decode to the native pixels", (t) => {
    if (needs(t, { cli: true })) return;
    assert.deepEqual(jpegFailures, []);
  });

  it("Web Worker: same results as the main thread, errors keep their code", async (t) => {
    if (needs(t)) return;
    const photo = readFileSync(join(repoRoot, "fixtures/landscape_3.jpg"));
    const result = await page.evaluate(async (input) => {
      const bytes = tw.bytes(input);
      const worker = new tw.ThumbingWorker();
      try {
        const [viaWorker, probe, rendered, processed] = await Promise.all([
          worker.avatar(bytes, { size: 200, crop: "smart" }),
          worker.probe(bytes),
          worker.pixels(bytes, { size: 64 }),
          worker.process(bytes, { sizes: [64, 32], format: "webp-lossless" }),
        ]);
        const errors = [];
        for (const [input, options] of [
          [new Uint8Array([1, 2, 3]), undefined],
          [bytes.subarray(0, 500), undefined],
          [bytes, { quality: 500 }],
          [bytes, { maxPixels: 10 }],
        ]) {
          errors.push(await worker.avatar(input, options).then(() => null, tw.describeError));
        }
        return {
          same: tw.b64(viaWorker) === tw.b64(tw.thumbing.avatar(bytes, { size: 200, crop: "smart" })),
          probe,
          pixelsSame: tw.b64(rendered.data) === tw.b64(tw.thumbing.pixels(bytes, { size: 64 }).data),
          pixelsType: Object.prototype.toString.call(rendered.data),
          processed: processed.map((p) => [p.width, p.format, p.data.length > 0]),
          errors,
          inputStillUsable: bytes.length,
        };
      } finally {
        worker.terminate();
      }
    }, toBase64(photo));
    assert.ok(result.same, "the worker's avatar differs from the main thread's");
    assert.ok(result.pixelsSame, "the worker's pixels differ from the main thread's");
    assert.equal(result.pixelsType, "[object Uint8ClampedArray]");
    assert.equal(result.probe.orientation, 3);
    assert.deepEqual(result.processed, [
      [64, "webp-lossless", true],
      [32, "webp-lossless", true],
    ]);
    assert.deepEqual(
      result.errors.map((e) => [e.name, e.code, e.isError]),
      [
        ["ThumbingError", "unsupported_format", true],
        ["ThumbingError", "corrupt", true],
        ["ThumbingError", "invalid_options", true],
        ["ThumbingError", "too_large", true],
      ],
    );
    assert.equal(result.inputStillUsable, photo.length, "the input buffer was not taken away");
  });

  it("corpus error files give the right code in the browser", async (t) => {
    if (needs(t)) return;
    if (!haveCorpus()) return missing(t, `the test corpus (${corpusDir}; set THUMBING_CORPUS)`);
    const cases = {
      "sharp-fixtures/65536-uint32-limit.png": "too_large",
      "sharp-fixtures/giant-image.jpg": "too_large",
      "sharp-fixtures/8bit_depth.tiff": "unsupported_format",
      "sharp-fixtures/truncated.jpg": "corrupt",
      "sharp-fixtures/truncated.png": "corrupt",
      "sharp-fixtures/corrupt-header.jpg": "corrupt",
      "pngsuite/xs2n0g01.png": "corrupt",
      "pngsuite/xd9n2c08.png": "corrupt",
    };
    for (const [path, code] of Object.entries(cases)) {
      const error = await page.evaluate((input) => {
        try {
          tw.thumbing.avatar(tw.bytes(input));
          return null;
        } catch (e) {
          return tw.describeError(e);
        }
      }, toBase64(readFileSync(join(corpusDir, path))));
      assert.ok(error, `${path}: no error`);
      assert.deepEqual([error.name, error.code, error.isError], ["ThumbingError", code, true], `${path}: ${error.message}`);
    }
  });

  it("the browser-preview demo shows the server's avatar", async (t) => {
    if (needs(t, { cli: true })) return;
    const photo = haveCorpus() ? join(corpusDir, "sharp-fixtures/flowers.jpeg") : join(repoRoot, "fixtures/landscape_5.jpg");
    const demo = await context.newPage();
    const errors = [];
    demo.on("pageerror", (error) => errors.push(String(error)));
    demo.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
    try {
      await demo.goto(`${baseUrl}/examples/browser-preview/`);
      await demo.waitForSelector('#status[data-state="idle"]', { timeout: 60_000 });

      const check = async (cli, wasmOptions, label) => {
        await demo.waitForSelector('#status[data-state="done"]', { timeout: 120_000 });
        const shown = await demo.evaluate(async () => {
          const canvas = document.querySelector("#preview");
          const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          const link = document.querySelector("#download");
          const file = new Uint8Array(await (await fetch(link.href)).arrayBuffer());
          const b64 = (bytes) => {
            let text = "";
            for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
            return btoa(text);
          };
          return {
            width: canvas.width,
            height: canvas.height,
            pixels: b64(data),
            file: b64(file),
            stats: document.querySelector("#stats").innerText,
            command: document.querySelector("#command").textContent,
          };
        });
        // The preview is the native pipeline's pixels; the file is thumbing-wasm's avatar (whose
        // parity with native JPEGs the parity tests check).
        const [nativePng] = nativeAvatars(photo, { ...cli, format: "png" });
        const expectedFile = thumbing.avatar(readFileSync(photo), wasmOptions);
        const pixels = { width: shown.width, height: shown.height, data: fromBase64(shown.pixels) };
        assertSamePixels(pixels, decodeImage(nativePng.data), `demo preview (${label})`);
        assert.ok(Buffer.from(fromBase64(shown.file)).equals(expectedFile), `demo file (${label}) is not thumbing's avatar`);
        assert.match(shown.stats, new RegExp(`${expectedFile.length} bytes`), shown.stats);
        assert.match(shown.stats, /\d+ ms/);
        assert.match(shown.stats, /512×512 px/);
        return { pixels, command: shown.command };
      };

      await demo.setInputFiles("#file", photo);
      const centre = await check({ sizes: [512] }, { size: 512 }, "centre");
      assert.match(centre.command, /thumbing avatar "(flowers\.jpeg|landscape_5\.jpg)"/);

      await demo.selectOption('select[name="crop"]', "smart");
      await demo.waitForFunction(() => document.querySelector("#command").textContent.includes("--crop smart"));
      const smart = await check({ sizes: [512], crop: "smart" }, { size: 512, crop: "smart" }, "smart crop");
      assert.match(smart.command, /--crop smart/);

      // A screenshot of the page, kept for people, and of the preview, compared to the pixels.
      mkdirSync(outputDir, { recursive: true });
      await demo.screenshot({ path: join(outputDir, "browser-preview.png"), fullPage: true });
      // Text above the canvas can leave it at a fractional position, which the compositor
      // would resample: snap it to whole pixels first; and square the rounded corners.
      const box = await demo.locator("#preview").evaluate((canvas) => {
        canvas.style.borderRadius = "0";
        const top = canvas.getBoundingClientRect().top;
        canvas.style.marginTop = `${Math.ceil(top) - top}px`;
        const r = canvas.getBoundingClientRect();
        return { x: r.left + scrollX, y: r.top + scrollY, width: canvas.width, height: canvas.height };
      });
      assert.ok(Number.isInteger(box.x) && Number.isInteger(box.y), `preview at ${box.x},${box.y}`);
      const shot = PNG.sync.read(await demo.screenshot({ clip: box, fullPage: true }));
      const cmp = comparePixels({ width: shot.width, height: shot.height, data: shot.data }, smart.pixels);
      assert.ok(cmp.sameSize, `screenshot is ${shot.width}x${shot.height}`);
      // Compositing may round; the screenshot must still be the preview.
      assert.ok(cmp.maxDiff <= 2, `screenshot differs from the preview by up to ${cmp.maxDiff}`);
      writeFileSync(join(outputDir, "browser-preview-canvas.png"), PNG.sync.write(shot));
      assert.deepEqual(errors, []);
    } finally {
      await demo.close();
    }
  });

  it("the browser-preview demo clears the previous photo's result on every pick", async (t) => {
    if (needs(t)) return;
    const good = join(repoRoot, "fixtures/landscape_5.jpg");
    const other = join(repoRoot, "fixtures/landscape_3.jpg");
    const corrupt = join(repoRoot, "fixtures/corrupt-header.jpg");
    const notImage = join(outputDir, "notes.jpg");
    mkdirSync(outputDir, { recursive: true });
    writeFileSync(notImage, "these are notes, not a photo\n");
    const demo = await context.newPage();
    const errors = [];
    demo.on("pageerror", (error) => errors.push(String(error)));
    // Only the page's own failures count: a broken image is a console error too.
    demo.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
    const shown = () =>
      demo.evaluate(() => {
        const canvas = document.querySelector("#preview");
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        const original = document.querySelector("#original");
        const image = document.querySelector("#original-image");
        return {
          status: document.querySelector("#status").dataset.state,
          sentence: document.querySelector("#status span")?.textContent ?? "",
          detail: document.querySelector("#status .detail")?.textContent ?? null,
          code: document.querySelector("#status").dataset.code ?? null,
          painted: data.some((v) => v !== 0),
          statsHidden: document.querySelector("#stats").hidden,
          stats: ["#stat-preview", "#stat-avatar", "#stat-photo"].map((id) => document.querySelector(id).textContent),
          downloadHidden: document.querySelector("#download").hidden,
          downloadHref: document.querySelector("#download").getAttribute("href"),
          caption: document.querySelector("#original-caption").textContent,
          originalShown: !original.hidden,
          brokenImage: !original.hidden && image.complete && image.naturalWidth === 0,
          command: document.querySelector("#command").textContent,
          hint: !(document.querySelector("#focal-hint")?.hidden ?? true),
          marker: !document.querySelector("#focal-marker").hidden,
        };
      });
    try {
      await demo.goto(`${baseUrl}/examples/browser-preview/`);
      await demo.waitForSelector('#status[data-state="idle"]', { timeout: 60_000 });
      const done = async (file) => {
        await demo.setInputFiles("#file", file);
        await demo.waitForFunction(() => document.querySelector("#status").dataset.state === "done" && !document.querySelector("#original").hidden, null, { timeout: 120_000 });
        return shown();
      };
      const failed = async (file) => {
        await demo.setInputFiles("#file", file);
        await demo.waitForSelector('#status[data-state="error"]', { timeout: 120_000 });
        return shown();
      };

      const first = await done(good);
      assert.ok(first.painted && !first.statsHidden && !first.downloadHidden && first.caption.startsWith("landscape_5.jpg"));

      for (const [file, code, sentence] of [
        [corrupt, "corrupt", "This photo is damaged and can't be read. Try exporting it again."],
        [notImage, "unsupported_format", "This file isn't a photo thumbing can read. Choose a JPEG, PNG, WebP or GIF file."],
      ]) {
        await done(good);
        const after = await failed(file);
        assert.equal(after.code, code, JSON.stringify(after));
        assert.equal(after.sentence, sentence);
        assert.ok(after.detail.startsWith(`${code}: `), `the code and thumbing's words are in the smaller line: ${after.detail}`);
        assert.ok(!after.sentence.includes(code));
        assert.equal(after.painted, false, "the previous avatar is still drawn");
        assert.ok(after.statsHidden, "the previous stats are still shown");
        assert.deepEqual(after.stats, ["", "", ""]);
        assert.ok(after.downloadHidden && after.downloadHref === null, "the previous download link is still offered");
        assert.equal(after.caption, "", "the previous caption is still shown");
        assert.equal(after.originalShown, false, "a file that is no image is not shown (no broken-image icon)");
        assert.equal(after.brokenImage, false);
      }

      // Focal-point mode: a click sets --crop; a new photo starts centred again, and says so.
      await done(good);
      await demo.selectOption('select[name="crop"]', "focal");
      await demo.waitForSelector('#status[data-state="done"]', { timeout: 120_000 });
      let state = await shown();
      assert.ok(state.hint, "the page asks for a click on the photo");
      assert.doesNotMatch(state.command, /--crop/, `no focal point chosen yet: ${state.command}`);
      const box = await demo.locator("#original-image").boundingBox();
      await demo.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.75);
      await demo.waitForFunction(() => /--crop 0\.2\d*,0\.7\d*/.test(document.querySelector("#command").textContent));
      await demo.waitForSelector('#status[data-state="done"]', { timeout: 120_000 });
      state = await shown();
      assert.ok(state.marker && !state.hint);
      state = await done(other);
      assert.equal(await demo.inputValue('select[name="crop"]'), "focal");
      assert.doesNotMatch(state.command, /--crop/, `a new photo shows the old photo's focal point: ${state.command}`);
      assert.match(state.command, /thumbing avatar "landscape_3\.jpg"/);
      assert.ok(state.hint && !state.marker, JSON.stringify(state));
      await demo.screenshot({ path: join(outputDir, "browser-preview-focal.png"), fullPage: true });

      assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
    } finally {
      await demo.close();
    }
  });

  it("logged no errors on the test page", (t) => {
    if (needs(t)) return;
    assert.deepEqual(consoleErrors, []);
  });
});
