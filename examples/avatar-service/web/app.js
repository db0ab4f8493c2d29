// The profile page of the thumbing avatar service.
//
// Plain ES module, no build step. The service serves this folder under /static/ and the
// thumbing-wasm package (bindings-wasm/pkg/) under /pkg/. The photo preview is made by
// thumbing-wasm in a Web Worker with the server's size and crop, so it has the pixels of the
// avatar the server will store. The API is described in ../API.md.

const $ = (selector) => document.querySelector(selector);

const TOKEN_KEY = "thumbing-avatar-service.token";
const POLL_INTERVAL_MS = 400;
const POLL_LIMIT_MS = 120_000;

const state = {
  config: null,
  token: sessionStorage.getItem(TOKEN_KEY),
  me: null,
  shown: null, // the profile on screen
  photo: null, // { file, bytes, extension, info } once the preview is made
  photoJob: 0,
  saving: false,
};

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
    throw new ApiError(response.status, code, message);
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

function showToast(message, kind = "error") {
  const toast = $("#toast");
  toast.dataset.kind = kind;
  toast.setAttribute("role", kind === "error" ? "alert" : "status");
  $("#toast-text").textContent = message;
  toast.hidden = false;
}

function hideToast() {
  $("#toast").hidden = true;
}

function describe(error) {
  if (error?.code) return `${error.message} (${error.code})`;
  return error?.message ?? String(error);
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
  if (state.me) $("#session-user").textContent = `@${state.me.handle}`;
}

async function renderSignIn() {
  showView("sign-in");
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
    showToast(`Sign-in failed: ${describe(error)}`);
  } finally {
    button.disabled = false;
  }
}

async function signedIn(token) {
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  hideToast();
  state.me = await api("/api/me");
  renderSession();
  if (location.hash && location.hash !== "#/") location.hash = "#/";
  else await route();
}

function signOut(message) {
  state.token = null;
  state.me = null;
  sessionStorage.removeItem(TOKEN_KEY);
  renderSession();
  if (message) showToast(message, "info");
  if (location.hash && location.hash !== "#/") location.hash = "#/";
  else route();
}

/** `#/` is the signed-in user's profile, `#/@handle` anyone's. */
async function route() {
  const match = /^#\/@([^/?#]+)$/.exec(location.hash);
  try {
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
    showToast(match ? `This profile cannot be shown: ${describe(error)}` : describe(error));
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

function setPhotoStatus(kind, text) {
  const status = $("#photo-status");
  status.dataset.state = kind;
  status.textContent = text;
}

function setFieldError(field, message) {
  const input = $(`#${field}`);
  const error = $(`#${field}-error`);
  error.textContent = message ?? "";
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function setEditError(message) {
  const box = $("#edit-error");
  box.textContent = message ?? "";
  box.hidden = !message;
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
  $("#preview").dataset.ready = "false";
  setEditError(null);
  if (!file) return;
  const { extensions, maxBytes } = limits();
  const fail = (code, message) => {
    if (job !== state.photoJob) return;
    setPhotoStatus("error", `${file.name} cannot be used: ${message} (${code})`);
    $("#preview").hidden = true;
    $("#photo-clear").hidden = false;
    setAvatar($("#preview-current"), $("#preview-initials"), state.me?.avatar_url, state.me?.display_name);
  };
  if (file.size > maxBytes) {
    fail("too_large", `it is ${kb(file.size)}, the limit is ${kb(maxBytes)}`);
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
        fail("unsupported_format", `only ${extensions.map((e) => e.toUpperCase()).join(", ")} files are accepted`);
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
      fail("unsupported_format", `only ${extensions.map((e) => e.toUpperCase()).join(", ")} files are accepted`);
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
    if (data?.error) return new ApiError(xhr.status, data.error, data.message ?? data.error);
  } catch {
    // Not JSON: S3's XML, below.
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  return new ApiError(xhr.status, code ?? `http_${xhr.status}`, `The upload was refused: ${message ?? (text.trim() || `status ${xhr.status}`)}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until the service has made (`ready`) or refused (`rejected`) the latest upload. */
async function waitForAvatar() {
  const started = Date.now();
  for (;;) {
    const status = await api("/api/avatar/status");
    if (status.state === "ready" && status.avatar_url) return status;
    if (status.state === "rejected") {
      throw new ApiError(422, status.error ?? "rejected", status.message ?? "the photo could not be made into an avatar");
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
  await uploadForm(ticket, photo, (fraction) => {
    progress.value = fraction;
    label.textContent = `Uploading… ${Math.round(fraction * 100)} %`;
  });
  // With S3 the service learns of the upload from this call (the stand-in for S3's event
  // notification); the service's own upload endpoint starts the processing itself.
  if (ticket.notify_url) {
    await api(ticket.notify_url, { method: "POST", body: { key: ticket.key } });
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
      throw new ApiError(422, status.error ?? "rejected", status.message ?? "it could not be made into an avatar");
    }
  } catch (error) {
    if (error.status !== 422) return; // the page works without this notice
    const seen = `${TOKEN_KEY}.rejected`;
    const note = `${error.code}:${error.message}`;
    if (sessionStorage.getItem(seen) === note) return;
    sessionStorage.setItem(seen, note);
    showToast(`Your latest photo was not used: ${describe(error)}. Your previous avatar stays.`);
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

async function save(event) {
  event.preventDefault();
  if (state.saving) return;
  setEditError(null);
  setFieldError("display-name", null);
  setFieldError("bio", null);
  const displayName = $("#display-name").value;
  const bio = $("#bio").value;
  let focusAfter = null; // a field with an error, focused once the form is enabled again
  setSaving(true);
  try {
    if (displayName !== (state.me.display_name ?? "") || bio !== (state.me.bio ?? "")) {
      try {
        state.me = await api("/api/profile/update", { method: "POST", body: { display_name: displayName, bio } });
      } catch (error) {
        if (error.status === 422) {
          const field = /^bio/.test(error.code) ? "bio" : /^display_name/.test(error.code) ? "display-name" : null;
          if (field) {
            setFieldError(field, `${error.message} (${error.code})`);
            focusAfter = $(`#${field}`);
            return;
          }
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
    setEditError(`Not saved: ${describe(error)}`);
    $("#upload").hidden = true;
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
photoInput.addEventListener("change", () => choosePhoto(photoInput.files[0]));
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
    sessionStorage.removeItem(TOKEN_KEY);
    showToast(`Sign-in failed: ${describe(error)}`);
  }
});
window.addEventListener("hashchange", route);

async function start() {
  showView("loading");
  try {
    state.config = await api("/api/config", { auth: false });
  } catch (error) {
    showToast(`The service is not available: ${describe(error)}`);
    return;
  }
  if (state.token) {
    try {
      state.me = await api("/api/me");
    } catch (error) {
      state.token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      if (error.status !== 401) showToast(describe(error));
    }
  }
  renderSession();
  await route();
  document.body.dataset.ready = "true";
  if (state.me) checkLatestUpload();
}

start();
