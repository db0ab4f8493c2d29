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
let focal = { x: 0.5, y: 0.5 };
let job = 0;

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

function kb(bytes) {
  return bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / (1 << 20)).toFixed(2)} MB`;
}

/** The options, exactly as the server (thumbing CLI or library) takes them. */
function currentOptions() {
  const data = new FormData(form);
  const crop = data.get("crop") === "focal" ? { x: focal.x, y: focal.y } : data.get("crop");
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
    $("#stat-preview").textContent = `${pixels.width}×${pixels.height} px in ${previewMs.toFixed(0)} ms`;

    // The file the server would store, for its size and a download.
    started = performance.now();
    const file = await thumbing.avatar(photo.bytes, options);
    const fileMs = performance.now() - started;
    if (mine !== job) return;
    const mime = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp" }[options.format];
    const ext = { jpeg: "jpg", png: "png", webp: "webp" }[options.format];
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
    setStatus("error", `${error.message}${error.code ? ` (${error.code})` : ""}`);
  }
}

async function open(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (photo?.url) URL.revokeObjectURL(photo.url);
  photo = { name: file.name, bytes, url: URL.createObjectURL(file) };
  focal = { x: 0.5, y: 0.5 };
  focalMarker.hidden = true;
  originalImage.src = photo.url;
  $("#original").hidden = false;
  try {
    const info = await thumbing.probe(bytes);
    photo.info = info;
    const turned = info.orientation !== 1 ? `, EXIF orientation ${info.orientation}` : "";
    const text = `${info.format.toUpperCase()} ${info.uprightWidth}×${info.uprightHeight}${turned}, ${kb(bytes.length)}`;
    $("#stat-photo").textContent = text;
    $("#original-caption").textContent = `${file.name}: ${text}`;
  } catch (error) {
    $("#stat-photo").textContent = `${kb(bytes.length)} (${error.code ?? "error"})`;
  }
  await update();
}

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
