// The profile page of the thumbing avatar service.
//
// Plain ES module, no build step. The service serves this folder under /static/ and the
// thumbing-wasm package (bindings-wasm/pkg/) under /pkg/. The photo preview is made by
// thumbing-wasm in a Web Worker with the server's size and crop, so it has the pixels of the
// avatar the server will store. The API is described in ../API.md.

const $ = (selector) => document.querySelector(selector);

// The access token is kept in localStorage: one session for every tab of this origin, which
// ends when the token expires (its `exp` claim: an hour after sign-in with the development
// issuer and with Cognito's default) or on "Sign out" in any tab.
const TOKEN_KEY = "thumbing-avatar-service.token";
const RETURN_KEY = "thumbing-avatar-service.return-to";
const POLL_INTERVAL_MS = 400;
const POLL_LIMIT_MS = 120_000;

const state = {
  config: null,
  token: storedToken(),
  me: null,
  shown: null, // the profile on screen
  photo: null, // { file, bytes, extension, info } once the preview is made
  photoError: null, // { code, text, detail } when the chosen photo cannot be used
  photoJob: 0,
  saving: false,
  expiryTimer: 0,
};

/** The claims of a JWT (not verified: the service does that), or null. */
function tokenClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
  } catch {
    return null;
  }
}

/** When `token` expires, in milliseconds since the epoch (Infinity when it does not say). */
function tokenExpiry(token) {
  const exp = tokenClaims(token)?.exp;
  return typeof exp === "number" ? exp * 1000 : Infinity;
}

