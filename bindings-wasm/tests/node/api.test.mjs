// The thumbing-wasm API in Node, imported by package name (the "node" export condition).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { deflateSync } from "node:zlib";

import { PNG } from "pngjs";
import init, * as thumbing from "thumbing-wasm";

import { decodeImage, fixturesDir, pkgDir, repoRoot } from "../helpers.mjs";

const fixture = (name) => readFileSync(join(fixturesDir, name));
const landscape6 = fixture("landscape_6.jpg");
const gray = fixture("gray.png");

/** A small RGBA PNG: left half opaque blue, right half fully transparent. */
function halfTransparentPng(width = 16, height = 16) {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      png.data.set(x < width / 2 ? [0, 0, 255, 255] : [0, 0, 0, 0], i);
    }
  }
  return PNG.sync.write(png);
}

/** CRC-32 (ISO 3309), as PNG chunks use. */
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A PNG with a valid header for a `width` x `height` RGBA image, and almost no pixel data. */
function pngHeaderOnly(width, height) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(64))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Asserts that `fn` throws a ThumbingError with `code`, and returns it. */
function throwsCode(fn, code, messagePart) {
  let caught;
  assert.throws(fn, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof Error, `expected an Error, got ${caught}`);
  assert.equal(caught.name, "ThumbingError", caught.stack);
  assert.equal(caught.code, code, caught.message);
  if (messagePart) assert.match(caught.message, messagePart);
  return caught;
}

describe("initialisation", () => {
  it("is ready on import in Node, and init() still resolves", async () => {
    assert.equal(thumbing.isInitialised(), true);
    await init();
    await init();
  });

  it("reports the crate version, which is the package version", () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
    const cargo = readFileSync(join(repoRoot, "Cargo.toml"), "utf8");
    const workspaceVersion = /\[workspace\.package\][^[]*?version = "([^"]+)"/.exec(cargo)[1];
    assert.equal(thumbing.version(), workspaceVersion);
    assert.equal(pkg.version, workspaceVersion);
  });
});

describe("avatar", () => {
  it("makes a 512x512 JPEG by default, upright", () => {
    const jpeg = thumbing.avatar(landscape6);
    assert.ok(jpeg instanceof Uint8Array);
    assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    const info = thumbing.probe(jpeg);
    assert.deepEqual([info.format, info.width, info.height, info.orientation], ["jpeg", 512, 512, 1]);
  });

  it("honours size, format and quality", () => {
    const png = thumbing.avatar(landscape6, { size: 100, format: "png" });
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    assert.equal(thumbing.probe(png).width, 100);
    const webp = thumbing.avatar(landscape6, { size: 64, format: "webp-lossless" });
    assert.equal(Buffer.from(webp.subarray(8, 16)).toString("latin1"), "WEBPVP8L");
    const low = thumbing.avatar(landscape6, { size: 256, quality: 30 });
    const high = thumbing.avatar(landscape6, { size: 256, quality: 95 });
    assert.ok(low.length < high.length, `q30 ${low.length} bytes, q95 ${high.length} bytes`);
    const progressive = thumbing.avatar(landscape6, { size: 256, progressive: true });
    assert.equal(thumbing.probe(progressive).progressive, true);
  });

  it("places the crop as asked", () => {
    const base = { size: 64, format: "png" };
    const left = decodeImage(thumbing.avatar(landscape6, { ...base, crop: { x: 0, y: 0.5 } }));
    const right = decodeImage(thumbing.avatar(landscape6, { ...base, crop: "1,0.5" }));
    const centre = decodeImage(thumbing.avatar(landscape6, { ...base, crop: "centre" }));
    const same = decodeImage(thumbing.avatar(landscape6, base));
    assert.deepEqual(centre.data, same.data, "centre is the default");
    assert.notDeepEqual(left.data, right.data);
    assert.equal(thumbing.avatar(landscape6, { size: 64, crop: "smart" })[0], 0xff);
  });

  it("flattens transparency onto the background colour for JPEG", () => {
    const input = halfTransparentPng();
    for (const [background, rgb] of [
      ["#ff0000", [255, 0, 0]],
      ["#0f0", [0, 255, 0]],
      [[10, 20, 30], [10, 20, 30]],
    ]) {
      const px = thumbing.pixels(input, { size: 16, background });
      // Rightmost column: transparent in the input, so the background.
      const i = (8 * 16 + 15) * 4;
      assert.deepEqual([...px.data.subarray(i, i + 4)], [...rgb, 255], `background ${background}`);
    }
    const kept = thumbing.pixels(input, { size: 16, format: "png" });
    assert.equal(kept.data[(8 * 16 + 15) * 4 + 3], 0, "PNG keeps alpha");
  });

  it("accepts Buffers, ArrayBuffers and offset typed-array views", () => {
    const expected = thumbing.avatar(gray, { size: 32 });
    const copy = new Uint8Array(gray);
    assert.deepEqual(thumbing.avatar(copy.buffer, { size: 32 }), expected);
    const padded = new Uint8Array(gray.length + 7);
    padded.set(gray, 3);
    assert.deepEqual(thumbing.avatar(new DataView(padded.buffer, 3, gray.length), { size: 32 }), expected);
    assert.deepEqual(thumbing.avatar(padded.subarray(3, 3 + gray.length), { size: 32 }), expected);
  });
});

