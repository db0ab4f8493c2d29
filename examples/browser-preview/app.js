// Avatar preview: thumbing-wasm in a Web Worker makes the avatar the server would make.
//
// Serve the repository root with any static server, e.g.
//   python3 -m http.server --bind 127.0.0.1 8000
// and open http://127.0.0.1:8000/examples/browser-preview/ (build the package first:
// bash bindings-wasm/build.sh).

import { ThumbingWorker } from "../../bindings-wasm/pkg/client.js";

const $ = (selector) => document.querySelector(selector);
const fileInput = $("#file");
const drop = $("#drop");
const form = $("#options");
const canvas = $("#preview");
const status = $("#status");
const download = $("#download");
const originalImage = $("#original-image");
const focalMarker = $("#focal-marker");

const thumbing = new ThumbingWorker();
let photo = null; // { name, bytes, info, url }
let focal = null; // { x, y } once clicked on this photo
let job = 0;

// A sentence for people per error code; the code and thumbing's own words go below it.
const MESSAGES = {
  corrupt: "This photo is damaged and can't be read. Try exporting it again.",
  unsupported_format: "This file isn't a photo thumbing can read. Choose a JPEG, PNG, WebP or GIF file.",
  too_large: "This photo is too large to be made into an avatar here. Try a smaller copy of it.",
  invalid_options: "These settings can't be used. Check the size (16 to 2048 px) and the quality (1 to 100).",
  encode: "The avatar could not be encoded with these settings. Try another format.",
};

function setStatus(state, text, error = null) {
  status.dataset.state = state;
  const sentence = document.createElement("span");
  sentence.textContent = text;
  status.replaceChildren(sentence);
  delete status.dataset.code;
  if (error) {
    const detail = document.createElement("small");
    detail.className = "detail";
    detail.textContent = `${error.code ?? "error"}: ${error.message}`;
    status.append(detail);
    status.dataset.code = error.code ?? "error";
  }
}

function showError(error) {
  setStatus("error", MESSAGES[error.code] ?? "Something went wrong while making the avatar.", error);
}

/** Forgets the previous photo's avatar: preview, stats, download link and caption. */
function clearResult() {
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  canvas.dataset.ready = "false";
  for (const id of ["#stat-preview", "#stat-avatar", "#stat-photo", "#original-caption"]) $(id).textContent = "";
  $("#stats").hidden = true;
  if (download.href) URL.revokeObjectURL(download.href);
  download.removeAttribute("href");
  download.removeAttribute("download");
  delete download.dataset.bytes;
  download.hidden = true;
}