/** The stored token, unless it has expired (then it is removed). */
function storedToken() {
  const token = localStorage.getItem(TOKEN_KEY);
  if (token && tokenExpiry(token) <= Date.now()) {
    localStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return token;
}

// ---------------------------------------------------------------------------------------------
// The API

/** An error answered by the service (`{error, message}`) or by the network. */
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

async function api(path, { method = "GET", body, auth = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && state.token) headers.Authorization = `Bearer ${state.token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, "network", `The service cannot be reached (${error.message}).`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const code = data?.error ?? `http_${response.status}`;
    const message = data?.message ?? (text.trim() || `${response.status} ${response.statusText}`);
    const error = new ApiError(response.status, code, message);
    error.retryAfter = response.headers.get("Retry-After");
    if (Array.isArray(data?.errors)) error.errors = data.errors;
    throw error;
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// thumbing-wasm: in a Web Worker, or on the main thread when a worker cannot start

let engine = null;

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function thumbing() {
  if (!engine) {
    engine = (async () => {
      try {
        const { ThumbingWorker } = await import("/pkg/client.js");
        const worker = new ThumbingWorker();
        await withTimeout(worker.version(), 20_000, "the thumbing worker");
        return { kind: "worker", probe: (b) => worker.probe(b), pixels: (b, o) => worker.pixels(b, o) };
      } catch (workerError) {
        const wasm = await import("/pkg/index.js");
        await wasm.default();
        console.info(`thumbing-wasm runs on the main thread: ${workerError.message}`);
        return { kind: "main", probe: async (b) => wasm.probe(b), pixels: async (b, o) => wasm.pixels(b, o) };
      }
    })();
    engine.then(
      (ready) => (document.body.dataset.thumbing = ready.kind),
      () => (engine = null),
    );
  }
  return engine;
}

// ---------------------------------------------------------------------------------------------
// Messages

// What people read: one sentence per error code. The code and the service's or decoder's own
// words go in a smaller line below it (`renderMessage`), for support and bug reports.
const MESSAGES = {
  corrupt: () => "This photo is damaged and can't be read. Try exporting it again.",
  unsupported_format: () => `This file isn't a photo that can be used. Choose a ${formatList()} file.`,
  unsupported_extension: () => `Only ${formatList()} photos can be uploaded.`,
  too_large: () => "This photo is too large to be made into an avatar. Try a smaller copy of it.",
  EntityTooLarge: () => MESSAGES.too_large(),
  invalid_options: () => "This page asked for an avatar the service does not make. Reload the page and try again.",
  encode: () => "The avatar could not be made from this photo. Try another photo.",
  processing_failed: () => "The avatar could not be made. Try again, or try another photo.",
  preview_failed: () => "The preview could not be made from this photo. Try another photo.",
  display_name_blank: () => "Enter a display name.",
  display_name_too_long: () => `Use at most ${limits().displayName} characters for your name.`,
  display_name_invalid: () => "Your name can't contain hidden characters or characters that flip the text direction.",
  bio_too_long: () => `Keep the bio to ${limits().bio} characters or fewer.`,
  bio_invalid: () => "Your bio can't contain hidden control characters or characters that flip the text direction.",
  unavailable: () => "The service is busy. Try again in a moment.",
  rate_limited: () => "Too many tries in a short time. Wait a minute and try again.",
  request_timeout: () => "The upload took too long. Check your connection and try again.",
  handle_invalid: () => "This handle can't be used.",
  network: () => "The service can't be reached. Check your connection and try again.",
  unauthorized: () => "Your session has ended. Please sign in again.",
  forbidden: () => "The upload was refused. Try again.",
  AccessDenied: () => MESSAGES.forbidden(),
  not_found: () => "There is no such profile.",
  unknown_user: () => "There is no such demo user.",
  bad_request: () => "The service did not understand the request. Reload the page and try again.",
  unsupported_media_type: () => MESSAGES.bad_request(),
  internal: () => "Something went wrong on our side. Try again in a moment.",
  timeout: () => "Your avatar is taking longer than usual. Reload the page in a while to see it.",
  aborted: () => "The upload was cancelled.",
};

function formatList() {
  const names = [...new Set(limits().extensions.map((e) => ({ jpg: "JPEG", jpeg: "JPEG", webp: "WebP" })[e] ?? e.toUpperCase()))];
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : (names[0] ?? "image");
}

/** `{ text, code, detail }` for an error: a sentence for people, the code and raw words for support. */
function explain(error, text) {
  const code = error?.code ?? "error";
  const detail = error?.message ?? String(error);
  return { text: text ?? MESSAGES[code]?.() ?? "Something went wrong. Try again in a moment.", code, detail };
}

/** Fills `el` with a message's sentence and, in a smaller line, its code and detail. */
function renderMessage(el, message) {
  el.replaceChildren();
  delete el.dataset.code;
  el.removeAttribute("title");
  if (!message) return;
  const text = document.createElement("span");
  text.className = "message-text";
  text.textContent = message.text;
  el.append(text);
  if (message.code) {
    const detail = document.createElement("small");
    detail.className = "message-detail";
    detail.textContent = message.detail && message.detail !== message.code ? `${message.code}: ${message.detail}` : message.code;
    el.append(detail);
    el.dataset.code = message.code;
    el.title = detail.textContent;
  }
}

function showToast(message, kind = "error") {
  const toast = $("#toast");
  toast.dataset.kind = kind;
  toast.setAttribute("role", kind === "error" ? "alert" : "status");
  renderMessage($("#toast-text"), typeof message === "string" ? { text: message } : message);
  toast.hidden = false;
}

function hideToast() {
  $("#toast").hidden = true;
}

/** A message with `prefix` before the sentence: "Sign-in failed. The service can't be reached." */
function withPrefix(prefix, message) {
  return { ...message, text: `${prefix} ${message.text}` };
}

function kb(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1 << 20) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1 << 20)).toFixed(1)} MB`;
}

const chars = (text) => [...text].length;

// ---------------------------------------------------------------------------------------------
// Views

function showView(name) {
  document.body.dataset.view = name;
  $("#sign-in-link").hidden = Boolean(state.me) || name === "sign-in" || name === "loading";
  $("#loading").hidden = name !== "loading";
  $("#sign-in").hidden = name !== "sign-in";
  $("#profile").hidden = name !== "profile";
}

function initials(name) {
  const words = (name || "?").trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters.map((w) => [...w][0].toUpperCase()).join("") || "?";
}

/** Shows `url` in an avatar image, or the initials when there is no avatar (or it fails). */
function setAvatar(img, initialsEl, url, name) {
  initialsEl.textContent = initials(name);
  if (!url) {
    img.hidden = true;
    img.removeAttribute("src");
    initialsEl.hidden = false;
    return;
  }
  img.onload = () => {
    img.hidden = false;
    initialsEl.hidden = true;
  };
  img.onerror = () => {
    img.hidden = true;
    initialsEl.hidden = false;
  };
  if (img.getAttribute("src") !== url) img.src = url;
  else if (img.complete && img.naturalWidth) img.onload();
}

function renderProfile(profile) {
  state.shown = profile;
  document.title = `${profile.display_name} (@${profile.handle}) — thumbing avatar service`;
  $("#profile-name").textContent = profile.display_name;
  $("#profile-handle").textContent = `@${profile.handle}`;
  const bio = profile.bio ?? "";
  $("#profile-bio").textContent = bio;
  $("#profile-bio").hidden = !bio;
  $("#profile-bio-empty").hidden = Boolean(bio);
  const avatar = $("#avatar");
  avatar.alt = `Avatar of ${profile.display_name}`;
  setAvatar(avatar, $("#avatar-initials"), profile.avatar_url, profile.display_name);
  $("#avatar-frame").dataset.avatarUrl = profile.avatar_url ?? "";
  $("#edit-open").hidden = !(state.me && state.me.uuid === profile.uuid);
  showView("profile");
}

function renderSession() {
  $("#session").hidden = !state.me;
  $("#sign-in-link").hidden = Boolean(state.me) || document.body.dataset.view === "sign-in";
  clearTimeout(state.expiryTimer);
  if (!state.me) return;
  $("#session-user").textContent = `@${state.me.handle}`;
  const expires = tokenExpiry(state.token);
  const expiry = $("#session-expiry");
  if (Number.isFinite(expires)) {
    const time = new Date(expires).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    expiry.textContent = `until ${time}`;
    expiry.title = `Signed in on every tab of this site until ${new Date(expires).toLocaleString()}, when the session expires, or until you sign out.`;
    // setTimeout takes at most 2^31-1 ms; a longer session is checked again then.
    state.expiryTimer = setTimeout(() => {
      if (tokenExpiry(state.token) <= Date.now()) signOut("Your session has expired; please sign in again.");
      else renderSession();
    }, Math.min(Math.max(0, expires - Date.now()), 2 ** 31 - 1));
  } else {
    expiry.textContent = "";
    expiry.removeAttribute("title");
  }
}

async function renderSignIn() {
  showView("sign-in");
  renderSession();
  const dev = Boolean(state.config?.dev);
  $("#dev-sign-in").hidden = !dev;
  $("#token-sign-in").hidden = dev;
  if (!dev) return;
  const list = $("#dev-users");
  list.replaceChildren();
  const users = await api("/dev/users", { auth: false });
  for (const user of users) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.username = user.username;
    const name = document.createElement("strong");
    name.textContent = user.display_name;
    const handle = document.createElement("span");
    handle.className = "handle";
    handle.textContent = ` @${user.handle ?? user.username}`;
    button.append(name, handle);
    button.addEventListener("click", () => devSignIn(user.username, button));
    item.append(button);
    list.append(item);
  }
  list.querySelector("button")?.focus();
}

async function devSignIn(username, button) {
  button.disabled = true;
  try {
    const session = await api("/dev/sign-in", { method: "POST", body: { username }, auth: false });
    await signedIn(session.access_token);
  } catch (error) {
    showToast(withPrefix("Sign-in failed.", explain(error)));
  } finally {
    button.disabled = false;
  }
}

/** Goes to `hash`, or shows the page again when it is there already. */
async function go(hash) {
  if ((location.hash || "#/") !== hash) location.hash = hash;
  else await route();
}

async function signedIn(token) {
  state.token = token;
  localStorage.setItem(TOKEN_KEY, token);
  hideToast();
  state.me = await api("/api/me");
  renderSession();
  // Back to the profile the visitor was looking at when they chose "Sign in".
  const back = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  await go(back && /^#\/@/.test(back) ? back : "#/");
}

/** Signs out this tab; `everywhere` also ends the session shared by the other tabs. */
function signOut(message, { everywhere = true } = {}) {
  state.token = null;
  state.me = null;
  if (everywhere) localStorage.removeItem(TOKEN_KEY);
  if (dialog.open) dialog.close();
  renderSession();
  if (message) showToast(message, "info");
  if (/^#\/@/.test(location.hash)) route(); // a public profile stays on screen
  else go("#/");
}

/** Another tab signed in or out: follow it. */
async function sessionChangedElsewhere(token) {
  if (token === state.token) return;
  if (!token) {
    signOut("You signed out in another tab.", { everywhere: false });
    return;
  }
  state.token = token;
  try {
    state.me = await api("/api/me");
  } catch {
    state.token = null;
    state.me = null;
  }
  renderSession();
  if (document.body.dataset.view === "sign-in") await go("#/");
  else await route();
}

/** `#/` is the signed-in user's profile, `#/@handle` anyone's, `#/sign-in` the sign-in page. */
async function route() {
  const match = /^#\/@([^/?#]+)$/.exec(location.hash);
  try {
    if (location.hash === "#/sign-in") {
      if (state.me) await go("#/");
      else await renderSignIn();
      return;
    }
    if (match) {
      const handle = decodeURIComponent(match[1]);
      renderProfile(await api(`/api/profile/@${encodeURIComponent(handle)}`, { auth: Boolean(state.token) }));
    } else if (state.me) {
      renderProfile(state.me);
    } else {
      await renderSignIn(); // focuses the first user
      return;
    }
    $("#main").focus({ preventScroll: true });
  } catch (error) {
    if (error.status === 401 && state.token) {
      signOut("Your session has ended; please sign in again.");
      return;
    }
    showToast(match ? withPrefix("This profile can't be shown.", explain(error)) : explain(error));
    if (!match && !state.me) showView("sign-in");
  }
}

