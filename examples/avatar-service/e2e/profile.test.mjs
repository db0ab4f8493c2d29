// End-to-end test of the avatar service's profile page in a real headless Chromium (Debian's
// `chromium`, driven by playwright-core without a browser download), against the real service
// binary: once with local folders, once with S3 (moto's server, which the browser uploads to
// directly through the presigned POST).
//
//   sign in → profile → Edit profile → choose a turned phone photo → the preview appears →
//   Save (upload with progress) → the served avatar is a 512×512 JPEG, upright, with the
//   preview's pixels → edit the bio → it shows after a reload → a second tab shares the
//   session, signing out there signs out here, a signed-out visitor signs in from a profile;
//   and the error paths: a corrupt photo keeps Save from closing the dialog, every validation
//   error shows at once, in human sentences with the code in a smaller line, and the old
//   avatar stays.
//
// Environment: AVATAR_SERVICE_BIN (default $CARGO_TARGET_DIR/debug/avatar-service),
// CHROMIUM_PATH (default /usr/bin/chromium), MOTO_SERVER (moto_server; the S3 run needs it),
// THUMBING_CORPUS (default ../shared/corpus beside the repository). With CI=true a missing
// prerequisite fails the test instead of skipping it.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";

import { chromium } from "playwright-core";

import {
  centreSquareThumb,
  compareRgba,
  decodeJpeg,
  isJpeg,
  meanDiff,
  orientations,
  repoRoot,
  spread,
  testPhotos,
} from "./images.mjs";
import { motoServer, serviceBin, startMoto, startService } from "./service.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const artifactsDir = join(here, "artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const inCi = process.env.CI === "true";
const TOKEN_KEY = "thumbing-avatar-service.token";
const AVATAR_SIZE = 512;
// The avatar on the profile page: a 148 px circle.
const AVATAR_CSS_PX = 148;
const SLOW = { timeout: 120_000 };

/** Why the whole test cannot run here, or null. */
function missingPrerequisite() {
  if (!existsSync(CHROMIUM)) return `Chromium (${CHROMIUM}; apt-get install chromium chromium-driver)`;
  if (!existsSync(serviceBin)) return `the service binary (${serviceBin}; cargo build -p thumbing-avatar-service)`;
  if (!existsSync(join(repoRoot, "bindings-wasm/pkg/index.js"))) return "the WebAssembly package (bash bindings-wasm/build.sh)";
  return null;
}

/** Fails under CI=true, otherwise skips saying so plainly. Returns true when `t` must stop. */
function skipOrFail(t, what) {
  if (!what) return false;
  if (inCi) throw new Error(`${what} is missing, and CI=true requires it`);
  console.log(`# SKIPPED ${t.name}: ${what} is missing`);
  t.skip(`${what} is missing`);
  return true;
}

const photos = testPhotos();
console.log(`# photos from ${photos.source}: ${photos.rotated} (EXIF orientation ${photos.orientation}), reference ${photos.reference}, corrupt ${photos.corrupt}`);

let browser = null;

before(async () => {
  if (missingPrerequisite()) return;
  mkdirSync(artifactsDir, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--force-color-profile=srgb"],
  });
});

after(async () => {
  await browser?.close();
});

/** Reads a canvas' RGBA pixels out of the page. */
async function canvasPixels(page, selector) {
  const got = await page.evaluate((sel) => {
    const canvas = document.querySelector(sel);
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let text = "";
    for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode(...data.subarray(i, i + 0x8000));
    const box = canvas.getBoundingClientRect();
    return { width: canvas.width, height: canvas.height, data: btoa(text), cssWidth: box.width, cssHeight: box.height };
  }, selector);
  return { ...got, data: new Uint8Array(Buffer.from(got.data, "base64")) };
}

/** The name of the orientation of `thumb` that best matches `reference`, with all distances. */
function bestOrientation(thumb, reference) {
  const distances = Object.entries(orientations(thumb)).map(([name, turned]) => [name, meanDiff(turned, reference)]);
  distances.sort((a, b) => a[1] - b[1]);
  return { best: distances[0][0], distances };
}