describe("process and render", () => {
  it("makes every size from one call, in order", () => {
    const out = thumbing.process(landscape6, { sizes: [200, 50, 120], format: "png" });
    assert.deepEqual(
      out.map((a) => [a.width, a.height, a.format, a.mimeType]),
      [
        [200, 200, "png", "image/png"],
        [50, 50, "png", "image/png"],
        [120, 120, "png", "image/png"],
      ],
    );
    for (const a of out) assert.equal(thumbing.probe(a.data).width, a.width);
  });

  it("reports the damage it recovered from, and failOn: warning refuses it", () => {
    const at = landscape6.indexOf(Buffer.from([0xff, 0xdb]));
    const damaged = Buffer.concat([landscape6.subarray(0, at), Buffer.from("junk"), landscape6.subarray(at)]);
    const [out] = thumbing.process(damaged, { sizes: [32] });
    assert.deepEqual(
      out.warnings.map((w) => [w.code, w.offset]),
      [["extraneous_bytes", at]],
    );
    assert.match(out.warnings[0].message, /4 extraneous bytes before marker 0xDB/);
    assert.equal(thumbing.render(damaged, { sizes: [32] })[0].warnings.length, 1);
    assert.deepEqual(thumbing.process(landscape6, { sizes: [32] })[0].warnings, []);
    throwsCode(() => thumbing.avatar(damaged, { size: 32, failOn: "warning" }), "corrupt");
  });

  it("supports boxes and fits", () => {
    const [wide] = thumbing.process(landscape6, { boxes: [[160, 90]] });
    assert.deepEqual([wide.width, wide.height], [160, 90]);
    const info = thumbing.probe(landscape6);
    const [inside] = thumbing.process(landscape6, { size: 100, fit: "inside" });
    const longSide = Math.max(info.uprightWidth, info.uprightHeight);
    assert.deepEqual(
      [inside.width, inside.height],
      [Math.round((info.uprightWidth * 100) / longSide), Math.round((info.uprightHeight * 100) / longSide)],
    );
    const [contain] = thumbing.process(landscape6, { size: 100, fit: "contain" });
    assert.deepEqual([contain.width, contain.height], [100, 100]);
  });

  it("render gives the RGBA pixels that process encodes", () => {
    const options = { sizes: [96, 40], format: "png" };
    const rendered = thumbing.render(landscape6, options);
    const encoded = thumbing.process(landscape6, options);
    assert.equal(rendered.length, 2);
    rendered.forEach((px, i) => {
      assert.ok(px.data instanceof Uint8ClampedArray);
      assert.equal(px.colorSpace, "srgb");
      assert.equal(px.data.length, px.width * px.height * 4);
      assert.deepEqual(new Uint8Array(px.data.buffer), decodeImage(encoded[i].data).data);
    });
  });

  it("pixels of a gray image are RGBA with equal channels", () => {
    const px = thumbing.pixels(gray, { size: 8 });
    assert.equal(px.data.length, 8 * 8 * 4);
    for (let i = 0; i < px.data.length; i += 4) {
      assert.equal(px.data[i], px.data[i + 1]);
      assert.equal(px.data[i], px.data[i + 2]);
      assert.equal(px.data[i + 3], 255);
    }
  });
});

describe("probe", () => {
  it("reads headers: format, size, orientation, alpha", () => {
    const info = thumbing.probe(landscape6);
    assert.equal(info.format, "jpeg");
    assert.equal(info.orientation, 6);
    assert.deepEqual([info.uprightWidth, info.uprightHeight], [info.height, info.width]);
    assert.equal(info.hasAlpha, false);
    assert.equal(info.colorModel, "rgb");
    const g = thumbing.probe(gray);
    assert.deepEqual([g.format, g.colorModel, g.hasAlpha, g.orientation], ["png", "gray", false, 1]);
    const a = thumbing.probe(halfTransparentPng(4, 2));
    assert.deepEqual([a.width, a.height, a.hasAlpha, a.bitDepth], [4, 2, true, 8]);
  });

  it("reports a bomb's declared size without decoding it", () => {
    const info = thumbing.probe(fixture("bomb-100000x100000.png"));
    assert.deepEqual([info.width, info.height], [100000, 100000]);
  });
});

