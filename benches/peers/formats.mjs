// Output formats, thumbing against sharp at equal settings: size and SSIM of 512×512 cover
// avatars as JPEG, lossy WebP and AVIF at the same quality, from the peer harness's photos.
//
//   node benches/peers/formats.mjs --thumbing <thumbing CLI> --peers-bin <thumbing-peers> \
//        --corpus <corpus> --node-modules <folder with sharp> --out <dir> [--quality 80]
//
// Started by scripts/bench-formats.sh, which installs sharp (the pinned version of
// benches/peers/package.json) and builds the two Rust programs. Every output, of either
// library, is decoded by sharp (libjpeg-turbo, libwebp, libheif + dav1d/aom: what browsers use)
// to PNG and scored by `thumbing-peers score` against the exact reference of the peer harness
// (a float Lanczos3 cover crop of the upright photo), so the scores include each library's
// resize as well as its encoder; the PNG row is each library's lossless output, the ceiling.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    thumbing: { type: "string" },
    "peers-bin": { type: "string" },
    corpus: { type: "string" },
    out: { type: "string" },
    "node-modules": { type: "string" },
    quality: { type: "string", default: "80" },
  },
});
for (const name of ["thumbing", "peers-bin", "corpus", "out", "node-modules"]) {
  if (!args[name]) throw new Error(`--${name} is required`);
}
const require = createRequire(join(args["node-modules"], "noop.js"));
const sharp = require("sharp");
sharp.concurrency(1);
const quality = Number(args.quality);

/** The peer harness's photos (benches/src/bin/thumbing-peers/harness.rs). */
const PHOTOS = [
  "photos-exif-samples/HMD_Nokia_8.3_5G.jpg",
  "photos-exif-samples/iphone_hdr_NO.jpg",
  "sharp-fixtures/2569067123_aca715a2ee_o.jpg",
  "sharp-fixtures/flowers.jpeg",
  "exif-orientation-examples/Landscape_6.jpg",
];
/** thumbing's format word, and sharp's call with the same settings. */
const FORMATS = [
  ["png", (s) => s.png()],
  ["jpeg", (s) => s.jpeg({ quality })],
  ["webp", (s) => s.webp({ quality })],
  ["avif", (s) => s.avif({ quality })],
];

const work = mkdtempSync(join(tmpdir(), "thumbing-formats-"));
const rows = [];
try {
  for (const photo of PHOTOS) {
    const input = join(args.corpus, photo);
    const bytes = readFileSync(input);
    const stem = basename(photo).replace(/\.[^.]*$/, "");
    for (const [format, encode] of FORMATS) {
      const outputs = {};
      // sharp as its documentation recommends for thumbnails.
      outputs.sharp = await encode(sharp(bytes).rotate().resize(512, 512, { fit: "cover" })).toBuffer();
      // thumbing's command-line tool, the same settings.
      const dir = join(work, `thumbing-${format}`);
      execFileSync(args.thumbing, ["avatar", input, "-o", dir, "--size", "512", "--format", format, "--quality", String(quality), "--overwrite"], {
        stdio: ["ignore", "ignore", "inherit"],
      });
      const ext = { jpeg: "jpg" }[format] ?? format;
      outputs.thumbing = readFileSync(join(dir, `${stem}.${ext}`));
      for (const [library, data] of Object.entries(outputs)) {
        const png = join(work, `${stem}-${format}-${library}.png`);
        writeFileSync(png, await sharp(data).png().toBuffer());
        const scored = execFileSync(args["peers-bin"], ["score", "--task", "cover512", "--input", input, png], { encoding: "utf8" });
        const ssim = Number(/ssim ([0-9.]+)/.exec(scored)[1]);
        rows.push({ photo: basename(photo), format, library, bytes: data.length, ssim });
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const csv = ["photo,format,library,bytes,ssim", ...rows.map((r) => `${r.photo},${r.format},${r.library},${r.bytes},${r.ssim.toFixed(5)}`)];
writeFileSync(join(args.out, "formats.csv"), `${csv.join("\n")}\n`);

// The summary: per format and library, total bytes over the photos and mean SSIM.
const summary = [];
for (const [format] of FORMATS) {
  for (const library of ["thumbing", "sharp"]) {
    const of = rows.filter((r) => r.format === format && r.library === library);
    const bytes = of.reduce((a, r) => a + r.bytes, 0);
    const ssim = of.reduce((a, r) => a + r.ssim, 0) / of.length;
    summary.push({ format, library, bytes, ssim, min: Math.min(...of.map((r) => r.ssim)) });
  }
}
const lines = [
  "| format | library | bytes, 5 avatars | mean KB | mean SSIM | lowest SSIM |",
  "|---|---|---:|---:|---:|---:|",
  ...summary.map(
    (s) => `| ${s.format} | ${s.library} | ${s.bytes} | ${(s.bytes / PHOTOS.length / 1000).toFixed(1)} | ${s.ssim.toFixed(4)} | ${s.min.toFixed(4)} |`,
  ),
];
console.log(`sharp (libvips ${sharp.versions.vips}), quality ${quality}`);
console.log(lines.join("\n"));