function assertUpright(image, reference, what) {
  const n = 16;
  const { best, distances } = bestOrientation(centreSquareThumb(image, n), centreSquareThumb(reference, n));
  const table = distances.map(([name, d]) => `${name} ${d.toFixed(1)}`).join(", ");
  assert.equal(best, "upright", `${what} is not upright: mean differences to the upright picture: ${table}`);
  // The upright match is close, and clearly better than any turned or mirrored one.
  assert.ok(distances[0][1] < 12, `${what} differs from the upright picture by ${distances[0][1].toFixed(1)} on average (${table})`);
  assert.ok(distances[1][1] > 1.5 * distances[0][1], `${what}: the orientations are not told apart (${table})`);
  return table;
}

/** Waits until the edit dialog closed (saved) or shows an error, and fails with the error. */
async function waitForSave(page) {
  await page.waitForFunction(
    () => !document.querySelector("#edit").open || !document.querySelector("#edit-error").hidden || document.querySelector(".field-error:not(:empty)"),
    null,
    SLOW,
  );
  const problem = await page.evaluate(() => {
    const box = document.querySelector("#edit-error");
    const fields = [...document.querySelectorAll(".field-error")].map((e) => e.textContent).filter(Boolean);
    return document.querySelector("#edit").open ? [box.hidden ? "" : box.textContent, ...fields].filter(Boolean).join("; ") : null;
  });
  assert.equal(problem, null, `the profile was not saved: ${problem}`);
}

async function openEditor(page) {
  await page.click("#edit-open");
  await page.waitForFunction(() => document.querySelector("#edit").open);
}