describe("errors carry the thumbing error code", () => {
  it("unsupported_format for bytes that are no image", () => {
    throwsCode(() => thumbing.avatar(new TextEncoder().encode("hello, world")), "unsupported_format");
    throwsCode(() => thumbing.probe(new Uint8Array([0x42, 0x4d, 0, 0, 0, 0])), "unsupported_format", /BMP/);
  });

  it("corrupt for damaged files", () => {
    throwsCode(() => thumbing.avatar(gray.subarray(0, gray.length / 2)), "corrupt");
    throwsCode(() => thumbing.avatar(landscape6.subarray(0, 2000)), "corrupt");
  });

  it("failOn: never decodes what arrived", () => {
    const out = thumbing.avatar(landscape6.subarray(0, landscape6.length - 1000), { size: 32, failOn: "never" });
    assert.equal(thumbing.probe(out).width, 32);
  });

  it("too_large for bombs and configured limits", () => {
    throwsCode(() => thumbing.avatar(fixture("bomb-100000x100000.png")), "too_large", /pixels/);
    throwsCode(() => thumbing.avatar(landscape6, { maxPixels: 1000 }), "too_large");
    throwsCode(() => thumbing.avatar(landscape6, { maxInputBytes: 100 }), "too_large", /bytes/);
  });

  it("invalid_options for bad options, naming the option", () => {
    const cases = [
      [{ quailty: 80 }, /unknown option "quailty"/],
      [{ size: 0 }, /options\.size/],
      [{ size: 1.5 }, /options\.size/],
      [{ size: 100000 }, /options\.size/],
      [{ size: "512" }, /options\.size/],
      [{ quality: 0 }, /options\.quality/],
      [{ quality: 101 }, /options\.quality/],
      [{ format: "bmp" }, /bmp/],
      // Lossy WebP and AVIF are words of thumbing, but their encoders are not in this build.
      [{ format: "webp" }, /format webp is not in this build of thumbing: it was built without the `webp` feature/],
      [{ format: "avif" }, /format avif is not in this build of thumbing: it was built without the `avif` feature/],
      [{ fit: "fill" }, /options\.fit/],
      [{ crop: "top" }, /crop/],
      [{ crop: { x: 2, y: 0 } }, /options\.crop\.x/],
      [{ background: "#12345" }, /options\.background/],
      [{ background: [1, 2] }, /options\.background/],
      [{ background: [0, 0, 256] }, /background\[2\]/],
      [{ filter: "sinc" }, /sinc/],
      [{ progressive: "yes" }, /options\.progressive/],
      [{ failOn: "sometimes" }, /options\.failOn/],
      [{ sizes: [64] }, /process\(\)/],
      [[512], /options must be an object/],
      [42, /options must be an object/],
    ];
    for (const [options, message] of cases) {
      throwsCode(() => thumbing.avatar(gray, options), "invalid_options", message);
    }
    throwsCode(() => thumbing.process(gray, { sizes: [] }), "invalid_options", /at least one/);
    throwsCode(() => thumbing.process(gray, { size: 10, sizes: [10] }), "invalid_options", /only one/);
    throwsCode(() => thumbing.process(gray, { boxes: [[10]] }), "invalid_options", /boxes\[0\]/);
    throwsCode(() => thumbing.process(gray, { sizes: new Array(33).fill(8) }), "invalid_options", /33/);
    throwsCode(() => thumbing.avatar("not bytes"), "invalid_options", /Uint8Array/);
    throwsCode(() => thumbing.probe(null), "invalid_options", /Uint8Array/);
  });

  it("undefined options and undefined values mean the defaults", () => {
    const expected = thumbing.avatar(gray);
    assert.deepEqual(thumbing.avatar(gray, undefined), expected);
    assert.deepEqual(thumbing.avatar(gray, null), expected);
    assert.deepEqual(thumbing.avatar(gray, { quality: undefined, size: undefined }), expected);
  });
});

describe("a WebAssembly trap does not break the module", () => {
  it("a pixel buffer larger than 32-bit memory is too_large, even with the pixel limit raised", () => {
    // A valid header for 24000x24000 RGBA: a 2.3 GB pixel buffer, more than wasm32 can address.
    const huge = pngHeaderOnly(24000, 24000);
    throwsCode(() => thumbing.avatar(huge), "too_large", /pixels/);
    throwsCode(() => thumbing.avatar(huge, { maxPixels: 1e9 }), "too_large");
    assert.equal(thumbing.probe(landscape6).orientation, 6);
  });

  it("exhausting the 4 GiB memory is too_large, and the module keeps working", () => {
    const before = thumbing.avatar(gray, { size: 16 });
    // Four 16384x16384 RGBA outputs need 4.3 GB: the allocator fails on the fourth.
    const input = halfTransparentPng(4, 4);
    const boxes = new Array(4).fill([16384, 16384]);
    throwsCode(() => thumbing.render(input, { boxes, format: "png", filter: "nearest" }), "too_large", /memory/);
    assert.deepEqual(thumbing.avatar(gray, { size: 16 }), before);
  });
});