// ---------------------------------------------------------------------------------------------
// The edit dialog

const dialog = $("#edit");
const photoInput = $("#photo");

function limits() {
  const c = state.config ?? {};
  return {
    size: c.avatar_size ?? 512,
    maxBytes: c.max_upload_bytes ?? 10 << 20,
    extensions: (c.allowed_extensions ?? ["jpg", "jpeg", "png", "webp", "gif"]).map((e) => e.toLowerCase()),
    // The service's limits (API.md: display_name_too_long, bio_too_long), unless it sends its own.
    displayName: c.display_name_max_chars ?? 64,
    bio: c.bio_max_chars ?? 500,
  };
}

/** The server's avatar options: the same size and crop (centre cover, upright by EXIF). */
function previewOptions() {
  const c = state.config ?? {};
  const options = { size: limits().size, fit: "cover", crop: c.crop ?? "centre" };
  if (c.avatar_quality ?? c.quality) options.quality = c.avatar_quality ?? c.quality;
  return options;
}

/** The photo's status line: a string, or a message with a code (`renderMessage`). */
function setPhotoStatus(kind, message) {
  const status = $("#photo-status");
  status.dataset.state = kind;
  renderMessage(status, typeof message === "string" ? (message ? { text: message } : null) : message);
}

/** A field's error: a message (`explain`) or null. */
function setFieldError(field, message) {
  const input = $(`#${field}`);
  renderMessage($(`#${field}-error`), message);
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

/**
 * The box at the top of the dialog: why nothing was saved. `problems` is a list of messages,
 * all shown at once; a single problem with a code gets its code line.
 */
function setEditError(title, problems = []) {
  const box = $("#edit-error");
  box.replaceChildren();
  box.hidden = !title;
  if (!title) return;
  if (problems.length === 1) {
    renderMessage(box, withPrefix(title, problems[0]));
    return;
  }
  delete box.dataset.code;
  const heading = document.createElement("p");
  heading.className = "message-text";
  heading.textContent = title;
  const list = document.createElement("ul");
  for (const problem of problems) {
    const item = document.createElement("li");
    item.textContent = problem.text;
    list.append(item);
  }
  box.append(heading, list);
}

function updateCounter(field, max) {
  const input = $(`#${field}`);
  const counter = $(`#${field}-count`);
  const used = chars(input.value);
  counter.textContent = `${used} / ${max}`;
  counter.classList.toggle("over", used > max);
}

function resetPhoto() {
  state.photoJob++;
  state.photo = null;
  state.photoError = null;
  photoInput.value = "";
  $("#preview").hidden = true;
  $("#preview").dataset.ready = "false";
  $("#photo-clear").hidden = true;
  const me = state.me;
  setAvatar($("#preview-current"), $("#preview-initials"), me?.avatar_url, me?.display_name);
}

function openEditor() {
  const me = state.me;
  if (!me) return;
  const { extensions, maxBytes, displayName, bio } = limits();
  setEditError(null);
  setFieldError("display-name", null);
  setFieldError("bio", null);
  setPhotoStatus("idle", "");
  $("#upload").hidden = true;
  resetPhoto();
  $("#photo-help").textContent = `${extensions.map((e) => e.toUpperCase()).join(", ")}; up to ${kb(maxBytes)}. The preview is your new avatar as the server will make it.`;
  photoInput.accept = extensions.map((e) => `.${e}`).join(",");
  $("#display-name").value = me.display_name ?? "";
  $("#bio").value = me.bio ?? "";
  updateCounter("display-name", displayName);
  updateCounter("bio", bio);
  dialog.dataset.state = "idle";
  dialog.showModal();
  $("#display-name").focus();
  // Start the worker now, so the first preview does not wait for the module.
  thumbing().catch(() => {
    // Reported when a photo is chosen; uploading still works.
  });
}

/**
 * The extension to ask an upload form for: what the content is when thumbing could read it
 * (a PNG named .jpg is uploaded as a PNG), else what the name says; null when not accepted.
 */
function extensionOf(file, info) {
  const { extensions } = limits();
  const fromName = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase();
  if (!info) return fromName && extensions.includes(fromName) ? fromName : null;
  const byFormat = ({ jpeg: ["jpg", "jpeg"], png: ["png"], webp: ["webp"], gif: ["gif"] }[info.format] ?? []).filter((e) => extensions.includes(e));
  return byFormat.includes(fromName) ? fromName : (byFormat[0] ?? null);
}

async function choosePhoto(file) {
  const job = ++state.photoJob;
  state.photo = null;
  state.photoError = null;
  $("#preview").dataset.ready = "false";
  setEditError(null);
  if (!file) {
    // The choice was cleared (a cancelled file dialog): back to the current photo.
    resetPhoto();
    setPhotoStatus("idle", "");
    return;
  }
  const { extensions, maxBytes } = limits();
  // The photo cannot be used: say why, keep the current avatar in view, and remember the
  // reason, so that Save says it too instead of saving without the photo.
  const fail = (code, detail, text) => {
    if (job !== state.photoJob) return;
    state.photoError = explain({ code, message: `${file.name}: ${detail}` }, text);
    setPhotoStatus("error", state.photoError);
    $("#preview").hidden = true;
    $("#photo-clear").hidden = false;
    setAvatar($("#preview-current"), $("#preview-initials"), state.me?.avatar_url, state.me?.display_name);
  };
  if (file.size > maxBytes) {
    fail("too_large", `${kb(file.size)}, over the limit of ${kb(maxBytes)}`, `This photo is ${kb(file.size)}; the limit is ${kb(maxBytes)}. Choose a smaller one.`);
    return;
  }
  setPhotoStatus("working", `Making the preview of ${file.name}…`);
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let wasm;
    try {
      wasm = await thumbing();
    } catch (error) {
      // No WebAssembly package served (or no WebAssembly): upload without a preview; the
      // server checks the photo as always.
      const extension = extensionOf(file, null);
      if (!extension) {
        fail("unsupported_format", `only ${extensions.join(", ")} files are accepted`);
        return;
      }
      if (job !== state.photoJob) return;
      state.photo = { file, bytes, extension, info: null };
      $("#photo-clear").hidden = false;
      setPhotoStatus("ready", `${file.name}, ${kb(bytes.length)}: no preview here (${error.message}). Save to upload it.`);
      return;
    }
    const info = await wasm.probe(bytes);
    const extension = extensionOf(file, info);
    if (!extension) {
      fail("unsupported_format", `${info.format} is not one of ${extensions.join(", ")}`);
      return;
    }
    const px = await wasm.pixels(bytes, previewOptions());
    if (job !== state.photoJob) return;
    const canvas = $("#preview");
    canvas.width = px.width;
    canvas.height = px.height;
    canvas.getContext("2d").putImageData(new ImageData(px.data, px.width, px.height), 0, 0);
    canvas.hidden = false;
    canvas.dataset.ready = "true";
    $("#preview-current").hidden = true;
    $("#preview-initials").hidden = true;
    $("#photo-clear").hidden = false;
    state.photo = { file, bytes, extension, info };
    const turned = info.orientation > 1 ? `, turned upright (EXIF orientation ${info.orientation})` : "";
    setPhotoStatus(
      "ready",
      `${file.name}: ${info.format.toUpperCase()} ${info.uprightWidth}×${info.uprightHeight}${turned}, ${kb(bytes.length)}. Save to upload it.`,
    );
  } catch (error) {
    fail(error.code ?? "preview_failed", error.message);
  }
}