for (const storage of ["local", "s3"]) {
  describe(`profile page, ${storage === "s3" ? "S3 storage (moto)" : "local folders"}`, { concurrency: false }, () => {
    let skip = null;
    let moto = null;
    let service = null;
    let context = null;
    let page = null;
    let token = null;
    let me = null;
    let preview = null;
    let avatarSrc = null;
    const consoleErrors = [];
    let expectedErrors = null; // a pattern of console errors a step provokes on purpose
    let broken = null; // the first step that failed: the later ones depend on it

    /** Runs one step of the flow; after a failed step the later ones say so and stop. */
    const step = (name, options, fn) =>
      it(name, options, async (t) => {
        if (skipOrFail(t, skip)) return;
        if (broken) {
          t.skip(`the step "${broken}" failed`);
          return;
        }
        try {
          await fn(t);
        } catch (error) {
          broken = name;
          throw error;
        }
      });

    const api = async (path, init = {}) => {
      const response = await fetch(new URL(path, service.url), {
        ...init,
        headers: { Authorization: `Bearer ${token}`, ...(init.body && typeof init.body === "string" ? { "Content-Type": "application/json" } : {}), ...init.headers },
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    };

    before(async () => {
      skip = missingPrerequisite() ?? (storage === "s3" && !motoServer ? "moto's server (MOTO_SERVER=path/to/moto_server)" : null);
      if (skip) return;
      if (storage === "s3") moto = await startMoto();
      service = await startService({ storage, s3Endpoint: moto?.endpoint });
      context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
      page = await context.newPage();
      page.on("console", (msg) => {
        if (msg.type() !== "error") return;
        const text = msg.text();
        if (expectedErrors?.test(text)) return;
        consoleErrors.push(text);
      });
      page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
    });

    after(async () => {
      await context?.close();
      await service?.stop();
      await moto?.stop();
    });

    step("signs in with a demo user and shows the profile", {}, async (t) => {
      const config = await (await fetch(`${service.url}/api/config`)).json();
      assert.equal(config.dev, true);
      assert.equal(config.storage, storage);
      assert.equal(config.avatar_size, AVATAR_SIZE);

      // The page runs under its Content-Security-Policy: the preview below (WebAssembly in a
      // worker) works with it, and the console check at the end sees any violation.
      const pageResponse = await page.goto(`${service.url}/`);
      const csp = pageResponse.headers()["content-security-policy"] ?? "";
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
      await page.waitForSelector("#dev-users button");
      const users = await (await fetch(`${service.url}/dev/users`)).json();
      assert.ok(users.length > 0, "the development issuer lists demo users");
      const user = users[0];
      // Keyboard only: the first user is focused; Enter signs in.
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.username), user.username);
      await page.keyboard.press("Enter");
      await page.waitForSelector("#profile:not([hidden])");

      token = await page.evaluate((key) => localStorage.getItem(key), TOKEN_KEY);
      assert.ok(token, "the page keeps the access token for every tab of the origin");
      // The header says until when: the token's expiry.
      assert.match(await page.textContent("#session-expiry"), /^until \d/);
      assert.match(await page.getAttribute("#session-expiry", "title"), /every tab of this site until .*session expires/);
      const response = await api("/api/me");
      assert.equal(response.status, 200);
      me = response.body;
      assert.equal(await page.textContent("#profile-name"), me.display_name);
      assert.equal(await page.textContent("#profile-handle"), `@${me.handle}`);
      assert.equal(me.avatar_url, null, "a new user has no avatar");
      assert.ok(await page.isVisible("#avatar-initials"), "initials stand in for the missing avatar");
      assert.ok(await page.isHidden("#avatar"));
      const frame = await page.evaluate(() => {
        const style = getComputedStyle(document.querySelector("#avatar-frame"));
        return { width: style.width, height: style.height, radius: style.borderRadius };
      });
      assert.deepEqual(frame, { width: `${AVATAR_CSS_PX}px`, height: `${AVATAR_CSS_PX}px`, radius: "50%" });
    });

    step("previews a turned photo with the server's size and crop", {}, async (t) => {
      // Opened from the keyboard; the focus moves into the dialog.
      await page.focus("#edit-open");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.querySelector("#edit").open);
      assert.equal(await page.evaluate(() => document.activeElement?.id), "display-name");

      await page.setInputFiles("#photo", photos.rotated);
      await page.waitForSelector('#preview[data-ready="true"]', SLOW);
      preview = await canvasPixels(page, "#preview");
      assert.equal(preview.width, AVATAR_SIZE);
      assert.equal(preview.height, AVATAR_SIZE);
      assert.equal(Math.round(preview.cssWidth), AVATAR_CSS_PX);
      assert.equal(await page.evaluate(() => document.body.dataset.thumbing), "worker", "thumbing-wasm runs in a Web Worker");
      assert.ok(spread(preview) > 20, `the preview is blank (spread ${spread(preview).toFixed(1)})`);
      const table = assertUpright(preview, decodeJpeg(readFileSync(photos.reference)), "the preview");
      t.diagnostic(`preview vs the upright picture: ${table}`);
      assert.match(await page.textContent("#photo-status"), new RegExp(`EXIF orientation ${photos.orientation}`));
      await page.screenshot({ path: join(artifactsDir, `preview-${storage}.png`) });
    });

    step("uploads with progress; the served avatar is a 512×512 upright JPEG with the preview's pixels", SLOW, async (t) => {
      await page.evaluate(() => {
        window.uploadLog = [];
        const label = document.querySelector("#upload-label");
        const progress = document.querySelector("#upload-progress");
        new MutationObserver(() => window.uploadLog.push([label.textContent, progress.getAttribute("value")])).observe(label, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
      const posts = [];
      const onRequest = (request) => request.method() === "POST" && posts.push(request.url());
      page.on("request", onRequest);
      await page.click("#edit-save");
      await waitForSave(page);
      page.off("request", onRequest);

      // The browser posted the file straight to the storage: moto's bucket, or the service's
      // stand-in for it.
      const uploadTarget = storage === "s3" ? `${moto.endpoint}/uploads` : `${service.url}/uploads`;
      assert.ok(posts.some((url) => url.replace(/\/$/, "") === uploadTarget), `no upload POST to ${uploadTarget}: ${JSON.stringify(posts)}`);

      const log = await page.evaluate(() => window.uploadLog);
      const texts = log.map(([text]) => text);
      assert.ok(texts.some((text) => /^Uploading… \d+ %$/.test(text)), `upload progress was shown: ${JSON.stringify(texts)}`);
      assert.ok(texts.includes("Uploading… 100 %"), `the upload reached 100 %: ${JSON.stringify(texts)}`);
      assert.ok(texts.includes("Making your avatar…"), `processing was shown: ${JSON.stringify(texts)}`);
      assert.equal(texts.at(-1), "Avatar ready.");

      // The profile shows the new avatar without a reload.
      await page.waitForFunction(() => {
        const img = document.querySelector("#avatar");
        return !img.hidden && img.complete && img.naturalWidth > 0;
      }, null, SLOW);
      avatarSrc = await page.getAttribute("#avatar", "src");
      assert.match(avatarSrc, /\?v=/, "the avatar URL is versioned");
      const shown = await page.evaluate(() => {
        const img = document.querySelector("#avatar");
        const box = img.getBoundingClientRect();
        return { natural: [img.naturalWidth, img.naturalHeight], css: [box.width, box.height] };
      });
      assert.deepEqual(shown, { natural: [AVATAR_SIZE, AVATAR_SIZE], css: [AVATAR_CSS_PX, AVATAR_CSS_PX] });
      const profile = (await api("/api/me")).body;
      assert.equal(profile.avatar_url, avatarSrc);

      // The served file, fetched as anyone would.
      const response = await fetch(new URL(avatarSrc, service.url));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "image/jpeg");
      const bytes = new Uint8Array(await response.arrayBuffer());
      assert.ok(isJpeg(bytes), "the avatar is a JPEG file");
      const served = decodeJpeg(bytes);
      assert.deepEqual([served.width, served.height], [AVATAR_SIZE, AVATAR_SIZE]);

      // Same core, same crop: the served avatar is the preview, give or take JPEG's losses.
      const vsPreview = compareRgba(served, preview);
      t.diagnostic(`served vs preview: mean difference ${vsPreview.mean.toFixed(2)}, PSNR ${vsPreview.psnr.toFixed(1)} dB`);
      assert.ok(vsPreview.mean < 6 && vsPreview.psnr > 28, `the served avatar is not the preview: mean ${vsPreview.mean.toFixed(2)}, PSNR ${vsPreview.psnr.toFixed(1)} dB`);
      // Upright: compared with the same picture stored upright (not made by thumbing).
      const table = assertUpright(served, decodeJpeg(readFileSync(photos.reference)), "the served avatar");
      t.diagnostic(`served vs the upright picture: ${table}`);

      await page.screenshot({ path: join(artifactsDir, `avatar-${storage}.png`), fullPage: true });
    });

    step("saves the bio; it shows, and still does after a reload", {}, async (t) => {
      const bio = `Avatars from ${storage === "s3" ? "S3" : "local folders"}.\nSecond line, set in the browser at ${new Date().toISOString()}.`;
      await openEditor(page);
      await page.fill("#bio", bio);
      await page.click("#edit-save");
      await waitForSave(page);
      assert.equal(await page.textContent("#profile-bio"), bio);

      await page.reload();
      await page.waitForSelector("#profile:not([hidden])");
      assert.equal(await page.textContent("#profile-bio"), bio);
      assert.equal(await page.getAttribute("#avatar", "src"), avatarSrc);
      await page.waitForFunction(() => document.querySelector("#avatar").naturalWidth > 0);
      const shot = join(artifactsDir, `profile-${storage}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`# screenshot: ${shot}`);
      const publicProfile = await (await fetch(`${service.url}/api/profile/@${encodeURIComponent(me.handle)}`)).json();
      assert.equal(publicProfile.bio, bio);

      // Anyone's profile by its handle.
      await page.goto(`${service.url}/#/@${encodeURIComponent(me.handle)}`);
      await page.waitForSelector("#profile:not([hidden])");
      assert.equal(await page.textContent("#profile-bio"), bio);
      await page.goto(`${service.url}/#/`);
      await page.waitForSelector("#profile:not([hidden])");
    });

    step("shares the session across tabs; a signed-out visitor signs in from a profile", SLOW, async (t) => {
      // A second tab of the same origin is signed in without signing in again.
      const other = await context.newPage();
      try {
        await other.goto(`${service.url}/`);
        await other.waitForSelector("#profile:not([hidden])");
        assert.ok(await other.isVisible("#session"), "the second tab is signed in");
        assert.equal(await other.textContent("#session-user"), `@${me.handle}`);
        assert.ok(await other.isVisible("#edit-open"));

        // Signing out in the second tab signs out the first.
        await other.click("#sign-out");
        await other.waitForSelector("#sign-in:not([hidden])");
        await page.waitForFunction(() => document.querySelector("#session").hidden, null, SLOW);
        assert.equal(await page.evaluate((key) => localStorage.getItem(key), TOKEN_KEY), null);
      } finally {
        await other.close();
      }

      // A signed-out visitor on a profile sees it, with a way to sign in, and comes back to it.
      await page.goto(`${service.url}/#/@${encodeURIComponent(me.handle)}`);
      await page.waitForSelector("#profile:not([hidden])");
      assert.ok(await page.isHidden("#edit-open"));
      assert.ok(await page.isVisible("#sign-in-link"), "a signed-out visitor has a sign-in link");
      await page.click("#sign-in-link");
      await page.waitForSelector("#sign-in:not([hidden])");
      assert.match(await page.textContent("#session-note"), /every tab of this site.*expires/s);
      assert.ok(await page.isHidden("#sign-in-link"));
      await page.click(`#dev-users button[data-username="${me.handle}"]`);
      await page.waitForFunction((hash) => location.hash === hash && !document.querySelector("#profile").hidden, `#/@${encodeURIComponent(me.handle)}`, SLOW);
      await page.waitForSelector("#edit-open:not([hidden])");
      assert.ok(await page.isHidden("#sign-in-link"));
      token = await page.evaluate((key) => localStorage.getItem(key), TOKEN_KEY);
      assert.ok(token);
      await page.goto(`${service.url}/#/`);
      await page.waitForSelector("#profile:not([hidden])");
    });

    step("shows errors in the page; the old avatar stays", SLOW, async (t) => {
      await openEditor(page);
      const posts = [];
      const onRequest = (request) => request.method() === "POST" && posts.push(new URL(request.url()).pathname);
      page.on("request", onRequest);

      // A corrupt photo: the preview says why in a sentence, with thumbing's code and words in
      // a smaller line; nothing is uploaded.
      await page.setInputFiles("#photo", photos.corrupt);
      await page.waitForSelector('#photo-status[data-state="error"]', SLOW);
      const code = await page.getAttribute("#photo-status", "data-code");
      assert.ok(["corrupt", "unsupported_format"].includes(code), `the error keeps its code: ${code}`);
      const sentence = await page.textContent("#photo-status .message-text");
      assert.equal(
        sentence,
        code === "corrupt" ? "This photo is damaged and can't be read. Try exporting it again." : "This file isn't a photo that can be used. Choose a JPEG, PNG, WebP or GIF file.",
      );
      const detail = await page.textContent("#photo-status .message-detail");
      assert.ok(detail.startsWith(`${code}: `), `the code and detail are in the smaller line: ${detail}`);
      const sizes = await page.evaluate(() => ["#photo-status .message-text", "#photo-status .message-detail"].map((s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)));
      assert.ok(sizes[1] < sizes[0], `the detail line is smaller: ${sizes}`);
      assert.ok(await page.isHidden("#preview"));
      assert.ok(await page.isVisible("#preview-current"), "the current avatar stays in the dialog");
      await page.screenshot({ path: join(artifactsDir, `error-${storage}.png`) });

      // Save with the rejected photo: the dialog stays open and says why; nothing is uploaded.
      await page.click("#edit-save");
      await page.waitForSelector("#edit-error:not([hidden])");
      assert.ok(await page.evaluate(() => document.querySelector("#edit").open), "the dialog stays open");
      assert.equal(await page.textContent("#edit-error .message-text"), `Not saved. ${sentence}`);
      assert.equal(await page.getAttribute("#edit-error", "data-code"), code);

      // Every problem at once: a blank name, a bio over the limit and the photo, from one Save.
      await page.fill("#display-name", "   ");
      await page.fill("#bio", "b".repeat(501));
      assert.equal(await page.textContent("#bio-count"), "501 / 500");
      await page.click("#edit-save");
      await page.waitForSelector("#display-name-error:not(:empty)");
      assert.equal(await page.textContent("#display-name-error .message-text"), "Enter a display name.");
      assert.equal(await page.getAttribute("#display-name-error", "data-code"), "display_name_blank");
      assert.equal(await page.textContent("#bio-error .message-text"), "Keep the bio to 500 characters or fewer.");
      assert.equal(await page.getAttribute("#bio-error", "data-code"), "bio_too_long");
      assert.equal(await page.textContent("#edit-error .message-text"), "Not saved: 3 things need fixing.");
      assert.deepEqual(await page.$$eval("#edit-error li", (items) => items.map((li) => li.textContent)), [
        "Enter a display name.",
        "Keep the bio to 500 characters or fewer.",
        sentence,
      ]);
      assert.equal(await page.getAttribute("#display-name", "aria-invalid"), "true");
      assert.equal(await page.getAttribute("#bio", "aria-invalid"), "true");
      assert.equal(await page.evaluate(() => document.activeElement?.id), "display-name", "the focus moves to the first field");
      assert.ok(await page.evaluate(() => document.querySelector("#edit").open), "the dialog stays open");
      await page.screenshot({ path: join(artifactsDir, `errors-at-once-${storage}.png`) });
      page.off("request", onRequest);
      assert.deepEqual(posts, [], "nothing was sent to the service or the storage");

      // Escape leaves without saving.
      await page.keyboard.press("Escape");
      await page.waitForFunction(() => !document.querySelector("#edit").open);
      assert.equal(await page.textContent("#profile-name"), me.display_name);
      assert.equal(await page.getAttribute("#avatar", "src"), avatarSrc);

      // A corrupt file that reaches the service anyway (a client that skips the preview) is
      // rejected, and the old avatar stays.
      const ticket = await api("/avatars/key_upload", { method: "POST", body: JSON.stringify({ extension: "jpg" }) });
      assert.equal(ticket.status, 200);
      const form = new FormData();
      for (const [name, value] of Object.entries(ticket.body.fields)) form.append(name, value);
      form.append("file", new Blob([readFileSync(photos.corrupt)], { type: ticket.body.content_type ?? "image/jpeg" }), "corrupt.jpg");
      const upload = await fetch(ticket.body.url, { method: "POST", body: form });
      assert.ok(upload.ok, `the upload was accepted for processing (${upload.status}: ${await upload.text()})`);
      if (ticket.body.notify_url) {
        const notified = await api(ticket.body.notify_url, { method: "POST", body: JSON.stringify({ key: ticket.body.key }) });
        assert.ok(notified.status < 300, `notify: ${notified.status} ${JSON.stringify(notified.body)}`);
      }
      let status;
      for (const started = Date.now(); Date.now() - started < 60_000; ) {
        status = (await api("/api/avatar/status")).body;
        if (status.state !== "processing") break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(status.state, "rejected", `status after a corrupt upload: ${JSON.stringify(status)}`);
      assert.ok(status.error, "the rejection names its error code");
      await page.reload();
      await page.waitForSelector("#profile:not([hidden])");
      assert.equal(await page.getAttribute("#avatar", "src"), avatarSrc, "the old avatar stays");
      // The page says so in a sentence, with the service's error code in the smaller line.
      await page.waitForSelector("#toast:not([hidden])");
      const notice = await page.textContent("#toast-text .message-text");
      assert.match(notice, /^Your latest photo was not used, and your previous avatar stays\. /, `the notice: ${notice}`);
      assert.ok(!notice.includes(status.error), `the sentence has no error code: ${notice}`);
      assert.equal(await page.getAttribute("#toast-text", "data-code"), status.error);
      await page.screenshot({ path: join(artifactsDir, `rejected-${storage}.png`) });
      assert.equal((await fetch(new URL(avatarSrc, service.url))).status, 200);
    });

    it("logs no errors to the console", (t) => {
      if (skipOrFail(t, skip)) return;
      assert.deepEqual(consoleErrors, []);
    });
  });
}

describe("profile page without the WebAssembly package", () => {
  let service = null;
  let context = null;
  let emptyPkg = null;

  after(async () => {
    await context?.close();
    await service?.stop();
    if (emptyPkg) rmSync(emptyPkg, { recursive: true, force: true });
  });

  it("uploads the photo without a preview; the server still makes the avatar", SLOW, async (t) => {
    if (skipOrFail(t, missingPrerequisite())) return;
    emptyPkg = mkdtempSync(join(tmpdir(), "avatar-service-e2e-nopkg-"));
    service = await startService({ storage: "local", wasmPkgDir: emptyPkg });
    context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${service.url}/`);
    await page.click("#dev-users button");
    await page.waitForSelector("#profile:not([hidden])");
    await openEditor(page);
    await page.setInputFiles("#photo", photos.rotated);
    await page.waitForSelector('#photo-status[data-state="ready"]', SLOW);
    assert.match(await page.textContent("#photo-status"), /no preview/);
    assert.ok(await page.isHidden("#preview"));
    await page.click("#edit-save");
    await waitForSave(page);
    await page.waitForFunction(() => document.querySelector("#avatar").naturalWidth > 0, null, SLOW);
    const src = await page.getAttribute("#avatar", "src");
    const served = decodeJpeg(new Uint8Array(await (await fetch(new URL(src, service.url))).arrayBuffer()));
    assert.deepEqual([served.width, served.height], [AVATAR_SIZE, AVATAR_SIZE]);
    assertUpright(served, decodeJpeg(readFileSync(photos.reference)), "the served avatar");
    await page.screenshot({ path: join(artifactsDir, "profile-narrow-no-wasm.png"), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
