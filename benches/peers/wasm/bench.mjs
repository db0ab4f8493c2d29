// thumbing-wasm under Node against what people use for avatars in the browser:
// @jsquash/jpeg (MozJPEG) + @jsquash/resize, and pica (+ @jsquash/jpeg, as pica has no codec),
// plus native thumbing on the same machine for the cost of running in WebAssembly.
//
//   node bench.mjs [--runs N] [--native PATH-TO-thumbing-peers] [--out DIR] PHOTO...
//
// Task: encoded JPEG in memory → decode → 512×512 centre cover crop → JPEG quality 80, in
// memory. Every library runs on one thread. Per photo: one warm-up call per library, then N
// rounds; within a round the libraries run one after another, the first one rotating from
// round to round, so background load hits all alike. The median and the quartiles are reported.
// Each output is decoded (by MozJPEG, the same decoder for all) and compared with thumbing's
// pre-encoding pixels (PSNR), to show that every library did the same crop.
//
// Writes <out>/wasm.md and <out>/wasm.csv.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import * as thumbing from "thumbing-wasm";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const require = createRequire(import.meta.url);

// @jsquash builds ImageData objects, which Node does not have.
globalThis.ImageData ??= class ImageData {
  constructor(data, width, height) {
    this.data = data;
    this.width = width;
    this.height = height;
    this.colorSpace = "srgb";
  }
};

const jpegDecode = await import("@jsquash/jpeg/decode.js");
const jpegEncode = await import("@jsquash/jpeg/encode.js");
const jsquashResize = await import("@jsquash/resize");
const pica = require("pica");

const wasmFile = (path) => readFileSync(join(modules, path));
await jpegDecode.init(await WebAssembly.compile(wasmFile("@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm")));
await jpegEncode.init(await WebAssembly.compile(wasmFile("@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm")));
await jsquashResize.initResize(wasmFile("@jsquash/resize/lib/resize/pkg/squoosh_resize_bg.wasm"));
const resizer = pica({ features: ["js", "wasm"], concurrency: 1 });

const SIZE = 512;
const QUALITY = 80;

function parseArgs(argv) {
  const args = { runs: 7, native: null, out: resolve(here, "../../../docs/benchmarks"), photos: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--runs") args.runs = Number(argv[++i]);
    else if (argv[i] === "--native") args.native = argv[++i];
    else if (argv[i] === "--out") args.out = argv[++i];
    else args.photos.push(argv[i]);
  }
  if (!args.photos.length || !(args.runs > 0)) {
    console.error("usage: node bench.mjs [--runs N] [--native PATH] [--out DIR] PHOTO...");
    process.exit(2);
  }
  return args;
}

/** The centre square of an RGBA image, as a new buffer (the cover crop for a square box). */
function centreSquare({ data, width, height }) {
  const side = Math.min(width, height);
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  const out = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++) {
    const start = ((top + y) * width + left) * 4;
    out.set(data.subarray(start, start + side * 4), y * side * 4);
  }
  return { data: out, width: side, height: side };
}

/** The libraries, each a function from photo bytes to JPEG bytes. */
const LIBRARIES = [
  {
    name: "thumbing-wasm",
    pipeline: "thumbing-wasm `avatar()`: decode, EXIF orientation, ICC to sRGB, Lanczos3 cover, JPEG (jpeg-encoder)",
    run: async (bytes) => thumbing.avatar(bytes, { size: SIZE, quality: QUALITY }),
  },
  {
    name: "@jsquash",
    pipeline: "@jsquash/jpeg decode (MozJPEG) → @jsquash/resize lanczos3 `fitMethod: contain` (crops to the box) → @jsquash/jpeg encode (MozJPEG defaults)",
    run: async (bytes) => {
      const image = await jpegDecode.default(bytes);
      const small = await jsquashResize.default(image, { width: SIZE, height: SIZE, fitMethod: "contain", method: "lanczos3" });
      return new Uint8Array(await jpegEncode.default(small, { quality: QUALITY }));
    },
  },
  {
    name: "pica",
    pipeline: "@jsquash/jpeg decode → centre square (JS copy) → pica `resizeBuffer` lanczos3 (JS + WASM, no canvas) → @jsquash/jpeg encode",
    run: async (bytes) => {
      const square = centreSquare(await jpegDecode.default(bytes));
      const data = await resizer.resizeBuffer({
        src: square.data,
        width: square.width,
        height: square.height,
        toWidth: SIZE,
        toHeight: SIZE,
        filter: "lanczos3",
      });
      const image = new ImageData(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), SIZE, SIZE);
      return new Uint8Array(await jpegEncode.default(image, { quality: QUALITY }));
    },
  },
];