/** Posts the file to the presigned form (the service or S3), reporting upload progress. */
function uploadForm(ticket, photo, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(ticket.fields ?? {})) form.append(name, value);
    const type = ticket.content_type ?? ticket.fields?.["Content-Type"] ?? photo.file.type;
    form.append("file", new Blob([photo.bytes], { type }), photo.file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", ticket.url);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
        return;
      }
      reject(uploadError(xhr));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network", "The upload failed: the storage did not answer.")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "The upload was cancelled.")));
    xhr.send(form);
  });
}

/** The service answers `{error, message}`; S3 answers XML with `<Code>` and `<Message>`. */
function uploadError(xhr) {
  const text = xhr.responseText ?? "";
  try {
    const data = JSON.parse(text);
    if (data?.error) {
      const error = new ApiError(xhr.status, data.error, data.message ?? data.error);
      error.retryAfter = xhr.getResponseHeader("Retry-After");
      return error;
    }
  } catch {
    // Not JSON: S3's XML, below.
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  return new ApiError(xhr.status, code ?? `http_${xhr.status}`, `The upload was refused: ${message ?? (text.trim() || `status ${xhr.status}`)}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt`, and again when the service answers that it is busy (503, its processing
 * queue is full) or asked too often (429): after its `Retry-After` (1–30 s), at most 3 more
 * times. `onWait(seconds)` is told each pause.
 */
async function whenNotBusy(attempt, onWait) {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error.status === 503 || error.status === 429) || tries > 3) throw error;
      const seconds = Math.min(Math.max(Number(error.retryAfter) || 2, 1), 30);
      onWait?.(seconds);
      await sleep(seconds * 1000);
    }
  }
}

