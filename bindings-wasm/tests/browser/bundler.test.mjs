// thumbing-wasm as users install it: `npm pack` of the package, installed from the tarball
// into a fresh Vite + TypeScript project (tests/bundler/, copied to a temporary folder so no
// folder of this repository can stand in for the package), type-checked with `tsc --noEmit`,
// built with `vite build`, served with `vite preview` and run in headless Chromium: the
// preview from the Web Worker and the avatar from the main thread, from a photo, must be
// thumbing's.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { chromium } from "playwright-core";
import * as thumbing from "thumbing-wasm";

import { missing, pkgDir, repoRoot } from "../helpers.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const projectDir = join(repoRoot, "bindings-wasm/tests/bundler");
const photo = join(repoRoot, "fixtures/landscape_6.jpg"); // stored 200×300, EXIF orientation 6
const options = { size: 256, crop: "smart" };
const MINUTES = 60_000;

let work = null;
let app = null;
let tarball = null;
const steps = {}; // the output of each step, for the failure messages

/** Runs a command in `cwd`; its output is kept, and shown when it fails. */
function run(name, command, args, cwd) {
  try {
    steps[name] = execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 10 * MINUTES,
      env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
    });
    return steps[name];
  } catch (error) {
    throw new Error(`${name} failed (${command} ${args.join(" ")}):\n${error.stdout ?? ""}\n${error.stderr ?? error.message}`);
  }
}

function needs(t) {
  if (!existsSync(join(pkgDir, "index.js"))) return missing(t, "the built package (bash bindings-wasm/build.sh)");
  return false;
}