function quantiles(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => {
    const i = (s.length - 1) * q;
    const lo = Math.floor(i);
    return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
  };
  return { median: at(0.5), p25: at(0.25), p75: at(0.75) };
}

/** PSNR (dB) of an RGBA image against the reference, over R, G, B. */
function psnr(image, reference) {
  if (image.width !== reference.width || image.height !== reference.height) return NaN;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      const d = image.data[i + c] - reference.data[i + c];
      sum += d * d;
      n++;
    }
  }
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / n));
}

// Native thumbing: the peer harness's worker (`thumbing-peers worker`, benches/src/protocol.rs),
// which times the same task in-process; per photo one untimed warm-up, then `runs` timed calls.
function nativeTimes(peers, runs, photos) {
  if (!peers) return new Map();
  const request = (photo) =>
    JSON.stringify({ op: "run", task: "cover512", input: resolve(photo), width: SIZE, height: SIZE, format: "jpeg", quality: QUALITY });
  const requests = photos.flatMap((photo) => Array(runs + 1).fill(request(photo)));
  const out = execFileSync(peers, ["worker"], { input: `${requests.join("\n")}\n`, encoding: "utf8", maxBuffer: 64 << 20 });
  const answers = out.trim().split("\n").map((line) => JSON.parse(line));
  return new Map(
    photos.map((photo, i) => {
      const mine = answers.slice(i * (runs + 1), (i + 1) * (runs + 1));
      const failed = mine.find((a) => a.error);
      if (failed) throw new Error(`native thumbing failed on ${photo}: ${failed.error}`);
      return [photo, { ms: mine.slice(1).map((a) => a.ms), bytes: mine[0].bytes }];
    }),
  );
}

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const native = nativeTimes(args.native, args.runs, args.photos);
  const rows = [];
  for (const photo of args.photos) {
    const bytes = readFileSync(photo);
    const info = thumbing.probe(bytes);
    const reference = thumbing.pixels(bytes, { size: SIZE });
    const samples = new Map(LIBRARIES.map((lib) => [lib.name, []]));
    const outputs = new Map();
    for (const lib of LIBRARIES) outputs.set(lib.name, await lib.run(bytes)); // warm-up, kept for scoring
    for (let round = 0; round < args.runs; round++) {
      for (let k = 0; k < LIBRARIES.length; k++) {
        const lib = LIBRARIES[(round + k) % LIBRARIES.length];
        const started = performance.now();
        await lib.run(bytes);
        samples.get(lib.name).push(performance.now() - started);
      }
    }
    const nativeResult = native.get(photo);
    const nativeMedian = nativeResult ? quantiles(nativeResult.ms).median : NaN;
    const wasmMedian = quantiles(samples.get("thumbing-wasm")).median;
    const base = {
      photo: basename(photo),
      megapixels: (info.width * info.height) / 1e6,
      size: `${info.width}×${info.height}`,
      orientation: info.orientation,
    };
    if (nativeResult) {
      const q = quantiles(nativeResult.ms);
      rows.push({ ...base, library: "thumbing (native)", ...q, bytes: nativeResult.bytes, psnr: NaN, toNative: 1, toWasm: q.median / wasmMedian });
    }
    for (const lib of LIBRARIES) {
      const q = quantiles(samples.get(lib.name));
      const output = outputs.get(lib.name);
      const decoded = await jpegDecode.default(output);
      rows.push({
        ...base,
        library: lib.name,
        ...q,
        bytes: output.length,
        psnr: psnr(decoded, reference),
        toNative: q.median / nativeMedian,
        toWasm: q.median / wasmMedian,
      });
    }
    console.error(`${basename(photo)}: ${rows.filter((r) => r.photo === basename(photo)).map((r) => `${r.library} ${fmt(r.median)} ms`).join(", ")}`);
  }
  write(args, rows);
}