function kb(bytes) {
  return bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / (1 << 20)).toFixed(2)} MB`;
}

/** The options, exactly as the server (thumbing CLI or library) takes them. */
function currentOptions() {
  const data = new FormData(form);
  // Focal-point mode before a click on this photo: the centre, which the command says too.
  const crop = data.get("crop") === "focal" ? (focal ? { x: focal.x, y: focal.y } : "centre") : data.get("crop");
  return {
    size: Number(data.get("size")),
    crop,
    format: data.get("format"),
    quality: Number(data.get("quality")),
  };
}

function serverCommand(name, options) {
  const parts = ["thumbing", "avatar", JSON.stringify(name), "-o", "avatars/", "--size", String(options.size)];
  if (typeof options.crop === "object") parts.push("--crop", `${+options.crop.x.toFixed(4)},${+options.crop.y.toFixed(4)}`);
  else if (options.crop !== "centre") parts.push("--crop", options.crop);
  if (options.format !== "jpeg") parts.push("--format", options.format);
  if (options.quality !== 80) parts.push("--quality", String(options.quality));
  return parts.join(" ");
}

async function update() {
  if (!photo) return;
  const mine = ++job;
  const options = currentOptions();
  $("#command").textContent = serverCommand(photo.name, options);
  $("#focal-hint").hidden = !(form.elements.crop.value === "focal" && !focal);
  setStatus("working", "Making the avatar…");
  try {
    // The preview: the final pixels, drawn as soon as they exist.
    let started = performance.now();
    const pixels = await thumbing.pixels(photo.bytes, options);
    const previewMs = performance.now() - started;
    if (mine !== job) return;
    canvas.width = pixels.width;
    canvas.height = pixels.height;
    canvas.getContext("2d").putImageData(new ImageData(pixels.data, pixels.width, pixels.height), 0, 0);
    canvas.dataset.ready = "true";
    $("#stat-preview").textContent = `${pixels.width}×${pixels.height} px in ${previewMs.toFixed(0)} ms`;

    // The file the server would store, for its size and a download.
    started = performance.now();
    const file = await thumbing.avatar(photo.bytes, options);
    const fileMs = performance.now() - started;
    if (mine !== job) return;
    const mime = { jpeg: "image/jpeg", png: "image/png", "webp-lossless": "image/webp" }[options.format];
    const ext = { jpeg: "jpg", png: "png", "webp-lossless": "webp" }[options.format];
    if (download.href) URL.revokeObjectURL(download.href);
    download.href = URL.createObjectURL(new Blob([file], { type: mime }));
    download.download = `${photo.name.replace(/\.[^.]*$/, "")}-${options.size}.${ext}`;
    download.dataset.bytes = String(file.length);
    download.hidden = false;
    $("#stat-avatar").textContent = `${options.format.toUpperCase()}, ${kb(file.length)} (${file.length} bytes), encoded in ${fileMs.toFixed(0)} ms`;
    $("#stats").hidden = false;
    setStatus("done", `Done: ${(previewMs + fileMs).toFixed(0)} ms in all.`);
  } catch (error) {
    if (mine !== job) return;
    clearResult();
    // A photo thumbing cannot read is not shown either (a browser may show half of it); a
    // problem with the options leaves the photo, to try other ones.
    if (!["invalid_options", "encode"].includes(error.code)) {
      $("#original").hidden = true;
      originalImage.removeAttribute("src");
    }
    showError(error);
  }
}

async function open(file) {
  // Nothing of the previous photo stays on screen, whatever this one turns out to be.
  const mine = ++job;
  clearResult();
  if (photo?.url) URL.revokeObjectURL(photo.url);
  photo = null;
  focal = null;
  focalMarker.hidden = true;
  $("#original").hidden = true;
  originalImage.removeAttribute("src");
  setStatus("working", `Reading ${file.name}…`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (mine !== job) return;
  photo = { name: file.name, bytes, url: URL.createObjectURL(file) };
  try {
    const info = await thumbing.probe(bytes);
    if (mine !== job) return;
    photo.info = info;
    const turned = info.orientation !== 1 ? `, EXIF orientation ${info.orientation}` : "";
    const text = `${info.format.toUpperCase()} ${info.uprightWidth}×${info.uprightHeight}${turned}, ${kb(bytes.length)}`;
    $("#stat-photo").textContent = text;
    $("#original-caption").textContent = `${file.name}: ${text}`;
    // Shown once the browser can display it: never a broken-image icon.
    originalImage.src = photo.url;
  } catch (error) {
    if (mine !== job) return;
    $("#command").textContent = serverCommand(file.name, currentOptions());
    showError(error);
    return;
  }
  await update();
}

originalImage.addEventListener("load", () => {
  $("#original").hidden = false;
});
originalImage.addEventListener("error", () => {
  $("#original").hidden = true;
});

fileInput.addEventListener("change", () => fileInput.files[0] && open(fileInput.files[0]));
for (const type of ["dragenter", "dragover"]) {
  drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
}
for (const type of ["dragleave", "drop"]) {
  drop.addEventListener(type, () => drop.classList.remove("over"));
}
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  const file = event.dataTransfer?.files?.[0];
  if (file) open(file);
});
form.addEventListener("input", (event) => {
  form.elements.qualityValue.value = form.elements.quality.value;
  // The quality slider updates when released (its "change" event), not on every step.
  if (event.target.name !== "quality") update();
});
form.elements.quality.addEventListener("change", update);
form.addEventListener("submit", (event) => event.preventDefault());

// A click on the photo sets the focal point, in fractions of the upright image (browsers show
// photos upright, applying the EXIF orientation as thumbing does).
originalImage.addEventListener("click", (event) => {
  const box = originalImage.getBoundingClientRect();
  focal = {
    x: Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)),
    y: Math.min(1, Math.max(0, (event.clientY - box.top) / box.height)),
  };
  focalMarker.style.left = `${focal.x * 100}%`;
  focalMarker.style.top = `${focal.y * 100}%`;
  focalMarker.hidden = false;
  form.elements.crop.value = "focal";
  update();
});

thumbing
  .version()
  .then((version) => setStatus("idle", `thumbing-wasm ${version} is ready: pick a photo.`))
  .catch((error) => setStatus("error", `thumbing-wasm could not start: ${error.message}`));