before(() => {
  if (!existsSync(join(pkgDir, "index.js"))) return;
  work = mkdtempSync(join(tmpdir(), "thumbing-wasm-vite-"));
  app = join(work, "app");
  cpSync(projectDir, app, { recursive: true, filter: (src) => !/[/\\](node_modules|dist)$/.test(src) });
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("thumbing-wasm from its npm tarball in a Vite project", { concurrency: false }, () => {
  let broken = null;
  const step = (name, fn) =>
    it(name, { timeout: 15 * MINUTES }, async (t) => {
      if (needs(t)) return;
      if (broken) return t.skip(`"${broken}" failed`);
      try {
        await fn(t);
      } catch (error) {
        broken = name;
        throw error;
      }
    });

  step("npm pack makes a tarball with the package's files", () => {
    const [packed] = JSON.parse(run("npm pack", "npm", ["pack", "--json", "--pack-destination", work, pkgDir], work));
    tarball = join(work, packed.filename);
    const files = packed.files.map((f) => f.path).sort();
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
    assert.deepEqual(files, [...pkg.files, "README.md", "package.json"].sort());
    assert.ok(existsSync(tarball));
  });

  step("installs from the tarball into a fresh project (npm ci, then the tarball)", () => {
    run("npm ci", "npm", ["ci", "--no-audit", "--no-fund"], app);
    run("npm install tarball", "npm", ["install", "--no-save", "--no-audit", "--no-fund", tarball], app);
    const installed = JSON.parse(readFileSync(join(app, "node_modules/thumbing-wasm/package.json"), "utf8"));
    assert.equal(installed.version, JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version);
    // A copy from the tarball, not a link to the repository.
    assert.ok(!readdirSync(join(app, "node_modules/thumbing-wasm")).includes("node_modules"));
  });

  step("type-checks a TypeScript consumer (tsc --noEmit)", () => {
    run("tsc", join(app, "node_modules/.bin/tsc"), ["--noEmit", "-p", app], app);
  });

  step("type-checking fails on each wrong call", () => {
    // The consumer's @ts-expect-error lines are worth something only if the types can fail:
    // without the directives, tsc must report an error on each line they stood before.
    const lines = readFileSync(join(app, "src/types.ts"), "utf8").split("\n");
    const expected = lines.flatMap((line, i) => (line.includes("// @ts-expect-error") ? [i + 2] : []));
    assert.ok(expected.length >= 5, "the consumer has wrong calls to check");
    const wrong = join(app, "src/wrong.ts");
    writeFileSync(wrong, lines.map((line) => line.replace("// @ts-expect-error", "// (wrong)")).join("\n"));
    let output = "";
    try {
      execFileSync(join(app, "node_modules/.bin/tsc"), ["--noEmit", "-p", app], { cwd: app, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      output = `${error.stdout}${error.stderr}`;
    } finally {
      rmSync(wrong, { force: true });
    }
    const reported = new Set([...output.matchAll(/^src\/wrong\.ts\((\d+),/gm)].map((m) => Number(m[1])));
    assert.deepEqual(expected.filter((line) => !reported.has(line)), [], `tsc did not report every wrong call:\n${output}`);
  });

  step("vite build bundles the module, the .wasm and the worker", () => {
    run("vite build", join(app, "node_modules/.bin/vite"), ["build"], app);
    const assets = readdirSync(join(app, "dist/assets"));
    assert.ok(assets.some((f) => f.endsWith(".wasm")), `no .wasm among ${assets}`);
    // The worker is a bundle of its own (it imports the package), not a bare copy of worker.js.
    const workers = assets.filter((f) => /^worker.*\.js$/.test(f));
    assert.equal(workers.length, 1, `one worker bundle among ${assets}`);
    const workerCode = readFileSync(join(app, "dist/assets", workers[0]), "utf8");
    assert.doesNotMatch(workerCode, /from\s*["']\.\/index\.js["']/, "the worker still imports ./index.js, which the build does not ship");
  });

  step("the built page makes the preview and the avatar from a photo in headless Chromium", async (t) => {
    if (!existsSync(CHROMIUM)) return missing(t, `Chromium (${CHROMIUM}; apt-get install chromium chromium-driver)`);
    const server = spawn(join(app, "node_modules/.bin/vite"), ["preview", "--host", "127.0.0.1", "--port", "0", "--strictPort", "false"], {
      cwd: app,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vite preview did not start:\n${out}`)), MINUTES);
      const onData = (chunk) => {
        out += chunk;
        // Strip colour codes, then find the local URL.
        const found = /http:\/\/127\.0\.0\.1:\d+\/?/.exec(out.replace(/\x1b\[[0-9;]*m/g, ""));
        if (found) {
          clearTimeout(timer);
          resolve(found[0]);
        }
      };
      server.stdout.on("data", onData);
      server.stderr.on("data", onData);
      server.on("exit", (code) => reject(new Error(`vite preview exited with ${code}:\n${out}`)));
    });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    try {
      const page = await browser.newPage();
      const errors = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
      await page.goto(url);
      await page.waitForSelector('#status[data-state="ready"]', { timeout: MINUTES });
      await page.setInputFiles("#file", photo);
      await page.waitForFunction(() => ["done", "error"].includes(document.querySelector("#status").dataset.state), null, { timeout: 2 * MINUTES });
      const got = await page.evaluate(() => {
        const r = window.thumbingResult;
        const b64 = (bytes) => {
          let text = "";
          for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          return btoa(text);
        };
        const img = document.querySelector("#avatar");
        return {
          status: document.querySelector("#status").textContent,
          info: r?.info,
          avatar: r ? b64(r.avatar) : null,
          preview: r ? { width: r.preview.width, height: r.preview.height, data: b64(r.preview.data) } : null,
          shown: [img.naturalWidth, img.naturalHeight, !img.hidden],
        };
      });
      assert.ok(got.avatar, `the page did not make an avatar: ${got.status}`);
      const bytes = readFileSync(photo);
      assert.deepEqual([got.info.width, got.info.height, got.info.uprightWidth, got.info.uprightHeight, got.info.orientation], [200, 300, 300, 200, 6]);
      assert.ok(Buffer.from(got.avatar, "base64").equals(thumbing.avatar(bytes, options)), "the avatar is not thumbing's");
      const expected = thumbing.pixels(bytes, options);
      assert.deepEqual([got.preview.width, got.preview.height], [expected.width, expected.height]);
      assert.ok(Buffer.from(got.preview.data, "base64").equals(Buffer.from(expected.data)), "the worker's preview is not thumbing's pixels");
      assert.deepEqual(got.shown, [256, 256, true]);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      server.kill();
    }
  });
});