/** Polls until the service has made (`ready`) or refused (`rejected`) the latest upload. */
async function waitForAvatar() {
  const started = Date.now();
  for (;;) {
    const status = await api("/api/avatar/status");
    if (status.state === "ready" && status.avatar_url) return status;
    if (status.state === "rejected") {
      throw new ApiError(422, status.error ?? "processing_failed", status.message ?? "the photo could not be made into an avatar");
    }
    if (Date.now() - started > POLL_LIMIT_MS) {
      throw new ApiError(0, "timeout", "The avatar is still being processed; reload the page in a while.");
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

async function uploadPhoto(photo) {
  const progress = $("#upload-progress");
  const label = $("#upload-label");
  $("#upload").hidden = false;
  progress.value = 0;
  label.textContent = "Uploading… 0 %";
  const ticket = await api("/avatars/key_upload", { method: "POST", body: { extension: photo.extension } });
  if (ticket.max_bytes && photo.bytes.length > ticket.max_bytes) {
    throw new ApiError(413, "too_large", `The photo is ${kb(photo.bytes.length)}; the limit is ${kb(ticket.max_bytes)}.`);
  }
  const busy = (seconds) => (label.textContent = `The service is busy; trying again in ${seconds} s…`);
  await whenNotBusy(
    () =>
      uploadForm(ticket, photo, (fraction) => {
        progress.value = fraction;
        label.textContent = `Uploading… ${Math.round(fraction * 100)} %`;
      }),
    busy,
  );
  // With S3 the service learns of the upload from this call (the stand-in for S3's event
  // notification); the service's own upload endpoint queues the processing itself.
  if (ticket.notify_url) {
    await whenNotBusy(() => api(ticket.notify_url, { method: "POST", body: { key: ticket.key } }), busy);
  }
  label.textContent = "Making your avatar…";
  progress.removeAttribute("value"); // indeterminate while the server works
  const status = await waitForAvatar();
  progress.value = 1;
  label.textContent = "Avatar ready.";
  return status.avatar_url;
}

/**
 * After sign-in or a reload: finishes showing an upload still being processed, and tells once
 * per tab when the latest upload was rejected (the previous avatar stays).
 */
async function checkLatestUpload() {
  try {
    const status = await api("/api/avatar/status");
    if (status.state === "processing") {
      await waitForAvatar();
      state.me = await api("/api/me");
      if (state.shown?.uuid === state.me.uuid) renderProfile(state.me);
    } else if (status.state === "rejected") {
      throw new ApiError(422, status.error ?? "processing_failed", status.message ?? "it could not be made into an avatar");
    }
  } catch (error) {
    if (error.status !== 422) return; // the page works without this notice
    const seen = `${TOKEN_KEY}.rejected`;
    const note = `${error.code}:${error.message}`;
    if (sessionStorage.getItem(seen) === note) return;
    sessionStorage.setItem(seen, note);
    showToast(withPrefix("Your latest photo was not used, and your previous avatar stays.", explain(error)));
  }
}

function setSaving(saving) {
  state.saving = saving;
  dialog.dataset.state = saving ? "saving" : "idle";
  for (const el of [$("#edit-save"), $("#edit-cancel"), $("#edit-close"), photoInput, $("#display-name"), $("#bio")]) {
    el.disabled = saving;
  }
  $("#edit-save").textContent = saving ? "Saving…" : "Save";
}

/** A problem with one field (`display-name`, `bio` or `photo`), as a message (`explain`). */
function problem(field, code, detail) {
  return { field, ...explain({ code, message: detail }) };
}

// The service's rules (API.md): no control, text-direction or invisible characters in a
// display name (a zero-width joiner only inside an emoji sequence); no control characters
// other than line breaks and tabs, and no direction overrides, in a bio.
const NAME_REFUSED = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b\u200c\u2060-\u2064\ufeff\u180e]/;
const NAME_LONE_JOINER = /(^|[\p{L}\p{N}\s])\u200d|\u200d($|[\p{L}\p{N}\s])/u;
const BIO_REFUSED = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Every problem the page can see before asking the service, all at once. */
function localProblems(displayName, bio) {
  const max = limits();
  const problems = [];
  const name = displayName.trim();
  if (!name) problems.push(problem("display-name", "display_name_blank", "the display name is blank"));
  else if (chars(name) > max.displayName) {
    problems.push(problem("display-name", "display_name_too_long", `${chars(name)} characters; at most ${max.displayName}`));
  } else if (NAME_REFUSED.test(name) || NAME_LONE_JOINER.test(name)) {
    problems.push(problem("display-name", "display_name_invalid", "control, text-direction or invisible characters"));
  }
  if (chars(bio.trim()) > max.bio) problems.push(problem("bio", "bio_too_long", `${chars(bio.trim())} characters; at most ${max.bio}`));
  else if (BIO_REFUSED.test(bio)) problems.push(problem("bio", "bio_invalid", "control characters or text-direction overrides"));
  if (state.photoError) problems.push({ field: "photo", ...state.photoError });
  return problems;
}

/** The service's 422: every field error it lists (`errors`), or the one it names. */
function serviceProblems(error) {
  const list = Array.isArray(error.errors) && error.errors.length ? error.errors : [{ error: error.code, message: error.message }];
  return list.map((e) => {
    const field = /^bio/.test(e.error) ? "bio" : /^display_name/.test(e.error) ? "display-name" : null;
    return { field, ...explain({ code: e.error, message: e.message }) };
  });
}

/** Shows every problem at its field and together at the top; returns the element to focus. */
function showProblems(problems) {
  for (const p of problems) if (p.field === "display-name" || p.field === "bio") setFieldError(p.field, p);
  setEditError(problems.length > 1 ? `Not saved: ${problems.length} things need fixing.` : "Not saved.", problems);
  const first = problems.find((p) => p.field) ?? null;
  return first ? $(first.field === "photo" ? "#photo" : `#${first.field}`) : $("#edit-error");
}

async function save(event) {
  event.preventDefault();
  if (state.saving) return;
  setSaving(true);
  // A photo still being checked is waited for: Save must not go on without it.
  await state.photoTask;
  setEditError(null);
  setFieldError("display-name", null);
  setFieldError("bio", null);
  const displayName = $("#display-name").value;
  const bio = $("#bio").value;
  let focusAfter = null; // the first field with an error, focused once the form is enabled again
  try {
    const problems = localProblems(displayName, bio);
    if (problems.length) {
      focusAfter = showProblems(problems);
      return;
    }
    if (displayName !== (state.me.display_name ?? "") || bio !== (state.me.bio ?? "")) {
      try {
        state.me = await api("/api/profile/update", { method: "POST", body: { display_name: displayName, bio } });
      } catch (error) {
        if (error.status === 422) {
          focusAfter = showProblems(serviceProblems(error));
          return;
        }
        throw error;
      }
    }
    if (state.photo) {
      const avatarUrl = await uploadPhoto(state.photo);
      state.me = { ...state.me, avatar_url: avatarUrl };
      try {
        state.me = await api("/api/me");
      } catch {
        // The avatar is stored; the profile text on screen is still right.
      }
    }
    renderSession();
    renderProfile(state.me);
    dialog.close("saved");
  } catch (error) {
    if (error.status === 401) {
      dialog.close();
      signOut("Your session has ended; please sign in again.");
      return;
    }
    setEditError("Not saved.", [explain(error)]);
    $("#upload").hidden = true;
    focusAfter = $("#edit-error");
  } finally {
    setSaving(false);
    focusAfter?.focus();
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

$("#toast-close").addEventListener("click", hideToast);
$("#sign-out").addEventListener("click", () => signOut());
$("#edit-open").addEventListener("click", openEditor);
$("#edit-close").addEventListener("click", () => dialog.close());
$("#edit-cancel").addEventListener("click", () => dialog.close());
$("#edit-form").addEventListener("submit", save);
dialog.addEventListener("cancel", (event) => {
  if (state.saving) event.preventDefault(); // Escape does not abandon an upload half-way
});
dialog.addEventListener("close", () => {
  state.photoJob++;
  $("#edit-open").focus();
});
photoInput.addEventListener("change", () => {
  state.photoTask = choosePhoto(photoInput.files[0]);
});
$("#photo-clear").addEventListener("click", () => {
  resetPhoto();
  setPhotoStatus("idle", "");
  photoInput.focus();
});
$("#display-name").addEventListener("input", () => {
  setFieldError("display-name", null);
  updateCounter("display-name", limits().displayName);
});
$("#bio").addEventListener("input", () => {
  setFieldError("bio", null);
  updateCounter("bio", limits().bio);
});
$("#token-sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = $("#token").value.trim();
  if (!token) return;
  try {
    await signedIn(token);
  } catch (error) {
    state.token = null;
    localStorage.removeItem(TOKEN_KEY);
    showToast(withPrefix("Sign-in failed.", explain(error)));
  }
});
$("#sign-in-link").addEventListener("click", () => {
  // Come back to this profile after signing in.
  if (/^#\/@/.test(location.hash)) sessionStorage.setItem(RETURN_KEY, location.hash);
});
window.addEventListener("hashchange", route);
// The session is shared by the tabs of this origin: sign-in and sign-out in one reach the others.
window.addEventListener("storage", (event) => {
  if (event.key === TOKEN_KEY || event.key === null) sessionChangedElsewhere(storedToken());
});

async function start() {
  showView("loading");
  try {
    state.config = await api("/api/config", { auth: false });
  } catch (error) {
    showToast(withPrefix("The service is not available.", explain(error)));
    return;
  }
  if (state.token) {
    try {
      state.me = await api("/api/me");
    } catch (error) {
      state.token = null;
      if (error.status === 401) localStorage.removeItem(TOKEN_KEY);
      else showToast(explain(error));
    }
  }
  renderSession();
  await route();
  document.body.dataset.ready = "true";
  if (state.me) checkLatestUpload();
}

start();