function write(args, rows) {
  mkdirSync(args.out, { recursive: true });
  const csvHeader = "photo,size,megapixels,exif_orientation,library,median_ms,p25_ms,p75_ms,output_bytes,psnr_db_vs_thumbing_pixels,ratio_to_native_thumbing,ratio_to_thumbing_wasm";
  const csv = [
    csvHeader,
    ...rows.map((r) =>
      [
        r.photo,
        r.size,
        r.megapixels.toFixed(2),
        r.orientation,
        r.library,
        r.median.toFixed(2),
        r.p25.toFixed(2),
        r.p75.toFixed(2),
        r.bytes,
        Number.isFinite(r.psnr) ? r.psnr.toFixed(2) : "",
        Number.isFinite(r.toNative) ? r.toNative.toFixed(2) : "",
        Number.isFinite(r.toWasm) ? r.toWasm.toFixed(2) : "",
      ].join(","),
    ),
  ].join("\n");
  writeFileSync(join(args.out, "wasm.csv"), `${csv}\n`);

  const pkg = JSON.parse(readFileSync(require.resolve("thumbing-wasm/package.json"), "utf8"));
  const moduleSize = (path) => {
    const bytes = readFileSync(path);
    return `${(bytes.length / 1024).toFixed(0)} KB (${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(0)} KB gzipped)`;
  };
  const thumbingWasm = join(dirname(require.resolve("thumbing-wasm/package.json")), "thumbing_wasm_bg.wasm");
  const version = (name) => JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8")).version;
  const lines = [
    "# thumbing-wasm against in-browser peers",
    "",
    `Task: a JPEG photo in memory → decode → ${SIZE}×${SIZE} centre cover crop → JPEG quality ${QUALITY} in memory, one thread, under Node ${process.version} (V8 runs the same WebAssembly as Chromium). ` +
      `Median of ${args.runs} runs after a warm-up; p25–p75 in brackets. Machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores.`,
    "",
    "Made by `bash benches/peers/wasm/run.sh` (which builds the package and the peer harness, then runs `node benches/peers/wasm/bench.mjs`).",
    "",
    "| library | what runs |",
    "|---|---|",
    "| thumbing (native) | the same Rust code compiled for x86-64, timed in-process by the peer harness's worker (`thumbing-peers worker`): the server |",
    ...LIBRARIES.map((lib) => `| ${lib.name} | ${lib.pipeline} |`),
    "",
    `Versions: thumbing-wasm ${pkg.version}, @jsquash/jpeg ${version("@jsquash/jpeg")}, @jsquash/resize ${version("@jsquash/resize")}, pica ${version("pica")}.`,
    "",
    `Module sizes: thumbing-wasm ${moduleSize(thumbingWasm)}; @jsquash/jpeg decoder ${moduleSize(join(modules, "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm"))} + encoder ${moduleSize(join(modules, "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm"))}; @jsquash/resize ${moduleSize(join(modules, "@jsquash/resize/lib/resize/pkg/squoosh_resize_bg.wasm"))}.`,
    "",
  ];
  const photos = [...new Set(rows.map((r) => r.photo))];
  for (const photo of photos) {
    const group = rows.filter((r) => r.photo === photo);
    const { size, megapixels, orientation } = group[0];
    lines.push(`## ${photo} (${size}, ${megapixels.toFixed(1)} MP${orientation !== 1 ? `, EXIF orientation ${orientation}` : ""})`, "");
    lines.push("| library | median ms | × native thumbing | × thumbing-wasm | output bytes | PSNR vs thumbing's pixels |");
    lines.push("|---|---:|---:|---:|---:|---:|");
    for (const r of group) {
      lines.push(
        `| ${r.library} | ${fmt(r.median)} (${fmt(r.p25)}–${fmt(r.p75)}) | ${Number.isFinite(r.toNative) ? r.toNative.toFixed(2) : "–"} | ${r.toWasm.toFixed(2)} | ${r.bytes} | ${Number.isFinite(r.psnr) ? `${r.psnr.toFixed(1)} dB` : "–"} |`,
      );
    }
    lines.push("");
  }
  lines.push(
    "Notes:",
    "",
    "- PSNR compares each library's decoded JPEG with thumbing's final pixels before encoding: around 30 dB or more means the same crop and orientation with different resampling and encoding; a much lower figure means a different picture (for example an EXIF-rotated photo left sideways).",
    "- @jsquash/resize resizes in linear light by default (`linearRGB: true`), as a user of it gets; thumbing and pica resize the sRGB values, as sharp and libvips do.",
    "- pica needs a canvas only for its `resize()` API; `resizeBuffer()` works on raw RGBA in Node, so it runs here. It has no JPEG codec, so @jsquash/jpeg decodes and encodes around it.",
    "- MozJPEG's encoder (progressive, trellis quantisation) makes smaller files than thumbing's baseline encoder at the same quality number, and spends more time doing it.",
    "",
  );
  writeFileSync(join(args.out, "wasm.md"), lines.join("\n"));
  console.error(`wrote ${join(args.out, "wasm.md")} and wasm.csv`);
}

await main();
